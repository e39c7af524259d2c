//! JSON Web Tokens as Cognito issues them: a compact JWS split into its header, claims and
//! signature (the one parser the pool and the gateway share), and, with the `crypto`
//! feature, RS256 public keys and key sets (a JWKS) that verify them.

use serde_json::Value as Json;

use crate::encoding::b64url_decode;

/// A compact JWS (`header.claims.signature`), decoded but not verified.
#[derive(Debug)]
pub struct Jws<'a> {
    /// The protected header (`alg`, `kid`).
    pub header: Json,
    /// The payload's claims.
    pub claims: Json,
    /// `header.claims` as sent: what the signature covers.
    signing_input: &'a str,
    /// The raw signature.
    signature: Vec<u8>,
}

impl<'a> Jws<'a> {
    /// Splits and decodes `token`; `None` when it is not three base64url parts of which the
    /// first two are JSON objects.
    pub fn parse(token: &'a str) -> Option<Jws<'a>> {
        let mut parts = token.split('.');
        let (Some(h), Some(p), Some(s), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return None;
        };
        let header = object(h)?;
        let claims = object(p)?;
        let signature = b64url_decode(s)?;
        Some(Jws {
            header,
            claims,
            signing_input: &token[..h.len() + 1 + p.len()],
            signature,
        })
    }

    /// The header's `alg`.
    pub fn alg(&self) -> &str {
        self.header["alg"].as_str().unwrap_or_default()
    }

    /// The header's `kid`.
    pub fn kid(&self) -> Option<&str> {
        self.header["kid"].as_str()
    }

    /// What the signature covers.
    pub fn signing_input(&self) -> &[u8] {
        self.signing_input.as_bytes()
    }

    /// The signature's bytes.
    pub fn signature(&self) -> &[u8] {
        &self.signature
    }
}

fn object(part: &str) -> Option<Json> {
    let v: Json = serde_json::from_slice(&b64url_decode(part)?).ok()?;
    v.is_object().then_some(v)
}

/// The claims of a token without checking anything else: for finding which issuer's keys to
/// verify it with.
pub fn peek_claims(token: &str) -> Option<Json> {
    object(token.split('.').nth(1)?)
}

#[cfg(feature = "crypto")]
pub use keys::{JweKey, KeySet, PublicKey, SigningKey};

#[cfg(feature = "crypto")]
mod keys {
    use aws_lc_rs::encoding::AsDer;
    use aws_lc_rs::rsa::KeySize;
    use aws_lc_rs::signature::{
        self, KeyPair, RsaKeyPair, RsaPublicKeyComponents, UnparsedPublicKey,
    };
    use serde_json::{Value as Json, json};

    use super::Jws;
    use crate::digest::sha256;
    use crate::encoding::{b64, b64url, b64url_decode};

    /// An RSA private key that signs RS256 tokens, with everything derived from it computed
    /// once: its `kid`, its JWT header, its public key and JWK.
    #[derive(Debug)]
    pub struct SigningKey {
        pair: RsaKeyPair,
        /// base64url of `{"kid":…,"alg":"RS256"}`, the same for every token.
        header_b64: String,
        /// The public half, for verification.
        public: PublicKey,
        /// JWKS `n` and `e`.
        n: String,
        e: String,
    }

    impl SigningKey {
        /// A key from its PKCS#8 DER; the `kid` is the base64 SHA-256 of the public key.
        pub fn from_pkcs8(der: &[u8]) -> Result<SigningKey, String> {
            let pair = RsaKeyPair::from_pkcs8(der).map_err(|e| format!("bad signing key: {e}"))?;
            let public = pair.public_key();
            let public_der = public.as_ref().to_vec();
            let n = public.modulus().big_endian_without_leading_zero().to_vec();
            let e = public.exponent().big_endian_without_leading_zero().to_vec();
            let kid = b64(&sha256(&[&public_der]));
            let header = json!({"kid": kid, "alg": "RS256"}).to_string();
            Ok(SigningKey {
                header_b64: b64url(header.as_bytes()),
                public: PublicKey::from_der(kid, public_der),
                pair,
                n: b64url(&n),
                e: b64url(&e),
            })
        }

        /// A new RSA-2048 key and its PKCS#8 DER (to save).
        pub fn generate() -> (SigningKey, Vec<u8>) {
            let pair = RsaKeyPair::generate(KeySize::Rsa2048).expect("RSA-2048 key generation");
            let der = pair.as_der().expect("PKCS#8 export").as_ref().to_vec();
            let key = SigningKey::from_pkcs8(&der).expect("a key just generated parses");
            (key, der)
        }

        /// `kid`.
        pub fn kid(&self) -> &str {
            &self.public.kid
        }

        /// The public half.
        pub fn public(&self) -> &PublicKey {
            &self.public
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
            json!({"alg": "RS256", "e": self.e, "kid": self.public.kid, "kty": "RSA", "n": self.n, "use": "sig"})
        }
    }

    /// One RS256 verification key.
    #[derive(Debug, Clone)]
    pub struct PublicKey {
        /// `kid`.
        pub kid: String,
        form: Form,
    }

    #[derive(Debug, Clone)]
    enum Form {
        /// PKCS#1 `RSAPublicKey` DER (our own keys).
        Der(Vec<u8>),
        /// Modulus and exponent, big-endian (a JWK from elsewhere).
        Components { n: Vec<u8>, e: Vec<u8> },
    }

    impl PublicKey {
        /// A key from its PKCS#1 DER.
        pub fn from_der(kid: impl Into<String>, der: Vec<u8>) -> PublicKey {
            PublicKey {
                kid: kid.into(),
                form: Form::Der(der),
            }
        }

        /// A key from a JWK (`kty: RSA`, `n`, `e`, `kid`); `None` for any other kind of key.
        pub fn from_jwk(jwk: &Json) -> Option<PublicKey> {
            if jwk["kty"] != "RSA" || jwk.get("alg").is_some_and(|a| a != "RS256") {
                return None;
            }
            Some(PublicKey {
                kid: jwk["kid"].as_str()?.to_string(),
                form: Form::Components {
                    n: b64url_decode(jwk["n"].as_str()?)?,
                    e: b64url_decode(jwk["e"].as_str()?)?,
                },
            })
        }

        /// Whether `sig` is this key's RS256 signature of `message`.
        pub fn verifies(&self, message: &[u8], sig: &[u8]) -> bool {
            let alg = &signature::RSA_PKCS1_2048_8192_SHA256;
            match &self.form {
                Form::Der(der) => UnparsedPublicKey::new(alg, der)
                    .verify(message, sig)
                    .is_ok(),
                Form::Components { n, e } => RsaPublicKeyComponents { n, e }
                    .verify(alg, message, sig)
                    .is_ok(),
            }
        }
    }

    /// A symmetric key that seals and opens compact JWEs (`alg: dir`, `enc: A256GCM`): tokens
    /// only their issuer can read, such as Cognito's refresh tokens.
    pub struct JweKey(aws_lc_rs::aead::LessSafeKey);

    impl std::fmt::Debug for JweKey {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("JweKey(..)")
        }
    }

    /// The protected header of every JWE this key seals.
    const JWE_HEADER: &str = r#"{"cty":"JWT","enc":"A256GCM","alg":"dir"}"#;

    impl JweKey {
        /// A key from its 32 bytes.
        pub fn new(bytes: &[u8; 32]) -> JweKey {
            let key = aws_lc_rs::aead::UnboundKey::new(&aws_lc_rs::aead::AES_256_GCM, bytes)
                .expect("32 bytes make an AES-256 key");
            JweKey(aws_lc_rs::aead::LessSafeKey::new(key))
        }

        /// `payload` sealed into `header..iv.ciphertext.tag` (the key is the content key, so
        /// the encrypted-key part is empty).
        pub fn seal(&self, payload: &[u8]) -> String {
            use aws_lc_rs::aead::{Aad, Nonce};
            let header = b64url(JWE_HEADER.as_bytes());
            let mut iv = [0u8; 12];
            crate::id::random_bytes(&mut iv);
            let mut data = payload.to_vec();
            let tag = self
                .0
                .seal_in_place_separate_tag(
                    Nonce::assume_unique_for_key(iv),
                    Aad::from(header.as_bytes()),
                    &mut data,
                )
                .expect("AES-GCM seals any payload under 64 GiB");
            format!(
                "{header}..{}.{}.{}",
                b64url(&iv),
                b64url(&data),
                b64url(tag.as_ref())
            )
        }

        /// The payload of a JWE this key sealed; `None` for anything else (another key, a
        /// changed byte, not a JWE).
        pub fn open(&self, token: &str) -> Option<Vec<u8>> {
            use aws_lc_rs::aead::{Aad, Nonce};
            let mut parts = token.split('.');
            let (Some(header), Some(""), Some(iv), Some(data), Some(tag), None) = (
                parts.next(),
                parts.next(),
                parts.next(),
                parts.next(),
                parts.next(),
                parts.next(),
            ) else {
                return None;
            };
            let iv: [u8; 12] = b64url_decode(iv)?.try_into().ok()?;
            let mut sealed = b64url_decode(data)?;
            sealed.extend(b64url_decode(tag)?);
            let plain = self
                .0
                .open_in_place(
                    Nonce::assume_unique_for_key(iv),
                    Aad::from(header.as_bytes()),
                    &mut sealed,
                )
                .ok()?;
            Some(plain.to_vec())
        }
    }

    /// An issuer's keys, by `kid`.
    #[derive(Debug, Clone, Default)]
    pub struct KeySet {
        keys: Vec<PublicKey>,
    }

    impl KeySet {
        /// A set of `keys`.
        pub fn new(keys: Vec<PublicKey>) -> KeySet {
            KeySet { keys }
        }

        /// The RSA keys of a JWKS document (`{"keys": [...]}`); other keys are skipped.
        pub fn from_jwks(jwks: &Json) -> KeySet {
            let keys = jwks["keys"]
                .as_array()
                .map(|list| list.iter().filter_map(PublicKey::from_jwk).collect())
                .unwrap_or_default();
            KeySet { keys }
        }

        /// How many keys.
        pub fn len(&self) -> usize {
            self.keys.len()
        }

        /// Whether there are none.
        pub fn is_empty(&self) -> bool {
            self.keys.is_empty()
        }

        /// The key with `kid`.
        pub fn by_kid(&self, kid: &str) -> Option<&PublicKey> {
            self.keys.iter().find(|k| k.kid == kid)
        }

        /// Whether `jws` is RS256 and signed by one of these keys (found by its `kid`).
        pub fn verifies(&self, jws: &Jws<'_>) -> bool {
            jws.alg() == "RS256"
                && jws
                    .kid()
                    .and_then(|kid| self.by_kid(kid))
                    .is_some_and(|k| k.verifies(jws.signing_input(), jws.signature()))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::encoding::b64url;

    #[cfg(feature = "crypto")]
    #[test]
    fn a_sealed_jwe_opens_with_its_key_only_and_not_when_changed() {
        let key = JweKey::new(&[7; 32]);
        let token = key.seal(br#"{"jti":"a"}"#);
        assert_eq!(token.split('.').count(), 5, "compact JWE: five parts");
        assert_eq!(key.open(&token).as_deref(), Some(&br#"{"jti":"a"}"#[..]));
        assert_ne!(token, key.seal(br#"{"jti":"a"}"#), "a fresh IV each time");
        assert!(JweKey::new(&[8; 32]).open(&token).is_none(), "another key");
        let mut parts: Vec<String> = token.split('.').map(str::to_string).collect();
        let mut data = b64url_decode(&parts[3]).expect("b64");
        data[0] ^= 1;
        parts[3] = b64url(&data);
        assert!(key.open(&parts.join(".")).is_none(), "a changed byte");
        assert!(key.open("a.b.c").is_none());
    }

    #[cfg(feature = "crypto")]
    #[test]
    fn a_signed_token_verifies_through_the_jwks_and_tampering_is_caught() {
        let (key, _) = SigningKey::generate();
        let token = key.sign(&serde_json::json!({"sub": "a"}));
        let jwks = serde_json::json!({"keys": [key.jwk()]});
        let from_jwks = KeySet::from_jwks(&jwks);
        let from_der = KeySet::new(vec![key.public().clone()]);
        for set in [&from_jwks, &from_der] {
            assert!(set.verifies(&Jws::parse(&token).expect("a JWS")));
        }
        let forged = format!(
            "{}.{}.{}",
            token.split('.').next().expect("header"),
            b64url(br#"{"sub":"b"}"#),
            token.rsplit('.').next().expect("signature")
        );
        assert!(!from_jwks.verifies(&Jws::parse(&forged).expect("a JWS")));
        let (other, _) = SigningKey::generate();
        assert!(
            !KeySet::new(vec![other.public().clone()])
                .verifies(&Jws::parse(&token).expect("a JWS"))
        );
    }

    fn part(v: &str) -> String {
        b64url(v.as_bytes())
    }

    #[test]
    fn a_compact_jws_splits_into_its_parts() {
        let token = format!(
            "{}.{}.{}",
            part(r#"{"alg":"RS256","kid":"k"}"#),
            part(r#"{"iss":"i"}"#),
            b64url(b"sig")
        );
        let jws = Jws::parse(&token).expect("a JWS");
        assert_eq!((jws.alg(), jws.kid()), ("RS256", Some("k")));
        assert_eq!(jws.claims["iss"], "i");
        assert_eq!(jws.signature(), b"sig");
        assert_eq!(
            jws.signing_input(),
            token.rsplit_once('.').expect("dot").0.as_bytes()
        );
        assert_eq!(peek_claims(&token).expect("claims")["iss"], "i");
    }

    #[test]
    fn anything_else_is_not_a_jws() {
        let h = part(r#"{"alg":"RS256"}"#);
        for bad in [
            String::new(),
            "garbage".into(),
            format!("{h}.{h}"),
            format!("{h}.{h}.{h}.{h}"),
            format!("{h}.{}.", part("[1]")),
            format!("{h}.not-base64!.x"),
            format!("{}.{h}.", part("null")),
        ] {
            assert!(Jws::parse(&bad).is_none(), "{bad}");
        }
    }
}
