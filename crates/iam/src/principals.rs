//! Who can sign: users with long-term keys, roles, and the sessions of roles (temporary
//! credentials, as STS and Lambda hand them out).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use serde_json::{Value as Json, json};

use common::id::{UPPER_ALNUM, random_string, stable_id};

/// A principal with keys: a user, or a role session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// Its ARN: `arn:aws:iam::<account>:user/<name>`, or
    /// `arn:aws:sts::<account>:assumed-role/<role>/<session>`.
    pub arn: String,
    /// Its account.
    pub account: String,
    /// Its unique id: `AIDA…` for a user, `AROA…:<session>` for a role session (the event's
    /// `caller` and `user`, `aws:userid`).
    pub user_id: String,
    /// A user's name (`aws:username`), or the session's name.
    pub name: String,
    /// Its identity policies (inline and attached, as documents): a session's are its role's.
    pub policies: Vec<Json>,
    /// For a role session: the role and what the session was given.
    pub session: Option<Session>,
}

impl Principal {
    /// `aws:PrincipalType`.
    pub fn kind(&self) -> &'static str {
        if self.session.is_some() {
            "AssumedRole"
        } else {
            "User"
        }
    }
}

/// What a role session holds besides its role's policies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    /// The role.
    pub role: Arc<Role>,
    /// `RoleSessionName`.
    pub name: String,
    /// Session tags (`aws:PrincipalTag/<key>`), keys as given.
    pub tags: BTreeMap<String, String>,
    /// The tag keys (lower case) passed on to sessions this one assumes.
    pub transitive: BTreeSet<String>,
    /// A session policy (`Policy`, `PolicyArns`): the session may do only what both its role's
    /// policies and these allow.
    pub policies: Option<Vec<Json>>,
    /// For credentials of a Cognito identity: who, for the event's `cognito*` fields.
    pub web_identity: Option<WebIdentity>,
}

/// The Cognito identity a session's credentials were issued to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebIdentity {
    /// `cognitoIdentityId`.
    pub identity_id: String,
    /// `cognitoIdentityPoolId`.
    pub pool_id: String,
    /// `cognitoAuthenticationType`: `authenticated` (with logins) or `unauthenticated`.
    pub authenticated: bool,
    /// `cognitoAuthenticationProvider`: `<provider>,<provider>:CognitoSignIn:<sub>`.
    pub provider: Option<String>,
    /// The `amr` the identity pool vouched with (HTTP APIs' `cognitoIdentity.amr`).
    pub amr: Vec<String>,
}

/// A role of the template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Role {
    /// `arn:aws:iam::<account>:role/<path><name>`.
    pub arn: String,
    /// Its name.
    pub name: String,
    /// Its unique id (`AROA…`).
    pub id: String,
    /// Its account.
    pub account: String,
    /// `AssumeRolePolicyDocument`: who may assume it.
    pub trust: Json,
    /// Its permissions policies, as documents.
    pub policies: Vec<Json>,
    /// `MaxSessionDuration`, seconds (3600 by default).
    pub max_session_secs: i64,
    /// `PermissionsBoundary`'s document: the role's sessions may do only what both it and
    /// their policies allow.
    pub boundary: Option<Json>,
}

impl Role {
    /// A role named `name` in `account` with this trust policy and these permissions; its
    /// id is stable for its ARN.
    pub fn new(account: &str, path: &str, name: &str, trust: Json, policies: Vec<Json>) -> Role {
        let arn = format!("arn:aws:iam::{account}:role{path}{name}");
        let digest = common::digest::sha256(&[arn.as_bytes()]);
        Role {
            id: format!("AROA{}", stable_id(&digest, UPPER_ALNUM, 17)),
            arn,
            name: name.to_string(),
            account: account.to_string(),
            trust,
            policies,
            max_session_secs: 3600,
            boundary: None,
        }
    }

    /// The trust policy a role gets when it is for a Lambda function (SAM's generated role).
    pub fn lambda_trust() -> Json {
        json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
            "Principal": {"Service": ["lambda.amazonaws.com"]}, "Action": ["sts:AssumeRole"]}]})
    }
}

/// A key pair and whose it is.
#[derive(Debug, Clone)]
pub struct Key {
    /// The access key id.
    pub access_key: String,
    /// The secret.
    pub secret: String,
    /// The session token of temporary credentials (then required on each request).
    pub session_token: Option<String>,
    /// When temporary credentials expire, seconds since the epoch.
    pub expires: Option<i64>,
    /// Its principal.
    pub principal: Arc<Principal>,
}

/// Temporary credentials, as STS returns them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credentials {
    /// `ASIA…`.
    pub access_key: String,
    /// The secret (40 characters).
    pub secret: String,
    /// The session token.
    pub session_token: String,
    /// Expiry, seconds since the epoch.
    pub expiration: i64,
}

impl Credentials {
    /// New random temporary credentials expiring at `expiration`.
    pub fn random(expiration: i64) -> Credentials {
        Credentials {
            access_key: format!("ASIA{}", random_string(UPPER_ALNUM, 16)),
            secret: random_string(common::id::SECRET_CHARS, 40),
            // Opaque to clients; AWS's are a few hundred base64 characters.
            session_token: random_string(common::id::SECRET_CHARS, 320),
            expiration,
        }
    }
}

/// A role session's principal: `assumed-role/<role>/<session>`.
pub fn session_principal(session: Session) -> Principal {
    let role = &session.role;
    Principal {
        arn: format!(
            "arn:aws:sts::{}:assumed-role/{}/{}",
            role.account, role.name, session.name
        ),
        account: role.account.clone(),
        user_id: format!("{}:{}", role.id, session.name),
        name: session.name.clone(),
        policies: role.policies.clone(),
        session: Some(session),
    }
}

/// Whether `name` is a valid `RoleSessionName`: 2 to 64 of `[\w+=,.@-]`.
pub fn valid_session_name(name: &str) -> bool {
    (2..=64).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_+=,.@-".contains(&b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_session_is_named_by_its_role_and_session_name() {
        let role = Arc::new(Role::new(
            "123456789012",
            "/",
            "Reader",
            Role::lambda_trust(),
            Vec::new(),
        ));
        let p = session_principal(Session {
            role: Arc::clone(&role),
            name: "alice".into(),
            tags: BTreeMap::new(),
            transitive: BTreeSet::new(),
            policies: None,
            web_identity: None,
        });
        assert_eq!(p.arn, "arn:aws:sts::123456789012:assumed-role/Reader/alice");
        assert_eq!(p.user_id, format!("{}:alice", role.id));
        assert!(role.id.starts_with("AROA") && role.id.len() == 21);
        assert_eq!(p.kind(), "AssumedRole");
        let c = Credentials::random(0);
        assert!(c.access_key.starts_with("ASIA") && c.access_key.len() == 20);
        assert_eq!(c.secret.len(), 40);
    }

    #[test]
    fn session_names_follow_sts_pattern() {
        assert!(valid_session_name("my-function_1@x.com"));
        for bad in ["a", "has space", "slash/no", &"x".repeat(65)] {
            assert!(!valid_session_name(bad), "{bad}");
        }
    }
}
