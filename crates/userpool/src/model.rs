//! What the service keeps: pools, clients, users and refresh tokens, as stored (serde JSON) and
//! as rendered on the wire (Cognito's PascalCase shapes).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value as Json, json};

use crate::password::PasswordPolicy;

/// Where a user is in its life: `UserStatus` on the wire (stored as the same strings).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum UserStatus {
    /// Signed up, not confirmed yet.
    Unconfirmed,
    /// Can sign in.
    Confirmed,
    /// Created by an administrator: must set a new password at first sign-in.
    ForceChangePassword,
    /// Must reset the password before signing in.
    ResetRequired,
    /// Signed in through a federated identity provider.
    ExternalProvider,
}

impl UserStatus {
    /// The wire's name.
    pub fn as_str(self) -> &'static str {
        match self {
            UserStatus::Unconfirmed => "UNCONFIRMED",
            UserStatus::Confirmed => "CONFIRMED",
            UserStatus::ForceChangePassword => "FORCE_CHANGE_PASSWORD",
            UserStatus::ResetRequired => "RESET_REQUIRED",
            UserStatus::ExternalProvider => "EXTERNAL_PROVIDER",
        }
    }
}

impl std::fmt::Display for UserStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A client's `PreventUserExistenceErrors`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ExistenceErrors {
    /// Unknown users are named (`UserNotFoundException`).
    Legacy,
    /// Unknown users look like wrong passwords or codes.
    Enabled,
}

/// A user pool's settings.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PoolConfig {
    /// `<region>_<9 alphanumerics>`.
    pub id: String,
    /// PoolName.
    pub name: String,
    /// `arn:aws:cognito-idp:<region>:<account>:userpool/<id>`.
    pub arn: String,
    /// Epoch seconds.
    pub created: f64,
    /// Epoch seconds.
    pub modified: f64,
    /// `email` and/or `phone_number`: those sign in in place of a username.
    pub username_attributes: Vec<String>,
    /// Attributes that may also be used to sign in, once verified.
    pub alias_attributes: Vec<String>,
    /// Attributes verified automatically (we treat them as verified on confirmation).
    pub auto_verified: Vec<String>,
    /// The password policy.
    pub policy: PasswordPolicy,
    /// Only administrators may create users (SignUp refused).
    pub admin_create_only: bool,
    /// Groups by name.
    #[serde(default)]
    pub groups: BTreeMap<String, Group>,
    /// `LambdaConfig`: trigger name -> function ARN (`PreTokenGenerationConfig` as given), as
    /// checked against the model.
    #[serde(default)]
    pub lambda_config: Map<String, Json>,
    /// The hosted UI's domain (`AWS::Cognito::UserPoolDomain`, CreateUserPoolDomain).
    #[serde(default)]
    pub domain: Option<String>,
    /// Resource servers, whose scopes clients ask for.
    #[serde(default)]
    pub resource_servers: Vec<ResourceServer>,
    /// `MfaConfiguration`: `OFF`, `ON` or `OPTIONAL`.
    #[serde(default = "mfa_off")]
    pub mfa_configuration: String,
    /// `SoftwareTokenMfaConfiguration.Enabled`: TOTP allowed.
    #[serde(default)]
    pub software_token_mfa: bool,
    /// The attribute schema (empty in a pool stored before schemas were kept: the standard
    /// attributes then).
    #[serde(default)]
    pub schema: Vec<crate::schema::Attribute>,
    /// Settings we do not act on, echoed back by DescribeUserPool.
    pub extra: Map<String, Json>,
}

/// An app client's settings.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ClientConfig {
    /// 26 lower-case alphanumerics.
    pub id: String,
    /// The pool it belongs to.
    pub pool_id: String,
    /// ClientName.
    pub name: String,
    /// Present when the client was made with GenerateSecret.
    pub secret: Option<String>,
    /// ExplicitAuthFlows as given.
    pub auth_flows: Vec<String>,
    /// `LEGACY` (unknown users are named) or `ENABLED` (they look like wrong passwords).
    pub prevent_user_existence_errors: ExistenceErrors,
    /// Access token lifetime, seconds.
    pub access_validity: u64,
    /// ID token lifetime, seconds.
    pub id_validity: u64,
    /// Refresh token lifetime, seconds.
    pub refresh_validity: u64,
    /// Challenge session lifetime, minutes.
    pub session_minutes: u64,
    /// Epoch seconds.
    pub created: f64,
    /// Epoch seconds.
    pub modified: f64,
    /// Settings we do not act on, echoed back by DescribeUserPoolClient.
    pub extra: Map<String, Json>,
}

impl ClientConfig {
    /// A list member of the client's settings (`CallbackURLs`, `AllowedOAuthFlows`, ...).
    pub fn list(&self, key: &str) -> Vec<String> {
        self.extra
            .get(key)
            .and_then(Json::as_array)
            .map(|l| {
                l.iter()
                    .filter_map(|v| v.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// `AllowedOAuthFlowsUserPoolClient`: OAuth flows are on for the client.
    pub fn oauth_enabled(&self) -> bool {
        self.extra
            .get("AllowedOAuthFlowsUserPoolClient")
            .and_then(Json::as_bool)
            .unwrap_or(false)
    }

    /// `EnableTokenRevocation` (on unless turned off).
    pub fn token_revocation(&self) -> bool {
        self.extra
            .get("EnableTokenRevocation")
            .and_then(Json::as_bool)
            .unwrap_or(true)
    }

    /// `WriteAttributes`, when the client limits what it may write.
    pub fn write_attributes(&self) -> Option<Vec<String>> {
        self.extra
            .get("WriteAttributes")
            .and_then(Json::as_array)
            .map(|l| {
                l.iter()
                    .filter_map(|v| v.as_str().map(str::to_string))
                    .collect()
            })
    }

    /// `ReadAttributes`, when the client limits what it may read.
    pub fn read_attributes(&self) -> Option<Vec<String>> {
        self.extra
            .get("ReadAttributes")
            .and_then(Json::as_array)
            .map(|l| {
                l.iter()
                    .filter_map(|v| v.as_str().map(str::to_string))
                    .collect()
            })
    }

    /// Refuses writing an attribute outside `WriteAttributes`.
    pub fn check_writable(&self, attrs: &[(String, String)]) -> crate::error::Result<()> {
        if let Some(allowed) = self.write_attributes()
            && attrs.iter().any(|(k, _)| !allowed.contains(k))
        {
            return Err(crate::error::CognitoError::not_authorized(
                "A client attempted to write unauthorized attribute",
            ));
        }
        Ok(())
    }

    /// Whether the client may read attribute `name` (`sub` always).
    pub fn can_read(&self, name: &str) -> bool {
        name == "sub"
            || self
                .read_attributes()
                .is_none_or(|r| r.iter().any(|a| a == name))
    }

    /// Whether the client allows `flow` (`USER_PASSWORD_AUTH`, ...), under its new or legacy name.
    pub fn allows(&self, flow: &str) -> bool {
        let legacy = match flow {
            "ADMIN_USER_PASSWORD_AUTH" => "ADMIN_NO_SRP_AUTH",
            other => other,
        };
        self.auth_flows.iter().any(|f| {
            let f = f.strip_prefix("ALLOW_").unwrap_or(f);
            f == flow || f == legacy
        })
    }

    /// DescribeUserPoolClient's `UserPoolClient`.
    pub fn render(&self) -> Json {
        let mut out = self.extra.clone();
        let mut set = |k: &str, v: Json| {
            out.insert(k.into(), v);
        };
        set("UserPoolId", json!(self.pool_id));
        set("ClientName", json!(self.name));
        set("ClientId", json!(self.id));
        if let Some(s) = &self.secret {
            set("ClientSecret", json!(s));
        }
        set("LastModifiedDate", json!(self.modified));
        set("CreationDate", json!(self.created));
        set("ExplicitAuthFlows", json!(self.auth_flows));
        set(
            "PreventUserExistenceErrors",
            json!(self.prevent_user_existence_errors),
        );
        set("AuthSessionValidity", json!(self.session_minutes));
        set(
            "RefreshTokenValidity",
            json!(self.refresh_validity / 86_400),
        );
        set("AccessTokenValidity", json!(self.access_validity / 60));
        set("IdTokenValidity", json!(self.id_validity / 60));
        set(
            "TokenValidityUnits",
            json!({"AccessToken": "minutes", "IdToken": "minutes", "RefreshToken": "days"}),
        );
        Json::Object(out)
    }
}

/// A stored password: the argon2id hash for password sign-in and the SRP verifier.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StoredPassword {
    /// argon2id PHC string.
    pub hash: String,
    /// SRP salt, hex.
    pub srp_salt: String,
    /// SRP verifier, hex.
    pub srp_verifier: String,
    /// Set by an administrator; must be changed at first sign-in.
    pub temporary: bool,
    /// Epoch seconds when it was set (temporary passwords expire).
    pub set_at: u64,
}

/// A one-time code (sign-up confirmation, password reset), as stored: not the code itself,
/// its HMAC under the state dir's code key, so the store alone does not give it away.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Code {
    /// HMAC-SHA256(code key, code), hex. (A store written before codes were hashed holds the
    /// code here; it no longer matches, and a new code is needed.)
    #[serde(alias = "code")]
    pub digest: String,
    /// Epoch seconds.
    pub expires: u64,
}

/// One user.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct User {
    /// The stored username (the `sub` when the pool signs in by email).
    pub username: String,
    /// Attributes, `sub` included.
    pub attributes: BTreeMap<String, String>,
    /// AdminDisableUser clears it.
    pub enabled: bool,
    /// Where it is in its life.
    pub status: UserStatus,
    /// Epoch seconds.
    pub created: f64,
    /// Epoch seconds.
    pub modified: f64,
    /// None until a password is set.
    pub password: Option<StoredPassword>,
    /// Pending sign-up confirmation.
    pub confirm_code: Option<Code>,
    /// Pending password reset.
    pub reset_code: Option<Code>,
    /// Consecutive failed sign-ins.
    pub failed_attempts: u32,
    /// Epoch seconds until which sign-in is refused.
    pub locked_until: u64,
    /// GlobalSignOut: every session (refresh and access tokens) begun at or before this
    /// millisecond is revoked.
    #[serde(default)]
    pub sessions_revoked_ms: u64,
    /// The groups it is in, by name.
    #[serde(default)]
    pub groups: std::collections::BTreeSet<String>,
    /// Its verified TOTP authenticator.
    #[serde(default)]
    pub totp: Option<Totp>,
    /// A TOTP secret handed out by AssociateSoftwareToken, not verified yet (hex).
    #[serde(default)]
    pub totp_pending: Option<String>,
}

/// A user's TOTP authenticator.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Totp {
    /// The secret, hex.
    pub secret_hex: String,
    /// SetUserMFAPreference's `Enabled`.
    pub enabled: bool,
    /// SetUserMFAPreference's `PreferredMfa`.
    pub preferred: bool,
    /// The step of the last code used: no code is good twice.
    pub last_step: u64,
}

fn mfa_off() -> String {
    "OFF".into()
}

impl User {
    /// A user created now: enabled, with no pending code, no failed sign-in, no group and no
    /// TOTP.
    pub fn new(
        username: String,
        attributes: BTreeMap<String, String>,
        status: UserStatus,
        password: Option<StoredPassword>,
    ) -> Self {
        let now = common::date::now_f64();
        User {
            username,
            attributes,
            enabled: true,
            status,
            created: now,
            modified: now,
            password,
            confirm_code: None,
            reset_code: None,
            failed_attempts: 0,
            locked_until: 0,
            sessions_revoked_ms: 0,
            groups: Default::default(),
            totp: None,
            totp_pending: None,
        }
    }

    /// `UserMFASettingList` and `PreferredMfaSetting` for GetUser and AdminGetUser.
    pub fn mfa_settings(&self, out: &mut Json) {
        if let Some(t) = self.totp.as_ref().filter(|t| t.enabled) {
            out["UserMFASettingList"] = json!(["SOFTWARE_TOKEN_MFA"]);
            if t.preferred {
                out["PreferredMfaSetting"] = json!("SOFTWARE_TOKEN_MFA");
            }
        }
    }
}

/// A resource server: an API whose scopes (`<identifier>/<scope>`) clients ask for.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ResourceServer {
    /// Identifier (`orders`, `https://api.example.com`).
    pub identifier: String,
    /// Name.
    pub name: String,
    /// (ScopeName, ScopeDescription).
    pub scopes: Vec<(String, String)>,
}

impl ResourceServer {
    /// The `ResourceServerType` shape.
    pub fn render(&self, pool_id: &str) -> Json {
        json!({
            "UserPoolId": pool_id,
            "Identifier": self.identifier,
            "Name": self.name,
            "Scopes": self.scopes.iter().map(|(n, d)| json!({"ScopeName": n, "ScopeDescription": d})).collect::<Vec<_>>(),
        })
    }
}

/// A group of users.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Group {
    /// GroupName.
    pub name: String,
    /// Description.
    pub description: Option<String>,
    /// RoleArn: `cognito:roles`, `cognito:preferred_role`.
    pub role_arn: Option<String>,
    /// Precedence: the lower, the more it counts (`cognito:preferred_role`, token order).
    pub precedence: Option<i64>,
    /// Epoch seconds.
    pub created: f64,
    /// Epoch seconds.
    pub modified: f64,
}

impl Group {
    /// The `GroupType` shape.
    pub fn render(&self, pool_id: &str) -> Json {
        let mut g = json!({
            "GroupName": self.name,
            "UserPoolId": pool_id,
            "LastModifiedDate": self.modified,
            "CreationDate": self.created,
        });
        if let Some(d) = &self.description {
            g["Description"] = json!(d);
        }
        if let Some(r) = &self.role_arn {
            g["RoleArn"] = json!(r);
        }
        if let Some(p) = self.precedence {
            g["Precedence"] = json!(p);
        }
        g
    }
}

impl User {
    /// The `sub` attribute.
    pub fn sub(&self) -> &str {
        self.attributes.get("sub").map_or("", String::as_str)
    }

    /// Attributes as `[{"Name","Value"}]`, `sub` first as Cognito lists them.
    pub fn attribute_list(&self) -> Json {
        let mut list = Vec::with_capacity(self.attributes.len());
        if let Some(sub) = self.attributes.get("sub") {
            list.push(json!({"Name": "sub", "Value": sub}));
        }
        for (k, v) in &self.attributes {
            if k != "sub" {
                list.push(json!({"Name": k, "Value": v}));
            }
        }
        Json::Array(list)
    }

    /// The `UserType` shape (AdminCreateUser, ListUsers).
    pub fn render(&self) -> Json {
        json!({
            "Username": self.username,
            "Attributes": self.attribute_list(),
            "UserCreateDate": self.created,
            "UserLastModifiedDate": self.modified,
            "Enabled": self.enabled,
            "UserStatus": self.status.as_str(),
        })
    }
}

/// What a refresh token holds, sealed in it (a JWE only the pool can open): everything a
/// refresh needs, so nothing is written when one is issued, and a token the client got
/// survives any crash. Revocation is recorded instead: per user (GlobalSignOut) and per token
/// (RevokeToken).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RefreshClaims {
    /// The sign-in this token continues (a version 7 UUID: it tells when the sign-in was);
    /// `origin_jti` in the tokens issued from it.
    pub jti: String,
    /// The client it was issued to.
    pub client_id: String,
    /// The user's stored username.
    pub username: String,
    /// The user's `sub`: a user deleted and created again under the same name is not the same.
    pub sub: String,
    /// Original sign-in time, epoch seconds (kept through refreshes).
    pub auth_time: u64,
    /// Epoch seconds.
    pub exp: u64,
    /// The scopes an OAuth flow granted (the hosted UI's tokens keep them on refresh).
    #[serde(default)]
    pub scopes: Option<Vec<String>>,
}

impl PoolConfig {
    /// DescribeUserPool's `UserPool`.
    pub fn render(&self, estimated_users: usize) -> Json {
        let mut out = self.extra.clone();
        let mut set = |k: &str, v: Json| {
            out.insert(k.into(), v);
        };
        set("Id", json!(self.id));
        set("Name", json!(self.name));
        set("Arn", json!(self.arn));
        set("Policies", json!({"PasswordPolicy": self.policy}));
        set("LastModifiedDate", json!(self.modified));
        set("CreationDate", json!(self.created));
        set("LambdaConfig", Json::Object(self.lambda_config.clone()));
        if let Some(d) = &self.domain {
            set("Domain", json!(d));
        }
        set(
            "SchemaAttributes",
            Json::Array(
                self.schema()
                    .iter()
                    .map(crate::schema::Attribute::render)
                    .collect(),
            ),
        );
        set("DeletionProtection", json!("INACTIVE"));
        set("MfaConfiguration", json!(self.mfa_configuration));
        set("EstimatedNumberOfUsers", json!(estimated_users));
        if !self.username_attributes.is_empty() {
            set("UsernameAttributes", json!(self.username_attributes));
        }
        if !self.alias_attributes.is_empty() {
            set("AliasAttributes", json!(self.alias_attributes));
        }
        if !self.auto_verified.is_empty() {
            set("AutoVerifiedAttributes", json!(self.auto_verified));
        }
        set(
            "AdminCreateUserConfig",
            json!({
                "AllowAdminCreateUserOnly": self.admin_create_only,
                "UnusedAccountValidityDays": self.policy.temporary_password_validity_days,
            }),
        );
        Json::Object(out)
    }

    /// The attribute schema.
    pub fn schema(&self) -> std::borrow::Cow<'_, [crate::schema::Attribute]> {
        if self.schema.is_empty() {
            std::borrow::Cow::Owned(crate::schema::standard())
        } else {
            std::borrow::Cow::Borrowed(&self.schema)
        }
    }

    /// Whether users sign in with their email in place of a username.
    pub fn email_is_username(&self) -> bool {
        self.username_attributes.iter().any(|a| a == "email")
    }
}
