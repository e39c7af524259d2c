//! Where credentials come from: the local account's principals (its administrator, the
//! `--access-key` pairs), the template's roles with their policies, each function's execution
//! role session (the [`lambda::RoleCredentials`] port), and STS beside Cognito on one port.

use std::collections::HashMap;
use std::sync::Arc;

use anyhow::Context as _;
use axum::extract::Request;
use axum::response::IntoResponse;
use tower::ServiceExt;

use crate::stack::Config;

/// How long a function's role session lasts. Lambda does not document it; 12 hours (the
/// longest role session) is chosen, and an instance is replaced before its session ends
/// ([`lambda::CREDENTIALS_MARGIN_SECS`]).
const FUNCTION_SESSION_SECS: i64 = 43_200;

/// The local account: its administrator, with the key pair kept in the state dir (made on
/// first start), any `--access-key` pairs, and the template's roles with their policies
/// (managed policies the stack does not know are listed once in `warnings`).
pub fn local_iam(
    config: &Config,
    account: &str,
    app: &sam::App,
    warnings: &mut Vec<String>,
) -> anyhow::Result<iam::Iam> {
    let mut local = iam::Iam::new(account, &config.region);
    let (key, secret) = iam::admin_credentials(&config.state_dir).with_context(|| {
        format!(
            "cannot keep the local administrator's key pair in {}",
            config.state_dir.display()
        )
    })?;
    local.add_key(local.admin_key(&key, &secret));
    for a in &config.access_keys {
        let mut k = local.admin_key(&a.id, &a.secret);
        k.session_token.clone_from(&a.session_token);
        local.add_key(k);
    }
    for m in &app.managed_policies {
        local.add_managed_policy(&m.arn, m.document.clone());
    }
    let mut unknown: Vec<&str> = Vec::new();
    for r in &app.roles {
        let mut policies = r.policies.clone();
        for arn in &r.managed {
            match local.managed_policy(arn) {
                Some(doc) => policies.push(doc.clone()),
                None if arn == sam::roles::LAMBDA_BASIC_EXECUTION => {}
                None => unknown.push(arn),
            }
        }
        local.add_role(iam::Role {
            arn: r.arn.clone(),
            name: r.name.clone(),
            id: r.id.clone(),
            account: account.to_string(),
            trust: r.trust.clone(),
            policies,
            max_session_secs: r.max_session_secs,
            boundary: r.boundary.as_ref().map(|arn| {
                // A boundary the stack does not know bounds the role to nothing.
                local
                    .managed_policy(arn)
                    .cloned()
                    .unwrap_or_else(|| serde_json::json!({"Statement": []}))
            }),
        });
    }
    unknown.sort_unstable();
    unknown.dedup();
    if !unknown.is_empty() {
        warnings.push(format!(
            "managed policies not known locally, so they grant nothing here (only execute-api:Invoke and sts: calls are decided locally): {}",
            unknown.join(", ")
        ));
    }
    Ok(local)
}

/// Each function's role, as the [`lambda::RoleCredentials`] port: a new session of the role,
/// named after the function (as Lambda names it), for each instance.
#[derive(Debug)]
pub struct FunctionSessions {
    iam: Arc<iam::Iam>,
    roles: HashMap<String, Arc<iam::Role>>,
}

impl FunctionSessions {
    /// The sessions of `app`'s functions. A function whose role is not a role of the template
    /// runs with a session of a role that has no permissions; one whose role does not trust
    /// Lambda gets no credentials (on AWS it could not be created); both are said in
    /// `warnings`.
    pub fn new(iam: Arc<iam::Iam>, app: &sam::App, warnings: &mut Vec<String>) -> FunctionSessions {
        let mut roles = HashMap::new();
        for f in &app.functions {
            let Some(arn) = &f.role_arn else { continue };
            let role = match iam.role(arn) {
                Some(r) => Arc::clone(r),
                None => {
                    warnings.push(format!(
                        "{}: its Role {arn} is not a role of this template: it runs with credentials that are allowed nothing decided here",
                        f.logical_id
                    ));
                    let name = arn.rsplit('/').next().unwrap_or(arn);
                    Arc::new(iam::Role::new(
                        iam.account(),
                        "/",
                        name,
                        iam::Role::lambda_trust(),
                        Vec::new(),
                    ))
                }
            };
            if !iam.service_may_assume(&role, "lambda.amazonaws.com") {
                warnings.push(format!(
                    "{}: its role {} does not trust lambda.amazonaws.com (AWS: \"The role defined for the function cannot be assumed by Lambda.\"): it runs without credentials",
                    f.logical_id, role.arn
                ));
                continue;
            }
            roles.insert(f.name.clone(), role);
        }
        FunctionSessions { iam, roles }
    }
}

impl lambda::RoleCredentials for FunctionSessions {
    fn issue(&self, function: &str) -> Option<lambda::Session> {
        let role = self.roles.get(function)?;
        let session = iam::Session {
            role: Arc::clone(role),
            name: function.to_string(),
            tags: Default::default(),
            transitive: Default::default(),
            policies: None,
            web_identity: None,
        };
        let (c, _) = self.iam.issue_session(session, FUNCTION_SESSION_SECS);
        Some(lambda::Session {
            access_key: c.access_key,
            secret: c.secret,
            session_token: c.session_token,
            expiration: c.expiration,
        })
    }
}

/// The ID tokens of the local user pools, as the identity pools' [`iam::identitypools::Logins`]
/// port: a login key is the pool's provider name (`cognito-idp.<region>.amazonaws.com/<id>`,
/// which is also the ID token's `iss` without `https://`, the key Amplify sends).
#[derive(Debug)]
pub struct PoolLogins(pub Arc<userpool::UserPools>);

impl iam::identitypools::Logins for PoolLogins {
    fn verify(&self, provider: &str, token: &str) -> Result<serde_json::Value, String> {
        let issuer = format!("https://{provider}");
        // What the token says of itself, before its signature is checked: only to choose the
        // message for a refusal.
        let unverified = common::jwt::peek_claims(token).unwrap_or_default();
        if !unverified["iss"].is_null() && unverified["iss"] != issuer.as_str() {
            return Err("Invalid login token. Issuer doesn't match providerName".into());
        }
        let Some((_, keys)) = self.0.keys_for_issuer(&issuer) else {
            return Err("Token is not from a supported provider of this identity pool.".into());
        };
        match userpool::token::verify(token, &keys, &issuer, "id") {
            Ok(claims) => Ok(claims),
            Err(userpool::token::TokenError::Expired) => Err(format!(
                "Invalid login token. Token expired: {} >= {}",
                common::date::now_secs(),
                unverified["exp"].as_u64().unwrap_or_default()
            )),
            // An access token is signed by the pool too but has no `aud`.
            Err(userpool::token::TokenError::Invalid) if unverified["token_use"] == "access" => {
                Err("Invalid login token. Missing a required claim: aud".into())
            }
            // A forged or malformed token: Cognito's text for it is not captured publicly.
            Err(userpool::token::TokenError::Invalid) => {
                Err("Invalid login token. Not a valid OpenId Connect identity token.".into())
            }
        }
    }
}

/// The Cognito port's router: STS's Query-protocol calls (a form body, or `?Action=`, on `/`)
/// go to STS, `AWSCognitoIdentityService.*` calls to the identity pools, everything else to
/// the user pools.
///
/// The JSON APIs on `/` answer browsers as Cognito's endpoints do, so that an app in a page
/// (Amplify) can sign in and get identity-pool credentials: a CORS preflight is allowed from
/// any origin with the headers it asks for, and answers carry `Access-Control-Allow-Origin: *`
/// and expose the `x-amzn-*` headers SDKs read. (Cognito's exact preflight headers are not
/// documented; these are what the SDKs need.) This opens nothing: a signed user pool call
/// with an `Origin` is still refused, and identity pool and STS management calls need a real
/// signature by a local key, which a page cannot make.
pub fn cognito_port(
    userpools: axum::Router,
    sts: axum::Router,
    identity: axum::Router,
) -> axum::Router {
    axum::Router::new().fallback(move |req: Request| {
        let (userpools, sts, identity) = (userpools.clone(), sts.clone(), identity.clone());
        async move {
            let root = req.uri().path() == "/";
            if root && req.method() == axum::http::Method::OPTIONS {
                return preflight(req.headers());
            }
            let from_page = req.headers().contains_key(axum::http::header::ORIGIN);
            let target = if root && iam::service::is_identity(req.headers()) {
                identity
            } else if root && iam::service::is_sts(req.headers(), req.uri().query()) {
                sts
            } else {
                userpools
            };
            let mut resp = match target.oneshot(req).await {
                Ok(r) => r,
                Err(never) => match never {},
            }
            .into_response();
            if root && from_page {
                let h = resp.headers_mut();
                h.insert(
                    axum::http::header::ACCESS_CONTROL_ALLOW_ORIGIN,
                    axum::http::HeaderValue::from_static("*"),
                );
                h.insert(
                    axum::http::header::ACCESS_CONTROL_EXPOSE_HEADERS,
                    axum::http::HeaderValue::from_static(
                        "x-amzn-requestid,x-amzn-errortype,x-amzn-errormessage,date",
                    ),
                );
            }
            resp
        }
    })
}

/// A browser's CORS preflight for `POST /`: allowed, with the headers it asks for.
fn preflight(headers: &axum::http::HeaderMap) -> axum::response::Response {
    use axum::http::{HeaderValue, StatusCode, header};
    // Not the signing headers: a page's calls here are the unsigned ones (sign-in, GetId,
    // GetCredentialsForIdentity); a page may not send a signature at all.
    let asked: Vec<String> = headers
        .get(header::ACCESS_CONTROL_REQUEST_HEADERS)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("content-type,x-amz-target,x-amz-user-agent")
        .split(',')
        .map(|h| h.trim().to_ascii_lowercase())
        .filter(|h| !h.is_empty() && h != "authorization" && h != "x-amz-security-token")
        .collect();
    let asked = HeaderValue::from_str(&asked.join(","))
        .unwrap_or_else(|_| HeaderValue::from_static("content-type,x-amz-target"));
    let mut resp = StatusCode::OK.into_response();
    let h = resp.headers_mut();
    h.insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    h.insert(
        header::ACCESS_CONTROL_ALLOW_METHODS,
        HeaderValue::from_static("POST"),
    );
    h.insert(header::ACCESS_CONTROL_ALLOW_HEADERS, asked);
    h.insert(
        header::ACCESS_CONTROL_MAX_AGE,
        HeaderValue::from_static("86400"),
    );
    resp
}
