//! Token issuers that are not local pools: a Cognito authorizer naming a pool on AWS, or a JWT
//! authorizer with any OpenID issuer. Their keys come through OpenID discovery
//! (`<issuer>/.well-known/openid-configuration`, then its `jwks_uri`), are kept an hour, and
//! are fetched again when a token names a `kid` the set does not hold (at most once a second
//! an issuer). Only issuers the template's authorizers name are ever fetched: a token cannot
//! make the gateway call a URL of its choosing. An issuer that cannot be reached refuses its
//! tokens (401), with one log line.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::jwt::KeySet;
use http_body_util::{BodyExt, Empty, Limited};
use hyper::body::Bytes;
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use serde_json::Value as Json;

/// How long fetched keys are used before they are fetched again.
const KEEP: Duration = Duration::from_secs(3600);
/// The least time between two fetches of one issuer (an unknown `kid` asks again after it).
const MIN_INTERVAL: Duration = Duration::from_secs(1);
/// A request to an issuer gives up after this.
const TIMEOUT: Duration = Duration::from_secs(5);
/// The most a discovery document or key set may weigh.
const MAX_DOCUMENT: usize = 1024 * 1024;

#[derive(Debug)]
struct Fetched {
    keys: Option<Arc<KeySet>>,
    at: Instant,
}

/// The keys of the issuers the template names, fetched when first needed.
pub struct Remote {
    allowed: HashSet<String>,
    client: Client<HttpsConnector<HttpConnector>, Empty<Bytes>>,
    fetched: Mutex<HashMap<String, Fetched>>,
    /// One fetch at a time: requests arriving during one wait for its keys.
    fetching: tokio::sync::Mutex<()>,
}

impl std::fmt::Debug for Remote {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Remote")
            .field("allowed", &self.allowed)
            .finish_non_exhaustive()
    }
}

/// AWS's issuer for a Cognito pool id (`<region>_<id>`).
pub fn cognito_issuer(pool_id: &str) -> String {
    let region = pool_id.split('_').next().unwrap_or_default();
    format!("https://cognito-idp.{region}.amazonaws.com/{pool_id}")
}

impl Remote {
    /// A fetcher for `allowed` issuers (exact strings, as tokens carry them). HTTPS is checked
    /// against the system's trusted roots; `http://` works too, for an issuer on this machine.
    pub fn new(allowed: HashSet<String>) -> anyhow::Result<Remote> {
        let https = hyper_rustls::HttpsConnectorBuilder::new()
            .with_native_roots()?
            .https_or_http()
            .enable_http1()
            .build();
        Ok(Remote {
            allowed,
            client: Client::builder(TokioExecutor::new()).build(https),
            fetched: Mutex::new(HashMap::new()),
            fetching: tokio::sync::Mutex::new(()),
        })
    }

    /// Whether tokens of `iss` may be checked here.
    pub fn allows(&self, iss: &str) -> bool {
        self.allowed.contains(iss)
    }

    fn cached(&self, iss: &str, kid: &str) -> Option<Option<Arc<KeySet>>> {
        let map = self
            .fetched
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let f = map.get(iss)?;
        let fresh = f.at.elapsed() < KEEP;
        let has_kid = f.keys.as_ref().is_some_and(|k| k.by_kid(kid).is_some());
        if (fresh && has_kid) || f.at.elapsed() < MIN_INTERVAL {
            return Some(f.keys.clone());
        }
        None
    }

    /// The keys of `iss`, fetched if they are missing, old, or lack `kid`; `None` when `iss`
    /// is not an issuer of the template's or cannot be reached.
    pub async fn keys(&self, iss: &str, kid: &str) -> Option<Arc<KeySet>> {
        if !self.allows(iss) {
            return None;
        }
        if let Some(found) = self.cached(iss, kid) {
            return found;
        }
        let _turn = self.fetching.lock().await;
        // Another request may have fetched them while this one waited.
        if let Some(found) = self.cached(iss, kid) {
            return found;
        }
        let keys = match tokio::time::timeout(TIMEOUT, self.fetch(iss)).await {
            Ok(Ok(keys)) => {
                tracing::info!(target: "gateway", "fetched the keys of issuer {iss} ({} keys)", keys.len());
                Some(Arc::new(keys))
            }
            Ok(Err(why)) => {
                tracing::warn!(target: "gateway", "cannot fetch the keys of issuer {iss}: {why}; its tokens are refused (401) until it answers");
                None
            }
            Err(_) => {
                tracing::warn!(target: "gateway", "issuer {iss} did not answer within {}s; its tokens are refused (401) until it answers", TIMEOUT.as_secs());
                None
            }
        };
        let mut map = self
            .fetched
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        // Unreachable: keys fetched before stay in use (the issuer's tokens still verify).
        let keys = keys.or_else(|| map.get(iss).and_then(|f| f.keys.clone()));
        map.insert(
            iss.to_string(),
            Fetched {
                keys: keys.clone(),
                at: Instant::now(),
            },
        );
        keys
    }

    async fn fetch(&self, iss: &str) -> Result<KeySet, String> {
        let discovery = format!(
            "{}/.well-known/openid-configuration",
            iss.trim_end_matches('/')
        );
        let doc = self.get_json(&discovery).await?;
        let jwks_uri = doc["jwks_uri"]
            .as_str()
            .ok_or_else(|| format!("{discovery} has no jwks_uri"))?;
        let jwks = self.get_json(jwks_uri).await?;
        if !jwks["keys"].is_array() {
            return Err(format!("{jwks_uri} is not a JSON Web Key Set"));
        }
        Ok(KeySet::from_jwks(&jwks))
    }

    async fn get_json(&self, url: &str) -> Result<Json, String> {
        let uri: hyper::Uri = url
            .parse()
            .map_err(|e| format!("{url} is not a URL: {e}"))?;
        let resp = self
            .client
            .get(uri)
            .await
            .map_err(|e| format!("{url}: {e}"))?;
        if !resp.status().is_success() {
            return Err(format!("{url} answered {}", resp.status()));
        }
        let body = Limited::new(resp.into_body(), MAX_DOCUMENT)
            .collect()
            .await
            .map_err(|e| format!("{url}: {e}"))?
            .to_bytes();
        serde_json::from_slice(&body).map_err(|e| format!("{url} is not JSON: {e}"))
    }
}
