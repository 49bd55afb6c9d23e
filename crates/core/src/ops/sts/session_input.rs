//! What AssumeRole and GetFederationToken share in shaping a session: names, durations,
//! session policies and session tags, checked as STS checks them, and the packed size its
//! response reports.

use serde::Deserialize;
use warden_policy::{Policy, PolicyKind};

use crate::error::Error;
use crate::managed::AWS_ACCOUNT;
use crate::model::{AccountId, Tag};
use crate::ops::WireTag;
use crate::state::State;

/// At most this many managed session policies.
const MAX_POLICY_ARNS: usize = 10;
/// What the inline session policy, the managed policies' ARNs and the session tags may take
/// together, in characters (the session policy quota; AWS reports its use in percent).
const PACKED_LIMIT: usize = warden_policy::limits::SESSION_POLICY;

/// One managed session policy (`PolicyArns.member.N.arn`).
#[derive(Debug, Deserialize)]
pub(super) struct PolicyArn {
    pub arn: Option<String>,
}

/// A ValidationError in the model's words.
pub(super) fn invalid(value: &str, member: &str, constraint: &str) -> Error {
    Error::ValidationError(format!(
        "1 validation error detected: Value '{value}' at '{member}' failed to satisfy constraint: {constraint}"
    ))
}

/// A role session name, federated user name or source identity: 2 to `max` characters of
/// `[\w+=,.@-]`.
pub(super) fn check_name(value: &str, member: &str, max: usize) -> Result<(), Error> {
    check_text(value, member, max, "[\\w+=,.@-]*", "+=,.@-")
}

/// An ExternalId: 2 to 1224 characters of `[\w+=,.@:/-]`.
pub(super) fn check_external_id(value: &str) -> Result<(), Error> {
    check_text(value, "externalId", 1224, "[\\w+=,.@:\\/-]*", "+=,.@:/-")
}

fn check_text(
    value: &str,
    member: &str,
    max: usize,
    pattern: &str,
    punctuation: &str,
) -> Result<(), Error> {
    let length = value.chars().count();
    if length < 2 {
        return Err(invalid(
            value,
            member,
            "Member must have length greater than or equal to 2",
        ));
    }
    if length > max {
        return Err(invalid(
            value,
            member,
            &format!("Member must have length less than or equal to {max}"),
        ));
    }
    if !value
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '_' || punctuation.contains(c))
    {
        return Err(invalid(
            value,
            member,
            &format!("Member must satisfy regular expression pattern: {pattern}"),
        ));
    }
    Ok(())
}

/// `seconds` within the model's bounds for `member`.
pub(super) fn check_range(seconds: i64, member: &str, min: i64, max: i64) -> Result<i64, Error> {
    if seconds < min {
        return Err(invalid(
            &seconds.to_string(),
            member,
            &format!("Member must have value greater than or equal to {min}"),
        ));
    }
    if seconds > max {
        return Err(invalid(
            &seconds.to_string(),
            member,
            &format!("Member must have value less than or equal to {max}"),
        ));
    }
    Ok(seconds)
}

/// Session policies: the inline one must parse as a session policy; the managed ones must
/// exist, in `account` or among AWS's, at most ten of them. Returns their ARNs.
pub(super) fn check_session_policies(
    state: &State,
    account: &AccountId,
    policy: Option<&str>,
    arns: &[PolicyArn],
) -> Result<Vec<String>, Error> {
    if arns.len() > MAX_POLICY_ARNS {
        return Err(invalid(
            &format!("{} policy ARNs", arns.len()),
            "policyArns",
            &format!("Member must have length less than or equal to {MAX_POLICY_ARNS}"),
        ));
    }
    if let Some(text) = policy {
        Policy::parse(text, PolicyKind::Session)
            .map_err(|e| Error::MalformedPolicyDocument(e.to_string()))?;
    }
    arns.iter()
        .map(|entry| {
            let arn = entry.arn.clone().unwrap_or_default();
            let usable = state
                .managed_policy(&arn)
                .is_some_and(|p| p.account == *account || p.account == AWS_ACCOUNT);
            if usable {
                Ok(arn)
            } else {
                Err(Error::MalformedPolicyDocument(format!(
                    "Policy {arn} does not exist or is not attachable."
                )))
            }
        })
        .collect()
}

/// The session tags of a new session: the request's (unique keys, case-insensitively, none
/// starting with `aws:`), after the transitive tags `inherited` from the calling session,
/// which cannot be set again. `transitive` must name request tags. Returns the tags and the
/// transitive keys of the new session.
pub(super) fn session_tags(
    requested: &[WireTag],
    transitive: &[String],
    inherited: &[Tag],
    inherited_keys: &[String],
) -> Result<(Vec<Tag>, Vec<String>), Error> {
    let mut tags: Vec<Tag> = inherited.to_vec();
    for tag in requested {
        if tag.key.to_ascii_lowercase().starts_with("aws:") {
            return Err(Error::ValidationError(format!(
                "Tag key `{}` is reserved: session tag keys cannot start with 'aws:'.",
                tag.key
            )));
        }
        if inherited
            .iter()
            .any(|t| t.key.eq_ignore_ascii_case(&tag.key))
        {
            return Err(Error::ValidationError(format!(
                "The session tag `{}` has the same key as a transitive tag of the calling session, which cannot be changed.",
                tag.key
            )));
        }
        if requested
            .iter()
            .filter(|t| t.key.eq_ignore_ascii_case(&tag.key))
            .count()
            > 1
        {
            return Err(Error::ValidationError(format!(
                "Duplicate tag keys found. Please note that Tag keys are case insensitive: `{}`.",
                tag.key
            )));
        }
        tags.push(Tag {
            key: tag.key.clone(),
            value: tag.value.clone(),
        });
    }
    let mut keys: Vec<String> = inherited_keys.to_vec();
    for key in transitive {
        if !requested.iter().any(|t| t.key.eq_ignore_ascii_case(key)) {
            return Err(Error::ValidationError(format!(
                "The transitive tag key `{key}` is not the key of a session tag in the request."
            )));
        }
        if !keys.iter().any(|k| k.eq_ignore_ascii_case(key)) {
            keys.push(key.clone());
        }
    }
    Ok((tags, keys))
}

/// How much of the packed-policy quota the session policies and tags take, in percent
/// (`None` when there are none); PackedPolicyTooLarge past 100 %.
pub(super) fn packed_size(
    policy: Option<&str>,
    arns: &[String],
    tags: &[Tag],
) -> Result<Option<i64>, Error> {
    if policy.is_none() && arns.is_empty() && tags.is_empty() {
        return Ok(None);
    }
    let used = policy.map_or(0, warden_policy::limits::size)
        + arns.iter().map(|a| a.chars().count()).sum::<usize>()
        + tags
            .iter()
            .map(|t| t.key.chars().count() + t.value.chars().count())
            .sum::<usize>();
    let percent = (used * 100).div_ceil(PACKED_LIMIT);
    if percent > 100 {
        return Err(Error::PackedPolicyTooLarge(format!(
            "Packed policy consumes {percent}% of allotted space, please use smaller policy."
        )));
    }
    Ok(Some(i64::try_from(percent).unwrap_or(100)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wire(key: &str, value: &str) -> WireTag {
        WireTag {
            key: key.to_owned(),
            value: value.to_owned(),
        }
    }

    #[test]
    fn names_follow_the_model() {
        assert!(check_name("app-1@example.com", "roleSessionName", 64).is_ok());
        assert!(check_name("a", "roleSessionName", 64).is_err());
        assert!(check_name(&"a".repeat(65), "roleSessionName", 64).is_err());
        let error = check_name("has space", "roleSessionName", 64).unwrap_err();
        assert!(
            error
                .message()
                .contains("regular expression pattern: [\\w+=,.@-]*")
        );
        assert!(check_external_id("urn:x/y").is_ok());
    }

    #[test]
    fn transitive_tags_cannot_be_set_again() {
        let inherited = vec![Tag {
            key: "team".to_owned(),
            value: "a".to_owned(),
        }];
        let keys = vec!["team".to_owned()];
        assert!(session_tags(&[wire("Team", "b")], &[], &inherited, &keys).is_err());
        let (tags, transitive) = session_tags(
            &[wire("env", "dev")],
            &["env".to_owned()],
            &inherited,
            &keys,
        )
        .unwrap();
        assert_eq!(tags.len(), 2);
        assert_eq!(transitive, vec!["team".to_owned(), "env".to_owned()]);
        assert!(session_tags(&[wire("a", "1")], &["b".to_owned()], &[], &[]).is_err());
        assert!(session_tags(&[wire("a", "1"), wire("A", "2")], &[], &[], &[]).is_err());
    }

    #[test]
    fn packed_size_is_a_percentage_of_the_quota() {
        assert_eq!(packed_size(None, &[], &[]).unwrap(), None);
        assert_eq!(
            packed_size(Some(&"x".repeat(1024)), &[], &[]).unwrap(),
            Some(50)
        );
        assert!(matches!(
            packed_size(Some(&"x".repeat(2100)), &[], &[]),
            Err(Error::PackedPolicyTooLarge(_))
        ));
    }
}
