//! The HTTP edge: `POST /` speaks awsJson 1.1 (operation in `X-Amz-Target`), and each pool's
//! issuer serves `/.well-known/jwks.json` and `/.well-known/openid-configuration`.
//!
//! Every failure becomes Cognito's error shape here, in one place: HTTP 400 (500 only for our
//! own failure), `x-amzn-ErrorType`, `x-amzn-ErrorMessage`, and `{"__type","message"}`.

use std::future::Future;
use std::sync::Arc;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value as Json, json};
use tokio::net::TcpListener;

use crate::error::CognitoError;
use crate::pools::UserPools;
use common::id::uuid;

/// Largest request body accepted.
pub const MAX_BODY: usize = 1 << 20;

const TARGET_PREFIX: &str = "AWSCognitoIdentityProviderService.";
const CONTENT_TYPE: &str = "application/x-amz-json-1.1";

/// The router; tests call it without a socket.
pub fn app(pools: Arc<UserPools>) -> Router {
    Router::new()
        .route("/", post(rpc))
        .route("/{pool_id}/.well-known/jwks.json", get(jwks))
        .route(
            "/{pool_id}/.well-known/openid-configuration",
            get(openid_configuration),
        )
        .merge(crate::hosted::routes())
        .with_state(pools)
}

/// Serves `app` on `listener` until `shutdown` completes, within `limits`.
pub async fn serve(
    listener: TcpListener,
    pools: Arc<UserPools>,
    limits: common::server::Limits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    common::server::serve(listener, app(pools), limits, None, shutdown).await
}

fn json_response(status: StatusCode, body: &Json, request_id: &str) -> Response {
    let mut resp = (status, body.to_string()).into_response();
    let h = resp.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(CONTENT_TYPE));
    if let Ok(v) = HeaderValue::from_str(request_id) {
        h.insert("x-amzn-requestid", v);
    }
    resp
}

/// Cognito's error on the wire.
fn error_response(e: &CognitoError, request_id: &str) -> Response {
    let status = StatusCode::from_u16(e.status()).unwrap_or(StatusCode::BAD_REQUEST);
    let mut resp = json_response(
        status,
        &json!({"__type": e.kind.as_str(), "message": e.message}),
        request_id,
    );
    let h = resp.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&format!("{}:", e.kind)) {
        h.insert("x-amzn-errortype", v);
    }
    // Header values cannot hold line breaks or non-ASCII: flatten them.
    let flat: String = e
        .message
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() || c == ' ' {
                c
            } else {
                ' '
            }
        })
        .collect();
    if let Ok(v) = HeaderValue::from_str(flat.trim_end()) {
        h.insert("x-amzn-errormessage", v);
    }
    resp
}

async fn rpc(State(pools): State<Arc<UserPools>>, headers: HeaderMap, body: Body) -> Response {
    let request_id = uuid();
    let started = std::time::Instant::now();
    let fail = |e: CognitoError| error_response(&e, &request_id);

    let target = headers
        .get("x-amz-target")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let Some(op) = target.strip_prefix(TARGET_PREFIX).map(str::to_string) else {
        return fail(CognitoError::new(
            crate::error::ErrorKind::UnknownOperation,
            format!("X-Amz-Target must be {TARGET_PREFIX}<Operation>"),
        ));
    };
    // awsJson clients send 1.1; 1.0 and plain JSON are read too. Anything else names no
    // protocol we speak (AWS's exact answer here is undocumented).
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let media = content_type.split(';').next().unwrap_or_default().trim();
    if !matches!(
        media,
        "application/x-amz-json-1.1" | "application/x-amz-json-1.0" | "application/json"
    ) {
        return fail(CognitoError::new(
            crate::error::ErrorKind::UnknownOperation,
            format!("Content-Type must be {CONTENT_TYPE}, not {content_type:?}"),
        ));
    }
    let bytes: Bytes = match common::server::read_body(body, MAX_BODY).await {
        Ok(b) => b,
        Err(common::server::BodyError::TooLarge) => {
            return fail(CognitoError::serialization(format!(
                "The request body is larger than {MAX_BODY} bytes"
            )));
        }
        Err(common::server::BodyError::Malformed) => {
            return fail(CognitoError::serialization(
                "The request body could not be read (malformed chunked encoding?)",
            ));
        }
    };
    let value: Json = match serde_json::from_slice(&bytes) {
        Ok(v) => v,
        Err(e) => {
            return fail(CognitoError::serialization(format!(
                "The request body is not JSON: {e}"
            )));
        }
    };
    let signed = common::management::sigv4_signed(
        headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok()),
    );
    // A signed (management) call from a web page is refused, whatever it carries.
    if signed && headers.contains_key(header::ORIGIN) {
        return fail(CognitoError::new(
            crate::error::ErrorKind::AccessDenied,
            "Signed Cognito calls are not accepted from a web page (Origin header present)",
        ));
    }

    // Operations hash passwords and write the store: keep them off the async threads.
    let op_name = op.clone();
    let result = tokio::task::spawn_blocking(move || pools.call(&op_name, &value, signed)).await;
    let resp = match result {
        Ok(Ok(out)) => json_response(StatusCode::OK, &out, &request_id),
        Ok(Err(e)) => fail(e),
        Err(join) => fail(CognitoError::internal(&format!("{op} panicked"), join)),
    };
    tracing::debug!(target: "cognito", "{op} -> {} in {:?}", resp.status().as_u16(), started.elapsed());
    resp
}

async fn jwks(State(pools): State<Arc<UserPools>>, Path(pool_id): Path<String>) -> Response {
    let keys = pools
        .read()
        .pools
        .get(&pool_id)
        .map(|p| Arc::clone(&p.keys));
    match keys {
        Some(k) => {
            let mut resp = k.jwks().to_string().into_response();
            resp.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            );
            resp
        }
        None => not_found(&pool_id),
    }
}

async fn openid_configuration(
    State(pools): State<Arc<UserPools>>,
    Path(pool_id): Path<String>,
) -> Response {
    if !pools.read().pools.contains_key(&pool_id) {
        return not_found(&pool_id);
    }
    let iss = pools.issuer(&pool_id);
    let local = pools.local_issuer(&pool_id);
    // The hosted UI's endpoints are under the pool's domain, or its id.
    let prefix = pools
        .read()
        .pools
        .get(&pool_id)
        .and_then(|p| p.config.domain.clone())
        .unwrap_or_else(|| pool_id.clone());
    let ui = format!("{}/{prefix}", pools.settings.base_url);
    let doc = json!({
        "issuer": iss,
        "jwks_uri": format!("{local}/.well-known/jwks.json"),
        "authorization_endpoint": format!("{ui}/oauth2/authorize"),
        "token_endpoint": format!("{ui}/oauth2/token"),
        "userinfo_endpoint": format!("{ui}/oauth2/userInfo"),
        "end_session_endpoint": format!("{ui}/logout"),
        "revocation_endpoint": format!("{ui}/oauth2/revoke"),
        "response_types_supported": ["code", "token"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "scopes_supported": ["openid", "email", "phone", "profile"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
    });
    let mut resp = doc.to_string().into_response();
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    resp
}

fn not_found(pool_id: &str) -> Response {
    let body = json!({"message": format!("User pool {pool_id} does not exist.")});
    let mut resp = (StatusCode::NOT_FOUND, body.to_string()).into_response();
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    resp
}
