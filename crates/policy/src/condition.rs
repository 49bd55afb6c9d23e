//! The `Condition` element: operators, their typed values, and how they test a request.
//!
//! Semantics (AWS's, see the reference §3): operators AND, keys within an operator AND, the
//! values listed for one key OR. Negated operators are the negation of the positive match over
//! all values, and are true for an absent key. `…IfExists` is true for an absent key.
//! `ForAllValues:` / `ForAnyValue:` quantify over the request's values, applying a negated
//! operator to each request value before quantifying (never negating the quantified result).

pub(crate) mod scalar;

use std::net::IpAddr;

use crate::arn::ArnPattern;
use crate::context::{Context, ContextValue};
use crate::template::Template;
use crate::wildcard;

/// One `operator: { key: values }` test of a statement's `Condition` block.
#[derive(Clone, Debug, PartialEq)]
pub struct Condition {
    /// The operator as written (`ForAnyValue:StringLikeIfExists`).
    pub(crate) operator: String,
    /// The key as written (`aws:SourceIp`).
    pub(crate) key: String,
    /// The key lower-cased, for context look-ups.
    pub(crate) folded_key: String,
    /// The values as written (numbers and booleans as their JSON text).
    pub(crate) raw_values: Vec<String>,
    /// Whether the values were written as an array.
    pub(crate) values_as_array: bool,
    pub(crate) op: Operator,
    pub(crate) values: Values,
}

/// A parsed operator name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Operator {
    pub test: Test,
    pub negated: bool,
    pub if_exists: bool,
    pub set: Option<SetQualifier>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum SetQualifier {
    ForAllValues,
    ForAnyValue,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Test {
    StringEquals,
    StringEqualsIgnoreCase,
    StringLike,
    Numeric(Comparison),
    Date(Comparison),
    Bool,
    BinaryEquals,
    IpAddress,
    ArnLike,
    Null,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Comparison {
    Equals,
    LessThan,
    LessThanEquals,
    GreaterThan,
    GreaterThanEquals,
}

impl Comparison {
    fn holds<T: PartialOrd>(self, request: T, policy: T) -> bool {
        match self {
            Comparison::Equals => request == policy,
            Comparison::LessThan => request < policy,
            Comparison::LessThanEquals => request <= policy,
            Comparison::GreaterThan => request > policy,
            Comparison::GreaterThanEquals => request >= policy,
        }
    }
}

/// Operator names: (name, test, negated).
const OPERATORS: &[(&str, Test, bool)] = &[
    ("StringEquals", Test::StringEquals, false),
    ("StringNotEquals", Test::StringEquals, true),
    (
        "StringEqualsIgnoreCase",
        Test::StringEqualsIgnoreCase,
        false,
    ),
    (
        "StringNotEqualsIgnoreCase",
        Test::StringEqualsIgnoreCase,
        true,
    ),
    ("StringLike", Test::StringLike, false),
    ("StringNotLike", Test::StringLike, true),
    ("NumericEquals", Test::Numeric(Comparison::Equals), false),
    ("NumericNotEquals", Test::Numeric(Comparison::Equals), true),
    (
        "NumericLessThan",
        Test::Numeric(Comparison::LessThan),
        false,
    ),
    (
        "NumericLessThanEquals",
        Test::Numeric(Comparison::LessThanEquals),
        false,
    ),
    (
        "NumericGreaterThan",
        Test::Numeric(Comparison::GreaterThan),
        false,
    ),
    (
        "NumericGreaterThanEquals",
        Test::Numeric(Comparison::GreaterThanEquals),
        false,
    ),
    ("DateEquals", Test::Date(Comparison::Equals), false),
    ("DateNotEquals", Test::Date(Comparison::Equals), true),
    ("DateLessThan", Test::Date(Comparison::LessThan), false),
    (
        "DateLessThanEquals",
        Test::Date(Comparison::LessThanEquals),
        false,
    ),
    (
        "DateGreaterThan",
        Test::Date(Comparison::GreaterThan),
        false,
    ),
    (
        "DateGreaterThanEquals",
        Test::Date(Comparison::GreaterThanEquals),
        false,
    ),
    ("Bool", Test::Bool, false),
    ("BinaryEquals", Test::BinaryEquals, false),
    ("IpAddress", Test::IpAddress, false),
    ("NotIpAddress", Test::IpAddress, true),
    ("ArnEquals", Test::ArnLike, false),
    ("ArnLike", Test::ArnLike, false),
    ("ArnNotEquals", Test::ArnLike, true),
    ("ArnNotLike", Test::ArnLike, true),
    ("Null", Test::Null, false),
];

impl Operator {
    /// Parses an operator name; `None` for a name AWS does not have.
    pub fn parse(name: &str) -> Option<Operator> {
        let (set, rest) = if let Some(rest) = name.strip_prefix("ForAllValues:") {
            (Some(SetQualifier::ForAllValues), rest)
        } else if let Some(rest) = name.strip_prefix("ForAnyValue:") {
            (Some(SetQualifier::ForAnyValue), rest)
        } else {
            (None, name)
        };
        let (if_exists, base) = match rest.strip_suffix("IfExists") {
            Some(base) => (true, base),
            None => (false, rest),
        };
        let &(_, test, negated) = OPERATORS.iter().find(|(known, ..)| *known == base)?;
        if test == Test::Null && (if_exists || set.is_some()) {
            return None;
        }
        Some(Operator {
            test,
            negated,
            if_exists,
            set,
        })
    }
}

/// The policy's values for one key, parsed for the operator's type.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Values {
    Strings(Vec<Template>),
    Numbers(Vec<f64>),
    Dates(Vec<i128>),
    Bools(Vec<bool>),
    Binaries(Vec<Vec<u8>>),
    Networks(Vec<scalar::Cidr>),
    Arns(Vec<ArnPattern>),
    Null(Vec<bool>),
}

impl Values {
    /// Parses `raw` for `test`; `Err` names the first value the operator cannot read.
    pub fn parse(test: Test, raw: &[String], variables: bool) -> Result<Values, String> {
        fn each<T>(raw: &[String], parse: impl Fn(&str) -> Option<T>) -> Result<Vec<T>, String> {
            raw.iter()
                .map(|value| parse(value).ok_or_else(|| value.clone()))
                .collect()
        }
        Ok(match test {
            Test::StringEquals | Test::StringEqualsIgnoreCase | Test::StringLike => {
                Values::Strings(
                    raw.iter()
                        .map(|value| Template::parse(value, variables))
                        .collect(),
                )
            }
            Test::Numeric(_) => Values::Numbers(each(raw, scalar::number)?),
            Test::Date(_) => Values::Dates(each(raw, scalar::timestamp)?),
            Test::Bool => Values::Bools(each(raw, boolean)?),
            Test::Null => Values::Null(each(raw, boolean)?),
            Test::BinaryEquals => Values::Binaries(each(raw, scalar::base64)?),
            Test::IpAddress => Values::Networks(each(raw, scalar::Cidr::parse)?),
            Test::ArnLike => Values::Arns(
                raw.iter()
                    .map(|value| ArnPattern::parse(value, variables))
                    .collect(),
            ),
        })
    }
}

fn boolean(text: &str) -> Option<bool> {
    if text.eq_ignore_ascii_case("true") {
        Some(true)
    } else if text.eq_ignore_ascii_case("false") {
        Some(false)
    } else {
        None
    }
}

impl Condition {
    /// Whether this test holds for the request's context.
    pub(crate) fn holds(&self, context: &Context) -> bool {
        let op = self.op;
        let values = match context.get_folded(&self.folded_key) {
            Some(ContextValue::Multi(values)) if values.is_empty() => None,
            Some(value) => Some(value.values()),
            None => None,
        };
        // AWS: for set operators and `Null`, a key whose values are empty strings resolves to
        // a null data set, as if absent.
        let null_data = |values: &[String]| values.iter().all(String::is_empty);
        if let Values::Null(expect_absent) = &self.values {
            let absent = values.is_none_or(null_data);
            return expect_absent.contains(&absent);
        }
        let values = match op.set {
            Some(_) => values.filter(|v| !null_data(v)),
            None => values,
        };
        let Some(request) = values else {
            return match op.set {
                Some(SetQualifier::ForAllValues) => true,
                Some(SetQualifier::ForAnyValue) => op.if_exists,
                None => op.if_exists || op.negated,
            };
        };
        // Does one request value pass the operator (negation applied per value)?
        let passes = |value: &String| {
            value.is_empty() || self.any_value_matches(value, context) != op.negated
        };
        match op.set {
            Some(SetQualifier::ForAllValues) => request.iter().all(passes),
            Some(SetQualifier::ForAnyValue) => request
                .iter()
                .any(|value| !value.is_empty() && passes(value)),
            None => {
                let any = request
                    .iter()
                    .any(|value| self.any_value_matches(value, context));
                any != op.negated
            }
        }
    }

    /// Whether `request` matches at least one of the policy's values (the positive test).
    fn any_value_matches(&self, request: &str, context: &Context) -> bool {
        match (&self.values, self.op.test) {
            (Values::Strings(templates), test) => templates.iter().any(|template| {
                let Some(resolved) = template.resolve(context) else {
                    return false;
                };
                let segments = resolved.segments();
                match test {
                    Test::StringLike => wildcard::matches_segments(segments, request, false),
                    Test::StringEqualsIgnoreCase => segments
                        .iter()
                        .flat_map(|s| s.text.chars())
                        .flat_map(char::to_lowercase)
                        .eq(request.chars().flat_map(char::to_lowercase)),
                    _ => segments
                        .iter()
                        .flat_map(|s| s.text.bytes())
                        .eq(request.bytes()),
                }
            }),
            (Values::Numbers(numbers), Test::Numeric(comparison)) => scalar::number(request)
                .is_some_and(|value| numbers.iter().any(|&n| comparison.holds(value, n))),
            (Values::Dates(dates), Test::Date(comparison)) => scalar::timestamp(request)
                .is_some_and(|value| dates.iter().any(|&d| comparison.holds(value, d))),
            (Values::Bools(bools), _) => {
                boolean(request).is_some_and(|value| bools.contains(&value))
            }
            (Values::Binaries(binaries), _) => {
                scalar::base64(request).is_some_and(|value| binaries.contains(&value))
            }
            (Values::Networks(networks), _) => request
                .trim()
                .parse::<IpAddr>()
                .is_ok_and(|address| networks.iter().any(|n| n.contains(address))),
            (Values::Arns(patterns), _) => patterns.iter().any(|p| p.matches(request, context)),
            _ => false,
        }
    }

    /// The key as written in the policy.
    pub fn key(&self) -> &str {
        &self.key
    }

    /// The operator as written in the policy.
    pub fn operator(&self) -> &str {
        &self.operator
    }

    /// The lower-cased keys of the policy variables in this test's values.
    pub(crate) fn variables(&self) -> Vec<&str> {
        match &self.values {
            Values::Strings(templates) => templates.iter().flat_map(Template::variables).collect(),
            Values::Arns(patterns) => patterns.iter().flat_map(ArnPattern::variables).collect(),
            _ => Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn condition(operator: &str, key: &str, values: &[&str]) -> Condition {
        let op = Operator::parse(operator).unwrap();
        let raw: Vec<String> = values.iter().map(|v| (*v).to_owned()).collect();
        Condition {
            operator: operator.to_owned(),
            key: key.to_owned(),
            folded_key: key.to_ascii_lowercase(),
            values: Values::parse(op.test, &raw, true).unwrap(),
            raw_values: raw,
            values_as_array: true,
            op,
        }
    }

    fn context(key: &str, values: &[&str]) -> Context {
        let mut context = Context::new();
        context.insert(
            key,
            ContextValue::Multi(values.iter().map(|v| (*v).to_owned()).collect()),
        );
        context
    }

    #[test]
    fn negated_set_operators_negate_per_value() {
        // The discriminating vector of the MinIO advisory.
        let request = context("aws:TagKeys", &["art", "hr"]);
        let all = condition(
            "ForAllValues:StringNotEquals",
            "aws:TagKeys",
            &["prod", "art"],
        );
        let any = condition(
            "ForAnyValue:StringNotEquals",
            "aws:TagKeys",
            &["prod", "art"],
        );
        assert!(!all.holds(&request));
        assert!(any.holds(&request));
    }

    #[test]
    fn absent_keys() {
        let empty = Context::new();
        assert!(condition("ForAllValues:StringEquals", "k", &["a"]).holds(&empty));
        assert!(!condition("ForAnyValue:StringEquals", "k", &["a"]).holds(&empty));
        assert!(condition("StringNotEquals", "k", &["a"]).holds(&empty));
        assert!(!condition("StringEquals", "k", &["a"]).holds(&empty));
        assert!(condition("StringEqualsIfExists", "k", &["a"]).holds(&empty));
        assert!(condition("Null", "k", &["true"]).holds(&empty));
        assert!(!condition("Null", "k", &["false"]).holds(&empty));
    }

    #[test]
    fn unknown_operators_are_rejected() {
        assert!(Operator::parse("StringEqualz").is_none());
        assert!(Operator::parse("NullIfExists").is_none());
        assert!(Operator::parse("ForSomeValues:StringEquals").is_none());
        assert!(Operator::parse("ForAnyValue:StringNotLikeIfExists").is_some());
    }
}
