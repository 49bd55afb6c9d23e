//! The policy simulator: SimulateCustomPolicy, SimulatePrincipalPolicy,
//! GetContextKeysForCustomPolicy and GetContextKeysForPrincipalPolicy, answered by the very
//! engine that enforces. [`crate::simulator`] maps their members and responses.
//!
//! SimulatePrincipalPolicy simulates the principal's own policies as enforcement gathers them
//! (a user's inline and attached policies and its groups'; a group's; a role's), reported by
//! name with botocore's `PolicySourceType` (`user`, `group`, `role`, `aws-managed`,
//! `user-managed`); PolicyInputList's follow them. Where AWS's documentation is silent:
//! - The principal's permissions boundary applies unless PermissionsBoundaryPolicyInputList
//!   gives one, and its statements are reported by the policy's name as a
//!   `Permissions Boundary Policy`, as an input boundary's are.
//! - The simulated caller (CallerArn, else the user PolicySourceArn names) brings the keys
//!   that follow from who it is, as enforcement derives them (`aws:username`, `aws:userid`,
//!   `aws:PrincipalArn`, `aws:PrincipalAccount`, `aws:PrincipalType`, `aws:PrincipalTag/…`);
//!   a ContextEntries value wins. Keys of the request itself (time, source IP, …) come only
//!   from ContextEntries: there is no request.
//! - A group or role simulated without CallerArn has no caller, as SimulateCustomPolicy
//!   without one.
//! - GetContextKeysForPrincipalPolicy lists the keys of the policies the simulation would
//!   evaluate: the principal's, its permissions boundary's, then PolicyInputList's.

mod principal;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::users::account;
use crate::action::Action;
use crate::error::Error;
use crate::service::Cx;
use crate::simulator::{Request, Response, context_key_names, input_policies};
use principal::Target;

pub(super) fn simulate_custom_policy(cx: &Cx<'_>, input: Value) -> Result<Response, Error> {
    cx.service.read(|state| {
        cx.authorize(
            state,
            Action::SimulateCustomPolicy.iam_action(),
            "*",
            &[],
            &[],
        )
    })?;
    Request::custom(&input)?.respond()
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct PolicySource {
    policy_source_arn: String,
}

pub(super) fn simulate_principal_policy(cx: &Cx<'_>, input: Value) -> Result<Response, Error> {
    let source = PolicySource::deserialize(&input)
        .map_err(|e| Error::ValidationError(format!("invalid request: {e}")))?;
    let target = Target::parse(&source.policy_source_arn)?;
    let request = cx.service.read(|state| {
        let entity = principal::authorized(
            cx,
            state,
            Action::SimulatePrincipalPolicy.iam_action(),
            &target,
        )?;
        let mut request = Request::read(&input)?;
        principal::prepare(cx, state, entity, &mut request)?;
        Ok(request)
    })?;
    request.respond()
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct CustomKeysInput {
    #[serde(default)]
    policy_input_list: Vec<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct PrincipalKeysInput {
    policy_source_arn: String,
    #[serde(default)]
    policy_input_list: Vec<String>,
}

/// GetContextKeysForPolicyResponse.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct ContextKeysOutput {
    context_key_names: Vec<String>,
}

pub(super) fn context_keys_for_custom_policy(
    cx: &Cx<'_>,
    input: CustomKeysInput,
) -> Result<ContextKeysOutput, Error> {
    cx.service.read(|state| {
        cx.authorize(
            state,
            Action::GetContextKeysForCustomPolicy.iam_action(),
            "*",
            &[],
            &[],
        )
    })?;
    let policies = input_policies(&input.policy_input_list)?;
    Ok(ContextKeysOutput {
        context_key_names: context_key_names(policies.iter().map(|p| p.policy.as_ref())),
    })
}

pub(super) fn context_keys_for_principal_policy(
    cx: &Cx<'_>,
    input: PrincipalKeysInput,
) -> Result<ContextKeysOutput, Error> {
    let target = Target::parse(&input.policy_source_arn)?;
    cx.service.read(|state| {
        let entity = principal::authorized(
            cx,
            state,
            Action::GetContextKeysForPrincipalPolicy.iam_action(),
            &target,
        )?;
        let inputs = input_policies(&input.policy_input_list)?;
        let (own, boundary) = entity.policies(state, account(cx, state)?);
        let policies = own
            .iter()
            .chain(&boundary)
            .map(|p| p.policy.as_ref())
            .chain(inputs.iter().map(|p| p.policy.as_ref()));
        Ok(ContextKeysOutput {
            context_key_names: context_key_names(policies),
        })
    })
}
