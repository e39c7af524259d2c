//! HTTP APIs (API Gateway v2) through the gateway's request path: stages (`$default` at the
//! root, a named one as the first segment), route precedence and `$default`, 404 `Not Found`,
//! the 2.0 and 1.0 events, the JWT authorizer (401 with `www-authenticate`, 403 for a missing
//! scope, claims as strings), Lambda authorizers (simple and IAM answers, 2.0 and 1.0 events,
//! identity sources), CORS answered by the gateway, and the 2.0 response rules.

mod support;

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use gateway::spec::{
    Authorization, Authorizer, AuthorizerKind, HttpApi, HttpCors, IdentitySource, LambdaAuthorizer,
    Route,
};
use gateway::{Gateway, Invoke, InvokeError};
use serde_json::{Value as Json, json};
use support::{
    CLIENT, Functions, ISS, OneKey, access_token, body_json, get, get_with, id_token, message, send,
};

fn functions() -> Arc<Functions> {
    Functions::new(|function, ev| {
        match function {
        // No statusCode: 200, JSON, the whole output as the body.
        "echo" => Ok(json!({"route": ev["routeKey"]}).to_string().into_bytes()),
        "full" => Ok(br#"{"statusCode":201,"headers":{"x-a":"1","access-control-allow-origin":"https://evil"},"cookies":["a=1","b=2"],"body":"made"}"#.to_vec()),
        "v1" => Ok(br#"{"statusCode":200,"body":"one"}"#.to_vec()),
        "simple_auth" => {
            let token = ev["headers"]["x-token"].as_str().unwrap_or_default();
            match token {
                "yes" => Ok(br#"{"isAuthorized":true,"context":{"user":"u1","roles":["a","b"],"n":1}}"#.to_vec()),
                "no" => Ok(br#"{"isAuthorized":false}"#.to_vec()),
                _ => Ok(b"\"what\"".to_vec()),
            }
        }
        "policy_auth" => Ok(json!({
            "principalId": "p-1",
            "policyDocument": {"Version": "2012-10-17", "Statement": [{
                "Action": "execute-api:Invoke", "Effect": "Allow", "Resource": ev["routeArn"].as_str().or(ev["methodArn"].as_str())
            }]},
            "context": {"k": "v"}
        })
        .to_string()
        .into_bytes()),
        other => Err(InvokeError::UnknownFunction(other.into())),
    }
    })
}

fn route(
    method: &str,
    path: &str,
    function: &str,
    authorizer: Option<&str>,
    scopes: &[&str],
) -> Route {
    let version = if function == "v1" { "1.0" } else { "2.0" };
    Route {
        authorization: authorizer
            .map_or(Authorization::None, |a| Authorization::Authorizer(a.into())),
        scopes: scopes.iter().map(|s| s.to_string()).collect(),
        ..Route::proxy(method, path, function, version)
    }
}

fn lambda(
    function: &str,
    version: &str,
    simple: bool,
    identity: Vec<IdentitySource>,
) -> AuthorizerKind {
    AuthorizerKind::Lambda(LambdaAuthorizer {
        function: function.into(),
        token: false,
        identity,
        validation: None,
        ttl_secs: 0,
        payload_version: version.into(),
        simple_responses: simple,
    })
}

struct Setup {
    app: axum::Router,
    functions: Arc<Functions>,
    key: common::jwt::SigningKey,
}

fn setup() -> Setup {
    let authorizers: BTreeMap<String, Authorizer> = [
        (
            "Jwt",
            AuthorizerKind::Jwt {
                issuer: ISS.into(),
                audience: vec![CLIENT.into()],
                source: IdentitySource::Header("Authorization".into()),
            },
        ),
        (
            "Simple",
            lambda(
                "simple_auth",
                "2.0",
                true,
                vec![IdentitySource::Header("X-Token".into())],
            ),
        ),
        ("Policy", lambda("policy_auth", "2.0", false, vec![])),
        (
            "Policy1",
            lambda(
                "policy_auth",
                "1.0",
                false,
                vec![IdentitySource::Query("q".into())],
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
    .collect();
    let root = HttpApi {
        logical_id: "Root".into(),
        id: "rootapi123".into(),
        stage: "$default".into(),
        cors: Some(HttpCors {
            allow_origins: vec!["https://app.example.com".into()],
            allow_methods: vec!["GET".into(), "POST".into()],
            allow_headers: vec!["authorization".into()],
            max_age: Some(600),
            ..HttpCors::default()
        }),
        authorizers,
        default_authorizer: None,
        routes: vec![
            route("GET", "/pets/dog/1", "echo", None, &[]),
            route("GET", "/pets/dog/{id}", "echo", None, &[]),
            route("GET", "/pets/{proxy+}", "echo", None, &[]),
            route("ANY", "/{proxy+}", "echo", None, &[]),
            route("POST", "/full", "full", None, &[]),
            route("GET", "/one/{id}", "v1", None, &[]),
            route("GET", "/private", "echo", Some("Jwt"), &[]),
            route("GET", "/scoped", "echo", Some("Jwt"), &["items/read"]),
            route("GET", "/simple", "echo", Some("Simple"), &[]),
            route("GET", "/policy", "echo", Some("Policy"), &[]),
            route("GET", "/policy1", "v1", Some("Policy1"), &[]),
        ],
    };
    let dev = HttpApi {
        logical_id: "Dev".into(),
        id: "devapi1234".into(),
        stage: "dev".into(),
        cors: None,
        authorizers: BTreeMap::new(),
        default_authorizer: None,
        routes: vec![route("GET", "/hello", "echo", None, &[])],
    };
    let functions = functions();
    let (key, keys) = OneKey::new();
    let gw = Gateway::new(
        Vec::new(),
        Arc::clone(&functions) as Arc<dyn Invoke>,
        keys,
        "us-east-1",
        "123456789012",
    )
    .with_http_apis(vec![root, dev]);
    Setup {
        app: gateway::app(Arc::new(gw)),
        functions,
        key,
    }
}

async fn route_of(s: &Setup, req: Request<Body>) -> Json {
    let (status, headers, body) = send(&s.app, req).await;
    assert_eq!(status, StatusCode::OK, "{}", String::from_utf8_lossy(&body));
    assert_eq!(headers["content-type"], "application/json");
    body_json(&body)["route"].clone()
}

#[tokio::test]
async fn routes_follow_aws_precedence_and_stages() {
    let s = setup();
    assert_eq!(route_of(&s, get("/pets/dog/1")).await, "GET /pets/dog/1");
    assert_eq!(route_of(&s, get("/pets/dog/2")).await, "GET /pets/dog/{id}");
    assert_eq!(route_of(&s, get("/pets/cat/2")).await, "GET /pets/{proxy+}");
    assert_eq!(
        route_of(
            &s,
            Request::delete("/pets/cat")
                .body(Body::empty())
                .expect("request")
        )
        .await,
        "ANY /{proxy+}"
    );
    assert_eq!(route_of(&s, get("/dev/hello")).await, "GET /hello");
    let ev = &s.functions.events_of("echo")[4];
    assert_eq!(
        ev["rawPath"], "/dev/hello",
        "a named stage stays in the path"
    );
    assert_eq!(ev["requestContext"]["stage"], "dev");
    let (status, _, body) = send(&s.app, get("/dev/nothing")).await;
    assert_eq!(
        (status, message(&body)),
        (StatusCode::NOT_FOUND, json!("Not Found"))
    );
}

#[tokio::test]
async fn the_2_0_event_and_response() {
    let s = setup();
    let req = Request::post("/full?a=1&a=2&b=x%20y")
        .header("cookie", "c1=v1; c2=v2")
        .header("x-multi", "one")
        .header("x-multi", "two")
        .body(Body::from("payload"))
        .expect("request");
    let (status, headers, body) = send(&s.app, req).await;
    assert_eq!(
        (status, body.as_slice()),
        (StatusCode::CREATED, b"made".as_slice())
    );
    let cookies: Vec<_> = headers.get_all("set-cookie").iter().collect();
    assert_eq!(cookies, ["a=1", "b=2"]);
    let ev = &s.functions.events_of("full")[0];
    assert_eq!(ev["version"], "2.0");
    assert_eq!(ev["routeKey"], "POST /full");
    assert_eq!(ev["rawPath"], "/full");
    assert_eq!(ev["rawQueryString"], "a=1&a=2&b=x%20y");
    assert_eq!(ev["queryStringParameters"], json!({"a": "1,2", "b": "x y"}));
    assert_eq!(ev["cookies"], json!(["c1=v1", "c2=v2"]));
    assert_eq!(ev["headers"]["x-multi"], "one,two");
    assert_eq!(ev["body"], "payload");
    assert_eq!(ev["requestContext"]["http"]["method"], "POST");
    assert_eq!(ev["requestContext"]["stage"], "$default");
}

#[tokio::test]
async fn payload_1_0_on_an_http_api() {
    let s = setup();
    let (status, _, body) = send(&s.app, get("/one/7")).await;
    assert_eq!(
        (status, body.as_slice()),
        (StatusCode::OK, b"one".as_slice())
    );
    let ev = &s.functions.events_of("v1")[0];
    assert_eq!(ev["version"], "1.0");
    assert_eq!(ev["resource"], "/one/{id}");
    assert_eq!(ev["path"], "/one/7");
    assert_eq!(ev["pathParameters"], json!({"id": "7"}));
    assert_eq!(ev["requestContext"]["resourceId"], Json::Null);
    assert_eq!(
        ev["requestContext"]["path"], "/one/7",
        "no stage segment on $default"
    );
    assert!(ev["multiValueHeaders"].is_object());
}

#[tokio::test]
async fn the_jwt_authorizer_refuses_with_www_authenticate_and_checks_scopes() {
    let s = setup();
    let (status, headers, body) = send(&s.app, get("/private")).await;
    assert_eq!(
        (status, message(&body)),
        (StatusCode::UNAUTHORIZED, json!("Unauthorized"))
    );
    assert!(headers.contains_key("www-authenticate"));
    let (status, headers, _) = send(
        &s.app,
        get_with("/private", &[("authorization", "not-a-jwt")]),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let challenge = headers["www-authenticate"].to_str().expect("text");
    assert!(
        challenge.starts_with("Bearer scope=\"\" error=\"invalid_token\" error_description=\""),
        "{challenge}"
    );

    let id = id_token(&s.key, common::date::now_secs() + 60);
    let (status, _, _) = send(
        &s.app,
        get_with("/private", &[("authorization", &format!("Bearer {id}"))]),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let ev = &s.functions.events_of("echo")[0];
    let jwt = &ev["requestContext"]["authorizer"]["jwt"];
    assert_eq!(jwt["claims"]["email"], "e@example.com");
    assert!(jwt["claims"]["exp"].is_string(), "claims are strings");
    assert_eq!(jwt["scopes"], Json::Null, "no scopes on the route");

    // A route with scopes: an ID token (none) is 403, an access token holding one passes.
    let (status, _, body) = send(&s.app, get_with("/scoped", &[("authorization", &id)])).await;
    assert_eq!(
        (status, message(&body)),
        (StatusCode::FORBIDDEN, json!("Forbidden"))
    );
    let access = access_token(&s.key, "items/read items/write");
    let (status, _, _) = send(&s.app, get_with("/scoped", &[("authorization", &access)])).await;
    assert_eq!(status, StatusCode::OK);
    let ev = &s.functions.events_of("echo")[1];
    assert_eq!(
        ev["requestContext"]["authorizer"]["jwt"]["scopes"],
        json!(["items/read", "items/write"])
    );
}

#[tokio::test]
async fn a_simple_lambda_authorizer() {
    let s = setup();
    let (status, _, body) = send(&s.app, get("/simple")).await;
    assert_eq!(
        (status, message(&body)),
        (StatusCode::UNAUTHORIZED, json!("Unauthorized"))
    );
    assert!(
        s.functions.events_of("simple_auth").is_empty(),
        "no identity: not invoked"
    );
    let (status, _, body) = send(&s.app, get_with("/simple", &[("x-token", "no")])).await;
    assert_eq!(
        (status, message(&body)),
        (StatusCode::FORBIDDEN, json!("Forbidden"))
    );
    let (status, _, body) = send(&s.app, get_with("/simple", &[("x-token", "garbage")])).await;
    assert_eq!(
        (status, message(&body)),
        (
            StatusCode::INTERNAL_SERVER_ERROR,
            json!("Internal Server Error")
        )
    );
    let (status, _, _) = send(&s.app, get_with("/simple?z=1", &[("x-token", "yes")])).await;
    assert_eq!(status, StatusCode::OK);

    let ev = &s.functions.events_of("simple_auth")[2];
    assert_eq!(ev["version"], "2.0");
    assert_eq!(ev["type"], "REQUEST");
    assert_eq!(
        ev["routeArn"],
        "arn:aws:execute-api:us-east-1:123456789012:rootapi123/$default/GET/simple"
    );
    assert_eq!(ev["identitySource"], json!(["yes"]));
    assert_eq!(ev["routeKey"], "GET /simple");
    assert_eq!(ev["rawQueryString"], "z=1");
    assert!(ev.get("body").is_none());
    let backend = &s.functions.events_of("echo")[0];
    assert_eq!(
        backend["requestContext"]["authorizer"],
        json!({"lambda": {"user": "u1", "roles": ["a", "b"], "n": 1}}),
        "an HTTP API keeps the context's types"
    );
}

#[tokio::test]
async fn iam_policy_lambda_authorizers_in_both_payload_versions() {
    let s = setup();
    let (status, _, _) = send(&s.app, get("/policy")).await;
    assert_eq!(
        status,
        StatusCode::OK,
        "no identity sources: always invoked"
    );
    let backend = &s.functions.events_of("echo")[0];
    assert_eq!(
        backend["requestContext"]["authorizer"],
        json!({"lambda": {"k": "v"}})
    );

    let (status, _, _) = send(&s.app, get("/policy1")).await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "the query string source is missing"
    );
    let (status, _, _) = send(&s.app, get("/policy1?q=abc")).await;
    assert_eq!(status, StatusCode::OK);
    let ev = s.functions.events_of("policy_auth").pop().expect("invoked");
    assert_eq!(ev["version"], "1.0");
    assert_eq!(ev["type"], "REQUEST");
    assert_eq!(ev["identitySource"], "abc");
    assert_eq!(ev["authorizationToken"], "abc");
    assert_eq!(
        ev["methodArn"],
        "arn:aws:execute-api:us-east-1:123456789012:rootapi123/$default/GET/policy1"
    );
    let backend = s.functions.events_of("v1").pop().expect("backend");
    assert_eq!(backend["requestContext"]["authorizer"]["k"], "v");
    assert_eq!(
        backend["requestContext"]["authorizer"]["principalId"],
        "p-1"
    );
}

#[tokio::test]
async fn cors_is_answered_by_the_gateway() {
    let s = setup();
    let preflight = Request::options("/anything")
        .header("origin", "https://app.example.com")
        .header("access-control-request-method", "POST")
        .body(Body::empty())
        .expect("request");
    let (status, headers, _) = send(&s.app, preflight).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(
        headers["access-control-allow-origin"],
        "https://app.example.com"
    );
    assert_eq!(headers["access-control-allow-methods"], "GET,POST");
    assert_eq!(headers["access-control-allow-headers"], "authorization");
    assert_eq!(headers["access-control-max-age"], "600");
    assert!(
        s.functions.events.lock().expect("lock").is_empty(),
        "no function for a preflight"
    );

    let other = Request::options("/anything")
        .header("origin", "https://evil.example")
        .header("access-control-request-method", "POST")
        .body(Body::empty())
        .expect("request");
    let (_, headers, _) = send(&s.app, other).await;
    assert!(
        !headers.contains_key("access-control-allow-origin"),
        "an origin not allowed gets no CORS headers"
    );

    let req = Request::post("/full")
        .header("origin", "https://app.example.com")
        .body(Body::empty())
        .expect("request");
    let (_, headers, _) = send(&s.app, req).await;
    assert_eq!(
        headers["access-control-allow-origin"], "https://app.example.com",
        "the function's own CORS header is replaced"
    );
    assert_eq!(headers["x-a"], "1");
}

/// Every field of `captured` is in `ours` with the same JSON type (objects compared inside,
/// but for maps whose keys depend on the request: headers and claims).
fn same_shape(captured: &Json, ours: &Json, at: &str, skip: &[&str]) {
    let Json::Object(c) = captured else {
        return;
    };
    if [".headers", ".requestContext.authorizer.jwt.claims"].contains(&at) {
        return;
    }
    for (k, v) in c {
        let path = format!("{at}.{k}");
        if skip.contains(&path.as_str()) {
            continue;
        }
        let Some(o) = ours.get(k) else {
            panic!("{path} is missing from our event: {ours}");
        };
        let kind = |j: &Json| std::mem::discriminant(j);
        assert_eq!(kind(v), kind(o), "{path}: captured {v}, ours {o}");
        same_shape(v, o, &path, skip);
    }
}

#[tokio::test]
async fn the_2_0_event_matches_a_captured_one_field_by_field() {
    let captured: Json = serde_json::from_str(include_str!(
        "fixtures/apigw-v2-request-jwt-authorizer.json"
    ))
    .expect("fixture");
    let (key, keys) = OneKey::new();
    let api = HttpApi {
        logical_id: "Api".into(),
        id: "api-id".into(),
        stage: "$default".into(),
        cors: None,
        authorizers: BTreeMap::from([(
            "Jwt".to_string(),
            Authorizer {
                name: "Jwt".into(),
                kind: AuthorizerKind::Jwt {
                    issuer: ISS.into(),
                    audience: vec![CLIENT.into()],
                    source: IdentitySource::Header("Authorization".into()),
                },
                scopes: Vec::new(),
            },
        )]),
        default_authorizer: None,
        routes: vec![route("", "$default", "echo", Some("Jwt"), &["scope1"])],
    };
    let functions = functions();
    let gw = Gateway::new(
        Vec::new(),
        Arc::clone(&functions) as Arc<dyn Invoke>,
        keys,
        "us-east-1",
        "123456789012",
    )
    .with_http_apis(vec![api]);
    let app = gateway::app(Arc::new(gw));
    let now = common::date::now_secs();
    let token = key.sign(&json!({
        "iss": ISS, "aud": CLIENT, "claim1": "value1", "claim2": "value2", "scope": "scope1 scope2",
        "exp": now + 60, "iat": now
    }));
    let req = Request::get("/my/path?parameter1=value1&parameter1=value2&parameter2=value")
        .header("host", "id.execute-api.us-east-1.amazonaws.com")
        .header("user-agent", "agent")
        .header("Header1", "value1")
        .header("Header2", "value2")
        .header("cookie", "cookie1; cookie2")
        .header("authorization", token)
        .body(Body::from("{\r\n\t\"a\": 1\r\n}"))
        .expect("request");
    let (status, _, _) = send(&app, req).await;
    assert_eq!(status, StatusCode::OK);
    let ours = functions.events_of("echo").pop().expect("invoked");

    // The shape: everything AWS sends is there, with the same types. Left out: mTLS (none
    // locally), stage variables (none locally), and the captured event's `pathParameters`,
    // which a `$default` route does not have.
    same_shape(
        &captured,
        &ours,
        "",
        &[
            ".requestContext.authentication",
            ".stageVariables",
            ".pathParameters",
        ],
    );
    // The values that follow from the request.
    for field in [
        "version",
        "routeKey",
        "rawPath",
        "rawQueryString",
        "cookies",
        "queryStringParameters",
        "body",
        "isBase64Encoded",
    ] {
        assert_eq!(ours[field], captured[field], "{field}");
    }
    let (c, o) = (&captured["requestContext"], &ours["requestContext"]);
    for field in [
        "routeKey",
        "stage",
        "accountId",
        "domainName",
        "domainPrefix",
    ] {
        assert_eq!(o[field], c[field], "requestContext.{field}");
    }
    for field in ["method", "path", "protocol", "userAgent"] {
        assert_eq!(
            o["http"][field], c["http"][field],
            "requestContext.http.{field}"
        );
    }
    assert_eq!(
        o["authorizer"]["jwt"]["scopes"],
        c["authorizer"]["jwt"]["scopes"]
    );
    for claim in ["claim1", "claim2"] {
        assert_eq!(
            o["authorizer"]["jwt"]["claims"][claim],
            c["authorizer"]["jwt"]["claims"][claim]
        );
    }
    // Header names arrive lower-cased, as HTTP APIs send them.
    assert_eq!(ours["headers"]["header1"], "value1");
    assert_eq!(ours["headers"]["header2"], "value2");
    let time = o["time"].as_str().expect("time");
    assert_eq!(time.len(), "12/Mar/2020:19:03:58 +0000".len(), "{time}");
    assert!(time.ends_with(" +0000"), "{time}");
}
