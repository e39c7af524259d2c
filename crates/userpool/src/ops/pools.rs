//! Pools and clients: create, describe, list, delete; and the pools, clients and users a
//! template declares, created on the first `gatehouse up` and found again (same ids, by logical
//! id) on later ones. The template's properties arrive as the API requests that create them.

use std::sync::Arc;

use serde_json::{Map, Value as Json, json};

use super::{Constraint, Req, no_pool, validation_error};
use crate::error::{CognitoError, Result};
use crate::model::{ClientConfig, PoolConfig};
use crate::password::PasswordPolicy;
use crate::pools::{PoolEntry, UserPools, user_key};
use crate::store::{self, Change};
use common::date::now_f64;
use common::encoding::{b64url, b64url_decode};
use common::id::{LOWER_ALNUM, MIXED_ALNUM, random_string};

/// Fields of CreateUserPool the pool acts on; the rest is kept and echoed.
const POOL_FIELDS: &[&str] = &[
    "PoolName",
    "Policies",
    "UsernameAttributes",
    "AliasAttributes",
    "AutoVerifiedAttributes",
    "AdminCreateUserConfig",
];

const CLIENT_FIELDS: &[&str] = &[
    "UserPoolId",
    "ClientName",
    "GenerateSecret",
    "ClientSecret",
    "ExplicitAuthFlows",
    "PreventUserExistenceErrors",
    "AccessTokenValidity",
    "IdTokenValidity",
    "RefreshTokenValidity",
    "TokenValidityUnits",
    "AuthSessionValidity",
];

const AUTH_FLOW_NAMES: &[&str] = &[
    "ADMIN_NO_SRP_AUTH",
    "CUSTOM_AUTH_FLOW_ONLY",
    "USER_PASSWORD_AUTH",
    "ALLOW_ADMIN_USER_PASSWORD_AUTH",
    "ALLOW_CUSTOM_AUTH",
    "ALLOW_USER_PASSWORD_AUTH",
    "ALLOW_USER_SRP_AUTH",
    "ALLOW_REFRESH_TOKEN_AUTH",
    "ALLOW_USER_AUTH",
];

fn page_token(next: Option<&String>) -> Option<String> {
    next.map(|n| b64url(n.as_bytes()))
}

fn after_token(t: Option<&str>) -> Result<Option<String>> {
    t.map(|t| {
        b64url_decode(t)
            .and_then(|b| String::from_utf8(b).ok())
            .ok_or_else(|| CognitoError::invalid_parameter("Invalid pagination token"))
    })
    .transpose()
}

fn max_results(r: &Req<'_>, default: i64) -> Result<usize> {
    let n = r.opt_int("MaxResults")?.unwrap_or(default);
    if !(1..=60).contains(&n) {
        return Err(validation_error(&[format!(
            "Value '{n}' at 'maxResults' failed to satisfy constraint: Member must have value {} 60",
            if n < 1 {
                "greater than or equal to 1; Member must have value less than or equal to"
            } else {
                "less than or equal to"
            }
        )]));
    }
    Ok(n as usize)
}

impl UserPools {
    fn pool_config(&self, r: &Req<'_>, id: String, created: f64) -> Result<PoolConfig> {
        let name = r.str("PoolName")?.to_string();
        let policy = match r.0.get("Policies").and_then(|p| p.get("PasswordPolicy")) {
            Some(Json::Object(p)) => {
                let b = |k: &str| p.get(k).and_then(Json::as_bool).unwrap_or(false);
                let n = |k: &str, d: u64| p.get(k).and_then(Json::as_u64).unwrap_or(d);
                let min = n("MinimumLength", 8);
                if !(6..=99).contains(&min) {
                    return Err(validation_error(&[format!(
                        "Value '{min}' at 'policies.passwordPolicy.minimumLength' failed to satisfy constraint: Member must have value {} ",
                        if min < 6 { "greater than or equal to 6" } else { "less than or equal to 99" }
                    ).trim_end().to_string()]));
                }
                PasswordPolicy {
                    minimum_length: min as u32,
                    require_uppercase: b("RequireUppercase"),
                    require_lowercase: b("RequireLowercase"),
                    require_numbers: b("RequireNumbers"),
                    require_symbols: b("RequireSymbols"),
                    temporary_password_validity_days: n("TemporaryPasswordValidityDays", 7)
                        .clamp(0, 365) as u32,
                }
            }
            Some(_) => {
                return Err(CognitoError::serialization(
                    "Start of list found where not expected.",
                ));
            }
            None => PasswordPolicy::default(),
        };
        let username_attributes = r.opt_str_list("UsernameAttributes")?.unwrap_or_default();
        let alias_attributes = r.opt_str_list("AliasAttributes")?.unwrap_or_default();
        if !username_attributes.is_empty() && !alias_attributes.is_empty() {
            return Err(CognitoError::invalid_parameter(
                "Only one of the aliasAttributes or usernameAttributes can be set in a User Pool.",
            ));
        }
        for a in &username_attributes {
            r.one_of("UsernameAttributes", a, &["phone_number", "email"])?;
        }
        let admin_create_only =
            r.0.get("AdminCreateUserConfig")
                .and_then(|c| c.get("AllowAdminCreateUserOnly"))
                .and_then(Json::as_bool)
                .unwrap_or(false);
        let extra: Map<String, Json> =
            r.0.iter()
                .filter(|(k, _)| !POOL_FIELDS.contains(&k.as_str()))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
        let s = &self.settings;
        Ok(PoolConfig {
            arn: format!(
                "arn:aws:cognito-idp:{}:{}:userpool/{id}",
                s.region, s.account_id
            ),
            id,
            name,
            created,
            modified: now_f64(),
            username_attributes,
            alias_attributes,
            auto_verified: r
                .opt_str_list("AutoVerifiedAttributes")?
                .unwrap_or_default(),
            policy,
            admin_create_only,
            extra,
        })
    }

    fn new_pool_id(&self) -> String {
        format!("{}_{}", self.settings.region, random_string(MIXED_ALNUM, 9))
    }

    /// Saves a pool (new or updated), making its keys when it is new.
    fn put_pool(&self, config: PoolConfig) -> Result<()> {
        let keys = {
            let state = self.read();
            state.pools.get(&config.id).map(|p| Arc::clone(&p.keys))
        };
        let keys = match keys {
            Some(k) => k,
            None => self.new_keys(&config.id)?,
        };
        let mut state = self.write();
        self.persist(vec![store::put(store::POOLS, config.id.clone(), &config)])?;
        match state.pools.get_mut(&config.id) {
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
        }
        Ok(())
    }

    pub(crate) fn create_user_pool(&self, r: &Req<'_>) -> Result<Json> {
        r.require(&["PoolName"])?;
        let config = self.pool_config(r, self.new_pool_id(), now_f64())?;
        let rendered = config.render(0);
        self.put_pool(config)?;
        Ok(json!({"UserPool": rendered}))
    }

    pub(crate) fn describe_user_pool(&self, r: &Req<'_>) -> Result<Json> {
        r.require(&["UserPoolId"])?;
        let id = r.checked("UserPoolId", Constraint::PoolId)?;
        let state = self.read();
        let pool = state.pools.get(id).ok_or_else(|| no_pool(id))?;
        Ok(json!({"UserPool": pool.config.render(pool.users.len())}))
    }

    pub(crate) fn list_user_pools(&self, r: &Req<'_>) -> Result<Json> {
        r.require(&["MaxResults"])?;
        let max = max_results(r, 60)?;
        let after = after_token(r.opt_str("NextToken")?)?;
        let state = self.read();
        let mut ids: Vec<&String> = state.pools.keys().collect();
        ids.sort();
        let rest: Vec<&String> = ids
            .into_iter()
            .filter(|id| after.as_ref().is_none_or(|a| *id > a))
            .collect();
        let page = &rest[..rest.len().min(max)];
        let pools: Vec<Json> = page
            .iter()
            .map(|id| {
                let c = &state.pools[*id].config;
                json!({"Id": c.id, "Name": c.name, "LambdaConfig": {}, "LastModifiedDate": c.modified, "CreationDate": c.created})
            })
            .collect();
        let mut out = json!({"UserPools": pools});
        if rest.len() > max
            && let Some(t) = page_token(page.last().copied())
        {
            out["NextToken"] = json!(t);
        }
        Ok(out)
    }

    pub(crate) fn delete_user_pool(&self, r: &Req<'_>) -> Result<Json> {
        r.require(&["UserPoolId"])?;
        let id = r.checked("UserPoolId", Constraint::PoolId)?.to_string();
        {
            let mut state = self.write();
            let pool = state.pools.get(&id).ok_or_else(|| no_pool(&id))?;
            let mut changes = vec![Change::Delete(store::POOLS, id.clone())];
            changes.extend(
                pool.users
                    .keys()
                    .map(|u| Change::Delete(store::USERS, user_key(&id, u))),
            );
            let clients: Vec<String> = state
                .clients
                .values()
                .filter(|c| c.pool_id == id)
                .map(|c| c.id.clone())
                .collect();
            changes.extend(
                clients
                    .iter()
                    .map(|c| Change::Delete(store::CLIENTS, c.clone())),
            );
            let tokens: Vec<String> = state
                .refresh
                .values()
                .filter(|t| t.pool_id == id)
                .map(|t| t.origin_jti.clone())
                .collect();
            changes.extend(
                tokens
                    .iter()
                    .map(|t| Change::Delete(store::REFRESH, t.clone())),
            );
            self.persist(changes)?;
            state.pools.remove(&id);
            for c in clients {
                state.clients.remove(&c);
            }
            for t in tokens {
                state.refresh.remove(&t);
            }
        }
        self.drop_keys(&id);
        Ok(json!({}))
    }

    fn client_config(
        &self,
        r: &Req<'_>,
        pool_id: &str,
        id: String,
        secret: Option<String>,
        created: f64,
    ) -> Result<ClientConfig> {
        let name = r.str("ClientName")?.to_string();
        if name.is_empty() || name.len() > 128 {
            return Err(validation_error(&[format!(
                "Value '{name}' at 'clientName' failed to satisfy constraint: Member must have length less than or equal to 128"
            )]));
        }
        let flows = r.opt_str_list("ExplicitAuthFlows")?.unwrap_or_default();
        for f in &flows {
            r.one_of("ExplicitAuthFlows", f, AUTH_FLOW_NAMES)?;
        }
        let prevent = match r.opt_str("PreventUserExistenceErrors")? {
            Some(p) => r
                .one_of("PreventUserExistenceErrors", p, &["LEGACY", "ENABLED"])?
                .to_string(),
            None => "LEGACY".into(),
        };
        let units = r.0.get("TokenValidityUnits");
        let unit_secs = |kind: &str, default: &str| -> Result<u64> {
            let u = units
                .and_then(|u| u.get(kind))
                .and_then(Json::as_str)
                .unwrap_or(default);
            Ok(match u {
                "seconds" => 1,
                "minutes" => 60,
                "hours" => 3600,
                "days" => 86_400,
                other => {
                    return Err(validation_error(&[format!(
                        "Value '{other}' at 'tokenValidityUnits.{}' failed to satisfy constraint: Member must satisfy enum value set: [seconds, minutes, hours, days]",
                        kind.chars()
                            .next()
                            .map(|c| c.to_lowercase().collect::<String>() + &kind[1..])
                            .unwrap_or_default()
                    )]));
                }
            })
        };
        let validity = |field: &str,
                        kind: &str,
                        unit: &str,
                        default: i64,
                        min: u64,
                        max: u64|
         -> Result<u64> {
            let n = r.opt_int(field)?.unwrap_or(default);
            let secs = u64::try_from(n).unwrap_or(0) * unit_secs(kind, unit)?;
            if secs < min || secs > max {
                return Err(CognitoError::invalid_parameter(format!(
                    "Invalid range for token validity: {field} must be between {} and {} minutes",
                    min / 60,
                    max / 60
                )));
            }
            Ok(secs)
        };
        let access = validity(
            "AccessTokenValidity",
            "AccessToken",
            "hours",
            1,
            300,
            86_400,
        )?;
        let idv = validity("IdTokenValidity", "IdToken", "hours", 1, 300, 86_400)?;
        let refresh = validity(
            "RefreshTokenValidity",
            "RefreshToken",
            "days",
            30,
            3600,
            315_360_000,
        )?;
        let session = r.opt_int("AuthSessionValidity")?.unwrap_or(3);
        if !(3..=15).contains(&session) {
            return Err(validation_error(&[format!(
                "Value '{session}' at 'authSessionValidity' failed to satisfy constraint: Member must have value between 3 and 15"
            )]));
        }
        let extra: Map<String, Json> =
            r.0.iter()
                .filter(|(k, _)| !CLIENT_FIELDS.contains(&k.as_str()))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
        Ok(ClientConfig {
            id,
            pool_id: pool_id.to_string(),
            name,
            secret,
            auth_flows: flows,
            prevent_user_existence_errors: prevent,
            access_validity: access,
            id_validity: idv,
            refresh_validity: refresh,
            session_minutes: session as u64,
            created,
            modified: now_f64(),
            extra,
        })
    }

    fn put_client(&self, client: ClientConfig) -> Result<()> {
        let mut state = self.write();
        if !state.pools.contains_key(&client.pool_id) {
            return Err(no_pool(&client.pool_id));
        }
        self.persist(vec![store::put(store::CLIENTS, client.id.clone(), &client)])?;
        state.clients.insert(client.id.clone(), client);
        Ok(())
    }

    pub(crate) fn create_user_pool_client(&self, r: &Req<'_>) -> Result<Json> {
        r.require(&["UserPoolId", "ClientName"])?;
        let pool_id = r.checked("UserPoolId", Constraint::PoolId)?;
        if !self.read().pools.contains_key(pool_id) {
            return Err(no_pool(pool_id));
        }
        let secret = match (
            r.opt_bool("GenerateSecret")?.unwrap_or(false),
            r.opt_str("ClientSecret")?,
        ) {
            (_, Some(s)) => Some(s.to_string()),
            (true, None) => Some(random_string(LOWER_ALNUM, 51)),
            (false, None) => None,
        };
        let client = self.client_config(
            r,
            pool_id,
            random_string(LOWER_ALNUM, 26),
            secret,
            now_f64(),
        )?;
        let rendered = client.render();
        self.put_client(client)?;
        Ok(json!({"UserPoolClient": rendered}))
    }

    pub(crate) fn describe_user_pool_client(&self, r: &Req<'_>) -> Result<Json> {
        r.require(&["UserPoolId", "ClientId"])?;
        let pool_id = r.checked("UserPoolId", Constraint::PoolId)?;
        let client_id = r.checked("ClientId", Constraint::ClientId)?;
        let client = self.client_for(client_id, Some(pool_id))?;
        Ok(json!({"UserPoolClient": client.render()}))
    }

    pub(crate) fn list_user_pool_clients(&self, r: &Req<'_>) -> Result<Json> {
        r.require(&["UserPoolId"])?;
        let pool_id = r.checked("UserPoolId", Constraint::PoolId)?;
        let max = max_results(r, 60)?;
        let after = after_token(r.opt_str("NextToken")?)?;
        let state = self.read();
        if !state.pools.contains_key(pool_id) {
            return Err(no_pool(pool_id));
        }
        let mut clients: Vec<&ClientConfig> = state
            .clients
            .values()
            .filter(|c| c.pool_id == pool_id && after.as_ref().is_none_or(|a| &c.id > a))
            .collect();
        clients.sort_by(|a, b| a.id.cmp(&b.id));
        let page = &clients[..clients.len().min(max)];
        let mut out = json!({"UserPoolClients": page.iter().map(|c| json!({"ClientId": c.id, "UserPoolId": c.pool_id, "ClientName": c.name})).collect::<Vec<_>>()});
        if clients.len() > max
            && let Some(t) = page_token(page.last().map(|c| &c.id))
        {
            out["NextToken"] = json!(t);
        }
        Ok(out)
    }

    /// A pool the template declares (`request` is its CreateUserPool request): created once,
    /// then kept (same id) and updated from the template on each start, found again by the
    /// template's logical id. Returns the pool's settings.
    pub fn ensure_pool(&self, logical_id: &str, request: &Json) -> Result<PoolConfig> {
        let req = request.as_object().cloned().unwrap_or_default();
        let existing = self.logical(logical_id)?.and_then(|id| {
            let state = self.read();
            state.pools.get(&id).map(|p| (id.clone(), p.config.created))
        });
        let (id, created) = existing.unwrap_or_else(|| (self.new_pool_id(), now_f64()));
        let config = self.pool_config(&Req(&req), id.clone(), created)?;
        self.put_pool(config.clone())?;
        self.set_logical(logical_id, &id)?;
        Ok(config)
    }

    /// A client the template declares (`request` is its CreateUserPoolClient request), kept
    /// like [`UserPools::ensure_pool`].
    pub fn ensure_client(&self, logical_id: &str, request: &Json) -> Result<ClientConfig> {
        let req = request.as_object().cloned().unwrap_or_default();
        let r = Req(&req);
        r.require(&["UserPoolId"])?;
        let pool_id = r.str("UserPoolId")?.to_string();
        let existing = self.logical(logical_id)?.and_then(|id| {
            let state = self.read();
            state
                .clients
                .get(&id)
                .filter(|c| c.pool_id == pool_id)
                .cloned()
        });
        let client = match existing {
            Some(old) => self.client_config(
                &r,
                &pool_id,
                old.id.clone(),
                old.secret.clone(),
                old.created,
            )?,
            None => {
                let secret = r
                    .opt_bool("GenerateSecret")?
                    .unwrap_or(false)
                    .then(|| random_string(LOWER_ALNUM, 51));
                self.client_config(
                    &r,
                    &pool_id,
                    random_string(LOWER_ALNUM, 26),
                    secret,
                    now_f64(),
                )?
            }
        };
        self.put_client(client.clone())?;
        self.set_logical(logical_id, &client.id)?;
        Ok(client)
    }

    /// A user the template declares (`request` is its AdminCreateUser request): created (and
    /// its invitation sent) once. Returns the stored username.
    pub fn ensure_user(&self, logical_id: &str, request: &Json) -> Result<String> {
        let req = request.as_object().cloned().unwrap_or_default();
        let r = Req(&req);
        r.require(&["UserPoolId"])?;
        let pool_id = r.str("UserPoolId")?.to_string();
        if let Some(mapped) = self.logical(logical_id)?
            && let Some((p, u)) = mapped.split_once('/')
            && p == pool_id
            && self
                .read()
                .pools
                .get(p)
                .is_some_and(|pool| pool.users.contains_key(u))
        {
            return Ok(u.to_string());
        }
        let created = self.admin_create_user(&r)?;
        let username = created["User"]["Username"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        self.set_logical(logical_id, &format!("{pool_id}/{username}"))?;
        Ok(username)
    }
}
