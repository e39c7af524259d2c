//! The pages that make or mend an account: `signup` and `confirm`, `forgotPassword` and
//! `confirmForgotPassword`.

use crate::pools::UserPools;
use axum::body::Body;
use axum::extract::{Path, RawQuery, State};
use axum::response::Response;
use common::date::now_secs;
use serde_json::json;
use std::sync::Arc;

use super::pages::*;
use super::shared::*;

pub(super) async fn signup_page(
    State(pools): State<Arc<UserPools>>,
    Path(prefix): Path<String>,
    RawQuery(query): RawQuery,
) -> Response {
    form_page(pools, prefix, query, |_, prefix, a| {
        signup_form(prefix, a, None)
    })
    .await
}

pub(super) fn signup_form(prefix: &str, a: &Authorize, error: Option<&str>) -> String {
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

pub(super) async fn signup_post(
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

pub(super) async fn confirm_post(
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

pub(super) fn forgot_form(prefix: &str, a: &Authorize, error: Option<&str>) -> String {
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

pub(super) fn reset_form(prefix: &str, a: &Authorize, flow: &str, error: Option<&str>) -> String {
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

pub(super) async fn forgot_page(
    State(pools): State<Arc<UserPools>>,
    Path(prefix): Path<String>,
    RawQuery(query): RawQuery,
) -> Response {
    form_page(pools, prefix, query, |_, prefix, a| {
        forgot_form(prefix, a, None)
    })
    .await
}

pub(super) async fn forgot_post(
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

pub(super) async fn reset_post(
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
