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

pub use apispec::{Authorization, Authorizer, AuthorizerKind, HttpApi, HttpCors as Cors, Route};
use apispec::{IdentitySource, Integration, LambdaAuthorizer, normalize};

use crate::api::FromSam;
use crate::openapi::{Scheme, function_of_uri, strings};

/// The logical id of the API that `HttpApi` events without `ApiId` go to.
pub const IMPLICIT_HTTP_API: &str = "ServerlessHttpApi";

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

impl FromSam for HttpApi {
    fn from_sam(
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
                authorizers.insert(name.clone(), sam_authorizer(name, a, warnings)?);
            }
        }
        // `EnableIamAuthorizer` adds an authorizer named AWS_IAM (http_api_generator.py
        // `_get_authorizers`): routes that name it, or have it as their default, use IAM.
        let iam = auth["EnableIamAuthorizer"] == Json::Bool(true);
        let default = match auth["DefaultAuthorizer"].as_str() {
            None => None,
            Some("AWS_IAM") if iam => Some(Authorization::Iam),
            Some(d) if authorizers.contains_key(d) => Some(Authorization::Authorizer(d.into())),
            Some(d) => {
                return Err(format!(
                    "DefaultAuthorizer {d} is not one of Auth.Authorizers"
                ));
            }
        };
        let mut api = HttpApi::new(logical_id, &id, &stage);
        api.cors = cors(&props["CorsConfiguration"])?;
        api.authorizers = authorizers;
        api.default_authorizer = default;
        if props["DefinitionBody"].is_object() {
            import_openapi(&mut api, &props["DefinitionBody"], warnings)?;
        }
        Ok(api)
    }

    fn add_event(&mut self, function: &str, event: &Json) -> Result<(), String> {
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
        let authorization = match event["Auth"]["Authorizer"].as_str() {
            Some("NONE") => Authorization::None,
            Some("AWS_IAM") if !self.authorizers.contains_key("AWS_IAM") => Authorization::Iam,
            Some(name) => {
                if !self.authorizers.contains_key(name) {
                    return Err(format!(
                        "Auth.Authorizer {name} is not an authorizer of {}",
                        self.logical_id
                    ));
                }
                Authorization::Authorizer(name.to_string())
            }
            None => self.default_authorizer.clone().unwrap_or_default(),
        };
        let mut scopes = strings(&event["Auth"]["AuthorizationScopes"]);
        if scopes.is_empty()
            && let Some(a) = authorization
                .authorizer()
                .and_then(|a| self.authorizers.get(a))
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
                existing.authorization = authorization;
                existing.scopes = scopes;
            }
            return Ok(());
        }
        self.routes.push(Route {
            authorization,
            scopes,
            ..Route::proxy(&method, &path, function, &payload_version)
        });
        Ok(())
    }
}

/// An authorizer under an `AWS::Serverless::HttpApi`'s `Auth.Authorizers`.
fn sam_authorizer(name: &str, a: &Json, warnings: &mut Vec<String>) -> Result<Authorizer, String> {
    let jwt = a
        .get("JwtConfiguration")
        .or_else(|| a.get("jwtConfiguration"));
    let kind = if let Some(jwt) = jwt {
        if a["IdentitySource"].is_null() {
            return Err(format!(
                "{name} OAuth2 Authorizer must define 'IdentitySource'."
            ));
        }
        let get = |a: &str, b: &str| jwt.get(a).or_else(|| jwt.get(b)).unwrap_or(&Json::Null);
        AuthorizerKind::Jwt {
            issuer: get("issuer", "Issuer")
                .as_str()
                .unwrap_or_default()
                .to_string(),
            audience: strings(get("audience", "Audience")),
            source: jwt_source(&strings(&a["IdentitySource"]), warnings),
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
        AuthorizerKind::Lambda(LambdaAuthorizer {
            function: crate::openapi::function_of_arn(arn).unwrap_or_default(),
            token: false,
            identity: crate::openapi::identity_sources(&lambda_identity(&a["Identity"]), warnings),
            validation: None,
            ttl_secs: a["Identity"]["ReauthorizeEvery"].as_u64().unwrap_or(0),
            payload_version: version,
            simple_responses: a["EnableSimpleResponses"].as_bool().unwrap_or(false),
        })
    } else {
        return Err(format!(
            "Authorizers.{name} needs a JwtConfiguration (JWT) or a FunctionArn (Lambda)"
        ));
    };
    Ok(Authorizer {
        name: name.to_string(),
        kind,
        scopes: strings(&a["AuthorizationScopes"]),
    })
}

/// A JWT authorizer's token source: the first identity source, `Authorization` by default.
fn jwt_source(sources: &[String], warnings: &mut Vec<String>) -> IdentitySource {
    crate::openapi::identity_sources(sources, warnings)
        .into_iter()
        .next()
        .unwrap_or_else(|| IdentitySource::Header("Authorization".into()))
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

/// An HTTP API's authorizer from a security scheme's `x-amazon-apigateway-authorizer` (`jwt` or
/// `request`), or what else the scheme is.
fn http_scheme(
    name: &str,
    scheme: &Json,
    warnings: &mut Vec<String>,
) -> Result<Authorizer, Scheme> {
    let a = &scheme["x-amazon-apigateway-authorizer"];
    let sources = strings(&a["identitySource"]);
    let kind = match a["type"].as_str().unwrap_or_default() {
        "jwt" => AuthorizerKind::Jwt {
            issuer: a["jwtConfiguration"]["issuer"]
                .as_str()
                .unwrap_or_default()
                .to_string(),
            audience: strings(&a["jwtConfiguration"]["audience"]),
            source: jwt_source(&sources, warnings),
        },
        "request" => AuthorizerKind::Lambda(LambdaAuthorizer {
            function: a["authorizerUri"]
                .as_str()
                .and_then(function_of_uri)
                .unwrap_or_default(),
            token: false,
            identity: crate::openapi::identity_sources(&sources, warnings),
            validation: None,
            ttl_secs: a["authorizerResultTtlInSeconds"].as_u64().unwrap_or(0),
            payload_version: a["authorizerPayloadFormatVersion"]
                .as_str()
                .unwrap_or("2.0")
                .to_string(),
            simple_responses: a["enableSimpleResponses"].as_bool().unwrap_or(false),
        }),
        _ => return Err(crate::openapi::other_scheme(scheme)),
    };
    Ok(Authorizer {
        name: name.to_string(),
        kind,
        scopes: Vec::new(),
    })
}

/// An HTTP API's OpenAPI 3 definition: routes with `x-amazon-apigateway-integration`
/// (`aws_proxy`, its `payloadFormatVersion`), authorizers from `components.securitySchemes`
/// (`x-amazon-apigateway-authorizer` of type `jwt` or `request`, `awsSigv4` for IAM),
/// `security`, and `x-amazon-apigateway-cors`. The API's default authorizer goes on every
/// operation but OPTIONS that has an integration and no `security` of its own, as SAM's
/// `set_path_default_authorizer` does (open_api.py; an empty list counts as none there).
pub fn import_openapi(
    api: &mut HttpApi,
    body: &Json,
    warnings: &mut Vec<String>,
) -> Result<(), String> {
    let schemes = crate::openapi::schemes(
        body,
        &mut api.authorizers,
        &api.logical_id,
        warnings,
        http_scheme,
    );
    if api.cors.is_none() && body["x-amazon-apigateway-cors"].is_object() {
        api.cors = cors(&body["x-amazon-apigateway-cors"])?;
    }
    for (path, method, op) in crate::openapi::operations(body) {
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
        let own = op["security"].as_array().is_some_and(|l| !l.is_empty());
        let security = crate::openapi::security_of(op, body);
        let (mut authorization, mut scopes, _) = crate::openapi::protection(security, &schemes);
        if !own
            && method != "OPTIONS"
            && op["x-amazon-apigateway-integration"].is_object()
            && let Some(default) = &api.default_authorizer
        {
            authorization = default.clone();
            scopes = default
                .authorizer()
                .and_then(|a| api.authorizers.get(a))
                .map(|a| a.scopes.clone())
                .unwrap_or_default();
        }
        let (method, path) = if path == "/$default" {
            (String::new(), "$default".to_string())
        } else {
            (method, normalize(&path))
        };
        api.routes.push(Route {
            integration,
            authorization,
            scopes,
            ..Route::proxy(&method, &path, &function, &payload_version)
        });
    }
    Ok(())
}

fn integration_version(integration: &Json) -> String {
    integration["payloadFormatVersion"]
        .as_str()
        .unwrap_or("2.0")
        .to_string()
}
