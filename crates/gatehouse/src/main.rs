//! The `gatehouse` command line: each subcommand hands off to its crate.

mod up;

use std::path::PathBuf;

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
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
