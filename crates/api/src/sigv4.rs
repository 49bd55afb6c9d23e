//! AWS Signature Version 4 verification: read a request's signature, then check it against the
//! caller's secret access key.
//!
//! Pure functions over a borrowed request: no I/O, no clock (the time is a parameter), no async.
//! The flow of a caller:
//!
//! 1. [`parse`] the request. `Ok(None)` means it carries no signature at all; the caller decides
//!    whether that is allowed (STS's `AssumeRoleWithWebIdentity` and `AssumeRoleWithSAML`) or
//!    answers [`SigV4Error::MissingAuthenticationToken`].
//! 2. Check [`SignedRequest::service`] and [`SignedRequest::region`] against what the endpoint
//!    serves ([`SigV4Error::wrong_service`]), optionally [`SignedRequest::check_time`] (AWS
//!    reports a stale signature before an unknown key), then look up the secret of
//!    [`SignedRequest::access_key_id`].
//! 3. [`verify`] the signature with that secret and the current time.
//!
//! The canonical request follows AWS's definition for every service but S3: the path is
//! normalized and its segments URI-encoded twice, the query is decoded and re-encoded (a `+` in
//! it is a space), header values are trimmed with runs of spaces collapsed, and the payload hash
//! is the SHA-256 of the body (`x-amz-content-sha256`, when sent, must equal it). A presigned
//! request with an empty body may also have been signed with `UNSIGNED-PAYLOAD`.

mod canonical;
mod error;
mod keys;
mod parse;
#[cfg(test)]
mod tests;
mod time;

use std::borrow::Cow;
use std::fmt;

use sha2::{Digest, Sha256};
use subtle::Choice;

pub use error::SigV4Error;
pub use keys::SigningKeyCache;

/// How far a request's timestamp may be from the server's clock, either way.
pub const MAX_CLOCK_SKEW_SECS: i64 = 15 * 60;
/// The longest validity a presigned URL may ask for with `X-Amz-Expires` (seven days).
pub const MAX_PRESIGNED_EXPIRES_SECS: i64 = 7 * 24 * 60 * 60;

const UNSIGNED_PAYLOAD: &str = "UNSIGNED-PAYLOAD";

/// What the verifier needs of an HTTP request.
///
/// Behind HTTP/2, pass the `:authority` as a `host` header.
pub struct HttpRequest<'a> {
    /// The method, as received (`GET`, `POST`, …).
    pub method: &'a str,
    /// The raw path as received, percent-encoded.
    pub path: &'a str,
    /// The raw query string, without `?`.
    pub query: &'a str,
    /// Names in any case, values as received; repeated names allowed.
    pub headers: &'a [(&'a str, &'a str)],
    /// The whole body.
    pub body: &'a [u8],
}

impl fmt::Debug for HttpRequest<'_> {
    /// Shows no header value, query or body: they may hold session tokens.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let header_names: Vec<&str> = self.headers.iter().map(|(name, _)| *name).collect();
        f.debug_struct("HttpRequest")
            .field("method", &self.method)
            .field("path", &self.path)
            .field("query_len", &self.query.len())
            .field("header_names", &header_names)
            .field("body_len", &self.body.len())
            .finish()
    }
}

/// A request's signature, parsed but not yet checked: from the `Authorization` header or from
/// a presigned query (`X-Amz-Algorithm`, `X-Amz-Credential`, `X-Amz-Date`, `X-Amz-Expires`,
/// `X-Amz-SignedHeaders`, `X-Amz-Signature`, `X-Amz-Security-Token`).
///
/// Its credential scope has been checked for shape, terminator, region syntax and date; the
/// service is left to the caller.
///
/// Its strings borrow from the request wherever they appear there as they are (an
/// `Authorization` header, a query parameter without escapes, a lower-case header name).
#[derive(Clone, PartialEq, Eq)]
pub struct SignedRequest<'a> {
    /// The access key id of the credential scope.
    pub access_key_id: Cow<'a, str>,
    /// The scope's date, `YYYYMMDD`; always the day of [`Self::timestamp`].
    pub date: Cow<'a, str>,
    /// The scope's region (any well-formed region is accepted here).
    pub region: Cow<'a, str>,
    /// The scope's service, unchecked: the caller routes or refuses by it.
    pub service: Cow<'a, str>,
    /// Epoch seconds of `X-Amz-Date` (or of the `Date` header).
    pub timestamp: i64,
    /// The session token (`X-Amz-Security-Token` header or query parameter).
    pub security_token: Option<Cow<'a, str>>,
    /// A presigned URL's `X-Amz-Expires`, in seconds (1..=604800).
    pub presigned_expires: Option<i64>,
    presigned: bool,
    /// Lower-case, sorted, without duplicates.
    signed_headers: Vec<Cow<'a, str>>,
    signature: Cow<'a, str>,
}

impl SignedRequest<'_> {
    /// Whether the signature came in the query string rather than an `Authorization` header.
    pub fn is_presigned(&self) -> bool {
        self.presigned
    }

    /// The names of the signed headers, lower-case and sorted.
    pub fn signed_headers(&self) -> &[Cow<'_, str>] {
        &self.signed_headers
    }

    /// The same signature, owning its strings: to keep it beyond the request it was read from.
    pub fn into_owned(self) -> SignedRequest<'static> {
        SignedRequest {
            access_key_id: Cow::Owned(self.access_key_id.into_owned()),
            date: Cow::Owned(self.date.into_owned()),
            region: Cow::Owned(self.region.into_owned()),
            service: Cow::Owned(self.service.into_owned()),
            timestamp: self.timestamp,
            security_token: self
                .security_token
                .map(|token| Cow::Owned(token.into_owned())),
            presigned_expires: self.presigned_expires,
            presigned: self.presigned,
            signed_headers: self
                .signed_headers
                .into_iter()
                .map(|name| Cow::Owned(name.into_owned()))
                .collect(),
            signature: Cow::Owned(self.signature.into_owned()),
        }
    }

    /// Whether the request is current at `now` (epoch seconds): no more than 15 minutes from
    /// it, or for a presigned URL with `X-Amz-Expires`, not yet expired.
    pub fn check_time(&self, now: i64) -> Result<(), SigV4Error> {
        let timestamp = self.timestamp;
        let latest = now.saturating_add(MAX_CLOCK_SKEW_SECS);
        if timestamp > latest {
            return Err(SigV4Error::SignatureExpired(format!(
                "Signature not yet current: {} is still later than {} ({} + 15 min.)",
                time::format_amz_date(timestamp),
                time::format_amz_date(latest),
                time::format_amz_date(now)
            )));
        }
        if let (true, Some(expires)) = (self.presigned, self.presigned_expires) {
            if now > timestamp.saturating_add(expires) {
                return Err(SigV4Error::RequestExpired("Request has expired".to_owned()));
            }
            return Ok(());
        }
        let earliest = now.saturating_sub(MAX_CLOCK_SKEW_SECS);
        if timestamp < earliest {
            return Err(SigV4Error::SignatureExpired(format!(
                "Signature expired: {} is now earlier than {} ({} - 15 min.)",
                time::format_amz_date(timestamp),
                time::format_amz_date(earliest),
                time::format_amz_date(now)
            )));
        }
        Ok(())
    }
}

impl fmt::Debug for SignedRequest<'_> {
    /// Shows the session token's presence, never its value.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SignedRequest")
            .field("access_key_id", &self.access_key_id)
            .field("date", &self.date)
            .field("region", &self.region)
            .field("service", &self.service)
            .field("timestamp", &self.timestamp)
            .field(
                "security_token",
                &self.security_token.as_ref().map(|_| "<redacted>"),
            )
            .field("presigned_expires", &self.presigned_expires)
            .field("presigned", &self.presigned)
            .field("signed_headers", &self.signed_headers)
            .field("signature", &self.signature)
            .finish()
    }
}

/// Reads the request's signature. `Ok(None)`: the request is unsigned (no `Authorization`
/// header, no presigned parameters).
///
/// Errors: [`SigV4Error::IncompleteSignature`] for missing or malformed parts,
/// [`SigV4Error::InvalidAlgorithm`] for anything but `AWS4-HMAC-SHA256` (Signature Version 2
/// included), [`SigV4Error::SignatureDoesNotMatch`] for a credential scope that does not fit the
/// request (bad terminator, malformed region, a date other than the request's day).
pub fn parse<'a>(request: &HttpRequest<'a>) -> Result<Option<SignedRequest<'a>>, SigV4Error> {
    parse::parse(request)
}

/// Checks `signed` (from [`parse`] of this same request) against the secret access key of its
/// access key id, at `now` (epoch seconds). Derived signing keys are taken from and kept in
/// `keys`. Signatures are compared in constant time.
pub fn verify(
    request: &HttpRequest<'_>,
    signed: &SignedRequest<'_>,
    secret_access_key: &str,
    now: i64,
    keys: &SigningKeyCache,
) -> Result<(), SigV4Error> {
    parse::check_limits(request)?;
    signed.check_time(now)?;
    let mismatch = || SigV4Error::SignatureDoesNotMatch(error::MSG_SIGNATURE_MISMATCH.to_owned());
    let signing_mac = keys
        .signing_mac(
            &signed.access_key_id,
            secret_access_key,
            &signed.date,
            &signed.region,
            &signed.service,
        )
        .ok_or_else(mismatch)?;

    let body_hash = canonical::sha256_hex(request.body);
    let payload_hashes = payload_hashes(request, signed, body_hash.as_str())?;
    // The canonical request is hashed as it is written; its prefix is shared by the payload
    // hashes the signer may have used.
    let mut prefix = Sha256::new();
    canonical::canonical_request_prefix(
        &mut prefix,
        request,
        &signed.signed_headers,
        signed.presigned,
    )?;
    let amz_date = time::format_amz_date(signed.timestamp);
    let scope = [&*signed.date, &*signed.region, &*signed.service];

    let mut matched = Choice::from(0);
    for payload_hash in payload_hashes.into_iter().flatten() {
        let mut canonical_request = prefix.clone();
        canonical::Sink::put(&mut canonical_request, payload_hash);
        let canonical_hash = canonical::HexDigest::new(&canonical_request.finalize().into());
        let mut mac = signing_mac.clone();
        canonical::string_to_sign(&mut mac, &amz_date, scope, canonical_hash.as_str());
        let expected: [u8; 32] = hmac::Mac::finalize(mac).into_bytes().into();
        matched |= canonical::hex_matches(&expected, &signed.signature);
    }
    if bool::from(matched) {
        Ok(())
    } else {
        Err(mismatch())
    }
}

/// The payload hashes the signer may have used: the body's SHA-256 (as declared in
/// `x-amz-content-sha256` when that header is sent), and for a presigned request with an empty
/// body, `UNSIGNED-PAYLOAD` as well.
fn payload_hashes<'a>(
    request: &HttpRequest<'a>,
    signed: &SignedRequest<'_>,
    body_hash: &'a str,
) -> Result<[Option<&'a str>; 2], SigV4Error> {
    let unsigned_allowed = signed.presigned && request.body.is_empty();
    let declared = parse::first_header(request.headers, "x-amz-content-sha256").map(str::trim);
    match declared {
        Some(UNSIGNED_PAYLOAD) if unsigned_allowed => Ok([Some(UNSIGNED_PAYLOAD), None]),
        Some(declared)
            if declared.len() == 64 && declared.bytes().all(|b| b.is_ascii_hexdigit()) =>
        {
            if declared.eq_ignore_ascii_case(body_hash) {
                Ok([Some(declared), None])
            } else {
                Err(SigV4Error::SignatureDoesNotMatch(
                    "The provided 'x-amz-content-sha256' header does not match what was computed."
                        .to_owned(),
                ))
            }
        }
        _ if unsigned_allowed => Ok([Some(body_hash), Some(UNSIGNED_PAYLOAD)]),
        _ => Ok([Some(body_hash), None]),
    }
}
