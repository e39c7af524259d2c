//! The resources SAM generates that a template may name ("Referencing generated AWS
//! CloudFormation resources" in SAM's documentation): a function's `<Function>Role` when it
//! gives no `Role`, `<Function>.Alias` and `<Function>.Version` with `AutoPublishAlias`, an
//! API's `<Api>.Stage`, `<Api>.Deployment`, `<Api>.UsagePlan`, `<Api>.UsagePlanKey`,
//! `<Api>.ApiKey`, `<Api>.DomainName` and `<Api>.BasePathMapping` (an HTTP API's `.Stage`,
//! `.DomainName` and `.ApiMapping`). None of them is emulated: references to them resolve to
//! AWS-shaped values, and order after the resource that generates them.

use common::digest::sha256;
use common::id::stable_id;
use serde_json::Value as Json;
use template::{Pseudo, Resource};

use crate::Kind;

const LOWER_ALNUM: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";

/// The logical ids SAM generates for `r` that a template can refer to.
pub(crate) fn ids(r: &Resource, kind: Kind, globals: Option<&template::Node>) -> Vec<String> {
    let id = &r.logical_id;
    let has = |key: &str| {
        r.properties.get(key).is_some()
            || globals
                .and_then(|g| g.get("Function"))
                .and_then(|f| f.get(key))
                .is_some()
    };
    match kind {
        Kind::Function => {
            let mut out = Vec::new();
            if r.properties.get("Role").is_none() {
                out.push(format!("{id}Role"));
            }
            if has("AutoPublishAlias") {
                out.push(format!("{id}.Alias"));
                out.push(format!("{id}.Version"));
            }
            out
        }
        Kind::RestApi => [
            "Stage",
            "Deployment",
            "UsagePlan",
            "UsagePlanKey",
            "ApiKey",
            "DomainName",
            "BasePathMapping",
        ]
        .iter()
        .map(|s| format!("{id}.{s}"))
        .collect(),
        Kind::HttpApi => ["Stage", "DomainName", "ApiMapping"]
            .iter()
            .map(|s| format!("{id}.{s}"))
            .collect(),
        _ => Vec::new(),
    }
}

/// What `Ref` (and, for the role, `GetAtt`) gives for the generated resource `generated` of
/// `owner`. `name` is the owner's own name (a function's name, an API's id); `stage` the
/// API's stage; `alias` the function's `AutoPublishAlias`.
pub(crate) fn identity(
    p: &Pseudo,
    owner: &str,
    generated: &str,
    name: &str,
    stage: Option<&str>,
    alias: Option<&str>,
) -> (String, Vec<(&'static str, Json)>) {
    let stable = |n: usize| {
        stable_id(
            &sha256(&[p.stack_name.as_bytes(), b"/", generated.as_bytes()]),
            LOWER_ALNUM,
            n,
        )
    };
    let suffix = generated
        .strip_prefix(owner)
        .unwrap_or(generated)
        .trim_start_matches('.');
    let function_arn = crate::identity::function_arn(p, name);
    match suffix {
        "Role" => {
            let role = crate::identity::generated_name(p, generated);
            let arn = format!("arn:aws:iam::{}:role/{role}", p.account_id);
            (
                role.clone(),
                vec![
                    ("Arn", Json::String(arn)),
                    (
                        "RoleId",
                        Json::String(format!("AROA{}", stable(17).to_uppercase())),
                    ),
                ],
            )
        }
        "Alias" => (
            format!("{function_arn}:{}", alias.unwrap_or("live")),
            Vec::new(),
        ),
        "Version" => (format!("{function_arn}:1"), Vec::new()),
        "Stage" => (stage.unwrap_or("Prod").to_string(), Vec::new()),
        "DomainName" => (
            format!("{name}.execute-api.{}.amazonaws.com", p.region),
            Vec::new(),
        ),
        _ => (stable(10), Vec::new()),
    }
}
