//! Cognito identity pools as data: `AWS::Cognito::IdentityPool` and the
//! `AWS::Cognito::IdentityPoolRoleAttachment`s naming it, written in the shapes of the
//! `cognito-identity` API (`DescribeIdentityPool`'s and `GetIdentityPoolRoles`' answers), which
//! is what the service keeps.

use serde_json::{Map, Value as Json, json};

/// The identity pool resource types served (by the local `cognito-identity`).
pub const SERVED: &[&str] = &[
    "AWS::Cognito::IdentityPool",
    "AWS::Cognito::IdentityPoolRoleAttachment",
];

/// An identity pool and its roles.
#[derive(Debug, Clone, PartialEq)]
pub struct IdentityPool {
    /// Its logical id.
    pub logical_id: String,
    /// `IdentityPoolId` (`<region>:<uuid>`, what `Ref` gives).
    pub id: String,
    /// `DescribeIdentityPool`'s shape: `IdentityPoolId`, `IdentityPoolName`,
    /// `AllowUnauthenticatedIdentities`, `AllowClassicFlow`, `CognitoIdentityProviders`, ….
    pub config: Json,
    /// `GetIdentityPoolRoles`' shape: `Roles` and `RoleMappings` (keyed by identity provider).
    pub roles: Json,
}

/// The pool's API shape from the resource's resolved properties.
pub fn pool(logical_id: &str, id: &str, name: &str, props: &Json) -> IdentityPool {
    let mut config = Map::new();
    config.insert("IdentityPoolId".into(), json!(id));
    config.insert("IdentityPoolName".into(), json!(name));
    config.insert(
        "AllowUnauthenticatedIdentities".into(),
        json!(truthy(&props["AllowUnauthenticatedIdentities"])),
    );
    config.insert(
        "AllowClassicFlow".into(),
        json!(truthy(&props["AllowClassicFlow"])),
    );
    let providers: Vec<Json> = props["CognitoIdentityProviders"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|p| {
            json!({"ProviderName": p["ProviderName"], "ClientId": p["ClientId"],
                   "ServerSideTokenCheck": truthy(&p["ServerSideTokenCheck"])})
        })
        .collect();
    config.insert("CognitoIdentityProviders".into(), Json::Array(providers));
    for key in [
        "SupportedLoginProviders",
        "DeveloperProviderName",
        "OpenIdConnectProviderARNs",
        "SamlProviderARNs",
    ] {
        if !props[key].is_null() {
            config.insert(key.into(), props[key].clone());
        }
    }
    IdentityPool {
        logical_id: logical_id.into(),
        id: id.into(),
        config: Json::Object(config),
        roles: json!({"IdentityPoolId": id, "Roles": {}}),
    }
}

/// Puts a role attachment's `Roles` and `RoleMappings` on its pool. CloudFormation keys a
/// mapping by any name, with the provider in `IdentityProvider` (the key itself when absent);
/// the API keys it by the provider.
pub fn attach(pool: &mut IdentityPool, props: &Json) {
    if let Some(roles) = props["Roles"].as_object() {
        pool.roles["Roles"] = Json::Object(roles.clone());
    }
    if let Some(mappings) = props["RoleMappings"].as_object() {
        let mut out = Map::new();
        for (key, m) in mappings {
            let provider = m["IdentityProvider"].as_str().unwrap_or(key).to_string();
            let mut api = Map::new();
            for k in ["Type", "AmbiguousRoleResolution", "RulesConfiguration"] {
                if !m[k].is_null() {
                    api.insert(k.into(), m[k].clone());
                }
            }
            out.insert(provider, Json::Object(api));
        }
        pool.roles["RoleMappings"] = Json::Object(out);
    }
}

/// CloudFormation booleans may be strings.
fn truthy(v: &Json) -> bool {
    v.as_bool()
        .unwrap_or_else(|| v.as_str().is_some_and(|s| s.eq_ignore_ascii_case("true")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pool_and_its_attachment_take_the_apis_shapes() {
        let mut p = pool(
            "Ids",
            "us-east-1:0000",
            "ids",
            &json!({"AllowUnauthenticatedIdentities": "true",
                    "CognitoIdentityProviders": [{"ProviderName": "cognito-idp.us-east-1.amazonaws.com/us-east-1_X", "ClientId": "c1"}]}),
        );
        assert_eq!(p.config["AllowUnauthenticatedIdentities"], true);
        assert_eq!(p.config["AllowClassicFlow"], false);
        assert_eq!(
            p.config["CognitoIdentityProviders"][0]["ServerSideTokenCheck"],
            false
        );
        attach(
            &mut p,
            &json!({"Roles": {"authenticated": "arn:a", "unauthenticated": "arn:u"},
                    "RoleMappings": {"pool": {"IdentityProvider": "cognito-idp.us-east-1.amazonaws.com/us-east-1_X:c1",
                                              "Type": "Token", "AmbiguousRoleResolution": "AuthenticatedRole"}}}),
        );
        assert_eq!(p.roles["Roles"]["authenticated"], "arn:a");
        assert_eq!(
            p.roles["RoleMappings"]["cognito-idp.us-east-1.amazonaws.com/us-east-1_X:c1"]["Type"],
            "Token"
        );
    }
}
