//! The scenarios compiled for each engine: IAM policy documents in a Warden `PolicySet`, the
//! same statements as Cedar policies, the request contexts, and the check that both engines
//! decide every probe as the scenario expects.
//!
//! What the Cedar rendering keeps and what it cannot:
//! - Cedar has no glob on actions. An exact IAM action becomes `Action::"s3:GetObject"`; a
//!   pattern such as `s3:Get*` becomes an action group `Action::"s3:Get*"`, and each probed
//!   action entity lists as parents the groups whose pattern it matches. Equivalent for the
//!   actions the entity store knows; IAM also matches actions nobody listed ahead of time.
//! - Cedar's `resource` is an entity, not a string: each resource is an entity with an `arn`
//!   attribute, and `Resource` patterns become `resource.arn like "…"` (Cedar's `*` is IAM's
//!   `*`; IAM's `?` is unused here). IAM also keeps a wildcard from crossing the first five
//!   colons of an ARN; the patterns used here never rely on that.
//! - Cedar has no string interpolation, so `${aws:username}` is substituted when the Cedar
//!   policy is written: equivalent for the one principal benchmarked, not a shared policy.
//! - Conditions become `when` clauses over a context record holding the same request facts:
//!   `StringEquals` on `aws:PrincipalTag/team` is `context.principalTags.team == "…"`,
//!   `IpAddress` is `isInRange` (the `ipaddr` extension), `DateLessThan` on
//!   `aws:CurrentTime` is `<` on `datetime` values (the `datetime` extension), `Bool` is `==`.
//!   IAM treats an absent key as a failed test; Cedar errors on it and skips the policy. Every
//!   probe carries every key, and the benchmark asserts Cedar reports no errors.
//! - A statement is one Cedar policy (`permit` or `forbid`); an identity policy set is the
//!   principal's, so no scope names the principal.

use std::collections::{BTreeMap, BTreeSet};
use std::str::FromStr;
use std::sync::Arc;

use serde_json::{Map, Value, json};
use warden_policy::{
    Context, Outcome, Policies, Policy, PolicyKind, PolicySet, Principal, Request,
};

use crate::scenarios::{
    ACCOUNT, Condition, Effect, NOW, NOW_EPOCH, Scenario, Statement, USER, USER_ARN, USER_ID,
};

/// The scenario compiled for Warden.
#[derive(Debug)]
pub struct Warden {
    set: PolicySet,
    principal: Principal,
    contexts: Vec<Context>,
}

impl Warden {
    pub fn new(scenario: &Scenario) -> Warden {
        let set = PolicySet::from_policies(scenario.documents.iter().enumerate().map(
            |(n, statements)| {
                let text = iam_document(statements);
                let policy = Policy::parse(&text, PolicyKind::Identity)
                    .unwrap_or_else(|e| panic!("scenario ({}) policy {n}: {e}", scenario.key));
                (format!("policy-{n}"), Arc::new(policy))
            },
        ));
        let mut principal = Principal::from_arn(USER_ARN).expect("a user ARN");
        principal.id = Some(USER_ID.to_owned());
        let contexts = scenario
            .probes
            .iter()
            .map(|probe| warden_context(probe.source_ip))
            .collect();
        Warden {
            set,
            principal,
            contexts,
        }
    }

    pub fn policies(&self) -> Policies<'_> {
        Policies {
            identity: Some(&self.set),
            ..Policies::default()
        }
    }

    pub fn request<'a>(&'a self, scenario: &'a Scenario, index: usize) -> Request<'a> {
        let probe = &scenario.probes[index];
        Request {
            principal: &self.principal,
            action: &probe.action,
            resource: &probe.resource,
            resource_account: ACCOUNT,
            context: &self.contexts[index],
        }
    }
}

/// The request context a signed request from alice carries.
fn warden_context(source_ip: &str) -> Context {
    let mut context = Context::new();
    context.insert("aws:username", USER);
    context.insert("aws:userid", USER_ID);
    context.insert("aws:PrincipalArn", USER_ARN);
    context.insert("aws:PrincipalAccount", ACCOUNT);
    context.insert("aws:PrincipalType", "User");
    context.insert("aws:PrincipalTag/team", "platform");
    context.insert("aws:PrincipalTag/cost-center", "cc-42");
    context.insert("aws:SourceIp", source_ip);
    context.insert("aws:CurrentTime", NOW);
    context.insert("aws:EpochTime", NOW_EPOCH.to_string());
    context.insert("aws:SecureTransport", "true");
    context.insert("aws:RequestedRegion", "us-east-1");
    context.insert(
        "aws:UserAgent",
        "aws-cli/2.17.0 Python/3.11.8 Linux/6.1 exe/x86_64",
    );
    context.insert("aws:MultiFactorAuthPresent", "false");
    context
}

fn iam_document(statements: &[Statement]) -> String {
    let statements: Vec<Value> = statements
        .iter()
        .map(|statement| {
            let mut element = json!({
                "Sid": statement.sid,
                "Effect": match statement.effect {
                    Effect::Allow => "Allow",
                    Effect::Deny => "Deny",
                },
                "Action": statement.actions,
                "Resource": statement.resources,
            });
            if !statement.conditions.is_empty() {
                let mut block = Map::new();
                for condition in &statement.conditions {
                    let (operator, key, value) = match *condition {
                        Condition::Team(team) => {
                            ("StringEquals", "aws:PrincipalTag/team", json!(team))
                        }
                        Condition::SourceIp(networks) => {
                            ("IpAddress", "aws:SourceIp", json!(networks))
                        }
                        Condition::Before(time) => ("DateLessThan", "aws:CurrentTime", json!(time)),
                        Condition::SecureTransport(secure) => {
                            ("Bool", "aws:SecureTransport", json!(secure.to_string()))
                        }
                    };
                    block.insert(operator.to_owned(), json!({ key: value }));
                }
                element["Condition"] = Value::Object(block);
            }
            element
        })
        .collect();
    json!({"Version": "2012-10-17", "Statement": statements}).to_string()
}

/// The scenario written in Cedar (see the module documentation for what is equivalent).
#[derive(Debug)]
pub struct Cedar {
    pub policies: cedar_policy::PolicySet,
    pub entities: cedar_policy::Entities,
    pub requests: Vec<cedar_policy::Request>,
}

impl Cedar {
    pub fn new(scenario: &Scenario) -> Cedar {
        let text: String = scenario.statements().map(cedar_policy_text).collect();
        let policies = cedar_policy::PolicySet::from_str(&text)
            .unwrap_or_else(|e| panic!("scenario ({}) in Cedar: {e:?}", scenario.key));
        let groups: BTreeSet<&str> = scenario
            .statements()
            .flat_map(|statement| &statement.actions)
            .filter(|action| action.contains('*') && action.as_str() != "*")
            .map(String::as_str)
            .collect();
        let principal = uid("User", USER);
        // Keyed by uid text: probes share actions and resources.
        let mut entities = BTreeMap::new();
        entities.insert(
            principal.to_string(),
            cedar_policy::Entity::new_no_attrs(principal.clone(), Default::default()),
        );
        let mut requests = Vec::new();
        for probe in &scenario.probes {
            let action = uid("Action", &probe.action);
            let parents = groups
                .iter()
                .filter(|group| {
                    glob(
                        &group.to_ascii_lowercase(),
                        &probe.action.to_ascii_lowercase(),
                    )
                })
                .map(|group| uid("Action", group))
                .collect();
            entities.insert(
                action.to_string(),
                cedar_policy::Entity::new_no_attrs(action.clone(), parents),
            );
            let resource = uid("Resource", &probe.resource);
            let arn = cedar_policy::RestrictedExpression::new_string(probe.resource.clone());
            let entity = cedar_policy::Entity::new(
                resource.clone(),
                [("arn".to_owned(), arn)].into(),
                Default::default(),
            )
            .expect("a resource entity");
            entities.insert(resource.to_string(), entity);
            let context = cedar_context(probe.source_ip);
            let request =
                cedar_policy::Request::new(principal.clone(), action, resource, context, None)
                    .expect("a Cedar request");
            requests.push(request);
        }
        let entities = cedar_policy::Entities::from_entities(entities.into_values(), None)
            .expect("Cedar entities");
        Cedar {
            policies,
            entities,
            requests,
        }
    }
}

fn uid(kind: &str, id: &str) -> cedar_policy::EntityUid {
    let kind = cedar_policy::EntityTypeName::from_str(kind).expect("an entity type");
    cedar_policy::EntityUid::from_type_name_and_id(kind, cedar_policy::EntityId::new(id))
}

/// The same request facts as [`warden_context`], as a Cedar record.
fn cedar_context(source_ip: &str) -> cedar_policy::Context {
    use cedar_policy::RestrictedExpression as E;
    let text = |value: &str| E::new_string(value.to_owned());
    let tags = E::new_record([
        ("team".to_owned(), text("platform")),
        ("costCenter".to_owned(), text("cc-42")),
    ])
    .expect("a tag record");
    let pairs = [
        ("username", text(USER)),
        ("userid", text(USER_ID)),
        ("principalArn", text(USER_ARN)),
        ("principalAccount", text(ACCOUNT)),
        ("principalType", text("User")),
        ("principalTags", tags),
        ("sourceIp", E::new_ip(source_ip)),
        ("currentTime", E::new_datetime(NOW)),
        ("epochTime", E::new_long(NOW_EPOCH)),
        ("secureTransport", E::new_bool(true)),
        ("requestedRegion", text("us-east-1")),
        (
            "userAgent",
            text("aws-cli/2.17.0 Python/3.11.8 Linux/6.1 exe/x86_64"),
        ),
        ("multiFactorAuthPresent", E::new_bool(false)),
    ];
    cedar_policy::Context::from_pairs(pairs.map(|(key, value)| (key.to_owned(), value)))
        .expect("a Cedar context")
}

fn cedar_policy_text(statement: &Statement) -> String {
    let effect = match statement.effect {
        Effect::Allow => "permit",
        Effect::Deny => "forbid",
    };
    let action = if statement.actions.iter().any(|a| a == "*") {
        "action".to_owned()
    } else {
        let list: Vec<String> = statement
            .actions
            .iter()
            .map(|a| format!("Action::\"{a}\""))
            .collect();
        format!("action in [{}]", list.join(", "))
    };
    let mut tests = Vec::new();
    if !statement.resources.iter().any(|r| r == "*") {
        let alternatives: Vec<String> = statement
            .resources
            .iter()
            .map(|r| {
                format!(
                    "resource.arn like \"{}\"",
                    r.replace("${aws:username}", USER)
                )
            })
            .collect();
        tests.push(format!("({})", alternatives.join(" || ")));
    }
    for condition in &statement.conditions {
        tests.push(match *condition {
            Condition::Team(team) => format!("context.principalTags.team == \"{team}\""),
            Condition::SourceIp(networks) => {
                let alternatives: Vec<String> = networks
                    .iter()
                    .map(|n| format!("context.sourceIp.isInRange(ip(\"{n}\"))"))
                    .collect();
                format!("({})", alternatives.join(" || "))
            }
            Condition::Before(time) => format!("context.currentTime < datetime(\"{time}\")"),
            Condition::SecureTransport(secure) => format!("context.secureTransport == {secure}"),
        });
    }
    let when = if tests.is_empty() {
        String::new()
    } else {
        format!(" when {{ {} }}", tests.join(" && "))
    };
    format!(
        "@id(\"{}\")\n{effect}(principal, {action}, resource){when};\n",
        statement.sid
    )
}

/// `*`-only glob, for finding the action groups an action belongs to.
fn glob(pattern: &str, text: &str) -> bool {
    let mut parts = pattern.split('*');
    let first = parts.next().unwrap_or_default();
    let Some(mut rest) = text.strip_prefix(first) else {
        return false;
    };
    let parts: Vec<&str> = parts.collect();
    let Some((last, middle)) = parts.split_last() else {
        return rest.is_empty();
    };
    for part in middle {
        match rest.find(part) {
            Some(at) => rest = &rest[at + part.len()..],
            None => return false,
        }
    }
    rest.len() >= last.len() && rest.ends_with(last)
}

/// Checks, before anything is timed, that both engines decide every probe as expected, so
/// that no benchmark measures a wrong path.
pub fn verify(scenario: &Scenario, warden: &Warden, cedar: &Cedar) {
    let authorizer = cedar_policy::Authorizer::new();
    for (index, probe) in scenario.probes.iter().enumerate() {
        let request = warden.request(scenario, index);
        let decision = warden.policies().evaluate(&request);
        let what = format!(
            "scenario ({}) {}: {} on {}",
            scenario.key, probe.label, probe.action, probe.resource
        );
        assert_eq!(decision.outcome, probe.expect, "Warden, {what}");
        assert_eq!(
            decision.statement.is_some(),
            probe.expect != Outcome::ImplicitDeny,
            "Warden, {what}"
        );
        assert_eq!(
            warden.policies().explain(&request).outcome,
            probe.expect,
            "Warden explain, {what}"
        );
        let response =
            authorizer.is_authorized(&cedar.requests[index], &cedar.policies, &cedar.entities);
        let errors: Vec<String> = response
            .diagnostics()
            .errors()
            .map(ToString::to_string)
            .collect();
        assert_eq!(errors, Vec::<String>::new(), "Cedar, {what}");
        let expected = if probe.expect == Outcome::Allowed {
            cedar_policy::Decision::Allow
        } else {
            cedar_policy::Decision::Deny
        };
        assert_eq!(response.decision(), expected, "Cedar, {what}");
    }
}
