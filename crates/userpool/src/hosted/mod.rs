//! The hosted UI and the OAuth 2.0 / OpenID Connect endpoints, as Cognito serves them on a
//! pool's domain. Locally they are under a path: `<endpoint>/<domain>/…` (the pool's
//! `UserPoolDomain`, or its id): `oauth2/authorize`, `login` (with the new-password and TOTP
//! steps), `signup` and `confirm`, `forgotPassword` and `confirmForgotPassword`,
//! `oauth2/token` (authorization code with PKCE, refresh, client credentials), `oauth2/userInfo`,
//! `oauth2/revoke`, `logout`, `error`.
//!
//! A sign-in here runs what a sign-in through the API runs (PreAuthentication, the password,
//! the user's status, MFA, PostAuthentication; PreTokenGeneration `TokenGeneration_HostedAuth`
//! when the code is exchanged). A signed-in browser keeps a session cookie on the endpoint, so
//! a later authorize for the pool skips the page, until `logout`.
//!
//! # Layout
//! - this file: the routes, the state the pages share (codes, sessions, flows between pages),
//!   `oauth2/authorize`, `logout` and `error`.
//! - [`signin`]: the authorize request's checks, the `login` page and its steps, the grant.
//! - [`accounts`]: sign-up, confirmation and the forgotten password.
//! - [`oauth`]: the token endpoint, userInfo and revoke.
//! - [`pages`]: the HTML.

mod accounts;
mod oauth;
pub mod pages;
mod signin;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::{Map, Value as Json, json};

use crate::error::CognitoError;
use crate::model::{ClientConfig, UserStatus};
use crate::pools::{OAuthGrant, Purpose, UserPools};
use accounts::*;
use common::date::now_secs;
use oauth::*;
use pages::{esc, field, form, hidden, notes, page};
use signin::*;

/// How long a code is good for (Cognito: 5 minutes).
const CODE_SECS: u64 = 300;
/// How long the steps of one sign-in may take.
const FLOW_SECS: u64 = 900;
/// How long a browser stays signed in to the hosted UI.
const LOGIN_SECS: u64 = 3600;
/// The session cookie.
const COOKIE: &str = "gatehouse-login";
/// The largest form accepted.
const MAX_FORM: usize = 64 * 1024;

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
struct Grant {
    pool_id: String,
    client_id: String,
    username: String,
    redirect_uri: String,
    scopes: Vec<String>,
    nonce: Option<String>,
    challenge: Option<String>,
    expires: u64,
}

/// One sign-in between its pages: the authorize request, who, and what comes next.
#[derive(Debug, Clone)]
struct Flow {
    pool_id: String,
    username: String,
    /// The password given (to sign in once a sign-up is confirmed).
    password: Option<String>,
    /// The API session of a challenge (new password, TOTP).
    session: Option<String>,
    expires: u64,
}

/// A browser signed in to a pool's hosted UI.
#[derive(Debug, Clone)]
struct Login {
    pool_id: String,
    username: String,
    expires: u64,
}

/// The hosted UI's state: codes, flows and logins (in memory: a restart signs browsers out).
#[derive(Debug, Default)]
pub struct HostedState {
    codes: Mutex<HashMap<String, Grant>>,
    flows: Mutex<HashMap<String, Flow>>,
    logins: Mutex<HashMap<String, Login>>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn token() -> String {
    let mut raw = [0u8; 32];
    common::id::random_bytes(&mut raw);
    common::encoding::b64url(&raw)
}

fn put<T: Clone>(
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
fn pairs(text: &str) -> HashMap<String, String> {
    form_urlencoded::parse(text.as_bytes())
        .into_owned()
        .collect()
}

/// `base?k=v&…` (or `#…`), values encoded.
fn with_params(base: &str, sep: char, params: &[(&str, &str)]) -> String {
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
enum Answer {
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

/// The hosted UI's routes (merged into the service's router).
pub fn routes() -> Router<Arc<UserPools>> {
    Router::new()
        .route("/{prefix}/oauth2/authorize", get(authorize))
        .route("/{prefix}/login", get(login_page).post(login_post))
        .route("/{prefix}/signup", get(signup_page).post(signup_post))
        .route("/{prefix}/confirm", axum::routing::post(confirm_post))
        .route(
            "/{prefix}/forgotPassword",
            get(forgot_page).post(forgot_post),
        )
        .route(
            "/{prefix}/confirmForgotPassword",
            axum::routing::post(reset_post),
        )
        .route(
            "/{prefix}/oauth2/token",
            axum::routing::post(token_post).options(preflight),
        )
        .route(
            "/{prefix}/oauth2/userInfo",
            get(userinfo).post(userinfo).options(preflight),
        )
        .route(
            "/{prefix}/oauth2/revoke",
            axum::routing::post(revoke).options(preflight),
        )
        .layer(axum::middleware::map_response(cors))
        .route("/{prefix}/logout", get(logout))
        .route("/{prefix}/error", get(error_page))
}

/// Runs hosted-UI work (password hashing, triggers, the store) off the async threads.
async fn blocking(
    pools: Arc<UserPools>,
    f: impl FnOnce(&UserPools) -> Answer + Send + 'static,
) -> Response {
    match tokio::task::spawn_blocking(move || f(&pools)).await {
        Ok(a) => a.into_response(),
        Err(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response(),
    }
}

async fn read_form(body: Body) -> Option<HashMap<String, String>> {
    let bytes: Bytes = common::server::read_body(body, MAX_FORM).await.ok()?;
    Some(pairs(std::str::from_utf8(&bytes).ok()?))
}

/// A hosted-UI page, 200.
fn html(body: String) -> Answer {
    Answer::Html(StatusCode::OK, body, None)
}

/// A hosted-UI page for GET: the authorize request in the query checked, then `render`.
async fn form_page(
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
async fn form_post(
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

fn cookie_of(headers: &HeaderMap) -> Option<String> {
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

fn set_cookie(prefix: &str, value: &str, max_age: u64) -> String {
    format!("{COOKIE}={value}; Path=/{prefix}; HttpOnly; SameSite=Lax; Max-Age={max_age}")
}

fn error_redirect(prefix: &str, error: &str, client_id: &str) -> Answer {
    Answer::Redirect(
        with_params(
            &format!("/{prefix}/error"),
            '?',
            &[("error", error), ("client_id", client_id)],
        ),
        None,
    )
}

fn no_pool_page() -> Answer {
    Answer::Html(
        StatusCode::NOT_FOUND,
        page("Not found", "", "<p>No user pool has this domain.</p>"),
        None,
    )
}

/// Why an authorize request cannot go on: to an error page, or back to the client.
enum Refusal {
    Page(Answer),
    Client(String, Option<String>, &'static str),
}

// --- handlers ---------------------------------------------------------------------------------

async fn authorize(
    State(pools): State<Arc<UserPools>>,
    Path(prefix): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    let query = query.unwrap_or_default();
    let cookie = cookie_of(&headers);
    blocking(pools, move |p| {
        let Some(pool_id) = p.pool_of_prefix(&prefix) else {
            return no_pool_page();
        };
        let a = match p.check_authorize(&pool_id, &prefix, &query) {
            Ok(a) => a,
            Err(r) => return refused(r),
        };
        // A browser signed in to this pool is not asked again.
        let login = cookie
            .and_then(|c| lock(&p.hosted.logins).get(&c).cloned())
            .filter(|l| l.pool_id == pool_id && l.expires > now_secs());
        if let Some(l) = login
            && p.read()
                .pools
                .get(&pool_id)
                .is_some_and(|pool| pool.users.get(&l.username).is_some_and(|u| u.enabled))
        {
            return p.complete(&a, &l.username, None);
        }
        Answer::Redirect(format!("/{prefix}/login?{query}"), None)
    })
    .await
}

fn refused(r: Refusal) -> Answer {
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

async fn error_page(RawQuery(query): RawQuery) -> Response {
    let q = pairs(&query.unwrap_or_default());
    let error = q.get("error").cloned().unwrap_or_else(|| "error".into());
    Answer::Html(
        StatusCode::BAD_REQUEST,
        page(
            "Something went wrong",
            q.get("client_id").map_or("", String::as_str),
            &format!(
                "<p>An error was encountered with the requested page.</p><p class=\"error\" id=\"error\" role=\"alert\">{}</p>",
                esc(&error)
            ),
        ),
        None,
    )
    .into_response()
}

async fn logout(
    State(pools): State<Arc<UserPools>>,
    Path(prefix): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    let query = query.unwrap_or_default();
    let cookie = cookie_of(&headers);
    blocking(pools, move |p| {
        let Some(pool_id) = p.pool_of_prefix(&prefix) else {
            return no_pool_page();
        };
        let q = pairs(&query);
        let client_id = q.get("client_id").cloned().unwrap_or_default();
        let client = p
            .read()
            .clients
            .get(&client_id)
            .filter(|c| c.pool_id == pool_id)
            .cloned();
        let Some(client) = client else {
            return error_redirect(&prefix, "redirect_mismatch", &client_id);
        };
        let cleared = Some(set_cookie(&prefix, "", 0));
        if let Some(c) = cookie {
            lock(&p.hosted.logins).remove(&c);
        }
        if let Some(uri) = q.get("logout_uri") {
            if client.list("LogoutURLs").contains(uri) {
                return Answer::Redirect(uri.clone(), cleared);
            }
            return error_redirect(&prefix, "redirect_mismatch", &client_id);
        }
        if q.contains_key("redirect_uri") {
            return match p.check_authorize(&pool_id, &prefix, &query) {
                Ok(_) => Answer::Redirect(format!("/{prefix}/login?{query}"), cleared),
                Err(r) => refused(r),
            };
        }
        error_redirect(&prefix, "invalid_request", &client_id)
    })
    .await
}
