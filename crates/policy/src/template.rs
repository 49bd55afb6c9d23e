//! Policy variables: `${aws:username}`, `${aws:PrincipalTag/team, 'default'}`, and the
//! escapes `${*}`, `${?}`, `${$}` — text with holes that the request context fills.

use crate::context::Context;
use crate::wildcard::Segment;

/// A string from a policy, split into literal text and variables.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Template {
    pieces: Vec<Piece>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Piece {
    /// Policy text: wildcards keep their meaning.
    Text(String),
    /// `${key}` or `${key, 'default'}`; the key is lower-cased.
    Variable {
        key: String,
        default: Option<String>,
    },
    /// `${*}`, `${?}` or `${$}`: one literal character.
    Escaped(&'static str),
}

/// Room for a resolved template without allocating, for templates of a few pieces.
const INLINE: usize = 8;

/// The segments of a resolved template.
pub(crate) enum Resolved<'a> {
    /// Text without variables, the common case.
    Plain(Segment<'a>),
    Inline([Segment<'a>; INLINE], usize),
    Heap(Vec<Segment<'a>>),
}

impl<'a> Resolved<'a> {
    pub fn segments(&self) -> &[Segment<'a>] {
        match self {
            Resolved::Plain(segment) => std::slice::from_ref(segment),
            Resolved::Inline(segments, len) => segments.get(..*len).unwrap_or_default(),
            Resolved::Heap(segments) => segments,
        }
    }
}

impl Template {
    /// Splits `text`; when `variables` is false (policies before Version 2012-10-17) the
    /// whole text is literal policy text.
    pub fn parse(text: &str, variables: bool) -> Template {
        if !variables || !text.contains("${") {
            return Template {
                pieces: vec![Piece::Text(text.to_owned())],
            };
        }
        let mut pieces = Vec::new();
        let mut rest = text;
        let mut literal = String::new();
        while let Some(start) = rest.find("${") {
            let (before, from) = rest.split_at(start);
            literal.push_str(before);
            let body_and_more = from.get(2..).unwrap_or_default();
            let Some(close) = body_and_more.find('}') else {
                break;
            };
            let body = body_and_more.get(..close).unwrap_or_default();
            let after = body_and_more.get(close + 1..).unwrap_or_default();
            let piece = match body {
                "*" => Some(Piece::Escaped("*")),
                "?" => Some(Piece::Escaped("?")),
                "$" => Some(Piece::Escaped("$")),
                _ => variable(body),
            };
            match piece {
                Some(piece) => {
                    if !literal.is_empty() {
                        pieces.push(Piece::Text(std::mem::take(&mut literal)));
                    }
                    pieces.push(piece);
                }
                None => {
                    literal.push_str("${");
                    literal.push_str(body);
                    literal.push('}');
                }
            }
            rest = after;
        }
        literal.push_str(rest);
        if !literal.is_empty() || pieces.is_empty() {
            pieces.push(Piece::Text(literal));
        }
        Template { pieces }
    }

    /// The text when the template has no variables or escapes.
    #[cfg(test)]
    pub fn as_plain(&self) -> Option<&str> {
        match self.pieces.as_slice() {
            [Piece::Text(text)] => Some(text),
            _ => None,
        }
    }

    /// The lower-cased keys of the variables used.
    pub fn variables(&self) -> impl Iterator<Item = &str> {
        self.pieces.iter().filter_map(|piece| match piece {
            Piece::Variable { key, .. } => Some(key.as_str()),
            _ => None,
        })
    }

    /// Fills the variables from `context`; `None` when a variable has no value and no default.
    pub fn resolve<'a>(&'a self, context: &'a Context) -> Option<Resolved<'a>> {
        if let [Piece::Text(text)] = self.pieces.as_slice() {
            return Some(Resolved::Plain(Segment::wild(text)));
        }
        let mut inline = [Segment::literal(""); INLINE];
        let mut heap: Option<Vec<Segment<'a>>> = None;
        for (index, piece) in self.pieces.iter().enumerate() {
            let segment = match piece {
                Piece::Text(text) => Segment::wild(text),
                Piece::Escaped(text) => Segment::literal(text),
                Piece::Variable { key, default } => match (context.single_folded(key), default) {
                    (Some(value), _) => Segment::literal(value),
                    (None, Some(default)) => Segment::literal(default),
                    (None, None) => return None,
                },
            };
            match (&mut heap, inline.get_mut(index)) {
                (Some(heap), _) => heap.push(segment),
                (None, Some(slot)) => *slot = segment,
                (None, None) => {
                    let mut spilled = inline.to_vec();
                    spilled.push(segment);
                    heap = Some(spilled);
                }
            }
        }
        Some(match heap {
            Some(heap) => Resolved::Heap(heap),
            None => Resolved::Inline(inline, self.pieces.len()),
        })
    }
}

/// Parses the inside of `${…}`: a key, optionally `, 'default'`.
fn variable(body: &str) -> Option<Piece> {
    let (key, default) = match body.split_once(',') {
        Some((key, rest)) => {
            let rest = rest.trim();
            let default = rest.strip_prefix('\'')?.strip_suffix('\'')?;
            (key, Some(default.to_owned()))
        }
        None => (body, None),
    };
    let key = key.trim();
    if key.is_empty() || key.contains(['$', '{', '}']) {
        return None;
    }
    Some(Piece::Variable {
        key: key.to_ascii_lowercase(),
        default,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wildcard::matches_segments;

    fn matches(template: &str, context: &Context, input: &str) -> bool {
        let template = Template::parse(template, true);
        template
            .resolve(context)
            .is_some_and(|resolved| matches_segments(resolved.segments(), input, false))
    }

    #[test]
    fn substitutes_variables_as_literal_text() {
        let mut context = Context::new();
        context.insert("aws:username", "a*");
        assert!(matches("home/${aws:username}/*", &context, "home/a*/x"));
        assert!(!matches("home/${aws:username}/*", &context, "home/ab/x"));
        assert!(matches("home/${AWS:UserName}", &context, "home/a*"));
    }

    #[test]
    fn defaults_escapes_and_missing_keys() {
        let context = Context::new();
        assert!(matches(
            "${aws:PrincipalTag/team, 'all'}/x",
            &context,
            "all/x"
        ));
        assert!(!matches("${aws:username}", &context, ""));
        assert!(matches("a${*}b${?}${$}", &context, "a*b?$"));
        assert!(!matches("a${*}b", &context, "axb"));
        assert!(matches("${unclosed", &context, "${unclosed"));
    }

    #[test]
    fn without_variables_the_text_is_literal_policy_text() {
        let template = Template::parse("${aws:username}/*", false);
        assert_eq!(template.as_plain(), Some("${aws:username}/*"));
    }

    #[test]
    fn many_pieces_spill_to_the_heap() {
        let mut context = Context::new();
        context.insert("k", "v");
        let text = "${k}-".repeat(12);
        assert!(matches(&text, &context, &"v-".repeat(12)));
    }
}
