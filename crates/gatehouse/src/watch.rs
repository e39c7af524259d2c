//! `gatehouse up --watch`: when a function's sources change, rebuild it and replace its
//! instances. Requests in flight finish on the old version; users and tokens are untouched.
//!
//! Polling (a fingerprint of the folder twice a second) needs no platform file-watch API and
//! costs little for a function's sources.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use lambda::Host;

use crate::functions::Runnable as Watched;

/// (files, newest modification, total size) of the sources under `dir`.
type Fingerprint = (u64, SystemTime, u64);

fn fingerprint(dir: &Path) -> Fingerprint {
    lambda::deps::fingerprint(
        dir,
        &[".git", "target", "__pycache__", "node_modules", ".aws-sam"],
    )
}

/// Watches every function's folder until the task is aborted.
pub fn spawn(host: Arc<Host>, functions: Vec<Watched>) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let dirs: Vec<PathBuf> = functions.iter().map(|f| f.source_dir.clone()).collect();
        let mut last: Vec<Fingerprint> = Vec::with_capacity(dirs.len());
        for d in &dirs {
            let d = d.clone();
            last.push(
                tokio::task::spawn_blocking(move || fingerprint(&d))
                    .await
                    .unwrap_or((0, SystemTime::UNIX_EPOCH, 0)),
            );
        }
        loop {
            tokio::time::sleep(Duration::from_millis(500)).await;
            for (i, f) in functions.iter().enumerate() {
                let d = dirs[i].clone();
                let Ok(now) = tokio::task::spawn_blocking(move || fingerprint(&d)).await else {
                    continue;
                };
                if now == last[i] {
                    continue;
                }
                last[i] = now;
                reload(&host, f).await;
            }
        }
    })
}

async fn reload(host: &Host, f: &Watched) {
    let mut config = f.config.clone();
    if let Some(binary) = &f.cargo_binary {
        tracing::info!("{}: sources changed, rebuilding", config.name);
        match lambda::build::cargo_build(&config.working_dir, binary).await {
            Ok(path) => config.command = path,
            Err(e) => {
                tracing::error!("{}: {e}\nthe previous build keeps serving", config.name);
                return;
            }
        }
    }
    // A Node.js function runs from a copy of its code beside its packages: copy it again.
    if let Some((code, modules, stage)) = f.staged.clone() {
        let staged =
            tokio::task::spawn_blocking(move || lambda::deps::stage(&code, &modules, &stage)).await;
        if let Ok(Err(e)) | Err(e) = staged.map_err(|e| lambda::deps::DepsError::Io(e.to_string()))
        {
            tracing::error!("{}: {e}\nthe previous version keeps serving", config.name);
            return;
        }
    }
    host.add(config);
    tracing::info!(
        "{}: reloaded; new requests get the new version",
        f.config.name
    );
}
