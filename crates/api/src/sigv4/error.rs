//! Why a request's SigV4 signature was refused, in AWS's codes and words.

use std::fmt;

/// A request whose signature is missing, malformed, stale or wrong.
///
/// Messages carry only what the client sent (never a secret, a derived key or a session token)
/// and are worded as AWS words them where AWS's wording is known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SigV4Error {
    /// Neither an `Authorization` header nor presigned query parameters.
    MissingAuthenticationToken,
    /// The signature is malformed or lacks a part.
    IncompleteSignature(String),
    /// The signature, or its credential scope, does not match the request.
    SignatureDoesNotMatch(String),
    /// The request's timestamp is more than 15 minutes from the server's clock
    /// (`Signature expired: …` or `Signature not yet current: …`).
    SignatureExpired(String),
    /// A presigned URL used after its `X-Amz-Expires`.
    RequestExpired(String),
    /// Not a SigV4 (`AWS4-HMAC-SHA256`) request: Signature Version 2, SigV4A or an unknown scheme.
    InvalidAlgorithm(String),
}

pub(crate) const MSG_MISSING_TOKEN: &str = "Request is missing Authentication Token";
pub(crate) const MSG_SIGNATURE_MISMATCH: &str = "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.";

impl SigV4Error {
    /// AWS's error code, as a client sees it in the `<Code>` element.
    pub fn code(&self) -> &'static str {
        match self {
            Self::MissingAuthenticationToken => "MissingAuthenticationToken",
            Self::IncompleteSignature(_) | Self::InvalidAlgorithm(_) => "IncompleteSignature",
            Self::SignatureDoesNotMatch(_) | Self::SignatureExpired(_) => "SignatureDoesNotMatch",
            Self::RequestExpired(_) => "RequestExpired",
        }
    }

    /// The HTTP status AWS answers with.
    pub fn http_status(&self) -> u16 {
        match self {
            Self::MissingAuthenticationToken
            | Self::SignatureDoesNotMatch(_)
            | Self::SignatureExpired(_) => 403,
            Self::IncompleteSignature(_) | Self::InvalidAlgorithm(_) | Self::RequestExpired(_) => {
                400
            }
        }
    }

    /// The human-readable message for the `<Message>` element.
    pub fn message(&self) -> String {
        match self {
            Self::MissingAuthenticationToken => MSG_MISSING_TOKEN.to_owned(),
            Self::IncompleteSignature(message)
            | Self::SignatureDoesNotMatch(message)
            | Self::SignatureExpired(message)
            | Self::RequestExpired(message)
            | Self::InvalidAlgorithm(message) => message.clone(),
        }
    }

    /// The error for a credential scoped to another service than the one the request reached,
    /// for callers that route by [`SignedRequest::service`](super::SignedRequest::service).
    pub fn wrong_service(expected: &str) -> Self {
        Self::SignatureDoesNotMatch(format!(
            "Credential should be scoped to correct service: '{}'.",
            truncate(expected)
        ))
    }

    /// The error for a credential scoped to a region the caller does not serve.
    pub fn wrong_region(region: &str) -> Self {
        Self::SignatureDoesNotMatch(invalid_region_message(region))
    }
}

impl fmt::Display for SigV4Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code(), self.message())
    }
}

impl std::error::Error for SigV4Error {}

pub(crate) fn invalid_region_message(region: &str) -> String {
    format!(
        "Credential should be scoped to a valid region, not '{}'.",
        truncate(region)
    )
}

/// Client input quoted in a message is cut to a bounded length.
pub(crate) fn truncate(text: &str) -> &str {
    const LIMIT: usize = 256;
    if text.len() <= LIMIT {
        return text;
    }
    let mut end = LIMIT;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text.get(..end).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_follow_aws() {
        assert_eq!(
            SigV4Error::MissingAuthenticationToken.code(),
            "MissingAuthenticationToken"
        );
        assert_eq!(
            SigV4Error::SignatureExpired("x".into()).code(),
            "SignatureDoesNotMatch"
        );
        assert_eq!(
            SigV4Error::RequestExpired("x".into()).code(),
            "RequestExpired"
        );
        assert_eq!(
            SigV4Error::InvalidAlgorithm("x".into()).code(),
            "IncompleteSignature"
        );
        assert_eq!(SigV4Error::SignatureExpired("x".into()).http_status(), 403);
        assert_eq!(
            SigV4Error::IncompleteSignature("x".into()).http_status(),
            400
        );
        assert_eq!(
            SigV4Error::MissingAuthenticationToken.message(),
            "Request is missing Authentication Token"
        );
        assert_eq!(
            SigV4Error::wrong_service("iam").message(),
            "Credential should be scoped to correct service: 'iam'."
        );
        assert_eq!(
            SigV4Error::wrong_region("mars-1").to_string(),
            "SignatureDoesNotMatch: Credential should be scoped to a valid region, not 'mars-1'."
        );
    }

    #[test]
    fn quoted_input_is_bounded_on_a_char_boundary() {
        let long = "é".repeat(300);
        let cut = truncate(&long);
        assert!(cut.len() <= 256);
        assert!(cut.chars().all(|c| c == 'é'));
        assert_eq!(truncate("short"), "short");
    }
}
