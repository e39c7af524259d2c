//! Cognito's wire errors: the `__type` a client reads and the message it shows.
//!
//! Every failure of an operation is one [`CognitoError`]; the service turns it into HTTP 400
//! with `x-amzn-ErrorType`, `x-amzn-ErrorMessage` and the JSON body, in one place.

use std::fmt;

/// An error as Cognito reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CognitoError {
    /// The exception name, e.g. `NotAuthorizedException`.
    pub kind: &'static str,
    /// The human-readable message.
    pub message: String,
}

impl fmt::Display for CognitoError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.kind, self.message)
    }
}

impl std::error::Error for CognitoError {}

/// A shorter name for operation results.
pub type Result<T, E = CognitoError> = std::result::Result<T, E>;

impl CognitoError {
    /// An error of `kind` with `message`.
    pub fn new(kind: &'static str, message: impl Into<String>) -> Self {
        CognitoError {
            kind,
            message: message.into(),
        }
    }

    /// HTTP status: Cognito answers every error 400 except its own internal failure.
    pub fn status(&self) -> u16 {
        if self.kind == "InternalErrorException" {
            500
        } else {
            400
        }
    }

    /// `NotAuthorizedException`.
    pub fn not_authorized(message: impl Into<String>) -> Self {
        Self::new("NotAuthorizedException", message)
    }

    /// `InvalidParameterException`.
    pub fn invalid_parameter(message: impl Into<String>) -> Self {
        Self::new("InvalidParameterException", message)
    }

    /// `ResourceNotFoundException`.
    pub fn resource_not_found(message: impl Into<String>) -> Self {
        Self::new("ResourceNotFoundException", message)
    }

    /// The wrong-password answer, also given for unknown users when existence errors are hidden.
    pub fn incorrect_credentials() -> Self {
        Self::not_authorized("Incorrect username or password.")
    }

    /// `UserNotFoundException` "User does not exist.".
    pub fn user_not_found() -> Self {
        Self::new("UserNotFoundException", "User does not exist.")
    }

    /// `InternalErrorException`: our fault (the store failed); details go to the log.
    pub fn internal(context: &str, err: impl fmt::Display) -> Self {
        tracing::error!("{context}: {err}");
        Self::new("InternalErrorException", "An internal error occurred.")
    }

    /// An expired or reused session.
    pub fn invalid_session() -> Self {
        Self::not_authorized("Invalid session for the user, session is expired.")
    }

    /// `CodeMismatchException`.
    pub fn code_mismatch() -> Self {
        Self::new(
            "CodeMismatchException",
            "Invalid verification code provided, please try again.",
        )
    }

    /// `ExpiredCodeException`.
    pub fn expired_code() -> Self {
        Self::new(
            "ExpiredCodeException",
            "Invalid code provided, please request a code again.",
        )
    }

    /// `SerializationException`: the body is not JSON or a field has the wrong type.
    pub fn serialization(message: impl Into<String>) -> Self {
        Self::new("SerializationException", message)
    }
}
