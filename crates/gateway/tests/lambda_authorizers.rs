//! REST Lambda authorizers through the gateway's request path, with a fake function host whose
//! authorizer answers by token: the TOKEN and REQUEST events, 401 without invoking for a
//! missing identity or a token failing the validation expression, the policy evaluated
//! against each request's method ARN (explicit and implicit deny), the decision cached per
//! token for the TTL and evaluated again on another path, errors 500 and not cached, and the
//! context reaching the backend as strings.

mod support;

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::http::StatusCode;
use gateway::spec::{
    Authorization, Authorizer, AuthorizerKind, IdentitySource, LambdaAuthorizer, RestApi, Route,
};
use gateway::{Gateway, Invoke, InvokeError};
use serde_json::{Value as Json, json};
use support::{Functions, OneKey, body_json, get, get_with, message, send};

const ARN_PREFIX: &str = "arn:aws:execute-api:us-east-1:123456789012:abcdefghij/prod";

fn policy(effect: &str, resource: &str, context: Json) -> Vec<u8> {
    json!({
        "principalId": "user-7",
        "policyDocument": {"Version": "2012-10-17", "Statement": [
            {"Action": "execute-api:Invoke", "Effect": effect, "Resource": resource}
        ]},
        "context": context,
    })
    .to_string()
    .into_bytes()
}

fn functions() -> Arc<Functions> {
    Functions::new(|function, ev| match function {
        "backend" => Ok(br#"{"statusCode":200,"body":"ok"}"#.to_vec()),
        "token_auth" | "request_auth" => {
            let token = if function == "token_auth" {
                ev["authorizationToken"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string()
            } else {
                ev["headers"]["x-key"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string()
            };
            let arn = ev["methodArn"].as_str().unwrap_or_default();
            match token.as_str() {
                "allow-all" => Ok(policy(
                    "Allow",
                    "arn:aws:execute-api:*:*:*",
                    json!({"n": 5, "b": true, "s": "x"}),
                )),
                "allow-this" => Ok(policy("Allow", arn, json!({}))),
                "deny" => Ok(policy("Deny", arn, json!({}))),
                "unauthorized" => Err(InvokeError::Function {
                    error_type: "Error".into(),
                    message: "Unauthorized".into(),
                    payload: None,
                }),
                "nested-context" => Ok(policy("Allow", "*", json!({"o": {"a": 1}}))),
                "null" => Ok(b"null".to_vec()),
                _ => Err(InvokeError::Function {
                    error_type: "Error".into(),
                    message: "boom".into(),
                    payload: None,
                }),
            }
        }
        other => Err(InvokeError::UnknownFunction(other.into())),
    })
}

fn route(path: &str, authorizer: &str) -> Route {
    Route {
        authorization: Authorization::Authorizer(authorizer.into()),
        ..Route::proxy("GET", path, "backend", "1.0")
    }
}

fn lambda(
    function: &str,
    token: bool,
    identity: Vec<IdentitySource>,
    validation: Option<&str>,
    ttl: u64,
) -> AuthorizerKind {
    AuthorizerKind::Lambda(LambdaAuthorizer {
        function: function.into(),
        token,
        identity,
        validation: validation.map(str::to_string),
        ttl_secs: ttl,
        payload_version: "1.0".into(),
        simple_responses: false,
    })
}

fn setup() -> (axum::Router, Arc<Functions>) {
    let header = IdentitySource::Header("Authorization".into());
    let authorizers = [
        (
            "Tok",
            lambda("token_auth", true, vec![header.clone()], None, 300),
        ),
        (
            "Uncached",
            lambda("token_auth", true, vec![header.clone()], None, 0),
        ),
        (
            "Checked",
            lambda("token_auth", true, vec![header], Some("allow-.*"), 300),
        ),
        (
            "Req",
            lambda(
                "request_auth",
                false,
                vec![
                    IdentitySource::Header("X-Key".into()),
                    IdentitySource::Query("k".into()),
                ],
                None,
                0,
            ),
        ),
    ]
    .into_iter()
    .map(|(name, kind)| {
        (
            name.to_string(),
            Authorizer {
                name: name.into(),
                kind,
                scopes: Vec::new(),
            },
        )
    })
    .collect::<BTreeMap<_, _>>();
    let api = RestApi {
        authorizers,
        routes: vec![
            route("/pets/{id}", "Tok"),
            route("/other", "Tok"),
            route("/", "Tok"),
            route("/fresh", "Uncached"),
            route("/checked", "Checked"),
            route("/req/{id}", "Req"),
        ],
        ..RestApi::new("Api", "abcdefghij", "prod")
    };
    let functions = functions();
    let (_, keys) = OneKey::new();
    let gw = Gateway::new(
        vec![api],
        Arc::clone(&functions) as Arc<dyn Invoke>,
        keys,
        "us-east-1",
        "123456789012",
    );
    (gateway::app(Arc::new(gw)), functions)
}

fn auth(token: &str) -> [(&str, &str); 1] {
    [("authorization", token)]
}

#[tokio::test]
async fn a_token_authorizer_gets_the_token_and_method_arn_and_its_context_reaches_the_backend() {
    let (app, f) = setup();
    let (status, _, body) = send(&app, get_with("/prod/pets/42", &auth("allow-all"))).await;
    assert_eq!(
        (status, body.as_slice()),
        (StatusCode::OK, b"ok".as_slice())
    );
    let events = f.events_of("token_auth");
    assert_eq!(
        events[0],
        json!({"type": "TOKEN", "authorizationToken": "allow-all", "methodArn": format!("{ARN_PREFIX}/GET/pets/42")})
    );
    let backend = &f.events_of("backend")[0];
    let a = &backend["requestContext"]["authorizer"];
    assert_eq!(
        (&a["n"], &a["b"], &a["s"]),
        (&json!("5"), &json!("true"), &json!("x")),
        "context values as strings"
    );
    assert_eq!(a["principalId"], "user-7");
    assert!(a["integrationLatency"].is_u64());

    // The root resource's ARN ends in a slash.
    send(&app, get_with("/prod/", &auth("allow-this"))).await;
    assert_eq!(
        f.events_of("token_auth")[1]["methodArn"],
        format!("{ARN_PREFIX}/GET/")
    );
}

#[tokio::test]
async fn no_token_or_one_failing_validation_is_401_without_invoking() {
    let (app, f) = setup();
    let (status, headers, body) = send(&app, get("/prod/pets/1")).await;
    assert_eq!(
        (status, message(&body)),
        (StatusCode::UNAUTHORIZED, json!("Unauthorized"))
    );
    assert_eq!(headers["x-amzn-errortype"], "UnauthorizedException");
    let (status, _, _) = send(&app, get_with("/prod/pets/1", &auth(""))).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "an empty token");
    let (status, _, _) = send(&app, get_with("/prod/checked", &auth("deny"))).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "validation expression");
    assert!(
        f.events_of("token_auth").is_empty(),
        "the authorizer never ran"
    );
    let (status, _, _) = send(&app, get_with("/prod/checked", &auth("allow-all"))).await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn deny_is_403_and_unauthorized_401_as_api_gateway_answers() {
    let (app, _) = setup();
    let (status, headers, body) = send(&app, get_with("/prod/pets/1", &auth("deny"))).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(headers["x-amzn-errortype"], "AccessDeniedException");
    assert_eq!(
        body_json(&body),
        json!({"Message": "User is not authorized to access this resource with an explicit deny"})
    );
    let (status, _, body) = send(&app, get_with("/prod/pets/1", &auth("unauthorized"))).await;
    assert_eq!(
        (status, message(&body)),
        (StatusCode::UNAUTHORIZED, json!("Unauthorized"))
    );
}

#[tokio::test]
async fn a_cached_policy_is_evaluated_again_for_another_path() {
    let (app, f) = setup();
    let (status, _, _) = send(&app, get_with("/prod/pets/1", &auth("allow-this"))).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _, body) = send(&app, get_with("/prod/other", &auth("allow-this"))).await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "the cached policy names only /pets/1"
    );
    assert_eq!(
        body_json(&body),
        json!({"Message": "User is not authorized to access this resource"})
    );
    let (status, _, _) = send(&app, get_with("/prod/pets/1", &auth("allow-this"))).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        f.events_of("token_auth").len(),
        1,
        "one invocation for the token while cached"
    );

    // With caching off, every request asks.
    send(&app, get_with("/prod/fresh", &auth("allow-all"))).await;
    send(&app, get_with("/prod/fresh", &auth("allow-all"))).await;
    assert_eq!(f.events_of("token_auth").len(), 3);
}

#[tokio::test]
async fn failures_are_500_configuration_errors_and_not_cached() {
    let (app, f) = setup();
    for token in ["boom", "null", "nested-context", "boom"] {
        let (status, headers, body) = send(&app, get_with("/prod/pets/1", &auth(token))).await;
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR, "{token}");
        assert_eq!(
            headers["x-amzn-errortype"],
            "AuthorizerConfigurationException"
        );
        assert_eq!(body_json(&body), json!({"message": null}));
    }
    assert_eq!(f.events_of("token_auth").len(), 4, "errors are not cached");
    assert!(f.events_of("backend").is_empty());
}

#[tokio::test]
async fn a_request_authorizer_needs_every_identity_source_and_gets_the_request() {
    let (app, f) = setup();
    let (status, _, _) = send(&app, get_with("/prod/req/9", &[("x-key", "allow-this")])).await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "the query string source is missing"
    );
    assert!(f.events_of("request_auth").is_empty());
    let (status, _, _) = send(
        &app,
        get_with("/prod/req/9?k=v&x=1", &[("X-Key", "allow-this")]),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let ev = &f.events_of("request_auth")[0];
    assert_eq!(ev["type"], "REQUEST");
    assert_eq!(ev["methodArn"], format!("{ARN_PREFIX}/GET/req/9"));
    assert_eq!(ev["resource"], "/req/{id}");
    assert_eq!(ev["path"], "/req/9");
    assert_eq!(ev["httpMethod"], "GET");
    assert_eq!(ev["pathParameters"], json!({"id": "9"}));
    assert_eq!(ev["queryStringParameters"], json!({"k": "v", "x": "1"}));
    assert_eq!(ev["headers"]["x-key"], "allow-this");
    assert_eq!(ev["requestContext"]["stage"], "prod");
    assert!(ev.get("body").is_none(), "no body in an authorizer's event");
}
