//! Attributes: GetUser, UpdateUserAttributes, AdminUpdateUserAttributes.

use serde_json::{Value as Json, json};

use super::users::looks_like_email;
use super::{Req, no_pool};
use crate::error::{CognitoError, ErrorKind, Result};
use crate::pools::UserPools;

/// The client an access token was issued to (the token was verified by `token_user`).
fn token_client(r: &Req<'_>) -> Option<String> {
    let token = r.opt_str("AccessToken").ok()??;
    common::jwt::peek_claims(token)?["client_id"]
        .as_str()
        .map(str::to_string)
}

impl UserPools {
    pub(crate) fn get_user(&self, r: &Req<'_>) -> Result<Json> {
        r.require(&["AccessToken"])?;
        let (pool_id, username) = self.token_user(r)?;
        let client = token_client(r).and_then(|c| self.read().clients.get(&c).cloned());
        let state = self.read();
        let user = state
            .pools
            .get(&pool_id)
            .and_then(|p| p.users.get(&username))
            .ok_or_else(CognitoError::user_not_found)?;
        let mut attributes = user.attribute_list();
        if let (Some(c), Json::Array(list)) = (&client, &mut attributes) {
            list.retain(|a| a["Name"].as_str().is_some_and(|n| c.can_read(n)));
        }
        let mut out = json!({"Username": user.username, "UserAttributes": attributes});
        user.mfa_settings(&mut out);
        Ok(out)
    }

    /// Writes attributes; a changed email becomes unverified. The alias check and the write
    /// are one transaction, so two users cannot take one email at once.
    fn set_attributes(
        &self,
        pool_id: &str,
        username: &str,
        attrs: Vec<(String, String)>,
        admin: bool,
    ) -> Result<()> {
        self.transact(|state, tx| {
            let pool = state.pools.get(pool_id).ok_or_else(|| no_pool(pool_id))?;
            crate::schema::check_writes(&pool.config.schema(), &attrs, false, admin)?;
            let email_is_username = pool.config.email_is_username();
            if email_is_username
                && let Some((_, e)) = attrs.iter().find(|(k, _)| k == "email")
                && pool
                    .aliases
                    .get(&e.to_lowercase())
                    .is_some_and(|u| u != username)
            {
                return Err(CognitoError::new(
                    ErrorKind::AliasExists,
                    "An account with the given email already exists.",
                ));
            }
            let mut u = pool
                .users
                .get(username)
                .ok_or_else(CognitoError::user_not_found)?
                .clone();
            let verified_given = attrs.iter().any(|(k, _)| k == "email_verified");
            for (k, v) in attrs {
                if k == "email" && !verified_given && u.attributes.get("email") != Some(&v) {
                    if email_is_username && !looks_like_email(&v) {
                        return Err(CognitoError::invalid_parameter(
                            "Invalid email address format.",
                        ));
                    }
                    u.attributes.insert("email_verified".into(), "false".into());
                }
                // An empty value takes the attribute away.
                if v.is_empty() {
                    u.attributes.remove(&k);
                } else {
                    u.attributes.insert(k, v);
                }
            }
            u.modified = common::date::now_f64();
            tx.put_user(pool_id, u);
            Ok(())
        })
    }

    pub(crate) fn update_user_attributes(&self, r: &Req<'_>) -> Result<Json> {
        r.require(&["UserAttributes", "AccessToken"])?;
        let (pool_id, username) = self.token_user(r)?;
        let attrs = r.opt_attributes("UserAttributes")?.unwrap_or_default();
        if let Some(c) = token_client(r).and_then(|c| self.read().clients.get(&c).cloned()) {
            c.check_writable(&attrs)?;
        }
        self.set_attributes(&pool_id, &username, attrs, false)?;
        Ok(json!({"CodeDeliveryDetailsList": []}))
    }

    pub(crate) fn admin_update_user_attributes(&self, r: &Req<'_>) -> Result<Json> {
        r.require(&["UserPoolId", "Username", "UserAttributes"])?;
        let (pool_id, username) = self.admin_user(r)?;
        let attrs = r.opt_attributes("UserAttributes")?.unwrap_or_default();
        self.set_attributes(&pool_id, &username, attrs, true)?;
        Ok(json!({}))
    }

    pub(crate) fn add_custom_attributes(&self, r: &Req<'_>) -> Result<Json> {
        r.require(&["UserPoolId", "CustomAttributes"])?;
        let pool_id = r.checked("UserPoolId", super::Constraint::PoolId)?;
        let list =
            r.0.get("CustomAttributes")
                .and_then(Json::as_array)
                .cloned()
                .unwrap_or_default();
        self.transact(|state, tx| {
            let pool = state.pools.get(pool_id).ok_or_else(|| no_pool(pool_id))?;
            let mut config = pool.config.clone();
            let mut schema = config.schema().into_owned();
            crate::schema::add_custom(&mut schema, &list)?;
            config.schema = schema;
            config.modified = common::date::now_f64();
            tx.put_pool(config, std::sync::Arc::clone(&pool.keys));
            Ok(json!({}))
        })
    }
}

impl UserPools {
    /// DeleteUserAttributes.
    pub(crate) fn delete_user_attributes(&self, r: &Req<'_>) -> Result<Json> {
        r.require(&["UserAttributeNames", "AccessToken"])?;
        let (pool_id, username) = self.token_user(r)?;
        let names = r.opt_str_list("UserAttributeNames")?.unwrap_or_default();
        self.delete_attributes(&pool_id, &username, &names)?;
        Ok(json!({}))
    }
}
