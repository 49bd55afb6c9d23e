//! The canonical request and the string to sign, exactly as AWS's SigV4 defines them.

use std::borrow::Cow;

use sha2::{Digest, Sha256};

use super::HttpRequest;
use super::error::SigV4Error;

/// The most query parameters a signed request may carry.
pub(crate) const MAX_QUERY_PARAMS: usize = 4096;

/// The canonical request without its last line, the payload hash:
///
/// ```text
/// METHOD\nCANONICAL-URI\nCANONICAL-QUERY\nCANONICAL-HEADERS\n\nSIGNED-HEADERS\n
/// ```
pub(crate) fn canonical_request_prefix(
    request: &HttpRequest<'_>,
    signed_headers: &[impl AsRef<str>],
    presigned: bool,
) -> Result<String, SigV4Error> {
    let mut out = String::with_capacity(256 + request.path.len() + 2 * request.query.len());
    out.push_str(request.method);
    out.push('\n');
    push_canonical_uri(&mut out, request.path);
    out.push('\n');
    push_canonical_query(&mut out, request.query, presigned)?;
    out.push('\n');
    for name in signed_headers.iter().map(AsRef::as_ref) {
        out.push_str(name);
        out.push(':');
        push_header_value(&mut out, request.headers, name);
        out.push('\n');
    }
    out.push('\n');
    for (i, name) in signed_headers.iter().enumerate() {
        if i > 0 {
            out.push(';');
        }
        out.push_str(name.as_ref());
    }
    out.push('\n');
    Ok(out)
}

/// `AWS4-HMAC-SHA256\n<timestamp>\n<scope>\n<hex(sha256(canonical request))>`.
pub(crate) fn string_to_sign(amz_date: &str, scope: &str, canonical_request: &str) -> String {
    let mut out = String::with_capacity(40 + amz_date.len() + scope.len() + 64);
    out.push_str("AWS4-HMAC-SHA256\n");
    out.push_str(amz_date);
    out.push('\n');
    out.push_str(scope);
    out.push('\n');
    push_hex(&mut out, &Sha256::digest(canonical_request.as_bytes()));
    out
}

pub(crate) fn sha256_hex(data: &[u8]) -> String {
    hex(&Sha256::digest(data))
}

/// Lower-case hex, as signatures and payload hashes are written.
pub(crate) fn hex(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 2);
    push_hex(&mut out, bytes);
    out
}

/// Appends `bytes` in lower-case hex.
pub(crate) fn push_hex(out: &mut String, bytes: &[u8]) {
    for &byte in bytes {
        out.push(hex_digit(byte >> 4, b'a'));
        out.push(hex_digit(byte & 0x0f, b'a'));
    }
}

/// Whether `hex_text` is `bytes` in lower-case hex, compared in constant time for its length.
pub(crate) fn hex_matches(bytes: &[u8; 32], hex_text: &str) -> subtle::Choice {
    use subtle::ConstantTimeEq;
    let mut expected = [0u8; 64];
    for (pair, &byte) in expected.chunks_exact_mut(2).zip(bytes) {
        if let [high, low] = pair {
            *high = hex_digit(byte >> 4, b'a') as u8;
            *low = hex_digit(byte & 0x0f, b'a') as u8;
        }
    }
    expected.as_slice().ct_eq(hex_text.as_bytes())
}

/// The hex digit of a nibble, with `alpha` (`b'a'` or `b'A'`) as the letter for ten.
fn hex_digit(nibble: u8, alpha: u8) -> char {
    char::from(match nibble {
        0..=9 => b'0' + nibble,
        _ => alpha + (nibble & 0x0f) - 10,
    })
}

/// The path, normalized as AWS does for every service but S3 (empty and `.` segments dropped,
/// `..` resolved, a trailing slash kept), then URI-encoded once more: the path arrives encoded,
/// so its segments end up encoded twice.
fn push_canonical_uri(out: &mut String, path: &str) {
    let mut segments: Vec<&str> = Vec::new();
    for segment in path.split('/') {
        match segment {
            "" | "." => {}
            ".." => {
                segments.pop();
            }
            _ => segments.push(segment),
        }
    }
    out.push('/');
    for (i, segment) in segments.iter().enumerate() {
        if i > 0 {
            out.push('/');
        }
        uri_encode_into(out, segment.as_bytes());
    }
    if !segments.is_empty() && path.ends_with('/') {
        out.push('/');
    }
}

/// The query's parameters, each name and value decoded (`+` is a space, as in HTML forms) and
/// URI-encoded again, sorted by name then value; presigned requests leave out `X-Amz-Signature`.
fn push_canonical_query(out: &mut String, query: &str, presigned: bool) -> Result<(), SigV4Error> {
    let mut pairs: Vec<(String, String)> = Vec::new();
    for (name, value) in query_pairs(query) {
        if presigned && name.as_ref() == b"X-Amz-Signature" {
            continue;
        }
        if pairs.len() == MAX_QUERY_PARAMS {
            return Err(SigV4Error::IncompleteSignature(format!(
                "The query string has more than {MAX_QUERY_PARAMS} parameters."
            )));
        }
        let mut encoded_name = String::with_capacity(name.len());
        uri_encode_into(&mut encoded_name, &name);
        let mut encoded_value = String::with_capacity(value.len());
        uri_encode_into(&mut encoded_value, &value);
        pairs.push((encoded_name, encoded_value));
    }
    pairs.sort_unstable();
    for (i, (name, value)) in pairs.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        out.push_str(name);
        out.push('=');
        out.push_str(value);
    }
    Ok(())
}

/// The values of every header named `name` (any case), each trimmed with inner runs of spaces
/// collapsed, joined by commas in the order received.
fn push_header_value(out: &mut String, headers: &[(&str, &str)], name: &str) {
    let mut first = true;
    for (_, value) in headers.iter().filter(|(n, _)| n.eq_ignore_ascii_case(name)) {
        if !first {
            out.push(',');
        }
        first = false;
        let value = value.trim_matches([' ', '\t']);
        if !value.contains("  ") {
            out.push_str(value);
            continue;
        }
        let mut previous_space = false;
        for c in value.chars() {
            if c == ' ' && previous_space {
                continue;
            }
            previous_space = c == ' ';
            out.push(c);
        }
    }
}

/// The `name=value` pairs of a query string, percent-decoded; empty pieces are skipped and a
/// piece without `=` has an empty value.
pub(crate) fn query_pairs(query: &str) -> impl Iterator<Item = (Cow<'_, [u8]>, Cow<'_, [u8]>)> {
    query
        .split('&')
        .filter(|piece| !piece.is_empty())
        .map(|piece| {
            let (name, value) = piece.split_once('=').unwrap_or((piece, ""));
            (percent_decode(name), percent_decode(value))
        })
}

/// Decodes `%XX` escapes and `+`; a `%` not followed by two hex digits stays as it is.
fn percent_decode(text: &str) -> Cow<'_, [u8]> {
    let bytes = text.as_bytes();
    if !bytes.iter().any(|&b| b == b'%' || b == b'+') {
        return Cow::Borrowed(bytes);
    }
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&byte) = bytes.get(i) {
        match byte {
            b'+' => out.push(b' '),
            b'%' => {
                let high = bytes.get(i + 1).and_then(|&b| hex_value(b));
                let low = bytes.get(i + 2).and_then(|&b| hex_value(b));
                if let (Some(high), Some(low)) = (high, low) {
                    out.push(high << 4 | low);
                    i += 3;
                    continue;
                }
                out.push(b'%');
            }
            _ => out.push(byte),
        }
        i += 1;
    }
    Cow::Owned(out)
}

fn hex_value(byte: u8) -> Option<u8> {
    match byte {
        b'0'..=b'9' => Some(byte - b'0'),
        b'a'..=b'f' => Some(byte - b'a' + 10),
        b'A'..=b'F' => Some(byte - b'A' + 10),
        _ => None,
    }
}

/// URI-encodes every byte but the unreserved characters `A-Z a-z 0-9 - . _ ~`, with upper-case
/// hex digits.
fn uri_encode_into(out: &mut String, bytes: &[u8]) {
    for &byte in bytes {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push('%');
            out.push(hex_digit(byte >> 4, b'A'));
            out.push(hex_digit(byte & 0x0f, b'A'));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn uri(path: &str) -> String {
        let mut out = String::new();
        push_canonical_uri(&mut out, path);
        out
    }

    fn query(raw: &str, presigned: bool) -> String {
        let mut out = String::new();
        push_canonical_query(&mut out, raw, presigned).unwrap();
        out
    }

    fn header(headers: &[(&str, &str)], name: &str) -> String {
        let mut out = String::new();
        push_header_value(&mut out, headers, name);
        out
    }

    #[test]
    fn paths_are_normalized_and_encoded_twice() {
        assert_eq!(uri(""), "/");
        assert_eq!(uri("/"), "/");
        assert_eq!(uri("//"), "/");
        assert_eq!(uri("/a/b/"), "/a/b/");
        assert_eq!(uri("/a//b/./c/../d"), "/a/b/d");
        assert_eq!(uri("/a/.."), "/");
        assert_eq!(uri("/../.."), "/");
        assert_eq!(uri("/a%20b/caf%C3%A9"), "/a%2520b/caf%25C3%25A9");
        assert_eq!(uri("/~user/x+y!"), "/~user/x%2By%21");
        assert_eq!(uri("relative"), "/relative");
    }

    #[test]
    fn query_is_decoded_reencoded_and_sorted() {
        assert_eq!(query("", false), "");
        assert_eq!(
            query("Version=2010-05-08&Action=ListUsers", false),
            "Action=ListUsers&Version=2010-05-08"
        );
        // Sorted by name, then value; a name that prefixes another sorts first.
        assert_eq!(query("a-b=1&a=2&a=1&a.b=0", false), "a=1&a=2&a-b=1&a.b=0");
        // Spaces as `+` or `%20`, lower-case escapes, unencoded reserved characters, bad escapes.
        assert_eq!(
            query("k=a+b%20c&l=%2f%7E&m=$!&n=100%&o=%zz", false),
            "k=a%20b%20c&l=%2F~&m=%24%21&n=100%25&o=%25zz"
        );
        // Empty pieces are skipped; a name alone has an empty value.
        assert_eq!(query("&flag&x=&&", false), "flag=&x=");
        assert_eq!(query("%E2%98%83=%C3%BC", false), "%E2%98%83=%C3%BC");
        assert_eq!(
            query("X-Amz-Signature=abc&X-Amz-Date=1", true),
            "X-Amz-Date=1"
        );
        assert_eq!(
            query("X-Amz-Signature=abc&X-Amz-Date=1", false),
            "X-Amz-Date=1&X-Amz-Signature=abc"
        );
    }

    #[test]
    fn too_many_query_parameters_are_refused() {
        let raw = vec!["a=1"; MAX_QUERY_PARAMS + 1].join("&");
        let mut out = String::new();
        let err = push_canonical_query(&mut out, &raw, false).unwrap_err();
        assert_eq!(err.code(), "IncompleteSignature");
        let raw = vec!["a=1"; MAX_QUERY_PARAMS].join("&");
        assert!(push_canonical_query(&mut String::new(), &raw, false).is_ok());
    }

    #[test]
    fn header_values_are_trimmed_collapsed_and_joined() {
        let headers = [
            ("X-Odd", "  a   b    c  "),
            ("host", "iam.amazonaws.com"),
            ("x-odd", "\td  e\t"),
            ("X-ODD", ""),
        ];
        assert_eq!(header(&headers, "x-odd"), "a b c,d e,");
        assert_eq!(header(&headers, "host"), "iam.amazonaws.com");
        assert_eq!(header(&headers, "absent"), "");
    }

    #[test]
    fn hex_and_digest() {
        assert_eq!(hex(&[0x00, 0x7f, 0xff]), "007fff");
        assert_eq!(
            sha256_hex(b""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }
}
