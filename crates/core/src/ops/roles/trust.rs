//! A role's trust policy (its AssumeRolePolicyDocument): parsed as a trust policy, and refused
//! when it names an IAM principal that does not exist.
//!
//! AWS resolves every user and role a trust policy names to the entity's unique id when the
//! policy is saved, so naming one that does not exist fails with MalformedPolicyDocument
//! `Invalid principal in policy: "AWS":"…"`. Warden checks the principals of the accounts it
//! holds the same way; principals of accounts it does not know are accepted as written. Like
//! AWS, it keeps the users and roles named by unique id for evaluation ([`bind`]), while the
//! document as written is what GetRole shows.

use serde_json::Value;
use warden_policy::PolicyKind;

use crate::arn::{Arn, EntityKind, is_account_id};
use crate::authz::parse_document;
use crate::error::Error;
use crate::model::{Document, Role, UniqueId};
use crate::state::{AccountState, State};

/// Parses `text` as a trust policy and checks that the users and roles it names exist.
pub(super) fn parse(state: &State, text: &str) -> Result<Document, Error> {
    let document = parse_document(text, PolicyKind::Trust)?;
    let json: Value = serde_json::from_str(text)
        .map_err(|e| Error::MalformedPolicyDocument(format!("Syntax errors in policy: {e}")))?;
    let statements = match json.get("Statement") {
        Some(Value::Array(items)) => items.iter().collect(),
        Some(item) => vec![item],
        None => Vec::new(),
    };
    for statement in statements {
        for element in ["Principal", "NotPrincipal"] {
            let Some(aws) = statement.get(element).and_then(|p| p.get("AWS")) else {
                continue;
            };
            let values = match aws {
                Value::Array(items) => items.iter().filter_map(Value::as_str).collect(),
                other => other.as_str().into_iter().collect::<Vec<_>>(),
            };
            for value in values {
                if !exists(state, value) {
                    return Err(Error::MalformedPolicyDocument(format!(
                        "Invalid principal in policy: \"AWS\":\"{value}\""
                    )));
                }
            }
        }
        for element in ["Principal", "NotPrincipal"] {
            let federated = statement.get(element).and_then(|p| p.get("Federated"));
            for value in strings(federated) {
                if !federated_exists(state, value) {
                    return Err(Error::MalformedPolicyDocument(format!(
                        "Invalid principal in policy: \"Federated\":\"{value}\""
                    )));
                }
            }
        }
    }
    Ok(document)
}

fn strings(value: Option<&Value>) -> Vec<&str> {
    match value {
        Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).collect(),
        Some(other) => other.as_str().into_iter().collect(),
        None => Vec::new(),
    }
}

/// Whether a `Federated` principal names something that exists: an OpenID Connect or SAML
/// provider ARN of an account Warden holds must name one of its providers.
fn federated_exists(state: &State, value: &str) -> bool {
    let Some((account_id, resource)) = value
        .strip_prefix("arn:aws:iam::")
        .and_then(|rest| rest.split_once(':'))
    else {
        return true;
    };
    let Some(account) = known_account(state, account_id) else {
        return true;
    };
    if let Some(url) = resource.strip_prefix("oidc-provider/") {
        return account.oidc_providers.contains_key(url);
    }
    if let Some(name) = resource.strip_prefix("saml-provider/") {
        return account.saml_providers.contains_key(name);
    }
    true
}

/// The evaluation copy of a trust policy: each user and role ARN of an account Warden holds
/// replaced by the entity's unique id, which the engine matches against the caller's. `None`
/// when the policy names no such ARN (it is then evaluated as written).
pub(super) fn bind(state: &State, text: &str) -> Result<Option<Document>, Error> {
    let mut json: Value = serde_json::from_str(text)
        .map_err(|e| Error::MalformedPolicyDocument(format!("Syntax errors in policy: {e}")))?;
    let mut bound = false;
    let statements: Vec<&mut Value> = match json.get_mut("Statement") {
        Some(Value::Array(items)) => items.iter_mut().collect(),
        Some(item) => vec![item],
        None => Vec::new(),
    };
    for statement in statements {
        for element in ["Principal", "NotPrincipal"] {
            let Some(aws) = statement.get_mut(element).and_then(|p| p.get_mut("AWS")) else {
                continue;
            };
            let values: Vec<&mut Value> = match aws {
                Value::Array(items) => items.iter_mut().collect(),
                other => vec![other],
            };
            for value in values {
                let id = value.as_str().and_then(|arn| unique_id_of(state, arn));
                if let Some(id) = id {
                    *value = Value::String(id.to_string());
                    bound = true;
                }
            }
        }
    }
    if !bound {
        return Ok(None);
    }
    let text = serde_json::to_string(&json)
        .map_err(|e| Error::Internal(format!("encoding a trust policy: {e}")))?;
    Document::parse(&text, PolicyKind::Trust)
        .map(Some)
        .map_err(Error::from)
}

/// The trust policy as IAM shows it: as written, except that a user or role it named that has
/// since been deleted shows as the bare unique id it was bound to, as on AWS (a user or role
/// created again under the same name is another principal).
pub(crate) fn shown(state: &State, role: &Role) -> String {
    let Some(bound) = &role.bound_trust else {
        return role.trust.text.clone();
    };
    let (Ok(mut written), Ok(bound)) = (
        serde_json::from_str::<Value>(&role.trust.text),
        serde_json::from_str::<Value>(&bound.text),
    ) else {
        return role.trust.text.clone();
    };
    let gone = |id: &str| {
        !state
            .accounts
            .values()
            .any(|a| a.user_by_id(id).is_some() || a.role_by_id(id).is_some())
    };
    let mut changed = false;
    let pairs = statements_mut(&mut written)
        .into_iter()
        .zip(statements(&bound));
    for (statement, bound_statement) in pairs {
        for element in ["Principal", "NotPrincipal"] {
            let (Some(aws), Some(bound_aws)) = (
                statement.get_mut(element).and_then(|p| p.get_mut("AWS")),
                bound_statement.get(element).and_then(|p| p.get("AWS")),
            ) else {
                continue;
            };
            let values: Vec<&mut Value> = match aws {
                Value::Array(items) => items.iter_mut().collect(),
                other => vec![other],
            };
            for (value, id) in values.into_iter().zip(strings(Some(bound_aws))) {
                if value.as_str().is_some_and(|v| v != id) && gone(id) {
                    *value = Value::String(id.to_owned());
                    changed = true;
                }
            }
        }
    }
    if changed {
        serde_json::to_string(&written).unwrap_or_else(|_| role.trust.text.clone())
    } else {
        role.trust.text.clone()
    }
}

fn statements(json: &Value) -> Vec<&Value> {
    match json.get("Statement") {
        Some(Value::Array(items)) => items.iter().collect(),
        Some(item) => vec![item],
        None => Vec::new(),
    }
}

fn statements_mut(json: &mut Value) -> Vec<&mut Value> {
    match json.get_mut("Statement") {
        Some(Value::Array(items)) => items.iter_mut().collect(),
        Some(item) => vec![item],
        None => Vec::new(),
    }
}

/// The unique id of the user or role a principal ARN names, in an account Warden holds.
fn unique_id_of(state: &State, arn: &str) -> Option<UniqueId> {
    let Ok(Arn::Entity {
        account,
        kind,
        path,
        name,
    }) = Arn::parse(arn)
    else {
        return None;
    };
    let account = known_account(state, account)?;
    match kind {
        EntityKind::User => account
            .user(name)
            .filter(|u| u.path.as_str() == path && u.name.as_str() == name)
            .map(|u| u.id.clone()),
        EntityKind::Role => account
            .role(name)
            .filter(|r| r.path.as_str() == path && r.name.as_str() == name)
            .map(|r| r.id.clone()),
        _ => None,
    }
}

/// Whether an `AWS` principal value names something that exists, as far as Warden knows.
fn exists(state: &State, value: &str) -> bool {
    if value == "*" || is_account_id(value) {
        return true;
    }
    let Some(rest) = value.strip_prefix("arn:") else {
        return unique_id_exists(state, value);
    };
    let mut parts = rest.splitn(5, ':');
    let (Some(_partition), Some(service), Some(_region), Some(account_id), Some(resource)) = (
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
    ) else {
        return false;
    };
    let Some(account) = known_account(state, account_id) else {
        return true;
    };
    match service {
        "iam" => match resource.split_once('/') {
            Some(("user", rest)) => {
                let (path, name) = path_and_name(rest);
                account
                    .user(name)
                    .is_some_and(|u| u.path.as_str() == path && u.name.as_str() == name)
            }
            Some(("role", rest)) => {
                let (path, name) = path_and_name(rest);
                account
                    .role(name)
                    .is_some_and(|r| r.path.as_str() == path && r.name.as_str() == name)
            }
            _ => true,
        },
        "sts" => match resource
            .strip_prefix("assumed-role/")
            .and_then(|r| r.split_once('/'))
        {
            // A role session: the role must exist (the session name is the caller's choice).
            Some((role, _session)) => account.role(role).is_some_and(|r| r.name.as_str() == role),
            None => true,
        },
        _ => true,
    }
}

/// The state of an account Warden holds (not merely the AWS managed policies' pseudo-account).
fn known_account<'s>(state: &'s State, id: &str) -> Option<&'s AccountState> {
    state.account(id).filter(|a| a.account.is_some())
}

/// `team/app/name` → (`/team/app/`, `name`).
fn path_and_name(rest: &str) -> (String, &str) {
    match rest.rsplit_once('/') {
        Some((path, name)) => (format!("/{path}/"), name),
        None => ("/".to_owned(), rest),
    }
}

/// A bare unique id (`AIDA…`, `AROA…`) must be a user or role of some account.
fn unique_id_exists(state: &State, id: &str) -> bool {
    state
        .accounts
        .values()
        .any(|a| a.user_by_id(id).is_some() || a.role_by_id(id).is_some())
}
