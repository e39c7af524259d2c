//! The request path's parts, one at a time: token verification (cached and not), the proxy
//! event built and serialized, the function's answer mapped back to HTTP, token issuance, the
//! SRP server step, the password check and the Runtime API's peer check. `make micro` (or `cargo bench -p micro`) runs them.
#![allow(clippy::unwrap_used, missing_docs)]

use std::collections::BTreeMap;
use std::hint::black_box;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::body::Bytes;
use axum::http::Request;
use common::date::now_secs;
use criterion::{Criterion, criterion_group, criterion_main};
use gateway::auth::{self, Cache, KeySource};
use gateway::event::{self, Context};
use serde_json::{Value as Json, json};
use userpool::token::PoolKeys;
use userpool::{Settings, UserPools, password, srp};

/// The output of a future that is ready at once (the authorizer's, with the keys at hand):
/// polled once, no runtime needed.
fn ready<F: std::future::Future>(f: F) -> F::Output {
    let mut f = std::pin::pin!(f);
    match f
        .as_mut()
        .poll(&mut std::task::Context::from_waker(std::task::Waker::noop()))
    {
        std::task::Poll::Ready(v) => v,
        std::task::Poll::Pending => panic!("the authorizer waited on something"),
    }
}

const POOL: &str = "us-east-1_Bench0001";
const CLIENT: &str = "benchclient0000000000000001";
const ISS: &str = "http://127.0.0.1:9229/us-east-1_Bench0001";

/// One pool's keys and client, as the gateway's authorizer sees them.
#[derive(Debug)]
struct Keys(Arc<PoolKeys>);

impl KeySource for Keys {
    fn keys<'a>(&'a self, iss: &'a str, _kid: &'a str) -> gateway::auth::KeysFuture<'a> {
        let found = (iss == ISS).then(|| (POOL.to_string(), Arc::clone(&self.0.public)));
        Box::pin(async move { found })
    }
    fn client_in_pool(&self, client_id: &str, pool_id: &str) -> bool {
        client_id == CLIENT && pool_id == POOL
    }
}

/// An ID token's claims as the user pool issues them.
fn id_claims() -> Json {
    let now = now_secs();
    json!({
        "sub": "5f1c6f0e-8d0a-4a55-9a7b-0c1f2e3d4c5b", "email_verified": true, "iss": ISS,
        "cognito:username": "5f1c6f0e-8d0a-4a55-9a7b-0c1f2e3d4c5b",
        "origin_jti": "0b6c1f3e-2d4a-4c5b-8e9f-1a2b3c4d5e6f", "aud": CLIENT,
        "event_id": "7c8d9e0f-1a2b-4c3d-9e4f-5a6b7c8d9e0f", "token_use": "id",
        "auth_time": now, "exp": now + 3600, "iat": now,
        "jti": "3e4f5a6b-7c8d-4e9f-8a0b-1c2d3e4f5a6b", "email": "you@example.com"
    })
}

fn tokens(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let keys = Arc::new(PoolKeys::load_or_create(dir.path(), POOL).unwrap());
    let source = Keys(Arc::clone(&keys));
    let authorizer = [POOL.to_string()];
    let claims = id_claims();
    let token = keys.id.sign(&claims);
    let (h, p, s) = {
        let mut it = token.split('.');
        (it.next().unwrap(), it.next().unwrap(), it.next().unwrap())
    };
    let reversed = format!("{h}.{p}.{}", s.chars().rev().collect::<String>());
    // One bit of the signature flipped: well-formed, so only the RSA check refuses it.
    let mut raw = common::encoding::b64url_decode(s).unwrap();
    raw[100] ^= 1;
    let tampered = format!("{h}.{p}.{}", common::encoding::b64url(&raw));

    c.bench_function("token issuance (one RS256 ID token)", |b| {
        b.iter(|| keys.id.sign(black_box(&claims)))
    });
    c.bench_function("authorizer: valid token, not cached", |b| {
        b.iter(|| {
            let cache = Cache::default();
            ready(auth::authorize(
                &authorizer[..],
                &[],
                Some(black_box(&token)),
                &source,
                &cache,
            ))
            .unwrap()
        })
    });
    let cache = Cache::default();
    ready(auth::authorize(
        &authorizer[..],
        &[],
        Some(&token),
        &source,
        &cache,
    ))
    .unwrap();
    c.bench_function("authorizer: valid token, cached", |b| {
        b.iter(|| {
            ready(auth::authorize(
                &authorizer[..],
                &[],
                Some(black_box(&token)),
                &source,
                &cache,
            ))
            .unwrap()
        })
    });
    c.bench_function(
        "authorizer: tampered signature, first time (RSA check, 401)",
        |b| {
            b.iter(|| {
                let cache = Cache::default();
                ready(auth::authorize(
                    &authorizer[..],
                    &[],
                    Some(black_box(&tampered)),
                    &source,
                    &cache,
                ))
                .unwrap_err()
            })
        },
    );
    c.bench_function("authorizer: tampered signature, seen before (401)", |b| {
        b.iter(|| {
            ready(auth::authorize(
                &authorizer[..],
                &[],
                Some(black_box(&tampered)),
                &source,
                &cache,
            ))
            .unwrap_err()
        })
    });
    c.bench_function(
        "authorizer: reversed signature, not a signature's base64url (401)",
        |b| {
            b.iter(|| {
                ready(auth::authorize(
                    &authorizer[..],
                    &[],
                    Some(black_box(&reversed)),
                    &source,
                    &cache,
                ))
                .unwrap_err()
            })
        },
    );
    c.bench_function("authorizer: garbage header (401)", |b| {
        b.iter(|| {
            ready(auth::authorize(
                &authorizer[..],
                &[],
                Some(black_box("not-a-token")),
                &source,
                &cache,
            ))
            .unwrap_err()
        })
    });
}

fn proxy(c: &mut Criterion) {
    let (parts, ()) = Request::get("/v1")
        .header("host", "127.0.0.1:3000")
        .header("user-agent", "curl/8.5.0")
        .header("accept", "*/*")
        .header(
            "authorization",
            "eyJraWQiOiJrIiwiYWxnIjoiUlMyNTYifQ.e30.c2ln",
        )
        .body(())
        .unwrap()
        .into_parts();
    let body = Bytes::new();
    let params = BTreeMap::new();
    let authorizer = json!({"claims": auth::string_claims(&id_claims())});
    let peer: SocketAddr = "127.0.0.1:50000".parse().unwrap();
    let ctx = Context {
        api_id: "abcdef1234",
        stage: "v1",
        account_id: "000000000000",
        region: "us-east-1",
        resource: "/",
        path: "/",
        params: &params,
        authorizer: Some(&authorizer),
        peer: Some(peer),
        http_api: false,
        identity: None,
    };
    c.bench_function(
        "proxy event: build and serialize (GET /v1, with claims)",
        |b| b.iter(|| event::build(black_box(&ctx), black_box(&parts), &body)),
    );
    let answer = serde_json::to_vec(&json!({
        "statusCode": 200,
        "headers": {"content-type": "application/json"},
        "multiValueHeaders": {"content-type": ["application/json"]},
        "body": "{\"message\":\"Hello, you@example.com\",\"sub\":\"5f1c6f0e-8d0a-4a55-9a7b-0c1f2e3d4c5b\"}",
        "isBase64Encoded": false
    }))
    .unwrap();
    c.bench_function("response mapping (the function's answer to HTTP)", |b| {
        b.iter(|| event::response(black_box(&answer)).unwrap())
    });
}

fn srp_step(c: &mut Criterion) {
    let verifier = srp::make_verifier(POOL, "bench-user", "Bench-Passw0rd");
    // A client's A = g^a mod N for some a: any value that is not 0 mod N exercises the same math.
    let a_hex = "ab".repeat(384);
    c.bench_function("SRP server step (B from A and the verifier)", |b| {
        b.iter(|| srp::server_start(black_box(&a_hex), &verifier).unwrap())
    });
    let step = srp::server_start(&a_hex, &verifier).unwrap();
    c.bench_function("SRP session key (PASSWORD_VERIFIER)", |b| {
        b.iter(|| srp::session_key(black_box(&step), &verifier).unwrap())
    });
}

fn passwords(c: &mut Criterion) {
    let phc = password::hash("Bench-Passw0rd");
    let mut g = c.benchmark_group("password");
    g.sample_size(10);
    g.bench_function("argon2id check (a first sign-in)", |b| {
        b.iter(|| assert!(password::verify(black_box("Bench-Passw0rd"), &phc)))
    });
    g.finish();

    let dir = tempfile::tempdir().unwrap();
    let pools = UserPools::open(Settings {
        state_dir: dir.path().to_path_buf(),
        region: "us-east-1".into(),
        account_id: "000000000000".into(),
        base_url: "http://127.0.0.1:9229".into(),
    })
    .unwrap();
    let pool = pools
        .call("CreateUserPool", &json!({"PoolName": "bench"}), true)
        .unwrap()["UserPool"]["Id"]
        .as_str()
        .unwrap()
        .to_string();
    let client = pools
        .call(
            "CreateUserPoolClient",
            &json!({"UserPoolId": pool, "ClientName": "bench", "ExplicitAuthFlows": ["ALLOW_USER_PASSWORD_AUTH"]}),
            true,
        )
        .unwrap()["UserPoolClient"]["ClientId"]
        .as_str()
        .unwrap()
        .to_string();
    for (op, body) in [
        (
            "AdminCreateUser",
            json!({"UserPoolId": pool, "Username": "bench", "MessageAction": "SUPPRESS"}),
        ),
        (
            "AdminSetUserPassword",
            json!({"UserPoolId": pool, "Username": "bench", "Password": "Bench-Passw0rd", "Permanent": true}),
        ),
    ] {
        pools.call(op, &body, true).unwrap();
    }
    let sign_in = json!({"AuthFlow": "USER_PASSWORD_AUTH", "ClientId": client,
                         "AuthParameters": {"USERNAME": "bench", "PASSWORD": "Bench-Passw0rd"}});
    pools.call("InitiateAuth", &sign_in, false).unwrap();
    c.bench_function(
        "InitiateAuth, a repeated sign-in (two RS256 tokens, refresh record)",
        |b| {
            b.iter(|| {
                pools
                    .call("InitiateAuth", black_box(&sign_in), false)
                    .unwrap()
            })
        },
    );
}

/// The Runtime API's peer check, run once per connection an instance opens (instances keep
/// theirs alive): the kernel's socket lookup and the walk of the instance's process tree.
fn peer_check(c: &mut Criterion) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let client = std::net::TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    let (server, peer) = listener.accept().unwrap();
    let local = server.local_addr().unwrap();
    let me = std::process::id();
    assert!(lambda::peer::held_by_tree(me, local, peer));
    c.bench_function(
        "Runtime API peer check (one new connection, this process's tree)",
        |b| b.iter(|| lambda::peer::held_by_tree(black_box(me), local, peer)),
    );
    drop(client);
}

criterion_group!(benches, tokens, proxy, srp_step, passwords, peer_check);
criterion_main!(benches);
