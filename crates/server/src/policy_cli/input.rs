//! The `--cli-input-json` of `aws iam simulate-custom-policy`, read as the aws CLI and IAM
//! read it: botocore's parameter checks, then IAM's constraint checks (ValidationError), then
//! IAM's own rules (InvalidInput, in `warden_core::simulator`), each failing in AWS's words.

use std::fmt;

use serde_json::Value;
use warden_core::simulator::Request;

use super::parameters::{self, Parameters};

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
    let Value::Object(members) = &json else {
        return Err(unreadable(&"expected a JSON object"));
    };
    let input = parameters::read(members).map_err(InputError::Parameters)?;
    check_constraints(&input)?;
    Request::custom(&json).map_err(|error| InputError::Service {
        code: error.code(),
        message: error.message().to_owned(),
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

#[cfg(test)]
mod tests;
