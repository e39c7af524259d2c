//! What the gateway's tests share: a fake function host that records every event and answers
//! through a closure, a key source of one signing key for one pool, and request helpers.

#![allow(dead_code)]

use std::sync::{Arc, Mutex};

use axum::body::Body;
use axum::http::{Request, StatusCode};
use common::date::now_secs;
use common::jwt::{KeySet, SigningKey};
use gateway::auth::KeySource;
use gateway::{Invocation, Invoke, InvokeError};
use serde_json::{Value as Json, json};
use tower::ServiceExt;

pub const ISS: &str = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Test";
pub const POOL: &str = "us-east-1_Test";
pub const CLIENT: &str = "client1";

type Answer = dyn Fn(&str, &Json) -> Result<Vec<u8>, InvokeError> + Send + Sync;

/// Functions answered by a closure; every event remembered with its function's name.
pub struct Functions {
    pub events: Mutex<Vec<(String, Json)>>,
    answer: Box<Answer>,
}

impl std::fmt::Debug for Functions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Functions")
    }
}

impl Functions {
    pub fn new(
        answer: impl Fn(&str, &Json) -> Result<Vec<u8>, InvokeError> + Send + Sync + 'static,
    ) -> Arc<Functions> {
        Arc::new(Functions {
            events: Mutex::new(Vec::new()),
            answer: Box::new(answer),
        })
    }

    /// The events `function` received, in order.
    pub fn events_of(&self, function: &str) -> Vec<Json> {
        self.events
            .lock()
            .expect("lock")
            .iter()
            .filter(|(f, _)| f == function)
            .map(|(_, e)| e.clone())
            .collect()
    }
}

impl Invoke for Functions {
    fn invoke<'a>(&'a self, function: &'a str, event: Vec<u8>) -> Invocation<'a> {
        Box::pin(async move {
            let ev: Json = serde_json::from_slice(&event).expect("the event is JSON");
            let out = (self.answer)(function, &ev);
            self.events
                .lock()
                .expect("lock")
                .push((function.to_string(), ev));
            out
        })
    }

    fn exists(&self, function: &str) -> bool {
        !matches!(
            (self.answer)(function, &Json::Null),
            Err(gateway::InvokeError::UnknownFunction(_))
        )
    }
}

/// The keys of one pool.
#[derive(Debug)]
pub struct OneKey(pub Arc<KeySet>);

impl OneKey {
    pub fn new() -> (SigningKey, Arc<OneKey>) {
        let (key, _) = SigningKey::generate();
        let keys = Arc::new(KeySet::new(vec![key.public().clone()]));
        (key, Arc::new(OneKey(keys)))
    }
}

impl KeySource for OneKey {
    fn keys<'a>(&'a self, iss: &'a str, _kid: &'a str) -> gateway::auth::KeysFuture<'a> {
        let found = (iss == ISS).then(|| (POOL.to_string(), Arc::clone(&self.0)));
        Box::pin(async move { found })
    }
    fn client_in_pool(&self, client_id: &str, pool_id: &str) -> bool {
        client_id == CLIENT && pool_id == POOL
    }
}

pub fn id_token(key: &SigningKey, exp: u64) -> String {
    key.sign(&json!({
        "iss": ISS, "aud": CLIENT, "token_use": "id", "sub": "s-1", "email": "e@example.com",
        "cognito:username": "s-1", "exp": exp, "iat": now_secs(), "auth_time": now_secs()
    }))
}

pub fn access_token(key: &SigningKey, scope: &str) -> String {
    key.sign(&json!({
        "iss": ISS, "client_id": CLIENT, "token_use": "access", "sub": "s-1", "scope": scope,
        "username": "s-1", "exp": now_secs() + 60, "iat": now_secs(), "auth_time": now_secs()
    }))
}

pub async fn send(
    app: &axum::Router,
    req: Request<Body>,
) -> (StatusCode, axum::http::HeaderMap, Vec<u8>) {
    let resp = app.clone().oneshot(req).await.expect("the router answers");
    let (parts, body) = resp.into_parts();
    let bytes = axum::body::to_bytes(body, usize::MAX).await.expect("body");
    (parts.status, parts.headers, bytes.to_vec())
}

pub fn get(path: &str) -> Request<Body> {
    Request::get(path).body(Body::empty()).expect("request")
}

pub fn get_with(path: &str, headers: &[(&str, &str)]) -> Request<Body> {
    let mut r = Request::get(path);
    for (k, v) in headers {
        r = r.header(*k, *v);
    }
    r.body(Body::empty()).expect("request")
}

/// The body's JSON.
pub fn body_json(body: &[u8]) -> Json {
    serde_json::from_slice(body).expect("a JSON body")
}

pub fn message(body: &[u8]) -> Json {
    body_json(body)["message"].clone()
}

/// An IAM port for the Invoke API's tests: a request whose `Authorization` names the key
/// `local` is that caller and may invoke; any other is refused as Lambda refuses an unknown key.
/// (The real decision, signatures and policies, is the `iam` crate's, tested against real
/// clients in the conformance tests.)
#[derive(Debug)]
pub struct LocalKeyOnly;

impl gateway::protect::Iam for LocalKeyOnly {
    fn invoke(
        &self,
        req: &gateway::protect::SignedRequest<'_>,
    ) -> Result<gateway::protect::IamCaller, gateway::protect::IamRefusal> {
        self.lambda_invoke(req)
    }

    fn lambda_invoke(
        &self,
        req: &gateway::protect::SignedRequest<'_>,
    ) -> Result<gateway::protect::IamCaller, gateway::protect::IamRefusal> {
        let local = req.headers.iter().any(|(k, v)| {
            k.eq_ignore_ascii_case("authorization") && v.contains("Credential=local/")
        });
        if !local {
            return Err(gateway::protect::IamRefusal {
                error_type: "UnrecognizedClientException".into(),
                message: "The security token included in the request is invalid.".into(),
            });
        }
        Ok(gateway::protect::IamCaller {
            access_key: "local".into(),
            account_id: "123456789012".into(),
            user_id: "AIDALOCAL".into(),
            user_arn: "arn:aws:iam::123456789012:user/local".into(),
            cognito: None,
        })
    }

    fn anonymous(
        &self,
        _resource: &str,
        _source_ip: Option<&str>,
        _policy: &Json,
    ) -> gateway::protect::PolicyDecision {
        gateway::protect::PolicyDecision::ImplicitDeny
    }
}
