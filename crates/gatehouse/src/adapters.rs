//! The services' ports, met by the other services: the Lambda host runs the gateway's
//! invocations, the user pools give the gateway its keys. Only this crate knows both sides.

use std::sync::Arc;

use gateway::Invocation;

/// The Lambda host as the gateway's [`gateway::Invoke`] port.
#[derive(Debug, Clone)]
pub struct Functions(pub Arc<lambda::Host>);

impl gateway::Invoke for Functions {
    fn invoke<'a>(&'a self, function: &'a str, event: Vec<u8>) -> Invocation<'a> {
        Box::pin(self.0.invoke(function, event))
    }

    fn invoke_with_client_context<'a>(
        &'a self,
        function: &'a str,
        event: Vec<u8>,
        client_context: String,
    ) -> Invocation<'a> {
        Box::pin(
            self.0
                .invoke_with_client_context(function, event, Some(client_context)),
        )
    }

    fn exists(&self, function: &str) -> bool {
        self.0.has(function)
    }
}

/// The local user pools, then the template's other issuers (fetched through OpenID
/// discovery), as the gateway's [`gateway::auth::KeySource`] port.
#[derive(Debug, Clone)]
pub struct Keys {
    /// The local pools.
    pub pools: Arc<userpool::UserPools>,
    /// Issuers elsewhere.
    pub remote: Arc<crate::issuers::Remote>,
}

impl gateway::auth::KeySource for Keys {
    fn keys<'a>(&'a self, iss: &'a str, kid: &'a str) -> gateway::auth::KeysFuture<'a> {
        let local = self
            .pools
            .keys_for_issuer(iss)
            .map(|(pool, keys)| (pool, Arc::clone(&keys.public)));
        Box::pin(async move {
            if local.is_some() {
                return local;
            }
            let keys = self.remote.keys(iss, kid).await?;
            // The pool id of a Cognito issuer, else the issuer itself.
            let id = iss
                .trim_end_matches('/')
                .rsplit('/')
                .next()
                .unwrap_or(iss)
                .to_string();
            Some((id, keys))
        })
    }

    fn client_in_pool(&self, client_id: &str, pool_id: &str) -> bool {
        match self.pools.client_pool(client_id) {
            Some(p) => p == pool_id,
            // Not a local client: only a pool elsewhere can have issued its token.
            None => !self.pools.has_pool(pool_id),
        }
    }
}

/// The Lambda host as the user pools' trigger port: the function an ARN names (its last part
/// after `function:`, without a qualifier), run on the async runtime while the pool's
/// blocking thread waits, for at most the trigger's time.
#[derive(Debug)]
pub struct Triggers {
    /// The functions.
    pub host: Arc<lambda::Host>,
    /// The runtime the host's invocations run on.
    pub runtime: tokio::runtime::Handle,
}

impl userpool::triggers::Invoke for Triggers {
    fn invoke(
        &self,
        function_arn: &str,
        event: &serde_json::Value,
        timeout: std::time::Duration,
    ) -> Result<serde_json::Value, userpool::triggers::InvokeFailure> {
        use userpool::triggers::InvokeFailure;
        let name = function_arn
            .rsplit_once(":function:")
            .map_or(function_arn, |(_, rest)| rest)
            .split(':')
            .next()
            .unwrap_or_default()
            .to_string();
        let body =
            serde_json::to_vec(event).map_err(|e| InvokeFailure::Unavailable(e.to_string()))?;
        let host = Arc::clone(&self.host);
        let (tx, rx) = std::sync::mpsc::channel();
        self.runtime.spawn(async move {
            let r = tokio::time::timeout(timeout, host.invoke(&name, body)).await;
            let _ = tx.send(r);
        });
        match rx.recv() {
            Ok(Ok(Ok(payload))) => Ok(serde_json::from_slice(&payload).unwrap_or_default()),
            Ok(Ok(Err(lambda::InvokeError::Function { message, .. }))) => {
                Err(InvokeFailure::Function(message))
            }
            Ok(Ok(Err(lambda::InvokeError::Timeout(_))) | Err(_)) => Err(InvokeFailure::Timeout),
            Ok(Ok(Err(e))) => Err(InvokeFailure::Unavailable(e.to_string())),
            Err(_) => Err(InvokeFailure::Unavailable("the runtime stopped".into())),
        }
    }
}

/// The local user pools as the SAM plan's [`sam::Provisioner`] port: the template's pools,
/// clients and users are created once and found again by logical id.
#[derive(Debug)]
pub struct Provision<'a>(pub &'a userpool::UserPools);

impl sam::Provisioner for Provision<'_> {
    fn user_pool(
        &mut self,
        logical_id: &str,
        request: &serde_json::Value,
    ) -> Result<sam::ProvisionedPool, String> {
        let pool = self
            .0
            .ensure_pool(logical_id, request)
            .map_err(|e| e.to_string())?;
        Ok(sam::ProvisionedPool {
            provider_url: self.0.issuer(&pool.id),
            arn: pool.arn,
            id: pool.id,
        })
    }

    fn user_pool_client(
        &mut self,
        logical_id: &str,
        request: &serde_json::Value,
    ) -> Result<sam::ProvisionedClient, String> {
        let c = self
            .0
            .ensure_client(logical_id, request)
            .map_err(|e| e.to_string())?;
        Ok(sam::ProvisionedClient {
            id: c.id,
            secret: c.secret,
            name: c.name,
        })
    }

    fn user_pool_user(
        &mut self,
        logical_id: &str,
        request: &serde_json::Value,
    ) -> Result<String, String> {
        self.0
            .ensure_user(logical_id, request)
            .map_err(|e| e.to_string())
    }

    fn user_pool_group(&mut self, request: &serde_json::Value) -> Result<String, String> {
        self.0.ensure_group(request).map_err(|e| e.to_string())
    }

    fn user_to_group(&mut self, request: &serde_json::Value) -> Result<(), String> {
        self.0.ensure_membership(request).map_err(|e| e.to_string())
    }

    fn user_pool_domain(&mut self, request: &serde_json::Value) -> Result<(), String> {
        let pool = request["UserPoolId"].as_str().unwrap_or_default();
        let domain = request["Domain"].as_str().unwrap_or_default();
        self.0.set_domain(pool, domain).map_err(|e| e.to_string())
    }

    fn resource_server(&mut self, request: &serde_json::Value) -> Result<(), String> {
        self.0
            .ensure_resource_server(request)
            .map(|_| ())
            .map_err(|e| e.to_string())
    }
}

/// The local IAM as the gateway's [`gateway::protect::Iam`] port: the request's SigV4
/// signature against the key's secret, then `execute-api:Invoke` on the method's ARN under the
/// principal's policies.
#[derive(Debug)]
pub struct Iam(pub Arc<iam::Iam>);

impl Iam {
    /// `req`'s signature for `service`, then `action` on `req.resource` under the caller's
    /// policies; `denial` words a refusal (the caller's ARN, whether the deny was explicit).
    fn decide(
        &self,
        req: &gateway::protect::SignedRequest<'_>,
        service: &str,
        action: &str,
        denial: impl Fn(&str, bool) -> String,
    ) -> Result<gateway::protect::IamCaller, gateway::protect::IamRefusal> {
        use gateway::protect::IamRefusal;
        let signed = iam::sigv4::Request {
            method: req.method,
            path: req.path,
            query: req.query,
            headers: req.headers,
            body: req.body,
        };
        let now = i64::try_from(common::date::now_secs()).unwrap_or(i64::MAX);
        let who = self
            .0
            .authenticate(&signed, service, now)
            .map_err(|r| IamRefusal {
                error_type: r.error_type.into(),
                message: r.message,
            })?;
        let p = &who.key.principal;
        let denied = |explicit: bool| IamRefusal {
            error_type: "AccessDeniedException".into(),
            message: denial(&p.arn, explicit),
        };
        match self.0.authorize(
            Some(&who),
            action,
            req.resource,
            req.source_ip,
            req.resource_policy,
        ) {
            iam::Decision::Allow => Ok(gateway::protect::IamCaller {
                access_key: who.key.access_key.clone(),
                account_id: p.account.clone(),
                user_id: p.user_id.clone(),
                user_arn: p.arn.clone(),
                cognito: p
                    .session
                    .as_ref()
                    .and_then(|s| s.web_identity.as_ref())
                    .map(|w| gateway::protect::CognitoIdentity {
                        identity_id: w.identity_id.clone(),
                        pool_id: w.pool_id.clone(),
                        authentication_type: if w.authenticated {
                            "authenticated"
                        } else {
                            "unauthenticated"
                        }
                        .into(),
                        authentication_provider: w.provider.clone(),
                        amr: w.amr.clone(),
                    }),
            }),
            iam::Decision::ExplicitDeny => Err(denied(true)),
            iam::Decision::ImplicitDeny => Err(denied(false)),
            iam::Decision::Unsupported(why) => {
                tracing::warn!(target: "gateway", "{}: a policy element of {} is not evaluated locally, so it denies: {why}", req.resource, p.arn);
                Err(denied(false))
            }
        }
    }
}

impl gateway::protect::Iam for Iam {
    fn invoke(
        &self,
        req: &gateway::protect::SignedRequest<'_>,
    ) -> Result<gateway::protect::IamCaller, gateway::protect::IamRefusal> {
        self.decide(req, "execute-api", "execute-api:Invoke", |arn, explicit| {
            format!(
                "User: {arn} is not authorized to perform: execute-api:Invoke on resource: {}{}",
                req.resource,
                if explicit {
                    " with an explicit deny"
                } else {
                    ""
                }
            )
        })
    }

    /// Lambda's wording of a denial ("… because no identity-based policy allows the
    /// lambda:InvokeFunction action", the form AWS's access-denied messages have had since 2021;
    /// the explicit form "with an explicit deny in an identity-based policy" is the same family's).
    fn lambda_invoke(
        &self,
        req: &gateway::protect::SignedRequest<'_>,
    ) -> Result<gateway::protect::IamCaller, gateway::protect::IamRefusal> {
        const ACTION: &str = "lambda:InvokeFunction";
        self.decide(req, "lambda", ACTION, |arn, explicit| {
            let why = if explicit {
                "with an explicit deny in an identity-based policy".to_string()
            } else {
                format!("because no identity-based policy allows the {ACTION} action")
            };
            format!(
                "User: {arn} is not authorized to perform: {ACTION} on resource: {} {why}",
                req.resource
            )
        })
    }

    fn anonymous(
        &self,
        resource: &str,
        source_ip: Option<&str>,
        policy: &serde_json::Value,
    ) -> gateway::protect::PolicyDecision {
        use gateway::protect::PolicyDecision;
        match self.0.authorize(
            None,
            "execute-api:Invoke",
            resource,
            source_ip,
            Some(policy),
        ) {
            iam::Decision::Allow => PolicyDecision::Allow,
            iam::Decision::ImplicitDeny => PolicyDecision::ImplicitDeny,
            iam::Decision::ExplicitDeny => PolicyDecision::ExplicitDeny,
            iam::Decision::Unsupported(why) => {
                tracing::warn!(target: "gateway", "{resource}: an element of the API's resource policy is not evaluated locally, so it denies: {why}");
                PolicyDecision::ExplicitDeny
            }
        }
    }
}
