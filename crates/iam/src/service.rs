//! STS's HTTP edge: `POST /` with a form-encoded body (or `GET /?Action=…`), the request's
//! SigV4 signature (service `sts`) checked against the local keys as it arrived, then the
//! operation; every answer `text/xml` with `x-amzn-RequestId`.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::Iam;
use crate::sts::{self, Params, StsError};

/// Largest request body read (STS's largest inputs, a session policy and 50 tags, are a few KB).
const MAX_BODY: usize = 64 * 1024;

/// The router: STS at `/`.
pub fn app(iam: Arc<Iam>) -> Router {
    Router::new().fallback(handle).with_state(iam)
}

/// Whether a request to a shared port is an STS call: a Query-protocol `Action` in a form body
/// or in the query string, with no `X-Amz-Target` (the JSON services' mark).
pub fn is_sts(headers: &axum::http::HeaderMap, query: Option<&str>) -> bool {
    if headers.contains_key("x-amz-target") {
        return false;
    }
    let form = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| {
            ct.split(';')
                .next()
                .unwrap_or_default()
                .trim()
                .eq_ignore_ascii_case("application/x-www-form-urlencoded")
        });
    let action_in_query =
        query.is_some_and(|q| form_urlencoded::parse(q.as_bytes()).any(|(k, _)| k == "Action"));
    form || action_in_query
}

async fn handle(State(iam): State<Arc<Iam>>, req: Request) -> Response {
    let request_id = common::id::uuid();
    let peer = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip().to_string());
    let (parts, body) = req.into_parts();
    let bytes = match axum::body::to_bytes(body, MAX_BODY).await {
        Ok(b) => b,
        Err(_) => {
            return answer(
                Err(StsError {
                    status: 413,
                    code: "RequestEntityTooLarge",
                    message: format!("Request body is larger than {MAX_BODY} bytes"),
                }),
                &request_id,
            );
        }
    };
    let mut params = Params::new();
    for (k, v) in form_urlencoded::parse(parts.uri.query().unwrap_or_default().as_bytes())
        .chain(form_urlencoded::parse(&bytes))
    {
        params.insert(k.into_owned(), v.into_owned());
    }
    let headers: Vec<(&str, &str)> = parts
        .headers
        .iter()
        .filter_map(|(k, v)| Some((k.as_str(), v.to_str().ok()?)))
        .collect();
    let signed = crate::sigv4::Request {
        method: parts.method.as_str(),
        path: parts.uri.path(),
        query: parts.uri.query(),
        headers: &headers,
        body: &bytes,
    };
    let now = crate::now();
    let outcome = iam
        .authenticate(&signed, "sts", now)
        .map_err(|r| StsError::from_refusal(&r))
        .and_then(|who| sts::call(&iam, &who, &params, peer.as_deref()));
    if let Err(e) = &outcome {
        tracing_line(params.get("Action"), e);
    }
    answer(outcome, &request_id)
}

/// A refusal, for the user to read when a function's call fails.
fn tracing_line(action: Option<&String>, e: &StsError) {
    tracing::info!(
        target: "sts",
        "{}: {} {}: {}",
        action.map_or("-", String::as_str),
        e.status,
        e.code,
        e.message.lines().next().unwrap_or_default()
    );
}

fn answer(outcome: Result<(String, String), StsError>, request_id: &str) -> Response {
    let (status, body) = match outcome {
        Ok((action, result)) => (
            StatusCode::OK,
            sts::response_xml(&action, &result, request_id),
        ),
        Err(e) => (
            StatusCode::from_u16(e.status).unwrap_or(StatusCode::BAD_REQUEST),
            e.to_xml(request_id),
        ),
    };
    let mut resp = (status, Body::from(body)).into_response();
    let h = resp.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/xml"));
    if let Ok(v) = HeaderValue::from_str(request_id) {
        h.insert("x-amzn-requestid", v);
    }
    resp
}
