//! ListUsers: filters, attributes to get, and pagination.

use serde_json::{Value as Json, json};

use super::{Constraint, Req, no_pool, validation_error};
use crate::error::{CognitoError, Result};
use crate::model::User;
use crate::pools::UserPools;
use common::encoding::{b64url, b64url_decode};

impl UserPools {
    pub(crate) fn list_users(&self, r: &Req<'_>) -> Result<Json> {
        r.require(&["UserPoolId"])?;
        let pool_id = r.checked("UserPoolId", Constraint::PoolId)?;
        let limit = r.opt_int("Limit")?.unwrap_or(60);
        if !(0..=60).contains(&limit) {
            return Err(validation_error(&[format!(
                "Value '{limit}' at 'limit' failed to satisfy constraint: Member must have value less than or equal to 60"
            )]));
        }
        let filter = match r.opt_str("Filter")? {
            Some(f) if !f.trim().is_empty() => Some(parse_filter(f)?),
            _ => None,
        };
        let wanted = r.opt_str_list("AttributesToGet")?;
        let after = match r.opt_str("PaginationToken")? {
            Some(t) => Some(
                b64url_decode(t)
                    .and_then(|b| String::from_utf8(b).ok())
                    .ok_or_else(|| CognitoError::invalid_parameter("Invalid pagination token"))?,
            ),
            None => None,
        };
        let state = self.read();
        let pool = state.pools.get(pool_id).ok_or_else(|| no_pool(pool_id))?;
        let mut names: Vec<&String> = pool.users.keys().collect();
        names.sort();
        let mut out = Vec::new();
        let mut next = None;
        for name in names {
            if after.as_ref().is_some_and(|a| name <= a) {
                continue;
            }
            let user = &pool.users[name];
            if filter.as_ref().is_some_and(|f| !f.matches(user)) {
                continue;
            }
            if out.len() as i64 == limit {
                next = out
                    .last()
                    .map(|(n, _): &(String, Json)| b64url(n.as_bytes()));
                break;
            }
            let mut rendered = user.render();
            if let Some(w) = &wanted {
                let attrs: Vec<Json> = rendered["Attributes"]
                    .as_array()
                    .map(|a| {
                        a.iter()
                            .filter(|x| {
                                x["Name"].as_str().is_some_and(|n| w.iter().any(|k| k == n))
                            })
                            .cloned()
                            .collect()
                    })
                    .unwrap_or_default();
                rendered["Attributes"] = Json::Array(attrs);
            }
            out.push((name.clone(), rendered));
        }
        let mut resp = json!({"Users": out.into_iter().map(|(_, u)| u).collect::<Vec<_>>()});
        if let Some(t) = next {
            resp["PaginationToken"] = json!(t);
        }
        Ok(resp)
    }
}

/// A ListUsers filter: `attribute = "value"` or `attribute ^= "prefix"`.
#[derive(Debug, PartialEq, Eq)]
pub struct Filter {
    attribute: String,
    prefix: bool,
    value: String,
}

const FILTERABLE: &[&str] = &[
    "username",
    "email",
    "phone_number",
    "name",
    "given_name",
    "family_name",
    "preferred_username",
    "cognito:user_status",
    "status",
    "sub",
];

/// Parses a ListUsers filter; anything else is "Error while parsing filter.".
pub fn parse_filter(text: &str) -> Result<Filter> {
    let bad = || CognitoError::invalid_parameter("Error while parsing filter.");
    let (attribute, rest, prefix) = if let Some((a, v)) = text.split_once("^=") {
        (a, v, true)
    } else if let Some((a, v)) = text.split_once('=') {
        (a, v, false)
    } else {
        return Err(bad());
    };
    let attribute = attribute.trim().trim_matches('"');
    if !FILTERABLE.contains(&attribute) {
        return Err(bad());
    }
    let v = rest.trim();
    let value = v
        .strip_prefix('"')
        .and_then(|v| v.strip_suffix('"'))
        .ok_or_else(bad)?;
    Ok(Filter {
        attribute: attribute.into(),
        prefix,
        value: value.into(),
    })
}

impl Filter {
    fn matches(&self, u: &User) -> bool {
        let actual = match self.attribute.as_str() {
            "username" => Some(u.username.as_str()),
            "cognito:user_status" => Some(u.status.as_str()),
            "status" => Some(if u.enabled { "Enabled" } else { "Disabled" }),
            other => u.attributes.get(other).map(String::as_str),
        };
        actual.is_some_and(|a| {
            if self.prefix {
                a.starts_with(&self.value)
            } else {
                a == self.value
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_parse_like_cognito_and_bad_ones_are_refused() {
        assert_eq!(
            parse_filter("email = \"a@b.c\"").expect("ok"),
            Filter {
                attribute: "email".into(),
                prefix: false,
                value: "a@b.c".into()
            }
        );
        assert!(parse_filter("email ^= \"a\"").expect("ok").prefix);
        for bad in ["email", "email = a", "shoe = \"x\"", "email > \"x\""] {
            assert_eq!(
                parse_filter(bad).expect_err(bad).message,
                "Error while parsing filter."
            );
        }
    }
}
