//! `gatehouse up`: read the template, create or reopen its resources, serve until stopped.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context, bail};
use serde_json::{Value as Json, json};
use template::{Physical, Pseudo, ResolveError, Stack};
use tokio::net::TcpListener;
use userpool::{Settings, UserPools};

use crate::UpArgs;

/// Runs `gatehouse up` to completion (until Ctrl-C or SIGTERM).
pub fn run(args: UpArgs) -> anyhow::Result<()> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    rt.block_on(serve(args))
}

fn parse_overrides(raw: &[String]) -> anyhow::Result<Vec<(String, String)>> {
    raw.iter()
        .flat_map(|s| s.split_whitespace())
        .map(|pair| match pair.split_once('=') {
            Some((k, v)) if !k.is_empty() => Ok((k.to_string(), v.to_string())),
            _ => bail!("--parameter-overrides takes Name=Value pairs, got {pair:?}"),
        })
        .collect()
}

async fn bind(host: &str, port: u16, flag: &str) -> anyhow::Result<TcpListener> {
    TcpListener::bind((host, port)).await.map_err(|e| {
        if e.kind() == std::io::ErrorKind::AddrInUse {
            anyhow::anyhow!(
                "port {port} on {host} is in use (another gatehouse up?): stop it, or pass {flag} <another port>"
            )
        } else {
            anyhow::anyhow!("cannot listen on {host}:{port}: {e}")
        }
    })
}

async fn serve(args: UpArgs) -> anyhow::Result<()> {
    let started = Instant::now();
    let overrides = parse_overrides(&args.parameter_overrides)?;
    let pseudo = Pseudo {
        region: args.region.clone(),
        ..Pseudo::default()
    };
    let stack = Stack::load(&args.template, &overrides, pseudo)?;

    let listener = bind(&args.host, args.cognito_port, "--cognito-port").await?;
    let addr = listener.local_addr()?;
    let base_url = format!("http://{addr}");
    let settings = Settings {
        state_dir: args.state_dir.clone(),
        region: args.region.clone(),
        account_id: stack.pseudo.account_id.clone(),
        base_url: base_url.clone(),
    };
    let pools = tokio::task::spawn_blocking(move || UserPools::open(settings))
        .await?
        .with_context(|| format!("cannot open the state dir {}", args.state_dir.display()))?;
    let pools = Arc::new(pools);

    let creator = Arc::clone(&pools);
    let (stack, physical) = tokio::task::spawn_blocking(move || {
        let ph = create_resources(&stack, &creator)?;
        anyhow::Ok((stack, ph))
    })
    .await??;

    let outputs = stack.resolved_outputs(&physical)?;
    write_outputs(&args.state_dir, &outputs)?;

    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let cognito = tokio::spawn(userpool::service::serve(listener, Arc::clone(&pools), {
        let mut rx = stop_rx.clone();
        async move {
            let _ = rx.wait_for(|s| *s).await;
        }
    }));

    print_summary(&base_url, &outputs, &args.state_dir, started);
    shutdown_signal().await;
    tracing::info!("shutting down");
    let _ = stop_tx.send(true);
    cognito.await??;
    Ok(())
}

/// Creates (or finds again) every resource the local stack serves, in dependency order.
fn create_resources(stack: &Stack, pools: &UserPools) -> anyhow::Result<Physical> {
    let mut ph = Physical::default();
    let region = &stack.pseudo.region;
    for res in &stack.resources {
        let props = || -> anyhow::Result<Json> {
            stack
                .resolve(&res.properties, &ph, &res.logical_id)
                .map_err(|e| match e {
                    ResolveError::Invalid(e) => anyhow::Error::new(e),
                    ResolveError::Unresolved { logical_id } => anyhow::anyhow!(
                        "{}:{}: {}: refers to {logical_id}, which the local stack does not create",
                        stack.file.display(),
                        res.line,
                        res.logical_id
                    ),
                })
        };
        let at = |e: userpool::CognitoError| {
            anyhow::anyhow!(
                "{}:{}: {}: {e}",
                stack.file.display(),
                res.line,
                res.logical_id
            )
        };
        match res.kind.as_str() {
            "AWS::Cognito::UserPool" => {
                let pool = pools.ensure_pool(&res.logical_id, &props()?).map_err(at)?;
                let provider = format!("cognito-idp.{region}.amazonaws.com/{}", pool.id);
                ph.insert(
                    &res.logical_id,
                    pool.id.clone(),
                    &[
                        ("Arn", json!(pool.arn)),
                        ("ProviderName", json!(provider)),
                        ("ProviderURL", json!(pools.issuer(&pool.id))),
                        ("UserPoolId", json!(pool.id)),
                    ],
                );
            }
            "AWS::Cognito::UserPoolClient" => {
                let client = pools
                    .ensure_client(&res.logical_id, &props()?)
                    .map_err(at)?;
                let secret = client.secret.clone().unwrap_or_default();
                ph.insert(
                    &res.logical_id,
                    client.id.clone(),
                    &[
                        ("ClientSecret", json!(secret)),
                        ("Name", json!(client.name)),
                    ],
                );
            }
            "AWS::Cognito::UserPoolUser" => {
                let username = pools.ensure_user(&res.logical_id, &props()?).map_err(at)?;
                ph.insert(&res.logical_id, username, &[]);
            }
            other => {
                tracing::debug!("{}: {other} is not served locally yet", res.logical_id);
            }
        }
    }
    Ok(ph)
}

/// Writes `outputs.json` atomically.
fn write_outputs(dir: &Path, outputs: &BTreeMap<String, String>) -> anyhow::Result<()> {
    let path = dir.join("outputs.json");
    let tmp = dir.join("outputs.json.tmp");
    let text = serde_json::to_string_pretty(outputs)? + "\n";
    std::fs::write(&tmp, text).with_context(|| format!("cannot write {}", tmp.display()))?;
    std::fs::rename(&tmp, &path).with_context(|| format!("cannot write {}", path.display()))?;
    Ok(())
}

fn print_summary(
    base_url: &str,
    outputs: &BTreeMap<String, String>,
    state_dir: &Path,
    started: Instant,
) {
    let mut out = String::new();
    out.push_str(&format!(
        "gatehouse is up ({} ms)\n",
        started.elapsed().as_millis()
    ));
    out.push_str(&format!("  Cognito endpoint  {base_url}\n"));
    for (k, v) in outputs {
        out.push_str(&format!("  {k:<17} {v}\n"));
    }
    out.push_str(&format!(
        "  state             {} (outputs.json, outbox.jsonl)\n",
        state_dir.display()
    ));
    // On stdout, once, so scripts can wait for it.
    print!("{out}");
    use std::io::Write;
    let _ = std::io::stdout().flush();
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = ctrl_c => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = ctrl_c.await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = ctrl_c.await;
    }
}
