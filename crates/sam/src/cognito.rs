//! The template's Cognito resources as the Cognito API requests that create them: the
//! CloudFormation properties mostly mirror the API's members; the differences live here.

use serde_json::{Value as Json, json};
use template::{Physical, Pseudo, Stack};

use crate::{ProvisionedClient, ProvisionedPool};

/// `AWS::Cognito::UserPool` properties -> a `CreateUserPool` request: `UserPoolName` is the
/// API's `PoolName` (the logical id when the template gives none).
pub fn create_user_pool(logical_id: &str, props: Json) -> Json {
    let mut req = match props {
        Json::Object(m) => m,
        _ => serde_json::Map::new(),
    };
    let name = req
        .remove("UserPoolName")
        .unwrap_or_else(|| json!(logical_id));
    req.insert("PoolName".into(), name);
    Json::Object(req)
}

/// The triggers that functions' `Cognito` events put on the pool `pool` (a logical id), as
/// SAM writes them into its `LambdaConfig`: `(trigger, function ARN)`.
pub fn event_triggers(
    stack: &Stack,
    physical: &Physical,
    pool: &str,
) -> Result<Vec<(String, Json)>, String> {
    let mut out: Vec<(String, Json)> = Vec::new();
    for r in stack.resources_of("AWS::Serverless::Function") {
        let Some(events) = r.properties.get("Events").and_then(template::Node::entries) else {
            continue;
        };
        for (_, ev) in events {
            if ev.get("Type").and_then(template::Node::as_str) != Some("Cognito") {
                continue;
            }
            let props = ev.get("Properties");
            let target = props
                .and_then(|p| p.get("UserPool"))
                .and_then(|n| n.intrinsic())
                .and_then(|(f, arg)| (f == "Ref").then(|| arg.as_str()).flatten());
            let Some(target) = target else {
                return Err(format!(
                    "{}: Cognito events must reference a Cognito UserPool in the same template.",
                    r.logical_id
                ));
            };
            if target != pool {
                continue;
            }
            let triggers: Vec<String> = match props.and_then(|p| p.get("Trigger")).map(|t| &t.value)
            {
                Some(template::Value::Str(s)) => vec![s.clone()],
                Some(template::Value::Seq(items)) => items
                    .iter()
                    .filter_map(template::Node::as_str)
                    .map(str::to_string)
                    .collect(),
                _ => Vec::new(),
            };
            let arn = physical
                .attrs
                .get(&(r.logical_id.clone(), "Arn".to_string()))
                .cloned()
                .unwrap_or(Json::Null);
            for t in triggers {
                if out.iter().any(|(x, _)| *x == t) {
                    return Err(format!("Cognito trigger \"{t}\" defined multiple times."));
                }
                out.push((t, arn.clone()));
            }
        }
    }
    Ok(out)
}

/// `AWS::Cognito::UserPoolClient` properties -> a `CreateUserPoolClient` request (the
/// logical id names a client the template leaves unnamed).
pub fn create_user_pool_client(logical_id: &str, props: Json) -> Json {
    let mut req = match props {
        Json::Object(m) => m,
        _ => serde_json::Map::new(),
    };
    req.entry("ClientName").or_insert_with(|| json!(logical_id));
    Json::Object(req)
}

/// `AWS::Cognito::UserPoolUser` properties are an `AdminCreateUser` request as they are.
pub fn admin_create_user(props: Json) -> Json {
    match props {
        Json::Null => json!({}),
        other => other,
    }
}

/// `Fn::GetAtt` of a user pool: `Arn`, `ProviderName`, `ProviderURL`, `UserPoolId`.
pub fn pool_attributes(p: &Pseudo, pool: &ProvisionedPool) -> Vec<(&'static str, Json)> {
    vec![
        ("Arn", json!(pool.arn)),
        (
            "ProviderName",
            json!(format!(
                "cognito-idp.{}.amazonaws.com/{}",
                p.region, pool.id
            )),
        ),
        ("ProviderURL", json!(pool.provider_url)),
        ("UserPoolId", json!(pool.id)),
    ]
}

/// `Fn::GetAtt` of a client: `ClientId`, `ClientSecret` (empty without one), `Name`.
pub fn client_attributes(c: &ProvisionedClient) -> Vec<(&'static str, Json)> {
    vec![
        ("ClientId", json!(c.id)),
        ("ClientSecret", json!(c.secret.clone().unwrap_or_default())),
        ("Name", json!(c.name)),
    ]
}

/// The pool id in a user pool ARN (`arn:aws:cognito-idp:<region>:<account>:userpool/<id>`).
pub fn pool_id_of_arn(arn: &str) -> Option<String> {
    arn.rsplit_once("userpool/").map(|(_, id)| id.to_string())
}
