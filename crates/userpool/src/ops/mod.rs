//! The operations, by name: each takes the request body and answers JSON or a [`CognitoError`].
//! [`OPERATIONS`] is the one list of them: the dispatcher, the signed/unsigned check and the
//! "not supported" answer read it, and a test checks the README's list against it.
//!
//! # Layout
//! - [`auth`]: InitiateAuth, RespondToAuthChallenge and their Admin forms; sessions, SRP.
//! - [`signup`]: SignUp, ConfirmSignUp, ResendConfirmationCode.
//! - [`passwords`]: ForgotPassword, ConfirmForgotPassword, ChangePassword, AdminSetUserPassword.
//! - [`attributes`]: GetUser, UpdateUserAttributes, AdminUpdateUserAttributes.
//! - [`sessions`]: GlobalSignOut, AdminUserGlobalSignOut, RevokeToken; whose token it is.
//! - [`admin`]: AdminCreateUser, AdminGetUser, AdminDeleteUser, AdminDisable/EnableUser.
//! - [`list`]: ListUsers and its filters.
//! - [`groups`]: groups and their members.
//! - [`custom`]: the CUSTOM_AUTH flow and user migration (trigger-driven sign-ins).
//! - [`tokens`]: the pre token generation trigger and its changes to the tokens.
//! - [`mfa`]: TOTP MFA and its challenges.
//! - [`domains`]: hosted-UI domains and resource servers.
//! - [`pools`], [`clients`]: pools and app clients, and the ones a template declares.
//! - [`users`]: what the user operations share (lookups, one-user transactions, codes).

pub mod admin;
pub mod attributes;
pub mod auth;
pub mod clients;
pub mod custom;
pub mod domains;
pub mod groups;
pub mod list;
pub mod mfa;
pub mod passwords;
pub mod pools;
pub mod sessions;
pub mod signup;
pub mod tokens;
pub mod users;

use serde_json::{Map, Value as Json};

use crate::error::{CognitoError, ErrorKind, Result};
use crate::pools::UserPools;

/// One operation of the service.
#[derive(Debug, Clone, Copy)]
pub struct Operation {
    /// Its name (`X-Amz-Target: AWSCognitoIdentityProviderService.<name>`).
    pub name: &'static str,
    /// Whether clients sign it with SigV4 (Admin and management calls); unsigned ones carry a
    /// token or a client id instead.
    pub signed: bool,
    handler: fn(&UserPools, &Req<'_>) -> Result<Json>,
}

const fn signed(
    name: &'static str,
    handler: fn(&UserPools, &Req<'_>) -> Result<Json>,
) -> Operation {
    Operation {
        name,
        signed: true,
        handler,
    }
}

const fn unsigned(
    name: &'static str,
    handler: fn(&UserPools, &Req<'_>) -> Result<Json>,
) -> Operation {
    Operation {
        name,
        signed: false,
        handler,
    }
}

/// Every operation the local pool serves.
pub const OPERATIONS: &[Operation] = &[
    unsigned("InitiateAuth", |p, r| p.initiate_auth(r, false)),
    unsigned("RespondToAuthChallenge", |p, r| {
        p.respond_to_challenge(r, false)
    }),
    signed("AdminInitiateAuth", |p, r| p.initiate_auth(r, true)),
    signed("AdminRespondToAuthChallenge", |p, r| {
        p.respond_to_challenge(r, true)
    }),
    unsigned("SignUp", UserPools::sign_up),
    unsigned("ConfirmSignUp", UserPools::confirm_sign_up),
    unsigned(
        "ResendConfirmationCode",
        UserPools::resend_confirmation_code,
    ),
    unsigned("ForgotPassword", UserPools::forgot_password),
    unsigned("ConfirmForgotPassword", UserPools::confirm_forgot_password),
    unsigned("ChangePassword", UserPools::change_password),
    unsigned("GetUser", UserPools::get_user),
    unsigned("UpdateUserAttributes", UserPools::update_user_attributes),
    unsigned("GlobalSignOut", UserPools::global_sign_out),
    unsigned("RevokeToken", UserPools::revoke_token),
    signed("AdminCreateUser", UserPools::admin_create_user),
    signed("AdminSetUserPassword", UserPools::admin_set_user_password),
    signed("AdminGetUser", UserPools::admin_get_user),
    signed("AdminDeleteUser", UserPools::admin_delete_user),
    signed("AdminDisableUser", |p, r| p.admin_set_enabled(r, false)),
    signed("AdminEnableUser", |p, r| p.admin_set_enabled(r, true)),
    signed(
        "AdminUpdateUserAttributes",
        UserPools::admin_update_user_attributes,
    ),
    signed(
        "AdminUserGlobalSignOut",
        UserPools::admin_user_global_sign_out,
    ),
    signed("ListUsers", UserPools::list_users),
    signed("CreateUserPool", UserPools::create_user_pool),
    signed("DescribeUserPool", UserPools::describe_user_pool),
    signed("ListUserPools", UserPools::list_user_pools),
    signed("DeleteUserPool", UserPools::delete_user_pool),
    signed("CreateUserPoolClient", UserPools::create_user_pool_client),
    signed(
        "DescribeUserPoolClient",
        UserPools::describe_user_pool_client,
    ),
    signed("ListUserPoolClients", UserPools::list_user_pool_clients),
    signed("CreateGroup", UserPools::create_group),
    signed("GetGroup", UserPools::get_group),
    signed("UpdateGroup", UserPools::update_group),
    signed("DeleteGroup", UserPools::delete_group),
    signed("ListGroups", UserPools::list_groups),
    signed("AdminAddUserToGroup", UserPools::admin_add_user_to_group),
    signed(
        "AdminRemoveUserFromGroup",
        UserPools::admin_remove_user_from_group,
    ),
    signed(
        "AdminListGroupsForUser",
        UserPools::admin_list_groups_for_user,
    ),
    signed("ListUsersInGroup", UserPools::list_users_in_group),
    signed("AddCustomAttributes", UserPools::add_custom_attributes),
    signed("SetUserPoolMfaConfig", UserPools::set_user_pool_mfa_config),
    signed("GetUserPoolMfaConfig", UserPools::get_user_pool_mfa_config),
    unsigned(
        "AssociateSoftwareToken",
        UserPools::associate_software_token,
    ),
    unsigned("VerifySoftwareToken", UserPools::verify_software_token),
    unsigned("SetUserMFAPreference", UserPools::set_user_mfa_preference),
    signed(
        "AdminSetUserMFAPreference",
        UserPools::admin_set_user_mfa_preference,
    ),
    signed("AdminConfirmSignUp", UserPools::admin_confirm_sign_up),
    signed(
        "AdminResetUserPassword",
        UserPools::admin_reset_user_password,
    ),
    signed(
        "AdminListUserAuthEvents",
        UserPools::admin_list_user_auth_events,
    ),
    signed(
        "AdminDeleteUserAttributes",
        UserPools::admin_delete_user_attributes,
    ),
    unsigned("DeleteUserAttributes", UserPools::delete_user_attributes),
    signed("UpdateUserPool", UserPools::update_user_pool),
    signed("UpdateUserPoolClient", UserPools::update_user_pool_client),
    signed("DeleteUserPoolClient", UserPools::delete_user_pool_client),
    unsigned(
        "GetTokensFromRefreshToken",
        UserPools::get_tokens_from_refresh_token,
    ),
    signed("CreateUserPoolDomain", UserPools::create_user_pool_domain),
    signed(
        "DescribeUserPoolDomain",
        UserPools::describe_user_pool_domain,
    ),
    signed("DeleteUserPoolDomain", UserPools::delete_user_pool_domain),
    signed("CreateResourceServer", UserPools::create_resource_server),
    signed(
        "DescribeResourceServer",
        UserPools::describe_resource_server,
    ),
    signed("ListResourceServers", UserPools::list_resource_servers),
    signed("UpdateResourceServer", UserPools::update_resource_server),
    signed("DeleteResourceServer", UserPools::delete_resource_server),
];

impl UserPools {
    /// Runs one operation. `signed`: the request carried a SigV4 `Authorization` header.
    /// Blocking (password hashing, the store): call it from the blocking pool.
    pub fn call(&self, op: &str, body: &Json, signed: bool) -> Result<Json> {
        let Some(operation) = OPERATIONS.iter().find(|o| o.name == op) else {
            return Err(CognitoError::new(
                ErrorKind::UnknownOperation,
                format!(
                    "{op} is not an operation the local user pool supports (the README lists those it does)"
                ),
            ));
        };
        if !signed && operation.signed {
            return Err(CognitoError::new(
                ErrorKind::MissingAuthenticationToken,
                "Missing Authentication Token",
            ));
        }
        let Json::Object(map) = body else {
            return Err(CognitoError::serialization(
                "Start of list found where not expected.",
            ));
        };
        let model = crate::validate::model();
        model.check_request(op, map)?;
        let mut answer = (operation.handler)(self, &Req(map))?;
        model.shape_answer(op, &mut answer);
        Ok(answer)
    }
}

/// A request body, read field by field with Cognito's validation and serialization errors.
#[derive(Debug)]
pub struct Req<'a>(pub &'a Map<String, Json>);

/// `clientId` from `ClientId`: validation messages name members in lower camel case.
fn member(field: &str) -> String {
    let mut c = field.chars();
    c.next()
        .map(|f| f.to_lowercase().chain(c).collect())
        .unwrap_or_default()
}

/// Cognito's validation error text for a list of problems.
pub fn validation_error(problems: &[String]) -> CognitoError {
    let n = problems.len();
    CognitoError::invalid_parameter(format!(
        "{n} validation error{} detected: {}",
        if n == 1 { "" } else { "s" },
        problems.join("; ")
    ))
}

pub(crate) fn wrong_type(v: &Json, wanted: &str) -> CognitoError {
    let what = match v {
        Json::Object(_) => "Start of structure or map found where not expected.".to_string(),
        Json::Array(_) => "Start of list found where not expected.".to_string(),
        Json::Number(_) => format!("NUMBER_VALUE can not be converted to {wanted}"),
        Json::Bool(true) => format!("TRUE_VALUE can not be converted to {wanted}"),
        Json::Bool(false) => format!("FALSE_VALUE can not be converted to {wanted}"),
        Json::String(_) => format!("STRING_VALUE can not be converted to {wanted}"),
        Json::Null => "null".to_string(),
    };
    CognitoError::serialization(what)
}

/// A pattern or length constraint of the service model.
#[derive(Debug, Clone, Copy)]
pub enum Constraint {
    /// `[\w-]+_[0-9a-zA-Z]+`, at most 55.
    PoolId,
    /// `[\w+]+`, at most 128.
    ClientId,
    /// 1 to 128 printable characters.
    Username,
    /// At least 20 characters.
    Session,
    /// `[\S]+`, 1 to 2048.
    Code,
}

impl Req<'_> {
    /// Refuses the request when any `fields` is missing or null, naming all of them.
    pub fn require(&self, fields: &[&str]) -> Result<()> {
        let problems: Vec<String> = fields
            .iter()
            .filter(|f| matches!(self.0.get(**f), None | Some(Json::Null)))
            .map(|f| {
                format!(
                    "Value null at '{}' failed to satisfy constraint: Member must not be null",
                    member(f)
                )
            })
            .collect();
        if problems.is_empty() {
            Ok(())
        } else {
            Err(validation_error(&problems))
        }
    }

    /// An optional string.
    pub fn opt_str(&self, field: &str) -> Result<Option<&str>> {
        match self.0.get(field) {
            None | Some(Json::Null) => Ok(None),
            Some(Json::String(s)) => Ok(Some(s)),
            Some(other) => Err(wrong_type(other, "String")),
        }
    }

    /// A required string (checked by [`Req::require`] or here).
    pub fn str(&self, field: &str) -> Result<&str> {
        self.opt_str(field)?.map_or_else(
            || {
                self.require(&[field])?;
                unreachable!("require fails for a missing field")
            },
            Ok,
        )
    }

    /// A required string that must meet a model constraint.
    pub fn checked(&self, field: &str, c: Constraint) -> Result<&str> {
        let v = self.str(field)?;
        let ok = match c {
            Constraint::PoolId => {
                v.len() <= 55
                    && v.split_once('_').is_some_and(|(a, b)| {
                        !a.is_empty()
                            && a.chars()
                                .all(|ch| ch.is_alphanumeric() || ch == '_' || ch == '-')
                            && !b.is_empty()
                            && b.chars().all(|ch| ch.is_ascii_alphanumeric())
                    })
            }
            Constraint::ClientId => {
                !v.is_empty()
                    && v.len() <= 128
                    && v.chars()
                        .all(|ch| ch.is_alphanumeric() || ch == '_' || ch == '+')
            }
            Constraint::Username => {
                !v.is_empty() && v.chars().count() <= 128 && !v.chars().any(char::is_whitespace)
            }
            Constraint::Session => v.len() >= 20 && v.len() <= 2048,
            Constraint::Code => {
                !v.is_empty() && v.len() <= 2048 && !v.chars().any(char::is_whitespace)
            }
        };
        if ok {
            return Ok(v);
        }
        let (rule, show) = match c {
            Constraint::PoolId => (
                "Member must satisfy regular expression pattern: [\\w-]+_[0-9a-zA-Z]+",
                true,
            ),
            Constraint::ClientId => (
                "Member must satisfy regular expression pattern: [\\w+]+",
                false,
            ),
            Constraint::Username => (
                "Member must satisfy regular expression pattern: [\\p{L}\\p{M}\\p{S}\\p{N}\\p{P}]+",
                false,
            ),
            Constraint::Session => ("Member must have length greater than or equal to 20", false),
            Constraint::Code => (
                "Member must satisfy regular expression pattern: [\\S]+",
                false,
            ),
        };
        // Sensitive members (client ids, usernames, sessions, codes) are not echoed.
        let value = if show {
            format!("'{v}' ")
        } else {
            String::new()
        };
        Err(validation_error(&[format!(
            "Value {value}at '{}' failed to satisfy constraint: {rule}",
            member(field)
        )]))
    }

    /// An optional boolean.
    pub fn opt_bool(&self, field: &str) -> Result<Option<bool>> {
        match self.0.get(field) {
            None | Some(Json::Null) => Ok(None),
            Some(Json::Bool(b)) => Ok(Some(*b)),
            Some(other) => Err(wrong_type(other, "Boolean")),
        }
    }

    /// An optional integer.
    pub fn opt_int(&self, field: &str) -> Result<Option<i64>> {
        match self.0.get(field) {
            None | Some(Json::Null) => Ok(None),
            Some(Json::Number(n)) => n.as_i64().map(Some).ok_or_else(|| {
                CognitoError::serialization(format!("NUMBER_VALUE out of range for {field}"))
            }),
            Some(other) => Err(wrong_type(other, "Integer")),
        }
    }

    /// An optional map of strings (AuthParameters, ChallengeResponses, ...).
    pub fn opt_string_map(&self, field: &str) -> Result<Option<Map<String, Json>>> {
        match self.0.get(field) {
            None | Some(Json::Null) => Ok(None),
            Some(Json::Object(m)) => {
                if let Some(bad) = m.values().find(|v| !v.is_string()) {
                    return Err(wrong_type(bad, "String"));
                }
                Ok(Some(m.clone()))
            }
            Some(other) => Err(wrong_type(other, "Map")),
        }
    }

    /// An optional list of strings.
    pub fn opt_str_list(&self, field: &str) -> Result<Option<Vec<String>>> {
        match self.0.get(field) {
            None | Some(Json::Null) => Ok(None),
            Some(Json::Array(items)) => items
                .iter()
                .map(|v| match v {
                    Json::String(s) => Ok(s.clone()),
                    other => Err(wrong_type(other, "String")),
                })
                .collect::<Result<Vec<_>>>()
                .map(Some),
            Some(other) => Err(wrong_type(other, "List")),
        }
    }

    /// An optional `[{"Name","Value"}]` attribute list.
    pub fn opt_attributes(&self, field: &str) -> Result<Option<Vec<(String, String)>>> {
        match self.0.get(field) {
            None | Some(Json::Null) => Ok(None),
            Some(Json::Array(items)) => {
                let mut out = Vec::with_capacity(items.len());
                for (i, item) in items.iter().enumerate() {
                    let Json::Object(m) = item else {
                        return Err(wrong_type(item, "AttributeType"));
                    };
                    let name = match m.get("Name") {
                        Some(Json::String(s)) => s.clone(),
                        None | Some(Json::Null) => {
                            return Err(validation_error(&[format!(
                                "Value null at '{}.{}.member.name' failed to satisfy constraint: Member must not be null",
                                member(field),
                                i + 1
                            )]));
                        }
                        Some(other) => return Err(wrong_type(other, "String")),
                    };
                    let value = match m.get("Value") {
                        Some(Json::String(s)) => s.clone(),
                        None | Some(Json::Null) => String::new(),
                        Some(other) => return Err(wrong_type(other, "String")),
                    };
                    // The model's AttributeNameType (1-32) and AttributeValueType (at most
                    // 2048): values are sensitive and not echoed.
                    let at = format!("{}.{}.member", member(field), i + 1);
                    if name.is_empty() || name.chars().count() > 32 {
                        return Err(validation_error(&[format!(
                            "Value '{name}' at '{at}.name' failed to satisfy constraint: Member must have length less than or equal to 32"
                        )]));
                    }
                    if value.chars().count() > MAX_ATTRIBUTE_VALUE {
                        return Err(validation_error(&[format!(
                            "Value at '{at}.value' failed to satisfy constraint: Member must have length less than or equal to {MAX_ATTRIBUTE_VALUE}"
                        )]));
                    }
                    out.push((name, value));
                }
                Ok(Some(out))
            }
            Some(other) => Err(wrong_type(other, "List")),
        }
    }

    /// An enum member: the value must be one of `allowed`.
    pub fn one_of<'v>(&self, field: &str, value: &'v str, allowed: &[&str]) -> Result<&'v str> {
        if allowed.contains(&value) {
            Ok(value)
        } else {
            Err(validation_error(&[format!(
                "Value '{value}' at '{}' failed to satisfy constraint: Member must satisfy enum value set: [{}]",
                member(field),
                allowed.join(", ")
            )]))
        }
    }
}

/// The longest attribute value Cognito accepts.
pub const MAX_ATTRIBUTE_VALUE: usize = 2048;

/// A `ResourceNotFoundException` for a pool.
pub fn no_pool(pool_id: &str) -> CognitoError {
    CognitoError::resource_not_found(format!("User pool {pool_id} does not exist."))
}

/// A `ResourceNotFoundException` for a client.
pub fn no_client(client_id: &str) -> CognitoError {
    CognitoError::resource_not_found(format!("User pool client {client_id} does not exist."))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn missing_fields_are_all_named_in_lower_camel_case() {
        let body = json!({"AuthFlow": "USER_PASSWORD_AUTH"});
        let r = Req(body.as_object().expect("object"));
        assert_eq!(
            r.require(&["ClientId"]).expect_err("missing").message,
            "1 validation error detected: Value null at 'clientId' failed to satisfy constraint: Member must not be null"
        );
        let e = r.require(&["ClientId", "UserPoolId"]).expect_err("missing");
        assert!(
            e.message.starts_with("2 validation errors detected: "),
            "{}",
            e.message
        );
    }

    #[test]
    fn wrong_types_are_serialization_errors() {
        let body = json!({"ClientId": {"a": 1}, "Limit": "x", "Flag": 3});
        let r = Req(body.as_object().expect("object"));
        let e = r.str("ClientId").expect_err("object");
        assert_eq!(
            (e.kind.as_str(), e.message.as_str()),
            (
                "SerializationException",
                "Start of structure or map found where not expected."
            )
        );
        assert_eq!(
            r.opt_int("Limit").expect_err("string").kind,
            "SerializationException"
        );
        assert_eq!(
            r.opt_bool("Flag").expect_err("number").kind,
            "SerializationException"
        );
    }

    #[test]
    fn pool_id_pattern_is_checked_and_echoed() {
        let body = json!({"UserPoolId": "nounderscore"});
        let r = Req(body.as_object().expect("object"));
        let e = r
            .checked("UserPoolId", Constraint::PoolId)
            .expect_err("bad id");
        assert_eq!(
            e.message,
            "1 validation error detected: Value 'nounderscore' at 'userPoolId' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w-]+_[0-9a-zA-Z]+"
        );
    }
}
