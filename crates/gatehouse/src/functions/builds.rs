//! The builds of the template's functions before they start, as `sam build` runs them: Rust
//! crates with cargo (one run per crate, skipped when nothing cargo would look at changed), and
//! esbuild or makefile builds into `build/<LogicalId>` in the state dir (skipped while their
//! sources and settings are unchanged).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context as _;

use super::{Context, Runnable, deps_dir, install};

/// Runs the esbuild or makefile build of the function or layer `logical_id` from `source` into
/// `build/<LogicalId>` in the state dir, unless what it made is still current; returns that
/// folder and how long the build took (`None`: not run).
pub(super) async fn build_artifacts(
    logical_id: &str,
    source: &Path,
    build: &sam::Build,
    ctx: &Context<'_>,
) -> anyhow::Result<(PathBuf, Option<Duration>)> {
    use lambda::build::{artifacts::Artifacts, esbuild, make};
    let name = logical_id.replace('/', "-");
    let out = ctx.state_dir.join("build").join(&name);
    let source = source.to_path_buf();
    let fail = || {
        format!(
            "{}: BuildMethod {} did not build",
            logical_id,
            build.method()
        )
    };
    let exe = match build {
        sam::Build::Esbuild { .. } => {
            Some(esbuild::executable(&source).await.with_context(fail)?.0)
        }
        _ => None,
    };
    let settings = match build {
        sam::Build::Esbuild { properties } => format!(
            "esbuild {} {}",
            exe.as_deref().unwrap_or(Path::new("")).display(),
            serde_json::Value::Object(properties.clone())
        ),
        sam::Build::Makefile { working_dir } => format!("makefile {working_dir:?}"),
        sam::Build::Cargo { .. } => String::new(),
    };
    let src = source.clone();
    let artifacts =
        tokio::task::spawn_blocking(move || Artifacts::new(out, &src, &settings)).await?;
    if artifacts.current() {
        tracing::info!(
            "{}: sources unchanged since the last {} build, not built",
            logical_id,
            build.method()
        );
        return Ok((artifacts.dir, None));
    }
    tracing::info!("{}: building ({})", logical_id, build.method());
    let started = std::time::Instant::now();
    match build {
        sam::Build::Esbuild { properties } => {
            // `sam build` installs the production dependencies first, for esbuild to bundle.
            let node_path =
                if source.join("package.json").is_file() && !source.join("node_modules").is_dir() {
                    let target = deps_dir(ctx, "npm", &source);
                    install(logical_id, lambda::deps::npm(&source, &target)).await?;
                    Some(target.join("node_modules"))
                } else {
                    None
                };
            let args = esbuild::args(&source, &artifacts.dir, properties).with_context(fail)?;
            artifacts.fresh()?;
            let exe = exe.unwrap_or_default();
            esbuild::bundle(&exe, &source, &args, node_path.as_deref())
                .await
                .with_context(fail)?;
        }
        sam::Build::Makefile { working_dir } => {
            let scratch = ctx.state_dir.join("scratch").join(&name);
            // sam-cli: a WorkingDirectory inside the sources is the same folder in the copy.
            let working = working_dir.as_ref().map(|w| match w.strip_prefix(&source) {
                Ok(inside) => scratch.join(inside),
                Err(_) => w.clone(),
            });
            let id = logical_id.rsplit('/').next().unwrap_or(logical_id);
            artifacts.fresh()?;
            make::build(&source, id, &scratch, &artifacts.dir, working.as_deref())
                .await
                .with_context(fail)?;
        }
        sam::Build::Cargo { .. } => {}
    }
    artifacts.done();
    let took = started.elapsed();
    tracing::info!(
        "{}: built ({}) in {:.1} s",
        logical_id,
        build.method(),
        took.as_secs_f64()
    );
    Ok((artifacts.dir, Some(took)))
}

/// Builds the Rust functions, one cargo run per crate (`builds.json` in `state_dir` records
/// what was built from what, so unchanged sources skip cargo).
pub(super) async fn build_rust(
    runnable: &mut [Runnable],
    state_dir: &Path,
    builds: &mut Vec<(String, &'static str, Option<Duration>)>,
) -> anyhow::Result<()> {
    let mut by_crate: BTreeMap<PathBuf, Vec<String>> = BTreeMap::new();
    for f in runnable.iter() {
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
        let started = std::time::Instant::now();
        let (paths, ran) = build_crate(&dir, &binaries, &records).await?;
        builds.push((
            binaries.join(", "),
            "rust-cargolambda",
            ran.then(|| started.elapsed()),
        ));
        for (b, p) in binaries.iter().zip(paths) {
            built.insert((dir.clone(), b.clone()), p);
        }
    }
    for f in runnable {
        if let Some(b) = &f.cargo_binary
            && let Some(path) = built.get(&(f.config.working_dir.clone(), b.clone()))
        {
            f.config.command = path.clone();
        }
    }
    Ok(())
}

/// Builds `binaries` of the crate in `dir` (or finds them unchanged since the last build);
/// also says whether cargo ran.
async fn build_crate(
    dir: &Path,
    binaries: &[String],
    records: &Path,
) -> anyhow::Result<(Vec<PathBuf>, bool)> {
    let what = binaries.join(", ");
    let (d, b, r) = (dir.to_path_buf(), binaries.to_vec(), records.to_path_buf());
    let unchanged =
        tokio::task::spawn_blocking(move || lambda::build::unchanged_since_recorded(&d, &b, &r))
            .await
            .ok()
            .flatten();
    if let Some(paths) = unchanged {
        tracing::info!("{what}: sources unchanged since the last build, cargo not run");
        return Ok((paths, false));
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
        (paths.paths, true)
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
