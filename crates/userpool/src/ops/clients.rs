//! App clients: CreateUserPoolClient, DescribeUserPoolClient, ListUserPoolClients, and the
//! clients a template declares (found again by logical id).

use serde_json::{Map, Value as Json, json};

use super::pools::{after_token, max_results, page_token};
use super::{Constraint, Req, no_pool, validation_error};
use crate::error::{CognitoError, Result};
use crate::model::{ClientConfig, ExistenceErrors};
use crate::pools::UserPools;
use common::date::now_f64;
use common::id::{LOWER_ALNUM, random_string};

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

/// What a client allows when it is created without `ExplicitAuthFlows`.
const DEFAULT_AUTH_FLOWS: &[&str] = &[
    "ALLOW_REFRESH_TOKEN_AUTH",
    "ALLOW_USER_SRP_AUTH",
    "ALLOW_CUSTOM_AUTH",
];

impl UserPools {
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
        // A client made without ExplicitAuthFlows gets Cognito's defaults: SRP, refresh and
        // custom authentication (not plain passwords).
        let flows = r.opt_str_list("ExplicitAuthFlows")?.unwrap_or_else(|| {
            DEFAULT_AUTH_FLOWS
                .iter()
                .map(|f| (*f).to_string())
                .collect()
        });
        for f in &flows {
            r.one_of("ExplicitAuthFlows", f, AUTH_FLOW_NAMES)?;
        }
        let legacy = flows.iter().filter(|f| !f.starts_with("ALLOW_")).count();
        if legacy > 0 && legacy < flows.len() {
            return Err(CognitoError::invalid_parameter(
                "ExplicitAuthFlows cannot have both ALLOW_ and legacy flow values (ADMIN_NO_SRP_AUTH, CUSTOM_AUTH_FLOW_ONLY, USER_PASSWORD_AUTH).",
            ));
        }
        let prevent = match r.opt_str("PreventUserExistenceErrors")? {
            Some(p) => match r.one_of("PreventUserExistenceErrors", p, &["LEGACY", "ENABLED"])? {
                "ENABLED" => ExistenceErrors::Enabled,
                _ => ExistenceErrors::Legacy,
            },
            None => ExistenceErrors::Legacy,
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
        self.transact(|state, tx| {
            if !state.pools.contains_key(&client.pool_id) {
                return Err(no_pool(&client.pool_id));
            }
            tx.put_client(client);
            Ok(())
        })
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
}

impl UserPools {
    /// UpdateUserPoolClient: as UpdateUserPool, what it leaves out goes back to its default
    /// (the name and secret stay).
    pub(crate) fn update_user_pool_client(&self, r: &Req<'_>) -> Result<Json> {
        r.require(&["UserPoolId", "ClientId"])?;
        let pool_id = r.checked("UserPoolId", Constraint::PoolId)?;
        let client_id = r.checked("ClientId", Constraint::ClientId)?;
        let old = self.client_for(client_id, Some(pool_id))?;
        let mut req = r.0.clone();
        req.entry("ClientName").or_insert_with(|| json!(old.name));
        let client = self.client_config(
            &Req(&req),
            pool_id,
            old.id.clone(),
            old.secret.clone(),
            old.created,
        )?;
        let rendered = client.render();
        self.put_client(client)?;
        Ok(json!({"UserPoolClient": rendered}))
    }

    pub(crate) fn delete_user_pool_client(&self, r: &Req<'_>) -> Result<Json> {
        r.require(&["UserPoolId", "ClientId"])?;
        let pool_id = r.checked("UserPoolId", Constraint::PoolId)?;
        let client_id = r.checked("ClientId", Constraint::ClientId)?;
        self.client_for(client_id, Some(pool_id))?;
        self.transact(|_, tx| {
            tx.delete_client(client_id);
            Ok(())
        })?;
        Ok(json!({}))
    }
}
