use super::*;
use serde_json::json;

#[test]
fn sam_gateway_responses_take_headers_only_from_response_parameters() {
    let v = json!({
        "DEFAULT_4XX": {
            "ResponseParameters": {
                "Headers": {"Access-Control-Allow-Origin": "'*'"},
                "QueryStrings": {"q": "'x'"}
            }
        },
        "UNAUTHORIZED": {
            "StatusCode": "401",
            "ResponseTemplates": {"application/json": "{\"message\": $context.error.messageString}"}
        }
    });
    let r = from_sam(&v);
    assert_eq!(
        r["DEFAULT_4XX"].headers,
        vec![("Access-Control-Allow-Origin".to_string(), "'*'".to_string())]
    );
    assert_eq!(r["DEFAULT_4XX"].status, None);
    assert_eq!(r["UNAUTHORIZED"].status, Some(401));
    assert_eq!(
        r["UNAUTHORIZED"].templates["application/json"],
        "{\"message\": $context.error.messageString}"
    );
}

#[test]
fn openapi_and_resource_gateway_responses_read_gatewayresponse_headers() {
    let body = json!({"x-amazon-apigateway-gateway-responses": {
        "ACCESS_DENIED": {
            "statusCode": 403,
            "responseParameters": {
                "gatewayresponse.header.X-Why": "'denied'",
                "gatewayresponse.querystring.q": "'ignored'"
            },
            "responseTemplates": {"application/json": "{}"}
        }
    }});
    let r = from_openapi(&body);
    assert_eq!(r["ACCESS_DENIED"].status, Some(403));
    assert_eq!(
        r["ACCESS_DENIED"].headers,
        vec![("X-Why".to_string(), "'denied'".to_string())]
    );
    let (kind, g) = from_resource(&json!({
        "RestApiId": {"Ref": "Api"},
        "ResponseType": "MISSING_AUTHENTICATION_TOKEN",
        "StatusCode": "404",
        "ResponseParameters": {"gatewayresponse.header.Access-Control-Allow-Origin": "'*'"}
    }))
    .expect("a response type");
    assert_eq!(kind, "MISSING_AUTHENTICATION_TOKEN");
    assert_eq!(g.status, Some(404));
    assert_eq!(g.headers.len(), 1);
    assert!(from_resource(&json!({"StatusCode": "404"})).is_none());
}
