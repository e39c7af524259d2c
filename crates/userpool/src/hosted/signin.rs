//! Signing in on the hosted UI: the authorize request checked (client, redirect URI, flows,
//! scopes, PKCE), the `login` page and its new-password and TOTP steps, and the grant that
//! completes it (a code or tokens for the client, a session for the browser).

use crate::error::CognitoError;
use crate::model::{ClientConfig, UserStatus};
use crate::pools::{OAuthGrant, Purpose, UserPools};
use axum::body::Body;
use axum::extract::{Path, RawQuery, State};
use axum::response::Response;
use common::date::now_secs;
use serde_json::{Map, Value as Json, json};
use std::sync::Arc;

use super::pages::*;
use super::shared::*;

impl UserPools {
    /// Checks an authorize request (its raw query) for the pool `pool_id`.
    pub(super) fn check_authorize(
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
    pub(super) fn complete(&self, a: &Authorize, username: &str, cookie: Option<String>) -> Answer {
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
    pub(super) fn tokens_for_grant(
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

    pub(super) fn login_form(
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

    pub(super) fn step_page(
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
    pub(super) fn hosted_password(
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
    pub(super) fn after_hosted_password(
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
    pub(super) fn signed_in(
        &self,
        prefix: &str,
        a: &Authorize,
        s: &crate::ops::auth::SignIn,
    ) -> Answer {
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
    pub(super) fn client_body(&self, client: &ClientConfig, username: &str) -> Json {
        let mut b = json!({"ClientId": client.id, "Username": username});
        if let Some(secret) = &client.secret {
            b["SecretHash"] = json!(common::encoding::b64(&common::digest::hmac_sha256(
                secret.as_bytes(),
                &[username.as_bytes(), client.id.as_bytes()],
            )));
        }
        b
    }

    pub(super) fn confirm_page(
        &self,
        prefix: &str,
        a: &Authorize,
        flow: &str,
        error: Option<&str>,
    ) -> String {
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
    pub(super) fn take_flow(&self, id: &str, pool_id: &str) -> Option<Flow> {
        let f = lock(&self.hosted.flows).remove(id)?;
        (f.expires > now_secs() && f.pool_id == pool_id).then_some(f)
    }

    /// A new flow, under a new id (expired ones dropped).
    pub(super) fn put_flow(&self, f: Flow) -> String {
        put(&self.hosted.flows, f, |f| f.expires <= now_secs())
    }

    pub(super) fn keep_flow(&self, id: &str, f: Flow) {
        lock(&self.hosted.flows).insert(id.to_string(), f);
    }
}

pub(super) async fn login_page(
    State(pools): State<Arc<UserPools>>,
    Path(prefix): Path<String>,
    RawQuery(query): RawQuery,
) -> Response {
    form_page(pools, prefix, query, |p, prefix, a| {
        p.login_form(prefix, a, None, None)
    })
    .await
}

pub(super) async fn login_post(
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
    pub(super) fn hosted_new_password(
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
    pub(super) fn hosted_totp(
        &self,
        client: &ClientConfig,
        session: &str,
        responses: &Map<String, Json>,
    ) -> Result<crate::ops::auth::SignIn, (CognitoError, Option<String>)> {
        self.check_mfa_code(client, session, responses)
            .map_err(|e| (e, Some(session.to_string())))
    }
}
