//! The whole stack in-process, on ports the test binds (port 0): the project's own template,
//! its functions built and run as real processes, its pool served to the Rust SDK, its API to
//! a real HTTP client. The seed's flow end to end: the invited user's temporary password from
//! the outbox, the first sign-in with its new-password challenge, the open route, and the
//! protected route without and with the ID token.

use std::path::PathBuf;

use aws_sdk_cognitoidentityprovider as cognito;
use cognito::config::{BehaviorVersion, Credentials, Region};
use cognito::types::{AuthFlowType, ChallengeNameType};
use http_body_util::{BodyExt, Empty};
use hyper::body::Bytes;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use serde_json::Value as Json;

fn workspace() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

async fn get(url: &str, token: Option<&str>) -> (u16, Json) {
    let client: Client<_, Empty<Bytes>> = Client::builder(TokioExecutor::new()).build_http();
    let mut req = hyper::Request::get(url);
    if let Some(t) = token {
        req = req.header("authorization", t);
    }
    let resp = client
        .request(req.body(Empty::new()).expect("request"))
        .await
        .expect("the API answers");
    let status = resp.status().as_u16();
    let body = resp.into_body().collect().await.expect("body").to_bytes();
    (status, serde_json::from_slice(&body).expect("a JSON body"))
}

#[tokio::test]
async fn the_seed_stack_runs_in_process_from_sign_in_to_the_protected_route() {
    let state = tempfile::tempdir().expect("tempdir");
    let config = gatehouse::Config {
        template: workspace().join("template.yaml"),
        parameter_overrides: vec![("YourEmail".into(), "first@example.com".into())],
        state_dir: state.path().to_path_buf(),
        region: "us-east-1".into(),
        watch: false,
        invoke_api: true,
        reaper: None,
        env_overrides: Default::default(),
        import_values: Default::default(),
        dynamodb_endpoint: None,
        endpoints: Vec::new(),
        runtime_sdk: false,
        dynamodb: false,
        limits: common::server::Limits::default(),
        access_keys: Vec::new(),
    };
    let listeners = gatehouse::Listeners {
        api: gatehouse::bind("127.0.0.1", 0, "--api-port")
            .await
            .expect("bind"),
        cognito: gatehouse::bind("127.0.0.1", 0, "--cognito-port")
            .await
            .expect("bind"),
    };
    let running = gatehouse::start(config, listeners)
        .await
        .expect("the stack starts");
    let api = running.outputs["ApiUrl"].clone();
    assert!(api.starts_with(&running.api_url), "{api} is the local API");
    let client_id = running.outputs["CognitoClientID"].clone();
    let summary = running.summary(0);
    assert!(summary.contains("GET     /v1/open"), "{summary}");

    // The invitation the template's UserPoolUser sent.
    let outbox = std::fs::read_to_string(state.path().join("outbox.jsonl")).expect("outbox");
    let invite: Json =
        serde_json::from_str(outbox.lines().last().expect("a message")).expect("json");
    assert_eq!(invite["to"], "first@example.com");
    let temporary = invite["temporaryPassword"]
        .as_str()
        .expect("a temporary password");

    let sdk = cognito::Client::from_conf(
        cognito::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new("us-east-1"))
            .credentials_provider(Credentials::new("local", "local", None, None, "test"))
            .endpoint_url(&running.cognito_url)
            .build(),
    );
    let first = sdk
        .initiate_auth()
        .client_id(&client_id)
        .auth_flow(AuthFlowType::UserPasswordAuth)
        .auth_parameters("USERNAME", "first@example.com")
        .auth_parameters("PASSWORD", temporary)
        .send()
        .await
        .expect("first sign-in");
    assert_eq!(
        first.challenge_name(),
        Some(&ChallengeNameType::NewPasswordRequired)
    );
    let done = sdk
        .respond_to_auth_challenge()
        .client_id(&client_id)
        .challenge_name(ChallengeNameType::NewPasswordRequired)
        .session(first.session().expect("a session"))
        .challenge_responses("USERNAME", "first@example.com")
        .challenge_responses("NEW_PASSWORD", "Testing1")
        .send()
        .await
        .expect("new password");
    let token = done
        .authentication_result()
        .and_then(|r| r.id_token())
        .expect("an ID token")
        .to_string();

    let (status, body) = get(&format!("{api}/open"), None).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["message"],
        "This endpoint does not require any authentication"
    );
    let (status, body) = get(&api, None).await;
    assert_eq!(
        (status, &body["message"]),
        (401, &Json::from("Unauthorized"))
    );
    let (status, body) = get(&api, Some(&token)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["user"]["email"], "first@example.com");

    let pids = running.host.pids();
    assert_eq!(pids.len(), 2, "one instance of each function");
    running.stop().await;
    for pid in pids {
        let gone = std::fs::read_to_string(format!("/proc/{pid}/stat"))
            .map(|s| s.split(' ').nth(2) == Some("Z"))
            .unwrap_or(true);
        assert!(gone, "instance {pid} stopped with the stack");
    }
}
