//! The `gatehouse` command line: each subcommand hands off to its module or crate.

mod adapters;
mod console;
mod local;
mod login;
mod up;
mod users;
mod watch;

use std::path::PathBuf;

use anyhow::Context;
use clap::{Parser, Subcommand};

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
    /// REST APIs with their Cognito authorizers, and its functions as Lambda processes.
    Up(UpArgs),
    /// Sign in (locally, or on AWS with --stack) and print the IdToken, for
    /// `curl -H "Authorization: $(gatehouse login …)"`.
    Login(login::LoginArgs),
    /// Print the local stack's outputs (CognitoID, CognitoClientID, ApiUrl).
    Outputs(StateArgs),
    /// Print the messages the local user pool "sent" (temporary passwords, codes), newest last.
    Outbox(OutboxArgs),
    /// List, add or delete users of the local user pool.
    Users(users::UsersArgs),
    /// Send one raw event straight to a function of the running stack (like `sam local
    /// invoke`) and print what it returned.
    Invoke(InvokeArgs),
}

/// Flags of `gatehouse invoke`.
#[derive(Debug, clap::Args)]
pub struct InvokeArgs {
    /// The function's logical id (e.g. OpenFunction).
    function: String,
    /// The event: a JSON file, or `-` for standard input (default `{}`).
    #[arg(long)]
    event: Option<PathBuf>,
    #[command(flatten)]
    state: StateArgs,
}

/// Flags of `gatehouse up`.
#[derive(Debug, clap::Args)]
pub struct UpArgs {
    /// The SAM/CloudFormation template.
    #[arg(long, default_value = "template.yaml")]
    pub template: PathBuf,
    /// Template parameters, as `Name=Value` (several may follow one flag).
    #[arg(long, num_args = 1.., value_name = "NAME=VALUE")]
    pub parameter_overrides: Vec<String>,
    /// Port of the API (`http://127.0.0.1:<port>/<stage>/...`).
    #[arg(long, default_value_t = 3000)]
    pub api_port: u16,
    /// Port of the Cognito-compatible endpoint.
    #[arg(long, default_value_t = 9229)]
    pub cognito_port: u16,
    /// Where pools, users, keys, outputs.json and outbox.jsonl are kept.
    #[arg(long, default_value = ".gatehouse")]
    pub state_dir: PathBuf,
    /// Address to listen on; the default keeps the stack private to this machine.
    #[arg(long, default_value = "127.0.0.1")]
    pub host: String,
    /// Region in pool ids, ARNs and `AWS::Region`.
    #[arg(long, default_value = "us-east-1")]
    pub region: String,
    /// Rebuild and reload a function when its sources change.
    #[arg(long)]
    pub watch: bool,
}

/// The state dir of a local stack.
#[derive(Debug, clap::Args)]
pub struct StateArgs {
    /// The local stack's state dir.
    #[arg(long, default_value = ".gatehouse")]
    pub state_dir: PathBuf,
}

/// Flags of `gatehouse outbox`.
#[derive(Debug, clap::Args)]
pub struct OutboxArgs {
    #[command(flatten)]
    state: StateArgs,
    /// Keep printing new messages as they arrive.
    #[arg(long, conflicts_with = "temporary_password")]
    follow: bool,
    /// Print only the latest temporary password sent to this address (for scripts).
    #[arg(long, value_name = "EMAIL")]
    temporary_password: Option<String>,
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

fn outbox(args: &OutboxArgs) -> anyhow::Result<()> {
    if let Some(to) = &args.temporary_password {
        let messages = local::outbox(&args.state.state_dir)?;
        let password = messages
            .iter()
            .rev()
            .filter(|m| m["to"] == to.as_str())
            .find_map(|m| m["temporaryPassword"].as_str())
            .with_context(|| {
                format!("no temporary password was sent to {to} (see `gatehouse outbox`)")
            })?;
        println!("{password}");
        return Ok(());
    }
    let mut seen = 0;
    loop {
        let messages = local::outbox(&args.state.state_dir)?;
        for m in messages.iter().skip(seen) {
            println!("{}", local::render_message(m));
        }
        seen = messages.len();
        if !args.follow {
            return Ok(());
        }
        std::thread::sleep(std::time::Duration::from_millis(300));
    }
}

fn invoke(args: &InvokeArgs) -> anyhow::Result<()> {
    use std::io::{Read, Write};
    let event = match args.event.as_deref() {
        None => b"{}".to_vec(),
        Some(p) if p == std::path::Path::new("-") => {
            let mut buf = Vec::new();
            std::io::stdin().read_to_end(&mut buf)?;
            buf
        }
        Some(p) => std::fs::read(p)
            .with_context(|| format!("cannot read the event file {}", p.display()))?,
    };
    let api = local::endpoints(&args.state.state_dir)?.api;
    let host = api.trim_start_matches("http://").to_string();
    // Loopback, one request: plain HTTP/1.1 is all it takes.
    let mut stream = std::net::TcpStream::connect(&host).with_context(|| {
        format!("cannot reach the local stack at {api}: is `gatehouse up` running?")
    })?;
    let head = format!(
        "POST /2015-03-31/functions/{}/invocations HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        args.function,
        event.len()
    );
    stream.write_all(head.as_bytes())?;
    stream.write_all(&event)?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw)?;
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .context("the local stack sent a malformed answer")?;
    let headers = String::from_utf8_lossy(&raw[..split]).to_ascii_lowercase();
    let body = &raw[split + 4..];
    if !headers.starts_with("http/1.1 200") {
        anyhow::bail!("{}", String::from_utf8_lossy(body));
    }
    std::io::stdout().write_all(body)?;
    println!();
    if headers.contains("x-amz-function-error") {
        anyhow::bail!("the function failed (its error is printed above)");
    }
    Ok(())
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
            up::run(args)
        }
        Command::Login(args) => runtime().and_then(|rt| rt.block_on(login::run(args))),
        Command::Outputs(args) => local::outputs(&args.state_dir).and_then(|o| {
            println!("{}", serde_json::to_string_pretty(&o)?);
            Ok(())
        }),
        Command::Outbox(args) => outbox(&args),
        Command::Users(args) => runtime().and_then(|rt| rt.block_on(users::run(args))),
        Command::Invoke(args) => invoke(&args),
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
