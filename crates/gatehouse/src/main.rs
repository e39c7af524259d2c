//! The `gatehouse` command line: flags, then each subcommand handed to the library.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use clap::{Parser, Subcommand};
use gatehouse::cli::{
    self, OutboxArgs, StateArgs, invoke::InvokeArgs, login::LoginArgs, users::UsersArgs,
};
use gatehouse::console;

/// Serve an API Gateway + Cognito + Lambda stack locally from its SAM template.
#[derive(Debug, Parser)]
#[command(name = "gatehouse", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
    /// Log lines as text, or as one JSON object per line (for tools).
    #[arg(long, global = true, value_enum, default_value = "text")]
    log_format: LogFormat,
}

/// How log lines are written (to stderr).
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum LogFormat {
    /// For people.
    Text,
    /// One JSON object per line.
    Json,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the template's stack locally: its user pools (a Cognito-compatible endpoint), its
    /// REST and HTTP APIs with their authorizers, and its functions as Lambda processes.
    Up(UpArgs),
    /// Sign in (locally, or on AWS with --stack) and print the IdToken, for
    /// `curl -H "Authorization: $(gatehouse login …)"`.
    Login(LoginArgs),
    /// Print the local stack's outputs (CognitoID, CognitoClientID, ApiUrl).
    Outputs(StateArgs),
    /// Print the messages the local user pool "sent" (temporary passwords, codes), newest last.
    Outbox(OutboxArgs),
    /// List, add or delete users of the local user pool.
    Users(UsersArgs),
    /// Send one raw event straight to a function of the running stack (like `sam local
    /// invoke`) and print what it returned.
    Invoke(InvokeArgs),
    /// List the running stack's DynamoDB tables with their item counts, or print one's items
    /// (`gatehouse tables scan NAME`).
    Tables(cli::tables::TablesArgs),
    /// Print the local administrator's key pair (made by the first `gatehouse up`) as
    /// `export AWS_ACCESS_KEY_ID=…` lines, and a profile for ~/.aws/credentials: what signs
    /// requests to AWS_IAM routes.
    Credentials(StateArgs),
    /// (internal) Kill the function instances `gatehouse up` lists on stdin once it closes.
    #[command(hide = true)]
    Reap,
}

/// Flags of `gatehouse up`.
#[derive(Debug, clap::Args)]
struct UpArgs {
    /// The SAM/CloudFormation template [default: template.yaml; in a CDK app's folder (with
    /// cdk.json), its synthesized cdk.out].
    #[arg(long)]
    template: Option<PathBuf>,
    /// A CDK cloud assembly to serve (`cdk synth`'s output folder, e.g. cdk.out), in place of a
    /// template.
    #[arg(long, value_name = "DIR", conflicts_with = "template")]
    app: Option<PathBuf>,
    /// The CDK assembly's stack to serve when it has several (its id, display name or stack
    /// name).
    #[arg(long, value_name = "NAME")]
    stack: Option<String>,
    /// Template parameters, as `Name=Value` (several may follow one flag).
    #[arg(long, num_args = 1.., value_name = "NAME=VALUE")]
    parameter_overrides: Vec<String>,
    /// Port of the API (`http://127.0.0.1:<port>/<stage>/...`).
    #[arg(long, default_value_t = 3000)]
    api_port: u16,
    /// Port of the Cognito-compatible endpoint.
    #[arg(long, default_value_t = 9229)]
    cognito_port: u16,
    /// Where pools, users, keys, outputs.json and outbox.jsonl are kept.
    #[arg(long, default_value = ".gatehouse")]
    state_dir: PathBuf,
    /// Address to listen on; the default keeps the stack private to this machine.
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
    /// Region in pool ids, ARNs and `AWS::Region`.
    #[arg(long, default_value = "us-east-1")]
    region: String,
    /// Rebuild and reload a function when its sources change.
    #[arg(long)]
    watch: bool,
    /// Seconds a client has to send a request's headers on the API and Cognito ports (an idle
    /// keep-alive connection is closed after it too); 0: no limit.
    #[arg(long, default_value_t = 10, value_name = "SECONDS")]
    header_timeout: u64,
    /// Connections open at once on each of the API and Cognito ports; past it new ones are
    /// closed.
    #[arg(long, default_value_t = 1024, value_name = "N")]
    max_connections: usize,
    /// Turn off Lambda's Invoke API on the API port (`gatehouse invoke`, `aws lambda invoke`).
    #[arg(long)]
    no_invoke_api: bool,
    /// Environment variables for the functions, in `sam local`'s JSON form:
    /// `{"FunctionLogicalId": {"VAR": "value"}, "Parameters": {"VAR": "for every function"}}`;
    /// they override variables the template declares.
    #[arg(long, value_name = "FILE")]
    env_vars: Option<PathBuf>,
    /// What `Fn::ImportValue` gives: a JSON object of export name to value (other stacks'
    /// exports, which the local stack does not have).
    #[arg(long, value_name = "FILE")]
    import_values: Option<PathBuf>,
    /// A DynamoDB-compatible server (DynamoDB Local, moto, LocalStack, …) for the template's
    /// tables: created there when missing, and reached by the functions through
    /// `AWS_ENDPOINT_URL_DYNAMODB`. Without it, gatehouse starts its own (see --no-dynamodb).
    #[arg(long, value_name = "URL")]
    dynamodb_endpoint: Option<String>,
    /// Where functions reach a service gatehouse does not serve, as `SERVICE=URL` (e.g.
    /// `sqs=http://127.0.0.1:4566`; repeatable): sets `AWS_ENDPOINT_URL_<SERVICE>` in every
    /// function, which the AWS SDKs read. `dynamodb=URL` is `--dynamodb-endpoint URL`.
    #[arg(long = "endpoint", value_name = "SERVICE=URL")]
    endpoints: Vec<String>,
    /// Do not start a DynamoDB engine for the template's tables (without --dynamodb-endpoint,
    /// gatehouse starts moto's server, installed once into ~/.cache/gatehouse/sdk); the tables
    /// are then listed as not emulated.
    #[arg(long, conflicts_with = "dynamodb_endpoint")]
    no_dynamodb: bool,
    /// Do not give functions the AWS SDK their runtime ships on Lambda (boto3; aws-sdk v2 for
    /// nodejs ≤ 16.x; the @aws-sdk/* v3 packages their code imports for later ones), which is
    /// otherwise installed once into ~/.cache/gatehouse/sdk.
    #[arg(long)]
    no_runtime_sdk: bool,
    /// Another key pair of the local administrator, as `ACCESS_KEY_ID:SECRET` (e.g.
    /// `test:test`, which other local tools use), or `ACCESS_KEY_ID:SECRET:SESSION_TOKEN` for
    /// temporary credentials (requests must then carry that `X-Amz-Security-Token`);
    /// repeatable. The state dir's own pair (`gatehouse credentials`) always works.
    #[arg(long, value_name = "ID:SECRET[:TOKEN]")]
    access_key: Vec<String>,
}

/// `--import-values FILE`, read.
fn import_values(
    file: Option<&std::path::Path>,
) -> anyhow::Result<std::collections::BTreeMap<String, serde_json::Value>> {
    let Some(file) = file else {
        return Ok(Default::default());
    };
    let text = std::fs::read_to_string(file)
        .with_context(|| format!("cannot read --import-values {}", file.display()))?;
    let v: serde_json::Value = serde_json::from_str(&text)
        .with_context(|| format!("--import-values {}: not JSON", file.display()))?;
    let map = v.as_object().with_context(|| {
        format!(
            "--import-values {}: expected a JSON object of export name to value",
            file.display()
        )
    })?;
    Ok(map.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
}

/// `--env-vars FILE`, read.
fn env_overrides(
    file: Option<&std::path::Path>,
) -> anyhow::Result<std::collections::BTreeMap<String, std::collections::BTreeMap<String, String>>>
{
    let Some(file) = file else {
        return Ok(Default::default());
    };
    let text = std::fs::read_to_string(file)
        .with_context(|| format!("cannot read --env-vars {}", file.display()))?;
    let v: serde_json::Value = serde_json::from_str(&text)
        .with_context(|| format!("--env-vars {}: not JSON", file.display()))?;
    let shape = || {
        anyhow::anyhow!(
            "--env-vars {}: expected {{\"FunctionLogicalId\": {{\"VAR\": \"value\"}}, \"Parameters\": {{...}}}}",
            file.display()
        )
    };
    let mut out = std::collections::BTreeMap::new();
    for (function, vars) in v.as_object().ok_or_else(shape)? {
        let vars = vars.as_object().ok_or_else(shape)?;
        out.insert(
            function.clone(),
            vars.iter()
                .map(|(k, v)| {
                    (
                        k.clone(),
                        v.as_str().map_or_else(|| v.to_string(), str::to_string),
                    )
                })
                .collect(),
        );
    }
    Ok(out)
}

/// The template to serve: `--template`; a CDK assembly's stack (`--app`, or the `cdk.out` of a
/// CDK app in the current folder when there is no template.yaml); else template.yaml.
fn template_of(
    template: Option<PathBuf>,
    app: Option<PathBuf>,
    stack: Option<&str>,
) -> anyhow::Result<PathBuf> {
    use gatehouse::cdk;
    if let Some(t) = template {
        return Ok(t);
    }
    if let Some(app) = app {
        return Ok(cdk::choose(&app, stack)?.template);
    }
    let default = PathBuf::from("template.yaml");
    if !default.exists()
        && let Some(found) = cdk::beside(Path::new("."))
    {
        let (assembly, note) = found?;
        if let Some(note) = note {
            eprintln!("note: {note}");
        }
        return Ok(cdk::choose(&assembly, stack)?.template);
    }
    if stack.is_some() {
        bail!("--stack chooses a stack of a CDK app: give the assembly with --app DIR");
    }
    Ok(default)
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

/// `gatehouse up` on one async thread: a request hands work between the gateway, the Runtime
/// API listeners and the pool's tasks, and across threads each hand-off is a futex wake-up (a
/// profile under load showed ~30% of gatehouse's time in the kernel switching tasks). On one
/// thread the same throughput costs a third less CPU, left to the function processes. Slow
/// work (argon2, the store, SRP math) runs on the blocking pool, bounded: that work is CPU
/// bound, so more threads than a few per core only add memory (each thread its own malloc
/// arena and stack: 50 sign-ins at once grew gatehouse from 22 to 44 MB with 59 threads).
fn up(args: UpArgs) -> anyhow::Result<()> {
    let mut dynamodb_endpoint = args.dynamodb_endpoint;
    let mut endpoints = Vec::new();
    for raw in &args.endpoints {
        let (service, url) = gatehouse::services::parse(raw)?;
        if service == "DYNAMODB" {
            if dynamodb_endpoint.as_ref().is_some_and(|d| *d != url) {
                bail!(
                    "--endpoint {raw} and --dynamodb-endpoint name two DynamoDB endpoints: give one"
                );
            }
            dynamodb_endpoint = Some(url);
        } else if endpoints.iter().any(|(s, _)| *s == service) {
            bail!("--endpoint {raw}: a second endpoint for {service}");
        } else {
            endpoints.push((service, url));
        }
    }
    let config = gatehouse::Config {
        parameter_overrides: parse_overrides(&args.parameter_overrides)?,
        template: template_of(args.template, args.app, args.stack.as_deref())?,
        state_dir: args.state_dir,
        region: args.region,
        watch: args.watch,
        invoke_api: !args.no_invoke_api,
        reaper: std::env::current_exe().ok(),
        env_overrides: env_overrides(args.env_vars.as_deref())?,
        import_values: import_values(args.import_values.as_deref())?,
        dynamodb_endpoint,
        endpoints,
        runtime_sdk: !args.no_runtime_sdk,
        dynamodb: !args.no_dynamodb,
        access_keys: args
            .access_key
            .iter()
            .map(|pair| {
                let mut parts = pair.splitn(3, ':');
                match (parts.next(), parts.next(), parts.next()) {
                    (Some(k), Some(s), token)
                        if !k.is_empty() && !s.is_empty() && token != Some("") =>
                    {
                        Ok(gatehouse::stack::AccessKey {
                            id: k.to_string(),
                            secret: s.to_string(),
                            session_token: token.map(str::to_string),
                        })
                    }
                    _ => bail!(
                        "--access-key takes ACCESS_KEY_ID:SECRET or ACCESS_KEY_ID:SECRET:SESSION_TOKEN, got {pair:?}"
                    ),
                }
            })
            .collect::<anyhow::Result<_>>()?,
        limits: common::server::Limits {
            header_timeout: (args.header_timeout > 0)
                .then(|| std::time::Duration::from_secs(args.header_timeout)),
            max_connections: args.max_connections.max(1),
            ..common::server::Limits::default()
        },
    };
    let cores = std::thread::available_parallelism().map_or(2, std::num::NonZeroUsize::get);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .max_blocking_threads(cores * 2)
        .build()
        .context("cannot start the async runtime")?;
    rt.block_on(async {
        let listeners = gatehouse::Listeners {
            cognito: gatehouse::bind(&args.host, args.cognito_port, "--cognito-port").await?,
            api: gatehouse::bind(&args.host, args.api_port, "--api-port").await?,
        };
        gatehouse::run(config, listeners, shutdown_signal()).await
    })
}

/// SIGINT or SIGTERM. The handlers are installed when this is called, not when the future is
/// first polled: a SIGTERM sent as soon as the summary is printed must stop the stack cleanly,
/// not kill it with the default action.
fn shutdown_signal() -> impl std::future::Future<Output = ()> {
    use tokio::signal::unix::{SignalKind, signal};
    let interrupt = signal(SignalKind::interrupt());
    let terminate = signal(SignalKind::terminate());
    async move {
        match (interrupt, terminate) {
            (Ok(mut int), Ok(mut term)) => {
                tokio::select! {
                    _ = int.recv() => {}
                    _ = term.recv() => {}
                }
            }
            _ => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let logs = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_writer(|| console::Writer);
    match cli.log_format {
        LogFormat::Text => logs.init(),
        LogFormat::Json => logs.json().init(),
    }
    let result = match cli.command {
        Command::Up(args) => {
            console::buffer();
            up(args)
        }
        Command::Login(args) => runtime().and_then(|rt| rt.block_on(cli::login::run(args))),
        Command::Outputs(args) => cli::outputs(&args),
        Command::Credentials(args) => cli::credentials(&args),
        Command::Outbox(args) => cli::outbox(&args),
        Command::Users(args) => runtime().and_then(|rt| rt.block_on(cli::users::run(args))),
        Command::Invoke(args) => runtime().and_then(|rt| rt.block_on(cli::invoke::run(args))),
        Command::Tables(args) => runtime().and_then(|rt| rt.block_on(cli::tables::run(args))),
        Command::Reap => {
            lambda::reaper::run();
            Ok(())
        }
    };
    console::flush();
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
