//! Runs every case of the JSON corpus in `tests/corpus/` (format in its README.md) and

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a test runner: a broken corpus folder should stop it loudly"
)]
//! reports every failing case at once.

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;
use std::sync::Arc;

use serde::Deserialize;
use serde_json::Value;
use warden_policy::{
    Arn, Context, ContextValue, Outcome, Policies, Policy, PolicyKind, PolicySet, Principal,
    PrincipalKind, Request,
};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[allow(dead_code)]
    description: String,
    cases: Vec<Case>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    name: String,
    #[allow(dead_code)]
    source: Option<String>,
    parse: Option<String>,
    document: Option<Value>,
    policies: Option<CasePolicies>,
    principal: Option<CasePrincipal>,
    request: Option<CaseRequest>,
    expect: Expect,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct CasePolicies {
    identity: Option<Vec<Value>>,
    boundary: Option<Vec<Value>>,
    session: Option<Vec<Value>>,
    resource: Option<Value>,
    trust: Option<Value>,
    scp: Option<Vec<Vec<Value>>>,
    rcp: Option<Vec<Vec<Value>>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct CasePrincipal {
    arn: Option<String>,
    role_arn: Option<String>,
    id: Option<String>,
    account: Option<String>,
    service: Option<String>,
    federated: Option<String>,
    #[serde(default)]
    anonymous: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CaseRequest {
    action: String,
    resource: Option<String>,
    resource_account: Option<String>,
    #[serde(default)]
    context: BTreeMap<String, Value>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Expect {
    decision: Option<String>,
    matched: Option<Vec<String>>,
    missing_context: Option<Vec<String>>,
    error: Option<String>,
    valid: Option<bool>,
}

const DEFAULT_CALLER: &str = "arn:aws:iam::111122223333:user/alice";

fn main() {
    let folder = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus");
    let mut paths: Vec<_> = fs::read_dir(&folder)
        .expect("corpus folder")
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| path.extension().is_some_and(|e| e == "json"))
        .collect();
    paths.sort();
    let filter = std::env::args().nth(1).filter(|a| !a.starts_with('-'));
    let mut failures = Vec::new();
    let mut names = std::collections::HashSet::new();
    let mut passed = 0;
    for path in &paths {
        let file_name = path.file_name().unwrap().to_string_lossy().into_owned();
        let text = fs::read_to_string(path).expect("readable corpus file");
        let file: File = match serde_json::from_str(&text) {
            Ok(file) => file,
            Err(e) => {
                failures.push(format!("{file_name}: not a corpus file: {e}"));
                continue;
            }
        };
        for case in &file.cases {
            if !names.insert(case.name.clone()) {
                failures.push(format!("{file_name}: duplicate case name `{}`", case.name));
            }
            if filter
                .as_ref()
                .is_some_and(|f| !case.name.contains(f.as_str()))
            {
                continue;
            }
            match run(case) {
                Ok(()) => passed += 1,
                Err(why) => failures.push(format!("{file_name}: {}\n    {why}", case.name)),
            }
        }
    }
    for failure in &failures {
        eprintln!("FAIL {failure}");
    }
    println!("corpus: {passed} passed, {} failed", failures.len());
    if !failures.is_empty() {
        std::process::exit(1);
    }
}

fn run(case: &Case) -> Result<(), String> {
    match &case.parse {
        Some(kind) => run_parse(case, kind),
        None => run_evaluation(case),
    }
}

fn kind_named(name: &str) -> Result<PolicyKind, String> {
    Ok(match name {
        "identity" => PolicyKind::Identity,
        "resource" => PolicyKind::Resource,
        "trust" => PolicyKind::Trust,
        "boundary" => PolicyKind::Boundary,
        "session" => PolicyKind::Session,
        "scp" => PolicyKind::ServiceControl,
        "rcp" => PolicyKind::ResourceControl,
        other => return Err(format!("unknown parse kind `{other}`")),
    })
}

fn document_text(document: &Value) -> String {
    match document {
        Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

fn run_parse(case: &Case, kind: &str) -> Result<(), String> {
    let kind = kind_named(kind)?;
    let document = case
        .document
        .as_ref()
        .ok_or("a parse case needs `document`")?;
    let result = Policy::parse(&document_text(document), kind);
    match (&case.expect.error, case.expect.valid, result) {
        (Some(expected), _, Err(error)) => {
            if error.to_string().contains(expected.as_str()) {
                Ok(())
            } else {
                Err(format!(
                    "expected an error containing `{expected}`, got `{error}`"
                ))
            }
        }
        (Some(expected), _, Ok(_)) => Err(format!(
            "expected an error containing `{expected}`, but the document was accepted"
        )),
        (None, Some(true), Ok(policy)) => {
            let reparsed = Policy::parse(&policy.to_json(), kind)
                .map_err(|e| format!("printed form does not parse: {e}"))?;
            if reparsed == policy {
                Ok(())
            } else {
                Err("printed form parses to a different policy".to_owned())
            }
        }
        (None, Some(true), Err(error)) => {
            Err(format!("expected the document to be valid, got `{error}`"))
        }
        _ => Err("a parse case expects `error` or `valid: true`".to_owned()),
    }
}

fn parse_policy(document: &Value, kind: PolicyKind, id: &str) -> Result<Arc<Policy>, String> {
    Policy::parse(&document_text(document), kind)
        .map(Arc::new)
        .map_err(|e| format!("policy {id} does not parse: {e}"))
}

fn set_of(documents: &[Value], kind: PolicyKind, prefix: &str) -> Result<PolicySet, String> {
    let mut set = PolicySet::new();
    for (index, document) in documents.iter().enumerate() {
        let id = format!("{prefix}.{}", index + 1);
        set.insert(id.clone(), parse_policy(document, kind, &id)?);
    }
    Ok(set)
}

fn levels_of(
    levels: &[Vec<Value>],
    kind: PolicyKind,
    prefix: &str,
) -> Result<Vec<PolicySet>, String> {
    levels
        .iter()
        .enumerate()
        .map(|(level, documents)| set_of(documents, kind, &format!("{prefix}.{}", level + 1)))
        .collect()
}

fn principal_of(spec: Option<&CasePrincipal>) -> Result<Principal, String> {
    let default = CasePrincipal::default();
    let spec = spec.unwrap_or(&default);
    let mut principal = if spec.anonymous {
        Principal::anonymous()
    } else if let Some(service) = &spec.service {
        Principal::service(service)
    } else if let Some(provider) = &spec.federated {
        let account = spec.account.clone().unwrap_or_else(|| {
            Arn::parse(provider)
                .map(|a| a.account.to_owned())
                .unwrap_or_default()
        });
        Principal::web_identity(provider, &account)
    } else {
        let arn = spec.arn.as_deref().unwrap_or(DEFAULT_CALLER);
        Principal::from_arn(arn).ok_or_else(|| format!("`{arn}` is not a caller ARN"))?
    };
    if let Some(role_arn) = &spec.role_arn {
        principal.role_arn = Some(role_arn.clone());
    }
    if let Some(account) = &spec.account {
        principal.account = account.clone();
    }
    principal.id = spec.id.clone();
    Ok(principal)
}

fn context_value(value: &Value) -> Result<ContextValue, String> {
    fn scalar(value: &Value) -> Result<String, String> {
        match value {
            Value::String(s) => Ok(s.clone()),
            Value::Number(n) => Ok(n.to_string()),
            Value::Bool(b) => Ok(b.to_string()),
            other => Err(format!(
                "context value {other} is not a string, number or boolean"
            )),
        }
    }
    match value {
        Value::Array(items) => Ok(ContextValue::Multi(
            items.iter().map(scalar).collect::<Result<_, _>>()?,
        )),
        other => Ok(ContextValue::Single(scalar(other)?)),
    }
}

/// The keys AWS derives from the caller, unless the case gives them itself.
fn principal_keys(principal: &Principal, context: &mut Context) {
    context.insert_default("aws:PrincipalArn", principal.principal_arn());
    context.insert_default("aws:PrincipalAccount", principal.account.as_str());
    context.insert_default("aws:PrincipalType", principal.kind.as_str());
    let name = principal.arn.rsplit('/').next().unwrap_or_default();
    match principal.kind {
        PrincipalKind::User => {
            context.insert_default("aws:username", name);
            if let Some(id) = &principal.id {
                context.insert_default("aws:userid", id.as_str());
            }
        }
        PrincipalKind::AssumedRole => {
            if let Some(id) = &principal.id {
                context.insert_default("aws:userid", format!("{id}:{name}"));
            }
        }
        PrincipalKind::Root => context.insert_default("aws:userid", principal.account.as_str()),
        PrincipalKind::FederatedUser => {
            context.insert_default("aws:userid", format!("{}:{name}", principal.account));
        }
        _ => {}
    }
}

fn run_evaluation(case: &Case) -> Result<(), String> {
    let request_spec = case
        .request
        .as_ref()
        .ok_or("an evaluation case needs `request`")?;
    let expected = case
        .expect
        .decision
        .as_deref()
        .ok_or("an evaluation case needs `expect.decision`")?;
    let none = CasePolicies::default();
    let spec = case.policies.as_ref().unwrap_or(&none);
    let identity = spec
        .identity
        .as_deref()
        .map(|d| set_of(d, PolicyKind::Identity, "identity"))
        .transpose()?;
    let boundary = spec
        .boundary
        .as_deref()
        .map(|d| set_of(d, PolicyKind::Boundary, "boundary"))
        .transpose()?;
    let session = spec
        .session
        .as_deref()
        .map(|d| set_of(d, PolicyKind::Session, "session"))
        .transpose()?;
    if spec.resource.is_some() && spec.trust.is_some() {
        return Err("a case has either `resource` or `trust`".to_owned());
    }
    let resource = match (&spec.resource, &spec.trust) {
        (Some(document), _) => Some(PolicySet::from_policies([(
            "resource",
            parse_policy(document, PolicyKind::Resource, "resource")?,
        )])),
        (_, Some(document)) => Some(PolicySet::from_policies([(
            "trust",
            parse_policy(document, PolicyKind::Trust, "trust")?,
        )])),
        _ => None,
    };
    let scp = spec
        .scp
        .as_deref()
        .map(|l| levels_of(l, PolicyKind::ServiceControl, "scp"))
        .transpose()?
        .unwrap_or_default();
    let rcp = spec
        .rcp
        .as_deref()
        .map(|l| levels_of(l, PolicyKind::ResourceControl, "rcp"))
        .transpose()?
        .unwrap_or_default();
    let policies = Policies {
        identity: identity.as_ref(),
        boundary: boundary.as_ref(),
        session: session.as_ref(),
        resource: resource.as_ref(),
        trust: spec.trust.is_some(),
        service_control: &scp,
        resource_control: &rcp,
    };

    let principal = principal_of(case.principal.as_ref())?;
    let mut context = Context::new();
    for (key, value) in &request_spec.context {
        context.insert(key, context_value(value)?);
    }
    principal_keys(&principal, &mut context);
    let resource_arn = request_spec.resource.as_deref().unwrap_or("*");
    let resource_account = match &request_spec.resource_account {
        Some(account) => account.clone(),
        None => Arn::parse(resource_arn)
            .map(|arn| arn.account)
            .filter(|account| !account.is_empty())
            .unwrap_or(principal.account.as_str())
            .to_owned(),
    };
    let request = Request {
        principal: &principal,
        action: &request_spec.action,
        resource: resource_arn,
        resource_account: &resource_account,
        context: &context,
    };

    let decision = policies.evaluate(&request);
    let explanation = policies.explain(&request);
    let outcome = match expected {
        "Allowed" => Outcome::Allowed,
        "ExplicitDeny" => Outcome::ExplicitDeny,
        "ImplicitDeny" => Outcome::ImplicitDeny,
        other => return Err(format!("unknown decision `{other}`")),
    };
    let mut problems = Vec::new();
    if decision.outcome != outcome {
        problems.push(format!(
            "decision: expected {expected}, got {:?} ({:?})",
            decision.outcome, decision.reason
        ));
    }
    if explanation.outcome != decision.outcome || explanation.reason != decision.reason {
        problems.push(format!(
            "explain disagrees with evaluate: {:?} vs {:?}",
            explanation.reason, decision.reason
        ));
    }
    if let Some(matched) = &case.expect.matched {
        let mut want: Vec<String> = matched.clone();
        let mut got: Vec<String> = explanation
            .matched
            .iter()
            .map(|m| format!("{}#{}", m.policy_id, m.index))
            .collect();
        want.sort();
        got.sort();
        want.dedup();
        if want != got {
            problems.push(format!("matched: expected {want:?}, got {got:?}"));
        }
    }
    if let Some(missing) = &case.expect.missing_context {
        let mut want: Vec<String> = missing.iter().map(|k| k.to_ascii_lowercase()).collect();
        let mut got: Vec<String> = explanation
            .missing_context
            .iter()
            .map(|k| k.to_ascii_lowercase())
            .collect();
        want.sort();
        want.dedup();
        got.sort();
        if want != got {
            problems.push(format!("missing_context: expected {want:?}, got {got:?}"));
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join("\n    "))
    }
}
