//! Sign-in: InitiateAuth and AdminInitiateAuth (password, SRP, refresh), and the challenges
//! that follow (NEW_PASSWORD_REQUIRED, PASSWORD_VERIFIER).

use std::sync::Arc;

use serde_json::{Map, Value as Json, json};

use super::{Constraint, Req, no_client, no_pool};
use crate::error::{CognitoError, ErrorKind, Result};
use crate::model::{ClientConfig, ExistenceErrors, PoolConfig, User, UserStatus};
use crate::pools::{Session, SrpPending, UserPools};
use crate::srp;
use crate::token::PoolKeys;
use common::date::{now_f64, now_secs, parse_cognito_date};
use common::digest::{constant_time_eq, hmac_sha256};
use common::encoding::{b64, b64_decode};

/// Consecutive failures after which sign-in is locked for a while.
const LOCKOUT_AFTER: u32 = 5;

const AUTH_FLOWS: &[&str] = &[
    "USER_SRP_AUTH",
    "REFRESH_TOKEN_AUTH",
    "REFRESH_TOKEN",
    "CUSTOM_AUTH",
    "ADMIN_NO_SRP_AUTH",
    "USER_PASSWORD_AUTH",
    "ADMIN_USER_PASSWORD_AUTH",
    "USER_AUTH",
];

const CHALLENGES: &[&str] = &[
    "SMS_MFA",
    "EMAIL_OTP",
    "SOFTWARE_TOKEN_MFA",
    "SELECT_MFA_TYPE",
    "MFA_SETUP",
    "PASSWORD_VERIFIER",
    "CUSTOM_CHALLENGE",
    "SELECT_CHALLENGE",
    "DEVICE_SRP_AUTH",
    "DEVICE_PASSWORD_VERIFIER",
    "ADMIN_NO_SRP_AUTH",
    "NEW_PASSWORD_REQUIRED",
    "SMS_OTP",
    "PASSWORD",
    "WEB_AUTHN",
    "PASSWORD_SRP",
];

/// The user and what signing in needs, copied out of the state so no lock is held while
/// hashing or signing.
pub(crate) struct SignIn {
    pub(crate) pool: PoolConfig,
    pub(crate) keys: Arc<PoolKeys>,
    pub(crate) client: ClientConfig,
    pub(crate) user: User,
}

impl SignIn {
    /// A trigger's caller: this pool, user and client.
    pub(crate) fn trigger_call(&self) -> crate::triggers::Call<'_> {
        crate::triggers::Call {
            pool: &self.pool,
            user_name: &self.user.username,
            client_id: Some(&self.client.id),
        }
    }
}

pub(crate) fn param<'a>(params: &'a Map<String, Json>, name: &str) -> Result<&'a str> {
    params.get(name).and_then(Json::as_str).ok_or_else(|| {
        CognitoError::invalid_parameter(format!("Missing required parameter {name}"))
    })
}

impl UserPools {
    /// The client a request names; with `pool_id` (Admin calls) it must belong to that pool.
    pub(crate) fn client_for(
        &self,
        client_id: &str,
        pool_id: Option<&str>,
    ) -> Result<ClientConfig> {
        let state = self.read();
        if let Some(p) = pool_id
            && !state.pools.contains_key(p)
        {
            return Err(no_pool(p));
        }
        match state.clients.get(client_id) {
            Some(c) if pool_id.is_none_or(|p| p == c.pool_id) => Ok(c.clone()),
            _ => Err(no_client(client_id)),
        }
    }

    pub(crate) fn sign_in_for(&self, client: &ClientConfig, name: &str) -> Result<SignIn> {
        let state = self.read();
        let pool = state
            .pools
            .get(&client.pool_id)
            .ok_or_else(|| no_pool(&client.pool_id))?;
        match pool.find(name) {
            Some(user) => Ok(SignIn {
                pool: pool.config.clone(),
                keys: Arc::clone(&pool.keys),
                client: client.clone(),
                user: user.clone(),
            }),
            None if client.prevent_user_existence_errors == ExistenceErrors::Enabled => {
                Err(CognitoError::incorrect_credentials())
            }
            None => Err(CognitoError::user_not_found()),
        }
    }

    /// Checks a SECRET_HASH (`base64(HMAC-SHA256(secret, username + clientId))`) when the client
    /// has a secret; clients without one need none.
    pub(crate) fn verify_secret_hash(
        client: &ClientConfig,
        given: Option<&str>,
        username: &str,
    ) -> Result<()> {
        let Some(secret) = &client.secret else {
            return Ok(());
        };
        let expected = b64(&hmac_sha256(
            secret.as_bytes(),
            &[username.as_bytes(), client.id.as_bytes()],
        ));
        match given {
            Some(g) if constant_time_eq(g.as_bytes(), expected.as_bytes()) => Ok(()),
            _ => Err(CognitoError::not_authorized(format!(
                "Unable to verify secret hash for client {}",
                client.id
            ))),
        }
    }

    pub(crate) fn check_secret_hash(
        client: &ClientConfig,
        params: &Map<String, Json>,
        username: &str,
    ) -> Result<()> {
        Self::verify_secret_hash(
            client,
            params.get("SECRET_HASH").and_then(Json::as_str),
            username,
        )
    }

    /// Refuses disabled and locked-out users before any password is checked.
    pub(crate) fn precheck(user: &User) -> Result<()> {
        if !user.enabled {
            return Err(CognitoError::not_authorized("User is disabled."));
        }
        if user.locked_until > now_secs() {
            return Err(CognitoError::not_authorized("Password attempts exceeded"));
        }
        Ok(())
    }

    /// Counts a failed password; from the fifth in a row sign-in locks, 1 s doubling to 15 min.
    pub(crate) fn record_failure(&self, pool_id: &str, username: &str) -> Result<()> {
        self.transact(|state, tx| {
            let Some(user) = state.pools.get(pool_id).and_then(|p| p.users.get(username)) else {
                return Ok(());
            };
            let mut user = user.clone();
            user.failed_attempts = user.failed_attempts.saturating_add(1);
            if user.failed_attempts >= LOCKOUT_AFTER {
                let exp = (user.failed_attempts - LOCKOUT_AFTER).min(10);
                user.locked_until = now_secs() + (1u64 << exp).min(900);
            }
            tx.put_user(pool_id, user);
            Ok(())
        })
    }

    /// After a correct password: the user's status decides between tokens and a challenge.
    fn after_password(&self, mut s: SignIn) -> Result<Json> {
        if s.user.failed_attempts > 0 {
            self.transact(|state, tx| {
                if let Some(u) = state
                    .pools
                    .get(&s.pool.id)
                    .and_then(|p| p.users.get(&s.user.username))
                {
                    let mut u = u.clone();
                    u.failed_attempts = 0;
                    u.locked_until = 0;
                    tx.put_user(&s.pool.id, u);
                }
                Ok(())
            })?;
            s.user.failed_attempts = 0;
        }
        match s.user.status {
            UserStatus::Unconfirmed => Err(CognitoError::new(
                ErrorKind::UserNotConfirmed,
                "User is not confirmed.",
            )),
            UserStatus::ResetRequired => Err(CognitoError::new(
                ErrorKind::PasswordResetRequired,
                "Password reset required for the user",
            )),
            UserStatus::ForceChangePassword => {
                let days = u64::from(s.pool.policy.temporary_password_validity_days);
                let set_at = s.user.password.as_ref().map_or(0, |p| p.set_at);
                if set_at + days * 86_400 < now_secs() {
                    return Err(CognitoError::not_authorized(
                        "Temporary password has expired and must be reset by an administrator.",
                    ));
                }
                let session = self.new_session(Session {
                    pool_id: s.pool.id.clone(),
                    client_id: s.client.id.clone(),
                    username: s.user.username.clone(),
                    expires: now_secs() + s.client.session_minutes * 60,
                    purpose: crate::pools::Purpose::NewPassword,
                });
                let attrs: Map<String, Json> = s
                    .user
                    .attributes
                    .iter()
                    .filter(|(k, _)| k.as_str() != "sub")
                    .map(|(k, v)| (k.clone(), Json::String(v.clone())))
                    .collect();
                Ok(json!({
                    "ChallengeName": "NEW_PASSWORD_REQUIRED",
                    "Session": session,
                    "ChallengeParameters": {
                        "USER_ID_FOR_SRP": s.user.username,
                        "requiredAttributes": "[]",
                        "userAttributes": Json::Object(attrs).to_string(),
                    },
                }))
            }
            UserStatus::Confirmed | UserStatus::ExternalProvider => {
                self.after_authenticated(s, "TokenGeneration_Authentication")
            }
        }
    }

    /// A sign-in that succeeded: PostAuthentication, then the tokens (PreTokenGeneration with
    /// `source`).
    pub(crate) fn finish_sign_in(
        &self,
        s: &SignIn,
        source: &str,
        client_metadata: &Json,
    ) -> Result<Json> {
        self.run_trigger(
            s.trigger_call(),
            crate::triggers::Trigger::PostAuthentication,
            "PostAuthentication_Authentication",
            json!({
                "userAttributes": crate::triggers::user_attributes(&s.pool, &s.user),
                "newDeviceUsed": false,
                "clientMetadata": client_metadata,
            }),
            json!({}),
        )?;
        let tokens = self.issue_tokens(&s.keys, &s.client, &s.user, None, source)?;
        Ok(json!({"ChallengeParameters": {}, "AuthenticationResult": tokens}))
    }

    /// PreAuthentication for a user about to give a password (`validationData`: the call's
    /// `ClientMetadata`).
    pub(crate) fn pre_authentication(&self, s: &SignIn, client_metadata: &Json) -> Result<()> {
        self.run_trigger(
            s.trigger_call(),
            crate::triggers::Trigger::PreAuthentication,
            "PreAuthentication_Authentication",
            json!({
                "userAttributes": crate::triggers::user_attributes(&s.pool, &s.user),
                "validationData": client_metadata,
                "userNotFound": false,
            }),
            json!({}),
        )?;
        Ok(())
    }

    /// What InitiateAuth and RespondToAuthChallenge (and their Admin forms) read first: the
    /// `required` fields (in the service model's order, as AWS lists them when missing), the
    /// enum member `field` (AuthFlow or ChallengeName), and the client, which an Admin call's
    /// UserPoolId must own.
    fn request_client<'r>(
        &self,
        r: &'r Req<'_>,
        admin: bool,
        required: &[&str],
        field: &str,
        allowed: &[&str],
    ) -> Result<(ClientConfig, &'r str)> {
        r.require(required)?;
        let value = r.one_of(field, r.str(field)?, allowed)?;
        let client_id = r.checked("ClientId", Constraint::ClientId)?;
        let pool_id = if admin {
            Some(r.checked("UserPoolId", Constraint::PoolId)?)
        } else {
            None
        };
        Ok((self.client_for(client_id, pool_id)?, value))
    }

    pub(crate) fn initiate_auth(&self, r: &Req<'_>, admin: bool) -> Result<Json> {
        let (client, flow) = {
            let required: &[&str] = if admin {
                &["UserPoolId", "ClientId", "AuthFlow"]
            } else {
                &["AuthFlow", "ClientId"]
            };
            self.request_client(r, admin, required, "AuthFlow", AUTH_FLOWS)?
        };
        let params = r.opt_string_map("AuthParameters")?.unwrap_or_default();
        let meta = r
            .opt_string_map("ClientMetadata")?
            .map_or_else(|| json!({}), Json::Object);
        let not_enabled = |f: &str| {
            CognitoError::invalid_parameter(format!("{f} flow not enabled for this client"))
        };
        match (flow, admin) {
            ("USER_PASSWORD_AUTH", false) => {
                if !client.allows("USER_PASSWORD_AUTH") {
                    return Err(not_enabled("USER_PASSWORD_AUTH"));
                }
                self.password_sign_in(&client, &params, &meta)
            }
            ("ADMIN_USER_PASSWORD_AUTH" | "ADMIN_NO_SRP_AUTH", true) => {
                if !client.allows("ADMIN_USER_PASSWORD_AUTH") {
                    return Err(CognitoError::invalid_parameter(
                        "Auth flow not enabled for this client",
                    ));
                }
                self.password_sign_in(&client, &params, &meta)
            }
            ("USER_SRP_AUTH", _) => {
                if !client.allows("USER_SRP_AUTH") {
                    return Err(not_enabled("USER_SRP_AUTH"));
                }
                self.srp_start(&client, &params, &meta)
            }
            ("REFRESH_TOKEN_AUTH" | "REFRESH_TOKEN", _) => self.refresh(&client, &params),
            ("CUSTOM_AUTH", _) => {
                let define = self.read().pools.get(&client.pool_id).is_some_and(|p| {
                    crate::triggers::configured(
                        &p.config,
                        crate::triggers::Trigger::DefineAuthChallenge,
                    )
                    .is_some()
                });
                if !define {
                    return Err(CognitoError::invalid_parameter(
                        "Custom auth lambda trigger is not configured for the user pool.",
                    ));
                }
                if !client.allows("CUSTOM_AUTH") {
                    return Err(not_enabled("CUSTOM_AUTH"));
                }
                self.custom_start(&client, &params, &meta)
            }
            _ => Err(CognitoError::invalid_parameter(
                "Initiate Auth method not supported.",
            )),
        }
    }

    fn password_sign_in(
        &self,
        client: &ClientConfig,
        params: &Map<String, Json>,
        meta: &Json,
    ) -> Result<Json> {
        let username = param(params, "USERNAME")?;
        let password = param(params, "PASSWORD")?;
        Self::check_secret_hash(client, params, username)?;
        let s = match self.sign_in_for(client, username) {
            Ok(s) => s,
            Err(e) => match self.migrate_user(client, username, Some(password), meta)? {
                // A migrated user signs in with the password the old system took.
                Some(_) => self.sign_in_for(client, username)?,
                None => return Err(e),
            },
        };
        Self::precheck(&s.user)?;
        self.pre_authentication(&s, meta)?;
        let ok = s.user.password.as_ref().is_some_and(|p| {
            self.password_matches(&s.pool.id, &s.user.username, password, &p.hash)
        });
        if !ok {
            self.record_failure(&s.pool.id, &s.user.username)?;
            return Err(CognitoError::incorrect_credentials());
        }
        self.after_password(s)
    }

    fn srp_start(
        &self,
        client: &ClientConfig,
        params: &Map<String, Json>,
        meta: &Json,
    ) -> Result<Json> {
        let username = param(params, "USERNAME")?;
        let a_hex = param(params, "SRP_A")?;
        Self::check_secret_hash(client, params, username)?;
        let s = self.sign_in_for(client, username)?;
        self.pre_authentication(&s, meta)?;
        let Some(stored) = &s.user.password else {
            return Err(CognitoError::incorrect_credentials());
        };
        let verifier = srp::Verifier {
            salt_hex: stored.srp_salt.clone(),
            verifier_hex: stored.srp_verifier.clone(),
        };
        let step = srp::server_start(a_hex, &verifier).map_err(|_| {
            CognitoError::invalid_parameter("SRP_A is not a valid SRP public value")
        })?;
        let answer = json!({
            "ChallengeName": "PASSWORD_VERIFIER",
            "ChallengeParameters": {
                "SALT": stored.srp_salt,
                "SRP_B": step.b_pub_hex,
                "SECRET_BLOCK": step.secret_block,
                "USERNAME": s.user.username,
                "USER_ID_FOR_SRP": s.user.username,
            },
        });
        self.park_srp(SrpPending {
            pool_id: s.pool.id.clone(),
            client_id: client.id.clone(),
            username: s.user.username.clone(),
            step,
            expires: now_secs() + client.session_minutes * 60,
        });
        Ok(answer)
    }

    pub(crate) fn refresh(
        &self,
        client: &ClientConfig,
        params: &Map<String, Json>,
    ) -> Result<Json> {
        let token = param(params, "REFRESH_TOKEN")?;
        let invalid = || CognitoError::not_authorized("Invalid Refresh Token");
        let keys = {
            let state = self.read();
            let pool = state.pools.get(&client.pool_id).ok_or_else(invalid)?;
            Arc::clone(&pool.keys)
        };
        let claims = Self::refresh_claims(&keys, token).ok_or_else(invalid)?;
        if claims.client_id != client.id {
            return Err(invalid());
        }
        let user = {
            let state = self.read();
            let user = state
                .pools
                .get(&client.pool_id)
                .and_then(|p| p.users.get(&claims.username))
                .filter(|u| u.sub() == claims.sub)
                .ok_or_else(|| CognitoError::not_authorized("User does not exist."))?;
            if Self::session_revoked(&state, user, &claims.jti) {
                return Err(CognitoError::not_authorized(
                    "Refresh Token has been revoked",
                ));
            }
            user.clone()
        };
        if claims.exp <= now_secs() {
            return Err(CognitoError::not_authorized("Refresh Token has expired"));
        }
        if !user.enabled {
            return Err(CognitoError::not_authorized("User is disabled."));
        }
        let tokens = self.issue_tokens(
            &keys,
            client,
            &user,
            Some(&claims),
            "TokenGeneration_RefreshTokens",
        )?;
        Ok(json!({"ChallengeParameters": {}, "AuthenticationResult": tokens}))
    }

    /// GetTokensFromRefreshToken: a refresh, as REFRESH_TOKEN_AUTH (a client with a secret
    /// gives it as `ClientSecret`).
    pub(crate) fn get_tokens_from_refresh_token(&self, r: &Req<'_>) -> Result<Json> {
        r.require(&["RefreshToken", "ClientId"])?;
        let client = self.client_for(r.checked("ClientId", Constraint::ClientId)?, None)?;
        if let Some(secret) = &client.secret
            && r.opt_str("ClientSecret")? != Some(secret.as_str())
        {
            return Err(CognitoError::not_authorized(format!(
                "Client {} is configured with secret but ClientSecret was not received",
                client.id
            )));
        }
        let mut params = Map::new();
        params.insert("REFRESH_TOKEN".into(), json!(r.str("RefreshToken")?));
        let mut out = self.refresh(&client, &params)?;
        Ok(json!({"AuthenticationResult": out["AuthenticationResult"].take()}))
    }

    pub(crate) fn respond_to_challenge(&self, r: &Req<'_>, admin: bool) -> Result<Json> {
        let (client, name) = {
            let required: &[&str] = if admin {
                &["UserPoolId", "ClientId", "ChallengeName"]
            } else {
                &["ClientId", "ChallengeName"]
            };
            self.request_client(r, admin, required, "ChallengeName", CHALLENGES)?
        };
        let responses = r.opt_string_map("ChallengeResponses")?.unwrap_or_default();
        match name {
            "NEW_PASSWORD_REQUIRED" => {
                let session = match r.opt_str("Session")? {
                    Some(_) => r.checked("Session", Constraint::Session)?,
                    None => return Err(CognitoError::invalid_session()),
                };
                self.new_password(&client, session, &responses)
            }
            "PASSWORD_VERIFIER" => self.password_verifier(&client, &responses),
            "SOFTWARE_TOKEN_MFA" | "MFA_SETUP" => {
                let session = match r.opt_str("Session")? {
                    Some(_) => r.checked("Session", Constraint::Session)?,
                    None => return Err(CognitoError::invalid_session()),
                };
                self.mfa_answer(&client, name, session, &responses)
            }
            "CUSTOM_CHALLENGE" => {
                let session = match r.opt_str("Session")? {
                    Some(_) => r.checked("Session", Constraint::Session)?,
                    None => return Err(CognitoError::invalid_session()),
                };
                let meta = r
                    .opt_string_map("ClientMetadata")?
                    .map_or_else(|| json!({}), Json::Object);
                self.custom_answer(&client, session, &responses, &meta)
            }
            other => Err(CognitoError::invalid_parameter(format!(
                "The local user pool does not issue the {other} challenge"
            ))),
        }
    }

    fn new_password(
        &self,
        client: &ClientConfig,
        token: &str,
        responses: &Map<String, Json>,
    ) -> Result<Json> {
        let s = self.apply_new_password(client, token, responses)?;
        self.after_authenticated(s, "TokenGeneration_NewPasswordChallenge")
    }

    /// The NEW_PASSWORD_REQUIRED answer applied (the session used up): the user signed in, for
    /// the API to issue tokens or the hosted UI a code.
    pub(crate) fn apply_new_password(
        &self,
        client: &ClientConfig,
        token: &str,
        responses: &Map<String, Json>,
    ) -> Result<SignIn> {
        let new_password = param(responses, "NEW_PASSWORD")?;
        let username = param(responses, "USERNAME")?;
        let session = self
            .take_session(token)
            .ok_or_else(CognitoError::invalid_session)?;
        if session.client_id != client.id || session.purpose != crate::pools::Purpose::NewPassword {
            return Err(CognitoError::invalid_session());
        }
        let (policy, matches) = {
            let state = self.read();
            let pool = state
                .pools
                .get(&session.pool_id)
                .ok_or_else(CognitoError::invalid_session)?;
            let matches = pool.resolve(username).as_deref() == Some(session.username.as_str());
            (pool.config.policy.clone(), matches)
        };
        if !matches {
            return Err(CognitoError::invalid_session());
        }
        if let Err(e) = policy.check(new_password) {
            // A password the policy refuses does not use up the session: try again with it.
            self.restore_session(token, session);
            return Err(e);
        }
        let stored =
            Self::stored_password(&session.pool_id, &session.username, new_password, false);
        let extra: Vec<(String, String)> = responses
            .iter()
            .filter_map(|(k, v)| {
                Some((
                    k.strip_prefix("userAttributes.")?.to_string(),
                    v.as_str()?.to_string(),
                ))
            })
            .collect();
        // The session was the user's, and it is used up: the write needs no other check.
        let s = self.transact(|state, tx| {
            let pool = state
                .pools
                .get(&session.pool_id)
                .ok_or_else(CognitoError::invalid_session)?;
            let mut user = pool
                .users
                .get(&session.username)
                .ok_or_else(CognitoError::user_not_found)?
                .clone();
            user.password = Some(stored);
            user.status = UserStatus::Confirmed;
            user.failed_attempts = 0;
            user.modified = now_f64();
            for (k, v) in extra {
                user.attributes.insert(k, v);
            }
            tx.put_user(&session.pool_id, user.clone());
            Ok(SignIn {
                pool: pool.config.clone(),
                keys: Arc::clone(&pool.keys),
                client: client.clone(),
                user,
            })
        })?;
        Ok(s)
    }

    fn password_verifier(
        &self,
        client: &ClientConfig,
        responses: &Map<String, Json>,
    ) -> Result<Json> {
        let signature = param(responses, "PASSWORD_CLAIM_SIGNATURE")?;
        let block = param(responses, "PASSWORD_CLAIM_SECRET_BLOCK")?;
        let timestamp = param(responses, "TIMESTAMP")?;
        let username = param(responses, "USERNAME")?;
        let pending = self
            .take_srp(block)
            .filter(|p| p.client_id == client.id)
            .ok_or_else(CognitoError::incorrect_credentials)?;
        Self::check_secret_hash(client, responses, username)?;
        let s = self.sign_in_for(client, &pending.username)?;
        Self::precheck(&s.user)?;
        let stored = s
            .user
            .password
            .as_ref()
            .ok_or_else(CognitoError::incorrect_credentials)?;
        let verifier = srp::Verifier {
            salt_hex: stored.srp_salt.clone(),
            verifier_hex: stored.srp_verifier.clone(),
        };
        let expected = srp::session_key(&pending.step, &verifier)
            .ok()
            .and_then(|key| {
                let block = b64_decode(block)?;
                Some(srp::expected_signature(
                    &key,
                    &s.pool.id,
                    &s.user.username,
                    &block,
                    timestamp,
                ))
            });
        let given = b64_decode(signature);
        let ok = parse_cognito_date(timestamp).is_some()
            && matches!((&expected, &given), (Some(e), Some(g)) if constant_time_eq(e, g));
        if !ok {
            self.record_failure(&s.pool.id, &s.user.username)?;
            return Err(CognitoError::incorrect_credentials());
        }
        self.after_password(s)
    }
}
