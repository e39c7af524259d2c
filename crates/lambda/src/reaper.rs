//! Function instances die with gatehouse, even when gatehouse is killed with SIGKILL (and so
//! cannot stop them itself), even in the middle of a request: a small reaper process, started
//! first, is told each instance's process group as it starts and ends, through a pipe. When
//! the pipe closes (gatehouse exited, however it exited), the reaper kills every group still
//! listed and exits.
//!
//! The reaper is gatehouse's own binary run with a hidden subcommand that calls [`run`]; it sits
//! in a process group of its own, so a Ctrl-C meant for gatehouse does not reach it first.

use std::io::{BufRead, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::Mutex;

/// The parent's side: tells the reaper about instances.
#[derive(Debug)]
pub struct Reaper {
    stdin: Mutex<Option<ChildStdin>>,
    child: Mutex<Child>,
}

impl Reaper {
    /// Starts `program args…`, which must call [`run`].
    pub fn spawn(program: &Path, args: &[&str]) -> std::io::Result<Reaper> {
        use std::os::unix::process::CommandExt;
        let mut child = Command::new(program)
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .process_group(0)
            .spawn()?;
        let stdin = child.stdin.take();
        Ok(Reaper {
            stdin: Mutex::new(stdin),
            child: Mutex::new(child),
        })
    }

    fn send(&self, line: &str) {
        let mut stdin = self
            .stdin
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(s) = stdin.as_mut()
            && s.write_all(line.as_bytes()).is_err()
        {
            tracing::warn!("the instance reaper is gone: instances may outlive a killed gatehouse");
            *stdin = None;
        }
    }

    /// An instance started as the leader of process group `pgid`.
    pub fn track(&self, pgid: u32) {
        self.send(&format!("+{pgid}\n"));
    }

    /// That instance's group is gone.
    pub fn forget(&self, pgid: u32) {
        self.send(&format!("-{pgid}\n"));
    }

    /// Closes the pipe (the reaper kills what is left, then exits) and waits for it.
    pub fn finish(&self) {
        drop(
            self.stdin
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .take(),
        );
        let _ = self
            .child
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .wait();
    }
}

/// The reaper's own work: reads `+<pgid>` and `-<pgid>` lines from stdin until it closes, then
/// SIGKILLs every group still listed.
pub fn run() {
    let mut groups = std::collections::BTreeSet::new();
    let stdin = std::io::stdin();
    for line in stdin.lock().lines() {
        let Ok(line) = line else { break };
        let (sign, pid) = line.split_at(line.len().min(1));
        match (sign, pid.parse::<u32>()) {
            ("+", Ok(p)) => {
                groups.insert(p);
            }
            ("-", Ok(p)) => {
                groups.remove(&p);
            }
            _ => {}
        }
    }
    for pgid in groups {
        crate::instance::kill_group(pgid);
    }
}
