//! Identity pools with a fake user pool (tokens are their claims as JSON): identities, role
//! choice, the trust policy, and Cognito's refusals. boto3 drives the real thing in
//! tests/conformance/test_identity_pools.py.

use std::sync::Arc;

use serde_json::{Value as Json, json};

use super::{IdentityPools, Logins, Pool};
use crate::{Iam, Role};

const ACCOUNT: &str = "123456789012";
const PROVIDER: &str = "cognito-idp.us-east-1.amazonaws.com/us-east-1_Pool";
const POOL: &str = "us-east-1:00000000-0000-0000-0000-000000000001";

/// A token is its claims as JSON text; `expired` fails as an expired token does.
#[derive(Debug)]
struct FakeLogins;

impl Logins for FakeLogins {
    fn verify(&self, provider: &str, token: &str) -> Result<Json, String> {
        if token == "expired" {
            return Err("Invalid login token. Token expired: 2 >= 1".into());
        }
        let claims: Json =
            serde_json::from_str(token).map_err(|_| "Invalid login token.".to_string())?;
        if claims["iss"] != format!("https://{provider}").as_str() {
            return Err("Invalid login token. Issuer doesn't match providerName".into());
        }
        Ok(claims)
    }
}

fn trust(amr: &str) -> Json {
    json!({"Statement": [{"Effect": "Allow", "Principal": {"Federated": "cognito-identity.amazonaws.com"},
        "Action": "sts:AssumeRoleWithWebIdentity",
        "Condition": {"StringEquals": {"cognito-identity.amazonaws.com:aud": POOL},
                      "ForAnyValue:StringLike": {"cognito-identity.amazonaws.com:amr": amr}}}]})
}

fn role_arn(name: &str) -> String {
    format!("arn:aws:iam::{ACCOUNT}:role/{name}")
}

fn setup(mappings: Json, allow_unauthenticated: bool) -> IdentityPools {
    let mut iam = Iam::new(ACCOUNT, "us-east-1");
    iam.add_role(Role::new(
        ACCOUNT,
        "/",
        "Authed",
        trust("authenticated"),
        Vec::new(),
    ));
    iam.add_role(Role::new(
        ACCOUNT,
        "/",
        "Guest",
        trust("unauthenticated"),
        Vec::new(),
    ));
    iam.add_role(Role::new(
        ACCOUNT,
        "/",
        "Admins",
        trust("authenticated"),
        Vec::new(),
    ));
    // Trusts another pool only.
    let other = trust("authenticated")
        .to_string()
        .replace(POOL, "us-east-1:other");
    iam.add_role(Role::new(
        ACCOUNT,
        "/",
        "Elsewhere",
        serde_json::from_str(&other).expect("json"),
        Vec::new(),
    ));
    let pool = Pool {
        config: json!({"IdentityPoolId": POOL, "IdentityPoolName": "ids",
            "AllowUnauthenticatedIdentities": allow_unauthenticated, "AllowClassicFlow": true,
            "CognitoIdentityProviders": [{"ProviderName": PROVIDER, "ClientId": "client1", "ServerSideTokenCheck": false}]}),
        roles: json!({"IdentityPoolId": POOL, "Roles": {"authenticated": role_arn("Authed"), "unauthenticated": role_arn("Guest")},
            "RoleMappings": mappings}),
    };
    IdentityPools::new(Arc::new(iam), Arc::new(FakeLogins), vec![pool], None)
}

fn token(sub: &str, extra: Json) -> String {
    let mut claims = json!({"iss": format!("https://{PROVIDER}"), "aud": "client1", "sub": sub, "token_use": "id"});
    if let (Some(c), Some(e)) = (claims.as_object_mut(), extra.as_object()) {
        c.extend(e.clone());
    }
    claims.to_string()
}

fn call(p: &IdentityPools, op: &str, input: Json) -> Result<Json, (String, String)> {
    p.call(op, &input)
        .map(|(out, _)| out)
        .map_err(|e| (e.kind.to_string(), e.message))
}

/// GetId then GetCredentialsForIdentity: the role the credentials are of.
fn role_of(
    p: &IdentityPools,
    logins: Json,
    custom: Option<&str>,
) -> Result<String, (String, String)> {
    let id = call(
        p,
        "GetId",
        json!({"IdentityPoolId": POOL, "Logins": logins}),
    )?["IdentityId"]
        .clone();
    let mut input = json!({"IdentityId": id, "Logins": logins});
    if let Some(c) = custom {
        input["CustomRoleArn"] = json!(c);
    }
    let out = call(p, "GetCredentialsForIdentity", input)?;
    let key = out["Credentials"]["AccessKeyId"]
        .as_str()
        .expect("key")
        .to_string();
    let k = p.iam.key(&key).expect("issued");
    let s = k.principal.session.as_ref().expect("a session");
    assert_eq!(s.name, "CognitoIdentityCredentials");
    Ok(s.role.name.clone())
}

#[test]
fn the_same_login_finds_the_same_identity_and_guests_get_the_unauthenticated_role() {
    let p = setup(Json::Null, true);
    let alice = json!({PROVIDER: token("alice", json!({}))});
    let a = call(
        &p,
        "GetId",
        json!({"IdentityPoolId": POOL, "Logins": alice}),
    )
    .expect("id");
    let again = call(
        &p,
        "GetId",
        json!({"IdentityPoolId": POOL, "Logins": alice}),
    )
    .expect("id");
    assert_eq!(a, again);
    assert!(
        a["IdentityId"]
            .as_str()
            .expect("id")
            .starts_with("us-east-1:")
    );
    assert_eq!(role_of(&p, alice.clone(), None), Ok("Authed".into()));
    assert_eq!(role_of(&p, json!({}), None), Ok("Guest".into()));
    let described = call(
        &p,
        "DescribeIdentity",
        json!({"IdentityId": a["IdentityId"]}),
    )
    .expect("identity");
    assert_eq!(described["Logins"], json!([PROVIDER]));
    // An authenticated identity without its login is refused.
    let refused = call(
        &p,
        "GetCredentialsForIdentity",
        json!({"IdentityId": a["IdentityId"]}),
    );
    assert_eq!(
        refused,
        Err((
            "NotAuthorizedException".into(),
            "Logins don't match. Please include at least one valid login for this identity or identity pool.".into()
        ))
    );
}

#[test]
fn a_token_mapping_takes_the_preferred_role_or_a_custom_one_the_token_holds() {
    let mappings = json!({format!("{PROVIDER}:client1"): {"Type": "Token", "AmbiguousRoleResolution": "AuthenticatedRole"}});
    let p = setup(mappings, false);
    let admin = json!({PROVIDER: token("root", json!({
        "cognito:preferred_role": role_arn("Admins"), "cognito:roles": [role_arn("Admins"), role_arn("Authed")]}))});
    assert_eq!(role_of(&p, admin.clone(), None), Ok("Admins".into()));
    assert_eq!(
        role_of(&p, admin.clone(), Some(&role_arn("Authed"))),
        Ok("Authed".into())
    );
    let (kind, _) = role_of(&p, admin, Some(&role_arn("Guest"))).expect_err("not held");
    assert_eq!(kind, "NotAuthorizedException");
    // No preferred role: AmbiguousRoleResolution AuthenticatedRole.
    assert_eq!(
        role_of(&p, json!({PROVIDER: token("plain", json!({}))}), None),
        Ok("Authed".into())
    );
}

#[test]
fn rules_pick_the_first_match_and_deny_when_none_does() {
    let mappings = json!({format!("{PROVIDER}:client1"): {"Type": "Rules", "AmbiguousRoleResolution": "Deny", "RulesConfiguration": {"Rules": [
        {"Claim": "custom:team", "MatchType": "Equals", "Value": "ops", "RoleARN": role_arn("Admins")},
        {"Claim": "email", "MatchType": "Contains", "Value": "@example.com", "RoleARN": role_arn("Authed")}]}}});
    let p = setup(mappings, false);
    let ops =
        json!({PROVIDER: token("o", json!({"custom:team": "ops", "email": "o@example.com"}))});
    assert_eq!(role_of(&p, ops, None), Ok("Admins".into()));
    let dev =
        json!({PROVIDER: token("d", json!({"custom:team": "dev", "email": "d@example.com"}))});
    assert_eq!(role_of(&p, dev, None), Ok("Authed".into()));
    let none = json!({PROVIDER: token("n", json!({"email": "n@other.org"}))});
    assert_eq!(
        role_of(&p, none, None),
        Err((
            "NotAuthorizedException".into(),
            format!("The ambiguous role mapping rules for: {PROVIDER} denied this request.")
        ))
    );
}

#[test]
fn the_roles_trust_policy_must_admit_the_pool() {
    let p = setup(Json::Null, false);
    p.write().pools.get_mut(POOL).expect("pool").roles["Roles"]["authenticated"] =
        json!(role_arn("Elsewhere"));
    let refused = role_of(&p, json!({PROVIDER: token("alice", json!({}))}), None);
    assert_eq!(
        refused,
        Err((
            "InvalidIdentityPoolConfigurationException".into(),
            "Invalid identity pool configuration. Check assigned IAM roles for this pool.".into()
        ))
    );
    // A guest may not assume the authenticated role: its amr is "unauthenticated".
    p.write().pools.get_mut(POOL).expect("pool").config["AllowUnauthenticatedIdentities"] =
        json!(true);
    p.write().pools.get_mut(POOL).expect("pool").roles["Roles"]["unauthenticated"] =
        json!(role_arn("Authed"));
    let (kind, _) = role_of(&p, json!({}), None).expect_err("refused");
    assert_eq!(kind, "InvalidIdentityPoolConfigurationException");
}

#[test]
fn cognitos_refusals() {
    let p = setup(Json::Null, false);
    let cases = [
        (
            json!({"IdentityPoolId": "us-east-1:nope"}),
            "ResourceNotFoundException",
            "IdentityPool 'us-east-1:nope' not found.".to_string(),
        ),
        (
            json!({"IdentityPoolId": POOL}),
            "NotAuthorizedException",
            "Unauthenticated access is not supported for this identity pool.".into(),
        ),
        (
            json!({"IdentityPoolId": POOL, "Logins": {"cognito-idp.us-east-1.amazonaws.com/us-east-1_Other": token("x", json!({}))}}),
            "NotAuthorizedException",
            "Token is not from a supported provider of this identity pool.".into(),
        ),
        (
            json!({"IdentityPoolId": POOL, "Logins": {PROVIDER: token("x", json!({"aud": "another-client"}))}}),
            "NotAuthorizedException",
            "Token is not from a supported provider of this identity pool.".into(),
        ),
        (
            json!({"IdentityPoolId": POOL, "Logins": {PROVIDER: "expired"}}),
            "NotAuthorizedException",
            "Invalid login token. Token expired: 2 >= 1".into(),
        ),
    ];
    for (input, kind, message) in cases {
        assert_eq!(
            call(&p, "GetId", input.clone()),
            Err((kind.to_string(), message)),
            "{input}"
        );
    }
    assert_eq!(
        call(
            &p,
            "GetCredentialsForIdentity",
            json!({"IdentityId": "us-east-1:missing"})
        ),
        Err((
            "ResourceNotFoundException".into(),
            "Identity 'us-east-1:missing' not found.".into()
        ))
    );
}

#[test]
fn an_open_id_token_names_the_identity_and_the_pool() {
    let p = setup(Json::Null, false);
    let alice = json!({PROVIDER: token("alice", json!({}))});
    let id = call(
        &p,
        "GetId",
        json!({"IdentityPoolId": POOL, "Logins": alice}),
    )
    .expect("id")["IdentityId"]
        .clone();
    let out = call(
        &p,
        "GetOpenIdToken",
        json!({"IdentityId": id, "Logins": alice}),
    )
    .expect("token");
    let claims = common::jwt::peek_claims(out["Token"].as_str().expect("token")).expect("a JWT");
    assert_eq!(claims["iss"], "https://cognito-identity.amazonaws.com");
    assert_eq!(claims["aud"], POOL);
    assert_eq!(claims["sub"], id);
    assert_eq!(
        claims["amr"],
        json!([
            "authenticated",
            PROVIDER,
            format!("{PROVIDER}:CognitoSignIn:alice")
        ])
    );
    assert_eq!(
        claims["exp"].as_i64().expect("exp") - claims["iat"].as_i64().expect("iat"),
        600
    );
    assert_eq!(
        p.verify_open_id_token(out["Token"].as_str().expect("token")),
        Ok(claims)
    );
    let forged = common::jwt::SigningKey::generate()
        .0
        .sign(&json!({"iss": "https://cognito-identity.amazonaws.com", "exp": 9_999_999_999_i64}));
    assert_eq!(
        p.verify_open_id_token(&forged),
        Err(super::OpenIdRefusal::Invalid)
    );
    // Without the classic flow, no OpenID token.
    p.write().pools.get_mut(POOL).expect("pool").config["AllowClassicFlow"] = json!(false);
    let (kind, _) = call(
        &p,
        "GetOpenIdToken",
        json!({"IdentityId": id, "Logins": alice}),
    )
    .expect_err("refused");
    assert_eq!(kind, "InvalidParameterException");
}

#[test]
fn what_cognito_would_not_accept_is_refused_and_template_pools_are_not_saved() {
    // A user pool mapping keyed by the provider alone (not `<provider>:<clientId>`).
    let p = setup(
        json!({PROVIDER: {"Type": "Token", "AmbiguousRoleResolution": "AuthenticatedRole"}}),
        false,
    );
    let (kind, _) =
        role_of(&p, json!({PROVIDER: token("a", json!({}))}), None).expect_err("refused");
    assert_eq!(kind, "InvalidIdentityPoolConfigurationException");

    // A trust policy admitting {"AWS": "*"} does not admit a web identity.
    let mut iam = Iam::new(ACCOUNT, "us-east-1");
    let open =
        json!({"Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:*"}]});
    let role = Role::new(ACCOUNT, "/", "Open", open, Vec::new());
    assert!(!iam.web_identity_may_assume(
        &role,
        super::FEDERATED,
        POOL,
        "id",
        &["authenticated".into()]
    ));
    iam.add_role(role);

    // The same login again changes nothing (nothing to write); the template's pool is not
    // saved with the identities.
    let p = setup(Json::Null, false);
    let alice = json!({PROVIDER: token("alice", json!({}))});
    let (_, first) = p
        .call("GetId", &json!({"IdentityPoolId": POOL, "Logins": alice}))
        .expect("id");
    let (_, again) = p
        .call("GetId", &json!({"IdentityPoolId": POOL, "Logins": alice}))
        .expect("id");
    assert!(first && !again);
    let saved = super::save(&p.read());
    assert_eq!(saved["pools"], json!({}));
    assert_eq!(saved["identities"].as_object().map(|m| m.len()), Some(1));
}
