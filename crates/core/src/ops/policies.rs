//! Managed policies: CreatePolicy, GetPolicy, ListPolicies, DeletePolicy, and what the
//! version and attachment operations share: resolving a policy ARN the caller may see,
//! authorizing on it, and counting where it is used.
//!
//! A caller sees its own account's policies and AWS's (account `aws`); AWS managed
//! policies are readable by anyone allowed the action and never modifiable.

mod usage;

use serde::{Deserialize, Serialize};
use warden_policy::{ContextValue, PolicyKind, Version};

use super::users::account;
use super::{WireTag, paginate, tags_from_wire, under_prefix, wire_tags};
use crate::action::Action;
use crate::arn::{Arn, EntityKind};
use crate::authz::{Resource, no_resource_policy, parse_document, request_tag_keys};
use crate::error::Error;
use crate::ids::{Prefix, unique_id};
use crate::managed::AWS_ACCOUNT;
use crate::model::{Document, EntityName, EntityPath, ManagedPolicy, PolicyVersion, Tag};
use crate::service::Cx;
use crate::state::{Mutation, State};
use crate::time::iso8601;

pub(super) use usage::list_entities_for_policy;
use usage::{Usage, UsageFilter, usages};

pub(crate) fn policy_arn(policy: &ManagedPolicy) -> String {
    Arn::policy(&policy.account, &policy.path, &policy.name).build()
}

impl Resource for ManagedPolicy {
    fn arn(&self) -> String {
        policy_arn(self)
    }

    fn tags(&self) -> &[Tag] {
        &self.tags
    }

    /// AWS's denials name a managed policy `policy ARN`.
    fn shown(arn: &str) -> String {
        format!("policy {arn}")
    }
}

/// The managed policy `arn` names, if the caller may see it (its own account's or AWS's).
/// The path must be the policy's; the name is found case-insensitively, as IAM finds names,
/// so callers act on (and authorize) the policy's own ARN, [`policy_arn`].
fn visible<'s>(cx: &Cx<'_>, state: &'s State, arn: &str) -> Option<&'s ManagedPolicy> {
    state
        .managed_policy(arn)
        .filter(|p| p.account == cx.caller.account || p.account == AWS_ACCOUNT)
}

/// The managed policy `arn` names, if the caller may see it; InvalidInput if `arn` is not a
/// policy ARN at all. For operations authorized on something else (attaching it to a user).
pub(crate) fn visible_policy<'s>(
    cx: &Cx<'_>,
    state: &'s State,
    arn: &str,
) -> Result<Option<&'s ManagedPolicy>, Error> {
    check_policy_arn(arn)?;
    Ok(visible(cx, state, arn))
}

/// The ARN a policy ARN from a request stands for: the policy's own ARN when `arn` names a
/// policy the caller may see, else `arn` as given. For context keys (`iam:PolicyARN`), which
/// policies compare case-sensitively.
pub(crate) fn known_policy_arn(cx: &Cx<'_>, state: &State, arn: &str) -> String {
    visible(cx, state, arn).map_or_else(|| arn.to_owned(), policy_arn)
}

/// Authorizes `action` on the policy `arn` names, then yields it: `None` when there is no
/// such policy for this caller. An existing policy is authorized on its own ARN, whatever
/// case `arn` spells its name in; a missing one on `arn`, before anything tells the caller
/// it is missing.
pub(crate) fn authorized_policy<'s>(
    cx: &Cx<'_>,
    state: &'s State,
    action: &str,
    arn: &str,
    extra: &[(String, ContextValue)],
) -> Result<Option<&'s ManagedPolicy>, Error> {
    let policy = cx.authorize_resolved(state, action, visible(cx, state, arn), arn, extra)?;
    check_policy_arn(arn)?;
    Ok(policy)
}

/// [`Cx::authorize`] on the ARN of a policy to be created; AWS's denials name such a resource
/// `policy ARN`.
fn authorize_on_policy(
    cx: &Cx<'_>,
    state: &State,
    action: &str,
    arn: &str,
    extra: &[(String, ContextValue)],
) -> Result<(), Error> {
    cx.authorize_resolved::<ManagedPolicy>(state, action, None, arn, extra)?;
    Ok(())
}

/// An AccessDenied that names `resource` as AWS's message shows it.
fn shown_as(error: Error, resource: &str, shown: &str) -> Error {
    match error {
        Error::AccessDenied(message) => Error::AccessDenied(message.replacen(
            &format!("on resource: {resource}"),
            &format!("on resource: {shown}"),
            1,
        )),
        other => other,
    }
}

/// A policy ARN must have IAM's shape: `arn:aws:iam::ACCOUNT:policy/…/NAME`, the account
/// 12 digits or `aws`.
fn check_policy_arn(arn: &str) -> Result<(), Error> {
    match Arn::parse(arn) {
        Ok(Arn::Entity {
            kind: EntityKind::Policy,
            ..
        }) => Ok(()),
        _ => Err(Error::InvalidInput(format!("ARN {arn} is not valid."))),
    }
}

/// GetPolicy's and DeletePolicy's answer for a policy that is not there.
pub(crate) fn not_found(arn: &str) -> Error {
    Error::NoSuchEntity(format!("Policy {arn} was not found."))
}

/// Changes are refused for AWS managed policies: they belong to another account, and no
/// resource policy lets anyone change them.
pub(crate) fn check_modifiable(
    cx: &Cx<'_>,
    state: &State,
    action: &str,
    policy: &ManagedPolicy,
) -> Result<(), Error> {
    if policy.account != AWS_ACCOUNT {
        return Ok(());
    }
    let caller = cx.caller_policies(state)?.principal.arn;
    let shown = format!("policy {}", policy_arn(policy));
    Err(no_resource_policy(&caller, action, &shown))
}

/// A managed policy document: it must parse, fit 6,144 characters, and use the current
/// policy language version.
pub(crate) fn managed_document(text: &str) -> Result<Document, Error> {
    let document = parse_document(text, PolicyKind::Identity)?;
    if document.policy.version() != Version::V2012 {
        return Err(Error::MalformedPolicyDocument(
            "Policy document must be version 2012-10-17 or greater.".to_owned(),
        ));
    }
    Ok(document)
}

/// The `Policy` structure of IAM's responses.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct WirePolicy {
    policy_name: String,
    policy_id: String,
    arn: String,
    path: String,
    default_version_id: String,
    attachment_count: usize,
    permissions_boundary_usage_count: usize,
    is_attachable: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<String>,
    create_date: String,
    update_date: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    tags: Vec<WireTag>,
}

impl WirePolicy {
    /// `with_details`: GetPolicy and CreatePolicy show the description and tags; lists do not.
    fn new(policy: &ManagedPolicy, usage: Usage, with_details: bool) -> WirePolicy {
        WirePolicy {
            policy_name: policy.name.to_string(),
            policy_id: policy.id.to_string(),
            arn: policy_arn(policy),
            path: policy.path.to_string(),
            default_version_id: policy.default_version.clone(),
            attachment_count: usage.attachments,
            permissions_boundary_usage_count: usage.boundaries,
            is_attachable: true,
            description: with_details.then(|| policy.description.clone()).flatten(),
            create_date: iso8601(policy.created),
            update_date: iso8601(policy.updated),
            tags: if with_details {
                wire_tags(&policy.tags)
            } else {
                Vec::new()
            },
        }
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct CreatePolicyInput {
    policy_name: String,
    path: Option<String>,
    policy_document: String,
    description: Option<String>,
    #[serde(default)]
    tags: Vec<WireTag>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct PolicyOutput {
    policy: WirePolicy,
}

pub(super) fn create_policy(cx: &Cx<'_>, input: CreatePolicyInput) -> Result<PolicyOutput, Error> {
    let path = input.path.unwrap_or_else(|| "/".to_owned());
    let tags = tags_from_wire(&input.tags)?;
    cx.service.write(|state| {
        let arn = Arn::policy(&cx.caller.account, &path, &input.policy_name).build();
        authorize_on_policy(
            cx,
            state,
            Action::CreatePolicy.iam_action(),
            &arn,
            &request_tag_keys(&tags),
        )?;
        let path = EntityPath::for_policy(&path)?;
        if account(cx, state)?.policy(&input.policy_name).is_some() {
            return Err(Error::EntityAlreadyExists(format!(
                "A policy called {} already exists. Duplicate names are not allowed.",
                input.policy_name
            )));
        }
        let document = managed_document(&input.policy_document)?;
        let now = cx.service.now();
        let policy = ManagedPolicy {
            id: unique_id(cx.service.random(), Prefix::Policy)?,
            account: cx.caller.account.to_string(),
            name: EntityName::new(&input.policy_name),
            path: path.clone(),
            created: now,
            updated: now,
            description: input.description.clone().filter(|d| !d.is_empty()),
            default_version: "v1".to_owned(),
            versions: vec![PolicyVersion {
                id: "v1".to_owned(),
                document,
                created: now,
            }],
            next_version: 2,
            tags: tags.clone(),
        };
        let output = PolicyOutput {
            policy: WirePolicy::new(&policy, Usage::default(), true),
        };
        Ok((vec![Mutation::Policy(policy)], output))
    })
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct PolicyArnInput {
    policy_arn: String,
}

pub(super) fn get_policy(cx: &Cx<'_>, input: PolicyArnInput) -> Result<PolicyOutput, Error> {
    cx.service.read(|state| {
        let policy = authorized_policy(
            cx,
            state,
            Action::GetPolicy.iam_action(),
            &input.policy_arn,
            &[],
        )?
        .ok_or_else(|| not_found(&input.policy_arn))?;
        let usages = usages(account(cx, state)?);
        let usage = usages
            .get(policy_arn(policy).as_str())
            .copied()
            .unwrap_or_default();
        Ok(PolicyOutput {
            policy: WirePolicy::new(policy, usage, true),
        })
    })
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct ListPoliciesInput {
    scope: Option<String>,
    only_attached: Option<bool>,
    path_prefix: Option<String>,
    policy_usage_filter: Option<String>,
    marker: Option<String>,
    max_items: Option<i64>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct ListPoliciesOutput {
    policies: Vec<WirePolicy>,
    is_truncated: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    marker: Option<String>,
}

pub(super) fn list_policies(
    cx: &Cx<'_>,
    input: ListPoliciesInput,
) -> Result<ListPoliciesOutput, Error> {
    cx.service.read(|state| {
        // AWS's denial names the path listed: "policy path /".
        let arn = EntityKind::Policy.arn_prefix(&cx.caller.account);
        let shown = format!("policy path {}", input.path_prefix.as_deref().unwrap_or("/"));
        cx.authorize(state, Action::ListPolicies.iam_action(), &arn, &[], &[])
            .map_err(|e| shown_as(e, &arn, &shown))?;
        let accounts: &[&str] = match input.scope.as_deref() {
            None | Some("All") => &[AWS_ACCOUNT, &cx.caller.account],
            Some("AWS") => &[AWS_ACCOUNT],
            Some("Local") => &[&cx.caller.account],
            Some(other) => {
                return Err(Error::ValidationError(format!(
                    "1 validation error detected: Value '{other}' at 'scope' failed to satisfy constraint: Member must satisfy enum value set: [All, AWS, Local]"
                )));
            }
        };
        let usages = usages(account(cx, state)?);
        let filter = UsageFilter::parse(input.policy_usage_filter.as_deref())?;
        let mut policies = Vec::new();
        for policy in accounts
            .iter()
            .filter_map(|a| state.account(a))
            .flat_map(|a| a.policies.iter())
        {
            let arn = policy_arn(policy);
            let usage = usages.get(arn.as_str()).copied().unwrap_or_default();
            if !under_prefix(&policy.path, input.path_prefix.as_deref())
                || (input.only_attached == Some(true) && !filter.in_use(usage))
            {
                continue;
            }
            // AWS's and the account's policies may share a name; the account breaks the tie.
            let key = format!("{}\u{1}{}", policy.name.folded(), policy.account);
            policies.push((key, WirePolicy::new(policy, usage, false)));
        }
        policies.sort_by(|a, b| a.0.cmp(&b.0));
        let scope = [
            input.scope.as_deref().unwrap_or("All"),
            input.path_prefix.as_deref().unwrap_or_default(),
            if input.only_attached == Some(true) { "attached" } else { "" },
            input.policy_usage_filter.as_deref().unwrap_or_default(),
        ];
        let page = paginate(cx, &scope, policies, input.marker.as_deref(), input.max_items)?;
        Ok(ListPoliciesOutput {
            is_truncated: page.is_truncated(),
            policies: page.items,
            marker: page.marker,
        })
    })
}

pub(super) fn delete_policy(cx: &Cx<'_>, input: PolicyArnInput) -> Result<(), Error> {
    cx.service.write(|state| {
        let policy = authorized_policy(cx, state, Action::DeletePolicy.iam_action(), &input.policy_arn, &[])?
            .ok_or_else(|| not_found(&input.policy_arn))?;
        check_modifiable(cx, state, Action::DeletePolicy.iam_action(), policy)?;
        let usage = usages(account(cx, state)?)
            .get(policy_arn(policy).as_str())
            .copied()
            .unwrap_or_default();
        if usage.attachments > 0 || usage.boundaries > 0 {
            return Err(Error::DeleteConflict("Cannot delete a policy attached to entities.".to_owned()));
        }
        if policy.versions.len() > 1 {
            return Err(Error::DeleteConflict(
                "This policy has more than one version. Before you delete a policy, you must delete the policy's versions. The default version is deleted with the policy.".to_owned(),
            ));
        }
        Ok((
            vec![Mutation::DeletePolicy {
                account: policy.account.clone(),
                id: policy.id.clone(),
            }],
            (),
        ))
    })
}
