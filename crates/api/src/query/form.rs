//! A request's parameters as `application/x-www-form-urlencoded` pairs (its query string,
//! then its body), decoded as HTML forms are and kept where the request holds them: a name or
//! value that has no escape is a range of the request's own bytes, so the common request
//! costs one small list, not two strings per parameter.

use axum::body::Bytes;

/// The name/value pairs of a request, in the order received; `'static`, so they can go to
/// another thread with the work they belong to.
#[derive(Debug, Default)]
pub struct FormParams {
    /// The query string, then the body (when it is UTF-8): the text the ranges point into.
    sources: [String; 2],
    pairs: Vec<(Text, Text)>,
}

#[derive(Debug)]
enum Text {
    /// Bytes `start..end` of source `source`, as they are.
    Range { source: u8, start: u32, end: u32 },
    /// Decoded text (escapes, `+`, or bytes that were not UTF-8).
    Owned(String),
}

impl FormParams {
    /// The pairs of `query` (without `?`) followed by those of `body`. Empty pieces are
    /// skipped, a piece without `=` has an empty value, `+` is a space, `%XX` escapes are
    /// decoded (a `%` without two hex digits stays), and text that is not UTF-8 is read
    /// lossily: what `form_urlencoded::parse` gives.
    pub fn parse(query: &str, body: Bytes) -> FormParams {
        let mut pairs = Vec::new();
        read_pairs(query.as_bytes(), 0, true, &mut pairs);
        // The body becomes text once (without a copy when it is not shared); a body that is
        // not UTF-8 is decoded piece by piece instead.
        let body = match String::from_utf8(Vec::from(body)) {
            Ok(text) => {
                read_pairs(text.as_bytes(), 1, true, &mut pairs);
                text
            }
            Err(error) => {
                read_pairs(error.as_bytes(), 1, false, &mut pairs);
                String::new()
            }
        };
        FormParams {
            sources: [query.to_owned(), body],
            pairs,
        }
    }

    /// Pairs already decoded (tests, tools).
    pub fn from_pairs(pairs: Vec<(String, String)>) -> FormParams {
        FormParams {
            sources: Default::default(),
            pairs: pairs
                .into_iter()
                .map(|(name, value)| (Text::Owned(name), Text::Owned(value)))
                .collect(),
        }
    }

    /// How many pairs there are.
    pub fn len(&self) -> usize {
        self.pairs.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.pairs.is_empty()
    }

    /// The pair at `index` (in the order received).
    pub fn get(&self, index: usize) -> Option<(&str, &str)> {
        self.pairs
            .get(index)
            .map(|(name, value)| (self.text(name), self.text(value)))
    }

    /// Every pair, in the order received.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.pairs
            .iter()
            .map(|(name, value)| (self.text(name), self.text(value)))
    }

    /// The value of the first parameter called `name`.
    pub fn first(&self, name: &str) -> Option<&str> {
        self.iter()
            .find(|(n, _)| *n == name)
            .map(|(_, value)| value)
    }

    fn text<'s>(&'s self, text: &'s Text) -> &'s str {
        match text {
            Text::Owned(text) => text,
            Text::Range { source, start, end } => self
                .sources
                .get(usize::from(*source))
                .and_then(|source| source.get(*start as usize..*end as usize))
                .unwrap_or_default(),
        }
    }
}

/// Appends the pairs of `source` (number `index`) to `pairs`; when `ranged` (`source` is the
/// UTF-8 text kept), pieces without escapes are kept as ranges of it.
fn read_pairs(source: &[u8], index: u8, ranged: bool, pairs: &mut Vec<(Text, Text)>) {
    let base = source.as_ptr() as usize;
    for piece in source
        .split(|&b| b == b'&')
        .filter(|piece| !piece.is_empty())
    {
        let start = piece.as_ptr() as usize - base;
        let end = start + piece.len();
        let (name, value) = match piece.iter().position(|&b| b == b'=') {
            Some(at) => (start..start + at, start + at + 1..end),
            None => (start..end, end..end),
        };
        let text = |range: std::ops::Range<usize>| {
            let bytes = source.get(range.clone()).unwrap_or_default();
            let plain = ranged && !bytes.iter().any(|&b| b == b'%' || b == b'+');
            match (plain, u32::try_from(range.start), u32::try_from(range.end)) {
                (true, Ok(start), Ok(end)) => Text::Range {
                    source: index,
                    start,
                    end,
                },
                _ => Text::Owned(decode(bytes)),
            }
        };
        pairs.push((text(name), text(value)));
    }
}

/// `bytes` with `+` as a space and `%XX` escapes decoded, read as UTF-8 lossily.
fn decode(bytes: &[u8]) -> String {
    let mut out = Vec::with_capacity(bytes.len());
    let mut rest = bytes;
    while let Some((&byte, after)) = rest.split_first() {
        rest = after;
        match byte {
            b'+' => out.push(b' '),
            b'%' => match after {
                [high, low, tail @ ..] if high.is_ascii_hexdigit() && low.is_ascii_hexdigit() => {
                    out.push(hex_value(*high) << 4 | hex_value(*low));
                    rest = tail;
                }
                _ => out.push(b'%'),
            },
            _ => out.push(byte),
        }
    }
    String::from_utf8(out).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

fn hex_value(digit: u8) -> u8 {
    match digit {
        b'0'..=b'9' => digit - b'0',
        b'a'..=b'f' => digit - b'a' + 10,
        b'A'..=b'F' => digit - b'A' + 10,
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(query: &str, body: &str) -> Vec<(String, String)> {
        FormParams::parse(query, Bytes::copy_from_slice(body.as_bytes()))
            .iter()
            .map(|(name, value)| (name.to_owned(), value.to_owned()))
            .collect()
    }

    fn reference(query: &[u8], body: &[u8]) -> Vec<(String, String)> {
        form_urlencoded::parse(query)
            .into_owned()
            .chain(form_urlencoded::parse(body).into_owned())
            .collect()
    }

    #[test]
    fn pairs_are_read_as_html_forms_read_them() {
        let cases: &[(&str, &str)] = &[
            ("", ""),
            ("", "Action=GetUser&Version=2010-05-08&UserName=alice"),
            ("Action=ListUsers&Version=2010-05-08", ""),
            ("a=1", "b=2&&c&=d&e="),
            (
                "",
                "Path=%2Fdivision%2F&Name=a+b%20c&Odd=100%&Bad=%zz&Tail=%4",
            ),
            ("", "Name=caf%C3%A9&Broken=%C3%28&Lower=%c3%a9"),
            ("", "x=a=b&y==&&&"),
        ];
        for (query, body) in cases {
            assert_eq!(
                pairs(query, body),
                reference(query.as_bytes(), body.as_bytes()),
                "{query:?} {body:?}"
            );
        }
    }

    #[test]
    fn bytes_that_are_not_utf8_are_read_lossily() {
        let body = b"Name=\xff\xfe&Other=ok";
        let params = FormParams::parse("", Bytes::from_static(body));
        let read: Vec<(String, String)> = params
            .iter()
            .map(|(name, value)| (name.to_owned(), value.to_owned()))
            .collect();
        assert_eq!(read, reference(b"", body));
        assert_eq!(params.first("Other"), Some("ok"));
        assert_eq!(params.first("Missing"), None);
    }

    #[test]
    fn plain_text_stays_in_the_request() {
        let params = FormParams::parse("", Bytes::from_static(b"Action=GetUser&UserName=a%2Bb"));
        assert!(matches!(params.pairs[0].1, Text::Range { .. }));
        assert!(matches!(params.pairs[1].1, Text::Owned(_)));
        assert_eq!(params.get(1), Some(("UserName", "a+b")));
        assert_eq!(params.len(), 2);
    }
}
