//! `gatehouse invoke`: one raw event to a function of the running stack through Lambda's
//! Invoke API, like `sam local invoke`.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use anyhow::Context;
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;

use super::StateArgs;
use crate::local;

/// Flags of `gatehouse invoke`.
#[derive(Debug, clap::Args)]
pub struct InvokeArgs {
    /// The function's name (its logical id, or its FunctionName when the template sets one).
    function: String,
    /// The event: a JSON file, or `-` for standard input (default `{}`).
    #[arg(long)]
    event: Option<PathBuf>,
    #[command(flatten)]
    state: StateArgs,
}

/// Sends the event and prints the function's answer; a function error is printed and fails.
pub async fn run(args: InvokeArgs) -> anyhow::Result<()> {
    let event = match args.event.as_deref() {
        None => b"{}".to_vec(),
        Some(p) if p == Path::new("-") => {
            let mut buf = Vec::new();
            std::io::stdin().read_to_end(&mut buf)?;
            buf
        }
        Some(p) => std::fs::read(p)
            .with_context(|| format!("cannot read the event file {}", p.display()))?,
    };
    let endpoints = local::endpoints(&args.state.state_dir)?;
    let api = endpoints.api;
    let client: Client<_, Full<Bytes>> = Client::builder(TokioExecutor::new()).build_http();
    let mut req = hyper::Request::post(format!(
        "{api}/2015-03-31/functions/{}/invocations",
        args.function
    ))
    .header(hyper::header::CONTENT_TYPE, "application/json")
    .header(hyper::header::HOST, api.trim_start_matches("http://"))
    .body(Full::new(Bytes::from(event.clone())))
    .context("the function name cannot be part of a URL")?;
    // Signed with the local administrator's key pair, as `aws lambda invoke` would be with it:
    // the Invoke API decides lambda:InvokeFunction with the caller's policies.
    let (key, secret) = iam::admin_credentials(&args.state.state_dir).with_context(|| {
        format!(
            "cannot read the local administrator's key pair in {}",
            args.state.state_dir.display()
        )
    })?;
    let creds = crate::signing::Credentials {
        access_key: key,
        secret_key: secret,
        session_token: None,
    };
    crate::signing::sign(&mut req, &event, &creds, &endpoints.region, "lambda")?;
    let resp = client.request(req).await.with_context(|| {
        format!("cannot reach the local stack at {api}: is `gatehouse up` running?")
    })?;
    let ok = resp.status() == hyper::StatusCode::OK;
    let failed = resp.headers().contains_key("x-amz-function-error");
    let body = resp
        .into_body()
        .collect()
        .await
        .context("the local stack's answer broke off")?
        .to_bytes();
    if !ok {
        anyhow::bail!("{}", String::from_utf8_lossy(&body));
    }
    std::io::stdout().write_all(&body)?;
    println!();
    if failed {
        anyhow::bail!("the function failed (its error is printed above)");
    }
    Ok(())
}
