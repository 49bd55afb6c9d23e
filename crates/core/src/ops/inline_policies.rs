//! Inline policies: PutUserPolicy, GetUserPolicy, DeleteUserPolicy, ListUserPolicies and
//! their group equivalents, over one implementation shared by every entity that embeds
//! inline policies.
//!
//! [`InlineHolder`] is implemented for `User`, `Group` and `Role`; it carries the holder's
//! aggregate size limit and the words AWS's messages use, and [`Lookup`] says how each is
//! found once the action is authorized on it.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use warden_policy::PolicyKind;
use warden_policy::limits::{
    GROUP_INLINE_POLICIES, ROLE_INLINE_POLICIES, USER_INLINE_POLICIES, size,
};

use super::groups::authorized_group;
use super::paginate;
use super::roles::{authorized_role, check_modifiable};
use super::users::authorized_user;
use crate::error::Error;
use crate::model::{Document, Group, InlinePolicy, Role, User};
use crate::service::Cx;
use crate::state::{Mutation, State};

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
    cx: &Cx<'_>,
    holder: &H,
    marker: Option<&str>,
    max_items: Option<i64>,
) -> Result<PolicyNames, Error> {
    let mut names: Vec<String> = holder.inline().iter().map(|p| p.name.clone()).collect();
    names.sort();
    let page = paginate(
        cx,
        &[holder.name()],
        names.into_iter().map(|n| (n.clone(), n)),
        marker,
        max_items,
    )?;
    Ok(PolicyNames {
        is_truncated: page.is_truncated(),
        policy_names: page.items,
        marker: page.marker,
    })
}

/// Put…Policy's parameters, whichever holder they name.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct PutInput {
    #[serde(alias = "UserName", alias = "GroupName", alias = "RoleName")]
    holder: String,
    policy_name: String,
    policy_document: String,
}

/// Get…Policy's and Delete…Policy's parameters.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct NameInput {
    #[serde(alias = "UserName", alias = "GroupName", alias = "RoleName")]
    holder: String,
    policy_name: String,
}

/// List…Policies' parameters.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct ListInput {
    #[serde(alias = "UserName", alias = "GroupName", alias = "RoleName")]
    holder: String,
    marker: Option<String>,
    max_items: Option<i64>,
}

/// How each holder is found once `action` is authorized on it.
pub(crate) trait Lookup: InlineHolder + Sized {
    fn authorized<'s>(
        cx: &Cx<'_>,
        state: &'s State,
        action: &str,
        name: &str,
    ) -> Result<&'s Self, Error>;
}

impl Lookup for User {
    fn authorized<'s>(
        cx: &Cx<'_>,
        state: &'s State,
        action: &str,
        name: &str,
    ) -> Result<&'s Self, Error> {
        authorized_user(cx, state, action, name, &[])
    }
}

impl Lookup for Group {
    fn authorized<'s>(
        cx: &Cx<'_>,
        state: &'s State,
        action: &str,
        name: &str,
    ) -> Result<&'s Self, Error> {
        authorized_group(cx, state, action, name, &[])
    }
}

impl Lookup for Role {
    fn authorized<'s>(
        cx: &Cx<'_>,
        state: &'s State,
        action: &str,
        name: &str,
    ) -> Result<&'s Self, Error> {
        let role = authorized_role(cx, state, action, name, &[])?;
        check_modifiable(role)?;
        Ok(role)
    }
}

pub(super) fn put_policy<H: Lookup>(cx: &Cx<'_>, input: PutInput) -> Result<(), Error> {
    let action = cx.action.iam_action();
    cx.service.write(|state| {
        let holder = H::authorized(cx, state, action, &input.holder)?;
        Ok((
            vec![put(holder, &input.policy_name, &input.policy_document)?],
            (),
        ))
    })
}

pub(super) fn get_policy<H: Lookup>(cx: &Cx<'_>, input: NameInput) -> Result<Value, Error> {
    let action = cx.action.iam_action();
    cx.service.read(|state| {
        let holder = H::authorized(cx, state, action, &input.holder)?;
        get_output(holder, &input.policy_name)
    })
}

pub(super) fn delete_policy<H: Lookup>(cx: &Cx<'_>, input: NameInput) -> Result<(), Error> {
    let action = cx.action.iam_action();
    cx.service.write(|state| {
        let holder = H::authorized(cx, state, action, &input.holder)?;
        Ok((vec![delete(holder, &input.policy_name)?], ()))
    })
}

pub(super) fn list_policies<H: Lookup>(
    cx: &Cx<'_>,
    input: ListInput,
) -> Result<PolicyNames, Error> {
    let action = cx.action.iam_action();
    cx.service.read(|state| {
        let holder = H::authorized(cx, state, action, &input.holder)?;
        list(cx, holder, input.marker.as_deref(), input.max_items)
    })
}
