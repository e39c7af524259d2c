//! The gateway's request path through its router, with no socket, no function process and no
//! user pool: a fake invoker and a key source of one signing key. Each answer is API
//! Gateway's: 403 for no stage, route or method; 401 for a missing, forged or expired token;
//! the CORS preflight; 413; 502 for a crash, an error or a malformed answer; 504 on timeout.

mod support;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use common::date::now_secs;
use common::jwt::SigningKey;
use gateway::spec::{Authorization, Authorizer, AuthorizerKind, RestApi, RestCors as Cors, Route};
use gateway::{Gateway, Invoke, InvokeError};
use serde_json::{Value as Json, json};
use support::{CLIENT, Functions, LocalKeyOnly, OneKey, POOL, get, id_token, message, send};

const SIGNED: &str = "AWS4-HMAC-SHA256 Credential=local/20260101/us-east-1/lambda/aws4_request, SignedHeaders=host, Signature=00";

/// Answers by function name.
fn functions() -> Arc<Functions> {
    Functions::new(|function, _| match function {
        "ok" => Ok(br#"{"statusCode":200,"headers":{"x-fn":"yes"},"body":"hello"}"#.to_vec()),
        "crash" => Err(InvokeError::Crashed("the process exited (signal 9)".into())),
        "error" => Err(InvokeError::Function {
            error_type: "Oops".into(),
            message: "it failed".into(),
            payload: None,
        }),
        "malformed" => Ok(br#"{"body":"no status"}"#.to_vec()),
        "slow" => Err(InvokeError::Timeout(Duration::from_secs(1))),
        other => Err(InvokeError::UnknownFunction(other.into())),
    })
}

struct Setup {
    app: axum::Router,
    functions: Arc<Functions>,
    key: SigningKey,
}

fn route(path: &str, method: &str, function: &str, auth: bool) -> Route {
    Route {
        authorization: if auth {
            Authorization::Authorizer("Pool".into())
        } else {
            Authorization::None
        },
        ..Route::proxy(method, path, function, "1.0")
    }
}

fn setup(authorize_preflight: bool) -> Setup {
    setup_with(authorize_preflight, None)
}

/// The test API, its Cognito authorizer with `validation` as its
/// `identityValidationExpression`.
fn setup_with(authorize_preflight: bool, validation: Option<&str>) -> Setup {
    let (key, keys) = OneKey::new();
    let api = RestApi {
        cors: Some(Cors {
            allow_origin: "https://app.example.com".into(),
            allow_headers: Some("Authorization".into()),
            ..Cors::default()
        }),
        authorizers: BTreeMap::from([(
            "Pool".to_string(),
            Authorizer {
                name: "Pool".into(),
                kind: AuthorizerKind::Cognito {
                    pool_ids: vec![POOL.into()],
                    header: "Authorization".into(),
                    validation: validation.map(str::to_string),
                },
                scopes: Vec::new(),
            },
        )]),
        preflight: if authorize_preflight {
            Authorization::Authorizer("Pool".into())
        } else {
            Authorization::None
        },
        routes: vec![
            route("/open", "GET", "ok", false),
            route("/private", "GET", "ok", true),
            route("/crash", "GET", "crash", false),
            route("/error", "GET", "error", false),
            route("/malformed", "GET", "malformed", false),
            route("/slow", "GET", "slow", false),
            route("/upload", "POST", "ok", false),
        ],
        ..RestApi::new("Api", "abcdefghij", "v1")
    };
    let functions = functions();
    let gw = Gateway::new(
        vec![api],
        Arc::clone(&functions) as Arc<dyn Invoke>,
        keys,
        "us-east-1",
        "123456789012",
    )
    .with_iam(Arc::new(LocalKeyOnly));
    Setup {
        app: gateway::app(Arc::new(gw)),
        functions,
        key,
    }
}

#[tokio::test]
async fn no_stage_route_or_method_is_403_missing_authentication_token() {
    let s = setup(true);
    for req in [
        get("/v2/open"),
        get("/v1/nope"),
        get("/v1/open/deeper"),
        Request::delete("/v1/open")
            .body(Body::empty())
            .expect("request"),
    ] {
        let (status, headers, body) = send(&s.app, req).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        assert_eq!(message(&body), "Missing Authentication Token");
        assert_eq!(
            headers["x-amzn-errortype"],
            "MissingAuthenticationTokenException"
        );
    }
    assert!(
        s.functions.events.lock().expect("lock").is_empty(),
        "no function ran"
    );
}

#[tokio::test]
async fn an_open_route_reaches_its_function_with_the_proxy_event() {
    let s = setup(true);
    let (status, headers, body) = send(&s.app, get("/v1/open/?a=1")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, b"hello");
    assert_eq!(headers["x-fn"], "yes");
    let events = s.functions.events.lock().expect("lock");
    let (function, ev) = &events[0];
    assert_eq!(function, "ok");
    assert_eq!(ev["resource"], "/open");
    assert_eq!(ev["path"], "/open");
    assert_eq!(ev["requestContext"]["path"], "/v1/open");
    assert_eq!(ev["queryStringParameters"], json!({"a": "1"}));
    assert!(ev["requestContext"].get("authorizer").is_none());
}

#[tokio::test]
async fn a_protected_route_needs_a_valid_unexpired_id_token() {
    let s = setup(true);
    let (status, headers, body) = send(&s.app, get("/v1/private")).await;
    assert_eq!(
        (status, message(&body)),
        (StatusCode::UNAUTHORIZED, json!("Unauthorized"))
    );
    assert_eq!(headers["x-amzn-errortype"], "UnauthorizedException");

    let good = id_token(&s.key, now_secs() + 60);
    let (other, _) = SigningKey::generate();
    for bad in ["garbage".to_string(), id_token(&other, now_secs() + 60)] {
        let req = Request::get("/v1/private")
            .header("authorization", bad)
            .body(Body::empty())
            .expect("request");
        let (status, _, body) = send(&s.app, req).await;
        assert_eq!(
            (status, message(&body)),
            (StatusCode::UNAUTHORIZED, json!("Unauthorized"))
        );
    }
    let expired = id_token(&s.key, now_secs() - 1);
    let req = Request::get("/v1/private")
        .header("authorization", expired)
        .body(Body::empty())
        .expect("request");
    let (status, _, body) = send(&s.app, req).await;
    assert_eq!(
        (status, message(&body)),
        (
            StatusCode::UNAUTHORIZED,
            json!("The incoming token has expired")
        )
    );
    assert!(
        s.functions.events.lock().expect("lock").is_empty(),
        "refused before the function"
    );

    let twice = Request::get("/v1/private")
        .header("authorization", good.clone())
        .header("authorization", good.clone())
        .body(Body::empty())
        .expect("request");
    let (status, _, _) = send(&s.app, twice).await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "a token given twice is refused"
    );

    let req = Request::get("/v1/private")
        .header("authorization", format!("Bearer {good}"))
        .body(Body::empty())
        .expect("request");
    let (status, _, _) = send(&s.app, req).await;
    assert_eq!(status, StatusCode::OK);
    let events = s.functions.events.lock().expect("lock");
    let claims = &events[0].1["requestContext"]["authorizer"]["claims"];
    assert_eq!(claims["email"], "e@example.com");
    assert_eq!(claims["sub"], "s-1");
}

#[tokio::test]
async fn a_cognito_validation_expression_must_match_the_whole_aud() {
    let cases = [
        (Some(CLIENT.to_string()), StatusCode::OK),
        (Some(format!("{CLIENT}|another")), StatusCode::OK),
        (Some("another-client".to_string()), StatusCode::UNAUTHORIZED),
        // A full match: a prefix of the client id is not enough.
        (Some(CLIENT[..3].to_string()), StatusCode::UNAUTHORIZED),
        (None, StatusCode::OK),
    ];
    for (validation, want) in cases {
        let s = setup_with(false, validation.as_deref());
        let req = Request::get("/v1/private")
            .header("authorization", id_token(&s.key, now_secs() + 60))
            .body(Body::empty())
            .expect("request");
        let (status, _, body) = send(&s.app, req).await;
        assert_eq!(
            status,
            want,
            "{validation:?}: {}",
            String::from_utf8_lossy(&body)
        );
        if want == StatusCode::UNAUTHORIZED {
            assert_eq!(message(&body), json!("Unauthorized"));
            assert!(s.functions.events.lock().expect("lock").is_empty());
        }
    }
}

#[tokio::test]
async fn a_preflight_is_answered_from_the_cors_settings_and_may_need_the_authorizer() {
    let s = setup(false);
    let req = Request::options("/v1/open")
        .body(Body::empty())
        .expect("request");
    let (status, headers, _) = send(&s.app, req).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        headers["access-control-allow-origin"],
        "https://app.example.com"
    );
    assert_eq!(headers["access-control-allow-methods"], "GET,OPTIONS");
    assert_eq!(headers["access-control-allow-headers"], "Authorization");

    let s = setup(true);
    let req = Request::options("/v1/open")
        .body(Body::empty())
        .expect("request");
    let (status, _, _) = send(&s.app, req).await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "the default authorizer guards the preflight"
    );
    assert!(s.functions.events.lock().expect("lock").is_empty());
}

#[tokio::test]
async fn a_body_over_10_mb_is_413() {
    let s = setup(true);
    let req = Request::post("/v1/upload")
        .body(Body::from(vec![b'x'; gateway::MAX_BODY + 1]))
        .expect("request");
    let (status, _, _) = send(&s.app, req).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    let req = Request::post("/v1/upload")
        .body(Body::from(vec![b'x'; 1024]))
        .expect("request");
    let (status, _, _) = send(&s.app, req).await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn a_crash_an_error_or_a_malformed_answer_is_502_and_a_timeout_504() {
    let s = setup(true);
    for path in ["/v1/crash", "/v1/error", "/v1/malformed"] {
        let (status, headers, body) = send(&s.app, get(path)).await;
        assert_eq!(status, StatusCode::BAD_GATEWAY, "{path}");
        assert_eq!(message(&body), "Internal server error", "{path}");
        assert_eq!(headers["x-amzn-errortype"], "InternalServerErrorException");
    }
    let (status, _, body) = send(&s.app, get("/v1/slow")).await;
    assert_eq!(status, StatusCode::GATEWAY_TIMEOUT);
    assert_eq!(message(&body), "Endpoint request timed out");
}

#[tokio::test]
async fn lambdas_invoke_api_reports_unknown_functions_and_errors_as_lambda_does() {
    let s = setup(true);
    let invoke = |name: &str| {
        Request::post(format!("/2015-03-31/functions/{name}/invocations"))
            .header("authorization", SIGNED)
            .body(Body::from("{}"))
            .expect("request")
    };
    let (status, _, body) = send(&s.app, invoke("nope")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(message(&body), "Function not found: nope");
    let (status, headers, body) = send(&s.app, invoke("error")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["x-amz-function-error"], "Unhandled");
    let v: Json = serde_json::from_slice(&body).expect("json");
    assert_eq!(
        (v["errorType"].as_str(), v["errorMessage"].as_str()),
        (Some("Oops"), Some("it failed"))
    );
}

#[tokio::test]
async fn lambdas_invoke_api_refuses_a_caller_iam_does_not_allow_before_running_anything() {
    let s = setup(true);
    let req = Request::post("/2015-03-31/functions/ok/invocations")
        .header(
            "authorization",
            "AWS4-HMAC-SHA256 Credential=stranger/20260101/us-east-1/lambda/aws4_request, SignedHeaders=host, Signature=00",
        )
        .body(Body::from("{}"))
        .expect("request");
    let (status, headers, body) = send(&s.app, req).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(headers["x-amzn-errortype"], "UnrecognizedClientException");
    assert_eq!(
        message(&body),
        "The security token included in the request is invalid."
    );
    assert!(s.functions.events_of("ok").is_empty());
}

#[tokio::test]
async fn lambdas_invoke_api_takes_event_and_dry_run_invocations_and_arns() {
    let s = setup(true);
    let invoke = |name: &str, kind: Option<&str>| {
        let mut r = Request::post(format!("/2015-03-31/functions/{name}/invocations"))
            .header("authorization", SIGNED);
        if let Some(k) = kind {
            r = r.header("x-amz-invocation-type", k);
        }
        r.body(Body::from(r#"{"n":1}"#)).expect("request")
    };
    // Event: 202 at once, no body; the function gets the event.
    let (status, _, body) = send(&s.app, invoke("ok", Some("Event"))).await;
    assert_eq!(status, StatusCode::ACCEPTED);
    assert!(body.is_empty());
    for _ in 0..100 {
        if !s.functions.events_of("ok").is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(s.functions.events_of("ok"), [json!({"n": 1})]);
    // DryRun: 204, nothing run.
    let (status, _, _) = send(&s.app, invoke("ok", Some("DryRun"))).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(s.functions.events_of("ok").len(), 1);
    let (status, _, body) = send(&s.app, invoke("nope", Some("Event"))).await;
    assert_eq!(
        (status, message(&body)),
        (StatusCode::NOT_FOUND, json!("Function not found: nope"))
    );
    let (status, _, _) = send(&s.app, invoke("ok", Some("Later"))).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    // botocore sends an ARN percent-encoded; a qualifier may follow.
    let arn = "arn%3Aaws%3Alambda%3Aus-east-1%3A123456789012%3Afunction%3Aok%3A%24LATEST";
    let (status, _, body) = send(&s.app, invoke(arn, None)).await;
    assert_eq!(status, StatusCode::OK, "{}", String::from_utf8_lossy(&body));
}

#[tokio::test]
async fn lambdas_invoke_api_refuses_unsigned_and_browser_requests() {
    let s = setup(true);
    let post = || Request::post("/2015-03-31/functions/ok/invocations");
    let unsigned = post().body(Body::from("{}")).expect("request");
    let (status, headers, body) = send(&s.app, unsigned).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(message(&body), "Missing Authentication Token");
    assert_eq!(
        headers["x-amzn-errortype"],
        "MissingAuthenticationTokenException"
    );
    for browser in [
        post()
            .header("authorization", SIGNED)
            .header("origin", "https://evil.example"),
        post()
            .header("authorization", SIGNED)
            .header("content-type", "text/plain"),
        post()
            .header("authorization", SIGNED)
            .header("content-type", "application/x-www-form-urlencoded"),
    ] {
        let (status, headers, _) =
            send(&s.app, browser.body(Body::from("{}")).expect("request")).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        assert_eq!(headers["x-amzn-errortype"], "AccessDeniedException");
    }
    let twice = post()
        .header("authorization", SIGNED)
        .header("authorization", SIGNED)
        .body(Body::from("{}"))
        .expect("request");
    assert_eq!(send(&s.app, twice).await.0, StatusCode::FORBIDDEN);
    assert!(
        s.functions.events.lock().expect("lock").is_empty(),
        "no function ran"
    );
    let signed = post()
        .header("authorization", SIGNED)
        .body(Body::from("{}"))
        .expect("request");
    assert_eq!(send(&s.app, signed).await.0, StatusCode::OK);
}

#[tokio::test]
async fn rest_apis_that_share_a_stage_each_serve_their_routes() {
    let (_, keys) = OneKey::new();
    let api = |id: &str, routes: Vec<Route>| RestApi {
        routes,
        ..RestApi::new(id, &id.to_lowercase(), "Prod")
    };
    let functions = Functions::new(|function, _| {
        Ok(format!(r#"{{"statusCode":200,"body":"{function}"}}"#).into_bytes())
    });
    let gw = Gateway::new(
        vec![
            api(
                "Cart",
                vec![
                    route("/cart", "GET", "cart", false),
                    route("/item", "POST", "add", false),
                ],
            ),
            api(
                "Product",
                vec![
                    route("/product/{id}", "GET", "product", false),
                    route("/item", "GET", "item", false),
                ],
            ),
        ],
        Arc::clone(&functions) as Arc<dyn Invoke>,
        keys,
        "us-east-1",
        "123456789012",
    );
    let app = gateway::app(Arc::new(gw));
    for (req, want) in [
        (get("/Prod/cart"), "cart"),
        (get("/Prod/product/7"), "product"),
        (get("/Prod/item"), "item"),
        (
            Request::post("/Prod/item")
                .body(Body::empty())
                .expect("request"),
            "add",
        ),
    ] {
        let (status, _, body) = send(&app, req).await;
        assert_eq!((status, body.as_slice()), (StatusCode::OK, want.as_bytes()));
    }
    let (status, _, body) = send(&app, get("/Prod/nowhere")).await;
    assert_eq!(
        (status, message(&body)),
        (StatusCode::FORBIDDEN, json!("Missing Authentication Token"))
    );
}
