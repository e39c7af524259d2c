//! What the user operations share: finding the user a call names (by admin pool and name, by
//! client and name), changing one user in a transaction, creating one, codes and where
//! messages go.

use std::collections::BTreeMap;

use serde_json::{Value as Json, json};

use super::{Constraint, Req, no_pool};
use crate::error::{CognitoError, ErrorKind, Result};
use crate::model::{ClientConfig, ExistenceErrors, User};
use crate::outbox::Message;
use crate::pools::UserPools;
use common::date::now_f64;
use common::id::uuid;

/// How long a sign-up confirmation code lives.
pub(super) const SIGN_UP_CODE_SECS: u64 = 24 * 3600;
/// How long a password reset code lives.
pub(super) const RESET_CODE_SECS: u64 = 3600;

/// `t***@e***`, as Cognito shows where a code went.
pub(super) fn mask(address: &str) -> String {
    match address.split_once('@') {
        Some((local, domain)) => {
            let l = local.chars().next().unwrap_or('*');
            let d = domain.chars().next().unwrap_or('*');
            format!("{l}***@{d}***")
        }
        None => {
            let tail: String = address
                .chars()
                .rev()
                .take(4)
                .collect::<Vec<_>>()
                .into_iter()
                .rev()
                .collect();
            format!("+*******{tail}")
        }
    }
}

/// Whether `s` has the shape of an email address.
pub(super) fn looks_like_email(s: &str) -> bool {
    s.split_once('@').is_some_and(|(l, d)| {
        !l.is_empty() && d.contains('.') && !d.starts_with('.') && !d.ends_with('.')
    })
}

/// Where a message for `user` goes: (address, medium, attribute name).
pub(super) fn destination(
    user: &User,
    prefer_sms: bool,
) -> Option<(String, &'static str, &'static str)> {
    let email = user
        .attributes
        .get("email")
        .map(|e| (e.clone(), "EMAIL", "email"));
    let phone = user
        .attributes
        .get("phone_number")
        .map(|p| (p.clone(), "SMS", "phone_number"));
    if prefer_sms {
        phone.or(email)
    } else {
        email.or(phone)
    }
}

/// `CodeDeliveryDetails`.
pub(super) fn delivery(dest: &(String, &'static str, &'static str)) -> Json {
    json!({"Destination": mask(&dest.0), "DeliveryMedium": dest.1, "AttributeName": dest.2})
}

impl UserPools {
    /// Applies `f` to a copy of a user and stores it, in one transaction: `f` sees the user as
    /// it is at the moment of the write, so what it checks still holds when it is written.
    pub(super) fn update_user(
        &self,
        pool_id: &str,
        username: &str,
        f: impl FnOnce(&mut User) -> Result<()>,
    ) -> Result<User> {
        self.transact(|state, tx| {
            let pool = state.pools.get(pool_id).ok_or_else(|| no_pool(pool_id))?;
            let mut changed = pool
                .users
                .get(username)
                .ok_or_else(CognitoError::user_not_found)?
                .clone();
            f(&mut changed)?;
            changed.modified = now_f64();
            tx.put_user(pool_id, changed.clone());
            Ok(changed)
        })
    }

    /// (pool id, stored username) of the user an Admin call names.
    pub(super) fn admin_user(&self, r: &Req<'_>) -> Result<(String, String)> {
        r.require(&["UserPoolId", "Username"])?;
        let pool_id = r.checked("UserPoolId", Constraint::PoolId)?;
        let name = r.checked("Username", Constraint::Username)?;
        let state = self.read();
        let pool = state.pools.get(pool_id).ok_or_else(|| no_pool(pool_id))?;
        let username = pool
            .resolve(name)
            .ok_or_else(CognitoError::user_not_found)?;
        Ok((pool_id.to_string(), username))
    }

    /// (client, stored username) for the client-side calls that name a user.
    pub(super) fn client_user(&self, r: &Req<'_>) -> Result<(ClientConfig, String)> {
        let client = self.client_for(r.checked("ClientId", Constraint::ClientId)?, None)?;
        let name = r.checked("Username", Constraint::Username)?;
        self.check_secret_hash_field(&client, r, name)?;
        let state = self.read();
        let pool = state
            .pools
            .get(&client.pool_id)
            .ok_or_else(|| no_pool(&client.pool_id))?;
        match pool.resolve(name) {
            Some(u) => Ok((client, u)),
            None if client.prevent_user_existence_errors == ExistenceErrors::Enabled => {
                Err(CognitoError::code_mismatch())
            }
            None => Err(CognitoError::user_not_found()),
        }
    }

    /// The request's `SecretHash` checked against the client's secret.
    pub(super) fn check_secret_hash_field(
        &self,
        client: &ClientConfig,
        r: &Req<'_>,
        username: &str,
    ) -> Result<()> {
        Self::verify_secret_hash(client, r.opt_str("SecretHash")?, username)
    }

    /// Creates a user, unless the name or email is taken (checked in the same transaction, so
    /// concurrent sign-ups of one name have one winner).
    pub(super) fn insert_new_user(
        &self,
        pool_id: &str,
        user: User,
        email_taken: &str,
        name_taken: &str,
    ) -> Result<()> {
        self.transact(|state, tx| {
            let pool = state.pools.get(pool_id).ok_or_else(|| no_pool(pool_id))?;
            let email = user.attributes.get("email").map(|e| e.to_lowercase());
            if pool.config.email_is_username()
                && let Some(e) = &email
                && pool.aliases.contains_key(e)
            {
                return Err(CognitoError::new(ErrorKind::UsernameExists, email_taken));
            }
            if pool.find(&user.username).is_some() {
                return Err(CognitoError::new(ErrorKind::UsernameExists, name_taken));
            }
            tx.put_user(pool_id, user);
            Ok(())
        })
    }

    /// The stored username and attributes for a new user named `given`.
    pub(super) fn new_identity(
        &self,
        pool_id: &str,
        given: &str,
        attrs: Vec<(String, String)>,
    ) -> Result<(String, BTreeMap<String, String>)> {
        super::attributes::check_attribute_names(&attrs)?;
        let email_is_username = {
            let state = self.read();
            state
                .pools
                .get(pool_id)
                .ok_or_else(|| no_pool(pool_id))?
                .config
                .email_is_username()
        };
        let sub = uuid();
        let mut attributes: BTreeMap<String, String> = attrs.into_iter().collect();
        attributes.insert("sub".into(), sub.clone());
        let username = if email_is_username {
            if !looks_like_email(given) {
                return Err(CognitoError::invalid_parameter(
                    "Username should be an email.",
                ));
            }
            attributes.insert("email".into(), given.to_string());
            sub
        } else {
            given.to_string()
        };
        Ok((username, attributes))
    }

    /// Puts a code in the outbox.
    pub(super) fn send_code(
        &self,
        pool_id: &str,
        username: &str,
        d: &(String, &str, &str),
        subject: &str,
        code: &str,
    ) {
        self.outbox.send(&Message {
            to: d.0.clone(),
            subject: subject.into(),
            body: format!("Your verification code is {code}"),
            temporary_password: None,
            code: Some(code.into()),
            pool_id: pool_id.into(),
            username: username.into(),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn destinations_are_masked() {
        assert_eq!(mask("test@example.com"), "t***@e***");
        assert_eq!(mask("+15555550123"), "+*******0123");
    }
}
