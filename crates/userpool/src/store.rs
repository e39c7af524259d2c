//! The embedded, crash-safe store (redb): one table per kind of record, values as JSON.

use std::path::Path;

use redb::{Database, ReadableDatabase, ReadableTable, TableDefinition};
use serde::Serialize;
use serde::de::DeserializeOwned;

/// The store's format; a state dir written by another format is refused with a clear message.
pub const FORMAT: &str = "gatehouse-store-1";

/// A table of JSON records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Table {
    /// Pools by id.
    Pools,
    /// Clients by id.
    Clients,
    /// Users by `<poolId>/<username>`.
    Users,
    /// Revoked refresh tokens (RevokeToken) by jti, until they expire.
    Revoked,
}

/// Pools by id.
pub const POOLS: Table = Table::Pools;
/// Clients by id.
pub const CLIENTS: Table = Table::Clients;
/// Users by `<poolId>/<username>`.
pub const USERS: Table = Table::Users;
/// Revoked refresh tokens by jti.
pub const REVOKED: Table = Table::Revoked;

impl Table {
    fn def(self) -> TableDefinition<'static, &'static str, &'static [u8]> {
        TableDefinition::new(match self {
            Table::Pools => "pools",
            Table::Clients => "clients",
            Table::Users => "users",
            Table::Revoked => "revoked",
        })
    }
}
/// `format`, and `logical/<LogicalId>` -> physical id for resources made from the template.
pub const META: TableDefinition<&str, &str> = TableDefinition::new("meta");

/// A store failure, with what to do about it.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// redb failed.
    #[error("the store failed: {0}")]
    Db(String),
    /// The state dir holds data we cannot read.
    #[error(
        "the state dir was written by an incompatible version ({found}); move it away or pass another --state-dir"
    )]
    Incompatible {
        /// What the store says it is.
        found: String,
    },
}

fn db_err(e: impl std::fmt::Display) -> StoreError {
    StoreError::Db(e.to_string())
}

/// One key's change in a write.
#[derive(Debug)]
pub enum Change {
    /// Insert or replace.
    Put(Table, String, Vec<u8>),
    /// Remove.
    Delete(Table, String),
    /// A `META` entry.
    Meta(String, String),
}

/// redb's page cache.
const CACHE_BYTES: usize = 4 << 20;

/// The database.
#[derive(Debug)]
pub struct Store {
    db: Database,
}

impl Store {
    /// Opens (or creates) `path`, checking its format.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        // Everything is read into memory at start, so the page cache only serves writes: redb's
        // default (1 GiB, filled as pages are written) would grow with every refresh token.
        let db = redb::Builder::new()
            .set_cache_size(CACHE_BYTES)
            .create(path)
            .map_err(|e| match e {
                redb::DatabaseError::UpgradeRequired(v) => StoreError::Incompatible {
                    found: format!("redb file format {v}"),
                },
                other => db_err(format!("{}: {other}", path.display())),
            })?;
        let store = Store { db };
        let txn = store.db.begin_write().map_err(db_err)?;
        {
            let mut meta = txn.open_table(META).map_err(db_err)?;
            let found = meta
                .get("format")
                .map_err(db_err)?
                .map(|v| v.value().to_string());
            match found {
                Some(f) if f != FORMAT => return Err(StoreError::Incompatible { found: f }),
                Some(_) => {}
                None => {
                    meta.insert("format", FORMAT).map_err(db_err)?;
                }
            }
            for t in [POOLS, CLIENTS, USERS, REVOKED] {
                txn.open_table(t.def()).map_err(db_err)?;
            }
            // Refresh tokens were records once; they are sealed tokens now, and the old
            // records (with the tokens made from them) are dropped.
            let old: TableDefinition<&str, &[u8]> = TableDefinition::new("refresh");
            txn.delete_table(old).map_err(db_err)?;
        }
        txn.commit().map_err(db_err)?;
        Ok(store)
    }

    /// Every record of a table.
    pub fn load_all<T: DeserializeOwned>(&self, table: Table) -> Result<Vec<T>, StoreError> {
        let txn = self.db.begin_read().map_err(db_err)?;
        let t = txn.open_table(table.def()).map_err(db_err)?;
        let mut out = Vec::new();
        for row in t.iter().map_err(db_err)? {
            let (k, v) = row.map_err(db_err)?;
            let record =
                serde_json::from_slice(v.value()).map_err(|e| StoreError::Incompatible {
                    found: format!("unreadable record {}: {e}", k.value()),
                })?;
            out.push(record);
        }
        Ok(out)
    }

    /// Every `(key, record)` of a table.
    pub fn load_pairs<T: DeserializeOwned>(
        &self,
        table: Table,
    ) -> Result<Vec<(String, T)>, StoreError> {
        let txn = self.db.begin_read().map_err(db_err)?;
        let t = txn.open_table(table.def()).map_err(db_err)?;
        let mut out = Vec::new();
        for row in t.iter().map_err(db_err)? {
            let (k, v) = row.map_err(db_err)?;
            let record =
                serde_json::from_slice(v.value()).map_err(|e| StoreError::Incompatible {
                    found: format!("unreadable record {}: {e}", k.value()),
                })?;
            out.push((k.value().to_string(), record));
        }
        Ok(out)
    }

    /// One `META` entry.
    pub fn meta(&self, key: &str) -> Result<Option<String>, StoreError> {
        let txn = self.db.begin_read().map_err(db_err)?;
        let t = txn.open_table(META).map_err(db_err)?;
        Ok(t.get(key).map_err(db_err)?.map(|v| v.value().to_string()))
    }

    /// Applies changes in one durable transaction.
    pub fn write(&self, changes: Vec<Change>) -> Result<(), StoreError> {
        self.commit(&changes)
    }

    fn commit<'c>(&self, changes: impl IntoIterator<Item = &'c Change>) -> Result<(), StoreError> {
        let txn = self.db.begin_write().map_err(db_err)?;
        for change in changes {
            match change {
                Change::Put(table, key, value) => {
                    txn.open_table(table.def())
                        .map_err(db_err)?
                        .insert(key.as_str(), value.as_slice())
                        .map_err(db_err)?;
                }
                Change::Delete(table, key) => {
                    txn.open_table(table.def())
                        .map_err(db_err)?
                        .remove(key.as_str())
                        .map_err(db_err)?;
                }
                Change::Meta(key, value) => {
                    txn.open_table(META)
                        .map_err(db_err)?
                        .insert(key.as_str(), value.as_str())
                        .map_err(db_err)?;
                }
            }
        }
        txn.commit().map_err(db_err)
    }
}

/// A `Put` of a JSON record.
pub fn put<T: Serialize>(table: Table, key: impl Into<String>, value: &T) -> Change {
    Change::Put(
        table,
        key.into(),
        serde_json::to_vec(value).expect("records serialize"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(store: &Store) -> Vec<String> {
        let txn = store.db.begin_read().expect("read");
        let t = txn.open_table(REVOKED.def()).expect("table");
        t.iter()
            .expect("iter")
            .map(|row| row.expect("row").0.value().to_string())
            .collect()
    }

    #[test]
    fn writes_survive_a_reopen_and_old_refresh_records_are_dropped() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("s.redb");
        let store = Store::open(&path).expect("open");
        store
            .write(vec![put(REVOKED, "a", &1), put(REVOKED, "b", &1)])
            .expect("write");
        store
            .write(vec![Change::Delete(REVOKED, "a".into())])
            .expect("write");
        {
            let txn = store.db.begin_write().expect("write");
            let old: TableDefinition<&str, &[u8]> = TableDefinition::new("refresh");
            txn.open_table(old)
                .expect("table")
                .insert("x", &b"{}"[..])
                .expect("insert");
            txn.commit().expect("commit");
        }
        drop(store);
        let store = Store::open(&path).expect("reopen");
        assert_eq!(keys(&store), ["b"]);
        let txn = store.db.begin_read().expect("read");
        let old: TableDefinition<&str, &[u8]> = TableDefinition::new("refresh");
        assert!(
            txn.open_table(old).is_err(),
            "the old refresh table is gone"
        );
    }
}
