//! The whole local stack in one process: the template planned (`sam`), its Cognito resources
//! provisioned, its functions built and hosted (`lambda`), the user pools (`userpool`) and the
//! APIs (`gateway`) served on listeners the caller bound, until a shutdown future completes.
//! This module wires and reports; it does not interpret the template.

use std::collections::BTreeMap;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use template::Pseudo;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use userpool::{Settings, UserPools};

use crate::adapters;

/// What to serve, and where to keep its state.
#[derive(Debug, Clone)]
pub struct Config {
    /// The SAM template.
    pub template: PathBuf,
    /// `--parameter-overrides`, as `(Name, Value)`.
    pub parameter_overrides: Vec<(String, String)>,
    /// The state dir (store, keys, outputs.json, outbox.jsonl, builds.json).
    pub state_dir: PathBuf,
    /// Region in pool ids, ARNs and `AWS::Region`.
    pub region: String,
    /// Rebuild and reload functions when their sources change.
    pub watch: bool,
    /// Serve Lambda's Invoke API on the API port.
    pub invoke_api: bool,
    /// `--import-values`: what `Fn::ImportValue` gives, by export name.
    pub import_values: BTreeMap<String, serde_json::Value>,
    /// `--dynamodb-endpoint`: where the template's tables are created and served.
    pub dynamodb_endpoint: Option<String>,
    /// Without `--dynamodb-endpoint`, start a DynamoDB engine for the template's tables
    /// (`--no-dynamodb`: false, and they are listed as not emulated).
    pub dynamodb: bool,
    /// `--endpoint SERVICE=URL`: (service id, URL), set as `AWS_ENDPOINT_URL_<SERVICE>` in
    /// every function (see [`crate::services`]).
    pub endpoints: Vec<(String, String)>,
    /// Put the AWS SDK each runtime ships on its functions' module path, installing it into
    /// the shared cache the first time (`--no-runtime-sdk`: false).
    pub runtime_sdk: bool,
    /// `--env-vars`: environment variables by function logical id (`Parameters`: for every
    /// function), overriding those the template declares, as `sam local` takes them.
    pub env_overrides: BTreeMap<String, BTreeMap<String, String>>,
    /// A program that, run with the argument `reap`, kills the function instances if this
    /// process dies without stopping them (`gatehouse` itself); `None`: no reaper.
    pub reaper: Option<PathBuf>,
    /// The limits of the API and Cognito listeners (header timeout, connections).
    pub limits: common::server::Limits,
    /// `--access-key ID:SECRET`: more key pairs of the local administrator (besides the one in
    /// the state dir's `credentials.json`).
    pub access_keys: Vec<AccessKey>,
}

/// The listeners the stack serves on, already bound (tests bind port 0).
#[derive(Debug)]
pub struct Listeners {
    /// The APIs.
    pub api: TcpListener,
    /// The Cognito-compatible endpoint.
    pub cognito: TcpListener,
}

/// A started stack.
#[derive(Debug)]
pub struct Running {
    /// `http://<cognito listener>`.
    pub cognito_url: String,
    /// `http://<api listener>`.
    pub api_url: String,
    /// The template's outputs, local URLs in place of AWS's.
    pub outputs: BTreeMap<String, String>,
    /// The route table.
    pub routes: Vec<crate::summary::RouteRow>,
    /// What the template declares that is not emulated.
    pub not_emulated: Vec<sam::NotEmulated>,
    /// The identity pools: id, name, `Roles`.
    pub identity_pools: Vec<(String, String, serde_json::Value)>,
    /// The tables on `--dynamodb-endpoint`: (logical id, name, created now).
    pub tables: Vec<(String, String, bool)>,
    /// Where the tables are: `--dynamodb-endpoint`, or the engine's URL.
    pub dynamodb_endpoint: Option<String>,
    /// The engine gatehouse started for them, if it did, and its start-up time.
    pub engine: Option<(crate::dynamodb::engine::Engine, Duration)>,
    /// `--endpoint SERVICE=URL`, as (service id, URL).
    pub endpoints: Vec<(String, String)>,
    /// Functions that cannot run here, and why.
    pub unavailable: Vec<(String, String)>,
    /// The summary's line on the builds (`functions::Report::builds_line`), if any ran.
    pub builds: Option<String>,
    /// The template's transforms.
    pub transforms: Vec<String>,
    /// The ids SAM generates that the template refers to.
    pub generated_used: Vec<String>,
    /// The function host (instances, pids).
    pub host: Arc<lambda::Host>,
    /// The user pools.
    pub pools: Arc<UserPools>,
    /// The state dir.
    pub state_dir: PathBuf,
    stop: tokio::sync::watch::Sender<bool>,
    servers: Vec<JoinHandle<std::io::Result<()>>>,
    background: Vec<JoinHandle<()>>,
}

/// Reads the template, provisions and builds what it declares, and starts serving.
pub async fn start(config: Config, listeners: Listeners) -> anyhow::Result<Running> {
    let pseudo = Pseudo {
        region: config.region.clone(),
        ..Pseudo::default()
    };
    let stack = sam::load(
        &config.template,
        &config.parameter_overrides,
        pseudo,
        config.import_values.clone(),
    )?;
    let cognito_url = format!("http://{}", listeners.cognito.local_addr()?);
    let api_url = format!("http://{}", listeners.api.local_addr()?);
    let account = stack.pseudo.account_id.clone();
    let settings = Settings {
        state_dir: config.state_dir.clone(),
        region: config.region.clone(),
        account_id: account.clone(),
        base_url: cognito_url.clone(),
    };
    private_state_dir(&config.state_dir)?;
    let state_dir = config.state_dir.clone();
    let pools = tokio::task::spawn_blocking(move || UserPools::open(settings))
        .await?
        .with_context(|| format!("cannot open the state dir {}", state_dir.display()))?;
    let pools = Arc::new(pools);

    // Planning is pure; provisioning writes the store: both off the async thread.
    let local = sam::Local {
        api_url: api_url.clone(),
        cognito_url: cognito_url.clone(),
    };
    let p = Arc::clone(&pools);
    let app = tokio::task::spawn_blocking(move || {
        let mut plan = sam::plan(&stack)?;
        plan.provision(&mut adapters::Provision(&p))?;
        anyhow::Ok(plan.resolve_app(&local)?)
    })
    .await??;
    for w in &app.warnings {
        tracing::warn!("{w}");
    }
    let mut iam_warnings = Vec::new();
    let local_iam = Arc::new(crate::credentials::local_iam(
        &config,
        &account,
        &app,
        &mut iam_warnings,
    )?);
    let sessions = Arc::new(crate::credentials::FunctionSessions::new(
        Arc::clone(&local_iam),
        &app,
        &mut iam_warnings,
    ));
    for w in &iam_warnings {
        tracing::warn!("{w}");
    }
    let identity_pools = Arc::new(iam::identitypools::IdentityPools::new(
        Arc::clone(&local_iam),
        Arc::new(crate::credentials::PoolLogins(Arc::clone(&pools))),
        app.identity_pools
            .iter()
            .map(|p| iam::identitypools::Pool {
                config: p.config.clone(),
                roles: p.roles.clone(),
            })
            .collect(),
        Some(config.state_dir.join("identity-pools.json")),
    ));
    let prepared = Arc::clone(&identity_pools);
    tokio::task::spawn_blocking(move || prepared.prepare());

    let host = match &config.reaper {
        Some(program) => lambda::Host::with_reaper(
            lambda::reaper::Reaper::spawn(program, &["reap"])
                .with_context(|| format!("cannot start {} reap", program.display()))?,
        ),
        None => lambda::Host::new(),
    };
    // SDKs in functions reach the local services by themselves (AWS_ENDPOINT_URL_<SERVICE>,
    // botocore's and the v3 JS SDK's names).
    let mut extra_env = vec![
        ("AWS_ENDPOINT_URL_STS".to_string(), cognito_url.clone()),
        (
            "AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER".to_string(),
            cognito_url.clone(),
        ),
        (
            "AWS_ENDPOINT_URL_COGNITO_IDENTITY".to_string(),
            cognito_url.clone(),
        ),
    ];
    if config.invoke_api {
        extra_env.push(("AWS_ENDPOINT_URL_LAMBDA".to_string(), api_url.clone()));
    }
    for (service, url) in &config.endpoints {
        extra_env.push((format!("AWS_ENDPOINT_URL_{service}"), url.clone()));
    }
    // The tables' server: the user's, or an engine started now (it gets ready while the
    // functions are prepared).
    let mut engine = match (
        &config.dynamodb_endpoint,
        config.dynamodb && !app.tables.is_empty(),
    ) {
        (None, true) => Some(
            crate::dynamodb::engine::Engine::spawn(
                &config.state_dir,
                &config.region,
                host.reaper().cloned(),
            )
            .await?,
        ),
        _ => None,
    };
    let dynamodb_url = config
        .dynamodb_endpoint
        .clone()
        .or_else(|| engine.as_ref().map(|e| e.url.clone()));
    if let Some(url) = &dynamodb_url {
        extra_env.push(("AWS_ENDPOINT_URL_DYNAMODB".to_string(), url.clone()));
    }
    let ctx = crate::functions::Context {
        state_dir: &config.state_dir,
        region: &config.region,
        account: &account,
        env_overrides: &config.env_overrides,
        cognito: (&cognito_url, pools.pool_ids()),
        extra_env: &extra_env,
        credentials: Some(sessions as Arc<dyn lambda::RoleCredentials>),
        runtime_sdk: config.runtime_sdk,
    };
    let (runnable, report) = crate::functions::build(&app, &ctx).await?;
    let mut tables = Vec::new();
    let mut not_emulated = app.not_emulated.clone();
    let mut embedded = None;
    if let Some(url) = &dynamodb_url {
        let endpoint = match &engine {
            Some(e) => e.endpoint.clone(),
            None => crate::dynamodb::Endpoint::new(
                url,
                &config.region,
                crate::dynamodb::Credentials::from_env(),
            )?,
        };
        if let Some(mut e) = engine.take() {
            let ready = e.ready().await?;
            embedded = Some((e, ready));
        }
        let outcomes = endpoint.ensure(&app.tables).await?;
        for (t, o) in app.tables.iter().zip(outcomes) {
            tables.push((
                t.logical_id.clone(),
                t.name.clone(),
                o == crate::dynamodb::Outcome::Created,
            ));
        }
        if embedded.is_some() {
            let names: Vec<String> = app.tables.iter().map(|t| t.name.clone()).collect();
            let (n, items) =
                crate::dynamodb::snapshot::restore(&endpoint, &config.state_dir, &names).await?;
            if n > 0 {
                tracing::info!("DynamoDB: {items} items of {n} tables restored from the last stop");
            }
        }
        not_emulated.retain(|n| !app.tables.iter().any(|t| t.logical_id == n.logical_id));
    }
    for line in &report.versions {
        tracing::warn!("{line}");
    }
    for f in &runnable {
        host.add(f.config.clone());
    }
    pools.set_triggers(Arc::new(adapters::Triggers {
        host: Arc::clone(&host),
        runtime: tokio::runtime::Handle::current(),
    }));
    let mut background = Vec::new();
    if config.watch {
        background.push(crate::watch::spawn(Arc::clone(&host), runnable));
    }

    write_outputs(&config.state_dir, &app.outputs)?;
    crate::local::write_endpoints(
        &config.state_dir,
        &crate::local::Endpoints {
            cognito: cognito_url.clone(),
            api: api_url.clone(),
            region: config.region.clone(),
            identity_pools: app.identity_pools.iter().map(|p| p.id.clone()).collect(),
            dynamodb: dynamodb_url.clone().map(|url| (url, config.region.clone())),
            tables: tables
                .iter()
                .map(|(id, name, _)| (id.clone(), name.clone()))
                .collect(),
        },
    )?;

    let remote = crate::issuers::Remote::new(remote_issuers(&app, &pools))
        .context("cannot read this machine's trusted certificates (for issuers on AWS)")?;
    let gateway = Arc::new(
        gateway::Gateway::new(
            app.apis,
            Arc::new(adapters::Functions(Arc::clone(&host))),
            Arc::new(adapters::Keys {
                pools: Arc::clone(&pools),
                remote: Arc::new(remote),
            }),
            &config.region,
            &account,
        )
        .with_invoke_api(config.invoke_api)
        .with_http_apis(app.http_apis)
        .with_iam(Arc::new(adapters::Iam(Arc::clone(&local_iam))))
        .with_api_keys(gateway::protect::ApiKeys::new(
            api_keys(&config.state_dir, app.api_keys)?,
            app.usage_plans,
        )),
    );
    let routes = dir_file(&config.state_dir, "routes.json");
    common::fs::write_private(
        &routes,
        serde_json::to_string_pretty(&gateway.routes_json())?.as_bytes(),
    )
    .with_context(|| format!("cannot write {}", routes.display()))?;
    let (stop, stop_rx) = tokio::sync::watch::channel(false);
    let stopped = |mut rx: tokio::sync::watch::Receiver<bool>| async move {
        let _ = rx.wait_for(|s| *s).await;
    };
    let servers = vec![
        tokio::spawn(common::server::serve(
            listeners.cognito,
            crate::credentials::cognito_port(
                userpool::service::app(Arc::clone(&pools)),
                iam::service::app(Arc::clone(&local_iam), Some(Arc::clone(&identity_pools))),
                iam::service::identity_app(Arc::clone(&identity_pools), local_iam),
            ),
            config.limits,
            None,
            stopped(stop_rx.clone()),
        )),
        tokio::spawn(gateway::serve(
            listeners.api,
            Arc::clone(&gateway),
            config.limits,
            stopped(stop_rx),
        )),
    ];
    Ok(Running {
        cognito_url,
        api_url,
        outputs: app.outputs,
        routes: gateway.route_table(),
        not_emulated,
        identity_pools: identity_pools.summary(),
        tables,
        dynamodb_endpoint: dynamodb_url,
        engine: embedded,
        endpoints: config.endpoints.clone(),
        builds: report.builds_line(),
        unavailable: report.unavailable,
        transforms: app.transforms,
        generated_used: app.generated_used,
        host,
        state_dir: config.state_dir,
        pools,
        stop,
        servers,
        background,
    })
}

impl Running {
    /// The start-up summary (see [`crate::summary`]).
    pub fn summary(&self, elapsed_ms: u128) -> String {
        crate::summary::render(elapsed_ms, self)
    }

    /// Stops serving: the listeners close, every function instance stops.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        for t in &self.background {
            t.abort();
        }
        // The listeners finish the requests they hold (their functions still run), then close.
        let _ = tokio::time::timeout(Duration::from_secs(5), async {
            for s in self.servers {
                let _ = s.await;
            }
        })
        .await;
        // Nothing comes in any more: the tables' items are saved while the engine still runs
        // (the host's shutdown has the reaper kill every child it knows, the engine too).
        if let Some((engine, _)) = &self.engine {
            match crate::dynamodb::snapshot::save(&engine.endpoint, &self.state_dir).await {
                Ok((tables, items)) => tracing::info!(
                    "DynamoDB: {items} items of {tables} tables saved in {}",
                    crate::dynamodb::snapshot::file(&self.state_dir).display()
                ),
                Err(e) => tracing::warn!(
                    "DynamoDB: the tables' items could not be saved: {e:#}; the next start begins with empty tables"
                ),
            }
        }
        self.host.shutdown().await;
        if let Some((engine, _)) = self.engine {
            engine.stop().await;
        }
    }
}

/// Serves the stack until `shutdown` completes, printing the summary on stdout once it is up.
pub async fn run(
    config: Config,
    listeners: Listeners,
    shutdown: impl Future<Output = ()>,
) -> anyhow::Result<()> {
    let started = Instant::now();
    let running = start(config, listeners).await?;
    let summary = running.summary(started.elapsed().as_millis());
    // The log lines before it first, so the summary comes after them on a terminal; on
    // stdout, once, so scripts can wait for it.
    crate::console::flush();
    print!("{summary}");
    use std::io::Write;
    let _ = std::io::stdout().flush();
    shutdown.await;
    tracing::info!("shutting down");
    running.stop().await;
    Ok(())
}

/// Binds `host:port`, saying which flag changes the port when it is taken.
pub async fn bind(host: &str, port: u16, flag: &str) -> anyhow::Result<TcpListener> {
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

/// The issuers the template's authorizers name that are not local pools: a Cognito
/// authorizer's pool on AWS, a JWT authorizer's issuer. Only these are ever fetched.
fn remote_issuers(
    app: &sam::App,
    pools: &userpool::UserPools,
) -> std::collections::HashSet<String> {
    let mut out = std::collections::HashSet::new();
    let rest = app.apis.iter().flat_map(|a| a.authorizers.values());
    let http = app.http_apis.iter().flat_map(|a| a.authorizers.values());
    for a in rest.chain(http) {
        match &a.kind {
            sam::AuthorizerKind::Cognito { pool_ids, .. } => out.extend(
                pool_ids
                    .iter()
                    .filter(|p| !pools.has_pool(p))
                    .map(|p| crate::issuers::cognito_issuer(p)),
            ),
            sam::AuthorizerKind::Jwt { issuer, .. } if pools.keys_for_issuer(issuer).is_none() => {
                out.insert(issuer.clone());
            }
            _ => {}
        }
    }
    for iss in &out {
        tracing::info!(
            "tokens of {iss} are checked with its keys, fetched through OpenID discovery when first needed"
        );
    }
    out
}

/// A key pair given with `--access-key`, with the session token of temporary credentials.
#[derive(Debug, Clone)]
pub struct AccessKey {
    /// The access key id.
    pub id: String,
    /// The secret access key.
    pub secret: String,
    /// The session token every request signed with it must carry.
    pub session_token: Option<String>,
}

/// The template's API keys with their values: a key without `Value` gets one on its first
/// start (AWS generates it), kept in the state dir's `api-keys.json` (0600). Each is logged,
/// for `curl -H "x-api-key: …"`.
fn api_keys(dir: &Path, mut keys: Vec<apispec::ApiKey>) -> anyhow::Result<Vec<apispec::ApiKey>> {
    let path = dir.join("api-keys.json");
    let mut kept: BTreeMap<String, String> = std::fs::read_to_string(&path)
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or_default();
    let before = kept.len();
    for k in &mut keys {
        if k.value.is_none() {
            let value = kept
                .entry(k.logical_id.clone())
                .or_insert_with(|| common::id::random_string(common::id::MIXED_ALNUM, 40));
            k.value = Some(value.clone());
        }
        tracing::info!(
            "API key {} ({}{}): {}",
            k.name,
            k.id,
            if k.enabled { "" } else { ", disabled" },
            k.value.as_deref().unwrap_or_default()
        );
    }
    if kept.len() != before {
        common::fs::write_private(&path, serde_json::to_string_pretty(&kept)?.as_bytes())
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    Ok(keys)
}

fn dir_file(dir: &Path, name: &str) -> PathBuf {
    dir.join(name)
}

/// Writes `outputs.json` atomically.
fn write_outputs(dir: &Path, outputs: &BTreeMap<String, String>) -> anyhow::Result<()> {
    let path = dir.join("outputs.json");
    let text = serde_json::to_string_pretty(outputs)? + "\n";
    common::fs::write_private(&path, text.as_bytes())
        .with_context(|| format!("cannot write {}", path.display()))
}

/// The state dir as only its owner may read it: created 0700, and an existing one (from an
/// older gatehouse, or copied) tightened to 0700/0600, which is said once.
fn private_state_dir(dir: &Path) -> anyhow::Result<()> {
    let existed = dir.exists();
    common::fs::create_private_dir(dir)
        .with_context(|| format!("cannot create the state dir {}", dir.display()))?;
    if existed {
        let n = common::fs::tighten(dir)
            .with_context(|| format!("cannot restrict the state dir {}", dir.display()))?;
        if n > 0 {
            tracing::warn!(
                "{}: {n} files or folders were readable by others; now only you can read them (folders 0700, files 0600)",
                dir.display()
            );
        }
    }
    Ok(())
}
