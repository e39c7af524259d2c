//! The Admin user calls: AdminCreateUser (and the users a template declares), AdminGetUser,
//! AdminDeleteUser, AdminDisableUser, AdminEnableUser.

use serde_json::{Value as Json, json};

use super::users::destination;
use super::{Constraint, Req, no_pool};
use crate::error::{CognitoError, ErrorKind, Result};
use crate::model::{User, UserStatus};
use crate::pools::UserPools;

impl UserPools {
    pub(crate) fn admin_create_user(&self, r: &Req<'_>) -> Result<Json> {
        r.require(&["UserPoolId", "Username"])?;
        let pool_id = r.checked("UserPoolId", Constraint::PoolId)?;
        let given = r.checked("Username", Constraint::Username)?;
        let action = match r.opt_str("MessageAction")? {
            Some(a) => Some(r.one_of("MessageAction", a, &["RESEND", "SUPPRESS"])?),
            None => None,
        };
        let mediums = r
            .opt_str_list("DesiredDeliveryMediums")?
            .unwrap_or_else(|| vec!["SMS".into()]);
        for m in &mediums {
            r.one_of("DesiredDeliveryMediums", m, &["SMS", "EMAIL"])?;
        }
        let (policy, auto_verified) = {
            let state = self.read();
            let p = state.pools.get(pool_id).ok_or_else(|| no_pool(pool_id))?;
            (p.config.policy.clone(), p.config.auto_verified.clone())
        };
        let temporary = match r.opt_str("TemporaryPassword")? {
            Some(p) => {
                policy.check(p)?;
                p.to_string()
            }
            None => policy.generate(),
        };
        let prefer_sms = !mediums.iter().any(|m| m == "EMAIL");

        let user = if action == Some("RESEND") {
            let username = {
                let state = self.read();
                let pool = state.pools.get(pool_id).ok_or_else(|| no_pool(pool_id))?;
                pool.resolve(given)
                    .ok_or_else(CognitoError::user_not_found)?
            };
            let stored = Self::stored_password(pool_id, &username, &temporary, true);
            self.update_user(pool_id, &username, |u| {
                if u.status != UserStatus::ForceChangePassword {
                    return Err(CognitoError::new(
                        ErrorKind::UnsupportedUserState,
                        "Resend not possible. User status is not FORCE_CHANGE_PASSWORD",
                    ));
                }
                u.password = Some(stored);
                Ok(())
            })?
        } else {
            let attrs = r.opt_attributes("UserAttributes")?.unwrap_or_default();
            let (username, mut attributes) = self.new_identity(pool_id, given, attrs, true)?;
            // PreSignUp runs for administrators too; only its refusal counts.
            let pool = self
                .read()
                .pools
                .get(pool_id)
                .map(|p| p.config.clone())
                .ok_or_else(|| no_pool(pool_id))?;
            let given_attributes: serde_json::Map<String, Json> = attributes
                .iter()
                .filter(|(k, _)| k.as_str() != "sub")
                .map(|(k, v)| (k.clone(), Json::String(v.clone())))
                .collect();
            self.run_trigger(
                crate::triggers::Call {
                    pool: &pool,
                    user_name: &username,
                    client_id: None,
                },
                crate::triggers::Trigger::PreSignUp,
                "PreSignUp_AdminCreateUser",
                json!({
                    "userAttributes": given_attributes,
                    "validationData": super::signup::validation_data(r)?,
                    "clientMetadata": super::signup::client_metadata(r)?,
                }),
                json!({"autoConfirmUser": false, "autoVerifyEmail": false, "autoVerifyPhone": false}),
            )?;
            for attr in ["email", "phone_number"] {
                let key = format!("{attr}_verified");
                if auto_verified.iter().any(|a| a == attr)
                    && attributes.contains_key(attr)
                    && !attributes.contains_key(&key)
                {
                    attributes.insert(key, "true".into());
                }
            }
            let password = Self::stored_password(pool_id, &username, &temporary, true);
            let user = User::new(
                username,
                attributes,
                UserStatus::ForceChangePassword,
                Some(password),
            );
            self.insert_new_user(
                pool_id,
                user.clone(),
                "An account with the given email already exists.",
                "User account already exists",
            )?;
            user
        };
        if action != Some("SUPPRESS") {
            let to =
                destination(&user, prefer_sms).unwrap_or((given.to_string(), "EMAIL", "email"));
            self.send_message(super::users::Outgoing {
                pool_id,
                user: &user,
                to: &to,
                subject: "Your temporary password",
                body: "Your username is {username} and temporary password is {####}.",
                code: &temporary,
                temporary: true,
                shown_username: Some(given),
                source: "CustomMessage_AdminCreateUser",
                client_id: None,
                client_metadata: super::signup::client_metadata(r)?,
            })?;
        }
        Ok(json!({"User": user.render()}))
    }

    pub(crate) fn admin_get_user(&self, r: &Req<'_>) -> Result<Json> {
        let (pool_id, username) = self.admin_user(r)?;
        let state = self.read();
        let u = state
            .pools
            .get(&pool_id)
            .and_then(|p| p.users.get(&username))
            .ok_or_else(CognitoError::user_not_found)?;
        let mut out = json!({
            "Username": u.username,
            "UserAttributes": u.attribute_list(),
            "UserCreateDate": u.created,
            "UserLastModifiedDate": u.modified,
            "Enabled": u.enabled,
            "UserStatus": u.status.as_str(),
        });
        u.mfa_settings(&mut out);
        Ok(out)
    }

    pub(crate) fn admin_delete_user(&self, r: &Req<'_>) -> Result<Json> {
        let (pool_id, username) = self.admin_user(r)?;
        // Its tokens die with it: a refresh token names the user by sub, which a user made
        // again under the same name does not have.
        self.transact(|_, tx| {
            tx.delete_user(&pool_id, &username);
            Ok(())
        })?;
        Ok(json!({}))
    }

    pub(crate) fn admin_set_enabled(&self, r: &Req<'_>, enabled: bool) -> Result<Json> {
        let (pool_id, username) = self.admin_user(r)?;
        self.update_user(&pool_id, &username, |u| {
            u.enabled = enabled;
            Ok(())
        })?;
        Ok(json!({}))
    }

    /// A user the template declares (`request` is its AdminCreateUser request): created (and
    /// its invitation sent) once, found again by logical id. Returns the stored username.
    pub fn ensure_user(&self, logical_id: &str, request: &Json) -> Result<String> {
        let req = request.as_object().cloned().unwrap_or_default();
        let r = Req(&req);
        r.require(&["UserPoolId"])?;
        let pool_id = r.str("UserPoolId")?.to_string();
        if let Some(mapped) = self.logical(logical_id)?
            && let Some((p, u)) = mapped.split_once('/')
            && p == pool_id
            && self
                .read()
                .pools
                .get(p)
                .is_some_and(|pool| pool.users.contains_key(u))
        {
            return Ok(u.to_string());
        }
        let created = self.admin_create_user(&r)?;
        let username = created["User"]["Username"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        self.set_logical(logical_id, &format!("{pool_id}/{username}"))?;
        Ok(username)
    }
}

impl UserPools {
    /// AdminConfirmSignUp: an unconfirmed user confirmed without a code (PostConfirmation
    /// runs, as for ConfirmSignUp).
    pub(crate) fn admin_confirm_sign_up(&self, r: &Req<'_>) -> Result<Json> {
        let (pool_id, username) = self.admin_user(r)?;
        let user = self.update_user(&pool_id, &username, |u| {
            if u.status != UserStatus::Unconfirmed {
                return Err(CognitoError::not_authorized(format!(
                    "User cannot be confirmed. Current status is {}",
                    u.status
                )));
            }
            u.status = UserStatus::Confirmed;
            u.confirm_code = None;
            Ok(())
        })?;
        self.post_confirmation(
            &pool_id,
            &user,
            None,
            "PostConfirmation_ConfirmSignUp",
            super::signup::client_metadata(r)?,
        )?;
        Ok(json!({}))
    }

    /// AdminResetUserPassword: the password no longer signs in (`RESET_REQUIRED`); a reset
    /// code goes to the user, for ConfirmForgotPassword.
    pub(crate) fn admin_reset_user_password(&self, r: &Req<'_>) -> Result<Json> {
        let (pool_id, username) = self.admin_user(r)?;
        let (stored, code) = self.new_code(super::users::RESET_CODE_SECS);
        let user = self.update_user(&pool_id, &username, |u| {
            let verified = ["email", "phone_number"].iter().any(|a| {
                u.attributes.get(&format!("{a}_verified")).map(String::as_str) == Some("true")
            });
            if !verified {
                return Err(CognitoError::invalid_parameter(
                    "Cannot reset password for the user as there is no registered/verified email or phone_number",
                ));
            }
            u.status = UserStatus::ResetRequired;
            u.reset_code = Some(stored);
            Ok(())
        })?;
        if let Some(d) = destination(&user, false) {
            self.send_message(super::users::Outgoing {
                pool_id: &pool_id,
                user: &user,
                to: &d,
                subject: "Your password reset code",
                body: "Your password reset code is {####}",
                code: &code,
                temporary: false,
                shown_username: None,
                source: "CustomMessage_ForgotPassword",
                client_id: None,
                client_metadata: super::signup::client_metadata(r)?,
            })?;
        }
        Ok(json!({}))
    }

    /// AdminListUserAuthEvents: the local pool keeps no sign-in history.
    pub(crate) fn admin_list_user_auth_events(&self, r: &Req<'_>) -> Result<Json> {
        self.admin_user(r)?;
        Ok(json!({"AuthEvents": []}))
    }

    /// AdminDeleteUserAttributes.
    pub(crate) fn admin_delete_user_attributes(&self, r: &Req<'_>) -> Result<Json> {
        r.require(&["UserPoolId", "Username", "UserAttributeNames"])?;
        let (pool_id, username) = self.admin_user(r)?;
        let names = r.opt_str_list("UserAttributeNames")?.unwrap_or_default();
        self.delete_attributes(&pool_id, &username, &names)?;
        Ok(json!({}))
    }

    /// Takes attributes away; required and immutable ones stay.
    pub(super) fn delete_attributes(
        &self,
        pool_id: &str,
        username: &str,
        names: &[String],
    ) -> Result<()> {
        let schema = self
            .read()
            .pools
            .get(pool_id)
            .map(|p| p.config.schema().into_owned())
            .ok_or_else(|| no_pool(pool_id))?;
        for n in names {
            match schema.iter().find(|a| &a.name == n) {
                Some(a) if a.required || !a.mutable || n == "sub" => {
                    return Err(CognitoError::invalid_parameter(format!(
                        "Attributes did not conform to the schema: {n}: The attribute is required"
                    )));
                }
                Some(_) => {}
                None => {
                    return Err(CognitoError::invalid_parameter(format!(
                        "Attributes did not conform to the schema: {n}: Attribute does not exist in the schema.\n"
                    )));
                }
            }
        }
        self.update_user(pool_id, username, |u| {
            for n in names {
                u.attributes.remove(n);
            }
            Ok(())
        })?;
        Ok(())
    }
}
