//! HTTP APIs written as raw API Gateway v2 resources: `AWS::ApiGatewayV2::Api` (`ProtocolType:
//! HTTP`; with an OpenAPI `Body`, or quick-created with `Target` and `RouteKey`), its `Route`s
//! and `Integration`s (`AWS_PROXY` to a Lambda function), `Authorizer`s (`JWT`, `REQUEST`) and
//! `Stage`s. They become the same model as SAM's HTTP APIs.

use std::collections::HashMap;

use serde_json::Value as Json;

use apispec::{
    Authorization, Authorizer, AuthorizerKind, HttpApi, HttpCors as Cors, IdentitySource,
    Integration, LambdaAuthorizer, Route, normalize,
};

use crate::httpapi::import_openapi;
use crate::openapi::{function_of_arn, function_of_uri, identity_sources};
use crate::rawapi::{Part, PartKind};

fn strings(v: &Json) -> Vec<String> {
    match v {
        Json::Array(l) => l
            .iter()
            .filter_map(Json::as_str)
            .map(str::to_string)
            .collect(),
        Json::String(s) => s.split(',').map(|p| p.trim().to_string()).collect(),
        _ => Vec::new(),
    }
}

/// The function a Lambda integration's URI names: a function ARN, or API Gateway's
/// `arn:aws:apigateway:…/functions/<arn>/invocations` form.
fn function_of(uri: &str) -> Option<String> {
    function_of_uri(uri).or_else(|| function_of_arn(uri))
}

/// `GET /items/{id}` -> (`GET`, `/items/{id}`); `$default` -> (``, `$default`).
fn route_key(key: &str) -> Option<(String, String)> {
    if key == "$default" {
        return Some((String::new(), "$default".into()));
    }
    let (method, path) = key.split_once(' ')?;
    Some((method.to_ascii_uppercase(), normalize(path)))
}

fn cors(v: &Json) -> Option<Cors> {
    v.as_object().map(|c| Cors {
        allow_origins: strings(&c.get("AllowOrigins").cloned().unwrap_or_default()),
        allow_methods: strings(&c.get("AllowMethods").cloned().unwrap_or_default()),
        allow_headers: strings(&c.get("AllowHeaders").cloned().unwrap_or_default()),
        expose_headers: strings(&c.get("ExposeHeaders").cloned().unwrap_or_default()),
        max_age: c.get("MaxAge").and_then(Json::as_u64),
        allow_credentials: c
            .get("AllowCredentials")
            .and_then(Json::as_bool)
            .unwrap_or(false),
    })
}

/// The HTTP APIs the parts make; what they leave out is said in `warnings`.
pub fn build(parts: &[Part], warnings: &mut Vec<String>) -> Result<Vec<HttpApi>, String> {
    let mut apis = Vec::new();
    for api_part in parts.iter().filter(|p| p.kind == PartKind::HttpApi) {
        let props = &api_part.props;
        let protocol = props["ProtocolType"].as_str().unwrap_or("HTTP");
        if protocol != "HTTP" && !props["Body"].is_object() {
            warnings.push(format!(
                "{}: {protocol} APIs are not emulated: it is not served",
                api_part.logical_id
            ));
            continue;
        }
        let api_ref = &api_part.id;
        let of_api = |kind: PartKind| {
            parts
                .iter()
                .filter(move |p| p.kind == kind && p.props["ApiId"].as_str() == Some(api_ref))
        };
        // Quick create deploys to `$default`; otherwise a Stage names it.
        let quick = props["Target"].is_string();
        let stage = if quick {
            Some("$default".to_string())
        } else {
            of_api(PartKind::HttpStage)
                .find_map(|p| p.props["StageName"].as_str().map(str::to_string))
        };
        let Some(stage) = stage else {
            warnings.push(format!(
                "{}: no AWS::ApiGatewayV2::Stage names a stage: the API is not deployed, and not served",
                api_part.logical_id
            ));
            continue;
        };
        let mut api = HttpApi::new(&api_part.logical_id, api_ref, &stage);
        api.cors = cors(&props["CorsConfiguration"]);
        if props["Body"].is_object() {
            import_openapi(&mut api, &props["Body"], warnings)?;
        }
        if quick {
            let key = props["RouteKey"].as_str().unwrap_or("$default");
            let (method, path) = route_key(key).ok_or_else(|| {
                format!(
                    "{}: RouteKey {key:?} is not METHOD /path or $default",
                    api_part.logical_id
                )
            })?;
            let function = props["Target"]
                .as_str()
                .and_then(function_of)
                .unwrap_or_default();
            api.routes
                .push(Route::proxy(&method, &path, &function, "2.0"));
        }
        // Authorizers by their `Ref`.
        let mut names = HashMap::new();
        for a in of_api(PartKind::HttpAuthorizer) {
            let name = a.props["Name"]
                .as_str()
                .unwrap_or(&a.logical_id)
                .to_string();
            let identity_source = strings(&a.props["IdentitySource"]);
            let kind = match a.props["AuthorizerType"].as_str().unwrap_or_default() {
                "JWT" => AuthorizerKind::Jwt {
                    issuer: a.props["JwtConfiguration"]["Issuer"]
                        .as_str()
                        .unwrap_or_default()
                        .to_string(),
                    audience: strings(&a.props["JwtConfiguration"]["Audience"]),
                    source: identity_sources(&identity_source, warnings)
                        .into_iter()
                        .next()
                        .unwrap_or_else(|| IdentitySource::Header("Authorization".into())),
                },
                "REQUEST" => AuthorizerKind::Lambda(LambdaAuthorizer {
                    function: a.props["AuthorizerUri"]
                        .as_str()
                        .and_then(function_of)
                        .unwrap_or_default(),
                    token: false,
                    identity: identity_sources(&identity_source, warnings),
                    validation: None,
                    payload_version: a.props["AuthorizerPayloadFormatVersion"]
                        .as_str()
                        .unwrap_or("2.0")
                        .to_string(),
                    simple_responses: a.props["EnableSimpleResponses"].as_bool().unwrap_or(false),
                    ttl_secs: a.props["AuthorizerResultTtlInSeconds"]
                        .as_u64()
                        .unwrap_or(0),
                }),
                other => {
                    return Err(format!(
                        "{}: AuthorizerType {other:?} is not an HTTP API authorizer type (JWT, REQUEST)",
                        a.logical_id
                    ));
                }
            };
            names.insert(a.id.clone(), name.clone());
            api.authorizers.insert(
                name.clone(),
                Authorizer {
                    name,
                    kind,
                    scopes: Vec::new(),
                },
            );
        }
        // Integrations by their `Ref`.
        let integrations: HashMap<&str, &Part> = of_api(PartKind::HttpIntegration)
            .map(|i| (i.id.as_str(), i))
            .collect();
        for r in of_api(PartKind::HttpRoute) {
            let key = r.props["RouteKey"].as_str().unwrap_or_default();
            let (method, path) = route_key(key).ok_or_else(|| {
                format!(
                    "{}: RouteKey {key:?} is not METHOD /path or $default",
                    r.logical_id
                )
            })?;
            let target = r.props["Target"].as_str().unwrap_or_default();
            let integration = target
                .strip_prefix("integrations/")
                .and_then(|id| integrations.get(id));
            let (function, integration, payload_version) = match integration {
                Some(i) if i.props["IntegrationType"].as_str() == Some("AWS_PROXY") => {
                    let version = i.props["PayloadFormatVersion"]
                        .as_str()
                        .unwrap_or("2.0")
                        .to_string();
                    match i.props["IntegrationUri"].as_str().and_then(function_of) {
                        Some(f) => (f, Integration::Proxy, version),
                        None => (
                            String::new(),
                            Integration::Unsupported(format!(
                                "{}: its IntegrationUri names no Lambda function",
                                i.logical_id
                            )),
                            version,
                        ),
                    }
                }
                Some(i) => {
                    let why = format!(
                        "{}: integrations of type {} are not emulated",
                        i.logical_id,
                        i.props["IntegrationType"].as_str().unwrap_or("(none)")
                    );
                    warnings.push(format!("{why}; {key} answers 500"));
                    (String::new(), Integration::Unsupported(why), "2.0".into())
                }
                None => {
                    let why = format!(
                        "{}: Target {target:?} names no AWS::ApiGatewayV2::Integration",
                        r.logical_id
                    );
                    warnings.push(format!("{why}; {key} answers 500"));
                    (String::new(), Integration::Unsupported(why), "2.0".into())
                }
            };
            let authorization = match r.props["AuthorizationType"].as_str().unwrap_or("NONE") {
                "NONE" => Authorization::None,
                "AWS_IAM" => Authorization::Iam,
                t @ ("JWT" | "CUSTOM") => match r.props["AuthorizerId"]
                    .as_str()
                    .and_then(|id| names.get(id).cloned())
                {
                    Some(name) => Authorization::Authorizer(name),
                    None => refused(
                        warnings,
                        &r.logical_id,
                        format!(
                            "its {t} AuthorizerId names no AWS::ApiGatewayV2::Authorizer of the API"
                        ),
                    ),
                },
                other => refused(
                    warnings,
                    &r.logical_id,
                    format!("AuthorizationType {other:?} is not emulated"),
                ),
            };
            api.routes
                .retain(|x| !(x.path == path && x.method == method));
            api.routes.push(Route {
                integration,
                authorization,
                scopes: strings(&r.props["AuthorizationScopes"]),
                ..Route::proxy(&method, &path, &function, &payload_version)
            });
        }
        apis.push(api);
    }
    Ok(apis)
}

/// A route whose protection the local gateway cannot give: it refuses every request, and says
/// so at start-up.
pub(crate) fn refused(warnings: &mut Vec<String>, logical_id: &str, why: String) -> Authorization {
    warnings.push(format!(
        "{logical_id}: {why}: its route refuses every request (500) rather than serve it open"
    ));
    Authorization::Refused(why)
}
