//! The `cognito-identity` operations, on botocore's model: `GetId`, `GetCredentialsForIdentity`
//! and `GetOpenIdToken` are unsigned (`smithy.api#noAuth`); the pool and identity management
//! calls need a SigV4 signature of a local key whose policies allow `cognito-identity:<Op>`.

use std::collections::BTreeSet;
use std::sync::Arc;

use serde_json::{Value as Json, json};

use super::{Error, Identity, IdentityPools, Pool, amr};
use crate::{Session, WebIdentity};

/// The operations any caller may call without signing.
pub const UNSIGNED: &[&str] = &["GetId", "GetCredentialsForIdentity", "GetOpenIdToken"];

fn now() -> i64 {
    crate::now()
}

fn text<'a>(input: &'a Json, key: &str) -> Result<&'a str, Error> {
    input[key].as_str().ok_or_else(|| {
        Error::new(
            "ValidationException",
            format!(
                "1 validation error detected: Value null at '{}' failed to satisfy constraint: Member must not be null",
                lower_first(key)
            ),
        )
    })
}

/// `MaxResults`, required by `ListIdentities` and `ListIdentityPools`: 1 to 60.
fn max_results(input: &Json) -> Result<u64, Error> {
    match input["MaxResults"].as_u64() {
        Some(n) if (1..=60).contains(&n) => Ok(n),
        Some(n) => Err(Error::new(
            "ValidationException",
            format!(
                "1 validation error detected: Value '{n}' at 'maxResults' failed to satisfy constraint: Member must have value between 1 and 60"
            ),
        )),
        None => Err(Error::new(
            "ValidationException",
            "1 validation error detected: Value null at 'maxResults' failed to satisfy constraint: Member must not be null",
        )),
    }
}

fn lower_first(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_lowercase().chain(c).collect())
        .unwrap_or_default()
}

impl IdentityPools {
    /// Runs `op` with `input`: the answer and whether the pools or identities changed (then
    /// the caller keeps them, [`IdentityPools::persist`]), or the error.
    pub fn call(&self, op: &str, input: &Json) -> Result<(Json, bool), Error> {
        let (out, changed) = match op {
            "GetId" => self.get_id(input)?,
            "GetCredentialsForIdentity" => self.get_credentials(input).map(|o| (o, false))?,
            "GetOpenIdToken" => (self.get_open_id_token(input)?, false),
            "DescribeIdentityPool" => (self.pool(text(input, "IdentityPoolId")?)?.config, false),
            "ListIdentityPools" => {
                max_results(input)?;
                (self.list_pools(), false)
            }
            "GetIdentityPoolRoles" => (self.pool(text(input, "IdentityPoolId")?)?.roles, false),
            "CreateIdentityPool" => (self.create_pool(input)?, true),
            "UpdateIdentityPool" => (self.update_pool(input)?, true),
            "DeleteIdentityPool" => (self.delete_pool(input)?, true),
            "SetIdentityPoolRoles" => (self.set_roles(input)?, true),
            "DescribeIdentity" => (self.describe_identity(text(input, "IdentityId")?)?, false),
            "ListIdentities" => (self.list_identities(input)?, false),
            other => {
                return Err(Error::new(
                    "UnknownOperationException",
                    format!("{other} is not an operation of cognito-identity here"),
                ));
            }
        };
        Ok((out, changed))
    }

    fn pool(&self, id: &str) -> Result<Pool, Error> {
        self.read()
            .pools
            .get(id)
            .cloned()
            .ok_or_else(|| Error::pool_not_found(id))
    }

    fn get_id(&self, input: &Json) -> Result<(Json, bool), Error> {
        let pool_id = text(input, "IdentityPoolId")?;
        let pool = self.pool(pool_id)?;
        let proven = self.prove(&pool, &input["Logins"])?;
        if proven.keys.is_empty() && !pool.allows_unauthenticated() {
            return Err(Error::not_authorized(
                "Unauthenticated access is not supported for this identity pool.",
            ));
        }
        let mut state = self.write();
        // The same login always finds the same identity; new logins are linked to it.
        let found = state
            .identities
            .iter()
            .find(|(_, i)| i.pool_id == pool_id && !i.logins.is_disjoint(&proven.keys))
            .map(|(id, _)| id.clone());
        let (id, changed) = match found {
            Some(id) => {
                let mut changed = false;
                if let Some(i) = state.identities.get_mut(&id)
                    && !proven.keys.is_subset(&i.logins)
                {
                    i.logins.extend(proven.keys.iter().cloned());
                    i.modified = now();
                    changed = true;
                }
                (id, changed)
            }
            None => {
                let in_pool = state
                    .identities
                    .values()
                    .filter(|i| i.pool_id == pool_id)
                    .count();
                if in_pool >= super::IDENTITY_LIMIT {
                    // Cognito's own limit and text are not known here; this is ours.
                    return Err(Error::new(
                        "LimitExceededException",
                        format!(
                            "the identity pool holds {in_pool} identities, the most kept locally"
                        ),
                    ));
                }
                let id = format!("{}:{}", self.region, common::id::uuid());
                state.identities.insert(
                    id.clone(),
                    Identity {
                        pool_id: pool_id.to_string(),
                        logins: proven.keys.clone(),
                        created: now(),
                        modified: now(),
                    },
                );
                (id, true)
            }
        };
        Ok((json!({"IdentityId": id}), changed))
    }

    /// The identity, checked against the request's logins: an authenticated identity needs one
    /// of its own logins; an unauthenticated one, a pool that allows them.
    fn identity_with_logins(
        &self,
        input: &Json,
    ) -> Result<(String, Identity, Pool, super::Proven), Error> {
        let id = text(input, "IdentityId")?;
        let identity = self
            .read()
            .identities
            .get(id)
            .cloned()
            .ok_or_else(|| Error::identity_not_found(id))?;
        let pool = self.pool(&identity.pool_id)?;
        let proven = self.prove(&pool, &input["Logins"])?;
        if identity.logins.is_empty() {
            if !proven.keys.is_empty() {
                return Err(Error::not_authorized(
                    "Logins don't match. Please include at least one valid login for this identity or identity pool.",
                ));
            }
            if !pool.allows_unauthenticated() {
                return Err(Error::not_authorized(
                    "Unauthenticated access is not supported for this identity pool.",
                ));
            }
        } else if proven.keys.is_empty() || !proven.keys.is_subset(&identity.logins) {
            return Err(Error::not_authorized(
                "Logins don't match. Please include at least one valid login for this identity or identity pool.",
            ));
        }
        Ok((id.to_string(), identity, pool, proven))
    }

    fn get_credentials(&self, input: &Json) -> Result<Json, Error> {
        let (id, identity, pool, proven) = self.identity_with_logins(input)?;
        let role_arn = self.choose_role(&pool, &proven, input["CustomRoleArn"].as_str())?;
        let role = self
            .iam
            .role(&role_arn)
            .cloned()
            .ok_or_else(Error::bad_roles)?;
        let amr = amr(&proven);
        if !self
            .iam
            .web_identity_may_assume(&role, super::FEDERATED, &identity.pool_id, &id, &amr)
        {
            return Err(Error::bad_roles());
        }
        let provider = proven.claims.iter().next().map(|(p, c)| {
            format!(
                "{p},{p}:CognitoSignIn:{}",
                c["sub"].as_str().unwrap_or_default()
            )
        });
        let session = Session {
            role: Arc::clone(&role),
            name: "CognitoIdentityCredentials".into(),
            tags: Default::default(),
            transitive: BTreeSet::new(),
            policies: None,
            web_identity: Some(WebIdentity {
                identity_id: id.clone(),
                pool_id: identity.pool_id.clone(),
                authenticated: !proven.keys.is_empty(),
                provider,
                amr: amr.clone(),
            }),
        };
        let (c, _) = self.iam.issue_session(session, super::CREDENTIALS_SECS);
        Ok(json!({"IdentityId": id, "Credentials": {
            "AccessKeyId": c.access_key, "SecretKey": c.secret, "SessionToken": c.session_token,
            "Expiration": c.expiration}}))
    }

    fn get_open_id_token(&self, input: &Json) -> Result<Json, Error> {
        let (id, identity, pool, proven) = self.identity_with_logins(input)?;
        // The classic flow (GetOpenIdToken, then STS's AssumeRoleWithWebIdentity) only where
        // the pool enables it. Cognito's answer otherwise is not in our notes: this text is
        // the one public reports quote for a pool without the basic flow (unsure).
        if pool.config["AllowClassicFlow"] != true {
            return Err(Error::new(
                "InvalidParameterException",
                "Basic (classic) flow is not enabled, please use enhanced flow.",
            ));
        }
        let now = now();
        let token = self.signer().sign(&json!({
            "iss": format!("https://{}", super::FEDERATED),
            "aud": identity.pool_id,
            "sub": id,
            "amr": amr(&proven),
            "iat": now,
            // Cognito's OpenID tokens last ten minutes.
            "exp": now + 600,
        }));
        Ok(json!({"IdentityId": id, "Token": token}))
    }

    fn list_pools(&self) -> Json {
        let pools: Vec<Json> = self
            .read()
            .pools
            .values()
            .map(|p| json!({"IdentityPoolId": p.config["IdentityPoolId"], "IdentityPoolName": p.config["IdentityPoolName"]}))
            .collect();
        json!({"IdentityPools": pools})
    }

    fn create_pool(&self, input: &Json) -> Result<Json, Error> {
        let name = text(input, "IdentityPoolName")?;
        if !input["AllowUnauthenticatedIdentities"].is_boolean() {
            return Err(Error::new(
                "ValidationException",
                "1 validation error detected: Value null at 'allowUnauthenticatedIdentities' failed to satisfy constraint: Member must not be null",
            ));
        }
        let id = format!("{}:{}", self.region, common::id::uuid());
        let mut config = input.clone();
        config["IdentityPoolId"] = json!(id);
        config["IdentityPoolName"] = json!(name);
        if config["AllowClassicFlow"].is_null() {
            config["AllowClassicFlow"] = json!(false);
        }
        self.write().pools.insert(
            id.clone(),
            Pool {
                config: config.clone(),
                roles: json!({"IdentityPoolId": id, "Roles": {}}),
            },
        );
        Ok(config)
    }

    fn update_pool(&self, input: &Json) -> Result<Json, Error> {
        let id = text(input, "IdentityPoolId")?;
        text(input, "IdentityPoolName")?;
        if !input["AllowUnauthenticatedIdentities"].is_boolean() {
            return Err(Error::new(
                "ValidationException",
                "1 validation error detected: Value null at 'allowUnauthenticatedIdentities' failed to satisfy constraint: Member must not be null",
            ));
        }
        let mut state = self.write();
        let pool = state
            .pools
            .get_mut(id)
            .ok_or_else(|| Error::pool_not_found(id))?;
        pool.config = input.clone();
        Ok(pool.config.clone())
    }

    fn delete_pool(&self, input: &Json) -> Result<Json, Error> {
        let id = text(input, "IdentityPoolId")?;
        let mut state = self.write();
        state
            .pools
            .remove(id)
            .ok_or_else(|| Error::pool_not_found(id))?;
        state.identities.retain(|_, i| i.pool_id != id);
        Ok(json!({}))
    }

    fn set_roles(&self, input: &Json) -> Result<Json, Error> {
        let id = text(input, "IdentityPoolId")?;
        let mut state = self.write();
        let pool = state
            .pools
            .get_mut(id)
            .ok_or_else(|| Error::pool_not_found(id))?;
        pool.roles = json!({"IdentityPoolId": id, "Roles": input["Roles"]});
        if input["RoleMappings"].is_object() {
            pool.roles["RoleMappings"] = input["RoleMappings"].clone();
        }
        Ok(json!({}))
    }

    fn describe(id: &str, i: &Identity) -> Json {
        let providers: BTreeSet<&str> = i
            .logins
            .iter()
            .filter_map(|l| l.rsplit_once(':').map(|(p, _)| p))
            .collect();
        json!({"IdentityId": id, "Logins": providers, "CreationDate": i.created, "LastModifiedDate": i.modified})
    }

    fn describe_identity(&self, id: &str) -> Result<Json, Error> {
        let state = self.read();
        let i = state
            .identities
            .get(id)
            .ok_or_else(|| Error::identity_not_found(id))?;
        Ok(Self::describe(id, i))
    }

    fn list_identities(&self, input: &Json) -> Result<Json, Error> {
        let pool_id = text(input, "IdentityPoolId")?;
        let max = max_results(input)?;
        self.pool(pool_id)?;
        let state = self.read();
        let identities: Vec<Json> = state
            .identities
            .iter()
            .filter(|(_, i)| i.pool_id == pool_id)
            .take(usize::try_from(max).unwrap_or(usize::MAX))
            .map(|(id, i)| Self::describe(id, i))
            .collect();
        Ok(json!({"IdentityPoolId": pool_id, "Identities": identities}))
    }
}
