//! AWS errors at the edge: every failure becomes one code, one HTTP status and AWS's XML
//! envelope, decided in one place.

use axum::http::StatusCode;
use warden_core::Error;

use crate::xml::ErrorKind;

/// An error answer: AWS's code and message, and the HTTP status that goes with them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: String,
    pub message: String,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            code: code.to_owned(),
            message: message.into(),
        }
    }

    pub fn missing_authentication() -> Self {
        ApiError::new(
            StatusCode::FORBIDDEN,
            "MissingAuthenticationToken",
            "Request is missing Authentication Token",
        )
    }

    pub fn validation(message: impl Into<String>) -> Self {
        ApiError::new(StatusCode::BAD_REQUEST, "ValidationError", message)
    }

    /// What AWS answers a caller it will not serve now: `Throttling`, "Rate exceeded".
    pub fn throttling() -> Self {
        ApiError::new(StatusCode::BAD_REQUEST, "Throttling", "Rate exceeded")
    }

    /// `Sender` for client errors, `Receiver` for server errors.
    pub fn fault(&self) -> ErrorKind {
        if self.status.is_server_error() {
            ErrorKind::Receiver
        } else {
            ErrorKind::Sender
        }
    }
}

/// Runs `work` on the blocking pool (never on the async workers) and answers its result; a
/// task that did not finish (it panicked) is an internal error.
pub(crate) async fn on_blocking_pool<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|_| ApiError::from(Error::Internal("a worker failed".to_owned())))?
}

/// The HTTP status AWS pairs with each domain error code.
impl From<Error> for ApiError {
    fn from(error: Error) -> Self {
        let status = match &error {
            Error::NoSuchEntity(_) => StatusCode::NOT_FOUND,
            Error::EntityAlreadyExists(_)
            | Error::DeleteConflict(_)
            | Error::LimitExceeded(_)
            | Error::ConcurrentModification(_) => StatusCode::CONFLICT,
            Error::MalformedPolicyDocument(_)
            | Error::InvalidInput(_)
            | Error::ValidationError(_)
            | Error::UnmodifiableEntity(_)
            | Error::PolicyNotAttachable(_)
            | Error::MissingParameter(_)
            | Error::InvalidAction(_)
            | Error::PackedPolicyTooLarge(_)
            | Error::InvalidAuthorizationMessage(_)
            | Error::InvalidIdentityToken(_)
            | Error::IdpCommunicationError(_)
            | Error::ExpiredIdentityToken(_) => StatusCode::BAD_REQUEST,
            Error::IdpRejectedClaim(_) | Error::InvalidAuthenticationCode(_) => {
                StatusCode::FORBIDDEN
            }
            Error::AccessDenied(_) | Error::InvalidClientTokenId(_) | Error::ExpiredToken(_) => {
                StatusCode::FORBIDDEN
            }
            Error::Internal(cause) => {
                tracing::error!(%cause, "internal error");
                StatusCode::INTERNAL_SERVER_ERROR
            }
        };
        ApiError::new(status, error.code(), error.message())
    }
}
