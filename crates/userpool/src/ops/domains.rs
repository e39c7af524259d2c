//! Domains and resource servers: CreateUserPoolDomain, DescribeUserPoolDomain,
//! DeleteUserPoolDomain (a pool's hosted UI is served under its domain, see `hosted`), and
//! CreateResourceServer, DescribeResourceServer, ListResourceServers, UpdateResourceServer,
//! DeleteResourceServer (their scopes, `<Identifier>/<ScopeName>`, are what clients ask for in
//! OAuth flows). Also the ones a template declares.

use serde_json::{Value as Json, json};

use super::{Constraint, Req, no_pool};
use crate::error::{CognitoError, Result};
use crate::model::ResourceServer;
use crate::pools::UserPools;

fn no_server() -> CognitoError {
    CognitoError::resource_not_found("Resource server does not exist.")
}

impl UserPools {
    /// The pool a domain (or, when no pool has that domain, a pool id) names.
    pub fn pool_of_prefix(&self, prefix: &str) -> Option<String> {
        let state = self.read();
        state
            .pools
            .values()
            .find(|p| p.config.domain.as_deref() == Some(prefix))
            .map(|p| p.config.id.clone())
            .or_else(|| state.pools.contains_key(prefix).then(|| prefix.to_string()))
    }

    /// Gives `pool_id` the domain `domain` (a template's, or CreateUserPoolDomain).
    pub fn set_domain(&self, pool_id: &str, domain: &str) -> Result<()> {
        self.transact(|state, tx| {
            if let Some(other) = state
                .pools
                .values()
                .find(|p| p.config.domain.as_deref() == Some(domain) && p.config.id != pool_id)
            {
                return Err(CognitoError::invalid_parameter(format!(
                    "Domain already associated with another user pool: {}",
                    other.config.id
                )));
            }
            let pool = state.pools.get(pool_id).ok_or_else(|| no_pool(pool_id))?;
            if pool.config.domain.as_deref() == Some(domain) {
                return Ok(());
            }
            let mut config = pool.config.clone();
            config.domain = Some(domain.to_string());
            tx.put_pool(config, std::sync::Arc::clone(&pool.keys));
            Ok(())
        })
    }

    pub(crate) fn create_user_pool_domain(&self, r: &Req<'_>) -> Result<Json> {
        r.require(&["Domain", "UserPoolId"])?;
        let pool_id = r.checked("UserPoolId", Constraint::PoolId)?;
        let domain = r.str("Domain")?;
        if self
            .read()
            .pools
            .get(pool_id)
            .is_some_and(|p| p.config.domain.is_some())
        {
            return Err(CognitoError::invalid_parameter(
                "The user pool already has a domain associated with it.",
            ));
        }
        self.set_domain(pool_id, domain)?;
        Ok(json!({"ManagedLoginVersion": 1}))
    }

    pub(crate) fn describe_user_pool_domain(&self, r: &Req<'_>) -> Result<Json> {
        r.require(&["Domain"])?;
        let domain = r.str("Domain")?;
        let state = self.read();
        // An unknown domain is an empty description, as Cognito answers it.
        let Some(pool) = state
            .pools
            .values()
            .find(|p| p.config.domain.as_deref() == Some(domain))
        else {
            return Ok(json!({"DomainDescription": {}}));
        };
        Ok(json!({"DomainDescription": {
            "UserPoolId": pool.config.id,
            "AWSAccountId": self.settings.account_id,
            "Domain": domain,
            "CloudFrontDistribution": format!("{domain}.auth.{}.amazoncognito.com", self.settings.region),
            "Version": "1",
            "Status": "ACTIVE",
            "ManagedLoginVersion": 1,
        }}))
    }

    pub(crate) fn delete_user_pool_domain(&self, r: &Req<'_>) -> Result<Json> {
        r.require(&["Domain", "UserPoolId"])?;
        let pool_id = r.checked("UserPoolId", Constraint::PoolId)?;
        let domain = r.str("Domain")?;
        self.transact(|state, tx| {
            let pool = state.pools.get(pool_id).ok_or_else(|| no_pool(pool_id))?;
            if pool.config.domain.as_deref() != Some(domain) {
                return Err(CognitoError::invalid_parameter(
                    "No such domain for the user pool.",
                ));
            }
            let mut config = pool.config.clone();
            config.domain = None;
            tx.put_pool(config, std::sync::Arc::clone(&pool.keys));
            Ok(json!({}))
        })
    }

    /// Creates or replaces a resource server (`create`: it must not exist yet).
    fn put_resource_server(&self, r: &Req<'_>, create: bool) -> Result<Json> {
        r.require(&["UserPoolId", "Identifier", "Name"])?;
        let pool_id = r.checked("UserPoolId", Constraint::PoolId)?;
        let server = ResourceServer {
            identifier: r.str("Identifier")?.to_string(),
            name: r.str("Name")?.to_string(),
            scopes: r
                .0
                .get("Scopes")
                .and_then(Json::as_array)
                .into_iter()
                .flatten()
                .filter_map(|s| {
                    Some((
                        s["ScopeName"].as_str()?.to_string(),
                        s["ScopeDescription"]
                            .as_str()
                            .unwrap_or_default()
                            .to_string(),
                    ))
                })
                .collect(),
        };
        self.transact(|state, tx| {
            let pool = state.pools.get(pool_id).ok_or_else(|| no_pool(pool_id))?;
            let mut config = pool.config.clone();
            let existing = config
                .resource_servers
                .iter()
                .position(|s| s.identifier == server.identifier);
            match (existing, create) {
                (Some(_), true) => {
                    return Err(CognitoError::invalid_parameter(format!(
                        "{} already exists in pool {pool_id}.",
                        server.identifier
                    )));
                }
                (None, false) => return Err(no_server()),
                (Some(i), false) => config.resource_servers[i] = server.clone(),
                (None, true) => config.resource_servers.push(server.clone()),
            }
            tx.put_pool(config, std::sync::Arc::clone(&pool.keys));
            Ok(json!({"ResourceServer": server.render(pool_id)}))
        })
    }

    pub(crate) fn create_resource_server(&self, r: &Req<'_>) -> Result<Json> {
        self.put_resource_server(r, true)
    }

    pub(crate) fn update_resource_server(&self, r: &Req<'_>) -> Result<Json> {
        self.put_resource_server(r, false)
    }

    /// A resource server the template declares: created, or updated from the template.
    pub fn ensure_resource_server(&self, request: &Json) -> Result<String> {
        let req = request.as_object().cloned().unwrap_or_default();
        let r = Req(&req);
        let identifier = r.str("Identifier")?.to_string();
        let exists = {
            let pool_id = r.str("UserPoolId")?;
            self.read().pools.get(pool_id).is_some_and(|p| {
                p.config
                    .resource_servers
                    .iter()
                    .any(|s| s.identifier == identifier)
            })
        };
        self.put_resource_server(&r, !exists)?;
        Ok(identifier)
    }

    pub(crate) fn describe_resource_server(&self, r: &Req<'_>) -> Result<Json> {
        r.require(&["UserPoolId", "Identifier"])?;
        let pool_id = r.checked("UserPoolId", Constraint::PoolId)?;
        let identifier = r.str("Identifier")?;
        let state = self.read();
        let pool = state.pools.get(pool_id).ok_or_else(|| no_pool(pool_id))?;
        let s = pool
            .config
            .resource_servers
            .iter()
            .find(|s| s.identifier == identifier)
            .ok_or_else(no_server)?;
        Ok(json!({"ResourceServer": s.render(pool_id)}))
    }

    pub(crate) fn list_resource_servers(&self, r: &Req<'_>) -> Result<Json> {
        r.require(&["UserPoolId", "MaxResults"])?;
        let pool_id = r.checked("UserPoolId", Constraint::PoolId)?;
        let state = self.read();
        let pool = state.pools.get(pool_id).ok_or_else(|| no_pool(pool_id))?;
        let all: Vec<Json> = pool
            .config
            .resource_servers
            .iter()
            .map(|s| s.render(pool_id))
            .collect();
        let max = usize::try_from(r.opt_int("MaxResults")?.unwrap_or(50))
            .unwrap_or(50)
            .max(1);
        let start: usize = r
            .opt_str("NextToken")?
            .and_then(|t| t.parse().ok())
            .unwrap_or(0);
        let end = (start + max).min(all.len());
        let mut out = json!({"ResourceServers": all.get(start..end).unwrap_or_default()});
        if end < all.len() {
            out["NextToken"] = json!(end.to_string());
        }
        Ok(out)
    }

    pub(crate) fn delete_resource_server(&self, r: &Req<'_>) -> Result<Json> {
        r.require(&["UserPoolId", "Identifier"])?;
        let pool_id = r.checked("UserPoolId", Constraint::PoolId)?;
        let identifier = r.str("Identifier")?;
        self.transact(|state, tx| {
            let pool = state.pools.get(pool_id).ok_or_else(|| no_pool(pool_id))?;
            let mut config = pool.config.clone();
            let before = config.resource_servers.len();
            config
                .resource_servers
                .retain(|s| s.identifier != identifier);
            if config.resource_servers.len() == before {
                return Err(no_server());
            }
            tx.put_pool(config, std::sync::Arc::clone(&pool.keys));
            Ok(json!({}))
        })
    }
}
