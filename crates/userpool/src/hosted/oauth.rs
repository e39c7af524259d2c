//! The OAuth 2.0 endpoints a client calls itself: `oauth2/token` (authorization code with PKCE,
//! refresh, client credentials), `oauth2/userInfo` and `oauth2/revoke`, with the CORS a
//! single-page app needs for them.

use crate::model::ClientConfig;
use crate::pools::UserPools;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use common::date::now_secs;
use serde_json::{Value as Json, json};
use std::collections::HashMap;
use std::sync::Arc;

use super::shared::*;

/// The endpoints a single-page app calls from its own origin (the code exchange, userInfo,
/// revoke) answer CORS: any origin, no cookies (they authenticate by their own parameters).
pub(super) async fn cors(mut resp: Response) -> Response {
    let h = resp.headers_mut();
    if h.get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|c| c.starts_with("application/json"))
        || h.contains_key(header::ACCESS_CONTROL_ALLOW_METHODS)
    {
        h.insert(
            header::ACCESS_CONTROL_ALLOW_ORIGIN,
            HeaderValue::from_static("*"),
        );
    }
    resp
}

pub(super) async fn preflight() -> Response {
    let mut r = StatusCode::NO_CONTENT.into_response();
    let h = r.headers_mut();
    h.insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    h.insert(
        header::ACCESS_CONTROL_ALLOW_METHODS,
        HeaderValue::from_static("GET, POST, OPTIONS"),
    );
    h.insert(
        header::ACCESS_CONTROL_ALLOW_HEADERS,
        HeaderValue::from_static("Authorization, Content-Type"),
    );
    h.insert(
        header::ACCESS_CONTROL_MAX_AGE,
        HeaderValue::from_static("3600"),
    );
    r
}

pub(super) fn oauth_error(status: StatusCode, error: &str, description: Option<&str>) -> Answer {
    let mut body = json!({"error": error});
    if let Some(d) = description {
        body["error_description"] = json!(d);
    }
    Answer::Json(status, body, None)
}

/// The client a token-endpoint request authenticates as: `Authorization: Basic` or
/// `client_id` (and `client_secret`) in the body.
pub(super) fn authenticate(
    p: &UserPools,
    pool_id: &str,
    headers: &HeaderMap,
    f: &HashMap<String, String>,
) -> Result<ClientConfig, Answer> {
    let basic = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
        .and_then(|b| common::encoding::b64_decode(b.trim()))
        .and_then(|raw| String::from_utf8(raw).ok())
        .and_then(|s| {
            s.split_once(':')
                .map(|(a, b)| (a.to_string(), b.to_string()))
        });
    let (id, secret) = match basic {
        Some((id, secret)) => (id, Some(secret)),
        None => (
            f.get("client_id").cloned().unwrap_or_default(),
            f.get("client_secret").cloned(),
        ),
    };
    let invalid = || oauth_error(StatusCode::BAD_REQUEST, "invalid_client", None);
    let client = p
        .read()
        .clients
        .get(&id)
        .filter(|c| c.pool_id == pool_id)
        .cloned()
        .ok_or_else(invalid)?;
    match (&client.secret, &secret) {
        (Some(s), Some(given))
            if common::digest::constant_time_eq(s.as_bytes(), given.as_bytes()) =>
        {
            Ok(client)
        }
        (None, None) => Ok(client),
        (None, Some(g)) if g.is_empty() => Ok(client),
        _ => Err(invalid()),
    }
}

pub(super) fn token_answer(t: &Json, with_refresh: bool) -> Answer {
    let mut body = json!({
        "access_token": t["AccessToken"],
        "token_type": "Bearer",
        "expires_in": t["ExpiresIn"],
    });
    if let Some(id) = t.get("IdToken") {
        body["id_token"] = id.clone();
    }
    if with_refresh && let Some(r) = t.get("RefreshToken") {
        body["refresh_token"] = r.clone();
    }
    Answer::Json(StatusCode::OK, body, None)
}

pub(super) async fn token_post(
    State(pools): State<Arc<UserPools>>,
    Path(prefix): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let form_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|c| c.starts_with("application/x-www-form-urlencoded"));
    let Some(f) = read_form(body).await.filter(|_| form_type) else {
        return oauth_error(StatusCode::BAD_REQUEST, "invalid_request", None).into_response();
    };
    blocking(pools, move |p| {
        let Some(pool_id) = p.pool_of_prefix(&prefix) else {
            return oauth_error(StatusCode::BAD_REQUEST, "invalid_request", None);
        };
        let client = match authenticate(p, &pool_id, &headers, &f) {
            Ok(c) => c,
            Err(a) => return a,
        };
        let get = |k: &str| f.get(k).cloned();
        let invalid_grant = || oauth_error(StatusCode::BAD_REQUEST, "invalid_grant", None);
        match get("grant_type").as_deref() {
            Some("authorization_code") => {
                let Some(code) = get("code") else {
                    return oauth_error(StatusCode::BAD_REQUEST, "invalid_request", None);
                };
                let Some(g) = lock(&p.hosted.codes).remove(&code) else {
                    return invalid_grant();
                };
                if g.expires <= now_secs()
                    || g.client_id != client.id
                    || g.pool_id != pool_id
                    || get("redirect_uri").as_deref() != Some(g.redirect_uri.as_str())
                {
                    return invalid_grant();
                }
                if let Some(challenge) = &g.challenge {
                    let verifier = get("code_verifier").unwrap_or_default();
                    let digest = common::digest::sha256(&[verifier.as_bytes()]);
                    if common::encoding::b64url(&digest) != *challenge {
                        return invalid_grant();
                    }
                }
                match p.tokens_for_grant(&client, &g.username, &g.scopes, g.nonce.clone()) {
                    Ok(t) => token_answer(&t, true),
                    Err(_) => invalid_grant(),
                }
            }
            Some("refresh_token") => {
                let Some(token) = get("refresh_token") else {
                    return oauth_error(StatusCode::BAD_REQUEST, "invalid_request", None);
                };
                match p.refresh_tokens(&client, &token) {
                    Ok(t) => token_answer(&t, false),
                    Err(_) => invalid_grant(),
                }
            }
            Some("client_credentials") => {
                if client.secret.is_none()
                    || !client
                        .list("AllowedOAuthFlows")
                        .iter()
                        .any(|f| f == "client_credentials")
                {
                    return oauth_error(StatusCode::BAD_REQUEST, "unauthorized_client", None);
                }
                let allowed: Vec<String> = client
                    .list("AllowedOAuthScopes")
                    .into_iter()
                    .filter(|s| s.contains('/'))
                    .collect();
                let scopes: Vec<String> = match get("scope") {
                    Some(s) => {
                        let asked: Vec<String> = s.split_whitespace().map(str::to_string).collect();
                        if asked.iter().any(|a| !allowed.contains(a)) {
                            return oauth_error(StatusCode::BAD_REQUEST, "invalid_scope", None);
                        }
                        asked
                    }
                    None => allowed,
                };
                match p.client_credentials_token(&client, &scopes) {
                    Ok(t) => Answer::Json(StatusCode::OK, t, None),
                    Err(_) => oauth_error(StatusCode::BAD_REQUEST, "invalid_request", None),
                }
            }
            Some(_) => oauth_error(StatusCode::BAD_REQUEST, "unsupported_grant_type", None),
            None => oauth_error(StatusCode::BAD_REQUEST, "invalid_request", None),
        }
    })
    .await
}

pub(super) async fn userinfo(
    State(pools): State<Arc<UserPools>>,
    Path(prefix): Path<String>,
    headers: HeaderMap,
) -> Response {
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(|t| t.trim().to_string());
    blocking(pools, move |p| {
        let bad_request = || {
            Answer::Json(
                StatusCode::BAD_REQUEST,
                json!({"error": "invalid_request"}),
                Some("error=\"invalid_request\", error_description=\"Bad OAuth2 request at UserInfo Endpoint\"".into()),
            )
        };
        let Some(token) = bearer else {
            return bad_request();
        };
        let invalid = || {
            Answer::Json(
                StatusCode::UNAUTHORIZED,
                json!({"error": "invalid_token"}),
                Some("error=\"invalid_token\", error_description=\"Access token is expired, disabled, or deleted, or the user has globally signed out.\"".into()),
            )
        };
        let Some(pool_id) = p.pool_of_prefix(&prefix) else {
            return bad_request();
        };
        match p.user_info(&pool_id, &token) {
            Ok(Some(info)) => Answer::Json(StatusCode::OK, info, None),
            Ok(None) | Err(_) => invalid(),
        }
    })
    .await
}

pub(super) async fn revoke(
    State(pools): State<Arc<UserPools>>,
    Path(prefix): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let Some(f) = read_form(body).await else {
        return oauth_error(StatusCode::BAD_REQUEST, "invalid_request", None).into_response();
    };
    blocking(pools, move |p| {
        let Some(pool_id) = p.pool_of_prefix(&prefix) else {
            return oauth_error(StatusCode::BAD_REQUEST, "invalid_request", None);
        };
        let client = match authenticate(p, &pool_id, &headers, &f) {
            Ok(c) => c,
            Err(_) => return oauth_error(StatusCode::UNAUTHORIZED, "invalid_client", None),
        };
        let Some(token) = f.get("token") else {
            return oauth_error(StatusCode::BAD_REQUEST, "invalid_request", None);
        };
        if !client.token_revocation() {
            return oauth_error(StatusCode::BAD_REQUEST, "invalid_request", None);
        }
        if token.split('.').count() == 3 {
            return oauth_error(StatusCode::BAD_REQUEST, "unsupported_token_type", None);
        }
        let _ = p.revoke_refresh(&client, token);
        Answer::Empty(StatusCode::OK)
    })
    .await
}

impl UserPools {
    /// A refresh through the token endpoint (the scopes the refresh token keeps).
    pub(super) fn refresh_tokens(
        &self,
        client: &ClientConfig,
        token: &str,
    ) -> crate::error::Result<Json> {
        let mut params = serde_json::Map::new();
        params.insert("REFRESH_TOKEN".into(), json!(token));
        let out = self.refresh(client, &params)?;
        Ok(out["AuthenticationResult"].clone())
    }

    /// A client credentials token: `sub` and `client_id` the client, the custom scopes, no
    /// user.
    pub(super) fn client_credentials_token(
        &self,
        client: &ClientConfig,
        scopes: &[String],
    ) -> crate::error::Result<Json> {
        let keys = self
            .read()
            .pools
            .get(&client.pool_id)
            .map(|p| Arc::clone(&p.keys))
            .ok_or_else(|| crate::ops::no_pool(&client.pool_id))?;
        let now = now_secs();
        let claims = json!({
            "sub": client.id,
            "token_use": "access",
            "scope": scopes.join(" "),
            "auth_time": now,
            "iss": self.issuer(&client.pool_id),
            "exp": now + client.access_validity,
            "iat": now,
            "version": 2,
            "jti": common::id::uuid(),
            "client_id": client.id,
        });
        Ok(json!({
            "access_token": keys.access.sign(&claims),
            "token_type": "Bearer",
            "expires_in": client.access_validity,
        }))
    }

    /// userInfo: the user's attributes an `openid` access token of `pool_id` may see.
    pub(super) fn user_info(
        &self,
        pool_id: &str,
        token: &str,
    ) -> crate::error::Result<Option<Json>> {
        let keys = match self.read().pools.get(pool_id) {
            Some(p) => Arc::clone(&p.keys),
            None => return Ok(None),
        };
        let Ok(claims) = crate::token::verify(token, &keys, &self.issuer(pool_id), "access") else {
            return Ok(None);
        };
        let scopes: Vec<&str> = claims["scope"]
            .as_str()
            .unwrap_or_default()
            .split(' ')
            .collect();
        if !scopes.contains(&"openid") {
            return Ok(None);
        }
        let state = self.read();
        let Some(user) = claims["username"]
            .as_str()
            .and_then(|u| state.pools.get(pool_id)?.users.get(u))
            .filter(|u| u.enabled && claims["sub"] == u.sub())
        else {
            return Ok(None);
        };
        if Self::session_revoked(&state, user, claims["origin_jti"].as_str().unwrap_or("")) {
            return Ok(None);
        }
        let client = claims["client_id"]
            .as_str()
            .and_then(|c| state.clients.get(c));
        let readable = |k: &str| client.is_none_or(|c| c.can_read(k));
        let mut out = serde_json::Map::new();
        out.insert("sub".into(), json!(user.sub()));
        for (k, v) in &user.attributes {
            let by_scope = match k.as_str() {
                "email" | "email_verified" => scopes.contains(&"email"),
                "phone_number" | "phone_number_verified" => scopes.contains(&"phone"),
                _ => {
                    scopes.contains(&"profile") || scopes.contains(&"aws.cognito.signin.user.admin")
                }
            };
            if k != "sub" && by_scope && readable(k) {
                out.insert(k.clone(), json!(v));
            }
        }
        out.insert("username".into(), json!(user.username));
        Ok(Some(Json::Object(out)))
    }
}
