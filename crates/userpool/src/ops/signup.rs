//! Sign-up and its confirmation: SignUp, ConfirmSignUp, ResendConfirmationCode.

use serde_json::{Value as Json, json};

use super::users::{SIGN_UP_CODE_SECS, delivery, destination};
use super::{Constraint, Req, no_pool};
use crate::error::{CognitoError, Result};
use crate::model::{User, UserStatus};
use crate::pools::UserPools;
use common::date::now_f64;

impl UserPools {
    pub(crate) fn sign_up(&self, r: &Req<'_>) -> Result<Json> {
        r.require(&["ClientId", "Username", "Password"])?;
        let client = self.client_for(r.checked("ClientId", Constraint::ClientId)?, None)?;
        let given = r.checked("Username", Constraint::Username)?;
        let password = r.str("Password")?;
        self.check_secret_hash_field(&client, r, given)?;
        let (policy, admin_only) = {
            let state = self.read();
            let p = state
                .pools
                .get(&client.pool_id)
                .ok_or_else(|| no_pool(&client.pool_id))?;
            (p.config.policy.clone(), p.config.admin_create_only)
        };
        if admin_only {
            return Err(CognitoError::not_authorized(
                "SignUp is not permitted for this user pool",
            ));
        }
        let attrs = r.opt_attributes("UserAttributes")?.unwrap_or_default();
        let (username, attributes) = self.new_identity(&client.pool_id, given, attrs)?;
        policy.check(password)?;
        let (stored_code, code) = self.new_code(SIGN_UP_CODE_SECS);
        let now = now_f64();
        let user = User {
            password: Some(Self::stored_password(
                &client.pool_id,
                &username,
                password,
                false,
            )),
            username: username.clone(),
            attributes,
            enabled: true,
            status: UserStatus::Unconfirmed,
            created: now,
            modified: now,
            confirm_code: Some(stored_code),
            reset_code: None,
            failed_attempts: 0,
            locked_until: 0,
            sessions_revoked_ms: 0,
            groups: Default::default(),
        };
        let sub = user.sub().to_string();
        let dest = destination(&user, false);
        self.insert_new_user(
            &client.pool_id,
            user,
            "An account with the given email already exists.",
            "User already exists",
        )?;
        let mut out = json!({"UserConfirmed": false, "UserSub": sub});
        if let Some(d) = &dest {
            self.send_code(
                &client.pool_id,
                &username,
                d,
                "Your verification code",
                &code,
            );
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
        self.update_user(&client.pool_id, &username, |u| {
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
        Ok(json!({}))
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
        self.send_code(
            &client.pool_id,
            &username,
            &d,
            "Your verification code",
            &code,
        );
        Ok(json!({"CodeDeliveryDetails": delivery(&d)}))
    }
}
