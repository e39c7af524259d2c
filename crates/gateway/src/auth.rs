//! Token authorizers: the REST API's Cognito user pool authorizer and the HTTP API's JWT
//! authorizer, over one verification of a token's signature (`kid` in its issuer's keys),
//! issuer and expiry. Verified tokens are cached until they expire; a signature that did not
//! verify is remembered (by its SHA-256), so the same forged token again costs a hash.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};

use common::date::{cognito_date, now_secs};
use common::jwt::{Jws, KeySet};
use serde_json::{Map, Value as Json};

/// What [`KeySource::keys`] returns: the issuer's id (a pool id for a Cognito pool) and keys.
pub type KeysFuture<'a> = Pin<Box<dyn Future<Output = Option<(String, Arc<KeySet>)>> + Send + 'a>>;

/// Where the authorizers find an issuer's keys and a client's pool: the gateway's port to the
/// user pools and to other issuers (the CLI adapts the local pools and a JWKS fetcher to it).
pub trait KeySource: Send + Sync + std::fmt::Debug {
    /// The keys of the token issuer `iss`, which the token says signed it with `kid` (an
    /// issuer whose keys are fetched refreshes them when it does not know `kid`); `None`
    /// when the issuer is unknown or cannot be reached.
    fn keys<'a>(&'a self, iss: &'a str, kid: &'a str) -> KeysFuture<'a>;
    /// Whether `client_id` is a client of the pool `pool_id`: a local pool knows; a pool
    /// elsewhere cannot be asked, and its signature on the token is the proof.
    fn client_in_pool(&self, client_id: &str, pool_id: &str) -> bool;
}

/// Why a request was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Denied {
    /// 401 `{"message":"Unauthorized"}`.
    Unauthorized,
    /// 401 `{"message":"The incoming token has expired"}`.
    Expired,
    /// 403: the token is valid but lacks a scope the route wants (HTTP API JWT authorizer).
    Forbidden,
}

/// A verified token.
#[derive(Debug)]
pub struct Verified {
    /// Its issuer (`iss`).
    pub issuer: String,
    /// The pool (or issuer) id the key source gave for it.
    pub pool_id: String,
    /// Its claims, as signed.
    pub raw: Json,
    /// `requestContext.authorizer` for a REST API: `{"claims": …}`, every value a string,
    /// dates in API Gateway's format.
    pub rest_context: Json,
    /// `exp`, epoch seconds.
    pub exp: u64,
    /// Who, for the request log.
    pub user: String,
}

/// Cached verifications, bounded.
#[derive(Debug, Default)]
pub struct Cache {
    map: Mutex<HashMap<String, Arc<Verified>>>,
    forged: Mutex<std::collections::HashSet<[u8; 32]>>,
}

const CACHE_LIMIT: usize = 10_000;

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl Cache {
    fn get(&self, token: &str) -> Option<Arc<Verified>> {
        lock(&self.map).get(token).cloned()
    }

    fn put(&self, token: &str, v: Arc<Verified>) {
        let mut map = lock(&self.map);
        if map.len() >= CACHE_LIMIT {
            let now = now_secs();
            map.retain(|_, v| v.exp > now);
            if map.len() >= CACHE_LIMIT {
                map.clear();
            }
        }
        map.insert(token.to_string(), v);
    }

    fn is_forged(&self, digest: &[u8; 32]) -> bool {
        lock(&self.forged).contains(digest)
    }

    fn put_forged(&self, digest: [u8; 32]) {
        let mut set = lock(&self.forged);
        if set.len() >= CACHE_LIMIT {
            set.clear();
        }
        set.insert(digest);
    }

    #[cfg(test)]
    fn forged_len(&self) -> usize {
        lock(&self.forged).len()
    }
}

/// The token in an identity header: bare, or after `Bearer `.
pub fn bearer(raw: &str) -> &str {
    let raw = raw.trim();
    match raw.get(..7) {
        Some(p) if p.eq_ignore_ascii_case("bearer ") => raw[7..].trim(),
        _ => raw,
    }
}

/// Verifies `token`'s signature with its issuer's keys, and its expiry (an expired token is
/// [`Denied::Expired`]).
pub async fn verify(
    token: &str,
    keys: &dyn KeySource,
    cache: &Cache,
) -> Result<Arc<Verified>, Denied> {
    let now = now_secs();
    if let Some(v) = cache.get(token) {
        return if v.exp > now {
            Ok(v)
        } else {
            Err(Denied::Expired)
        };
    }
    let digest = common::digest::sha256(&[token.as_bytes()]);
    if cache.is_forged(&digest) {
        return Err(Denied::Unauthorized);
    }
    let jws = Jws::parse(token).ok_or(Denied::Unauthorized)?;
    if jws.alg() != "RS256" {
        return Err(Denied::Unauthorized);
    }
    let iss = jws.claims["iss"].as_str().ok_or(Denied::Unauthorized)?;
    let kid = jws.kid().ok_or(Denied::Unauthorized)?;
    let (pool_id, set) = keys.keys(iss, kid).await.ok_or(Denied::Unauthorized)?;
    // An unknown `kid` is refused but not remembered: a key set can gain keys.
    let key = set.by_kid(kid).ok_or(Denied::Unauthorized)?;
    if !key.verifies(jws.signing_input(), jws.signature()) {
        cache.put_forged(digest);
        return Err(Denied::Unauthorized);
    }
    let claims = &jws.claims;
    let exp = claims["exp"].as_u64().ok_or(Denied::Unauthorized)?;
    if exp <= now {
        return Err(Denied::Expired);
    }
    let user = claims["email"]
        .as_str()
        .or(claims["cognito:username"].as_str())
        .or(claims["username"].as_str())
        .or(claims["sub"].as_str())
        .unwrap_or_default()
        .to_string();
    let verified = Arc::new(Verified {
        issuer: iss.to_string(),
        pool_id,
        rest_context: serde_json::json!({"claims": string_claims(claims)}),
        raw: jws.claims,
        exp,
        user,
    });
    cache.put(token, Arc::clone(&verified));
    Ok(verified)
}

/// The token's `scope` (space-separated) or `scp` (a list or a string).
pub fn token_scopes(claims: &Json) -> Vec<String> {
    let from = |v: &Json| -> Vec<String> {
        match v {
            Json::String(s) => s.split_whitespace().map(str::to_string).collect(),
            Json::Array(l) => l
                .iter()
                .filter_map(Json::as_str)
                .map(str::to_string)
                .collect(),
            _ => Vec::new(),
        }
    };
    let mut scopes = from(&claims["scope"]);
    if scopes.is_empty() {
        scopes = from(&claims["scp"]);
    }
    scopes
}

/// The REST API's Cognito user pool authorizer on the identity header's value: with no
/// `scopes` on the method, an ID token of a client of one of its pools; with scopes, an access
/// token holding one of them (an ID token has none).
pub async fn authorize(
    pool_ids: &[String],
    scopes: &[String],
    header_value: Option<&str>,
    keys: &dyn KeySource,
    cache: &Cache,
) -> Result<Arc<Verified>, Denied> {
    let token = bearer(header_value.ok_or(Denied::Unauthorized)?);
    let v = verify(token, keys, cache).await?;
    if !pool_ids.contains(&v.pool_id) {
        return Err(Denied::Unauthorized);
    }
    let claims = &v.raw;
    let client = if scopes.is_empty() {
        if claims["token_use"] != "id" {
            return Err(Denied::Unauthorized);
        }
        claims["aud"].as_str()
    } else {
        let held = token_scopes(claims);
        if claims["token_use"] != "access" || !scopes.iter().any(|s| held.contains(s)) {
            return Err(Denied::Unauthorized);
        }
        claims["client_id"].as_str()
    };
    let client = client.ok_or(Denied::Unauthorized)?;
    if !keys.client_in_pool(client, &v.pool_id) {
        return Err(Denied::Unauthorized);
    }
    Ok(v)
}

/// Why an HTTP API JWT authorizer refused a token: for `www-authenticate`.
pub type JwtRefusal = (Denied, &'static str);

/// The HTTP API's JWT authorizer: the token's issuer must be `issuer` exactly, its `aud` one of
/// `audience` (or, with no `aud`, its `client_id`), it must not be expired or not yet valid,
/// and, when the route has `scopes`, hold one of them.
pub async fn jwt(
    issuer: &str,
    audience: &[String],
    scopes: &[String],
    header_value: Option<&str>,
    keys: &dyn KeySource,
    cache: &Cache,
) -> Result<Arc<Verified>, JwtRefusal> {
    let raw = header_value.ok_or((Denied::Unauthorized, "no token in the identity source"))?;
    let token = bearer(raw);
    if token.split('.').count() != 3 {
        return Err((
            Denied::Unauthorized,
            "token contains an invalid number of segments",
        ));
    }
    let v = verify(token, keys, cache).await.map_err(|d| match d {
        Denied::Expired => (Denied::Unauthorized, "the token has expired"),
        _ => (
            Denied::Unauthorized,
            "the token's signature could not be verified",
        ),
    })?;
    if v.issuer != issuer {
        return Err((
            Denied::Unauthorized,
            "the token does not have a valid issuer",
        ));
    }
    let claims = &v.raw;
    let now = now_secs();
    if claims["nbf"].as_u64().is_some_and(|n| n > now)
        || claims["iat"].as_u64().is_some_and(|i| i > now + 60)
    {
        return Err((Denied::Unauthorized, "the token is not valid yet"));
    }
    let aud_ok = match &claims["aud"] {
        Json::String(a) => audience.contains(a),
        Json::Array(l) => l
            .iter()
            .filter_map(Json::as_str)
            .any(|a| audience.iter().any(|x| x == a)),
        _ => claims["client_id"]
            .as_str()
            .is_some_and(|c| audience.iter().any(|x| x == c)),
    };
    if !aud_ok {
        return Err((
            Denied::Unauthorized,
            "the token does not have a valid audience",
        ));
    }
    if !scopes.is_empty() {
        let held = token_scopes(claims);
        if !scopes.iter().any(|s| held.contains(s)) {
            return Err((
                Denied::Forbidden,
                "the token does not have the required scopes",
            ));
        }
    }
    Ok(v)
}

/// Claims as a REST API's Cognito authorizer hands them to the function: every value a string;
/// `exp` and `iat` as `Fri Jul 29 18:52:53 UTC 2016`; lists joined with commas.
pub fn string_claims(claims: &Json) -> Json {
    let mut out = Map::new();
    if let Json::Object(map) = claims {
        for (k, v) in map {
            let s = match (k.as_str(), v) {
                ("exp" | "iat", Json::Number(n)) => {
                    n.as_i64().map_or_else(|| n.to_string(), cognito_date)
                }
                (_, Json::String(s)) => s.clone(),
                (_, Json::Array(items)) => items
                    .iter()
                    .map(|i| i.as_str().map_or_else(|| i.to_string(), str::to_string))
                    .collect::<Vec<_>>()
                    .join(","),
                (_, other) => other.to_string(),
            };
            out.insert(k.clone(), Json::String(s));
        }
    }
    Json::Object(out)
}

/// Claims as an HTTP API's JWT authorizer hands them to the function: numbers and booleans as
/// strings, lists as `[a b]`, null-valued claims left out.
pub fn jwt_claims(claims: &Json) -> Json {
    let mut out = Map::new();
    if let Json::Object(map) = claims {
        for (k, v) in map {
            let s = match v {
                Json::Null => continue,
                Json::String(s) => s.clone(),
                Json::Array(items) => format!(
                    "[{}]",
                    items
                        .iter()
                        .map(|i| i.as_str().map_or_else(|| i.to_string(), str::to_string))
                        .collect::<Vec<_>>()
                        .join(" ")
                ),
                other => other.to_string(),
            };
            out.insert(k.clone(), Json::String(s));
        }
    }
    Json::Object(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const ISS: &str = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Test";

    #[derive(Debug)]
    struct OnePool(Arc<KeySet>);

    impl KeySource for OnePool {
        fn keys<'a>(&'a self, iss: &'a str, _kid: &'a str) -> KeysFuture<'a> {
            let found = (iss == ISS).then(|| ("us-east-1_Test".to_string(), Arc::clone(&self.0)));
            Box::pin(async move { found })
        }
        fn client_in_pool(&self, client_id: &str, pool_id: &str) -> bool {
            client_id == "client" && pool_id == "us-east-1_Test"
        }
    }

    fn setup() -> (common::jwt::SigningKey, OnePool, Vec<String>) {
        let (key, _) = common::jwt::SigningKey::generate();
        let source = OnePool(Arc::new(KeySet::new(vec![key.public().clone()])));
        (key, source, vec!["us-east-1_Test".to_string()])
    }

    #[tokio::test]
    async fn a_tampered_signature_is_refused_every_time_and_the_real_token_still_passes() {
        let (key, source, authorizer) = setup();
        let token = key.sign(&json!({
            "iss": ISS, "aud": "client", "token_use": "id", "sub": "s",
            "email": "e@x", "exp": now_secs() + 60, "iat": now_secs()
        }));
        // One bit of the signature flipped: still well-formed base64url of 256 bytes.
        let (signed, sig) = token.rsplit_once('.').expect("a JWS");
        let mut raw = common::encoding::b64url_decode(sig).expect("base64url");
        raw[100] ^= 1;
        let tampered = format!("{signed}.{}", common::encoding::b64url(&raw));
        let cache = Cache::default();
        for _ in 0..3 {
            assert_eq!(
                authorize(&authorizer, &[], Some(&tampered), &source, &cache)
                    .await
                    .err(),
                Some(Denied::Unauthorized)
            );
        }
        assert_eq!(
            cache.forged_len(),
            1,
            "remembered once, refused from memory after"
        );
        let ok = authorize(&authorizer, &[], Some(&token), &source, &cache)
            .await
            .expect("the real token");
        assert_eq!(ok.rest_context["claims"]["email"], "e@x");
    }

    #[tokio::test]
    async fn with_scopes_an_access_token_holding_one_passes_and_an_id_token_does_not() {
        let (key, source, authorizer) = setup();
        let now = now_secs();
        let access = key.sign(
            &json!({"iss": ISS, "client_id": "client", "token_use": "access",
            "scope": "openid orders/read", "sub": "s", "exp": now + 60, "iat": now}),
        );
        let id = key.sign(
            &json!({"iss": ISS, "aud": "client", "token_use": "id", "sub": "s",
            "exp": now + 60, "iat": now}),
        );
        let cache = Cache::default();
        let want = |s: &str| vec![s.to_string()];
        assert!(
            authorize(
                &authorizer,
                &want("orders/read"),
                Some(&access),
                &source,
                &cache
            )
            .await
            .is_ok()
        );
        assert_eq!(
            authorize(
                &authorizer,
                &want("orders/write"),
                Some(&access),
                &source,
                &cache
            )
            .await
            .err(),
            Some(Denied::Unauthorized)
        );
        assert_eq!(
            authorize(
                &authorizer,
                &want("orders/read"),
                Some(&id),
                &source,
                &cache
            )
            .await
            .err(),
            Some(Denied::Unauthorized)
        );
        assert_eq!(
            authorize(&authorizer, &[], Some(&access), &source, &cache)
                .await
                .err(),
            Some(Denied::Unauthorized),
            "without scopes only an ID token passes"
        );
    }

    #[tokio::test]
    async fn the_jwt_authorizer_checks_issuer_audience_or_client_id_and_scopes() {
        let (key, source, _) = setup();
        let now = now_secs();
        let access = key.sign(
            &json!({"iss": ISS, "client_id": "client", "token_use": "access",
            "scope": "email openid", "exp": now + 60, "iat": now}),
        );
        let cache = Cache::default();
        let aud = vec!["client".to_string()];
        let ok = jwt(
            ISS,
            &aud,
            &[],
            Some(&format!("Bearer {access}")),
            &source,
            &cache,
        )
        .await;
        assert!(ok.is_ok(), "client_id stands for a missing aud");
        assert_eq!(
            jwt(ISS, &["other".into()], &[], Some(&access), &source, &cache)
                .await
                .err()
                .map(|e| e.1),
            Some("the token does not have a valid audience")
        );
        assert_eq!(
            jwt(
                "https://elsewhere",
                &aud,
                &[],
                Some(&access),
                &source,
                &cache
            )
            .await
            .err()
            .map(|e| e.0),
            Some(Denied::Unauthorized)
        );
        assert_eq!(
            jwt(ISS, &aud, &["admin".into()], Some(&access), &source, &cache)
                .await
                .err()
                .map(|e| e.0),
            Some(Denied::Forbidden)
        );
        assert_eq!(
            jwt(ISS, &aud, &[], Some("a.b"), &source, &cache)
                .await
                .err()
                .map(|e| e.1),
            Some("token contains an invalid number of segments")
        );
    }

    #[test]
    fn claims_become_strings_with_api_gateway_dates() {
        let c = string_claims(&json!({
            "email_verified": true, "auth_time": 1469814773, "exp": 1469817173,
            "iat": 1469813573, "cognito:groups": ["a", "b"], "sub": "s"
        }));
        assert_eq!(c["email_verified"], "true");
        assert_eq!(c["auth_time"], "1469814773");
        assert_eq!(c["exp"], "Fri Jul 29 18:32:53 UTC 2016");
        assert_eq!(c["iat"], "Fri Jul 29 17:32:53 UTC 2016");
        assert_eq!(c["cognito:groups"], "a,b");
        assert_eq!(c["sub"], "s");
        let j = jwt_claims(
            &json!({"exp": 1787996002, "cognito:groups": ["admin", "poweruser"],
            "email_verified": true, "nothing": null}),
        );
        assert_eq!(
            j,
            json!({"exp": "1787996002", "cognito:groups": "[admin poweruser]",
            "email_verified": "true"})
        );
    }
}
