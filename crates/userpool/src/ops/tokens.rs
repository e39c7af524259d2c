//! The pre token generation trigger: its event (V1_0, V2_0 and V3_0) and how its answer
//! changes the tokens. V1 adds, overrides and suppresses ID token claims (string values
//! only) and overrides groups; V2 and V3 do that for the ID and the access token, and add and
//! suppress scopes. Claims that carry the token's identity cannot be touched.

use serde_json::{Map, Value as Json, json};

use crate::error::{CognitoError, ErrorKind, Result};
use crate::model::{ClientConfig, PoolConfig, User};
use crate::pools::UserPools;
use crate::triggers::{Call, Trigger, configured, user_attributes};

/// Claims no trigger may add, override or suppress.
const PROTECTED: &[&str] = &[
    "iss",
    "sub",
    "aud",
    "exp",
    "iat",
    "auth_time",
    "token_use",
    "jti",
    "origin_jti",
    "event_id",
    "client_id",
    "username",
    "cognito:username",
    "scope",
    "cognito:groups",
    "cognito:roles",
    "cognito:preferred_role",
];

/// What one token's part of the answer asks.
#[derive(Debug, Default, Clone)]
pub struct ClaimChanges {
    /// Claims to add or override.
    pub add: Map<String, Json>,
    /// Claims to take out.
    pub suppress: Vec<String>,
}

/// The trigger's answer, read.
#[derive(Debug, Default, Clone)]
pub struct Overrides {
    /// For the ID token.
    pub id: ClaimChanges,
    /// For the access token (V2, V3).
    pub access: ClaimChanges,
    /// `groupOverrideDetails`: (groups, roles, preferred role).
    pub groups: Option<(Vec<String>, Vec<String>, Option<String>)>,
    /// Scopes to add to the access token (V2, V3).
    pub scopes_to_add: Vec<String>,
    /// Scopes to take out (V2, V3).
    pub scopes_to_suppress: Vec<String>,
}

fn unrecognizable() -> CognitoError {
    CognitoError::new(
        ErrorKind::InvalidLambdaResponse,
        "Unrecognizable lambda output",
    )
}

fn strings(v: &Json) -> Result<Vec<String>> {
    match v {
        Json::Null => Ok(Vec::new()),
        Json::Array(items) => items
            .iter()
            .map(|i| i.as_str().map(str::to_string).ok_or_else(unrecognizable))
            .collect(),
        _ => Err(unrecognizable()),
    }
}

fn changes(v: &Json, strings_only: bool) -> Result<ClaimChanges> {
    let add = match &v["claimsToAddOrOverride"] {
        Json::Null => Map::new(),
        Json::Object(m) => {
            if strings_only && m.values().any(|v| !v.is_string()) {
                return Err(unrecognizable());
            }
            m.clone()
        }
        _ => return Err(unrecognizable()),
    };
    Ok(ClaimChanges {
        add,
        suppress: strings(&v["claimsToSuppress"])?,
    })
}

/// Runs the pool's pre token generation trigger, when it has one, and reads its answer.
#[allow(clippy::too_many_arguments)]
pub fn pre_token_generation(
    pools: &UserPools,
    pool: &PoolConfig,
    client: &ClientConfig,
    user: &User,
    source: &str,
    groups: &[String],
    roles: &[String],
    preferred: &Option<String>,
    scopes: &[String],
) -> Result<Option<Overrides>> {
    let Some((_, version)) = configured(pool, Trigger::PreTokenGeneration) else {
        return Ok(None);
    };
    let mut request = json!({
        "userAttributes": user_attributes(pool, user),
        "groupConfiguration": {
            "groupsToOverride": groups,
            "iamRolesToOverride": roles,
            "preferredRole": preferred,
        },
        "clientMetadata": {},
    });
    let key = if version == "1" {
        "claimsOverrideDetails"
    } else {
        request["scopes"] = json!(scopes);
        "claimsAndScopeOverrideDetails"
    };
    let call = Call {
        pool,
        user_name: &user.username,
        client_id: Some(&client.id),
    };
    let Some(response) = pools.run_trigger(
        call,
        Trigger::PreTokenGeneration,
        source,
        request,
        json!({ key: null }),
    )?
    else {
        return Ok(None);
    };
    let details = &response[key];
    let mut out = Overrides::default();
    if details.is_null() {
        return Ok(Some(out));
    }
    if !details.is_object() {
        return Err(unrecognizable());
    }
    if version == "1" {
        out.id = changes(details, true)?;
    } else {
        out.id = changes(&details["idTokenGeneration"], false)?;
        out.access = changes(&details["accessTokenGeneration"], false)?;
        out.scopes_to_add = strings(&details["accessTokenGeneration"]["scopesToAdd"])?;
        out.scopes_to_suppress = strings(&details["accessTokenGeneration"]["scopesToSuppress"])?;
    }
    let g = &details["groupOverrideDetails"];
    if g.is_object() {
        out.groups = Some((
            strings(&g["groupsToOverride"])?,
            strings(&g["iamRolesToOverride"])?,
            g["preferredRole"].as_str().map(str::to_string),
        ));
    }
    Ok(Some(out))
}

/// Applies one token's changes: claims added or overridden, then suppressed; protected claims
/// are left as they are.
pub fn apply(claims: &mut Map<String, Json>, c: &ClaimChanges) {
    for (k, v) in &c.add {
        if !PROTECTED.contains(&k.as_str()) {
            claims.insert(k.clone(), v.clone());
        }
    }
    for k in &c.suppress {
        if !PROTECTED.contains(&k.as_str()) {
            claims.remove(k);
        }
    }
}
