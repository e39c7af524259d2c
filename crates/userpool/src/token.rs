//! Signing keys and JWTs: RS256 tokens as Cognito issues them, the JWKS that verifies them,
//! and verification of the pool's own access tokens (GetUser, ChangePassword, ...).
//!
//! Each pool has two RSA-2048 keys, one for ID tokens and one for access tokens, parsed once
//! and kept in memory; on disk they are PKCS#8 in `keys/<poolId>.json`, mode 0600.

use std::fs::{self, OpenOptions};
use std::io::Write;
use std::path::Path;
use std::sync::Arc;

use common::date::now_secs;
use common::encoding::{b64, b64_decode};
pub use common::jwt::SigningKey;
use common::jwt::{Jws, KeySet};
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
}

#[derive(Serialize, Deserialize)]
struct KeyFile {
    id: String,
    access: String,
}

impl PoolKeys {
    fn new(id: SigningKey, access: SigningKey) -> PoolKeys {
        let public = Arc::new(KeySet::new(vec![
            id.public().clone(),
            access.public().clone(),
        ]));
        PoolKeys { id, access, public }
    }

    /// Reads the pool's keys from `dir`, or makes and saves new ones (mode 0600).
    pub fn load_or_create(dir: &Path, pool_id: &str) -> Result<PoolKeys, String> {
        let path = dir.join(format!("{pool_id}.json"));
        match fs::read(&path) {
            Ok(bytes) => {
                let file: KeyFile = serde_json::from_slice(&bytes)
                    .map_err(|e| format!("{}: not a key file: {e}", path.display()))?;
                let der = |s: &str| b64_decode(s).ok_or(format!("{}: bad base64", path.display()));
                Ok(PoolKeys::new(
                    SigningKey::from_pkcs8(&der(&file.id)?)?,
                    SigningKey::from_pkcs8(&der(&file.access)?)?,
                ))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                create_private_dir(dir)?;
                let (id, id_der) = SigningKey::generate();
                let (access, access_der) = SigningKey::generate();
                let file = KeyFile {
                    id: b64(&id_der),
                    access: b64(&access_der),
                };
                let text = serde_json::to_vec(&file).expect("serializing strings");
                write_private(&path, &text)?;
                Ok(PoolKeys::new(id, access))
            }
            Err(e) => Err(format!("{}: {e}", path.display())),
        }
    }

    /// `{"keys": [...]}` as served at `/.well-known/jwks.json`.
    pub fn jwks(&self) -> Json {
        json!({"keys": [self.id.jwk(), self.access.jwk()]})
    }
}

fn create_private_dir(dir: &Path) -> Result<(), String> {
    fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(dir, fs::Permissions::from_mode(0o700))
            .map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    Ok(())
}

/// Writes a secret file that is never readable by others, not even for a moment.
fn write_private(path: &Path, bytes: &[u8]) -> Result<(), String> {
    let tmp = path.with_extension("tmp");
    let mut opts = OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts
        .open(&tmp)
        .map_err(|e| format!("{}: {e}", tmp.display()))?;
    f.write_all(bytes)
        .and_then(|()| f.sync_all())
        .map_err(|e| format!("{}: {e}", tmp.display()))?;
    fs::rename(&tmp, path).map_err(|e| format!("{}: {e}", path.display()))
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
