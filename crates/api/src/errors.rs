//! AWS errors at the edge: every failure is an [`EdgeError`], whose code, HTTP status and
//! message are decided here, in one place, and answered in AWS's XML envelope.

use axum::http::StatusCode;
use warden_core::Error;

use crate::edge::MAX_BODY;
use crate::sigv4::SigV4Error;
use crate::xml::ErrorKind;

/// Why a request was not served.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EdgeError {
    /// The core refused or failed the operation.
    Core(Error),
    /// The request's signature is missing, malformed, stale or wrong.
    Signature(SigV4Error),
    /// The body is over [`MAX_BODY`].
    BodyTooLarge,
    /// A body that is not a form (its content type).
    UnsupportedContentType(String),
    /// No `Action` parameter, or an empty one.
    MissingAction,
    /// No `Version` parameter.
    MissingVersion,
    /// No operation of that name in the API at that version.
    UnknownOperation { action: String, version: String },
    /// The parameters do not fit the operation's input (the model's words).
    Validation(String),
    /// The caller is refused for now: AWS's `Throttling`, "Rate exceeded".
    Throttling,
}

impl EdgeError {
    /// AWS's error code, as a client sees it in the `<Code>` element.
    pub fn code(&self) -> &'static str {
        match self {
            EdgeError::Core(error) => error.code(),
            EdgeError::Signature(error) => error.code(),
            EdgeError::BodyTooLarge => "RequestEntityTooLarge",
            EdgeError::UnsupportedContentType(_) => "InvalidParameterValue",
            EdgeError::MissingAction => "MissingAction",
            EdgeError::MissingVersion => "MissingParameter",
            EdgeError::UnknownOperation { .. } => "InvalidAction",
            EdgeError::Validation(_) => "ValidationError",
            EdgeError::Throttling => "Throttling",
        }
    }

    /// The HTTP status AWS answers with.
    pub fn status(&self) -> StatusCode {
        match self {
            EdgeError::Core(error) => core_status(error),
            EdgeError::Signature(error) => {
                StatusCode::from_u16(error.http_status()).unwrap_or(StatusCode::FORBIDDEN)
            }
            EdgeError::BodyTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            EdgeError::UnsupportedContentType(_)
            | EdgeError::MissingAction
            | EdgeError::MissingVersion
            | EdgeError::UnknownOperation { .. }
            | EdgeError::Validation(_)
            | EdgeError::Throttling => StatusCode::BAD_REQUEST,
        }
    }

    /// The human-readable message for the `<Message>` element.
    pub fn message(&self) -> String {
        match self {
            EdgeError::Core(error) => error.message().to_owned(),
            EdgeError::Signature(error) => error.message(),
            EdgeError::BodyTooLarge => {
                format!("Request body is larger than the limit of {MAX_BODY} bytes.")
            }
            EdgeError::UnsupportedContentType(content_type) => format!(
                "Unsupported content type `{content_type}`: send application/x-www-form-urlencoded."
            ),
            EdgeError::MissingAction => "Missing Action".to_owned(),
            EdgeError::MissingVersion => {
                "The request must contain the parameter Version".to_owned()
            }
            EdgeError::UnknownOperation { action, version } => {
                format!("Could not find operation {action} for version {version}")
            }
            EdgeError::Validation(message) => message.clone(),
            EdgeError::Throttling => "Rate exceeded".to_owned(),
        }
    }

    /// `Sender` for client errors, `Receiver` for server errors.
    pub fn fault(&self) -> ErrorKind {
        if self.status().is_server_error() {
            ErrorKind::Receiver
        } else {
            ErrorKind::Sender
        }
    }

    /// An error of the server's own, which clients see only as `ServiceFailure`.
    pub(crate) fn internal(cause: impl Into<String>) -> EdgeError {
        EdgeError::Core(Error::Internal(cause.into()))
    }
}

impl From<Error> for EdgeError {
    fn from(error: Error) -> Self {
        EdgeError::Core(error)
    }
}

impl From<SigV4Error> for EdgeError {
    fn from(error: SigV4Error) -> Self {
        EdgeError::Signature(error)
    }
}

/// The HTTP status AWS pairs with each domain error code.
fn core_status(error: &Error) -> StatusCode {
    match error {
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
        | Error::ExpiredIdentityToken(_)
        | Error::PasswordPolicyViolation(_)
        | Error::InvalidUserType(_) => StatusCode::BAD_REQUEST,
        Error::IdpRejectedClaim(_) | Error::InvalidAuthenticationCode(_) => StatusCode::FORBIDDEN,
        Error::AccessDenied(_) | Error::InvalidClientTokenId(_) | Error::ExpiredToken(_) => {
            StatusCode::FORBIDDEN
        }
        Error::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// Runs `work` on the blocking pool (never on the async workers) and answers its result; a
/// task that did not finish (it panicked) is an internal error.
pub(crate) async fn on_blocking_pool<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, EdgeError> + Send + 'static,
) -> Result<T, EdgeError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|_| EdgeError::internal("a worker failed"))?
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_edge_error_has_aws_code_and_status() {
        let cases = [
            (EdgeError::BodyTooLarge, "RequestEntityTooLarge", 413),
            (EdgeError::MissingAction, "MissingAction", 400),
            (EdgeError::MissingVersion, "MissingParameter", 400),
            (
                EdgeError::UnknownOperation {
                    action: "FlyToTheMoon".to_owned(),
                    version: "2010-05-08".to_owned(),
                },
                "InvalidAction",
                400,
            ),
            (EdgeError::Throttling, "Throttling", 400),
            (
                EdgeError::Signature(SigV4Error::MissingAuthenticationToken),
                "MissingAuthenticationToken",
                403,
            ),
            (
                EdgeError::Core(Error::NoSuchEntity("x".to_owned())),
                "NoSuchEntity",
                404,
            ),
            (EdgeError::internal("x"), "ServiceFailure", 500),
        ];
        for (error, code, status) in cases {
            assert_eq!((error.code(), error.status().as_u16()), (code, status));
        }
        assert_eq!(EdgeError::internal("x").fault(), ErrorKind::Receiver);
        assert_eq!(EdgeError::Throttling.message(), "Rate exceeded");
    }
}
