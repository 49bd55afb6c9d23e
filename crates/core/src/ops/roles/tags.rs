//! Role tags: TagRole, UntagRole, ListRoleTags.

use serde::Deserialize;

use super::authorized_role;
use crate::action::Action;
use crate::authz::request_tag_keys;
use crate::error::Error;
use crate::ops::tags::{ListTagsOutput, list_tags, remove_tags, untag_context};
use crate::ops::{WireTag, merge_tags, tags_from_wire};
use crate::service::Cx;
use crate::state::Mutation;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(in crate::ops) struct TagRoleInput {
    role_name: String,
    #[serde(default)]
    tags: Vec<WireTag>,
}

pub(in crate::ops) fn tag_role(cx: &Cx<'_>, input: TagRoleInput) -> Result<(), Error> {
    let tags = tags_from_wire(&input.tags)?;
    cx.service.write(|state| {
        let role = authorized_role(
            cx,
            state,
            Action::TagRole.iam_action(),
            &input.role_name,
            &request_tag_keys(&tags),
        )?;
        let mut updated = role.clone();
        updated.tags = merge_tags(&role.tags, tags.clone())?;
        Ok((vec![Mutation::Role(updated)], ()))
    })
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(in crate::ops) struct UntagRoleInput {
    role_name: String,
    #[serde(default)]
    tag_keys: Vec<String>,
}

pub(in crate::ops) fn untag_role(cx: &Cx<'_>, input: UntagRoleInput) -> Result<(), Error> {
    cx.service.write(|state| {
        let extra = untag_context(&input.tag_keys);
        let role = authorized_role(
            cx,
            state,
            Action::UntagRole.iam_action(),
            &input.role_name,
            &extra,
        )?;
        let mut updated = role.clone();
        updated.tags = remove_tags(&role.tags, &input.tag_keys);
        Ok((vec![Mutation::Role(updated)], ()))
    })
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(in crate::ops) struct ListRoleTagsInput {
    role_name: String,
    marker: Option<String>,
    max_items: Option<i64>,
}

pub(in crate::ops) fn list_role_tags(
    cx: &Cx<'_>,
    input: ListRoleTagsInput,
) -> Result<ListTagsOutput, Error> {
    cx.service.read(|state| {
        let role = authorized_role(
            cx,
            state,
            Action::ListRoleTags.iam_action(),
            &input.role_name,
            &[],
        )?;
        list_tags(
            cx,
            &role.id,
            &role.tags,
            input.marker.as_deref(),
            input.max_items,
        )
    })
}
