//! The canonical request and the string to sign, exactly as AWS's SigV4 defines them.
//!
//! Both are written piece by piece into a [`Sink`]: the verifier hashes them as they are
//! written (no request-sized string is built per request); tests collect them in a `String`.

use std::borrow::Cow;

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

use super::HttpRequest;
use super::error::SigV4Error;

/// The most query parameters a signed request may carry.
pub(crate) const MAX_QUERY_PARAMS: usize = 4096;

/// Where canonical text is written.
pub(crate) trait Sink {
    fn put(&mut self, text: &str);
}

impl Sink for String {
    fn put(&mut self, text: &str) {
        self.push_str(text);
    }
}

impl Sink for Sha256 {
    fn put(&mut self, text: &str) {
        Digest::update(self, text.as_bytes());
    }
}

impl Sink for Hmac<Sha256> {
    fn put(&mut self, text: &str) {
        Mac::update(self, text.as_bytes());
    }
}

/// Writes the canonical request without its last line, the payload hash:
///
/// ```text
/// METHOD\nCANONICAL-URI\nCANONICAL-QUERY\nCANONICAL-HEADERS\n\nSIGNED-HEADERS\n
/// ```
pub(crate) fn canonical_request_prefix(
    out: &mut impl Sink,
    request: &HttpRequest<'_>,
    signed_headers: &[impl AsRef<str>],
    presigned: bool,
) -> Result<(), SigV4Error> {
    out.put(request.method);
    out.put("\n");
    push_canonical_uri(out, request.path);
    out.put("\n");
    push_canonical_query(out, request.query, presigned)?;
    out.put("\n");
    for name in signed_headers.iter().map(AsRef::as_ref) {
        out.put(name);
        out.put(":");
        push_header_value(out, request.headers, name);
        out.put("\n");
    }
    out.put("\n");
    for (i, name) in signed_headers.iter().enumerate() {
        if i > 0 {
            out.put(";");
        }
        out.put(name.as_ref());
    }
    out.put("\n");
    Ok(())
}

/// Writes `AWS4-HMAC-SHA256\n<timestamp>\n<date>/<region>/<service>/aws4_request\n<hash>`,
/// `hash` being the hex SHA-256 of the canonical request.
pub(crate) fn string_to_sign(
    out: &mut impl Sink,
    amz_date: &str,
    scope: [&str; 3],
    canonical_request_hash: &str,
) {
    out.put("AWS4-HMAC-SHA256\n");
    out.put(amz_date);
    out.put("\n");
    for part in scope {
        out.put(part);
        out.put("/");
    }
    out.put("aws4_request\n");
    out.put(canonical_request_hash);
}

/// A SHA-256 digest in lower-case hex, kept on the stack.
pub(crate) struct HexDigest([u8; 64]);

impl HexDigest {
    pub(crate) fn new(digest: &[u8; 32]) -> HexDigest {
        let mut text = [0u8; 64];
        for (pair, &byte) in text.chunks_exact_mut(2).zip(digest) {
            if let [high, low] = pair {
                *high = hex_digit(byte >> 4, b'a') as u8;
                *low = hex_digit(byte & 0x0f, b'a') as u8;
            }
        }
        HexDigest(text)
    }

    pub(crate) fn as_str(&self) -> &str {
        // Hex digits only, so always UTF-8.
        std::str::from_utf8(&self.0).unwrap_or_default()
    }
}

/// The SHA-256 of `data`, in lower-case hex.
pub(crate) fn sha256_hex(data: &[u8]) -> HexDigest {
    HexDigest::new(&Sha256::digest(data).into())
}

/// Lower-case hex, as signatures and payload hashes are written.
#[cfg(test)]
pub(crate) fn hex(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 2);
    for &byte in bytes {
        out.push(hex_digit(byte >> 4, b'a'));
        out.push(hex_digit(byte & 0x0f, b'a'));
    }
    out
}

/// Whether `hex_text` is `bytes` in lower-case hex, compared in constant time for its length.
pub(crate) fn hex_matches(bytes: &[u8; 32], hex_text: &str) -> subtle::Choice {
    use subtle::ConstantTimeEq;
    HexDigest::new(bytes)
        .0
        .as_slice()
        .ct_eq(hex_text.as_bytes())
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
fn push_canonical_uri(out: &mut impl Sink, path: &str) {
    // The API's own path, `/`, is the common case.
    if path.is_empty() || path == "/" {
        out.put("/");
        return;
    }
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
    out.put("/");
    for (i, segment) in segments.iter().enumerate() {
        if i > 0 {
            out.put("/");
        }
        uri_encode_into(out, segment.as_bytes());
    }
    if !segments.is_empty() && path.ends_with('/') {
        out.put("/");
    }
}

/// The query's parameters, each name and value decoded (`+` is a space, as in HTML forms) and
/// URI-encoded again, sorted by name then value; presigned requests leave out `X-Amz-Signature`.
fn push_canonical_query(
    out: &mut impl Sink,
    query: &str,
    presigned: bool,
) -> Result<(), SigV4Error> {
    if query.is_empty() {
        return Ok(());
    }
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
            out.put("&");
        }
        out.put(name);
        out.put("=");
        out.put(value);
    }
    Ok(())
}

/// The values of every header named `name` (any case), each trimmed with inner runs of spaces
/// collapsed, joined by commas in the order received.
fn push_header_value(out: &mut impl Sink, headers: &[(&str, &str)], name: &str) {
    let mut first = true;
    for (_, value) in headers.iter().filter(|(n, _)| n.eq_ignore_ascii_case(name)) {
        if !first {
            out.put(",");
        }
        first = false;
        let value = value.trim_matches([' ', '\t']);
        // Each run of spaces is written as its first space.
        let mut rest = value;
        while let Some(at) = rest.as_bytes().windows(2).position(|pair| pair == b"  ") {
            let (kept, after) = rest.split_at(at + 1);
            out.put(kept);
            rest = after.trim_start_matches(' ');
        }
        out.put(rest);
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
fn uri_encode_into(out: &mut impl Sink, bytes: &[u8]) {
    let unreserved =
        |byte: u8| byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~');
    let mut rest = bytes;
    while !rest.is_empty() {
        let kept = rest.iter().take_while(|&&b| unreserved(b)).count();
        let (plain, after) = rest.split_at(kept);
        // Unreserved bytes are ASCII.
        out.put(std::str::from_utf8(plain).unwrap_or_default());
        let Some((&byte, after)) = after.split_first() else {
            break;
        };
        let escape = [
            b'%',
            hex_digit(byte >> 4, b'A') as u8,
            hex_digit(byte & 0x0f, b'A') as u8,
        ];
        out.put(std::str::from_utf8(&escape).unwrap_or_default());
        rest = after;
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
            sha256_hex(b"").as_str(),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }
}
