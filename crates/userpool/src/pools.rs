//! [`UserPools`]: every pool, client, user and refresh token of one state dir, in memory for
//! reads and written through to the store on every change.
//!
//! Locking: one `RwLock` over the state, held for reading or for applying changes in memory,
//! never across I/O. Changes go through [`UserPools::transact`] (`tx.rs`): writers take turns,
//! so a check and the write it guards are atomic (concurrent sign-ups of one name have exactly
//! one winner). Operations run on the blocking pool (never on the async threads); slow work
//! (argon2, SRP math) happens before a transaction starts.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard, RwLock, RwLockReadGuard, RwLockWriteGuard};

use serde_json::{Value as Json, json};

use crate::error::{CognitoError, Result};
use crate::model::{ClientConfig, PoolConfig, RefreshClaims, User};
use crate::outbox::Outbox;
use crate::srp::ServerStep;
use crate::store::{self, Change, Store, StoreError};
use crate::token::PoolKeys;
use common::date::now_secs;
use common::encoding::b64url;
use common::id::{random_bytes, uuid};

/// Where the service keeps its state and how it names itself.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The state dir: the store, `keys/`, `outbox.jsonl`.
    pub state_dir: PathBuf,
    /// Region in pool ids and ARNs.
    pub region: String,
    /// Account id in ARNs.
    pub account_id: String,
    /// `http://127.0.0.1:9229`: the prefix of every pool's issuer.
    pub base_url: String,
}

/// One pool in memory.
#[derive(Debug)]
pub struct PoolEntry {
    /// Its settings.
    pub config: PoolConfig,
    /// Users by stored username.
    pub users: HashMap<String, User>,
    /// Sign-in aliases (lower-cased email) -> stored username.
    pub aliases: HashMap<String, String>,
    /// Signing keys, shared with verifiers.
    pub keys: Arc<PoolKeys>,
}

impl PoolEntry {
    /// A pool with no users yet.
    pub fn new(config: PoolConfig, keys: Arc<PoolKeys>) -> PoolEntry {
        PoolEntry {
            config,
            users: HashMap::new(),
            aliases: HashMap::new(),
            keys,
        }
    }

    /// The user signing in as `name`: by username, or by an alias (email).
    pub fn find(&self, name: &str) -> Option<&User> {
        self.users.get(name).or_else(|| {
            self.aliases
                .get(&name.to_lowercase())
                .and_then(|u| self.users.get(u))
        })
    }

    /// The stored username for `name`, if such a user exists.
    pub fn resolve(&self, name: &str) -> Option<String> {
        self.find(name).map(|u| u.username.clone())
    }

    /// Recomputes the aliases of one user (after create, update or delete).
    pub fn reindex(&mut self, username: &str) {
        self.aliases.retain(|_, u| u != username);
        let Some(user) = self.users.get(username) else {
            return;
        };
        let email_alias = self.config.email_is_username()
            || (self.config.alias_attributes.iter().any(|a| a == "email")
                && user.attributes.get("email_verified").map(String::as_str) == Some("true"));
        if email_alias && let Some(email) = user.attributes.get("email") {
            self.aliases
                .insert(email.to_lowercase(), username.to_string());
        }
    }
}

/// Everything in memory.
#[derive(Debug, Default)]
pub struct State {
    /// Pools by id.
    pub pools: HashMap<String, PoolEntry>,
    /// Clients by id.
    pub clients: HashMap<String, ClientConfig>,
    /// Revoked refresh tokens (RevokeToken): jti -> when the token expires anyway.
    pub revoked: HashMap<String, u64>,
}

/// A challenge waiting for its answer.
#[derive(Debug, Clone)]
pub struct Session {
    /// Pool.
    pub pool_id: String,
    /// Client that started it.
    pub client_id: String,
    /// Stored username.
    pub username: String,
    /// Epoch seconds.
    pub expires: u64,
    /// Which challenge.
    pub purpose: Purpose,
}

/// The challenge a session is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Purpose {
    /// NEW_PASSWORD_REQUIRED.
    NewPassword,
    /// SOFTWARE_TOKEN_MFA.
    SoftwareTokenMfa,
    /// MFA_SETUP: the secret handed out, and whether a code of it was verified.
    MfaSetup {
        /// The secret AssociateSoftwareToken gave.
        secret: Option<Vec<u8>>,
        /// VerifySoftwareToken took a code of it.
        verified: bool,
    },
}

/// An SRP exchange between its two calls, found again by its SECRET_BLOCK.
#[derive(Debug, Clone)]
pub struct SrpPending {
    /// Pool.
    pub pool_id: String,
    /// Client that started it.
    pub client_id: String,
    /// Stored username (also USER_ID_FOR_SRP).
    pub username: String,
    /// The server's half.
    pub step: ServerStep,
    /// Epoch seconds.
    pub expires: u64,
}

/// Why the service could not start.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    /// The store.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A file in the state dir.
    #[error("{0}")]
    Io(String),
}

/// The user pool service's state.
#[derive(Debug)]
pub struct UserPools {
    /// How it was started.
    pub settings: Settings,
    store: Store,
    state: RwLock<State>,
    /// Taken by a transaction from its first read to its last write: writers take turns.
    writer: Mutex<()>,
    sessions: Mutex<HashMap<String, Session>>,
    srp: Mutex<HashMap<String, SrpPending>>,
    /// Delivered messages.
    pub outbox: Outbox,
    /// Passwords already checked against a stored hash: HMAC(secret, pool, user, password) ->
    /// the hash it matched. A repeated sign-in skips argon2; a changed password misses.
    verified: Mutex<HashMap<[u8; 32], String>>,
    /// The per-process key of `verified` (never stored).
    verified_key: [u8; 32],
    /// The key codes are stored under: the store holds HMAC-SHA256(key, code), never a code
    /// (`keys/codes.key`, 0600).
    code_key: [u8; 32],
    /// Where triggers run (set once the stack's functions exist; `None`: a pool with triggers
    /// refuses the calls that would run them).
    pub(crate) triggers: RwLock<Option<Arc<dyn crate::triggers::Invoke>>>,
    /// CUSTOM_AUTH exchanges between their calls, by session.
    pub(crate) custom: Mutex<HashMap<String, crate::ops::custom::CustomSession>>,
    /// The hosted UI's codes, flows and signed-in browsers.
    pub(crate) hosted: crate::hosted::HostedState,
}

/// Reads (or makes) the key confirmation and reset codes are stored under.
fn code_key(keys: &std::path::Path) -> std::result::Result<[u8; 32], String> {
    let path = keys.join("codes.key");
    match std::fs::read(&path) {
        Ok(bytes) => bytes.try_into().map_err(|_| {
            format!(
                "{}: not a 32-byte key; move it away to make a new one",
                path.display()
            )
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            common::fs::create_private_dir(keys).map_err(|e| format!("{}: {e}", keys.display()))?;
            let mut key = [0u8; 32];
            random_bytes(&mut key);
            common::fs::write_private(&path, &key)
                .map_err(|e| format!("{}: {e}", path.display()))?;
            Ok(key)
        }
        Err(e) => Err(format!("{}: {e}", path.display())),
    }
}

/// How many verified passwords are remembered before the cache starts over.
const VERIFIED_LIMIT: usize = 10_000;

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl UserPools {
    /// Opens the state dir (creating it), loading every pool, client, user and key.
    pub fn open(settings: Settings) -> std::result::Result<UserPools, OpenError> {
        let dir = &settings.state_dir;
        let io =
            |p: &std::path::Path, e: std::io::Error| OpenError::Io(format!("{}: {e}", p.display()));
        common::fs::create_private_dir(dir).map_err(|e| io(dir, e))?;
        // Created 0600 before redb opens it (redb fills an empty file).
        let db = dir.join("userpool.redb");
        common::fs::open_private(&db, true).map_err(|e| io(&db, e))?;
        let store = Store::open(&db)?;
        let code_key = code_key(&dir.join("keys")).map_err(OpenError::Io)?;
        let outbox = Outbox::open(&dir.join("outbox.jsonl"))
            .map_err(|e| OpenError::Io(format!("{}: {e}", dir.join("outbox.jsonl").display())))?;
        let mut state = State::default();
        for config in store.load_all::<PoolConfig>(store::POOLS)? {
            let keys =
                PoolKeys::load_or_create(&dir.join("keys"), &config.id).map_err(OpenError::Io)?;
            state
                .pools
                .insert(config.id.clone(), PoolEntry::new(config, Arc::new(keys)));
        }
        for client in store.load_all::<ClientConfig>(store::CLIENTS)? {
            state.clients.insert(client.id.clone(), client);
        }
        for user in store.load_all::<StoredUser>(store::USERS)? {
            if let Some(pool) = state.pools.get_mut(&user.pool_id) {
                let name = user.user.username.clone();
                pool.users.insert(name.clone(), user.user);
                pool.reindex(&name);
            }
        }
        for (jti, exp) in store.load_pairs::<u64>(store::REVOKED)? {
            state.revoked.insert(jti, exp);
        }
        let pools = UserPools {
            settings,
            store,
            state: RwLock::new(state),
            writer: Mutex::new(()),
            sessions: Mutex::new(HashMap::new()),
            srp: Mutex::new(HashMap::new()),
            outbox,
            verified: Mutex::new(HashMap::new()),
            code_key,
            triggers: RwLock::new(None),
            custom: Mutex::new(HashMap::new()),
            hosted: crate::hosted::HostedState::default(),
            verified_key: {
                let mut k = [0u8; 32];
                random_bytes(&mut k);
                k
            },
        };
        pools
            .prune_revoked()
            .map_err(|e| OpenError::Io(e.to_string()))?;
        Ok(pools)
    }

    /// Reads the state.
    pub fn read(&self) -> RwLockReadGuard<'_, State> {
        self.state
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The state for applying changes in memory: only transactions (and the lazy refresh
    /// records) take it, and never across I/O.
    pub(crate) fn write_state(&self) -> RwLockWriteGuard<'_, State> {
        self.state
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// A transaction's turn to write.
    pub(crate) fn writer_turn(&self) -> MutexGuard<'_, ()> {
        lock(&self.writer)
    }

    /// Stores changes durably (the lazy ones waiting go first).
    pub(crate) fn store_durably(
        &self,
        changes: Vec<Change>,
    ) -> std::result::Result<(), StoreError> {
        self.store.write(changes)
    }

    /// Whether `password` matches the stored argon2 `hash`, remembering a match so the same
    /// sign-in again costs an HMAC instead of argon2.
    pub fn password_matches(
        &self,
        pool_id: &str,
        username: &str,
        password: &str,
        hash: &str,
    ) -> bool {
        let key = common::digest::hmac_sha256(
            &self.verified_key,
            &[
                pool_id.as_bytes(),
                b"\0",
                username.as_bytes(),
                b"\0",
                password.as_bytes(),
            ],
        );
        if lock(&self.verified).get(&key).is_some_and(|h| h == hash) {
            return true;
        }
        if !crate::password::verify(password, hash) {
            return false;
        }
        let mut cache = lock(&self.verified);
        if cache.len() >= VERIFIED_LIMIT {
            cache.clear();
        }
        cache.insert(key, hash.to_string());
        true
    }

    /// A new six-digit code valid for `ttl` seconds: what the store keeps (its digest)
    /// and what the message carries (the code).
    pub fn new_code(&self, ttl: u64) -> (crate::model::Code, String) {
        let code = common::id::random_string(b"0123456789", 6);
        let stored = crate::model::Code {
            digest: common::encoding::hex(&common::digest::hmac_sha256(
                &self.code_key,
                &[code.as_bytes()],
            )),
            expires: now_secs() + ttl,
        };
        (stored, code)
    }

    /// Checks a code the user typed against the one sent, in constant time.
    pub fn check_code(&self, stored: Option<&crate::model::Code>, given: &str) -> Result<()> {
        let Some(code) = stored else {
            return Err(CognitoError::expired_code());
        };
        if code.expires <= now_secs() {
            return Err(CognitoError::expired_code());
        }
        let digest = common::encoding::hex(&common::digest::hmac_sha256(
            &self.code_key,
            &[given.as_bytes()],
        ));
        if !common::digest::constant_time_eq(code.digest.as_bytes(), digest.as_bytes()) {
            return Err(CognitoError::code_mismatch());
        }
        Ok(())
    }

    /// The issuer of a pool's tokens: AWS's, `https://cognito-idp.<region>.amazonaws.com/<poolId>`,
    /// as code that verifies Cognito tokens expects it (aws-jwt-verify builds it from the pool
    /// id). The pool's discovery document and keys are served locally (`local_issuer`).
    pub fn issuer(&self, pool_id: &str) -> String {
        format!(
            "https://cognito-idp.{}.amazonaws.com/{pool_id}",
            self.settings.region
        )
    }

    /// Where the pool's `/.well-known/*` documents are served locally: `<endpoint>/<poolId>`.
    pub fn local_issuer(&self, pool_id: &str) -> String {
        format!("{}/{}", self.settings.base_url, pool_id)
    }

    /// The pool whose issuer is `iss` (`https://cognito-idp.<region>.amazonaws.com/<poolId>`,
    /// exactly), and its keys.
    pub fn keys_for_issuer(&self, iss: &str) -> Option<(String, Arc<PoolKeys>)> {
        let aws = format!(
            "https://cognito-idp.{}.amazonaws.com/",
            self.settings.region
        );
        // Only the issuer the pool signs with: a token naming the local URL was not issued here.
        let pool_id = iss.strip_prefix(&aws)?;
        let state = self.read();
        state
            .pools
            .get(pool_id)
            .map(|p| (pool_id.to_string(), Arc::clone(&p.keys)))
    }

    /// The local pools' ids.
    pub fn pool_ids(&self) -> Vec<String> {
        self.read().pools.keys().cloned().collect()
    }

    /// Whether `pool_id` is a local pool.
    pub fn has_pool(&self, pool_id: &str) -> bool {
        self.read().pools.contains_key(pool_id)
    }

    /// The pool a client belongs to.
    pub fn client_pool(&self, client_id: &str) -> Option<String> {
        self.read()
            .clients
            .get(client_id)
            .map(|c| c.pool_id.clone())
    }

    /// Makes a new pool's keys (on disk, mode 0600).
    pub fn new_keys(&self, pool_id: &str) -> Result<Arc<PoolKeys>> {
        PoolKeys::load_or_create(&self.settings.state_dir.join("keys"), pool_id)
            .map(Arc::new)
            .map_err(|e| CognitoError::internal("signing keys", e))
    }

    /// Removes a deleted pool's key file.
    pub fn drop_keys(&self, pool_id: &str) {
        let path = self
            .settings
            .state_dir
            .join("keys")
            .join(format!("{pool_id}.json"));
        if let Err(e) = std::fs::remove_file(&path) {
            tracing::warn!("cannot remove {}: {e}", path.display());
        }
    }

    /// Starts a challenge session.
    pub fn new_session(&self, s: Session) -> String {
        let mut raw = [0u8; 96];
        random_bytes(&mut raw);
        let token = b64url(&raw);
        let mut sessions = lock(&self.sessions);
        let now = now_secs();
        sessions.retain(|_, v| v.expires > now);
        sessions.insert(token.clone(), s);
        token
    }

    /// Takes a session (single use): `None` when unknown, used or expired.
    pub fn take_session(&self, token: &str) -> Option<Session> {
        let s = lock(&self.sessions).remove(token)?;
        (s.expires > now_secs()).then_some(s)
    }

    /// A session as it is, without taking it.
    pub fn peek_session(&self, token: &str) -> Option<Session> {
        lock(&self.sessions)
            .get(token)
            .filter(|s| s.expires > now_secs())
            .cloned()
    }

    /// Puts back a session taken by mistake (the answer was refused before it was used).
    pub fn restore_session(&self, token: &str, s: Session) {
        lock(&self.sessions).insert(token.to_string(), s);
    }

    /// Parks an SRP exchange under its secret block.
    pub fn park_srp(&self, p: SrpPending) {
        let mut srp = lock(&self.srp);
        let now = now_secs();
        srp.retain(|_, v| v.expires > now);
        srp.insert(p.step.secret_block.clone(), p);
    }

    /// Takes a parked SRP exchange (single use).
    pub fn take_srp(&self, secret_block: &str) -> Option<SrpPending> {
        let p = lock(&self.srp).remove(secret_block)?;
        (p.expires > now_secs()).then_some(p)
    }

    /// The physical id recorded for a template resource.
    pub fn logical(&self, logical_id: &str) -> Result<Option<String>> {
        self.store
            .meta(&format!("logical/{logical_id}"))
            .map_err(|e| CognitoError::internal("store read", e))
    }

    /// Records the physical id of a template resource.
    pub fn set_logical(&self, logical_id: &str, physical: &str) -> Result<()> {
        self.transact(|_, tx| {
            tx.meta(format!("logical/{logical_id}"), physical.to_string());
            Ok(())
        })
    }

    /// Issues ID and access tokens, and a refresh token when `refresh` is None (a new
    /// sign-in; a refresh continues the sign-in its token names), after the pool's
    /// PreTokenGeneration trigger (its `triggerSource` is `source`). Call it with no lock held:
    /// it signs (slow). Nothing is written: the refresh token carries what a refresh needs.
    pub fn issue_tokens(
        &self,
        keys: &PoolKeys,
        client: &ClientConfig,
        user: &User,
        refresh: Option<&RefreshClaims>,
        source: &str,
    ) -> Result<Json> {
        let oauth = refresh
            .and_then(|r| r.scopes.clone())
            .map(|scopes| OAuthGrant {
                scopes,
                nonce: None,
            });
        self.issue_tokens_for(keys, client, user, refresh, source, oauth.as_ref())
    }

    /// [`UserPools::issue_tokens`] for an OAuth grant (`oauth`): the access token's `scope` is
    /// the granted scopes and it carries `version: 2`; the ID token carries `nonce`, and is
    /// issued only when `openid` was granted; the refresh token keeps the scopes.
    pub fn issue_tokens_for(
        &self,
        keys: &PoolKeys,
        client: &ClientConfig,
        user: &User,
        refresh: Option<&RefreshClaims>,
        source: &str,
        oauth: Option<&OAuthGrant>,
    ) -> Result<Json> {
        let now = now_secs();
        let (origin_jti, auth_time) = match refresh {
            Some(r) => (r.jti.clone(), r.auth_time),
            None => (common::id::uuid_v7().0, now),
        };
        let iss = self.issuer(&client.pool_id);
        let event_id = uuid();
        let sub = user.sub();

        let mut id = serde_json::Map::new();
        for (k, v) in user.attributes.iter().filter(|(k, _)| client.can_read(k)) {
            let value = match k.as_str() {
                "email_verified" | "phone_number_verified" => Json::Bool(v == "true"),
                _ => Json::String(v.clone()),
            };
            id.insert(k.clone(), value);
        }
        id.insert("sub".into(), json!(sub));
        id.insert("iss".into(), json!(iss));
        id.insert("cognito:username".into(), json!(user.username));
        id.insert("origin_jti".into(), json!(origin_jti));
        id.insert("aud".into(), json!(client.id));
        id.insert("event_id".into(), json!(event_id));
        id.insert("token_use".into(), json!("id"));
        id.insert("auth_time".into(), json!(auth_time));
        id.insert("exp".into(), json!(now + client.id_validity));
        id.insert("iat".into(), json!(now));
        id.insert("jti".into(), json!(uuid()));
        let pool = self
            .read()
            .pools
            .get(&client.pool_id)
            .map(|p| p.config.clone());
        let (mut groups, mut roles, mut preferred) = pool
            .as_ref()
            .map(|p| crate::ops::groups::token_groups(p, user))
            .unwrap_or_default();
        let mut scopes = match oauth {
            Some(o) => o.scopes.clone(),
            None => vec!["aws.cognito.signin.user.admin".to_string()],
        };
        let overrides = match &pool {
            Some(p) => crate::ops::tokens::pre_token_generation(
                self, p, client, user, source, &groups, &roles, &preferred, &scopes,
            )?,
            None => None,
        };
        if let Some(o) = &overrides {
            if let Some((g, r, p)) = &o.groups {
                (groups, roles, preferred) = (g.clone(), r.clone(), p.clone());
            }
            scopes.retain(|s| !o.scopes_to_suppress.contains(s));
            for s in &o.scopes_to_add {
                if !scopes.contains(s) {
                    scopes.push(s.clone());
                }
            }
        }
        if !groups.is_empty() {
            id.insert("cognito:groups".into(), json!(groups));
        }
        if !roles.is_empty() {
            id.insert("cognito:roles".into(), json!(roles));
        }
        if let Some(role) = &preferred {
            id.insert("cognito:preferred_role".into(), json!(role));
        }

        let mut access = json!({
            "sub": sub,
            "iss": iss,
            "client_id": client.id,
            "origin_jti": origin_jti,
            "event_id": event_id,
            "token_use": "access",
            "scope": scopes.join(" "),
            "auth_time": auth_time,
            "exp": now + client.access_validity,
            "iat": now,
            "jti": uuid(),
            "username": user.username,
        });
        if !groups.is_empty() {
            access["cognito:groups"] = json!(groups);
        }
        if let Some(o) = &overrides {
            crate::ops::tokens::apply(&mut id, &o.id);
            if let Json::Object(a) = &mut access {
                crate::ops::tokens::apply(a, &o.access);
            }
        }
        if let Some(g) = oauth {
            access["version"] = json!(2);
            if let Some(n) = &g.nonce {
                id.insert("nonce".into(), json!(n));
            }
        }
        let with_id_token = oauth.is_none_or(|g| g.scopes.iter().any(|s| s == "openid"));

        let mut result = json!({
            "AccessToken": keys.access.sign(&access),
            "ExpiresIn": client.access_validity,
            "TokenType": "Bearer",
        });
        if with_id_token {
            result["IdToken"] = json!(keys.id.sign(&Json::Object(id)));
        }
        if refresh.is_none() {
            let claims = RefreshClaims {
                jti: origin_jti,
                client_id: client.id.clone(),
                username: user.username.clone(),
                sub: sub.to_string(),
                auth_time,
                exp: now + client.refresh_validity,
                scopes: oauth.map(|g| g.scopes.clone()),
            };
            let payload = serde_json::to_vec(&claims).expect("claims serialize");
            result["RefreshToken"] = json!(keys.refresh.seal(&payload));
        }
        Ok(result)
    }

    /// What a refresh token of `keys`'s pool holds; `None` for a token that pool did not seal.
    pub fn refresh_claims(keys: &PoolKeys, token: &str) -> Option<RefreshClaims> {
        serde_json::from_slice(&keys.refresh.open(token)?).ok()
    }

    /// Whether the session `origin_jti` of `user` was revoked: by RevokeToken of its refresh
    /// token, or by a GlobalSignOut after it began.
    pub fn session_revoked(state: &State, user: &User, origin_jti: &str) -> bool {
        if state.revoked.contains_key(origin_jti) {
            return true;
        }
        // A session began in the millisecond its jti was made (a version 7 UUID); one that
        // is not such a UUID predates sign-out tracking, and counts as begun at 0.
        let began = common::id::uuid_v7_millis(origin_jti).unwrap_or(0);
        user.sessions_revoked_ms > 0 && began <= user.sessions_revoked_ms
    }

    /// Drops revocations of tokens that have expired anyway (at start and on each revocation).
    pub(crate) fn prune_revoked(&self) -> Result<()> {
        let now = now_secs();
        self.transact(|state, tx| {
            for (jti, exp) in &state.revoked {
                if *exp <= now {
                    tx.unrevoke(jti);
                }
            }
            Ok(())
        })
    }
}

/// What an OAuth flow granted: the scopes, and the `nonce` the client sent.
#[derive(Debug, Clone, Default)]
pub struct OAuthGrant {
    /// Granted scopes.
    pub scopes: Vec<String>,
    /// The authorize request's `nonce`.
    pub nonce: Option<String>,
}

/// A user as stored: with its pool, since the key alone is not parsed back.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
pub struct StoredUser {
    /// Pool.
    pub pool_id: String,
    /// The user.
    #[serde(flatten)]
    pub user: User,
}

/// A user as stored, borrowed (what [`StoredUser`] reads back).
#[derive(Debug, serde::Serialize)]
pub(crate) struct StoredUserRef<'a> {
    pub(crate) pool_id: &'a str,
    #[serde(flatten)]
    pub(crate) user: &'a User,
}

/// The store key of a user.
pub fn user_key(pool_id: &str, username: &str) -> String {
    format!("{pool_id}/{username}")
}
