//! The IAM policy simulator's requests and responses, shared by the SimulateCustomPolicy and
//! SimulatePrincipalPolicy operations and by `warden policy simulate`: the request members,
//! as the wire model decodes them, become a [`Simulation`] (or IAM's InvalidInput), and its
//! results become the `SimulatePolicyResponse` ([`Response`]).
//!
//! Where AWS's documentation is silent: a policy that does not parse is InvalidInput (the
//! operations list no MalformedPolicyDocument); a context entry needs a ContextKeyName and a
//! ContextKeyType, a single-valued type takes exactly one value, values must be readable as
//! their type, and a key may be given once; ResourceHandlingOption must be one of the four
//! documented EC2 scenarios, and is otherwise not acted on (Warden does not model EC2); the
//! Marker is the position of the next action's result.
//!
//! The work of one request is bounded, and AWS documents no bound of its own, so Warden sets
//! them: at most [`MAX_EVALUATIONS`] actions × resources, [`MAX_CONTEXT_ENTRIES`] context
//! entries of at most [`MAX_CONTEXT_VALUES`] values each (ValidationError beyond them, in
//! AWS's words for a list that is too long), and one action on all its resources may cost at
//! most [`MAX_PAGE_TESTS`] policy tests (LimitExceeded beyond it). Only the page asked for is
//! evaluated, and a page holds the actions that fit in [`MAX_PAGE_TESTS`] (IAM may answer
//! fewer than MaxItems results with IsTruncated), so a request costs its page, not its matrix.

mod response;
#[cfg(test)]
mod tests;

use std::collections::HashSet;
use std::sync::Arc;

use serde::Deserialize;
use serde_json::Value;
use warden_policy::simulate::{InputPolicy, Simulation, ValueType};
use warden_policy::{Arn, Context, ContextValue, Policy, PolicyKind, Principal, PrincipalKind};

use crate::error::Error;

pub use response::Response;

/// A simulation read from a request, how its results name the policies, and which page of
/// them to answer with.
#[derive(Debug)]
pub struct Request {
    pub simulation: Simulation,
    /// The index of the first action result to answer with (from `Marker`).
    pub start: usize,
    pub max_items: usize,
    labels: Vec<Label>,
}

/// A policy of the simulated principal, with the names results give it.
#[derive(Clone, Debug)]
pub struct OwnPolicy {
    /// Its id in the simulation, unique among the principal's policies.
    pub id: String,
    /// `SourcePolicyId`: the inline or managed policy's name.
    pub name: String,
    /// `SourcePolicyType`; `None` names it by its kind, as input policies are.
    pub source_type: Option<&'static str>,
    pub policy: Arc<Policy>,
}

/// How results name the statements of one policy of one kind.
#[derive(Clone, Debug)]
struct Label {
    id: String,
    kind: PolicyKind,
    name: String,
    source_type: Option<&'static str>,
}

/// The members both simulate operations take, as the wire model names them.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Input {
    #[serde(default)]
    policy_input_list: Vec<String>,
    #[serde(default)]
    permissions_boundary_policy_input_list: Vec<String>,
    #[serde(default)]
    action_names: Vec<String>,
    #[serde(default)]
    resource_arns: Vec<String>,
    resource_policy: Option<String>,
    resource_owner: Option<String>,
    caller_arn: Option<String>,
    #[serde(default)]
    context_entries: Vec<ContextEntry>,
    resource_handling_option: Option<String>,
    max_items: Option<i64>,
    marker: Option<String>,
}

/// One member of `ContextEntries`; every field is optional in the model.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ContextEntry {
    context_key_name: Option<String>,
    #[serde(default)]
    context_key_values: Vec<String>,
    context_key_type: Option<String>,
}

const DEFAULT_MAX_ITEMS: usize = 100;

/// The most evaluations (one action on one resource each) one simulation may ask for:
/// ActionNames times ResourceArns, or times one when it names no resource.
pub const MAX_EVALUATIONS: usize = 10_000;
/// The most ContextEntries one simulation may give.
pub const MAX_CONTEXT_ENTRIES: usize = 100;
/// The most ContextKeyValues one context entry may give.
pub const MAX_CONTEXT_VALUES: usize = 100;
/// The most policy tests ([`Simulation::evaluation_cost`] per resource) one page of results
/// may make; a single action over all its resources must fit.
pub const MAX_PAGE_TESTS: usize = 50_000;
const HANDLING_OPTIONS: [&str; 4] = [
    "EC2-VPC-InstanceStore",
    "EC2-VPC-InstanceStore-Subnet",
    "EC2-VPC-EBS",
    "EC2-VPC-EBS-Subnet",
];

impl Request {
    /// SimulateCustomPolicy's input: the shared members, and a caller for a resource policy.
    pub fn custom(input: &Value) -> Result<Request, Error> {
        let request = Request::read(input)?;
        if request.simulation.resource_policy.is_some() && request.simulation.caller.is_none() {
            return Err(invalid(
                "CallerArn is required when you include a ResourcePolicy, so that the policy's Principal element has a value to use in evaluating the policy.",
            ));
        }
        Ok(request)
    }

    /// The members SimulatePrincipalPolicy shares with SimulateCustomPolicy (other members
    /// are ignored), each checked by IAM's rules.
    pub fn read(input: &Value) -> Result<Request, Error> {
        let input = Input::deserialize(input)
            .map_err(|e| Error::ValidationError(format!("invalid request: {e}")))?;
        check_size(&input)?;
        if input.permissions_boundary_policy_input_list.len() > 1 {
            return Err(invalid(format!(
                "You can input only one permissions boundary in PermissionsBoundaryPolicyInputList; {} were given.",
                input.permissions_boundary_policy_input_list.len()
            )));
        }
        let mut simulation = Simulation {
            identity: input_policies(&input.policy_input_list)?,
            boundary: policies(
                "PermissionsBoundaryPolicyInputList",
                &input.permissions_boundary_policy_input_list,
                PolicyKind::Boundary,
            )?
            .pop(),
            ..Simulation::default()
        };
        if let Some(text) = &input.resource_policy {
            simulation.resource_policy =
                Some(policy("ResourcePolicy", text, PolicyKind::Resource)?);
        }
        for action in input.action_names {
            check_action(&action)?;
            simulation.actions.push(action);
        }
        for resource in input.resource_arns {
            if resource != "*" && Arn::parse(&resource).is_none() {
                return Err(invalid(format!(
                    "ResourceNames are not in a valid ARN format: {resource}."
                )));
            }
            simulation.resources.push(resource);
        }
        if let Some(arn) = &input.caller_arn {
            match Principal::from_arn(arn) {
                Some(caller) if caller.kind == PrincipalKind::User => {
                    simulation.caller = Some(caller)
                }
                _ => {
                    return Err(invalid(format!(
                        "Invalid CallerArn: {arn}. You can specify only the ARN of an IAM user."
                    )));
                }
            }
        }
        if let Some(arn) = &input.resource_owner {
            match Principal::from_arn(arn) {
                Some(owner) if owner.kind == PrincipalKind::Root => {
                    simulation.resource_owner = Some(owner.account);
                }
                _ => {
                    return Err(invalid(format!(
                        "'{arn}' is not a valid as a Resource Owner."
                    )));
                }
            }
        }
        if let Some(option) = &input.resource_handling_option
            && !HANDLING_OPTIONS.contains(&option.as_str())
        {
            return Err(invalid(format!(
                "Invalid ResourceHandlingOption: {option}. Valid values are {}.",
                HANDLING_OPTIONS.join(", ")
            )));
        }
        simulation.context = context(&input.context_entries)?;
        let start = match &input.marker {
            None => 0,
            Some(marker) => marker
                .parse::<usize>()
                .ok()
                .filter(|&at| at > 0 && at < simulation.actions.len())
                .ok_or_else(|| invalid(format!("Invalid Marker: {marker}.")))?,
        };
        let max_items = input.max_items.map_or(DEFAULT_MAX_ITEMS, |n| {
            usize::try_from(n).unwrap_or(DEFAULT_MAX_ITEMS)
        });
        Ok(Request {
            simulation,
            start,
            max_items,
            labels: Vec::new(),
        })
    }

    /// Adds the simulated principal's own policies: its identity-based ones ahead of
    /// PolicyInputList's, and its permissions boundary unless the input gave one.
    pub fn add_own(&mut self, identity: Vec<OwnPolicy>, boundary: Option<OwnPolicy>) {
        let mut own = Vec::with_capacity(identity.len());
        for policy in identity {
            own.push(self.label(policy, PolicyKind::Identity));
        }
        self.simulation.identity.splice(0..0, own);
        if self.simulation.boundary.is_none()
            && let Some(policy) = boundary
        {
            self.simulation.boundary = Some(self.label(policy, PolicyKind::Boundary));
        }
    }

    fn label(&mut self, own: OwnPolicy, kind: PolicyKind) -> InputPolicy {
        self.labels.push(Label {
            id: own.id.clone(),
            kind,
            name: own.name,
            source_type: own.source_type,
        });
        InputPolicy {
            id: own.id,
            policy: own.policy,
        }
    }

    /// Runs the simulation for the page of results asked for, and answers with it. The page
    /// holds at most MaxItems actions, and no more than fit in [`MAX_PAGE_TESTS`]; the actions
    /// outside it are not evaluated.
    pub fn respond(&self) -> Result<Response, Error> {
        let simulation = &self.simulation;
        let per_action = simulation
            .evaluation_cost()
            .saturating_mul(simulation.resource_count());
        if per_action > MAX_PAGE_TESTS {
            tracing::info!(
                tests_per_action = per_action,
                resources = simulation.resource_count(),
                limit = MAX_PAGE_TESTS,
                "simulation refused: one action on its resources would test its policies too many times"
            );
            return Err(Error::LimitExceeded(format!(
                "Cannot exceed quota for TestsPerSimulatedAction: {MAX_PAGE_TESTS}"
            )));
        }
        let fitting = MAX_PAGE_TESTS / per_action.max(1);
        let mut results = simulation.results(self.start);
        let page: Vec<_> = results.by_ref().take(self.max_items.min(fitting)).collect();
        let is_truncated = results.len() > 0;
        Ok(response::page(
            &page,
            self.start,
            is_truncated,
            results.evaluations(),
            &self.labels,
        ))
    }
}

/// PolicyInputList's policies, under the ids results report for them.
pub fn input_policies(texts: &[String]) -> Result<Vec<InputPolicy>, Error> {
    policies("PolicyInputList", texts, PolicyKind::Identity)
}

/// The context keys `policies` use, each once whatever its case, in order of first use
/// (GetContextKeysFor…Policy's ContextKeyNames).
pub fn context_key_names<'p>(policies: impl IntoIterator<Item = &'p Policy>) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    let mut seen: HashSet<String> = HashSet::new();
    for key in policies.into_iter().flat_map(Policy::context_keys) {
        if seen.insert(key.to_ascii_lowercase()) {
            names.push(key);
        }
    }
    names
}

/// Refuses a simulation bigger than Warden evaluates: too many actions × resources, context
/// entries or values of one entry. The message is AWS's for a list that is too long; the log
/// says which bound it was.
fn check_size(input: &Input) -> Result<(), Error> {
    let too_long = |member: &str, max: usize| {
        Error::ValidationError(format!(
            "1 validation error detected: Value at '{member}' failed to satisfy constraint: Member must have length less than or equal to {max}"
        ))
    };
    let actions = input.action_names.len();
    let resources = input.resource_arns.len().max(1);
    if actions > MAX_EVALUATIONS {
        tracing::info!(
            actions,
            limit = MAX_EVALUATIONS,
            "simulation refused: too many actions"
        );
        return Err(too_long("actionNames", MAX_EVALUATIONS));
    }
    if actions.saturating_mul(resources) > MAX_EVALUATIONS {
        tracing::info!(
            actions,
            resources,
            limit = MAX_EVALUATIONS,
            "simulation refused: actions × resources exceed the evaluations one simulation may ask for"
        );
        return Err(too_long("resourceArns", MAX_EVALUATIONS / actions.max(1)));
    }
    if input.context_entries.len() > MAX_CONTEXT_ENTRIES {
        tracing::info!(
            entries = input.context_entries.len(),
            limit = MAX_CONTEXT_ENTRIES,
            "simulation refused: too many context entries"
        );
        return Err(too_long("contextEntries", MAX_CONTEXT_ENTRIES));
    }
    for (i, entry) in input.context_entries.iter().enumerate() {
        if entry.context_key_values.len() > MAX_CONTEXT_VALUES {
            tracing::info!(
                values = entry.context_key_values.len(),
                limit = MAX_CONTEXT_VALUES,
                "simulation refused: too many values for one context key"
            );
            return Err(too_long(
                &format!("contextEntries.{}.member.contextKeyValues", i + 1),
                MAX_CONTEXT_VALUES,
            ));
        }
    }
    Ok(())
}

fn invalid(message: impl Into<String>) -> Error {
    Error::InvalidInput(message.into())
}

fn check_action(action: &str) -> Result<(), Error> {
    let named = action
        .split_once(':')
        .is_some_and(|(service, name)| !service.is_empty() && !name.is_empty());
    if named && !action.contains(['*', '?']) {
        return Ok(());
    }
    Err(invalid(format!(
        "Invalid action name: {action}. Action names take the form service:Action and cannot contain wildcards."
    )))
}

fn policies(list: &str, texts: &[String], kind: PolicyKind) -> Result<Vec<InputPolicy>, Error> {
    texts
        .iter()
        .enumerate()
        .map(|(i, text)| policy(&format!("{list}.{}", i + 1), text, kind))
        .collect()
}

fn policy(id: &str, text: &str, kind: PolicyKind) -> Result<InputPolicy, Error> {
    match Policy::parse(text, kind) {
        Ok(policy) => Ok(InputPolicy {
            id: id.to_owned(),
            policy: Arc::new(policy),
        }),
        Err(error) => Err(invalid(format!("{id} is not a valid policy: {error}"))),
    }
}

fn context(entries: &[ContextEntry]) -> Result<Context, Error> {
    let mut context = Context::new();
    for (i, entry) in entries.iter().enumerate() {
        let at = format!("ContextEntries.{}", i + 1);
        let Some(name) = &entry.context_key_name else {
            return Err(invalid(format!("{at} has no ContextKeyName.")));
        };
        let Some(kind) = &entry.context_key_type else {
            return Err(invalid(format!("{at} ({name}) has no ContextKeyType.")));
        };
        let (value_type, list) = value_type(kind);
        let values = &entry.context_key_values;
        if !list && values.len() != 1 {
            return Err(invalid(format!(
                "Context key {name} of type {kind} takes exactly one value; {} were given.",
                values.len()
            )));
        }
        if let Some(bad) = values.iter().find(|v| !value_type.accepts(v)) {
            return Err(invalid(format!(
                "Invalid value for context key {name} of type {kind}: {bad}."
            )));
        }
        if context.get(name).is_some() {
            return Err(invalid(format!(
                "Context key {name} is given more than once."
            )));
        }
        let value = match values.as_slice() {
            [one] if !list => ContextValue::Single(one.clone()),
            _ => ContextValue::Multi(values.clone()),
        };
        context.insert(name, value);
    }
    Ok(context)
}

/// The type of a `ContextKeyType` (the wire model checked it against the enum), and whether
/// it is a list type.
fn value_type(kind: &str) -> (ValueType, bool) {
    let (base, list) = match kind.strip_suffix("List") {
        Some(base) => (base, true),
        None => (kind, false),
    };
    let value_type = match base {
        "numeric" => ValueType::Numeric,
        "boolean" => ValueType::Boolean,
        "ip" => ValueType::Ip,
        "binary" => ValueType::Binary,
        "date" => ValueType::Date,
        _ => ValueType::String,
    };
    (value_type, list)
}
