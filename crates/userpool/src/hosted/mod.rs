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
//! - this file: the routes, the OAuth checks (client, redirect URI, flows, scopes, PKCE), the
//!   grants (codes, sessions, flows between pages) and the token endpoint.
//! - [`pages`]: the HTML.

pub mod pages;

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
use common::date::now_secs;
use pages::{esc, field, form, hidden, notes, page};

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

impl UserPools {
    /// Checks an authorize request (its raw query) for the pool `pool_id`.
    fn check_authorize(
        &self,
        pool_id: &str,
        prefix: &str,
        query: &str,
    ) -> Result<Authorize, Refusal> {
        let q = pairs(query);
        let client_id = q.get("client_id").cloned().unwrap_or_default();
        let client = self
            .read()
            .clients
            .get(&client_id)
            .filter(|c| c.pool_id == pool_id)
            .cloned();
        let redirect_uri = q.get("redirect_uri").cloned().unwrap_or_default();
        let Some(client) = client.filter(|c| c.list("CallbackURLs").contains(&redirect_uri)) else {
            return Err(Refusal::Page(error_redirect(
                prefix,
                "redirect_mismatch",
                &client_id,
            )));
        };
        let state = q.get("state").cloned();
        let refuse = |e: &'static str| Refusal::Client(redirect_uri.clone(), state.clone(), e);
        let response_type = q.get("response_type").cloned().unwrap_or_default();
        let flow = match response_type.as_str() {
            "code" => "code",
            "token" => "implicit",
            _ => return Err(refuse("invalid_request")),
        };
        if !client.oauth_enabled() || !client.list("AllowedOAuthFlows").iter().any(|f| f == flow) {
            return Err(refuse("unauthorized_client"));
        }
        let challenge = q.get("code_challenge").cloned();
        match (
            challenge.is_some(),
            q.get("code_challenge_method").map(String::as_str),
        ) {
            (true, Some("S256")) | (false, None) => {}
            _ => return Err(refuse("invalid_request")),
        }
        let allowed = client.list("AllowedOAuthScopes");
        let scopes: Vec<String> = match q.get("scope") {
            // A scope the client does not allow is ignored; none asked means all it allows.
            Some(s) => s
                .split_whitespace()
                .filter(|s| allowed.iter().any(|a| a == s))
                .map(str::to_string)
                .collect(),
            None => allowed.clone(),
        };
        let has = |s: &str| scopes.iter().any(|x| x == s);
        if ["email", "phone", "profile"].iter().any(|s| has(s)) && !has("openid") {
            return Err(refuse("invalid_scope"));
        }
        Ok(Authorize {
            query: query.to_string(),
            client,
            redirect_uri,
            response_type,
            state,
            scopes,
            nonce: q.get("nonce").cloned(),
            challenge,
        })
    }

    /// The answer to a signed-in authorize: the code, or the tokens, to the redirect URI.
    fn complete(&self, a: &Authorize, username: &str, cookie: Option<String>) -> Answer {
        let state = a.state.as_deref();
        if a.response_type == "code" {
            let grant = Grant {
                pool_id: a.client.pool_id.clone(),
                client_id: a.client.id.clone(),
                username: username.to_string(),
                redirect_uri: a.redirect_uri.clone(),
                scopes: a.scopes.clone(),
                nonce: a.nonce.clone(),
                challenge: a.challenge.clone(),
                expires: now_secs() + CODE_SECS,
            };
            let code = put(&self.hosted.codes, grant, |g| g.expires <= now_secs());
            let mut params = vec![("code", code.as_str())];
            if let Some(s) = state {
                params.push(("state", s));
            }
            return Answer::Redirect(with_params(&a.redirect_uri, '?', &params), cookie);
        }
        // Implicit: the tokens in the fragment, never a refresh token.
        let issued = self.tokens_for_grant(&a.client, username, &a.scopes, a.nonce.clone());
        match issued {
            Ok(t) => {
                let expires = a.client.access_validity.to_string();
                let mut params: Vec<(&str, &str)> = Vec::new();
                let access = t["AccessToken"].as_str().unwrap_or_default().to_string();
                let id = t["IdToken"].as_str().map(str::to_string);
                params.push(("access_token", &access));
                if let Some(i) = &id {
                    params.push(("id_token", i));
                }
                params.push(("token_type", "Bearer"));
                params.push(("expires_in", &expires));
                if let Some(s) = state {
                    params.push(("state", s));
                }
                Answer::Redirect(with_params(&a.redirect_uri, '#', &params), cookie)
            }
            Err(_) => {
                let mut params = vec![("error", "server_error")];
                if let Some(s) = state {
                    params.push(("state", s));
                }
                Answer::Redirect(with_params(&a.redirect_uri, '#', &params), cookie)
            }
        }
    }

    /// Tokens for a user signed in through the hosted UI (no refresh token for `refresh`
    /// false: the implicit flow).
    fn tokens_for_grant(
        &self,
        client: &ClientConfig,
        username: &str,
        scopes: &[String],
        nonce: Option<String>,
    ) -> crate::error::Result<Json> {
        let (keys, user) = {
            let state = self.read();
            let pool = state
                .pools
                .get(&client.pool_id)
                .ok_or_else(|| crate::ops::no_pool(&client.pool_id))?;
            let user = pool
                .users
                .get(username)
                .cloned()
                .ok_or_else(CognitoError::user_not_found)?;
            (Arc::clone(&pool.keys), user)
        };
        let grant = OAuthGrant {
            scopes: scopes.to_vec(),
            nonce,
        };
        self.issue_tokens_for(
            &keys,
            client,
            &user,
            None,
            "TokenGeneration_HostedAuth",
            Some(&grant),
        )
    }

    fn login_form(
        &self,
        prefix: &str,
        a: &Authorize,
        error: Option<&str>,
        message: Option<&str>,
    ) -> String {
        let links = format!(
            "<nav><a id=\"signup-link\" href=\"/{p}/signup?{q}\">Create an account</a>\
<a id=\"forgot-link\" href=\"/{p}/forgotPassword?{q}\">Forgot your password?</a></nav>",
            p = esc(prefix),
            q = esc(&a.query)
        );
        let inner = format!(
            "{}{}{}{}",
            hidden("q", &a.query),
            hidden("step", "signin"),
            field("username", "Email or username", "text", "username", ""),
            field("password", "Password", "password", "current-password", ""),
        );
        page(
            "Sign in",
            &a.client.name,
            &format!(
                "{}{}{links}",
                notes(error, message),
                form("signin", &format!("/{prefix}/login"), &inner, "Sign in")
            ),
        )
    }

    fn step_page(
        &self,
        prefix: &str,
        a: &Authorize,
        step: &str,
        flow: &str,
        error: Option<&str>,
    ) -> String {
        let (title, id, fields, button) = match step {
            "new-password" => (
                "Change your password",
                "new-password",
                field(
                    "new_password",
                    "New password",
                    "password",
                    "new-password",
                    "",
                ),
                "Change password and sign in",
            ),
            _ => (
                "Enter your authentication code",
                "mfa",
                field(
                    "code",
                    "Code from your authenticator app",
                    "text",
                    "one-time-code",
                    "",
                ),
                "Sign in",
            ),
        };
        let inner = format!(
            "{}{}{}{fields}",
            hidden("q", &a.query),
            hidden("step", step),
            hidden("flow", flow)
        );
        page(
            title,
            &a.client.name,
            &format!(
                "{}{}",
                notes(error, None),
                form(id, &format!("/{prefix}/login"), &inner, button)
            ),
        )
    }

    /// A password sign-in through the hosted UI: signed in, or the next page.
    fn hosted_password(
        &self,
        prefix: &str,
        a: &Authorize,
        username: &str,
        password: &str,
    ) -> Answer {
        let again = |e: &str| html(self.login_form(prefix, a, Some(e), None));
        let s = match self.sign_in_for(&a.client, username) {
            Ok(s) => s,
            Err(_) => match self.migrate_user(&a.client, username, Some(password), &json!({})) {
                Ok(Some(_)) => match self.sign_in_for(&a.client, username) {
                    Ok(s) => s,
                    Err(e) => return again(&e.message),
                },
                Ok(None) | Err(_) => return again("Incorrect username or password."),
            },
        };
        if let Err(e) =
            Self::precheck(&s.user).and_then(|()| self.pre_authentication(&s, &json!({})))
        {
            return again(&e.message);
        }
        let ok = s.user.password.as_ref().is_some_and(|p| {
            self.password_matches(&s.pool.id, &s.user.username, password, &p.hash)
        });
        if !ok {
            let _ = self.record_failure(&s.pool.id, &s.user.username);
            return again("Incorrect username or password.");
        }
        let flow = |session: Option<String>| Flow {
            pool_id: s.pool.id.clone(),
            username: s.user.username.clone(),
            password: Some(password.to_string()),
            session,
            expires: now_secs() + FLOW_SECS,
        };
        match s.user.status {
            UserStatus::Unconfirmed => {
                // Cognito's hosted UI sends a new code and asks for it.
                let code_sent = self.call(
                    "ResendConfirmationCode",
                    &self.client_body(&a.client, username),
                    false,
                );
                if let Err(e) = code_sent {
                    return again(&e.message);
                }
                let id = self.put_flow(flow(None));
                html(self.confirm_page(prefix, a, &id, None))
            }
            UserStatus::ResetRequired => again("Password reset required for the user"),
            UserStatus::ForceChangePassword => {
                let session = self.new_session(crate::pools::Session {
                    pool_id: s.pool.id.clone(),
                    client_id: a.client.id.clone(),
                    username: s.user.username.clone(),
                    expires: now_secs() + FLOW_SECS,
                    purpose: Purpose::NewPassword,
                });
                let id = self.put_flow(flow(Some(session)));
                html(self.step_page(prefix, a, "new-password", &id, None))
            }
            UserStatus::Confirmed | UserStatus::ExternalProvider => {
                let f = flow(None);
                self.after_hosted_password(prefix, a, s, f)
            }
        }
    }

    /// After the password (and a new one): the TOTP step, or signed in.
    fn after_hosted_password(
        &self,
        prefix: &str,
        a: &Authorize,
        s: crate::ops::auth::SignIn,
        mut f: Flow,
    ) -> Answer {
        let needs_code = s.pool.software_token_mfa
            && s.pool.mfa_configuration != "OFF"
            && s.user
                .totp
                .as_ref()
                .is_some_and(|t| t.enabled || s.pool.mfa_configuration == "ON");
        if needs_code {
            let session = self.new_session(crate::pools::Session {
                pool_id: s.pool.id.clone(),
                client_id: a.client.id.clone(),
                username: s.user.username.clone(),
                expires: now_secs() + FLOW_SECS,
                purpose: Purpose::SoftwareTokenMfa,
            });
            f.session = Some(session);
            let id = self.put_flow(f);
            return html(self.step_page(prefix, a, "mfa", &id, None));
        }
        self.signed_in(prefix, a, &s)
    }

    /// PostAuthentication, the browser's session, and the grant.
    fn signed_in(&self, prefix: &str, a: &Authorize, s: &crate::ops::auth::SignIn) -> Answer {
        let post = self.run_trigger(
            s.trigger_call(),
            crate::triggers::Trigger::PostAuthentication,
            "PostAuthentication_Authentication",
            json!({"userAttributes": crate::triggers::user_attributes(&s.pool, &s.user), "newDeviceUsed": false, "clientMetadata": {}}),
            json!({}),
        );
        if let Err(e) = post {
            return html(self.login_form(prefix, a, Some(&e.message), None));
        }
        let login = Login {
            pool_id: s.pool.id.clone(),
            username: s.user.username.clone(),
            expires: now_secs() + LOGIN_SECS,
        };
        let cookie = put(&self.hosted.logins, login, |l| l.expires <= now_secs());
        self.complete(
            a,
            &s.user.username,
            Some(set_cookie(prefix, &cookie, LOGIN_SECS)),
        )
    }

    /// The API body naming a user for a client (with its SECRET_HASH when it has a secret).
    fn client_body(&self, client: &ClientConfig, username: &str) -> Json {
        let mut b = json!({"ClientId": client.id, "Username": username});
        if let Some(secret) = &client.secret {
            b["SecretHash"] = json!(common::encoding::b64(&common::digest::hmac_sha256(
                secret.as_bytes(),
                &[username.as_bytes(), client.id.as_bytes()],
            )));
        }
        b
    }

    fn confirm_page(&self, prefix: &str, a: &Authorize, flow: &str, error: Option<&str>) -> String {
        let inner = format!(
            "{}{}{}",
            hidden("q", &a.query),
            hidden("flow", flow),
            field("code", "Verification code", "text", "one-time-code", "")
        );
        page(
            "Confirm your account",
            &a.client.name,
            &format!(
                "{}<p>We sent a code to your email. Enter it below.</p>{}",
                notes(error, None),
                form(
                    "confirm",
                    &format!("/{prefix}/confirm"),
                    &inner,
                    "Confirm account"
                )
            ),
        )
    }

    /// The flow `id` of the pool `pool_id` (single use; put back with `keep_flow`).
    fn take_flow(&self, id: &str, pool_id: &str) -> Option<Flow> {
        let f = lock(&self.hosted.flows).remove(id)?;
        (f.expires > now_secs() && f.pool_id == pool_id).then_some(f)
    }

    /// A new flow, under a new id (expired ones dropped).
    fn put_flow(&self, f: Flow) -> String {
        put(&self.hosted.flows, f, |f| f.expires <= now_secs())
    }

    fn keep_flow(&self, id: &str, f: Flow) {
        lock(&self.hosted.flows).insert(id.to_string(), f);
    }
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

async fn login_page(
    State(pools): State<Arc<UserPools>>,
    Path(prefix): Path<String>,
    RawQuery(query): RawQuery,
) -> Response {
    form_page(pools, prefix, query, |p, prefix, a| {
        p.login_form(prefix, a, None, None)
    })
    .await
}

/// The form's authorize request, checked again (the page carries it as `q`).
fn form_authorize(
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

async fn login_post(
    State(pools): State<Arc<UserPools>>,
    Path(prefix): Path<String>,
    body: Body,
) -> Response {
    form_post(pools, prefix, body, |p, prefix, a, f| {
        let get = |k: &str| f.get(k).map_or("", String::as_str);
        let step = get("step");
        if !matches!(step, "new-password" | "mfa") {
            return p.hosted_password(prefix, a, get("username"), get("password"));
        }
        let id = get("flow");
        let Some(mut flow) = p.take_flow(id, &a.client.pool_id) else {
            return html(p.login_form(
                prefix,
                a,
                Some("Your session has expired. Sign in again."),
                None,
            ));
        };
        let new_password = step == "new-password";
        let (key, value) = if new_password {
            ("NEW_PASSWORD", get("new_password"))
        } else {
            ("SOFTWARE_TOKEN_MFA_CODE", get("code"))
        };
        let responses = Map::from_iter([
            ("USERNAME".to_string(), json!(flow.username)),
            (key.to_string(), json!(value)),
        ]);
        let session = flow.session.take();
        let token = session.as_deref().unwrap_or_default();
        let result = if new_password {
            p.hosted_new_password(&a.client, token, &responses)
        } else {
            p.hosted_totp(&a.client, token, &responses)
        };
        match result {
            Ok(s) if new_password => p.after_hosted_password(prefix, a, s, flow),
            Ok(s) => p.signed_in(prefix, a, &s),
            Err((e, again)) => {
                // Another try with the same step.
                flow.session = again.or(session);
                p.keep_flow(id, flow);
                html(p.step_page(prefix, a, step, id, Some(&e.message)))
            }
        }
    })
    .await
}

impl UserPools {
    /// The hosted UI's new-password step: the API's NEW_PASSWORD_REQUIRED answer, without its
    /// tokens; on a refusal, the session to try again with.
    fn hosted_new_password(
        &self,
        client: &ClientConfig,
        session: &str,
        responses: &Map<String, Json>,
    ) -> Result<crate::ops::auth::SignIn, (CognitoError, Option<String>)> {
        let keep = self.peek_session(session);
        self.apply_new_password(client, session, responses)
            .map_err(|e| {
                let again = keep.map(|s| self.new_session(s));
                (e, again)
            })
    }

    /// The hosted UI's TOTP step.
    fn hosted_totp(
        &self,
        client: &ClientConfig,
        session: &str,
        responses: &Map<String, Json>,
    ) -> Result<crate::ops::auth::SignIn, (CognitoError, Option<String>)> {
        self.check_mfa_code(client, session, responses)
            .map_err(|e| (e, Some(session.to_string())))
    }
}

async fn signup_page(
    State(pools): State<Arc<UserPools>>,
    Path(prefix): Path<String>,
    RawQuery(query): RawQuery,
) -> Response {
    form_page(pools, prefix, query, |_, prefix, a| {
        signup_form(prefix, a, None)
    })
    .await
}

fn signup_form(prefix: &str, a: &Authorize, error: Option<&str>) -> String {
    let inner = format!(
        "{}{}{}",
        hidden("q", &a.query),
        field("username", "Email", "email", "email", ""),
        field("password", "Password", "password", "new-password", "")
    );
    page(
        "Sign up",
        &a.client.name,
        &format!(
            "{}{}<nav><a id=\"signin-link\" href=\"/{p}/login?{q}\">Already have an account? Sign in</a></nav>",
            notes(error, None),
            form("signup", &format!("/{prefix}/signup"), &inner, "Sign up"),
            p = esc(prefix),
            q = esc(&a.query)
        ),
    )
}

async fn signup_post(
    State(pools): State<Arc<UserPools>>,
    Path(prefix): Path<String>,
    body: Body,
) -> Response {
    form_post(pools, prefix, body, |p, prefix, a, f| {
        let username = f.get("username").cloned().unwrap_or_default();
        let password = f.get("password").cloned().unwrap_or_default();
        let mut req = p.client_body(&a.client, &username);
        req["Password"] = json!(password);
        // A pool whose users sign in by email has it as the username; others get it as the
        // email attribute.
        let email_is_username = p
            .read()
            .pools
            .get(&a.client.pool_id)
            .is_some_and(|pool| pool.config.email_is_username());
        if !email_is_username {
            req["UserAttributes"] = json!([{"Name": "email", "Value": username}]);
        }
        let out = match p.call("SignUp", &req, false) {
            Ok(o) => o,
            Err(e) => {
                return html(signup_form(prefix, a, Some(&e.message)));
            }
        };
        if out["UserConfirmed"] == true {
            return p.hosted_password(prefix, a, &username, &password);
        }
        let flow = Flow {
            pool_id: a.client.pool_id.clone(),
            username,
            password: Some(password),
            session: None,
            expires: now_secs() + FLOW_SECS,
        };
        let id = p.put_flow(flow);
        html(p.confirm_page(prefix, a, &id, None))
    })
    .await
}

async fn confirm_post(
    State(pools): State<Arc<UserPools>>,
    Path(prefix): Path<String>,
    body: Body,
) -> Response {
    form_post(pools, prefix, body, |p, prefix, a, f| {
        let id = f.get("flow").cloned().unwrap_or_default();
        let Some(flow) = p.take_flow(&id, &a.client.pool_id) else {
            return html(p.login_form(
                prefix,
                a,
                Some("Your session has expired. Sign in again."),
                None,
            ));
        };
        let mut req = p.client_body(&a.client, &flow.username);
        req["ConfirmationCode"] = json!(f.get("code").cloned().unwrap_or_default());
        if let Err(e) = p.call("ConfirmSignUp", &req, false) {
            p.keep_flow(&id, flow);
            return html(p.confirm_page(prefix, a, &id, Some(&e.message)));
        }
        match &flow.password {
            Some(pw) => p.hosted_password(prefix, a, &flow.username, pw),
            None => {
                html(p.login_form(prefix, a, None, Some("Your account is confirmed. Sign in.")))
            }
        }
    })
    .await
}

fn forgot_form(prefix: &str, a: &Authorize, error: Option<&str>) -> String {
    let inner = format!(
        "{}{}",
        hidden("q", &a.query),
        field("username", "Email or username", "text", "username", "")
    );
    page(
        "Forgot your password?",
        &a.client.name,
        &format!(
            "{}<p>We will send a code to reset it.</p>{}",
            notes(error, None),
            form(
                "forgot",
                &format!("/{prefix}/forgotPassword"),
                &inner,
                "Send code"
            )
        ),
    )
}

fn reset_form(prefix: &str, a: &Authorize, flow: &str, error: Option<&str>) -> String {
    let inner = format!(
        "{}{}{}{}",
        hidden("q", &a.query),
        hidden("flow", flow),
        field("code", "Code", "text", "one-time-code", ""),
        field("password", "New password", "password", "new-password", "")
    );
    page(
        "Reset your password",
        &a.client.name,
        &format!(
            "{}{}",
            notes(error, None),
            form(
                "reset",
                &format!("/{prefix}/confirmForgotPassword"),
                &inner,
                "Change password"
            )
        ),
    )
}

async fn forgot_page(
    State(pools): State<Arc<UserPools>>,
    Path(prefix): Path<String>,
    RawQuery(query): RawQuery,
) -> Response {
    form_page(pools, prefix, query, |_, prefix, a| {
        forgot_form(prefix, a, None)
    })
    .await
}

async fn forgot_post(
    State(pools): State<Arc<UserPools>>,
    Path(prefix): Path<String>,
    body: Body,
) -> Response {
    form_post(pools, prefix, body, |p, prefix, a, f| {
        let username = f.get("username").cloned().unwrap_or_default();
        if let Err(e) = p.call(
            "ForgotPassword",
            &p.client_body(&a.client, &username),
            false,
        ) {
            return html(forgot_form(prefix, a, Some(&e.message)));
        }
        let flow = Flow {
            pool_id: a.client.pool_id.clone(),
            username,
            password: None,
            session: None,
            expires: now_secs() + FLOW_SECS,
        };
        let id = p.put_flow(flow);
        html(reset_form(prefix, a, &id, None))
    })
    .await
}

async fn reset_post(
    State(pools): State<Arc<UserPools>>,
    Path(prefix): Path<String>,
    body: Body,
) -> Response {
    form_post(pools, prefix, body, |p, prefix, a, f| {
        let id = f.get("flow").cloned().unwrap_or_default();
        let Some(flow) = p.take_flow(&id, &a.client.pool_id) else {
            return html(forgot_form(
                prefix,
                a,
                Some("Your session has expired. Start again."),
            ));
        };
        let mut req = p.client_body(&a.client, &flow.username);
        req["ConfirmationCode"] = json!(f.get("code").cloned().unwrap_or_default());
        req["Password"] = json!(f.get("password").cloned().unwrap_or_default());
        if let Err(e) = p.call("ConfirmForgotPassword", &req, false) {
            p.keep_flow(&id, flow);
            return html(reset_form(prefix, a, &id, Some(&e.message)));
        }
        html(p.login_form(
            prefix,
            a,
            None,
            Some("Your password has been reset. Sign in with the new one."),
        ))
    })
    .await
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

// --- the token endpoint, userInfo, revoke ----------------------------------------------------

/// The endpoints a single-page app calls from its own origin (the code exchange, userInfo,
/// revoke) answer CORS: any origin, no cookies (they authenticate by their own parameters).
async fn cors(mut resp: Response) -> Response {
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

async fn preflight() -> Response {
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

fn oauth_error(status: StatusCode, error: &str, description: Option<&str>) -> Answer {
    let mut body = json!({"error": error});
    if let Some(d) = description {
        body["error_description"] = json!(d);
    }
    Answer::Json(status, body, None)
}

/// The client a token-endpoint request authenticates as: `Authorization: Basic` or
/// `client_id` (and `client_secret`) in the body.
fn authenticate(
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

fn token_answer(t: &Json, with_refresh: bool) -> Answer {
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

async fn token_post(
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

async fn userinfo(
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

async fn revoke(
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
    fn refresh_tokens(&self, client: &ClientConfig, token: &str) -> crate::error::Result<Json> {
        let mut params = serde_json::Map::new();
        params.insert("REFRESH_TOKEN".into(), json!(token));
        let out = self.refresh(client, &params)?;
        Ok(out["AuthenticationResult"].clone())
    }

    /// A client credentials token: `sub` and `client_id` the client, the custom scopes, no
    /// user.
    fn client_credentials_token(
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
    fn user_info(&self, pool_id: &str, token: &str) -> crate::error::Result<Option<Json>> {
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
