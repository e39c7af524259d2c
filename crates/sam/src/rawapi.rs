//! REST APIs written as raw API Gateway resources: `AWS::ApiGateway::RestApi` (with or without
//! an OpenAPI `Body`), `Resource`s making up its paths, `Method`s on them with their
//! integrations and authorization, `Authorizer`s, and the `Stage` or `Deployment` that names the
//! stage. They become the same model as SAM's APIs.

use std::collections::HashMap;

use serde_json::Value as Json;

use apispec::{
    Authorization, Authorizer, AuthorizerKind, IdentitySource, Integration, LambdaAuthorizer, Mock,
    RestApi, Route, normalize,
};

use crate::rawhttp::refused;
use crate::{cognito, openapi};

/// One raw API Gateway resource of the template, resolved.
#[derive(Debug, Clone)]
pub struct Part {
    /// Logical id.
    pub logical_id: String,
    /// Its `Ref` value.
    pub id: String,
    /// Which part.
    pub kind: PartKind,
    /// Its properties.
    pub props: Json,
    /// A RestApi's root resource id (`GetAtt RootResourceId`).
    pub root: String,
}

/// The raw API Gateway resource types.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PartKind {
    /// `AWS::ApiGateway::RestApi`.
    RestApi,
    /// `AWS::ApiGateway::Resource`.
    Resource,
    /// `AWS::ApiGateway::Method`.
    Method,
    /// `AWS::ApiGateway::Authorizer`.
    Authorizer,
    /// `AWS::ApiGateway::Stage`.
    Stage,
    /// `AWS::ApiGateway::Deployment`.
    Deployment,
    /// `AWS::ApiGatewayV2::Api` (see [`crate::rawhttp`]).
    HttpApi,
    /// `AWS::ApiGatewayV2::Route`.
    HttpRoute,
    /// `AWS::ApiGatewayV2::Integration`.
    HttpIntegration,
    /// `AWS::ApiGatewayV2::Authorizer`.
    HttpAuthorizer,
    /// `AWS::ApiGatewayV2::Stage`.
    HttpStage,
    /// `AWS::ApiGatewayV2::Deployment` (a stage with `AutoDeploy` needs none locally).
    HttpDeployment,
    /// `AWS::ApiGateway::ApiKey` (see [`crate::usage`]).
    ApiKey,
    /// `AWS::ApiGateway::UsagePlan`.
    UsagePlan,
    /// `AWS::ApiGateway::UsagePlanKey`.
    UsagePlanKey,
    /// `AWS::ApiGateway::GatewayResponse`.
    GatewayResponse,
    /// `AWS::ApiGateway::RequestValidator`.
    RequestValidator,
    /// `AWS::ApiGateway::Model` (its `Ref` is its `Name`).
    Model,
}

fn header_of(identity_source: &str) -> String {
    identity_source
        .split(',')
        .next()
        .unwrap_or_default()
        .trim()
        .strip_prefix("method.request.header.")
        .unwrap_or("Authorization")
        .to_string()
}

/// The APIs the parts make; what they leave out is said in `warnings`.
pub fn build(parts: &[Part], warnings: &mut Vec<String>) -> Result<Vec<RestApi>, String> {
    let mut apis = Vec::new();
    for api_part in parts.iter().filter(|p| p.kind == PartKind::RestApi) {
        let api_ref = &api_part.id;
        let of_api = |kind: PartKind| {
            parts
                .iter()
                .filter(move |p| p.kind == kind && p.props["RestApiId"].as_str() == Some(api_ref))
        };
        let stage = of_api(PartKind::Stage)
            .find_map(|p| p.props["StageName"].as_str().map(str::to_string))
            .or_else(|| {
                of_api(PartKind::Deployment)
                    .find_map(|p| p.props["StageName"].as_str().map(str::to_string))
            });
        let Some(stage) = stage else {
            warnings.push(format!(
                "{}: no AWS::ApiGateway::Stage or Deployment names a stage: the API is not deployed, and not served",
                api_part.logical_id
            ));
            continue;
        };
        let mut api = RestApi::new(&api_part.logical_id, api_ref, &stage);
        api.api_key_source = crate::api::key_source(
            api_part.props["ApiKeySourceType"]
                .as_str()
                .or(api_part.props["Body"]["x-amazon-apigateway-api-key-source"].as_str()),
        );
        if api_part.props["Body"].is_object() {
            openapi::import(&mut api, &api_part.props["Body"], warnings)?;
        } else if !api_part.props["BodyS3Location"].is_null() {
            warnings.push(format!(
                "{}: BodyS3Location is not read locally: only its Method resources are served",
                api_part.logical_id
            ));
        }
        api.gateway_responses
            .extend(crate::responses::from_openapi(&api_part.props["Body"]));
        // `Policy` wins over the body's `x-amazon-apigateway-policy`: CloudFormation's
        // properties override what a Body defines (AWS::ApiGateway::RestApi `Body`).
        if let Some(doc) = crate::policy::document(&api_part.props["Policy"])
            .map_err(|e| format!("{}: Policy: {e}", api_part.logical_id))?
        {
            api.resource_policy = Some(doc);
        }
        let validation_doc =
            validation_document(of_api(PartKind::RequestValidator), of_api(PartKind::Model));
        // Authorizers by their `Ref`.
        let mut authorizer_names = HashMap::new();
        for a in of_api(PartKind::Authorizer) {
            let name = a.props["Name"]
                .as_str()
                .unwrap_or(&a.logical_id)
                .to_string();
            let header = header_of(a.props["IdentitySource"].as_str().unwrap_or_default());
            let kind = match a.props["Type"].as_str().unwrap_or_default() {
                "COGNITO_USER_POOLS" => AuthorizerKind::Cognito {
                    pool_ids: a.props["ProviderARNs"]
                        .as_array()
                        .map(|l| {
                            l.iter()
                                .filter_map(Json::as_str)
                                .filter_map(cognito::pool_id_of_arn)
                                .collect()
                        })
                        .unwrap_or_default(),
                    validation: a.props["IdentityValidationExpression"]
                        .as_str()
                        .map(str::to_string),
                    header,
                },
                t @ ("TOKEN" | "REQUEST") => AuthorizerKind::Lambda(LambdaAuthorizer {
                    function: a.props["AuthorizerUri"]
                        .as_str()
                        .and_then(openapi::function_of_uri)
                        .unwrap_or_default(),
                    token: t == "TOKEN",
                    identity: match a.props["IdentitySource"].as_str() {
                        Some(list) => openapi::identity_sources(
                            &list
                                .split(',')
                                .map(|s| s.trim().to_string())
                                .collect::<Vec<_>>(),
                            warnings,
                        ),
                        None if t == "TOKEN" => {
                            vec![IdentitySource::Header("Authorization".into())]
                        }
                        None => Vec::new(),
                    },
                    validation: a.props["IdentityValidationExpression"]
                        .as_str()
                        .filter(|_| t == "TOKEN")
                        .map(str::to_string),
                    // API Gateway's default when none is set.
                    ttl_secs: a.props["AuthorizerResultTtlInSeconds"]
                        .as_u64()
                        .unwrap_or(300),
                    payload_version: "1.0".into(),
                    simple_responses: false,
                }),
                other => {
                    return Err(format!(
                        "{}: Type {other:?} is not an authorizer type (COGNITO_USER_POOLS, TOKEN, REQUEST)",
                        a.logical_id
                    ));
                }
            };
            authorizer_names.insert(a.id.clone(), name.clone());
            api.authorizers.insert(
                name.clone(),
                Authorizer {
                    name,
                    kind,
                    scopes: Vec::new(),
                },
            );
        }
        // Paths by resource id: the root's, then each resource's under its parent.
        let root = api_part.root.clone();
        let resources: HashMap<&str, (&str, &str)> = of_api(PartKind::Resource)
            .filter_map(|r| {
                Some((
                    r.id.as_str(),
                    (r.props["ParentId"].as_str()?, r.props["PathPart"].as_str()?),
                ))
            })
            .collect();
        let path_of = |id: &str| -> Option<String> {
            let mut parts = Vec::new();
            let mut at = id;
            for _ in 0..64 {
                if at == root {
                    parts.reverse();
                    return Some(format!("/{}", parts.join("/")));
                }
                let (parent, part) = resources.get(at)?;
                parts.push(*part);
                at = parent;
            }
            None
        };
        for m in of_api(PartKind::Method) {
            let rid = m.props["ResourceId"].as_str().unwrap_or_default();
            let Some(path) = path_of(rid) else {
                return Err(format!(
                    "{}: ResourceId {rid:?} is not the API's root or one of its AWS::ApiGateway::Resource",
                    m.logical_id
                ));
            };
            let method = match m.props["HttpMethod"].as_str().unwrap_or_default() {
                "ANY" => "ANY".to_string(),
                other => other.to_ascii_uppercase(),
            };
            let integration = &m.props["Integration"];
            let (function, integration) = match integration["Type"].as_str().unwrap_or_default() {
                "AWS_PROXY" => match integration["Uri"]
                    .as_str()
                    .and_then(openapi::function_of_uri)
                {
                    Some(f) => (f, Integration::Proxy),
                    None => (
                        String::new(),
                        Integration::Unsupported(format!(
                            "{}: its AWS_PROXY Integration.Uri names no Lambda function",
                            m.logical_id
                        )),
                    ),
                },
                "MOCK" => {
                    let response = integration["IntegrationResponses"]
                        .as_array()
                        .and_then(|l| l.first())
                        .cloned()
                        .unwrap_or(Json::Null);
                    let status = response["StatusCode"]
                        .as_str()
                        .and_then(|s| s.parse().ok())
                        .unwrap_or(200);
                    let headers = response["ResponseParameters"]
                        .as_object()
                        .map(|h| {
                            h.iter()
                                .filter_map(|(k, v)| {
                                    let name = k.strip_prefix("method.response.header.")?;
                                    let v = v.as_str()?;
                                    let v = v
                                        .strip_prefix('\'')
                                        .and_then(|v| v.strip_suffix('\''))
                                        .unwrap_or(v);
                                    Some((name.to_string(), v.to_string()))
                                })
                                .collect()
                        })
                        .unwrap_or_default();
                    let body = response["ResponseTemplates"]["application/json"]
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
                other => {
                    let why = format!(
                        "{}: integrations of type {other:?} are not emulated",
                        m.logical_id
                    );
                    warnings.push(format!("{why}; {method} {path} answers 500"));
                    (String::new(), Integration::Unsupported(why))
                }
            };
            let authorization = match m.props["AuthorizationType"].as_str().unwrap_or("NONE") {
                "NONE" => Authorization::None,
                "AWS_IAM" => Authorization::Iam,
                t @ ("COGNITO_USER_POOLS" | "CUSTOM") => match m.props["AuthorizerId"]
                    .as_str()
                    .and_then(|id| authorizer_names.get(id).cloned())
                {
                    Some(name) => Authorization::Authorizer(name),
                    None => refused(
                        warnings,
                        &m.logical_id,
                        format!(
                            "its {t} AuthorizerId names no AWS::ApiGateway::Authorizer of the API"
                        ),
                    ),
                },
                other => refused(
                    warnings,
                    &m.logical_id,
                    format!("AuthorizationType {other:?} is not emulated"),
                ),
            };
            let validation = crate::validation::from_openapi(
                &validation_doc,
                &path,
                &method_as_operation(&m.props),
            )
            .map_err(|e| format!("{}: {e}", m.logical_id))?;
            let path = normalize(&path);
            api.routes
                .retain(|r| !(r.path == path && r.method == method));
            api.routes.push(Route {
                integration,
                authorization,
                scopes: openapi::strings(&m.props["AuthorizationScopes"]),
                api_key_required: m.props["ApiKeyRequired"] == Json::Bool(true),
                validation,
                ..Route::proxy(&method, &path, &function, "1.0")
            });
        }
        apis.push(api);
    }
    Ok(apis)
}

/// The API's `RequestValidator`s (by their `Ref`) and `Model`s (by name, with API Gateway's
/// built-in `Empty` and `Error`) as the OpenAPI document
/// [`crate::validation::from_openapi`] reads.
fn validation_document<'a>(
    validators: impl Iterator<Item = &'a Part>,
    models: impl Iterator<Item = &'a Part>,
) -> Json {
    let mut doc = serde_json::json!({
        "x-amazon-apigateway-request-validators": {},
        "definitions": {
            // agw/models-mappings-models: every API has these two.
            "Empty": {"$schema": "http://json-schema.org/draft-04/schema#", "title": "Empty Schema", "type": "object"},
            "Error": {"$schema": "http://json-schema.org/draft-04/schema#", "title": "Error Schema", "type": "object",
                      "properties": {"message": {"type": "string"}}},
        },
    });
    for v in validators {
        doc["x-amazon-apigateway-request-validators"][&v.id] = serde_json::json!({
            "validateRequestBody": v.props["ValidateRequestBody"].as_bool().unwrap_or(false),
            "validateRequestParameters": v.props["ValidateRequestParameters"].as_bool().unwrap_or(false),
        });
    }
    for m in models {
        // `Schema` is a JSON object, or its text.
        let schema = match &m.props["Schema"] {
            Json::String(text) => serde_json::from_str(text).unwrap_or(Json::Null),
            other => other.clone(),
        };
        doc["definitions"][&m.id] = schema;
    }
    doc
}

/// An `AWS::ApiGateway::Method`'s validation settings as the OpenAPI operation API Gateway
/// would export: `RequestValidatorId`, `RequestParameters` (`true`: required) and
/// `RequestModels` (content type -> model name).
fn method_as_operation(props: &Json) -> Json {
    let mut op = serde_json::Map::new();
    if let Some(v) = props["RequestValidatorId"].as_str() {
        op.insert(
            "x-amazon-apigateway-request-validator".into(),
            Json::from(v),
        );
    }
    let mut parameters = Vec::new();
    for (k, required) in props["RequestParameters"].as_object().into_iter().flatten() {
        let Some((location, name)) = k
            .strip_prefix("method.request.")
            .and_then(|r| r.split_once('.'))
        else {
            continue;
        };
        let location = if location == "querystring" {
            "query"
        } else {
            location
        };
        let required = required.as_bool().unwrap_or_else(|| required == "true");
        parameters.push(serde_json::json!({"in": location, "name": name, "required": required}));
    }
    op.insert("parameters".into(), Json::Array(parameters));
    let content: serde_json::Map<String, Json> = props["RequestModels"]
        .as_object()
        .into_iter()
        .flatten()
        .filter_map(|(ct, model)| {
            let model = model.as_str()?;
            Some((
                ct.clone(),
                serde_json::json!({"schema": {"$ref": format!("#/definitions/{model}")}}),
            ))
        })
        .collect();
    if !content.is_empty() {
        op.insert(
            "requestBody".into(),
            serde_json::json!({"content": content}),
        );
    }
    Json::Object(op)
}
