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

    /// The stored username and attributes for a new user named `given`, checked against the
    /// pool's schema (`admin`: an administrator writes them, developer-only ones included).
    pub(super) fn new_identity(
        &self,
        pool_id: &str,
        given: &str,
        attrs: Vec<(String, String)>,
        admin: bool,
    ) -> Result<(String, BTreeMap<String, String>)> {
        let (email_is_username, schema) = {
            let state = self.read();
            let config = &state
                .pools
                .get(pool_id)
                .ok_or_else(|| no_pool(pool_id))?
                .config;
            (config.email_is_username(), config.schema().into_owned())
        };
        crate::schema::check_writes(&schema, &attrs, true, admin)?;
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
        crate::schema::check_required(&schema, &attributes)?;
        Ok((username, attributes))
    }

    /// Sends a message to `user` (into the outbox): `body` with `{####}` standing for `code`
    /// and `{username}` for the username, unless the pool's CustomMessage trigger (run with
    /// `source`) gives its own subject and text, whose placeholders are filled the same way.
    pub(super) fn send_message(&self, m: Outgoing<'_>) -> Result<()> {
        let pool = self
            .read()
            .pools
            .get(m.pool_id)
            .map(|p| p.config.clone())
            .ok_or_else(|| no_pool(m.pool_id))?;
        let (mut subject, mut body) = (m.subject.to_string(), m.body.to_string());
        let request = json!({
            "userAttributes": crate::triggers::user_attributes(&pool, m.user),
            "codeParameter": "{####}",
            "linkParameter": "{##Click Here##}",
            "usernameParameter": if m.temporary { json!("{username}") } else { Json::Null },
            "clientMetadata": m.client_metadata,
        });
        let call = crate::triggers::Call {
            pool: &pool,
            user_name: &m.user.username,
            client_id: m.client_id,
        };
        if let Some(r) = self.run_trigger(
            call,
            crate::triggers::Trigger::CustomMessage,
            m.source,
            request,
            json!({"smsMessage": null, "emailMessage": null, "emailSubject": null}),
        )? {
            let text = if m.to.1 == "SMS" {
                r["smsMessage"].as_str()
            } else {
                r["emailMessage"].as_str()
            };
            match text {
                // The code must be in it (and, for an invitation, the username too).
                Some(t) if t.contains("{####}") && (!m.temporary || t.contains("{username}")) => {
                    body = t.to_string();
                }
                Some(_) => tracing::warn!(
                    "{}: the CustomMessage trigger's message lacks {{####}}{}; the default message was sent",
                    m.source,
                    if m.temporary { " or {username}" } else { "" }
                ),
                None => {}
            }
            if let Some(s) = r["emailSubject"].as_str() {
                subject = s.to_string();
            }
        }
        let shown_name = m.shown_username.unwrap_or(&m.user.username);
        let fill = |t: &str| {
            t.replace("{####}", m.code)
                .replace("{username}", shown_name)
        };
        self.outbox.send(&Message {
            to: m.to.0.clone(),
            subject: fill(&subject),
            body: fill(&body),
            temporary_password: m.temporary.then(|| m.code.to_string()),
            code: (!m.temporary).then(|| m.code.to_string()),
            pool_id: m.pool_id.into(),
            username: m.user.username.clone(),
        });
        Ok(())
    }
}

/// A message to send: see [`UserPools::send_message`].
#[derive(Debug)]
pub(super) struct Outgoing<'a> {
    /// The pool.
    pub pool_id: &'a str,
    /// The user it is about.
    pub user: &'a User,
    /// Where it goes.
    pub to: &'a (String, &'static str, &'static str),
    /// The default subject.
    pub subject: &'a str,
    /// The default text, with `{####}` and `{username}`.
    pub body: &'a str,
    /// The code or temporary password.
    pub code: &'a str,
    /// An invitation with a temporary password (`CustomMessage_AdminCreateUser`).
    pub temporary: bool,
    /// The username as the message shows it (the name the administrator gave).
    pub shown_username: Option<&'a str>,
    /// The CustomMessage trigger's `triggerSource`.
    pub source: &'a str,
    /// The client of the call, if any.
    pub client_id: Option<&'a str>,
    /// The call's `ClientMetadata`.
    pub client_metadata: Json,
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
