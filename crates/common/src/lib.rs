//! Small helpers the services share, written once: random ids, the clock and AWS's date
//! formats, base64 and hex, and JWT parsing (with RS256 verification behind the `crypto`
//! feature).
//!
//! # Layout
//! - [`id`]: randomness, UUIDs, random strings.
//! - [`date`]: now, and the date formats Cognito and API Gateway write.
//! - [`encoding`]: base64 (standard and url-safe) and hex.
//! - [`fs`]: files and folders only their owner can read.
//! - [`json`]: a string or a list of strings, as templates and state files write them.
//! - [`jwt`]: a compact JWS split into header, claims and signature; RS256 public keys and
//!   key sets (`crypto`).
//! - [`digest`]: SHA-256, HMAC-SHA256, constant-time comparison (`crypto`).
//! - [`management`]: the rule for management endpoints (signed, not from a browser).
//! - [`server`]: the HTTP/1 server every listener uses, with its limits (`server`).

pub mod date;
#[cfg(feature = "crypto")]
pub mod digest;
pub mod encoding;
pub mod fs;
pub mod id;
pub mod json;
pub mod jwt;
pub mod management;
#[cfg(feature = "server")]
pub mod server;
