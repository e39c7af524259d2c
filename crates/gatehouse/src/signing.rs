//! SigV4 signatures on gatehouse's own calls (to a DynamoDB server, to the stack's Lambda Invoke
//! API), with the maintained `aws-sigv4` crate.

use std::time::SystemTime;

use http_body_util::Full;
use hyper::body::Bytes;

/// A key pair gatehouse signs its own calls with.
#[derive(Debug, Clone)]
pub struct Credentials {
    /// `AWS_ACCESS_KEY_ID`.
    pub access_key: String,
    /// `AWS_SECRET_ACCESS_KEY`.
    pub secret_key: String,
    /// `AWS_SESSION_TOKEN`, if any.
    pub session_token: Option<String>,
}

impl Credentials {
    /// The environment's `AWS_ACCESS_KEY_ID`/`AWS_SECRET_ACCESS_KEY`, else `local`/`local`.
    pub fn from_env() -> Credentials {
        match (
            std::env::var("AWS_ACCESS_KEY_ID"),
            std::env::var("AWS_SECRET_ACCESS_KEY"),
        ) {
            (Ok(a), Ok(s)) if !a.is_empty() && !s.is_empty() => Credentials {
                access_key: a,
                secret_key: s,
                session_token: std::env::var("AWS_SESSION_TOKEN").ok(),
            },
            _ => Credentials {
                access_key: "local".into(),
                secret_key: "local".into(),
                session_token: None,
            },
        }
    }
}

/// Signs `req` (whose body is `body`) for `service` in `region` with `c`.
pub fn sign(
    req: &mut hyper::Request<Full<Bytes>>,
    body: &[u8],
    c: &Credentials,
    region: &str,
    service: &str,
) -> anyhow::Result<()> {
    use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
    let identity = aws_credential_types::Credentials::new(
        &c.access_key,
        &c.secret_key,
        c.session_token.clone(),
        None,
        "gatehouse",
    )
    .into();
    let params = aws_sigv4::sign::v4::SigningParams::builder()
        .identity(&identity)
        .region(region)
        .name(service)
        .time(SystemTime::now())
        .settings(SigningSettings::default())
        .build()?
        .into();
    let headers: Vec<(String, String)> = req
        .headers()
        .iter()
        .filter_map(|(k, v)| Some((k.as_str().to_string(), v.to_str().ok()?.to_string())))
        .collect();
    let uri = req.uri().to_string();
    let signable = SignableRequest::new(
        req.method().as_str(),
        &uri,
        headers.iter().map(|(k, v)| (k.as_str(), v.as_str())),
        SignableBody::Bytes(body),
    )?;
    let (instructions, _) = sign(signable, &params)?.into_parts();
    instructions.apply_to_request_http1x(req);
    Ok(())
}
