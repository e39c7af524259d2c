//! Table-driven cases, each with the expected result taken from AWS's documentation of policy
//! evaluation, and the page it comes from:
//! - EVAL: IAM User Guide, "Policy evaluation logic" (reference_policies_evaluation-logic).
//! - ELEM: IAM User Guide, "IAM JSON policy element reference" (Action, NotAction, Resource,
//!   NotResource, Principal pages).
//! - COND: IAM User Guide, "IAM JSON policy elements: Condition operators", and "Condition
//!   keys with multiple values" (reference_policies_condition-single-vs-multi-valued-context-keys).
//! - APIGW: API Gateway Developer Guide, "API Gateway resource policy examples"
//!   (apigateway-resource-policies-examples) and "How API Gateway resource policies affect
//!   authorization workflow" (apigateway-authorization-flow).

use std::collections::BTreeMap;

use serde_json::{Value as Json, json};

use super::*;

const API: &str = "arn:aws:execute-api:us-east-1:123456789012:abcdef1234/Prod/GET/pets/1";
const ACCOUNT: &str = "123456789012";

fn user() -> Caller {
    Caller {
        arn: format!("arn:aws:iam::{ACCOUNT}:user/alice"),
        account: ACCOUNT.into(),
        ..Caller::default()
    }
}

fn allow(action: Json, resource: Json) -> Json {
    json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": action, "Resource": resource}]})
}

fn st(v: Json) -> Json {
    json!({"Version": "2012-10-17", "Statement": v})
}

struct Case {
    name: &'static str,
    source: &'static str,
    identity: Vec<Json>,
    resource_policy: Option<Json>,
    caller: Caller,
    resource: &'static str,
    context: Vec<(&'static str, &'static str)>,
    want: Decision,
}

fn case(name: &'static str, source: &'static str, identity: Vec<Json>, want: Decision) -> Case {
    Case {
        name,
        source,
        identity,
        resource_policy: None,
        caller: user(),
        resource: API,
        context: vec![("aws:sourceip", "127.0.0.1")],
        want,
    }
}

fn cases() -> Vec<Case> {
    use Decision::*;
    let any = || json!("*");
    let mut v = vec![
        case(
            "no policy at all denies implicitly",
            "EVAL",
            vec![],
            ImplicitDeny,
        ),
        case(
            "an allow of the action and resource allows",
            "EVAL",
            vec![allow(json!("execute-api:Invoke"), json!(API))],
            Allow,
        ),
        case(
            "an allow of another action does not",
            "EVAL",
            vec![allow(json!("execute-api:InvalidateCache"), any())],
            ImplicitDeny,
        ),
        case(
            "actions match case-insensitively",
            "ELEM Action",
            vec![allow(json!("Execute-API:invoke"), any())],
            Allow,
        ),
        case(
            "a service wildcard action matches",
            "ELEM Action",
            vec![allow(json!("execute-api:*"), any())],
            Allow,
        ),
        case(
            "the full wildcard matches (AdministratorAccess)",
            "ELEM Action",
            vec![allow(any(), any())],
            Allow,
        ),
        case(
            "a ? wildcard matches one character",
            "ELEM Action",
            vec![allow(json!("execute-api:Invok?"), any())],
            Allow,
        ),
        case(
            "a list of actions matches any",
            "ELEM Action",
            vec![allow(json!(["s3:GetObject", "execute-api:Invoke"]), any())],
            Allow,
        ),
        case(
            "explicit deny beats allow in the same policy",
            "EVAL",
            vec![st(json!([
            {"Effect": "Allow", "Action": "*", "Resource": "*"},
            {"Effect": "Deny", "Action": "execute-api:Invoke", "Resource": API}]))],
            ExplicitDeny,
        ),
        case(
            "explicit deny in another policy beats allow",
            "EVAL",
            vec![
                allow(any(), any()),
                st(json!([{"Effect": "Deny", "Action": "execute-api:*", "Resource": "*"}])),
            ],
            ExplicitDeny,
        ),
        case(
            "a deny of another resource does not apply",
            "EVAL",
            vec![st(json!([
            {"Effect": "Allow", "Action": "*", "Resource": "*"},
            {"Effect": "Deny", "Action": "*", "Resource": "arn:aws:execute-api:us-east-1:123456789012:abcdef1234/Prod/POST/*"}]))],
            Allow,
        ),
        case(
            "resource wildcards span slashes",
            "APIGW",
            vec![allow(
                json!("execute-api:Invoke"),
                json!("arn:aws:execute-api:us-east-1:*:abcdef1234/*"),
            )],
            Allow,
        ),
        case(
            "a stage wildcard matches",
            "APIGW",
            vec![allow(
                json!("execute-api:Invoke"),
                json!("arn:aws:execute-api:*:*:*/Prod/*"),
            )],
            Allow,
        ),
        case(
            "another stage does not match",
            "APIGW",
            vec![allow(
                json!("execute-api:Invoke"),
                json!("arn:aws:execute-api:*:*:*/test/*"),
            )],
            ImplicitDeny,
        ),
        case(
            "another method does not match",
            "APIGW",
            vec![allow(
                json!("execute-api:Invoke"),
                json!("arn:aws:execute-api:*:*:*/Prod/POST/*"),
            )],
            ImplicitDeny,
        ),
        case(
            "resources match case-sensitively",
            "ELEM Resource",
            vec![allow(
                json!("execute-api:Invoke"),
                json!("arn:aws:execute-api:us-east-1:123456789012:abcdef1234/prod/GET/pets/1"),
            )],
            ImplicitDeny,
        ),
        case(
            "NotAction allows every other action",
            "ELEM NotAction",
            vec![st(
                json!([{"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}]),
            )],
            Allow,
        ),
        case(
            "NotAction of this action does not allow it",
            "ELEM NotAction",
            vec![st(
                json!([{"Effect": "Allow", "NotAction": "execute-api:*", "Resource": "*"}]),
            )],
            ImplicitDeny,
        ),
        case(
            "Deny with NotAction denies what is not listed",
            "ELEM NotAction",
            vec![
                allow(any(), any()),
                st(json!([{"Effect": "Deny", "NotAction": "s3:*", "Resource": "*"}])),
            ],
            ExplicitDeny,
        ),
        case(
            "NotResource allows other resources",
            "ELEM NotResource",
            vec![st(
                json!([{"Effect": "Allow", "Action": "*", "NotResource": "arn:aws:execute-api:*:*:*/admin/*"}]),
            )],
            Allow,
        ),
        case(
            "NotResource excludes the listed one",
            "ELEM NotResource",
            vec![st(
                json!([{"Effect": "Allow", "Action": "*", "NotResource": "arn:aws:execute-api:*:*:abcdef1234/Prod/*"}]),
            )],
            ImplicitDeny,
        ),
        case(
            "StringEquals on the user name allows the named user",
            "COND",
            vec![st(
                json!([{"Effect": "Allow", "Action": "*", "Resource": "*",
            "Condition": {"StringEquals": {"aws:username": "alice"}}}]),
            )],
            Allow,
        ),
        case(
            "StringEquals on another name does not",
            "COND",
            vec![st(
                json!([{"Effect": "Allow", "Action": "*", "Resource": "*",
            "Condition": {"StringEquals": {"aws:username": "bob"}}}]),
            )],
            ImplicitDeny,
        ),
        case(
            "condition values are ORed",
            "COND",
            vec![st(
                json!([{"Effect": "Allow", "Action": "*", "Resource": "*",
            "Condition": {"StringEquals": {"aws:username": ["bob", "alice"]}}}]),
            )],
            Allow,
        ),
        case(
            "condition keys are ANDed",
            "COND",
            vec![st(
                json!([{"Effect": "Allow", "Action": "*", "Resource": "*",
            "Condition": {"StringEquals": {"aws:username": "alice", "aws:principaltag/team": "ops"}}}]),
            )],
            ImplicitDeny,
        ),
        case(
            "StringLike matches a glob",
            "COND",
            vec![st(
                json!([{"Effect": "Allow", "Action": "*", "Resource": "*",
            "Condition": {"StringLike": {"aws:principalarn": "arn:aws:iam::*:user/al*"}}}]),
            )],
            Allow,
        ),
        case(
            "IpAddress allows a caller inside the block",
            "COND; APIGW",
            vec![st(
                json!([{"Effect": "Allow", "Action": "*", "Resource": "*",
            "Condition": {"IpAddress": {"aws:SourceIp": "127.0.0.0/8"}}}]),
            )],
            Allow,
        ),
        case(
            "IpAddress refuses a caller outside the block",
            "COND; APIGW",
            vec![st(
                json!([{"Effect": "Allow", "Action": "*", "Resource": "*",
            "Condition": {"IpAddress": {"aws:SourceIp": ["192.0.2.0/24", "203.0.113.0/24"]}}}]),
            )],
            ImplicitDeny,
        ),
        case(
            "a missing key fails a condition",
            "COND",
            vec![st(
                json!([{"Effect": "Allow", "Action": "*", "Resource": "*",
            "Condition": {"StringEquals": {"aws:principaltag/team": "ops"}}}]),
            )],
            ImplicitDeny,
        ),
        case(
            "IfExists passes when the key is missing",
            "COND",
            vec![st(
                json!([{"Effect": "Allow", "Action": "*", "Resource": "*",
            "Condition": {"StringEqualsIfExists": {"aws:principaltag/team": "ops"}}}]),
            )],
            Allow,
        ),
        case(
            "Null true holds for a missing key",
            "COND",
            vec![st(
                json!([{"Effect": "Allow", "Action": "*", "Resource": "*",
            "Condition": {"Null": {"aws:principaltag/team": "true"}}}]),
            )],
            Allow,
        ),
        case(
            "Null false fails for a missing key",
            "COND",
            vec![st(
                json!([{"Effect": "Allow", "Action": "*", "Resource": "*",
            "Condition": {"Null": {"aws:principaltag/team": false}}}]),
            )],
            ImplicitDeny,
        ),
        case(
            "DateLessThan on aws:CurrentTime in the future holds",
            "COND",
            vec![st(
                json!([{"Effect": "Allow", "Action": "*", "Resource": "*",
            "Condition": {"DateLessThan": {"aws:CurrentTime": "2999-01-01T00:00:00Z"}}}]),
            )],
            Allow,
        ),
        case(
            "DateGreaterThan on aws:CurrentTime in the future fails",
            "COND",
            vec![st(
                json!([{"Effect": "Allow", "Action": "*", "Resource": "*",
            "Condition": {"DateGreaterThan": {"aws:CurrentTime": "2999-01-01T00:00:00Z"}}}]),
            )],
            ImplicitDeny,
        ),
        case(
            "Bool on aws:SecureTransport false (http locally) holds",
            "COND",
            vec![st(
                json!([{"Effect": "Allow", "Action": "*", "Resource": "*",
            "Condition": {"Bool": {"aws:SecureTransport": false}}}]),
            )],
            Allow,
        ),
        case(
            "a Deny on insecure transport denies",
            "COND",
            vec![
                allow(any(), any()),
                st(json!([{"Effect": "Deny", "Action": "*", "Resource": "*",
            "Condition": {"Bool": {"aws:SecureTransport": "false"}}}])),
            ],
            ExplicitDeny,
        ),
        case(
            "an operator not evaluated locally refuses, naming it",
            "fail closed (ours)",
            vec![st(
                json!([{"Effect": "Allow", "Action": "*", "Resource": "*",
            "Condition": {"BinaryEquals": {"aws:username": "YWxpY2U="}}}]),
            )],
            Unsupported("condition operator BinaryEquals is not evaluated locally".into()),
        ),
        case(
            "an unknown condition key refuses",
            "fail closed (ours)",
            vec![st(
                json!([{"Effect": "Allow", "Action": "*", "Resource": "*",
            "Condition": {"StringEquals": {"aws:RequestedRegion": "us-east-1"}}}]),
            )],
            Unsupported("condition key aws:RequestedRegion has no value locally".into()),
        ),
        case(
            "a Deny that cannot be evaluated denies even beside an Allow",
            "fail closed (ours)",
            vec![
                allow(any(), any()),
                st(json!([{"Effect": "Deny", "Action": "*", "Resource": "*",
            "Condition": {"BinaryEquals": {"aws:username": "x"}}}])),
            ],
            Unsupported("condition operator BinaryEquals is not evaluated locally".into()),
        ),
        case(
            "ForAnyValue matches one of several values",
            "COND multi-valued",
            vec![st(
                json!([{"Effect": "Allow", "Action": "*", "Resource": "*",
            "Condition": {"ForAnyValue:StringEquals": {"aws:principaltag/groups": ["admins"]}}}]),
            )],
            Allow,
        ),
        case(
            "ForAllValues needs every value listed",
            "COND multi-valued",
            vec![st(
                json!([{"Effect": "Allow", "Action": "*", "Resource": "*",
            "Condition": {"ForAllValues:StringEquals": {"aws:principaltag/groups": ["admins"]}}}]),
            )],
            ImplicitDeny,
        ),
        case(
            "StringNotEquals holds for another value",
            "COND",
            vec![st(
                json!([{"Effect": "Allow", "Action": "*", "Resource": "*",
            "Condition": {"StringNotEquals": {"aws:username": "bob"}}}]),
            )],
            Allow,
        ),
    ];
    for c in &mut v {
        if c.name.starts_with("ForA") {
            c.context.push(("aws:principaltag/groups", "admins"));
            c.context.push(("aws:principaltag/groups", "users"));
        }
    }
    // Resource policies (APIGW examples), a caller with no identity policy of its own.
    let rp = |statement: Json| Some(st(statement));
    let mut more = vec![
        Case {
            resource_policy: rp(
                json!([{"Effect": "Allow", "Principal": "*", "Action": "execute-api:Invoke", "Resource": "execute-api:/*"}]),
            ),
            ..case(
                "a resource policy allowing everyone allows (same account)",
                "APIGW; EVAL",
                vec![],
                Allow,
            )
        },
        Case {
            resource_policy: rp(json!([
                {"Effect": "Allow", "Principal": "*", "Action": "execute-api:Invoke", "Resource": "*"},
                {"Effect": "Deny", "Principal": "*", "Action": "execute-api:Invoke", "Resource": "*",
                 "Condition": {"IpAddress": {"aws:SourceIp": ["127.0.0.1/32"]}}}])),
            ..case(
                "an IP blacklist denies the listed caller",
                "APIGW (IpRangeBlacklist)",
                vec![allow(any(), any())],
                ExplicitDeny,
            )
        },
        Case {
            resource_policy: rp(json!([
                {"Effect": "Allow", "Principal": "*", "Action": "execute-api:Invoke", "Resource": "*"},
                {"Effect": "Deny", "Principal": "*", "Action": "execute-api:Invoke", "Resource": "*",
                 "Condition": {"NotIpAddress": {"aws:SourceIp": ["127.0.0.1/32"]}}}])),
            ..case(
                "an IP whitelist admits the listed caller",
                "APIGW (IpRangeWhitelist)",
                vec![],
                Allow,
            )
        },
        Case {
            resource_policy: rp(
                json!([{"Effect": "Allow", "Principal": {"AWS": ["123456789012"]}, "Action": "execute-api:Invoke", "Resource": "*"}]),
            ),
            ..case(
                "an account whitelist admits a principal of the account",
                "APIGW (AwsAccountWhitelist)",
                vec![],
                Allow,
            )
        },
        Case {
            resource_policy: rp(
                json!([{"Effect": "Allow", "Principal": {"AWS": ["123456789012"]}, "Action": "execute-api:Invoke", "Resource": "*"}]),
            ),
            caller: Caller::default(),
            ..case(
                "an account whitelist does not admit anonymous",
                "APIGW (resource policy, anonymous caller)",
                vec![],
                ImplicitDeny,
            )
        },
        Case {
            resource_policy: rp(
                json!([{"Effect": "Deny", "Principal": {"AWS": ["arn:aws:iam::123456789012:user/alice"]}, "Action": "execute-api:Invoke", "Resource": "*"}]),
            ),
            ..case(
                "a resource policy deny of the user beats its identity allow",
                "APIGW; EVAL",
                vec![allow(any(), any())],
                ExplicitDeny,
            )
        },
        Case {
            resource_policy: rp(
                json!([{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:role/app"}, "Action": "execute-api:Invoke", "Resource": "*"}]),
            ),
            caller: Caller {
                arn: "arn:aws:sts::123456789012:assumed-role/app/s1".into(),
                account: ACCOUNT.into(),
                role_arn: Some("arn:aws:iam::123456789012:role/app".into()),
                ..Caller::default()
            },
            ..case(
                "a role named as principal matches its sessions",
                "ELEM Principal",
                vec![],
                Allow,
            )
        },
    ];
    v.append(&mut more);
    v
}

#[test]
fn policies_evaluate_as_aws_documents() {
    let cases = cases();
    assert!(cases.len() >= 40, "{} cases", cases.len());
    let mut failures = Vec::new();
    for c in &cases {
        let mut ctx: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for (k, val) in &c.context {
            ctx.entry((*k).to_string())
                .or_default()
                .push((*val).to_string());
        }
        if !c.caller.arn.is_empty() {
            ctx.insert("aws:username".into(), vec!["alice".into()]);
            ctx.insert("aws:principalarn".into(), vec![c.caller.arn.clone()]);
        }
        ctx.insert(
            "aws:currenttime".into(),
            vec!["2026-12-06T19:00:00Z".into()],
        );
        ctx.insert("aws:securetransport".into(), vec!["false".into()]);
        let make = || ctx.clone();
        let context = Context::lazy(&make);
        let ask = Ask {
            action: "execute-api:Invoke",
            resource: c.resource,
            caller: &c.caller,
            context: &context,
        };
        // A resource policy's `execute-api:/…` shorthand is expanded by whoever holds the
        // API's ARN; here the cases write full ARNs or `*`, except the first, expanded here.
        let rp = c.resource_policy.as_ref().map(|p| {
            serde_json::from_str::<Json>(&p.to_string().replace(
                "execute-api:/*",
                "arn:aws:execute-api:us-east-1:123456789012:abcdef1234/*",
            ))
            .expect("json")
        });
        let got = evaluate(&c.identity, rp.as_ref(), &ask);
        if got != c.want {
            failures.push(format!(
                "{} ({}): got {got:?}, want {:?}",
                c.name, c.source, c.want
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn globs_match_by_character_with_and_without_case() {
    // A `*` in the pattern is always a wildcard, even where the value has a `*` too.
    assert!(like("*b", "*ab", false));
    assert!(like("execute-api:*", "EXECUTE-API:Invoke", true));
    assert!(!like("execute-api:*", "EXECUTE-API:Invoke", false));
    assert!(like("execute-api:Invoke", "Execute-Api:invoke", true));
    assert!(!like("a?c", "abbc", false));
    // `?` is one character, not one byte.
    assert!(like("caf?", "café", false));
    assert!(like("CAFÉ", "café", true));
    assert!(!like("caf", "café", false));
    assert!(resource_like(
        "arn:aws:execute-api:*:*:abc/*/GET/*",
        "arn:aws:execute-api:us-east-1:123456789012:abc/Prod/GET/orders/1"
    ));
    assert!(!resource_like(
        "arn:aws:execute-api:*:*:abc/*/GET/*",
        "arn:aws:execute-api:us-east-1:123456789012:abc/Prod/POST/orders"
    ));
}
