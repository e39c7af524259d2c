//! The template's Cognito resources as the Cognito API requests that create them: the
//! CloudFormation properties mostly mirror the API's members; the differences live here.

use serde_json::{Value as Json, json};
use template::Pseudo;

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
