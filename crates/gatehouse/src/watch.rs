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
    let mut fp = (0, SystemTime::UNIX_EPOCH, 0);
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let name = e.file_name();
            let name = name.to_string_lossy();
            if name.starts_with('.') || name == "target" || name == "__pycache__" {
                continue;
            }
            let Ok(meta) = e.metadata() else {
                continue;
            };
            if meta.is_dir() {
                stack.push(e.path());
            } else {
                fp.0 += 1;
                fp.2 += meta.len();
                if let Ok(m) = meta.modified() {
                    fp.1 = fp.1.max(m);
                }
            }
        }
    }
    fp
}

/// Watches every function's folder until the task is aborted.
pub fn spawn(host: Arc<Host>, functions: Vec<Watched>) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let dirs: Vec<PathBuf> = functions
            .iter()
            .map(|f| f.config.working_dir.clone())
            .collect();
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
    host.add(config);
    tracing::info!(
        "{}: reloaded; new requests get the new version",
        f.config.name
    );
}
