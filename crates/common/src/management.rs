//! The rule every management endpoint of the stack follows (Lambda's Invoke API, Cognito's
//! Admin and pool-management calls): a request must carry a SigV4 `Authorization` header, as
//! AWS requires (locally any credentials are accepted, as the stack has no IAM), and must not
//! come from a web page. A page open in the developer's browser can send a form POST or a
//! `fetch` to a loopback port; it cannot add an `Authorization` header across origins without
//! a CORS preflight that these endpoints never allow, and its requests carry `Origin`.

/// Whether an `Authorization` header value is a SigV4 signature
/// (`AWS4-HMAC-SHA256 Credential=…, SignedHeaders=…, Signature=…`).
pub fn sigv4_signed(authorization: Option<&str>) -> bool {
    authorization.is_some_and(|v| {
        v.starts_with("AWS4-HMAC-SHA256 ")
            && v.contains("Credential=")
            && v.contains("SignedHeaders=")
            && v.contains("Signature=")
    })
}

/// Whether a request looks sent by a browser: it has an `Origin` header, or a content type
/// that an HTML form (or a CORS-free `fetch`) can send.
pub fn from_browser(origin: Option<&str>, content_type: Option<&str>) -> bool {
    let form = content_type.is_some_and(|ct| {
        let media = ct.split(';').next().unwrap_or_default().trim();
        media.eq_ignore_ascii_case("application/x-www-form-urlencoded")
            || media.eq_ignore_ascii_case("multipart/form-data")
            || media.eq_ignore_ascii_case("text/plain")
    });
    origin.is_some() || form
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_sigv4_header_counts_as_signed() {
        assert!(sigv4_signed(Some(
            "AWS4-HMAC-SHA256 Credential=local/20260101/us-east-1/lambda/aws4_request, SignedHeaders=host, Signature=00"
        )));
        for bad in [None, Some(""), Some("Bearer x"), Some("AWS4-HMAC-SHA256 x")] {
            assert!(!sigv4_signed(bad), "{bad:?}");
        }
    }

    #[test]
    fn origin_or_a_form_content_type_means_a_browser() {
        assert!(from_browser(Some("https://evil.example"), None));
        assert!(from_browser(None, Some("text/plain;charset=UTF-8")));
        assert!(from_browser(
            None,
            Some("application/x-www-form-urlencoded")
        ));
        assert!(from_browser(None, Some("multipart/form-data; boundary=x")));
        assert!(!from_browser(None, Some("application/json")));
        assert!(!from_browser(None, None));
    }
}
