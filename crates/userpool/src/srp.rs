//! The server side of Cognito's SRP-6a variant (USER_SRP_AUTH / PASSWORD_VERIFIER).
//!
//! N is the RFC 3526 / RFC 5054 3072-bit MODP prime, g = 2, k = H(pad(N) || pad(g)).
//! `pad(x)` is x big-endian with a 0x00 in front when the top bit is set (the hex form the
//! public clients hash). x = H(pad(salt) || H(poolName || userIdForSrp || ":" || password)),
//! u = H(pad(A) || pad(B)), the session key is HKDF-SHA256(pad(S), pad(u), "Caldera Derived
//! Key") cut to 16 bytes, and the client proves it with
//! HMAC(key, poolName || userIdForSrp || secretBlock || timestamp).

use std::sync::LazyLock;

use num_bigint::BigUint;

use common::digest::sha256;
use common::encoding::b64;
use common::id::random_bytes;

const N_HEX: [&str; 12] = [
    "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74",
    "020BBEA63B139B22514A08798E3404DDEF9519B3CD3A431B302B0A6DF25F1437",
    "4FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED",
    "EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3DC2007CB8A163BF05",
    "98DA48361C55D39A69163FA8FD24CF5F83655D23DCA3AD961C62F356208552BB",
    "9ED529077096966D670C354E4ABC9804F1746C08CA18217C32905E462E36CE3B",
    "E39E772C180E86039B2783A2EC07A28FB5C55DF06F4C52C9DE2BCBF695581718",
    "3995497CEA956AE515D2261898FA051015728E5A8AAAC42DAD33170D04507A33",
    "A85521ABDF1CBA64ECFB850458DBEF0A8AEA71575D060C7DB3970F85A6E1E4C7",
    "ABF5AE8CDB0933D71E8C94E04A25619DCEE3D2261AD2EE6BF12FFA06D98A0864",
    "D87602733EC86A64521F2B18177B200CBBE117577A615D6C770988C0BAD946E2",
    "08E24FA074E5AB3143DB5BFCE0FD108E4B82D120A93AD2CAFFFFFFFFFFFFFFFF",
];

/// The group: N, g and k, computed once.
struct Group {
    n: BigUint,
    g: BigUint,
    k: BigUint,
}

static GROUP: LazyLock<Group> = LazyLock::new(|| {
    let n = BigUint::parse_bytes(N_HEX.concat().as_bytes(), 16).expect("N is valid hex");
    let g = BigUint::from(2u32);
    let k = BigUint::from_bytes_be(&sha256(&[&pad(&n), &pad(&g)]));
    Group { n, g, k }
});

/// x big-endian, with 0x00 in front when its top bit is set.
pub fn pad(x: &BigUint) -> Vec<u8> {
    let mut bytes = x.to_bytes_be();
    if bytes.first().is_some_and(|b| b & 0x80 != 0) {
        bytes.insert(0, 0);
    }
    bytes
}

/// The pool name SRP hashes: the part of the pool id after `_`.
pub fn pool_name(pool_id: &str) -> &str {
    pool_id.split_once('_').map_or(pool_id, |(_, name)| name)
}

/// What is stored for a password so SRP can check it without the password.
#[derive(Debug, Clone)]
pub struct Verifier {
    /// The salt, lower-case hex with no padding ambiguity (first byte 0x01..=0x7f).
    pub salt_hex: String,
    /// v = g^x mod N, lower-case hex.
    pub verifier_hex: String,
}

/// Makes a fresh salt and the verifier for `password`.
pub fn make_verifier(pool_id: &str, user_id_for_srp: &str, password: &str) -> Verifier {
    let mut salt = [0u8; 16];
    random_bytes(&mut salt);
    // A first byte of 0x01..=0x7f hashes the same in every client, whether it pads from the
    // hex string (pycognito) or from the number (amazon-cognito-identity-js).
    salt[0] = (salt[0] & 0x7f).max(1);
    let x = private_key(pool_id, user_id_for_srp, password, &salt);
    let v = GROUP.g.modpow(&x, &GROUP.n);
    Verifier {
        salt_hex: common::encoding::hex(&salt),
        verifier_hex: v.to_str_radix(16),
    }
}

fn private_key(pool_id: &str, user_id_for_srp: &str, password: &str, salt: &[u8]) -> BigUint {
    let inner = sha256(&[
        pool_name(pool_id).as_bytes(),
        user_id_for_srp.as_bytes(),
        b":",
        password.as_bytes(),
    ]);
    let salt = pad(&BigUint::from_bytes_be(salt));
    BigUint::from_bytes_be(&sha256(&[&salt, &inner]))
}

/// The server's half of one SRP exchange, kept between the two calls.
#[derive(Debug, Clone)]
pub struct ServerStep {
    /// The client's public value.
    a: BigUint,
    /// The server's secret.
    b: BigUint,
    /// The server's public value B, lower-case hex (SRP_B).
    pub b_pub_hex: String,
    /// The random block the client signs, base64 (SECRET_BLOCK).
    pub secret_block: String,
}

/// Why an SRP exchange failed.
#[derive(Debug, PartialEq, Eq)]
pub enum SrpError {
    /// SRP_A is not hex, or A mod N is 0.
    BadA,
    /// The stored verifier is unusable.
    BadVerifier,
}

/// First step: takes the client's SRP_A and the stored verifier, answers with B and a secret block.
pub fn server_start(a_hex: &str, verifier: &Verifier) -> Result<ServerStep, SrpError> {
    let group = &*GROUP;
    let a = BigUint::parse_bytes(a_hex.as_bytes(), 16).ok_or(SrpError::BadA)?;
    if (&a % &group.n) == BigUint::ZERO {
        return Err(SrpError::BadA);
    }
    let v =
        BigUint::parse_bytes(verifier.verifier_hex.as_bytes(), 16).ok_or(SrpError::BadVerifier)?;
    let (b, b_pub) = loop {
        let mut secret = [0u8; 128];
        random_bytes(&mut secret);
        let b = BigUint::from_bytes_be(&secret) % &group.n;
        let b_pub = (&group.k * &v + group.g.modpow(&b, &group.n)) % &group.n;
        if b_pub != BigUint::ZERO {
            break (b, b_pub);
        }
    };
    let mut block = [0u8; 64];
    random_bytes(&mut block);
    Ok(ServerStep {
        a,
        b,
        b_pub_hex: b_pub.to_str_radix(16),
        secret_block: b64(&block),
    })
}

/// Second step: the 16-byte key both sides derive.
pub fn session_key(step: &ServerStep, verifier: &Verifier) -> Result<[u8; 16], SrpError> {
    let group = &*GROUP;
    let v =
        BigUint::parse_bytes(verifier.verifier_hex.as_bytes(), 16).ok_or(SrpError::BadVerifier)?;
    let b_pub = BigUint::parse_bytes(step.b_pub_hex.as_bytes(), 16).ok_or(SrpError::BadVerifier)?;
    let u = BigUint::from_bytes_be(&sha256(&[&pad(&step.a), &pad(&b_pub)]));
    if u == BigUint::ZERO {
        return Err(SrpError::BadA);
    }
    let s = (&step.a * v.modpow(&u, &group.n)).modpow(&step.b, &group.n);
    Ok(hkdf16(&pad(&s), &pad(&u)))
}

/// HKDF-SHA256 with Cognito's info string, cut to 16 bytes.
fn hkdf16(ikm: &[u8], salt: &[u8]) -> [u8; 16] {
    use aws_lc_rs::hkdf::{HKDF_SHA256, KeyType, Salt};
    struct Len16;
    impl KeyType for Len16 {
        fn len(&self) -> usize {
            16
        }
    }
    let mut out = [0u8; 16];
    Salt::new(HKDF_SHA256, salt)
        .extract(ikm)
        .expand(&[b"Caldera Derived Key"], Len16)
        .and_then(|okm| okm.fill(&mut out))
        .expect("16 bytes is a valid HKDF-SHA256 output length");
    out
}

/// The signature the client must send as PASSWORD_CLAIM_SIGNATURE (raw bytes).
pub fn expected_signature(
    key: &[u8; 16],
    pool_id: &str,
    user_id_for_srp: &str,
    secret_block: &[u8],
    timestamp: &str,
) -> [u8; 32] {
    common::digest::hmac_sha256(
        key,
        &[
            pool_name(pool_id).as_bytes(),
            user_id_for_srp.as_bytes(),
            secret_block,
            timestamp.as_bytes(),
        ],
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A client written from the protocol description (as pycognito computes it), to check the
    /// server against; the conformance tests check it against real clients too.
    fn client_signature(
        pool_id: &str,
        user: &str,
        password: &str,
        step_b_hex: &str,
        salt_hex: &str,
        secret_block_b64: &str,
        timestamp: &str,
    ) -> ([u8; 32], BigUint) {
        let g = &*GROUP;
        let mut a_secret = [0u8; 128];
        random_bytes(&mut a_secret);
        let a = BigUint::from_bytes_be(&a_secret) % &g.n;
        let a_pub = g.g.modpow(&a, &g.n);
        let b_pub = BigUint::parse_bytes(step_b_hex.as_bytes(), 16).expect("hex");
        let u = BigUint::from_bytes_be(&sha256(&[&pad(&a_pub), &pad(&b_pub)]));
        let salt = BigUint::parse_bytes(salt_hex.as_bytes(), 16)
            .expect("hex")
            .to_bytes_be();
        let x = private_key(pool_id, user, password, &salt);
        let gx = g.g.modpow(&x, &g.n);
        let base = (&b_pub + &g.n * &g.k - (&g.k * gx) % &g.n) % &g.n;
        let s = base.modpow(&(a + &u * x), &g.n);
        let key = hkdf16(&pad(&s), &pad(&u));
        let block = common::encoding::b64_decode(secret_block_b64).expect("b64");
        (
            expected_signature(&key, pool_id, user, &block, timestamp),
            a_pub,
        )
    }

    #[test]
    fn k_matches_the_published_value_for_the_3072_bit_group() {
        // H(pad(N) || pad(g)) for RFC 5054's 3072-bit group, as Cognito's clients hard-code it.
        let k = GROUP.k.to_str_radix(16);
        assert_eq!(
            k,
            "538282c4354742d7cbbde2359fcf67f9f5b3a6b08791e5011b43b8a5b66d9ee6"
        );
    }

    #[test]
    fn right_password_yields_the_same_key_on_both_sides() {
        let pool = "us-east-1_AbCdEfGhI";
        let v = make_verifier(pool, "user-1", "Testing1");
        // The client goes first: it needs B, so run the exchange in protocol order.
        let g = &*GROUP;
        let mut a_secret = [0u8; 128];
        random_bytes(&mut a_secret);
        let a = BigUint::from_bytes_be(&a_secret) % &g.n;
        let a_pub = g.g.modpow(&a, &g.n);
        let step = server_start(&a_pub.to_str_radix(16), &v).expect("A is valid");
        let server_key = session_key(&step, &v).expect("key");
        let b_pub = BigUint::parse_bytes(step.b_pub_hex.as_bytes(), 16).expect("hex");
        let u = BigUint::from_bytes_be(&sha256(&[&pad(&a_pub), &pad(&b_pub)]));
        let salt = BigUint::parse_bytes(v.salt_hex.as_bytes(), 16)
            .expect("hex")
            .to_bytes_be();
        let x = private_key(pool, "user-1", "Testing1", &salt);
        let gx = g.g.modpow(&x, &g.n);
        let base = (&b_pub + &g.n * &g.k - (&g.k * gx) % &g.n) % &g.n;
        let s = base.modpow(&(a + &u * x), &g.n);
        assert_eq!(hkdf16(&pad(&s), &pad(&u)), server_key);
    }

    #[test]
    fn wrong_password_yields_a_different_signature() {
        let pool = "us-east-1_AbCdEfGhI";
        let v = make_verifier(pool, "user-1", "Testing1");
        let ts = "Mon Jan 2 15:04:05 UTC 2006";
        // Build the server step from the client's A.
        let (_, a_pub) = client_signature(pool, "user-1", "x", "2", &v.salt_hex, "AAAA", ts);
        let step = server_start(&a_pub.to_str_radix(16), &v).expect("A");
        let key = session_key(&step, &v).expect("key");
        let block = common::encoding::b64_decode(&step.secret_block).expect("b64");
        let expected = expected_signature(&key, pool, "user-1", &block, ts);
        // A client with another random a and the wrong password cannot produce it.
        let (sig, _) = client_signature(
            pool,
            "user-1",
            "Wrong1",
            &step.b_pub_hex,
            &v.salt_hex,
            &step.secret_block,
            ts,
        );
        assert_ne!(sig, expected);
    }

    #[test]
    fn a_that_is_zero_mod_n_is_refused() {
        let v = make_verifier("us-east-1_X", "u", "p");
        assert_eq!(server_start("0", &v).err(), Some(SrpError::BadA));
        let n_hex = N_HEX.concat();
        assert_eq!(server_start(&n_hex, &v).err(), Some(SrpError::BadA));
        assert_eq!(server_start("zz", &v).err(), Some(SrpError::BadA));
    }

    #[test]
    fn salt_never_needs_padding() {
        for _ in 0..64 {
            let v = make_verifier("us-east-1_X", "u", "p");
            let first = u8::from_str_radix(&v.salt_hex[..2], 16).expect("hex");
            assert!((1..=0x7f).contains(&first));
        }
    }
}
