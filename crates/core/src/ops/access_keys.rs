//! Access keys: CreateAccessKey, ListAccessKeys, UpdateAccessKey, DeleteAccessKey,
//! GetAccessKeyLastUsed — for IAM users and for the root user (no UserName, root caller).

use serde::{Deserialize, Serialize};

use super::users::{account, authorized_user, non_user_credentials};
use crate::action::Action;
use crate::arn::Arn;
use crate::error::Error;
use crate::ids::{access_key_id, secret_access_key};
use crate::model::{AccessKey, KeyStatus, UniqueId};
use crate::secret::Secret;
use crate::service::Cx;
use crate::state::{Mutation, State};
use crate::time::iso8601;

/// AWS's quota of access keys per user (and per root user).
pub const KEYS_PER_USER: usize = 2;

/// Whose keys an operation is about: a named user, else the caller itself.
struct Owner {
    /// The user's unique id; `None` for the root user.
    user_id: Option<UniqueId>,
    /// The name reported in responses (empty for the root user... AWS reports the account's
    /// root by leaving UserName out).
    user_name: Option<String>,
}

fn owner(
    cx: &Cx<'_>,
    state: &State,
    action: &str,
    user_name: Option<&str>,
) -> Result<Owner, Error> {
    match (user_name, &cx.caller.identity) {
        (Some(name), _) => {
            let user = authorized_user(cx, state, action, name, &[])?;
            Ok(Owner {
                user_id: Some(user.id.clone()),
                user_name: Some(user.name.to_string()),
            })
        }
        (None, identity) if identity.acting_user().is_some() => {
            let gone = || Error::Internal("the caller's user is gone".to_owned());
            let id = identity.acting_user().ok_or_else(gone)?;
            let name = account(cx, state)?
                .user_by_id(id)
                .map(|u| u.name.to_string())
                .ok_or_else(gone)?;
            authorized_user(cx, state, action, &name, &[])?;
            Ok(Owner {
                user_id: Some(id.clone()),
                user_name: Some(name),
            })
        }
        (None, identity) if identity.acts_as_root() => {
            let arn = Arn::root(&cx.caller.account).build();
            cx.authorize(state, action, &arn, &[], &[])?;
            Ok(Owner {
                user_id: None,
                user_name: None,
            })
        }
        (None, _) => Err(non_user_credentials()),
    }
}

fn no_such_key(id: &str) -> Error {
    Error::NoSuchEntity(format!("The Access Key with id {id} cannot be found."))
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct UserNameInput {
    user_name: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct WireAccessKey {
    #[serde(skip_serializing_if = "Option::is_none")]
    user_name: Option<String>,
    access_key_id: String,
    status: &'static str,
    secret_access_key: String,
    create_date: String,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct CreateAccessKeyOutput {
    access_key: WireAccessKey,
}

pub(super) fn create_access_key(
    cx: &Cx<'_>,
    input: UserNameInput,
) -> Result<CreateAccessKeyOutput, Error> {
    cx.service.write(|state| {
        let owner = owner(
            cx,
            state,
            Action::CreateAccessKey.iam_action(),
            input.user_name.as_deref(),
        )?;
        let account = account(cx, state)?;
        if account.keys_of(owner.user_id.as_ref()).count() >= KEYS_PER_USER {
            return Err(Error::LimitExceeded(format!(
                "Cannot exceed quota for AccessKeysPerUser: {KEYS_PER_USER}"
            )));
        }
        let key = AccessKey {
            id: access_key_id(cx.service.random())?,
            account: cx.caller.account,
            user: owner.user_id.clone(),
            status: KeyStatus::Active,
            created: cx.service.now(),
            secret: Secret::new(secret_access_key(cx.service.random())?),
            last_used: None,
        };
        let output = CreateAccessKeyOutput {
            access_key: WireAccessKey {
                user_name: owner.user_name.clone(),
                access_key_id: key.id.clone(),
                status: key.status.as_str(),
                secret_access_key: key.secret.expose().to_owned(),
                create_date: iso8601(key.created),
            },
        };
        Ok((vec![Mutation::AccessKey(key)], output))
    })
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct ListAccessKeysInput {
    user_name: Option<String>,
    marker: Option<String>,
    max_items: Option<i64>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct KeyMetadata {
    #[serde(skip_serializing_if = "Option::is_none")]
    user_name: Option<String>,
    access_key_id: String,
    status: &'static str,
    create_date: String,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct ListAccessKeysOutput {
    access_key_metadata: Vec<KeyMetadata>,
    is_truncated: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    marker: Option<String>,
}

pub(super) fn list_access_keys(
    cx: &Cx<'_>,
    input: ListAccessKeysInput,
) -> Result<ListAccessKeysOutput, Error> {
    cx.service.read(|state| {
        let owner = owner(
            cx,
            state,
            Action::ListAccessKeys.iam_action(),
            input.user_name.as_deref(),
        )?;
        let keys = account(cx, state)?
            .keys_of(owner.user_id.as_ref())
            .map(|k| (format!("{:020}{}", k.created, k.id), k));
        let scope = [owner.user_id.as_deref().unwrap_or_default()];
        let page = super::paginate(cx, &scope, keys, input.marker.as_deref(), input.max_items)?;
        Ok(ListAccessKeysOutput {
            is_truncated: page.is_truncated(),
            access_key_metadata: page
                .items
                .iter()
                .map(|k| KeyMetadata {
                    user_name: owner.user_name.clone(),
                    access_key_id: k.id.clone(),
                    status: k.status.as_str(),
                    create_date: iso8601(k.created),
                })
                .collect(),
            marker: page.marker,
        })
    })
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct UpdateAccessKeyInput {
    user_name: Option<String>,
    access_key_id: String,
    status: String,
}

/// The key `id` of `owner`, or NoSuchEntity (also when it belongs to someone else).
fn owned_key<'s>(
    state: &'s State,
    cx: &Cx<'_>,
    owner: &Owner,
    id: &str,
) -> Result<&'s AccessKey, Error> {
    account(cx, state)?
        .access_keys
        .get(id)
        .filter(|k| k.user == owner.user_id)
        .ok_or_else(|| no_such_key(id))
}

pub(super) fn update_access_key(cx: &Cx<'_>, input: UpdateAccessKeyInput) -> Result<(), Error> {
    cx.service.write(|state| {
        let owner = owner(cx, state, Action::UpdateAccessKey.iam_action(), input.user_name.as_deref())?;
        let key = owned_key(state, cx, &owner, &input.access_key_id)?;
        let status = match input.status.as_str() {
            "Active" => KeyStatus::Active,
            "Inactive" => KeyStatus::Inactive,
            other => {
                return Err(Error::ValidationError(format!(
                    "1 validation error detected: Value '{other}' at 'status' failed to satisfy constraint: Member must satisfy enum value set: [Active, Inactive]"
                )));
            }
        };
        let mut updated = key.clone();
        updated.status = status;
        Ok((vec![Mutation::AccessKey(updated)], ()))
    })
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct DeleteAccessKeyInput {
    user_name: Option<String>,
    access_key_id: String,
}

pub(super) fn delete_access_key(cx: &Cx<'_>, input: DeleteAccessKeyInput) -> Result<(), Error> {
    cx.service.write(|state| {
        let owner = owner(
            cx,
            state,
            Action::DeleteAccessKey.iam_action(),
            input.user_name.as_deref(),
        )?;
        let key = owned_key(state, cx, &owner, &input.access_key_id)?;
        Ok((
            vec![Mutation::DeleteAccessKey {
                account: key.account,
                id: key.id.clone(),
            }],
            (),
        ))
    })
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct LastUsedInput {
    access_key_id: String,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct WireLastUsed {
    #[serde(skip_serializing_if = "Option::is_none")]
    last_used_date: Option<String>,
    service_name: String,
    region: String,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct LastUsedOutput {
    #[serde(skip_serializing_if = "Option::is_none")]
    user_name: Option<String>,
    access_key_last_used: WireLastUsed,
}

pub(super) fn get_access_key_last_used(
    cx: &Cx<'_>,
    input: LastUsedInput,
) -> Result<LastUsedOutput, Error> {
    cx.service.read(|state| {
        let account = account(cx, state)?;
        let key = account.access_keys.get(&input.access_key_id);
        let user = key
            .and_then(|k| k.user.as_deref())
            .and_then(|id| account.user_by_id(id));
        let arn = match user {
            Some(user) => super::users::user_arn(user),
            None => Arn::root(&cx.caller.account).build(),
        };
        cx.authorize(
            state,
            Action::GetAccessKeyLastUsed.iam_action(),
            &arn,
            user.map(|u| u.tags.as_slice()).unwrap_or_default(),
            &[],
        )?;
        let key = key.ok_or_else(|| no_such_key(&input.access_key_id))?;
        let last = cx
            .service
            .usage
            .pending_key(&key.id)
            .or_else(|| key.last_used.clone());
        let last = last.as_ref();
        Ok(LastUsedOutput {
            user_name: user.map(|u| u.name.to_string()),
            access_key_last_used: WireLastUsed {
                last_used_date: last.map(|l| iso8601(l.date)),
                service_name: last.map_or_else(|| "N/A".to_owned(), |l| l.service.clone()),
                region: last.map_or_else(|| "N/A".to_owned(), |l| l.region.clone()),
            },
        })
    })
}
