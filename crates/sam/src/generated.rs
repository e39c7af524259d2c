//! The resources SAM generates that a template may name, as aws-sam-translator 1.115 names
//! them ("Referencing generated AWS CloudFormation resources" in SAM's documentation, and the
//! translator's source for the rest): the referenceable properties (`MyApi.Stage`,
//! `MyFunction.Alias`, ...) and the ids themselves: functions' roles and aliases, APIs' stages
//! and usage plans, the permissions, rules and event source mappings of functions' events,
//! Lambda authorizers' permissions, connectors' policies, and the implicit APIs' stages. None
//! of them is emulated: references to them resolve to AWS-shaped values, and order after the
//! resource that generates them.

use common::digest::sha256;
use common::id::stable_id;
use serde_json::Value as Json;
use template::{Node, Pseudo, Resource, Stack};

use crate::Kind;

const LOWER_ALNUM: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";

/// The logical ids SAM generates for `r` that a template can refer to, each with what it is
/// (`Role`, `Alias`, `Version`, `Stage`, `Deployment`, `UsagePlan`, `UsagePlanKey`, `ApiKey`,
/// `DomainName`, `BasePathMapping`, `ApiMapping`): both the referenceable properties
/// (`MyApi.Stage`) and the ids themselves as aws-sam-translator 1.115 spells them
/// (`MyApiProdStage`, `MyFunctionAliaslive`, `MyApiUsagePlan`; see [`stage_id`]). The ids SAM
/// derives from a hash of what it deploys (`<Api>Deployment<hash>`, `<Fn>Version<hash>`) cannot
/// be computed here; their dotted forms can be referred to.
pub(crate) fn ids(stack: &Stack, r: &Resource, kind: Kind) -> Vec<(String, &'static str)> {
    let id = &r.logical_id;
    let globals = crate::globals_of(stack, crate::scope_of(id));
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
                if let Some(name) = text(stack, r, alias) {
                    let name = name.replace('-', "D").replace('_', "U");
                    out.push((format!("{id}Alias{name}"), "Alias"));
                }
            }
            out.extend(event_ids(stack, r));
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
            out.extend(authorizer_permissions(
                id,
                auth(r, globals, "Api", "Authorizers"),
                false,
            ));
            let plan = auth(r, globals, "Api", "UsagePlan")
                .and_then(|u| u.get("CreateUsagePlan"))
                .and_then(|n| text(stack, r, n));
            let plan = plan.as_deref();
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
            let authorizers = auth(r, globals, "HttpApi", "Authorizers");
            out.extend(authorizer_permissions(id, authorizers, true));
            out
        }
        _ if r.kind == "AWS::Serverless::Connector" => connector_ids(stack, r),
        _ => Vec::new(),
    }
}

/// `key` of an API's `Auth`, or of `Globals.<section>.Auth` (SAM merges the two key by key).
fn auth<'a>(
    r: &'a Resource,
    globals: Option<&'a Node>,
    section: &str,
    key: &str,
) -> Option<&'a Node> {
    r.properties
        .get("Auth")
        .and_then(|a| a.get(key))
        .or_else(|| {
            globals
                .and_then(|g| g.get(section))
                .and_then(|a| a.get("Auth"))
                .and_then(|a| a.get(key))
        })
}

/// A property SAM reads at translation time (a string, or a parameter's value), resolved.
fn text(stack: &Stack, r: &Resource, node: &Node) -> Option<String> {
    let v = stack
        .resolve(node, &template::Physical::default(), &r.logical_id)
        .ok()?;
    v.as_str().map(str::to_string)
}

/// What an `AWS::Serverless::Connector` `<C>` becomes (sam_resources.py): an IAM policy
/// `<C>Policy` on the role of a source that has one (a function, a state machine); for other
/// sources the destination's resource policy, `<C>TopicPolicy` or `<C>QueuePolicy`. A list
/// of destinations numbers them: `<C>PolicyDestination<i>`. (A Lambda destination's
/// `<C><Category>LambdaPermission` is not modelled.)
fn connector_ids(stack: &Stack, r: &Resource) -> Vec<(String, &'static str)> {
    let id = &r.logical_id;
    let kind_of = |end: Option<&Node>| -> String {
        let Some(end) = end else {
            return String::new();
        };
        if let Some(t) = end.get("Type").and_then(Node::as_str) {
            return t.to_string();
        }
        let target = end.get("Id").and_then(Node::as_str).unwrap_or_default();
        let target = crate::scoped(crate::scope_of(id), target);
        stack
            .resources
            .iter()
            .find(|x| x.logical_id == target)
            .map(|x| x.kind.clone())
            .unwrap_or_default()
    };
    let source = kind_of(r.properties.get("Source"));
    let with_role = matches!(
        source.as_str(),
        "AWS::Serverless::Function"
            | "AWS::Lambda::Function"
            | "AWS::Serverless::StateMachine"
            | "AWS::StepFunctions::StateMachine"
    );
    let destination = r.properties.get("Destination");
    let (destinations, listed): (Vec<&Node>, bool) = match destination.map(|d| &d.value) {
        Some(template::Value::Seq(items)) => (items.iter().collect(), true),
        _ => (destination.into_iter().collect(), false),
    };
    let mut out = Vec::new();
    for (i, d) in destinations.into_iter().enumerate() {
        let what = if with_role {
            "Policy"
        } else {
            match kind_of(Some(d)).as_str() {
                "AWS::SNS::Topic" => "TopicPolicy",
                "AWS::SQS::Queue" => "QueuePolicy",
                _ => continue,
            }
        };
        let suffix = if listed {
            format!("Destination{i}")
        } else {
            String::new()
        };
        out.push((format!("{id}{what}{suffix}"), "Policy"));
    }
    out
}

/// What SAM generates for a function's events (push.py, pull.py, cloudwatchlogs.py,
/// scheduler.py; `<E>` is `<Fn><EventName>`): `<E>Permission<stage>` for an `Api` event (the
/// stage of the API it names, `Prod` for the implicit one; see [`permission_suffix`]),
/// `<E>Permission` for HTTP API, S3, SNS, CloudWatch Logs, IoT and Alexa events, `<E>` for the
/// rule, subscription, filter or event source mapping, and one `<Fn>CognitoPermission` for all
/// its Cognito events.
fn event_ids(stack: &Stack, r: &Resource) -> Vec<(String, &'static str)> {
    let id = &r.logical_id;
    let mut out = Vec::new();
    let Some(events) = r.properties.get("Events").and_then(Node::entries) else {
        return out;
    };
    for (name, event) in events {
        let e = format!("{id}{name}");
        let props = event.get("Properties");
        match event.get("Type").and_then(Node::as_str).unwrap_or_default() {
            "Api" => {
                let suffix = permission_suffix(stack, r, props.and_then(|p| p.get("RestApiId")));
                out.push((format!("{e}Permission{suffix}"), "Permission"));
            }
            "HttpApi" | "S3" | "AlexaSkill" => out.push((format!("{e}Permission"), "Permission")),
            "Schedule" | "CloudWatchEvent" | "EventBridgeRule" | "SNS" | "CloudWatchLogs"
            | "IoTRule" => {
                out.push((e.clone(), "Event"));
                out.push((format!("{e}Permission"), "Permission"));
            }
            "ScheduleV2" => {
                out.push((e.clone(), "Event"));
                out.push((format!("{e}Role"), "Role"));
            }
            "SQS" | "Kinesis" | "DynamoDB" | "MSK" | "MQ" | "SelfManagedKafka" | "DocumentDB" => {
                out.push((e, "EventSourceMapping"))
            }
            "Cognito" => out.push((format!("{id}CognitoPermission"), "Permission")),
            _ => {}
        }
    }
    out.dedup();
    out
}

/// The suffix of an `Api` event's permission (push.py): the named API's `StageName` when it
/// is alphanumeric, its first 10 hex of sha1 when it is not, `Stage` when it is an intrinsic or
/// the API has none of its own (a raw `AWS::ApiGateway::RestApi`); `Prod` for the implicit API.
fn permission_suffix(stack: &Stack, r: &Resource, rest_api: Option<&Node>) -> String {
    let Some(target) = rest_api else {
        return "Prod".into();
    };
    let name = match target.intrinsic() {
        Some(("Ref", n)) => n.as_str().unwrap_or_default(),
        _ => return "Stage".into(),
    };
    let api = crate::scoped(crate::scope_of(&r.logical_id), name);
    let stage = stack
        .resources
        .iter()
        .find(|x| x.logical_id == api && x.kind == "AWS::Serverless::Api")
        .and_then(|x| x.properties.get("StageName"))
        .and_then(Node::as_str);
    match stage {
        Some(s) if !s.is_empty() && s.chars().all(char::is_alphanumeric) => s.to_string(),
        Some(s) => sha1_hex10(s),
        None => "Stage".into(),
    }
}

/// `<Api><Authorizer>AuthorizerPermission` for each Lambda authorizer of an API's `Auth`
/// (api_generator.py: unless `DisableFunctionDefaultPermissions`; http_api_generator.py: only
/// with `EnableFunctionDefaultPermissions`).
fn authorizer_permissions(
    api: &str,
    authorizers: Option<&Node>,
    http: bool,
) -> Vec<(String, &'static str)> {
    let Some(authorizers) = authorizers.and_then(Node::entries) else {
        return Vec::new();
    };
    authorizers
        .iter()
        .filter(|(_, a)| a.get("FunctionArn").is_some())
        .filter(|(_, a)| {
            let flag = |k: &str| {
                a.get(k)
                    .is_some_and(|v| matches!(v.value, template::Value::Bool(true)))
            };
            if http {
                flag("EnableFunctionDefaultPermissions")
            } else {
                !flag("DisableFunctionDefaultPermissions")
            }
        })
        .map(|(name, _)| (format!("{api}{name}AuthorizerPermission"), "Permission"))
        .collect()
}

fn sha1_hex10(s: &str) -> String {
    let hash = common::digest::sha1(s.as_bytes());
    hash.iter().take(5).map(|b| format!("{b:02x}")).collect()
}

/// The logical id of the stage SAM generates for the API `api` with `StageName` `stage`
/// (api_generator.py, http_api_generator.py): `<Api><Name>Stage` for an alphanumeric name,
/// `<Api>Stage<first 10 hex of sha1(name)>` for another, `<Api>Stage` for a name given by an
/// intrinsic; an HTTP API's `$default` (also when it gives none) is
/// `<Api>ApiGatewayDefaultStage`.
pub(crate) fn stage_id(api: &str, stage: Option<&template::Node>, http: bool) -> Option<String> {
    match stage.map(Node::as_str) {
        None if http => Some(format!("{api}ApiGatewayDefaultStage")),
        None => None,
        Some(None) => Some(format!("{api}Stage")),
        Some(Some(name)) => Some(named_stage_id(api, name, http)),
    }
}

fn named_stage_id(api: &str, name: &str, http: bool) -> String {
    if http && name == "$default" {
        format!("{api}ApiGatewayDefaultStage")
    } else if !name.is_empty() && name.chars().all(char::is_alphanumeric) {
        format!("{api}{name}Stage")
    } else {
        format!("{api}Stage{}", sha1_hex10(name))
    }
}

/// What SAM generates for an implicit API (`api`: `ServerlessRestApi` or `ServerlessHttpApi`,
/// in its scope) that a template can name: its stage (`Prod`; an HTTP API's `$default`) in
/// both spellings, and a REST API's `.Deployment`.
pub(crate) fn implicit_api_ids(api: &str, http: bool) -> Vec<(String, &'static str)> {
    let stage = if http { "$default" } else { "Prod" };
    let mut out = vec![
        (format!("{api}.Stage"), "Stage"),
        (named_stage_id(api, stage, http), "Stage"),
    ];
    if !http {
        out.push((format!("{api}.Deployment"), "Deployment"));
    }
    out
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
