//! Users: CreateUser, GetUser, ListUsers, UpdateUser, DeleteUser, and their permissions
//! boundaries.

use serde::{Deserialize, Serialize};
use warden_policy::ContextValue;

use super::{WireTag, paginate_map, tags_from_wire, under_prefix, wire_tags};
use crate::action::Action;
use crate::arn::{Arn, EntityKind};
use crate::authz::{Resource, request_tag_keys};
use crate::error::Error;
use crate::ids::{Prefix, unique_id};
use crate::model::{EntityName, EntityPath, Tag, User};
use crate::service::Cx;
use crate::state::{AccountState, Mutation, State};
use crate::time::{Timestamp, iso8601};

/// The `User` structure of IAM's responses.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct WireUser {
    path: String,
    user_name: String,
    user_id: String,
    arn: String,
    create_date: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    password_last_used: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    permissions_boundary: Option<WireBoundary>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    tags: Vec<WireTag>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct WireBoundary {
    permissions_boundary_type: &'static str,
    permissions_boundary_arn: String,
}

impl WireBoundary {
    pub(crate) fn new(arn: &Option<String>) -> Option<WireBoundary> {
        arn.as_ref().map(|arn| WireBoundary {
            permissions_boundary_type: "Policy",
            permissions_boundary_arn: arn.clone(),
        })
    }
}

impl WireUser {
    /// The account's root identity, as AWS shows it where a `User` is expected.
    pub(crate) fn root(account: &str, created: Timestamp) -> WireUser {
        WireUser {
            path: "/".to_owned(),
            user_name: String::new(),
            user_id: account.to_owned(),
            arn: Arn::root(account).build(),
            create_date: iso8601(created),
            password_last_used: None,
            permissions_boundary: None,
            tags: Vec::new(),
        }
    }

    /// `with_details`: GetUser shows the boundary and tags; lists do not.
    pub(crate) fn new(user: &User, with_details: bool) -> WireUser {
        WireUser {
            path: user.path.to_string(),
            user_name: user.name.to_string(),
            user_id: user.id.to_string(),
            arn: user_arn(user),
            create_date: iso8601(user.created),
            password_last_used: user.password_last_used.map(iso8601),
            permissions_boundary: if with_details {
                WireBoundary::new(&user.boundary)
            } else {
                None
            },
            tags: if with_details {
                wire_tags(&user.tags)
            } else {
                Vec::new()
            },
        }
    }
}

pub(crate) fn user_arn(user: &User) -> String {
    Arn::user(&user.account, &user.path, &user.name).build()
}

/// AWS's answer when an operation that defaults to the caller's own user is called with
/// credentials that are not a user's (a role session, a federated user).
pub(crate) fn non_user_credentials() -> Error {
    Error::ValidationError(
        "Must specify userName when calling with non-User credentials".to_owned(),
    )
}

pub(crate) fn no_such_user(name: &str) -> Error {
    Error::NoSuchEntity(format!("The user with name {name} cannot be found."))
}

/// The caller's account state (it exists for every authenticated caller).
pub(crate) fn account<'s>(cx: &Cx<'_>, state: &'s State) -> Result<&'s AccountState, Error> {
    state
        .account(&cx.caller.account)
        .ok_or_else(|| Error::Internal(format!("account {} is missing", cx.caller.account)))
}

impl Resource for User {
    fn arn(&self) -> String {
        user_arn(self)
    }

    fn tags(&self) -> &[Tag] {
        &self.tags
    }
}

/// Looks a user up after authorizing `action` on it (authorization first: a denied caller
/// learns nothing about existence), on its own ARN whatever case `name` is in.
pub(crate) fn authorized_user<'s>(
    cx: &Cx<'_>,
    state: &'s State,
    action: &str,
    name: &str,
    extra: &[(String, ContextValue)],
) -> Result<&'s User, Error> {
    let user = account(cx, state)?.user(name);
    let asked = Arn::user(&cx.caller.account, "/", name).build();
    cx.authorize_resolved(state, action, user, &asked, extra)?
        .ok_or_else(|| no_such_user(name))
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct CreateUserInput {
    user_name: String,
    path: Option<String>,
    permissions_boundary: Option<String>,
    #[serde(default)]
    tags: Vec<WireTag>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct CreateUserOutput {
    user: WireUser,
}

pub(super) fn create_user(cx: &Cx<'_>, input: CreateUserInput) -> Result<CreateUserOutput, Error> {
    let path = input.path.unwrap_or_else(|| "/".to_owned());
    let tags = tags_from_wire(&input.tags)?;
    cx.service.write(|state| {
        let arn = Arn::user(&cx.caller.account, &path, &input.user_name).build();
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
        cx.authorize(state, Action::CreateUser.iam_action(), &arn, &[], &extra)?;
        let path = EntityPath::new(&path)?;
        let account = account(cx, state)?;
        if account.user(&input.user_name).is_some() {
            return Err(Error::EntityAlreadyExists(format!(
                "User with name {} already exists.",
                input.user_name
            )));
        }
        if let Some(boundary) = &boundary {
            check_boundary(cx, state, boundary)?;
        }
        let user = User {
            id: unique_id(cx.service.random(), Prefix::User)?,
            account: cx.caller.account,
            name: EntityName::new(&input.user_name),
            path: path.clone(),
            created: cx.service.now(),
            tags: tags.clone(),
            inline: Vec::new(),
            attached: Vec::new(),
            groups: Vec::new(),
            boundary,
            password_last_used: None,
        };
        let output = CreateUserOutput {
            user: WireUser::new(&user, true),
        };
        Ok((vec![Mutation::User(user)], output))
    })
}

/// The ARN a permissions boundary given as `arn` goes by: the managed policy's own ARN when
/// `arn` names one the caller may use (policy names are case-insensitive), so
/// `iam:PermissionsBoundary` and the stored boundary are spelled as policies name it; else
/// `arn` as given (another account's policy is not looked at, so its spelling never shows).
pub(crate) fn boundary_arn(cx: &Cx<'_>, state: &State, arn: &str) -> String {
    super::policies::visible_policy(cx, state, arn)
        .ok()
        .flatten()
        .map_or_else(|| arn.to_owned(), super::policies::policy_arn)
}

/// A boundary must be an existing managed policy of the caller's account or an AWS managed
/// policy. Another account's policy is answered exactly as one that does not exist, so the
/// check reveals nothing about other accounts' policy names.
pub(crate) fn check_boundary(cx: &Cx<'_>, state: &State, arn: &str) -> Result<(), Error> {
    if super::policies::visible_policy(cx, state, arn)?.is_some() {
        Ok(())
    } else {
        Err(Error::InvalidInput(format!(
            "ARN {arn} is not valid: the permissions boundary must be an existing managed policy."
        )))
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct GetUserInput {
    user_name: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct GetUserOutput {
    user: WireUser,
}

pub(super) fn get_user(cx: &Cx<'_>, input: GetUserInput) -> Result<GetUserOutput, Error> {
    cx.service.read(|state| {
        let name = match (&input.user_name, &cx.caller.identity) {
            (Some(name), _) => name.clone(),
            (None, identity) if identity.acting_user().is_some() => account(cx, state)?
                .user_by_id(identity.acting_user().map_or("", |id| id.as_str()))
                .map(|u| u.name.to_string())
                .ok_or_else(|| Error::Internal("the caller's user is gone".to_owned()))?,
            (None, identity) if identity.acts_as_root() => {
                // The root user: AWS answers with the account's root identity.
                let arn = Arn::root(&cx.caller.account).build();
                cx.authorize(state, Action::GetUser.iam_action(), &arn, &[], &[])?;
                let created = account(cx, state)?
                    .account
                    .as_ref()
                    .map_or(0, |a| a.created);
                return Ok(GetUserOutput {
                    user: WireUser::root(&cx.caller.account, created),
                });
            }
            (None, _) => return Err(non_user_credentials()),
        };
        let user = authorized_user(cx, state, Action::GetUser.iam_action(), &name, &[])?;
        Ok(GetUserOutput {
            user: WireUser::new(user, true),
        })
    })
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct ListUsersInput {
    path_prefix: Option<String>,
    marker: Option<String>,
    max_items: Option<i64>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct ListUsersOutput {
    users: Vec<WireUser>,
    is_truncated: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    marker: Option<String>,
}

pub(super) fn list_users(cx: &Cx<'_>, input: ListUsersInput) -> Result<ListUsersOutput, Error> {
    cx.service.read(|state| {
        let arn = EntityKind::User.arn_prefix(&cx.caller.account);
        cx.authorize(state, Action::ListUsers.iam_action(), &arn, &[], &[])?;
        let account = account(cx, state)?;
        let prefix = input.path_prefix.as_deref();
        let page = paginate_map(
            cx,
            &[prefix.unwrap_or_default()],
            &account.users,
            |u| under_prefix(&u.path, prefix),
            input.marker.as_deref(),
            input.max_items,
        )?;
        Ok(ListUsersOutput {
            is_truncated: page.is_truncated(),
            users: page.items.iter().map(|u| WireUser::new(u, false)).collect(),
            marker: page.marker,
        })
    })
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct UpdateUserInput {
    user_name: String,
    new_path: Option<String>,
    new_user_name: Option<String>,
}

pub(super) fn update_user(cx: &Cx<'_>, input: UpdateUserInput) -> Result<(), Error> {
    cx.service.write(|state| {
        let user = authorized_user(
            cx,
            state,
            Action::UpdateUser.iam_action(),
            &input.user_name,
            &[],
        )?;
        let mut updated = user.clone();
        if let Some(path) = &input.new_path {
            updated.path = EntityPath::new(path)?;
        }
        if let Some(new_name) = &input.new_user_name {
            // Renaming needs permission on the new name too, as on AWS.
            let new_arn = Arn::user(&cx.caller.account, &updated.path, new_name).build();
            cx.authorize(state, Action::UpdateUser.iam_action(), &new_arn, &[], &[])?;
            let taken = account(cx, state)?
                .user(new_name)
                .is_some_and(|other| other.id != user.id);
            if taken {
                return Err(Error::EntityAlreadyExists(format!(
                    "User with name {new_name} already exists."
                )));
            }
            updated.name = EntityName::new(new_name);
        }
        Ok((vec![Mutation::User(updated)], ()))
    })
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct UserNameInput {
    user_name: String,
}

pub(super) fn delete_user(cx: &Cx<'_>, input: UserNameInput) -> Result<(), Error> {
    cx.service.write(|state| {
        let user = authorized_user(
            cx,
            state,
            Action::DeleteUser.iam_action(),
            &input.user_name,
            &[],
        )?;
        let account = account(cx, state)?;
        let conflict = |what: &str| {
            Err(Error::DeleteConflict(format!(
                "Cannot delete entity, must {what} first."
            )))
        };
        if account.keys_of(Some(&user.id)).next().is_some() {
            return conflict("delete access keys");
        }
        if account.login_profiles.contains_key(&user.id) {
            return conflict("delete login profile");
        }
        if account.mfa_devices_of(&user.id).next().is_some() {
            return conflict("delete MFA device");
        }
        if !user.inline.is_empty() {
            return conflict("delete policies");
        }
        if !user.attached.is_empty() {
            return conflict("detach all policies");
        }
        if !user.groups.is_empty() {
            return conflict("remove user from all groups");
        }
        Ok((
            vec![Mutation::DeleteUser {
                account: user.account,
                id: user.id.clone(),
            }],
            (),
        ))
    })
}
