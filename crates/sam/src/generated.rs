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

/// The logical ids SAM generates for `r` that a template can refer to, each with what it is
/// (`Role`, `Alias`, `Version`, `Stage`, `Deployment`, `UsagePlan`, `UsagePlanKey`, `ApiKey`,
/// `DomainName`, `BasePathMapping`, `ApiMapping`): both the referenceable properties
/// (`MyApi.Stage`) and the ids themselves as aws-sam-translator 1.115 spells them
/// (`MyApiProdStage`, `MyFunctionAliaslive`, `MyApiUsagePlan`; see [`stage_id`]). The ids SAM
/// derives from a hash of what it deploys (`<Api>Deployment<hash>`, `<Fn>Version<hash>`) cannot
/// be computed here; their dotted forms can be referred to.
pub(crate) fn ids(
    r: &Resource,
    kind: Kind,
    globals: Option<&template::Node>,
) -> Vec<(String, &'static str)> {
    let id = &r.logical_id;
    let global_alias = || {
        globals
            .and_then(|g| g.get("Function"))
            .and_then(|f| f.get("AutoPublishAlias"))
    };
    let dotted = |names: &[&'static str]| -> Vec<(String, &'static str)> {
        names.iter().map(|s| (format!("{id}.{s}"), *s)).collect()
    };
    match kind {
        Kind::Function => {
            let mut out = Vec::new();
            if r.properties.get("Role").is_none() {
                out.push((format!("{id}Role"), "Role"));
            }
            if let Some(alias) = r.properties.get("AutoPublishAlias").or_else(global_alias) {
                out.extend(dotted(&["Alias", "Version"]));
                // `<Fn>Alias<name>`, `-` written `D` and `_` written `U` (sam_resources.py).
                if let Some(name) = alias.as_str() {
                    let name = name.replace('-', "D").replace('_', "U");
                    out.push((format!("{id}Alias{name}"), "Alias"));
                }
            }
            out
        }
        Kind::RestApi => {
            let mut out = dotted(&[
                "Stage",
                "Deployment",
                "UsagePlan",
                "UsagePlanKey",
                "ApiKey",
                "DomainName",
                "BasePathMapping",
            ]);
            out.extend(stage_id(id, r.properties.get("StageName"), false).map(|s| (s, "Stage")));
            let plan = r
                .properties
                .get("Auth")
                .and_then(|a| a.get("UsagePlan"))
                .and_then(|u| u.get("CreateUsagePlan"))
                .and_then(template::Node::as_str);
            let owner = match plan {
                Some("PER_API") => Some(id.as_str()),
                Some("SHARED") => Some("Serverless"),
                _ => None,
            };
            if let Some(o) = owner {
                for what in ["UsagePlan", "ApiKey", "UsagePlanKey"] {
                    out.push((format!("{o}{what}"), what));
                }
            }
            out
        }
        Kind::HttpApi => {
            let mut out = dotted(&["Stage", "DomainName", "ApiMapping"]);
            out.extend(stage_id(id, r.properties.get("StageName"), true).map(|s| (s, "Stage")));
            out
        }
        _ => Vec::new(),
    }
}

/// The logical id of the stage SAM generates for the API `api` with `StageName` `stage`
/// (api_generator.py, http_api_generator.py): `<Api><Name>Stage` for an alphanumeric name,
/// `<Api>Stage<first 10 hex of sha1(name)>` for another, `<Api>Stage` for a name given by an
/// intrinsic; an HTTP API's `$default` (also when it gives none) is
/// `<Api>ApiGatewayDefaultStage`.
pub(crate) fn stage_id(api: &str, stage: Option<&template::Node>, http: bool) -> Option<String> {
    let name = match stage {
        None if http => return Some(format!("{api}ApiGatewayDefaultStage")),
        None => return None,
        Some(n) => match n.as_str() {
            Some(s) => s,
            None => return Some(format!("{api}Stage")),
        },
    };
    Some(if http && name == "$default" {
        format!("{api}ApiGatewayDefaultStage")
    } else if !name.is_empty() && name.chars().all(char::is_alphanumeric) {
        format!("{api}{name}Stage")
    } else {
        let hash = common::digest::sha1(name.as_bytes());
        let hex: String = hash.iter().map(|b| format!("{b:02x}")).collect();
        format!("{api}Stage{}", &hex[..10])
    })
}

/// What `Ref` (and, for the role, `GetAtt`) gives for the generated resource `generated`, a
/// `what` (see [`ids`]). `name` is the owner's own name (a function's name, an API's id); `stage` the
/// API's stage; `alias` the function's `AutoPublishAlias`.
pub(crate) fn identity(
    p: &Pseudo,
    generated: &str,
    what: &str,
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
    let function_arn = crate::identity::function_arn(p, name);
    match what {
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
