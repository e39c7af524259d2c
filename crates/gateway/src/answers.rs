//! The gateway's own answers, and the last stage of the request pipeline: each answer of
//! the gateway (not of a function) carries its gateway response type, and a REST API's
//! customised gateway responses (`GatewayResponses`, `x-amazon-apigateway-gateway-responses`,
//! `AWS::ApiGateway::GatewayResponse`) rewrite it: the type's own entry, else `DEFAULT_4XX` /
//! `DEFAULT_5XX` by class; status, headers (`'static'` or `method.request.*` values) and body
//! templates (`$context.error.messageString` and friends).

use axum::body::Body;
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::auth::Denied;
use crate::protect;
use crate::spec::RestApi;

/// Marks a response as the gateway's own, with its gateway response type (`None`: only the
/// DEFAULT_4XX/5XX catch-alls apply).
#[derive(Debug, Clone, Copy)]
pub(crate) struct GatewayAnswer(pub(crate) Option<&'static str>);

/// The gateway's own answers.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Gw {
    MissingToken,
    TooLarge,
    BadRequest,
    Configuration,
    Internal,
    Timeout,
}

pub(crate) fn gateway_error(kind: Gw) -> Response {
    let (status, message, error_type) = match kind {
        Gw::MissingToken => (
            StatusCode::FORBIDDEN,
            "Missing Authentication Token",
            Some("MissingAuthenticationTokenException"),
        ),
        Gw::TooLarge => (
            StatusCode::PAYLOAD_TOO_LARGE,
            "Request Too Long",
            Some("RequestTooLongException"),
        ),
        Gw::Configuration => (
            StatusCode::INTERNAL_SERVER_ERROR,
            "Internal server error",
            Some("InternalServerErrorException"),
        ),
        Gw::BadRequest => (
            StatusCode::BAD_REQUEST,
            "Bad request: the body could not be read",
            Some("BadRequestException"),
        ),
        Gw::Internal => (
            StatusCode::BAD_GATEWAY,
            "Internal server error",
            Some("InternalServerErrorException"),
        ),
        Gw::Timeout => (
            StatusCode::GATEWAY_TIMEOUT,
            "Endpoint request timed out",
            Some("IntegrationTimeoutException"),
        ),
    };
    json_error(status, message, error_type)
}

/// A Lambda authorizer's 403: `{"Message": …}` as captured from AWS.
pub(crate) fn access_denied(explicit: bool) -> Response {
    let text = if explicit {
        "User is not authorized to access this resource with an explicit deny"
    } else {
        "User is not authorized to access this resource"
    };
    let mut resp = json_error(StatusCode::FORBIDDEN, text, Some("AccessDeniedException"));
    *resp.body_mut() = Body::from(json!({"Message": text}).to_string());
    resp
}

/// A Cognito or Lambda authorizer's 401.
pub(crate) fn denied(d: Denied) -> Response {
    let message = match d {
        Denied::Unauthorized | Denied::Forbidden => "Unauthorized",
        Denied::Expired => "The incoming token has expired",
    };
    json_error(
        StatusCode::UNAUTHORIZED,
        message,
        Some("UnauthorizedException"),
    )
}

/// A refused API key: 403 `Forbidden`, or 429 for the quota and the rate.
pub(crate) fn key_refusal(r: protect::KeyRefusal) -> Response {
    match r {
        protect::KeyRefusal::Invalid => json_error(
            StatusCode::FORBIDDEN,
            "Forbidden",
            Some("ForbiddenException"),
        ),
        protect::KeyRefusal::Quota => json_error(
            StatusCode::TOO_MANY_REQUESTS,
            "Limit Exceeded",
            Some("LimitExceededException"),
        ),
        // x-amzn-ErrorType for THROTTLED is not captured (aws-behaviour-3-iam.md §3):
        // TooManyRequestsException, as API Gateway's own API names it.
        protect::KeyRefusal::Throttled => json_error(
            StatusCode::TOO_MANY_REQUESTS,
            "Too Many Requests",
            Some("TooManyRequestsException"),
        ),
    }
}

/// An IAM refusal: 403 with its error type and text (`Message` for an access denial, as
/// captured from AWS).
pub(crate) fn iam_refusal(r: &protect::IamRefusal) -> Response {
    let mut resp = json_error(StatusCode::FORBIDDEN, &r.message, Some(&r.error_type));
    if r.error_type == "AccessDeniedException" {
        *resp.body_mut() = Body::from(json!({"Message": r.message}).to_string());
    }
    resp
}

/// The gateway response type of one of the gateway's answers (aws-behaviour-3-iam.md §5).
fn response_type(status: StatusCode, error_type: Option<&str>) -> Option<&'static str> {
    Some(match error_type? {
        "MissingAuthenticationTokenException" => "MISSING_AUTHENTICATION_TOKEN",
        "RequestTooLongException" => "REQUEST_TOO_LARGE",
        "BadRequestException" => "BAD_REQUEST_BODY",
        "InternalServerErrorException" if status == StatusCode::INTERNAL_SERVER_ERROR => {
            "API_CONFIGURATION_ERROR"
        }
        "IntegrationTimeoutException" => "INTEGRATION_TIMEOUT",
        "UnauthorizedException" => "UNAUTHORIZED",
        "AccessDeniedException" => "ACCESS_DENIED",
        "AuthorizerConfigurationException" => "AUTHORIZER_CONFIGURATION_ERROR",
        "IncompleteSignatureException" | "InvalidSignatureException" => "INVALID_SIGNATURE",
        "ExpiredTokenException" => "EXPIRED_TOKEN",
        "ForbiddenException" => "INVALID_API_KEY",
        "LimitExceededException" => "QUOTA_EXCEEDED",
        "TooManyRequestsException" => "THROTTLED",
        _ => return None,
    })
}

/// `{"message": …}` with `x-amzn-ErrorType` and a request id: one of the gateway's answers.
pub(crate) fn json_error(status: StatusCode, message: &str, error_type: Option<&str>) -> Response {
    let mut resp = (status, json!({"message": message}).to_string()).into_response();
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    if let Some(t) = error_type.and_then(|t| HeaderValue::from_str(t).ok()) {
        h.insert("x-amzn-errortype", t);
    }
    if let Ok(v) = HeaderValue::from_str(&common::id::uuid()) {
        h.insert("x-amzn-requestid", v);
    }
    resp.extensions_mut()
        .insert(GatewayAnswer(response_type(status, error_type)));
    resp.extensions_mut().insert(Message(message.to_string()));
    resp
}

/// The gateway response stage of a REST API: one of the gateway's answers rewritten by the
/// API's customised response for its type, else by its class's `DEFAULT_4XX`/`DEFAULT_5XX`
/// (a function's answers pass as they are).
pub(crate) fn customise(api: &RestApi, parts: &Parts, resp: Response) -> Response {
    if api.gateway_responses.is_empty() {
        return resp;
    }
    let Some(GatewayAnswer(kind)) = resp.extensions().get::<GatewayAnswer>().copied() else {
        return resp;
    };
    let status = resp.status();
    let class = if status.is_server_error() {
        "DEFAULT_5XX"
    } else {
        "DEFAULT_4XX"
    };
    let own = kind.and_then(|k| api.gateway_responses.get(k));
    let default = api.gateway_responses.get(class);
    let Some(custom) = own.or(default) else {
        return resp;
    };
    let (mut head, body) = resp.into_parts();
    // The entry that applies replaces the answer's status where it gives one: a type with
    // its own entry keeps its own status unless that entry sets one (DEFAULT_4XX's status
    // applies only to the types it stands in for).
    if let Some(s) = custom.status.and_then(|s| StatusCode::from_u16(s).ok()) {
        head.status = s;
    }
    for (name, value) in &custom.headers {
        let value = match value.strip_prefix('\'').and_then(|v| v.strip_suffix('\'')) {
            Some(v) => Some(v.to_string()),
            None => request_value(parts, value),
        };
        if let (Ok(n), Some(Ok(v))) = (
            header::HeaderName::try_from(name.as_str()),
            value.map(|v| HeaderValue::from_str(&v)),
        ) {
            head.headers.insert(n, v);
        }
    }
    let template = custom
        .templates
        .get("application/json")
        .or_else(|| custom.templates.values().next());
    let Some(template) = template else {
        return Response::from_parts(head, body);
    };
    // The message the answer carried, to fill `$context.error.message(String)`.
    let message = head
        .extensions
        .get::<Message>()
        .map(|m| m.0.clone())
        .unwrap_or_default();
    let text = render(template, &message, kind.unwrap_or(class), &head.headers);
    head.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(head, Body::from(text))
}

/// The message of one of the gateway's answers, kept for gateway response templates.
#[derive(Debug, Clone)]
pub(crate) struct Message(pub(crate) String);

/// A `method.request.header|querystring.X` value of the request (`path` parameters are not
/// mapped: none of the gateway's own answers has a matched resource to take them from).
fn request_value(parts: &Parts, expr: &str) -> Option<String> {
    if let Some(h) = expr.strip_prefix("method.request.header.") {
        return parts
            .headers
            .get(h)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
    }
    let q = expr.strip_prefix("method.request.querystring.")?;
    form_urlencoded::parse(parts.uri.query().unwrap_or_default().as_bytes())
        .find(|(k, _)| k == q)
        .map(|(_, v)| v.into_owned())
}

/// A gateway response template: the `$context.error.*` variables and `$context.requestId`
/// replaced. AWS's documentation gives gateway response templates variables only, no VTL
/// directives (aws-behaviour-3-iam.md §5); other `$context.*` and `$stageVariables.*` are
/// left as written (chosen: no stage variables are served yet, #27).
fn render(template: &str, message: &str, kind: &str, headers: &axum::http::HeaderMap) -> String {
    let quoted = serde_json::to_string(message).unwrap_or_else(|_| "\"\"".into());
    let request_id = headers
        .get("x-amzn-requestid")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    template
        .replace("$context.error.messageString", &quoted)
        .replace("$context.error.message", message)
        .replace("$context.error.responseType", kind)
        .replace("$context.requestId", request_id)
}

#[cfg(test)]
mod tests;
