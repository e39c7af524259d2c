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
    ///
    /// `X-Amz-Invocation-Type`: `RequestResponse` (the default) waits for the answer; `Event`
    /// queues the event and answers 202 with no body at once (the function runs in the
    /// background; its failure is logged, as Lambda would send it to a destination); `DryRun`
    /// answers 204 for a function that exists.
    ///
    /// Before anything runs, the caller's signature is checked and its policies must allow
    /// `lambda:InvokeFunction` on the function (as Lambda does; the local administrator's keys
    /// may, a function's role session may when its policies say so).
    pub(crate) async fn invoke_direct(
        &self,
        name: &str,
        req: Request,
        peer: Option<std::net::SocketAddr>,
    ) -> Response {
        let kind = req
            .headers()
            .get("x-amz-invocation-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("RequestResponse")
            .to_string();
        if !matches!(kind.as_str(), "RequestResponse" | "Event" | "DryRun") {
            return json_error(
                StatusCode::BAD_REQUEST,
                &format!(
                    "1 validation error detected: Value '{kind}' at 'invocationType' failed to satisfy constraint: Member must satisfy enum value set: [Event, RequestResponse, DryRun]"
                ),
                Some("ValidationException"),
            );
        }
        let client_context = match client_context(req.headers()) {
            Ok(c) => c,
            Err(refused) => return *refused,
        };
        let (parts, body) = req.into_parts();
        let event = match common::server::read_body(body, 6 * 1024 * 1024).await {
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
        if let Err(refused) = self.lambda_iam(&parts, &event, name, peer) {
            return *refused;
        }
        let event = if event.is_empty() {
            b"{}".to_vec()
        } else {
            event
        };
        if kind != "RequestResponse" {
            if !self.invoker.exists(name) {
                return not_found(name);
            }
            if kind == "DryRun" {
                return empty(StatusCode::NO_CONTENT);
            }
            // Lambda's limit for an asynchronous event is 256 KB (its quotas page; it has been
            // raised to 1 MB since, unsure: the smaller is kept).
            if event.len() > EVENT_PAYLOAD {
                return json_error(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    &format!(
                        "Request must be smaller than {EVENT_PAYLOAD} bytes for the InvokeAsync operation"
                    ),
                    Some("RequestTooLargeException"),
                );
            }
            use std::sync::atomic::Ordering;
            let in_flight = std::sync::Arc::clone(&self.events_in_flight);
            if in_flight.fetch_add(1, Ordering::SeqCst) >= EVENTS_IN_FLIGHT {
                in_flight.fetch_sub(1, Ordering::SeqCst);
                return json_error(
                    StatusCode::TOO_MANY_REQUESTS,
                    "Rate Exceeded.",
                    Some("TooManyRequestsException"),
                );
            }
            let invoker = std::sync::Arc::clone(&self.invoker);
            let function = name.to_string();
            tokio::spawn(async move {
                if let Err(e) = invoker.invoke(&function, event).await {
                    tracing::warn!(target: "lambda", "{function}: an Event invocation failed: {e}");
                }
                in_flight.fetch_sub(1, Ordering::SeqCst);
            });
            return empty(StatusCode::ACCEPTED);
        }
        // Lambda passes the client context on for synchronous invocations only (its Invoke
        // reference): an Event invocation above goes without it.
        let invocation = match client_context {
            Some(c) => self.invoker.invoke_with_client_context(name, event, c),
            None => self.invoker.invoke(name, event),
        };
        let (error_type, message) = match invocation.await {
            Ok(payload) => {
                let mut resp = json_payload(payload);
                resp.headers_mut().insert(
                    "x-amz-executed-version",
                    HeaderValue::from_static("$LATEST"),
                );
                return resp;
            }
            Err(InvokeError::UnknownFunction(_)) => return not_found(name),
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

/// The largest asynchronous (`Event`) payload.
const EVENT_PAYLOAD: usize = 256 * 1024;

/// `Event` invocations queued or running at once, past which Invoke answers 429.
const EVENTS_IN_FLIGHT: usize = 1000;

/// The function a path's `{name}` names: a name, `name:qualifier`, or an ARN (percent-encoded,
/// as botocore sends it), `arn:aws:lambda:<region>:<account>:function:<name>[:qualifier]`.
pub(crate) fn function_name(raw: &str) -> String {
    let decoded = percent_decode(raw);
    let parts: Vec<&str> = decoded.split(':').collect();
    match parts.iter().position(|p| *p == "function") {
        Some(i) if decoded.starts_with("arn:") => parts.get(i + 1).copied().unwrap_or_default(),
        _ => parts.first().copied().unwrap_or_default(),
    }
    .to_string()
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%'
            && let Some(v) = s
                .get(i + 1..i + 3)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(v);
            i += 3;
            continue;
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn not_found(name: &str) -> Response {
    json_error(
        StatusCode::NOT_FOUND,
        &format!("Function not found: {name}"),
        Some("ResourceNotFoundException"),
    )
}

fn empty(status: StatusCode) -> Response {
    let mut resp = Response::new(Body::empty());
    *resp.status_mut() = status;
    resp
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
impl Gateway {
    /// The IAM decision on an Invoke API call: its signature (service `lambda`), then
    /// `lambda:InvokeFunction` on the function's ARN. Without an IAM port, every call is
    /// refused (never served unchecked).
    fn lambda_iam(
        &self,
        parts: &axum::http::request::Parts,
        body: &[u8],
        function: &str,
        peer: Option<std::net::SocketAddr>,
    ) -> Result<(), Box<Response>> {
        let refuse = |error_type: &str, message: &str| {
            tracing::info!(target: "gateway", "Lambda Invoke {function}: IAM refused: {error_type}: {message}");
            Box::new(json_error(StatusCode::FORBIDDEN, message, Some(error_type)))
        };
        let Some(iam) = &self.iam else {
            return Err(refuse(
                "UnrecognizedClientException",
                "The security token included in the request is invalid.",
            ));
        };
        let arn = format!(
            "arn:aws:lambda:{}:{}:function:{function}",
            self.region, self.account_id
        );
        let headers = crate::protect::header_pairs(parts);
        let ip = peer.map(|p| p.ip().to_string());
        let req = crate::protect::SignedRequest {
            method: parts.method.as_str(),
            path: parts.uri.path(),
            query: parts.uri.query(),
            headers: &headers,
            body,
            resource: &arn,
            source_ip: ip.as_deref(),
            resource_policy: None,
        };
        iam.lambda_invoke(&req)
            .map(|_| ())
            .map_err(|r| refuse(&r.error_type, &r.message))
    }
}

/// `X-Amz-Client-Context`: up to 3,583 bytes of base64 of a JSON object (Lambda's Invoke
/// reference), given to the function as that JSON. Lambda's refusal of one that is not says
/// "Client context must be a valid Base64-encoded JSON object" (as SDK users have quoted it);
/// its status and type are not documented: 400 `InvalidRequestContentException` is chosen here,
/// the type Lambda gives a request body it cannot parse.
fn client_context(h: &axum::http::HeaderMap) -> Result<Option<String>, Box<Response>> {
    const MAX: usize = 3583;
    let Some(raw) = h.get("x-amz-client-context") else {
        return Ok(None);
    };
    let invalid = || {
        Box::new(json_error(
            StatusCode::BAD_REQUEST,
            "Client context must be a valid Base64-encoded JSON object.",
            Some("InvalidRequestContentException"),
        ))
    };
    let text = raw.to_str().map_err(|_| invalid())?;
    if text.len() > MAX {
        // The limit is the Invoke reference's; this message is the form of Lambda's other
        // length checks (unsure for this one).
        return Err(Box::new(json_error(
            StatusCode::BAD_REQUEST,
            &format!(
                "1 validation error detected: Value at 'clientContext' failed to satisfy constraint: Member must have length less than or equal to {MAX}"
            ),
            Some("ValidationException"),
        )));
    }
    let bytes = common::encoding::b64_decode(text).ok_or_else(invalid)?;
    match serde_json::from_slice::<serde_json::Value>(&bytes) {
        Ok(v) if v.is_object() => Ok(Some(v.to_string())),
        _ => Err(invalid()),
    }
}

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
