//! Cognito's wire errors: the `__type` a client reads and the message it shows.
//!
//! Every failure of an operation is one [`CognitoError`]; the service turns it into HTTP 400
//! with `x-amzn-ErrorType`, `x-amzn-ErrorMessage` and the JSON body, in one place.

use std::fmt;

/// The exceptions the local pool answers with (their names are the wire's `__type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// `AccessDeniedException`.
    AccessDenied,
    /// `AliasExistsException`.
    AliasExists,
    /// `CodeMismatchException`.
    CodeMismatch,
    /// `EnableSoftwareTokenMFAException`.
    EnableSoftwareTokenMfa,
    /// `ExpiredCodeException`.
    ExpiredCode,
    /// `GroupExistsException`.
    GroupExists,
    /// `InternalErrorException` (HTTP 500: our own failure).
    InternalError,
    /// `InvalidLambdaResponseException`.
    InvalidLambdaResponse,
    /// `InvalidParameterException`.
    InvalidParameter,
    /// `MissingAuthenticationTokenException`.
    MissingAuthenticationToken,
    /// `NotAuthorizedException`.
    NotAuthorized,
    /// `PasswordResetRequiredException`.
    PasswordResetRequired,
    /// `ResourceNotFoundException`.
    ResourceNotFound,
    /// `SerializationException`.
    Serialization,
    /// `SoftwareTokenMFANotFoundException`.
    SoftwareTokenMfaNotFound,
    /// `UnauthorizedException`.
    Unauthorized,
    /// `UnknownOperationException`.
    UnknownOperation,
    /// `UnsupportedTokenTypeException`.
    UnsupportedTokenType,
    /// `UnsupportedUserStateException`.
    UnsupportedUserState,
    /// `UnexpectedLambdaException`.
    UnexpectedLambda,
    /// `UserLambdaValidationException`.
    UserLambdaValidation,
    /// `UserNotConfirmedException`.
    UserNotConfirmed,
    /// `UserNotFoundException`.
    UserNotFound,
    /// `UsernameExistsException`.
    UsernameExists,
    /// `InvalidPasswordException`.
    InvalidPassword,
}

impl ErrorKind {
    /// The exception's name on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::AccessDenied => "AccessDeniedException",
            ErrorKind::AliasExists => "AliasExistsException",
            ErrorKind::CodeMismatch => "CodeMismatchException",
            ErrorKind::EnableSoftwareTokenMfa => "EnableSoftwareTokenMFAException",
            ErrorKind::ExpiredCode => "ExpiredCodeException",
            ErrorKind::GroupExists => "GroupExistsException",
            ErrorKind::InternalError => "InternalErrorException",
            ErrorKind::InvalidLambdaResponse => "InvalidLambdaResponseException",
            ErrorKind::InvalidParameter => "InvalidParameterException",
            ErrorKind::MissingAuthenticationToken => "MissingAuthenticationTokenException",
            ErrorKind::NotAuthorized => "NotAuthorizedException",
            ErrorKind::PasswordResetRequired => "PasswordResetRequiredException",
            ErrorKind::ResourceNotFound => "ResourceNotFoundException",
            ErrorKind::Serialization => "SerializationException",
            ErrorKind::SoftwareTokenMfaNotFound => "SoftwareTokenMFANotFoundException",
            ErrorKind::Unauthorized => "UnauthorizedException",
            ErrorKind::UnknownOperation => "UnknownOperationException",
            ErrorKind::UnsupportedTokenType => "UnsupportedTokenTypeException",
            ErrorKind::UnsupportedUserState => "UnsupportedUserStateException",
            ErrorKind::UnexpectedLambda => "UnexpectedLambdaException",
            ErrorKind::UserLambdaValidation => "UserLambdaValidationException",
            ErrorKind::UserNotConfirmed => "UserNotConfirmedException",
            ErrorKind::UserNotFound => "UserNotFoundException",
            ErrorKind::UsernameExists => "UsernameExistsException",
            ErrorKind::InvalidPassword => "InvalidPasswordException",
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl PartialEq<&str> for ErrorKind {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl PartialEq<ErrorKind> for &str {
    fn eq(&self, other: &ErrorKind) -> bool {
        *self == other.as_str()
    }
}

/// An error as Cognito reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CognitoError {
    /// The exception.
    pub kind: ErrorKind,
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
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        CognitoError {
            kind,
            message: message.into(),
        }
    }

    /// HTTP status: Cognito answers every error 400 except its own internal failure.
    pub fn status(&self) -> u16 {
        if self.kind == ErrorKind::InternalError {
            500
        } else {
            400
        }
    }

    /// `NotAuthorizedException`.
    pub fn not_authorized(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::NotAuthorized, message)
    }

    /// `InvalidParameterException`.
    pub fn invalid_parameter(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::InvalidParameter, message)
    }

    /// `ResourceNotFoundException`.
    pub fn resource_not_found(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::ResourceNotFound, message)
    }

    /// The wrong-password answer, also given for unknown users when existence errors are hidden.
    pub fn incorrect_credentials() -> Self {
        Self::not_authorized("Incorrect username or password.")
    }

    /// `UserNotFoundException` "User does not exist.".
    pub fn user_not_found() -> Self {
        Self::new(ErrorKind::UserNotFound, "User does not exist.")
    }

    /// `InternalErrorException`: our fault (the store failed); details go to the log.
    pub fn internal(context: &str, err: impl fmt::Display) -> Self {
        tracing::error!("{context}: {err}");
        Self::new(ErrorKind::InternalError, "An internal error occurred.")
    }

    /// An expired or reused session.
    pub fn invalid_session() -> Self {
        Self::not_authorized("Invalid session for the user, session is expired.")
    }

    /// `CodeMismatchException`.
    pub fn code_mismatch() -> Self {
        Self::new(
            ErrorKind::CodeMismatch,
            "Invalid verification code provided, please try again.",
        )
    }

    /// `ExpiredCodeException`.
    pub fn expired_code() -> Self {
        Self::new(
            ErrorKind::ExpiredCode,
            "Invalid code provided, please request a code again.",
        )
    }

    /// `SerializationException`: the body is not JSON or a field has the wrong type.
    pub fn serialization(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Serialization, message)
    }
}
