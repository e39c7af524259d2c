//! One JSON or form POST over HTTP(S), for the commands that call an endpoint without an SDK
//! (the hosted UI's token endpoint, the identity pool): system roots for HTTPS, plain HTTP for
//! a local stack.

use anyhow::Context;
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;

/// POSTs `body` to `url` with `headers`: the status and the answer's JSON.
pub async fn post_json(
    url: &str,
    headers: &[(&str, &str)],
    body: Vec<u8>,
) -> anyhow::Result<(hyper::StatusCode, serde_json::Value)> {
    let https = hyper_rustls::HttpsConnectorBuilder::new()
        .with_native_roots()?
        .https_or_http()
        .enable_http1()
        .build();
    let client: hyper_util::client::legacy::Client<_, Full<Bytes>> =
        hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
            .build(https);
    let mut req = hyper::Request::post(url);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let resp = client
        .request(req.body(Full::new(Bytes::from(body)))?)
        .await
        .with_context(|| format!("cannot reach {url}"))?;
    let status = resp.status();
    let bytes = resp.into_body().collect().await?.to_bytes();
    let answer = serde_json::from_slice(&bytes)
        .with_context(|| format!("{url} answered {status} with no JSON"))?;
    Ok((status, answer))
}
