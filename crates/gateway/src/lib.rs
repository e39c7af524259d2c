//! API Gateway, REST (v1) and HTTP (v2) APIs with Lambda proxy integrations, served locally as
//! AWS serves them.
//!
//! # Layout
//! - [`spec`]: the APIs it serves (the `apispec` crate: stages, routes, authorizers, CORS,
//!   API keys, gateway responses), as plain data.
//! - [`router`]: path matching with AWS's precedence.
//! - [`auth`]: the Cognito user pool and JWT authorizers and their cache of verified tokens.
//! - `lambda_auth`: Lambda authorizers (TOKEN, REQUEST, HTTP 1.0 and 2.0), their policies and
//!   cached decisions.
//! - [`protect`]: IAM (the [`protect::Iam`] port: SigV4 and policies) and API keys with usage
//!   plans, the protection stage that runs with the authorizers, before any integration.
//! - [`event`]: the proxy event (payload 1.0) and the mapping of the function's answer;
//!   [`event2`]: the HTTP API's payload 2.0.
//! - `rest`: the REST request path (route, protection, authorizer, integration); `http`: the
//!   HTTP API's (stages, routes, CORS, authorizers).
//! - `invoke`: calling a function through the [`Invoke`] port and shaping its failures.
//! - `answers`: the gateway's own answers (`x-amzn-ErrorType`, AWS's texts) and the gateway
//!   response stage that customises them.
//! - this file: the [`Gateway`], the router factory ([`app`]) and server ([`serve`]).
//!
//! The gateway knows nothing of processes, key storage or templates: it invokes through the
//! [`Invoke`] port and reads keys through the [`auth::KeySource`] port, which the CLI meets
//! with the Lambda host and the user pools.

mod answers;
pub mod auth;
pub mod event;
pub mod event2;
mod http;
mod invoke;
mod lambda_auth;
pub mod protect;
mod rest;
pub mod router;
pub mod spec;
mod validate;

use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::Method;
use axum::response::Response;
use serde_json::{Value as Json, json};
use tokio::net::TcpListener;

use crate::answers::{Gw, gateway_error};
use crate::auth::{Cache, KeySource};
use crate::invoke::management_refusal;
use crate::rest::protection;
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

    /// Invokes `function` with the JSON `event` and a client context (the JSON of Lambda's
    /// Invoke API `X-Amz-Client-Context`, which the function sees in its context object). A
    /// port that has no way to pass it on invokes without it.
    fn invoke_with_client_context<'a>(
        &'a self,
        function: &'a str,
        event: Vec<u8>,
        client_context: String,
    ) -> Invocation<'a> {
        let _ = client_context;
        self.invoke(function, event)
    }

    /// Whether `function` is one that can be invoked.
    fn exists(&self, function: &str) -> bool;
}

/// One API with its router.
#[derive(Debug)]
struct Served {
    spec: RestApi,
    router: Router,
    /// The resource policy with the API's ARN written out.
    policy: Option<Json>,
    /// The validated methods' models, compiled, by route key.
    models: std::collections::HashMap<String, validate::Models>,
}

/// One row of the start-up route table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteRow {
    /// The method (`ANY` for a `$default` route).
    pub method: String,
    /// The path with its stage.
    pub path: String,
    /// The function it invokes (empty when none).
    pub function: String,
    /// Its protection ([`rest::protection`]'s words).
    pub protection: String,
    /// The header a user pool token goes in, when the route's authorizer takes one (Cognito,
    /// JWT); `None` for Lambda authorizers, IAM and open routes.
    pub token_header: Option<String>,
}

/// The gateway: every API of the stack, on one listener, by stage.
#[derive(Debug)]
pub struct Gateway {
    apis: Vec<Served>,
    http: Vec<http::HttpServed>,
    invoker: Arc<dyn Invoke>,
    /// `Event` invocations queued or running (Lambda's Invoke API).
    events_in_flight: Arc<std::sync::atomic::AtomicUsize>,
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
                models: validate::compile(&spec),
                policy: spec.resource_policy.as_ref().map(|p| {
                    protect::expand_policy(
                        p,
                        &format!("arn:aws:execute-api:{region}:{account_id}:{}", spec.id),
                    )
                }),
                spec,
            })
            .collect();
        Gateway {
            apis,
            http: Vec::new(),
            invoker,
            events_in_flight: Arc::default(),
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

    /// The start-up route table's rows.
    pub fn route_table(&self) -> Vec<RouteRow> {
        let mut rows = Vec::new();
        for api in &self.apis {
            for res in api.router.resources() {
                for (method, route) in &res.methods {
                    let path = if res.path == "/" {
                        String::new()
                    } else {
                        res.path.clone()
                    };
                    let token_header = route
                        .authorization
                        .authorizer()
                        .and_then(|n| api.spec.authorizer(n))
                        .and_then(|a| a.kind.token_header());
                    rows.push(RouteRow {
                        method: method.clone(),
                        path: format!("/{}{}", api.spec.stage, path),
                        function: route.function.clone(),
                        protection: protection(route, api.policy.is_some()),
                        token_header,
                    });
                }
            }
        }
        for api in &self.http {
            rows.extend(http::route_rows(api));
        }
        rows
    }

    /// Every route with its protection, as CloudFormation names it (`NONE`, `AWS_IAM`,
    /// `COGNITO_USER_POOLS`, `CUSTOM`, `JWT`, or `REFUSED`), and its API's resource policy as
    /// written: what `routes.json` holds, and what the conformance test compares with SAM's
    /// own translation.
    pub fn routes_json(&self) -> Json {
        let row = |api: &str,
                   kind: &str,
                   stage: &str,
                   r: &spec::Route,
                   auth: &str,
                   policy: Option<&Json>| {
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
                   "api_key": r.api_key_required, "function": r.function,
                   "resource_policy": policy})
        };
        let mut rows = Vec::new();
        for a in &self.apis {
            for r in &a.spec.routes {
                let t = r
                    .authorization
                    .authorizer()
                    .and_then(|n| a.spec.authorizer(n))
                    .map_or("NONE", |z| z.kind.authorization_type());
                rows.push(row(
                    &a.spec.logical_id,
                    "rest",
                    &a.spec.stage,
                    r,
                    t,
                    a.spec.resource_policy.as_ref(),
                ));
            }
        }
        for a in &self.http {
            for r in &a.spec.routes {
                let t = r
                    .authorization
                    .authorizer()
                    .and_then(|n| a.spec.authorizers.get(n))
                    .map_or("NONE", |z| z.kind.authorization_type());
                rows.push(row(&a.spec.logical_id, "http", &a.spec.stage, r, t, None));
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
            let name = invoke::function_name(name);
            return (self.invoke_direct(&name, req, peer).await, Some(name), None);
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
            let resp = gateway_error(Gw::MissingToken);
            let first = self.apis.iter().find(|a| a.spec.stage == stage);
            return match first {
                Some(a) if !a.spec.gateway_responses.is_empty() => {
                    let (parts, _) = head_of(&req).into_parts();
                    (answers::customise(&a.spec, &parts, resp), None, None)
                }
                _ => (resp, None, None),
            };
        };
        // The gateway response stage needs the request's head after the request is consumed:
        // kept only for APIs that customise their responses.
        let head = (!api.spec.gateway_responses.is_empty()).then(|| head_of(&req));
        let (resp, function, user) = self.serve_rest(api, &m, &rest, req, peer).await;
        match head {
            Some(h) => {
                let (parts, _) = h.into_parts();
                (answers::customise(&api.spec, &parts, resp), function, user)
            }
            None => (resp, function, user),
        }
    }
}

/// A copy of a request's method, URI and headers.
fn head_of(req: &Request) -> axum::http::Request<()> {
    let mut r = axum::http::Request::new(());
    *r.method_mut() = req.method().clone();
    *r.uri_mut() = req.uri().clone();
    *r.headers_mut() = req.headers().clone();
    r
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
