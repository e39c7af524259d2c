//! Small helpers: randomness, ids, base64, and the clock and date formats Cognito and API
//! Gateway use.

use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};

/// Fills `buf` from the system's CSPRNG.
pub fn random_bytes(buf: &mut [u8]) {
    aws_lc_rs::rand::fill(buf).expect("the system random source is available");
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

/// Lower-case letters and digits (client ids).
pub const LOWER_ALNUM: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
/// Mixed-case letters and digits (pool id suffixes).
pub const MIXED_ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/// A random (version 4) UUID in its usual text form.
pub fn uuid() -> String {
    let mut b = [0u8; 16];
    random_bytes(&mut b);
    uuid_from(b)
}

/// A version 4 UUID, in its usual text form, from 16 random bytes already drawn.
pub fn uuid_from(mut b: [u8; 16]) -> String {
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h = hex(&b);
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

/// Lower-case hex.
pub fn hex(bytes: &[u8]) -> String {
    const D: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(D[(b >> 4) as usize] as char);
        s.push(D[(b & 15) as usize] as char);
    }
    s
}

/// Standard base64 with padding.
pub fn b64(bytes: &[u8]) -> String {
    STANDARD.encode(bytes)
}

/// Decodes standard base64 (padding optional).
pub fn b64_decode(text: &str) -> Option<Vec<u8>> {
    STANDARD.decode(text).ok().or_else(|| {
        base64::engine::general_purpose::STANDARD_NO_PAD
            .decode(text)
            .ok()
    })
}

/// base64url without padding (JWT).
pub fn b64url(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Decodes base64url without padding (JWT).
pub fn b64url_decode(text: &str) -> Option<Vec<u8>> {
    URL_SAFE_NO_PAD.decode(text).ok()
}

/// SHA-256.
pub fn sha256(parts: &[&[u8]]) -> [u8; 32] {
    let mut ctx = aws_lc_rs::digest::Context::new(&aws_lc_rs::digest::SHA256);
    for p in parts {
        ctx.update(p);
    }
    let mut out = [0u8; 32];
    out.copy_from_slice(ctx.finish().as_ref());
    out
}

/// HMAC-SHA256 of the concatenated parts.
pub fn hmac_sha256(key: &[u8], parts: &[&[u8]]) -> [u8; 32] {
    let key = aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, key);
    let mut ctx = aws_lc_rs::hmac::Context::with_key(&key);
    for p in parts {
        ctx.update(p);
    }
    let mut out = [0u8; 32];
    out.copy_from_slice(ctx.sign().as_ref());
    out
}

/// Compares secrets without leaking where they differ.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    aws_lc_rs::constant_time::verify_slices_are_equal(a, b).is_ok()
}

/// Now, as seconds since the epoch.
pub fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// Now, as fractional seconds since the epoch (Cognito's timestamp format on the wire).
pub fn now_f64() -> f64 {
    let ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis());
    ms as f64 / 1000.0
}

/// A civil date and time in UTC.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Civil {
    /// Year.
    pub year: i64,
    /// Month, 1-12.
    pub month: u32,
    /// Day of month, 1-31.
    pub day: u32,
    /// Hour.
    pub hour: u32,
    /// Minute.
    pub minute: u32,
    /// Second.
    pub second: u32,
    /// Day of week, 0 = Sunday.
    pub weekday: u32,
}

const WEEKDAYS: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

impl Civil {
    /// The civil time of `secs` since the epoch (Howard Hinnant's days-to-civil).
    pub fn from_epoch(secs: i64) -> Civil {
        let days = secs.div_euclid(86_400);
        let rem = secs.rem_euclid(86_400);
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z - era * 146_097;
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
        let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
        let year = yoe + era * 400 + i64::from(month <= 2);
        Civil {
            year,
            month,
            day,
            hour: (rem / 3600) as u32,
            minute: (rem % 3600 / 60) as u32,
            second: (rem % 60) as u32,
            weekday: (days + 4).rem_euclid(7) as u32,
        }
    }

    /// Seconds since the epoch (civil-to-days).
    pub fn to_epoch(self) -> i64 {
        let y = if self.month <= 2 {
            self.year - 1
        } else {
            self.year
        };
        let era = y.div_euclid(400);
        let yoe = y - era * 400;
        let m = i64::from(self.month);
        let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(self.day) - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        let days = era * 146_097 + doe - 719_468;
        days * 86_400
            + i64::from(self.hour) * 3600
            + i64::from(self.minute) * 60
            + i64::from(self.second)
    }

    /// `Mon Jan 2 15:04:05 UTC 2006`: Cognito's SRP TIMESTAMP and API Gateway's claim dates
    /// (the day not zero-padded).
    pub fn cognito_format(self) -> String {
        format!(
            "{} {} {} {:02}:{:02}:{:02} UTC {}",
            WEEKDAYS[self.weekday as usize],
            MONTHS[self.month as usize - 1],
            self.day,
            self.hour,
            self.minute,
            self.second,
            self.year
        )
    }

    /// `20/Feb/2018:22:48:57 +0000`: API Gateway's `requestTime`.
    pub fn request_time_format(self) -> String {
        format!(
            "{:02}/{}/{}:{:02}:{:02}:{:02} +0000",
            self.day,
            MONTHS[self.month as usize - 1],
            self.year,
            self.hour,
            self.minute,
            self.second
        )
    }

    /// Parses [`Civil::cognito_format`] strictly: a padded day or a weekday that does not match
    /// the date is refused, as Cognito refuses them.
    pub fn parse_cognito(text: &str) -> Option<Civil> {
        let parts: Vec<&str> = text.split(' ').collect();
        let [wd, mon, day, hms, "UTC", year] = parts.as_slice() else {
            return None;
        };
        if day.starts_with('0') || day.is_empty() || day.len() > 2 {
            return None;
        }
        let month = MONTHS.iter().position(|m| m == mon)? as u32 + 1;
        let day: u32 = day.parse().ok()?;
        let year: i64 = year.parse().ok()?;
        let mut t = hms.split(':');
        let (h, m, s) = (t.next()?, t.next()?, t.next()?);
        if t.next().is_some() || h.len() != 2 || m.len() != 2 || s.len() != 2 {
            return None;
        }
        let (hour, minute, second) = (h.parse().ok()?, m.parse().ok()?, s.parse().ok()?);
        if !(1..=31).contains(&day) || hour > 23 || minute > 59 || second > 60 {
            return None;
        }
        let probe = Civil {
            year,
            month,
            day,
            hour,
            minute,
            second,
            weekday: 0,
        };
        let civil = Civil::from_epoch(probe.to_epoch());
        (civil.day == day && WEEKDAYS[civil.weekday as usize] == *wd).then_some(civil)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cognito_date_format_round_trips_and_does_not_pad_the_day() {
        // 2006-01-02T15:04:05Z, a Monday.
        let c = Civil::from_epoch(1_136_214_245);
        assert_eq!(c.cognito_format(), "Mon Jan 2 15:04:05 UTC 2006");
        assert_eq!(c.request_time_format(), "02/Jan/2006:15:04:05 +0000");
        assert_eq!(Civil::parse_cognito("Mon Jan 2 15:04:05 UTC 2006"), Some(c));
        assert_eq!(c.to_epoch(), 1_136_214_245);
    }

    #[test]
    fn cognito_date_with_padded_day_or_wrong_weekday_is_refused() {
        assert_eq!(Civil::parse_cognito("Mon Jan 02 15:04:05 UTC 2006"), None);
        assert_eq!(Civil::parse_cognito("Tue Jan 2 15:04:05 UTC 2006"), None);
        assert_eq!(Civil::parse_cognito("Mon Jan 2 15:04 UTC 2006"), None);
    }

    #[test]
    fn uuid_is_version_4_text() {
        let u = uuid();
        assert_eq!(u.len(), 36);
        assert_eq!(&u[14..15], "4");
        assert_ne!(u, uuid());
    }

    #[test]
    fn random_string_uses_only_the_alphabet() {
        let s = random_string(LOWER_ALNUM, 26);
        assert_eq!(s.len(), 26);
        assert!(s.bytes().all(|b| LOWER_ALNUM.contains(&b)));
    }
}
