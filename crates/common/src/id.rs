//! Randomness and identifiers.

/// Fills `buf` from the operating system's CSPRNG.
pub fn random_bytes(buf: &mut [u8]) {
    getrandom::fill(buf).expect("the system random source is available");
}

/// `len` characters drawn uniformly from `alphabet`.
pub fn random_string(alphabet: &[u8], len: usize) -> String {
    // Rejection sampling keeps the draw uniform for any alphabet size.
    let limit = 256 - 256 % alphabet.len();
    let mut out = String::with_capacity(len);
    let mut buf = [0u8; 64];
    while out.len() < len {
        random_bytes(&mut buf);
        for &b in &buf {
            if (b as usize) < limit && out.len() < len {
                out.push(alphabet[b as usize % alphabet.len()] as char);
            }
        }
    }
    out
}

/// Lower-case letters and digits (client ids, API ids).
pub const LOWER_ALNUM: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
/// Upper-case letters and digits (AWS key ids).
pub const UPPER_ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
/// The characters of an AWS secret access key.
pub const SECRET_CHARS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
/// Mixed-case letters and digits (pool id suffixes).
pub const MIXED_ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/// A random (version 4) UUID in its usual text form.
pub fn uuid() -> String {
    let mut b = [0u8; 16];
    random_bytes(&mut b);
    uuid_from(b)
}

/// A version 4 UUID, in its usual text form, from 16 random bytes already drawn.
pub fn uuid_from(random: [u8; 16]) -> String {
    uuid::Builder::from_random_bytes(random)
        .into_uuid()
        .hyphenated()
        .to_string()
}

/// A time-ordered (version 7) UUID for the current millisecond, and that millisecond.
pub fn uuid_v7() -> (String, u64) {
    let ms = crate::date::now_ms();
    let mut rand = [0u8; 10];
    random_bytes(&mut rand);
    let id = uuid::Builder::from_unix_timestamp_millis(ms, &rand)
        .into_uuid()
        .hyphenated()
        .to_string();
    (id, ms)
}

/// The millisecond a version 7 UUID was made in; `None` for any other text.
pub fn uuid_v7_millis(text: &str) -> Option<u64> {
    let id = uuid::Uuid::parse_str(text).ok()?;
    if id.get_version_num() != 7 {
        return None;
    }
    let (secs, nanos) = id.get_timestamp()?.to_unix();
    Some(secs * 1000 + u64::from(nanos) / 1_000_000)
}

/// `len` characters of `alphabet` picked by the first bytes of `digest` (a hash of a name): an
/// id that stays the same across restarts (API ids, resource ids), not a secret.
pub fn stable_id(digest: &[u8], alphabet: &[u8], len: usize) -> String {
    digest
        .iter()
        .take(len)
        .map(|b| alphabet[*b as usize % alphabet.len()] as char)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uuid_is_version_4_text() {
        let u = uuid();
        assert_eq!(u.len(), 36);
        assert_eq!(&u[14..15], "4");
        assert!(matches!(&u[19..20], "8" | "9" | "a" | "b"), "{u}");
        assert_ne!(u, uuid());
    }

    #[test]
    fn a_version_7_uuid_tells_its_millisecond() {
        let (id, ms) = uuid_v7();
        assert_eq!(&id[14..15], "7");
        assert_eq!(uuid_v7_millis(&id), Some(ms));
        assert_eq!(uuid_v7_millis(&uuid()), None, "a version 4 UUID has none");
        assert_eq!(uuid_v7_millis("nope"), None);
    }

    #[test]
    fn random_string_uses_only_the_alphabet() {
        let s = random_string(LOWER_ALNUM, 26);
        assert_eq!(s.len(), 26);
        assert!(s.bytes().all(|b| LOWER_ALNUM.contains(&b)));
    }
}
