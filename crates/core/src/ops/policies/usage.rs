//! Where managed policies are used: attachment and permissions-boundary counts
//! (GetPolicy's AttachmentCount and PermissionsBoundaryUsageCount, ListPolicies'
//! OnlyAttached), the PolicyUsageFilter, and ListEntitiesForPolicy.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use super::{authorized_policy, not_found, policy_arn};
use crate::action::Action;
use crate::error::Error;
use crate::model::{Group, Role, User};
use crate::ops::users::account;
use crate::ops::{paginate, under_prefix};
use crate::service::Cx;
use crate::state::AccountState;

/// Where a managed policy is used in one account.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct Usage {
    /// Users, groups and roles it is attached to.
    pub attachments: usize,
    /// Users and roles it is the permissions boundary of.
    pub boundaries: usize,
}

/// The usage of every policy used in `account`, by ARN.
pub(crate) fn usages(account: &AccountState) -> HashMap<&str, Usage> {
    let mut usages: HashMap<&str, Usage> = HashMap::new();
    let attached = account
        .users
        .iter()
        .flat_map(|u| &u.attached)
        .chain(account.groups.iter().flat_map(|g| &g.attached))
        .chain(account.roles.iter().flat_map(|r| &r.attached));
    for arn in attached {
        usages.entry(arn.as_str()).or_default().attachments += 1;
    }
    let boundaries = account
        .users
        .iter()
        .filter_map(|u| u.boundary.as_deref())
        .chain(account.roles.iter().filter_map(|r| r.boundary.as_deref()));
    for arn in boundaries {
        usages.entry(arn).or_default().boundaries += 1;
    }
    usages
}

/// A PolicyUsageFilter: which kind of use counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum UsageFilter {
    Any,
    PermissionsPolicy,
    PermissionsBoundary,
}

impl UsageFilter {
    pub(crate) fn parse(value: Option<&str>) -> Result<UsageFilter, Error> {
        match value {
            None => Ok(UsageFilter::Any),
            Some("PermissionsPolicy") => Ok(UsageFilter::PermissionsPolicy),
            Some("PermissionsBoundary") => Ok(UsageFilter::PermissionsBoundary),
            Some(other) => Err(Error::ValidationError(format!(
                "1 validation error detected: Value '{other}' at 'policyUsageFilter' failed to satisfy constraint: Member must satisfy enum value set: [PermissionsPolicy, PermissionsBoundary]"
            ))),
        }
    }

    pub(crate) fn policies(self) -> bool {
        self != UsageFilter::PermissionsBoundary
    }

    pub(crate) fn boundaries(self) -> bool {
        self != UsageFilter::PermissionsPolicy
    }

    pub(crate) fn in_use(self, usage: Usage) -> bool {
        (self.policies() && usage.attachments > 0) || (self.boundaries() && usage.boundaries > 0)
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(in crate::ops) struct ListEntitiesInput {
    policy_arn: String,
    entity_filter: Option<String>,
    path_prefix: Option<String>,
    policy_usage_filter: Option<String>,
    marker: Option<String>,
    max_items: Option<i64>,
}

#[derive(Default, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(in crate::ops) struct ListEntitiesOutput {
    policy_groups: Vec<PolicyGroup>,
    policy_users: Vec<PolicyUser>,
    policy_roles: Vec<PolicyRole>,
    is_truncated: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    marker: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct PolicyGroup {
    group_name: String,
    group_id: String,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct PolicyUser {
    user_name: String,
    user_id: String,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct PolicyRole {
    role_name: String,
    role_id: String,
}

enum Entity<'s> {
    Group(&'s Group),
    User(&'s User),
    Role(&'s Role),
}

pub(in crate::ops) fn list_entities_for_policy(
    cx: &Cx<'_>,
    input: ListEntitiesInput,
) -> Result<ListEntitiesOutput, Error> {
    cx.service.read(|state| {
        let asked = input.policy_arn.as_str();
        let policy = authorized_policy(cx, state, Action::ListEntitiesForPolicy.iam_action(), asked, &[])?.ok_or_else(|| not_found(asked))?;
        // Attachments and boundaries hold the policy's own ARN.
        let arn = policy_arn(policy);
        let arn = arn.as_str();
        let usage = UsageFilter::parse(input.policy_usage_filter.as_deref())?;
        let (groups, users, roles) = match input.entity_filter.as_deref() {
            None => (true, true, true),
            Some("Group") => (true, false, false),
            Some("User") => (false, true, false),
            Some("Role") => (false, false, true),
            Some("LocalManagedPolicy" | "AWSManagedPolicy") => (false, false, false),
            Some(other) => {
                return Err(Error::ValidationError(format!(
                    "1 validation error detected: Value '{other}' at 'entityFilter' failed to satisfy constraint: Member must satisfy enum value set: [User, Role, Group, LocalManagedPolicy, AWSManagedPolicy]"
                )));
            }
        };
        let uses = |attached: &[String], boundary: Option<&str>| {
            (usage.policies() && attached.iter().any(|a| a == arn)) || (usage.boundaries() && boundary == Some(arn))
        };
        let prefix = input.path_prefix.as_deref();
        let account = account(cx, state)?;
        let mut entities: Vec<(String, Entity<'_>)> = Vec::new();
        if groups {
            let matching = account.groups.entries().filter(|(_, g)| under_prefix(&g.path, prefix) && uses(&g.attached, None));
            entities.extend(matching.map(|(key, g)| (format!("0{key}"), Entity::Group(g))));
        }
        if users {
            let matching = account
                .users
                .entries()
                .filter(|(_, u)| under_prefix(&u.path, prefix) && uses(&u.attached, u.boundary.as_deref()));
            entities.extend(matching.map(|(key, u)| (format!("1{key}"), Entity::User(u))));
        }
        if roles {
            let matching = account
                .roles
                .entries()
                .filter(|(_, r)| under_prefix(&r.path, prefix) && uses(&r.attached, r.boundary.as_deref()));
            entities.extend(matching.map(|(key, r)| (format!("2{key}"), Entity::Role(r))));
        }
        let scope = [
            arn,
            input.entity_filter.as_deref().unwrap_or_default(),
            prefix.unwrap_or_default(),
            input.policy_usage_filter.as_deref().unwrap_or_default(),
        ];
        let page = paginate(cx, &scope, entities, input.marker.as_deref(), input.max_items)?;
        let mut output = ListEntitiesOutput {
            is_truncated: page.is_truncated(),
            marker: page.marker,
            ..ListEntitiesOutput::default()
        };
        for entity in page.items {
            match entity {
                Entity::Group(g) => output.policy_groups.push(PolicyGroup {
                    group_name: g.name.to_string(),
                    group_id: g.id.to_string(),
                }),
                Entity::User(u) => output.policy_users.push(PolicyUser {
                    user_name: u.name.to_string(),
                    user_id: u.id.to_string(),
                }),
                Entity::Role(r) => output.policy_roles.push(PolicyRole {
                    role_name: r.name.to_string(),
                    role_id: r.id.to_string(),
                }),
            }
        }
        Ok(output)
    })
}
