//! The clock, and the date formats Cognito and API Gateway write.

use std::time::{SystemTime, UNIX_EPOCH};

use time::format_description::FormatItem;
use time::macros::format_description;
use time::{OffsetDateTime, PrimitiveDateTime};

/// Now, as seconds since the epoch.
pub fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// Now, as milliseconds since the epoch.
pub fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

/// Now, as fractional seconds since the epoch (Cognito's timestamps on the wire).
pub fn now_f64() -> f64 {
    now_ms() as f64 / 1000.0
}

/// `Mon Jan 2 15:04:05 UTC 2006`: the day is not padded.
const COGNITO: &[FormatItem<'static>] = format_description!(
    "[weekday repr:short] [month repr:short] [day padding:none] [hour]:[minute]:[second] UTC [year]"
);
/// `20/Feb/2018:22:48:57 +0000`.
const REQUEST_TIME: &[FormatItem<'static>] =
    format_description!("[day]/[month repr:short]/[year]:[hour]:[minute]:[second] +0000");

fn utc(secs: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(secs).unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

/// `Mon Jan 2 15:04:05 UTC 2006`: Cognito's SRP `TIMESTAMP`, and the form API Gateway gives
/// `exp` and `iat` claims in.
pub fn cognito_date(secs: i64) -> String {
    utc(secs)
        .format(COGNITO)
        .expect("every timestamp has this form")
}

/// `20/Feb/2018:22:48:57 +0000`: API Gateway's `requestTime`.
pub fn request_time(secs: i64) -> String {
    utc(secs)
        .format(REQUEST_TIME)
        .expect("every timestamp has this form")
}

const AMZ_DATE: &[FormatItem<'static>] =
    format_description!("[year][month][day]T[hour][minute][second]Z");

/// `20150830T123600Z`: SigV4's `X-Amz-Date` (ISO 8601 basic, UTC).
pub fn amz_date(secs: i64) -> String {
    utc(secs)
        .format(AMZ_DATE)
        .expect("every timestamp has this form")
}

/// Parses [`amz_date`]; seconds since the epoch.
pub fn parse_amz_date(text: &str) -> Option<i64> {
    PrimitiveDateTime::parse(text, AMZ_DATE)
        .ok()
        .map(|t| t.assume_utc().unix_timestamp())
}

const HTTP_DATE: &[FormatItem<'static>] = format_description!(
    "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
);

/// `2026-12-06T19:00:00Z`: ISO 8601 as IAM's `aws:CurrentTime` has it.
pub fn iso8601(secs: i64) -> String {
    utc(secs)
        .format(&time::format_description::well_known::Rfc3339)
        .expect("every timestamp has this form")
}

/// Parses an ISO 8601 / RFC 3339 time (`2026-12-06T19:00:00Z`); seconds since the epoch.
pub fn parse_iso8601(text: &str) -> Option<i64> {
    OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339)
        .ok()
        .map(|t| t.unix_timestamp())
}

/// Parses an HTTP `Date` (`Sun, 06 Nov 1994 08:49:37 GMT`); seconds since the epoch.
pub fn parse_http_date(text: &str) -> Option<i64> {
    PrimitiveDateTime::parse(text, HTTP_DATE)
        .ok()
        .map(|t| t.assume_utc().unix_timestamp())
}

/// Parses [`cognito_date`] as strictly as Cognito does: a zero-padded day, or a weekday that
/// is not the date's, is refused. Returns seconds since the epoch.
pub fn parse_cognito_date(text: &str) -> Option<i64> {
    let secs = PrimitiveDateTime::parse(text, COGNITO)
        .ok()?
        .assume_utc()
        .unix_timestamp();
    // `time` reads a padded day and ignores the weekday; the text must be exactly the date's.
    (cognito_date(secs) == text).then_some(secs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cognito_date_round_trips_and_does_not_pad_the_day() {
        // 2006-01-02T15:04:05Z, a Monday.
        assert_eq!(cognito_date(1_136_214_245), "Mon Jan 2 15:04:05 UTC 2006");
        assert_eq!(request_time(1_136_214_245), "02/Jan/2006:15:04:05 +0000");
        assert_eq!(
            parse_cognito_date("Mon Jan 2 15:04:05 UTC 2006"),
            Some(1_136_214_245)
        );
        assert_eq!(cognito_date(1_469_817_173), "Fri Jul 29 18:32:53 UTC 2016");
    }

    #[test]
    fn cognito_date_with_padded_day_or_wrong_weekday_is_refused() {
        assert_eq!(parse_cognito_date("Mon Jan 02 15:04:05 UTC 2006"), None);
        assert_eq!(parse_cognito_date("Tue Jan 2 15:04:05 UTC 2006"), None);
        assert_eq!(parse_cognito_date("Mon Jan 2 15:04 UTC 2006"), None);
        assert_eq!(parse_cognito_date("Mon Jan 2 15:04:05 GMT 2006"), None);
    }
}
