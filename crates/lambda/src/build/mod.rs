//! Building functions before they start, as `sam build` does (aws-lambda-builders' workflows):
//! - [`cargo`]: `rust-cargolambda`, one cargo run per crate, the executables' paths read from
//!   cargo's JSON messages;
//! - [`esbuild`]: `BuildMethod: esbuild`, its `BuildProperties` turned into esbuild's flags
//!   the way aws-lambda-builders turns them;
//! - [`make`]: `BuildMethod: makefile`, `make build-<LogicalId>` with `ARTIFACTS_DIR`;
//! - [`artifacts`]: whether an esbuild or make build is still current (its sources unchanged),
//!   so a second start builds nothing.

pub mod artifacts;
pub mod cargo;
pub mod esbuild;
pub mod make;

pub use cargo::{
    Built, cargo_build, cargo_build_all, only_binary, record, unchanged_since_recorded,
};

/// A failed build, with what the tool said.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    /// cargo could not be run.
    #[error("cannot run cargo: {0} (is the Rust toolchain on PATH?)")]
    Cargo(std::io::Error),
    /// The cargo build failed.
    #[error("cargo build of {binary} in {dir} failed:\n{output}")]
    Failed {
        /// The binary.
        binary: String,
        /// The crate folder.
        dir: String,
        /// The compiler's messages.
        output: String,
    },
    /// An esbuild or make build could not run or failed; `what` says which and where.
    #[error("{what}:\n{output}")]
    Step {
        /// `esbuild in <folder> failed`, `cannot run make: …`.
        what: String,
        /// What the tool printed, or what is wrong with the template's build settings.
        output: String,
    },
}

impl BuildError {
    pub(crate) fn step(what: impl Into<String>, output: impl Into<String>) -> BuildError {
        BuildError::Step {
            what: what.into(),
            output: output.into(),
        }
    }
}

/// Runs a build tool; what it printed becomes the error when it fails.
pub(crate) async fn run(mut cmd: tokio::process::Command, what: &str) -> Result<(), BuildError> {
    let out = cmd
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .output()
        .await
        .map_err(|e| BuildError::step(format!("cannot run {what}"), e.to_string()))?;
    if out.status.success() {
        return Ok(());
    }
    let mut output = String::from_utf8_lossy(&out.stdout).into_owned();
    output.push_str(&String::from_utf8_lossy(&out.stderr));
    Err(BuildError::step(
        format!("{what} failed ({})", out.status),
        output.trim().to_string(),
    ))
}
