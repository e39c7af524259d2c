//! The `gatehouse` command line: each subcommand hands off to its crate.

use clap::{CommandFactory, Parser};

/// Serve an API Gateway + Cognito + Lambda stack locally from its SAM template.
#[derive(Debug, Parser)]
#[command(name = "gatehouse", version, about)]
struct Cli {}

fn main() -> anyhow::Result<()> {
    let _cli = Cli::parse();
    // No subcommand is ready yet: say so rather than pretend.
    Cli::command().print_help()?;
    Ok(())
}
