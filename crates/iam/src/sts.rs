//! STS, as botocore's `sts` model describes it: the Query protocol (`Action=…&Version=2011-06-15`
//! form-encoded in a POST body, or in a GET's query), XML answers in
//! `https://sts.amazonaws.com/doc/2011-06-15/`, errors as `<ErrorResponse><Error><Type>`,
//! `<Code>`, `<Message>`. Every operation here is SigV4-signed (service `sts`) by a key of the
//! local account.
//!
//! - `GetCallerIdentity`: who signed (never denied, as on AWS).
//! - `AssumeRole`: a session of a template role, when its trust policy admits the caller (a
//!   named principal directly; a whole account, `*` only with the caller's own policies also
//!   allowing `sts:AssumeRole`), with session tags (`sts:TagSession` must be allowed too),
//!   transitive tags, a session policy, `DurationSeconds` within the role's maximum (1 hour
//!   when a role session assumes a role).
//! - `GetSessionToken`: temporary credentials of a user (not of a role session).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use serde_json::Value as Json;

use crate::principals::{self, Principal, Session};
use crate::{Authenticated, Decision, Iam, Key, Request, sigv4};

/// XML character data: `&`, `<` and `>` escaped (quotes stay as they are, as AWS sends them).
fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// STS's XML namespace.
pub const NAMESPACE: &str = "https://sts.amazonaws.com/doc/2011-06-15/";

/// An STS error: its HTTP status, `Code` and `Message` (`Type` is `Sender` for a status below
/// 500).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StsError {
    /// HTTP status.
    pub status: u16,
    /// `Code`.
    pub code: &'static str,
    /// `Message`.
    pub message: String,
}

impl StsError {
    fn new(status: u16, code: &'static str, message: impl Into<String>) -> StsError {
        StsError {
            status,
            code,
            message: message.into(),
        }
    }

    fn validation(message: impl Into<String>) -> StsError {
        StsError::new(400, "ValidationError", message)
    }

    fn denied(who: &Principal, action: &str, role_arn: &str) -> StsError {
        StsError::new(
            403,
            "AccessDenied",
            format!(
                "User: {} is not authorized to perform: {action} on resource: {role_arn}",
                who.arn
            ),
        )
    }

    /// A signature refusal in STS's words: the same texts as every service, the codes of the
    /// Query protocol (API Gateway's `…Exception` types without the suffix, and STS's names
    /// for the key and the token).
    pub fn from_refusal(r: &sigv4::Refusal) -> StsError {
        let (status, code, message) = match r.error_type {
            "MissingAuthenticationTokenException" => (
                403,
                "MissingAuthenticationToken",
                "Request is missing Authentication Token".to_string(),
            ),
            "IncompleteSignatureException" => (400, "IncompleteSignature", r.message.clone()),
            "UnrecognizedClientException" => (403, "InvalidClientTokenId", r.message.clone()),
            "ExpiredTokenException" => (403, "ExpiredToken", r.message.clone()),
            // STS answers a signature mismatch with its first paragraph only (API Gateway adds
            // the canonical request and the string to sign).
            _ => (
                403,
                "SignatureDoesNotMatch",
                r.message
                    .split("\n\n")
                    .next()
                    .unwrap_or_default()
                    .to_string(),
            ),
        };
        StsError::new(status, code, message)
    }

    /// `<ErrorResponse>`.
    pub fn to_xml(&self, request_id: &str) -> String {
        let kind = if self.status >= 500 {
            "Receiver"
        } else {
            "Sender"
        };
        format!(
            "<ErrorResponse xmlns=\"{NAMESPACE}\">\n  <Error>\n    <Type>{kind}</Type>\n    <Code>{}</Code>\n    <Message>{}</Message>\n  </Error>\n  <RequestId>{request_id}</RequestId>\n</ErrorResponse>\n",
            self.code,
            esc(&self.message)
        )
    }
}

/// A request's parameters, by name (`Tags.member.1.Key`, …).
pub type Params = BTreeMap<String, String>;

/// Runs the operation `params["Action"]` for `who` (signed, from `source_ip`): the `<Result>`
/// element's content, or the error.
pub fn call(
    iam: &Iam,
    who: &Authenticated,
    params: &Params,
    source_ip: Option<&str>,
) -> Result<(String, String), StsError> {
    let action = params.get("Action").map(String::as_str).unwrap_or_default();
    if let Some(v) = params.get("Version")
        && v != "2011-06-15"
    {
        return Err(StsError::new(
            400,
            "InvalidAction",
            format!("Could not find operation {action} for version {v}"),
        ));
    }
    let p = &who.key.principal;
    let body = match action {
        "GetCallerIdentity" => format!(
            "<Arn>{}</Arn><UserId>{}</UserId><Account>{}</Account>",
            esc(&p.arn),
            esc(&p.user_id),
            esc(&p.account)
        ),
        "AssumeRole" => assume_role(iam, p, params, source_ip)?,
        "GetSessionToken" => get_session_token(iam, who, params)?,
        "" => {
            return Err(StsError::new(
                400,
                "MissingAction",
                "Missing Action parameter",
            ));
        }
        other => {
            return Err(StsError::new(
                400,
                "InvalidAction",
                format!("Could not find operation {other} for version 2011-06-15"),
            ));
        }
    };
    Ok((action.to_string(), body))
}

/// `AssumeRoleWithWebIdentity`, which is not signed: the token is the caller's proof. The
/// tokens accepted are the identity pools' OpenID tokens (`GetOpenIdToken`, the classic flow),
/// for roles whose trust policy allows `sts:AssumeRoleWithWebIdentity` by the federated
/// principal `cognito-identity.amazonaws.com` with its `aud`/`sub`/`amr`. Any other token
/// needs an IAM OpenID Connect provider for its issuer, which the local account does not have
/// (AWS answers that case `InvalidIdentityToken`, as here).
pub fn assume_role_with_web_identity(
    iam: &Iam,
    pools: Option<&crate::identitypools::IdentityPools>,
    params: &Params,
) -> Result<(String, String), StsError> {
    use crate::identitypools::{FEDERATED, OpenIdRefusal};
    let role_arn = required(params, "RoleArn", "roleArn")?;
    let session_name = session_name(params)?;
    let token = required(params, "WebIdentityToken", "webIdentityToken")?;
    // botocore's documentation of the two errors is their text.
    let invalid = || {
        StsError::new(
            400,
            "InvalidIdentityToken",
            "The web identity token that was passed could not be validated by Amazon Web Services. Get a new identity token from the identity provider and then retry the request.",
        )
    };
    let issuer = common::jwt::peek_claims(token)
        .and_then(|c| c["iss"].as_str().map(str::to_string))
        .ok_or_else(invalid)?;
    if issuer != format!("https://{FEDERATED}") {
        return Err(StsError::new(
            400,
            "InvalidIdentityToken",
            format!("No OpenIDConnect provider found in your account for {issuer}"),
        ));
    }
    let claims = match pools.map(|p| p.verify_open_id_token(token)) {
        Some(Ok(c)) => c,
        Some(Err(OpenIdRefusal::Expired)) => {
            return Err(StsError::new(
                400,
                "ExpiredTokenException",
                "The web identity token that was passed is expired or is not valid. Get a new identity token from the identity provider and then retry the request.",
            ));
        }
        _ => return Err(invalid()),
    };
    let aud = claims["aud"].as_str().unwrap_or_default();
    let sub = claims["sub"].as_str().unwrap_or_default();
    let amr: Vec<String> = claims["amr"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Json::as_str)
        .map(str::to_string)
        .collect();
    let denied = || {
        StsError::new(
            403,
            "AccessDenied",
            "Not authorized to perform sts:AssumeRoleWithWebIdentity",
        )
    };
    let role = iam.role(role_arn).cloned().ok_or_else(denied)?;
    if !iam.web_identity_may_assume(&role, FEDERATED, aud, sub, &amr) {
        return Err(denied());
    }
    let d = duration(params, 900, 43200, 3600)?;
    if d > role.max_session_secs {
        return Err(StsError::validation(
            "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.",
        ));
    }
    let policy = session_policy(params)?;
    let policy_arns = members(params, "PolicyArns", ".arn");
    let session_policies = session_bounds(iam, policy.as_ref(), &policy_arns);
    let authenticated = amr.iter().any(|a| a == "authenticated");
    let provider = amr
        .get(1)
        .zip(amr.get(2))
        .map(|(p, login)| format!("{p},{login}"));
    let session = Session {
        role: Arc::clone(&role),
        name: session_name.to_string(),
        tags: BTreeMap::new(),
        transitive: BTreeSet::new(),
        policies: session_policies,
        web_identity: Some(crate::WebIdentity {
            identity_id: sub.to_string(),
            pool_id: aud.to_string(),
            authenticated,
            provider,
            amr,
        }),
    };
    let (c, principal) = iam.issue_session(session, d);
    let out = format!(
        "{}<SubjectFromWebIdentityToken>{}</SubjectFromWebIdentityToken><AssumedRoleUser><AssumedRoleId>{}</AssumedRoleId><Arn>{}</Arn></AssumedRoleUser><Provider>{FEDERATED}</Provider><Audience>{}</Audience>",
        credentials_xml(&c),
        esc(sub),
        esc(&principal.user_id),
        esc(&principal.arn),
        esc(aud)
    );
    Ok(("AssumeRoleWithWebIdentity".to_string(), out))
}

/// `Policy`: a session policy document, if given.
fn session_policy(params: &Params) -> Result<Option<Json>, StsError> {
    match params.get("Policy") {
        Some(text) if text.chars().count() > 2048 => Err(StsError::validation(
            "1 validation error detected: Value at 'policy' failed to satisfy constraint: Member must have length less than or equal to 2048",
        )),
        Some(text) => match serde_json::from_str::<Json>(text) {
            Ok(doc) if doc.is_object() => Ok(Some(doc)),
            _ => Err(StsError::new(
                400,
                "MalformedPolicyDocument",
                "The policy is not in the valid JSON format.",
            )),
        },
        None => Ok(None),
    }
}

/// Session policies together bound a session; an ARN this stack does not hold (AWS's managed
/// policies are not known locally) adds nothing to them, so it can only refuse.
fn session_bounds(iam: &Iam, policy: Option<&Json>, arns: &[&str]) -> Option<Vec<Json>> {
    (policy.is_some() || !arns.is_empty()).then(|| {
        policy
            .into_iter()
            .cloned()
            .chain(arns.iter().filter_map(|a| iam.managed_policy(a).cloned()))
            .collect()
    })
}

/// `RoleSessionName`: 2 to 64 of `[\w+=,.@-]`.
fn session_name(params: &Params) -> Result<&str, StsError> {
    let name = required(params, "RoleSessionName", "roleSessionName")?;
    if !principals::valid_session_name(name) {
        return Err(StsError::validation(format!(
            "1 validation error detected: Value '{name}' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*"
        )));
    }
    Ok(name)
}

/// The session tags a request asks for: `Tags.member.N.Key`/`.Value` and `TransitiveTagKeys`.
struct AskedTags<'a> {
    keys: Vec<&'a str>,
    values: Vec<&'a str>,
    transitive: Vec<&'a str>,
}

/// The request's tags, checked as botocore's sts model and STS check them: at most 50, keys
/// 1-128 and values 0-256 characters of `[\p{L}\p{Z}\p{N}_.:/=+\-@]*`, keys
/// case-insensitive (two that differ only in case are one key given twice), at most 50
/// transitive keys.
fn requested_tags(params: &Params) -> Result<AskedTags<'_>, StsError> {
    let keys = members(params, "Tags", ".Key");
    let values = members(params, "Tags", ".Value");
    if keys.len() != values.len() {
        return Err(StsError::validation(
            "1 validation error detected: Value null at 'tags' failed to satisfy constraint: Member must not be null",
        ));
    }
    if keys.len() > 50 {
        return Err(StsError::validation(format!(
            "1 validation error detected: Value '[…]' at 'tags' failed to satisfy constraint: Member must have length less than or equal to 50 (got {})",
            keys.len()
        )));
    }
    let tag_chars = |s: &str| {
        s.chars()
            .all(|c| c.is_alphanumeric() || c.is_whitespace() || "_.:/=+-@".contains(c))
    };
    for (i, (k, v)) in keys.iter().zip(&values).enumerate() {
        if k.is_empty() || k.chars().count() > 128 || !tag_chars(k) {
            return Err(StsError::validation(format!(
                "1 validation error detected: Value '{k}' at 'tags.{}.member.key' failed to satisfy constraint: Member must have length less than or equal to 128 and satisfy regular expression pattern: [\\p{{L}}\\p{{Z}}\\p{{N}}_.:/=+\\-@]+",
                i + 1
            )));
        }
        if v.chars().count() > 256 || !tag_chars(v) {
            return Err(StsError::validation(format!(
                "1 validation error detected: Value '{v}' at 'tags.{}.member.value' failed to satisfy constraint: Member must have length less than or equal to 256 and satisfy regular expression pattern: [\\p{{L}}\\p{{Z}}\\p{{N}}_.:/=+\\-@]*",
                i + 1
            )));
        }
    }
    let mut seen = BTreeSet::new();
    if !keys.iter().all(|k| seen.insert(k.to_lowercase())) {
        return Err(StsError::new(
            400,
            "InvalidParameterValue",
            "Duplicate tag keys found. Please note that Tag keys are case insensitive.",
        ));
    }
    let transitive_keys = members(params, "TransitiveTagKeys", "");
    if transitive_keys.len() > 50 {
        return Err(StsError::validation(
            "1 validation error detected: Value at 'transitiveTagKeys' failed to satisfy constraint: Member must have length less than or equal to 50",
        ));
    }
    Ok(AskedTags {
        keys,
        values,
        transitive: transitive_keys,
    })
}

/// The new session's tags and transitive keys (lower case): the caller's transitive tags pass
/// on and cannot be set again, then the request's.
fn session_tags(
    asked: &AskedTags<'_>,
    inherited: Option<&Session>,
) -> Result<(BTreeMap<String, String>, BTreeSet<String>), StsError> {
    let (keys, values, transitive_keys) = (&asked.keys, &asked.values, &asked.transitive);
    // The caller's transitive tags pass on, and cannot be overridden.
    let mut tags: BTreeMap<String, String> = BTreeMap::new();
    let mut transitive: BTreeSet<String> = BTreeSet::new();
    if let Some(s) = inherited {
        for (k, v) in &s.tags {
            if s.transitive.contains(&k.to_ascii_lowercase()) {
                tags.insert(k.clone(), v.clone());
                transitive.insert(k.to_ascii_lowercase());
            }
        }
    }
    for (k, v) in keys.iter().zip(values) {
        if transitive.contains(&k.to_ascii_lowercase()) {
            return Err(StsError::new(
                400,
                "InvalidParameterValue",
                format!(
                    "The tag key {k} is a transitive tag of the calling session and cannot be set again."
                ),
            ));
        }
        tags.insert((*k).to_string(), (*v).to_string());
    }
    for k in transitive_keys {
        if !keys.iter().any(|t| t.eq_ignore_ascii_case(k)) {
            return Err(StsError::new(
                400,
                "InvalidParameterValue",
                format!("The transitive tag key {k} is not one of the session tags."),
            ));
        }
        transitive.insert(k.to_ascii_lowercase());
    }
    Ok((tags, transitive))
}

/// The values a trust policy's conditions see: `sts:RoleSessionName`, `sts:ExternalId`,
/// `aws:TagKeys`, `aws:RequestTag/<k>`, `sts:TransitiveTagKeys`.
fn trust_context(
    session_name: &str,
    params: &Params,
    asked: &AskedTags<'_>,
) -> Vec<(String, Vec<String>)> {
    let (keys, values, transitive_keys) = (&asked.keys, &asked.values, &asked.transitive);
    let mut extra: Vec<(String, Vec<String>)> =
        vec![("sts:rolesessionname".into(), vec![session_name.to_string()])];
    if let Some(e) = params.get("ExternalId") {
        extra.push(("sts:externalid".into(), vec![e.clone()]));
    }
    if !keys.is_empty() {
        extra.push((
            "aws:tagkeys".into(),
            keys.iter().map(|k| (*k).to_string()).collect(),
        ));
        for (k, v) in keys.iter().zip(values) {
            extra.push((
                format!("aws:requesttag/{}", k.to_ascii_lowercase()),
                vec![(*v).to_string()],
            ));
        }
    }
    if !transitive_keys.is_empty() {
        extra.push((
            "sts:transitivetagkeys".into(),
            transitive_keys.iter().map(|k| (*k).to_string()).collect(),
        ));
    }
    extra
}

/// `<{Action}Response>` around a result.
pub fn response_xml(action: &str, result: &str, request_id: &str) -> String {
    format!(
        "<{action}Response xmlns=\"{NAMESPACE}\">\n  <{action}Result>{result}</{action}Result>\n  <ResponseMetadata>\n    <RequestId>{request_id}</RequestId>\n  </ResponseMetadata>\n</{action}Response>\n"
    )
}

fn required<'a>(params: &'a Params, name: &str, member: &str) -> Result<&'a str, StsError> {
    params.get(name).map(String::as_str).ok_or_else(|| {
        StsError::validation(format!(
            "1 validation error detected: Value null at '{member}' failed to satisfy constraint: Member must not be null"
        ))
    })
}

/// `DurationSeconds` within `min..=max`, else `default`.
fn duration(params: &Params, min: i64, max: i64, default: i64) -> Result<i64, StsError> {
    let Some(text) = params.get("DurationSeconds") else {
        return Ok(default);
    };
    let d: i64 = text.parse().map_err(|_| {
        StsError::validation(format!(
            "1 validation error detected: Value '{text}' at 'durationSeconds' failed to satisfy constraint: Member must be a number"
        ))
    })?;
    if d < min {
        return Err(StsError::validation(format!(
            "1 validation error detected: Value '{d}' at 'durationSeconds' failed to satisfy constraint: Member must have value greater than or equal to {min}"
        )));
    }
    if d > max {
        return Err(StsError::validation(format!(
            "1 validation error detected: Value '{d}' at 'durationSeconds' failed to satisfy constraint: Member must have value less than or equal to {max}"
        )));
    }
    Ok(d)
}

/// `Name.member.1`, `Name.member.2`, … (with `suffix`: `Name.member.1.Key`).
fn members<'a>(params: &'a Params, name: &str, suffix: &str) -> Vec<&'a str> {
    (1..)
        .map_while(|i| params.get(&format!("{name}.member.{i}{suffix}")))
        .map(String::as_str)
        .collect()
}

fn credentials_xml(c: &principals::Credentials) -> String {
    format!(
        "<Credentials><AccessKeyId>{}</AccessKeyId><SecretAccessKey>{}</SecretAccessKey><SessionToken>{}</SessionToken><Expiration>{}</Expiration></Credentials>",
        c.access_key,
        esc(&c.secret),
        esc(&c.session_token),
        common::date::iso8601(c.expiration)
    )
}

fn assume_role(
    iam: &Iam,
    who: &Principal,
    params: &Params,
    source_ip: Option<&str>,
) -> Result<String, StsError> {
    let role_arn = required(params, "RoleArn", "roleArn")?;
    let session_name = session_name(params)?;
    let asked = requested_tags(params)?;
    // botocore's model: ExternalId 2-1224 characters, SourceIdentity 2-256 of `[\w+=,.@-]`.
    if let Some(e) = params.get("ExternalId")
        && !(2..=1224).contains(&e.chars().count())
    {
        return Err(StsError::validation(format!(
            "1 validation error detected: Value '{e}' at 'externalId' failed to satisfy constraint: Member must have length between 2 and 1224"
        )));
    }
    let source_identity = params.get("SourceIdentity");
    if let Some(s) = source_identity
        && !((2..=256).contains(&s.len())
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"_+=,.@-".contains(&b)))
    {
        return Err(StsError::validation(format!(
            "1 validation error detected: Value '{s}' at 'sourceIdentity' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*"
        )));
    }
    let inherited = who.session.as_ref();
    let (tags, transitive) = session_tags(&asked, inherited)?;
    let policy = session_policy(params)?;
    let policy_arns = members(params, "PolicyArns", ".arn");
    let extra = trust_context(session_name, params, &asked);
    let request = Request {
        source_ip,
        extra,
        ..Request::default()
    };
    // An unknown role is refused as one the caller may not assume (AWS does not say which).
    let Some(role) = iam.role(role_arn).cloned() else {
        return Err(StsError::denied(who, "sts:AssumeRole", role_arn));
    };
    if !trusts(iam, who, &role.trust, &role.arn, "sts:AssumeRole", &request) {
        return Err(StsError::denied(who, "sts:AssumeRole", role_arn));
    }
    if !asked.keys.is_empty()
        && !trusts(iam, who, &role.trust, &role.arn, "sts:TagSession", &request)
    {
        return Err(StsError::denied(who, "sts:TagSession", role_arn));
    }
    // A source identity needs sts:SetSourceIdentity as a tag needs sts:TagSession. (It is
    // not kept on the session: a chained session could set another one, where AWS keeps the
    // first.)
    if source_identity.is_some()
        && !trusts(
            iam,
            who,
            &role.trust,
            &role.arn,
            "sts:SetSourceIdentity",
            &request,
        )
    {
        return Err(StsError::denied(who, "sts:SetSourceIdentity", role_arn));
    }
    let chained = inherited.is_some();
    let max = if chained { 3600 } else { role.max_session_secs };
    let d = duration(params, 900, 43200, 3600)?;
    if d > max {
        return Err(StsError::validation(if chained {
            "The requested DurationSeconds exceeds the 1 hour session limit for roles assuming roles."
        } else {
            "The requested DurationSeconds exceeds the MaxSessionDuration set for this role."
        }));
    }
    let session_policies = session_bounds(iam, policy.as_ref(), &policy_arns);
    let packed = policy.is_some() || !tags.is_empty();
    // A percentage of the space AWS packs session policies and tags into; its packing is not
    // documented, so this estimates it (2048 characters for the whole), refusing past 100 %
    // as AWS does with PackedPolicyTooLarge.
    let packed_size = (params.get("Policy").map_or(0, String::len)
        + tags
            .iter()
            .map(|(k, v)| k.len() + v.len() + 8)
            .sum::<usize>())
        * 100
        / 2048;
    if packed_size > 100 {
        return Err(StsError::new(
            400,
            "PackedPolicyTooLarge",
            format!(
                "Packed policy consumes {packed_size}% of allotted space, please use smaller policy."
            ),
        ));
    }
    let session = Session {
        role: Arc::clone(&role),
        name: session_name.to_string(),
        tags,
        transitive,
        policies: session_policies,
        web_identity: None,
    };
    let (c, principal) = iam.issue_session(session, d);
    let mut out = credentials_xml(&c);
    out.push_str(&format!(
        "<AssumedRoleUser><AssumedRoleId>{}</AssumedRoleId><Arn>{}</Arn></AssumedRoleUser>",
        esc(&principal.user_id),
        esc(&principal.arn)
    ));
    if packed {
        out.push_str(&format!(
            "<PackedPolicySize>{}</PackedPolicySize>",
            packed_size.max(1)
        ));
    }
    if let Some(s) = params.get("SourceIdentity") {
        out.push_str(&format!("<SourceIdentity>{}</SourceIdentity>", esc(s)));
    }
    Ok(out)
}

/// Whether a role's trust policy lets `who` do `action` on the role: the trust policy must
/// allow it and nothing may deny it; a statement that admits the caller by name suffices, one
/// that admits its account (or `*`) needs the caller's own policies to allow it too (IAM user
/// guide, "Cross account resource access": the account delegates to its principals).
pub(crate) fn trusts(
    iam: &Iam,
    who: &Principal,
    trust: &Json,
    role_arn: &str,
    action: &str,
    request: &Request<'_>,
) -> bool {
    let all = iam.decide(Some(who), action, role_arn, request, Some(trust), false);
    if all != Decision::Allow {
        return false;
    }
    let mut anonymous_self = who.clone();
    anonymous_self.policies.clear();
    let by_trust = iam.decide(
        Some(&anonymous_self),
        action,
        role_arn,
        request,
        Some(trust),
        false,
    );
    if by_trust != Decision::Allow {
        return false;
    }
    let by_name = iam.decide(
        Some(&anonymous_self),
        action,
        role_arn,
        request,
        Some(trust),
        true,
    );
    by_name == Decision::Allow
        || iam.decide(Some(who), action, role_arn, request, None, false) == Decision::Allow
}

fn get_session_token(iam: &Iam, who: &Authenticated, params: &Params) -> Result<String, StsError> {
    let p = &who.key.principal;
    if p.session.is_some() || who.key.session_token.is_some() {
        return Err(StsError::new(
            403,
            "AccessDenied",
            "Cannot call GetSessionToken with session credentials",
        ));
    }
    let d = duration(params, 900, 129_600, 43_200)?;
    let c = principals::Credentials::random(crate::now() + d);
    iam.add_key(Key {
        access_key: c.access_key.clone(),
        secret: c.secret.clone(),
        session_token: Some(c.session_token.clone()),
        expires: Some(c.expiration),
        principal: Arc::clone(p),
    });
    Ok(credentials_xml(&c))
}

#[cfg(test)]
mod tests;
