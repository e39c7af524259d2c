//! Lambda authorizers, REST (TOKEN and REQUEST) and HTTP API (payload 1.0 and 2.0): the
//! identity is read (every source present and non-empty, a TOKEN matching its validation
//! expression, else 401 without invoking), a decision cached for the same identity is reused
//! (its policy evaluated again against each request's ARN, as AWS does), else the function is
//! invoked through the [`Invoke`](crate::Invoke) port and its answer parsed: an IAM policy
//! (`principalId`, `policyDocument`, `context`) or, on an HTTP API with simple responses,
//! `{"isAuthorized", "context"}`. Errors are not cached; Allow and Deny are.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Map, Value as Json};

use crate::InvokeError;
use crate::spec::{IdentitySource, LambdaAuthorizer};

/// What the authorizer function answered, parsed once and cached for its TTL.
#[derive(Debug)]
pub(crate) struct Decision {
    /// `principalId` (IAM policy answers).
    pub(crate) principal_id: Option<String>,
    /// The policy's statements; `None` for a simple answer.
    statements: Option<Vec<Statement>>,
    /// A simple answer's `isAuthorized`.
    authorized: bool,
    /// `context`.
    pub(crate) context: Map<String, Json>,
    /// `usageIdentifierKey`: the API key of a method whose API reads keys from its authorizer.
    pub(crate) usage_key: Option<String>,
}

#[derive(Debug)]
struct Statement {
    allow: bool,
    actions: Vec<String>,
    resources: Vec<String>,
    /// A statement with a `Condition` (not evaluated locally): an Allow with one never
    /// matches, a Deny with one always does, so it can only refuse more than AWS would.
    conditional: bool,
}

/// How an authorizer decided.
#[derive(Debug)]
pub(crate) enum Outcome {
    /// Go on, with the decision's principal and context.
    Allow(Arc<Decision>),
    /// 401: an identity source missing or empty, a token not matching the validation
    /// expression, or the function failing with the message `Unauthorized`.
    Unauthorized,
    /// 403: an explicit Deny (`true`), or no Allow matching (`false`; also a simple
    /// `isAuthorized: false`).
    Denied(bool),
    /// 500: the function failed, timed out or answered something the gateway cannot use.
    Failed(String),
}

/// Decisions by authorizer and identity, bounded.
#[derive(Debug, Default)]
pub(crate) struct DecisionCache {
    map: Mutex<HashMap<String, (Instant, Arc<Decision>)>>,
    /// Compiled validation expressions (`None`: it did not compile).
    regexes: Mutex<HashMap<String, Option<Arc<regex_lite::Regex>>>>,
}

const CACHE_LIMIT: usize = 10_000;

impl DecisionCache {
    fn get(&self, key: &str) -> Option<Arc<Decision>> {
        let map = self
            .map
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        map.get(key)
            .filter(|(until, _)| *until > Instant::now())
            .map(|(_, d)| Arc::clone(d))
    }

    fn put(&self, key: String, ttl: Duration, d: Arc<Decision>) {
        let mut map = self
            .map
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if map.len() >= CACHE_LIMIT {
            let now = Instant::now();
            map.retain(|_, (until, _)| *until > now);
            if map.len() >= CACHE_LIMIT {
                map.clear();
            }
        }
        map.insert(key, (Instant::now() + ttl, d));
    }

    /// `identityValidationExpression` against a TOKEN authorizer's token or a Cognito token's
    /// `aud`: a full match. An expression that does
    /// not compile matches nothing (and says so once).
    pub(crate) fn validates(&self, expr: &str, token: &str) -> bool {
        let re = {
            let mut m = self
                .regexes
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            m.entry(expr.to_string())
                .or_insert_with(|| match regex_lite::Regex::new(&format!("^(?:{expr})$")) {
                    Ok(re) => Some(Arc::new(re)),
                    Err(e) => {
                        tracing::warn!(target: "gateway", "identityValidationExpression {expr:?} is not a regular expression ({e}): every token is refused");
                        None
                    }
                })
                .clone()
        };
        re.is_some_and(|re| re.is_match(token))
    }
}

/// `arn:aws:execute-api:<region>:<account>:<apiId>/<stage>/<VERB>/<path>`, the path without
/// its leading `/` (the root gives a trailing slash).
pub(crate) fn method_arn(
    region: &str,
    account: &str,
    api_id: &str,
    stage: &str,
    method: &str,
    path: &str,
) -> String {
    format!(
        "arn:aws:execute-api:{region}:{account}:{api_id}/{stage}/{method}/{}",
        path.trim_start_matches('/')
    )
}

/// The identity's values in source order; `None` when one is missing or empty (401).
/// `context` looks a context variable up (`routeKey`, `identity.sourceIp`, …).
pub(crate) fn identity_values(
    sources: &[IdentitySource],
    headers: &axum::http::HeaderMap,
    query: Option<&str>,
    mut context: impl FnMut(&str) -> Option<String>,
) -> Option<Vec<String>> {
    let mut out = Vec::with_capacity(sources.len());
    for s in sources {
        let v = match s {
            IdentitySource::Header(name) => {
                let mut values = headers.get_all(name.as_str()).iter();
                let first = values.next()?.to_str().ok()?.to_string();
                // Given twice: ambiguous, refused (AWS does not document it; refusing cannot
                // let through a request that should not pass).
                if values.next().is_some() {
                    return None;
                }
                first
            }
            IdentitySource::Query(name) => form_urlencoded::parse(query?.as_bytes())
                .find(|(k, _)| k == name.as_str())
                .map(|(_, v)| v.into_owned())?,
            // The local gateway has no stage variables.
            IdentitySource::StageVariable(_) => return None,
            IdentitySource::Context(name) => context(name)?,
        };
        if v.is_empty() {
            return None;
        }
        out.push(v);
    }
    Some(out)
}

/// A context variable from an event's `requestContext` (a dotted path), as text.
pub(crate) fn context_variable(request_context: &Json, name: &str) -> Option<String> {
    let mut v = request_context;
    for part in name.split('.') {
        v = v.get(part)?;
    }
    match v {
        Json::String(s) => Some(s.clone()),
        Json::Number(n) => Some(n.to_string()),
        Json::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// Whether the whole of `text` matches `pattern`, where `*` is any run of characters and `?`
/// any one (IAM's wildcards).
fn glob(pattern: &[u8], text: &[u8], fold_case: bool) -> bool {
    let eq = |a: u8, b: u8| {
        if fold_case {
            a.eq_ignore_ascii_case(&b)
        } else {
            a == b
        }
    };
    let (mut p, mut t) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        if p < pattern.len()
            && (pattern[p] == b'?' || (pattern[p] != b'*' && eq(pattern[p], text[t])))
        {
            p += 1;
            t += 1;
        } else if p < pattern.len() && pattern[p] == b'*' {
            star = Some((p, t));
            p += 1;
        } else if let Some((sp, st)) = star {
            p = sp + 1;
            t = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    pattern[p..].iter().all(|&c| c == b'*')
}

impl Decision {
    /// Whether the policy lets `arn` through: `Err(true)` for an explicit Deny, `Err(false)`
    /// when no Allow matches.
    pub(crate) fn permits(&self, arn: &str) -> Result<(), bool> {
        let Some(statements) = &self.statements else {
            return if self.authorized { Ok(()) } else { Err(false) };
        };
        let applies = |s: &Statement| {
            s.actions
                .iter()
                .any(|a| glob(a.as_bytes(), b"execute-api:Invoke", true))
                && s.resources
                    .iter()
                    .any(|r| glob(r.as_bytes(), arn.as_bytes(), false))
        };
        if statements
            .iter()
            .any(|s| !s.allow && (s.conditional || applies(s)))
        {
            return Err(true);
        }
        if statements
            .iter()
            .any(|s| s.allow && !s.conditional && applies(s))
        {
            Ok(())
        } else {
            Err(false)
        }
    }
}

fn string_or_list(v: &Json, what: &str) -> Result<Vec<String>, String> {
    match v {
        Json::String(s) => Ok(vec![s.clone()]),
        Json::Array(l) => l
            .iter()
            .map(|x| {
                x.as_str()
                    .map(str::to_string)
                    .ok_or_else(|| format!("{what} holds a value that is not a string"))
            })
            .collect(),
        _ => Err(format!("{what} is not a string or a list")),
    }
}

/// Parses the function's answer. `simple`: an HTTP API's `{"isAuthorized", "context"}`;
/// `flat_context`: REST, where context values must be strings, numbers, booleans or null.
pub(crate) fn parse(payload: &[u8], simple: bool, flat_context: bool) -> Result<Decision, String> {
    let v: Json =
        serde_json::from_slice(payload).map_err(|e| format!("the answer is not JSON: {e}"))?;
    let Json::Object(mut obj) = v else {
        return Err("the answer is not a JSON object".into());
    };
    let context = match obj.remove("context") {
        None | Some(Json::Null) => Map::new(),
        Some(Json::Object(c)) => c,
        Some(_) => return Err("context is not an object".into()),
    };
    if flat_context
        && let Some((k, _)) = context.iter().find(|(_, v)| v.is_object() || v.is_array())
    {
        return Err(format!(
            "context.{k} is an object or a list: only strings, numbers and booleans are allowed"
        ));
    }
    if simple {
        let authorized = match obj.get("isAuthorized") {
            Some(Json::Bool(b)) => *b,
            _ => return Err("isAuthorized is not a boolean".into()),
        };
        return Ok(Decision {
            principal_id: None,
            statements: None,
            authorized,
            context,
            usage_key: None,
        });
    }
    let principal_id = match obj.get("principalId") {
        Some(Json::String(s)) => s.clone(),
        Some(Json::Number(n)) => n.to_string(),
        _ => return Err("principalId is missing".into()),
    };
    let doc = obj
        .get("policyDocument")
        .and_then(Json::as_object)
        .ok_or("Unable to parse given policy: policyDocument is missing")?;
    let list = match doc.get("Statement") {
        Some(Json::Array(l)) => l.clone(),
        Some(s @ Json::Object(_)) => vec![s.clone()],
        _ => return Err("Unable to parse given policy: Statement is missing".into()),
    };
    let mut statements = Vec::with_capacity(list.len());
    for s in &list {
        let s = s
            .as_object()
            .ok_or("Unable to parse given policy: a Statement is not an object")?;
        let allow = match s.get("Effect").and_then(Json::as_str) {
            Some("Allow") => true,
            Some("Deny") => false,
            _ => return Err("Unable to parse given policy: Effect is not Allow or Deny".into()),
        };
        let conditional = match s.get("Condition") {
            None => false,
            Some(Json::Null) => {
                return Err("Unable to parse given policy: Condition is null".into());
            }
            Some(_) => {
                tracing::warn!(target: "gateway", "an authorizer's policy has a Condition, which is not evaluated locally: an Allow with one is not applied, a Deny is");
                true
            }
        };
        statements.push(Statement {
            allow,
            actions: string_or_list(s.get("Action").unwrap_or(&Json::Null), "Action")?,
            resources: string_or_list(s.get("Resource").unwrap_or(&Json::Null), "Resource")?,
            conditional,
        });
    }
    Ok(Decision {
        principal_id: Some(principal_id),
        statements: Some(statements),
        authorized: false,
        context,
        usage_key: obj
            .get("usageIdentifierKey")
            .and_then(Json::as_str)
            .map(str::to_string),
    })
}

/// One authorization: the identity (already read), the event to send on a cache miss.
pub(crate) struct Ask<'a> {
    /// The authorizer.
    pub(crate) authorizer: &'a LambdaAuthorizer,
    /// Cache scope: the API id and the authorizer's name.
    pub(crate) scope: String,
    /// The identity's values.
    pub(crate) identity: Vec<String>,
    /// The ARN the policy is evaluated against.
    pub(crate) arn: &'a str,
    /// REST: context values must be flat.
    pub(crate) rest: bool,
}

impl crate::Gateway {
    /// Decides `ask`, invoking the authorizer with `event()` unless a cached decision covers
    /// the identity.
    pub(crate) async fn lambda_authorize(
        &self,
        ask: Ask<'_>,
        event: impl FnOnce() -> Vec<u8>,
    ) -> (Outcome, Duration) {
        let a = ask.authorizer;
        if a.token
            && let Some(expr) = &a.validation
            && !self
                .decisions
                .validates(expr, ask.identity.first().map_or("", String::as_str))
        {
            return (Outcome::Unauthorized, Duration::ZERO);
        }
        let key = (a.ttl_secs > 0 && !ask.identity.is_empty()).then(|| {
            let mut k = ask.scope.clone();
            for v in &ask.identity {
                k.push('\0');
                k.push_str(v);
            }
            k
        });
        let cached = key.as_deref().and_then(|k| self.decisions.get(k));
        let started = Instant::now();
        let decision = match cached {
            Some(d) => d,
            None => {
                let out = tokio::time::timeout(
                    crate::INTEGRATION_TIMEOUT,
                    self.invoker.invoke(&a.function, event()),
                )
                .await;
                let payload = match out {
                    Ok(Ok(p)) => p,
                    Ok(Err(InvokeError::Function { message, .. })) if message == "Unauthorized" => {
                        return (Outcome::Unauthorized, started.elapsed());
                    }
                    Ok(Err(e)) => {
                        return (
                            Outcome::Failed(format!("{}: {e}", a.function)),
                            started.elapsed(),
                        );
                    }
                    Err(_) => {
                        return (
                            Outcome::Failed(format!("{}: no answer within 29 s", a.function)),
                            started.elapsed(),
                        );
                    }
                };
                let simple = a.simple_responses && a.payload_version == "2.0";
                match parse(&payload, simple, ask.rest) {
                    Ok(d) => {
                        let d = Arc::new(d);
                        if let Some(k) = key {
                            self.decisions
                                .put(k, Duration::from_secs(a.ttl_secs), Arc::clone(&d));
                        }
                        d
                    }
                    Err(why) => {
                        return (
                            Outcome::Failed(format!("{}: {why}", a.function)),
                            started.elapsed(),
                        );
                    }
                }
            }
        };
        let latency = started.elapsed();
        match decision.permits(ask.arn) {
            Ok(()) => (Outcome::Allow(decision), latency),
            Err(explicit) => (Outcome::Denied(explicit), latency),
        }
    }
}

/// `requestContext.authorizer` for a REST backend: the context with numbers and booleans as
/// strings, then `principalId` and `integrationLatency`.
pub(crate) fn rest_context(d: &Decision, latency: Duration) -> Json {
    let mut m = Map::with_capacity(d.context.len() + 2);
    for (k, v) in &d.context {
        let v = match v {
            Json::Number(n) => Json::String(n.to_string()),
            Json::Bool(b) => Json::String(b.to_string()),
            other => other.clone(),
        };
        m.insert(k.clone(), v);
    }
    m.insert(
        "principalId".into(),
        d.principal_id.clone().map_or(Json::Null, Json::String),
    );
    m.insert(
        "integrationLatency".into(),
        Json::from(u64::try_from(latency.as_millis()).unwrap_or(u64::MAX)),
    );
    Json::Object(m)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards_match_as_iam_does() {
        let arn = "arn:aws:execute-api:us-east-1:123:abc/prod/GET/pets/42";
        for p in [
            "arn:aws:execute-api:*:*:*",
            "arn:aws:execute-api:us-east-1:123:abc/*",
            "arn:aws:execute-api:us-east-1:123:abc/*/GET/*",
            "arn:aws:execute-api:us-east-1:123:abc/prod/GET/pets/??",
            "*",
            arn,
        ] {
            assert!(glob(p.as_bytes(), arn.as_bytes(), false), "{p}");
        }
        for p in [
            "arn:aws:execute-api:us-east-1:123:abc/prod/POST/*",
            "arn:aws:execute-api:us-east-1:123:abc/prod/GET/pets",
            "arn:aws:execute-api:us-east-1:123:abc/prod/GET/pets/?",
            "arn:aws:execute-api:us-east-1:123:ABC/*",
        ] {
            assert!(!glob(p.as_bytes(), arn.as_bytes(), false), "{p}");
        }
    }

    fn policy(statements: &str) -> Decision {
        parse(
            format!(r#"{{"principalId":"u","policyDocument":{{"Version":"2012-10-17","Statement":{statements}}},"context":{{"n":1,"b":true,"s":"x","z":null}}}}"#).as_bytes(),
            false,
            true,
        )
        .expect("a policy")
    }

    #[test]
    fn an_explicit_deny_wins_and_no_allow_is_an_implicit_deny() {
        let arn = "arn:aws:execute-api:r:1:api/prod/GET/a";
        let d = policy(
            r#"[{"Action":"execute-api:Invoke","Effect":"Allow","Resource":"arn:aws:execute-api:r:1:api/*"},{"Action":["execute-api:*"],"Effect":"Deny","Resource":["arn:aws:execute-api:r:1:api/prod/GET/a"]}]"#,
        );
        assert_eq!(d.permits(arn), Err(true));
        assert_eq!(d.permits("arn:aws:execute-api:r:1:api/prod/GET/b"), Ok(()));
        let d = policy(
            r#"{"Action":"execute-api:Invoke","Effect":"Allow","Resource":"arn:aws:execute-api:r:1:api/prod/GET/b"}"#,
        );
        assert_eq!(d.permits(arn), Err(false));
        let d = policy(r#"[{"Action":"s3:GetObject","Effect":"Allow","Resource":"*"}]"#);
        assert_eq!(
            d.permits(arn),
            Err(false),
            "another service's action does not allow"
        );
    }

    #[test]
    fn malformed_policies_are_configuration_errors() {
        for bad in [
            r#"{"principalId":"u","policyDocument":{"statement":[]}}"#,
            r#"{"principalId":"u","policyDocument":{"Statement":[{"effect":"Allow","Action":"*","Resource":"*"}]}}"#,
            r#"{"principalId":"u","policyDocument":{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*","Condition":null}]}}"#,
            r#"{"policyDocument":{"Statement":[]}}"#,
            r#"{"principalId":"u","policyDocument":{"Statement":[]},"context":{"o":{"a":1}}}"#,
            r#"null"#,
            r#"not json"#,
        ] {
            assert!(parse(bad.as_bytes(), false, true).is_err(), "{bad}");
        }
        // An HTTP API's context may hold objects.
        assert!(
            parse(
                br#"{"isAuthorized":true,"context":{"o":{"a":1},"l":[1]}}"#,
                true,
                false
            )
            .is_ok()
        );
        assert!(parse(br#"{"isAuthorized":"yes"}"#, true, false).is_err());
    }

    #[test]
    fn rest_context_turns_values_into_strings() {
        let d = policy(r#"[]"#);
        let c = rest_context(&d, Duration::from_millis(7));
        assert_eq!(
            c,
            serde_json::json!({"n":"1","b":"true","s":"x","z":null,"principalId":"u","integrationLatency":7})
        );
    }

    #[test]
    fn identity_sources_must_all_be_there() {
        let mut h = axum::http::HeaderMap::new();
        h.insert("authorization", "tok".parse().expect("value"));
        h.insert("x-empty", "".parse().expect("value"));
        let src = |s: &str| IdentitySource::parse(s).expect("a source");
        let ctx = serde_json::json!({"identity": {"sourceIp": "1.2.3.4"}, "routeKey": "GET /a"});
        let look = |n: &str| context_variable(&ctx, n);
        assert_eq!(
            identity_values(
                &[
                    src("method.request.header.Authorization"),
                    src("$request.querystring.q"),
                    src("context.identity.sourceIp"),
                    src("$context.routeKey")
                ],
                &h,
                Some("q=a%20b"),
                look
            ),
            Some(vec![
                "tok".into(),
                "a b".into(),
                "1.2.3.4".into(),
                "GET /a".into()
            ])
        );
        assert_eq!(
            identity_values(&[src("$request.header.x-empty")], &h, None, look),
            None
        );
        assert_eq!(
            identity_values(&[src("$request.header.x-missing")], &h, None, look),
            None
        );
        assert_eq!(
            identity_values(&[src("$request.querystring.q")], &h, None, look),
            None
        );
        h.append("authorization", "again".parse().expect("value"));
        assert_eq!(
            identity_values(&[src("$request.header.authorization")], &h, None, look),
            None
        );
    }

    #[test]
    fn validation_is_a_full_match() {
        let c = DecisionCache::default();
        assert!(c.validates("^Bearer [-0-9a-zA-Z._]*$", "Bearer abc.def"));
        assert!(c.validates("allow|deny", "allow"));
        assert!(!c.validates("allow|deny", "allowed"));
        assert!(!c.validates("(", "x"));
    }
}
