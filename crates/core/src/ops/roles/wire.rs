//! The `Role` structure of IAM's responses, in the views AWS's operations use.

use serde::Serialize;

use super::role_arn;
use crate::model::Role;
use crate::ops::users::WireBoundary;
use crate::ops::{WireTag, wire_tags};
use crate::time::iso8601;

/// How much of a role a response shows.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum RoleView {
    /// GetRole: everything, RoleLastUsed included.
    Full,
    /// CreateRole and updates: everything but RoleLastUsed.
    Written,
    /// ListRoles: no boundary, tags or RoleLastUsed (AWS's list operations leave them out).
    Listed,
    /// Inside an instance profile: the role's identity and trust policy, as AWS shows it.
    Embedded,
}

/// The `Role` structure of IAM's responses.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct WireRole {
    path: String,
    role_name: String,
    role_id: String,
    arn: String,
    create_date: String,
    assume_role_policy_document: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    max_session_duration: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    permissions_boundary: Option<WireBoundary>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    tags: Vec<WireTag>,
    #[serde(skip_serializing_if = "Option::is_none")]
    role_last_used: Option<WireRoleLastUsed>,
}

/// `RoleLastUsed`: empty when the role has never been used, as on AWS.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct WireRoleLastUsed {
    #[serde(skip_serializing_if = "Option::is_none")]
    last_used_date: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    region: Option<String>,
}

impl WireRoleLastUsed {
    pub(crate) fn new(role: &Role) -> WireRoleLastUsed {
        WireRoleLastUsed {
            last_used_date: role.last_used.as_ref().map(|l| iso8601(l.date)),
            region: role.last_used.as_ref().map(|l| l.region.clone()),
        }
    }
}

impl WireRole {
    pub(crate) fn new(role: &Role, view: RoleView) -> WireRole {
        let details = matches!(view, RoleView::Full | RoleView::Written);
        WireRole {
            path: role.path.to_string(),
            role_name: role.name.to_string(),
            role_id: role.id.to_string(),
            arn: role_arn(role),
            create_date: iso8601(role.created),
            assume_role_policy_document: role.trust.text.clone(),
            description: if view == RoleView::Embedded {
                None
            } else {
                role.description.clone()
            },
            max_session_duration: (view != RoleView::Embedded).then_some(role.max_session_duration),
            permissions_boundary: if details {
                WireBoundary::new(&role.boundary)
            } else {
                None
            },
            tags: if details {
                wire_tags(&role.tags)
            } else {
                Vec::new()
            },
            role_last_used: (view == RoleView::Full).then(|| WireRoleLastUsed::new(role)),
        }
    }
}
