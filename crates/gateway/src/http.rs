//! HTTP APIs (API Gateway v2) on the API port: the stage first (a named one is the path's first
//! segment; `$default` is served at the root), then the route (`METHOD /path` beats `ANY
//! /path`; a literal segment beats `{param}`, which beats `{proxy+}`; `$default` catches the
//! rest; nothing: 404 `Not Found`), CORS answered from `CorsConfiguration`, the JWT or Lambda
//! authorizer, and the function with payload format 2.0 (or 1.0).

use std::collections::BTreeMap;
use std::net::SocketAddr;

use axum::body::{Body, Bytes};
use axum::extract::Request;
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value as Json, json};

use crate::auth::{self, Denied};
use crate::lambda_auth;
use crate::router::{Seg, matches, parse};
use crate::spec::{
    Authorization, AuthorizerKind, HttpApi, HttpCors, Integration, LambdaAuthorizer, Route,
};
use crate::{Gateway, InvokeError};

/// An HTTP API ready to route.
#[derive(Debug)]
pub(crate) struct HttpServed {
    pub(crate) spec: HttpApi,
    /// Each route's parsed path (empty for `$default`).
    segs: Vec<Vec<Seg>>,
}

impl HttpServed {
    pub(crate) fn new(spec: HttpApi) -> HttpServed {
        let segs = spec
            .routes
            .iter()
            .map(|r| {
                if r.path == "$default" {
                    Vec::new()
                } else {
                    parse(&r.path)
                }
            })
            .collect();
        HttpServed { spec, segs }
    }

    /// The path under this API for a request path: `Some` when the stage takes it.
    pub(crate) fn strip_stage<'p>(&self, path: &'p str) -> Option<&'p str> {
        if self.spec.stage == "$default" {
            return Some(path);
        }
        let rest = path
            .strip_prefix('/')?
            .strip_prefix(self.spec.stage.as_str())?;
        (rest.is_empty() || rest.starts_with('/')).then_some(if rest.is_empty() {
            "/"
        } else {
            rest
        })
    }

    /// The route for `method path`, with its path parameters.
    fn find(&self, method: &str, path: &str) -> Option<(&Route, BTreeMap<String, String>)> {
        let parts: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
        // (specificity, exact method), route index, path parameters.
        type Best = ((Vec<u8>, u8), usize, BTreeMap<String, String>);
        let mut best: Option<Best> = None;
        let mut default = None;
        for (i, r) in self.spec.routes.iter().enumerate() {
            if r.path == "$default" {
                default = Some(i);
                continue;
            }
            let exact = r.method == method;
            if !exact && r.method != "ANY" {
                continue;
            }
            let Some((rank, params)) = matches(&self.segs[i], &parts) else {
                continue;
            };
            let key = (rank, u8::from(exact));
            if best.as_ref().is_none_or(|(b, _, _)| key > *b) {
                best = Some((key, i, params));
            }
        }
        match best {
            Some((_, i, params)) => Some((&self.spec.routes[i], params)),
            None => default.map(|i| (&self.spec.routes[i], BTreeMap::new())),
        }
    }
}

/// The gateway's answers on an HTTP API: `{"message": …}`.
fn message(status: StatusCode, text: &str) -> Response {
    let mut resp = (status, json!({"message": text}).to_string()).into_response();
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    resp
}

fn allowed(list: &[String], value: &str) -> bool {
    list.iter()
        .any(|x| x == "*" || x.eq_ignore_ascii_case(value))
}

/// The CORS headers for a response to `origin`, when the configuration allows it.
fn cors_headers(cors: &HttpCors, origin: &str, h: &mut HeaderMap) {
    if !allowed(&cors.allow_origins, origin) {
        return;
    }
    let mut set = |name: &'static str, value: &str| {
        if let Ok(v) = HeaderValue::from_str(value) {
            h.insert(name, v);
        }
    };
    let any = cors.allow_origins.iter().any(|o| o == "*") && !cors.allow_credentials;
    set(
        "access-control-allow-origin",
        if any { "*" } else { origin },
    );
    if cors.allow_credentials {
        set("access-control-allow-credentials", "true");
    }
    if !cors.expose_headers.is_empty() {
        set(
            "access-control-expose-headers",
            &cors.expose_headers.join(","),
        );
    }
    h.append(header::VARY, HeaderValue::from_static("Origin"));
}

/// A preflight answered from `CorsConfiguration` (204).
fn preflight(cors: &HttpCors, headers: &HeaderMap) -> Response {
    let mut resp = StatusCode::NO_CONTENT.into_response();
    let origin = headers
        .get(header::ORIGIN)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let method = headers
        .get(header::ACCESS_CONTROL_REQUEST_METHOD)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if !allowed(&cors.allow_origins, origin) || !allowed(&cors.allow_methods, method) {
        return resp;
    }
    let h = resp.headers_mut();
    cors_headers(cors, origin, h);
    let mut set = |name: &'static str, value: &str| {
        if let Ok(v) = HeaderValue::from_str(value) {
            h.insert(name, v);
        }
    };
    set(
        "access-control-allow-methods",
        &cors.allow_methods.join(","),
    );
    let asked = headers
        .get(header::ACCESS_CONTROL_REQUEST_HEADERS)
        .and_then(|v| v.to_str().ok());
    if cors.allow_headers.iter().any(|x| x == "*") {
        if let Some(a) = asked {
            set("access-control-allow-headers", a);
        }
    } else if !cors.allow_headers.is_empty() {
        set(
            "access-control-allow-headers",
            &cors.allow_headers.join(","),
        );
    }
    if let Some(age) = cors.max_age {
        set("access-control-max-age", &age.to_string());
    }
    resp
}

/// Why no HTTP API took a request: none has its stage (the REST answer follows).
pub(crate) struct NoHttpApi;

type Answer = (Response, Option<String>, Option<String>);

impl Gateway {
    /// Serves `req` on the HTTP API whose stage it names (a named stage, else `$default`): the
    /// first of them with a route for it, else the first one's 404.
    pub(crate) async fn route_http(
        &self,
        req: Request,
        peer: Option<SocketAddr>,
    ) -> Result<Answer, NoHttpApi> {
        let path = req.uri().path().to_string();
        let method = req.method().as_str().to_string();
        // A first segment naming a stage selects it (as within one API on AWS); else `$default`.
        let of = |named: bool| -> Vec<(&HttpServed, &str)> {
            self.http
                .iter()
                .filter(|a| (a.spec.stage != "$default") == named)
                .filter_map(|a| a.strip_stage(&path).map(|p| (a, p)))
                .collect()
        };
        let mut candidates = of(true);
        if candidates.is_empty() {
            candidates = of(false);
        }
        let Some(&(first, first_path)) = candidates.first() else {
            return Err(NoHttpApi);
        };
        let (api, under) = candidates
            .iter()
            .find(|(a, p)| a.find(&method, p).is_some())
            .copied()
            .unwrap_or((first, first_path));
        let under = under.to_string();
        Ok(self.serve_http(api, &under, req, peer).await)
    }

    /// Serves `req` on the HTTP API `api`, `path` being the path under its stage.
    async fn serve_http(
        &self,
        api: &HttpServed,
        path: &str,
        req: Request,
        peer: Option<SocketAddr>,
    ) -> Answer {
        let (parts, body) = req.into_parts();
        let origin = parts
            .headers
            .get(header::ORIGIN)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        if let Some(cors) = &api.spec.cors
            && parts.method == Method::OPTIONS
            && parts
                .headers
                .contains_key(header::ACCESS_CONTROL_REQUEST_METHOD)
        {
            return (preflight(cors, &parts.headers), None, None);
        }
        let Some((route, params)) = api.find(parts.method.as_str(), path) else {
            return (message(StatusCode::NOT_FOUND, "Not Found"), None, None);
        };
        let (mut resp, function, user) = self
            .serve_route(api, path, route, params, parts, body, peer)
            .await;
        if let (Some(cors), Some(o)) = (&api.spec.cors, origin) {
            // The gateway's CORS headers replace any the function set.
            let h = resp.headers_mut();
            for name in [
                "access-control-allow-origin",
                "access-control-allow-credentials",
                "access-control-expose-headers",
            ] {
                h.remove(name);
            }
            cors_headers(cors, &o, h);
        }
        (resp, function, user)
    }

    #[allow(clippy::too_many_arguments)]
    async fn serve_route(
        &self,
        api: &HttpServed,
        path: &str,
        route: &Route,
        params: BTreeMap<String, String>,
        parts: Parts,
        body: Body,
        peer: Option<SocketAddr>,
    ) -> Answer {
        let route_key = route.key();
        let here = HttpHere {
            api,
            route,
            route_key: &route_key,
            params: &params,
            path,
            peer,
        };
        let mut user = None;
        let mut body = crate::rest::BodyState::Unread(body);
        let mut iam: Option<Json> = None;
        let mut iam_cognito: Option<crate::protect::CognitoIdentity> = None;
        match &route.authorization {
            Authorization::Refused(why) => {
                tracing::warn!(target: "gateway", "{}: refused: {why}", here.route_key);
                return (
                    message(StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error"),
                    None,
                    None,
                );
            }
            Authorization::Iam => {
                let bytes = match body.read().await {
                    Ok(b) => b,
                    Err(_) => return (message(StatusCode::BAD_REQUEST, "Bad Request"), None, None),
                };
                let arn = lambda_auth::method_arn(
                    &self.region,
                    &self.account_id,
                    &api.spec.id,
                    &api.spec.stage,
                    parts.method.as_str(),
                    path,
                );
                // HTTP APIs answer every IAM refusal with a bare 403 (aws-behaviour-3-iam.md §1,
                // unsure); the reason is in the log.
                match self.iam_invoke(&parts, &bytes, &arn, peer, None) {
                    Ok(c) => {
                        user = Some(c.user_arn.clone());
                        iam_cognito.clone_from(&c.cognito);
                        let cognito = c.cognito.as_ref().map(|k| {
                            json!({"amr": k.amr, "identityId": k.identity_id, "identityPoolId": k.pool_id})
                        });
                        iam = Some(json!({
                            "accessKey": c.access_key, "accountId": c.account_id,
                            "callerId": c.user_id, "cognitoIdentity": cognito,
                            "principalOrgId": null, "userArn": c.user_arn, "userId": c.user_id,
                        }));
                    }
                    Err(_) => return (message(StatusCode::FORBIDDEN, "Forbidden"), None, None),
                }
                body = crate::rest::BodyState::Read(bytes);
            }
            Authorization::None | Authorization::Authorizer(_) => {}
        }
        let authorizer: Option<Json> = match route
            .authorization
            .authorizer()
            .map(|a| api.spec.authorizers.get(a))
        {
            None => None,
            Some(None) => {
                return (
                    message(StatusCode::UNAUTHORIZED, "Unauthorized"),
                    None,
                    None,
                );
            }
            Some(Some(a)) => match &a.kind {
                AuthorizerKind::Jwt {
                    issuer,
                    audience,
                    source,
                } => {
                    let value = lambda_auth::identity_values(
                        std::slice::from_ref(source),
                        &parts.headers,
                        parts.uri.query(),
                        |_| None,
                    )
                    .and_then(|mut v| v.pop());
                    match auth::jwt(
                        issuer,
                        audience,
                        &route.scopes,
                        value.as_deref(),
                        self.keys.as_ref(),
                        &self.cache,
                    )
                    .await
                    {
                        Ok(v) => {
                            user = Some(v.user.clone());
                            let claims = auth::jwt_claims(&v.raw);
                            let scopes = if route.scopes.is_empty() {
                                Json::Null
                            } else {
                                json!(auth::token_scopes(&v.raw))
                            };
                            Some(if route.payload_version == "1.0" {
                                json!({"claims": claims, "scopes": scopes})
                            } else {
                                json!({"jwt": {"claims": claims, "scopes": scopes}})
                            })
                        }
                        Err((Denied::Forbidden, _)) => {
                            return (message(StatusCode::FORBIDDEN, "Forbidden"), None, None);
                        }
                        Err((_, reason)) => {
                            let mut resp = message(StatusCode::UNAUTHORIZED, "Unauthorized");
                            if let Ok(v) = HeaderValue::from_str(&format!(
                                "Bearer scope=\"\" error=\"invalid_token\" error_description=\"{reason}\""
                            )) {
                                resp.headers_mut().insert(header::WWW_AUTHENTICATE, v);
                            }
                            return (resp, None, None);
                        }
                    }
                }
                AuthorizerKind::Cognito { .. } => {
                    return (
                        message(StatusCode::UNAUTHORIZED, "Unauthorized"),
                        None,
                        None,
                    );
                }
                AuthorizerKind::Lambda(l) => {
                    match self.lambda_authorize_http(&here, &a.name, l, &parts).await {
                        Ok((ctx, principal)) => {
                            user = principal;
                            Some(ctx)
                        }
                        Err(resp) => return (resp, None, None),
                    }
                }
            },
        };
        match &route.integration {
            Integration::Proxy => {}
            Integration::Mock(m) => {
                return (
                    crate::event::mock(m.status, &m.headers, &m.body),
                    None,
                    user,
                );
            }
            Integration::Unsupported(why) => {
                tracing::warn!(target: "gateway", "{why}");
                return (
                    message(StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error"),
                    None,
                    user,
                );
            }
        }
        let function = Some(route.function.clone());
        let body = match body {
            crate::rest::BodyState::Read(b) => b,
            crate::rest::BodyState::Unread(body) => {
                match common::server::read_body(body, crate::MAX_BODY).await {
                    Ok(b) => b,
                    Err(common::server::BodyError::TooLarge) => {
                        return (
                            message(StatusCode::PAYLOAD_TOO_LARGE, "Request Entity Too Large"),
                            function,
                            user,
                        );
                    }
                    Err(common::server::BodyError::Malformed) => {
                        return (
                            message(StatusCode::BAD_REQUEST, "Bad Request"),
                            function,
                            user,
                        );
                    }
                }
            }
        };
        let identity = iam.as_ref().map(|c| crate::event::Identity {
            access_key: c["accessKey"].as_str().map(str::to_string),
            account_id: c["accountId"].as_str().map(str::to_string),
            caller: c["userId"].as_str().map(str::to_string),
            user_arn: c["userArn"].as_str().map(str::to_string),
            api_key: None,
            api_key_id: None,
            cognito: iam_cognito.clone(),
        });
        let authorizer = match (authorizer, iam) {
            (None, Some(iam)) if route.payload_version != "1.0" => Some(json!({"iam": iam})),
            (a, _) => a,
        };
        let event = if route.payload_version == "1.0" {
            let resource = here.resource();
            let mut ctx = here.context1(self, &resource, &parts, authorizer.as_ref());
            ctx.identity = identity.as_ref();
            crate::event::build(&ctx, &parts, &body)
        } else {
            crate::event2::build(&here.context2(self, authorizer), &parts, &body)
        };
        let out = tokio::time::timeout(
            crate::HTTP_INTEGRATION_TIMEOUT,
            self.invoker.invoke(&route.function, event),
        )
        .await;
        let resp = match out {
            Err(_) | Ok(Err(InvokeError::Timeout(_))) => {
                message(StatusCode::SERVICE_UNAVAILABLE, "Service Unavailable")
            }
            Ok(Err(e)) => {
                tracing::warn!(target: "gateway", "{}: {e}", route.function);
                message(StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error")
            }
            Ok(Ok(payload)) => {
                let mapped = if route.payload_version == "1.0" {
                    crate::event::response(&payload)
                } else {
                    crate::event2::response(&payload)
                };
                match mapped {
                    Ok(r) => r,
                    Err(why) => {
                        tracing::warn!(target: "gateway", "{}: an answer the HTTP API cannot use: {why}", route.function);
                        message(StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error")
                    }
                }
            }
        };
        (resp, function, user)
    }

    /// Runs an HTTP API's Lambda authorizer: `requestContext.authorizer` for the backend (and
    /// the principal, for the log), or the gateway's refusal.
    async fn lambda_authorize_http(
        &self,
        here: &HttpHere<'_>,
        name: &str,
        l: &LambdaAuthorizer,
        parts: &Parts,
    ) -> Result<(Json, Option<String>), Response> {
        let spec = &here.api.spec;
        let arn = lambda_auth::method_arn(
            &self.region,
            &self.account_id,
            &spec.id,
            &spec.stage,
            parts.method.as_str(),
            here.path,
        );
        let v2 = l.payload_version != "1.0";
        let resource = here.resource();
        // The authorizer's event: the request's event without its body.
        let request_event = || -> Json {
            let built = if v2 {
                crate::event2::build(&here.context2(self, None), parts, &Bytes::new())
            } else {
                crate::event::build(
                    &here.context1(self, &resource, parts, None),
                    parts,
                    &Bytes::new(),
                )
            };
            serde_json::from_slice(&built).unwrap_or_default()
        };
        let mut event_json: Option<Json> = None;
        let identity =
            lambda_auth::identity_values(&l.identity, &parts.headers, parts.uri.query(), |name| {
                let ev = event_json.get_or_insert_with(request_event);
                match name {
                    "routeKey" => Some(here.route_key.to_string()),
                    _ => lambda_auth::context_variable(&ev["requestContext"], name),
                }
            });
        let Some(identity) = identity else {
            return Err(message(StatusCode::UNAUTHORIZED, "Unauthorized"));
        };
        let joined = identity.join(",");
        let sources = identity.clone();
        let ask = lambda_auth::Ask {
            authorizer: l,
            scope: format!("{}\0{name}", spec.id),
            identity,
            arn: &arn,
            rest: false,
        };
        let (outcome, latency) = self
            .lambda_authorize(ask, || {
                let Json::Object(mut ev) = event_json.unwrap_or_else(request_event) else {
                    return b"{}".to_vec();
                };
                ev.remove("body");
                ev.remove("isBase64Encoded");
                let mut out = Map::with_capacity(ev.len() + 4);
                if v2 {
                    out.insert("version".into(), json!("2.0"));
                    out.insert("type".into(), json!("REQUEST"));
                    out.insert("routeArn".into(), json!(arn));
                    out.insert("identitySource".into(), json!(sources));
                    ev.remove("version");
                } else {
                    out.insert("version".into(), json!("1.0"));
                    out.insert("type".into(), json!("REQUEST"));
                    out.insert("methodArn".into(), json!(arn));
                    out.insert("identitySource".into(), json!(joined));
                    out.insert("authorizationToken".into(), json!(joined));
                    ev.remove("version");
                }
                out.extend(ev);
                Json::Object(out).to_string().into_bytes()
            })
            .await;
        match outcome {
            lambda_auth::Outcome::Allow(d) => {
                let ctx = if here.route.payload_version == "1.0" {
                    // Payload 1.0: the context beside principalId, as a REST API gives it
                    // (AWS documents only that `claims` cannot be a key; unsure).
                    let mut m = d.context.clone();
                    if let Some(p) = &d.principal_id {
                        m.insert("principalId".into(), json!(p));
                    }
                    m.insert(
                        "integrationLatency".into(),
                        json!(u64::try_from(latency.as_millis()).unwrap_or(u64::MAX)),
                    );
                    Json::Object(m)
                } else {
                    json!({"lambda": d.context})
                };
                Ok((ctx, d.principal_id.clone()))
            }
            lambda_auth::Outcome::Unauthorized => {
                Err(message(StatusCode::UNAUTHORIZED, "Unauthorized"))
            }
            lambda_auth::Outcome::Denied(_) => Err(message(StatusCode::FORBIDDEN, "Forbidden")),
            lambda_auth::Outcome::Failed(why) => {
                tracing::warn!(target: "gateway", "authorizer {name}: {why}");
                Err(message(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "Internal Server Error",
                ))
            }
        }
    }
}

/// Where an HTTP API request landed.
struct HttpHere<'a> {
    api: &'a HttpServed,
    route: &'a Route,
    route_key: &'a str,
    params: &'a BTreeMap<String, String>,
    /// The path under the stage.
    path: &'a str,
    peer: Option<SocketAddr>,
}

impl<'a> HttpHere<'a> {
    /// Payload 1.0's `resource`: the route's path (`$default` for that route).
    fn resource(&self) -> String {
        self.route.path.clone()
    }

    fn context1(
        &self,
        gw: &'a Gateway,
        resource: &'a str,
        parts: &'a Parts,
        authorizer: Option<&'a Json>,
    ) -> crate::event::Context<'a> {
        crate::event::Context {
            api_id: &self.api.spec.id,
            stage: &self.api.spec.stage,
            account_id: &gw.account_id,
            region: &gw.region,
            resource,
            path: parts.uri.path(),
            params: self.params,
            authorizer,
            peer: self.peer,
            http_api: true,
            identity: None,
        }
    }

    fn context2(&self, gw: &'a Gateway, authorizer: Option<Json>) -> crate::event2::Context<'a> {
        crate::event2::Context {
            api_id: &self.api.spec.id,
            stage: &self.api.spec.stage,
            account_id: &gw.account_id,
            region: &gw.region,
            route_key: self.route_key,
            params: self.params,
            authorizer,
            peer: self.peer,
        }
    }
}

/// `(method, path, function, authorizer)` rows of an HTTP API for the route table.
pub(crate) fn route_rows(api: &HttpServed) -> Vec<crate::RouteRow> {
    let prefix = if api.spec.stage == "$default" {
        String::new()
    } else {
        format!("/{}", api.spec.stage)
    };
    api.spec
        .routes
        .iter()
        .map(|r| {
            // `$default` is a route key, not a path: it catches what no other route takes.
            let (method, path) = if r.path == "$default" && prefix.is_empty() {
                ("ANY".to_string(), "$default".to_string())
            } else if r.path == "$default" {
                ("ANY".to_string(), format!("{prefix}/$default"))
            } else {
                (r.method.clone(), format!("{prefix}{}", r.path))
            };
            crate::RouteRow {
                method,
                path,
                function: r.function.clone(),
                protection: crate::rest::protection(r, false),
                token_header: r
                    .authorization
                    .authorizer()
                    .and_then(|n| api.spec.authorizers.get(n))
                    .and_then(|a| a.kind.token_header()),
            }
        })
        .collect()
}
