//! The REST API request path, stage by stage: the method of the matched resource (or the
//! CORS preflight), its protection (refused constructs, IAM) and its authorizer, the API key,
//! the request validation, then the integration (mock, not emulated, or the function with the proxy event), and the
//! gateway response stage over the gateway's own answers.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::Request;
use axum::http::{Method, StatusCode};
use axum::response::Response;
use serde_json::{Value as Json, json};

use common::server::BodyError;

use crate::answers::{
    Gw, access_denied, denied, gateway_error, iam_refusal, json_error, key_refusal,
};
use crate::auth::{self, Denied};
use crate::spec::{self, Authorization};
use crate::{
    Gateway, INTEGRATION_TIMEOUT, InvokeError, MAX_BODY, Served, event, lambda_auth, protect,
    router,
};

impl Gateway {
    /// A REST request on `api` (its resource `m`, `rest` the path under the stage): the
    /// method, its protection and authorizer, then [`Gateway::integrate_rest`].
    pub(crate) async fn serve_rest(
        &self,
        api: &Served,
        m: &router::Match<'_>,
        rest: &str,
        req: Request,
        peer: Option<SocketAddr>,
    ) -> (Response, Option<String>, Option<String>) {
        let route = m
            .resource
            .methods
            .get(req.method().as_str())
            .or_else(|| m.resource.methods.get("ANY"));
        // The body is read once the request is authorized.
        let (parts, body) = req.into_parts();
        let here = Here {
            api,
            resource: m.resource,
            params: &m.params,
            path: rest,
            peer,
        };
        let route = match route {
            Some(r) => r,
            None if parts.method == Method::OPTIONS && api.spec.cors.is_some() => {
                let policy = self.resource_policy(&here, &parts, &api.spec.preflight);
                if let Some(refused) = policy.before(&api.spec, &api.spec.preflight) {
                    return (refused, None, None);
                }
                match &api.spec.preflight {
                    Authorization::Authorizer(name) => {
                        if let Err(refused) = self.authorize_rest(&here, name, &[], &parts).await {
                            return (refused, None, None);
                        }
                        if let Some(refused) = policy.after(&api.spec, name) {
                            return (refused, None, None);
                        }
                    }
                    // A browser's preflight is never signed: refused, as on AWS.
                    Authorization::Iam => {
                        if let Err(r) = self.iam_check(&here, &parts, &[]) {
                            return (iam_refusal(&r), None, None);
                        }
                    }
                    Authorization::Refused(_) => {
                        return (gateway_error(Gw::Configuration), None, None);
                    }
                    Authorization::None => {}
                }
                if api.spec.preflight_api_key
                    && let Err(refused) = self.api_key(&here, &parts, None)
                {
                    return (key_refusal(refused), None, None);
                }
                return (event::preflight(&api.spec, m.resource), None, None);
            }
            None => return (gateway_error(Gw::MissingToken), None, None),
        };
        // Every protection runs before the integration, whatever it is.
        let function = (!route.function.is_empty()).then(|| route.function.clone());
        let mut identity = None;
        let mut body = BodyState::Unread(body);
        let policy = self.resource_policy(&here, &parts, &route.authorization);
        if let Some(refused) = policy.before(&api.spec, &route.authorization) {
            return (refused, function, None);
        }
        match &route.authorization {
            Authorization::Refused(why) => {
                tracing::warn!(target: "gateway", "{} {}: refused: {why}", parts.method, here.path);
                return (gateway_error(Gw::Configuration), function, None);
            }
            Authorization::Iam => {
                // The signature covers the body: read it first.
                let bytes = match body.read().await {
                    Ok(b) => b,
                    Err(resp) => return (resp, function, None),
                };
                match self.iam_check(&here, &parts, &bytes) {
                    Ok(caller) => identity = Some(protect::iam_identity(&caller)),
                    Err(r) => {
                        return (iam_refusal(&r), function, None);
                    }
                }
                body = BodyState::Read(bytes);
            }
            Authorization::None | Authorization::Authorizer(_) => {}
        }
        let authorized = match route.authorization.authorizer() {
            Some(name) => match self
                .authorize_rest(&here, name, &route.scopes, &parts)
                .await
            {
                Ok(a) => {
                    if let Some(refused) = policy.after(&api.spec, name) {
                        return (refused, function, Some(a.user()));
                    }
                    Some(a)
                }
                Err(refused) => return (refused, function, None),
            },
            None => None,
        };
        let body = match body.read().await {
            Ok(b) => b,
            Err(resp) => return (resp, function, None),
        };
        self.integrate_rest(&here, route, &parts, body, identity, authorized)
            .await
    }

    /// The API key check (keyed methods), then the integration: mock, not emulated, or the
    /// function.
    async fn integrate_rest(
        &self,
        here: &Here<'_>,
        route: &spec::Route,
        parts: &axum::http::request::Parts,
        body: axum::body::Bytes,
        mut identity: Option<event::Identity>,
        authorized: Option<Authorized>,
    ) -> (Response, Option<String>, Option<String>) {
        let user = authorized
            .as_ref()
            .map(Authorized::user)
            .or_else(|| identity.as_ref().and_then(|i| i.user_arn.clone()));
        if route.api_key_required {
            match self.api_key(here, parts, authorized.as_ref()) {
                Ok((id, value)) => {
                    let i = identity.get_or_insert_with(Default::default);
                    i.api_key = Some(value);
                    i.api_key_id = Some(id);
                }
                Err(refused) => return (key_refusal(refused), None, user),
            }
        }
        if let Some(v) = &route.validation
            && let Some(refused) = crate::validate::check(
                v,
                here.api.models.get(&route.key()),
                parts,
                here.params,
                &body,
            )
        {
            return (refused, None, user);
        }
        match &route.integration {
            spec::Integration::Proxy => {}
            spec::Integration::Mock(m) => {
                return (event::mock(m.status, &m.headers, &m.body), None, user);
            }
            spec::Integration::Unsupported(why) => {
                tracing::warn!(target: "gateway", "{why}");
                return (gateway_error(Gw::Configuration), None, user);
            }
        }
        let function = Some(route.function.clone());
        let mut ctx = here.context(self, authorized.as_ref().map(Authorized::context));
        ctx.identity = identity.as_ref();
        let ev = event::build(&ctx, parts, &body);
        let out = tokio::time::timeout(
            INTEGRATION_TIMEOUT,
            self.invoker.invoke(&route.function, ev),
        )
        .await;
        let resp = match out {
            Err(_) | Ok(Err(InvokeError::Timeout(_))) => gateway_error(Gw::Timeout),
            Ok(Err(e)) => {
                tracing::warn!(target: "gateway", "{}: {e}", route.function);
                gateway_error(Gw::Internal)
            }
            Ok(Ok(payload)) => match event::response(&payload) {
                Ok(r) => r,
                Err(why) => {
                    tracing::warn!(target: "gateway", "{}: malformed Lambda proxy response: {why}", route.function);
                    gateway_error(Gw::Internal)
                }
            },
        };
        (resp, function, user)
    }

    /// The API key stage: the request's key (from `x-api-key`, or the authorizer's
    /// `usageIdentifierKey`) as (id, value), or why it is refused.
    fn api_key(
        &self,
        here: &Here<'_>,
        parts: &axum::http::request::Parts,
        authorized: Option<&Authorized>,
    ) -> Result<(String, String), protect::KeyRefusal> {
        let value = match here.api.spec.api_key_source {
            spec::ApiKeySource::Header => {
                parts.headers.get("x-api-key").and_then(|v| v.to_str().ok())
            }
            spec::ApiKeySource::Authorizer => authorized.and_then(Authorized::usage_key),
        };
        self.api_keys
            .check(value, &here.api.spec.id, &here.api.spec.stage)
    }

    /// What the API's resource policy decides for a caller that is not IAM-signed, on the
    /// method a request reached: nothing when the API has none, or when `authorization` is
    /// `AWS_IAM` (the IAM port evaluates the policy with the caller's own) or refused.
    fn resource_policy(
        &self,
        here: &Here<'_>,
        parts: &axum::http::request::Parts,
        authorization: &Authorization,
    ) -> Policy<'_> {
        let Some(doc) = &here.api.policy else {
            return Policy::None;
        };
        if matches!(
            authorization,
            Authorization::Iam | Authorization::Refused(_)
        ) {
            return Policy::None;
        }
        let arn = self.method_arn_of(here, parts.method.as_str());
        let ip = here.peer.map(|p| p.ip().to_string());
        let decision = match &self.iam {
            Some(iam) => iam.anonymous(&arn, ip.as_deref(), doc),
            None => {
                tracing::warn!(target: "gateway", "{arn}: a resource policy needs the IAM port, which this gateway has not: refused");
                protect::PolicyDecision::ExplicitDeny
            }
        };
        Policy::Decided {
            decision,
            arn,
            account: &self.account_id,
        }
    }

    /// The IAM stage of a REST method: the signature of the request as it arrived and the
    /// caller's `execute-api:Invoke` on the method's ARN.
    pub(crate) fn iam_check(
        &self,
        here: &Here<'_>,
        parts: &axum::http::request::Parts,
        body: &[u8],
    ) -> Result<protect::IamCaller, protect::IamRefusal> {
        let arn = self.method_arn_of(here, parts.method.as_str());
        self.iam_invoke(parts, body, &arn, here.peer, here.api.policy.as_ref())
    }

    /// The ARN of the method a request reached (`execute-api:Invoke`'s resource, a Lambda
    /// authorizer's `methodArn`).
    fn method_arn_of(&self, here: &Here<'_>, method: &str) -> String {
        let api = &here.api.spec;
        lambda_auth::method_arn(
            &self.region,
            &self.account_id,
            &api.id,
            &api.stage,
            method,
            here.path,
        )
    }

    /// Asks the IAM port about a request to `arn` under the API's `resource_policy` (no port:
    /// refused, never open).
    pub(crate) fn iam_invoke(
        &self,
        parts: &axum::http::request::Parts,
        body: &[u8],
        arn: &str,
        peer: Option<SocketAddr>,
        resource_policy: Option<&Json>,
    ) -> Result<protect::IamCaller, protect::IamRefusal> {
        let Some(iam) = &self.iam else {
            tracing::warn!(target: "gateway", "{arn}: AWS_IAM is not configured on this gateway: refused");
            return Err(protect::IamRefusal {
                error_type: "MissingAuthenticationTokenException".into(),
                message: "Missing Authentication Token".into(),
            });
        };
        let headers = protect::header_pairs(parts);
        let ip = peer.map(|p| p.ip().to_string());
        let req = protect::SignedRequest {
            method: parts.method.as_str(),
            path: parts.uri.path(),
            query: parts.uri.query(),
            headers: &headers,
            body,
            resource: arn,
            source_ip: ip.as_deref(),
            resource_policy,
        };
        let out = iam.invoke(&req);
        if let Err(r) = &out {
            tracing::info!(target: "gateway", "{} {}: IAM refused: {}: {}", parts.method, parts.uri.path(), r.error_type, r.message.lines().next().unwrap_or_default());
        }
        out
    }

    /// Runs the REST authorizer `name` on a request: what the backend's
    /// `requestContext.authorizer` gets, or the gateway's refusal.
    async fn authorize_rest(
        &self,
        here: &Here<'_>,
        name: &str,
        scopes: &[String],
        parts: &axum::http::request::Parts,
    ) -> Result<Authorized, Response> {
        let Some(a) = here.api.spec.authorizer(name) else {
            return Err(denied(Denied::Unauthorized));
        };
        let lambda = match &a.kind {
            spec::AuthorizerKind::Cognito {
                pool_ids,
                header,
                validation,
            } => {
                // The identity header given twice is ambiguous: refused (AWS's behaviour here
                // is undocumented; refusing cannot let a request through that should not pass).
                let mut values = parts.headers.get_all(header.as_str()).iter();
                let value = values.next().and_then(|v| v.to_str().ok());
                if values.next().is_some() {
                    return Err(denied(Denied::Unauthorized));
                }
                let v = auth::authorize(pool_ids, scopes, value, self.keys.as_ref(), &self.cache)
                    .await
                    .map_err(denied)?;
                if let Some(expr) = validation
                    && !self
                        .decisions
                        .validates(expr, v.raw["aud"].as_str().unwrap_or_default())
                {
                    return Err(denied(Denied::Unauthorized));
                }
                return Ok(Authorized::Token(v));
            }
            spec::AuthorizerKind::Lambda(l) => l,
            spec::AuthorizerKind::Jwt { .. } => return Err(denied(Denied::Unauthorized)),
        };
        let api = &here.api.spec;
        let arn = self.method_arn_of(here, parts.method.as_str());
        if arn.len() > 1600 {
            return Err(json_error(
                StatusCode::URI_TOO_LONG,
                "Request URI too long",
                None,
            ));
        }
        // The REQUEST event, built when a context variable or the function needs it.
        let request_event = || -> Json {
            let ctx = here.context(self, None);
            let built = event::build(&ctx, parts, &axum::body::Bytes::new());
            let mut ev: serde_json::Map<String, Json> =
                serde_json::from_slice(&built).unwrap_or_default();
            ev.remove("body");
            ev.remove("isBase64Encoded");
            let mut out = serde_json::Map::with_capacity(ev.len() + 2);
            out.insert("type".into(), json!("REQUEST"));
            out.insert("methodArn".into(), json!(arn));
            out.extend(ev);
            Json::Object(out)
        };
        let mut event_json: Option<Json> = None;
        let identity = lambda_auth::identity_values(
            &lambda.identity,
            &parts.headers,
            parts.uri.query(),
            |name| {
                let ev = event_json.get_or_insert_with(request_event);
                lambda_auth::context_variable(&ev["requestContext"], name)
            },
        );
        let Some(identity) = identity else {
            return Err(denied(Denied::Unauthorized));
        };
        let ask = lambda_auth::Ask {
            authorizer: lambda,
            scope: format!("{}\0{name}", api.id),
            identity,
            arn: &arn,
            rest: true,
        };
        let token = lambda
            .token
            .then(|| ask.identity.first().cloned().unwrap_or_default());
        let (outcome, latency) = self
            .lambda_authorize(ask, || match token {
                Some(t) => json!({"type": "TOKEN", "authorizationToken": t, "methodArn": arn})
                    .to_string()
                    .into_bytes(),
                None => event_json
                    .unwrap_or_else(request_event)
                    .to_string()
                    .into_bytes(),
            })
            .await;
        match outcome {
            lambda_auth::Outcome::Allow(d) => Ok(Authorized::Lambda(
                lambda_auth::rest_context(&d, latency),
                d.principal_id.clone().unwrap_or_default(),
                d.usage_key.clone(),
            )),
            lambda_auth::Outcome::Unauthorized => Err(denied(Denied::Unauthorized)),
            lambda_auth::Outcome::Denied(explicit) => Err(access_denied(explicit)),
            lambda_auth::Outcome::Failed(why) => {
                tracing::warn!(target: "gateway", "authorizer {name}: {why}");
                let mut resp = json_error(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "",
                    Some("AuthorizerConfigurationException"),
                );
                *resp.body_mut() = Body::from(r#"{"message":null}"#);
                Err(resp)
            }
        }
    }
}

/// What a REST API's resource policy decided for a request's caller taken as anonymous, and
/// when that decides, by the method's authorization (agw/apigateway-authorization-flow): with
/// no authorization an explicit Allow is needed; before a Lambda authorizer any Deny refuses
/// (its Allow then suffices); a Cognito caller, once its token is verified, needs an explicit
/// Allow; `AWS_IAM` evaluates the policy with the caller's own (the IAM port).
pub(crate) enum Policy<'a> {
    /// The API has none, or the method's authorization does not consult it here.
    None,
    Decided {
        decision: protect::PolicyDecision,
        /// The method's ARN.
        arn: String,
        /// The API's account (masked in the refusal).
        account: &'a str,
    },
}

impl Policy<'_> {
    /// The refusal, if the decision refuses (`explicit_only`: only a Deny does).
    fn refuse(&self, explicit_only: bool) -> Option<Response> {
        let Policy::Decided {
            decision,
            arn,
            account,
        } = self
        else {
            return None;
        };
        match decision {
            protect::PolicyDecision::Allow => None,
            protect::PolicyDecision::ImplicitDeny if explicit_only => None,
            d => {
                tracing::info!(target: "gateway", "{arn}: refused by the API's resource policy ({d:?})");
                Some(iam_refusal(&protect::anonymous_refusal(
                    arn,
                    account,
                    *d == protect::PolicyDecision::ExplicitDeny,
                )))
            }
        }
    }

    /// Before any authorizer runs: the refusal, if it refuses.
    fn before(&self, api: &spec::RestApi, authorization: &Authorization) -> Option<Response> {
        match authorization {
            Authorization::None => self.refuse(false),
            Authorization::Authorizer(name) if !is_cognito(api, name) => self.refuse(true),
            _ => None,
        }
    }

    /// Once the authorizer `name` let the request through: the refusal, if it refuses.
    fn after(&self, api: &spec::RestApi, name: &str) -> Option<Response> {
        if is_cognito(api, name) {
            self.refuse(false)
        } else {
            None
        }
    }
}

fn is_cognito(api: &spec::RestApi, name: &str) -> bool {
    api.authorizer(name)
        .is_some_and(|a| matches!(a.kind, spec::AuthorizerKind::Cognito { .. }))
}

/// A request's body, read at most once: before an IAM check (the signature covers it), else
/// once the request is authorized.
pub(crate) enum BodyState {
    Unread(Body),
    Read(axum::body::Bytes),
}

impl BodyState {
    pub(crate) async fn read(self) -> Result<axum::body::Bytes, Response> {
        match self {
            BodyState::Read(b) => Ok(b),
            BodyState::Unread(body) => match common::server::read_body(body, MAX_BODY).await {
                Ok(b) => Ok(b),
                Err(BodyError::TooLarge) => Err(gateway_error(Gw::TooLarge)),
                Err(BodyError::Malformed) => Err(gateway_error(Gw::BadRequest)),
            },
        }
    }
}

/// A route's protection for the start-up table: `iam`, `refused`, the authorizer's name, or
/// `-`; then `api-key` when a key is required and `policy` under a resource policy (alone or
/// after a `+`).
pub(crate) fn protection(route: &spec::Route, resource_policy: bool) -> String {
    let base = match &route.authorization {
        Authorization::None => "-",
        Authorization::Authorizer(name) => name.as_str(),
        Authorization::Iam => "iam",
        Authorization::Refused(_) => "refused",
    };
    let mut out = base.to_string();
    for (on, what) in [
        (route.api_key_required, "api-key"),
        (resource_policy, "policy"),
    ] {
        if on {
            if out == "-" {
                out = what.to_string();
            } else {
                out = format!("{out}+{what}");
            }
        }
    }
    out
}

/// Where a REST request landed.
pub(crate) struct Here<'a> {
    api: &'a Served,
    resource: &'a router::Resource,
    params: &'a std::collections::BTreeMap<String, String>,
    /// The path under the stage.
    path: &'a str,
    peer: Option<SocketAddr>,
}

impl<'a> Here<'a> {
    fn context(&self, gw: &'a Gateway, authorizer: Option<&'a Json>) -> event::Context<'a> {
        event::Context {
            api_id: &self.api.spec.id,
            stage: &self.api.spec.stage,
            account_id: &gw.account_id,
            region: &gw.region,
            resource: &self.resource.path,
            path: self.path,
            params: self.params,
            authorizer,
            peer: self.peer,
            http_api: false,
            identity: None,
        }
    }
}

/// What an authorizer let through.
enum Authorized {
    /// A Cognito user pool authorizer's verified token.
    Token(Arc<auth::Verified>),
    /// A Lambda authorizer's `requestContext.authorizer`, principal and
    /// `usageIdentifierKey`.
    Lambda(Json, String, Option<String>),
}

impl Authorized {
    fn context(&self) -> &Json {
        match self {
            Authorized::Token(v) => &v.rest_context,
            Authorized::Lambda(c, _, _) => c,
        }
    }

    fn user(&self) -> String {
        match self {
            Authorized::Token(v) => v.user.clone(),
            Authorized::Lambda(_, p, _) => p.clone(),
        }
    }

    fn usage_key(&self) -> Option<&str> {
        match self {
            Authorized::Token(_) => None,
            Authorized::Lambda(_, _, k) => k.as_deref(),
        }
    }
}
