//! The stack's two Lambda functions, as plain async handlers testable without a runtime.
//!
//! # Layout
//! - [`open`]: `GET /open`, answers anyone.
//! - [`authenticated`]: `GET /`, answers with the caller's identity, taken from the claims that
//!   API Gateway's Cognito authorizer puts in `requestContext.authorizer.claims`.
//!
//! The binaries in `src/bin/` only set up logging and hand one handler to `lambda_http::run`.

use std::convert::Infallible;

use lambda_http::request::RequestContext;
use lambda_http::{Body, Request, RequestExt, Response};
use serde::Serialize;
use serde_json::{Map, Value};

/// Body of `GET /open`.
#[derive(Debug, Serialize)]
struct OpenBody {
    message: &'static str,
    structure: &'static str,
}

/// Body of a successful `GET /`.
#[derive(Debug, Serialize, PartialEq)]
struct AuthenticatedBody {
    message: &'static str,
    structure: &'static str,
    user: User,
}

/// Who called, as the Cognito authorizer vouched for them.
#[derive(Debug, Serialize, PartialEq)]
pub struct User {
    /// The user's unique, immutable id (`sub`).
    pub sub: String,
    /// The verified email the user signs in with; empty when the pool has no email attribute.
    pub email: String,
    /// The pool's username (`cognito:username`); with email as username this is the `sub`.
    pub username: String,
}

/// Body of a refusal.
#[derive(Debug, Serialize)]
struct ErrorBody {
    message: &'static str,
}

/// `GET /open`: open to all.
pub async fn open(_req: Request) -> Result<Response<Body>, Infallible> {
    Ok(json_response(
        200,
        &OpenBody {
            message: "This endpoint does not require any authentication",
            structure: "This field was added just to prove it's not an error",
        },
    ))
}

/// `GET /`: for signed-in users; answers with who they are.
///
/// With no claims in the request (the route is not behind the Cognito authorizer, a
/// misconfiguration) it refuses with 403 rather than answering for nobody.
pub async fn authenticated(req: Request) -> Result<Response<Body>, Infallible> {
    match user_from_request(&req) {
        Some(user) => Ok(json_response(
            200,
            &AuthenticatedBody {
                message: "The request was successful",
                structure: "See this is actually not an error",
                user,
            },
        )),
        None => {
            tracing::warn!(
                "no authorizer claims in the request: is the route behind the Cognito authorizer?"
            );
            Ok(json_response(
                403,
                &ErrorBody {
                    message: "No authenticated identity in the request",
                },
            ))
        }
    }
}

/// The caller, from `requestContext.authorizer.claims`; `None` when there are no usable claims.
pub fn user_from_request(req: &Request) -> Option<User> {
    let Some(RequestContext::ApiGatewayV1(ctx)) = req.request_context_ref() else {
        return None;
    };
    let claims = ctx.authorizer.fields.get("claims")?.as_object()?;
    user_from_claims(claims)
}

/// Reads a [`User`] from authorizer claims. API Gateway sends every claim as a string; other
/// JSON values are tolerated and rendered as text so a hand-written test event still works.
fn user_from_claims(claims: &Map<String, Value>) -> Option<User> {
    let text = |name: &str| -> Option<String> {
        match claims.get(name)? {
            Value::String(s) => Some(s.clone()),
            Value::Null => None,
            other => Some(other.to_string()),
        }
    };
    let sub = text("sub").filter(|s| !s.is_empty())?;
    Some(User {
        email: text("email").unwrap_or_default(),
        username: text("cognito:username")
            .or_else(|| text("username"))
            .unwrap_or_else(|| sub.clone()),
        sub,
    })
}

/// A JSON response with the CORS headers the seed's functions send.
fn json_response<T: Serialize>(status: u16, body: &T) -> Response<Body> {
    let body = serde_json::to_string(body).expect("serializing a plain struct cannot fail");
    Response::builder()
        .status(status)
        .header("Content-Type", "application/json")
        .header("Access-Control-Allow-Origin", "*")
        .header("Access-Control-Allow-Methods", "*")
        .header("Access-Control-Allow-Headers", "*")
        .body(Body::Text(body))
        .expect("static status and header names are valid")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(bytes: &[u8]) -> Request {
        let text = std::str::from_utf8(bytes).expect("fixture is UTF-8");
        lambda_http::request::from_str(text).expect("fixture is an API Gateway REST event")
    }

    fn body_json(resp: &Response<Body>) -> Value {
        match resp.body() {
            Body::Text(t) => serde_json::from_str(t).expect("body is JSON"),
            other => panic!("expected a text body, got {other:?}"),
        }
    }

    fn assert_cors_json_headers(resp: &Response<Body>) {
        let h = resp.headers();
        assert_eq!(h["content-type"], "application/json");
        assert_eq!(h["access-control-allow-origin"], "*");
        assert_eq!(h["access-control-allow-methods"], "*");
        assert_eq!(h["access-control-allow-headers"], "*");
    }

    #[tokio::test]
    async fn open_answers_200_with_the_seed_body_and_cors_headers() {
        let req = event(include_bytes!("../tests/fixtures/apigw-rest-open.json"));
        let resp = open(req).await.expect("infallible");
        assert_eq!(resp.status(), 200);
        assert_cors_json_headers(&resp);
        assert_eq!(
            body_json(&resp),
            serde_json::json!({
                "message": "This endpoint does not require any authentication",
                "structure": "This field was added just to prove it's not an error"
            })
        );
    }

    #[tokio::test]
    async fn authenticated_answers_with_the_user_from_string_claims() {
        let req = event(include_bytes!(
            "../tests/fixtures/apigw-rest-cognito-authorized.json"
        ));
        let resp = authenticated(req).await.expect("infallible");
        assert_eq!(resp.status(), 200);
        assert_cors_json_headers(&resp);
        assert_eq!(
            body_json(&resp),
            serde_json::json!({
                "message": "The request was successful",
                "structure": "See this is actually not an error",
                "user": {
                    "sub": "7d8ca528-4931-4254-9273-ea5ee853f271",
                    "email": "test@example.com",
                    "username": "7d8ca528-4931-4254-9273-ea5ee853f271"
                }
            })
        );
    }

    #[tokio::test]
    async fn authenticated_without_claims_is_refused_with_403_not_a_panic() {
        // The open route's event carries no authorizer at all.
        let req = event(include_bytes!("../tests/fixtures/apigw-rest-open.json"));
        let resp = authenticated(req).await.expect("infallible");
        assert_eq!(resp.status(), 403);
        assert_eq!(
            body_json(&resp),
            serde_json::json!({"message": "No authenticated identity in the request"})
        );
    }

    #[tokio::test]
    async fn authenticated_with_claims_lacking_sub_is_refused_with_403() {
        let text = include_str!("../tests/fixtures/apigw-rest-cognito-authorized.json");
        let mut v: Value = serde_json::from_str(text).expect("fixture is JSON");
        v["requestContext"]["authorizer"]["claims"]
            .as_object_mut()
            .expect("claims object")
            .remove("sub");
        let req = lambda_http::request::from_str(&v.to_string()).expect("still an event");
        let resp = authenticated(req).await.expect("infallible");
        assert_eq!(resp.status(), 403);
    }

    #[test]
    fn fixture_claims_are_all_strings_as_api_gateway_sends_them() {
        let text = include_str!("../tests/fixtures/apigw-rest-cognito-authorized.json");
        let v: Value = serde_json::from_str(text).expect("fixture is JSON");
        let claims = v["requestContext"]["authorizer"]["claims"]
            .as_object()
            .expect("claims object");
        assert!(claims.values().all(Value::is_string), "{claims:?}");
        // exp/iat in API Gateway's date format, not epoch seconds.
        assert_eq!(claims["exp"], "Mon Nov 23 21:19:04 UTC 2026");
    }

    #[test]
    fn non_string_claims_are_tolerated() {
        let claims = serde_json::json!({"sub": "abc", "email": "a@b.c", "email_verified": true});
        let user = user_from_claims(claims.as_object().expect("object")).expect("a user");
        assert_eq!(
            user,
            User {
                sub: "abc".into(),
                email: "a@b.c".into(),
                username: "abc".into()
            }
        );
    }
}
