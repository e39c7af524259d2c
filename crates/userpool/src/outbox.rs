//! Where the pool "sends" messages: one JSON object per line in `outbox.jsonl`, and the log.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde_json::{Value as Json, json};

/// A message the pool would deliver by email or SMS.
#[derive(Debug, Clone)]
pub struct Message {
    /// The address (email or phone number).
    pub to: String,
    /// Subject line.
    pub subject: String,
    /// Body text.
    pub body: String,
    /// The temporary password it carries, if any.
    pub temporary_password: Option<String>,
    /// The code it carries, if any.
    pub code: Option<String>,
    /// Pool and stored username, for `gatehouse outbox`.
    pub pool_id: String,
    /// The stored username.
    pub username: String,
}

/// The outbox file.
#[derive(Debug)]
pub struct Outbox {
    path: PathBuf,
    file: Mutex<File>,
}

impl Outbox {
    /// Opens `path` for appending (created if missing, mode 0600: it holds passwords).
    pub fn open(path: &Path) -> std::io::Result<Outbox> {
        let mut opts = OpenOptions::new();
        opts.create(true).append(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            opts.mode(0o600);
        }
        Ok(Outbox {
            path: path.to_path_buf(),
            file: Mutex::new(opts.open(path)?),
        })
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Records a message; a write failure is logged, not fatal (the console line still shows it).
    pub fn send(&self, m: &Message) {
        let mut record = json!({
            "time": common::date::now_f64(),
            "poolId": m.pool_id,
            "username": m.username,
            "to": m.to,
            "subject": m.subject,
            "body": m.body,
        });
        if let Some(p) = &m.temporary_password {
            record["temporaryPassword"] = Json::String(p.clone());
        }
        if let Some(c) = &m.code {
            record["code"] = Json::String(c.clone());
        }
        tracing::info!(target: "outbox", "to {}: {} — {}", m.to, m.subject, m.body);
        let mut line = record.to_string();
        line.push('\n');
        let mut f = self
            .file
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Err(e) = f.write_all(line.as_bytes()).and_then(|()| f.flush()) {
            tracing::error!("cannot write {}: {e}", self.path.display());
        }
    }
}
