//! Lambda's Invoke API on the API port (`POST /2015-03-31/functions/{name}/invocations`), as
//! `gatehouse invoke` and `aws lambda invoke --endpoint-url` call it: a management call, signed
//! and not from a browser.

use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use serde_json::json;

use common::server::BodyError;

use crate::answers::{Gw, gateway_error, json_error};
use crate::{Gateway, InvokeError};

impl Gateway {
    /// Lambda's Invoke API (`POST /2015-03-31/functions/{name}/invocations`): the request body
    /// is the event, the response body the function's payload; a failure is reported as Lambda
    /// does, with `X-Amz-Function-Error` and `{"errorMessage","errorType"}`.
    pub(crate) async fn invoke_direct(&self, name: &str, req: Request) -> Response {
        let event = match common::server::read_body(req.into_body(), 6 * 1024 * 1024).await {
            Ok(b) if b.is_empty() => b"{}".to_vec(),
            Ok(b) => b.to_vec(),
            Err(BodyError::Malformed) => return gateway_error(Gw::BadRequest),
            Err(BodyError::TooLarge) => {
                return json_error(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "Request must be smaller than 6291456 bytes for the InvokeFunction operation",
                    Some("RequestTooLargeException"),
                );
            }
        };
        let (error_type, message) = match self.invoker.invoke(name, event).await {
            Ok(payload) => {
                let mut resp = json_payload(payload);
                resp.headers_mut().insert(
                    "x-amz-executed-version",
                    HeaderValue::from_static("$LATEST"),
                );
                return resp;
            }
            Err(InvokeError::UnknownFunction(_)) => {
                return json_error(
                    StatusCode::NOT_FOUND,
                    &format!("Function not found: {name}"),
                    Some("ResourceNotFoundException"),
                );
            }
            Err(InvokeError::Function {
                payload: Some(payload),
                ..
            }) => return function_error(payload),
            Err(InvokeError::Function {
                error_type,
                message,
                payload: None,
            }) => (error_type, message),
            Err(InvokeError::Timeout(d)) => (
                "Sandbox.Timedout".into(),
                format!("Task timed out after {:.2} seconds", d.as_secs_f64()),
            ),
            Err(InvokeError::Crashed(why)) => ("Runtime.ExitError".into(), why),
        };
        function_error(
            json!({"errorMessage": message, "errorType": error_type})
                .to_string()
                .into_bytes(),
        )
    }
}

/// Lambda's Invoke answer for a function error: 200 with `X-Amz-Function-Error` and the error
/// payload.
fn function_error(body: Vec<u8>) -> Response {
    let mut resp = json_payload(body);
    resp.headers_mut().insert(
        "x-amz-function-error",
        HeaderValue::from_static("Unhandled"),
    );
    resp
}

/// A function's payload as Invoke answers it.
fn json_payload(body: Vec<u8>) -> Response {
    let mut resp = Response::new(Body::from(body));
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    resp
}

/// Lambda's Invoke API is a management call: refused unless SigV4-signed, and refused from a
/// browser (see `common::management`).
pub(crate) fn management_refusal(req: &Request) -> Option<Response> {
    let h = req.headers();
    let text = |name: header::HeaderName| h.get(name).and_then(|v| v.to_str().ok());
    if common::management::from_browser(text(header::ORIGIN), text(header::CONTENT_TYPE)) {
        tracing::warn!(target: "gateway", "refused a Lambda Invoke request sent by a browser (Origin or a form content type)");
        return Some(json_error(
            StatusCode::FORBIDDEN,
            "Lambda's Invoke API does not accept requests from a web page",
            Some("AccessDeniedException"),
        ));
    }
    let auth: Vec<&str> = h
        .get_all(header::AUTHORIZATION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect();
    if auth.len() != 1 || !common::management::sigv4_signed(auth.first().copied()) {
        return Some(gateway_error(Gw::MissingToken));
    }
    None
}
