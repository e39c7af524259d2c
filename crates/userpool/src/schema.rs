//! A pool's attribute schema: the standard attributes every pool has (with AWS's defaults), the
//! pool's `Schema` over them, and its custom attributes (`custom:<name>`); what
//! `DescribeUserPool` shows as `SchemaAttributes`, and what sign-up and attribute writes must
//! meet. Errors are AWS's: `InvalidParameterException` "Attributes did not conform to the
//! schema: <name>: <why>" (several joined with a new line).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Value as Json, json};

use crate::error::{CognitoError, Result};

/// The most custom attributes a pool can have.
pub const MAX_CUSTOM: usize = 50;

/// One attribute of the schema.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attribute {
    /// `email`, or `custom:tier`.
    pub name: String,
    /// `String`, `Number`, `DateTime` or `Boolean`.
    pub data_type: String,
    /// Only administrators may write it.
    pub developer_only: bool,
    /// It may change after the user is created.
    pub mutable: bool,
    /// A user must have it.
    pub required: bool,
    /// `StringAttributeConstraints.MinLength` (as AWS writes it: a string).
    pub min_length: Option<String>,
    /// `StringAttributeConstraints.MaxLength`.
    pub max_length: Option<String>,
    /// `NumberAttributeConstraints.MinValue`.
    pub min_value: Option<String>,
    /// `NumberAttributeConstraints.MaxValue`.
    pub max_value: Option<String>,
}

fn string(name: &str, min: &str, max: &str) -> Attribute {
    Attribute {
        name: name.into(),
        data_type: "String".into(),
        developer_only: false,
        mutable: true,
        required: false,
        min_length: Some(min.into()),
        max_length: Some(max.into()),
        min_value: None,
        max_value: None,
    }
}

/// The standard attributes, in AWS's order, with AWS's defaults.
pub fn standard() -> Vec<Attribute> {
    let mut out = Vec::new();
    let mut sub = string("sub", "1", "2048");
    sub.mutable = false;
    sub.required = true;
    out.push(sub);
    for n in [
        "name",
        "given_name",
        "family_name",
        "middle_name",
        "nickname",
        "preferred_username",
        "profile",
        "picture",
        "website",
        "email",
    ] {
        out.push(string(n, "0", "2048"));
    }
    let boolean = |name: &str| Attribute {
        name: name.into(),
        data_type: "Boolean".into(),
        developer_only: false,
        mutable: true,
        required: false,
        min_length: None,
        max_length: None,
        min_value: None,
        max_value: None,
    };
    out.push(boolean("email_verified"));
    out.push(string("gender", "0", "2048"));
    out.push(string("birthdate", "10", "10"));
    out.push(string("zoneinfo", "0", "2048"));
    out.push(string("locale", "0", "2048"));
    out.push(string("phone_number", "0", "2048"));
    out.push(boolean("phone_number_verified"));
    out.push(string("address", "0", "2048"));
    out.push(Attribute {
        name: "updated_at".into(),
        data_type: "Number".into(),
        developer_only: false,
        mutable: true,
        required: false,
        min_length: None,
        max_length: None,
        min_value: Some("0".into()),
        max_value: None,
    });
    out
}

fn constraint(v: &Json, key: &str) -> Option<String> {
    match &v[key] {
        Json::String(s) => Some(s.clone()),
        Json::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn from_type(a: &Json, name: String) -> Attribute {
    Attribute {
        name,
        data_type: a["AttributeDataType"].as_str().unwrap_or("String").into(),
        developer_only: a["DeveloperOnlyAttribute"].as_bool().unwrap_or(false),
        mutable: a["Mutable"].as_bool().unwrap_or(true),
        required: a["Required"].as_bool().unwrap_or(false),
        min_length: constraint(&a["StringAttributeConstraints"], "MinLength"),
        max_length: constraint(&a["StringAttributeConstraints"], "MaxLength"),
        min_value: constraint(&a["NumberAttributeConstraints"], "MinValue"),
        max_value: constraint(&a["NumberAttributeConstraints"], "MaxValue"),
    }
}

/// The custom attributes of `list` (a `SchemaAttributeType` list: CreateUserPool's `Schema`
/// or AddCustomAttributes), checked: bare names become `custom:<name>`, and cannot be
/// required.
fn custom(list: &[Json], existing: &[Attribute]) -> Result<Vec<Attribute>> {
    let mut out: Vec<Attribute> = Vec::new();
    for a in list {
        let name = a["Name"].as_str().unwrap_or_default();
        let full = if name.starts_with("custom:") {
            name.to_string()
        } else {
            format!("custom:{name}")
        };
        if a["Required"].as_bool() == Some(true) {
            return Err(CognitoError::invalid_parameter(
                "Required custom attributes are not supported currently.",
            ));
        }
        if existing.iter().chain(out.iter()).any(|x| x.name == full) {
            return Err(CognitoError::invalid_parameter(format!(
                "Existing attribute already has name {full}."
            )));
        }
        out.push(from_type(a, full));
    }
    Ok(out)
}

/// A new pool's schema from CreateUserPool's `Schema`: the standard attributes, with those it
/// names set as it says, then its custom attributes.
pub fn from_request(schema: Option<&Json>) -> Result<Vec<Attribute>> {
    let mut out = standard();
    let mut customs = Vec::new();
    for a in schema.and_then(Json::as_array).into_iter().flatten() {
        let name = a["Name"].as_str().unwrap_or_default();
        match out.iter_mut().find(|s| s.name == name) {
            Some(std) => {
                let mut given = from_type(a, name.to_string());
                // A standard attribute keeps its type; its constraints default to AWS's.
                given.data_type.clone_from(&std.data_type);
                if given.min_length.is_none() {
                    given.min_length.clone_from(&std.min_length);
                }
                if given.max_length.is_none() {
                    given.max_length.clone_from(&std.max_length);
                }
                *std = given;
            }
            None => customs.push(a.clone()),
        }
    }
    let customs = custom(&customs, &out)?;
    if customs.len() > MAX_CUSTOM {
        return Err(CognitoError::invalid_parameter(format!(
            "A user pool can have at most {MAX_CUSTOM} custom attributes."
        )));
    }
    out.extend(customs);
    Ok(out)
}

/// AddCustomAttributes: `list` appended to `schema`.
pub fn add_custom(schema: &mut Vec<Attribute>, list: &[Json]) -> Result<()> {
    let new = custom(list, schema)?;
    if schema
        .iter()
        .filter(|a| a.name.starts_with("custom:"))
        .count()
        + new.len()
        > MAX_CUSTOM
    {
        return Err(CognitoError::invalid_parameter(format!(
            "A user pool can have at most {MAX_CUSTOM} custom attributes."
        )));
    }
    schema.extend(new);
    Ok(())
}

impl Attribute {
    /// The `SchemaAttributeType` shape.
    pub fn render(&self) -> Json {
        let mut a = json!({
            "Name": self.name,
            "AttributeDataType": self.data_type,
            "DeveloperOnlyAttribute": self.developer_only,
            "Mutable": self.mutable,
            "Required": self.required,
        });
        if self.data_type == "String" {
            let mut c = serde_json::Map::new();
            if let Some(v) = &self.min_length {
                c.insert("MinLength".into(), json!(v));
            }
            if let Some(v) = &self.max_length {
                c.insert("MaxLength".into(), json!(v));
            }
            a["StringAttributeConstraints"] = Json::Object(c);
        }
        if self.data_type == "Number" {
            let mut c = serde_json::Map::new();
            if let Some(v) = &self.min_value {
                c.insert("MinValue".into(), json!(v));
            }
            if let Some(v) = &self.max_value {
                c.insert("MaxValue".into(), json!(v));
            }
            a["NumberAttributeConstraints"] = Json::Object(c);
        }
        a
    }

    fn problem(&self, value: &str) -> Option<String> {
        let n = self.name.as_str();
        match self.data_type.as_str() {
            "Number" => {
                let Ok(x) = value.parse::<f64>() else {
                    return Some(format!("{n}: Number must be a number"));
                };
                if let Some(min) = self
                    .min_value
                    .as_deref()
                    .and_then(|m| m.parse::<f64>().ok())
                    && x < min
                {
                    return Some(format!("{n}: Number must be no less than {min}"));
                }
                if let Some(max) = self
                    .max_value
                    .as_deref()
                    .and_then(|m| m.parse::<f64>().ok())
                    && x > max
                {
                    return Some(format!("{n}: Number must be no greater than {max}"));
                }
                None
            }
            "Boolean" => (!matches!(value, "true" | "false"))
                .then(|| format!("{n}: Boolean must be true or false")),
            _ => {
                let len = value.chars().count();
                if let Some(min) = self
                    .min_length
                    .as_deref()
                    .and_then(|m| m.parse::<usize>().ok())
                    && len < min
                {
                    return Some(format!("{n}: String must be at least {min} characters"));
                }
                if let Some(max) = self
                    .max_length
                    .as_deref()
                    .and_then(|m| m.parse::<usize>().ok())
                    && len > max
                {
                    return Some(format!(
                        "{n}: String must be no longer than {max} characters"
                    ));
                }
                None
            }
        }
    }
}

fn nonconforming(problems: &[String]) -> CognitoError {
    CognitoError::invalid_parameter(format!(
        "Attributes did not conform to the schema: {}",
        problems.join("\n")
    ))
}

/// What writing `attrs` must meet: each is in the schema, of its type and size; after the
/// user exists (`creating` false) only mutable ones change; developer-only ones only by an
/// administrator (`admin`).
pub fn check_writes(
    schema: &[Attribute],
    attrs: &[(String, String)],
    creating: bool,
    admin: bool,
) -> Result<()> {
    let mut problems = Vec::new();
    for (name, value) in attrs {
        if name == "sub" {
            return Err(CognitoError::invalid_parameter(
                "Cannot modify the non-mutable attribute sub",
            ));
        }
        let Some(a) = schema.iter().find(|a| &a.name == name) else {
            problems.push(format!("{name}: Attribute does not exist in the schema.\n"));
            continue;
        };
        if a.developer_only && !admin {
            return Err(CognitoError::not_authorized(
                "A client attempted to write unauthorized attribute",
            ));
        }
        if !creating && !a.mutable {
            return Err(CognitoError::invalid_parameter(
                "Attribute cannot be updated",
            ));
        }
        // An empty value removes an attribute; only a present one is checked.
        if !value.is_empty()
            && let Some(p) = a.problem(value)
        {
            problems.push(p);
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(nonconforming(&problems))
    }
}

/// A new user must have every required attribute.
pub fn check_required(schema: &[Attribute], attrs: &BTreeMap<String, String>) -> Result<()> {
    let missing: Vec<String> = schema
        .iter()
        .filter(|a| a.required && a.name != "sub")
        .filter(|a| attrs.get(&a.name).is_none_or(String::is_empty))
        .map(|a| format!("{}: The attribute is required", a.name))
        .collect();
    if missing.is_empty() {
        Ok(())
    } else {
        Err(nonconforming(&missing))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_schema_merges_over_the_standard_attributes_and_adds_custom_ones() {
        let s = from_request(Some(&json!([
            {"Name": "email", "Required": true, "Mutable": true},
            {"Name": "tier", "AttributeDataType": "String", "Mutable": false,
             "StringAttributeConstraints": {"MinLength": "1", "MaxLength": "8"}},
            {"Name": "age", "AttributeDataType": "Number", "NumberAttributeConstraints": {"MinValue": "0", "MaxValue": "150"}},
        ])))
        .expect("schema");
        assert_eq!(s[0].name, "sub");
        let email = s.iter().find(|a| a.name == "email").expect("email");
        assert!(email.required);
        assert_eq!(email.max_length.as_deref(), Some("2048"));
        let tier = s
            .iter()
            .find(|a| a.name == "custom:tier")
            .expect("custom:tier");
        assert!(!tier.mutable);
        assert_eq!(
            tier.render()["StringAttributeConstraints"],
            json!({"MinLength": "1", "MaxLength": "8"})
        );

        let mut attrs = BTreeMap::new();
        assert_eq!(
            check_required(&s, &attrs).expect_err("no email").message,
            "Attributes did not conform to the schema: email: The attribute is required"
        );
        attrs.insert("email".to_string(), "a@b.c".to_string());
        check_required(&s, &attrs).expect("has email");

        let w = |attrs: &[(&str, &str)], creating: bool| {
            let attrs: Vec<(String, String)> = attrs
                .iter()
                .map(|(a, b)| (a.to_string(), b.to_string()))
                .collect();
            check_writes(&s, &attrs, creating, false)
        };
        w(&[("custom:tier", "gold"), ("custom:age", "40")], true).expect("fits");
        assert!(
            w(&[("custom:tier", "platinum-plus")], true).is_err(),
            "too long"
        );
        assert!(w(&[("custom:age", "200")], true).is_err(), "too old");
        assert!(w(&[("custom:age", "forty")], true).is_err(), "not a number");
        assert_eq!(
            w(&[("custom:nope", "x")], true)
                .expect_err("unknown")
                .message,
            "Attributes did not conform to the schema: custom:nope: Attribute does not exist in the schema.\n"
        );
        assert_eq!(
            w(&[("custom:tier", "gold")], false)
                .expect_err("immutable")
                .message,
            "Attribute cannot be updated"
        );
    }

    #[test]
    fn custom_attributes_cannot_be_required_or_added_twice() {
        assert!(from_request(Some(&json!([{"Name": "x", "Required": true}]))).is_err());
        let mut s = from_request(None).expect("schema");
        add_custom(&mut s, &[json!({"Name": "x"})]).expect("added");
        assert!(add_custom(&mut s, &[json!({"Name": "x"})]).is_err());
    }
}
