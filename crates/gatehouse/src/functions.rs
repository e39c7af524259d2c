//! The template's functions made runnable, as `sam build` would leave them: built first where
//! their `BuildMethod` asks (cargo, esbuild, make: [`builds`]), Python and Node.js functions given their interpreter, our bootstrap, their dependencies
//! and layers (installed once into the state dir), inline code written out; and every
//! function turned into the Lambda host's configuration. A function that cannot run here (a
//! runtime with no interpreter on this machine) is still configured, with the reason: its
//! invocations fail with it, and the start-up summary lists it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use lambda::FunctionConfig;
use lambda::runtime::{Family, Interpreter};

mod builds;
use builds::{build_artifacts, build_rust};

/// Concurrent instances of a function without `ReservedConcurrentExecutions`.
pub const DEFAULT_CONCURRENCY: usize = 10;

/// A function ready for the host, and what rebuilds it.
#[derive(Debug, Clone)]
pub struct Runnable {
    /// How the host runs it.
    pub config: FunctionConfig,
    /// `Some(binary)`: a Rust function, rebuilt with cargo.
    pub cargo_binary: Option<String>,
    /// The folder whose changes reload it (`--watch`).
    pub source_dir: PathBuf,
    /// A Node.js function run from a copy of its code beside its installed packages: the
    /// code folder and the copy, restaged on change.
    pub staged: Option<(PathBuf, PathBuf, PathBuf)>,
}

/// What preparing the functions needs to know.
#[derive(Debug)]
pub struct Context<'a> {
    /// The state dir (`deps/`, `stage/`, `inline/`, `runtimes/`, `builds.json`).
    pub state_dir: &'a Path,
    /// Region.
    pub region: &'a str,
    /// Account id.
    pub account: &'a str,
    /// `--env-vars`: per logical id (and `Parameters` for all), applied to variables the
    /// template declares.
    pub env_overrides: &'a BTreeMap<String, BTreeMap<String, String>>,
    /// The local Cognito endpoint and the local pools' ids: Python and Node.js bootstraps send
    /// requests for those pools' keys on AWS's host there (`GATEHOUSE_COGNITO_*`).
    pub cognito: (&'a str, Vec<String>),
    /// Variables every function gets besides its own (`AWS_ENDPOINT_URL_DYNAMODB`), before
    /// its own so that the template's win.
    pub extra_env: &'a [(String, String)],
    /// Where the functions' role sessions come from.
    pub credentials: Option<Arc<dyn lambda::RoleCredentials>>,
    /// Put the AWS SDK each runtime ships on its functions' module path (`--no-runtime-sdk`
    /// turns it off).
    pub runtime_sdk: bool,
}

/// Interpreters found so far, and the bootstraps' paths.
#[derive(Debug, Default)]
struct Interpreters {
    python: BTreeMap<String, Result<Interpreter, String>>,
    node: Option<Result<Interpreter, String>>,
    bootstraps: Option<(PathBuf, PathBuf)>,
    /// One line per runtime whose interpreter differs from what the template asks for.
    said: Vec<String>,
}

/// What `build` says besides the functions: lines for the start-up summary.
#[derive(Debug, Default)]
pub struct Report {
    /// Runtimes that run with another interpreter version than the template's.
    pub versions: Vec<String>,
    /// Functions that cannot run here, with why.
    pub unavailable: Vec<(String, String)>,
    /// The builds: what was built (a function, or a crate's binaries), with which method, and
    /// how long it took (`None`: unchanged since the last start, not run).
    pub builds: Vec<(String, &'static str, Option<Duration>)>,
}

impl Report {
    /// The start-up summary's line on the builds, when there were any:
    /// `2 built in 1.3 s: Api (esbuild, 0.4 s), Jobs (makefile, unchanged)`.
    pub fn builds_line(&self) -> Option<String> {
        if self.builds.is_empty() {
            return None;
        }
        let total: Duration = self.builds.iter().filter_map(|b| b.2).sum();
        let each: Vec<String> = self
            .builds
            .iter()
            .map(|(what, method, took)| match took {
                Some(t) => format!("{what} ({method}, {:.1} s)", t.as_secs_f64()),
                None => format!("{what} ({method}, unchanged)"),
            })
            .collect();
        Some(format!(
            "{} in {:.1} s: {}",
            self.builds.len(),
            total.as_secs_f64(),
            each.join(", ")
        ))
    }
}

fn base_config(f: &sam::Function, ctx: &Context<'_>) -> FunctionConfig {
    let mut env: Vec<(String, String)> = ctx
        .extra_env
        .iter()
        .filter(|(k, _)| !f.env.iter().any(|(own, _)| own == k))
        .cloned()
        .collect();
    env.extend(f.env.iter().cloned());
    let mut apply = |vars: &BTreeMap<String, String>| {
        for (k, v) in &mut env {
            if let Some(over) = vars.get(k) {
                *v = over.clone();
            }
        }
    };
    if let Some(all) = ctx.env_overrides.get("Parameters") {
        apply(all);
    }
    if let Some(own) = ctx.env_overrides.get(&f.logical_id) {
        apply(own);
    }
    FunctionConfig {
        name: f.name.clone(),
        command: f.code_dir.join("bootstrap"),
        args: Vec::new(),
        runtime: f.runtime.clone(),
        unavailable: None,
        working_dir: f.code_dir.clone(),
        runtime_dir: ctx.state_dir.join("runtimes"),
        env,
        timeout: Duration::from_secs(f.timeout_secs),
        memory_mb: f.memory_mb,
        concurrency: f.reserved_concurrency.unwrap_or(DEFAULT_CONCURRENCY).max(1),
        handler: f.handler.clone(),
        region: ctx.region.to_string(),
        account_id: ctx.account.to_string(),
        credentials: ctx.credentials.clone(),
    }
}

fn unavailable(mut config: FunctionConfig, why: String) -> FunctionConfig {
    config.unavailable = Some(why);
    config
}

/// Makes every function of `app` runnable.
pub async fn build(app: &sam::App, ctx: &Context<'_>) -> anyhow::Result<(Vec<Runnable>, Report)> {
    let mut interp = Interpreters::default();
    let mut report = Report::default();
    // Layers built with a Makefile (`make build-<LayerId>`): their content is what it made.
    let mut own_layers = Vec::with_capacity(app.layers.len());
    for l in &app.layers {
        if l.build_method.as_deref() == Some("makefile") {
            let build = sam::Build::Makefile { working_dir: None };
            let (dir, took) = build_artifacts(&l.logical_id, &l.content_dir, &build, ctx).await?;
            report
                .builds
                .push((l.logical_id.clone(), build.method(), took));
            own_layers.push(sam::Layer {
                content_dir: dir,
                build_method: None,
                ..l.clone()
            });
        } else {
            own_layers.push(l.clone());
        }
    }
    let layers: BTreeMap<&str, &sam::Layer> =
        own_layers.iter().map(|l| (l.arn.as_str(), l)).collect();
    let mut runnable = Vec::with_capacity(app.functions.len());
    for f in &app.functions {
        let r = prepare(f, ctx, &layers, &mut interp, &mut report.builds).await?;
        if let Some(why) = &r.config.unavailable {
            tracing::warn!(
                "{}:{}: {}: cannot run here: {why}; its routes answer 502",
                app.file.display(),
                f.line,
                f.logical_id
            );
            report.unavailable.push((f.logical_id.clone(), why.clone()));
        }
        runnable.push(r);
    }
    report.versions = interp.said;
    build_rust(&mut runnable, ctx.state_dir, &mut report.builds).await?;
    Ok((runnable, report))
}

/// One function, made runnable (its Rust binary, if any, is built by [`build_rust`]; an
/// esbuild or makefile build runs here, and the function runs from what it made).
async fn prepare(
    f: &sam::Function,
    ctx: &Context<'_>,
    layers: &BTreeMap<&str, &sam::Layer>,
    interp: &mut Interpreters,
    builds: &mut Vec<(String, &'static str, Option<Duration>)>,
) -> anyhow::Result<Runnable> {
    let mut config = base_config(f, ctx);
    let runnable = |config: FunctionConfig| Runnable {
        config,
        cargo_binary: None,
        source_dir: f.code_dir.clone(),
        staged: None,
    };
    let family = lambda::runtime::family(&f.runtime);
    if let Some(why) = code_missing(f) {
        return Ok(runnable(unavailable(config, why)));
    }
    if let Some(sam::Build::Cargo { binary }) = &f.build {
        let mut r = runnable(config);
        r.cargo_binary = Some(match binary {
            Some(b) => b.clone(),
            None => lambda::build::only_binary(&f.code_dir)
                .await
                .with_context(|| format!("{}: which binary to build", f.logical_id))?,
        });
        return Ok(r);
    }
    let built = match &f.build {
        Some(b @ (sam::Build::Esbuild { .. } | sam::Build::Makefile { .. })) => {
            let (dir, took) = build_artifacts(&f.logical_id, &f.code_dir, b, ctx).await?;
            builds.push((f.logical_id.clone(), b.method(), took));
            Some(dir)
        }
        _ => None,
    };
    // What a build made is the whole of the function's code, as on Lambda: nothing more is
    // installed into it.
    let installs = built.is_none();
    // Inline code is written out as the file Lambda makes of it, `index.py` / `index.js`; a
    // CodeUri naming one file (which `sam deploy` zips alone) is copied into a folder of its own.
    let code_dir = match &f.inline_code {
        _ if built.is_some() => built.clone().unwrap_or_default(),
        None if f.code_dir.is_file() => {
            let dir = ctx.state_dir.join("inline").join(&f.logical_id);
            common::fs::create_private_dir(&dir)?;
            let name = f.code_dir.file_name().unwrap_or_default();
            std::fs::copy(&f.code_dir, dir.join(name))
                .with_context(|| format!("cannot copy {}", f.code_dir.display()))?;
            dir
        }
        Some(code) => {
            let dir = ctx.state_dir.join("inline").join(&f.logical_id);
            let file = match family {
                Family::Python { .. } => "index.py",
                _ => "index.js",
            };
            common::fs::create_private_dir(&dir)?;
            common::fs::write_private(&dir.join(file), code.as_bytes())?;
            dir
        }
        None => f.code_dir.clone(),
    };
    config.working_dir = code_dir.clone();
    let mut r = runnable(config);
    r.source_dir = if built.is_some() {
        f.code_dir.clone()
    } else {
        code_dir.clone()
    };
    let config = &mut r.config;
    let own_layers: Vec<&sam::Layer> = f
        .layers
        .iter()
        .filter_map(|arn| match layers.get(arn.as_str()) {
            Some(l) => Some(*l),
            None => {
                tracing::warn!(
                    "{}: layer {arn} is not in this template: its packages are not available locally",
                    f.logical_id
                );
                None
            }
        })
        .collect();
    match family {
        Family::Provided => {
            config.command = code_dir.join("bootstrap");
            if !config.command.is_file() {
                return Ok(Runnable {
                    config: unavailable(
                        r.config.clone(),
                        format!(
                            "runtime {} needs an executable bootstrap in {}, or Metadata BuildMethod rust-cargolambda",
                            f.runtime,
                            code_dir.display()
                        ),
                    ),
                    ..r
                });
            }
        }
        Family::Python { version } => {
            let python = match python_for(interp, &f.runtime, &version).await {
                Ok(p) => p,
                Err(why) => {
                    return Ok(Runnable {
                        config: unavailable(r.config.clone(), why),
                        ..r
                    });
                }
            };
            let (bootstrap, _) = bootstraps(interp, ctx.state_dir)?;
            let mut path = Vec::new();
            let requirements = code_dir.join("requirements.txt");
            if installs && requirements.is_file() {
                let target = deps_dir(ctx, "pip", &code_dir);
                install(
                    &f.logical_id,
                    lambda::deps::pip(&python.program, &requirements, &target),
                )
                .await?;
                path.push(target);
            }
            for l in &own_layers {
                path.extend(python_layer(l, &python, &version, ctx).await?);
            }
            // After the function's own packages and its layers, as `/var/runtime` on Lambda.
            if ctx.runtime_sdk {
                let xy = python
                    .version
                    .split('.')
                    .take(2)
                    .collect::<Vec<_>>()
                    .join(".");
                let sdk = lambda::sdk::boto3(&python.program, &xy);
                path.push(runtime_sdk(f, sdk, lambda::sdk::boto3_packages()).await?);
            }
            path.push(config.runtime_dir.clone());
            config.command = python.program.clone();
            config.args = vec![bootstrap.display().to_string()];
            push_path(&mut config.env, "PYTHONPATH", &path);
            local_cognito(config, ctx);
        }
        Family::Node { .. } => {
            let node = match node_for(interp, &f.runtime).await {
                Ok(n) => n,
                Err(why) => {
                    return Ok(Runnable {
                        config: unavailable(r.config.clone(), why),
                        ..r
                    });
                }
            };
            let (_, bootstrap) = bootstraps(interp, ctx.state_dir)?;
            if installs
                && code_dir.join("package.json").is_file()
                && !code_dir.join("node_modules").is_dir()
            {
                let target = deps_dir(ctx, "npm", &code_dir);
                install(&f.logical_id, lambda::deps::npm(&code_dir, &target)).await?;
                let stage = ctx.state_dir.join("stage").join(&f.logical_id);
                let modules = target.join("node_modules");
                lambda::deps::stage(&code_dir, &modules, &stage)?;
                config.working_dir = stage.clone();
                r.staged = Some((code_dir.clone(), modules, stage));
            }
            let mut path = Vec::new();
            for l in &own_layers {
                path.extend(node_layer(l, ctx).await?);
            }
            // Lambda's NODE_PATH: the layers, the runtime's SDK, the runtime, the task root.
            if ctx.runtime_sdk {
                path.extend(node_sdk(f, &code_dir, r.staged.as_ref().map(|s| &s.1)).await?);
            }
            let config = &mut r.config;
            path.push(config.runtime_dir.clone());
            path.push(config.working_dir.clone());
            config.command = node.program.clone();
            config.args = vec![bootstrap.display().to_string()];
            push_path(&mut config.env, "NODE_PATH", &path);
            local_cognito(config, ctx);
        }
        Family::Unsupported => {
            let why = format!(
                "runtime {} has no interpreter here (gatehouse runs provided.*, python3.* and nodejs*.x functions)",
                if f.runtime.is_empty() {
                    "(none)"
                } else {
                    &f.runtime
                }
            );
            return Ok(Runnable {
                config: unavailable(r.config.clone(), why),
                ..r
            });
        }
    }
    Ok(r)
}

/// Why `f`'s code is not here to run, when it is not: it lives in S3, or its `CodeUri` folder
/// does not exist.
fn code_missing(f: &sam::Function) -> Option<String> {
    if let Some(at) = &f.code_in_s3 {
        return Some(format!(
            "its code is in S3 ({at}) and cannot run locally: point CodeUri at the folder it is built from"
        ));
    }
    (f.inline_code.is_none() && !f.code_dir.exists())
        .then(|| format!("its CodeUri folder {} does not exist", f.code_dir.display()))
}

/// The runtime's SDK for a Node.js function: `aws-sdk` v2 for nodejs ≤ 16.x; for later ones
/// the `@aws-sdk/*` packages its code names that its own `node_modules` (`own`, or the one in
/// its folder) does not have; nothing when it needs none.
async fn node_sdk(
    f: &sam::Function,
    code_dir: &Path,
    own: Option<&PathBuf>,
) -> anyhow::Result<Option<PathBuf>> {
    use lambda::sdk::{Packages, Shipped};
    match lambda::sdk::shipped(&lambda::runtime::family(&f.runtime)) {
        Some(Shipped::JsV2) => {
            let what = Packages(vec![format!("aws-sdk@{}", lambda::sdk::AWS_SDK_V2)]);
            Ok(Some(runtime_sdk(f, lambda::sdk::aws_sdk_v2(), what).await?))
        }
        Some(Shipped::JsV3) => {
            let own = own
                .cloned()
                .unwrap_or_else(|| code_dir.join("node_modules"));
            let mut wanted = lambda::sdk::v3_imports(code_dir);
            wanted.retain(|p| !own.join(p).is_dir());
            // An esbuild bundle holds the packages it imports, but for those it leaves external:
            // only those are the runtime's to give (a bundled SDK names optional packages of its
            // own that are no imports of the function's).
            if let Some(sam::Build::Esbuild { properties }) = &f.build {
                let external: Vec<&str> = properties
                    .get("external")
                    .and_then(serde_json::Value::as_array)
                    .map(|e| e.iter().filter_map(serde_json::Value::as_str).collect())
                    .unwrap_or_default();
                wanted.retain(|p| {
                    external
                        .iter()
                        .any(|e| lambda::build::esbuild::external_matches(e, p))
                });
            }
            if wanted.is_empty() {
                return Ok(None);
            }
            let what = Packages(wanted.iter().cloned().collect());
            Ok(Some(
                runtime_sdk(f, lambda::sdk::aws_sdk_v3(&wanted), what).await?,
            ))
        }
        _ => Ok(None),
    }
}

/// An install of the runtime's SDK into the shared cache; when it fails (offline with an empty
/// cache), an error that names the packages and the way around it.
async fn runtime_sdk(
    f: &sam::Function,
    job: impl std::future::Future<Output = Result<(PathBuf, bool), lambda::deps::DepsError>>,
    what: lambda::sdk::Packages,
) -> anyhow::Result<PathBuf> {
    match job.await {
        Ok((dir, _)) => Ok(dir),
        Err(e) => Err(anyhow::anyhow!(
            "{}: the AWS SDK its runtime {} ships on Lambda ({what}) is not in {} and could not be installed: {e}\n\
             Reach the package registry once (the SDK is kept for every later start), or start with --no-runtime-sdk (functions then import only their own packages).",
            f.logical_id,
            f.runtime,
            lambda::sdk::cache_dir().display()
        )),
    }
}

/// Tells our bootstrap where the local pools' keys are (it takes the variables out of the
/// function's environment before loading the handler).
fn local_cognito(config: &mut FunctionConfig, ctx: &Context<'_>) {
    let (endpoint, pools) = &ctx.cognito;
    if pools.is_empty() {
        return;
    }
    config
        .env
        .push(("GATEHOUSE_COGNITO_ENDPOINT".into(), endpoint.to_string()));
    config
        .env
        .push(("GATEHOUSE_COGNITO_POOLS".into(), pools.join(",")));
}

/// Where the dependencies of the manifest in `dir` are installed: one folder per code folder
/// (functions that share a `CodeUri` share their install) and tool.
pub(super) fn deps_dir(ctx: &Context<'_>, tool: &str, dir: &Path) -> PathBuf {
    let dir = dir.canonicalize().unwrap_or_else(|_| dir.to_path_buf());
    let digest = common::digest::sha256(&[tool.as_bytes(), dir.as_os_str().as_encoded_bytes()]);
    let name = dir
        .file_name()
        .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
    ctx.state_dir.join("deps").join(format!(
        "{name}-{tool}-{}",
        &common::encoding::hex(&digest)[..12]
    ))
}

/// `NAME=a:b:c` added to `env` (after what the template gave it, if it did).
fn push_path(env: &mut Vec<(String, String)>, name: &str, dirs: &[PathBuf]) {
    if dirs.is_empty() {
        return;
    }
    let joined = std::env::join_paths(dirs)
        .map(|p| p.to_string_lossy().into_owned())
        .unwrap_or_default();
    match env.iter_mut().find(|(k, _)| k == name) {
        Some((_, v)) => *v = format!("{v}:{joined}"),
        None => env.push((name.into(), joined)),
    }
}

/// Runs an install, saying so when it takes time.
pub(super) async fn install(
    what: &str,
    job: impl std::future::Future<Output = Result<bool, lambda::deps::DepsError>>,
) -> anyhow::Result<()> {
    let started = std::time::Instant::now();
    let installed = job
        .await
        .with_context(|| format!("the dependencies of {what} did not install"))?;
    if installed {
        tracing::info!(
            "{what}: dependencies installed in {:.1} s",
            started.elapsed().as_secs_f64()
        );
    } else {
        tracing::debug!("{what}: dependencies unchanged since the last install");
    }
    Ok(())
}

/// A Python layer's folders on the import path: its `python/` (and the site-packages under
/// it, as Lambda's `/opt/python` layout has), and its `requirements.txt` installed.
async fn python_layer(
    l: &sam::Layer,
    python: &Interpreter,
    version: &str,
    ctx: &Context<'_>,
) -> anyhow::Result<Vec<PathBuf>> {
    let mut dirs = Vec::new();
    let requirements = l.content_dir.join("requirements.txt");
    if requirements.is_file() {
        let target = deps_dir(ctx, "pip", &l.content_dir).join("python");
        install(
            &l.logical_id,
            lambda::deps::pip(&python.program, &requirements, &target),
        )
        .await?;
        dirs.push(target);
    }
    let own = l.content_dir.join("python");
    if own.is_dir() {
        dirs.push(
            own.join("lib")
                .join(format!("python{version}"))
                .join("site-packages"),
        );
        dirs.push(own);
    } else if l
        .build_method
        .as_deref()
        .is_some_and(|m| m.starts_with("python"))
    {
        // A layer built by SAM from its sources: the folder is what goes under python/.
        dirs.push(l.content_dir.clone());
    }
    Ok(dirs)
}

/// A Node.js layer's `nodejs/node_modules` (for `require`, as Lambda's `/opt/nodejs`), and
/// its `package.json` installed.
async fn node_layer(l: &sam::Layer, ctx: &Context<'_>) -> anyhow::Result<Vec<PathBuf>> {
    let mut dirs = Vec::new();
    for pkg in [l.content_dir.clone(), l.content_dir.join("nodejs")] {
        if pkg.join("package.json").is_file() {
            let target = deps_dir(ctx, "npm", &pkg);
            install(&l.logical_id, lambda::deps::npm(&pkg, &target)).await?;
            dirs.push(target.join("node_modules"));
            break;
        }
    }
    let own = l.content_dir.join("nodejs").join("node_modules");
    if own.is_dir() {
        dirs.push(own);
    }
    Ok(dirs)
}

fn bootstraps(interp: &mut Interpreters, state_dir: &Path) -> anyhow::Result<(PathBuf, PathBuf)> {
    if interp.bootstraps.is_none() {
        interp.bootstraps = Some(
            lambda::runtime::write_bootstraps(&state_dir.join("runtimes"))
                .context("cannot write the runtime bootstraps into the state dir")?,
        );
    }
    Ok(interp.bootstraps.clone().expect("just written"))
}

async fn python_for(
    interp: &mut Interpreters,
    runtime: &str,
    version: &str,
) -> Result<Interpreter, String> {
    if !interp.python.contains_key(version) {
        let v = version.to_string();
        let found = tokio::task::spawn_blocking(move || lambda::runtime::python(&v))
            .await
            .unwrap_or_else(|e| Err(e.to_string()));
        if let Ok(p) = &found
            && !lambda::runtime::matches(&p.version, version)
        {
            interp.said.push(format!(
                "{runtime} functions run with Python {} ({}): this machine has no python{version}",
                p.version,
                p.program.display()
            ));
        }
        interp.python.insert(version.to_string(), found);
    }
    interp.python[version].clone()
}

async fn node_for(interp: &mut Interpreters, runtime: &str) -> Result<Interpreter, String> {
    if interp.node.is_none() {
        interp.node = Some(
            tokio::task::spawn_blocking(lambda::runtime::node)
                .await
                .unwrap_or_else(|e| Err(e.to_string())),
        );
    }
    let found = interp.node.clone().expect("just found");
    if let Ok(n) = &found
        && let lambda::runtime::Family::Node { major } = lambda::runtime::family(runtime)
        && !lambda::runtime::matches(&n.version, &major)
    {
        let line = format!(
            "{runtime} functions run with Node.js {} ({})",
            n.version,
            n.program.display()
        );
        if !interp.said.contains(&line) {
            interp.said.push(line);
        }
    }
    found
}
