//! REST request validation (aws-behaviour-3-apigw.md §1), after the authorizer and the API
//! key and before the integration: the required parameters first (each present and not
//! blank; 400 `Missing required request parameters: [a, b]`), then the body against the
//! model of its content type (400 `Invalid request body`). Both are gateway answers, so the
//! API's gateway responses (`BAD_REQUEST_PARAMETERS`, `BAD_REQUEST_BODY`) can rewrite them.

use std::collections::{BTreeMap, HashMap};

use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::Response;
use serde_json::Value as Json;

use apispec::{ParamIn, RestApi, Validation};

use crate::answers::{GatewayAnswer, json_error};

/// A method's models, compiled once: content type -> validator, or why the model does not
/// compile (its requests are then refused, as API Gateway would not have imported it).
pub(crate) type Models = Vec<(String, Result<jsonschema::Validator, String>)>;

/// The compiled models of every validated method of `api`, by route key.
pub(crate) fn compile(api: &RestApi) -> HashMap<String, Models> {
    let mut out = HashMap::new();
    for r in &api.routes {
        let Some(v) = &r.validation else { continue };
        if !v.body {
            continue;
        }
        let models = v
            .models
            .iter()
            .map(|(ct, schema)| {
                let compiled = jsonschema::draft4::new(schema).map_err(|e| {
                    let why = format!(
                        "{}: {} {}: the model for {ct} is not a valid JSON schema: {e}",
                        api.logical_id, r.method, r.path
                    );
                    tracing::warn!(target: "gateway", "{why}; its requests are refused");
                    why
                });
                (ct.clone(), compiled)
            })
            .collect();
        out.insert(r.key(), models);
    }
    out
}

/// A 400 of the validation stage, with its gateway response type.
fn bad_request(message: &str, response_type: &'static str) -> Response {
    let mut resp = json_error(
        StatusCode::BAD_REQUEST,
        message,
        Some("BadRequestException"),
    );
    resp.extensions_mut()
        .insert(GatewayAnswer(Some(response_type)));
    resp
}

/// The request checked against the method's validation `v` (`models` compiled from it,
/// `path_params` of the matched resource): the refusal, if it fails.
pub(crate) fn check(
    v: &Validation,
    models: Option<&Models>,
    parts: &Parts,
    path_params: &BTreeMap<String, String>,
    body: &[u8],
) -> Option<Response> {
    if v.parameters {
        let missing = missing_parameters(v, parts, path_params);
        if !missing.is_empty() {
            return Some(bad_request(
                &format!(
                    "Missing required request parameters: [{}]",
                    missing.join(", ")
                ),
                "BAD_REQUEST_PARAMETERS",
            ));
        }
    }
    if v.body
        && let Some(models) = models
    {
        let content_type = parts
            .headers
            .get(axum::http::header::CONTENT_TYPE)
            .and_then(|c| c.to_str().ok())
            .map(|c| c.split(';').next().unwrap_or(c).trim().to_ascii_lowercase())
            .unwrap_or_else(|| "application/json".into());
        // The model of the content type, else `$default`, else none to check against
        // (chosen; aws-behaviour-3-apigw.md marks the fallback unsure).
        let model = models
            .iter()
            .find(|(ct, _)| ct.eq_ignore_ascii_case(&content_type))
            .or_else(|| models.iter().find(|(ct, _)| ct == "$default"));
        if let Some((_, compiled)) = model {
            let validator = match compiled {
                Ok(v) => v,
                Err(why) => {
                    tracing::warn!(target: "gateway", "{why}");
                    return Some(crate::answers::gateway_error(
                        crate::answers::Gw::Configuration,
                    ));
                }
            };
            // An empty body is validated as `{}` (recorded on AWS: a bodiless GET fails a
            // model that requires properties; chosen: `{}`, as LocalStack reads it); a body
            // that is not JSON fails.
            let instance: Option<Json> = if body.iter().all(u8::is_ascii_whitespace) {
                Some(Json::Object(serde_json::Map::new()))
            } else {
                serde_json::from_slice(body).ok()
            };
            let valid = instance.as_ref().is_some_and(|i| validator.is_valid(i));
            if !valid {
                let detail = match &instance {
                    None => "the body is not JSON".to_string(),
                    Some(i) => validator
                        .iter_errors(i)
                        .map(|e| e.to_string())
                        .collect::<Vec<_>>()
                        .join("; "),
                };
                tracing::info!(target: "gateway", "{} {}: Request body does not match model schema for content type {content_type}: {detail}", parts.method, parts.uri.path());
                return Some(bad_request("Invalid request body", "BAD_REQUEST_BODY"));
            }
        }
    }
    None
}

/// The required parameters the request lacks or leaves blank, in `v`'s order.
fn missing_parameters(
    v: &Validation,
    parts: &Parts,
    path_params: &BTreeMap<String, String>,
) -> Vec<String> {
    let query: Vec<(String, String)> =
        form_urlencoded::parse(parts.uri.query().unwrap_or_default().as_bytes())
            .into_owned()
            .collect();
    v.required
        .iter()
        .filter(|(location, name)| {
            let value: Option<&str> = match location {
                // Header names compare case-insensitively (chosen; AWS does not say).
                ParamIn::Header => parts
                    .headers
                    .get(name.as_str())
                    .and_then(|h| h.to_str().ok()),
                ParamIn::Path => path_params.get(name).map(String::as_str),
                ParamIn::QueryString => query
                    .iter()
                    .find(|(k, _)| k == name)
                    .map(|(_, v)| v.as_str()),
            };
            value.is_none_or(|v| v.trim().is_empty())
        })
        .map(|(_, name)| name.clone())
        .collect()
}
