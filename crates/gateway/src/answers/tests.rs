use super::*;
use crate::spec::GatewayResponse;
use axum::http::Request;

fn api(entries: &[(&str, GatewayResponse)]) -> RestApi {
    let mut api = RestApi::new("Api", "abc123", "Prod");
    for (k, v) in entries {
        api.gateway_responses.insert((*k).to_string(), v.clone());
    }
    api
}

fn entry(status: Option<u16>, headers: &[(&str, &str)], template: Option<&str>) -> GatewayResponse {
    GatewayResponse {
        status,
        headers: headers
            .iter()
            .map(|(k, v)| ((*k).to_string(), (*v).to_string()))
            .collect(),
        templates: template
            .map(|t| [("application/json".to_string(), t.to_string())].into())
            .unwrap_or_default(),
    }
}

fn parts(uri: &str, headers: &[(&str, &str)]) -> Parts {
    let mut b = Request::builder().uri(uri);
    for (k, v) in headers {
        b = b.header(*k, *v);
    }
    b.body(()).expect("in a test").into_parts().0
}

async fn body(resp: Response) -> String {
    let bytes = axum::body::to_bytes(resp.into_body(), 1 << 20)
        .await
        .expect("in a test");
    String::from_utf8(bytes.to_vec()).expect("in a test")
}

#[tokio::test]
async fn default_4xx_headers_reach_every_4xx_answer_of_the_gateway_and_none_of_the_5xx() {
    let api = api(&[(
        "DEFAULT_4XX",
        entry(
            None,
            &[
                ("Access-Control-Allow-Origin", "'*'"),
                ("Access-Control-Expose-Headers", "'x-amzn-requestid'"),
            ],
            None,
        ),
    )]);
    let p = parts("/Prod/x", &[]);
    for resp in [
        denied(Denied::Unauthorized),
        access_denied(true),
        gateway_error(Gw::MissingToken),
        key_refusal(protect::KeyRefusal::Invalid),
    ] {
        let status = resp.status();
        let out = customise(&api, &p, resp);
        assert_eq!(out.status(), status, "the type's own status is kept");
        assert_eq!(out.headers()["access-control-allow-origin"], "*");
        assert_eq!(
            out.headers()["access-control-expose-headers"],
            "x-amzn-requestid"
        );
        assert!(out.headers().contains_key("x-amzn-errortype"));
    }
    let out = customise(&api, &p, gateway_error(Gw::Internal));
    assert_eq!(out.status(), StatusCode::BAD_GATEWAY);
    assert!(!out.headers().contains_key("access-control-allow-origin"));
}

#[tokio::test]
async fn a_function_answer_is_never_rewritten() {
    let api = api(&[(
        "DEFAULT_4XX",
        entry(Some(418), &[("X-Custom", "'yes'")], Some("{}")),
    )]);
    let resp = (StatusCode::NOT_FOUND, "from the function").into_response();
    let out = customise(&api, &parts("/Prod/x", &[]), resp);
    assert_eq!(out.status(), StatusCode::NOT_FOUND);
    assert!(!out.headers().contains_key("x-custom"));
    assert_eq!(body(out).await, "from the function");
}

#[tokio::test]
async fn a_type_entry_wins_over_the_class_default_with_its_status_headers_and_template() {
    let api = api(&[
        (
            "DEFAULT_4XX",
            entry(Some(400), &[("X-Default", "'d'")], Some("default")),
        ),
        (
            "UNAUTHORIZED",
            entry(
                Some(401),
                &[
                    ("WWW-Authenticate", "'Bearer'"),
                    ("X-Echo", "method.request.header.x-trace"),
                ],
                Some(
                    r#"{"error":$context.error.messageString,"type":"$context.error.responseType","raw":"$context.error.message"}"#,
                ),
            ),
        ),
        ("ACCESS_DENIED", entry(None, &[], Some("denied"))),
    ]);
    let p = parts("/Prod/x?q=1", &[("x-trace", "t-42")]);
    let out = customise(&api, &p, denied(Denied::Expired));
    assert_eq!(out.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(out.headers()["www-authenticate"], "Bearer");
    assert_eq!(out.headers()["x-echo"], "t-42");
    assert!(
        !out.headers().contains_key("x-default"),
        "the type's entry replaces the default"
    );
    let text = body(out).await;
    let v: serde_json::Value = serde_json::from_str(&text).expect("in a test");
    assert_eq!(v["error"], "The incoming token has expired");
    assert_eq!(v["type"], "UNAUTHORIZED");
    assert_eq!(v["raw"], "The incoming token has expired");

    // ACCESS_DENIED's own entry sets no status: 403 stays, DEFAULT_4XX's 400 does not apply.
    let out = customise(&api, &p, access_denied(false));
    assert_eq!(out.status(), StatusCode::FORBIDDEN);
    assert_eq!(body(out).await, "denied");

    // A type with no entry of its own takes DEFAULT_4XX's status, headers and template.
    let out = customise(&api, &p, key_refusal(protect::KeyRefusal::Invalid));
    assert_eq!(out.status(), StatusCode::BAD_REQUEST);
    assert_eq!(out.headers()["x-default"], "d");
    assert_eq!(body(out).await, "default");
}

#[tokio::test]
async fn a_query_string_value_and_a_missing_header_value() {
    let api = api(&[(
        "MISSING_AUTHENTICATION_TOKEN",
        entry(
            Some(404),
            &[
                ("X-From-Query", "method.request.querystring.who"),
                ("X-Absent", "method.request.header.nope"),
            ],
            None,
        ),
    )]);
    let out = customise(
        &api,
        &parts("/Prod/x?who=al%20ice", &[]),
        gateway_error(Gw::MissingToken),
    );
    assert_eq!(out.status(), StatusCode::NOT_FOUND);
    assert_eq!(out.headers()["x-from-query"], "al ice");
    assert!(!out.headers().contains_key("x-absent"));
    let v: serde_json::Value = serde_json::from_str(&body(out).await).expect("in a test");
    assert_eq!(
        v["message"], "Missing Authentication Token",
        "no template: the body stays"
    );
}

#[test]
fn every_answer_of_the_gateway_names_its_response_type() {
    let cases = [
        (
            gateway_error(Gw::MissingToken),
            Some("MISSING_AUTHENTICATION_TOKEN"),
        ),
        (gateway_error(Gw::TooLarge), Some("REQUEST_TOO_LARGE")),
        (
            gateway_error(Gw::Configuration),
            Some("API_CONFIGURATION_ERROR"),
        ),
        (gateway_error(Gw::Timeout), Some("INTEGRATION_TIMEOUT")),
        (gateway_error(Gw::Internal), None),
        (denied(Denied::Unauthorized), Some("UNAUTHORIZED")),
        (access_denied(true), Some("ACCESS_DENIED")),
        (
            key_refusal(protect::KeyRefusal::Invalid),
            Some("INVALID_API_KEY"),
        ),
        (
            key_refusal(protect::KeyRefusal::Quota),
            Some("QUOTA_EXCEEDED"),
        ),
        (
            key_refusal(protect::KeyRefusal::Throttled),
            Some("THROTTLED"),
        ),
    ];
    for (resp, want) in cases {
        assert_eq!(
            resp.extensions()
                .get::<GatewayAnswer>()
                .expect("in a test")
                .0,
            want
        );
    }
}
