//! The `gatehouse` command line: each subcommand hands off to its module or crate.

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

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_target(false)
        .with_writer(std::io::stderr)
        .init();
    let result = match cli.command {
        Command::Up(args) => up::run(args),
        Command::Login(args) => runtime().and_then(|rt| rt.block_on(login::run(args))),
        Command::Outputs(args) => local::outputs(&args.state_dir).and_then(|o| {
            println!("{}", serde_json::to_string_pretty(&o)?);
            Ok(())
        }),
        Command::Outbox(args) => outbox(&args),
        Command::Users(args) => runtime().and_then(|rt| rt.block_on(users::run(args))),
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
