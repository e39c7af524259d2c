//! Pools: CreateUserPool, DescribeUserPool, ListUserPools, DeleteUserPool, and the pools a
//! template declares, created on the first `gatehouse up` and found again (same ids, by logical
//! id) on later ones. The template's properties arrive as the API requests that create them.

use std::sync::Arc;

use serde_json::{Map, Value as Json, json};

use super::{Constraint, Req, no_pool, validation_error};
use crate::error::{CognitoError, Result};
use crate::model::PoolConfig;
use crate::password::PasswordPolicy;
use crate::pools::UserPools;
use common::date::now_f64;
use common::encoding::{b64url, b64url_decode};
use common::id::{MIXED_ALNUM, random_string};

/// Fields of CreateUserPool the pool acts on; the rest is kept and echoed.
const POOL_FIELDS: &[&str] = &[
    "PoolName",
    "Policies",
    "UsernameAttributes",
    "AliasAttributes",
    "AutoVerifiedAttributes",
    "AdminCreateUserConfig",
    "LambdaConfig",
    "Schema",
    "MfaConfiguration",
];

pub(super) fn page_token(next: Option<&String>) -> Option<String> {
    next.map(|n| b64url(n.as_bytes()))
}

pub(super) fn after_token(t: Option<&str>) -> Result<Option<String>> {
    t.map(|t| {
        b64url_decode(t)
            .and_then(|b| String::from_utf8(b).ok())
            .ok_or_else(|| CognitoError::invalid_parameter("Invalid pagination token"))
    })
    .transpose()
}

pub(super) fn max_results(r: &Req<'_>, default: i64) -> Result<usize> {
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
            schema: crate::schema::from_request(r.0.get("Schema"))?,
            domain: None,
            resource_servers: Vec::new(),
            mfa_configuration: r.opt_str("MfaConfiguration")?.unwrap_or("OFF").to_string(),
            software_token_mfa: false,
            lambda_config: match r.0.get("LambdaConfig") {
                Some(Json::Object(m)) => m.clone(),
                _ => Map::new(),
            },
            groups: Default::default(),
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
        self.transact(|_, tx| {
            tx.put_pool(config, keys);
            Ok(())
        })
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
                json!({"Id": c.id, "Name": c.name, "LambdaConfig": c.lambda_config, "LastModifiedDate": c.modified, "CreationDate": c.created})
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
        self.transact(|state, tx| {
            let pool = state.pools.get(&id).ok_or_else(|| no_pool(&id))?;
            for u in pool.users.keys() {
                tx.delete_user(&id, u);
            }
            for c in state.clients.values().filter(|c| c.pool_id == id) {
                tx.delete_client(&c.id);
            }
            tx.delete_pool(&id);
            Ok(())
        })?;
        self.drop_keys(&id);
        Ok(json!({}))
    }

    /// A pool the template declares (`request` is its CreateUserPool request): created once,
    /// then kept (same id) and updated from the template on each start, found again by the
    /// template's logical id. Returns the pool's settings.
    pub fn ensure_pool(&self, logical_id: &str, request: &Json) -> Result<PoolConfig> {
        let req = request.as_object().cloned().unwrap_or_default();
        let old = self.logical(logical_id)?.and_then(|id| {
            let state = self.read();
            state.pools.get(&id).map(|p| p.config.clone())
        });
        let (id, created) = old.as_ref().map_or_else(
            || (self.new_pool_id(), now_f64()),
            |o| (o.id.clone(), o.created),
        );
        let mut config = self.pool_config(&Req(&req), id.clone(), created)?;
        // What the template does not say is the pool's own: its groups, domain, resource
        // servers, and the custom attributes added since (they cannot be removed).
        if let Some(old) = old {
            config.groups = old.groups;
            config.domain = old.domain;
            config.resource_servers = old.resource_servers;
            for a in old
                .schema
                .into_iter()
                .filter(|a| a.name.starts_with("custom:"))
            {
                if !config.schema.iter().any(|s| s.name == a.name) {
                    config.schema.push(a);
                }
            }
        }
        self.put_pool(config.clone())?;
        self.set_logical(logical_id, &id)?;
        Ok(config)
    }
}

impl UserPools {
    /// UpdateUserPool: the settings it gives replace the pool's, and those it leaves out go
    /// back to their defaults, as AWS does; the name, groups, attribute schema and software
    /// token setting are the pool's own and stay.
    pub(crate) fn update_user_pool(&self, r: &Req<'_>) -> Result<Json> {
        r.require(&["UserPoolId"])?;
        let id = r.checked("UserPoolId", Constraint::PoolId)?.to_string();
        let old = {
            let state = self.read();
            state
                .pools
                .get(&id)
                .map(|p| p.config.clone())
                .ok_or_else(|| no_pool(&id))?
        };
        let mut req = r.0.clone();
        req.insert("PoolName".into(), json!(old.name));
        req.remove("Schema");
        let mut config = self.pool_config(&Req(&req), id, old.created)?;
        config.groups = old.groups;
        config.schema = old.schema;
        config.domain = old.domain;
        config.resource_servers = old.resource_servers;
        config.software_token_mfa = old.software_token_mfa;
        if r.0.get("MfaConfiguration").is_none() {
            config.mfa_configuration = old.mfa_configuration;
        }
        self.put_pool(config)?;
        Ok(json!({}))
    }
}
