//! A Cognito-compatible user pool service that the AWS CLI, boto3 and the AWS SDKs use
//! unchanged: awsJson 1.1 on `POST /`, real SRP, RS256 tokens, a JWKS per pool.
//!
//! # Layout
//! - [`service`]: the HTTP edge: routing, the awsJson protocol, errors on the wire, JWKS.
//! - [`hosted`]: the hosted UI and the OAuth 2.0 / OpenID Connect endpoints.
//! - [`ops`]: the operations, with Cognito's validation.
//! - [`pools`]: the state ([`UserPools`]) and token issuance; [`tx`]: the one way to change it.
//! - [`model`], [`store`]: records and their crash-safe storage (redb).
//! - [`schema`]: attribute schemas (standard, custom) and what writes must meet.
//! - [`password`], [`srp`], [`token`]: argon2id and policy, the SRP server, keys and JWTs.
//! - [`outbox`]: messages the pool "sends".
//! - [`triggers`]: Lambda triggers, through the port the pool declares.
//! - [`validate`]: every request checked against botocore's service model; answers cut to it.
//! - [`error`]: wire errors.

pub mod error;
pub mod hosted;
pub mod model;
pub mod ops;
pub mod outbox;
pub mod password;
pub mod pools;
pub mod schema;
pub mod service;
pub mod srp;
pub mod store;
pub mod token;
pub mod triggers;
pub mod tx;
pub mod validate;

pub use error::CognitoError;
pub use pools::{Settings, UserPools};
