//! Attributes: GetUser, UpdateUserAttributes, AdminUpdateUserAttributes.

use serde_json::{Value as Json, json};

use super::users::looks_like_email;
use super::{Req, no_pool};
use crate::error::{CognitoError, ErrorKind, Result};
use crate::pools::UserPools;

/// Attributes every pool has (custom ones are `custom:*`).
const STANDARD_ATTRIBUTES: &[&str] = &[
    "address",
    "birthdate",
    "email",
    "email_verified",
    "family_name",
    "gender",
    "given_name",
    "locale",
    "middle_name",
    "name",
    "nickname",
    "phone_number",
    "phone_number_verified",
    "picture",
    "preferred_username",
    "profile",
    "updated_at",
    "website",
    "zoneinfo",
];

/// Custom attributes a pool may have (without a schema, a user may have at most these).
const MAX_CUSTOM_ATTRIBUTES: usize = 50;

/// Refuses `sub`, names that are neither standard nor `custom:*`, and more custom attributes
/// than a pool can have.
pub(super) fn check_attribute_names(attrs: &[(String, String)]) -> Result<()> {
    let custom = attrs
        .iter()
        .filter(|(n, _)| n.starts_with("custom:"))
        .count();
    if custom > MAX_CUSTOM_ATTRIBUTES {
        return Err(CognitoError::invalid_parameter(format!(
            "Attributes did not conform to the schema: a user pool has at most {MAX_CUSTOM_ATTRIBUTES} custom attributes, and {custom} were given"
        )));
    }
    for (name, _) in attrs {
        if name == "sub" {
            return Err(CognitoError::invalid_parameter(
                "Cannot modify the non-mutable attribute sub",
            ));
        }
        if !name.starts_with("custom:") && !STANDARD_ATTRIBUTES.contains(&name.as_str()) {
            return Err(CognitoError::invalid_parameter(format!(
                "Attributes did not conform to the schema: {name}: Attribute does not exist in the schema.\n"
            )));
        }
    }
    Ok(())
}

impl UserPools {
    pub(crate) fn get_user(&self, r: &Req<'_>) -> Result<Json> {
        r.require(&["AccessToken"])?;
        let (pool_id, username) = self.token_user(r)?;
        let state = self.read();
        let user = state
            .pools
            .get(&pool_id)
            .and_then(|p| p.users.get(&username))
            .ok_or_else(CognitoError::user_not_found)?;
        Ok(json!({"Username": user.username, "UserAttributes": user.attribute_list()}))
    }

    /// Writes attributes; a changed email becomes unverified. The alias check and the write
    /// are one transaction, so two users cannot take one email at once.
    fn set_attributes(
        &self,
        pool_id: &str,
        username: &str,
        attrs: Vec<(String, String)>,
    ) -> Result<()> {
        check_attribute_names(&attrs)?;
        self.transact(|state, tx| {
            let pool = state.pools.get(pool_id).ok_or_else(|| no_pool(pool_id))?;
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
                u.attributes.insert(k, v);
            }
            let custom = u.attributes.keys().filter(|k| k.starts_with("custom:")).count();
            if custom > MAX_CUSTOM_ATTRIBUTES {
                return Err(CognitoError::invalid_parameter(format!(
                    "Attributes did not conform to the schema: a user pool has at most {MAX_CUSTOM_ATTRIBUTES} custom attributes"
                )));
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
        self.set_attributes(&pool_id, &username, attrs)?;
        Ok(json!({"CodeDeliveryDetailsList": []}))
    }

    pub(crate) fn admin_update_user_attributes(&self, r: &Req<'_>) -> Result<Json> {
        r.require(&["UserPoolId", "Username", "UserAttributes"])?;
        let (pool_id, username) = self.admin_user(r)?;
        let attrs = r.opt_attributes("UserAttributes")?.unwrap_or_default();
        self.set_attributes(&pool_id, &username, attrs)?;
        Ok(json!({}))
    }
}
