//! Signature Version 4, checked as API Gateway checks it: the canonical request rebuilt from
//! the request as it arrived (the path normalised then encoded again, as every service but S3
//! does; the query's pairs decoded, encoded strictly and sorted; only the signed headers, their
//! values trimmed and inner spaces collapsed; the payload's SHA-256), the string to sign over
//! the credential scope, and the signature compared in constant time. Both placements are
//! read: the `Authorization` header and a presigned query string. Every refusal carries the
//! status, `x-amzn-ErrorType` and text AWS gives (`aws-behaviour-3-iam.md` §1).
//!
//! The primitives (SHA-256, HMAC-SHA256, constant-time comparison) are aws-lc's, through
//! `common::digest`; the canonical form is written here because no maintained crate verifies.

use common::digest::{constant_time_eq, hmac_sha256, sha256};
use common::encoding::hex;

/// How far `X-Amz-Date` may be from now: API Gateway allows 5 minutes either way.
pub const SKEW_SECS: i64 = 300;

/// The hash a presigned URL signs in place of the body.
pub const UNSIGNED_PAYLOAD: &str = "UNSIGNED-PAYLOAD";

/// A request as it arrived, for verification.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    /// The method.
    pub method: &'a str,
    /// The path as sent (still percent-encoded).
    pub path: &'a str,
    /// The raw query string, without `?`.
    pub query: Option<&'a str>,
    /// Every header, by name (any case) and value; repeats are separate entries.
    pub headers: &'a [(&'a str, &'a str)],
    /// The body.
    pub body: &'a [u8],
}

impl Request<'_> {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| *v)
    }

    fn header_all<'s>(&'s self, name: &'s str) -> impl Iterator<Item = &'s str> {
        self.headers
            .iter()
            .filter(move |(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| *v)
    }
}

/// Why a signature was refused: 403 with AWS's error type and message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// `x-amzn-ErrorType`.
    pub error_type: &'static str,
    /// The message.
    pub message: String,
}

impl Refusal {
    fn new(error_type: &'static str, message: impl Into<String>) -> Refusal {
        Refusal {
            error_type,
            message: message.into(),
        }
    }

    /// The unsigned request: API Gateway's `Missing Authentication Token`.
    pub fn missing() -> Refusal {
        Refusal::new(
            "MissingAuthenticationTokenException",
            "Missing Authentication Token",
        )
    }

    fn incomplete(message: impl Into<String>) -> Refusal {
        Refusal::new("IncompleteSignatureException", message)
    }

    fn invalid(message: impl Into<String>) -> Refusal {
        Refusal::new("InvalidSignatureException", message)
    }

    /// A key or session token nobody issued.
    // AWS's text. Its x-amzn-ErrorType on execute-api is not captured in our notes
    // (aws-behaviour-3-iam.md names AccessDeniedException after re:Post, and
    // UnrecognizedClientException for JSON services); we send the latter, which is what
    // public reports of API Gateway's answer show.
    pub fn unknown_token() -> Refusal {
        Refusal::new(
            "UnrecognizedClientException",
            "The security token included in the request is invalid.",
        )
    }

    /// Temporary credentials past their expiry.
    pub fn expired_token() -> Refusal {
        Refusal::new(
            "ExpiredTokenException",
            "The security token included in the request is expired",
        )
    }
}

/// The parts of a signature, from either placement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signature {
    /// The access key id.
    pub access_key: String,
    /// `yyyymmdd` of the scope.
    pub scope_date: String,
    /// The scope's region.
    pub region: String,
    /// The scope's service.
    pub service: String,
    /// The signed header names, as sent (`;`-separated, lower case).
    pub signed_headers: String,
    /// The hex signature.
    pub signature: String,
    /// `X-Amz-Date` (or `Date`) as sent.
    pub date: String,
    /// The request time, seconds since the epoch.
    pub time: i64,
    /// `X-Amz-Security-Token`, for temporary credentials.
    pub session_token: Option<String>,
    /// A presigned URL's `X-Amz-Expires`, seconds.
    pub expires: Option<i64>,
}

/// Whether the request carries a signature at all (header or presigned query).
pub fn is_signed(req: &Request<'_>) -> bool {
    req.header("authorization").is_some()
        || query_pairs(req.query)
            .iter()
            .any(|(k, _)| k == "X-Amz-Signature" || k == "X-Amz-Algorithm")
}

/// Reads the signature's parts, or refuses a malformed one as AWS does. An unsigned request
/// is [`Refusal::missing`].
pub fn parse(req: &Request<'_>) -> Result<Signature, Refusal> {
    let mut auth = req.header_all("authorization");
    let first = auth.next();
    if auth.next().is_some() {
        return Err(Refusal::incomplete(
            "Authorization header requires only one value",
        ));
    }
    if let Some(auth) = first {
        return parse_header(req, auth);
    }
    let pairs = query_pairs(req.query);
    if pairs.iter().any(|(k, _)| k.starts_with("X-Amz-")) {
        return parse_query(&pairs);
    }
    Err(Refusal::missing())
}

fn parse_header(req: &Request<'_>, auth: &str) -> Result<Signature, Refusal> {
    let Some(rest) = auth.strip_prefix("AWS4-HMAC-SHA256 ") else {
        // API Gateway's text for an Authorization header that is no SigV4 (a Bearer token on
        // an IAM method): each missing part named, then the header itself.
        let date = if req.header("x-amz-date").is_some() || req.header("date").is_some() {
            ""
        } else {
            " Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header."
        };
        return Err(Refusal::incomplete(format!(
            "Authorization header requires 'Credential' parameter. Authorization header requires 'Signature' parameter. Authorization header requires 'SignedHeaders' parameter.{date} Authorization={auth}"
        )));
    };
    let mut credential = None;
    let mut signed_headers = None;
    let mut signature = None;
    for part in rest.split(',') {
        let part = part.trim();
        let Some((k, v)) = part.split_once('=') else {
            return Err(Refusal::incomplete(format!(
                "'{part}' not a valid key=value pair (missing equal-sign) in Authorization header: '{auth}'."
            )));
        };
        match k {
            "Credential" => credential = Some(v),
            "SignedHeaders" => signed_headers = Some(v),
            "Signature" => signature = Some(v),
            _ => {}
        }
    }
    let mut missing = Vec::new();
    if credential.is_none() {
        missing.push("Authorization header requires 'Credential' parameter.");
    }
    if signature.is_none() {
        missing.push("Authorization header requires 'Signature' parameter.");
    }
    if signed_headers.is_none() {
        missing.push("Authorization header requires 'SignedHeaders' parameter.");
    }
    let date = req.header("x-amz-date").or_else(|| req.header("date"));
    if date.is_none() {
        missing.push(
            "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.",
        );
    }
    if !missing.is_empty() {
        return Err(Refusal::incomplete(format!(
            "{} Authorization={auth}",
            missing.join(" ")
        )));
    }
    let (credential, signed_headers, signature, date) = (
        credential.unwrap_or_default(),
        signed_headers.unwrap_or_default(),
        signature.unwrap_or_default(),
        date.unwrap_or_default(),
    );
    let time = parse_time(date)?;
    let mut sig = scope(credential, time, date)?;
    sig.signed_headers = signed_headers.to_string();
    sig.signature = signature.to_string();
    sig.session_token = req.header("x-amz-security-token").map(str::to_string);
    Ok(sig)
}

fn parse_query(pairs: &[(String, String)]) -> Result<Signature, Refusal> {
    let get = |name: &str| {
        pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    if get("X-Amz-Algorithm") != Some("AWS4-HMAC-SHA256") {
        return Err(Refusal::incomplete(
            "X-Amz-Algorithm only supports \"AWS4-HMAC-SHA256\"",
        ));
    }
    let mut missing = Vec::new();
    for name in [
        "X-Amz-Credential",
        "X-Amz-Signature",
        "X-Amz-SignedHeaders",
        "X-Amz-Date",
    ] {
        if get(name).is_none() {
            missing.push(format!(
                "AWS query-string parameters must include '{name}'."
            ));
        }
    }
    if !missing.is_empty() {
        return Err(Refusal::incomplete(format!(
            "{} Re-examine the query-string parameters.",
            missing.join(" ")
        )));
    }
    let date = get("X-Amz-Date").unwrap_or_default();
    let time = parse_time(date)?;
    let mut sig = scope(get("X-Amz-Credential").unwrap_or_default(), time, date)?;
    sig.signed_headers = get("X-Amz-SignedHeaders").unwrap_or_default().to_string();
    sig.signature = get("X-Amz-Signature").unwrap_or_default().to_string();
    sig.session_token = get("X-Amz-Security-Token").map(str::to_string);
    sig.expires = Some(
        get("X-Amz-Expires")
            .and_then(|e| e.parse().ok())
            .unwrap_or(900),
    );
    Ok(sig)
}

/// `X-Amz-Date` (ISO 8601 basic) or an HTTP `Date`.
fn parse_time(date: &str) -> Result<i64, Refusal> {
    common::date::parse_amz_date(date)
        .or_else(|| common::date::parse_http_date(date))
        .ok_or_else(|| {
            Refusal::incomplete(format!(
                "Date must be in ISO-8601 'basic format'. Got '{date}'. See http://en.wikipedia.org/wiki/ISO_8601"
            ))
        })
}

/// `AKID/yyyymmdd/region/service/aws4_request`.
fn scope(credential: &str, time: i64, date: &str) -> Result<Signature, Refusal> {
    let parts: Vec<&str> = credential.split('/').collect();
    let [key, day, region, service, terminator] = parts[..] else {
        return Err(Refusal::incomplete(format!(
            "Credential should be scoped to a valid region. Credential={credential}"
        )));
    };
    if terminator != "aws4_request" {
        return Err(Refusal::incomplete(format!(
            "Credential should be scoped with a valid terminator: 'aws4_request', not '{terminator}'."
        )));
    }
    let request_day = common::date::amz_date(time);
    let request_day = &request_day[..8];
    if day != request_day {
        return Err(Refusal::invalid(format!(
            "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '{day}' != '{request_day}', from '{date}'."
        )));
    }
    Ok(Signature {
        access_key: key.to_string(),
        scope_date: day.to_string(),
        region: region.to_string(),
        service: service.to_string(),
        signed_headers: String::new(),
        signature: String::new(),
        date: date.to_string(),
        time,
        session_token: None,
        expires: None,
    })
}

/// Checks the scope's region and service and the request's time against now.
pub fn check_scope(sig: &Signature, region: &str, service: &str, now: i64) -> Result<(), Refusal> {
    if sig.region != region {
        return Err(Refusal::invalid(format!(
            "Credential should be scoped to a valid region. Credential={}/{}/{}/{}/aws4_request",
            sig.access_key, sig.scope_date, sig.region, sig.service
        )));
    }
    if sig.service != service {
        return Err(Refusal::invalid(format!(
            "Credential should be scoped to correct service: '{service}'. "
        )));
    }
    let at = |t: i64| common::date::amz_date(t);
    if let Some(expires) = sig.expires {
        // A presigned URL is good from its date for X-Amz-Expires seconds (and, like a header
        // signature, not from the future). AWS's text for it is not captured: the same form
        // as a header signature's is used.
        if now > sig.time + expires {
            return Err(Refusal::invalid(format!(
                "Signature expired: {} is now earlier than {} ({} - {} sec.)",
                at(sig.time + expires),
                at(now),
                at(now),
                expires
            )));
        }
    } else if sig.time < now - SKEW_SECS {
        return Err(Refusal::invalid(format!(
            "Signature expired: {} is now earlier than {} ({} - 5 min.)",
            sig.date,
            at(now - SKEW_SECS),
            at(now)
        )));
    }
    if sig.time > now + SKEW_SECS {
        return Err(Refusal::invalid(format!(
            "Signature not yet current: {} is still later than {} ({} + 5 min.)",
            sig.date,
            at(now + SKEW_SECS),
            at(now)
        )));
    }
    Ok(())
}

/// Verifies `sig` over `req` with `secret`: the canonical request and the string to sign
/// rebuilt, the signature compared. A mismatch gives AWS's text with both strings, which is
/// how users debug their signing.
pub fn verify(req: &Request<'_>, sig: &Signature, secret: &str) -> Result<(), Refusal> {
    let body_hash = hex(&sha256(&[req.body]));
    let declared = req.header("x-amz-content-sha256");
    let presigned = sig.expires.is_some();
    // The payload hash a signer may have used: the declared digest (which must then be the
    // body's), the body's, or for a presigned URL `UNSIGNED-PAYLOAD`.
    let payload = match declared {
        Some(d) if d == body_hash => body_hash.clone(),
        Some(d) if presigned && d == UNSIGNED_PAYLOAD => d.to_string(),
        Some(_) => {
            return Err(Refusal::invalid(
                "The provided 'x-amz-content-sha256' header does not match what was computed.",
            ));
        }
        None if presigned => UNSIGNED_PAYLOAD.to_string(),
        None => body_hash.clone(),
    };
    let mut tried = canonical(req, sig, &payload)?;
    let mut ok = check(&tried, sig, secret);
    if !ok && presigned && declared.is_none() {
        // Some presigners hash the (empty) body instead.
        let other = canonical(req, sig, &body_hash)?;
        if check(&other, sig, secret) {
            ok = true;
        } else {
            tried = other;
        }
    }
    if ok {
        return Ok(());
    }
    let (creq, sts) = tried;
    Err(Refusal::invalid(format!(
        "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.\n\nThe Canonical String for this request should have been\n'{creq}'\n\nThe String-to-Sign should have been\n'{sts}'\n"
    )))
}

fn check((_, sts): &(String, String), sig: &Signature, secret: &str) -> bool {
    let key = signing_key(secret, &sig.scope_date, &sig.region, &sig.service);
    let want = hex(&hmac_sha256(&key, &[sts.as_bytes()]));
    constant_time_eq(want.as_bytes(), sig.signature.as_bytes())
}

/// The `Authorization` header that signs `req` with `access_key`/`secret` for `region` and
/// `service`: every header `req` has is signed (it must have `host` and `x-amz-date`), and the
/// body's SHA-256 is the payload hash. What a client (or a test) sends.
pub fn authorization(
    req: &Request<'_>,
    access_key: &str,
    secret: &str,
    region: &str,
    service: &str,
) -> Result<String, Refusal> {
    let date = req
        .header("x-amz-date")
        .ok_or_else(|| Refusal::incomplete("a signed request needs X-Amz-Date"))?;
    let mut names: Vec<String> = req
        .headers
        .iter()
        .map(|(n, _)| n.to_ascii_lowercase())
        .collect();
    names.sort();
    names.dedup();
    let sig = Signature {
        access_key: access_key.into(),
        scope_date: date.get(..8).unwrap_or_default().into(),
        region: region.into(),
        service: service.into(),
        signed_headers: names.join(";"),
        signature: String::new(),
        date: date.into(),
        time: 0,
        session_token: None,
        expires: None,
    };
    let (_, sts) = canonical(req, &sig, &hex(&sha256(&[req.body])))?;
    let key = signing_key(secret, &sig.scope_date, region, service);
    Ok(format!(
        "AWS4-HMAC-SHA256 Credential={access_key}/{}/{region}/{service}/aws4_request, SignedHeaders={}, Signature={}",
        sig.scope_date,
        sig.signed_headers,
        hex(&hmac_sha256(&key, &[sts.as_bytes()]))
    ))
}

/// The derived signing key: `HMAC(HMAC(HMAC(HMAC("AWS4"+secret, date), region), service),
/// "aws4_request")`.
pub fn signing_key(secret: &str, date: &str, region: &str, service: &str) -> [u8; 32] {
    let k = hmac_sha256(format!("AWS4{secret}").as_bytes(), &[date.as_bytes()]);
    let k = hmac_sha256(&k, &[region.as_bytes()]);
    let k = hmac_sha256(&k, &[service.as_bytes()]);
    hmac_sha256(&k, &[b"aws4_request"])
}

/// The canonical request and the string to sign for `req` as `sig` describes it.
pub fn canonical(
    req: &Request<'_>,
    sig: &Signature,
    payload: &str,
) -> Result<(String, String), Refusal> {
    let mut out = String::with_capacity(256);
    out.push_str(&req.method.to_ascii_uppercase());
    out.push('\n');
    out.push_str(&canonical_path(req.path));
    out.push('\n');
    let mut pairs: Vec<(String, String)> = query_pairs(req.query)
        .into_iter()
        .filter(|(k, _)| !(sig.expires.is_some() && k == "X-Amz-Signature"))
        .map(|(k, v)| (encode(&k, true), encode(&v, true)))
        .collect();
    pairs.sort();
    let query: Vec<String> = pairs.iter().map(|(k, v)| format!("{k}={v}")).collect();
    out.push_str(&query.join("&"));
    out.push('\n');
    let names: Vec<&str> = sig.signed_headers.split(';').collect();
    if !names.contains(&"host") {
        return Err(Refusal::invalid(
            "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.",
        ));
    }
    for name in &names {
        out.push_str(name);
        out.push(':');
        // Repeated headers joined by `,`, each value trimmed and its inner runs of spaces
        // made one.
        for (i, value) in req.header_all(name).enumerate() {
            if i > 0 {
                out.push(',');
            }
            for (j, word) in value.split_whitespace().enumerate() {
                if j > 0 {
                    out.push(' ');
                }
                out.push_str(word);
            }
        }
        out.push('\n');
    }
    out.push('\n');
    out.push_str(&sig.signed_headers);
    out.push('\n');
    out.push_str(payload);
    let sts = format!(
        "AWS4-HMAC-SHA256\n{}\n{}/{}/{}/aws4_request\n{}",
        sig.date,
        sig.scope_date,
        sig.region,
        sig.service,
        hex(&sha256(&[out.as_bytes()]))
    );
    Ok((out, sts))
}

/// The path as every service but S3 signs it: dot segments removed, `//` collapsed, the
/// trailing `/` kept, then each byte but unreserved ones and `/` encoded (so a `%` the client
/// sent becomes `%25`: the path is encoded twice).
fn canonical_path(path: &str) -> String {
    let trailing = path.len() > 1 && path.ends_with('/');
    let mut segments: Vec<&str> = Vec::new();
    for seg in path.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                segments.pop();
            }
            s => segments.push(s),
        }
    }
    let mut normal = format!("/{}", segments.join("/"));
    if trailing && normal != "/" {
        normal.push('/');
    }
    encode(&normal, false)
}

/// SigV4's URI encoding: unreserved characters kept, `/` kept when `slash` is false, every
/// other byte `%XX` in upper case.
fn encode(s: &str, slash: bool) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        let keep = b.is_ascii_alphanumeric()
            || matches!(b, b'-' | b'_' | b'.' | b'~')
            || (b == b'/' && !slash);
        if keep {
            out.push(b as char);
        } else {
            const HEX: &[u8; 16] = b"0123456789ABCDEF";
            out.push('%');
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 15)]));
        }
    }
    out
}

/// The query's `name=value` pairs, percent-decoded (a bare `name` is `name=`).
fn query_pairs(query: Option<&str>) -> Vec<(String, String)> {
    query
        .unwrap_or_default()
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (decode(k), decode(v))
        })
        .collect()
}

fn decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let Some(v) = std::str::from_utf8(&bytes[i + 1..i + 3])
                .ok()
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(v);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// AWS's documented example (IAM User Guide, "Create a signed AWS API request": the
    /// `get-vanilla` case of the SigV4 test suite): its canonical request and signature.
    #[test]
    fn the_sigv4_test_suite_get_vanilla_case_verifies() {
        let headers = [
            ("Host", "example.amazonaws.com"),
            ("X-Amz-Date", "20150830T123600Z"),
            (
                "Authorization",
                "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31",
            ),
        ];
        let req = Request {
            method: "GET",
            path: "/",
            query: None,
            headers: &headers,
            body: b"",
        };
        let sig = parse(&req).expect("parsed");
        assert_eq!(sig.access_key, "AKIDEXAMPLE");
        let (creq, _) = canonical(&req, &sig, &hex(&sha256(&[b""]))).expect("canonical");
        assert_eq!(
            creq,
            "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        verify(&req, &sig, "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY").expect("valid");
        let wrong = verify(&req, &sig, "another secret").expect_err("refused");
        assert_eq!(wrong.error_type, "InvalidSignatureException");
        assert!(
            wrong
                .message
                .contains("The Canonical String for this request should have been\n'GET\n/\n")
        );
    }

    #[test]
    fn the_path_is_normalised_and_encoded_twice() {
        assert_eq!(
            canonical_path("/prod/u/j%C3%B6rg%20x/a%2Fb"),
            "/prod/u/j%25C3%25B6rg%2520x/a%252Fb"
        );
        assert_eq!(canonical_path("/a/./b/../c//d/"), "/a/c/d/");
        assert_eq!(canonical_path(""), "/");
    }

    #[test]
    fn dates_outside_five_minutes_are_refused_with_aws_text() {
        let now = common::date::parse_amz_date("20170517T063340Z").expect("date");
        let mut sig = scope(
            "AKID/20170517/us-east-1/execute-api/aws4_request",
            common::date::parse_amz_date("20170517T062414Z").expect("date"),
            "20170517T062414Z",
        )
        .expect("scope");
        let err = check_scope(&sig, "us-east-1", "execute-api", now).expect_err("expired");
        assert_eq!(
            err.message,
            "Signature expired: 20170517T062414Z is now earlier than 20170517T062840Z (20170517T063340Z - 5 min.)"
        );
        sig.time = now + 301;
        sig.date = common::date::amz_date(sig.time);
        assert!(
            check_scope(&sig, "us-east-1", "execute-api", now)
                .expect_err("future")
                .message
                .starts_with("Signature not yet current:")
        );
        sig.time = now;
        assert!(check_scope(&sig, "eu-west-1", "execute-api", now).is_err());
        assert!(check_scope(&sig, "us-east-1", "execute-api", now).is_ok());
    }

    #[test]
    fn a_bearer_token_on_an_iam_method_names_what_is_missing() {
        let headers = [("Authorization", "Bearer x")];
        let req = Request {
            method: "GET",
            path: "/",
            query: None,
            headers: &headers,
            body: b"",
        };
        let err = parse(&req).expect_err("refused");
        assert_eq!(err.error_type, "IncompleteSignatureException");
        assert_eq!(
            err.message,
            "Authorization header requires 'Credential' parameter. Authorization header requires 'Signature' parameter. Authorization header requires 'SignedHeaders' parameter. Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. Authorization=Bearer x"
        );
    }

    #[test]
    fn an_unsigned_request_is_missing_its_token() {
        let req = Request {
            method: "GET",
            path: "/",
            query: Some("a=1"),
            headers: &[],
            body: b"",
        };
        assert!(!is_signed(&req));
        assert_eq!(parse(&req), Err(Refusal::missing()));
    }
}
