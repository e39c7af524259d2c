//! The template's functions made runnable: Rust functions built with cargo (one cargo run per
//! crate, skipped when nothing it would look at changed), every function turned into the
//! Lambda host's configuration.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context;
use lambda::FunctionConfig;

/// Concurrent instances of a function without `ReservedConcurrentExecutions`.
pub const DEFAULT_CONCURRENCY: usize = 10;

/// A function ready for the host, and what rebuilds it.
#[derive(Debug, Clone)]
pub struct Runnable {
    /// How the host runs it.
    pub config: FunctionConfig,
    /// `Some(binary)`: a Rust function, rebuilt with cargo.
    pub cargo_binary: Option<String>,
}

/// The host's configuration for `f`, before any build: a Rust function's command is filled in
/// by [`build`]; any other must be a `provided.*` function with an executable `bootstrap`.
fn config(file: &Path, f: &sam::Function, region: &str, account: &str) -> anyhow::Result<Runnable> {
    let command = f.code_dir.join("bootstrap");
    if f.cargo_binary.is_none() && !(f.runtime.starts_with("provided") && command.is_file()) {
        anyhow::bail!(
            "{}:{}: {}: runtime {:?} cannot run locally: use Metadata BuildMethod rust-cargolambda, or Runtime provided.* with an executable bootstrap in {}",
            file.display(),
            f.line,
            f.logical_id,
            f.runtime,
            f.code_dir.display()
        );
    }
    Ok(Runnable {
        config: FunctionConfig {
            name: f.name.clone(),
            command,
            working_dir: f.code_dir.clone(),
            env: f.env.clone(),
            timeout: Duration::from_secs(f.timeout_secs),
            memory_mb: f.memory_mb,
            concurrency: f.reserved_concurrency.unwrap_or(DEFAULT_CONCURRENCY).max(1),
            handler: f.handler.clone(),
            region: region.to_string(),
            account_id: account.to_string(),
        },
        cargo_binary: f.cargo_binary.clone(),
    })
}

/// Makes every function of `app` runnable, building the Rust ones (`builds.json` in
/// `state_dir` records what was built from what).
pub async fn build(
    app: &sam::App,
    region: &str,
    account: &str,
    state_dir: &Path,
) -> anyhow::Result<Vec<Runnable>> {
    let mut runnable = app
        .functions
        .iter()
        .map(|f| config(&app.file, f, region, account))
        .collect::<anyhow::Result<Vec<_>>>()?;
    // One cargo run per crate: its up-to-date check is most of a warm start.
    let mut by_crate: BTreeMap<PathBuf, Vec<String>> = BTreeMap::new();
    for f in &runnable {
        if let Some(b) = &f.cargo_binary {
            by_crate
                .entry(f.config.working_dir.clone())
                .or_default()
                .push(b.clone());
        }
    }
    let mut built: BTreeMap<(PathBuf, String), PathBuf> = BTreeMap::new();
    let records = state_dir.join("builds.json");
    for (dir, binaries) in by_crate {
        for (b, p) in binaries
            .iter()
            .zip(build_crate(&dir, &binaries, &records).await?)
        {
            built.insert((dir.clone(), b.clone()), p);
        }
    }
    for f in &mut runnable {
        if let Some(b) = &f.cargo_binary
            && let Some(path) = built.get(&(f.config.working_dir.clone(), b.clone()))
        {
            f.config.command = path.clone();
        }
    }
    Ok(runnable)
}

/// Builds `binaries` of the crate in `dir` (or finds them unchanged since the last build).
async fn build_crate(
    dir: &Path,
    binaries: &[String],
    records: &Path,
) -> anyhow::Result<Vec<PathBuf>> {
    let what = binaries.join(", ");
    let (d, b, r) = (dir.to_path_buf(), binaries.to_vec(), records.to_path_buf());
    let unchanged =
        tokio::task::spawn_blocking(move || lambda::build::unchanged_since_recorded(&d, &b, &r))
            .await
            .ok()
            .flatten();
    if let Some(paths) = unchanged {
        tracing::info!("{what}: sources unchanged since the last build, cargo not run");
        return Ok(paths);
    }
    tracing::info!("building {what} (cargo build --release)");
    let bar = progress(&what);
    let tick = |name: &str| {
        if let Some(b) = &bar {
            b.inc(1);
            b.set_message(format!("building {what}: compiled {name}"));
        }
    };
    let paths = lambda::build::cargo_build_all(dir, binaries, &tick).await;
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    let paths =
        paths.with_context(|| format!("the functions in {} did not build", dir.display()))?;
    let (d, b, r) = (dir.to_path_buf(), binaries.to_vec(), records.to_path_buf());
    Ok(tokio::task::spawn_blocking(move || {
        lambda::build::record(&d, &b, &paths, &r);
        paths.paths
    })
    .await?)
}

/// A spinner with a count of compiled crates, on a terminal only (logs stay plain elsewhere).
fn progress(what: &str) -> Option<indicatif::ProgressBar> {
    use std::io::IsTerminal;
    if !std::io::stderr().is_terminal() {
        return None;
    }
    let bar = indicatif::ProgressBar::new_spinner();
    bar.set_style(
        indicatif::ProgressStyle::with_template("{spinner} {pos:>4} crates  {msg}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
    );
    bar.enable_steady_tick(Duration::from_millis(120));
    bar.set_message(format!("building {what}"));
    Some(bar)
}
