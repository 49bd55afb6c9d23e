//! ARN patterns, as used by `Resource`, `NotResource` and the `Arn*` condition operators.
//!
//! Both pattern and ARN are split at their first five colons. Partition, service, region and
//! account are compared segment by segment (a wildcard never crosses a colon there); the
//! resource part, which may itself hold `:` and `/`, is one wildcard match. Case-sensitive.

use crate::context::Context;
use crate::template::Template;
use crate::wildcard;

/// The partitions AWS has; a resource ARN must name one of them (or a wildcard).
pub(crate) const PARTITIONS: [&str; 8] = [
    "aws",
    "aws-cn",
    "aws-us-gov",
    "aws-iso",
    "aws-iso-b",
    "aws-iso-e",
    "aws-iso-f",
    "aws-eusc",
];

/// An ARN split into its six parts (the last holds everything after the fifth colon).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Arn<'a> {
    pub partition: &'a str,
    pub service: &'a str,
    pub region: &'a str,
    pub account: &'a str,
    pub resource: &'a str,
}

impl<'a> Arn<'a> {
    /// Splits `text` if it starts with `arn:` and has at least five colons.
    pub fn parse(text: &'a str) -> Option<Arn<'a>> {
        let rest = text.strip_prefix("arn:")?;
        // The four colons after `arn:`, found bytewise: this runs for every statement a
        // decision looks at, so it avoids the general-purpose splitter.
        let mut cuts = [0usize; 4];
        let mut found = 0;
        for (index, byte) in rest.bytes().enumerate() {
            if byte == b':' {
                if let Some(cut) = cuts.get_mut(found) {
                    *cut = index;
                }
                found += 1;
                if found == cuts.len() {
                    break;
                }
            }
        }
        if found < cuts.len() {
            return None;
        }
        let [a, b, c, d] = cuts;
        Some(Arn {
            partition: rest.get(..a)?,
            service: rest.get(a + 1..b)?,
            region: rest.get(b + 1..c)?,
            account: rest.get(c + 1..d)?,
            resource: rest.get(d + 1..)?,
        })
    }

    fn prefix(&self) -> [&'a str; 4] {
        [self.partition, self.service, self.region, self.account]
    }
}

/// A compiled `Resource` entry or `Arn*` condition value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum ArnPattern {
    /// `*`: everything, ARN or not.
    Any,
    /// `arn:P:S:R:A:resource` with wildcards; variables only in the resource part.
    Arn {
        prefix: [String; 4],
        resource: Template,
    },
    /// Text that is not ARN-shaped: matched as one wildcard string.
    Text(Template),
}

impl ArnPattern {
    pub fn parse(text: &str, variables: bool) -> ArnPattern {
        if text == "*" {
            return ArnPattern::Any;
        }
        match Arn::parse(text) {
            Some(arn) => ArnPattern::Arn {
                prefix: arn.prefix().map(str::to_owned),
                resource: Template::parse(arn.resource, variables),
            },
            None => ArnPattern::Text(Template::parse(text, variables)),
        }
    }

    pub fn matches(&self, input: &str, context: &Context) -> bool {
        match self {
            ArnPattern::Any => true,
            ArnPattern::Text(template) => template.resolve(context).is_some_and(|resolved| {
                wildcard::matches_segments(resolved.segments(), input, false)
            }),
            ArnPattern::Arn { prefix, resource } => {
                let Some(arn) = Arn::parse(input) else {
                    return false;
                };
                let prefix_matches = prefix
                    .iter()
                    .zip(arn.prefix())
                    .all(|(pattern, part)| wildcard::matches(pattern, part, false));
                prefix_matches
                    && resource.resolve(context).is_some_and(|resolved| {
                        wildcard::matches_segments(resolved.segments(), arn.resource, false)
                    })
            }
        }
    }

    /// The lower-cased keys of the policy variables this pattern uses.
    pub fn variables(&self) -> impl Iterator<Item = &str> {
        let template = match self {
            ArnPattern::Any => None,
            ArnPattern::Arn { resource, .. } => Some(resource),
            ArnPattern::Text(template) => Some(template),
        };
        template.into_iter().flat_map(Template::variables)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matches_plain(pattern: &str, input: &str) -> bool {
        ArnPattern::parse(pattern, false).matches(input, &Context::new())
    }

    #[test]
    fn splits_at_the_first_five_colons() {
        let arn = Arn::parse("arn:aws:s3:::bucket/a:b").unwrap();
        assert_eq!(
            (
                arn.partition,
                arn.service,
                arn.region,
                arn.account,
                arn.resource
            ),
            ("aws", "s3", "", "", "bucket/a:b")
        );
        assert!(Arn::parse("arn:aws:s3::").is_none());
        assert!(Arn::parse("arn:aws:s3:::").is_some_and(|a| a.resource.is_empty()));
        assert!(Arn::parse("urn:aws:s3:::x").is_none());
    }

    #[test]
    fn prefix_segments_do_not_cross_colons() {
        assert!(matches_plain(
            "arn:aws:iam::*:role/x",
            "arn:aws:iam::111122223333:role/x"
        ));
        assert!(!matches_plain(
            "arn:aws:iam::1*:role/x",
            "arn:aws:iam::1:2:role/x"
        ));
        assert!(matches_plain("arn:aws:s3:::*", "arn:aws:s3:::bucket/a/b:c"));
        assert!(!matches_plain("arn:aws:s3:::*/*", "arn:aws:s3:::bucket"));
        assert!(matches_plain("arn:aws:s3:::*/*", "arn:aws:s3:::bucket/key"));
        assert!(matches_plain("arn:*:s3:::b", "arn:aws:s3:::b"));
        assert!(!matches_plain("arn:aws:s3:::B", "arn:aws:s3:::b"));
        assert!(matches_plain("*", "*"));
        assert!(!matches_plain("arn:aws:s3:::*", "*"));
    }
}
