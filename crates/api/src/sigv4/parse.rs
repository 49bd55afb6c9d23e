//! Reading a request's SigV4 signature, from its `Authorization` header or presigned query,
//! with AWS's checks and messages for what is missing or malformed.

use std::borrow::Cow;

use super::canonical::query_pairs;
use super::error::{SigV4Error, invalid_region_message, truncate};
use super::time::{format_amz_date, is_day_of, parse_amz_date, parse_date_header};
use super::{HttpRequest, MAX_PRESIGNED_EXPIRES_SECS, SignedRequest};

const ALGORITHM: &str = "AWS4-HMAC-SHA256";
/// The most headers a request may carry to be considered at all.
const MAX_HEADERS: usize = 256;
/// The longest `Authorization` header read.
const MAX_AUTHORIZATION_LEN: usize = 16 * 1024;
/// The most names `SignedHeaders` may list.
const MAX_SIGNED_HEADERS: usize = 64;

const MSG_DATE_REQUIRED: &str =
    "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.";
const MSG_HOST_NOT_SIGNED: &str =
    "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.";

/// Bounds on what a hostile request can make the verifier do.
pub(super) fn check_limits(request: &HttpRequest<'_>) -> Result<(), SigV4Error> {
    if request.headers.len() > MAX_HEADERS {
        return Err(SigV4Error::IncompleteSignature(format!(
            "The request has more than {MAX_HEADERS} headers."
        )));
    }
    Ok(())
}

pub(super) fn parse<'a>(
    request: &HttpRequest<'a>,
) -> Result<Option<SignedRequest<'a>>, SigV4Error> {
    check_limits(request)?;
    let authorization = first_header(request.headers, "authorization")
        .map(str::trim)
        .filter(|value| !value.is_empty());
    let query = QueryAuth::read(request.query);
    match (authorization, query) {
        (Some(_), Some(query)) if query.algorithm.is_some() => {
            Err(SigV4Error::SignatureDoesNotMatch(
                "Found both 'X-Amz-Algorithm' as a query-string param and 'Authorization' as HTTP header."
                    .to_owned(),
            ))
        }
        (Some(authorization), _) => from_header(request, authorization).map(Some),
        (None, Some(query)) => from_query(request, query).map(Some),
        (None, None) if is_signature_v2(request) => Err(SigV4Error::InvalidAlgorithm(
            "Signature Version 2 is not supported; sign the request with Signature Version 4 (AWS4-HMAC-SHA256)."
                .to_owned(),
        )),
        (None, None) => Ok(None),
    }
}

fn from_header<'a>(
    request: &HttpRequest<'a>,
    authorization: &'a str,
) -> Result<SignedRequest<'a>, SigV4Error> {
    if authorization.len() > MAX_AUTHORIZATION_LEN {
        return Err(SigV4Error::IncompleteSignature(format!(
            "The Authorization header is longer than {MAX_AUTHORIZATION_LEN} bytes."
        )));
    }
    let (algorithm, parameters) = authorization
        .split_once(char::is_whitespace)
        .unwrap_or((authorization, ""));
    if algorithm != ALGORITHM {
        return Err(unsupported_algorithm(algorithm));
    }

    let (mut credential, mut signed_headers, mut signature) = (None, None, None);
    for parameter in parameters.split([',', ' ', '\t']).filter(|p| !p.is_empty()) {
        let Some((name, value)) = parameter.split_once('=') else {
            return Err(SigV4Error::IncompleteSignature(format!(
                "'{}' not a valid key=value pair (missing equal-sign) in Authorization header: '{}'",
                truncate(parameter),
                truncate(authorization)
            )));
        };
        match name {
            "Credential" => credential = Some(value),
            "SignedHeaders" => signed_headers = Some(value),
            "Signature" => signature = Some(value),
            _ => {}
        }
    }
    let credential = credential.filter(|v| !v.is_empty());
    let signature = signature.filter(|v| !v.is_empty());
    let amz_date = first_header(request.headers, "x-amz-date");
    let date = first_header(request.headers, "date");

    let mut missing = Vec::new();
    if credential.is_none() {
        missing.push("Authorization header requires 'Credential' parameter.");
    }
    if signature.is_none() {
        missing.push("Authorization header requires 'Signature' parameter.");
    }
    if signed_headers.is_none() {
        missing.push("Authorization header requires 'SignedHeaders' parameter.");
    }
    if amz_date.is_none() && date.is_none() {
        missing.push(MSG_DATE_REQUIRED);
    }
    let (Some(credential), Some(signature), Some(signed_headers), true) =
        (credential, signature, signed_headers, missing.is_empty())
    else {
        return Err(SigV4Error::IncompleteSignature(format!(
            "{} Authorization={}",
            missing.join(" "),
            truncate(authorization)
        )));
    };

    let (timestamp, date_header) = match (amz_date, date) {
        (Some(value), _) => (
            parse_amz_date(value.trim()).ok_or_else(|| bad_date(value))?,
            "x-amz-date",
        ),
        (None, Some(value)) => (
            parse_date_header(value.trim()).ok_or_else(|| bad_date(value))?,
            "date",
        ),
        (None, None) => {
            return Err(SigV4Error::IncompleteSignature(
                MSG_DATE_REQUIRED.to_owned(),
            ));
        }
    };
    let signed_headers = signed_header_names(signed_headers)?;
    if !signed_headers.iter().any(|name| name == date_header) {
        let shown = if date_header == "date" {
            "Date"
        } else {
            "X-Amz-Date"
        };
        return Err(SigV4Error::IncompleteSignature(format!(
            "'{shown}' must be a 'SignedHeader' in the AWS Authorization."
        )));
    }
    let scope = Scope::parse(credential, timestamp)?;
    Ok(SignedRequest {
        access_key_id: Cow::Borrowed(scope.access_key_id),
        date: Cow::Borrowed(scope.date),
        region: Cow::Borrowed(scope.region),
        service: Cow::Borrowed(scope.service),
        timestamp,
        security_token: first_header(request.headers, "x-amz-security-token")
            .map(|token| Cow::Borrowed(token.trim())),
        presigned_expires: None,
        presigned: false,
        signed_headers,
        signature: Cow::Borrowed(signature),
    })
}

fn from_query<'a>(
    request: &HttpRequest<'a>,
    query: QueryAuth<'a>,
) -> Result<SignedRequest<'a>, SigV4Error> {
    if let Some(algorithm) = query.algorithm.as_deref().filter(|a| *a != ALGORITHM) {
        return Err(unsupported_algorithm(algorithm));
    }
    let required = [
        ("X-Amz-Algorithm", &query.algorithm),
        ("X-Amz-Credential", &query.credential),
        ("X-Amz-Signature", &query.signature),
        ("X-Amz-SignedHeaders", &query.signed_headers),
        ("X-Amz-Date", &query.date),
    ];
    let missing: Vec<String> = required
        .iter()
        .filter(|(_, value)| value.as_deref().is_none_or(str::is_empty))
        .map(|(name, _)| format!("AWS query-string parameters must include '{name}'."))
        .collect();
    let (Some(credential), Some(signature), Some(signed_headers), Some(date), true) = (
        query.credential,
        query.signature,
        query.signed_headers,
        query.date,
        missing.is_empty(),
    ) else {
        return Err(SigV4Error::IncompleteSignature(format!(
            "{} Re-examine the query-string parameters.",
            missing.join(" ")
        )));
    };

    let timestamp = parse_amz_date(&date).ok_or_else(|| bad_date(&date))?;
    let presigned_expires = query.expires.as_deref().map(parse_expires).transpose()?;
    let signed_headers = match signed_headers {
        Cow::Borrowed(list) => signed_header_names(list)?,
        Cow::Owned(list) => signed_header_names(&list)?
            .into_iter()
            .map(|name| Cow::Owned(name.into_owned()))
            .collect(),
    };
    let [access_key_id, scope_date, region, service] = match credential {
        Cow::Borrowed(credential) => Scope::parse(credential, timestamp)?
            .parts()
            .map(Cow::Borrowed),
        Cow::Owned(credential) => Scope::parse(&credential, timestamp)?
            .parts()
            .map(|part| Cow::Owned(part.to_owned())),
    };
    let security_token = query.security_token.or_else(|| {
        first_header(request.headers, "x-amz-security-token")
            .map(|token| Cow::Borrowed(token.trim()))
    });
    Ok(SignedRequest {
        access_key_id,
        date: scope_date,
        region,
        service,
        timestamp,
        security_token,
        presigned_expires,
        presigned: true,
        signed_headers,
        signature,
    })
}

/// The `X-Amz-*` parameters of a presigned query, first occurrence of each.
#[derive(Default)]
struct QueryAuth<'a> {
    algorithm: Option<Cow<'a, str>>,
    credential: Option<Cow<'a, str>>,
    signature: Option<Cow<'a, str>>,
    signed_headers: Option<Cow<'a, str>>,
    date: Option<Cow<'a, str>>,
    expires: Option<Cow<'a, str>>,
    security_token: Option<Cow<'a, str>>,
}

impl<'a> QueryAuth<'a> {
    /// `None` unless the query carries an algorithm, a credential or a signature.
    fn read(query: &'a str) -> Option<Self> {
        if !query.contains("X-Amz-") && !query.contains("X%2DAmz%2D") {
            return None;
        }
        let mut auth = Self::default();
        for (name, value) in query_pairs(query) {
            let slot = match name.as_ref() {
                b"X-Amz-Algorithm" => &mut auth.algorithm,
                b"X-Amz-Credential" => &mut auth.credential,
                b"X-Amz-Signature" => &mut auth.signature,
                b"X-Amz-SignedHeaders" => &mut auth.signed_headers,
                b"X-Amz-Date" => &mut auth.date,
                b"X-Amz-Expires" => &mut auth.expires,
                b"X-Amz-Security-Token" => &mut auth.security_token,
                _ => continue,
            };
            if slot.is_none() {
                *slot = Some(lossy_text(value));
            }
        }
        let present =
            auth.algorithm.is_some() || auth.credential.is_some() || auth.signature.is_some();
        present.then_some(auth)
    }
}

/// Decoded query text as a string, borrowed when it was not escaped.
fn lossy_text(value: Cow<'_, [u8]>) -> Cow<'_, str> {
    match value {
        Cow::Borrowed(bytes) => String::from_utf8_lossy(bytes),
        Cow::Owned(bytes) => match String::from_utf8(bytes) {
            Ok(text) => Cow::Owned(text),
            Err(error) => Cow::Owned(String::from_utf8_lossy(error.as_bytes()).into_owned()),
        },
    }
}

/// `AKID/YYYYMMDD/region/service/aws4_request`, checked against the request's timestamp.
struct Scope<'a> {
    access_key_id: &'a str,
    date: &'a str,
    region: &'a str,
    service: &'a str,
}

impl<'a> Scope<'a> {
    fn parse(credential: &'a str, timestamp: i64) -> Result<Self, SigV4Error> {
        let mut parts = credential.trim_end_matches('/').split('/');
        let (Some(access_key_id), Some(date), Some(region), Some(service), Some(terminator), None) = (
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
        ) else {
            return Err(SigV4Error::IncompleteSignature(format!(
                "Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '{}'",
                truncate(credential)
            )));
        };

        let mut problems = Vec::new();
        let region_is_valid = !region.is_empty()
            && region
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if !region_is_valid {
            problems.push(invalid_region_message(region));
        }
        if terminator != "aws4_request" {
            problems.push(format!(
                "Credential should be scoped with a valid terminator: 'aws4_request', not '{}'.",
                truncate(terminator)
            ));
        }
        if !is_day_of(date, timestamp) {
            let amz_date = format_amz_date(timestamp);
            let day = amz_date.get(..8).unwrap_or_default();
            problems.push(format!(
                "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '{}' != '{day}', from '{amz_date}'.",
                truncate(date)
            ));
        }
        if !problems.is_empty() {
            return Err(SigV4Error::SignatureDoesNotMatch(problems.join(" ")));
        }
        Ok(Self {
            access_key_id,
            date,
            region,
            service,
        })
    }

    /// The access key id, date, region and service.
    fn parts(&self) -> [&'a str; 4] {
        [self.access_key_id, self.date, self.region, self.service]
    }
}

/// The `SignedHeaders` list: lower-cased, sorted, without duplicates, and holding `host`.
/// A name already in lower case is borrowed from the list.
fn signed_header_names(list: &str) -> Result<Vec<Cow<'_, str>>, SigV4Error> {
    let mut names = Vec::new();
    for name in list.split(';').map(str::trim).filter(|n| !n.is_empty()) {
        if names.len() == MAX_SIGNED_HEADERS {
            return Err(SigV4Error::IncompleteSignature(format!(
                "SignedHeaders lists more than {MAX_SIGNED_HEADERS} headers."
            )));
        }
        if name.bytes().any(|b| b.is_ascii_uppercase()) {
            names.push(Cow::Owned(name.to_ascii_lowercase()));
        } else {
            names.push(Cow::Borrowed(name));
        }
    }
    names.sort_unstable();
    names.dedup();
    if !names.iter().any(|name| name == "host") {
        return Err(SigV4Error::IncompleteSignature(
            MSG_HOST_NOT_SIGNED.to_owned(),
        ));
    }
    Ok(names)
}

fn parse_expires(value: &str) -> Result<i64, SigV4Error> {
    let seconds: i64 = value.trim().parse().map_err(|_| {
        SigV4Error::IncompleteSignature("X-Amz-Expires should be a number".to_owned())
    })?;
    if seconds < 1 {
        return Err(SigV4Error::IncompleteSignature(
            "X-Amz-Expires must be a positive number of seconds".to_owned(),
        ));
    }
    if seconds > MAX_PRESIGNED_EXPIRES_SECS {
        return Err(SigV4Error::IncompleteSignature(format!(
            "X-Amz-Expires must be less than a week (in seconds); that is, the given X-Amz-Expires must be less than {MAX_PRESIGNED_EXPIRES_SECS} seconds"
        )));
    }
    Ok(seconds)
}

fn unsupported_algorithm(algorithm: &str) -> SigV4Error {
    SigV4Error::InvalidAlgorithm(format!(
        "Unsupported AWS 'algorithm': '{}' (only AWS4-HMAC-SHA256 for now).",
        truncate(algorithm)
    ))
}

fn bad_date(value: &str) -> SigV4Error {
    SigV4Error::IncompleteSignature(format!(
        "Date must be in ISO-8601 'basic format'. Got '{}'. See http://en.wikipedia.org/wiki/ISO_8601",
        truncate(value)
    ))
}

/// A Signature Version 2 request names its key and version among its parameters, in the query
/// or in a form body.
fn is_signature_v2(request: &HttpRequest<'_>) -> bool {
    let names_v2 = |text: &str| {
        (text.contains("SignatureVersion") || text.contains("AWSAccessKeyId"))
            && query_pairs(text)
                .any(|(name, _)| matches!(name.as_ref(), b"SignatureVersion" | b"AWSAccessKeyId"))
    };
    names_v2(request.query) || std::str::from_utf8(request.body).is_ok_and(names_v2)
}

pub(super) fn first_header<'a>(headers: &[(&'a str, &'a str)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, value)| *value)
}
