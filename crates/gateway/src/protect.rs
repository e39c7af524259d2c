//! The protection a route has beyond its authorizer, one stage for REST and HTTP APIs alike,
//! always before the integration: a construct the gateway does not serve refuses (500, as AWS
//! answers a misconfigured authorizer), `AWS_IAM` asks the [`Iam`] port for the signature and
//! the `execute-api:Invoke` decision, a REST API's resource policy is evaluated through the
//! same port ([`Iam::anonymous`] for callers that are not IAM-signed), and a keyed REST method
//! wants a key of a usage plan of its stage ([`ApiKeys`]).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

use axum::http::request::Parts;
use serde_json::Value as Json;

use crate::event::Identity;
use crate::spec::{ApiKey, Period, UsagePlan};

/// A request as it arrived, for the IAM port: what SigV4 signs, and what policies look at.
#[derive(Debug, Clone, Copy)]
pub struct SignedRequest<'a> {
    /// The method.
    pub method: &'a str,
    /// The path as sent, before any stage or route is taken off it.
    pub path: &'a str,
    /// The raw query string.
    pub query: Option<&'a str>,
    /// Every header (name, value).
    pub headers: &'a [(&'a str, &'a str)],
    /// The body.
    pub body: &'a [u8],
    /// The method ARN (`arn:aws:execute-api:<region>:<account>:<api>/<stage>/<VERB>/<path>`).
    pub resource: &'a str,
    /// The client's address (`aws:SourceIp`).
    pub source_ip: Option<&'a str>,
    /// The API's resource policy (its ARNs written out), evaluated with the caller's
    /// identity policies.
    pub resource_policy: Option<&'a Json>,
}

/// The IAM caller of a signed request that may invoke the method.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IamCaller {
    /// The access key id.
    pub access_key: String,
    /// The caller's account.
    pub account_id: String,
    /// The principal's unique id.
    pub user_id: String,
    /// The principal's ARN.
    pub user_arn: String,
    /// For credentials an identity pool issued: the Cognito identity.
    pub cognito: Option<CognitoIdentity>,
}

/// The Cognito identity of a caller signing with identity pool credentials.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CognitoIdentity {
    /// `cognitoIdentityId`.
    pub identity_id: String,
    /// `cognitoIdentityPoolId`.
    pub pool_id: String,
    /// `cognitoAuthenticationType`: `authenticated` or `unauthenticated`.
    pub authentication_type: String,
    /// `cognitoAuthenticationProvider`.
    pub authentication_provider: Option<String>,
    /// `amr` (HTTP APIs' `cognitoIdentity`).
    pub amr: Vec<String>,
}

/// Why IAM refused a request: API Gateway's 403 with its error type and message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IamRefusal {
    /// `x-amzn-ErrorType`.
    pub error_type: String,
    /// The message.
    pub message: String,
}

/// Checks a signed request and decides `execute-api:Invoke`: the gateway's only way to IAM
/// (the CLI meets it with the `iam` crate; tests use a fake).
pub trait Iam: Send + Sync + std::fmt::Debug + 'static {
    /// The caller, or the refusal.
    fn invoke(&self, req: &SignedRequest<'_>) -> Result<IamCaller, IamRefusal>;

    /// A signed call of Lambda's Invoke API: the caller, when its signature holds (service
    /// `lambda`) and its policies allow `lambda:InvokeFunction` on `req.resource` (the
    /// function's ARN); else Lambda's refusal.
    fn lambda_invoke(&self, req: &SignedRequest<'_>) -> Result<IamCaller, IamRefusal>;

    /// What a resource policy decides for a caller that is not IAM-signed (`anonymous`: no
    /// authorizer, or a Cognito or Lambda authorizer's caller) invoking `resource` from
    /// `source_ip`.
    fn anonymous(&self, resource: &str, source_ip: Option<&str>, policy: &Json) -> PolicyDecision;
}

/// A resource policy's decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PolicyDecision {
    /// A statement allows it and none denies it.
    Allow,
    /// Nothing allows it.
    ImplicitDeny,
    /// A statement denies it (or one that could deny is not evaluated locally).
    ExplicitDeny,
}

/// `policy` with each `execute-api:/<stage>/<VERB>/<path>` resource (the shorthand for the
/// API's own ARN that SAM writes and API Gateway accepts) written out under `api_arn`
/// (`arn:aws:execute-api:<region>:<account>:<api id>`).
pub fn expand_policy(policy: &Json, api_arn: &str) -> Json {
    let expand = |v: &Json| -> Json {
        let one = |r: &Json| match r.as_str().and_then(|s| s.strip_prefix("execute-api:/")) {
            Some(rest) => Json::String(format!("{api_arn}/{rest}")),
            None => r.clone(),
        };
        match v {
            Json::Array(l) => Json::Array(l.iter().map(one).collect()),
            other => one(other),
        }
    };
    let mut out = policy.clone();
    let statements: Vec<&mut Json> = match &mut out["Statement"] {
        Json::Array(l) => l.iter_mut().collect(),
        s @ Json::Object(_) => vec![s],
        _ => Vec::new(),
    };
    for st in statements {
        for key in ["Resource", "NotResource"] {
            if !st[key].is_null() {
                st[key] = expand(&st[key]);
            }
        }
    }
    out
}

/// API Gateway's denial of an unsigned caller by a resource policy: the account shown as
/// `********` and its last four digits, as captured (aws-behaviour-3-iam.md §4).
pub fn anonymous_refusal(resource: &str, account: &str, explicit: bool) -> IamRefusal {
    let tail = &account[account.len().saturating_sub(4)..];
    let masked = resource.replacen(&format!(":{account}:"), &format!(":********{tail}:"), 1);
    IamRefusal {
        error_type: "AccessDeniedException".into(),
        message: format!(
            "User: anonymous is not authorized to perform: execute-api:Invoke on resource: {masked}{}",
            if explicit {
                " with an explicit deny"
            } else {
                ""
            }
        ),
    }
}

/// The stack's API keys and usage plans, with each key's use: which keys a stage admits,
/// their quota and throttle.
#[derive(Debug, Default)]
pub struct ApiKeys {
    keys: Vec<ApiKey>,
    plans: Vec<UsagePlan>,
    /// Per (plan, key id): the quota's window start and count, the bucket's tokens and time.
    usage: Mutex<HashMap<(String, String), Usage>>,
}

#[derive(Debug, Clone, Copy)]
struct Usage {
    window_start: Instant,
    count: u64,
    tokens: f64,
    at: Instant,
}

/// Why a key was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyRefusal {
    /// No key, an unknown or disabled one, or one of no usage plan of this stage: 403
    /// `Forbidden` (INVALID_API_KEY).
    Invalid,
    /// Over the plan's quota: 429 `Limit Exceeded` (QUOTA_EXCEEDED).
    Quota,
    /// Over the plan's rate: 429 `Too Many Requests` (THROTTLED).
    Throttled,
}

impl ApiKeys {
    /// The keys (with their values) and plans.
    pub fn new(keys: Vec<ApiKey>, plans: Vec<UsagePlan>) -> ApiKeys {
        ApiKeys {
            keys,
            plans,
            usage: Mutex::new(HashMap::new()),
        }
    }

    /// The keys, for the start-up listing.
    pub fn keys(&self) -> &[ApiKey] {
        &self.keys
    }

    /// Checks `value` for a method of `api_id`/`stage`: the key's (id, value), or the refusal.
    /// A request counts against the quota and the rate of the first plan that admits it.
    pub fn check(
        &self,
        value: Option<&str>,
        api_id: &str,
        stage: &str,
    ) -> Result<(String, String), KeyRefusal> {
        let value = value.filter(|v| !v.is_empty()).ok_or(KeyRefusal::Invalid)?;
        let key = self
            .keys
            .iter()
            .find(|k| {
                k.enabled
                    && k.value.as_deref().is_some_and(|v| {
                        common::digest::constant_time_eq(v.as_bytes(), value.as_bytes())
                    })
            })
            .ok_or(KeyRefusal::Invalid)?;
        let plan = self
            .plans
            .iter()
            .find(|p| {
                p.keys.contains(&key.id) && p.stages.iter().any(|(a, s)| a == api_id && s == stage)
            })
            .ok_or(KeyRefusal::Invalid)?;
        let now = Instant::now();
        let mut usage = self.usage.lock().unwrap_or_else(|e| e.into_inner());
        let u = usage
            .entry((plan.id.clone(), key.id.clone()))
            .or_insert(Usage {
                window_start: now,
                count: 0,
                tokens: plan.throttle.map_or(0.0, |t| t.burst as f64),
                at: now,
            });
        if let Some(q) = plan.quota {
            // A rolling window from the key's first request (AWS's windows looked rolling in
            // captures; aws-behaviour-3-iam.md §3, unsure); a month is taken as 30 days.
            let period = match q.period {
                Period::Day => 86_400,
                Period::Week => 7 * 86_400,
                Period::Month => 30 * 86_400,
            };
            if now.duration_since(u.window_start).as_secs() >= period {
                u.window_start = now;
                u.count = 0;
            }
            if u.count >= q.limit {
                return Err(KeyRefusal::Quota);
            }
        }
        if let Some(t) = plan.throttle {
            let elapsed = now.duration_since(u.at).as_secs_f64();
            u.tokens = (u.tokens + elapsed * t.rate).min(t.burst.max(1) as f64);
            u.at = now;
            if u.tokens < 1.0 {
                return Err(KeyRefusal::Throttled);
            }
            u.tokens -= 1.0;
        }
        // Refused requests do not count against the quota.
        u.count += 1;
        Ok((key.id.clone(), value.to_string()))
    }
}

/// The request's headers as (name, value) pairs, for the IAM port.
pub(crate) fn header_pairs(parts: &Parts) -> Vec<(&str, &str)> {
    parts
        .headers
        .iter()
        .filter_map(|(n, v)| Some((n.as_str(), v.to_str().ok()?)))
        .collect()
}

/// The event's identity for an IAM caller.
pub(crate) fn iam_identity(c: &IamCaller) -> Identity {
    Identity {
        access_key: Some(c.access_key.clone()),
        account_id: Some(c.account_id.clone()),
        caller: Some(c.user_id.clone()),
        user_arn: Some(c.user_arn.clone()),
        api_key: None,
        api_key_id: None,
        cognito: c.cognito.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::{Quota, Throttle};

    fn keys(quota: Option<Quota>, throttle: Option<Throttle>) -> ApiKeys {
        ApiKeys::new(
            vec![
                ApiKey {
                    logical_id: "K".into(),
                    id: "k1".into(),
                    name: "K".into(),
                    value: Some("a-key-of-twenty-chars".into()),
                    enabled: true,
                },
                ApiKey {
                    logical_id: "Off".into(),
                    id: "k2".into(),
                    name: "Off".into(),
                    value: Some("a-disabled-key-value".into()),
                    enabled: false,
                },
            ],
            vec![UsagePlan {
                logical_id: "P".into(),
                id: "p1".into(),
                stages: vec![("api1".into(), "Prod".into())],
                keys: vec!["k1".into(), "k2".into()],
                throttle,
                quota,
            }],
        )
    }

    #[test]
    fn the_api_arn_shorthand_is_written_out_in_resources_and_not_resources() {
        let p = serde_json::json!({"Statement": [
            {"Effect": "Allow", "Resource": ["execute-api:/Prod/GET/", "arn:aws:execute-api:*:*:*"]},
            {"Effect": "Deny", "NotResource": "execute-api:/*/POST/x"},
        ]});
        let e = expand_policy(&p, "arn:aws:execute-api:eu-west-1:123456789012:abc");
        assert_eq!(
            e["Statement"][0]["Resource"],
            serde_json::json!([
                "arn:aws:execute-api:eu-west-1:123456789012:abc/Prod/GET/",
                "arn:aws:execute-api:*:*:*"
            ])
        );
        assert_eq!(
            e["Statement"][1]["NotResource"],
            "arn:aws:execute-api:eu-west-1:123456789012:abc/*/POST/x"
        );
        let one = expand_policy(
            &serde_json::json!({"Statement": {"Resource": "execute-api:/a"}}),
            "arn:x",
        );
        assert_eq!(one["Statement"]["Resource"], "arn:x/a");
    }

    #[test]
    fn an_anonymous_refusal_masks_the_account_as_aws_does() {
        let r = anonymous_refusal(
            "arn:aws:execute-api:us-west-2:123456787089:u1hp5d8r0b/api/GET/prod",
            "123456787089",
            false,
        );
        assert_eq!(
            r.message,
            "User: anonymous is not authorized to perform: execute-api:Invoke on resource: arn:aws:execute-api:us-west-2:********7089:u1hp5d8r0b/api/GET/prod"
        );
        assert!(
            anonymous_refusal("arn:a:b:c:1234:x", "1234", true)
                .message
                .ends_with(" with an explicit deny")
        );
    }

    #[test]
    fn a_key_must_exist_be_enabled_and_be_in_a_plan_of_the_stage() {
        let k = keys(None, None);
        assert_eq!(k.check(None, "api1", "Prod"), Err(KeyRefusal::Invalid));
        assert_eq!(
            k.check(Some("wrong"), "api1", "Prod"),
            Err(KeyRefusal::Invalid)
        );
        assert_eq!(
            k.check(Some("a-disabled-key-value"), "api1", "Prod"),
            Err(KeyRefusal::Invalid)
        );
        assert_eq!(
            k.check(Some("a-key-of-twenty-chars"), "api1", "Dev"),
            Err(KeyRefusal::Invalid)
        );
        assert_eq!(
            k.check(Some("a-key-of-twenty-chars"), "api1", "Prod"),
            Ok(("k1".into(), "a-key-of-twenty-chars".into()))
        );
    }

    #[test]
    fn the_quota_and_the_rate_answer_429() {
        let k = keys(
            Some(Quota {
                limit: 2,
                period: Period::Day,
            }),
            None,
        );
        let v = Some("a-key-of-twenty-chars");
        assert!(k.check(v, "api1", "Prod").is_ok());
        assert!(k.check(v, "api1", "Prod").is_ok());
        assert_eq!(k.check(v, "api1", "Prod"), Err(KeyRefusal::Quota));
        let t = keys(
            None,
            Some(Throttle {
                burst: 1,
                rate: 0.001,
            }),
        );
        assert!(t.check(v, "api1", "Prod").is_ok());
        assert_eq!(t.check(v, "api1", "Prod"), Err(KeyRefusal::Throttled));
    }
}
