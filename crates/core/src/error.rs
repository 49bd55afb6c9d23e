//! Errors in AWS's vocabulary, without HTTP: the api crate maps each to its code and status.

use std::fmt;

/// Why an operation did not happen. Each variant is one AWS error code; the message is the
/// one the client sees and says what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Error {
    NoSuchEntity(String),
    EntityAlreadyExists(String),
    DeleteConflict(String),
    LimitExceeded(String),
    MalformedPolicyDocument(String),
    InvalidInput(String),
    ValidationError(String),
    UnmodifiableEntity(String),
    PolicyNotAttachable(String),
    /// The caller may not do this. The message is AWS's "User: … is not authorized …".
    AccessDenied(String),
    /// A required parameter is missing (beyond what the wire model checks).
    MissingParameter(String),
    /// The caller's credentials may not be used for this service.
    InvalidClientTokenId(String),
    /// The action is not one this service has.
    InvalidAction(String),
    /// The session token of temporary credentials has expired.
    ExpiredToken(String),
    /// Session policies and tags exceed what a session token may pack.
    PackedPolicyTooLarge(String),
    /// DecodeAuthorizationMessage was given something that is not an encoded message.
    InvalidAuthorizationMessage(String),
    /// A web identity token that is malformed, unsigned by the provider's keys, for another
    /// audience, or from a provider the account does not have.
    InvalidIdentityToken(String),
    /// The identity provider does not vouch for the token.
    IdpRejectedClaim(String),
    /// The identity provider could not be reached to verify a token.
    IdpCommunicationError(String),
    /// A web identity token past its expiry (AWS's `ExpiredTokenException`).
    ExpiredIdentityToken(String),
    /// MFA codes that do not verify (EnableMFADevice, ResyncMFADevice).
    InvalidAuthenticationCode(String),
    /// A password the account's password policy refuses.
    PasswordPolicyViolation(String),
    /// The caller is not the kind of user the operation is for (ChangePassword by the root
    /// user).
    InvalidUserType(String),
    /// Other writers kept changing what this request decided on, however often it was
    /// decided again (AWS's `ConcurrentModification`: the client may retry).
    ConcurrentModification(String),
    /// Something broke inside Warden; the message is for logs, never for clients.
    Internal(String),
}

impl Error {
    /// AWS's error code.
    pub fn code(&self) -> &'static str {
        match self {
            Error::NoSuchEntity(_) => "NoSuchEntity",
            Error::EntityAlreadyExists(_) => "EntityAlreadyExists",
            Error::DeleteConflict(_) => "DeleteConflict",
            Error::LimitExceeded(_) => "LimitExceeded",
            Error::MalformedPolicyDocument(_) => "MalformedPolicyDocument",
            Error::InvalidInput(_) => "InvalidInput",
            Error::ValidationError(_) => "ValidationError",
            Error::UnmodifiableEntity(_) => "UnmodifiableEntity",
            Error::PolicyNotAttachable(_) => "PolicyNotAttachable",
            Error::AccessDenied(_) => "AccessDenied",
            Error::MissingParameter(_) => "MissingParameter",
            Error::InvalidClientTokenId(_) => "InvalidClientTokenId",
            Error::InvalidAction(_) => "InvalidAction",
            Error::ExpiredToken(_) => "ExpiredToken",
            Error::PackedPolicyTooLarge(_) => "PackedPolicyTooLarge",
            Error::InvalidAuthorizationMessage(_) => "InvalidAuthorizationMessageException",
            Error::InvalidIdentityToken(_) => "InvalidIdentityToken",
            Error::IdpRejectedClaim(_) => "IDPRejectedClaim",
            Error::IdpCommunicationError(_) => "IDPCommunicationError",
            Error::ExpiredIdentityToken(_) => "ExpiredTokenException",
            Error::InvalidAuthenticationCode(_) => "InvalidAuthenticationCode",
            Error::PasswordPolicyViolation(_) => "PasswordPolicyViolation",
            Error::InvalidUserType(_) => "InvalidUserType",
            Error::ConcurrentModification(_) => "ConcurrentModification",
            Error::Internal(_) => "ServiceFailure",
        }
    }

    /// The message for the client (an internal error shows a generic text).
    pub fn message(&self) -> &str {
        match self {
            Error::Internal(_) => "An internal error occurred.",
            Error::NoSuchEntity(m)
            | Error::EntityAlreadyExists(m)
            | Error::DeleteConflict(m)
            | Error::LimitExceeded(m)
            | Error::MalformedPolicyDocument(m)
            | Error::InvalidInput(m)
            | Error::ValidationError(m)
            | Error::UnmodifiableEntity(m)
            | Error::PolicyNotAttachable(m)
            | Error::AccessDenied(m)
            | Error::MissingParameter(m)
            | Error::InvalidClientTokenId(m)
            | Error::InvalidAction(m)
            | Error::ExpiredToken(m)
            | Error::PackedPolicyTooLarge(m)
            | Error::InvalidAuthorizationMessage(m)
            | Error::InvalidIdentityToken(m)
            | Error::IdpRejectedClaim(m)
            | Error::IdpCommunicationError(m)
            | Error::ExpiredIdentityToken(m)
            | Error::InvalidAuthenticationCode(m)
            | Error::PasswordPolicyViolation(m)
            | Error::InvalidUserType(m)
            | Error::ConcurrentModification(m) => m,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Internal(cause) => write!(f, "ServiceFailure: {cause}"),
            other => write!(f, "{}: {}", other.code(), other.message()),
        }
    }
}

impl std::error::Error for Error {}

impl From<StoreError> for Error {
    fn from(error: StoreError) -> Self {
        Error::Internal(error.to_string())
    }
}

impl From<warden_policy::PolicyError> for Error {
    fn from(error: warden_policy::PolicyError) -> Self {
        Error::MalformedPolicyDocument(error.to_string())
    }
}

/// A storage failure. Opaque: no database types leak into the domain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreError {
    /// The store refused a transaction because the state it was decided on is no longer
    /// current: a record changed since the writer read it, or a name it would take is held.
    /// The writer catches up and decides again.
    Conflict(String),
    /// Anything else: the store could not do what was asked.
    Failed(String),
}

impl StoreError {
    pub fn new(message: impl Into<String>) -> Self {
        StoreError::Failed(message.into())
    }

    pub fn conflict(message: impl Into<String>) -> Self {
        StoreError::Conflict(message.into())
    }

    pub fn is_conflict(&self) -> bool {
        matches!(self, StoreError::Conflict(_))
    }
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StoreError::Conflict(message) => write!(f, "storage conflict: {message}"),
            StoreError::Failed(message) => write!(f, "storage failure: {message}"),
        }
    }
}

impl std::error::Error for StoreError {}
