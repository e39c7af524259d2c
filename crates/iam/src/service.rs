//! The HTTP edges of STS and `cognito-identity`.
//!
//! STS: `POST /` with a form-encoded body (or `GET /?Action=…`), the request's SigV4 signature
//! (service `sts`) checked against the local keys as it arrived, then the operation; every
//! answer `text/xml` with `x-amzn-RequestId`.
//!
//! `cognito-identity`: awsJson 1.1 on `POST /` (`X-Amz-Target: AWSCognitoIdentityService.<Op>`);
//! the unsigned operations as anyone, the others signed (service `cognito-identity`) by a key
//! whose policies allow `cognito-identity:<Op>` on the pool.

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

/// The router: STS at `/`, with the identity pools whose OpenID tokens
/// `AssumeRoleWithWebIdentity` takes.
pub fn app(iam: Arc<Iam>, pools: Option<Arc<crate::identitypools::IdentityPools>>) -> Router {
    Router::new().fallback(handle).with_state((iam, pools))
}

type StsState = (Arc<Iam>, Option<Arc<crate::identitypools::IdentityPools>>);

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

async fn handle(State((iam, pools)): State<StsState>, req: Request) -> Response {
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
    // The one unsigned operation: its token is its proof.
    if params.get("Action").map(String::as_str) == Some("AssumeRoleWithWebIdentity") {
        let outcome = sts::assume_role_with_web_identity(&iam, pools.as_deref(), &params);
        if let Err(e) = &outcome {
            tracing_line(params.get("Action"), e);
        }
        return answer(outcome, &request_id);
    }
    let outcome = authenticate(&iam, &parts, &bytes, "sts")
        .map_err(|r| StsError::from_refusal(&r))
        .and_then(|who| sts::call(&iam, &who, &params, peer.as_deref()));
    if let Err(e) = &outcome {
        tracing_line(params.get("Action"), e);
    }
    answer(outcome, &request_id)
}

/// The request's signature for `service`, as it arrived.
fn authenticate(
    iam: &Iam,
    parts: &axum::http::request::Parts,
    body: &[u8],
    service: &str,
) -> Result<crate::Authenticated, crate::sigv4::Refusal> {
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
        body,
    };
    iam.authenticate(&signed, service, crate::now())
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

/// The prefix of `cognito-identity` calls' `X-Amz-Target`.
pub const IDENTITY_TARGET: &str = "AWSCognitoIdentityService.";

/// Whether a request to a shared port is a `cognito-identity` call.
pub fn is_identity(headers: &axum::http::HeaderMap) -> bool {
    headers
        .get("x-amz-target")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t.starts_with(IDENTITY_TARGET))
}

/// The router: `cognito-identity` at `/` (awsJson 1.1).
pub fn identity_app(pools: Arc<crate::identitypools::IdentityPools>, iam: Arc<Iam>) -> Router {
    Router::new().fallback(identity).with_state((pools, iam))
}

type IdentityState = (Arc<crate::identitypools::IdentityPools>, Arc<Iam>);

async fn identity(State((pools, iam)): State<IdentityState>, req: Request) -> Response {
    use crate::identitypools::Error;
    let request_id = common::id::uuid();
    let (parts, body) = req.into_parts();
    let op = parts
        .headers
        .get("x-amz-target")
        .and_then(|v| v.to_str().ok())
        .and_then(|t| t.strip_prefix(IDENTITY_TARGET))
        .unwrap_or_default()
        .to_string();
    let fail = |status: u16, kind: &str, message: &str| {
        json_answer(
            status,
            &serde_json::json!({"__type": kind, "message": message}),
            &request_id,
        )
    };
    let Ok(bytes) = axum::body::to_bytes(body, MAX_BODY).await else {
        return fail(413, "SerializationException", "Request body too large");
    };
    let input: serde_json::Value = if bytes.is_empty() {
        serde_json::json!({})
    } else {
        match serde_json::from_slice(&bytes) {
            Ok(v @ serde_json::Value::Object(_)) => v,
            _ => {
                return fail(
                    400,
                    "SerializationException",
                    "Start of structure or map found where not expected.",
                );
            }
        }
    };
    if !crate::identitypools::ops::UNSIGNED.contains(&op.as_str()) {
        let who = match authenticate(&iam, &parts, &bytes, "cognito-identity") {
            Ok(w) => w,
            // JSON services answer signature refusals with 400 and the same texts.
            Err(r) => return fail(400, r.error_type, &r.message),
        };
        // The pool the operation acts on: its input's IdentityPoolId where the operation has
        // one, the identity's own pool for DescribeIdentity (whose input has none: a pool
        // named in its body is not the one it reads), else every pool.
        let pool = match op.as_str() {
            "DescribeIdentity" => input["IdentityId"].as_str().and_then(|i| pools.pool_of(i)),
            "CreateIdentityPool" | "ListIdentityPools" => None,
            _ => input["IdentityPoolId"].as_str().map(str::to_string),
        };
        let resource = match pool {
            Some(id) => format!(
                "arn:aws:cognito-identity:{}:{}:identitypool/{id}",
                iam.region(),
                iam.account()
            ),
            None => "*".to_string(),
        };
        let action = format!("cognito-identity:{op}");
        if iam.authorize(Some(&who), &action, &resource, None, None) != crate::Decision::Allow {
            return fail(
                400,
                "AccessDeniedException",
                &format!(
                    "User: {} is not authorized to perform: {action} on resource: {resource}",
                    who.key.principal.arn
                ),
            );
        }
    }
    // Identities are written to the state dir as they change: off the async threads.
    let outcome = tokio::task::spawn_blocking(move || {
        let out = pools.call(&op, &input);
        if let Ok((_, true)) = &out
            && let Err(e) = pools.persist()
        {
            tracing::warn!(target: "cognito-identity", "cannot keep the identities: {e}");
        }
        out
    })
    .await;
    match outcome {
        Ok(Ok((out, _))) => json_answer(200, &out, &request_id),
        Ok(Err(Error { kind, message })) => fail(400, kind, &message),
        Err(_) => fail(500, "InternalErrorException", "the operation failed"),
    }
}

fn json_answer(status: u16, body: &serde_json::Value, request_id: &str) -> Response {
    let mut resp = (
        StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST),
        body.to_string(),
    )
        .into_response();
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/x-amz-json-1.1"),
    );
    if let Ok(v) = HeaderValue::from_str(request_id) {
        h.insert("x-amzn-requestid", v);
    }
    if let Some(kind) = body["__type"].as_str()
        && let Ok(v) = HeaderValue::from_str(kind)
    {
        h.insert("x-amzn-errortype", v);
    }
    resp
}
