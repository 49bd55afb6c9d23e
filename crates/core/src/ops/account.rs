//! The account as a whole: its alias (CreateAccountAlias, DeleteAccountAlias,
//! ListAccountAliases), GetAccountSummary, and GetAccountAuthorizationDetails.
//!
//! These act on the account rather than on an entity, so they are authorized on `*`.

mod details;

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use warden_policy::limits;

use super::users::account;
use super::{KEYS_PER_USER, paginate};
use crate::action::Action;
use crate::arn::EntityKind;
use crate::error::Error;
use crate::managed::AWS_ACCOUNT;
use crate::service::Cx;
use crate::state::{AccountState, Mutation, State};

pub(super) use details::get_account_authorization_details;

const ALIAS_PATTERN: &str = "^[a-z0-9]([a-z0-9]|-(?!-)){1,61}[a-z0-9]$";

/// Checks an alias against AWS's pattern: 3–63 lowercase letters, digits and single dashes,
/// starting and ending with a letter or digit.
fn check_alias(alias: &str) -> Result<(), Error> {
    let valid = (3..=63).contains(&alias.len())
        && alias
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !alias.starts_with('-')
        && !alias.ends_with('-')
        && !alias.contains("--");
    if valid {
        Ok(())
    } else {
        Err(Error::ValidationError(format!(
            "1 validation error detected: Value '{alias}' at 'accountAlias' failed to satisfy constraint: Member must satisfy regular expression pattern: {ALIAS_PATTERN}"
        )))
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct AliasInput {
    account_alias: String,
}

/// The caller's account record, which every account state created by Warden has.
fn account_record<'s>(cx: &Cx<'_>, state: &'s State) -> Result<&'s crate::model::Account, Error> {
    account(cx, state)?
        .account
        .as_ref()
        .ok_or_else(|| Error::Internal(format!("account {} has no record", cx.caller.account)))
}

pub(super) fn create_account_alias(cx: &Cx<'_>, input: AliasInput) -> Result<(), Error> {
    cx.service.write(|state| {
        cx.authorize(
            state,
            Action::CreateAccountAlias.iam_action(),
            "*",
            &[],
            &[],
        )?;
        check_alias(&input.account_alias)?;
        let taken = state
            .accounts
            .values()
            .filter_map(|a| a.account.as_ref())
            .any(|a| {
                a.id != cx.caller.account
                    && a.alias.as_deref() == Some(input.account_alias.as_str())
            });
        if taken {
            return Err(Error::EntityAlreadyExists(format!(
                "The account alias {} already exists.",
                input.account_alias
            )));
        }
        // An account has one alias: a new one replaces the old, as on AWS.
        let mut updated = account_record(cx, state)?.clone();
        updated.alias = Some(input.account_alias.clone());
        Ok((vec![Mutation::Account(updated)], ()))
    })
}

pub(super) fn delete_account_alias(cx: &Cx<'_>, input: AliasInput) -> Result<(), Error> {
    cx.service.write(|state| {
        cx.authorize(
            state,
            Action::DeleteAccountAlias.iam_action(),
            "*",
            &[],
            &[],
        )?;
        let record = account_record(cx, state)?;
        if record.alias.as_deref() != Some(input.account_alias.as_str()) {
            return Err(Error::NoSuchEntity(format!(
                "The account alias {} cannot be found.",
                input.account_alias
            )));
        }
        let mut updated = record.clone();
        updated.alias = None;
        Ok((vec![Mutation::Account(updated)], ()))
    })
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct ListAliasesInput {
    marker: Option<String>,
    max_items: Option<i64>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct ListAliasesOutput {
    account_aliases: Vec<String>,
    is_truncated: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    marker: Option<String>,
}

pub(super) fn list_account_aliases(
    cx: &Cx<'_>,
    input: ListAliasesInput,
) -> Result<ListAliasesOutput, Error> {
    cx.service.read(|state| {
        cx.authorize(
            state,
            Action::ListAccountAliases.iam_action(),
            "*",
            &[],
            &[],
        )?;
        let aliases = account_record(cx, state)?
            .alias
            .iter()
            .map(|a| (a.clone(), a.clone()));
        let page = paginate(cx, &[], aliases, input.marker.as_deref(), input.max_items)?;
        Ok(ListAliasesOutput {
            is_truncated: page.is_truncated(),
            account_aliases: page.items,
            marker: page.marker,
        })
    })
}

#[derive(Deserialize)]
pub(super) struct Empty {}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct SummaryOutput {
    summary_map: BTreeMap<&'static str, u64>,
}

/// AWS's default quotas, as GetAccountSummary reports them.
const QUOTAS: &[(&str, usize)] = &[
    ("UsersQuota", 5000),
    ("GroupsQuota", 300),
    ("RolesQuota", 1000),
    ("PoliciesQuota", 1500),
    ("InstanceProfilesQuota", 1000),
    ("ServerCertificatesQuota", 20),
    ("GroupsPerUserQuota", 10),
    ("AttachedPoliciesPerUserQuota", 10),
    ("AttachedPoliciesPerGroupQuota", 10),
    ("AttachedPoliciesPerRoleQuota", 10),
    ("AccessKeysPerUserQuota", KEYS_PER_USER),
    ("SigningCertificatesPerUserQuota", 2),
    ("VersionsPerPolicyQuota", 5),
    ("PolicyVersionsInUseQuota", 10_000),
    ("PolicySizeQuota", limits::MANAGED_POLICY),
    ("UserPolicySizeQuota", limits::USER_INLINE_POLICIES),
    ("GroupPolicySizeQuota", limits::GROUP_INLINE_POLICIES),
    ("RolePolicySizeQuota", limits::ROLE_INLINE_POLICIES),
    ("AssumeRolePolicySizeQuota", limits::TRUST_POLICY),
    ("GlobalEndpointTokenVersion", 1),
];

fn count(n: usize) -> u64 {
    u64::try_from(n).unwrap_or(u64::MAX)
}

/// Versions of the account's own policies, plus the AWS managed policies it uses.
fn policy_versions_in_use(account: &AccountState) -> usize {
    let own: usize = account.policies.iter().map(|p| p.versions.len()).sum();
    let aws_prefix = EntityKind::Policy.arn_prefix(AWS_ACCOUNT);
    let attached = account.users.iter().map(|u| &u.attached);
    let attached = attached
        .chain(account.groups.iter().map(|g| &g.attached))
        .chain(account.roles.iter().map(|r| &r.attached));
    let aws: BTreeSet<&String> = attached
        .flatten()
        .filter(|arn| arn.starts_with(&aws_prefix))
        .collect();
    own + aws.len()
}

pub(super) fn get_account_summary(cx: &Cx<'_>, _: Empty) -> Result<SummaryOutput, Error> {
    cx.service.read(|state| {
        cx.authorize(state, Action::GetAccountSummary.iam_action(), "*", &[], &[])?;
        let account = account(cx, state)?;
        let mut map: BTreeMap<&'static str, u64> =
            QUOTAS.iter().map(|(k, v)| (*k, count(*v))).collect();
        map.extend([
            ("Users", count(account.users.len())),
            ("Groups", count(account.groups.len())),
            ("Roles", count(account.roles.len())),
            ("Policies", count(account.policies.len())),
            ("InstanceProfiles", count(account.instance_profiles.len())),
            (
                "PolicyVersionsInUse",
                count(policy_versions_in_use(account)),
            ),
            (
                "AccountAccessKeysPresent",
                u64::from(account.keys_of(None).next().is_some()),
            ),
            (
                "AccountMFAEnabled",
                u64::from(
                    account
                        .mfa_devices_of(crate::model::MfaDevice::ROOT)
                        .next()
                        .is_some(),
                ),
            ),
            (
                "AccountPasswordPresent",
                u64::from(account.root_password.is_some()),
            ),
            ("AccountSigningCertificatesPresent", 0),
            ("MFADevices", count(account.mfa_devices.len())),
            (
                "MFADevicesInUse",
                count(
                    account
                        .mfa_devices
                        .values()
                        .filter(|d| d.user.is_some())
                        .count(),
                ),
            ),
            ("ServerCertificates", 0),
            ("Providers", 0),
        ]);
        Ok(SummaryOutput { summary_map: map })
    })
}
