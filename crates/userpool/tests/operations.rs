//! The operations table against the README, and the write API's atomicity: a check and the
//! write it guards happen in one transaction.

use std::collections::BTreeSet;
use std::sync::Arc;

use serde_json::{Value as Json, json};
use userpool::ops::OPERATIONS;
use userpool::{Settings, UserPools};

/// The operation names the README lists under "Operations served".
fn readme_operations() -> BTreeSet<String> {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../README.md"))
        .expect("README.md");
    let start = readme
        .find("**Operations served:**")
        .expect("the README lists the operations served");
    let rest = &readme[start + "**Operations served:**".len()..];
    let list = &rest[..rest.find("Any other operation").expect("the list ends")];
    // Drop the parenthesized notes (flows, options), keep the names.
    let mut plain = String::new();
    let mut depth = 0;
    for c in list.chars() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            _ if depth == 0 => plain.push(c),
            _ => {}
        }
    }
    plain
        .split(|c: char| c == ',' || c.is_whitespace())
        .map(|w| w.trim_matches('.'))
        .filter(|w| w.chars().next().is_some_and(|c| c.is_ascii_uppercase()))
        .map(str::to_string)
        .collect()
}

#[test]
fn the_readme_lists_exactly_the_operations_served() {
    let served: BTreeSet<String> = OPERATIONS.iter().map(|o| o.name.to_string()).collect();
    assert_eq!(served.len(), OPERATIONS.len(), "no operation twice");
    assert_eq!(readme_operations(), served);
}

fn pools() -> (tempfile::TempDir, UserPools) {
    let dir = tempfile::tempdir().expect("tempdir");
    let pools = UserPools::open(Settings {
        state_dir: dir.path().to_path_buf(),
        region: "us-east-1".into(),
        account_id: "123456789012".into(),
        base_url: "http://127.0.0.1:9229".into(),
    })
    .expect("open");
    (dir, pools)
}

#[test]
fn unsigned_calls_to_signed_operations_and_unknown_operations_are_refused() {
    let (_d, p) = pools();
    let e = p
        .call("CreateUserPool", &json!({"PoolName": "p"}), false)
        .expect_err("unsigned");
    assert_eq!(e.kind, "MissingAuthenticationTokenException");
    let e = p
        .call("AddCustomAttributesX", &json!({}), true)
        .expect_err("unknown");
    assert_eq!(e.kind, "UnknownOperationException");
    assert!(e.message.contains("AddCustomAttributesX"), "{}", e.message);
    for op in OPERATIONS.iter().filter(|o| !o.signed) {
        // Reaches the handler: a validation error, not a refusal of the unsigned call.
        let e = p.call(op.name, &json!({}), false).expect_err(op.name);
        assert_ne!(e.kind, "MissingAuthenticationTokenException", "{}", op.name);
    }
}

#[test]
fn concurrent_password_changes_with_the_same_previous_password_have_one_winner() {
    let (_d, p) = pools();
    let pool = p
        .call("CreateUserPool", &json!({"PoolName": "p"}), true)
        .expect("pool");
    let pool_id = pool["UserPool"]["Id"].as_str().expect("id").to_string();
    let client = p
        .call(
            "CreateUserPoolClient",
            &json!({"UserPoolId": pool_id, "ClientName": "c", "ExplicitAuthFlows": ["ALLOW_USER_PASSWORD_AUTH"]}),
            true,
        )
        .expect("client");
    let client_id = client["UserPoolClient"]["ClientId"]
        .as_str()
        .expect("id")
        .to_string();
    p.call(
        "AdminCreateUser",
        &json!({"UserPoolId": pool_id, "Username": "u", "MessageAction": "SUPPRESS"}),
        true,
    )
    .expect("user");
    p.call(
        "AdminSetUserPassword",
        &json!({"UserPoolId": pool_id, "Username": "u", "Password": "Start-Passw0rd", "Permanent": true}),
        true,
    )
    .expect("password");
    let auth = p
        .call(
            "InitiateAuth",
            &json!({"AuthFlow": "USER_PASSWORD_AUTH", "ClientId": client_id,
                    "AuthParameters": {"USERNAME": "u", "PASSWORD": "Start-Passw0rd"}}),
            false,
        )
        .expect("sign in");
    let token = auth["AuthenticationResult"]["AccessToken"]
        .as_str()
        .expect("access token")
        .to_string();

    let p = Arc::new(p);
    let threads: Vec<_> = (0..20)
        .map(|i| {
            let (p, token) = (Arc::clone(&p), token.clone());
            std::thread::spawn(move || {
                p.call(
                    "ChangePassword",
                    &json!({"AccessToken": token, "PreviousPassword": "Start-Passw0rd",
                            "ProposedPassword": format!("New-Passw0rd-{i}")}),
                    false,
                )
                .map(|_| i)
            })
        })
        .collect();
    let results: Vec<Result<usize, userpool::CognitoError>> = threads
        .into_iter()
        .map(|t| t.join().expect("thread"))
        .collect();
    let winners: Vec<usize> = results
        .iter()
        .filter_map(|r| r.as_ref().ok().copied())
        .collect();
    assert_eq!(winners.len(), 1, "{results:?}");
    for e in results.iter().filter_map(|r| r.as_ref().err()) {
        assert_eq!(e.message, "Incorrect username or password.");
    }
    // The winner's password is the one that works.
    let sign_in = |password: &str| -> Result<Json, userpool::CognitoError> {
        p.call(
            "InitiateAuth",
            &json!({"AuthFlow": "USER_PASSWORD_AUTH", "ClientId": client_id,
                    "AuthParameters": {"USERNAME": "u", "PASSWORD": password}}),
            false,
        )
    };
    sign_in(&format!("New-Passw0rd-{}", winners[0])).expect("the winner's password");
    assert!(sign_in("Start-Passw0rd").is_err());
}

#[test]
fn a_client_without_explicit_auth_flows_gets_cognitos_defaults() {
    let (_d, p) = pools();
    let pool = p
        .call("CreateUserPool", &json!({"PoolName": "p"}), true)
        .expect("pool");
    let pool_id = pool["UserPool"]["Id"].as_str().expect("id").to_string();
    let client = p
        .call(
            "CreateUserPoolClient",
            &json!({"UserPoolId": pool_id, "ClientName": "c"}),
            true,
        )
        .expect("client");
    assert_eq!(
        client["UserPoolClient"]["ExplicitAuthFlows"],
        json!([
            "ALLOW_REFRESH_TOKEN_AUTH",
            "ALLOW_USER_SRP_AUTH",
            "ALLOW_CUSTOM_AUTH"
        ])
    );
    let client_id = client["UserPoolClient"]["ClientId"].as_str().expect("id");
    let e = p
        .call(
            "InitiateAuth",
            &json!({"AuthFlow": "USER_PASSWORD_AUTH", "ClientId": client_id,
                    "AuthParameters": {"USERNAME": "u", "PASSWORD": "p"}}),
            false,
        )
        .expect_err("not a default flow");
    assert_eq!(
        e.message,
        "USER_PASSWORD_AUTH flow not enabled for this client"
    );
    let e = p
        .call(
            "CreateUserPoolClient",
            &json!({"UserPoolId": pool_id, "ClientName": "mixed",
                    "ExplicitAuthFlows": ["USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]}),
            true,
        )
        .expect_err("legacy and ALLOW_ values mixed");
    assert_eq!(e.kind, "InvalidParameterException");
}
