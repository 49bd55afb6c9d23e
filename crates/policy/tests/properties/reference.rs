//! The reference wildcard matcher, and strategies for patterns (plain, or with policy
//! variables and escapes) and for inputs that often match them.

use super::*;

/// The reference: `*` is any run of characters, `?` exactly one character, anything else
/// itself (compared ASCII-case-insensitively when asked). A table of which pattern suffixes
/// match which input suffixes.
pub(crate) fn reference_matches(pattern: &str, input: &str, ignore_ascii_case: bool) -> bool {
    let tokens: Vec<(char, bool)> = pattern
        .chars()
        .map(|c| (c, matches!(c, '*' | '?')))
        .collect();
    reference_matches_tokens(&tokens, input, ignore_ascii_case)
}

/// As [`reference_matches`], for a pattern given as characters each marked wildcard or
/// literal (a `*` that a policy variable or an escape produced is literal).
pub(crate) fn reference_matches_tokens(
    pattern: &[(char, bool)],
    input: &str,
    ignore_ascii_case: bool,
) -> bool {
    let input: Vec<char> = input.chars().collect();
    // matches[i][j]: pattern[i..] matches input[j..].
    let mut matches = vec![vec![false; input.len() + 1]; pattern.len() + 1];
    matches[pattern.len()][input.len()] = true;
    for i in (0..pattern.len()).rev() {
        for j in (0..=input.len()).rev() {
            let more = j < input.len();
            matches[i][j] = match pattern[i] {
                ('*', true) => matches[i + 1][j] || (more && matches[i][j + 1]),
                ('?', true) => more && matches[i + 1][j + 1],
                (c, _) => {
                    more && (if ignore_ascii_case {
                        c.eq_ignore_ascii_case(&input[j])
                    } else {
                        c == input[j]
                    }) && matches[i + 1][j + 1]
                }
            };
        }
    }
    matches[0][0]
}

pub(crate) const PATTERN_ALPHABET: &[char] = &['a', 'b', 'A', '*', '?', '/', ':', 'é', '日', '😀'];
pub(crate) const TEXT_ALPHABET: &[char] =
    &['a', 'b', 'A', 'B', '/', ':', 'é', 'É', '日', '😀', '*', '?'];
/// Action names have no colon.
pub(crate) const ACTION_PATTERN_ALPHABET: &[char] =
    &['a', 'b', 'A', '*', '?', '/', 'é', '日', '😀'];
pub(crate) const ACTION_TEXT_ALPHABET: &[char] =
    &['a', 'b', 'A', 'B', '/', 'é', 'É', '日', '😀', '*', '?'];

pub(crate) fn text(alphabet: &'static [char], max: usize) -> impl Strategy<Value = String> {
    vec(select(alphabet), 0..=max).prop_map(|chars| chars.into_iter().collect())
}

/// A pattern, and an input that is either random or the pattern with its wildcards filled in
/// (so that matches are common).
pub(crate) fn pattern_and_input(
    pattern_alphabet: &'static [char],
    text_alphabet: &'static [char],
) -> impl Strategy<Value = (String, String)> {
    text(pattern_alphabet, 8).prop_flat_map(move |pattern| {
        let wildcards = pattern.chars().filter(|c| matches!(c, '*' | '?')).count();
        let filled = vec(text(text_alphabet, 3), wildcards).prop_map({
            let pattern = pattern.clone();
            move |fills| {
                let mut fills = fills.into_iter();
                let mut input = String::new();
                for c in pattern.chars() {
                    match c {
                        '*' => input.push_str(&fills.next().unwrap_or_default()),
                        '?' => {
                            input.push(fills.next().and_then(|f| f.chars().next()).unwrap_or('b'))
                        }
                        c => input.push(c),
                    }
                }
                input
            }
        });
        (Just(pattern), prop_oneof![text(text_alphabet, 10), filled])
    })
}

/// One piece of a pattern written with policy variables (Version 2012-10-17).
#[derive(Clone, Debug)]
pub(crate) enum Piece {
    /// A character as written: `*` and `?` are wildcards.
    Char(char),
    /// `${*}`, `${?}` or `${$}`: that character, literal.
    Escape(char),
    /// `${aws:username}`: the caller's name, literal.
    Username,
}

pub(crate) fn written(pieces: &[Piece]) -> String {
    pieces
        .iter()
        .map(|piece| match piece {
            Piece::Char(c) => c.to_string(),
            Piece::Escape(c) => format!("${{{c}}}"),
            Piece::Username => "${aws:username}".to_owned(),
        })
        .collect()
}

/// What the reference matches: each character of the pattern, and whether it is a wildcard.
pub(crate) fn reference_tokens(pieces: &[Piece], username: &str) -> Vec<(char, bool)> {
    pieces
        .iter()
        .flat_map(|piece| match piece {
            Piece::Char(c) => vec![(*c, matches!(c, '*' | '?'))],
            Piece::Escape(c) => vec![(*c, false)],
            Piece::Username => username.chars().map(|c| (c, false)).collect(),
        })
        .collect()
}

/// A templated pattern, the caller's name, and an input: random, or the pattern with its
/// wildcards filled in.
pub(crate) fn template_and_input() -> impl Strategy<Value = (Vec<Piece>, String, String)> {
    let piece = prop_oneof![
        4 => select(PATTERN_ALPHABET).prop_map(Piece::Char),
        1 => select(vec!['*', '?', '$']).prop_map(Piece::Escape),
        1 => Just(Piece::Username),
    ];
    (vec(piece, 0..=10), text(TEXT_ALPHABET, 3)).prop_flat_map(|(pieces, username)| {
        let tokens = reference_tokens(&pieces, &username);
        let wildcards = tokens.iter().filter(|(_, wild)| *wild).count();
        let filled = vec(text(TEXT_ALPHABET, 3), wildcards).prop_map(move |fills| {
            let mut fills = fills.into_iter();
            let mut input = String::new();
            for &(c, wild) in &tokens {
                match (c, wild) {
                    ('*', true) => input.push_str(&fills.next().unwrap_or_default()),
                    ('?', true) => {
                        input.push(fills.next().and_then(|f| f.chars().next()).unwrap_or('b'));
                    }
                    (c, _) => input.push(c),
                }
            }
            input
        });
        (
            Just(pieces),
            Just(username),
            prop_oneof![text(TEXT_ALPHABET, 10), filled],
        )
    })
}

#[test]
pub(crate) fn the_reference_matcher_is_itself_right() {
    assert!(reference_matches("", "", false));
    assert!(reference_matches("*", "", false));
    assert!(reference_matches("a*b?", "aXXbé", false));
    assert!(!reference_matches("a*b?", "ab", false));
    assert!(reference_matches("?", "😀", false));
    assert!(!reference_matches("??", "😀", false));
    assert!(reference_matches("A", "a", true));
    assert!(!reference_matches("É", "é", true));
}
