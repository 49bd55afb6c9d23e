//! GetAccountAuthorizationDetails: every user, group, role and managed policy of the account
//! with their policies and relationships, as one paged listing.
//!
//! The page runs over users, then groups, then roles, then customer managed policies, then
//! the AWS managed policies the account uses (AWS lists only those in use). Documents are
//! returned as text; the edge URL-encodes them as AWS does.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::action::Action;
use crate::arn::Arn;
use crate::error::Error;
use crate::managed::AWS_ACCOUNT;
use crate::model::{Group, InlinePolicy, ManagedPolicy, Role, User};
use crate::ops::instance_profiles::WireInstanceProfile;
use crate::ops::roles::{WireRoleLastUsed, role_arn};
use crate::ops::users::{WireBoundary, account, user_arn};
use crate::ops::{WireTag, paginate, wire_tags};
use crate::service::Cx;
use crate::state::{AccountState, State};
use crate::time::iso8601;

const FILTERS: [&str; 5] = [
    "User",
    "Role",
    "Group",
    "LocalManagedPolicy",
    "AWSManagedPolicy",
];

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(in crate::ops) struct DetailsInput {
    #[serde(default)]
    filter: Vec<String>,
    marker: Option<String>,
    max_items: Option<i64>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub(in crate::ops) struct DetailsOutput {
    user_detail_list: Vec<UserDetail>,
    group_detail_list: Vec<GroupDetail>,
    role_detail_list: Vec<RoleDetail>,
    policies: Vec<PolicyDetail>,
    is_truncated: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    marker: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct InlineDetail {
    policy_name: String,
    policy_document: String,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct AttachedPolicy {
    policy_name: String,
    policy_arn: String,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct UserDetail {
    path: String,
    user_name: String,
    user_id: String,
    arn: String,
    create_date: String,
    user_policy_list: Vec<InlineDetail>,
    group_list: Vec<String>,
    attached_managed_policies: Vec<AttachedPolicy>,
    #[serde(skip_serializing_if = "Option::is_none")]
    permissions_boundary: Option<WireBoundary>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    tags: Vec<WireTag>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct GroupDetail {
    path: String,
    group_name: String,
    group_id: String,
    arn: String,
    create_date: String,
    group_policy_list: Vec<InlineDetail>,
    attached_managed_policies: Vec<AttachedPolicy>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct RoleDetail {
    path: String,
    role_name: String,
    role_id: String,
    arn: String,
    create_date: String,
    assume_role_policy_document: String,
    instance_profile_list: Vec<WireInstanceProfile>,
    role_policy_list: Vec<InlineDetail>,
    attached_managed_policies: Vec<AttachedPolicy>,
    #[serde(skip_serializing_if = "Option::is_none")]
    permissions_boundary: Option<WireBoundary>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    tags: Vec<WireTag>,
    role_last_used: WireRoleLastUsed,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct PolicyDetail {
    policy_name: String,
    policy_id: String,
    arn: String,
    path: String,
    default_version_id: String,
    attachment_count: usize,
    permissions_boundary_usage_count: usize,
    is_attachable: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<String>,
    create_date: String,
    update_date: String,
    policy_version_list: Vec<VersionDetail>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct VersionDetail {
    document: String,
    version_id: String,
    is_default_version: bool,
    create_date: String,
}

/// One entity of the listing.
enum Entry<'a> {
    User(&'a User),
    Group(&'a Group),
    Role(&'a Role),
    Policy(&'a ManagedPolicy),
}

/// How the account uses each managed policy: (attachments, permissions boundary uses).
type Usage = HashMap<String, (usize, usize)>;

fn usage(account: &AccountState) -> Usage {
    let mut usage = Usage::new();
    let attached = account.users.iter().map(|u| &u.attached);
    let attached = attached
        .chain(account.groups.iter().map(|g| &g.attached))
        .chain(account.roles.iter().map(|r| &r.attached));
    for arn in attached.flatten() {
        usage.entry(arn.clone()).or_default().0 += 1;
    }
    let boundaries = account.users.iter().filter_map(|u| u.boundary.as_ref());
    for arn in boundaries.chain(account.roles.iter().filter_map(|r| r.boundary.as_ref())) {
        usage.entry(arn.clone()).or_default().1 += 1;
    }
    usage
}

pub(in crate::ops) fn get_account_authorization_details(
    cx: &Cx<'_>,
    input: DetailsInput,
) -> Result<DetailsOutput, Error> {
    if let Some(bad) = input.filter.iter().find(|f| !FILTERS.contains(&f.as_str())) {
        return Err(Error::ValidationError(format!(
            "1 validation error detected: Value '{bad}' at 'filter' failed to satisfy constraint: Member must satisfy enum value set: [{}]",
            FILTERS.join(", ")
        )));
    }
    cx.service.read(|state| {
        cx.authorize(
            state,
            Action::GetAccountAuthorizationDetails.iam_action(),
            "*",
            &[],
            &[],
        )?;
        let account = account(cx, state)?;
        let wants = |kind: &str| input.filter.is_empty() || input.filter.iter().any(|f| f == kind);
        let usage = usage(account);
        let mut entries: Vec<(String, Entry<'_>)> = Vec::new();
        if wants("User") {
            entries.extend(
                account
                    .users
                    .entries()
                    .map(|(k, u)| (format!("1{k}"), Entry::User(u))),
            );
        }
        if wants("Group") {
            entries.extend(
                account
                    .groups
                    .entries()
                    .map(|(k, g)| (format!("2{k}"), Entry::Group(g))),
            );
        }
        if wants("Role") {
            entries.extend(
                account
                    .roles
                    .entries()
                    .map(|(k, r)| (format!("3{k}"), Entry::Role(r))),
            );
        }
        if wants("LocalManagedPolicy") {
            entries.extend(
                account
                    .policies
                    .entries()
                    .map(|(k, p)| (format!("4{k}"), Entry::Policy(p))),
            );
        }
        if wants("AWSManagedPolicy") {
            let aws = state
                .account(AWS_ACCOUNT)
                .into_iter()
                .flat_map(|a| a.policies.entries());
            let used = aws.filter(|(_, p)| usage.contains_key(&policy_arn(p)));
            entries.extend(used.map(|(k, p)| (format!("5{k}"), Entry::Policy(p))));
        }
        let filter = input.filter.join(",");
        let page = paginate(
            cx,
            &[&filter],
            entries,
            input.marker.as_deref(),
            input.max_items,
        )?;
        let mut output = DetailsOutput {
            user_detail_list: Vec::new(),
            group_detail_list: Vec::new(),
            role_detail_list: Vec::new(),
            policies: Vec::new(),
            is_truncated: page.is_truncated(),
            marker: page.marker,
        };
        for entry in page.items {
            match entry {
                Entry::User(user) => output
                    .user_detail_list
                    .push(user_detail(state, account, user)),
                Entry::Group(group) => output.group_detail_list.push(group_detail(state, group)),
                Entry::Role(role) => output
                    .role_detail_list
                    .push(role_detail(state, account, role)),
                Entry::Policy(policy) => output.policies.push(policy_detail(policy, &usage)),
            }
        }
        Ok(output)
    })
}

fn policy_arn(policy: &ManagedPolicy) -> String {
    Arn::policy(&policy.account, &policy.path, &policy.name).build()
}

fn inline(policies: &[InlinePolicy]) -> Vec<InlineDetail> {
    policies
        .iter()
        .map(|p| InlineDetail {
            policy_name: p.name.clone(),
            policy_document: p.document.text.clone(),
        })
        .collect()
}

fn attached(state: &State, arns: &[String]) -> Vec<AttachedPolicy> {
    arns.iter()
        .map(|arn| AttachedPolicy {
            policy_name: state.managed_policy(arn).map_or_else(
                || arn.rsplit('/').next().unwrap_or_default().to_owned(),
                |p| p.name.to_string(),
            ),
            policy_arn: arn.clone(),
        })
        .collect()
}

fn user_detail(state: &State, account: &AccountState, user: &User) -> UserDetail {
    UserDetail {
        path: user.path.to_string(),
        user_name: user.name.to_string(),
        user_id: user.id.to_string(),
        arn: user_arn(user),
        create_date: iso8601(user.created),
        user_policy_list: inline(&user.inline),
        group_list: user
            .groups
            .iter()
            .filter_map(|id| account.group_by_id(id))
            .map(|g| g.name.to_string())
            .collect(),
        attached_managed_policies: attached(state, &user.attached),
        permissions_boundary: WireBoundary::new(&user.boundary),
        tags: wire_tags(&user.tags),
    }
}

fn group_detail(state: &State, group: &Group) -> GroupDetail {
    GroupDetail {
        path: group.path.to_string(),
        group_name: group.name.to_string(),
        group_id: group.id.to_string(),
        arn: Arn::group(&group.account, &group.path, &group.name).build(),
        create_date: iso8601(group.created),
        group_policy_list: inline(&group.inline),
        attached_managed_policies: attached(state, &group.attached),
    }
}

fn role_detail(state: &State, account: &AccountState, role: &Role) -> RoleDetail {
    RoleDetail {
        path: role.path.to_string(),
        role_name: role.name.to_string(),
        role_id: role.id.to_string(),
        arn: role_arn(role),
        create_date: iso8601(role.created),
        assume_role_policy_document: role.trust.text.clone(),
        instance_profile_list: account
            .instance_profiles
            .iter()
            .filter(|p| p.roles.contains(&role.id))
            .map(|p| WireInstanceProfile::new(account, p, false))
            .collect(),
        role_policy_list: inline(&role.inline),
        attached_managed_policies: attached(state, &role.attached),
        permissions_boundary: WireBoundary::new(&role.boundary),
        tags: wire_tags(&role.tags),
        role_last_used: WireRoleLastUsed::new(role),
    }
}

fn policy_detail(policy: &ManagedPolicy, usage: &Usage) -> PolicyDetail {
    let (attachments, boundaries) = usage.get(&policy_arn(policy)).copied().unwrap_or_default();
    PolicyDetail {
        policy_name: policy.name.to_string(),
        policy_id: policy.id.to_string(),
        arn: policy_arn(policy),
        path: policy.path.to_string(),
        default_version_id: policy.default_version.clone(),
        attachment_count: attachments,
        permissions_boundary_usage_count: boundaries,
        is_attachable: true,
        description: policy.description.clone(),
        create_date: iso8601(policy.created),
        update_date: iso8601(policy.updated),
        policy_version_list: policy
            .versions
            .iter()
            .map(|v| VersionDetail {
                document: v.document.text.clone(),
                version_id: v.id.clone(),
                is_default_version: v.id == policy.default_version,
                create_date: iso8601(v.created),
            })
            .collect(),
    }
}
