//! A REST API's OpenAPI definition (an `AWS::Serverless::Api`'s `DefinitionBody`, an
//! `AWS::ApiGateway::RestApi`'s `Body`) read as API Gateway imports it: paths and methods
//! (`x-amazon-apigateway-any-method` is `ANY`), `x-amazon-apigateway-integration` of type
//! `aws_proxy` (the function from its `uri`) or `mock` (a fixed answer, as CORS preflights are
//! written), the authorizers of `securityDefinitions` / `components.securitySchemes`
//! (`x-amazon-apigateway-authorizer`), and each operation's `security` (or the document's).

use serde_json::Value as Json;

use crate::api::{Authorizer, AuthorizerKind, Integration, Mock, RestApi, Route, normalize};
use crate::cognito;

const METHODS: [&str; 8] = [
    "get",
    "put",
    "post",
    "delete",
    "options",
    "head",
    "patch",
    "x-amazon-apigateway-any-method",
];

/// The function a Lambda integration's `uri` names:
/// `arn:aws:apigateway:<region>:lambda:path/2015-03-31/functions/<function arn>/invocations`
/// gives the function's name (an alias or version after it is dropped).
pub fn function_of_uri(uri: &str) -> Option<String> {
    let arn = uri
        .split_once("/functions/")?
        .1
        .strip_suffix("/invocations")?;
    function_of_arn(arn)
}

/// `arn:aws:lambda:<region>:<account>:function:<name>[:<qualifier>]` -> `<name>`; a bare name
/// stays as it is.
pub fn function_of_arn(arn: &str) -> Option<String> {
    match arn.split_once(":function:") {
        Some((_, rest)) => Some(rest.split(':').next()?.to_string()),
        None if !arn.contains(':') && !arn.is_empty() => Some(arn.to_string()),
        None => None,
    }
}

/// `'value'` -> `value` (API Gateway's static mapping values are quoted).
fn unquote(s: &str) -> String {
    s.strip_prefix('\'')
        .and_then(|s| s.strip_suffix('\''))
        .unwrap_or(s)
        .to_string()
}

/// An authorizer from an `x-amazon-apigateway-authorizer` object (and the scheme's `name`,
/// the header for token authorizers).
pub fn authorizer(name: &str, scheme: &Json, warnings: &mut Vec<String>) -> Option<Authorizer> {
    let a = &scheme["x-amazon-apigateway-authorizer"];
    let kind = a["type"].as_str().unwrap_or_default().to_ascii_lowercase();
    let header = scheme["name"]
        .as_str()
        .unwrap_or("Authorization")
        .to_string();
    let kind = match kind.as_str() {
        "cognito_user_pools" => AuthorizerKind::Cognito {
            pool_ids: a["providerARNs"]
                .as_array()
                .map(|l| {
                    l.iter()
                        .filter_map(Json::as_str)
                        .filter_map(cognito::pool_id_of_arn)
                        .collect()
                })
                .unwrap_or_default(),
        },
        "token" | "request" => AuthorizerKind::Lambda {
            function: match a["authorizerUri"].as_str().and_then(function_of_uri) {
                Some(f) => f,
                None => {
                    warnings.push(format!(
                        "authorizer {name}: its authorizerUri names no Lambda function: requests it guards answer 500"
                    ));
                    String::new()
                }
            },
            payload_type: kind.to_ascii_uppercase(),
            identity_source: match a["identitySource"].as_str() {
                Some(list) => list.split(',').map(|s| s.trim().to_string()).collect(),
                None if kind == "token" => vec![format!("method.request.header.{header}")],
                None => Vec::new(),
            },
            validation: a["identityValidationExpression"]
                .as_str()
                .filter(|_| kind == "token")
                .map(str::to_string),
            ttl_secs: a["authorizerResultTtlInSeconds"].as_u64(),
        },
        _ if scheme["x-amazon-apigateway-authtype"] == "cognito_user_pools" => {
            AuthorizerKind::Cognito {
                pool_ids: Vec::new(),
            }
        }
        _ => return None,
    };
    Some(Authorizer {
        name: name.to_string(),
        kind,
        header,
    })
}

/// Adds what `body` defines to `api`: its authorizers and its routes.
pub fn import(api: &mut RestApi, body: &Json, warnings: &mut Vec<String>) -> Result<(), String> {
    let schemes = body["securityDefinitions"]
        .as_object()
        .or_else(|| body["components"]["securitySchemes"].as_object());
    if let Some(schemes) = schemes {
        for (name, scheme) in schemes {
            match authorizer(name, scheme, warnings) {
                Some(a) => {
                    api.authorizers.insert(name.clone(), a);
                }
                None => warnings.push(format!(
                    "{}: security scheme {name} ({}) is not emulated: operations that require it are served without it",
                    api.logical_id,
                    scheme["type"].as_str().unwrap_or("no type")
                )),
            }
        }
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
            if !METHODS.contains(&method.as_str()) {
                continue;
            }
            let method = match method.as_str() {
                "x-amazon-apigateway-any-method" => "ANY".to_string(),
                m => m.to_ascii_uppercase(),
            };
            let integration = &op["x-amazon-apigateway-integration"];
            let (function, integration) = route_target(api, path, &method, integration, warnings);
            let security = if op.get("security").is_some() {
                &op["security"]
            } else {
                default_security
            };
            let (authorizer, scopes) = match security.as_array().and_then(|l| l.first()) {
                Some(Json::Object(req)) => match req.iter().next() {
                    Some((scheme, scopes)) if api.authorizers.contains_key(scheme) => (
                        Some(scheme.clone()),
                        scopes
                            .as_array()
                            .map(|s| {
                                s.iter()
                                    .filter_map(Json::as_str)
                                    .map(str::to_string)
                                    .collect()
                            })
                            .unwrap_or_default(),
                    ),
                    _ => (None, Vec::new()),
                },
                _ => (None, Vec::new()),
            };
            let path = normalize(path);
            if api
                .routes
                .iter()
                .any(|r| r.path == path && r.method == method)
            {
                return Err(format!(
                    "{method} {path} is defined twice in the OpenAPI definition"
                ));
            }
            api.routes.push(Route {
                path,
                method,
                function,
                integration,
                authorizer,
                scopes,
                from_event: false,
            });
        }
    }
    Ok(())
}

/// What an operation's integration does: a function (`aws_proxy`), a fixed answer (`mock`),
/// or something the local gateway does not do.
fn route_target(
    api: &RestApi,
    path: &str,
    method: &str,
    integration: &Json,
    warnings: &mut Vec<String>,
) -> (String, Integration) {
    let kind = integration["type"]
        .as_str()
        .unwrap_or_default()
        .to_ascii_lowercase();
    match kind.as_str() {
        "aws_proxy" => match integration["uri"].as_str().and_then(function_of_uri) {
            Some(f) => (f, Integration::Proxy),
            None => {
                let why = format!(
                    "{method} {path}: its aws_proxy integration's uri names no Lambda function"
                );
                warnings.push(format!("{}: {why}", api.logical_id));
                (String::new(), Integration::Unsupported(why))
            }
        },
        "mock" => {
            let default = &integration["responses"]["default"];
            let status = default["statusCode"]
                .as_str()
                .and_then(|s| s.parse().ok())
                .or_else(|| {
                    default["statusCode"]
                        .as_u64()
                        .and_then(|s| u16::try_from(s).ok())
                })
                .unwrap_or(200);
            let headers = default["responseParameters"]
                .as_object()
                .map(|m| {
                    m.iter()
                        .filter_map(|(k, v)| {
                            let name = k.strip_prefix("method.response.header.")?;
                            Some((name.to_string(), unquote(v.as_str()?)))
                        })
                        .collect()
                })
                .unwrap_or_default();
            let body = default["responseTemplates"]["application/json"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            (
                String::new(),
                Integration::Mock(Mock {
                    status,
                    headers,
                    body,
                }),
            )
        }
        "" => {
            let why = format!("{method} {path}: no x-amazon-apigateway-integration");
            warnings.push(format!("{}: {why}; it answers 500", api.logical_id));
            (String::new(), Integration::Unsupported(why))
        }
        other => {
            let why = format!("{method} {path}: integrations of type {other} are not emulated");
            warnings.push(format!("{}: {why}; it answers 500", api.logical_id));
            (String::new(), Integration::Unsupported(why))
        }
    }
}
