//! Users: sign-up and confirmation codes, forgotten and changed passwords, attributes,
//! sign-out and revocation, and the Admin user calls.

use std::collections::BTreeMap;

use serde_json::{Value as Json, json};

use super::{Constraint, Req, no_pool, validation_error};
use crate::error::{CognitoError, Result};
use crate::model::{ClientConfig, Code, User};
use crate::outbox::Message;
use crate::pools::{UserPools, save_user, user_key};
use crate::store::{self, Change};
use crate::token::{self, TokenError};
use common::date::{now_f64, now_secs};
use common::encoding::{b64url, b64url_decode};
use common::id::{random_string, uuid};

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

const SIGN_UP_CODE_SECS: u64 = 24 * 3600;
const RESET_CODE_SECS: u64 = 3600;

fn new_code(ttl: u64) -> Code {
    Code {
        code: random_string(b"0123456789", 6),
        expires: now_secs() + ttl,
    }
}

/// `t***@e***`, as Cognito shows where a code went.
fn mask(address: &str) -> String {
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

fn check_attribute_names(attrs: &[(String, String)]) -> Result<()> {
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

fn looks_like_email(s: &str) -> bool {
    s.split_once('@').is_some_and(|(l, d)| {
        !l.is_empty() && d.contains('.') && !d.starts_with('.') && !d.ends_with('.')
    })
}

/// Where a message for `user` goes: (address, medium, attribute name).
fn destination(user: &User, prefer_sms: bool) -> Option<(String, &'static str, &'static str)> {
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

fn delivery(dest: &(String, &'static str, &'static str)) -> Json {
    json!({"Destination": mask(&dest.0), "DeliveryMedium": dest.1, "AttributeName": dest.2})
}

impl UserPools {
    /// Applies `f` to a user under the write lock, then stores and re-indexes it.
    fn update_user(
        &self,
        pool_id: &str,
        username: &str,
        f: impl FnOnce(&mut User) -> Result<()>,
    ) -> Result<User> {
        let mut state = self.write();
        let pool = state
            .pools
            .get_mut(pool_id)
            .ok_or_else(|| no_pool(pool_id))?;
        let user = pool
            .users
            .get_mut(username)
            .ok_or_else(CognitoError::user_not_found)?;
        let mut changed = user.clone();
        f(&mut changed)?;
        changed.modified = now_f64();
        self.persist(vec![save_user(pool_id, &changed)])?;
        *user = changed.clone();
        pool.reindex(username);
        Ok(changed)
    }

    /// (pool id, stored username) of the user an Admin call names.
    fn admin_user(&self, r: &Req<'_>) -> Result<(String, String)> {
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
    fn client_user(&self, r: &Req<'_>) -> Result<(ClientConfig, String)> {
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
            None if client.prevent_user_existence_errors == "ENABLED" => {
                Err(CognitoError::code_mismatch())
            }
            None => Err(CognitoError::user_not_found()),
        }
    }

    fn check_secret_hash_field(
        &self,
        client: &ClientConfig,
        r: &Req<'_>,
        username: &str,
    ) -> Result<()> {
        Self::verify_secret_hash(client, r.opt_str("SecretHash")?, username)
    }

    /// The user an access token belongs to: (pool id, stored username).
    fn token_user(&self, r: &Req<'_>) -> Result<(String, String)> {
        let token = r.str("AccessToken")?;
        let invalid = || CognitoError::not_authorized("Invalid Access Token");
        // Find the pool from the unverified issuer, then verify with that pool's keys.
        let claims = common::jwt::peek_claims(token).ok_or_else(invalid)?;
        let iss = claims["iss"].as_str().ok_or_else(invalid)?;
        let (pool_id, keys) = self.keys_for_issuer(iss).ok_or_else(invalid)?;
        let claims = match token::verify(token, &keys, iss, "access") {
            Ok(c) => c,
            Err(TokenError::Expired) => {
                return Err(CognitoError::not_authorized("Access Token has expired"));
            }
            Err(TokenError::Invalid) => return Err(invalid()),
        };
        let state = self.read();
        if let Some(jti) = claims["origin_jti"].as_str()
            && state.refresh.get(jti).is_some_and(|r| r.revoked)
        {
            return Err(CognitoError::not_authorized(
                "Access Token has been revoked",
            ));
        }
        let username = claims["username"].as_str().ok_or_else(invalid)?;
        let user = state
            .pools
            .get(&pool_id)
            .and_then(|p| p.users.get(username))
            .ok_or_else(CognitoError::user_not_found)?;
        if !user.enabled {
            return Err(CognitoError::not_authorized("User is disabled."));
        }
        Ok((pool_id, username.to_string()))
    }

    /// Revokes every refresh token (and so every access token) of a user.
    fn sign_out_everywhere(&self, pool_id: &str, username: &str) -> Result<()> {
        let mut state = self.write();
        let mut changes = Vec::new();
        for r in state.refresh.values_mut() {
            if r.pool_id == pool_id && r.username == username && !r.revoked {
                r.revoked = true;
                changes.push(store::put(store::REFRESH, r.origin_jti.clone(), &*r));
            }
        }
        self.persist(changes)
    }

    /// Creates a user under the write lock; fails if the name or email is taken.
    fn insert_new_user(
        &self,
        pool_id: &str,
        user: User,
        email_taken: &str,
        name_taken: &str,
    ) -> Result<()> {
        let mut state = self.write();
        let pool = state
            .pools
            .get_mut(pool_id)
            .ok_or_else(|| no_pool(pool_id))?;
        let email = user.attributes.get("email").map(|e| e.to_lowercase());
        if pool.config.email_is_username()
            && let Some(e) = &email
            && pool.aliases.contains_key(e)
        {
            return Err(CognitoError::new("UsernameExistsException", email_taken));
        }
        if pool.find(&user.username).is_some() {
            return Err(CognitoError::new("UsernameExistsException", name_taken));
        }
        self.persist(vec![save_user(pool_id, &user)])?;
        let name = user.username.clone();
        pool.users.insert(name.clone(), user);
        pool.reindex(&name);
        Ok(())
    }

    /// The stored username and attributes for a new user named `given`.
    fn new_identity(
        &self,
        pool_id: &str,
        given: &str,
        attrs: Vec<(String, String)>,
    ) -> Result<(String, BTreeMap<String, String>)> {
        check_attribute_names(&attrs)?;
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
        let code = new_code(SIGN_UP_CODE_SECS);
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
            status: "UNCONFIRMED".into(),
            created: now,
            modified: now,
            confirm_code: Some(code.clone()),
            reset_code: None,
            failed_attempts: 0,
            locked_until: 0,
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
                &code.code,
            );
            out["CodeDeliveryDetails"] = delivery(d);
        }
        Ok(out)
    }

    fn send_code(
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
            if u.status != "UNCONFIRMED" {
                return Err(CognitoError::not_authorized(format!(
                    "User cannot be confirmed. Current status is {}",
                    u.status
                )));
            }
            check_code(u.confirm_code.as_ref(), &given)?;
            u.confirm_code = None;
            u.status = "CONFIRMED".into();
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
        let code = new_code(SIGN_UP_CODE_SECS);
        let user = self.update_user(&client.pool_id, &username, |u| {
            if u.status != "UNCONFIRMED" {
                return Err(CognitoError::invalid_parameter(
                    "User is already confirmed.",
                ));
            }
            u.confirm_code = Some(code.clone());
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
            &code.code,
        );
        Ok(json!({"CodeDeliveryDetails": delivery(&d)}))
    }

    pub(crate) fn forgot_password(&self, r: &Req<'_>) -> Result<Json> {
        r.require(&["ClientId", "Username"])?;
        let (client, username) = self.client_user(r)?;
        let code = new_code(RESET_CODE_SECS);
        let user = self.update_user(&client.pool_id, &username, |u| {
            if !u.enabled {
                return Err(CognitoError::not_authorized("User is disabled."));
            }
            if u.status == "FORCE_CHANGE_PASSWORD" {
                return Err(CognitoError::not_authorized("User password cannot be reset in the current state."));
            }
            let verified = ["email", "phone_number"].iter().any(|a| {
                u.attributes.get(&format!("{a}_verified")).map(String::as_str) == Some("true")
            });
            if !verified {
                return Err(CognitoError::invalid_parameter(
                    "Cannot reset password for the user as there is no registered/verified email or phone_number",
                ));
            }
            u.reset_code = Some(code.clone());
            Ok(())
        })?;
        let d = destination(&user, false)
            .ok_or_else(|| CognitoError::invalid_parameter("no destination"))?;
        self.send_code(
            &client.pool_id,
            &username,
            &d,
            "Your password reset code",
            &code.code,
        );
        Ok(json!({"CodeDeliveryDetails": delivery(&d)}))
    }

    pub(crate) fn confirm_forgot_password(&self, r: &Req<'_>) -> Result<Json> {
        r.require(&["ClientId", "Username", "ConfirmationCode", "Password"])?;
        let (client, username) = self.client_user(r)?;
        let given = r.checked("ConfirmationCode", Constraint::Code)?.to_string();
        let password = r.str("Password")?;
        // Check the code first (cheap), then the policy, then hash (slow), then store.
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
            check_code(user.reset_code.as_ref(), &given)?;
            pool.config.policy.check(password)?;
        }
        let stored = Self::stored_password(&client.pool_id, &username, password, false);
        self.update_user(&client.pool_id, &username, |u| {
            check_code(u.reset_code.as_ref(), &given)?;
            u.reset_code = None;
            u.password = Some(stored);
            u.failed_attempts = 0;
            u.locked_until = 0;
            if u.status == "RESET_REQUIRED" {
                u.status = "CONFIRMED".into();
            }
            Ok(())
        })?;
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
        if !hash.is_some_and(|h| crate::password::verify(previous, &h)) {
            return Err(CognitoError::incorrect_credentials());
        }
        policy.check(proposed)?;
        let stored = Self::stored_password(&pool_id, &username, proposed, false);
        self.update_user(&pool_id, &username, |u| {
            u.password = Some(stored);
            Ok(())
        })?;
        Ok(json!({}))
    }

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

    fn set_attributes(
        &self,
        pool_id: &str,
        username: &str,
        attrs: Vec<(String, String)>,
    ) -> Result<()> {
        check_attribute_names(&attrs)?;
        let email_is_username = {
            let state = self.read();
            let pool = state.pools.get(pool_id).ok_or_else(|| no_pool(pool_id))?;
            if pool.config.email_is_username()
                && let Some((_, e)) = attrs.iter().find(|(k, _)| k == "email")
                && pool
                    .aliases
                    .get(&e.to_lowercase())
                    .is_some_and(|u| u != username)
            {
                return Err(CognitoError::new(
                    "AliasExistsException",
                    "An account with the given email already exists.",
                ));
            }
            pool.config.email_is_username()
        };
        self.update_user(pool_id, username, |u| {
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
            Ok(())
        })?;
        Ok(())
    }

    pub(crate) fn update_user_attributes(&self, r: &Req<'_>) -> Result<Json> {
        r.require(&["UserAttributes", "AccessToken"])?;
        let (pool_id, username) = self.token_user(r)?;
        let attrs = r.opt_attributes("UserAttributes")?.unwrap_or_default();
        self.set_attributes(&pool_id, &username, attrs)?;
        Ok(json!({"CodeDeliveryDetailsList": []}))
    }

    pub(crate) fn global_sign_out(&self, r: &Req<'_>) -> Result<Json> {
        r.require(&["AccessToken"])?;
        let (pool_id, username) = self.token_user(r)?;
        self.sign_out_everywhere(&pool_id, &username)?;
        Ok(json!({}))
    }

    pub(crate) fn revoke_token(&self, r: &Req<'_>) -> Result<Json> {
        r.require(&["Token", "ClientId"])?;
        let token = r.str("Token")?;
        let client = self.client_for(r.checked("ClientId", Constraint::ClientId)?, None)?;
        if token.split('.').count() == 3 {
            return Err(CognitoError::new(
                "UnsupportedTokenTypeException",
                "The token type is not supported.",
            ));
        }
        let record = self
            .refresh_record(token)
            .filter(|rec| rec.client_id == client.id)
            .ok_or_else(|| CognitoError::new("UnauthorizedException", "Invalid token"))?;
        let mut state = self.write();
        if let Some(rec) = state.refresh.get_mut(&record.origin_jti) {
            rec.revoked = true;
            let change = store::put(store::REFRESH, rec.origin_jti.clone(), &*rec);
            self.persist(vec![change])?;
        }
        Ok(json!({}))
    }

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
                if u.status != "FORCE_CHANGE_PASSWORD" {
                    return Err(CognitoError::new(
                        "UnsupportedUserStateException",
                        "Resend not possible. User status is not FORCE_CHANGE_PASSWORD",
                    ));
                }
                u.password = Some(stored);
                Ok(())
            })?
        } else {
            let attrs = r.opt_attributes("UserAttributes")?.unwrap_or_default();
            let (username, mut attributes) = self.new_identity(pool_id, given, attrs)?;
            for attr in ["email", "phone_number"] {
                let key = format!("{attr}_verified");
                if auto_verified.iter().any(|a| a == attr)
                    && attributes.contains_key(attr)
                    && !attributes.contains_key(&key)
                {
                    attributes.insert(key, "true".into());
                }
            }
            let now = now_f64();
            let user = User {
                password: Some(Self::stored_password(pool_id, &username, &temporary, true)),
                username,
                attributes,
                enabled: true,
                status: "FORCE_CHANGE_PASSWORD".into(),
                created: now,
                modified: now,
                confirm_code: None,
                reset_code: None,
                failed_attempts: 0,
                locked_until: 0,
            };
            self.insert_new_user(
                pool_id,
                user.clone(),
                "An account with the given email already exists.",
                "User account already exists",
            )?;
            user
        };
        if action != Some("SUPPRESS") {
            let to = destination(&user, prefer_sms).map_or_else(|| given.to_string(), |d| d.0);
            self.outbox.send(&Message {
                to,
                subject: "Your temporary password".into(),
                body: format!("Your username is {given} and temporary password is {temporary}."),
                temporary_password: Some(temporary),
                code: None,
                pool_id: pool_id.into(),
                username: user.username.clone(),
            });
        }
        Ok(json!({"User": user.render()}))
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
                "CONFIRMED"
            } else {
                "FORCE_CHANGE_PASSWORD"
            }
            .into();
            Ok(())
        })?;
        Ok(json!({}))
    }

    pub(crate) fn admin_get_user(&self, r: &Req<'_>) -> Result<Json> {
        let (pool_id, username) = self.admin_user(r)?;
        let state = self.read();
        let u = state
            .pools
            .get(&pool_id)
            .and_then(|p| p.users.get(&username))
            .ok_or_else(CognitoError::user_not_found)?;
        Ok(json!({
            "Username": u.username,
            "UserAttributes": u.attribute_list(),
            "UserCreateDate": u.created,
            "UserLastModifiedDate": u.modified,
            "Enabled": u.enabled,
            "UserStatus": u.status,
        }))
    }

    pub(crate) fn admin_delete_user(&self, r: &Req<'_>) -> Result<Json> {
        let (pool_id, username) = self.admin_user(r)?;
        let mut state = self.write();
        let mut changes = vec![Change::Delete(store::USERS, user_key(&pool_id, &username))];
        let gone: Vec<String> = state
            .refresh
            .values()
            .filter(|rec| rec.pool_id == pool_id && rec.username == username)
            .map(|rec| rec.origin_jti.clone())
            .collect();
        changes.extend(
            gone.iter()
                .map(|j| Change::Delete(store::REFRESH, j.clone())),
        );
        self.persist(changes)?;
        for j in &gone {
            state.refresh.remove(j);
        }
        if let Some(pool) = state.pools.get_mut(&pool_id) {
            pool.users.remove(&username);
            pool.reindex(&username);
        }
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

    pub(crate) fn admin_update_user_attributes(&self, r: &Req<'_>) -> Result<Json> {
        r.require(&["UserPoolId", "Username", "UserAttributes"])?;
        let (pool_id, username) = self.admin_user(r)?;
        let attrs = r.opt_attributes("UserAttributes")?.unwrap_or_default();
        self.set_attributes(&pool_id, &username, attrs)?;
        Ok(json!({}))
    }

    pub(crate) fn admin_user_global_sign_out(&self, r: &Req<'_>) -> Result<Json> {
        let (pool_id, username) = self.admin_user(r)?;
        self.sign_out_everywhere(&pool_id, &username)?;
        Ok(json!({}))
    }

    pub(crate) fn list_users(&self, r: &Req<'_>) -> Result<Json> {
        r.require(&["UserPoolId"])?;
        let pool_id = r.checked("UserPoolId", Constraint::PoolId)?;
        let limit = r.opt_int("Limit")?.unwrap_or(60);
        if !(0..=60).contains(&limit) {
            return Err(validation_error(&[format!(
                "Value '{limit}' at 'limit' failed to satisfy constraint: Member must have value less than or equal to 60"
            )]));
        }
        let filter = match r.opt_str("Filter")? {
            Some(f) if !f.trim().is_empty() => Some(parse_filter(f)?),
            _ => None,
        };
        let wanted = r.opt_str_list("AttributesToGet")?;
        let after = match r.opt_str("PaginationToken")? {
            Some(t) => Some(
                b64url_decode(t)
                    .and_then(|b| String::from_utf8(b).ok())
                    .ok_or_else(|| CognitoError::invalid_parameter("Invalid pagination token"))?,
            ),
            None => None,
        };
        let state = self.read();
        let pool = state.pools.get(pool_id).ok_or_else(|| no_pool(pool_id))?;
        let mut names: Vec<&String> = pool.users.keys().collect();
        names.sort();
        let mut out = Vec::new();
        let mut next = None;
        for name in names {
            if after.as_ref().is_some_and(|a| name <= a) {
                continue;
            }
            let user = &pool.users[name];
            if filter.as_ref().is_some_and(|f| !f.matches(user)) {
                continue;
            }
            if out.len() as i64 == limit {
                next = out
                    .last()
                    .map(|(n, _): &(String, Json)| b64url(n.as_bytes()));
                break;
            }
            let mut rendered = user.render();
            if let Some(w) = &wanted {
                let attrs: Vec<Json> = rendered["Attributes"]
                    .as_array()
                    .map(|a| {
                        a.iter()
                            .filter(|x| {
                                x["Name"].as_str().is_some_and(|n| w.iter().any(|k| k == n))
                            })
                            .cloned()
                            .collect()
                    })
                    .unwrap_or_default();
                rendered["Attributes"] = Json::Array(attrs);
            }
            out.push((name.clone(), rendered));
        }
        let mut resp = json!({"Users": out.into_iter().map(|(_, u)| u).collect::<Vec<_>>()});
        if let Some(t) = next {
            resp["PaginationToken"] = json!(t);
        }
        Ok(resp)
    }
}

fn check_code(stored: Option<&Code>, given: &str) -> Result<()> {
    let Some(code) = stored else {
        return Err(CognitoError::expired_code());
    };
    if code.expires <= now_secs() {
        return Err(CognitoError::expired_code());
    }
    if !common::digest::constant_time_eq(code.code.as_bytes(), given.as_bytes()) {
        return Err(CognitoError::code_mismatch());
    }
    Ok(())
}

/// A ListUsers filter: `attribute = "value"` or `attribute ^= "prefix"`.
#[derive(Debug, PartialEq, Eq)]
pub struct Filter {
    attribute: String,
    prefix: bool,
    value: String,
}

const FILTERABLE: &[&str] = &[
    "username",
    "email",
    "phone_number",
    "name",
    "given_name",
    "family_name",
    "preferred_username",
    "cognito:user_status",
    "status",
    "sub",
];

/// Parses a ListUsers filter; anything else is "Error while parsing filter.".
pub fn parse_filter(text: &str) -> Result<Filter> {
    let bad = || CognitoError::invalid_parameter("Error while parsing filter.");
    let (attribute, rest, prefix) = if let Some((a, v)) = text.split_once("^=") {
        (a, v, true)
    } else if let Some((a, v)) = text.split_once('=') {
        (a, v, false)
    } else {
        return Err(bad());
    };
    let attribute = attribute.trim().trim_matches('"');
    if !FILTERABLE.contains(&attribute) {
        return Err(bad());
    }
    let v = rest.trim();
    let value = v
        .strip_prefix('"')
        .and_then(|v| v.strip_suffix('"'))
        .ok_or_else(bad)?;
    Ok(Filter {
        attribute: attribute.into(),
        prefix,
        value: value.into(),
    })
}

impl Filter {
    fn matches(&self, u: &User) -> bool {
        let actual = match self.attribute.as_str() {
            "username" => Some(u.username.as_str()),
            "cognito:user_status" => Some(u.status.as_str()),
            "status" => Some(if u.enabled { "Enabled" } else { "Disabled" }),
            other => u.attributes.get(other).map(String::as_str),
        };
        actual.is_some_and(|a| {
            if self.prefix {
                a.starts_with(&self.value)
            } else {
                a == self.value
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_parse_like_cognito_and_bad_ones_are_refused() {
        assert_eq!(
            parse_filter("email = \"a@b.c\"").expect("ok"),
            Filter {
                attribute: "email".into(),
                prefix: false,
                value: "a@b.c".into()
            }
        );
        assert!(parse_filter("email ^= \"a\"").expect("ok").prefix);
        for bad in ["email", "email = a", "shoe = \"x\"", "email > \"x\""] {
            assert_eq!(
                parse_filter(bad).expect_err(bad).message,
                "Error while parsing filter."
            );
        }
    }

    #[test]
    fn destinations_are_masked() {
        assert_eq!(mask("test@example.com"), "t***@e***");
        assert_eq!(mask("+15555550123"), "+*******0123");
    }
}
