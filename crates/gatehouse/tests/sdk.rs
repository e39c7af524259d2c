//! The Rust AWS SDK, pointed at a local user pool with `endpoint_url`, sees Cognito: the calls
//! succeed and the errors arrive as the SDK's typed variants.

use std::sync::Arc;

use aws_sdk_cognitoidentityprovider as cognito;
use cognito::config::{BehaviorVersion, Credentials, Region};
use cognito::types::{AttributeType, AuthFlowType, ExplicitAuthFlowsType};
use userpool::{Settings, UserPools};

/// A served pool on an ephemeral port, stopped when dropped.
struct Local {
    client: cognito::Client,
    dir: tempfile::TempDir,
    _stop: tokio::sync::oneshot::Sender<()>,
}

async fn start() -> Local {
    let dir = tempfile::tempdir().expect("tempdir");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let base_url = format!("http://{}", listener.local_addr().expect("addr"));
    let pools = UserPools::open(Settings {
        state_dir: dir.path().to_path_buf(),
        region: "us-east-1".into(),
        account_id: "123456789012".into(),
        base_url: base_url.clone(),
    })
    .expect("open");
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(userpool::service::serve(
        listener,
        Arc::new(pools),
        common::server::Limits::default(),
        async {
            let _ = rx.await;
        },
    ));
    let config = cognito::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new("local", "local", None, None, "test"))
        .endpoint_url(base_url)
        .build();
    Local {
        client: cognito::Client::from_conf(config),
        dir,
        _stop: tx,
    }
}

fn last_code(dir: &std::path::Path) -> String {
    let text = std::fs::read_to_string(dir.join("outbox.jsonl")).expect("outbox");
    let last = text.lines().last().expect("a message");
    let v: serde_json::Value = serde_json::from_str(last).expect("json");
    v["code"].as_str().expect("a code").to_string()
}

async fn pool_and_client(c: &cognito::Client) -> (String, String) {
    let pool = c
        .create_user_pool()
        .pool_name("sdk")
        .username_attributes(cognito::types::UsernameAttributeType::Email)
        .auto_verified_attributes(cognito::types::VerifiedAttributeType::Email)
        .send()
        .await
        .expect("create pool");
    let pool_id = pool
        .user_pool()
        .and_then(|p| p.id())
        .expect("id")
        .to_string();
    let client = c
        .create_user_pool_client()
        .user_pool_id(&pool_id)
        .client_name("app")
        .explicit_auth_flows(ExplicitAuthFlowsType::AllowUserPasswordAuth)
        .explicit_auth_flows(ExplicitAuthFlowsType::AllowRefreshTokenAuth)
        .send()
        .await
        .expect("create client");
    let client_id = client
        .user_pool_client()
        .and_then(|c| c.client_id())
        .expect("id")
        .to_string();
    (pool_id, client_id)
}

#[tokio::test]
async fn sdk_signs_up_confirms_signs_in_and_reads_the_user() {
    let local = start().await;
    let c = &local.client;
    let (_, client_id) = pool_and_client(c).await;
    let email = "sdk@example.com";
    let up = c
        .sign_up()
        .client_id(&client_id)
        .username(email)
        .password("Sdk-Passw0rd")
        .user_attributes(
            AttributeType::builder()
                .name("email")
                .value(email)
                .build()
                .expect("attr"),
        )
        .send()
        .await
        .expect("sign up");
    assert!(!up.user_confirmed());
    c.confirm_sign_up()
        .client_id(&client_id)
        .username(email)
        .confirmation_code(last_code(local.dir.path()))
        .send()
        .await
        .expect("confirm");
    let auth = c
        .initiate_auth()
        .client_id(&client_id)
        .auth_flow(AuthFlowType::UserPasswordAuth)
        .auth_parameters("USERNAME", email)
        .auth_parameters("PASSWORD", "Sdk-Passw0rd")
        .send()
        .await
        .expect("sign in");
    let result = auth.authentication_result().expect("tokens");
    assert_eq!(result.expires_in(), 3600);
    assert_eq!(result.token_type(), Some("Bearer"));
    let me = c
        .get_user()
        .access_token(result.access_token().expect("access token"))
        .send()
        .await
        .expect("get user");
    let email_attr = me
        .user_attributes()
        .iter()
        .find(|a| a.name() == "email")
        .and_then(|a| a.value());
    assert_eq!(email_attr, Some(email));
    assert_eq!(me.username(), up.user_sub());
}

#[tokio::test]
async fn sdk_sees_errors_as_typed_variants() {
    let local = start().await;
    let c = &local.client;
    let (pool_id, client_id) = pool_and_client(c).await;

    let err = c
        .initiate_auth()
        .client_id(&client_id)
        .auth_flow(AuthFlowType::UserPasswordAuth)
        .auth_parameters("USERNAME", "ghost@example.com")
        .auth_parameters("PASSWORD", "Whatever1!")
        .send()
        .await
        .expect_err("no such user")
        .into_service_error();
    assert!(err.is_user_not_found_exception(), "{err:?}");

    let err = c
        .sign_up()
        .client_id(&client_id)
        .username("weak@example.com")
        .password("weak")
        .send()
        .await
        .expect_err("weak password")
        .into_service_error();
    assert!(err.is_invalid_password_exception(), "{err:?}");
    assert_eq!(
        cognito::error::ProvideErrorMetadata::message(&err),
        Some("Password did not conform with policy: Password not long enough")
    );

    c.admin_create_user()
        .user_pool_id(&pool_id)
        .username("dup@example.com")
        .temporary_password("Temp-Passw0rd")
        .message_action(cognito::types::MessageActionType::Suppress)
        .send()
        .await
        .expect("create");
    let err = c
        .admin_create_user()
        .user_pool_id(&pool_id)
        .username("dup@example.com")
        .send()
        .await
        .expect_err("exists")
        .into_service_error();
    assert!(err.is_username_exists_exception(), "{err:?}");

    let err = c
        .initiate_auth()
        .client_id(&client_id)
        .auth_flow(AuthFlowType::UserPasswordAuth)
        .auth_parameters("USERNAME", "dup@example.com")
        .auth_parameters("PASSWORD", "Wrong-Passw0rd")
        .send()
        .await
        .expect_err("wrong password")
        .into_service_error();
    assert!(err.is_not_authorized_exception(), "{err:?}");

    let err = c
        .describe_user_pool()
        .user_pool_id("us-east-1_NoSuchOne")
        .send()
        .await
        .expect_err("no pool")
        .into_service_error();
    assert!(err.is_resource_not_found_exception(), "{err:?}");

    let err = c
        .get_user()
        .access_token("not.a.token")
        .send()
        .await
        .expect_err("bad token")
        .into_service_error();
    assert!(err.is_not_authorized_exception(), "{err:?}");
}
