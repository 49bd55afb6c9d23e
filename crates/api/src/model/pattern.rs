//! The `pattern` constraint of string shapes: a Java regular expression from the API model,
//! translated once for the `regex` crate and matched against the whole value, as AWS does.

use std::fmt;
use std::sync::OnceLock;

use regex::Regex;
use serde::{Deserialize, Deserializer};

/// A Java regular expression that a value must match in full.
pub struct Pattern {
    source: String,
    compiled: OnceLock<Result<Compiled, String>>,
}

/// A translated pattern. `forbidden` carries what the `regex` crate cannot say (a negative
/// lookahead): a substring that the value must not contain.
#[derive(Debug)]
struct Compiled {
    regex: Regex,
    forbidden: Option<&'static str>,
}

/// Java patterns that use lookaround, which the `regex` crate does not have, each with an
/// equivalent: a regex plus a substring the value must not contain.
///
/// The account alias pattern forbids a hyphen followed by a hyphen. Its first and last
/// characters cannot be hyphens, so the `--` it rejects can only sit among the middle
/// characters; dropping the lookahead and rejecting any `--` accepts exactly the same values.
const LOOKAROUND: &[(&str, &str, &str)] = &[(
    "^[a-z0-9]([a-z0-9]|-(?!-)){1,61}[a-z0-9]$",
    "^[a-z0-9](?:[a-z0-9]|-){1,61}[a-z0-9]$",
    "--",
)];

impl Pattern {
    /// A pattern from its Java source; it is translated and compiled on first use.
    pub fn new(source: impl Into<String>) -> Pattern {
        Pattern {
            source: source.into(),
            compiled: OnceLock::new(),
        }
    }

    /// The pattern as the model writes it (and as AWS quotes it in error messages).
    pub fn source(&self) -> &str {
        &self.source
    }

    /// Whether `value` matches the whole pattern. A pattern that cannot be translated (the
    /// crate's tests compile every pattern of both models, so none can) constrains nothing.
    pub fn is_match(&self, value: &str) -> bool {
        match self.compiled() {
            Ok(compiled) => {
                compiled.regex.is_match(value)
                    && compiled
                        .forbidden
                        .is_none_or(|forbidden| !value.contains(forbidden))
            }
            Err(_) => true,
        }
    }

    /// Translates and compiles the pattern (once), reporting why it cannot be.
    pub fn check(&self) -> Result<(), String> {
        self.compiled().map(|_| ()).map_err(Clone::clone)
    }

    fn compiled(&self) -> Result<&Compiled, &String> {
        self.compiled
            .get_or_init(|| {
                let compiled = compile(&self.source);
                if let Err(error) = &compiled {
                    tracing::error!(pattern = %self.source, %error, "API model pattern unusable");
                }
                compiled
            })
            .as_ref()
    }
}

impl fmt::Debug for Pattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Pattern").field(&self.source).finish()
    }
}

impl<'de> Deserialize<'de> for Pattern {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(Pattern::new)
    }
}

fn compile(java: &str) -> Result<Compiled, String> {
    let (translated, forbidden) = match LOOKAROUND.iter().find(|(source, ..)| *source == java) {
        Some((_, regex, forbidden)) => ((*regex).to_owned(), Some(*forbidden)),
        None => (translate(java)?, None),
    };
    let regex = Regex::new(&format!("^(?:{translated})$")).map_err(|e| e.to_string())?;
    Ok(Compiled { regex, forbidden })
}

/// Rewrites Java regex syntax as `regex` crate syntax with the same meaning: `\uXXXX`
/// escapes, ASCII-only `\w \d \s`, `.` that stops at every Java line terminator, a literal
/// `-` after a range or class in a character class, possessive quantifiers (matching in full,
/// they accept what the greedy ones do), and escaped punctuation the crate would refuse.
fn translate(java: &str) -> Result<String, String> {
    let mut out = String::with_capacity(java.len() + 16);
    let mut chars = java.chars().peekable();
    let mut class_depth = 0usize;
    let mut after_set = false;
    let mut after_quantifier = false;
    while let Some(c) = chars.next() {
        let in_class = class_depth > 0;
        let (mut set, mut quantifier) = (false, false);
        match c {
            '\\' => {
                let escaped = chars.next().ok_or("trailing backslash")?;
                match escaped {
                    'u' => out.push_str(&unicode_escape(&mut chars)?),
                    'w' | 'd' | 's' => {
                        let class = match escaped {
                            'w' => "[:word:]",
                            'd' => "[:digit:]",
                            _ => "\\x20\\t\\n\\x0B\\x0C\\r",
                        };
                        if in_class {
                            out.push_str(class);
                        } else {
                            out.push('[');
                            out.push_str(class);
                            out.push(']');
                        }
                        set = true;
                    }
                    'p' | 'P' => {
                        out.push('\\');
                        out.push(escaped);
                        if chars.peek() == Some(&'{') {
                            for next in chars.by_ref() {
                                out.push(next);
                                if next == '}' {
                                    break;
                                }
                            }
                        } else {
                            out.extend(chars.next());
                        }
                        set = true;
                    }
                    't' | 'n' | 'r' | 'f' => {
                        out.push('\\');
                        out.push(escaped);
                    }
                    c if c.is_ascii_punctuation() => {
                        if regex_syntax_meta(c) {
                            out.push('\\');
                        }
                        out.push(c);
                    }
                    other => return Err(format!("unsupported escape `\\{other}`")),
                }
            }
            '[' => {
                class_depth += 1;
                out.push('[');
                if chars.peek() == Some(&'^') {
                    out.extend(chars.next());
                }
                if chars.peek() == Some(&'-') {
                    chars.next();
                    out.push_str("\\-");
                }
            }
            ']' if in_class => {
                class_depth -= 1;
                out.push(']');
                set = true;
            }
            '-' if in_class => {
                if after_set || chars.peek() == Some(&']') {
                    out.push_str("\\-");
                } else {
                    out.push('-');
                    let end = chars.next().ok_or("unterminated range")?;
                    if end == '\\' {
                        match chars.next().ok_or("trailing backslash")? {
                            'u' => out.push_str(&unicode_escape(&mut chars)?),
                            escaped => {
                                out.push('\\');
                                out.push(escaped);
                            }
                        }
                    } else {
                        out.push(end);
                    }
                    set = true;
                }
            }
            '(' if !in_class && chars.peek() == Some(&'?') => {
                let mut lookahead = chars.clone();
                lookahead.next();
                match lookahead.next() {
                    Some(':') => out.push('('),
                    Some('=' | '!' | '<') => return Err("lookaround is not supported".into()),
                    _ => return Err("unsupported group construct".into()),
                }
            }
            '.' if !in_class => out.push_str("[^\\n\\r\\x{85}\\x{2028}\\x{2029}]"),
            '+' if !in_class && after_quantifier => {}
            '*' | '+' | '?' | '}' if !in_class => {
                out.push(c);
                quantifier = true;
            }
            _ => out.push(c),
        }
        after_set = set;
        after_quantifier = quantifier;
    }
    if class_depth > 0 {
        return Err("unterminated character class".into());
    }
    Ok(out)
}

/// Java's `\uXXXX` takes exactly four hex digits (so `\u10000` is `\u1000` then `0`).
fn unicode_escape(chars: &mut impl Iterator<Item = char>) -> Result<String, String> {
    let hex: String = chars.by_ref().take(4).collect();
    let code = u32::from_str_radix(&hex, 16)
        .ok()
        .filter(|_| hex.len() == 4)
        .ok_or_else(|| format!("bad \\u escape `{hex}`"))?;
    char::from_u32(code).ok_or_else(|| format!("surrogate `\\u{hex}`"))?;
    Ok(format!("\\x{{{hex}}}"))
}

fn regex_syntax_meta(c: char) -> bool {
    matches!(
        c,
        '\\' | '.'
            | '+'
            | '*'
            | '?'
            | '('
            | ')'
            | '|'
            | '['
            | ']'
            | '{'
            | '}'
            | '^'
            | '$'
            | '#'
            | '&'
            | '-'
            | '~'
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Model, Shape};

    #[test]
    fn every_pattern_of_both_models_compiles() {
        let mut count = 0;
        for model in [Model::iam(), Model::sts()] {
            for (name, shape) in model.shapes() {
                if let Shape::String(string) = shape
                    && let Some(pattern) = &string.pattern
                {
                    assert_eq!(pattern.check(), Ok(()), "{name}: {}", pattern.source());
                    count += 1;
                }
            }
        }
        assert!(count > 60, "only {count} patterns");
    }

    fn matches(java: &str, value: &str) -> bool {
        Pattern::new(java).is_match(value)
    }

    #[test]
    fn names_use_java_ascii_word_characters() {
        let name = r"[\w+=,.@-]+";
        assert!(matches(name, "bob.smith+ci@example=1,2_-"));
        assert!(!matches(name, "bad name"));
        assert!(!matches(name, "é"));
        assert!(!matches(name, ""));
    }

    #[test]
    fn unicode_escapes_are_four_hex_digits() {
        let path = r"(\u002F)|(\u002F[\u0021-\u007E]+\u002F)";
        assert!(matches(path, "/"));
        assert!(matches(path, "/division_abc/subdivision_xyz/"));
        assert!(!matches(path, "/no-trailing-slash"));
        assert!(!matches(path, "//x"));
        let document = r"[\u0009\u000A\u000D\u0020-\u00FF]+";
        assert!(matches(document, "{\"Version\": \"2012-10-17\"}\n\té"));
        assert!(!matches(document, "\u{0100}"));
        let arn =
            r"[\u0009\u000A\u000D\u0020-\u007E\u0085\u00A0-\uD7FF\uE000-\uFFFD\u10000-\u10FFFF]+";
        assert!(matches(arn, "arn:aws:iam::123456789012:role/x"));
        assert!(!matches(arn, "\u{1}"));
    }

    #[test]
    fn tags_use_unicode_categories() {
        let key = r"[\p{L}\p{Z}\p{N}_.:/=+\-@]+";
        assert!(matches(key, "Cost Centre:ß/1=2+3-4@x_y.z"));
        assert!(!matches(key, "#"));
        assert!(!matches(key, "a*b"));
    }

    #[test]
    fn account_alias_refuses_double_hyphens() {
        let alias = "^[a-z0-9]([a-z0-9]|-(?!-)){1,61}[a-z0-9]$";
        assert!(matches(alias, "my-company-1"));
        assert!(!matches(alias, "my--company"));
        assert!(!matches(alias, "-abc"));
        assert!(!matches(alias, "ab"));
        assert!(matches(alias, &"a".repeat(63)));
        assert!(!matches(alias, &"a".repeat(64)));
    }

    #[test]
    fn a_hyphen_after_a_range_is_literal() {
        let prefix = r"^o-[0-9a-z]{10,32}\/r-[0-9a-z]{4,32}[0-9a-z-\/]*";
        assert!(matches(prefix, "o-abcdefghij/r-ab12/ou-ab12-x/"));
        assert!(!matches(prefix, "o-abcdefghij/r-ab12/OU"));
    }

    #[test]
    fn translation_refuses_what_it_cannot_express() {
        assert!(compile("a(?=b)").is_err());
        assert!(compile(r"\Qx\E").is_err());
        assert!(compile(r"\uD800").is_err());
        assert!(compile("[a-").is_err());
    }

    #[test]
    fn dot_and_possessive_quantifiers_follow_java() {
        assert!(matches("a.c", "abc"));
        assert!(!matches("a.c", "a\rc"));
        assert!(matches("a++b", "aaab"));
        assert!(matches(r"\d{12}", "123456789012"));
        assert!(!matches(r"\d{12}", "١٢٣٤٥٦٧٨٩٠١٢"));
    }
}
