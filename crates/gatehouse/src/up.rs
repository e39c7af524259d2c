//! `gatehouse up`: read the template, create or reopen its resources, build its functions,
//! serve the user pools, the APIs and the functions until stopped.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use gateway::spec::ApiSpec;
use lambda::FunctionConfig;
use serde_json::{Value as Json, json};
use template::{Physical, Pseudo, ResolveError, Resource, Stack};
use tokio::net::TcpListener;
use userpool::{Settings, UserPools};

use crate::UpArgs;

/// Runs `gatehouse up` to completion (until Ctrl-C or SIGTERM).
pub fn run(args: UpArgs) -> anyhow::Result<()> {
    // One async thread: a request hands work between the gateway, the Runtime API listeners and
    // the pool's tasks, and across threads each hand-off is a futex wake-up (a profile under
    // load showed ~30% of gatehouse's time in the kernel switching tasks). On one thread the
    // same throughput costs a third less CPU, left to the function processes. Slow work
    // (argon2, the store, SRP math) still runs on the blocking pool, bounded: that work is CPU
    // bound, so more threads than a few per core only add memory (each thread its own malloc
    // arena and stack: 50 sign-ins at once grew gatehouse from 22 to 44 MB with 59 threads).
    let cores = std::thread::available_parallelism().map_or(2, std::num::NonZeroUsize::get);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .max_blocking_threads(cores * 2)
        .build()
        .context("cannot start the async runtime")?;
    rt.block_on(serve(args))
}

fn parse_overrides(raw: &[String]) -> anyhow::Result<Vec<(String, String)>> {
    raw.iter()
        .flat_map(|s| s.split_whitespace())
        .map(|pair| match pair.split_once('=') {
            Some((k, v)) if !k.is_empty() => Ok((k.to_string(), v.to_string())),
            _ => bail!("--parameter-overrides takes Name=Value pairs, got {pair:?}"),
        })
        .collect()
}

async fn bind(host: &str, port: u16, flag: &str) -> anyhow::Result<TcpListener> {
    TcpListener::bind((host, port)).await.map_err(|e| {
        if e.kind() == std::io::ErrorKind::AddrInUse {
            anyhow::anyhow!(
                "port {port} on {host} is in use (another gatehouse up?): stop it, or pass {flag} <another port>"
            )
        } else {
            anyhow::anyhow!("cannot listen on {host}:{port}: {e}")
        }
    })
}

/// A function as the template declares it, before it is built.
#[derive(Debug)]
struct FunctionPlan {
    config: FunctionConfig,
    /// `Some(binary)`: build with cargo in `config.working_dir`; `None`: run `config.command`.
    cargo_binary: Option<String>,
}

/// What the template asks the local stack to serve.
#[derive(Debug, Default)]
struct Plan {
    physical: Physical,
    apis: Vec<ApiSpec>,
    functions: Vec<FunctionPlan>,
}

async fn serve(args: UpArgs) -> anyhow::Result<()> {
    let started = Instant::now();
    let overrides = parse_overrides(&args.parameter_overrides)?;
    let pseudo = Pseudo {
        region: args.region.clone(),
        ..Pseudo::default()
    };
    let stack = Stack::load(&args.template, &overrides, pseudo)?;

    let cognito_listener = bind(&args.host, args.cognito_port, "--cognito-port").await?;
    let api_listener = bind(&args.host, args.api_port, "--api-port").await?;
    let cognito_url = format!("http://{}", cognito_listener.local_addr()?);
    let api_url = format!("http://{}", api_listener.local_addr()?);
    let settings = Settings {
        state_dir: args.state_dir.clone(),
        region: args.region.clone(),
        account_id: stack.pseudo.account_id.clone(),
        base_url: cognito_url.clone(),
    };
    let pools = tokio::task::spawn_blocking(move || UserPools::open(settings))
        .await?
        .with_context(|| format!("cannot open the state dir {}", args.state_dir.display()))?;
    let pools = Arc::new(pools);

    let creator = Arc::clone(&pools);
    let (stack, mut plan) = tokio::task::spawn_blocking(move || {
        let plan = plan_resources(&stack, &creator)?;
        anyhow::Ok((stack, plan))
    })
    .await??;

    let host = lambda::Host::new();
    // One cargo run per crate: its up-to-date check is most of a warm start.
    let mut by_crate: BTreeMap<PathBuf, Vec<String>> = BTreeMap::new();
    for f in &plan.functions {
        if let Some(b) = &f.cargo_binary {
            by_crate
                .entry(f.config.working_dir.clone())
                .or_default()
                .push(b.clone());
        }
    }
    let mut built: BTreeMap<(PathBuf, String), PathBuf> = BTreeMap::new();
    let records = args.state_dir.join("builds.json");
    for (dir, binaries) in by_crate {
        let what = binaries.join(", ");
        let (d, b, r) = (dir.clone(), binaries.clone(), records.clone());
        let unchanged = tokio::task::spawn_blocking(move || {
            lambda::build::unchanged_since_recorded(&d, &b, &r)
        })
        .await
        .ok()
        .flatten();
        if let Some(paths) = unchanged {
            tracing::info!("{what}: sources unchanged since the last build, cargo not run");
            for (b, p) in binaries.into_iter().zip(paths) {
                built.insert((dir.clone(), b), p);
            }
            continue;
        }
        tracing::info!("building {what} (cargo build --release)");
        let bar = build_progress(&what);
        let tick = |name: &str| {
            if let Some(b) = &bar {
                b.inc(1);
                b.set_message(format!("building {what}: compiled {name}"));
            }
        };
        let paths = lambda::build::cargo_build_all(&dir, &binaries, &tick).await;
        if let Some(b) = bar {
            b.finish_and_clear();
        }
        let paths =
            paths.with_context(|| format!("the functions in {} did not build", dir.display()))?;
        let (d, b, r) = (dir.clone(), binaries.clone(), records.clone());
        let paths = tokio::task::spawn_blocking(move || {
            lambda::build::record(&d, &b, &paths, &r);
            paths.paths
        })
        .await?;
        for (b, p) in binaries.into_iter().zip(paths) {
            built.insert((dir.clone(), b), p);
        }
    }
    let mut watched = Vec::new();
    for f in plan.functions.drain(..) {
        let mut config = f.config;
        if let Some(b) = &f.cargo_binary
            && let Some(path) = built.get(&(config.working_dir.clone(), b.clone()))
        {
            config.command = path.clone();
        }
        host.add(config.clone());
        watched.push(crate::watch::Watched {
            config,
            cargo_binary: f.cargo_binary,
        });
    }
    if args.watch {
        crate::watch::spawn(Arc::clone(&host), watched);
    }

    let mut outputs = stack.resolved_outputs(&plan.physical)?;
    for api in &plan.apis {
        // The template's ApiUrl names AWS's hostname; locally the API is here.
        let aws = format!(
            "https://{}.execute-api.{}.amazonaws.com",
            api.id, args.region
        );
        for v in outputs.values_mut() {
            if v.starts_with(&aws) {
                *v = v.replacen(&aws, &api_url, 1);
            }
        }
    }
    write_outputs(&args.state_dir, &outputs)?;
    crate::local::write_endpoints(
        &args.state_dir,
        &crate::local::Endpoints {
            cognito: cognito_url.clone(),
            api: api_url.clone(),
        },
    )?;

    let gateway = Arc::new(gateway::Gateway::new(
        plan.apis,
        Arc::new(crate::adapters::Functions(Arc::clone(&host))),
        Arc::new(crate::adapters::Keys(Arc::clone(&pools))),
        &args.region,
        &stack.pseudo.account_id,
    ));
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let stopped = |mut rx: tokio::sync::watch::Receiver<bool>| async move {
        let _ = rx.wait_for(|s| *s).await;
    };
    let cognito = tokio::spawn(userpool::service::serve(
        cognito_listener,
        Arc::clone(&pools),
        stopped(stop_rx.clone()),
    ));
    let api = tokio::spawn(gateway::serve(
        api_listener,
        Arc::clone(&gateway),
        stopped(stop_rx),
    ));

    print_summary(
        &cognito_url,
        &api_url,
        &outputs,
        &gateway.route_table(),
        &args.state_dir,
        started,
    );
    // Sign-ins write refresh tokens without waiting for the disk; make them durable each second.
    let flusher = {
        let pools = Arc::clone(&pools);
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(1));
            loop {
                tick.tick().await;
                let p = Arc::clone(&pools);
                let _ = tokio::task::spawn_blocking(move || p.flush()).await;
            }
        })
    };

    shutdown_signal().await;
    tracing::info!("shutting down");
    let _ = stop_tx.send(true);
    host.shutdown().await;
    flusher.abort();
    let p = Arc::clone(&pools);
    let _ = tokio::task::spawn_blocking(move || p.flush()).await;
    let _ = tokio::time::timeout(Duration::from_secs(5), async {
        let _ = cognito.await;
        let _ = api.await;
    })
    .await;
    Ok(())
}

/// A spinner with a count of compiled crates, on a terminal only (logs stay plain elsewhere).
fn build_progress(what: &str) -> Option<indicatif::ProgressBar> {
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

/// Creates (or finds again) the user pools, and reads the APIs and functions, in dependency
/// order so each resource's references resolve.
fn plan_resources(stack: &Stack, pools: &UserPools) -> anyhow::Result<Plan> {
    let mut plan = Plan::default();
    let region = &stack.pseudo.region;
    let template_dir = stack
        .file
        .parent()
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
    for res in &stack.resources {
        let at = |e: &dyn std::fmt::Display| {
            anyhow::anyhow!(
                "{}:{}: {}: {e}",
                stack.file.display(),
                res.line,
                res.logical_id
            )
        };
        let props = |node: &template::Node, ph: &Physical| -> anyhow::Result<Json> {
            stack
                .resolve(node, ph, &res.logical_id)
                .map_err(|e| match e {
                    ResolveError::Invalid(e) => anyhow::Error::new(e),
                    ResolveError::Unresolved { logical_id } => at(&format!(
                        "refers to {logical_id}, which the local stack does not create"
                    )),
                })
        };
        match res.kind.as_str() {
            "AWS::Cognito::UserPool" => {
                let pool = pools
                    .ensure_pool(&res.logical_id, &props(&res.properties, &plan.physical)?)
                    .map_err(|e| at(&e))?;
                let provider = format!("cognito-idp.{region}.amazonaws.com/{}", pool.id);
                plan.physical.insert(
                    &res.logical_id,
                    pool.id.clone(),
                    &[
                        ("Arn", json!(pool.arn)),
                        ("ProviderName", json!(provider)),
                        ("ProviderURL", json!(pools.issuer(&pool.id))),
                        ("UserPoolId", json!(pool.id)),
                    ],
                );
            }
            "AWS::Cognito::UserPoolClient" => {
                let client = pools
                    .ensure_client(&res.logical_id, &props(&res.properties, &plan.physical)?)
                    .map_err(|e| at(&e))?;
                let secret = client.secret.clone().unwrap_or_default();
                plan.physical.insert(
                    &res.logical_id,
                    client.id.clone(),
                    &[
                        ("ClientSecret", json!(secret)),
                        ("Name", json!(client.name)),
                    ],
                );
            }
            "AWS::Cognito::UserPoolUser" => {
                let username = pools
                    .ensure_user(&res.logical_id, &props(&res.properties, &plan.physical)?)
                    .map_err(|e| at(&e))?;
                plan.physical.insert(&res.logical_id, username, &[]);
            }
            "AWS::Serverless::Api" => {
                let spec =
                    ApiSpec::from_sam(&res.logical_id, &props(&res.properties, &plan.physical)?)
                        .map_err(|e| at(&e.message))?;
                plan.physical.insert(
                    &res.logical_id,
                    spec.id.clone(),
                    &[("RootResourceId", json!("root"))],
                );
                plan.apis.push(spec);
            }
            "AWS::Serverless::Function" => {
                let globals = match stack.globals.as_ref().and_then(|g| g.get("Function")) {
                    Some(node) => props(node, &plan.physical)?,
                    None => Json::Null,
                };
                let mut merged = globals;
                merge(&mut merged, props(&res.properties, &plan.physical)?);
                let f = function_plan(stack, res, &merged, &template_dir).map_err(|e| at(&e))?;
                plan.physical.insert(
                    &res.logical_id,
                    f.config.name.clone(),
                    &[("Arn", json!(f.config.arn()))],
                );
                add_events(&mut plan.apis, &res.logical_id, &merged).map_err(|e| at(&e))?;
                plan.functions.push(f);
            }
            other => tracing::debug!("{}: {other} is not served locally", res.logical_id),
        }
    }
    Ok(plan)
}

/// SAM's Globals merge: maps merge key by key, the function's own values win.
fn merge(base: &mut Json, over: Json) {
    match (base, over) {
        (Json::Object(b), Json::Object(o)) => {
            for (k, v) in o {
                merge(b.entry(k).or_insert(Json::Null), v);
            }
        }
        (b, o) => *b = o,
    }
}

fn function_plan(
    stack: &Stack,
    res: &Resource,
    props: &Json,
    dir: &Path,
) -> Result<FunctionPlan, String> {
    let code = props["CodeUri"]
        .as_str()
        .ok_or("CodeUri must be a local folder")?;
    let working_dir = dir.join(code);
    let runtime = props["Runtime"].as_str().unwrap_or_default();
    let metadata = match &res.metadata {
        Some(m) => stack
            .resolve(m, &Physical::default(), &res.logical_id)
            .unwrap_or(Json::Null),
        None => Json::Null,
    };
    let cargo_binary = if metadata["BuildMethod"] == "rust-cargolambda" {
        Some(
            metadata["BuildProperties"]["Binary"]
                .as_str()
                .unwrap_or(&res.logical_id)
                .to_string(),
        )
    } else {
        None
    };
    let command = working_dir.join("bootstrap");
    if cargo_binary.is_none() && !(runtime.starts_with("provided") && command.is_file()) {
        return Err(format!(
            "runtime {runtime:?} cannot run locally: use Metadata BuildMethod rust-cargolambda, or Runtime provided.* with an executable bootstrap in {}",
            working_dir.display()
        ));
    }
    let env = props["Environment"]["Variables"]
        .as_object()
        .map(|m| {
            m.iter()
                .map(|(k, v)| (k.clone(), template::json_text(v)))
                .collect()
        })
        .unwrap_or_default();
    let int = |k: &str, d: u64| {
        props[k]
            .as_u64()
            .or_else(|| props[k].as_str().and_then(|s| s.parse().ok()))
            .unwrap_or(d)
    };
    Ok(FunctionPlan {
        config: FunctionConfig {
            name: props["FunctionName"]
                .as_str()
                .unwrap_or(&res.logical_id)
                .to_string(),
            command,
            working_dir,
            env,
            timeout: Duration::from_secs(int("Timeout", 3)),
            memory_mb: u32::try_from(int("MemorySize", 128)).unwrap_or(128),
            concurrency: usize::try_from(int("ReservedConcurrentExecutions", 10))
                .unwrap_or(10)
                .max(1),
            handler: props["Handler"].as_str().unwrap_or("bootstrap").to_string(),
            region: stack.pseudo.region.clone(),
            account_id: stack.pseudo.account_id.clone(),
        },
        cargo_binary,
    })
}

/// Adds a function's `Api` events to their APIs (the implicit one when RestApiId is absent).
fn add_events(apis: &mut Vec<ApiSpec>, function: &str, props: &Json) -> Result<(), String> {
    let Some(events) = props["Events"].as_object() else {
        return Ok(());
    };
    for (name, ev) in events {
        if ev["Type"] != "Api" {
            tracing::debug!(
                "{function}: event {name} ({}) is not served locally",
                ev["Type"]
            );
            continue;
        }
        let p = &ev["Properties"];
        let api = match p["RestApiId"].as_str() {
            Some(id) => apis.iter_mut().find(|a| a.id == id).ok_or_else(|| {
                format!(
                    "event {name}: RestApiId {id} is not an AWS::Serverless::Api of this template"
                )
            })?,
            None => {
                if !apis.iter().any(|a| a.logical_id == "ServerlessRestApi") {
                    apis.push(ApiSpec::implicit());
                }
                apis.iter_mut()
                    .find(|a| a.logical_id == "ServerlessRestApi")
                    .expect("just added")
            }
        };
        api.add_event(function, p)
            .map_err(|e| format!("event {name}: {}", e.message))?;
    }
    Ok(())
}

/// Writes `outputs.json` atomically.
fn write_outputs(dir: &Path, outputs: &BTreeMap<String, String>) -> anyhow::Result<()> {
    let path = dir.join("outputs.json");
    let tmp = dir.join("outputs.json.tmp");
    let text = serde_json::to_string_pretty(outputs)? + "\n";
    std::fs::write(&tmp, text).with_context(|| format!("cannot write {}", tmp.display()))?;
    std::fs::rename(&tmp, &path).with_context(|| format!("cannot write {}", path.display()))?;
    Ok(())
}

fn print_summary(
    cognito_url: &str,
    api_url: &str,
    outputs: &BTreeMap<String, String>,
    routes: &[(String, String, String, String)],
    state_dir: &Path,
    started: Instant,
) {
    let mut out = String::new();
    out.push_str(&format!(
        "gatehouse is up ({} ms)\n",
        started.elapsed().as_millis()
    ));
    out.push_str(&format!("  Cognito endpoint  {cognito_url}\n"));
    out.push_str(&format!("  API               {api_url}\n"));
    for (k, v) in outputs {
        out.push_str(&format!("  {k:<17} {v}\n"));
    }
    out.push_str(&format!(
        "  state             {} (outputs.json, outbox.jsonl)\n",
        state_dir.display()
    ));
    out.push_str("  routes:\n");
    for (method, path, function, auth) in routes {
        out.push_str(&format!(
            "    {method:<7} {path:<24} {function:<24} auth: {auth}\n"
        ));
    }
    if let Some(next) = next_steps(outputs, state_dir) {
        out.push_str(&next);
    }
    // A blank line ends the summary, so scripts know when they have all of it.
    out.push('\n');
    // On stdout, once, so scripts can wait for it.
    // The log lines before it first, so the summary comes after them on a terminal.
    crate::console::flush();
    print!("{out}");
    use std::io::Write;
    let _ = std::io::stdout().flush();
}

/// The commands a newcomer runs next, with this stack's values filled in.
fn next_steps(outputs: &BTreeMap<String, String>, state_dir: &Path) -> Option<String> {
    let api = outputs.get("ApiUrl")?;
    let dir = if state_dir == Path::new(".gatehouse") {
        String::new()
    } else {
        format!(" --state-dir {}", state_dir.display())
    };
    let messages = std::fs::read_to_string(state_dir.join("outbox.jsonl")).unwrap_or_default();
    let invited = messages
        .lines()
        .filter_map(|l| serde_json::from_str::<Json>(l).ok())
        .filter(|m| m["temporaryPassword"].is_string())
        .filter_map(|m| m["to"].as_str().map(str::to_string))
        .next_back();
    let mut s = String::from("  next:\n");
    match invited {
        Some(user) => {
            s.push_str(&format!(
                "    gatehouse outbox{dir}                  # {user}'s temporary password\n"
            ));
            s.push_str(&format!(
                "    TOKEN=$(gatehouse login{dir} --username {user} --password \"$(gatehouse outbox{dir} --temporary-password {user})\" --new-password Testing1)\n"
            ));
        }
        None => s.push_str(&format!(
            "    TOKEN=$(gatehouse login{dir} --username <user> --password <password>)\n"
        )),
    }
    s.push_str(&format!("    curl {api}/open\n"));
    s.push_str(&format!("    curl -H \"Authorization: $TOKEN\" {api}\n"));
    Some(s)
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = ctrl_c => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = ctrl_c.await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = ctrl_c.await;
    }
}
