//! Instance profiles: CreateInstanceProfile, GetInstanceProfile, ListInstanceProfiles,
//! ListInstanceProfilesForRole, DeleteInstanceProfile, AddRoleToInstanceProfile,
//! RemoveRoleFromInstanceProfile, and instance profile tags.

use serde::{Deserialize, Serialize};
use warden_policy::ContextValue;

use super::roles::{RoleView, WireRole, asked_role_arn, authorized_role, no_such_role};
use super::tags::{ListTagsOutput, list_tags, remove_tags, untag_context};
use super::users::account;
use super::{WireTag, merge_tags, paginate, tags_from_wire, under_prefix, wire_tags};
use crate::action::{Action, PASS_ROLE};
use crate::arn::{Arn, EntityKind};
use crate::authz::{Resource, request_tag_keys};
use crate::error::Error;
use crate::ids::{Prefix, unique_id};
use crate::model::{EntityName, EntityPath, InstanceProfile, Tag};
use crate::service::Cx;
use crate::state::{AccountState, Mutation, State};
use crate::time::iso8601;

/// AWS's quota of roles per instance profile (it cannot be raised).
const ROLES_PER_PROFILE: usize = 1;

/// The `InstanceProfile` structure of IAM's responses, with its roles.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct WireInstanceProfile {
    path: String,
    instance_profile_name: String,
    instance_profile_id: String,
    arn: String,
    create_date: String,
    roles: Vec<WireRole>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    tags: Vec<WireTag>,
}

impl WireInstanceProfile {
    /// `with_tags`: GetInstanceProfile shows tags; lists do not.
    pub(crate) fn new(
        account: &AccountState,
        profile: &InstanceProfile,
        with_tags: bool,
    ) -> WireInstanceProfile {
        WireInstanceProfile {
            path: profile.path.to_string(),
            instance_profile_name: profile.name.to_string(),
            instance_profile_id: profile.id.to_string(),
            arn: profile_arn(profile),
            create_date: iso8601(profile.created),
            roles: profile
                .roles
                .iter()
                .filter_map(|id| account.role_by_id(id))
                .map(|r| WireRole::new(r, RoleView::Embedded))
                .collect(),
            tags: if with_tags {
                wire_tags(&profile.tags)
            } else {
                Vec::new()
            },
        }
    }
}

fn profile_arn(profile: &InstanceProfile) -> String {
    Arn::entity(
        &profile.account,
        EntityKind::InstanceProfile,
        &profile.path,
        &profile.name,
    )
    .build()
}

fn no_such_profile(name: &str) -> Error {
    Error::NoSuchEntity(format!("Instance Profile {name} cannot be found."))
}

impl Resource for InstanceProfile {
    fn arn(&self) -> String {
        profile_arn(self)
    }

    fn tags(&self) -> &[Tag] {
        &self.tags
    }
}

/// Looks an instance profile up after authorizing `action` on it, on its own ARN whatever
/// case `name` is in.
fn authorized_profile<'s>(
    cx: &Cx<'_>,
    state: &'s State,
    action: &str,
    name: &str,
    extra: &[(String, ContextValue)],
) -> Result<&'s InstanceProfile, Error> {
    let profile = account(cx, state)?.instance_profile(name);
    let asked = Arn::entity(&cx.caller.account, EntityKind::InstanceProfile, "/", name).build();
    cx.authorize_resolved(state, action, profile, &asked, extra)?
        .ok_or_else(|| no_such_profile(name))
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct CreateInput {
    instance_profile_name: String,
    path: Option<String>,
    #[serde(default)]
    tags: Vec<WireTag>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct ProfileOutput {
    instance_profile: WireInstanceProfile,
}

pub(super) fn create_instance_profile(
    cx: &Cx<'_>,
    input: CreateInput,
) -> Result<ProfileOutput, Error> {
    let path = input.path.unwrap_or_else(|| "/".to_owned());
    let tags = tags_from_wire(&input.tags)?;
    cx.service.write(|state| {
        let arn = Arn::entity(
            &cx.caller.account,
            EntityKind::InstanceProfile,
            &path,
            &input.instance_profile_name,
        )
        .build();
        cx.authorize(
            state,
            Action::CreateInstanceProfile.iam_action(),
            &arn,
            &[],
            &request_tag_keys(&tags),
        )?;
        let path = EntityPath::new(&path)?;
        let account = account(cx, state)?;
        if account
            .instance_profile(&input.instance_profile_name)
            .is_some()
        {
            return Err(Error::EntityAlreadyExists(format!(
                "Instance Profile {} already exists.",
                input.instance_profile_name
            )));
        }
        let profile = InstanceProfile {
            id: unique_id(cx.service.random(), Prefix::InstanceProfile)?,
            account: cx.caller.account,
            name: EntityName::new(&input.instance_profile_name),
            path: path.clone(),
            created: cx.service.now(),
            roles: Vec::new(),
            tags: tags.clone(),
        };
        let output = ProfileOutput {
            instance_profile: WireInstanceProfile::new(account, &profile, true),
        };
        Ok((vec![Mutation::InstanceProfile(profile)], output))
    })
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct ProfileNameInput {
    instance_profile_name: String,
}

pub(super) fn get_instance_profile(
    cx: &Cx<'_>,
    input: ProfileNameInput,
) -> Result<ProfileOutput, Error> {
    cx.service.read(|state| {
        let profile = authorized_profile(
            cx,
            state,
            Action::GetInstanceProfile.iam_action(),
            &input.instance_profile_name,
            &[],
        )?;
        Ok(ProfileOutput {
            instance_profile: WireInstanceProfile::new(account(cx, state)?, profile, true),
        })
    })
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct ListInput {
    path_prefix: Option<String>,
    marker: Option<String>,
    max_items: Option<i64>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct ListOutput {
    instance_profiles: Vec<WireInstanceProfile>,
    is_truncated: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    marker: Option<String>,
}

/// One page of `profiles` (already filtered and in name order); `scope` names the filter.
fn list_page<'a>(
    cx: &Cx<'_>,
    scope: &str,
    account: &AccountState,
    profiles: impl Iterator<Item = (&'a str, &'a InstanceProfile)>,
    marker: Option<&str>,
    max_items: Option<i64>,
) -> Result<ListOutput, Error> {
    let page = paginate(cx, &[scope], profiles, marker, max_items)?;
    Ok(ListOutput {
        is_truncated: page.is_truncated(),
        instance_profiles: page
            .items
            .iter()
            .map(|p| WireInstanceProfile::new(account, p, false))
            .collect(),
        marker: page.marker,
    })
}

pub(super) fn list_instance_profiles(cx: &Cx<'_>, input: ListInput) -> Result<ListOutput, Error> {
    cx.service.read(|state| {
        let arn = EntityKind::InstanceProfile.arn_prefix(&cx.caller.account);
        cx.authorize(
            state,
            Action::ListInstanceProfiles.iam_action(),
            &arn,
            &[],
            &[],
        )?;
        let account = account(cx, state)?;
        let prefix = input.path_prefix.as_deref();
        let profiles = account
            .instance_profiles
            .entries()
            .filter(|(_, p)| under_prefix(&p.path, prefix));
        let scope = prefix.unwrap_or_default();
        list_page(
            cx,
            scope,
            account,
            profiles,
            input.marker.as_deref(),
            input.max_items,
        )
    })
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct ForRoleInput {
    role_name: String,
    marker: Option<String>,
    max_items: Option<i64>,
}

pub(super) fn list_instance_profiles_for_role(
    cx: &Cx<'_>,
    input: ForRoleInput,
) -> Result<ListOutput, Error> {
    cx.service.read(|state| {
        let role = authorized_role(
            cx,
            state,
            Action::ListInstanceProfilesForRole.iam_action(),
            &input.role_name,
            &[],
        )?;
        let account = account(cx, state)?;
        let profiles = account
            .instance_profiles
            .entries()
            .filter(|(_, p)| p.roles.contains(&role.id));
        list_page(
            cx,
            &role.id,
            account,
            profiles,
            input.marker.as_deref(),
            input.max_items,
        )
    })
}

pub(super) fn delete_instance_profile(cx: &Cx<'_>, input: ProfileNameInput) -> Result<(), Error> {
    cx.service.write(|state| {
        let profile = authorized_profile(
            cx,
            state,
            Action::DeleteInstanceProfile.iam_action(),
            &input.instance_profile_name,
            &[],
        )?;
        if !profile.roles.is_empty() {
            return Err(Error::DeleteConflict(
                "Cannot delete entity, must remove roles from instance profile first.".to_owned(),
            ));
        }
        Ok((
            vec![Mutation::DeleteInstanceProfile {
                account: profile.account,
                id: profile.id.clone(),
            }],
            (),
        ))
    })
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct ProfileRoleInput {
    instance_profile_name: String,
    role_name: String,
}

pub(super) fn add_role(cx: &Cx<'_>, input: ProfileRoleInput) -> Result<(), Error> {
    cx.service.write(|state| {
        let account = account(cx, state)?;
        // Putting a role in an instance profile passes it to EC2: the caller needs
        // iam:PassRole on the role besides the action itself, both before existence checks.
        let role = cx.authorize_resolved(
            state,
            PASS_ROLE,
            account.role(&input.role_name),
            &asked_role_arn(cx, &input.role_name),
            &[],
        )?;
        let action = Action::AddRoleToInstanceProfile.iam_action();
        let profile = authorized_profile(cx, state, action, &input.instance_profile_name, &[])?;
        let role = role.ok_or_else(|| no_such_role(&input.role_name))?;
        if profile.roles.len() >= ROLES_PER_PROFILE {
            return Err(Error::LimitExceeded(format!(
                "Cannot exceed quota for InstanceSessionsPerInstanceProfile: {ROLES_PER_PROFILE}"
            )));
        }
        let mut updated = profile.clone();
        updated.roles.push(role.id.clone());
        Ok((vec![Mutation::InstanceProfile(updated)], ()))
    })
}

pub(super) fn remove_role(cx: &Cx<'_>, input: ProfileRoleInput) -> Result<(), Error> {
    cx.service.write(|state| {
        let action = Action::RemoveRoleFromInstanceProfile.iam_action();
        let profile = authorized_profile(cx, state, action, &input.instance_profile_name, &[])?;
        let role = account(cx, state)?
            .role(&input.role_name)
            .ok_or_else(|| no_such_role(&input.role_name))?;
        if !profile.roles.contains(&role.id) {
            return Err(Error::NoSuchEntity(format!(
                "The role with name {} is not in instance profile {}.",
                input.role_name, input.instance_profile_name
            )));
        }
        let mut updated = profile.clone();
        updated.roles.retain(|id| *id != role.id);
        Ok((vec![Mutation::InstanceProfile(updated)], ()))
    })
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct TagInput {
    instance_profile_name: String,
    #[serde(default)]
    tags: Vec<WireTag>,
}

pub(super) fn tag_instance_profile(cx: &Cx<'_>, input: TagInput) -> Result<(), Error> {
    let tags = tags_from_wire(&input.tags)?;
    cx.service.write(|state| {
        let extra = request_tag_keys(&tags);
        let profile = authorized_profile(
            cx,
            state,
            Action::TagInstanceProfile.iam_action(),
            &input.instance_profile_name,
            &extra,
        )?;
        let mut updated = profile.clone();
        updated.tags = merge_tags(&profile.tags, tags.clone())?;
        Ok((vec![Mutation::InstanceProfile(updated)], ()))
    })
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct UntagInput {
    instance_profile_name: String,
    #[serde(default)]
    tag_keys: Vec<String>,
}

pub(super) fn untag_instance_profile(cx: &Cx<'_>, input: UntagInput) -> Result<(), Error> {
    cx.service.write(|state| {
        let extra = untag_context(&input.tag_keys);
        let action = Action::UntagInstanceProfile.iam_action();
        let profile = authorized_profile(cx, state, action, &input.instance_profile_name, &extra)?;
        let mut updated = profile.clone();
        updated.tags = remove_tags(&profile.tags, &input.tag_keys);
        Ok((vec![Mutation::InstanceProfile(updated)], ()))
    })
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct ListTagsInput {
    instance_profile_name: String,
    marker: Option<String>,
    max_items: Option<i64>,
}

pub(super) fn list_instance_profile_tags(
    cx: &Cx<'_>,
    input: ListTagsInput,
) -> Result<ListTagsOutput, Error> {
    cx.service.read(|state| {
        let action = Action::ListInstanceProfileTags.iam_action();
        let profile = authorized_profile(cx, state, action, &input.instance_profile_name, &[])?;
        list_tags(
            cx,
            &profile.id,
            &profile.tags,
            input.marker.as_deref(),
            input.max_items,
        )
    })
}
