//! Building Rust functions with cargo: `cargo build --release --bin <Binary>` in the function's
//! crate, the executable's path read from cargo's own JSON messages.

use std::path::{Path, PathBuf};
use std::process::Stdio;

use serde_json::Value as Json;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Command;

/// A failed build, with what the compiler said.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    /// cargo could not be run.
    #[error("cannot run cargo: {0} (is the Rust toolchain on PATH?)")]
    Cargo(std::io::Error),
    /// The build failed.
    #[error("cargo build of {binary} in {dir} failed:\n{output}")]
    Failed {
        /// The binary.
        binary: String,
        /// The crate folder.
        dir: String,
        /// The compiler's messages.
        output: String,
    },
}

/// Builds `binary` of the crate in `dir` (release) and returns the executable's path.
pub async fn cargo_build(dir: &Path, binary: &str) -> Result<PathBuf, BuildError> {
    let mut built = cargo_build_all(dir, &[binary.to_string()], &|_| {}).await?;
    Ok(built.remove(0))
}

/// Builds several binaries of the crate in `dir` in one cargo run (one up-to-date check
/// instead of one per binary) and returns their paths, in the order asked.
/// `progress` is told the name of each crate cargo finishes, as it finishes.
pub async fn cargo_build_all(
    dir: &Path,
    binaries: &[String],
    progress: &(dyn Fn(&str) + Send + Sync),
) -> Result<Vec<PathBuf>, BuildError> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.args([
        "build",
        "--release",
        "--message-format=json-render-diagnostics",
    ]);
    for b in binaries {
        cmd.args(["--bin", b]);
    }
    let mut child = cmd
        .arg("--manifest-path")
        .arg(dir.join("Cargo.toml"))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(BuildError::Cargo)?;
    let stdout = child.stdout.take().expect("stdout is piped");
    let stderr = child.stderr.take().expect("stderr is piped");
    let errors = tokio::spawn(async move {
        let mut text = String::new();
        let mut lines = BufReader::new(stderr).lines();
        while let Ok(Some(line)) = lines.next_line().await {
            text.push_str(&line);
            text.push('\n');
        }
        text
    });
    let mut found: Vec<Option<PathBuf>> = vec![None; binaries.len()];
    let mut lines = BufReader::new(stdout).lines();
    while let Ok(Some(line)) = lines.next_line().await {
        let Ok(msg) = serde_json::from_str::<Json>(&line) else {
            continue;
        };
        if msg["reason"] != "compiler-artifact" {
            continue;
        }
        if let Some(name) = msg["target"]["name"].as_str() {
            progress(name);
        }
        if let (Some(name), Some(path)) =
            (msg["target"]["name"].as_str(), msg["executable"].as_str())
            && let Some(i) = binaries.iter().position(|b| b == name)
        {
            found[i] = Some(PathBuf::from(path));
        }
    }
    let status = child.wait().await.map_err(BuildError::Cargo)?;
    let output = errors.await.unwrap_or_default();
    let all: Option<Vec<PathBuf>> = found.into_iter().collect();
    match (status.success(), all) {
        (true, Some(paths)) => Ok(paths),
        _ => Err(BuildError::Failed {
            binary: binaries.join(", "),
            dir: dir.display().to_string(),
            output,
        }),
    }
}
