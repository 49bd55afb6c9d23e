//! The `--cli-input-json` of `aws iam simulate-custom-policy`, read as the aws CLI and IAM
//! read it: botocore's parameter checks, then IAM's constraint checks (ValidationError), then
//! IAM's own rules (InvalidInput), each failing in AWS's words.
//!
//! Where AWS's documentation is silent: a policy that does not parse is InvalidInput (the
//! operation lists no MalformedPolicyDocument); a context entry needs a ContextKeyName and a
//! ContextKeyType, a single-valued type takes exactly one value, values must be readable as
//! their type, and a key may be given once; ResourceHandlingOption must be one of the four
//! documented EC2 scenarios, and is otherwise not acted on (Warden does not model EC2).

use std::fmt;
use std::sync::Arc;

use serde_json::Value;
use warden_policy::simulate::{InputPolicy, Simulation, ValueType};
use warden_policy::{Arn, Context, ContextValue, Policy, PolicyKind, Principal, PrincipalKind};

use super::parameters::{self, Entry, Parameters};

/// A simulation to run and the page of its results to show.
#[derive(Debug)]
pub(crate) struct Request {
    pub simulation: Simulation,
    pub max_items: usize,
    /// The index of the first result to show (from `Marker`).
    pub start: usize,
}

/// Why the input cannot be simulated.
#[derive(Debug)]
pub(crate) enum InputError {
    /// The aws CLI could not read the parameter as JSON.
    Json(String),
    /// botocore refuses the input before sending it.
    Parameters(Vec<String>),
    /// IAM answers with this error code and message.
    Service { code: &'static str, message: String },
}

impl InputError {
    /// The aws CLI v2's exit status: 252 for bad input, 254 for an error from the service.
    pub fn exit_status(&self) -> u8 {
        match self {
            InputError::Json(_) | InputError::Parameters(_) => 252,
            InputError::Service { .. } => 254,
        }
    }
}

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InputError::Json(why) => write!(f, "Error parsing parameter 'cli-input-json': {why}"),
            InputError::Parameters(faults) => {
                write!(f, "Parameter validation failed:\n{}", faults.join("\n"))
            }
            InputError::Service { code, message } => write!(
                f,
                "An error occurred ({code}) when calling the SimulateCustomPolicy operation: {message}"
            ),
        }
    }
}

fn invalid(message: impl Into<String>) -> InputError {
    InputError::Service {
        code: "InvalidInput",
        message: message.into(),
    }
}

const DEFAULT_MAX_ITEMS: usize = 100;
const HANDLING_OPTIONS: [&str; 4] = [
    "EC2-VPC-InstanceStore",
    "EC2-VPC-InstanceStore-Subnet",
    "EC2-VPC-EBS",
    "EC2-VPC-EBS-Subnet",
];
const KEY_TYPES: [&str; 12] = [
    "string",
    "stringList",
    "numeric",
    "numericList",
    "boolean",
    "booleanList",
    "ip",
    "ipList",
    "binary",
    "binaryList",
    "date",
    "dateList",
];

/// Reads the JSON text of `--cli-input-json`.
pub(crate) fn parse(text: &str) -> Result<Request, InputError> {
    let unreadable = |why: &dyn fmt::Display| {
        InputError::Json(format!("Invalid JSON: {why}\nJSON received: {text}"))
    };
    let json: Value = serde_json::from_str(text).map_err(|e| unreadable(&e))?;
    let Value::Object(members) = json else {
        return Err(unreadable(&"expected a JSON object"));
    };
    let input = parameters::read(&members).map_err(InputError::Parameters)?;
    check_constraints(&input)?;

    if input.boundaries.len() > 1 {
        return Err(invalid(format!(
            "You can input only one permissions boundary in PermissionsBoundaryPolicyInputList; {} were given.",
            input.boundaries.len()
        )));
    }
    let mut simulation = Simulation {
        identity: policies("PolicyInputList", &input.policies, PolicyKind::Identity)?,
        boundary: policies(
            "PermissionsBoundaryPolicyInputList",
            &input.boundaries,
            PolicyKind::Boundary,
        )?
        .pop(),
        ..Simulation::default()
    };
    if let Some(text) = input.resource_policy {
        simulation.resource_policy = Some(policy("ResourcePolicy", text, PolicyKind::Resource)?);
    }
    for &action in &input.actions {
        let named = action
            .split_once(':')
            .is_some_and(|(service, name)| !service.is_empty() && !name.is_empty());
        if !named || action.contains(['*', '?']) {
            return Err(invalid(format!(
                "Invalid action name: {action}. Action names take the form service:Action and cannot contain wildcards."
            )));
        }
        simulation.actions.push(action.to_owned());
    }
    for &resource in &input.resources {
        if resource != "*" && Arn::parse(resource).is_none() {
            return Err(invalid(format!(
                "ResourceNames are not in a valid ARN format: {resource}."
            )));
        }
        simulation.resources.push(resource.to_owned());
    }
    if let Some(arn) = input.caller {
        match Principal::from_arn(arn) {
            Some(caller) if caller.kind == PrincipalKind::User => simulation.caller = Some(caller),
            _ => {
                return Err(invalid(format!(
                    "Invalid CallerArn: {arn}. You can specify only the ARN of an IAM user."
                )));
            }
        }
    }
    if let Some(arn) = input.resource_owner {
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
    if simulation.resource_policy.is_some() && simulation.caller.is_none() {
        return Err(invalid(
            "CallerArn is required when you include a ResourcePolicy, so that the policy's Principal element has a value to use in evaluating the policy.",
        ));
    }
    if let Some(option) = input.handling
        && !HANDLING_OPTIONS.contains(&option)
    {
        return Err(invalid(format!(
            "Invalid ResourceHandlingOption: {option}. Valid values are {}.",
            HANDLING_OPTIONS.join(", ")
        )));
    }
    simulation.context = context(&input.entries)?;
    let start = match input.marker {
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
        max_items,
        start,
    })
}

/// The service's length, range, enum and pattern constraints, all reported at once.
fn check_constraints(input: &Parameters<'_>) -> Result<(), InputError> {
    let mut faults = Vec::new();
    let lists = [
        ("policyInputList", &input.policies, 131_072, Some(POLICY)),
        (
            "permissionsBoundaryPolicyInputList",
            &input.boundaries,
            131_072,
            Some(POLICY),
        ),
        ("actionNames", &input.actions, 128, None),
        ("resourceArns", &input.resources, 2048, None),
    ];
    for (name, values, max, pattern) in lists {
        for (i, value) in values.iter().enumerate() {
            let at = format!("{name}.{}.member", i + 1);
            check_text(&mut faults, value, &at, max, pattern);
        }
    }
    let singles = [
        (
            "resourcePolicy",
            input.resource_policy,
            131_072,
            Some(POLICY),
        ),
        ("resourceOwner", input.resource_owner, 2048, None),
        ("callerArn", input.caller, 2048, None),
        ("resourceHandlingOption", input.handling, 64, None),
        ("marker", input.marker, 320, Some(MARKER)),
    ];
    for (name, value, max, pattern) in singles {
        if let Some(value) = value {
            check_text(&mut faults, value, name, max, pattern);
        }
    }
    for (i, entry) in input.entries.iter().enumerate() {
        let at = format!("contextEntries.{}.member", i + 1);
        if let Some(name) = entry.name {
            check_text(
                &mut faults,
                name,
                &format!("{at}.contextKeyName"),
                256,
                None,
            );
        }
        if let Some(kind) = entry.kind.filter(|kind| !KEY_TYPES.contains(kind)) {
            let constraint = format!("satisfy enum value set: [{}]", KEY_TYPES.join(", "));
            faults.push(fault(kind, &format!("{at}.contextKeyType"), &constraint));
        }
    }
    if let Some(n) = input.max_items.filter(|&n| n > 1000) {
        let constraint = "have value less than or equal to 1000";
        faults.push(fault(&n.to_string(), "maxItems", constraint));
    }
    if faults.is_empty() {
        return Ok(());
    }
    let count = match faults.len() {
        1 => "1 validation error detected".to_owned(),
        n => format!("{n} validation errors detected"),
    };
    Err(InputError::Service {
        code: "ValidationError",
        message: format!("{count}: {}", faults.join("; ")),
    })
}

/// A character class of the model: as written there, and as a test.
#[derive(Clone, Copy)]
struct Pattern {
    written: &'static str,
    allows: fn(char) -> bool,
}

const POLICY: Pattern = Pattern {
    written: r"[\u0009\u000A\u000D\u0020-\u00FF]+",
    allows: |c| matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{ff}'),
};
const MARKER: Pattern = Pattern {
    written: r"[\u0020-\u00FF]+",
    allows: |c| matches!(c, '\u{20}'..='\u{ff}'),
};

fn check_text(
    faults: &mut Vec<String>,
    value: &str,
    at: &str,
    max: usize,
    pattern: Option<Pattern>,
) {
    if value.chars().count() > max {
        faults.push(fault(
            value,
            at,
            &format!("have length less than or equal to {max}"),
        ));
    }
    if let Some(pattern) = pattern
        && !value.chars().all(pattern.allows)
    {
        let constraint = format!("satisfy regular expression pattern: {}", pattern.written);
        faults.push(fault(value, at, &constraint));
    }
}

fn fault(value: &str, at: &str, constraint: &str) -> String {
    format!("Value '{value}' at '{at}' failed to satisfy constraint: Member must {constraint}")
}

fn policies(list: &str, texts: &[&str], kind: PolicyKind) -> Result<Vec<InputPolicy>, InputError> {
    texts
        .iter()
        .enumerate()
        .map(|(i, text)| policy(&format!("{list}.{}", i + 1), text, kind))
        .collect()
}

fn policy(id: &str, text: &str, kind: PolicyKind) -> Result<InputPolicy, InputError> {
    match Policy::parse(text, kind) {
        Ok(policy) => Ok(InputPolicy {
            id: id.to_owned(),
            policy: Arc::new(policy),
        }),
        Err(error) => Err(invalid(format!("{id} is not a valid policy: {error}"))),
    }
}

fn context(entries: &[Entry<'_>]) -> Result<Context, InputError> {
    let mut context = Context::new();
    for (i, entry) in entries.iter().enumerate() {
        let at = format!("ContextEntries.{}", i + 1);
        let Some(name) = entry.name else {
            return Err(invalid(format!("{at} has no ContextKeyName.")));
        };
        let Some(kind) = entry.kind else {
            return Err(invalid(format!("{at} ({name}) has no ContextKeyType.")));
        };
        let (value_type, list) = value_type(kind);
        let values = &entry.values;
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
            [one] if !list => ContextValue::Single((*one).to_owned()),
            _ => ContextValue::Multi(values.iter().map(|v| (*v).to_owned()).collect()),
        };
        context.insert(name, value);
    }
    Ok(context)
}

/// The type of a `ContextKeyType` (already checked against the enum), and whether it is a
/// list type.
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

#[cfg(test)]
mod tests;
