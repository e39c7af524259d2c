//! gatehouse: a SAM app's API Gateway + Cognito + Lambda stack, served locally in one process.
//!
//! # Layout
//! - [`stack`]: [`start`]/[`run`] the whole stack on listeners the caller bound: the template
//!   planned by `sam`, its pools provisioned, its functions built and hosted by `lambda`, the
//!   pools served by `userpool` and the APIs by `gateway`.
//! - [`adapters`]: the ports each service declares, met by the others (only this crate knows
//!   them all).
//! - [`functions`]: building Rust functions and configuring the host.
//! - [`dynamodb`]: the template's tables on the DynamoDB engine gatehouse starts (moto's
//!   server, its items saved between starts) or on `--dynamodb-endpoint`.
//! - [`summary`]: what `up` prints once it serves.
//! - [`watch`]: `--watch`, rebuilding and reloading changed functions.
//! - [`cdk`]: CDK cloud assemblies (`--app cdk.out`): which stack's template to serve.
//! - [`services`]: `--endpoint SERVICE=URL`, the door to services gatehouse does not serve.
//! - [`signing`]: SigV4 on gatehouse's own calls.
//! - [`local`]: what a running stack leaves in its state dir for the other commands.
//! - [`console`]: the buffered log writer.
//! - [`cli`]: the developer commands (login, users, outbox, outputs, invoke, tables).
//!
//! The arrows point down: this crate -> {sam, userpool, gateway, lambda} -> template, common.

pub mod adapters;
pub mod cdk;
pub mod cli;
pub mod console;
pub mod credentials;
pub mod dynamodb;
pub mod functions;
pub mod issuers;
pub mod local;
pub mod services;
pub mod signing;
pub mod stack;
pub mod summary;
mod watch;

pub use stack::{Config, Listeners, Running, bind, run, start};
