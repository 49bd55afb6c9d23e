//! SAML 2.0 as AWS federation uses it: an identity provider's metadata ([`Metadata`]) and the
//! responses it signs, verified against that metadata ([`verify_response`]).
//!
//! Verification is done here, in Rust, with no XML security library: a small XML tree
//! (`xml`), Canonical XML 1.0 and Exclusive XML Canonicalization (`c14n`), and enveloped
//! RSA signatures with SHA-1 or SHA-2 (`dsig`). One parse serves both the signature check
//! and the values read, and the response may hold only one assertion (`response`), which is
//! what makes signature wrapping impossible.
//!
//! A response reaches this crate before anyone is authenticated, so it is a crate of its own:
//! no I/O, no clock (the time to check against is an argument), nothing of the rest of Warden.

mod c14n;
mod dsig;
#[doc(hidden)]
pub mod fuzzing;
mod metadata;
mod response;
#[cfg(test)]
mod tests;
mod xml;

pub use metadata::Metadata;
pub use response::{Assertion, Expected, MAX_VALIDITY, verify_response};

/// Seconds since 1970-01-01T00:00:00Z (the caller's clock; this crate reads none).
pub type Timestamp = i64;

/// How AWS classifies a refused SAML response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SamlErrorKind {
    /// Not a valid, signed response for this service (InvalidIdentityToken).
    Invalid,
    /// Valid once, but its time has passed (ExpiredTokenException).
    Expired,
    /// The identity provider itself reported a failure (IDPRejectedClaim).
    Rejected,
}

/// Why a response was refused: AWS's message for the client and the precise reason for logs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SamlError {
    pub kind: SamlErrorKind,
    pub message: String,
    pub detail: String,
}

impl SamlError {
    fn invalid(message: &str, detail: &str) -> SamlError {
        SamlError {
            kind: SamlErrorKind::Invalid,
            message: message.to_owned(),
            detail: detail.to_owned(),
        }
    }

    fn expired(detail: &str) -> SamlError {
        SamlError {
            kind: SamlErrorKind::Expired,
            message: "The SAML assertion has expired".to_owned(),
            detail: detail.to_owned(),
        }
    }

    fn rejected(message: &str, detail: &str) -> SamlError {
        SamlError {
            kind: SamlErrorKind::Rejected,
            message: message.to_owned(),
            detail: detail.to_owned(),
        }
    }
}

const BASE64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Decodes standard base64 with padding; ASCII whitespace (line breaks in certificates and
/// encoded responses) is ignored.
pub(crate) fn base64_decode(text: &str) -> Option<Vec<u8>> {
    let symbols: Vec<u8> = text.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
    if !symbols.len().is_multiple_of(4) {
        return None;
    }
    let padding = symbols.iter().rev().take_while(|b| **b == b'=').count();
    if padding > 2 {
        return None;
    }
    let mut out = Vec::with_capacity(symbols.len() / 4 * 3);
    let mut bits: u32 = 0;
    let mut count = 0;
    for (index, symbol) in symbols.iter().enumerate() {
        let value = if *symbol == b'=' {
            if index < symbols.len() - padding {
                return None;
            }
            0
        } else {
            u32::try_from(BASE64.iter().position(|b| b == symbol)?).ok()?
        };
        bits = (bits << 6) | value;
        count += 1;
        if count == 4 {
            out.extend_from_slice(bits.to_be_bytes().get(1..).unwrap_or_default());
            bits = 0;
            count = 0;
        }
    }
    out.truncate(out.len() - padding);
    Some(out)
}

/// Encodes standard base64 with padding.
pub(crate) fn base64_encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let mut group = [0u8; 3];
        for (slot, byte) in group.iter_mut().zip(chunk) {
            *slot = *byte;
        }
        let [a, b, c] = group;
        let bits = u32::from_be_bytes([0, a, b, c]);
        for index in 0..4 {
            if index <= chunk.len() {
                let symbol = (bits >> (18 - 6 * index)) & 0x3f;
                let symbol = BASE64.get(symbol as usize).copied().unwrap_or(b'=');
                out.push(char::from(symbol));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// An `xs:dateTime` (`2026-01-01T00:00:00Z`, with optional fractional seconds and a `Z` or
/// `±HH:MM` zone; none means UTC) in seconds since the epoch.
pub(crate) fn parse_datetime(text: &str) -> Option<Timestamp> {
    let text = text.trim();
    let number = |from: usize, to: usize| -> Option<i64> {
        let digits = text.get(from..to)?;
        digits
            .bytes()
            .all(|b| b.is_ascii_digit())
            .then(|| digits.parse().ok())
            .flatten()
    };
    let separators = [(4, b'-'), (7, b'-'), (10, b'T'), (13, b':'), (16, b':')];
    if separators
        .iter()
        .any(|(at, c)| text.as_bytes().get(*at) != Some(c))
    {
        return None;
    }
    let (year, month, day) = (number(0, 4)?, number(5, 7)?, number(8, 10)?);
    let (hour, minute, second) = (number(11, 13)?, number(14, 16)?, number(17, 19)?);
    if !(1..=12).contains(&month)
        || !(1..=31).contains(&day)
        || hour > 23
        || minute > 59
        || second > 60
    {
        return None;
    }
    let mut rest = text.get(19..)?;
    if let Some(fraction) = rest.strip_prefix('.') {
        let digits = fraction.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return None;
        }
        rest = fraction.get(digits..)?;
    }
    let offset = match rest {
        "" | "Z" => 0,
        zone => {
            let sign = match zone.as_bytes().first() {
                Some(b'+') => 1,
                Some(b'-') => -1,
                _ => return None,
            };
            let hours: i64 = zone.get(1..3)?.parse().ok()?;
            let minutes: i64 = zone.get(4..6)?.parse().ok()?;
            if zone.len() != 6 || zone.as_bytes().get(3) != Some(&b':') {
                return None;
            }
            sign * (hours * 3600 + minutes * 60)
        }
    };
    let days = days_from_civil(year, month, day);
    Some(days * 86_400 + hour * 3600 + minute * 60 + second - offset)
}

fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let month_index = if month > 2 { month - 3 } else { month + 9 };
    let day_of_year = (153 * month_index + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}
