//! Lambda triggers: the functions a pool's `LambdaConfig` names, run at the points Cognito runs
//! them, with the events Cognito sends and its answers applied. The pool declares the port it
//! needs ([`Invoke`]); the CLI adapts the Lambda host to it, so triggers run in any runtime the
//! stack runs, warm, like every other function.
//!
//! Every trigger gets `{version, triggerSource, region, userPoolId, userName, callerContext:
//! {awsSdkVersion, clientId}, request, response}` and must answer with the whole event. As
//! Cognito: a function that throws gives `UserLambdaValidationException` "<Trigger> failed with
//! error <message>."; one that takes more than 5 s, `UnexpectedLambdaException` "<Trigger>
//! invocation failed due to error Socket timeout while invoking Lambda function."; an answer
//! that is not the event, `InvalidLambdaResponseException` "Unrecognizable lambda output".

use std::sync::Arc;
use std::time::Duration;

use serde_json::{Map, Value as Json, json};

use crate::error::{CognitoError, ErrorKind, Result};
use crate::model::{PoolConfig, User};
use crate::pools::UserPools;

/// Cognito's limit for a trigger; it cannot be changed.
pub const TRIGGER_TIMEOUT: Duration = Duration::from_secs(5);

/// Why a trigger's function gave no answer.
#[derive(Debug, Clone)]
pub enum InvokeFailure {
    /// It ran and failed: its `errorMessage`.
    Function(String),
    /// It did not answer within the time given.
    Timeout,
    /// It could not be run (no such function, its process would not start): why.
    Unavailable(String),
}

/// The port through which the pool runs a trigger's function: `function_arn` with `event`,
/// waiting at most `timeout`; the function's answer as JSON. Called from the blocking pool.
pub trait Invoke: Send + Sync + std::fmt::Debug {
    /// Runs the function.
    fn invoke(
        &self,
        function_arn: &str,
        event: &Json,
        timeout: Duration,
    ) -> std::result::Result<Json, InvokeFailure>;
}

/// A trigger, by its `LambdaConfig` key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trigger {
    /// `PreSignUp`.
    PreSignUp,
    /// `PostConfirmation`.
    PostConfirmation,
    /// `PreAuthentication`.
    PreAuthentication,
    /// `PostAuthentication`.
    PostAuthentication,
    /// `PreTokenGeneration` (or `PreTokenGenerationConfig`).
    PreTokenGeneration,
    /// `CustomMessage`.
    CustomMessage,
    /// `UserMigration`.
    UserMigration,
    /// `DefineAuthChallenge`.
    DefineAuthChallenge,
    /// `CreateAuthChallenge`.
    CreateAuthChallenge,
    /// `VerifyAuthChallengeResponse`.
    VerifyAuthChallengeResponse,
}

impl Trigger {
    /// Its `LambdaConfig` key, which is also the name Cognito's messages use.
    pub fn name(self) -> &'static str {
        match self {
            Trigger::PreSignUp => "PreSignUp",
            Trigger::PostConfirmation => "PostConfirmation",
            Trigger::PreAuthentication => "PreAuthentication",
            Trigger::PostAuthentication => "PostAuthentication",
            Trigger::PreTokenGeneration => "PreTokenGeneration",
            Trigger::CustomMessage => "CustomMessage",
            Trigger::UserMigration => "UserMigration",
            Trigger::DefineAuthChallenge => "DefineAuthChallenge",
            Trigger::CreateAuthChallenge => "CreateAuthChallenge",
            Trigger::VerifyAuthChallengeResponse => "VerifyAuthChallengeResponse",
        }
    }
}

/// The function a pool runs for `trigger`, and the event version it sends (`"1"`; `"2"` and
/// `"3"` for pre token generation V2_0 and V3_0).
pub fn configured(pool: &PoolConfig, trigger: Trigger) -> Option<(String, &'static str)> {
    let lc = &pool.lambda_config;
    if trigger == Trigger::PreTokenGeneration
        && let Some(cfg) = lc.get("PreTokenGenerationConfig")
        && let Some(arn) = cfg["LambdaArn"].as_str()
    {
        let version = match cfg["LambdaVersion"].as_str() {
            Some("V2_0") => "2",
            Some("V3_0") => "3",
            _ => "1",
        };
        return Some((arn.to_string(), version));
    }
    lc.get(trigger.name())
        .and_then(Json::as_str)
        .map(|arn| (arn.to_string(), "1"))
}

/// `request.userAttributes` as Cognito sends them: strings, with `cognito:user_status` and
/// `cognito:email_alias` when email is a sign-in alias.
pub fn user_attributes(pool: &PoolConfig, user: &User) -> Json {
    let mut m: Map<String, Json> = user
        .attributes
        .iter()
        .map(|(k, v)| (k.clone(), Json::String(v.clone())))
        .collect();
    m.insert("cognito:user_status".into(), json!(user.status.as_str()));
    if (pool.email_is_username() || pool.alias_attributes.iter().any(|a| a == "email"))
        && let Some(e) = user.attributes.get("email")
    {
        m.insert("cognito:email_alias".into(), json!(e));
    }
    Json::Object(m)
}

/// Where a trigger runs: which pool, for which user and client.
#[derive(Debug, Clone, Copy)]
pub struct Call<'a> {
    /// The pool.
    pub pool: &'a PoolConfig,
    /// `userName`: the stored username.
    pub user_name: &'a str,
    /// `callerContext.clientId` (absent for Admin calls without a client).
    pub client_id: Option<&'a str>,
}

impl UserPools {
    /// Sets the port triggers run through (the stack does once its functions exist).
    pub fn set_triggers(&self, invoke: Arc<dyn Invoke>) {
        *self
            .triggers
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(invoke);
    }

    /// Runs `trigger` for `call` with `request` (and `response` pre-filled as Cognito fills it),
    /// when the pool has one; its answer's `response`. `None`: no such trigger.
    pub fn run_trigger(
        &self,
        call: Call<'_>,
        trigger: Trigger,
        source: &str,
        request: Json,
        response: Json,
    ) -> Result<Option<Json>> {
        let Some((arn, version)) = configured(call.pool, trigger) else {
            return Ok(None);
        };
        let invoke = self
            .triggers
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone();
        let failed = |why: &str| {
            CognitoError::new(
                ErrorKind::UnexpectedLambda,
                format!("{} invocation failed due to error {why}", trigger.name()),
            )
        };
        let Some(invoke) = invoke else {
            return Err(failed("AccessDeniedException"));
        };
        let event = json!({
            "version": version,
            "triggerSource": source,
            "region": self.settings.region,
            "userPoolId": call.pool.id,
            "userName": call.user_name,
            "callerContext": {
                "awsSdkVersion": "aws-sdk-unknown-unknown",
                "clientId": call.client_id.map_or(Json::Null, |c| json!(c)),
            },
            "request": request,
            "response": response,
        });
        let answer = match invoke.invoke(&arn, &event, TRIGGER_TIMEOUT) {
            Ok(a) => a,
            Err(InvokeFailure::Function(message)) => {
                let message = message.trim_end_matches('.');
                return Err(CognitoError::new(
                    ErrorKind::UserLambdaValidation,
                    format!("{} failed with error {message}.", trigger.name()),
                ));
            }
            Err(InvokeFailure::Timeout) => {
                return Err(failed("Socket timeout while invoking Lambda function."));
            }
            Err(InvokeFailure::Unavailable(why)) => {
                tracing::warn!("{} trigger {arn}: {why}", trigger.name());
                return Err(failed("ResourceNotFoundException"));
            }
        };
        match answer.get("response") {
            Some(r @ (Json::Object(_) | Json::Null)) => {
                Ok(Some(if r.is_null() { json!({}) } else { r.clone() }))
            }
            _ => Err(CognitoError::new(
                ErrorKind::InvalidLambdaResponse,
                "Unrecognizable lambda output",
            )),
        }
    }
}
