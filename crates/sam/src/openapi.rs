//! A REST API's OpenAPI definition (an `AWS::Serverless::Api`'s `DefinitionBody`, an
//! `AWS::ApiGateway::RestApi`'s `Body`) read as API Gateway imports it: paths and methods
//! (`x-amazon-apigateway-any-method` is `ANY`), `x-amazon-apigateway-integration` of type
//! `aws_proxy` (the function from its `uri`) or `mock` (a fixed answer, as CORS preflights are
//! written), the authorizers of `securityDefinitions` / `components.securitySchemes`
//! (`x-amazon-apigateway-authorizer`), and each operation's `security` (or the document's).

use serde_json::Value as Json;

use std::collections::BTreeMap;

use apispec::{
    Authorization, Authorizer, AuthorizerKind, IdentitySource, Integration, LambdaAuthorizer, Mock,
    RestApi, Route, normalize,
};

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

/// Identity sources as written (`method.request.header.X`, `$request.querystring.x`, ...); one
/// the gateway cannot read is left out with a warning (the authorizer then asks on every
/// request).
pub fn identity_sources(list: &[String], warnings: &mut Vec<String>) -> Vec<IdentitySource> {
    list.iter()
        .filter_map(|s| {
            let parsed = IdentitySource::parse(s);
            if parsed.is_none() {
                warnings.push(format!(
                    "identity source {s:?} is not a header, query string, stage or context variable: ignored"
                ));
            }
            parsed
        })
        .collect()
}

/// What a security scheme of a definition is to the gateway.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scheme {
    /// One of the API's authorizers (by the scheme's name).
    Authorizer,
    /// `x-amazon-apigateway-authtype: awsSigv4`: IAM.
    Iam,
    /// The API key (`{type: apiKey, name: x-api-key, in: header}` with no authtype).
    ApiKey,
    /// Something the local gateway does not serve: routes that require it refuse.
    Unsupported(String),
}

/// The protection an operation's `security` (else the document's) gives it: the first
/// authorizer or IAM requirement, an API key requirement anywhere, and the scopes of that
/// authorizer. A scheme not served makes the route refuse; a requirement naming no scheme at
/// all (SAM's `NONE` marker is removed before import) is ignored.
pub fn protection(
    security: &Json,
    schemes: &BTreeMap<String, Scheme>,
) -> (Authorization, Vec<String>, bool) {
    let mut authorization = Authorization::None;
    let mut scopes = Vec::new();
    let mut api_key = false;
    for requirement in security.as_array().into_iter().flatten() {
        let Some(requirement) = requirement.as_object() else {
            continue;
        };
        for (name, wanted) in requirement {
            match schemes.get(name) {
                Some(Scheme::ApiKey) => api_key = true,
                Some(Scheme::Iam) if authorization == Authorization::None => {
                    authorization = Authorization::Iam;
                }
                Some(Scheme::Authorizer) if authorization == Authorization::None => {
                    authorization = Authorization::Authorizer(name.clone());
                    scopes = strings(wanted);
                }
                Some(Scheme::Unsupported(why)) => {
                    authorization = Authorization::Refused(why.clone());
                    scopes.clear();
                }
                _ => {}
            }
        }
    }
    (authorization, scopes, api_key)
}

/// `["a", "b"]` or `"a, b"` as strings.
pub fn strings(v: &Json) -> Vec<String> {
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

/// A REST authorizer from an `x-amazon-apigateway-authorizer` object (and the scheme's
/// `name`, the header for token authorizers), or what else the scheme is.
fn rest_scheme(
    name: &str,
    scheme: &Json,
    warnings: &mut Vec<String>,
) -> Result<Authorizer, Scheme> {
    let a = &scheme["x-amazon-apigateway-authorizer"];
    let kind = a["type"].as_str().unwrap_or_default().to_ascii_lowercase();
    let authtype = scheme["x-amazon-apigateway-authtype"]
        .as_str()
        .unwrap_or_default()
        .to_ascii_lowercase();
    let header = scheme["name"]
        .as_str()
        .unwrap_or("Authorization")
        .to_string();
    let pool_ids = |arns: &Json| -> Vec<String> {
        arns.as_array()
            .map(|l| {
                l.iter()
                    .filter_map(Json::as_str)
                    .filter_map(cognito::pool_id_of_arn)
                    .collect()
            })
            .unwrap_or_default()
    };
    let kind = match kind.as_str() {
        "cognito_user_pools" => AuthorizerKind::Cognito {
            pool_ids: pool_ids(&a["providerARNs"]),
            header,
            validation: a["identityValidationExpression"]
                .as_str()
                .map(str::to_string),
        },
        "token" | "request" => AuthorizerKind::Lambda(LambdaAuthorizer {
            function: match a["authorizerUri"].as_str().and_then(function_of_uri) {
                Some(f) => f,
                None => {
                    warnings.push(format!(
                        "authorizer {name}: its authorizerUri names no Lambda function: requests it guards answer 500"
                    ));
                    String::new()
                }
            },
            token: kind == "token",
            identity: match a["identitySource"].as_str() {
                Some(list) => identity_sources(
                    &list
                        .split(',')
                        .map(|s| s.trim().to_string())
                        .collect::<Vec<_>>(),
                    warnings,
                ),
                None if kind == "token" => vec![IdentitySource::Header(header)],
                None => Vec::new(),
            },
            validation: a["identityValidationExpression"]
                .as_str()
                .filter(|_| kind == "token")
                .map(str::to_string),
            // API Gateway's default when none is set.
            ttl_secs: a["authorizerResultTtlInSeconds"].as_u64().unwrap_or(300),
            payload_version: "1.0".into(),
            simple_responses: false,
        }),
        _ if authtype == "cognito_user_pools" => AuthorizerKind::Cognito {
            pool_ids: Vec::new(),
            header,
            validation: None,
        },
        _ => return Err(other_scheme(scheme)),
    };
    Ok(Authorizer {
        name: name.to_string(),
        kind,
        scopes: Vec::new(),
    })
}

/// A scheme that is no authorizer: IAM, the API key, or not served.
pub(crate) fn other_scheme(scheme: &Json) -> Scheme {
    let authtype = scheme["x-amazon-apigateway-authtype"]
        .as_str()
        .unwrap_or_default();
    if authtype.eq_ignore_ascii_case("awsSigv4") {
        Scheme::Iam
    } else if authtype.is_empty()
        && scheme["type"] == "apiKey"
        && scheme["in"] == "header"
        && scheme["name"]
            .as_str()
            .is_some_and(|n| n.eq_ignore_ascii_case("x-api-key"))
    {
        Scheme::ApiKey
    } else {
        Scheme::Unsupported(format!(
            "its security scheme ({}{}) is not emulated",
            scheme["type"].as_str().unwrap_or("no type"),
            if authtype.is_empty() {
                String::new()
            } else {
                format!(", x-amazon-apigateway-authtype {authtype}")
            }
        ))
    }
}

/// The security schemes of a definition (`securityDefinitions` or
/// `components.securitySchemes`), each read by `read` as an authorizer or something else.
pub fn schemes(
    body: &Json,
    authorizers: &mut BTreeMap<String, Authorizer>,
    logical_id: &str,
    warnings: &mut Vec<String>,
    mut read: impl FnMut(&str, &Json, &mut Vec<String>) -> Result<Authorizer, Scheme>,
) -> BTreeMap<String, Scheme> {
    let mut out = BTreeMap::new();
    // Authorizers the API already has (SAM's `Auth.Authorizers`) are schemes too.
    for name in authorizers.keys() {
        out.insert(name.clone(), Scheme::Authorizer);
    }
    let defined = body["securityDefinitions"]
        .as_object()
        .or_else(|| body["components"]["securitySchemes"].as_object());
    for (name, scheme) in defined.into_iter().flatten() {
        match read(name, scheme, warnings) {
            Ok(a) => {
                authorizers.insert(name.clone(), a);
                out.insert(name.clone(), Scheme::Authorizer);
            }
            Err(other) => {
                if let Scheme::Unsupported(why) = &other {
                    warnings.push(format!(
                        "{logical_id}: security scheme {name}: {why}: operations that require it refuse every request (500)"
                    ));
                }
                out.insert(name.clone(), other);
            }
        }
    }
    // SAM's own names, present in what it generates even when the body does not define them.
    out.entry("AWS_IAM".into()).or_insert(Scheme::Iam);
    out.entry("api_key".into()).or_insert(Scheme::ApiKey);
    out
}

/// The operations of a definition's `paths`: (path, upper-case method or `ANY`, operation).
pub fn operations(body: &Json) -> Vec<(String, String, &Json)> {
    let mut out = Vec::new();
    for (path, item) in body["paths"].as_object().into_iter().flatten() {
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
            out.push((path.clone(), method, op));
        }
    }
    out
}

/// Whether an operation's own `security` has a requirement named `name`.
fn own_names(op: &Json, name: &str) -> bool {
    op["security"]
        .as_array()
        .into_iter()
        .flatten()
        .any(|r| r.get(name).is_some())
}

/// The `security` that applies to an operation: its own, else the document's.
pub fn security_of<'a>(op: &'a Json, body: &'a Json) -> &'a Json {
    if op.get("security").is_some() {
        &op["security"]
    } else {
        &body["security"]
    }
}

/// Adds what `body` defines to `api`: its authorizers and its routes. The API's default
/// authorizer goes on every operation whose security names no authorizer (and not on OPTIONS
/// when preflights are left open), as SAM's `set_path_default_authorizer` does (swagger.py);
/// a requirement named `NONE` opts out.
pub fn import(api: &mut RestApi, body: &Json, warnings: &mut Vec<String>) -> Result<(), String> {
    if let Some(doc) = crate::policy::document(&body["x-amazon-apigateway-policy"])
        .map_err(|e| format!("x-amazon-apigateway-policy: {e}"))?
    {
        api.resource_policy = Some(doc);
    }
    let schemes = schemes(
        body,
        &mut api.authorizers,
        &api.logical_id,
        warnings,
        rest_scheme,
    );
    for (path, method, op) in operations(body) {
        let validation = crate::validation::from_openapi(body, &path, op)
            .map_err(|e| format!("{method} {path}: {e}"))?;
        let integration = &op["x-amazon-apigateway-integration"];
        let (function, integration) = route_target(api, &path, &method, integration, warnings);
        let (mut authorization, mut scopes, mut api_key_required) =
            protection(security_of(op, body), &schemes);
        // SAM's `Auth.ApiKeyRequired` goes on every operation that does not opt out
        // (swagger.py `set_path_default_apikey_required`; for the preflights SAM adds, see
        // `RestApi::preflight_api_key`).
        if api.api_key_required && !own_names(op, "api_key_false") {
            api_key_required = true;
        }
        // SAM looks at the operation's own requirements only: one naming an authorizer (or
        // AWS_IAM) keeps it, `NONE` opts out, anything else gets the default.
        let own = op["security"]
            .as_array()
            .map(Vec::as_slice)
            .unwrap_or_default();
        let opted_out = own.iter().any(|r| r.get("NONE").is_some());
        let names_authorizer = own.iter().filter_map(Json::as_object).any(|r| {
            r.keys()
                .any(|k| matches!(schemes.get(k), Some(Scheme::Authorizer | Scheme::Iam)))
        });
        if !opted_out
            && !names_authorizer
            && let Some(default) = &api.default_authorizer
            && (method != "OPTIONS" || api.preflight != Authorization::None)
        {
            authorization = default.clone();
            scopes = default
                .authorizer()
                .and_then(|a| api.authorizers.get(a))
                .map(|a| a.scopes.clone())
                .unwrap_or_default();
        }
        let path = normalize(&path);
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
            integration,
            authorization,
            scopes,
            api_key_required,
            validation,
            ..Route::proxy(&method, &path, &function, "1.0")
        });
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
