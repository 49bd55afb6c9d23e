//! Managed policy versions: CreatePolicyVersion, GetPolicyVersion, ListPolicyVersions,
//! DeletePolicyVersion, SetDefaultPolicyVersion. The default version is the one in force,
//! from the next request on.

use serde::{Deserialize, Serialize};

use super::paginate;
use super::policies::{authorized_policy, check_modifiable, managed_document, not_found};
use crate::action::Action;
use crate::error::Error;
use crate::model::{ManagedPolicy, PolicyVersion};
use crate::service::Cx;
use crate::state::{Mutation, State};
use crate::time::iso8601;

/// AWS's quota of versions kept per managed policy.
pub(crate) const VERSIONS_PER_POLICY: usize = 5;

/// The `PolicyVersion` structure of IAM's responses; only GetPolicyVersion shows the
/// document (as stored; the edge URL-encodes it).
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct WireVersion {
    #[serde(skip_serializing_if = "Option::is_none")]
    document: Option<String>,
    version_id: String,
    is_default_version: bool,
    create_date: String,
}

impl WireVersion {
    fn new(policy: &ManagedPolicy, version: &PolicyVersion, with_document: bool) -> WireVersion {
        WireVersion {
            document: with_document.then(|| version.document.text.clone()),
            version_id: version.id.clone(),
            is_default_version: version.id == policy.default_version,
            create_date: iso8601(version.created),
        }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct VersionOutput {
    policy_version: WireVersion,
}

/// The policy `arn` after authorizing `action` on it.
fn policy<'s>(
    cx: &Cx<'_>,
    state: &'s State,
    action: &str,
    arn: &str,
) -> Result<&'s ManagedPolicy, Error> {
    authorized_policy(cx, state, action, arn, &[])?.ok_or_else(|| not_found(arn))
}

fn version<'p>(policy: &'p ManagedPolicy, arn: &str, id: &str) -> Result<&'p PolicyVersion, Error> {
    policy.versions.iter().find(|v| v.id == id).ok_or_else(|| {
        Error::NoSuchEntity(format!(
            "Policy {arn} version {id} does not exist or is not attachable."
        ))
    })
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct CreatePolicyVersionInput {
    policy_arn: String,
    policy_document: String,
    #[serde(default)]
    set_as_default: bool,
}

pub(super) fn create_policy_version(
    cx: &Cx<'_>,
    input: CreatePolicyVersionInput,
) -> Result<VersionOutput, Error> {
    cx.service.write(|state| {
        let policy = policy(cx, state, Action::CreatePolicyVersion.iam_action(), &input.policy_arn)?;
        check_modifiable(cx, state, Action::CreatePolicyVersion.iam_action(), policy)?;
        let document = managed_document(&input.policy_document)?;
        if policy.versions.len() >= VERSIONS_PER_POLICY {
            return Err(Error::LimitExceeded(format!(
                "A managed policy can have up to {VERSIONS_PER_POLICY} versions. Before you create a new version, you must delete an existing version."
            )));
        }
        let now = cx.service.now();
        let mut updated = policy.clone();
        let version = PolicyVersion {
            id: format!("v{}", updated.next_version),
            document,
            created: now,
        };
        updated.next_version += 1;
        updated.updated = now;
        if input.set_as_default {
            updated.default_version = version.id.clone();
        }
        let output = VersionOutput {
            policy_version: WireVersion::new(&updated, &version, false),
        };
        updated.versions.push(version);
        Ok((vec![Mutation::Policy(updated)], output))
    })
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct VersionInput {
    policy_arn: String,
    version_id: String,
}

pub(super) fn get_policy_version(cx: &Cx<'_>, input: VersionInput) -> Result<VersionOutput, Error> {
    cx.service.read(|state| {
        let policy = policy(
            cx,
            state,
            Action::GetPolicyVersion.iam_action(),
            &input.policy_arn,
        )?;
        let version = version(policy, &input.policy_arn, &input.version_id)?;
        Ok(VersionOutput {
            policy_version: WireVersion::new(policy, version, true),
        })
    })
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct ListPolicyVersionsInput {
    policy_arn: String,
    marker: Option<String>,
    max_items: Option<i64>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct ListPolicyVersionsOutput {
    versions: Vec<WireVersion>,
    is_truncated: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    marker: Option<String>,
}

/// The number of a version id (`v12` → 12).
fn number(id: &str) -> u32 {
    id.get(1..).and_then(|n| n.parse().ok()).unwrap_or(0)
}

pub(super) fn list_policy_versions(
    cx: &Cx<'_>,
    input: ListPolicyVersionsInput,
) -> Result<ListPolicyVersionsOutput, Error> {
    cx.service.read(|state| {
        let policy = policy(
            cx,
            state,
            Action::ListPolicyVersions.iam_action(),
            &input.policy_arn,
        )?;
        // Newest first, as AWS lists them.
        let mut versions: Vec<(String, &PolicyVersion)> = policy
            .versions
            .iter()
            .map(|v| (format!("{:010}", u32::MAX - number(&v.id)), v))
            .collect();
        versions.sort_by(|a, b| a.0.cmp(&b.0));
        let page = paginate(
            cx,
            &[&policy.id],
            versions,
            input.marker.as_deref(),
            input.max_items,
        )?;
        Ok(ListPolicyVersionsOutput {
            is_truncated: page.is_truncated(),
            versions: page
                .items
                .iter()
                .map(|v| WireVersion::new(policy, v, false))
                .collect(),
            marker: page.marker,
        })
    })
}

pub(super) fn delete_policy_version(cx: &Cx<'_>, input: VersionInput) -> Result<(), Error> {
    cx.service.write(|state| {
        let policy = policy(
            cx,
            state,
            Action::DeletePolicyVersion.iam_action(),
            &input.policy_arn,
        )?;
        check_modifiable(cx, state, Action::DeletePolicyVersion.iam_action(), policy)?;
        let version = version(policy, &input.policy_arn, &input.version_id)?;
        if version.id == policy.default_version {
            return Err(Error::DeleteConflict(
                "Cannot delete the default version of a policy.".to_owned(),
            ));
        }
        let mut updated = policy.clone();
        updated.versions.retain(|v| v.id != input.version_id);
        // UpdateDate is when the newest remaining version was created.
        updated.updated = updated
            .versions
            .iter()
            .map(|v| v.created)
            .max()
            .unwrap_or(updated.created);
        Ok((vec![Mutation::Policy(updated)], ()))
    })
}

pub(super) fn set_default_policy_version(cx: &Cx<'_>, input: VersionInput) -> Result<(), Error> {
    cx.service.write(|state| {
        let policy = policy(
            cx,
            state,
            Action::SetDefaultPolicyVersion.iam_action(),
            &input.policy_arn,
        )?;
        check_modifiable(
            cx,
            state,
            Action::SetDefaultPolicyVersion.iam_action(),
            policy,
        )?;
        let version = version(policy, &input.policy_arn, &input.version_id)?;
        if version.id == policy.default_version {
            return Ok((Vec::new(), ()));
        }
        let mut updated = policy.clone();
        updated.default_version = version.id.clone();
        Ok((vec![Mutation::Policy(updated)], ()))
    })
}
