//! A REST API's customised gateway responses, in each of the three ways a template writes
//! them: SAM's `GatewayResponses` (`StatusCode`, `ResponseParameters.Headers`,
//! `ResponseTemplates`), an OpenAPI body's `x-amazon-apigateway-gateway-responses`
//! (`statusCode`, `responseParameters` `gatewayresponse.header.X`, `responseTemplates`), and
//! `AWS::ApiGateway::GatewayResponse` resources (`ResponseType`, `StatusCode`,
//! `ResponseParameters`, `ResponseTemplates`).

use std::collections::BTreeMap;

use apispec::GatewayResponse;
use serde_json::Value as Json;

fn status(v: &Json) -> Option<u16> {
    v.as_u64()
        .and_then(|s| u16::try_from(s).ok())
        .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
}

fn templates(v: &Json) -> BTreeMap<String, String> {
    v.as_object()
        .into_iter()
        .flatten()
        .filter_map(|(k, t)| Some((k.clone(), t.as_str()?.to_string())))
        .collect()
}

/// `{"gatewayresponse.header.X": "'v'"}` as (name, value) headers; other targets
/// (`gatewayresponse.path`, `.querystring`) are not sent by a response and are left out.
fn parameters(v: &Json) -> Vec<(String, String)> {
    v.as_object()
        .into_iter()
        .flatten()
        .filter_map(|(k, val)| {
            Some((
                k.strip_prefix("gatewayresponse.header.")?.to_string(),
                val.as_str()?.to_string(),
            ))
        })
        .collect()
}

/// SAM's `GatewayResponses` map (sam/model/apigateway.py `ApiGatewayResponse`: only `Headers`
/// of `ResponseParameters` become response headers).
pub fn from_sam(v: &Json) -> BTreeMap<String, GatewayResponse> {
    v.as_object()
        .into_iter()
        .flatten()
        .map(|(kind, r)| {
            let headers = r["ResponseParameters"]["Headers"]
                .as_object()
                .into_iter()
                .flatten()
                .filter_map(|(n, val)| Some((n.clone(), val.as_str()?.to_string())))
                .collect();
            (
                kind.clone(),
                GatewayResponse {
                    status: status(&r["StatusCode"]),
                    headers,
                    templates: templates(&r["ResponseTemplates"]),
                },
            )
        })
        .collect()
}

/// An OpenAPI body's `x-amazon-apigateway-gateway-responses`.
pub fn from_openapi(body: &Json) -> BTreeMap<String, GatewayResponse> {
    body["x-amazon-apigateway-gateway-responses"]
        .as_object()
        .into_iter()
        .flatten()
        .map(|(kind, r)| {
            (
                kind.clone(),
                GatewayResponse {
                    status: status(&r["statusCode"]),
                    headers: parameters(&r["responseParameters"]),
                    templates: templates(&r["responseTemplates"]),
                },
            )
        })
        .collect()
}

/// An `AWS::ApiGateway::GatewayResponse`'s properties: its type and response.
pub fn from_resource(props: &Json) -> Option<(String, GatewayResponse)> {
    Some((
        props["ResponseType"].as_str()?.to_string(),
        GatewayResponse {
            status: status(&props["StatusCode"]),
            headers: parameters(&props["ResponseParameters"]),
            templates: templates(&props["ResponseTemplates"]),
        },
    ))
}

/// `AWS::ApiGateway::GatewayResponse` resources, on the REST API their `RestApiId` names
/// (SAM's or a raw one). CloudFormation creates them after the API's body is imported, so
/// they win over the body's entry for the same type.
pub fn attach(
    apis: &mut [apispec::RestApi],
    parts: &[crate::rawapi::Part],
    warnings: &mut Vec<String>,
) {
    for p in parts
        .iter()
        .filter(|p| p.kind == crate::rawapi::PartKind::GatewayResponse)
    {
        let Some((kind, response)) = from_resource(&p.props) else {
            continue;
        };
        let api_id = p.props["RestApiId"].as_str().unwrap_or_default();
        match apis.iter_mut().find(|a| a.id == api_id) {
            Some(api) => {
                api.gateway_responses.insert(kind, response);
            }
            None => warnings.push(format!(
                "{}: its RestApiId is not a REST API of this template: the response is not applied",
                p.logical_id
            )),
        }
    }
    for api in apis.iter() {
        for kind in api.gateway_responses.keys() {
            if !TYPES.contains(&kind.as_str()) {
                let hint = TYPES
                    .iter()
                    .find(|t| t.eq_ignore_ascii_case(kind))
                    .map(|t| format!(" (types are upper case: {t})"))
                    .unwrap_or_default();
                warnings.push(format!(
                    "{}: gateway response {kind} is not a type API Gateway has{hint}: it is not applied",
                    api.logical_id
                ));
            }
        }
    }
}

/// API Gateway's gateway response types (`GatewayResponseType` in botocore's apigateway
/// model; agw/supported-gateway-response-types). Matched as written: the service's enum is
/// upper case, and whether it takes `DEFAULT_4xx` is not documented, so such a key is listed
/// as not applied rather than guessed.
const TYPES: [&str; 21] = [
    "ACCESS_DENIED",
    "API_CONFIGURATION_ERROR",
    "AUTHORIZER_CONFIGURATION_ERROR",
    "AUTHORIZER_FAILURE",
    "BAD_REQUEST_BODY",
    "BAD_REQUEST_PARAMETERS",
    "DEFAULT_4XX",
    "DEFAULT_5XX",
    "EXPIRED_TOKEN",
    "INTEGRATION_FAILURE",
    "INTEGRATION_TIMEOUT",
    "INVALID_API_KEY",
    "INVALID_SIGNATURE",
    "MISSING_AUTHENTICATION_TOKEN",
    "QUOTA_EXCEEDED",
    "REQUEST_TOO_LARGE",
    "RESOURCE_NOT_FOUND",
    "THROTTLED",
    "UNAUTHORIZED",
    "UNSUPPORTED_MEDIA_TYPE",
    "WAF_FILTERED",
];

#[cfg(test)]
mod tests;
