//! Encoded authorization failure messages. A denied AssumeRole carries the decision's details
//! (outcome, the statements that decided, principal, action, resource and the request's
//! condition keys) sealed under the session token key; DecodeAuthorizationMessage opens them
//! for principals allowed `sts:DecodeAuthorizationMessage`, in the JSON shape AWS documents.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use warden_policy::{Effect, Outcome, Request};

use crate::action::Action;
use crate::error::Error;
use crate::service::{Cx, Service};

const PURPOSE: &str = "warden authorization message v1";
/// DecodeAuthorizationMessage takes at most 10,240 characters; past this much JSON the
/// condition keys are left out so the encoded message stays within it.
const MAX_JSON: usize = 7000;

/// The encoded details of a denied `request`, sealed under the session token keys; `None`
/// when sealing fails (the denial is then AWS's sentence alone). The `Authorizer` decides when
/// a denial carries them.
pub(crate) fn encoded_message(
    service: &Service,
    request: &Request<'_>,
    explanation: &warden_policy::Explanation,
) -> Option<String> {
    let details = decoded(request, explanation);
    service
        .tokens
        .seal_message(service.random(), PURPOSE, details.as_bytes())
        .ok()
}

/// The decoded message: `allowed`, `explicitDeny`, `matchedStatements`, `failures` and
/// `context` (`principal`, `action`, `resource`, `conditions`).
fn decoded(request: &Request<'_>, explanation: &warden_policy::Explanation) -> String {
    let statements: Vec<Value> = explanation
        .matched
        .iter()
        .map(|m| {
            json!({
                "statementId": m.sid.clone().unwrap_or_default(),
                "effect": match m.effect { Effect::Allow => "ALLOW", Effect::Deny => "DENY" },
                "policyId": m.policy_id,
                "policyType": format!("{:?}", m.kind),
            })
        })
        .collect();
    let conditions: Vec<Value> = request
        .context
        .iter()
        .map(|(key, value)| {
            let values: Vec<Value> = value
                .values()
                .iter()
                .map(|v| json!({ "value": v }))
                .collect();
            json!({ "key": key, "values": { "items": values } })
        })
        .collect();
    let userid = request
        .context
        .get("aws:userid")
        .and_then(|v| v.values().first().cloned())
        .unwrap_or_default();
    let mut message = json!({
        "allowed": explanation.outcome == Outcome::Allowed,
        "explicitDeny": explanation.outcome == Outcome::ExplicitDeny,
        "matchedStatements": { "items": statements },
        "failures": { "items": [] },
        "context": {
            "principal": { "id": userid, "arn": request.principal.arn },
            "action": request.action,
            "resource": request.resource,
            "conditions": { "items": conditions },
        },
    });
    let text = message.to_string();
    if text.len() <= MAX_JSON {
        return text;
    }
    if let Some(items) = message.pointer_mut("/context/conditions/items") {
        *items = json!([]);
    }
    message.to_string()
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(in crate::ops) struct DecodeInput {
    encoded_message: String,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub(in crate::ops) struct DecodeOutput {
    decoded_message: String,
}

/// DecodeAuthorizationMessage: needs `sts:DecodeAuthorizationMessage`.
pub(in crate::ops) fn decode_authorization_message(
    cx: &Cx<'_>,
    input: DecodeInput,
) -> Result<DecodeOutput, Error> {
    cx.service.read(|state| {
        cx.authorize(
            state,
            Action::DecodeAuthorizationMessage.iam_action(),
            "*",
            &[],
            &[],
        )
    })?;
    let plain = cx
        .service
        .tokens
        .open_message(PURPOSE, &input.encoded_message)
        .ok_or_else(|| {
            Error::InvalidAuthorizationMessage(
                "The encoded authorization message is not valid.".to_owned(),
            )
        })?;
    let decoded_message = String::from_utf8(plain).map_err(|_| {
        Error::InvalidAuthorizationMessage(
            "The encoded authorization message is not valid.".to_owned(),
        )
    })?;
    Ok(DecodeOutput { decoded_message })
}
