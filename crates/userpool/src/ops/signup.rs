//! Sign-up and its confirmation: SignUp, ConfirmSignUp, ResendConfirmationCode.

use serde_json::{Value as Json, json};

use super::users::{Outgoing, SIGN_UP_CODE_SECS, delivery, destination};
use super::{Constraint, Req, no_pool};
use crate::error::{CognitoError, Result};
use crate::model::{User, UserStatus};
use crate::pools::UserPools;
use crate::triggers::{Call, Trigger, user_attributes};

/// A request's `ClientMetadata` (`{}` when it has none).
pub(super) fn client_metadata(r: &Req<'_>) -> Result<Json> {
    Ok(r.opt_string_map("ClientMetadata")?
        .map_or_else(|| json!({}), Json::Object))
}

/// A request's `ValidationData` (`[{Name, Value}]`) as the `{name: value}` map triggers get.
pub(super) fn validation_data(r: &Req<'_>) -> Result<Json> {
    let list = r.opt_attributes("ValidationData")?.unwrap_or_default();
    Ok(Json::Object(
        list.into_iter()
            .map(|(k, v)| (k, Json::String(v)))
            .collect(),
    ))
}

impl UserPools {
    pub(crate) fn sign_up(&self, r: &Req<'_>) -> Result<Json> {
        r.require(&["ClientId", "Username", "Password"])?;
        let client = self.client_for(r.checked("ClientId", Constraint::ClientId)?, None)?;
        let given = r.checked("Username", Constraint::Username)?;
        let password = r.str("Password")?;
        self.check_secret_hash_field(&client, r, given)?;
        let (policy, admin_only, pool) = {
            let state = self.read();
            let p = state
                .pools
                .get(&client.pool_id)
                .ok_or_else(|| no_pool(&client.pool_id))?;
            (
                p.config.policy.clone(),
                p.config.admin_create_only,
                p.config.clone(),
            )
        };
        if admin_only {
            return Err(CognitoError::not_authorized(
                "SignUp is not permitted for this user pool",
            ));
        }
        let attrs = r.opt_attributes("UserAttributes")?.unwrap_or_default();
        client.check_writable(&attrs)?;
        let (username, mut attributes) = self.new_identity(&client.pool_id, given, attrs, false)?;
        policy.check(password)?;
        let meta = client_metadata(r)?;
        let given_attributes: serde_json::Map<String, Json> = attributes
            .iter()
            .filter(|(k, _)| k.as_str() != "sub")
            .map(|(k, v)| (k.clone(), Json::String(v.clone())))
            .collect();
        let pre = self
            .run_trigger(
                Call {
                    pool: &pool,
                    user_name: &username,
                    client_id: Some(&client.id),
                },
                Trigger::PreSignUp,
                "PreSignUp_SignUp",
                json!({
                    "userAttributes": given_attributes,
                    "validationData": validation_data(r)?,
                    "clientMetadata": meta,
                }),
                json!({"autoConfirmUser": false, "autoVerifyEmail": false, "autoVerifyPhone": false}),
            )?
            .unwrap_or_default();
        let auto_confirm = pre["autoConfirmUser"] == true;
        for (flag, attr) in [
            ("autoVerifyEmail", "email"),
            ("autoVerifyPhone", "phone_number"),
        ] {
            if pre[flag] == true {
                if !attributes.contains_key(attr) {
                    return Err(CognitoError::invalid_parameter(format!(
                        "PreSignUp set {flag}, but the user has no {attr}"
                    )));
                }
                attributes.insert(format!("{attr}_verified"), "true".into());
            }
        }
        let (stored_code, code) = self.new_code(SIGN_UP_CODE_SECS);
        let password = Self::stored_password(&client.pool_id, &username, password, false);
        let status = if auto_confirm {
            UserStatus::Confirmed
        } else {
            UserStatus::Unconfirmed
        };
        let user = User {
            confirm_code: (!auto_confirm).then_some(stored_code),
            ..User::new(username.clone(), attributes, status, Some(password))
        };
        let sub = user.sub().to_string();
        let dest = destination(&user, false);
        self.insert_new_user(
            &client.pool_id,
            user.clone(),
            "An account with the given email already exists.",
            "User already exists",
        )?;
        let mut out = json!({"UserConfirmed": auto_confirm, "UserSub": sub});
        if let Some(d) = dest.as_ref().filter(|_| !auto_confirm) {
            self.send_message(Outgoing {
                pool_id: &client.pool_id,
                user: &user,
                to: d,
                subject: "Your verification code",
                body: "Your verification code is {####}",
                code: &code,
                temporary: false,
                shown_username: None,
                source: "CustomMessage_SignUp",
                client_id: Some(&client.id),
                client_metadata: meta,
            })?;
            out["CodeDeliveryDetails"] = delivery(d);
        }
        Ok(out)
    }

    pub(crate) fn confirm_sign_up(&self, r: &Req<'_>) -> Result<Json> {
        r.require(&["ClientId", "Username", "ConfirmationCode"])?;
        let (client, username) = self.client_user(r)?;
        let given = r.checked("ConfirmationCode", Constraint::Code)?.to_string();
        let auto_verified = {
            let state = self.read();
            state
                .pools
                .get(&client.pool_id)
                .map(|p| p.config.auto_verified.clone())
                .unwrap_or_default()
        };
        let confirmed = self.update_user(&client.pool_id, &username, |u| {
            if u.status != UserStatus::Unconfirmed {
                return Err(CognitoError::not_authorized(format!(
                    "User cannot be confirmed. Current status is {}",
                    u.status
                )));
            }
            self.check_code(u.confirm_code.as_ref(), &given)?;
            u.confirm_code = None;
            u.status = UserStatus::Confirmed;
            for attr in ["email", "phone_number"] {
                if auto_verified.iter().any(|a| a == attr) && u.attributes.contains_key(attr) {
                    u.attributes
                        .insert(format!("{attr}_verified"), "true".into());
                }
            }
            Ok(())
        })?;
        // The user stays confirmed if the trigger fails; the caller hears of it.
        self.post_confirmation(
            &client.pool_id,
            &confirmed,
            Some(&client.id),
            "PostConfirmation_ConfirmSignUp",
            client_metadata(r)?,
        )?;
        Ok(json!({}))
    }

    /// PostConfirmation for a user just confirmed (sign-up or forgot-password).
    pub(super) fn post_confirmation(
        &self,
        pool_id: &str,
        user: &User,
        client_id: Option<&str>,
        source: &str,
        meta: Json,
    ) -> Result<()> {
        let pool = self
            .read()
            .pools
            .get(pool_id)
            .map(|p| p.config.clone())
            .ok_or_else(|| no_pool(pool_id))?;
        self.run_trigger(
            Call {
                pool: &pool,
                user_name: &user.username,
                client_id,
            },
            Trigger::PostConfirmation,
            source,
            json!({"userAttributes": user_attributes(&pool, user), "clientMetadata": meta}),
            json!({}),
        )?;
        Ok(())
    }

    pub(crate) fn resend_confirmation_code(&self, r: &Req<'_>) -> Result<Json> {
        r.require(&["ClientId", "Username"])?;
        let (client, username) = self.client_user(r)?;
        let (stored_code, code) = self.new_code(SIGN_UP_CODE_SECS);
        let user = self.update_user(&client.pool_id, &username, |u| {
            if u.status != UserStatus::Unconfirmed {
                return Err(CognitoError::invalid_parameter(
                    "User is already confirmed.",
                ));
            }
            u.confirm_code = Some(stored_code);
            Ok(())
        })?;
        let d = destination(&user, false).ok_or_else(|| {
            CognitoError::invalid_parameter("User has no email or phone number to send a code to")
        })?;
        self.send_message(Outgoing {
            pool_id: &client.pool_id,
            user: &user,
            to: &d,
            subject: "Your verification code",
            body: "Your verification code is {####}",
            code: &code,
            temporary: false,
            shown_username: None,
            source: "CustomMessage_ResendCode",
            client_id: Some(&client.id),
            client_metadata: client_metadata(r)?,
        })?;
        Ok(json!({"CodeDeliveryDetails": delivery(&d)}))
    }
}
