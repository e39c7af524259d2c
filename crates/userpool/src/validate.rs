//! Every request checked against the service model before any operation runs, as Cognito's
//! front end checks it: botocore's cognito-idp model (Apache-2.0 data, `model/`, stripped of
//! its documentation) read once. A member of the wrong JSON type is a `SerializationException`
//! (the body cannot be read as the shape); a missing required member, a string outside its
//! length or pattern, a value outside its enum, a number outside its range or a list or map of
//! the wrong size is an `InvalidParameterException` listing every problem in AWS's words
//! ("2 validation errors detected: Value 'x' at 'mfaConfiguration' failed to satisfy
//! constraint: Member must satisfy enum value set: [OFF, ON, OPTIONAL]; …"), the value left out
//! for sensitive members. Answers are cut to the operation's output shape, so they never carry
//! a member the model lacks. Unknown request members are ignored, as the JSON protocol does.

use std::collections::HashMap;
use std::sync::OnceLock;

use regex::Regex;
use serde_json::{Map, Value as Json};

use crate::error::Result;

/// botocore's `cognito-idp/2016-04-18/service-2.json`, documentation removed.
const MODEL: &str = include_str!("../model/cognito-idp-2016-04-18.json");

/// One shape of the model.
#[derive(Debug)]
enum Shape {
    Structure {
        required: Vec<String>,
        members: Vec<(String, String)>,
    },
    List {
        member: String,
        min: Option<f64>,
        max: Option<f64>,
    },
    Map {
        value: String,
        min: Option<f64>,
        max: Option<f64>,
    },
    String {
        min: Option<f64>,
        max: Option<f64>,
        pattern: Option<(String, OnceLock<Option<Regex>>)>,
        values: Option<Vec<String>>,
        sensitive: bool,
    },
    Number {
        integer: bool,
        min: Option<f64>,
        max: Option<f64>,
    },
    Boolean,
    Blob,
    Timestamp,
}

/// The model: shapes by name, operations' input and output shapes.
#[derive(Debug)]
pub struct Model {
    shapes: HashMap<String, Shape>,
    operations: HashMap<String, (Option<String>, Option<String>)>,
}

/// The model, read once.
pub fn model() -> &'static Model {
    static M: OnceLock<Model> = OnceLock::new();
    M.get_or_init(|| Model::parse(MODEL).expect("the vendored model is valid JSON"))
}

fn num(v: &Json) -> Option<f64> {
    v.as_f64()
}

impl Model {
    fn parse(text: &str) -> std::result::Result<Model, serde_json::Error> {
        let raw: Json = serde_json::from_str(text)?;
        let mut shapes = HashMap::new();
        for (name, s) in raw["shapes"].as_object().into_iter().flatten() {
            let shape = match s["type"].as_str().unwrap_or_default() {
                "structure" => Shape::Structure {
                    required: s["required"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .filter_map(|r| r.as_str().map(str::to_string))
                        .collect(),
                    members: s["members"]
                        .as_object()
                        .into_iter()
                        .flatten()
                        .map(|(m, d)| (m.clone(), d["shape"].as_str().unwrap_or_default().into()))
                        .collect(),
                },
                "list" => Shape::List {
                    member: s["member"]["shape"].as_str().unwrap_or_default().into(),
                    min: num(&s["min"]),
                    max: num(&s["max"]),
                },
                "map" => Shape::Map {
                    value: s["value"]["shape"].as_str().unwrap_or_default().into(),
                    min: num(&s["min"]),
                    max: num(&s["max"]),
                },
                "string" => Shape::String {
                    min: num(&s["min"]),
                    max: num(&s["max"]),
                    pattern: s["pattern"]
                        .as_str()
                        .map(|p| (p.to_string(), OnceLock::new())),
                    values: s["enum"].as_array().map(|e| {
                        e.iter()
                            .filter_map(|v| v.as_str().map(str::to_string))
                            .collect()
                    }),
                    sensitive: s["sensitive"].as_bool().unwrap_or(false),
                },
                "integer" | "long" => Shape::Number {
                    integer: true,
                    min: num(&s["min"]),
                    max: num(&s["max"]),
                },
                "double" | "float" => Shape::Number {
                    integer: false,
                    min: num(&s["min"]),
                    max: num(&s["max"]),
                },
                "boolean" => Shape::Boolean,
                "blob" => Shape::Blob,
                "timestamp" => Shape::Timestamp,
                _ => continue,
            };
            shapes.insert(name.clone(), shape);
        }
        let operations = raw["operations"]
            .as_object()
            .into_iter()
            .flatten()
            .map(|(name, op)| {
                let shape = |k: &str| op[k]["shape"].as_str().map(str::to_string);
                (name.clone(), (shape("input"), shape("output")))
            })
            .collect();
        Ok(Model { shapes, operations })
    }

    /// Whether the model has operation `op`.
    pub fn has_operation(&self, op: &str) -> bool {
        self.operations.contains_key(op)
    }

    /// Checks `body` against `op`'s input shape.
    pub fn check_request(&self, op: &str, body: &Map<String, Json>) -> Result<()> {
        let Some((Some(input), _)) = self.operations.get(op) else {
            return Ok(());
        };
        let mut problems = Vec::new();
        self.check_structure(input, body, "", &mut problems)?;
        if problems.is_empty() {
            Ok(())
        } else {
            Err(crate::ops::validation_error(&problems))
        }
    }

    /// Cuts `answer` down to `op`'s output shape: members the model does not have are dropped,
    /// at every depth.
    pub fn shape_answer(&self, op: &str, answer: &mut Json) {
        let Some((_, Some(output))) = self.operations.get(op) else {
            return;
        };
        self.cut(output, answer);
    }

    fn cut(&self, shape: &str, value: &mut Json) {
        match (self.shapes.get(shape), value) {
            (Some(Shape::Structure { members, .. }), Json::Object(map)) => {
                map.retain(|k, _| members.iter().any(|(m, _)| m == k));
                for (m, s) in members {
                    if let Some(v) = map.get_mut(m) {
                        self.cut(s, v);
                    }
                }
            }
            (Some(Shape::List { member, .. }), Json::Array(items)) => {
                for i in items {
                    self.cut(member, i);
                }
            }
            (Some(Shape::Map { value: v, .. }), Json::Object(map)) => {
                for i in map.values_mut() {
                    self.cut(v, i);
                }
            }
            _ => {}
        }
    }

    fn check_structure(
        &self,
        shape: &str,
        map: &Map<String, Json>,
        at: &str,
        problems: &mut Vec<String>,
    ) -> Result<()> {
        let Some(Shape::Structure { required, members }) = self.shapes.get(shape) else {
            return Ok(());
        };
        // The body is read (types) before it is validated (constraints).
        for (m, s) in members {
            if let Some(v) = map.get(m).filter(|v| !v.is_null()) {
                self.check_type(s, v)?;
            }
        }
        for (m, s) in members {
            let path = join(at, &camel(m));
            match map.get(m) {
                None | Some(Json::Null) => {
                    if required.contains(m) {
                        problems.push(format!(
                            "Value null at '{path}' failed to satisfy constraint: Member must not be null"
                        ));
                    }
                }
                Some(v) => self.check_value(s, v, &path, problems)?,
            }
        }
        Ok(())
    }

    /// Whether `v` can be read as `shape` at all (a `SerializationException` if not).
    fn check_type(&self, shape: &str, v: &Json) -> Result<()> {
        let Some(s) = self.shapes.get(shape) else {
            return Ok(());
        };
        let ok = match (s, v) {
            (Shape::Structure { members, .. }, Json::Object(map)) => {
                for (m, ms) in members {
                    if let Some(v) = map.get(m).filter(|v| !v.is_null()) {
                        self.check_type(ms, v)?;
                    }
                }
                true
            }
            (Shape::List { member, .. }, Json::Array(items)) => {
                for i in items.iter().filter(|i| !i.is_null()) {
                    self.check_type(member, i)?;
                }
                true
            }
            (Shape::Map { value, .. }, Json::Object(map)) => {
                for i in map.values().filter(|i| !i.is_null()) {
                    self.check_type(value, i)?;
                }
                true
            }
            (Shape::String { .. } | Shape::Blob, Json::String(_)) => true,
            (Shape::Number { integer: true, .. }, Json::Number(n)) => {
                n.is_i64() || n.is_u64() || n.as_f64().is_some_and(|f| f.fract() == 0.0)
            }
            (Shape::Number { integer: false, .. }, Json::Number(_)) => true,
            (Shape::Boolean, Json::Bool(_)) => true,
            (Shape::Timestamp, Json::Number(_)) => true,
            _ => false,
        };
        if ok {
            return Ok(());
        }
        let wanted = match s {
            Shape::Structure { .. } => shape,
            Shape::List { .. } => "List",
            Shape::Map { .. } => "Map",
            Shape::String { .. } => "String",
            Shape::Number { integer: true, .. } => "Integer",
            Shape::Number { integer: false, .. } => "Double",
            Shape::Boolean => "Boolean",
            Shape::Blob => "Blob",
            Shape::Timestamp => "Date",
        };
        Err(crate::ops::wrong_type(v, wanted))
    }

    fn check_value(
        &self,
        shape: &str,
        v: &Json,
        path: &str,
        problems: &mut Vec<String>,
    ) -> Result<()> {
        let Some(s) = self.shapes.get(shape) else {
            return Ok(());
        };
        let fail = |problems: &mut Vec<String>, shown: Option<String>, rule: String| {
            let value = shown.map(|s| format!("'{s}' ")).unwrap_or_default();
            problems.push(format!(
                "Value {value}at '{path}' failed to satisfy constraint: {rule}"
            ));
        };
        // A list's, map's or string's length `n` against the shape's bounds.
        let length = |problems: &mut Vec<String>,
                      shown: Option<String>,
                      n: f64,
                      min: Option<f64>,
                      max: Option<f64>| {
            if let Some(min) = min.filter(|m| n < *m) {
                fail(
                    problems,
                    shown.clone(),
                    format!("Member must have length greater than or equal to {min}"),
                );
            }
            if let Some(max) = max.filter(|m| n > *m) {
                fail(
                    problems,
                    shown,
                    format!("Member must have length less than or equal to {max}"),
                );
            }
        };
        match (s, v) {
            (Shape::Structure { .. }, Json::Object(map)) => {
                self.check_structure(shape, map, path, problems)?;
            }
            (Shape::List { member, min, max }, Json::Array(items)) => {
                let n = items.len() as f64;
                let shown = Some(java_list(items));
                length(problems, shown, n, *min, *max);
                for (i, item) in items.iter().enumerate() {
                    if !item.is_null() {
                        self.check_value(
                            member,
                            item,
                            &format!("{path}.{}.member", i + 1),
                            problems,
                        )?;
                    }
                }
            }
            (Shape::Map { value, min, max }, Json::Object(map)) => {
                let n = map.len() as f64;
                length(problems, None, n, *min, *max);
                for (k, item) in map {
                    if !item.is_null() {
                        self.check_value(value, item, &format!("{path}.{k}"), problems)?;
                    }
                }
            }
            (
                Shape::String {
                    min,
                    max,
                    pattern,
                    values,
                    sensitive,
                },
                Json::String(text),
            ) => {
                let shown = (!sensitive).then(|| text.clone());
                let n = text.chars().count() as f64;
                if let Some(values) = values
                    && !values.iter().any(|a| a == text)
                {
                    fail(
                        problems,
                        shown.clone(),
                        format!(
                            "Member must satisfy enum value set: [{}]",
                            values.join(", ")
                        ),
                    );
                }
                // As AWS lists them: the pattern, then the length.
                if let Some((p, compiled)) = pattern
                    && let Some(re) = compiled.get_or_init(|| compile(p))
                    && !re.is_match(text)
                {
                    fail(
                        problems,
                        shown.clone(),
                        format!("Member must satisfy regular expression pattern: {p}"),
                    );
                }
                length(problems, shown, n, *min, *max);
            }
            (Shape::Number { min, max, .. }, Json::Number(n)) => {
                let x = n.as_f64().unwrap_or_default();
                if let Some(min) = min.filter(|m| x < *m) {
                    fail(
                        problems,
                        Some(n.to_string()),
                        format!("Member must have value greater than or equal to {min}"),
                    );
                }
                if let Some(max) = max.filter(|m| x > *m) {
                    fail(
                        problems,
                        Some(n.to_string()),
                        format!("Member must have value less than or equal to {max}"),
                    );
                }
            }
            _ => {}
        }
        Ok(())
    }
}

/// A Java regular expression of the model, anchored as Java's `matches()` uses it; `None` for
/// the few the `regex` crate cannot read (look-behind), which are then not checked.
fn compile(pattern: &str) -> Option<Regex> {
    Regex::new(&format!("^(?:{pattern})$")).ok()
}

/// `clientId` from `ClientId`: messages name members in lower camel case.
fn camel(field: &str) -> String {
    let mut c = field.chars();
    c.next()
        .map(|f| f.to_lowercase().chain(c).collect())
        .unwrap_or_default()
}

fn join(at: &str, name: &str) -> String {
    if at.is_empty() {
        name.to_string()
    } else {
        format!("{at}.{name}")
    }
}

/// A list as Java prints one: `[a, b]`.
fn java_list(items: &[Json]) -> String {
    let parts: Vec<String> = items
        .iter()
        .map(|i| match i {
            Json::String(s) => s.clone(),
            other => other.to_string(),
        })
        .collect();
    format!("[{}]", parts.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn check(op: &str, body: Json) -> Result<()> {
        model().check_request(op, body.as_object().expect("object"))
    }

    #[test]
    fn the_vendored_model_reads_and_its_patterns_compile() {
        let m = model();
        assert!(m.operations.len() > 100, "{}", m.operations.len());
        let (mut all, mut compiled) = (0, 0);
        for s in m.shapes.values() {
            if let Shape::String {
                pattern: Some((p, _)),
                ..
            } = s
            {
                all += 1;
                compiled += usize::from(compile(p).is_some());
            }
        }
        // Only look-behind patterns are beyond the regex crate.
        assert!(all - compiled <= 2, "{compiled} of {all} patterns compile");
    }

    #[test]
    fn an_enum_value_that_does_not_exist_is_named_with_the_set() {
        let e = check(
            "SetUserPoolMfaConfig",
            json!({"UserPoolId": "us-east-1_abc", "MfaConfiguration": "ON_PLEASE"}),
        )
        .expect_err("refused");
        assert_eq!(e.kind.as_str(), "InvalidParameterException");
        assert_eq!(
            e.message,
            "1 validation error detected: Value 'ON_PLEASE' at 'mfaConfiguration' failed to satisfy constraint: Member must satisfy enum value set: [OFF, ON, OPTIONAL]"
        );
    }

    #[test]
    fn every_problem_is_listed_and_sensitive_values_are_not_echoed() {
        let e = check(
            "SignUp",
            json!({"ClientId": "c", "Username": "", "Password": "x".repeat(300)}),
        )
        .expect_err("refused");
        assert!(
            e.message.starts_with("3 validation errors detected: "),
            "{}",
            e.message
        );
        assert!(e.message.contains("Value at 'username' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\p{L}\\p{M}\\p{S}\\p{N}\\p{P}]+; Value at 'username' failed to satisfy constraint: Member must have length greater than or equal to 1"), "{}", e.message);
        assert!(e.message.contains("Value at 'username' failed to satisfy constraint: Member must have length greater than or equal to 1"), "{}", e.message);
        assert!(e.message.contains("Value at 'password' failed to satisfy constraint: Member must have length less than or equal to 256"), "{}", e.message);
        assert!(!e.message.contains("xxxx"));
    }

    #[test]
    fn a_wrong_json_type_anywhere_is_a_serialization_error() {
        let e = check(
            "CreateUserPool",
            json!({"PoolName": "p", "Policies": {"PasswordPolicy": "weak"}}),
        )
        .expect_err("refused");
        assert_eq!(e.kind.as_str(), "SerializationException");
        let e = check(
            "CreateUserPool",
            json!({"PoolName": "p", "UserPoolAddOns": "x"}),
        )
        .expect_err("refused");
        assert_eq!(e.kind.as_str(), "SerializationException");
        assert!(
            check(
                "ListUsers",
                json!({"UserPoolId": "us-east-1_a", "Limit": "10"})
            )
            .is_err()
        );
    }

    #[test]
    fn nested_members_and_list_items_are_checked_with_their_paths() {
        let e = check(
            "AdminCreateUser",
            json!({"UserPoolId": "us-east-1_a", "Username": "u",
                   "UserAttributes": [{"Name": "email", "Value": "a@b"}, {"Value": "x"}]}),
        )
        .expect_err("refused");
        assert!(
            e.message.contains("Value null at 'userAttributes.2.member.name' failed to satisfy constraint: Member must not be null"),
            "{}",
            e.message
        );
        assert!(
            check(
                "ListUsers",
                json!({"UserPoolId": "us-east-1_a", "Limit": 61})
            )
            .expect_err("over 60")
            .message
            .contains("Member must have value less than or equal to 60")
        );
    }

    #[test]
    fn a_valid_request_passes_and_answers_lose_members_the_model_lacks() {
        check(
            "InitiateAuth",
            json!({"AuthFlow": "USER_PASSWORD_AUTH", "ClientId": "abc",
                   "AuthParameters": {"USERNAME": "u", "PASSWORD": "p"}, "Unknown": 1}),
        )
        .expect("valid");
        let mut answer = json!({"UserPool": {"Id": "us-east-1_a", "Schema": [1], "SchemaAttributes": []}, "Extra": true});
        model().shape_answer("DescribeUserPool", &mut answer);
        assert_eq!(
            answer,
            json!({"UserPool": {"Id": "us-east-1_a", "SchemaAttributes": []}})
        );
    }
}
