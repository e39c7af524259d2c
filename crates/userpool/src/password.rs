//! Passwords: argon2id hashes, the pool's policy with Cognito's messages, and generated
//! temporary passwords that meet the policy.
//!
//! Hashing and checking cost tens of milliseconds by design; callers run them off the async
//! threads (the service runs every operation on the blocking pool).

use argon2::password_hash::{Output, ParamsString, PasswordHash, SaltString};
use argon2::{ARGON2ID_IDENT, Algorithm, Argon2, Block, Params, Version};
use serde::{Deserialize, Serialize};

use crate::error::CognitoError;
use common::id::{random_bytes, random_string};

/// `Policies.PasswordPolicy`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PasswordPolicy {
    /// 6-99.
    pub minimum_length: u32,
    /// At least one upper-case letter.
    pub require_uppercase: bool,
    /// At least one lower-case letter.
    pub require_lowercase: bool,
    /// At least one digit.
    pub require_numbers: bool,
    /// At least one of Cognito's symbols.
    pub require_symbols: bool,
    /// Days a temporary password stays valid.
    pub temporary_password_validity_days: u32,
}

impl Default for PasswordPolicy {
    /// Cognito's policy for a pool that sets none.
    fn default() -> Self {
        PasswordPolicy {
            minimum_length: 8,
            require_uppercase: true,
            require_lowercase: true,
            require_numbers: true,
            require_symbols: true,
            temporary_password_validity_days: 7,
        }
    }
}

/// The characters Cognito counts as symbols.
pub const SYMBOLS: &str = "^$*.[]{}()?\"!@#%&/\\,><':;|_~`=+- ";

impl PasswordPolicy {
    /// Checks a password, answering as Cognito does.
    pub fn check(&self, password: &str) -> Result<(), CognitoError> {
        let fail = |why: &str| {
            Err(CognitoError::new(
                crate::error::ErrorKind::InvalidPassword,
                format!("Password did not conform with policy: {why}"),
            ))
        };
        if password.chars().count() < self.minimum_length as usize {
            return fail("Password not long enough");
        }
        if self.require_uppercase && !password.chars().any(|c| c.is_ascii_uppercase()) {
            return fail("Password must have uppercase characters");
        }
        if self.require_lowercase && !password.chars().any(|c| c.is_ascii_lowercase()) {
            return fail("Password must have lowercase characters");
        }
        if self.require_numbers && !password.chars().any(|c| c.is_ascii_digit()) {
            return fail("Password must have numeric characters");
        }
        if self.require_symbols && !password.chars().any(|c| SYMBOLS.contains(c)) {
            return fail("Password must have symbol characters");
        }
        Ok(())
    }

    /// A random password that meets the policy (a symbol only when the policy asks for one,
    /// so it can be pasted into a shell).
    pub fn generate(&self) -> String {
        let len = (self.minimum_length as usize).max(12);
        let mut chars: Vec<char> = Vec::with_capacity(len);
        chars.extend(random_string(b"ABCDEFGHJKLMNPQRSTUVWXYZ", 1).chars());
        chars.extend(random_string(b"abcdefghijkmnopqrstuvwxyz", 1).chars());
        chars.extend(random_string(b"23456789", 1).chars());
        if self.require_symbols {
            chars.extend(random_string(b"!#%+-.=^_", 1).chars());
        }
        let rest = len - chars.len();
        chars.extend(
            random_string(
                b"ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789",
                rest,
            )
            .chars(),
        );
        // Shuffle so the classes are not always in the same places.
        let mut noise = vec![0u8; chars.len()];
        random_bytes(&mut noise);
        for i in (1..chars.len()).rev() {
            chars.swap(i, noise[i] as usize % (i + 1));
        }
        chars.into_iter().collect()
    }
}

/// One of OWASP's equivalent argon2id settings: 7 MiB, 5 passes, 1 lane (the lowest memory of
/// them keeps the server small when several sign-ins hash at once).
fn params() -> Params {
    Params::new(7 * 1024, 5, 1, None).expect("static argon2 parameters are valid")
}

fn argon2(params: Params) -> Argon2<'static> {
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Argon2's working memory: one 7 MiB buffer per core, made on first use and then reused. So at
/// most one computation per core runs at a time (more would only queue for the CPU while each
/// held its memory), and the memory stays the same few buffers instead of piling up as freed
/// 7 MiB chunks in the allocator's per-thread arenas (which took the server from ~12 MB to
/// ~55 MB after a handful of sign-ups).
struct Memory {
    free: std::sync::Mutex<(Vec<Vec<Block>>, usize)>,
    freed: std::sync::Condvar,
    limit: usize,
}

static MEMORY: std::sync::LazyLock<Memory> = std::sync::LazyLock::new(|| Memory {
    free: std::sync::Mutex::new((Vec::new(), 0)),
    freed: std::sync::Condvar::new(),
    limit: std::thread::available_parallelism().map_or(2, std::num::NonZeroUsize::get),
});

/// A buffer taken from [`MEMORY`], given back when dropped.
struct Lease(Option<Vec<Block>>);

impl Drop for Lease {
    fn drop(&mut self) {
        if let Some(buf) = self.0.take() {
            let m = &*MEMORY;
            m.free
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .0
                .push(buf);
            m.freed.notify_one();
        }
    }
}

fn lease() -> Lease {
    let m = &*MEMORY;
    let mut free = m
        .free
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    loop {
        if let Some(buf) = free.0.pop() {
            return Lease(Some(buf));
        }
        if free.1 < m.limit {
            free.1 += 1;
            return Lease(Some(vec![Block::default(); params().block_count()]));
        }
        free = m
            .freed
            .wait(free)
            .unwrap_or_else(std::sync::PoisonError::into_inner);
    }
}

/// The raw argon2id output for `password` and `salt` under `params`, in leased memory (or, for
/// a hash made with more memory than ours, memory of its own).
fn compute(params: Params, password: &[u8], salt: &[u8], out: &mut [u8]) -> bool {
    let mut lease = lease();
    let buf = lease
        .0
        .as_mut()
        .expect("a lease holds its buffer until dropped");
    let need = params.block_count();
    let hasher = argon2(params);
    if need <= buf.len() {
        hasher.hash_password_into_with_memory(password, salt, out, &mut buf[..need])
    } else {
        hasher.hash_password_into(password, salt, out)
    }
    .is_ok()
}

/// An argon2id PHC string for `password`.
pub fn hash(password: &str) -> String {
    let mut salt = [0u8; 16];
    random_bytes(&mut salt);
    let params = params();
    let mut out = [0u8; Params::DEFAULT_OUTPUT_LEN];
    assert!(
        compute(params.clone(), password.as_bytes(), &salt, &mut out),
        "hashing with valid parameters does not fail"
    );
    let salt = SaltString::encode_b64(&salt).expect("16 bytes is a valid salt");
    PasswordHash {
        algorithm: ARGON2ID_IDENT,
        version: Some(Version::V0x13.into()),
        params: ParamsString::try_from(&params).expect("argon2 parameters encode"),
        salt: Some(salt.as_salt()),
        hash: Some(Output::new(&out).expect("32 bytes is a valid output")),
    }
    .to_string()
}

/// Whether `password` matches the stored PHC string; a malformed hash never matches.
pub fn verify(password: &str, phc: &str) -> bool {
    let Ok(stored) = PasswordHash::new(phc) else {
        return false;
    };
    let (Some(salt), Some(expected)) = (stored.salt, stored.hash) else {
        return false;
    };
    if stored.algorithm != ARGON2ID_IDENT
        || stored
            .version
            .is_some_and(|v| v != u32::from(Version::V0x13))
    {
        return false;
    }
    let Ok(params) = Params::try_from(&stored) else {
        return false;
    };
    let mut salt_buf = [0u8; 64];
    let Ok(salt) = salt.decode_b64(&mut salt_buf) else {
        return false;
    };
    let mut out = [0u8; Output::MAX_LENGTH];
    let out = &mut out[..expected.len()];
    // `Output`'s equality is constant-time.
    compute(params, password.as_bytes(), salt, out) && Output::new(out).is_ok_and(|o| o == expected)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn template_policy() -> PasswordPolicy {
        PasswordPolicy {
            minimum_length: 6,
            require_uppercase: true,
            require_lowercase: true,
            require_numbers: false,
            require_symbols: false,
            temporary_password_validity_days: 7,
        }
    }

    #[test]
    fn policy_messages_match_cognito() {
        let p = PasswordPolicy::default();
        let msg = |pw: &str| p.check(pw).expect_err("weak").message;
        assert_eq!(
            msg("Ab1!"),
            "Password did not conform with policy: Password not long enough"
        );
        assert_eq!(
            msg("abcdefg1!"),
            "Password did not conform with policy: Password must have uppercase characters"
        );
        assert_eq!(
            msg("ABCDEFG1!"),
            "Password did not conform with policy: Password must have lowercase characters"
        );
        assert_eq!(
            msg("Abcdefgh!"),
            "Password did not conform with policy: Password must have numeric characters"
        );
        assert_eq!(
            msg("Abcdefgh1"),
            "Password did not conform with policy: Password must have symbol characters"
        );
        assert_eq!(
            p.check("Abcdefg1 ").map_err(|e| e.kind),
            Ok(()),
            "space is a symbol"
        );
    }

    #[test]
    fn template_policy_accepts_testing1() {
        assert!(template_policy().check("Testing1").is_ok());
        assert!(template_policy().check("Testing").is_ok());
        assert!(template_policy().check("testing1").is_err());
    }

    #[test]
    fn generated_passwords_meet_their_policy() {
        for policy in [PasswordPolicy::default(), template_policy()] {
            for _ in 0..50 {
                let pw = policy.generate();
                assert!(policy.check(&pw).is_ok(), "{pw}");
            }
        }
        let pw = template_policy().generate();
        assert!(
            pw.chars().all(|c| c.is_ascii_alphanumeric()),
            "no symbol unless required: {pw}"
        );
    }

    #[test]
    fn hash_verifies_the_right_password_only() {
        let h = hash("Testing1");
        assert!(h.starts_with("$argon2id$"));
        assert!(verify("Testing1", &h));
        assert!(!verify("Testing2", &h));
        assert!(!verify("Testing1", "not a hash"));
    }

    #[test]
    fn hashes_agree_with_the_argon2_crates_own_phc_path() {
        use argon2::password_hash::{PasswordHasher, PasswordVerifier};
        // Ours, checked by the crate's verifier.
        let ours = hash("Testing1");
        assert!(ours.starts_with("$argon2id$v=19$m=7168,t=5,p=1$"), "{ours}");
        let parsed = PasswordHash::new(&ours).expect("a PHC string");
        assert!(
            argon2(params())
                .verify_password(b"Testing1", &parsed)
                .is_ok()
        );
        assert!(
            argon2(params())
                .verify_password(b"Testing2", &parsed)
                .is_err()
        );
        // The crate's, with other (larger) parameters, checked by ours.
        let salt = SaltString::encode_b64(b"0123456789abcdef").expect("salt");
        let big = Params::new(19 * 1024, 2, 1, None).expect("params");
        let theirs = argon2(big)
            .hash_password(b"Testing1", &salt)
            .expect("hash")
            .to_string();
        assert!(verify("Testing1", &theirs));
        assert!(!verify("testing1", &theirs));
        // Another argon2 variant is not ours to accept.
        let argon2i = Argon2::new(Algorithm::Argon2i, Version::V0x13, params())
            .hash_password(b"Testing1", &salt)
            .expect("hash")
            .to_string();
        assert!(!verify("Testing1", &argon2i));
    }
}
