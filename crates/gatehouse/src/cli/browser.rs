//! `gatehouse login --browser`: the hosted UI in a browser, with the authorization-code flow
//! and PKCE (S256) and a loopback redirect, as a native app signs in (RFC 8252). The redirect
//! URI is one of the client's `CallbackURLs` on `http://localhost` or `http://127.0.0.1` (or
//! `--redirect-uri`); gatehouse listens there for the one redirect, exchanges the code at the
//! token endpoint, and prints the ID token as `gatehouse login` does. Locally the hosted UI is
//! under the Cognito endpoint (`<endpoint>/<domain>`); on AWS at the pool's domain.

use std::time::Duration;

use anyhow::{Context, bail};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// How long to wait for the browser to come back.
const WAIT: Duration = Duration::from_secs(300);

/// Where the hosted UI is, and what to sign in with.
pub struct Target {
    /// `http://127.0.0.1:9229/<domain>` or `https://<domain>.auth.<region>.amazoncognito.com`.
    pub base: String,
    /// The app client.
    pub client_id: String,
    /// Its secret, if it has one.
    pub client_secret: Option<String>,
    /// Its callback URLs.
    pub callback_urls: Vec<String>,
}

impl std::fmt::Debug for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Target")
            .field("base", &self.base)
            .field("client_id", &self.client_id)
            .field("client_secret", &self.client_secret.as_ref().map(|_| "…"))
            .field("callback_urls", &self.callback_urls)
            .finish()
    }
}

/// A loopback redirect URI: `(port, path)`.
fn loopback(uri: &str) -> Option<(u16, String)> {
    let rest = uri.strip_prefix("http://")?;
    let (host_port, path) = rest
        .split_once('/')
        .map_or((rest, "/".to_string()), |(h, p)| (h, format!("/{p}")));
    let (host, port) = host_port
        .rsplit_once(':')
        .map_or((host_port, "80"), |(h, p)| (h, p));
    if host != "localhost" && host != "127.0.0.1" {
        return None;
    }
    Some((port.parse().ok()?, path))
}

fn form(pairs: &[(&str, &str)]) -> String {
    let mut s = form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        s.append_pair(k, v);
    }
    s.finish()
}

/// The request line's path and query, from one HTTP request on `stream`.
async fn read_request(stream: &mut tokio::net::TcpStream) -> anyhow::Result<String> {
    let mut buf = Vec::with_capacity(2048);
    let mut chunk = [0u8; 2048];
    while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = stream.read(&mut chunk).await?;
        if n == 0 || buf.len() > 16 * 1024 {
            break;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    let head = String::from_utf8_lossy(&buf);
    let line = head.lines().next().unwrap_or_default();
    Ok(line
        .split_whitespace()
        .nth(1)
        .unwrap_or_default()
        .to_string())
}

async fn answer(stream: &mut tokio::net::TcpStream, status: &str, text: &str) {
    let body = format!(
        "<!doctype html><html lang=\"en\"><meta charset=\"utf-8\"><title>gatehouse login</title>\
<body style=\"font-family:system-ui;margin:4rem\"><p>{text}</p></body></html>"
    );
    let resp = format!(
        "HTTP/1.1 {status}\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = stream.write_all(resp.as_bytes()).await;
    let _ = stream.shutdown().await;
}

/// Signs in through the hosted UI; the token endpoint's answer.
pub async fn sign_in(
    t: &Target,
    redirect_uri: Option<&str>,
    open: bool,
) -> anyhow::Result<serde_json::Value> {
    let redirect = match redirect_uri {
        Some(r) => r.to_string(),
        None => t
            .callback_urls
            .iter()
            .find(|u| loopback(u).is_some())
            .cloned()
            .with_context(|| {
                format!(
                    "the app client has no callback URL on http://localhost or http://127.0.0.1 (it has: {}): add one to its CallbackURLs, or pass --redirect-uri",
                    t.callback_urls.join(", ")
                )
            })?,
    };
    let (port, path) = loopback(&redirect).with_context(|| {
        format!("--redirect-uri {redirect} is not an http://localhost or http://127.0.0.1 URL")
    })?;
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .with_context(|| {
            format!("cannot listen on 127.0.0.1:{port} for the redirect to {redirect}")
        })?;

    let mut raw = [0u8; 32];
    common::id::random_bytes(&mut raw);
    let verifier = common::encoding::b64url(&raw);
    let challenge = common::encoding::b64url(&common::digest::sha256(&[verifier.as_bytes()]));
    common::id::random_bytes(&mut raw);
    let state = common::encoding::b64url(&raw[..16]);
    let url = format!(
        "{}/oauth2/authorize?{}",
        t.base,
        form(&[
            ("response_type", "code"),
            ("client_id", &t.client_id),
            ("redirect_uri", &redirect),
            ("state", &state),
            ("code_challenge", &challenge),
            ("code_challenge_method", "S256"),
        ])
    );
    eprintln!("Sign in in your browser:\n  {url}");
    if open {
        let opener = if cfg!(target_os = "macos") {
            "open"
        } else {
            "xdg-open"
        };
        let _ = std::process::Command::new(opener)
            .arg(&url)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn();
    }

    let code = tokio::time::timeout(WAIT, async {
        loop {
            let (mut stream, _) = listener.accept().await?;
            let target = read_request(&mut stream).await?;
            let (p, query) = target.split_once('?').unwrap_or((&target, ""));
            if p != path {
                answer(&mut stream, "404 Not Found", "Not the sign-in redirect.").await;
                continue;
            }
            let q: std::collections::HashMap<String, String> =
                form_urlencoded::parse(query.as_bytes())
                    .into_owned()
                    .collect();
            if let Some(e) = q.get("error") {
                answer(
                    &mut stream,
                    "400 Bad Request",
                    "The sign-in failed; see the terminal.",
                )
                .await;
                bail!("the hosted UI answered error={e}");
            }
            if q.get("state") != Some(&state) {
                answer(
                    &mut stream,
                    "400 Bad Request",
                    "The sign-in did not match; see the terminal.",
                )
                .await;
                bail!("the redirect's state does not match the one sent (another sign-in?)");
            }
            let Some(code) = q.get("code").cloned() else {
                answer(&mut stream, "400 Bad Request", "No code came back.").await;
                bail!("the redirect carried no code");
            };
            answer(
                &mut stream,
                "200 OK",
                "Signed in. You can close this tab and go back to the terminal.",
            )
            .await;
            return anyhow::Ok(code);
        }
    })
    .await
    .with_context(|| {
        format!(
            "no sign-in came back to {redirect} within {} s",
            WAIT.as_secs()
        )
    })??;

    let mut body = vec![
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", redirect.as_str()),
        ("client_id", t.client_id.as_str()),
        ("code_verifier", verifier.as_str()),
    ];
    if let Some(s) = &t.client_secret {
        body.push(("client_secret", s.as_str()));
    }
    let (status, answer) = super::http::post_json(
        &format!("{}/oauth2/token", t.base),
        &[("content-type", "application/x-www-form-urlencoded")],
        form(&body).into_bytes(),
    )
    .await?;
    if !status.is_success() {
        bail!("the token endpoint refused the code: {answer}");
    }
    Ok(answer)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_loopback_http_uris_are_redirect_targets() {
        assert_eq!(
            loopback("http://localhost:8765/callback"),
            Some((8765, "/callback".into()))
        );
        assert_eq!(loopback("http://127.0.0.1:9/"), Some((9, "/".into())));
        assert_eq!(loopback("http://localhost"), Some((80, "/".into())));
        assert_eq!(loopback("https://localhost:8765/callback"), None);
        assert_eq!(loopback("http://example.com:8765/callback"), None);
    }
}
