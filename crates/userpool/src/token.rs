//! Signing keys and JWTs: RS256 tokens as Cognito issues them, the JWKS that verifies them,
//! and verification of the pool's own access tokens (GetUser, ChangePassword, ...).
//!
//! Each pool has two RSA-2048 keys, one for ID tokens and one for access tokens, parsed once
//! and kept in memory; on disk they are PKCS#8 in `keys/<poolId>.json`, mode 0600.

use std::fs::{self, OpenOptions};
use std::io::Write;
use std::path::Path;

use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rsa::KeySize;
use aws_lc_rs::signature::{self, KeyPair, RsaKeyPair, UnparsedPublicKey};
use serde::{Deserialize, Serialize};
use serde_json::{Value as Json, json};

use crate::util::{b64, b64_decode, b64url, b64url_decode, now_secs, sha256};

/// One RSA signing key with everything derived from it computed once.
#[derive(Debug)]
pub struct SigningKey {
    /// `kid` in token headers and the JWKS.
    pub kid: String,
    pair: RsaKeyPair,
    /// The public key, PKCS#1 DER, for verification.
    public_der: Vec<u8>,
    /// base64url of `{"kid":…,"alg":"RS256"}`, the same for every token.
    header_b64: String,
    /// JWKS `n` and `e`.
    n: String,
    e: String,
}

impl SigningKey {
    fn from_pkcs8(der: &[u8]) -> Result<Self, String> {
        let pair = RsaKeyPair::from_pkcs8(der).map_err(|e| format!("bad signing key: {e}"))?;
        let public = pair.public_key();
        let public_der = public.as_ref().to_vec();
        let n = public.modulus().big_endian_without_leading_zero().to_vec();
        let e = public.exponent().big_endian_without_leading_zero().to_vec();
        let kid = b64(&sha256(&[&public_der]));
        let header = json!({"kid": kid, "alg": "RS256"}).to_string();
        Ok(SigningKey {
            header_b64: b64url(header.as_bytes()),
            kid,
            pair,
            public_der,
            n: b64url(&n),
            e: b64url(&e),
        })
    }

    fn generate() -> (Self, Vec<u8>) {
        let pair = RsaKeyPair::generate(KeySize::Rsa2048).expect("RSA-2048 key generation");
        let der = pair.as_der().expect("PKCS#8 export").as_ref().to_vec();
        let key = Self::from_pkcs8(&der).expect("a key just generated parses");
        (key, der)
    }

    /// Signs `claims` into a compact JWS.
    pub fn sign(&self, claims: &Json) -> String {
        let payload = b64url(claims.to_string().as_bytes());
        let mut token = String::with_capacity(self.header_b64.len() + payload.len() + 344 + 2);
        token.push_str(&self.header_b64);
        token.push('.');
        token.push_str(&payload);
        let mut sig = vec![0u8; self.pair.public_modulus_len()];
        self.pair
            .sign(
                &signature::RSA_PKCS1_SHA256,
                &aws_lc_rs::rand::SystemRandom::new(),
                token.as_bytes(),
                &mut sig,
            )
            .expect("signing with a valid key and buffer");
        token.push('.');
        token.push_str(&b64url(&sig));
        token
    }

    /// This key as a JWK.
    pub fn jwk(&self) -> Json {
        json!({"alg": "RS256", "e": self.e, "kid": self.kid, "kty": "RSA", "n": self.n, "use": "sig"})
    }

    /// Whether `sig` is this key's RS256 signature of `message`.
    pub fn verifies(&self, message: &[u8], sig: &[u8]) -> bool {
        UnparsedPublicKey::new(&signature::RSA_PKCS1_2048_8192_SHA256, &self.public_der)
            .verify(message, sig)
            .is_ok()
    }
}

/// A pool's two keys.
#[derive(Debug)]
pub struct PoolKeys {
    /// Signs ID tokens.
    pub id: SigningKey,
    /// Signs access tokens.
    pub access: SigningKey,
}

#[derive(Serialize, Deserialize)]
struct KeyFile {
    id: String,
    access: String,
}

impl PoolKeys {
    /// Reads the pool's keys from `dir`, or makes and saves new ones (mode 0600).
    pub fn load_or_create(dir: &Path, pool_id: &str) -> Result<PoolKeys, String> {
        let path = dir.join(format!("{pool_id}.json"));
        match fs::read(&path) {
            Ok(bytes) => {
                let file: KeyFile = serde_json::from_slice(&bytes)
                    .map_err(|e| format!("{}: not a key file: {e}", path.display()))?;
                let der = |s: &str| b64_decode(s).ok_or(format!("{}: bad base64", path.display()));
                Ok(PoolKeys {
                    id: SigningKey::from_pkcs8(&der(&file.id)?)?,
                    access: SigningKey::from_pkcs8(&der(&file.access)?)?,
                })
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
                Ok(PoolKeys { id, access })
            }
            Err(e) => Err(format!("{}: {e}", path.display())),
        }
    }

    /// `{"keys": [...]}` as served at `/.well-known/jwks.json`.
    pub fn jwks(&self) -> Json {
        json!({"keys": [self.id.jwk(), self.access.jwk()]})
    }

    /// The key with `kid`, if it is one of this pool's.
    pub fn by_kid(&self, kid: &str) -> Option<&SigningKey> {
        [&self.id, &self.access].into_iter().find(|k| k.kid == kid)
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
    let mut parts = token.split('.');
    let (Some(h), Some(p), Some(s), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(TokenError::Invalid);
    };
    let header: Json = b64url_decode(h)
        .and_then(|b| serde_json::from_slice(&b).ok())
        .ok_or(TokenError::Invalid)?;
    if header["alg"] != "RS256" {
        return Err(TokenError::Invalid);
    }
    let key = header["kid"]
        .as_str()
        .and_then(|kid| keys.by_kid(kid))
        .ok_or(TokenError::Invalid)?;
    let sig = b64url_decode(s).ok_or(TokenError::Invalid)?;
    if !key.verifies(&token.as_bytes()[..h.len() + 1 + p.len()], &sig) {
        return Err(TokenError::Invalid);
    }
    let claims: Json = b64url_decode(p)
        .and_then(|b| serde_json::from_slice(&b).ok())
        .ok_or(TokenError::Invalid)?;
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
        assert_eq!(again.id.kid, keys.id.kid);
        assert_ne!(keys.id.kid, keys.access.kid);
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
