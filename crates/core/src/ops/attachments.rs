//! Managed policy attachments: Attach/Detach/ListAttached for users, groups and roles.
//! Attach and detach carry `iam:PolicyARN` in the request context. Authorization reads the
//! state on every request, so an attachment is in force for the principal's very next call.

use serde::{Deserialize, Serialize};
use warden_policy::ContextValue;

use super::groups::authorized_group;
use super::policies::{known_policy_arn, not_found, policy_arn, visible_policy};
use super::roles::{authorized_role, check_modifiable};
use super::users::authorized_user;
use super::{paginate, under_prefix};
use crate::action::Action;
use crate::error::Error;
use crate::model::{Group, Role, User};
use crate::service::Cx;
use crate::state::{Mutation, State};

/// AWS's default quota of managed policies per user, group and role.
pub(crate) const POLICIES_PER_ENTITY: usize = 10;

/// An entity managed policies attach to.
trait Holder: Clone {
    /// The quota's name in LimitExceeded messages: `PoliciesPerUser`, ….
    const QUOTA: &'static str;
    fn attached(&self) -> &[String];
    fn attached_mut(&mut self) -> &mut Vec<String>;
    fn into_mutation(self) -> Mutation;
}

macro_rules! holder {
    ($type:ty, $quota:literal, $mutation:path) => {
        impl Holder for $type {
            const QUOTA: &'static str = $quota;

            fn attached(&self) -> &[String] {
                &self.attached
            }

            fn attached_mut(&mut self) -> &mut Vec<String> {
                &mut self.attached
            }

            fn into_mutation(self) -> Mutation {
                $mutation(self)
            }
        }
    };
}

holder!(User, "PoliciesPerUser", Mutation::User);
holder!(Group, "PoliciesPerGroup", Mutation::Group);
holder!(Role, "PoliciesPerRole", Mutation::Role);

/// The `iam:PolicyARN` context key of attach and detach requests: the policy's own ARN, so a
/// condition on it holds whatever case the request spells the policy's name in.
fn policy_key(cx: &Cx<'_>, state: &State, arn: &str) -> [(String, ContextValue); 1] {
    [(
        "iam:PolicyARN".to_owned(),
        ContextValue::Single(known_policy_arn(cx, state, arn)),
    )]
}

/// Attaches policy `arn` to `holder` (already authorized). Attaching again changes nothing.
fn attach<H: Holder>(
    cx: &Cx<'_>,
    state: &State,
    holder: &H,
    arn: &str,
) -> Result<Vec<Mutation>, Error> {
    // The holder's action was authorized; the policy is only looked up.
    let policy = visible_policy(cx, state, arn)?.ok_or_else(|| {
        Error::NoSuchEntity(format!("Policy {arn} does not exist or is not attachable."))
    })?;
    let arn = policy_arn(policy);
    if holder.attached().contains(&arn) {
        return Ok(Vec::new());
    }
    if holder.attached().len() >= POLICIES_PER_ENTITY {
        return Err(Error::LimitExceeded(format!(
            "Cannot exceed quota for {}: {POLICIES_PER_ENTITY}",
            H::QUOTA
        )));
    }
    let mut updated = holder.clone();
    updated.attached_mut().push(arn);
    Ok(vec![updated.into_mutation()])
}

/// Detaches policy `arn` from `holder`; NoSuchEntity if it is not attached.
fn detach<H: Holder>(
    cx: &Cx<'_>,
    state: &State,
    holder: &H,
    arn: &str,
) -> Result<Vec<Mutation>, Error> {
    // Attachments hold the policy's own ARN.
    let attached = visible_policy(cx, state, arn)?.map_or_else(|| arn.to_owned(), policy_arn);
    if !holder.attached().contains(&attached) {
        return Err(not_found(arn));
    }
    let mut updated = holder.clone();
    updated.attached_mut().retain(|a| *a != attached);
    Ok(vec![updated.into_mutation()])
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct AttachedPolicy {
    policy_name: String,
    policy_arn: String,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct ListAttachedOutput {
    attached_policies: Vec<AttachedPolicy>,
    is_truncated: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    marker: Option<String>,
}

/// The page ListAttached{User,Group,Role}Policies ask for.
struct ListAttachedInput {
    path_prefix: Option<String>,
    marker: Option<String>,
    max_items: Option<i64>,
}

/// One page of `holder`'s attached policies, in attachment order, under the path prefix;
/// `holder_id` is the holder's unique id.
fn list_attached<H: Holder>(
    cx: &Cx<'_>,
    state: &State,
    holder: &H,
    holder_id: &str,
    input: &ListAttachedInput,
) -> Result<ListAttachedOutput, Error> {
    let policies = holder
        .attached()
        .iter()
        .filter_map(|arn| state.managed_policy(arn))
        .filter(|p| under_prefix(&p.path, input.path_prefix.as_deref()))
        .enumerate()
        .map(|(i, p)| (format!("{i:010}"), p));
    let scope = [holder_id, input.path_prefix.as_deref().unwrap_or_default()];
    let page = paginate(
        cx,
        &scope,
        policies,
        input.marker.as_deref(),
        input.max_items,
    )?;
    Ok(ListAttachedOutput {
        is_truncated: page.is_truncated(),
        attached_policies: page
            .items
            .iter()
            .map(|p| AttachedPolicy {
                policy_name: p.name.to_string(),
                policy_arn: policy_arn(p),
            })
            .collect(),
        marker: page.marker,
    })
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct UserPolicyInput {
    user_name: String,
    policy_arn: String,
}

pub(super) fn attach_user_policy(cx: &Cx<'_>, input: UserPolicyInput) -> Result<(), Error> {
    cx.service.write(|state| {
        let extra = policy_key(cx, state, &input.policy_arn);
        let user = authorized_user(
            cx,
            state,
            Action::AttachUserPolicy.iam_action(),
            &input.user_name,
            &extra,
        )?;
        Ok((attach(cx, state, user, &input.policy_arn)?, ()))
    })
}

pub(super) fn detach_user_policy(cx: &Cx<'_>, input: UserPolicyInput) -> Result<(), Error> {
    cx.service.write(|state| {
        let extra = policy_key(cx, state, &input.policy_arn);
        let user = authorized_user(
            cx,
            state,
            Action::DetachUserPolicy.iam_action(),
            &input.user_name,
            &extra,
        )?;
        Ok((detach(cx, state, user, &input.policy_arn)?, ()))
    })
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct ListAttachedUserInput {
    user_name: String,
    path_prefix: Option<String>,
    marker: Option<String>,
    max_items: Option<i64>,
}

pub(super) fn list_attached_user_policies(
    cx: &Cx<'_>,
    input: ListAttachedUserInput,
) -> Result<ListAttachedOutput, Error> {
    cx.service.read(|state| {
        let user = authorized_user(
            cx,
            state,
            Action::ListAttachedUserPolicies.iam_action(),
            &input.user_name,
            &[],
        )?;
        list_attached(
            cx,
            state,
            user,
            &user.id,
            &ListAttachedInput {
                path_prefix: input.path_prefix,
                marker: input.marker,
                max_items: input.max_items,
            },
        )
    })
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct GroupPolicyInput {
    group_name: String,
    policy_arn: String,
}

pub(super) fn attach_group_policy(cx: &Cx<'_>, input: GroupPolicyInput) -> Result<(), Error> {
    cx.service.write(|state| {
        let extra = policy_key(cx, state, &input.policy_arn);
        let group = authorized_group(
            cx,
            state,
            Action::AttachGroupPolicy.iam_action(),
            &input.group_name,
            &extra,
        )?;
        Ok((attach(cx, state, group, &input.policy_arn)?, ()))
    })
}

pub(super) fn detach_group_policy(cx: &Cx<'_>, input: GroupPolicyInput) -> Result<(), Error> {
    cx.service.write(|state| {
        let extra = policy_key(cx, state, &input.policy_arn);
        let group = authorized_group(
            cx,
            state,
            Action::DetachGroupPolicy.iam_action(),
            &input.group_name,
            &extra,
        )?;
        Ok((detach(cx, state, group, &input.policy_arn)?, ()))
    })
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct ListAttachedGroupInput {
    group_name: String,
    path_prefix: Option<String>,
    marker: Option<String>,
    max_items: Option<i64>,
}

pub(super) fn list_attached_group_policies(
    cx: &Cx<'_>,
    input: ListAttachedGroupInput,
) -> Result<ListAttachedOutput, Error> {
    cx.service.read(|state| {
        let group = authorized_group(
            cx,
            state,
            Action::ListAttachedGroupPolicies.iam_action(),
            &input.group_name,
            &[],
        )?;
        list_attached(
            cx,
            state,
            group,
            &group.id,
            &ListAttachedInput {
                path_prefix: input.path_prefix,
                marker: input.marker,
                max_items: input.max_items,
            },
        )
    })
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct RolePolicyInput {
    role_name: String,
    policy_arn: String,
}

pub(super) fn attach_role_policy(cx: &Cx<'_>, input: RolePolicyInput) -> Result<(), Error> {
    cx.service.write(|state| {
        let extra = policy_key(cx, state, &input.policy_arn);
        let role = authorized_role(
            cx,
            state,
            Action::AttachRolePolicy.iam_action(),
            &input.role_name,
            &extra,
        )?;
        check_modifiable(role)?;
        Ok((attach(cx, state, role, &input.policy_arn)?, ()))
    })
}

pub(super) fn detach_role_policy(cx: &Cx<'_>, input: RolePolicyInput) -> Result<(), Error> {
    cx.service.write(|state| {
        let extra = policy_key(cx, state, &input.policy_arn);
        let role = authorized_role(
            cx,
            state,
            Action::DetachRolePolicy.iam_action(),
            &input.role_name,
            &extra,
        )?;
        check_modifiable(role)?;
        Ok((detach(cx, state, role, &input.policy_arn)?, ()))
    })
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct ListAttachedRoleInput {
    role_name: String,
    path_prefix: Option<String>,
    marker: Option<String>,
    max_items: Option<i64>,
}

pub(super) fn list_attached_role_policies(
    cx: &Cx<'_>,
    input: ListAttachedRoleInput,
) -> Result<ListAttachedOutput, Error> {
    cx.service.read(|state| {
        let role = authorized_role(
            cx,
            state,
            Action::ListAttachedRolePolicies.iam_action(),
            &input.role_name,
            &[],
        )?;
        list_attached(
            cx,
            state,
            role,
            &role.id,
            &ListAttachedInput {
                path_prefix: input.path_prefix,
                marker: input.marker,
                max_items: input.max_items,
            },
        )
    })
}
