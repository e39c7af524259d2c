//! A Cognito-compatible user pool service.
pub mod error;
pub mod password;
pub mod srp;
pub mod token;
pub mod util;
