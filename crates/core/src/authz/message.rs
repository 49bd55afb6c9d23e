//! Encoded authorization failure messages: a denied AssumeRole carries the decision's details
//! (outcome, the statements that decided, principal, action, resource and the request's
//! condition keys) sealed under the session token key, in the JSON shape AWS documents;
//! DecodeAuthorizationMessage opens them ([`opened_message`]).

use serde_json::{Value, json};
use warden_policy::{Effect, Outcome, Request};

use crate::service::Service;

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

/// What [`encoded_message`] sealed in `text`, if it is such a message.
pub(crate) fn opened_message(service: &Service, text: &str) -> Option<Vec<u8>> {
    service.tokens.open_message(PURPOSE, text)
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
