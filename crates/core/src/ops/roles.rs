//! Roles: CreateRole, GetRole, ListRoles, UpdateRole, UpdateRoleDescription,
//! UpdateAssumeRolePolicy, DeleteRole, role permissions boundaries and role tags.

mod tags;
mod trust;
mod wire;

use serde::{Deserialize, Serialize};
use warden_policy::ContextValue;

use super::users::{account, boundary_arn, check_boundary};
use super::{WireTag, paginate_map, tags_from_wire, under_prefix};
use crate::action::Action;
use crate::arn::{Arn, EntityKind};
use crate::authz::{Resource, request_tag_keys};
use crate::error::Error;
use crate::ids::{Prefix, unique_id};
use crate::model::{EntityName, EntityPath, Role, Tag};
use crate::service::Cx;
use crate::state::{Mutation, State};

pub(super) use tags::{list_role_tags, tag_role, untag_role};
pub(crate) use wire::{RoleView, WireRole, WireRoleLastUsed};

/// AWS's default and bounds for a role's MaxSessionDuration, in seconds.
const DEFAULT_SESSION: i64 = 3600;
const MAX_SESSION: i64 = 43_200;
const MAX_DESCRIPTION: usize = 1000;

pub(crate) fn role_arn(role: &Role) -> String {
    Arn::role(&role.account, &role.path, &role.name).build()
}

pub(crate) fn no_such_role(name: &str) -> Error {
    Error::NoSuchEntity(format!("The role with name {name} cannot be found."))
}

impl Resource for Role {
    fn arn(&self) -> String {
        role_arn(self)
    }

    fn tags(&self) -> &[Tag] {
        &self.tags
    }
}

/// The ARN a role named `name` is authorized on when the name resolves to no role.
pub(crate) fn asked_role_arn(cx: &Cx<'_>, name: &str) -> String {
    Arn::role(&cx.caller.account, "/", name).build()
}

/// Looks a role up after authorizing `action` on it (authorization first: a denied caller
/// learns nothing about existence), on its own ARN whatever case `name` is in.
pub(crate) fn authorized_role<'s>(
    cx: &Cx<'_>,
    state: &'s State,
    action: &str,
    name: &str,
    extra: &[(String, ContextValue)],
) -> Result<&'s Role, Error> {
    let role = account(cx, state)?.role(name);
    cx.authorize_resolved(state, action, role, &asked_role_arn(cx, name), extra)?
        .ok_or_else(|| no_such_role(name))
}

/// Where service-linked roles live; AWS alone creates and changes them.
const SERVICE_ROLE_PATH: &str = "/aws-service-role/";

/// Refuses to change a service-linked role, as AWS does.
pub(crate) fn check_modifiable(role: &Role) -> Result<(), Error> {
    if role.path.starts_with(SERVICE_ROLE_PATH) {
        return Err(Error::UnmodifiableEntity(format!(
            "Cannot perform the operation on the protected role '{}' - this role is only modifiable by AWS",
            role.name
        )));
    }
    Ok(())
}

fn check_description(description: Option<&str>) -> Result<(), Error> {
    match description {
        Some(text) if text.chars().count() > MAX_DESCRIPTION => {
            Err(Error::ValidationError(format!(
                "1 validation error detected: Value at 'description' failed to satisfy constraint: Member must have length less than or equal to {MAX_DESCRIPTION}"
            )))
        }
        _ => Ok(()),
    }
}

fn check_session_duration(seconds: i64) -> Result<i64, Error> {
    let constraint = if seconds < DEFAULT_SESSION {
        format!("greater than or equal to {DEFAULT_SESSION}")
    } else if seconds > MAX_SESSION {
        format!("less than or equal to {MAX_SESSION}")
    } else {
        return Ok(seconds);
    };
    Err(Error::ValidationError(format!(
        "1 validation error detected: Value '{seconds}' at 'maxSessionDuration' failed to satisfy constraint: Member must have value {constraint}"
    )))
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct CreateRoleInput {
    role_name: String,
    path: Option<String>,
    assume_role_policy_document: String,
    description: Option<String>,
    max_session_duration: Option<i64>,
    permissions_boundary: Option<String>,
    #[serde(default)]
    tags: Vec<WireTag>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct RoleOutput {
    role: WireRole,
}

pub(super) fn create_role(cx: &Cx<'_>, input: CreateRoleInput) -> Result<RoleOutput, Error> {
    let path = input.path.unwrap_or_else(|| "/".to_owned());
    let tags = tags_from_wire(&input.tags)?;
    cx.service.write(|state| {
        let arn = Arn::role(&cx.caller.account, &path, &input.role_name).build();
        let boundary = input
            .permissions_boundary
            .as_deref()
            .map(|b| boundary_arn(cx, state, b));
        let mut extra = request_tag_keys(&tags);
        if let Some(boundary) = &boundary {
            extra.push((
                "iam:PermissionsBoundary".to_owned(),
                ContextValue::Single(boundary.clone()),
            ));
        }
        cx.authorize(state, Action::CreateRole.iam_action(), &arn, &[], &extra)?;
        let path = EntityPath::new(&path)?;
        if path.starts_with(SERVICE_ROLE_PATH) {
            return Err(Error::InvalidInput(format!(
                "The path {SERVICE_ROLE_PATH} is reserved for service-linked roles."
            )));
        }
        check_description(input.description.as_deref())?;
        let max_session_duration =
            check_session_duration(input.max_session_duration.unwrap_or(DEFAULT_SESSION))?;
        if account(cx, state)?.role(&input.role_name).is_some() {
            return Err(Error::EntityAlreadyExists(format!(
                "Role with name {} already exists.",
                input.role_name
            )));
        }
        if let Some(boundary) = &boundary {
            check_boundary(cx, state, boundary)?;
        }
        let role = Role {
            id: unique_id(cx.service.random(), Prefix::Role)?,
            account: cx.caller.account,
            name: EntityName::new(&input.role_name),
            path: path.clone(),
            created: cx.service.now(),
            trust: trust::parse(state, &input.assume_role_policy_document)?,
            bound_trust: trust::bind(state, &input.assume_role_policy_document)?,
            description: input.description.clone().filter(|d| !d.is_empty()),
            max_session_duration,
            boundary,
            tags: tags.clone(),
            inline: Vec::new(),
            attached: Vec::new(),
            last_used: None,
        };
        let output = RoleOutput {
            role: WireRole::new(&role, RoleView::Written),
        };
        Ok((vec![Mutation::Role(role)], output))
    })
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct RoleNameInput {
    role_name: String,
}

pub(super) fn get_role(cx: &Cx<'_>, input: RoleNameInput) -> Result<RoleOutput, Error> {
    cx.service.read(|state| {
        let role = authorized_role(
            cx,
            state,
            Action::GetRole.iam_action(),
            &input.role_name,
            &[],
        )?;
        let mut role = role.clone();
        if let Some(used) = cx.service.usage.pending_role(&role.account, &role.id) {
            role.last_used = Some(used);
        }
        role.trust.text = trust::shown(state, &role);
        Ok(RoleOutput {
            role: WireRole::new(&role, RoleView::Full),
        })
    })
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct ListRolesInput {
    path_prefix: Option<String>,
    marker: Option<String>,
    max_items: Option<i64>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct ListRolesOutput {
    roles: Vec<WireRole>,
    is_truncated: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    marker: Option<String>,
}

pub(super) fn list_roles(cx: &Cx<'_>, input: ListRolesInput) -> Result<ListRolesOutput, Error> {
    cx.service.read(|state| {
        let arn = EntityKind::Role.arn_prefix(&cx.caller.account);
        cx.authorize(state, Action::ListRoles.iam_action(), &arn, &[], &[])?;
        let prefix = input.path_prefix.as_deref();
        let page = paginate_map(
            cx,
            &[prefix.unwrap_or_default()],
            &account(cx, state)?.roles,
            |r| under_prefix(&r.path, prefix),
            input.marker.as_deref(),
            input.max_items,
        )?;
        Ok(ListRolesOutput {
            is_truncated: page.is_truncated(),
            roles: page
                .items
                .iter()
                .map(|r| match r.bound_trust {
                    // A principal bound since deleted shows as its unique id.
                    Some(_) => {
                        let mut shown = (*r).clone();
                        shown.trust.text = trust::shown(state, r);
                        WireRole::new(&shown, RoleView::Listed)
                    }
                    None => WireRole::new(r, RoleView::Listed),
                })
                .collect(),
            marker: page.marker,
        })
    })
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct UpdateRoleInput {
    role_name: String,
    description: Option<String>,
    max_session_duration: Option<i64>,
}

pub(super) fn update_role(cx: &Cx<'_>, input: UpdateRoleInput) -> Result<(), Error> {
    cx.service.write(|state| {
        let role = authorized_role(
            cx,
            state,
            Action::UpdateRole.iam_action(),
            &input.role_name,
            &[],
        )?;
        check_modifiable(role)?;
        check_description(input.description.as_deref())?;
        let mut updated = role.clone();
        if let Some(description) = &input.description {
            updated.description = Some(description.clone()).filter(|d| !d.is_empty());
        }
        if let Some(seconds) = input.max_session_duration {
            updated.max_session_duration = check_session_duration(seconds)?;
        }
        Ok((vec![Mutation::Role(updated)], ()))
    })
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct UpdateDescriptionInput {
    role_name: String,
    description: String,
}

pub(super) fn update_role_description(
    cx: &Cx<'_>,
    input: UpdateDescriptionInput,
) -> Result<RoleOutput, Error> {
    cx.service.write(|state| {
        let role = authorized_role(
            cx,
            state,
            Action::UpdateRoleDescription.iam_action(),
            &input.role_name,
            &[],
        )?;
        check_modifiable(role)?;
        check_description(Some(&input.description))?;
        let mut updated = role.clone();
        updated.description = Some(input.description.clone()).filter(|d| !d.is_empty());
        let output = RoleOutput {
            role: WireRole::new(&updated, RoleView::Written),
        };
        Ok((vec![Mutation::Role(updated)], output))
    })
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct UpdateTrustInput {
    role_name: String,
    policy_document: String,
}

pub(super) fn update_assume_role_policy(cx: &Cx<'_>, input: UpdateTrustInput) -> Result<(), Error> {
    cx.service.write(|state| {
        let role = authorized_role(
            cx,
            state,
            Action::UpdateAssumeRolePolicy.iam_action(),
            &input.role_name,
            &[],
        )?;
        check_modifiable(role)?;
        let mut updated = role.clone();
        updated.trust = trust::parse(state, &input.policy_document)?;
        updated.bound_trust = trust::bind(state, &input.policy_document)?;
        Ok((vec![Mutation::Role(updated)], ()))
    })
}

pub(super) fn delete_role(cx: &Cx<'_>, input: RoleNameInput) -> Result<(), Error> {
    cx.service.write(|state| {
        let role = authorized_role(
            cx,
            state,
            Action::DeleteRole.iam_action(),
            &input.role_name,
            &[],
        )?;
        check_modifiable(role)?;
        let conflict = |what: &str| {
            Err(Error::DeleteConflict(format!(
                "Cannot delete entity, must {what} first."
            )))
        };
        if !role.inline.is_empty() {
            return conflict("delete policies");
        }
        if !role.attached.is_empty() {
            return conflict("detach all policies");
        }
        let in_profile = account(cx, state)?
            .instance_profiles
            .iter()
            .any(|p| p.roles.contains(&role.id));
        if in_profile {
            return conflict("remove roles from instance profile");
        }
        Ok((
            vec![Mutation::DeleteRole {
                account: role.account,
                id: role.id.clone(),
            }],
            (),
        ))
    })
}
