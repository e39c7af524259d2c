//! The template's tables on a DynamoDB-compatible server: the one gatehouse starts itself
//! ([`engine`], with its items kept across restarts by [`snapshot`]) or the one
//! `--dynamodb-endpoint URL` names (DynamoDB Local, moto, LocalStack…). The tables are created
//! there when they are missing, with the `CreateTable` requests the plan made of them; the
//! functions then reach that server through `AWS_ENDPOINT_URL_DYNAMODB`. Requests are
//! SigV4-signed with the credentials the functions will use (DynamoDB Local keeps a database
//! per access key unless it runs with `-sharedDb`).

pub mod engine;
pub mod snapshot;

use std::time::Duration;

use anyhow::{Context as _, bail};
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use serde_json::{Value as Json, json};

/// How long one call may take.
const TIMEOUT: Duration = Duration::from_secs(10);

pub use crate::signing::Credentials;

/// What happened to one table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// It was there already (kept as it is).
    Existed,
    /// It was created.
    Created,
}

/// A DynamoDB endpoint.
#[derive(Debug, Clone)]
pub struct Endpoint {
    url: String,
    /// How errors name it: `--dynamodb-endpoint <url>`, or the engine gatehouse started.
    name: String,
    region: String,
    credentials: Credentials,
    client: Client<HttpConnector, Full<Bytes>>,
}

/// DynamoDB's answer to a call that failed: its `__type` (the part after `#`) and message.
#[derive(Debug)]
pub struct Refused {
    /// `ResourceNotFoundException`, …
    pub kind: String,
    /// Its message.
    pub message: String,
}

impl Endpoint {
    /// An endpoint at `url` (`http://host:port`).
    pub fn new(url: &str, region: &str, credentials: Credentials) -> anyhow::Result<Endpoint> {
        let uri: hyper::Uri = url
            .parse()
            .with_context(|| format!("--dynamodb-endpoint {url} is not a URL"))?;
        if uri.scheme_str() != Some("http") {
            bail!(
                "--dynamodb-endpoint {url}: only http:// endpoints are supported (a local DynamoDB-compatible server, e.g. http://127.0.0.1:8000)"
            );
        }
        Ok(Endpoint {
            url: url.trim_end_matches('/').to_string(),
            name: format!("--dynamodb-endpoint {url}"),
            region: region.to_string(),
            credentials,
            client: Client::builder(TokioExecutor::new()).build_http(),
        })
    }

    /// Creates each table that does not exist yet.
    pub async fn ensure(&self, tables: &[sam::dynamodb::Table]) -> anyhow::Result<Vec<Outcome>> {
        let mut out = Vec::with_capacity(tables.len());
        for t in tables {
            let found = self
                .call("DescribeTable", &json!({"TableName": t.name}))
                .await
                .with_context(|| self.name.clone())?;
            match found {
                Ok(_) => {
                    out.push(Outcome::Existed);
                    continue;
                }
                Err(r) if r.kind == "ResourceNotFoundException" => {}
                Err(r) => bail!(
                    "{} ({}): DescribeTable on {} answered {}: {}",
                    t.logical_id,
                    t.name,
                    self.url,
                    r.kind,
                    r.message
                ),
            }
            if let Err(r) = self.call("CreateTable", &t.create).await? {
                bail!(
                    "{} ({}): CreateTable on {} answered {}: {} (the request was {})",
                    t.logical_id,
                    t.name,
                    self.url,
                    r.kind,
                    r.message,
                    t.create
                );
            }
            if let Some(ttl) = &t.time_to_live
                && let Err(r) = self.call("UpdateTimeToLive", ttl).await?
            {
                tracing::warn!(
                    "{}: UpdateTimeToLive on {} answered {}: {}; items will not expire",
                    t.logical_id,
                    self.url,
                    r.kind,
                    r.message
                );
            }
            out.push(Outcome::Created);
        }
        Ok(out)
    }

    /// The server's URL.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The same endpoint, named `name` in errors.
    pub fn named(mut self, name: impl Into<String>) -> Endpoint {
        self.name = name.into();
        self
    }

    /// `operation` page after page: each answer to `each`, the cursor the answer gives in
    /// `cursor_out` (`LastEvaluatedKey`) sent back as `cursor_in` (`ExclusiveStartKey`) until
    /// an answer has none. DynamoDB's refusals are errors.
    pub async fn pages(
        &self,
        operation: &str,
        mut request: Json,
        (cursor_in, cursor_out): (&str, &str),
        mut each: impl FnMut(&Json),
    ) -> anyhow::Result<()> {
        loop {
            let page = match self.call(operation, &request).await? {
                Ok(p) => p,
                Err(r) => bail!(
                    "{operation} of {} answered {}: {}",
                    request["TableName"].as_str().unwrap_or("the tables"),
                    r.kind,
                    r.message
                ),
            };
            each(&page);
            match page.get(cursor_out) {
                Some(c) if !c.is_null() => request[cursor_in] = c.clone(),
                _ => return Ok(()),
            }
        }
    }

    /// One call: the answer's JSON, or DynamoDB's error.
    pub async fn call(
        &self,
        operation: &str,
        body: &Json,
    ) -> anyhow::Result<Result<Json, Refused>> {
        let body = serde_json::to_vec(body)?;
        let target = format!("DynamoDB_20120810.{operation}");
        let host = self
            .url
            .split_once("://")
            .map_or(self.url.as_str(), |(_, rest)| rest)
            .to_string();
        let mut req = hyper::Request::post(format!("{}/", self.url))
            .header("host", &host)
            .header("content-type", "application/x-amz-json-1.0")
            .header("x-amz-target", &target)
            .body(Full::new(Bytes::from(body.clone())))?;
        crate::signing::sign(&mut req, &body, &self.credentials, &self.region, "dynamodb")?;
        let resp = tokio::time::timeout(TIMEOUT, self.client.request(req))
            .await
            .map_err(|_| anyhow::anyhow!("{operation} did not answer within {TIMEOUT:?}"))?
            .with_context(|| format!("cannot reach it for {operation} (is the server running?)"))?;
        let status = resp.status();
        let bytes = resp.into_body().collect().await?.to_bytes();
        let json: Json = serde_json::from_slice(&bytes).unwrap_or(Json::Null);
        if status.is_success() {
            return Ok(Ok(json));
        }
        let kind = json["__type"]
            .as_str()
            .map(|t| t.rsplit('#').next().unwrap_or(t).to_string())
            .unwrap_or_else(|| format!("HTTP {status}"));
        let message = json["message"]
            .as_str()
            .or_else(|| json["Message"].as_str())
            .unwrap_or_default()
            .to_string();
        Ok(Err(Refused { kind, message }))
    }
}
