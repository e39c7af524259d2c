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
    /// Refresh tokens by origin_jti.
    Refresh,
}

/// Pools by id.
pub const POOLS: Table = Table::Pools;
/// Clients by id.
pub const CLIENTS: Table = Table::Clients;
/// Users by `<poolId>/<username>`.
pub const USERS: Table = Table::Users;
/// Refresh tokens by origin_jti.
pub const REFRESH: Table = Table::Refresh;

impl Table {
    fn def(self) -> TableDefinition<'static, &'static str, &'static [u8]> {
        TableDefinition::new(match self {
            Table::Pools => "pools",
            Table::Clients => "clients",
            Table::Users => "users",
            Table::Refresh => "refresh",
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

/// The database.
#[derive(Debug)]
pub struct Store {
    db: Database,
    /// A lazy write happened since the last durable commit.
    dirty: std::sync::atomic::AtomicBool,
}

impl Store {
    /// Opens (or creates) `path`, checking its format.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        let db = Database::create(path).map_err(|e| match e {
            redb::DatabaseError::UpgradeRequired(v) => StoreError::Incompatible {
                found: format!("redb file format {v}"),
            },
            other => db_err(format!("{}: {other}", path.display())),
        })?;
        let store = Store {
            db,
            dirty: std::sync::atomic::AtomicBool::new(false),
        };
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
            for t in [POOLS, CLIENTS, USERS, REFRESH] {
                txn.open_table(t.def()).map_err(db_err)?;
            }
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

    /// One `META` entry.
    pub fn meta(&self, key: &str) -> Result<Option<String>, StoreError> {
        let txn = self.db.begin_read().map_err(db_err)?;
        let t = txn.open_table(META).map_err(db_err)?;
        Ok(t.get(key).map_err(db_err)?.map(|v| v.value().to_string()))
    }

    /// Applies changes in one durable transaction.
    pub fn write(&self, changes: Vec<Change>) -> Result<(), StoreError> {
        self.commit(changes, redb::Durability::Immediate)
    }

    /// Applies changes without waiting for the disk; [`Store::flush`] makes them durable.
    /// For records whose loss in a crash costs little (a refresh token: sign in again).
    pub fn write_lazy(&self, changes: Vec<Change>) -> Result<(), StoreError> {
        self.dirty.store(true, std::sync::atomic::Ordering::SeqCst);
        self.commit(changes, redb::Durability::None)
    }

    /// Makes every lazy write durable (a no-op when there is none).
    pub fn flush(&self) -> Result<(), StoreError> {
        if self.dirty.swap(false, std::sync::atomic::Ordering::SeqCst) {
            self.commit(Vec::new(), redb::Durability::Immediate)?;
        }
        Ok(())
    }

    fn commit(&self, changes: Vec<Change>, durability: redb::Durability) -> Result<(), StoreError> {
        let mut txn = self.db.begin_write().map_err(db_err)?;
        txn.set_durability(durability).map_err(db_err)?;
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
