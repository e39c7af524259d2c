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
//! - this file: the routes, `oauth2/authorize`, `logout` and `error`.
//! - [`shared`]: what the others share: grants, flows and sessions, answers, forms, the cookie.
//! - [`signin`]: the authorize request's checks, the `login` page and its steps, the grant.
//! - [`accounts`]: sign-up, confirmation and the forgotten password.
//! - [`oauth`]: the token endpoint, userInfo and revoke.
//! - [`pages`]: the HTML.

mod accounts;
mod oauth;
pub mod pages;
mod shared;
mod signin;

use accounts::*;
use oauth::*;
use shared::*;
pub use shared::{Authorize, HostedState};
use signin::*;

use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use crate::pools::UserPools;
use common::date::now_secs;
use pages::{esc, page};

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
