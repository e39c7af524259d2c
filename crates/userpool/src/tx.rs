//! The one way to change the pools' state: [`UserPools::transact`] hands a read view of the
//! state and a [`Tx`] to record changes in; the changes reach the store durably, then memory,
//! as one step. Nothing changes in memory that was not persisted, and a forgotten persist
//! cannot happen: there is no other way to write.
//!
//! Writers take turns (a writer lock held from the first read to the last write), so a
//! check and the write it guards are atomic: two ChangePassword calls cannot both pass the
//! same check. Readers never wait for the disk: the state's own lock is taken only to apply
//! the changes in memory, after the store has them.

use std::sync::Arc;

use crate::error::{CognitoError, Result};
use crate::model::{ClientConfig, PoolConfig, User};
use crate::pools::{PoolEntry, State, StoredUserRef, UserPools, user_key};
use crate::store::{self, Change};
use crate::token::PoolKeys;

/// One recorded change.
#[derive(Debug)]
enum Op {
    PutPool {
        config: PoolConfig,
        keys: Arc<PoolKeys>,
    },
    DeletePool(String),
    PutClient(ClientConfig),
    DeleteClient(String),
    PutUser {
        pool_id: String,
        user: User,
    },
    DeleteUser {
        pool_id: String,
        username: String,
    },
    Revoke {
        jti: String,
        exp: u64,
    },
    Unrevoke(String),
    Meta(String, String),
}

/// The changes of one transaction, in order.
#[derive(Debug, Default)]
pub struct Tx {
    ops: Vec<Op>,
}

impl Tx {
    /// Creates or replaces a pool (`keys` serve a new one; an existing pool keeps its own).
    pub fn put_pool(&mut self, config: PoolConfig, keys: Arc<PoolKeys>) {
        self.ops.push(Op::PutPool { config, keys });
    }

    /// Deletes a pool (its users, clients and refresh records are separate changes).
    pub fn delete_pool(&mut self, id: &str) {
        self.ops.push(Op::DeletePool(id.into()));
    }

    /// Creates or replaces a client.
    pub fn put_client(&mut self, client: ClientConfig) {
        self.ops.push(Op::PutClient(client));
    }

    /// Deletes a client.
    pub fn delete_client(&mut self, id: &str) {
        self.ops.push(Op::DeleteClient(id.into()));
    }

    /// Creates or replaces a user (its sign-in aliases follow).
    pub fn put_user(&mut self, pool_id: &str, user: User) {
        self.ops.push(Op::PutUser {
            pool_id: pool_id.into(),
            user,
        });
    }

    /// Deletes a user.
    pub fn delete_user(&mut self, pool_id: &str, username: &str) {
        self.ops.push(Op::DeleteUser {
            pool_id: pool_id.into(),
            username: username.into(),
        });
    }

    /// Revokes the refresh token `jti` (and the access tokens issued from it) until it
    /// expires at `exp`.
    pub fn revoke(&mut self, jti: &str, exp: u64) {
        self.ops.push(Op::Revoke {
            jti: jti.into(),
            exp,
        });
    }

    /// Forgets a revocation (the token has expired).
    pub fn unrevoke(&mut self, jti: &str) {
        self.ops.push(Op::Unrevoke(jti.into()));
    }

    /// Records a `META` entry (a template resource's physical id).
    pub fn meta(&mut self, key: String, value: String) {
        self.ops.push(Op::Meta(key, value));
    }

    fn changes(&self) -> Vec<Change> {
        self.ops
            .iter()
            .map(|op| match op {
                Op::PutPool { config, .. } => store::put(store::POOLS, config.id.clone(), config),
                Op::DeletePool(id) => Change::Delete(store::POOLS, id.clone()),
                Op::PutClient(c) => store::put(store::CLIENTS, c.id.clone(), c),
                Op::DeleteClient(id) => Change::Delete(store::CLIENTS, id.clone()),
                Op::PutUser { pool_id, user } => store::put(
                    store::USERS,
                    user_key(pool_id, &user.username),
                    &StoredUserRef { pool_id, user },
                ),
                Op::DeleteUser { pool_id, username } => {
                    Change::Delete(store::USERS, user_key(pool_id, username))
                }
                Op::Revoke { jti, exp } => store::put(store::REVOKED, jti.clone(), exp),
                Op::Unrevoke(jti) => Change::Delete(store::REVOKED, jti.clone()),
                Op::Meta(k, v) => Change::Meta(k.clone(), v.clone()),
            })
            .collect()
    }

    fn apply(self, state: &mut State) {
        for op in self.ops {
            match op {
                Op::PutPool { config, keys } => match state.pools.get_mut(&config.id) {
                    Some(p) => {
                        p.config = config;
                        let names: Vec<String> = p.users.keys().cloned().collect();
                        for n in names {
                            p.reindex(&n);
                        }
                    }
                    None => {
                        state
                            .pools
                            .insert(config.id.clone(), PoolEntry::new(config, keys));
                    }
                },
                Op::DeletePool(id) => {
                    state.pools.remove(&id);
                }
                Op::PutClient(c) => {
                    state.clients.insert(c.id.clone(), c);
                }
                Op::DeleteClient(id) => {
                    state.clients.remove(&id);
                }
                Op::PutUser { pool_id, user } => {
                    if let Some(pool) = state.pools.get_mut(&pool_id) {
                        let name = user.username.clone();
                        pool.users.insert(name.clone(), user);
                        pool.reindex(&name);
                    }
                }
                Op::DeleteUser { pool_id, username } => {
                    if let Some(pool) = state.pools.get_mut(&pool_id) {
                        pool.users.remove(&username);
                        pool.reindex(&username);
                    }
                }
                Op::Revoke { jti, exp } => {
                    state.revoked.insert(jti, exp);
                }
                Op::Unrevoke(jti) => {
                    state.revoked.remove(&jti);
                }
                Op::Meta(..) => {}
            }
        }
    }
}

impl UserPools {
    /// Runs `f` with the state to read and a [`Tx`] to record changes in; if it succeeds, the
    /// changes are stored durably and then applied in memory. An `Err` from `f` changes
    /// nothing. Call it from the blocking pool (the store syncs to disk).
    pub fn transact<T>(&self, f: impl FnOnce(&State, &mut Tx) -> Result<T>) -> Result<T> {
        let _turn = self.writer_turn();
        let mut tx = Tx::default();
        let value = {
            let state = self.read();
            f(&state, &mut tx)?
        };
        if tx.ops.is_empty() {
            return Ok(value);
        }
        self.store_durably(tx.changes())
            .map_err(|e| CognitoError::internal("store write", e))?;
        tx.apply(&mut self.write_state());
        Ok(value)
    }
}
