//! Passwords: argon2id hashes, the pool's policy with Cognito's messages, and generated
//! temporary passwords that meet the policy.
//!
//! Hashing and checking cost tens of milliseconds by design; callers run them off the async
//! threads (the service runs every operation on the blocking pool).

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use serde::{Deserialize, Serialize};

use crate::error::CognitoError;
use crate::util::{random_bytes, random_string};

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
                "InvalidPasswordException",
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

fn argon2() -> Argon2<'static> {
    // One of OWASP's equivalent argon2id settings: 7 MiB, 5 passes, 1 lane (the lower memory
    // keeps the server small when many sign-ins hash at once).
    let params = Params::new(7 * 1024, 5, 1, None).expect("static argon2 parameters are valid");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// At most one argon2 computation per core at a time: more would only queue for the CPU while
/// each holds its memory.
struct Gate {
    busy: std::sync::Mutex<usize>,
    freed: std::sync::Condvar,
    limit: usize,
}

static GATE: std::sync::LazyLock<Gate> = std::sync::LazyLock::new(|| Gate {
    busy: std::sync::Mutex::new(0),
    freed: std::sync::Condvar::new(),
    limit: std::thread::available_parallelism().map_or(2, std::num::NonZeroUsize::get),
});

fn gated<T>(work: impl FnOnce() -> T) -> T {
    let g = &*GATE;
    {
        let mut busy = g
            .busy
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        while *busy >= g.limit {
            busy = g
                .freed
                .wait(busy)
                .unwrap_or_else(std::sync::PoisonError::into_inner);
        }
        *busy += 1;
    }
    let out = work();
    *g.busy
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner) -= 1;
    g.freed.notify_one();
    out
}

/// An argon2id PHC string for `password`.
pub fn hash(password: &str) -> String {
    let mut salt = [0u8; 16];
    random_bytes(&mut salt);
    let salt = SaltString::encode_b64(&salt).expect("16 bytes is a valid salt");
    gated(|| {
        argon2()
            .hash_password(password.as_bytes(), &salt)
            .expect("hashing with valid parameters does not fail")
            .to_string()
    })
}

/// Whether `password` matches the stored PHC string; a malformed hash never matches.
pub fn verify(password: &str, phc: &str) -> bool {
    PasswordHash::new(phc).is_ok_and(|h| argon2().verify_password(password.as_bytes(), &h).is_ok())
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
}
