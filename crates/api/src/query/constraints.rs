//! The model's constraints on decoded values (required, length, pattern, enum, range, type)
//! and AWS's wording for each violation:
//! `Value 'x' at 'path' failed to satisfy constraint: Member must …`.

use std::fmt::Display;

use super::node::Node;
use super::path::Path;
use crate::model::{IntegerShape, ListShape, MapShape, Shape, StringShape};

/// The violations found so far, in the order AWS lists them: members in the model's order,
/// and for each member its own constraints before those of its elements.
#[derive(Debug, Default)]
pub(super) struct Violations {
    found: Vec<String>,
}

impl Violations {
    /// The `N validation error(s) detected: …` message, when there is a violation.
    pub(super) fn into_message(self) -> Option<String> {
        let count = self.found.len();
        let noun = if count == 1 { "error" } else { "errors" };
        (count > 0).then(|| {
            format!(
                "{count} validation {noun} detected: {}",
                self.found.join("; ")
            )
        })
    }

    /// A position to insert a list's own violations before those of its elements.
    pub(super) fn mark(&self) -> usize {
        self.found.len()
    }

    pub(super) fn null(&mut self, path: &Path<'_>) {
        self.found.push(format!(
            "Value null at '{path}' failed to satisfy constraint: Member must not be null"
        ));
    }

    /// Reads a scalar parameter (`raw`, the request's parameter number `index`) as its
    /// shape's type, recording what it violates.
    pub(super) fn scalar<'m>(
        &mut self,
        shape: &Shape,
        raw: &str,
        index: usize,
        path: &Path<'_>,
    ) -> Node<'m> {
        match shape {
            Shape::String(string) => {
                self.string(string, raw, path);
                Node::Text(index)
            }
            Shape::Integer(integer) => self.integer(
                integer,
                raw,
                index,
                path,
                i64::from(i32::MIN),
                i64::from(i32::MAX),
            ),
            Shape::Long(integer) => self.integer(integer, raw, index, path, i64::MIN, i64::MAX),
            Shape::Boolean(_) => {
                if raw.eq_ignore_ascii_case("true") {
                    Node::Boolean(true)
                } else if raw.eq_ignore_ascii_case("false") {
                    Node::Boolean(false)
                } else {
                    self.malformed(raw, index, path, "Member must be a boolean (true or false)")
                }
            }
            Shape::Float(_) | Shape::Double(_) => {
                match raw.parse::<f64>().ok().filter(|f| f.is_finite()) {
                    Some(number) => Node::Float(number),
                    None => self.malformed(raw, index, path, "Member must be a number"),
                }
            }
            Shape::Timestamp(_) if !is_iso8601(raw) => self.malformed(
                raw,
                index,
                path,
                "Member must be a timestamp in ISO 8601 format",
            ),
            Shape::Timestamp(_) | Shape::Blob(_) => Node::Text(index),
            // Not scalars: the decoder never asks for these.
            Shape::Structure(_) | Shape::List(_) | Shape::Map(_) => Node::Text(index),
        }
    }

    fn string(&mut self, shape: &StringShape, value: &str, path: &Path<'_>) {
        let shown = (!shape.sensitive).then_some(&value as &dyn Display);
        if let Some(pattern) = &shape.pattern
            && !pattern.is_match(value)
        {
            let constraint = format!(
                "Member must satisfy regular expression pattern: {}",
                pattern.source()
            );
            self.push(shown, path, &constraint);
        }
        let length = i64::try_from(value.chars().count()).unwrap_or(i64::MAX);
        self.length(shape.min, shape.max, length, shown, path);
        if let Some(values) = &shape.enum_values
            && !values.iter().any(|v| v == value)
        {
            let set = java_hash_set_order(values).join(", ");
            self.push(
                shown,
                path,
                &format!("Member must satisfy enum value set: [{set}]"),
            );
        }
    }

    fn integer<'m>(
        &mut self,
        shape: &IntegerShape,
        raw: &str,
        index: usize,
        path: &Path<'_>,
        low: i64,
        high: i64,
    ) -> Node<'m> {
        let Some(value) = raw.parse::<i64>().ok().filter(|v| (low..=high).contains(v)) else {
            return self.malformed(raw, index, path, "Member must be an integer");
        };
        let shown: &dyn Display = &value;
        if let Some(min) = shape.min
            && value < min
        {
            self.push(
                Some(shown),
                path,
                &format!("Member must have value greater than or equal to {min}"),
            );
        }
        if let Some(max) = shape.max
            && value > max
        {
            self.push(
                Some(shown),
                path,
                &format!("Member must have value less than or equal to {max}"),
            );
        }
        Node::Integer(value)
    }

    /// A list's length, recorded before its elements' violations (from `mark` on); `shown` is
    /// the list as AWS quotes it, if it does.
    pub(super) fn list_length(
        &mut self,
        list: &ListShape,
        length: usize,
        shown: Option<&dyn Display>,
        path: &Path<'_>,
        mark: usize,
    ) {
        let length = i64::try_from(length).unwrap_or(i64::MAX);
        self.length_at(mark, list.min, list.max, length, shown, path);
    }

    pub(super) fn map_length(
        &mut self,
        map: &MapShape,
        entries: usize,
        path: &Path<'_>,
        mark: usize,
    ) {
        let length = i64::try_from(entries).unwrap_or(i64::MAX);
        self.length_at(mark, map.min, map.max, length, None, path);
    }

    fn length(
        &mut self,
        min: Option<i64>,
        max: Option<i64>,
        length: i64,
        shown: Option<&dyn Display>,
        path: &Path<'_>,
    ) {
        let at = self.found.len();
        self.length_at(at, min, max, length, shown, path);
    }

    fn length_at(
        &mut self,
        at: usize,
        min: Option<i64>,
        max: Option<i64>,
        length: i64,
        shown: Option<&dyn Display>,
        path: &Path<'_>,
    ) {
        let mut found = Vec::new();
        if let Some(min) = min
            && length < min
        {
            found.push(message(
                shown,
                path,
                &format!("Member must have length greater than or equal to {min}"),
            ));
        }
        if let Some(max) = max
            && length > max
        {
            found.push(message(
                shown,
                path,
                &format!("Member must have length less than or equal to {max}"),
            ));
        }
        let at = at.min(self.found.len());
        self.found.splice(at..at, found);
    }

    /// A parameter that cannot be read as its shape's type at all.
    fn malformed<'m>(
        &mut self,
        raw: &str,
        index: usize,
        path: &Path<'_>,
        constraint: &str,
    ) -> Node<'m> {
        self.push(Some(&raw), path, constraint);
        Node::Text(index)
    }

    fn push(&mut self, shown: Option<&dyn Display>, path: &Path<'_>, constraint: &str) {
        self.found.push(message(shown, path, constraint));
    }
}

/// `Value 'x' at 'path' failed …`; sensitive values are left out: `Value at 'path' failed …`.
fn message(shown: Option<&dyn Display>, path: &Path<'_>, constraint: &str) -> String {
    match shown {
        Some(value) => {
            format!("Value '{value}' at '{path}' failed to satisfy constraint: {constraint}")
        }
        None => format!("Value at '{path}' failed to satisfy constraint: {constraint}"),
    }
}

/// The order in which AWS lists an enum's values: that of a `java.util.HashSet` the values
/// were added to one by one (buckets by spread `String.hashCode`, ties in insertion order).
fn java_hash_set_order(values: &[String]) -> Vec<&str> {
    let mut capacity = 16usize;
    while values.len() > capacity / 4 * 3 {
        capacity *= 2;
    }
    let mut ordered: Vec<(usize, usize, &str)> = values
        .iter()
        .enumerate()
        .map(|(inserted, value)| {
            let hash = value.encode_utf16().fold(0u32, |h, unit| {
                h.wrapping_mul(31).wrapping_add(u32::from(unit))
            });
            let bucket = usize::try_from(hash ^ (hash >> 16)).unwrap_or(0) & (capacity - 1);
            (bucket, inserted, value.as_str())
        })
        .collect();
    ordered.sort_unstable();
    ordered.into_iter().map(|(_, _, value)| value).collect()
}

/// `2012-05-08T23:34:01Z`, with optional fractional seconds and a `Z` or `±hh:mm` offset.
fn is_iso8601(value: &str) -> bool {
    let bytes = value.as_bytes();
    let digits = |range: std::ops::Range<usize>| {
        bytes
            .get(range)
            .is_some_and(|d| d.iter().all(u8::is_ascii_digit))
    };
    let date_time = digits(0..4)
        && bytes.get(4) == Some(&b'-')
        && digits(5..7)
        && bytes.get(7) == Some(&b'-')
        && digits(8..10)
        && matches!(bytes.get(10), Some(b'T' | b't'))
        && digits(11..13)
        && bytes.get(13) == Some(&b':')
        && digits(14..16)
        && bytes.get(16) == Some(&b':')
        && digits(17..19);
    if !date_time {
        return false;
    }
    let mut rest = bytes.get(19..).unwrap_or_default();
    if let Some(fraction) = rest.strip_prefix(b".") {
        let count = fraction.iter().take_while(|b| b.is_ascii_digit()).count();
        if count == 0 {
            return false;
        }
        rest = fraction.get(count..).unwrap_or_default();
    }
    match rest {
        b"Z" | b"z" => true,
        [b'+' | b'-', h1, h2, b':', m1, m2] => [h1, h2, m1, m2].iter().all(|d| d.is_ascii_digit()),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn owned(values: &[&str]) -> Vec<String> {
        values.iter().map(|v| (*v).to_owned()).collect()
    }

    #[test]
    fn enum_values_come_in_java_hash_set_order() {
        assert_eq!(
            java_hash_set_order(&owned(&["All", "AWS", "Local"])),
            ["All", "Local", "AWS"]
        );
        assert_eq!(
            java_hash_set_order(&owned(&["OFF", "ON", "OPTIONAL"])),
            ["OPTIONAL", "OFF", "ON"]
        );
        assert_eq!(
            java_hash_set_order(&owned(&["None", "Tail"])),
            ["Tail", "None"]
        );
        assert_eq!(
            java_hash_set_order(&owned(&["EmailAddress", "Domain"])),
            ["Domain", "EmailAddress"]
        );
        assert_eq!(
            java_hash_set_order(&owned(&["Active", "Inactive", "Expired"])),
            ["Active", "Inactive", "Expired"]
        );
    }

    #[test]
    fn timestamps_are_iso_8601() {
        assert!(is_iso8601("2012-05-08T23:34:01Z"));
        assert!(is_iso8601("2012-05-08T23:34:01.123456Z"));
        assert!(is_iso8601("2012-05-08T23:34:01+02:00"));
        assert!(!is_iso8601("2012-05-08 23:34:01Z"));
        assert!(!is_iso8601("2012-05-08T23:34:01"));
        assert!(!is_iso8601("2012-05-08T23:34:01.Z"));
        assert!(!is_iso8601("1336519241"));
    }
}
