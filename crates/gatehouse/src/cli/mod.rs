//! The developer commands beside `up`: sign in, the outbox, users, outputs, invoke, tables. Each talks
//! to a running local stack (found through its state dir) or to AWS.

pub mod browser;
pub mod http;
pub mod identity;
pub mod invoke;
pub mod login;
pub mod tables;
pub mod users;

use std::path::PathBuf;

use anyhow::Context;

use crate::local;

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

/// `gatehouse outputs`.
pub fn outputs(args: &StateArgs) -> anyhow::Result<()> {
    let o = local::outputs(&args.state_dir)?;
    println!("{}", serde_json::to_string_pretty(&o)?);
    Ok(())
}

/// `gatehouse credentials`: the local administrator's key pair, for shells and SDKs.
pub fn credentials(args: &StateArgs) -> anyhow::Result<()> {
    let path = args.state_dir.join("credentials.json");
    if !path.exists() {
        anyhow::bail!(
            "{} does not exist yet: run `gatehouse up` (with this --state-dir) once, which makes the key pair",
            path.display()
        );
    }
    let (key, secret) = iam::admin_credentials(&args.state_dir)
        .with_context(|| format!("cannot read {}", path.display()))?;
    println!("export AWS_ACCESS_KEY_ID={key}");
    println!("export AWS_SECRET_ACCESS_KEY={secret}");
    println!("# or, in ~/.aws/credentials:");
    println!("# [gatehouse]");
    println!("# aws_access_key_id = {key}");
    println!("# aws_secret_access_key = {secret}");
    Ok(())
}

/// `gatehouse outbox`.
pub fn outbox(args: &OutboxArgs) -> anyhow::Result<()> {
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
