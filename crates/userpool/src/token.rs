//! Signing keys and JWTs: RS256 tokens as Cognito issues them, the JWKS that verifies them,
//! and verification of the pool's own access tokens (GetUser, ChangePassword, ...).
//!
//! Each pool has two RSA-2048 keys, one for ID tokens and one for access tokens, parsed once
//! and kept in memory; on disk they are PKCS#8 in `keys/<poolId>.json`, mode 0600.

use std::fs;
use std::path::Path;
use std::sync::Arc;

use common::date::now_secs;
use common::encoding::{b64, b64_decode};
pub use common::jwt::SigningKey;
use common::jwt::{JweKey, Jws, KeySet};
use serde::{Deserialize, Serialize};
use serde_json::{Value as Json, json};

/// A pool's two keys.
#[derive(Debug)]
pub struct PoolKeys {
    /// Signs ID tokens.
    pub id: SigningKey,
    /// Signs access tokens.
    pub access: SigningKey,
    /// Both public keys, as verifiers (the gateway's authorizer) take them.
    pub public: Arc<KeySet>,
    /// Seals and opens the pool's refresh tokens (JWEs only the pool can read).
    pub refresh: JweKey,
}

#[derive(Serialize, Deserialize)]
struct KeyFile {
    id: String,
    access: String,
    /// The refresh tokens' AES-256 key, base64 (added to key files written before it existed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    refresh: Option<String>,
}

impl PoolKeys {
    fn new(id: SigningKey, access: SigningKey, refresh: &[u8; 32]) -> PoolKeys {
        let public = Arc::new(KeySet::new(vec![
            id.public().clone(),
            access.public().clone(),
        ]));
        PoolKeys {
            id,
            access,
            public,
            refresh: JweKey::new(refresh),
        }
    }

    /// Reads the pool's keys from `dir`, or makes and saves new ones (mode 0600).
    pub fn load_or_create(dir: &Path, pool_id: &str) -> Result<PoolKeys, String> {
        let path = dir.join(format!("{pool_id}.json"));
        let save = |file: &KeyFile| {
            let text = serde_json::to_vec(file).expect("serializing strings");
            common::fs::write_private(&path, &text).map_err(|e| format!("{}: {e}", path.display()))
        };
        let new_refresh_key = || {
            let mut k = [0u8; 32];
            common::id::random_bytes(&mut k);
            k
        };
        match fs::read(&path) {
            Ok(bytes) => {
                let mut file: KeyFile = serde_json::from_slice(&bytes)
                    .map_err(|e| format!("{}: not a key file: {e}", path.display()))?;
                let der = |s: &str| b64_decode(s).ok_or(format!("{}: bad base64", path.display()));
                let refresh: [u8; 32] = match &file.refresh {
                    Some(k) => der(k)?.try_into().map_err(|_| {
                        format!("{}: the refresh key is not 32 bytes", path.display())
                    })?,
                    None => {
                        let k = new_refresh_key();
                        file.refresh = Some(b64(&k));
                        save(&file)?;
                        k
                    }
                };
                Ok(PoolKeys::new(
                    SigningKey::from_pkcs8(&der(&file.id)?)?,
                    SigningKey::from_pkcs8(&der(&file.access)?)?,
                    &refresh,
                ))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                common::fs::create_private_dir(dir)
                    .map_err(|e| format!("{}: {e}", dir.display()))?;
                let (id, id_der) = SigningKey::generate();
                let (access, access_der) = SigningKey::generate();
                let refresh = new_refresh_key();
                save(&KeyFile {
                    id: b64(&id_der),
                    access: b64(&access_der),
                    refresh: Some(b64(&refresh)),
                })?;
                Ok(PoolKeys::new(id, access, &refresh))
            }
            Err(e) => Err(format!("{}: {e}", path.display())),
        }
    }

    /// `{"keys": [...]}` as served at `/.well-known/jwks.json`.
    pub fn jwks(&self) -> Json {
        json!({"keys": [self.id.jwk(), self.access.jwk()]})
    }
}

/// Why a token was not accepted.
#[derive(Debug, PartialEq, Eq)]
pub enum TokenError {
    /// Not a JWS, a bad signature, an unknown key, another algorithm, a wrong issuer or use.
    Invalid,
    /// Signed by us, but past `exp`.
    Expired,
}

/// Verifies a token signed by `keys` with the given issuer and `token_use`; returns its claims.
pub fn verify(
    token: &str,
    keys: &PoolKeys,
    issuer: &str,
    token_use: &str,
) -> Result<Json, TokenError> {
    let jws = Jws::parse(token).ok_or(TokenError::Invalid)?;
    if !keys.public.verifies(&jws) {
        return Err(TokenError::Invalid);
    }
    let claims = jws.claims;
    if claims["iss"] != issuer || claims["token_use"] != token_use {
        return Err(TokenError::Invalid);
    }
    match claims["exp"].as_u64() {
        Some(exp) if exp > now_secs() => Ok(claims),
        Some(_) => Err(TokenError::Expired),
        None => Err(TokenError::Invalid),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use common::encoding::b64url;

    fn keys() -> (tempfile::TempDir, PoolKeys) {
        let dir = tempfile::tempdir().expect("tempdir");
        let keys = PoolKeys::load_or_create(dir.path(), "us-east-1_Test").expect("keys");
        (dir, keys)
    }

    #[test]
    fn keys_are_saved_private_and_reload_identically() {
        let (dir, keys) = keys();
        let path = dir.path().join("us-east-1_Test.json");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(&path).expect("file").permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let again = PoolKeys::load_or_create(dir.path(), "us-east-1_Test").expect("reload");
        assert_eq!(again.id.kid(), keys.id.kid());
        assert_ne!(keys.id.kid(), keys.access.kid());
    }

    #[test]
    fn signed_token_verifies_and_tampering_is_caught() {
        let (_d, keys) = keys();
        let claims = json!({"iss": "i", "token_use": "access", "exp": now_secs() + 60, "sub": "a"});
        let t = keys.access.sign(&claims);
        assert_eq!(verify(&t, &keys, "i", "access"), Ok(claims));
        assert_eq!(
            verify(&t, &keys, "other", "access"),
            Err(TokenError::Invalid)
        );
        assert_eq!(verify(&t, &keys, "i", "id"), Err(TokenError::Invalid));
        let mut parts: Vec<&str> = t.split('.').collect();
        let forged = b64url(
            json!({"iss": "i", "token_use": "access", "exp": now_secs() + 60, "sub": "b"})
                .to_string()
                .as_bytes(),
        );
        parts[1] = &forged;
        assert_eq!(
            verify(&parts.join("."), &keys, "i", "access"),
            Err(TokenError::Invalid)
        );
    }

    #[test]
    fn alg_none_and_expired_tokens_are_refused() {
        let (_d, keys) = keys();
        let none = format!(
            "{}.{}.",
            b64url(br#"{"alg":"none"}"#),
            b64url(
                json!({"iss": "i", "token_use": "access", "exp": now_secs() + 60})
                    .to_string()
                    .as_bytes()
            )
        );
        assert_eq!(
            verify(&none, &keys, "i", "access"),
            Err(TokenError::Invalid)
        );
        let old = keys
            .access
            .sign(&json!({"iss": "i", "token_use": "access", "exp": 1}));
        assert_eq!(verify(&old, &keys, "i", "access"), Err(TokenError::Expired));
        assert_eq!(
            verify("garbage", &keys, "i", "access"),
            Err(TokenError::Invalid)
        );
    }

    #[test]
    fn jwks_lists_both_keys() {
        let (_d, keys) = keys();
        let jwks = keys.jwks();
        assert_eq!(jwks["keys"].as_array().map(Vec::len), Some(2));
        assert_eq!(jwks["keys"][0]["e"], "AQAB");
        assert_eq!(jwks["keys"][0]["kty"], "RSA");
    }
}
