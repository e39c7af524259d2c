//! `gatehouse users`: the local user pool's users, through its Cognito endpoint.

use std::path::PathBuf;

use anyhow::Context;
use aws_sdk_cognitoidentityprovider as cognito;
use cognito::config::{BehaviorVersion, Credentials, Region};
use cognito::types::{AttributeType, DeliveryMediumType};

use crate::cli::login::sdk_failure;
use crate::local;

/// Flags of `gatehouse users`.
#[derive(Debug, clap::Args)]
pub struct UsersArgs {
    #[command(subcommand)]
    action: Action,
    /// The local stack's state dir.
    #[arg(long, default_value = ".gatehouse", global = true)]
    state_dir: PathBuf,
    /// The pool (default: the template's CognitoID).
    #[arg(long, global = true)]
    user_pool_id: Option<String>,
}

#[derive(Debug, clap::Subcommand)]
enum Action {
    /// List the users: username, status, email.
    List,
    /// Add a user; with --password it can sign in at once, else a temporary password goes to
    /// the outbox.
    Add {
        /// The user's email.
        email: String,
        /// A permanent password.
        #[arg(long)]
        password: Option<String>,
    },
    /// Delete a user.
    Delete {
        /// The user's email or username.
        username: String,
    },
}

/// Runs `gatehouse users`.
pub async fn run(args: UsersArgs) -> anyhow::Result<()> {
    let endpoints = local::endpoints(&args.state_dir)?;
    let pool = match args.user_pool_id {
        Some(p) => p,
        None => local::outputs(&args.state_dir)?
            .get("CognitoID")
            .cloned()
            .context("the template has no CognitoID output: pass --user-pool-id")?,
    };
    let config = cognito::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(
            pool.split('_').next().unwrap_or("us-east-1").to_string(),
        ))
        .credentials_provider(Credentials::new("local", "local", None, None, "gatehouse"))
        .endpoint_url(&endpoints.cognito)
        .build();
    let c = cognito::Client::from_conf(config);
    match args.action {
        Action::List => {
            let out = c
                .list_users()
                .user_pool_id(&pool)
                .send()
                .await
                .map_err(|e| sdk_failure("listing the users failed", &e.into_service_error()))?;
            println!("{:<38} {:<22} EMAIL", "USERNAME", "STATUS");
            for u in out.users() {
                let email = u
                    .attributes()
                    .iter()
                    .find(|a| a.name() == "email")
                    .and_then(|a| a.value())
                    .unwrap_or("-");
                let status = u.user_status().map_or("-", |s| s.as_str());
                println!("{:<38} {:<22} {email}", u.username().unwrap_or("-"), status);
            }
        }
        Action::Add { email, password } => {
            let mut req = c
                .admin_create_user()
                .user_pool_id(&pool)
                .username(&email)
                .user_attributes(
                    AttributeType::builder()
                        .name("email")
                        .value(&email)
                        .build()?,
                )
                .desired_delivery_mediums(DeliveryMediumType::Email);
            if password.is_some() {
                req = req.message_action(cognito::types::MessageActionType::Suppress);
            }
            req.send()
                .await
                .map_err(|e| sdk_failure("adding the user failed", &e.into_service_error()))?;
            match password {
                Some(p) => {
                    c.admin_set_user_password()
                        .user_pool_id(&pool)
                        .username(&email)
                        .password(p)
                        .permanent(true)
                        .send()
                        .await
                        .map_err(|e| {
                            sdk_failure("setting the password failed", &e.into_service_error())
                        })?;
                    println!("added {email}; it can sign in with that password");
                }
                None => println!("added {email}; its temporary password is in `gatehouse outbox`"),
            }
        }
        Action::Delete { username } => {
            c.admin_delete_user()
                .user_pool_id(&pool)
                .username(&username)
                .send()
                .await
                .map_err(|e| sdk_failure("deleting the user failed", &e.into_service_error()))?;
            println!("deleted {username}");
        }
    }
    Ok(())
}
