//! Cognito identity pools (`cognito-identity`): identities in pools, the logins that own them,
//! and the role each gets credentials of, as Cognito's developer guide describes it
//! ("Identity pools authentication flow", "Role-based access control"):
//!
//! - an identity with no login is unauthenticated (only in a pool that allows them) and gets
//!   the pool's `unauthenticated` role;
//! - an authenticated one gets its provider's role mapping (`Token`: the `CustomRoleArn` asked
//!   for if the token's `cognito:roles` holds it, else `cognito:preferred_role`; `Rules`: the
//!   first rule whose claim matches), else `AmbiguousRoleResolution` (`AuthenticatedRole`, or
//!   `Deny`), else the `authenticated` role;
//! - the role's trust policy must allow `sts:AssumeRoleWithWebIdentity` by the federated
//!   principal `cognito-identity.amazonaws.com`, with the conditions
//!   `cognito-identity.amazonaws.com:aud` (the pool), `:amr` and `:sub` (the identity).
//!
//! The operations and their wire are in [`ops`]. Identities are kept in the state dir.

pub mod ops;

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::{Arc, RwLock};

use serde_json::{Value as Json, json};

use crate::Iam;

/// The federated principal identity pools vouch for callers as.
pub const FEDERATED: &str = "cognito-identity.amazonaws.com";

/// How long identity pool credentials last. Cognito documents one hour for the enhanced flow
/// (its `GetCredentialsForIdentity` sessions); chosen here too.
pub const CREDENTIALS_SECS: i64 = 3600;

/// Verifies the ID tokens of `Logins` for the providers the pools name (the CLI meets it with
/// the local user pools).
pub trait Logins: Send + Sync + std::fmt::Debug {
    /// The claims of `token`, an ID token of `provider`
    /// (`cognito-idp.<region>.amazonaws.com/<poolId>`), or Cognito's message for why not
    /// (`Invalid login token. …`).
    fn verify(&self, provider: &str, token: &str) -> Result<Json, String>;
}

/// An identity: its pool and the logins (`<provider>:<sub>`) that own it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    /// Its pool.
    pub pool_id: String,
    /// `<provider>:<sub>` of each linked login.
    pub logins: BTreeSet<String>,
    /// Seconds since the epoch.
    pub created: i64,
    /// Seconds since the epoch.
    pub modified: i64,
}

/// A pool: `DescribeIdentityPool`'s shape, and `GetIdentityPoolRoles`'.
#[derive(Debug, Clone, PartialEq)]
pub struct Pool {
    /// `IdentityPoolId`, `IdentityPoolName`, `AllowUnauthenticatedIdentities`, ….
    pub config: Json,
    /// `Roles`, `RoleMappings`.
    pub roles: Json,
}

impl Pool {
    fn allows_unauthenticated(&self) -> bool {
        self.config["AllowUnauthenticatedIdentities"] == true
    }

    /// The pool's `ClientId`s for `provider`.
    fn clients_of(&self, provider: &str) -> Vec<&str> {
        self.config["CognitoIdentityProviders"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|p| p["ProviderName"] == provider)
            .filter_map(|p| p["ClientId"].as_str())
            .collect()
    }
}

#[derive(Debug, Default)]
struct State {
    pools: BTreeMap<String, Pool>,
    identities: BTreeMap<String, Identity>,
    /// The template's pools: served from the template on each start, never saved (a pool
    /// removed from the template is gone).
    from_template: BTreeSet<String>,
}

/// The most identities kept in one pool: each unauthenticated `GetId` makes one, and nobody
/// signs it.
pub const IDENTITY_LIMIT: usize = 10_000;

/// The identity pools and their identities.
#[derive(Debug)]
pub struct IdentityPools {
    state: RwLock<State>,
    iam: Arc<Iam>,
    logins: Arc<dyn Logins>,
    /// `identity-pools.json` in the state dir, when identities are kept.
    path: Option<PathBuf>,
    writing: std::sync::Mutex<()>,
    /// Signs `GetOpenIdToken`'s tokens: made on first use (an RSA-2048 key takes ~100 ms to
    /// make, which a start of a stack without identity pools should not pay), or by
    /// [`IdentityPools::prepare`] off the async thread.
    signer: std::sync::OnceLock<common::jwt::SigningKey>,
    region: String,
}

/// An error of the service: `__type` and `message`, 400.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    /// `__type`.
    pub kind: &'static str,
    /// `message`.
    pub message: String,
}

impl Error {
    fn new(kind: &'static str, message: impl Into<String>) -> Error {
        Error {
            kind,
            message: message.into(),
        }
    }

    fn not_authorized(message: impl Into<String>) -> Error {
        Error::new("NotAuthorizedException", message)
    }

    fn pool_not_found(id: &str) -> Error {
        Error::new(
            "ResourceNotFoundException",
            format!("IdentityPool '{id}' not found."),
        )
    }

    /// amplify-js#2301 shows the text; Amplify matches on it.
    fn identity_not_found(id: &str) -> Error {
        Error::new(
            "ResourceNotFoundException",
            format!("Identity '{id}' not found."),
        )
    }

    fn bad_roles() -> Error {
        Error::new(
            "InvalidIdentityPoolConfigurationException",
            "Invalid identity pool configuration. Check assigned IAM roles for this pool.",
        )
    }
}

/// What a request's `Logins` proved: `<provider>:<sub>` keys and each provider's claims.
#[derive(Debug, Default)]
struct Proven {
    keys: BTreeSet<String>,
    claims: BTreeMap<String, Json>,
}

impl IdentityPools {
    /// The pools of the template (`config`, `roles` in the API's shapes), the identities kept
    /// in `path` (when given) from earlier starts.
    pub fn new(
        iam: Arc<Iam>,
        logins: Arc<dyn Logins>,
        pools: Vec<Pool>,
        path: Option<PathBuf>,
    ) -> IdentityPools {
        let mut state = State::default();
        if let Some(saved) = path
            .as_ref()
            .and_then(|p| std::fs::read_to_string(p).ok())
            .and_then(|t| serde_json::from_str::<Json>(&t).ok())
        {
            state = load(&saved);
        }
        for p in pools {
            let id = p.config["IdentityPoolId"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            state.from_template.insert(id.clone());
            state.pools.insert(id, p);
        }
        IdentityPools {
            state: RwLock::new(state),
            region: iam.region().to_string(),
            iam,
            logins,
            path,
            writing: std::sync::Mutex::new(()),
            signer: std::sync::OnceLock::new(),
        }
    }

    /// Makes the token signing key now (blocking: call it off the async thread) if the stack
    /// has identity pools, so that no request waits for it.
    pub fn prepare(&self) {
        if !self.read().pools.is_empty() {
            self.signer();
        }
    }

    fn signer(&self) -> &common::jwt::SigningKey {
        self.signer
            .get_or_init(|| common::jwt::SigningKey::generate().0)
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, State> {
        self.state
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, State> {
        self.state
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Writes the pools and identities to the state dir (0600), as they are now: blocking, so
    /// called off the async threads. Writers take turns, each writing the state it finds, so
    /// the last write holds the latest state.
    pub fn persist(&self) -> std::io::Result<()> {
        let Some(path) = &self.path else {
            return Ok(());
        };
        let _turn = self
            .writing
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let bytes = save(&self.read()).to_string().into_bytes();
        common::fs::write_private(path, &bytes)
    }

    /// The pool an identity is in.
    pub fn pool_of(&self, identity_id: &str) -> Option<String> {
        self.read()
            .identities
            .get(identity_id)
            .map(|i| i.pool_id.clone())
    }

    /// The pools, for the start-up summary: id, name, and roles.
    pub fn summary(&self) -> Vec<(String, String, Json)> {
        self.read()
            .pools
            .iter()
            .map(|(id, p)| {
                (
                    id.clone(),
                    p.config["IdentityPoolName"]
                        .as_str()
                        .unwrap_or_default()
                        .to_string(),
                    p.roles["Roles"].clone(),
                )
            })
            .collect()
    }

    /// Checks each login of `logins` (`{provider: id token}`) against `pool`'s providers.
    fn prove(&self, pool: &Pool, logins: &Json) -> Result<Proven, Error> {
        let mut out = Proven::default();
        let Some(map) = logins.as_object() else {
            return Ok(out);
        };
        if map.len() > 10 {
            return Err(Error::new(
                "ValidationException",
                "1 validation error detected: Value at 'logins' failed to satisfy constraint: Member must have length less than or equal to 10",
            ));
        }
        let configured = pool.config["CognitoIdentityProviders"]
            .as_array()
            .is_some_and(|l| !l.is_empty());
        if !map.is_empty() && !configured {
            return Err(Error::not_authorized(format!(
                "Identity pool - {} does not have identity providers configured.",
                pool.config["IdentityPoolId"].as_str().unwrap_or_default()
            )));
        }
        for (provider, token) in map {
            let token = token.as_str().unwrap_or_default();
            let clients = pool.clients_of(provider);
            if clients.is_empty() {
                return Err(Error::not_authorized(
                    "Token is not from a supported provider of this identity pool.",
                ));
            }
            let claims = self
                .logins
                .verify(provider, token)
                .map_err(Error::not_authorized)?;
            // A token for another app client of the same user pool is not from a provider of
            // this identity pool either (the same text, amazon-cognito-identity-js#7).
            if !claims["aud"].as_str().is_some_and(|a| clients.contains(&a)) {
                return Err(Error::not_authorized(
                    "Token is not from a supported provider of this identity pool.",
                ));
            }
            let sub = claims["sub"].as_str().unwrap_or_default();
            out.keys.insert(format!("{provider}:{sub}"));
            out.claims.insert(provider.clone(), claims);
        }
        Ok(out)
    }

    /// The role an identity gets, as the pool's roles and mappings choose it.
    fn choose_role(
        &self,
        pool: &Pool,
        proven: &Proven,
        custom_role: Option<&str>,
    ) -> Result<String, Error> {
        let roles = &pool.roles["Roles"];
        let Some((provider, claims)) = proven.claims.iter().next() else {
            return roles["unauthenticated"]
                .as_str()
                .map(str::to_string)
                .ok_or_else(Error::bad_roles);
        };
        // A user pool's mapping is keyed by `<provider>:<clientId>`; one keyed by the provider
        // alone is a configuration Cognito does not accept for user pools: refused, rather
        // than falling back to the (possibly broader) authenticated role.
        let client = claims["aud"].as_str().unwrap_or_default();
        let mappings = &pool.roles["RoleMappings"];
        if mappings.get(provider).is_some() {
            return Err(Error::bad_roles());
        }
        let mapping = mappings
            .get(format!("{provider}:{client}"))
            .filter(|m| m.is_object());
        let authenticated = || {
            roles["authenticated"]
                .as_str()
                .map(str::to_string)
                .ok_or_else(Error::bad_roles)
        };
        let Some(m) = mapping else {
            return authenticated();
        };
        let chosen = match m["Type"].as_str() {
            Some("Token") => {
                let held: Vec<&str> = match &claims["cognito:roles"] {
                    Json::Array(l) => l.iter().filter_map(Json::as_str).collect(),
                    Json::String(s) => s.split(',').map(str::trim).collect(),
                    _ => Vec::new(),
                };
                match custom_role {
                    Some(r) if held.contains(&r) => Some(r.to_string()),
                    // Cognito's answer here is not captured anywhere public; a refusal is
                    // certain (the role must be one of the token's), its text is ours.
                    Some(_) => {
                        return Err(Error::not_authorized(
                            "Invalid CustomRoleArn: not a role of the token's cognito:roles.",
                        ));
                    }
                    None => claims["cognito:preferred_role"]
                        .as_str()
                        .map(str::to_string),
                }
            }
            Some("Rules") => m["RulesConfiguration"]["Rules"]
                .as_array()
                .into_iter()
                .flatten()
                .find(|rule| rule_matches(rule, claims))
                .and_then(|rule| rule["RoleARN"].as_str())
                .map(str::to_string),
            _ => return Err(Error::bad_roles()),
        };
        match chosen {
            Some(r) => Ok(r),
            None if m["AmbiguousRoleResolution"] == "AuthenticatedRole" => authenticated(),
            None => Err(Error::not_authorized(format!(
                "The ambiguous role mapping rules for: {provider} denied this request."
            ))),
        }
    }

    /// The claims of one of this stack's `GetOpenIdToken` tokens (what
    /// `AssumeRoleWithWebIdentity` is given in the classic flow), or why not.
    pub fn verify_open_id_token(&self, token: &str) -> Result<Json, OpenIdRefusal> {
        let jws = common::jwt::Jws::parse(token).ok_or(OpenIdRefusal::Invalid)?;
        if jws.alg() != "RS256"
            || !self
                .signer()
                .public()
                .verifies(jws.signing_input(), jws.signature())
        {
            return Err(OpenIdRefusal::Invalid);
        }
        let claims = jws.claims;
        if claims["iss"] != format!("https://{FEDERATED}").as_str() {
            return Err(OpenIdRefusal::Invalid);
        }
        match claims["exp"].as_i64() {
            Some(exp) if exp > crate::now() => Ok(claims),
            Some(_) => Err(OpenIdRefusal::Expired),
            None => Err(OpenIdRefusal::Invalid),
        }
    }
}

/// Why an OpenID token of an identity pool was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpenIdRefusal {
    /// Not one of ours, or tampered with.
    Invalid,
    /// Past its `exp`.
    Expired,
}

/// `amr`: `["authenticated", <provider>, "<provider>:CognitoSignIn:<sub>"]` for a user pool
/// login, `["unauthenticated"]` without one (Cognito developer guide, "IAM roles").
fn amr(proven: &Proven) -> Vec<String> {
    match proven.claims.iter().next() {
        Some((provider, claims)) => vec![
            "authenticated".into(),
            provider.clone(),
            format!(
                "{provider}:CognitoSignIn:{}",
                claims["sub"].as_str().unwrap_or_default()
            ),
        ],
        None => vec!["unauthenticated".into()],
    }
}

/// A `Rules` rule against a token's claims: `Equals`, `Contains`, `StartsWith`, `NotEqual`
/// (which a missing claim does not match).
fn rule_matches(rule: &Json, claims: &Json) -> bool {
    let Some(claim) = rule["Claim"].as_str() else {
        return false;
    };
    let want = rule["Value"].as_str().unwrap_or_default();
    let values: Vec<String> = match &claims[claim] {
        Json::String(s) => vec![s.clone()],
        Json::Array(l) => l
            .iter()
            .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_string))
            .collect(),
        Json::Null => return false,
        other => vec![other.to_string()],
    };
    match rule["MatchType"].as_str() {
        Some("Equals") => values.iter().any(|v| v == want),
        Some("Contains") => values.iter().any(|v| v.contains(want)),
        Some("StartsWith") => values.iter().any(|v| v.starts_with(want)),
        Some("NotEqual") => values.iter().all(|v| v != want),
        _ => false,
    }
}

fn load(saved: &Json) -> State {
    let mut s = State::default();
    for (id, p) in saved["pools"].as_object().into_iter().flatten() {
        s.pools.insert(
            id.clone(),
            Pool {
                config: p["config"].clone(),
                roles: p["roles"].clone(),
            },
        );
    }
    for (id, i) in saved["identities"].as_object().into_iter().flatten() {
        s.identities.insert(
            id.clone(),
            Identity {
                pool_id: i["pool"].as_str().unwrap_or_default().to_string(),
                logins: common::json::strings(&i["logins"]).into_iter().collect(),
                created: i["created"].as_i64().unwrap_or_default(),
                modified: i["modified"].as_i64().unwrap_or_default(),
            },
        );
    }
    s
}

fn save(s: &State) -> Json {
    let pools: serde_json::Map<String, Json> = s
        .pools
        .iter()
        .filter(|(id, _)| !s.from_template.contains(*id))
        .map(|(id, p)| (id.clone(), json!({"config": p.config, "roles": p.roles})))
        .collect();
    let identities: serde_json::Map<String, Json> = s
        .identities
        .iter()
        .map(|(id, i)| {
            (
                id.clone(),
                json!({"pool": i.pool_id, "logins": i.logins, "created": i.created, "modified": i.modified}),
            )
        })
        .collect();
    json!({"pools": pools, "identities": identities})
}

#[cfg(test)]
mod tests;
