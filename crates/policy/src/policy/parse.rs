//! From JSON text to a validated [`Policy`], with AWS's MalformedPolicyDocument messages.

use crate::arn::{Arn, ArnPattern, PARTITIONS};
use crate::condition::{Condition, Operator, Values};
use crate::error::PolicyError;
use crate::json::{self, Json, Value};
use crate::principal::{self, PrincipalBlock, PrincipalValue};

use super::{
    ActionBlock, ActionPattern, Effect, Policy, PolicyKind, ResourceBlock, Statement, Version,
};

const SYNTAX: &str = "Syntax errors in policy.";

pub(super) fn parse(text: &str, kind: PolicyKind) -> Result<Policy, PolicyError> {
    let document = json::parse(text).map_err(|e| {
        PolicyError::new(format!(
            "{SYNTAX} The document is not valid JSON: {}.",
            e.message
        ))
        .at(e.at)
    })?;
    let Value::Object(members) = &document.value else {
        return Err(syntax(format!(
            "The document must be a JSON object, not {}.",
            document.value.type_name()
        ))
        .at(document.start));
    };
    let mut version = Version::Absent;
    let mut id = None;
    let mut statement_json = None;
    for (key, value) in members {
        match key.as_str() {
            "Version" => {
                version = match &value.value {
                    Value::String(v) if v == "2012-10-17" => Version::V2012,
                    Value::String(v) if v == "2008-10-17" => Version::V2008,
                    _ => {
                        return Err(PolicyError::new(
                            "Invalid Version: the policy language version must be \"2012-10-17\" or \"2008-10-17\".",
                        )
                        .in_element("Version")
                        .at(value.start));
                    }
                }
            }
            "Id" => id = Some(string(value, "Id")?),
            "Statement" => statement_json = Some(value),
            other => {
                return Err(syntax(format!("Unknown field `{other}`.")).at(value.start));
            }
        }
    }
    let Some(statement_json) = statement_json else {
        return Err(PolicyError::new("Missing required field Statement."));
    };
    let (items, statement_as_array): (Vec<&Json>, bool) = match &statement_json.value {
        Value::Array(items) if items.is_empty() => {
            return Err(syntax("The Statement array must not be empty.")
                .in_element("Statement")
                .at(statement_json.start));
        }
        Value::Array(items) => (items.iter().collect(), true),
        Value::Object(_) => (vec![statement_json], false),
        other => {
            return Err(syntax(format!(
                "Statement must be an object or an array, not {}.",
                other.type_name()
            ))
            .in_element("Statement")
            .at(statement_json.start));
        }
    };
    let variables = version == Version::V2012;
    let mut statements = Vec::with_capacity(items.len());
    for (index, item) in items.into_iter().enumerate() {
        let statement = statement(item, kind, variables).map_err(|e| {
            let sid = sid_of(item);
            e.in_statement(index, sid.as_deref()).at(item.start)
        })?;
        if let Some(sid) = &statement.sid
            && statements
                .iter()
                .any(|s: &Statement| s.sid.as_deref() == Some(sid))
        {
            return Err(PolicyError::new(format!(
                "Statement IDs (SID) in a single policy must be unique. `{sid}` is repeated."
            ))
            .in_statement(index, Some(sid))
            .in_element("Sid")
            .at(item.start));
        }
        statements.push(statement);
    }
    Ok(Policy {
        kind,
        version,
        id,
        statements,
        statement_as_array,
    })
}

fn syntax(detail: impl std::fmt::Display) -> PolicyError {
    PolicyError::new(format!("{SYNTAX} {detail}"))
}

fn sid_of(item: &Json) -> Option<String> {
    let Value::Object(members) = &item.value else {
        return None;
    };
    members
        .iter()
        .find_map(|(key, value)| match (key.as_str(), &value.value) {
            ("Sid", Value::String(sid)) => Some(sid.clone()),
            _ => None,
        })
}

fn string(value: &Json, element: &'static str) -> Result<String, PolicyError> {
    match &value.value {
        Value::String(text) => Ok(text.clone()),
        other => Err(syntax(format!(
            "{element} must be a string, not {}.",
            other.type_name()
        ))
        .in_element(element)
        .at(value.start)),
    }
}

/// A string or a non-empty array of strings; the flag says whether it was an array.
fn strings(value: &Json, element: &'static str) -> Result<(Vec<String>, bool), PolicyError> {
    match &value.value {
        Value::String(text) => Ok((vec![text.clone()], false)),
        Value::Array(items) if items.is_empty() => {
            Err(syntax(format!("{element} must not be an empty array."))
                .in_element(element)
                .at(value.start))
        }
        Value::Array(items) => {
            let texts = items
                .iter()
                .map(|item| string(item, element))
                .collect::<Result<Vec<_>, _>>()?;
            Ok((texts, true))
        }
        other => Err(syntax(format!(
            "{element} must be a string or an array of strings, not {}.",
            other.type_name()
        ))
        .in_element(element)
        .at(value.start)),
    }
}

fn statement(item: &Json, kind: PolicyKind, variables: bool) -> Result<Statement, PolicyError> {
    let Value::Object(members) = &item.value else {
        return Err(syntax(format!(
            "A statement must be an object, not {}.",
            item.value.type_name()
        )));
    };
    let mut sid = None;
    let mut effect = None;
    let mut principal = None;
    let mut action = None;
    let mut resource = None;
    let mut conditions = Vec::new();
    for (key, value) in members {
        match key.as_str() {
            "Sid" => sid = Some(parse_sid(value)?),
            "Effect" => effect = Some(parse_effect(value)?),
            "Principal" | "NotPrincipal" => {
                if principal.is_some() {
                    return Err(
                        syntax("A statement cannot have both Principal and NotPrincipal.")
                            .at(value.start),
                    );
                }
                principal = Some(parse_principal(value, key == "NotPrincipal", kind)?);
            }
            "Action" | "NotAction" => {
                if action.is_some() {
                    return Err(syntax("A statement cannot have both Action and NotAction.")
                        .at(value.start));
                }
                action = Some(parse_action(value, key == "NotAction")?);
            }
            "Resource" | "NotResource" => {
                if resource.is_some() {
                    return Err(
                        syntax("A statement cannot have both Resource and NotResource.")
                            .at(value.start),
                    );
                }
                if kind == PolicyKind::Trust {
                    return Err(PolicyError::new(format!("Has prohibited field {key}: a trust policy applies to its role and names no resource."))
                        .in_element("Resource")
                        .at(value.start));
                }
                resource = Some(parse_resource(value, key == "NotResource", variables)?);
            }
            "Condition" => conditions = parse_conditions(value, variables)?,
            other => {
                return Err(
                    syntax(format!("Unknown field `{other}` in a statement.")).at(value.start)
                );
            }
        }
    }
    let Some(effect) = effect else {
        return Err(PolicyError::new("Missing required field Effect."));
    };
    if kind.has_principal() && principal.is_none() {
        return Err(PolicyError::new(
            "Missing required field Principal: a resource-based policy must name who it applies to.",
        ));
    }
    let Some(action) = action else {
        return Err(PolicyError::new("Policy statement must contain actions."));
    };
    if resource.is_none() && kind != PolicyKind::Trust {
        return Err(PolicyError::new("Policy statement must contain resources."));
    }
    Ok(Statement {
        sid,
        effect,
        principal,
        action,
        resource,
        conditions,
        start: item.start,
        end: item.end,
    })
}

fn parse_sid(value: &Json) -> Result<String, PolicyError> {
    let sid = string(value, "Sid")?;
    if !sid.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(PolicyError::new(format!(
            "Statement IDs (SID) must be alpha-numeric. Check that your input satisfies the regular expression [0-9A-Za-z]*: `{sid}` does not."
        ))
        .in_element("Sid")
        .at(value.start));
    }
    Ok(sid)
}

fn parse_effect(value: &Json) -> Result<Effect, PolicyError> {
    match &value.value {
        Value::String(effect) if effect == "Allow" => Ok(Effect::Allow),
        Value::String(effect) if effect == "Deny" => Ok(Effect::Deny),
        Value::String(effect) => Err(PolicyError::new(format!(
            "Invalid effect: `{effect}`; it must be \"Allow\" or \"Deny\"."
        ))
        .in_element("Effect")
        .at(value.start)),
        other => Err(syntax(format!(
            "Effect must be a string, not {}.",
            other.type_name()
        ))
        .in_element("Effect")
        .at(value.start)),
    }
}

fn parse_principal(
    value: &Json,
    negated: bool,
    kind: PolicyKind,
) -> Result<PrincipalBlock, PolicyError> {
    let element = if negated { "NotPrincipal" } else { "Principal" };
    if !kind.has_principal() {
        return Err(
            PolicyError::new("Policy document should not specify a principal.")
                .in_element(element)
                .at(value.start),
        );
    }
    // AWS refuses NotPrincipal in a trust policy: with Allow it would open the role to every
    // principal not listed, other accounts included.
    if negated && kind == PolicyKind::Trust {
        return Err(PolicyError::new("Has prohibited field NotPrincipal")
            .in_element(element)
            .at(value.start));
    }
    let invalid = |what: &str| {
        PolicyError::new(format!("Invalid principal in policy: {what}"))
            .in_element(element)
            .at(value.start)
    };
    match &value.value {
        Value::String(text) if text == "*" => Ok(PrincipalBlock {
            negated,
            written: None,
            values: vec![PrincipalValue::Everyone],
        }),
        Value::String(text) => Err(invalid(&format!(
            "`{text}` must be \"*\" or an object such as {{\"AWS\": …}}."
        ))),
        Value::Object(members) if members.is_empty() => {
            Err(invalid("the principal object is empty."))
        }
        Value::Object(members) => {
            let mut written = Vec::new();
            let mut values = Vec::new();
            for (principal_type, list) in members {
                let (texts, as_array) = strings(list, element)?;
                for text in &texts {
                    let value = match principal_type.as_str() {
                        "AWS" => principal::aws_value(text),
                        "Service" => service_principal(text),
                        "Federated" => federated_principal(text),
                        "CanonicalUser" => (text.len() == 64
                            && text.bytes().all(|b| b.is_ascii_hexdigit()))
                        .then(|| PrincipalValue::CanonicalUser(text.clone())),
                        other => {
                            return Err(invalid(&format!("unknown principal type `{other}`.")));
                        }
                    };
                    values.push(
                        value.ok_or_else(|| invalid(&format!("`{principal_type}`: `{text}`.")))?,
                    );
                }
                written.push((principal_type.clone(), texts, as_array));
            }
            Ok(PrincipalBlock {
                negated,
                written: Some(written),
                values,
            })
        }
        other => Err(syntax(format!(
            "{element} must be \"*\" or an object, not {}.",
            other.type_name()
        ))
        .in_element(element)
        .at(value.start)),
    }
}

fn service_principal(text: &str) -> Option<PrincipalValue> {
    if text == "*" {
        return Some(PrincipalValue::Everyone);
    }
    let valid = !text.is_empty()
        && text.contains('.')
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-'));
    valid.then(|| PrincipalValue::Service(text.to_owned()))
}

fn federated_principal(text: &str) -> Option<PrincipalValue> {
    if let Some(arn) = Arn::parse(text) {
        let provider = arn.service == "iam"
            && PARTITIONS.contains(&arn.partition)
            && (arn.resource.starts_with("saml-provider/")
                || arn.resource.starts_with("oidc-provider/"));
        return provider.then(|| PrincipalValue::Federated(text.to_owned()));
    }
    let valid = text.contains('.')
        && !text.contains(['*', '?', ' '])
        && text.bytes().all(|b| b.is_ascii_graphic());
    valid.then(|| PrincipalValue::Federated(text.to_owned()))
}

fn parse_action(value: &Json, negated: bool) -> Result<ActionBlock, PolicyError> {
    let element = if negated { "NotAction" } else { "Action" };
    let (texts, as_array) = strings(value, element)?;
    let mut patterns = Vec::with_capacity(texts.len());
    for text in texts {
        if text != "*" {
            let service = text.split_once(':').map(|(service, _)| service);
            let valid = service.is_some_and(|service| {
                !service.is_empty()
                    && service
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'*' | b'?'))
            }) && !text.chars().any(char::is_whitespace)
                && text.matches(':').count() == 1;
            if !valid {
                return Err(PolicyError::new(format!(
                    "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.: `{text}` is not `service:Action`."
                ))
                .in_element(element)
                .at(value.start));
            }
        }
        patterns.push(ActionPattern {
            folded: text.to_ascii_lowercase(),
            text,
        });
    }
    Ok(ActionBlock {
        negated,
        patterns,
        as_array,
    })
}

fn parse_resource(
    value: &Json,
    negated: bool,
    variables: bool,
) -> Result<ResourceBlock, PolicyError> {
    let element = if negated { "NotResource" } else { "Resource" };
    let (texts, as_array) = strings(value, element)?;
    let mut patterns = Vec::with_capacity(texts.len());
    for text in &texts {
        if text != "*" {
            let Some(arn) = Arn::parse(text) else {
                return Err(PolicyError::new(format!(
                    "Resource `{text}` must be in ARN format or \"*\"."
                ))
                .in_element(element)
                .at(value.start));
            };
            let partition_ok = PARTITIONS.contains(&arn.partition)
                || (crate::wildcard::has_wildcard(arn.partition)
                    && PARTITIONS
                        .iter()
                        .any(|p| crate::wildcard::matches(arn.partition, p, false)));
            if !partition_ok {
                return Err(PolicyError::new(format!(
                    "Partition \"{}\" is not valid for resource \"{text}\".",
                    arn.partition
                ))
                .in_element(element)
                .at(value.start));
            }
            if arn.service.is_empty() {
                return Err(PolicyError::new(format!(
                    "Resource `{text}` must be in ARN format or \"*\": it names no service."
                ))
                .in_element(element)
                .at(value.start));
            }
        }
        patterns.push(ArnPattern::parse(text, variables));
    }
    Ok(ResourceBlock {
        negated,
        texts,
        patterns,
        as_array,
    })
}

fn parse_conditions(value: &Json, variables: bool) -> Result<Vec<Condition>, PolicyError> {
    let Value::Object(operators) = &value.value else {
        return Err(syntax(format!(
            "Condition must be an object, not {}.",
            value.value.type_name()
        ))
        .in_element("Condition")
        .at(value.start));
    };
    let mut conditions = Vec::new();
    for (operator_name, block) in operators {
        let Some(op) = Operator::parse(operator_name) else {
            return Err(
                PolicyError::new(format!("Invalid Condition type : {operator_name}."))
                    .in_element("Condition")
                    .at(block.start),
            );
        };
        let Value::Object(keys) = &block.value else {
            return Err(syntax(
                format!("Condition operator `{operator_name}` must map keys to values.").as_str(),
            )
            .in_element("Condition")
            .at(block.start));
        };
        if keys.is_empty() {
            return Err(
                syntax(format!("Condition operator `{operator_name}` has no keys."))
                    .in_element("Condition")
                    .at(block.start),
            );
        }
        for (key, values_json) in keys {
            if key.is_empty() || key.chars().any(char::is_whitespace) {
                return Err(syntax(format!("`{key}` is not a condition key."))
                    .in_element("Condition")
                    .at(values_json.start));
            }
            let (raw_values, values_as_array) = condition_values(values_json)?;
            let values = Values::parse(op.test, &raw_values, variables).map_err(|bad| {
                PolicyError::new(format!(
                    "Invalid Condition value `{bad}` for operator {operator_name} on key {key}."
                ))
                .in_element("Condition")
                .at(values_json.start)
            })?;
            conditions.push(Condition {
                operator: operator_name.clone(),
                key: key.clone(),
                folded_key: key.to_ascii_lowercase(),
                raw_values,
                values_as_array,
                op,
                values,
            });
        }
    }
    Ok(conditions)
}

/// Condition values: strings, numbers or booleans, alone or in a non-empty array.
fn condition_values(value: &Json) -> Result<(Vec<String>, bool), PolicyError> {
    fn scalar(value: &Json) -> Result<String, PolicyError> {
        match &value.value {
            Value::String(text) | Value::Number(text) => Ok(text.clone()),
            Value::Bool(b) => Ok(b.to_string()),
            other => Err(syntax(format!(
                "A condition value must be a string, number or boolean, not {}.",
                other.type_name()
            ))
            .in_element("Condition")
            .at(value.start)),
        }
    }
    match &value.value {
        Value::Array(items) if items.is_empty() => {
            Err(syntax("A condition key must have at least one value.")
                .in_element("Condition")
                .at(value.start))
        }
        Value::Array(items) => Ok((items.iter().map(scalar).collect::<Result<_, _>>()?, true)),
        _ => Ok((vec![scalar(value)?], false)),
    }
}
