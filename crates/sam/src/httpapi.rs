//! HTTP APIs (API Gateway v2): `AWS::Serverless::HttpApi` (its Globals merged in), the implicit
//! `ServerlessHttpApi` of `HttpApi` events without `ApiId`, and an OpenAPI 3 `DefinitionBody`,
//! following SAM's rules: the stage is `$default` unless `StageName` says otherwise; an event
//! with neither `Path` nor `Method` is the `$default` route; integrations use payload format
//! 2.0 unless the event says `PayloadFormatVersion`; `DefaultAuthorizer` applies to events
//! without their own `Auth.Authorizer` (`NONE` opts out); `CorsConfiguration: true` allows every
//! origin.

use std::collections::BTreeMap;

use serde_json::Value as Json;
use template::Stack;

use crate::api::{Integration, normalize};
use crate::openapi::function_of_uri;

/// The logical id of the API that `HttpApi` events without `ApiId` go to.
pub const IMPLICIT_HTTP_API: &str = "ServerlessHttpApi";

/// `CorsConfiguration`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Cors {
    /// `AllowOrigins` (`*` allowed).
    pub allow_origins: Vec<String>,
    /// `AllowMethods`.
    pub allow_methods: Vec<String>,
    /// `AllowHeaders`.
    pub allow_headers: Vec<String>,
    /// `ExposeHeaders`.
    pub expose_headers: Vec<String>,
    /// `MaxAge`, seconds.
    pub max_age: Option<u64>,
    /// `AllowCredentials`.
    pub allow_credentials: bool,
}

/// What kind of authorizer an HTTP API has.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthorizerKind {
    /// A JWT authorizer: any OIDC issuer (a Cognito pool's among them).
    Jwt {
        /// `JwtConfiguration.issuer`.
        issuer: String,
        /// `JwtConfiguration.audience`.
        audience: Vec<String>,
    },
    /// A Lambda authorizer.
    Lambda {
        /// The function's name.
        function: String,
        /// `AuthorizerPayloadFormatVersion`: `1.0` or `2.0`.
        payload_version: String,
        /// `EnableSimpleResponses` (2.0 only): `{"isAuthorized", "context"}` answers.
        simple_responses: bool,
        /// `Identity.ReauthorizeEvery` / `authorizerResultTtlInSeconds` (0: no caching).
        ttl_secs: u64,
    },
}

/// An authorizer under `Auth.Authorizers`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authorizer {
    /// Its name.
    pub name: String,
    /// JWT or Lambda.
    pub kind: AuthorizerKind,
    /// Identity sources: `$request.header.Authorization`, `$request.querystring.x`,
    /// `$context.x`, `$stageVariables.x`.
    pub identity_source: Vec<String>,
    /// `AuthorizationScopes` on the authorizer: the routes' scopes when they give none.
    pub scopes: Vec<String>,
}

/// A route: `METHOD /path` (or `ANY /path`), or `$default`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    /// Upper-case method, `ANY`, or empty for `$default`.
    pub method: String,
    /// The path template (`/items/{id}`, `/{proxy+}`), or `$default`.
    pub path: String,
    /// The function's name (for a Lambda proxy integration).
    pub function: String,
    /// What the route does.
    pub integration: Integration,
    /// `1.0` or `2.0`.
    pub payload_version: String,
    /// The authorizer's name, if any.
    pub authorizer: Option<String>,
    /// `AuthorizationScopes` (the token must hold one of them).
    pub scopes: Vec<String>,
}

impl Route {
    /// `GET /items/{id}`, `ANY /{proxy+}`, `$default`.
    pub fn key(&self) -> String {
        if self.path == "$default" {
            "$default".into()
        } else {
            format!("{} {}", self.method, self.path)
        }
    }
}

/// One HTTP API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpApi {
    /// Logical id.
    pub logical_id: String,
    /// The API id.
    pub id: String,
    /// The stage (`$default`: served at the root, without a prefix).
    pub stage: String,
    /// `CorsConfiguration`: the gateway answers preflights and adds the headers.
    pub cors: Option<Cors>,
    /// Authorizers by name.
    pub authorizers: BTreeMap<String, Authorizer>,
    /// `Auth.DefaultAuthorizer`.
    pub default_authorizer: Option<String>,
    /// Routes.
    pub routes: Vec<Route>,
}

fn strings(v: &Json) -> Vec<String> {
    match v {
        Json::Array(l) => l
            .iter()
            .map(|x| {
                x.as_str()
                    .map_or_else(|| template::json_text(x), str::to_string)
            })
            .collect(),
        Json::String(s) => s.split(',').map(|p| p.trim().to_string()).collect(),
        _ => Vec::new(),
    }
}

fn cors(v: &Json) -> Result<Option<Cors>, String> {
    Ok(match v {
        Json::Null | Json::Bool(false) => None,
        Json::Bool(true) => Some(Cors {
            allow_origins: vec!["*".into()],
            ..Cors::default()
        }),
        Json::Object(c) => {
            let get =
                |a: &str, b: &str| c.get(a).or_else(|| c.get(b)).cloned().unwrap_or(Json::Null);
            let cors = Cors {
                allow_origins: strings(&get("AllowOrigins", "allowOrigins")),
                allow_methods: strings(&get("AllowMethods", "allowMethods")),
                allow_headers: strings(&get("AllowHeaders", "allowHeaders")),
                expose_headers: strings(&get("ExposeHeaders", "exposeHeaders")),
                max_age: get("MaxAge", "maxAge").as_u64(),
                allow_credentials: get("AllowCredentials", "allowCredentials")
                    .as_bool()
                    .unwrap_or(false),
            };
            if cors.allow_credentials && cors.allow_origins.iter().any(|o| o == "*") {
                return Err(
                    "CorsConfiguration: AllowCredentials true cannot be used with AllowOrigins '*'"
                        .into(),
                );
            }
            Some(cors)
        }
        _ => return Err("CorsConfiguration must be true or a map".into()),
    })
}

/// SAM's identity lists for a Lambda authorizer (`Identity` {`Headers`, `QueryStrings`,
/// `StageVariables`, `Context`}) as HTTP API identity sources.
fn lambda_identity(identity: &Json) -> Vec<String> {
    let mut out = Vec::new();
    for (key, prefix) in [
        ("Headers", "$request.header."),
        ("QueryStrings", "$request.querystring."),
        ("StageVariables", "$stageVariables."),
        ("Context", "$context."),
    ] {
        for v in strings(&identity[key]) {
            out.push(format!("{prefix}{v}"));
        }
    }
    out
}

impl HttpApi {
    /// An API from `AWS::Serverless::HttpApi` properties (Globals merged, resolved).
    pub fn from_sam(
        logical_id: &str,
        id: String,
        props: &Json,
        warnings: &mut Vec<String>,
    ) -> Result<HttpApi, String> {
        let stage = props["StageName"]
            .as_str()
            .unwrap_or("$default")
            .to_string();
        let auth = &props["Auth"];
        let mut authorizers = BTreeMap::new();
        if let Some(map) = auth["Authorizers"].as_object() {
            for (name, a) in map {
                let jwt = a
                    .get("JwtConfiguration")
                    .or_else(|| a.get("jwtConfiguration"));
                let kind = if let Some(jwt) = jwt {
                    if a["IdentitySource"].is_null() {
                        return Err(format!(
                            "{name} OAuth2 Authorizer must define 'IdentitySource'."
                        ));
                    }
                    AuthorizerKind::Jwt {
                        issuer: jwt
                            .get("issuer")
                            .or_else(|| jwt.get("Issuer"))
                            .and_then(Json::as_str)
                            .unwrap_or_default()
                            .to_string(),
                        audience: strings(
                            jwt.get("audience")
                                .or_else(|| jwt.get("Audience"))
                                .unwrap_or(&Json::Null),
                        ),
                    }
                } else if let Some(arn) = a["FunctionArn"].as_str() {
                    let Some(version) = a["AuthorizerPayloadFormatVersion"]
                        .as_str()
                        .map(str::to_string)
                        .or_else(|| {
                            a["AuthorizerPayloadFormatVersion"]
                                .as_f64()
                                .map(|v| format!("{v:.1}"))
                        })
                    else {
                        return Err(format!(
                            "{name} Lambda Authorizer must define 'AuthorizerPayloadFormatVersion'."
                        ));
                    };
                    AuthorizerKind::Lambda {
                        function: crate::openapi::function_of_arn(arn).unwrap_or_default(),
                        payload_version: version,
                        simple_responses: a["EnableSimpleResponses"].as_bool().unwrap_or(false),
                        ttl_secs: a["Identity"]["ReauthorizeEvery"].as_u64().unwrap_or(0),
                    }
                } else {
                    return Err(format!(
                        "Authorizers.{name} needs a JwtConfiguration (JWT) or a FunctionArn (Lambda)"
                    ));
                };
                let identity_source = match &kind {
                    AuthorizerKind::Jwt { .. } => strings(&a["IdentitySource"]),
                    AuthorizerKind::Lambda { .. } => lambda_identity(&a["Identity"]),
                };
                authorizers.insert(
                    name.clone(),
                    Authorizer {
                        name: name.clone(),
                        kind,
                        identity_source,
                        scopes: strings(&a["AuthorizationScopes"]),
                    },
                );
            }
        }
        if auth["EnableIamAuthorizer"] == Json::Bool(true) {
            warnings.push(format!(
                "{logical_id}: the IAM authorizer is not emulated: routes that use it are served without it"
            ));
        }
        let default = auth["DefaultAuthorizer"]
            .as_str()
            .filter(|d| *d != "AWS_IAM")
            .map(str::to_string);
        if let Some(d) = &default
            && !authorizers.contains_key(d)
        {
            return Err(format!(
                "DefaultAuthorizer {d} is not one of Auth.Authorizers"
            ));
        }
        let mut api = HttpApi {
            logical_id: logical_id.into(),
            id,
            stage,
            cors: cors(&props["CorsConfiguration"])?,
            authorizers,
            default_authorizer: default,
            routes: Vec::new(),
        };
        if props["DefinitionBody"].is_object() {
            import_openapi(&mut api, &props["DefinitionBody"], warnings)?;
        }
        Ok(api)
    }

    /// Adds a function's `HttpApi` event (its resolved `Properties`).
    pub fn add_event(&mut self, function: &str, event: &Json) -> Result<(), String> {
        let (method, path) = match (event["Method"].as_str(), event["Path"].as_str()) {
            (None, None) => (String::new(), "$default".to_string()),
            (Some(m), Some(p)) => (
                match m.to_ascii_uppercase().as_str() {
                    "ANY" | "X-AMAZON-APIGATEWAY-ANY-METHOD" => "ANY".to_string(),
                    other => other.to_string(),
                },
                normalize(p),
            ),
            _ => return Err("an HttpApi event needs both Path and Method, or neither".into()),
        };
        let authorizer = match event["Auth"]["Authorizer"].as_str() {
            Some("NONE") => None,
            Some(name) => {
                if !self.authorizers.contains_key(name) {
                    return Err(format!(
                        "Auth.Authorizer {name} is not an authorizer of {}",
                        self.logical_id
                    ));
                }
                Some(name.to_string())
            }
            None => self.default_authorizer.clone(),
        };
        let mut scopes = strings(&event["Auth"]["AuthorizationScopes"]);
        if scopes.is_empty()
            && let Some(a) = authorizer.as_ref().and_then(|a| self.authorizers.get(a))
        {
            scopes = a.scopes.clone();
        }
        let payload_version = event["PayloadFormatVersion"]
            .as_str()
            .map(str::to_string)
            .or_else(|| {
                event["PayloadFormatVersion"]
                    .as_f64()
                    .map(|v| format!("{v:.1}"))
            })
            .unwrap_or_else(|| "2.0".into());
        if let Some(existing) = self
            .routes
            .iter_mut()
            .find(|r| r.path == path && r.method == method)
        {
            if existing.integration == Integration::Proxy
                && !existing.function.is_empty()
                && existing.function != function
            {
                return Err(format!("{} is defined twice", existing.key()));
            }
            existing.function = function.into();
            existing.integration = Integration::Proxy;
            if event["Auth"]["Authorizer"].is_string() {
                existing.authorizer = authorizer;
                existing.scopes = scopes;
            }
            return Ok(());
        }
        self.routes.push(Route {
            method,
            path,
            function: function.into(),
            integration: Integration::Proxy,
            payload_version,
            authorizer,
            scopes,
        });
        Ok(())
    }
}

/// The stacks (`""`, or a nested stack's owner) with a function whose `HttpApi` event has no
/// `ApiId`: each such stack has its implicit HTTP API.
pub fn implicit_api_scopes(stack: &Stack) -> std::collections::BTreeSet<String> {
    stack
        .resources
        .iter()
        .filter(|r| r.kind == "AWS::Serverless::Function")
        .filter(|r| {
            r.properties
                .get("Events")
                .and_then(template::Node::entries)
                .is_some_and(|events| {
                    events.iter().any(|(_, ev)| {
                        ev.get("Type").and_then(template::Node::as_str) == Some("HttpApi")
                            && ev.get("Properties").and_then(|p| p.get("ApiId")).is_none()
                    })
                })
        })
        .map(|r| crate::scope_of(&r.logical_id).to_string())
        .collect()
}

/// An HTTP API's OpenAPI 3 definition: routes with `x-amazon-apigateway-integration`
/// (`aws_proxy`, its `payloadFormatVersion`), authorizers from `components.securitySchemes`
/// (`x-amazon-apigateway-authorizer` of type `jwt` or `request`), `security`, and
/// `x-amazon-apigateway-cors`.
pub fn import_openapi(
    api: &mut HttpApi,
    body: &Json,
    warnings: &mut Vec<String>,
) -> Result<(), String> {
    if let Some(schemes) = body["components"]["securitySchemes"].as_object() {
        for (name, scheme) in schemes {
            let a = &scheme["x-amazon-apigateway-authorizer"];
            let kind = match a["type"].as_str().unwrap_or_default() {
                "jwt" => AuthorizerKind::Jwt {
                    issuer: a["jwtConfiguration"]["issuer"]
                        .as_str()
                        .unwrap_or_default()
                        .to_string(),
                    audience: strings(&a["jwtConfiguration"]["audience"]),
                },
                "request" => AuthorizerKind::Lambda {
                    function: a["authorizerUri"]
                        .as_str()
                        .and_then(function_of_uri)
                        .unwrap_or_default(),
                    payload_version: a["authorizerPayloadFormatVersion"]
                        .as_str()
                        .unwrap_or("2.0")
                        .to_string(),
                    simple_responses: a["enableSimpleResponses"].as_bool().unwrap_or(false),
                    ttl_secs: a["authorizerResultTtlInSeconds"].as_u64().unwrap_or(0),
                },
                _ => {
                    warnings.push(format!(
                        "{}: security scheme {name} is not emulated: routes that require it are served without it",
                        api.logical_id
                    ));
                    continue;
                }
            };
            api.authorizers.insert(
                name.clone(),
                Authorizer {
                    name: name.clone(),
                    kind,
                    identity_source: strings(&a["identitySource"]),
                    scopes: Vec::new(),
                },
            );
        }
    }
    if api.cors.is_none() && body["x-amazon-apigateway-cors"].is_object() {
        api.cors = cors(&body["x-amazon-apigateway-cors"])?;
    }
    let default_security = &body["security"];
    let Some(paths) = body["paths"].as_object() else {
        return Ok(());
    };
    for (path, item) in paths {
        let Some(item) = item.as_object() else {
            continue;
        };
        for (method, op) in item {
            let method = match method.as_str() {
                "x-amazon-apigateway-any-method" => "ANY".to_string(),
                m @ ("get" | "put" | "post" | "delete" | "options" | "head" | "patch") => {
                    m.to_ascii_uppercase()
                }
                _ => continue,
            };
            let integration = &op["x-amazon-apigateway-integration"];
            let (function, integration) = match integration["type"]
                .as_str()
                .map(str::to_ascii_lowercase)
                .as_deref()
            {
                Some("aws_proxy") => match integration["uri"].as_str().and_then(function_of_uri) {
                    Some(f) => (f, Integration::Proxy),
                    None => (
                        String::new(),
                        Integration::Unsupported(format!(
                            "{method} {path}: its integration's uri names no Lambda function"
                        )),
                    ),
                },
                other => {
                    let why = format!(
                        "{method} {path}: integrations of type {} are not emulated",
                        other.unwrap_or("(none)")
                    );
                    warnings.push(format!("{}: {why}; it answers 500", api.logical_id));
                    (String::new(), Integration::Unsupported(why))
                }
            };
            let payload_version = integration_version(&op["x-amazon-apigateway-integration"]);
            let security = if op.get("security").is_some() {
                &op["security"]
            } else {
                default_security
            };
            let (authorizer, scopes) = match security.as_array().and_then(|l| l.first()) {
                Some(Json::Object(req)) => match req.iter().next() {
                    Some((scheme, scopes)) if api.authorizers.contains_key(scheme) => {
                        (Some(scheme.clone()), strings(scopes))
                    }
                    _ => (None, Vec::new()),
                },
                _ => (None, Vec::new()),
            };
            let (method, path) = if path == "/$default" {
                (String::new(), "$default".to_string())
            } else {
                (method, normalize(path))
            };
            api.routes.push(Route {
                method,
                path,
                function,
                integration,
                payload_version,
                authorizer,
                scopes,
            });
        }
    }
    Ok(())
}

fn integration_version(integration: &Json) -> String {
    integration["payloadFormatVersion"]
        .as_str()
        .unwrap_or("2.0")
        .to_string()
}
