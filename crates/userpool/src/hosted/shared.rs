//! What the hosted UI's pages and endpoints share: the grants and flows they keep (codes,
//! sessions, flows between pages), how an answer is made (pages, redirects, errors), forms and
//! the session cookie.

use super::pages::*;
use crate::model::ClientConfig;
use crate::pools::UserPools;
use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::Value as Json;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// How long a code is good for (Cognito: 5 minutes).
pub(super) const CODE_SECS: u64 = 300;
/// How long the steps of one sign-in may take.
pub(super) const FLOW_SECS: u64 = 900;
/// How long a browser stays signed in to the hosted UI.
pub(super) const LOGIN_SECS: u64 = 3600;
/// The session cookie.
pub(super) const COOKIE: &str = "gatehouse-login";
/// The largest form accepted.
pub(super) const MAX_FORM: usize = 64 * 1024;

/// An authorize request, checked.
#[derive(Debug, Clone)]
pub struct Authorize {
    /// Its raw query, carried through the pages.
    pub query: String,
    /// The client.
    pub client: ClientConfig,
    /// `redirect_uri`.
    pub redirect_uri: String,
    /// `code` or `token`.
    pub response_type: String,
    /// `state`.
    pub state: Option<String>,
    /// The granted scopes.
    pub scopes: Vec<String>,
    /// `nonce`.
    pub nonce: Option<String>,
    /// `code_challenge` (S256).
    pub challenge: Option<String>,
}

/// A code waiting to be exchanged.
#[derive(Debug, Clone)]
pub(super) struct Grant {
    pub(super) pool_id: String,
    pub(super) client_id: String,
    pub(super) username: String,
    pub(super) redirect_uri: String,
    pub(super) scopes: Vec<String>,
    pub(super) nonce: Option<String>,
    pub(super) challenge: Option<String>,
    pub(super) expires: u64,
}

/// One sign-in between its pages: the authorize request, who, and what comes next.
#[derive(Debug, Clone)]
pub(super) struct Flow {
    pub(super) pool_id: String,
    pub(super) username: String,
    /// The password given (to sign in once a sign-up is confirmed).
    pub(super) password: Option<String>,
    /// The API session of a challenge (new password, TOTP).
    pub(super) session: Option<String>,
    pub(super) expires: u64,
}

/// A browser signed in to a pool's hosted UI.
#[derive(Debug, Clone)]
pub(super) struct Login {
    pub(super) pool_id: String,
    pub(super) username: String,
    pub(super) expires: u64,
}

/// The hosted UI's state: codes, flows and logins (in memory: a restart signs browsers out).
#[derive(Debug, Default)]
pub struct HostedState {
    pub(super) codes: Mutex<HashMap<String, Grant>>,
    pub(super) flows: Mutex<HashMap<String, Flow>>,
    pub(super) logins: Mutex<HashMap<String, Login>>,
}

pub(super) fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

pub(super) fn token() -> String {
    let mut raw = [0u8; 32];
    common::id::random_bytes(&mut raw);
    common::encoding::b64url(&raw)
}

pub(super) fn put<T: Clone>(
    map: &Mutex<HashMap<String, T>>,
    value: T,
    expired: impl Fn(&T) -> bool,
) -> String {
    let t = token();
    let mut m = lock(map);
    m.retain(|_, v| !expired(v));
    m.insert(t.clone(), value);
    t
}

/// `a=1&b=2` as pairs.
pub(super) fn pairs(text: &str) -> HashMap<String, String> {
    form_urlencoded::parse(text.as_bytes())
        .into_owned()
        .collect()
}

/// `base?k=v&…` (or `#…`), values encoded.
pub(super) fn with_params(base: &str, sep: char, params: &[(&str, &str)]) -> String {
    let mut s = form_urlencoded::Serializer::new(String::new());
    for (k, v) in params {
        s.append_pair(k, v);
    }
    let encoded = s.finish();
    let joiner = if sep == '?' && base.contains('?') {
        '&'
    } else {
        sep
    };
    format!("{base}{joiner}{encoded}")
}

/// What a hosted-UI handler answers.
pub(super) enum Answer {
    Html(StatusCode, String, Option<String>),
    Redirect(String, Option<String>),
    Json(StatusCode, Json, Option<String>),
    Empty(StatusCode),
}

impl IntoResponse for Answer {
    fn into_response(self) -> Response {
        let mut resp = match &self {
            Answer::Html(status, body, _) => {
                let mut r = (*status, body.clone()).into_response();
                let h = r.headers_mut();
                h.insert(
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("text/html; charset=utf-8"),
                );
                // No other site may frame the sign-in page, and it loads nothing but itself.
                h.insert("x-frame-options", HeaderValue::from_static("DENY"));
                h.insert(
                    header::CONTENT_SECURITY_POLICY,
                    HeaderValue::from_static(
                        "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
                    ),
                );
                r
            }
            Answer::Redirect(to, _) => {
                let mut r = StatusCode::FOUND.into_response();
                if let Ok(v) = HeaderValue::from_str(to) {
                    r.headers_mut().insert(header::LOCATION, v);
                }
                r
            }
            Answer::Json(status, body, www) => {
                let mut r = (*status, body.to_string()).into_response();
                r.headers_mut().insert(
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("application/json;charset=UTF-8"),
                );
                if let Some(w) = www
                    && let Ok(v) = HeaderValue::from_str(w)
                {
                    r.headers_mut().insert(header::WWW_AUTHENTICATE, v);
                }
                r
            }
            Answer::Empty(status) => {
                let mut r = (*status).into_response();
                r.headers_mut().insert(
                    header::ACCESS_CONTROL_ALLOW_ORIGIN,
                    HeaderValue::from_static("*"),
                );
                r
            }
        };
        let cookie = match self {
            Answer::Html(_, _, c) | Answer::Redirect(_, c) => c,
            _ => None,
        };
        if let Some(c) = cookie
            && let Ok(v) = HeaderValue::from_str(&c)
        {
            resp.headers_mut().insert(header::SET_COOKIE, v);
        }
        resp.headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        resp
    }
}

/// Runs hosted-UI work (password hashing, triggers, the store) off the async threads.
pub(super) async fn blocking(
    pools: Arc<UserPools>,
    f: impl FnOnce(&UserPools) -> Answer + Send + 'static,
) -> Response {
    match tokio::task::spawn_blocking(move || f(&pools)).await {
        Ok(a) => a.into_response(),
        Err(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response(),
    }
}

pub(super) async fn read_form(body: Body) -> Option<HashMap<String, String>> {
    let bytes: Bytes = common::server::read_body(body, MAX_FORM).await.ok()?;
    Some(pairs(std::str::from_utf8(&bytes).ok()?))
}

/// A hosted-UI page, 200.
pub(super) fn html(body: String) -> Answer {
    Answer::Html(StatusCode::OK, body, None)
}

/// A hosted-UI page for GET: the authorize request in the query checked, then `render`.
pub(super) async fn form_page(
    pools: Arc<UserPools>,
    prefix: String,
    query: Option<String>,
    render: impl FnOnce(&UserPools, &str, &Authorize) -> String + Send + 'static,
) -> Response {
    let query = query.unwrap_or_default();
    blocking(pools, move |p| {
        let Some(pool_id) = p.pool_of_prefix(&prefix) else {
            return no_pool_page();
        };
        match p.check_authorize(&pool_id, &prefix, &query) {
            Ok(a) => html(render(p, &prefix, &a)),
            Err(r) => refused(r),
        }
    })
    .await
}

/// A hosted-UI form POST: the form read, the authorize request it carries (`q`) checked again,
/// then `handle`, off the async threads.
pub(super) async fn form_post(
    pools: Arc<UserPools>,
    prefix: String,
    body: Body,
    handle: impl FnOnce(&UserPools, &str, &Authorize, &HashMap<String, String>) -> Answer
    + Send
    + 'static,
) -> Response {
    let Some(f) = read_form(body).await else {
        return StatusCode::BAD_REQUEST.into_response();
    };
    blocking(pools, move |p| match form_authorize(p, &prefix, &f) {
        Ok(a) => handle(p, &prefix, &a, &f),
        Err(answer) => answer,
    })
    .await
}

pub(super) fn cookie_of(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|c| {
            c.trim()
                .strip_prefix(&format!("{COOKIE}="))
                .map(str::to_string)
        })
}

pub(super) fn set_cookie(prefix: &str, value: &str, max_age: u64) -> String {
    format!("{COOKIE}={value}; Path=/{prefix}; HttpOnly; SameSite=Lax; Max-Age={max_age}")
}

pub(super) fn error_redirect(prefix: &str, error: &str, client_id: &str) -> Answer {
    Answer::Redirect(
        with_params(
            &format!("/{prefix}/error"),
            '?',
            &[("error", error), ("client_id", client_id)],
        ),
        None,
    )
}

pub(super) fn no_pool_page() -> Answer {
    Answer::Html(
        StatusCode::NOT_FOUND,
        page("Not found", "", "<p>No user pool has this domain.</p>"),
        None,
    )
}

/// Why an authorize request cannot go on: to an error page, or back to the client.
pub(super) enum Refusal {
    Page(Answer),
    Client(String, Option<String>, &'static str),
}

pub(super) fn refused(r: Refusal) -> Answer {
    match r {
        Refusal::Page(a) => a,
        Refusal::Client(uri, state, error) => {
            let mut params = vec![("error", error)];
            if let Some(s) = &state {
                params.push(("state", s));
            }
            Answer::Redirect(with_params(&uri, '?', &params), None)
        }
    }
}

/// The form's authorize request, checked again (the page carries it as `q`).
pub(super) fn form_authorize(
    p: &UserPools,
    prefix: &str,
    f: &HashMap<String, String>,
) -> Result<Authorize, Answer> {
    let Some(pool_id) = p.pool_of_prefix(prefix) else {
        return Err(no_pool_page());
    };
    p.check_authorize(&pool_id, prefix, f.get("q").map_or("", String::as_str))
        .map_err(refused)
}
