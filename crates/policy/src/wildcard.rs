//! Wildcard matching: `*` is any run of characters, `?` exactly one; nothing else is special.
//!
//! Patterns are sequences of [`Segment`]s so that text substituted for a policy variable can
//! take part in a match as literal characters without building a new string. Matching is
//! iterative (one saved star position), so it is linear in practice and never recurses.

/// One run of a pattern: `wild` runs give `*` and `?` their meaning; other runs are literal.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Segment<'a> {
    pub text: &'a str,
    pub wild: bool,
}

impl<'a> Segment<'a> {
    pub fn wild(text: &'a str) -> Self {
        Segment { text, wild: true }
    }

    pub fn literal(text: &'a str) -> Self {
        Segment { text, wild: false }
    }
}

/// Whether `input` matches `pattern`, a plain string with wildcards.
pub(crate) fn matches(pattern: &str, input: &str, ignore_ascii_case: bool) -> bool {
    matches_plain(pattern.as_bytes(), input.as_bytes(), ignore_ascii_case)
}

/// Whether `input` matches the concatenation of `segments`.
pub(crate) fn matches_segments(
    segments: &[Segment<'_>],
    input: &str,
    ignore_ascii_case: bool,
) -> bool {
    // One segment, the common case (no policy variable): no cursor over segments needed.
    if let [segment] = segments {
        return if segment.wild {
            matches_plain(segment.text.as_bytes(), input.as_bytes(), ignore_ascii_case)
        } else {
            same_bytes(segment.text.as_bytes(), input.as_bytes(), ignore_ascii_case)
        };
    }
    let input = input.as_bytes();
    let mut pattern = Cursor::start(segments);
    let mut at = 0;
    // Where to resume after the last `*`: the pattern just past it, and the input position
    // it has consumed up to.
    let mut star: Option<(Cursor, usize)> = None;
    loop {
        match pattern.token(segments) {
            Some(Token::Star) => {
                pattern = pattern.advance(segments);
                star = Some((pattern, at));
                continue;
            }
            Some(Token::One) if at < input.len() => {
                pattern = pattern.advance(segments);
                at += char_len(input, at);
                continue;
            }
            Some(Token::Byte(expected)) => {
                if let Some(&actual) = input.get(at)
                    && same_byte(actual, expected, ignore_ascii_case)
                {
                    pattern = pattern.advance(segments);
                    at += 1;
                    continue;
                }
            }
            None if at == input.len() => return true,
            Some(Token::One) | None => {}
        }
        // Mismatch: let the last star swallow one more character and retry, or fail.
        let Some((resume, consumed)) = star else {
            return false;
        };
        if consumed >= input.len() {
            return false;
        }
        let next = consumed + char_len(input, consumed);
        star = Some((resume, next));
        pattern = resume;
        at = next;
    }
}

/// [`matches_segments`] for a single wild segment: the same algorithm over one byte slice.
fn matches_plain(pattern: &[u8], input: &[u8], ignore_ascii_case: bool) -> bool {
    let mut p = 0;
    let mut at = 0;
    let mut star: Option<(usize, usize)> = None;
    loop {
        match pattern.get(p) {
            Some(b'*') => {
                p += 1;
                star = Some((p, at));
                continue;
            }
            Some(b'?') if at < input.len() => {
                p += 1;
                at += char_len(input, at);
                continue;
            }
            Some(&expected) if expected != b'?' => {
                if let Some(&actual) = input.get(at)
                    && same_byte(actual, expected, ignore_ascii_case)
                {
                    p += 1;
                    at += 1;
                    continue;
                }
            }
            None if at == input.len() => return true,
            _ => {}
        }
        let Some((resume, consumed)) = star else {
            return false;
        };
        if consumed >= input.len() {
            return false;
        }
        let next = consumed + char_len(input, consumed);
        star = Some((resume, next));
        p = resume;
        at = next;
    }
}

fn same_byte(actual: u8, expected: u8, ignore_ascii_case: bool) -> bool {
    if ignore_ascii_case {
        actual.eq_ignore_ascii_case(&expected)
    } else {
        actual == expected
    }
}

fn same_bytes(literal: &[u8], input: &[u8], ignore_ascii_case: bool) -> bool {
    if ignore_ascii_case {
        literal.eq_ignore_ascii_case(input)
    } else {
        literal == input
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Token {
    Star,
    One,
    Byte(u8),
}

/// A position in a segmented pattern: segment index and byte offset within it.
#[derive(Clone, Copy, Debug)]
struct Cursor {
    segment: usize,
    offset: usize,
}

impl Cursor {
    fn start(segments: &[Segment<'_>]) -> Self {
        Cursor {
            segment: 0,
            offset: 0,
        }
        .normalize(segments)
    }

    /// Skips past exhausted segments so that `token` sees the next real byte.
    fn normalize(mut self, segments: &[Segment<'_>]) -> Self {
        while let Some(segment) = segments.get(self.segment) {
            if self.offset < segment.text.len() {
                break;
            }
            self.segment += 1;
            self.offset = 0;
        }
        self
    }

    fn token(self, segments: &[Segment<'_>]) -> Option<Token> {
        let segment = segments.get(self.segment)?;
        let byte = *segment.text.as_bytes().get(self.offset)?;
        Some(match byte {
            b'*' if segment.wild => Token::Star,
            b'?' if segment.wild => Token::One,
            other => Token::Byte(other),
        })
    }

    fn advance(self, segments: &[Segment<'_>]) -> Self {
        Cursor {
            segment: self.segment,
            offset: self.offset + 1,
        }
        .normalize(segments)
    }
}

/// The length in bytes of the UTF-8 character starting at `at` (1 for a stray byte).
fn char_len(input: &[u8], at: usize) -> usize {
    match input.get(at) {
        Some(&b) if b >= 0xF0 => 4,
        Some(&b) if b >= 0xE0 => 3,
        Some(&b) if b >= 0xC0 => 2,
        _ => 1,
    }
}

/// Whether `text` contains a wildcard character.
pub(crate) fn has_wildcard(text: &str) -> bool {
    text.bytes().any(|b| b == b'*' || b == b'?')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stars_and_question_marks() {
        assert!(matches("*", "", false));
        assert!(matches("*", "anything/at:all", false));
        assert!(matches("a*c", "abbbc", false));
        assert!(matches("a*c", "ac", false));
        assert!(!matches("a*c", "acb", false));
        assert!(matches("Get?bject", "GetObject", false));
        assert!(!matches("Get?bject", "Getbject", false));
        assert!(matches("?", "é", false));
        assert!(!matches("??", "é", false));
        assert!(matches("*x*y*", "aaxbbyzz", false));
        assert!(!matches("*x*y*", "aaybbxzz", false));
        assert!(matches("a**b", "ab", false));
    }

    #[test]
    fn case_folding_is_ascii_only_and_optional() {
        assert!(matches("iam:*accesskey*", "IAM:ListAccessKeys", true));
        assert!(!matches("iam:*accesskey*", "IAM:ListAccessKeys", false));
    }

    #[test]
    fn one_segment_matches_as_many_segments_do() {
        let patterns = [
            "",
            "*",
            "?",
            "a*",
            "*a",
            "a?c",
            "*x*y*",
            "s3:get*",
            "s3:*object",
            "é?",
            "a**b",
            "??*",
        ];
        let inputs = [
            "",
            "a",
            "abc",
            "ac",
            "xay",
            "aaxbbyzz",
            "S3:GetObject",
            "s3:getobject",
            "éa",
            "ab",
            "é",
        ];
        for pattern in patterns {
            let middle = (0..=pattern.len() / 2)
                .rev()
                .find(|&i| pattern.is_char_boundary(i))
                .unwrap_or(0);
            let (head, tail) = pattern.split_at(middle);
            let split = [Segment::wild(head), Segment::wild(tail)];
            for input in inputs {
                for fold in [false, true] {
                    assert_eq!(
                        matches(pattern, input, fold),
                        matches_segments(&split, input, fold),
                        "{pattern:?} against {input:?}"
                    );
                }
            }
        }
        assert!(matches_segments(&[Segment::literal("a*")], "a*", false));
        assert!(!matches_segments(&[Segment::literal("a*")], "ab", false));
        assert!(matches_segments(&[Segment::literal("AB")], "ab", true));
    }

    #[test]
    fn literal_segments_keep_wildcards_literal() {
        let segments = [
            Segment::wild("home/"),
            Segment::literal("a*b"),
            Segment::wild("/*"),
        ];
        assert!(matches_segments(&segments, "home/a*b/x", false));
        assert!(!matches_segments(&segments, "home/axxb/x", false));
        let empty = [Segment::wild(""), Segment::literal(""), Segment::wild("x")];
        assert!(matches_segments(&empty, "x", false));
    }
}
