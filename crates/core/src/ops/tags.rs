//! Tags on users and customer managed policies (TagUser, UntagUser, ListUserTags, TagPolicy,
//! UntagPolicy, ListPolicyTags), and what every Tag*, Untag* and List*Tags operation shares.
//!
//! Tagging is authorized with the request's tags (`aws:RequestTag/…`, `aws:TagKeys`) and the
//! target's current tags (`aws:ResourceTag/…`); untagging with the keys it removes as
//! `aws:TagKeys`.

use serde::{Deserialize, Serialize};
use warden_policy::ContextValue;

use super::policies;
use super::users::authorized_user;
use super::{WireTag, merge_tags, paginate, tags_from_wire};
use crate::action::Action;
use crate::authz::request_tag_keys;
use crate::error::Error;
use crate::managed::AWS_ACCOUNT;
use crate::model::{ManagedPolicy, Tag};
use crate::service::Cx;
use crate::state::{Mutation, State};

/// `aws:TagKeys` of an Untag* request: the keys it removes.
pub(super) fn untag_context(keys: &[String]) -> Vec<(String, ContextValue)> {
    vec![("aws:TagKeys".to_owned(), ContextValue::Multi(keys.to_vec()))]
}

/// `tags` without the ones whose key is in `keys` (case-insensitively, as IAM compares tag
/// keys). Keys that are not there are ignored, as on AWS.
pub(super) fn remove_tags(tags: &[Tag], keys: &[String]) -> Vec<Tag> {
    tags.iter()
        .filter(|t| !keys.iter().any(|k| k.eq_ignore_ascii_case(&t.key)))
        .cloned()
        .collect()
}

/// The answer of every List*Tags operation.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct ListTagsOutput {
    tags: Vec<WireTag>,
    is_truncated: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    marker: Option<String>,
}

/// One page of `tags`, sorted by key as AWS lists them; `holder` names whose tags they are.
pub(super) fn list_tags(
    cx: &Cx<'_>,
    holder: &str,
    tags: &[Tag],
    marker: Option<&str>,
    max_items: Option<i64>,
) -> Result<ListTagsOutput, Error> {
    let mut sorted: Vec<&Tag> = tags.iter().collect();
    sorted.sort_by(|a, b| a.key.cmp(&b.key));
    let page = paginate(
        cx,
        &[holder],
        sorted.into_iter().map(|t| (t.key.clone(), t)),
        marker,
        max_items,
    )?;
    Ok(ListTagsOutput {
        is_truncated: page.is_truncated(),
        tags: page.items.into_iter().map(WireTag::from).collect(),
        marker: page.marker,
    })
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct TagUserInput {
    user_name: String,
    #[serde(default)]
    tags: Vec<WireTag>,
}

pub(super) fn tag_user(cx: &Cx<'_>, input: TagUserInput) -> Result<(), Error> {
    let tags = tags_from_wire(&input.tags)?;
    cx.service.write(|state| {
        let user = authorized_user(
            cx,
            state,
            Action::TagUser.iam_action(),
            &input.user_name,
            &request_tag_keys(&tags),
        )?;
        let mut updated = user.clone();
        updated.tags = merge_tags(&user.tags, tags.clone())?;
        Ok((vec![Mutation::User(updated)], ()))
    })
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct UntagUserInput {
    user_name: String,
    #[serde(default)]
    tag_keys: Vec<String>,
}

pub(super) fn untag_user(cx: &Cx<'_>, input: UntagUserInput) -> Result<(), Error> {
    cx.service.write(|state| {
        let extra = untag_context(&input.tag_keys);
        let user = authorized_user(
            cx,
            state,
            Action::UntagUser.iam_action(),
            &input.user_name,
            &extra,
        )?;
        let mut updated = user.clone();
        updated.tags = remove_tags(&user.tags, &input.tag_keys);
        Ok((vec![Mutation::User(updated)], ()))
    })
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct ListUserTagsInput {
    user_name: String,
    marker: Option<String>,
    max_items: Option<i64>,
}

pub(super) fn list_user_tags(
    cx: &Cx<'_>,
    input: ListUserTagsInput,
) -> Result<ListTagsOutput, Error> {
    cx.service.read(|state| {
        let user = authorized_user(
            cx,
            state,
            Action::ListUserTags.iam_action(),
            &input.user_name,
            &[],
        )?;
        list_tags(
            cx,
            &user.id,
            &user.tags,
            input.marker.as_deref(),
            input.max_items,
        )
    })
}

/// The managed policy `arn` names after authorizing `action` on it (on the policy's own
/// ARN, whatever case `arn` spells its name in). Only the caller's own policies and AWS
/// managed policies are found.
fn authorized_policy<'s>(
    cx: &Cx<'_>,
    state: &'s State,
    action: &str,
    arn: &str,
    extra: &[(String, ContextValue)],
) -> Result<&'s ManagedPolicy, Error> {
    policies::authorized_policy(cx, state, action, arn, extra)?
        .ok_or_else(|| policies::not_found(arn))
}

/// Tags belong to customer managed policies; AWS managed ones cannot be changed.
fn customer_managed(policy: &ManagedPolicy) -> Result<(), Error> {
    if policy.account == AWS_ACCOUNT {
        return Err(Error::InvalidInput(format!(
            "The policy {} is an AWS managed policy; only customer managed policies can be tagged.",
            policies::policy_arn(policy)
        )));
    }
    Ok(())
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct TagPolicyInput {
    policy_arn: String,
    #[serde(default)]
    tags: Vec<WireTag>,
}

pub(super) fn tag_policy(cx: &Cx<'_>, input: TagPolicyInput) -> Result<(), Error> {
    let tags = tags_from_wire(&input.tags)?;
    cx.service.write(|state| {
        let extra = request_tag_keys(&tags);
        let policy = authorized_policy(
            cx,
            state,
            Action::TagPolicy.iam_action(),
            &input.policy_arn,
            &extra,
        )?;
        customer_managed(policy)?;
        let mut updated = policy.clone();
        updated.tags = merge_tags(&policy.tags, tags.clone())?;
        Ok((vec![Mutation::Policy(updated)], ()))
    })
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct UntagPolicyInput {
    policy_arn: String,
    #[serde(default)]
    tag_keys: Vec<String>,
}

pub(super) fn untag_policy(cx: &Cx<'_>, input: UntagPolicyInput) -> Result<(), Error> {
    cx.service.write(|state| {
        let extra = untag_context(&input.tag_keys);
        let policy = authorized_policy(
            cx,
            state,
            Action::UntagPolicy.iam_action(),
            &input.policy_arn,
            &extra,
        )?;
        customer_managed(policy)?;
        let mut updated = policy.clone();
        updated.tags = remove_tags(&policy.tags, &input.tag_keys);
        Ok((vec![Mutation::Policy(updated)], ()))
    })
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct ListPolicyTagsInput {
    policy_arn: String,
    marker: Option<String>,
    max_items: Option<i64>,
}

pub(super) fn list_policy_tags(
    cx: &Cx<'_>,
    input: ListPolicyTagsInput,
) -> Result<ListTagsOutput, Error> {
    cx.service.read(|state| {
        let policy = authorized_policy(
            cx,
            state,
            Action::ListPolicyTags.iam_action(),
            &input.policy_arn,
            &[],
        )?;
        list_tags(
            cx,
            &policy.id,
            &policy.tags,
            input.marker.as_deref(),
            input.max_items,
        )
    })
}
