//! Groups: CreateGroup, GetGroup, ListGroups, UpdateGroup, DeleteGroup, and membership
//! (AddUserToGroup, RemoveUserFromGroup, ListGroupsForUser). Users hold their groups by
//! unique id, so a renamed group keeps its members.

use serde::{Deserialize, Serialize};
use warden_policy::ContextValue;

use super::users::{WireUser, account, authorized_user};
use super::{paginate, paginate_map, under_prefix};
use crate::action::Action;
use crate::arn::{Arn, EntityKind};
use crate::authz::Resource;
use crate::error::Error;
use crate::ids::{Prefix, unique_id};
use crate::model::{EntityName, EntityPath, Group, User};
use crate::service::Cx;
use crate::state::{Mutation, State};
use crate::time::iso8601;

/// AWS's quota of groups a user can be a member of.
pub(crate) const GROUPS_PER_USER: usize = 10;

/// The `Group` structure of IAM's responses.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct WireGroup {
    path: String,
    group_name: String,
    group_id: String,
    arn: String,
    create_date: String,
}

impl WireGroup {
    fn new(group: &Group) -> WireGroup {
        WireGroup {
            path: group.path.to_string(),
            group_name: group.name.to_string(),
            group_id: group.id.to_string(),
            arn: group_arn(group),
            create_date: iso8601(group.created),
        }
    }
}

pub(crate) fn group_arn(group: &Group) -> String {
    Arn::group(&group.account, &group.path, &group.name).build()
}

pub(crate) fn no_such_group(name: &str) -> Error {
    Error::NoSuchEntity(format!("The group with name {name} cannot be found."))
}

impl Resource for Group {
    fn arn(&self) -> String {
        group_arn(self)
    }
}

/// Looks a group up after authorizing `action` on it, on its own ARN whatever case `name` is
/// in. A group that does not exist is authorized on its path-less ARN, so a denied caller
/// learns nothing about existence.
pub(crate) fn authorized_group<'s>(
    cx: &Cx<'_>,
    state: &'s State,
    action: &str,
    name: &str,
    extra: &[(String, ContextValue)],
) -> Result<&'s Group, Error> {
    let group = account(cx, state)?.group(name);
    let asked = Arn::group(&cx.caller.account, "/", name).build();
    cx.authorize_resolved(state, action, group, &asked, extra)?
        .ok_or_else(|| no_such_group(name))
}

fn already_exists(name: &str) -> Error {
    Error::EntityAlreadyExists(format!("Group with name {name} already exists."))
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct CreateGroupInput {
    group_name: String,
    path: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct CreateGroupOutput {
    group: WireGroup,
}

pub(super) fn create_group(
    cx: &Cx<'_>,
    input: CreateGroupInput,
) -> Result<CreateGroupOutput, Error> {
    let path = input.path.unwrap_or_else(|| "/".to_owned());
    cx.service.write(|state| {
        let arn = Arn::group(&cx.caller.account, &path, &input.group_name).build();
        cx.authorize(state, Action::CreateGroup.iam_action(), &arn, &[], &[])?;
        let path = EntityPath::new(&path)?;
        if account(cx, state)?.group(&input.group_name).is_some() {
            return Err(already_exists(&input.group_name));
        }
        let group = Group {
            id: unique_id(cx.service.random(), Prefix::Group)?,
            account: cx.caller.account,
            name: EntityName::new(&input.group_name),
            path: path.clone(),
            created: cx.service.now(),
            inline: Vec::new(),
            attached: Vec::new(),
        };
        let output = CreateGroupOutput {
            group: WireGroup::new(&group),
        };
        Ok((vec![Mutation::Group(group)], output))
    })
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct GetGroupInput {
    group_name: String,
    marker: Option<String>,
    max_items: Option<i64>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct GetGroupOutput {
    group: WireGroup,
    users: Vec<WireUser>,
    is_truncated: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    marker: Option<String>,
}

pub(super) fn get_group(cx: &Cx<'_>, input: GetGroupInput) -> Result<GetGroupOutput, Error> {
    cx.service.read(|state| {
        let group = authorized_group(
            cx,
            state,
            Action::GetGroup.iam_action(),
            &input.group_name,
            &[],
        )?;
        let members = account(cx, state)?
            .users
            .entries()
            .filter(|(_, u)| u.groups.contains(&group.id));
        let page = paginate(
            cx,
            &[&group.id],
            members,
            input.marker.as_deref(),
            input.max_items,
        )?;
        Ok(GetGroupOutput {
            group: WireGroup::new(group),
            is_truncated: page.is_truncated(),
            users: page.items.iter().map(|u| WireUser::new(u, false)).collect(),
            marker: page.marker,
        })
    })
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct ListGroupsInput {
    path_prefix: Option<String>,
    marker: Option<String>,
    max_items: Option<i64>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct ListGroupsOutput {
    groups: Vec<WireGroup>,
    is_truncated: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    marker: Option<String>,
}

pub(super) fn list_groups(cx: &Cx<'_>, input: ListGroupsInput) -> Result<ListGroupsOutput, Error> {
    cx.service.read(|state| {
        let arn = EntityKind::Group.arn_prefix(&cx.caller.account);
        cx.authorize(state, Action::ListGroups.iam_action(), &arn, &[], &[])?;
        let prefix = input.path_prefix.as_deref();
        let page = paginate_map(
            cx,
            &[prefix.unwrap_or_default()],
            &account(cx, state)?.groups,
            |g| under_prefix(&g.path, prefix),
            input.marker.as_deref(),
            input.max_items,
        )?;
        Ok(ListGroupsOutput {
            is_truncated: page.is_truncated(),
            groups: page.items.iter().map(|g| WireGroup::new(g)).collect(),
            marker: page.marker,
        })
    })
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct UpdateGroupInput {
    group_name: String,
    new_path: Option<String>,
    new_group_name: Option<String>,
}

pub(super) fn update_group(cx: &Cx<'_>, input: UpdateGroupInput) -> Result<(), Error> {
    cx.service.write(|state| {
        let group = authorized_group(
            cx,
            state,
            Action::UpdateGroup.iam_action(),
            &input.group_name,
            &[],
        )?;
        let mut updated = group.clone();
        if let Some(path) = &input.new_path {
            updated.path = EntityPath::new(path)?;
        }
        // Permission is needed on the group as it will be too (its new name and path).
        let new_name = input.new_group_name.as_deref().unwrap_or(&group.name);
        let new_arn = Arn::group(&group.account, &updated.path, new_name).build();
        if new_arn != group_arn(group) {
            cx.authorize(state, Action::UpdateGroup.iam_action(), &new_arn, &[], &[])?;
        }
        if let Some(new_name) = &input.new_group_name {
            let taken = account(cx, state)?
                .group(new_name)
                .is_some_and(|other| other.id != group.id);
            if taken {
                return Err(already_exists(new_name));
            }
            updated.name = EntityName::new(new_name);
        }
        Ok((vec![Mutation::Group(updated)], ()))
    })
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct GroupNameInput {
    group_name: String,
}

pub(super) fn delete_group(cx: &Cx<'_>, input: GroupNameInput) -> Result<(), Error> {
    cx.service.write(|state| {
        let group = authorized_group(
            cx,
            state,
            Action::DeleteGroup.iam_action(),
            &input.group_name,
            &[],
        )?;
        let conflict = |what: &str| {
            Err(Error::DeleteConflict(format!(
                "Cannot delete entity, must {what} first."
            )))
        };
        if account(cx, state)?
            .group_members(&group.id)
            .next()
            .is_some()
        {
            return conflict("remove users from group");
        }
        if !group.inline.is_empty() {
            return conflict("delete policies");
        }
        if !group.attached.is_empty() {
            return conflict("detach all policies");
        }
        Ok((
            vec![Mutation::DeleteGroup {
                account: group.account,
                id: group.id.clone(),
            }],
            (),
        ))
    })
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct MembershipInput {
    group_name: String,
    user_name: String,
}

/// Membership changes are authorized on the group, as AWS does; then the user must exist.
fn member<'s>(
    cx: &Cx<'_>,
    state: &'s State,
    action: &str,
    input: &MembershipInput,
) -> Result<(&'s Group, &'s User), Error> {
    let group = authorized_group(cx, state, action, &input.group_name, &[])?;
    let user = account(cx, state)?
        .user(&input.user_name)
        .ok_or_else(|| super::users::no_such_user(&input.user_name))?;
    Ok((group, user))
}

pub(super) fn add_user_to_group(cx: &Cx<'_>, input: MembershipInput) -> Result<(), Error> {
    cx.service.write(|state| {
        let (group, user) = member(cx, state, Action::AddUserToGroup.iam_action(), &input)?;
        if user.groups.contains(&group.id) {
            return Ok((Vec::new(), ()));
        }
        if user.groups.len() >= GROUPS_PER_USER {
            return Err(Error::LimitExceeded(format!(
                "Cannot exceed quota for GroupsPerUser: {GROUPS_PER_USER}"
            )));
        }
        let mut updated = user.clone();
        updated.groups.push(group.id.clone());
        Ok((vec![Mutation::User(updated)], ()))
    })
}

pub(super) fn remove_user_from_group(cx: &Cx<'_>, input: MembershipInput) -> Result<(), Error> {
    cx.service.write(|state| {
        let (group, user) = member(cx, state, Action::RemoveUserFromGroup.iam_action(), &input)?;
        // Removing a user who is not a member succeeds without a change, as on AWS.
        if !user.groups.contains(&group.id) {
            return Ok((Vec::new(), ()));
        }
        let mut updated = user.clone();
        updated.groups.retain(|id| *id != group.id);
        Ok((vec![Mutation::User(updated)], ()))
    })
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct ListGroupsForUserInput {
    user_name: String,
    marker: Option<String>,
    max_items: Option<i64>,
}

pub(super) fn list_groups_for_user(
    cx: &Cx<'_>,
    input: ListGroupsForUserInput,
) -> Result<ListGroupsOutput, Error> {
    cx.service.read(|state| {
        let user = authorized_user(
            cx,
            state,
            Action::ListGroupsForUser.iam_action(),
            &input.user_name,
            &[],
        )?;
        let account = account(cx, state)?;
        let mut groups: Vec<(&str, &Group)> = user
            .groups
            .iter()
            .filter_map(|id| account.group_by_id(id))
            .map(|g| (g.name.folded(), g))
            .collect();
        groups.sort_by(|a, b| a.0.cmp(b.0));
        let page = paginate(
            cx,
            &[&user.id],
            groups,
            input.marker.as_deref(),
            input.max_items,
        )?;
        Ok(ListGroupsOutput {
            is_truncated: page.is_truncated(),
            groups: page.items.iter().map(|g| WireGroup::new(g)).collect(),
            marker: page.marker,
        })
    })
}
