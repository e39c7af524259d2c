//! Passwords: ForgotPassword and ConfirmForgotPassword, ChangePassword, AdminSetUserPassword,
//! and how a password is stored (argon2id hash and SRP verifier).

use serde_json::{Value as Json, json};

use super::signup::client_metadata;
use super::users::{Outgoing, RESET_CODE_SECS, delivery, destination};
use super::{Constraint, Req, no_pool};
use crate::error::{CognitoError, Result};
use crate::model::{StoredPassword, UserStatus};
use crate::pools::UserPools;
use crate::{password, srp};
use common::date::now_secs;

impl UserPools {
    /// A password ready to store: argon2id hash and SRP verifier (slow: call it outside any
    /// transaction).
    pub(crate) fn stored_password(
        pool_id: &str,
        username: &str,
        password: &str,
        temporary: bool,
    ) -> StoredPassword {
        let v = srp::make_verifier(pool_id, username, password);
        StoredPassword {
            hash: password::hash(password),
            srp_salt: v.salt_hex,
            srp_verifier: v.verifier_hex,
            temporary,
            set_at: now_secs(),
        }
    }

    pub(crate) fn forgot_password(&self, r: &Req<'_>) -> Result<Json> {
        r.require(&["ClientId", "Username"])?;
        let meta = client_metadata(r)?;
        let (client, username) = match self.client_user(r) {
            Ok(found) => found,
            Err(e) => {
                // A user the pool does not know may be one its UserMigration trigger brings in.
                let client = self.client_for(r.checked("ClientId", Constraint::ClientId)?, None)?;
                let name = r.checked("Username", Constraint::Username)?;
                match self.migrate_user(&client, name, None, &meta)? {
                    Some(u) => (client, u),
                    None => return Err(e),
                }
            }
        };
        let (stored_code, code) = self.new_code(RESET_CODE_SECS);
        let user = self.update_user(&client.pool_id, &username, |u| {
            if !u.enabled {
                return Err(CognitoError::not_authorized("User is disabled."));
            }
            if u.status == UserStatus::ForceChangePassword {
                return Err(CognitoError::not_authorized(
                    "User password cannot be reset in the current state.",
                ));
            }
            let verified = ["email", "phone_number"].iter().any(|a| {
                u.attributes.get(&format!("{a}_verified")).map(String::as_str) == Some("true")
            });
            if !verified {
                return Err(CognitoError::invalid_parameter(
                    "Cannot reset password for the user as there is no registered/verified email or phone_number",
                ));
            }
            u.reset_code = Some(stored_code);
            Ok(())
        })?;
        let d = destination(&user, false)
            .ok_or_else(|| CognitoError::invalid_parameter("no destination"))?;
        self.send_message(Outgoing {
            pool_id: &client.pool_id,
            user: &user,
            to: &d,
            subject: "Your password reset code",
            body: "Your password reset code is {####}",
            code: &code,
            temporary: false,
            shown_username: None,
            source: "CustomMessage_ForgotPassword",
            client_id: Some(&client.id),
            client_metadata: meta,
        })?;
        Ok(json!({"CodeDeliveryDetails": delivery(&d)}))
    }

    pub(crate) fn confirm_forgot_password(&self, r: &Req<'_>) -> Result<Json> {
        r.require(&["ClientId", "Username", "ConfirmationCode", "Password"])?;
        let (client, username) = self.client_user(r)?;
        let given = r.checked("ConfirmationCode", Constraint::Code)?.to_string();
        let password = r.str("Password")?;
        // Check the code first (cheap), then the policy, then hash (slow), then store: the
        // write checks the code again, so two uses of one code cannot both succeed.
        {
            let state = self.read();
            let pool = state
                .pools
                .get(&client.pool_id)
                .ok_or_else(|| no_pool(&client.pool_id))?;
            let user = pool
                .users
                .get(&username)
                .ok_or_else(CognitoError::user_not_found)?;
            self.check_code(user.reset_code.as_ref(), &given)?;
            pool.config.policy.check(password)?;
        }
        let stored = Self::stored_password(&client.pool_id, &username, password, false);
        let user = self.update_user(&client.pool_id, &username, |u| {
            self.check_code(u.reset_code.as_ref(), &given)?;
            u.reset_code = None;
            u.password = Some(stored);
            u.failed_attempts = 0;
            u.locked_until = 0;
            if u.status == UserStatus::ResetRequired {
                u.status = UserStatus::Confirmed;
            }
            Ok(())
        })?;
        self.post_confirmation(
            &client.pool_id,
            &user,
            Some(&client.id),
            "PostConfirmation_ConfirmForgotPassword",
            client_metadata(r)?,
        )?;
        Ok(json!({}))
    }

    pub(crate) fn change_password(&self, r: &Req<'_>) -> Result<Json> {
        r.require(&["ProposedPassword", "AccessToken"])?;
        let (pool_id, username) = self.token_user(r)?;
        let proposed = r.str("ProposedPassword")?;
        let previous = r.opt_str("PreviousPassword")?.unwrap_or_default();
        let (hash, policy) = {
            let state = self.read();
            let pool = state.pools.get(&pool_id).ok_or_else(|| no_pool(&pool_id))?;
            let user = pool
                .users
                .get(&username)
                .ok_or_else(CognitoError::user_not_found)?;
            (
                user.password.as_ref().map(|p| p.hash.clone()),
                pool.config.policy.clone(),
            )
        };
        if !hash
            .as_ref()
            .is_some_and(|h| crate::password::verify(previous, h))
        {
            return Err(CognitoError::incorrect_credentials());
        }
        policy.check(proposed)?;
        let stored = Self::stored_password(&pool_id, &username, proposed, false);
        self.update_user(&pool_id, &username, |u| {
            // The previous password was checked against this hash: if another change won in
            // the meantime, the previous password is no longer the user's.
            if u.password.as_ref().map(|p| &p.hash) != hash.as_ref() {
                return Err(CognitoError::incorrect_credentials());
            }
            u.password = Some(stored);
            Ok(())
        })?;
        Ok(json!({}))
    }

    pub(crate) fn admin_set_user_password(&self, r: &Req<'_>) -> Result<Json> {
        r.require(&["UserPoolId", "Username", "Password"])?;
        let (pool_id, username) = self.admin_user(r)?;
        let password = r.str("Password")?;
        let permanent = r.opt_bool("Permanent")?.unwrap_or(false);
        let policy = self
            .read()
            .pools
            .get(&pool_id)
            .map(|p| p.config.policy.clone())
            .ok_or_else(|| no_pool(&pool_id))?;
        policy.check(password)?;
        let stored = Self::stored_password(&pool_id, &username, password, !permanent);
        self.update_user(&pool_id, &username, |u| {
            u.password = Some(stored);
            u.failed_attempts = 0;
            u.locked_until = 0;
            u.status = if permanent {
                UserStatus::Confirmed
            } else {
                UserStatus::ForceChangePassword
            };
            Ok(())
        })?;
        Ok(json!({}))
    }
}
