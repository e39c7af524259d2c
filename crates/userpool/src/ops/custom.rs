//! The custom authentication flow (`CUSTOM_AUTH`) and user migration: the sign-ins that a
//! pool's triggers decide. Define says what comes next from the challenges so far (the
//! `session` array), Create makes the challenge (its public parameters go to the client, its
//! private ones stay here), Verify judges the answer; then Define again, one entry longer.
//! UserMigration brings in a user the pool does not know, on sign-in or forgot-password.

use serde_json::{Map, Value as Json, json};

use super::auth::{SignIn, param};
use crate::error::{CognitoError, ErrorKind, Result};
use crate::model::{ClientConfig, User, UserStatus};
use crate::pools::UserPools;
use crate::triggers::{Call, Trigger, configured, user_attributes};
use common::date::now_secs;
use common::encoding::b64url;
use common::id::random_bytes;

/// A custom challenge between its two calls.
#[derive(Debug, Clone)]
pub struct CustomSession {
    /// Pool.
    pub pool_id: String,
    /// Client that started it.
    pub client_id: String,
    /// Stored username.
    pub username: String,
    /// The challenges so far, as Define sees them.
    pub entries: Vec<Json>,
    /// The current challenge's private parameters (Verify sees them).
    pub private: Json,
    /// The current challenge's metadata (recorded with its result).
    pub metadata: Json,
    /// Epoch seconds.
    pub expires: u64,
}

fn lock<T>(m: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl UserPools {
    /// InitiateAuth `CUSTOM_AUTH`.
    pub(crate) fn custom_start(
        &self,
        client: &ClientConfig,
        params: &Map<String, Json>,
        meta: &Json,
    ) -> Result<Json> {
        let username = param(params, "USERNAME")?;
        Self::check_secret_hash(client, params, username)?;
        let s = self.sign_in_for(client, username)?;
        Self::precheck(&s.user)?;
        self.pre_authentication(&s, meta)?;
        self.custom_next(s, Vec::new(), meta)
    }

    /// Define, then tokens, a refusal, or the next challenge from Create.
    fn custom_next(&self, s: SignIn, entries: Vec<Json>, meta: &Json) -> Result<Json> {
        let attrs = user_attributes(&s.pool, &s.user);
        let define = self
            .run_trigger(
                s.trigger_call(),
                Trigger::DefineAuthChallenge,
                "DefineAuthChallenge_Authentication",
                json!({"userAttributes": attrs, "session": entries, "clientMetadata": meta, "userNotFound": false}),
                json!({"challengeName": null, "issueTokens": null, "failAuthentication": null}),
            )?
            .unwrap_or_default();
        if define["issueTokens"] == true {
            return self.finish_sign_in(&s, "TokenGeneration_Authentication", meta);
        }
        if define["failAuthentication"] == true {
            return Err(CognitoError::incorrect_credentials());
        }
        let name = define["challengeName"].as_str().unwrap_or_default();
        if name != "CUSTOM_CHALLENGE" {
            // PASSWORD_VERIFIER after SRP_A and the MFA challenges are not chained locally.
            return Err(CognitoError::new(
                ErrorKind::InvalidLambdaResponse,
                format!(
                    "DefineAuthChallenge answered challengeName {name:?}; the local pool chains CUSTOM_CHALLENGE only"
                ),
            ));
        }
        let create = self
            .run_trigger(
                s.trigger_call(),
                Trigger::CreateAuthChallenge,
                "CreateAuthChallenge_Authentication",
                json!({"userAttributes": attrs, "challengeName": name, "session": entries, "clientMetadata": meta, "userNotFound": false}),
                json!({"publicChallengeParameters": null, "privateChallengeParameters": null, "challengeMetadata": null}),
            )?
            .unwrap_or_default();
        let mut public = match &create["publicChallengeParameters"] {
            Json::Object(m) => m.clone(),
            _ => Map::new(),
        };
        public.insert("USERNAME".into(), json!(s.user.username));
        let mut raw = [0u8; 96];
        random_bytes(&mut raw);
        let token = b64url(&raw);
        {
            let mut sessions = lock(&self.custom);
            let now = now_secs();
            sessions.retain(|_, v| v.expires > now);
            sessions.insert(
                token.clone(),
                CustomSession {
                    pool_id: s.pool.id.clone(),
                    client_id: s.client.id.clone(),
                    username: s.user.username.clone(),
                    entries,
                    private: create["privateChallengeParameters"].clone(),
                    metadata: create["challengeMetadata"].clone(),
                    expires: now + s.client.session_minutes * 60,
                },
            );
        }
        Ok(json!({
            "ChallengeName": "CUSTOM_CHALLENGE",
            "Session": token,
            "ChallengeParameters": public,
        }))
    }

    /// RespondToAuthChallenge `CUSTOM_CHALLENGE`: Verify the answer, then Define again.
    pub(crate) fn custom_answer(
        &self,
        client: &ClientConfig,
        token: &str,
        responses: &Map<String, Json>,
        meta: &Json,
    ) -> Result<Json> {
        let answer = param(responses, "ANSWER")?;
        let username = param(responses, "USERNAME")?;
        let session = lock(&self.custom)
            .remove(token)
            .filter(|c| c.expires > now_secs() && c.client_id == client.id)
            .ok_or_else(CognitoError::invalid_session)?;
        Self::check_secret_hash(client, responses, username)?;
        let s = self.sign_in_for(client, &session.username)?;
        if s.pool.id != session.pool_id {
            return Err(CognitoError::invalid_session());
        }
        let verify = self
            .run_trigger(
                s.trigger_call(),
                Trigger::VerifyAuthChallengeResponse,
                "VerifyAuthChallengeResponse_Authentication",
                json!({
                    "userAttributes": user_attributes(&s.pool, &s.user),
                    "privateChallengeParameters": session.private,
                    "challengeAnswer": answer,
                    "clientMetadata": meta,
                    "userNotFound": false,
                }),
                json!({"answerCorrect": null}),
            )?
            .unwrap_or_default();
        let mut entries = session.entries;
        entries.push(json!({
            "challengeName": "CUSTOM_CHALLENGE",
            "challengeResult": verify["answerCorrect"] == true,
            "challengeMetadata": session.metadata,
        }));
        self.custom_next(s, entries, meta)
    }

    /// UserMigration for `name`, whom the pool does not know: on sign-in (`password` given)
    /// or forgot-password. The user it answers with is created (the pool's password policy is
    /// not applied to a migrated password); its stored username, or `None` when the pool has
    /// no such trigger.
    pub(crate) fn migrate_user(
        &self,
        client: &ClientConfig,
        name: &str,
        password: Option<&str>,
        meta: &Json,
    ) -> Result<Option<String>> {
        let pool = {
            let state = self.read();
            match state.pools.get(&client.pool_id) {
                Some(p) => p.config.clone(),
                None => return Ok(None),
            }
        };
        if configured(&pool, Trigger::UserMigration).is_none() {
            return Ok(None);
        }
        let (source, mut request) = match password {
            Some(p) => (
                "UserMigration_Authentication",
                json!({"password": p, "validationData": {}, "clientMetadata": meta}),
            ),
            None => (
                "UserMigration_ForgotPassword",
                json!({"validationData": {}, "clientMetadata": meta}),
            ),
        };
        if request["validationData"].is_null() {
            request["validationData"] = json!({});
        }
        let call = Call {
            pool: &pool,
            user_name: name,
            client_id: Some(&client.id),
        };
        let response = self
            .run_trigger(
                call,
                Trigger::UserMigration,
                source,
                request,
                json!({"userAttributes": null, "finalUserStatus": null, "messageAction": null,
                       "desiredDeliveryMediums": null, "forceAliasCreation": null}),
            )?
            .unwrap_or_default();
        let Some(attrs) = response["userAttributes"]
            .as_object()
            .filter(|a| !a.is_empty())
        else {
            return Err(CognitoError::new(
                ErrorKind::UserNotFound,
                format!("Exception migrating user in app client {}", client.id),
            ));
        };
        let attrs: Vec<(String, String)> = attrs
            .iter()
            .filter(|(k, _)| k.as_str() != "sub" && k.as_str() != "username")
            .map(|(k, v)| {
                let value = v.as_str().map_or_else(|| v.to_string(), str::to_string);
                (k.clone(), value)
            })
            .collect();
        let (username, attributes) = self.new_identity(&client.pool_id, name, attrs, true)?;
        let status = match response["finalUserStatus"].as_str() {
            Some("CONFIRMED") => UserStatus::Confirmed,
            _ => UserStatus::ResetRequired,
        };
        let password =
            password.map(|p| Self::stored_password(&client.pool_id, &username, p, false));
        let user = User::new(username.clone(), attributes, status, password);
        self.insert_new_user(
            &client.pool_id,
            user,
            "An account with the given email already exists.",
            "User already exists",
        )?;
        Ok(Some(username))
    }
}
