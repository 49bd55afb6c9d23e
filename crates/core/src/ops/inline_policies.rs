//! Inline policies: PutUserPolicy, GetUserPolicy, DeleteUserPolicy, ListUserPolicies and
//! their group equivalents, over one implementation shared by every entity that embeds
//! inline policies.
//!
//! The role operations (PutRolePolicy, …) reuse it: look the role up after authorizing,
//! then call [`put`] or [`delete`] (each returns the [`Mutation`] to commit), [`get_output`]
//! or [`list`] on it. [`InlineHolder`] is implemented for `User`, `Group`
//! and `Role`; it carries the holder's aggregate size limit and the words AWS's messages use.

use std::ops::ControlFlow;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use warden_policy::PolicyKind;
use warden_policy::limits::{
    GROUP_INLINE_POLICIES, ROLE_INLINE_POLICIES, USER_INLINE_POLICIES, size,
};

use super::groups::authorized_group;
use super::users::authorized_user;
use super::{Routed, paginate};
use crate::error::Error;
use crate::model::{Document, Group, InlinePolicy, Role, User};
use crate::service::{Cx, run};
use crate::state::Mutation;

pub(super) fn route(cx: &Cx<'_>, action: &str, input: Value) -> Routed {
    ControlFlow::Break(match action {
        "PutUserPolicy" => run(cx, input, put_user_policy),
        "GetUserPolicy" => run(cx, input, get_user_policy),
        "DeleteUserPolicy" => run(cx, input, delete_user_policy),
        "ListUserPolicies" => run(cx, input, list_user_policies),
        "PutGroupPolicy" => run(cx, input, put_group_policy),
        "GetGroupPolicy" => run(cx, input, get_group_policy),
        "DeleteGroupPolicy" => run(cx, input, delete_group_policy),
        "ListGroupPolicies" => run(cx, input, list_group_policies),
        _ => return ControlFlow::Continue(input),
    })
}

/// An entity that embeds inline policies: a user, a group or a role.
pub(crate) trait InlineHolder: Clone {
    /// The holder as AWS's messages name it: `user`, `group`, `role`.
    const NOUN: &'static str;
    /// The member naming the holder in Get…Policy responses: `UserName`, ….
    const NAME_MEMBER: &'static str;
    /// AWS's limit on the summed size of the holder's inline policies.
    const SIZE_LIMIT: usize;

    fn name(&self) -> &str;
    fn inline(&self) -> &[InlinePolicy];
    fn inline_mut(&mut self) -> &mut Vec<InlinePolicy>;
    /// The mutation that stores the holder as it now is.
    fn into_mutation(self) -> Mutation;
}

macro_rules! inline_holder {
    ($type:ty, $noun:literal, $member:literal, $limit:expr, $mutation:path) => {
        impl InlineHolder for $type {
            const NOUN: &'static str = $noun;
            const NAME_MEMBER: &'static str = $member;
            const SIZE_LIMIT: usize = $limit;

            fn name(&self) -> &str {
                &self.name
            }

            fn inline(&self) -> &[InlinePolicy] {
                &self.inline
            }

            fn inline_mut(&mut self) -> &mut Vec<InlinePolicy> {
                &mut self.inline
            }

            fn into_mutation(self) -> Mutation {
                $mutation(self)
            }
        }
    };
}

inline_holder!(
    User,
    "user",
    "UserName",
    USER_INLINE_POLICIES,
    Mutation::User
);
inline_holder!(
    Group,
    "group",
    "GroupName",
    GROUP_INLINE_POLICIES,
    Mutation::Group
);
inline_holder!(
    Role,
    "role",
    "RoleName",
    ROLE_INLINE_POLICIES,
    Mutation::Role
);

fn no_such_policy<H: InlineHolder>(name: &str) -> Error {
    Error::NoSuchEntity(format!(
        "The {} policy with name {name} cannot be found.",
        H::NOUN
    ))
}

/// Put…Policy: `holder` with inline policy `name` added, or replaced if it exists. The
/// document must parse, and all of the holder's inline policies together must stay within
/// its size limit (whitespace not counted).
pub(crate) fn put<H: InlineHolder>(holder: &H, name: &str, text: &str) -> Result<Mutation, Error> {
    let others: usize = holder
        .inline()
        .iter()
        .filter(|p| p.name != name)
        .map(|p| size(&p.document.text))
        .sum();
    if others + size(text) > H::SIZE_LIMIT {
        return Err(Error::LimitExceeded(format!(
            "Maximum policy size of {} bytes exceeded for {} {}",
            H::SIZE_LIMIT,
            H::NOUN,
            holder.name()
        )));
    }
    let document = Document::parse(text, PolicyKind::Identity)?;
    let mut updated = holder.clone();
    let policies = updated.inline_mut();
    match policies.iter_mut().find(|p| p.name == name) {
        Some(existing) => existing.document = document,
        None => policies.push(InlinePolicy {
            name: name.to_owned(),
            document,
        }),
    }
    Ok(updated.into_mutation())
}

/// Get…Policy: the inline policy `name` of `holder`.
pub(crate) fn get<'h, H: InlineHolder>(
    holder: &'h H,
    name: &str,
) -> Result<&'h InlinePolicy, Error> {
    holder
        .inline()
        .iter()
        .find(|p| p.name == name)
        .ok_or_else(|| no_such_policy::<H>(name))
}

/// The Get…Policy response: the holder's name under `H::NAME_MEMBER`, the policy's name and
/// its document as stored (the edge URL-encodes it, as AWS's responses are).
pub(crate) fn get_output<H: InlineHolder>(holder: &H, name: &str) -> Result<Value, Error> {
    let policy = get(holder, name)?;
    Ok(json!({
        (H::NAME_MEMBER): holder.name(),
        "PolicyName": policy.name,
        "PolicyDocument": policy.document.text,
    }))
}

/// Delete…Policy: `holder` without its inline policy `name`.
pub(crate) fn delete<H: InlineHolder>(holder: &H, name: &str) -> Result<Mutation, Error> {
    get(holder, name)?;
    let mut updated = holder.clone();
    updated.inline_mut().retain(|p| p.name != name);
    Ok(updated.into_mutation())
}

/// The List…Policies response.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct PolicyNames {
    policy_names: Vec<String>,
    is_truncated: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    marker: Option<String>,
}

/// List…Policies: the names of `holder`'s inline policies in name order, one page.
pub(crate) fn list<H: InlineHolder>(
    holder: &H,
    marker: Option<&str>,
    max_items: Option<i64>,
) -> Result<PolicyNames, Error> {
    let mut names: Vec<String> = holder.inline().iter().map(|p| p.name.clone()).collect();
    names.sort();
    let page = paginate(names.into_iter().map(|n| (n.clone(), n)), marker, max_items)?;
    Ok(PolicyNames {
        is_truncated: page.is_truncated(),
        policy_names: page.items,
        marker: page.marker,
    })
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct PutUserPolicyInput {
    user_name: String,
    policy_name: String,
    policy_document: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct UserPolicyInput {
    user_name: String,
    policy_name: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ListUserPoliciesInput {
    user_name: String,
    marker: Option<String>,
    max_items: Option<i64>,
}

fn put_user_policy(cx: &Cx<'_>, input: PutUserPolicyInput) -> Result<(), Error> {
    cx.service.write(|state| {
        let user = authorized_user(cx, state, "iam:PutUserPolicy", &input.user_name, &[])?;
        Ok((
            vec![put(user, &input.policy_name, &input.policy_document)?],
            (),
        ))
    })
}

fn get_user_policy(cx: &Cx<'_>, input: UserPolicyInput) -> Result<Value, Error> {
    cx.service.read(|state| {
        let user = authorized_user(cx, state, "iam:GetUserPolicy", &input.user_name, &[])?;
        get_output(user, &input.policy_name)
    })
}

fn delete_user_policy(cx: &Cx<'_>, input: UserPolicyInput) -> Result<(), Error> {
    cx.service.write(|state| {
        let user = authorized_user(cx, state, "iam:DeleteUserPolicy", &input.user_name, &[])?;
        Ok((vec![delete(user, &input.policy_name)?], ()))
    })
}

fn list_user_policies(cx: &Cx<'_>, input: ListUserPoliciesInput) -> Result<PolicyNames, Error> {
    cx.service.read(|state| {
        let user = authorized_user(cx, state, "iam:ListUserPolicies", &input.user_name, &[])?;
        list(user, input.marker.as_deref(), input.max_items)
    })
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct PutGroupPolicyInput {
    group_name: String,
    policy_name: String,
    policy_document: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct GroupPolicyInput {
    group_name: String,
    policy_name: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ListGroupPoliciesInput {
    group_name: String,
    marker: Option<String>,
    max_items: Option<i64>,
}

fn put_group_policy(cx: &Cx<'_>, input: PutGroupPolicyInput) -> Result<(), Error> {
    cx.service.write(|state| {
        let group = authorized_group(cx, state, "iam:PutGroupPolicy", &input.group_name, &[])?;
        Ok((
            vec![put(group, &input.policy_name, &input.policy_document)?],
            (),
        ))
    })
}

fn get_group_policy(cx: &Cx<'_>, input: GroupPolicyInput) -> Result<Value, Error> {
    cx.service.read(|state| {
        let group = authorized_group(cx, state, "iam:GetGroupPolicy", &input.group_name, &[])?;
        get_output(group, &input.policy_name)
    })
}

fn delete_group_policy(cx: &Cx<'_>, input: GroupPolicyInput) -> Result<(), Error> {
    cx.service.write(|state| {
        let group = authorized_group(cx, state, "iam:DeleteGroupPolicy", &input.group_name, &[])?;
        Ok((vec![delete(group, &input.policy_name)?], ()))
    })
}

fn list_group_policies(cx: &Cx<'_>, input: ListGroupPoliciesInput) -> Result<PolicyNames, Error> {
    cx.service.read(|state| {
        let group = authorized_group(cx, state, "iam:ListGroupPolicies", &input.group_name, &[])?;
        list(group, input.marker.as_deref(), input.max_items)
    })
}
