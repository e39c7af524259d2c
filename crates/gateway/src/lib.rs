//! API Gateway, REST (v1) and HTTP (v2) APIs with Lambda proxy integrations, served locally as
//! AWS serves them.
//!
//! # Layout
//! - [`spec`]: the APIs it serves (stages, routes, authorizers, CORS), as plain data.
//! - [`router`]: path matching with AWS's precedence.
//! - [`auth`]: the Cognito user pool and JWT authorizers and their cache of verified tokens.
//! - `lambda_auth`: Lambda authorizers (TOKEN, REQUEST, HTTP 1.0 and 2.0), their policies and
//!   cached decisions.
//! - [`event`]: the proxy event (payload 1.0) and the mapping of the function's answer;
//!   [`event2`]: the HTTP API's payload 2.0.
//! - `http`: the HTTP API request path (stages, routes, CORS, authorizers).
//! - this file: the REST request path ([`Gateway`]), the router factory ([`app`]) and server
//!   ([`serve`]), and the gateway's own errors (`x-amzn-ErrorType`).
//!
//! The gateway knows nothing of processes, key storage or templates: it invokes through the
//! [`Invoke`] port and reads keys through the [`auth::KeySource`] port, which the CLI meets
//! with the Lambda host and the user pools.

pub mod auth;
pub mod event;
pub mod event2;
mod http;
mod lambda_auth;
pub mod protect;
pub mod router;
pub mod spec;

use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value as Json, json};
use tokio::net::TcpListener;

use common::server::BodyError;

use crate::auth::{Cache, Denied, KeySource};
use crate::router::Router;
use crate::spec::{Authorization, RestApi};

/// API Gateway's limit on a request body.
pub const MAX_BODY: usize = 10 * 1024 * 1024;
/// API Gateway's integration timeout (REST).
pub const INTEGRATION_TIMEOUT: Duration = Duration::from_secs(29);
/// An HTTP API's integration timeout.
pub const HTTP_INTEGRATION_TIMEOUT: Duration = Duration::from_secs(30);

pub use apispec::InvokeError;

/// The future an [`Invoke`] returns.
pub type Invocation<'a> = Pin<Box<dyn Future<Output = Result<Vec<u8>, InvokeError>> + Send + 'a>>;

/// Runs a function with an event: the gateway's only way to reach functions (the CLI adapts
/// the Lambda host to it; tests use a fake).
pub trait Invoke: Send + Sync + std::fmt::Debug + 'static {
    /// Invokes `function` with the JSON `event`.
    fn invoke<'a>(&'a self, function: &'a str, event: Vec<u8>) -> Invocation<'a>;
}

/// One API with its router.
#[derive(Debug)]
struct Served {
    spec: RestApi,
    router: Router,
}

/// The gateway: every API of the stack, on one listener, by stage.
#[derive(Debug)]
pub struct Gateway {
    apis: Vec<Served>,
    http: Vec<http::HttpServed>,
    invoker: Arc<dyn Invoke>,
    keys: Arc<dyn KeySource>,
    cache: Cache,
    decisions: lambda_auth::DecisionCache,
    region: String,
    account_id: String,
    /// Lambda's Invoke API on this port (`--no-invoke-api` turns it off).
    invoke_api: bool,
    /// IAM, for `AWS_IAM` routes; without it they refuse.
    iam: Option<Arc<dyn protect::Iam>>,
    /// The stack's API keys and usage plans.
    api_keys: protect::ApiKeys,
}

impl Gateway {
    /// A gateway over `apis`.
    pub fn new(
        apis: Vec<RestApi>,
        invoker: Arc<dyn Invoke>,
        keys: Arc<dyn KeySource>,
        region: &str,
        account_id: &str,
    ) -> Gateway {
        let apis = apis
            .into_iter()
            .map(|spec| Served {
                router: Router::new(&spec.routes),
                spec,
            })
            .collect();
        Gateway {
            apis,
            http: Vec::new(),
            invoker,
            keys,
            cache: Cache::default(),
            decisions: lambda_auth::DecisionCache::default(),
            region: region.into(),
            account_id: account_id.into(),
            invoke_api: true,
            iam: None,
            api_keys: protect::ApiKeys::default(),
        }
    }

    /// Checks `AWS_IAM` routes with `iam` (without it they refuse every request).
    pub fn with_iam(mut self, iam: Arc<dyn protect::Iam>) -> Gateway {
        self.iam = Some(iam);
        self
    }

    /// The API keys and usage plans keyed methods accept.
    pub fn with_api_keys(mut self, keys: protect::ApiKeys) -> Gateway {
        self.api_keys = keys;
        self
    }

    /// Serves Lambda's Invoke API (`POST /2015-03-31/functions/{name}/invocations`) or not;
    /// it is on unless turned off.
    pub fn with_invoke_api(mut self, on: bool) -> Gateway {
        self.invoke_api = on;
        self
    }

    /// Serves `apis` (HTTP APIs) too: a named stage is the path's first segment, `$default`
    /// the root (a REST API's stage of the same name is tried first).
    pub fn with_http_apis(mut self, apis: Vec<spec::HttpApi>) -> Gateway {
        self.http = apis.into_iter().map(http::HttpServed::new).collect();
        self
    }

    /// `(method, stage path, function, authorizer)` rows for the start-up route table.
    pub fn route_table(&self) -> Vec<(String, String, String, String)> {
        let mut rows = Vec::new();
        for api in &self.apis {
            for res in api.router.resources() {
                for (method, route) in &res.methods {
                    let path = if res.path == "/" {
                        String::new()
                    } else {
                        res.path.clone()
                    };
                    rows.push((
                        method.clone(),
                        format!("/{}{}", api.spec.stage, path),
                        route.function.clone(),
                        protection(route),
                    ));
                }
            }
        }
        for api in &self.http {
            rows.extend(http::route_rows(api));
        }
        rows
    }

    /// Every route with its protection, as CloudFormation names it (`NONE`, `AWS_IAM`,
    /// `COGNITO_USER_POOLS`, `CUSTOM`, `JWT`, or `REFUSED`): what `routes.json` holds, and what
    /// the conformance test compares with SAM's own translation.
    pub fn routes_json(&self) -> Json {
        let row = |api: &str, kind: &str, stage: &str, r: &spec::Route, auth: &str| {
            let (auth, authorizer) = match &r.authorization {
                Authorization::None => ("NONE", None),
                Authorization::Iam => ("AWS_IAM", None),
                Authorization::Refused(_) => ("REFUSED", None),
                Authorization::Authorizer(name) => (auth, Some(name.clone())),
            };
            let mut scopes = r.scopes.clone();
            scopes.sort();
            let (method, path) = if r.path == "$default" {
                ("ANY", r.path.as_str())
            } else {
                (r.method.as_str(), r.path.as_str())
            };
            json!({"api": api, "kind": kind, "stage": stage, "method": method, "path": path,
                   "auth": auth, "authorizer": authorizer, "scopes": scopes,
                   "api_key": r.api_key_required, "function": r.function})
        };
        let mut rows = Vec::new();
        for a in &self.apis {
            for r in &a.spec.routes {
                let t = r
                    .authorization
                    .authorizer()
                    .and_then(|n| a.spec.authorizer(n))
                    .map_or("NONE", |z| z.kind.authorization_type());
                rows.push(row(&a.spec.logical_id, "rest", &a.spec.stage, r, t));
            }
        }
        for a in &self.http {
            for r in &a.spec.routes {
                let t = r
                    .authorization
                    .authorizer()
                    .and_then(|n| a.spec.authorizers.get(n))
                    .map_or("NONE", |z| z.kind.authorization_type());
                rows.push(row(&a.spec.logical_id, "http", &a.spec.stage, r, t));
            }
        }
        Json::Array(rows)
    }

    /// Handles one request.
    pub async fn handle(&self, req: Request, peer: Option<SocketAddr>) -> Response {
        let started = Instant::now();
        let method = req.method().clone();
        let path = req.uri().path().to_string();
        let (resp, function, user) = self.route(req, peer).await;
        tracing::info!(
            target: "gateway",
            "{method} {path} {} {}ms {} {}",
            resp.status().as_u16(),
            started.elapsed().as_millis(),
            function.as_deref().unwrap_or("-"),
            user.as_deref().unwrap_or("-"),
        );
        resp
    }

    async fn route(
        &self,
        req: Request,
        peer: Option<SocketAddr>,
    ) -> (Response, Option<String>, Option<String>) {
        let raw_path = req.uri().path().to_string();
        if let Some(name) = raw_path
            .strip_prefix("/2015-03-31/functions/")
            .and_then(|rest| rest.strip_suffix("/invocations"))
            && req.method() == Method::POST
            && self.invoke_api
        {
            if let Some(refused) = management_refusal(&req) {
                return (refused, None, None);
            }
            // An ARN names the function in its last part.
            let name = name.rsplit(':').next().unwrap_or(name).to_string();
            return (self.invoke_direct(&name, req).await, Some(name), None);
        }
        let mut segments = raw_path.trim_start_matches('/').splitn(2, '/');
        let stage = segments.next().unwrap_or_default();
        let rest = spec::normalize(segments.next().unwrap_or_default());
        // On AWS each REST API has a host of its own; here they share the port, so several
        // may have this stage (nested stacks each with their implicit `Prod`): the first whose
        // resource has this method serves, else the first with the resource.
        let staged: Vec<&Served> = self.apis.iter().filter(|a| a.spec.stage == stage).collect();
        if staged.is_empty() {
            return match self.route_http(req, peer).await {
                Ok(answer) => answer,
                Err(_) => (gateway_error(Gw::MissingToken), None, None),
            };
        }
        let method = req.method().as_str().to_string();
        let mut fallback = None;
        let mut chosen = None;
        for api in staged {
            if let Some(m) = api.router.find(&rest) {
                let methods = &m.resource.methods;
                if methods.contains_key(method.as_str()) || methods.contains_key("ANY") {
                    chosen = Some((api, m));
                    break;
                }
                fallback.get_or_insert((api, m));
            }
        }
        let Some((api, m)) = chosen.or(fallback) else {
            return (gateway_error(Gw::MissingToken), None, None);
        };
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
            path: &rest,
            peer,
        };
        let route = match route {
            Some(r) => r,
            None if parts.method == Method::OPTIONS && api.spec.cors.is_some() => {
                match &api.spec.preflight {
                    Authorization::Authorizer(name) => {
                        if let Err(refused) = self.authorize_rest(&here, name, &[], &parts).await {
                            return (refused, None, None);
                        }
                    }
                    // A browser's preflight is never signed: refused, as on AWS.
                    Authorization::Iam => {
                        if let Err(r) = self.iam_check(&here, &parts, &[]) {
                            let resp =
                                json_error(StatusCode::FORBIDDEN, &r.message, Some(&r.error_type));
                            return (resp, None, None);
                        }
                    }
                    Authorization::Refused(_) => {
                        return (gateway_error(Gw::Configuration), None, None);
                    }
                    Authorization::None => {}
                }
                return (event::preflight(&api.spec, m.resource), None, None);
            }
            None => return (gateway_error(Gw::MissingToken), None, None),
        };
        // Every protection runs before the integration, whatever it is.
        let function = (!route.function.is_empty()).then(|| route.function.clone());
        let mut identity = None;
        let mut body = BodyState::Unread(body);
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
                        let resp =
                            json_error(StatusCode::FORBIDDEN, &r.message, Some(&r.error_type));
                        return (resp, function, None);
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
                Ok(a) => Some(a),
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
            let value = match here.api.spec.api_key_source {
                spec::ApiKeySource::Header => {
                    parts.headers.get("x-api-key").and_then(|v| v.to_str().ok())
                }
                spec::ApiKeySource::Authorizer => {
                    authorized.as_ref().and_then(Authorized::usage_key)
                }
            };
            match self
                .api_keys
                .check(value, &here.api.spec.id, &here.api.spec.stage)
            {
                Ok((id, value)) => {
                    let i = identity.get_or_insert_with(Default::default);
                    i.api_key = Some(value);
                    i.api_key_id = Some(id);
                }
                Err(refusal) => return (key_refusal(refusal), None, user),
            }
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

    /// Lambda's Invoke API (`POST /2015-03-31/functions/{name}/invocations`): the request body
    /// is the event, the response body the function's payload; a failure is reported as Lambda
    /// does, with `X-Amz-Function-Error` and `{"errorMessage","errorType"}`.
    async fn invoke_direct(&self, name: &str, req: Request) -> Response {
        let event = match common::server::read_body(req.into_body(), 6 * 1024 * 1024).await {
            Ok(b) if b.is_empty() => b"{}".to_vec(),
            Ok(b) => b.to_vec(),
            Err(BodyError::Malformed) => return gateway_error(Gw::BadRequest),
            Err(BodyError::TooLarge) => {
                return json_error(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "Request must be smaller than 6291456 bytes for the InvokeFunction operation",
                    Some("RequestTooLargeException"),
                );
            }
        };
        let (error_type, message) = match self.invoker.invoke(name, event).await {
            Ok(payload) => {
                let mut resp = Response::new(Body::from(payload));
                let h = resp.headers_mut();
                h.insert(
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("application/json"),
                );
                h.insert(
                    "x-amz-executed-version",
                    HeaderValue::from_static("$LATEST"),
                );
                return resp;
            }
            Err(InvokeError::UnknownFunction(_)) => {
                return json_error(
                    StatusCode::NOT_FOUND,
                    &format!("Function not found: {name}"),
                    Some("ResourceNotFoundException"),
                );
            }
            Err(InvokeError::Function {
                payload: Some(payload),
                ..
            }) => return function_error(payload),
            Err(InvokeError::Function {
                error_type,
                message,
                payload: None,
            }) => (error_type, message),
            Err(InvokeError::Timeout(d)) => (
                "Sandbox.Timedout".into(),
                format!("Task timed out after {:.2} seconds", d.as_secs_f64()),
            ),
            Err(InvokeError::Crashed(why)) => ("Runtime.ExitError".into(), why),
        };
        function_error(
            json!({"errorMessage": message, "errorType": error_type})
                .to_string()
                .into_bytes(),
        )
    }

    /// The IAM stage of a REST method: the signature of the request as it arrived and the
    /// caller's `execute-api:Invoke` on the method's ARN.
    fn iam_check(
        &self,
        here: &Here<'_>,
        parts: &axum::http::request::Parts,
        body: &[u8],
    ) -> Result<protect::IamCaller, protect::IamRefusal> {
        let api = &here.api.spec;
        let arn = lambda_auth::method_arn(
            &self.region,
            &self.account_id,
            &api.id,
            &api.stage,
            parts.method.as_str(),
            here.path,
        );
        self.iam_invoke(parts, body, &arn, here.peer)
    }

    /// Asks the IAM port about a request to `arn` (no port: refused, never open).
    pub(crate) fn iam_invoke(
        &self,
        parts: &axum::http::request::Parts,
        body: &[u8],
        arn: &str,
        peer: Option<SocketAddr>,
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
            spec::AuthorizerKind::Cognito { pool_ids, header } => {
                // The identity header given twice is ambiguous: refused (AWS's behaviour here
                // is undocumented; refusing cannot let a request through that should not pass).
                let mut values = parts.headers.get_all(header.as_str()).iter();
                let value = values.next().and_then(|v| v.to_str().ok());
                if values.next().is_some() {
                    return Err(denied(Denied::Unauthorized));
                }
                return auth::authorize(pool_ids, scopes, value, self.keys.as_ref(), &self.cache)
                    .await
                    .map(Authorized::Token)
                    .map_err(denied);
            }
            spec::AuthorizerKind::Lambda(l) => l,
            spec::AuthorizerKind::Jwt { .. } => return Err(denied(Denied::Unauthorized)),
        };
        let api = &here.api.spec;
        let arn = lambda_auth::method_arn(
            &self.region,
            &self.account_id,
            &api.id,
            &api.stage,
            parts.method.as_str(),
            here.path,
        );
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
/// `-`; `api-key` (alone or after a `+`) when a key is required.
fn protection(route: &spec::Route) -> String {
    let base = match &route.authorization {
        Authorization::None => "-",
        Authorization::Authorizer(name) => name.as_str(),
        Authorization::Iam => "iam",
        Authorization::Refused(_) => "refused",
    };
    match (base, route.api_key_required) {
        ("-", true) => "api-key".into(),
        (b, true) => format!("{b}+api-key"),
        (b, false) => b.to_string(),
    }
}

/// A refused API key: 403 `Forbidden`, or 429 for the quota and the rate.
fn key_refusal(r: protect::KeyRefusal) -> Response {
    match r {
        protect::KeyRefusal::Invalid => json_error(
            StatusCode::FORBIDDEN,
            "Forbidden",
            Some("ForbiddenException"),
        ),
        protect::KeyRefusal::Quota => json_error(
            StatusCode::TOO_MANY_REQUESTS,
            "Limit Exceeded",
            Some("LimitExceededException"),
        ),
        // x-amzn-ErrorType for THROTTLED is not captured (aws-behaviour-3-iam.md §3):
        // TooManyRequestsException, as API Gateway's own API names it.
        protect::KeyRefusal::Throttled => json_error(
            StatusCode::TOO_MANY_REQUESTS,
            "Too Many Requests",
            Some("TooManyRequestsException"),
        ),
    }
}

/// Where a REST request landed.
struct Here<'a> {
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

/// A Lambda authorizer's 403: `{"Message": …}` as captured from AWS.
fn access_denied(explicit: bool) -> Response {
    let text = if explicit {
        "User is not authorized to access this resource with an explicit deny"
    } else {
        "User is not authorized to access this resource"
    };
    let mut resp = json_error(StatusCode::FORBIDDEN, text, Some("AccessDeniedException"));
    *resp.body_mut() = Body::from(json!({"Message": text}).to_string());
    resp
}

/// Lambda's Invoke answer for a function error: 200 with `X-Amz-Function-Error` and the error
/// payload.
fn function_error(body: Vec<u8>) -> Response {
    let mut resp = Response::new(Body::from(body));
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    h.insert(
        "x-amz-function-error",
        HeaderValue::from_static("Unhandled"),
    );
    resp
}

/// The gateway's own answers.
#[derive(Debug, Clone, Copy)]
enum Gw {
    MissingToken,
    TooLarge,
    BadRequest,
    Configuration,
    Internal,
    Timeout,
}

fn gateway_error(kind: Gw) -> Response {
    let (status, message, error_type) = match kind {
        Gw::MissingToken => (
            StatusCode::FORBIDDEN,
            "Missing Authentication Token",
            Some("MissingAuthenticationTokenException"),
        ),
        Gw::TooLarge => (
            StatusCode::PAYLOAD_TOO_LARGE,
            "Request Too Long",
            Some("RequestTooLongException"),
        ),
        Gw::Configuration => (
            StatusCode::INTERNAL_SERVER_ERROR,
            "Internal server error",
            Some("InternalServerErrorException"),
        ),
        Gw::BadRequest => (
            StatusCode::BAD_REQUEST,
            "Bad request: the body could not be read",
            Some("BadRequestException"),
        ),
        Gw::Internal => (
            StatusCode::BAD_GATEWAY,
            "Internal server error",
            Some("InternalServerErrorException"),
        ),
        Gw::Timeout => (
            StatusCode::GATEWAY_TIMEOUT,
            "Endpoint request timed out",
            Some("IntegrationTimeoutException"),
        ),
    };
    json_error(status, message, error_type)
}

/// Lambda's Invoke API is a management call: refused unless SigV4-signed, and refused from a
/// browser (see `common::management`).
fn management_refusal(req: &Request) -> Option<Response> {
    let h = req.headers();
    let text = |name: header::HeaderName| h.get(name).and_then(|v| v.to_str().ok());
    if common::management::from_browser(text(header::ORIGIN), text(header::CONTENT_TYPE)) {
        tracing::warn!(target: "gateway", "refused a Lambda Invoke request sent by a browser (Origin or a form content type)");
        return Some(json_error(
            StatusCode::FORBIDDEN,
            "Lambda's Invoke API does not accept requests from a web page",
            Some("AccessDeniedException"),
        ));
    }
    let auth: Vec<&str> = h
        .get_all(header::AUTHORIZATION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect();
    if auth.len() != 1 || !common::management::sigv4_signed(auth.first().copied()) {
        return Some(gateway_error(Gw::MissingToken));
    }
    None
}

fn denied(d: Denied) -> Response {
    let message = match d {
        Denied::Unauthorized | Denied::Forbidden => "Unauthorized",
        Denied::Expired => "The incoming token has expired",
    };
    json_error(
        StatusCode::UNAUTHORIZED,
        message,
        Some("UnauthorizedException"),
    )
}

fn json_error(status: StatusCode, message: &str, error_type: Option<&str>) -> Response {
    let mut resp = (status, json!({"message": message}).to_string()).into_response();
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    if let Some(t) = error_type.and_then(|t| HeaderValue::from_str(t).ok()) {
        h.insert("x-amzn-errortype", t);
    }
    if let Ok(v) = HeaderValue::from_str(&common::id::uuid()) {
        h.insert("x-amzn-requestid", v);
    }
    resp
}

/// The gateway as an axum router: tests drive it with `tower::ServiceExt::oneshot`, no socket;
/// [`serve`] puts it on a listener. The client's address comes from axum's `ConnectInfo`
/// when there is one.
pub fn app(gateway: Arc<Gateway>) -> axum::Router {
    axum::Router::new().fallback(entry).with_state(gateway)
}

async fn entry(State(gw): State<Arc<Gateway>>, req: Request<Body>) -> Response {
    let peer = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0);
    gw.handle(req, peer).await
}

/// Serves the gateway on `listener` until `shutdown` completes, within `limits`.
pub async fn serve(
    listener: TcpListener,
    gateway: Arc<Gateway>,
    limits: common::server::Limits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    common::server::serve(listener, app(gateway), limits, None, shutdown).await
}
