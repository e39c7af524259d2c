//! The DynamoDB-compatible engine gatehouse starts itself when the template has tables and no
//! `--dynamodb-endpoint`: moto's server (PyPI), installed once into the shared cache beside the
//! runtimes' SDKs, run as a child that gatehouse owns: on loopback, on a free port, in its own
//! process group (a Ctrl-C for gatehouse does not stop it before its tables are saved), known to
//! the reaper (it dies with a killed gatehouse), its log in `<state>/dynamodb/engine.log`.
//!
//! Why moto and not dynalite (`bench/dynamodb_engines.py`, the figures in the README): on the
//! same cases moto answers all of them as DynamoDB does (conditional writes, transactions, GSI
//! queries, pagination, update expressions, validation messages, TTL), dynalite 4 has no
//! transactions and no TTL; dynalite starts faster and keeps its data on disk. moto keeps its
//! data in memory, so the tables' items are saved in the state dir when gatehouse stops and
//! written back at the next start ([`super::snapshot`]).

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use std::os::unix::fs::OpenOptionsExt as _;

use anyhow::{Context as _, bail};

/// The moto release installed.
pub const MOTO: &str = "5.2.5";

/// How long the engine has to answer its first call.
const READY_WITHIN: Duration = Duration::from_secs(60);

/// The running engine.
#[derive(Debug)]
pub struct Engine {
    /// `http://127.0.0.1:<port>`.
    pub url: String,
    /// Calls to it.
    pub endpoint: super::Endpoint,
    child: tokio::process::Child,
    pid: Option<u32>,
    reaper: Option<Arc<lambda::reaper::Reaper>>,
    log: PathBuf,
    /// Polls it from its start until it answers: the time that took (its start-up time, not
    /// counting what gatehouse did meanwhile).
    probe: tokio::task::JoinHandle<Duration>,
}

/// What moto's server needs, for `pip install`.
fn packages() -> lambda::sdk::Packages {
    lambda::sdk::Packages(vec![
        format!("moto[dynamodb]=={MOTO}"),
        "flask".into(),
        "flask-cors".into(),
    ])
}

impl Engine {
    /// Installs the engine if the cache does not have it yet, and starts it (without waiting
    /// for it to answer: see [`Engine::ready`]).
    pub async fn spawn(
        state_dir: &Path,
        region: &str,
        reaper: Option<Arc<lambda::reaper::Reaper>>,
    ) -> anyhow::Result<Engine> {
        let python = tokio::task::spawn_blocking(|| lambda::runtime::python("3"))
            .await?
            .map_err(|why| {
                anyhow::anyhow!(
                    "the template has DynamoDB tables and gatehouse serves them with moto's server, which needs Python 3: {why}; or give --dynamodb-endpoint URL (a server you run) or --no-dynamodb"
                )
            })?;
        let (dir, _) = lambda::sdk::pip_packages(
            &python.program,
            &format!("dynamodb-engine-moto-{MOTO}"),
            packages(),
        )
        .await
        .map_err(|e| {
            anyhow::anyhow!(
                "the template has DynamoDB tables, and the engine that serves them ({}) is not in {} and could not be installed: {e}\n\
                 Reach the package registry once (it is kept for every later start), or give --dynamodb-endpoint URL (a server you run) or --no-dynamodb.",
                packages(),
                lambda::sdk::cache_dir().display()
            )
        })?;
        let port = free_port()?;
        let folder = state_dir.join("dynamodb");
        common::fs::create_private_dir(&folder)?;
        let log = folder.join("engine.log");
        let out = std::fs::OpenOptions::new()
            .create(true)
            .write(true)
            .truncate(true)
            .mode(0o600)
            .open(&log)
            .with_context(|| format!("cannot write {}", log.display()))?;
        let err = out.try_clone()?;
        let mut cmd = tokio::process::Command::new(&python.program);
        cmd.args(["-m", "moto.server", "-H", "127.0.0.1", "-p"])
            .arg(port.to_string())
            .env("PYTHONPATH", &dir)
            .env("PYTHONDONTWRITEBYTECODE", "1")
            .stdin(std::process::Stdio::null())
            .stdout(out)
            .stderr(err)
            .kill_on_drop(true)
            .process_group(0);
        let child = cmd
            .spawn()
            .with_context(|| format!("cannot start {} -m moto.server", python.program.display()))?;
        let pid = child.id();
        if let (Some(r), Some(p)) = (&reaper, pid) {
            r.track(p);
        }
        let url = format!("http://127.0.0.1:{port}");
        let endpoint =
            super::Endpoint::new(&url, region, super::Credentials::from_env())?.named(format!(
                "the DynamoDB engine at {url} (moto {MOTO}; its log: {})",
                log.display()
            ));
        let spawned = Instant::now();
        let probe = tokio::spawn({
            let endpoint = endpoint.clone();
            async move {
                while !matches!(
                    endpoint.call("ListTables", &serde_json::json!({})).await,
                    Ok(Ok(_))
                ) {
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
                spawned.elapsed()
            }
        });
        Ok(Engine {
            url,
            endpoint,
            child,
            pid,
            reaper,
            log,
            probe,
        })
    }

    /// Waits until the engine answers (it has been starting since [`Engine::spawn`]), and
    /// returns its start-up time: from its process's start to its first answer.
    pub async fn ready(&mut self) -> anyhow::Result<Duration> {
        let deadline = tokio::time::Instant::now() + READY_WITHIN;
        loop {
            if self.probe.is_finished() {
                return Ok((&mut self.probe).await?);
            }
            if let Some(status) = self.child.try_wait()? {
                bail!(
                    "the DynamoDB engine (moto {MOTO}) exited ({status}) before it answered; its log, {}:\n{}",
                    self.log.display(),
                    tail(&self.log)
                );
            }
            if tokio::time::Instant::now() > deadline {
                bail!(
                    "the DynamoDB engine (moto {MOTO}) did not answer within {READY_WITHIN:?}; its log, {}:\n{}",
                    self.log.display(),
                    tail(&self.log)
                );
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// Stops it.
    pub async fn stop(mut self) {
        self.probe.abort();
        let _ = self.child.kill().await;
        if let (Some(r), Some(p)) = (&self.reaper, self.pid) {
            r.forget(p);
        }
    }
}

/// A port free on loopback now (the engine binds it a moment later).
fn free_port() -> anyhow::Result<u16> {
    let l = std::net::TcpListener::bind("127.0.0.1:0")
        .context("cannot find a free port on 127.0.0.1 for the DynamoDB engine")?;
    Ok(l.local_addr()?.port())
}

/// The last lines of a log.
fn tail(log: &Path) -> String {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(20)..].join("\n")
}
