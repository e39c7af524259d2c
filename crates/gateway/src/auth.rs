//! The Cognito user pool authorizer: the identity header's ID token, verified by signature
//! (`kid`), issuer (a pool the authorizer names), `token_use`, audience (a client of that
//! pool) and expiry. Verified tokens are cached until they expire.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use common::date::{cognito_date, now_secs};
use common::jwt::{Jws, KeySet};
use serde_json::{Map, Value as Json};

use crate::spec::Authorizer;

/// Where the authorizer finds an issuer's keys and a client's pool: the gateway's port to the
/// user pools (the CLI adapts the local pools to it), or later a remote JWKS.
pub trait KeySource: Send + Sync + std::fmt::Debug {
    /// The pool id and public keys of a token issuer (`iss`).
    fn keys_for_issuer(&self, iss: &str) -> Option<(String, Arc<KeySet>)>;
    /// The pool a client id belongs to.
    fn client_pool(&self, client_id: &str) -> Option<String>;
}

/// Why a request was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Denied {
    /// 401 `{"message":"Unauthorized"}`.
    Unauthorized,
    /// 401 `{"message":"The incoming token has expired"}`.
    Expired,
}

/// A verified token.
#[derive(Debug)]
pub struct Verified {
    /// The pool that issued it.
    pub pool_id: String,
    /// `requestContext.authorizer.claims`: every value a string, dates in API Gateway's format.
    pub claims: Json,
    /// `exp`, epoch seconds.
    pub exp: u64,
    /// Who, for the request log.
    pub user: String,
}

/// Cached verifications, bounded: tokens verified, and (by SHA-256) tokens whose signature
/// did not verify, so the same forged token again costs a hash instead of an RSA check. A
/// signature that failed never verifies later: a new key has a new `kid`.
#[derive(Debug, Default)]
pub struct Cache {
    map: Mutex<HashMap<String, Arc<Verified>>>,
    forged: Mutex<std::collections::HashSet<[u8; 32]>>,
}

const CACHE_LIMIT: usize = 10_000;

impl Cache {
    fn get(&self, token: &str) -> Option<Arc<Verified>> {
        let map = self
            .map
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        map.get(token).cloned()
    }

    fn put(&self, token: &str, v: Arc<Verified>) {
        let mut map = self
            .map
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if map.len() >= CACHE_LIMIT {
            let now = now_secs();
            map.retain(|_, v| v.exp > now);
            if map.len() >= CACHE_LIMIT {
                map.clear();
            }
        }
        map.insert(token.to_string(), v);
    }

    fn forged(&self) -> std::sync::MutexGuard<'_, std::collections::HashSet<[u8; 32]>> {
        self.forged
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn is_forged(&self, digest: &[u8; 32]) -> bool {
        self.forged().contains(digest)
    }

    fn put_forged(&self, digest: [u8; 32]) {
        let mut set = self.forged();
        if set.len() >= CACHE_LIMIT {
            set.clear();
        }
        set.insert(digest);
    }
}

/// Checks the request's identity header against `authorizer`.
pub fn authorize(
    authorizer: &Authorizer,
    header_value: Option<&str>,
    keys: &dyn KeySource,
    cache: &Cache,
) -> Result<Arc<Verified>, Denied> {
    let raw = header_value.ok_or(Denied::Unauthorized)?.trim();
    let token = match raw.get(..7) {
        Some(p) if p.eq_ignore_ascii_case("bearer ") => raw[7..].trim(),
        _ => raw,
    };
    let now = now_secs();
    if let Some(v) = cache.get(token) {
        if !authorizer.pool_ids.contains(&v.pool_id) {
            return Err(Denied::Unauthorized);
        }
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
    let claims = &jws.claims;
    let iss = claims["iss"].as_str().ok_or(Denied::Unauthorized)?;
    let (pool_id, pool_keys) = keys.keys_for_issuer(iss).ok_or(Denied::Unauthorized)?;
    if !authorizer.pool_ids.contains(&pool_id) {
        return Err(Denied::Unauthorized);
    }
    // An unknown `kid` is refused but not remembered: a key set can gain keys.
    let key = jws
        .kid()
        .and_then(|kid| pool_keys.by_kid(kid))
        .ok_or(Denied::Unauthorized)?;
    if !key.verifies(jws.signing_input(), jws.signature()) {
        cache.put_forged(digest);
        return Err(Denied::Unauthorized);
    }
    // With no OAuth scopes on the method, only ID tokens are accepted.
    if claims["token_use"] != "id" {
        return Err(Denied::Unauthorized);
    }
    let aud = claims["aud"].as_str().ok_or(Denied::Unauthorized)?;
    if keys.client_pool(aud).as_deref() != Some(pool_id.as_str()) {
        return Err(Denied::Unauthorized);
    }
    let exp = claims["exp"].as_u64().ok_or(Denied::Unauthorized)?;
    if exp <= now {
        return Err(Denied::Expired);
    }
    let user = claims["email"]
        .as_str()
        .or(claims["cognito:username"].as_str())
        .unwrap_or_default()
        .to_string();
    let verified = Arc::new(Verified {
        pool_id,
        claims: string_claims(claims),
        exp,
        user,
    });
    cache.put(token, Arc::clone(&verified));
    Ok(verified)
}

/// Claims as API Gateway hands them to the function: every value a string; `exp` and `iat`
/// as `Fri Jul 29 18:52:53 UTC 2016`; lists joined with commas.
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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const ISS: &str = "http://127.0.0.1:9229/us-east-1_Test";

    #[derive(Debug)]
    struct OnePool(Arc<KeySet>);

    impl KeySource for OnePool {
        fn keys_for_issuer(&self, iss: &str) -> Option<(String, Arc<KeySet>)> {
            (iss == ISS).then(|| ("us-east-1_Test".to_string(), Arc::clone(&self.0)))
        }
        fn client_pool(&self, client_id: &str) -> Option<String> {
            (client_id == "client").then(|| "us-east-1_Test".to_string())
        }
    }

    #[test]
    fn a_tampered_signature_is_refused_every_time_and_the_real_token_still_passes() {
        let (key, _) = common::jwt::SigningKey::generate();
        let source = OnePool(Arc::new(KeySet::new(vec![key.public().clone()])));
        let authorizer = Authorizer {
            name: "A".into(),
            pool_ids: vec!["us-east-1_Test".into()],
            header: "Authorization".into(),
        };
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
                authorize(&authorizer, Some(&tampered), &source, &cache).err(),
                Some(Denied::Unauthorized)
            );
        }
        assert_eq!(
            cache.forged().len(),
            1,
            "remembered once, refused from memory after"
        );
        let ok = authorize(&authorizer, Some(&token), &source, &cache).expect("the real token");
        assert_eq!(ok.claims["email"], "e@x");
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
    }
}
