//! Compiling generated policies into sets, deciding requests with both `evaluate` and
//! `explain` (checking that they agree), and reading explanations back.

use super::*;

pub(crate) fn document(statements: &[Value]) -> String {
    json!({"Version": "2012-10-17", "Statement": statements}).to_string()
}

pub(crate) fn parse(text: &str, kind: PolicyKind) -> Policy {
    Policy::parse(text, kind)
        .unwrap_or_else(|e| panic!("a generated {kind:?} policy does not parse: {e}\n{text}"))
}

pub(crate) fn set_of(kind: PolicyKind, prefix: &str, policies: &[Vec<Value>]) -> PolicySet {
    PolicySet::from_policies(policies.iter().enumerate().map(|(index, statements)| {
        let id = format!("{prefix}.{}", index + 1);
        (id, Arc::new(parse(&document(statements), kind)))
    }))
}

/// Compiled policy sets, ready to be named in a [`Policies`].
#[derive(Default)]
pub(crate) struct Built {
    pub(crate) identity: Option<PolicySet>,
    pub(crate) boundary: Option<PolicySet>,
    pub(crate) session: Option<PolicySet>,
    pub(crate) resource: Option<PolicySet>,
    pub(crate) trust: bool,
    pub(crate) scp: Vec<PolicySet>,
    pub(crate) rcp: Vec<PolicySet>,
}

impl Built {
    /// Policy ids name their kind: `identity.1`, `boundary.1`, `scp.2.1`, ….
    pub(crate) fn of(scenario: &Scenario) -> Built {
        Built::named(scenario, ["identity", "boundary", "session", "resource"])
    }

    /// Policy ids from the given prefixes for identity, boundary, session and resource
    /// policies (the same prefix twice makes ids that two kinds share, as when one managed
    /// policy is both attached and the permissions boundary).
    pub(crate) fn named(
        scenario: &Scenario,
        [identity, boundary, session, resource]: [&str; 4],
    ) -> Built {
        Built {
            identity: Some(set_of(PolicyKind::Identity, identity, &scenario.identity)),
            boundary: (scenario.boundary.as_ref())
                .map(|p| set_of(PolicyKind::Boundary, boundary, p)),
            session: (scenario.session.as_ref()).map(|p| set_of(PolicyKind::Session, session, p)),
            resource: (scenario.resource.as_ref())
                .map(|p| set_of(PolicyKind::Resource, resource, p)),
            trust: false,
            scp: (scenario.scp.iter().enumerate())
                .map(|(level, p)| {
                    set_of(PolicyKind::ServiceControl, &format!("scp.{}", level + 1), p)
                })
                .collect(),
            rcp: Vec::new(),
        }
    }

    pub(crate) fn policies(&self) -> Policies<'_> {
        Policies {
            identity: self.identity.as_ref(),
            boundary: self.boundary.as_ref(),
            session: self.session.as_ref(),
            resource: self.resource.as_ref(),
            trust: self.trust,
            service_control: &self.scp,
            resource_control: &self.rcp,
        }
    }
}

impl Req {
    pub(crate) fn principal(&self) -> Principal {
        Principal::from_arn(&self.caller).unwrap()
    }

    /// The request's context plus the keys AWS derives from the caller.
    pub(crate) fn context(&self, principal: &Principal) -> Context {
        let mut context = Context::new();
        for (key, value) in &self.context {
            context.insert(key, value.clone());
        }
        context.insert_default("aws:PrincipalArn", principal.principal_arn());
        context.insert_default("aws:PrincipalAccount", principal.account.as_str());
        context.insert_default("aws:PrincipalType", principal.kind.as_str());
        if principal.kind == PrincipalKind::User {
            let name = principal.arn.rsplit('/').next().unwrap_or_default();
            context.insert_default("aws:username", name);
        }
        context
    }
}

/// What one evaluation said, in owned form.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Verdict {
    pub(crate) outcome: Outcome,
    pub(crate) reason: Reason,
    /// The deciding statement: policy id, kind, statement index.
    pub(crate) statement: Option<(String, PolicyKind, usize)>,
    pub(crate) explanation: Explanation,
}

/// Evaluates and explains `request` against `built`, checking that the two agree.
pub(crate) fn decide(built: &Built, request: &Req) -> Verdict {
    let principal = request.principal();
    let context = request.context(&principal);
    let question = Request {
        principal: &principal,
        action: &request.action,
        resource: &request.resource,
        resource_account: &request.resource_account,
        context: &context,
    };
    let policies = built.policies();
    let decision = policies.evaluate(&question);
    let explanation = policies.explain(&question);
    assert_eq!(
        (explanation.outcome, explanation.reason),
        (decision.outcome, decision.reason),
        "explain disagrees with evaluate"
    );
    if let Some(deciding) = decision.statement {
        assert!(
            explanation
                .matched
                .iter()
                .any(|m| m.policy_id == deciding.policy_id
                    && m.index == deciding.index
                    && m.kind == deciding.kind),
            "the deciding statement {deciding:?} is not among the explained {:?}",
            explanation.matched
        );
    }
    match decision.outcome {
        Outcome::ExplicitDeny => {
            assert!(
                decision.statement.is_some(),
                "an explicit deny names no statement"
            );
            assert!(matches!(decision.reason, Reason::ExplicitDeny(_)));
            assert!(
                explanation
                    .matched
                    .iter()
                    .all(|m| m.effect == warden_policy::Effect::Deny)
            );
        }
        Outcome::Allowed => {
            assert_eq!(decision.reason, Reason::Allowed);
            assert!(
                explanation
                    .matched
                    .iter()
                    .all(|m| m.effect == warden_policy::Effect::Allow)
            );
        }
        Outcome::ImplicitDeny => {
            assert!(matches!(decision.reason, Reason::NoAllow(_)));
            assert!(explanation.matched.is_empty());
        }
    }
    Verdict {
        outcome: decision.outcome,
        reason: decision.reason,
        statement: decision
            .statement
            .map(|s| (s.policy_id.to_owned(), s.kind, s.index)),
        explanation,
    }
}

/// The statement that a matched entry (kind, policy id, index) names in `scenario`. Policy
/// ids end in the policy's 1-based number; service control policy ids name the level too.
pub(crate) fn statement_at<'s>(scenario: &'s Scenario, matched: &MatchedStatement) -> &'s Value {
    let (level, number) = id_numbers(&matched.policy_id);
    let policies = match matched.kind {
        PolicyKind::Identity => &scenario.identity,
        PolicyKind::Boundary => scenario.boundary.as_ref().unwrap(),
        PolicyKind::Session => scenario.session.as_ref().unwrap(),
        PolicyKind::Resource => scenario.resource.as_ref().unwrap(),
        PolicyKind::ServiceControl => &scenario.scp[level],
        other => panic!("no {other:?} policies in a scenario"),
    };
    &policies[number][matched.index]
}

pub(crate) fn statement_at_mut<'s>(
    scenario: &'s mut Scenario,
    matched: &MatchedStatement,
) -> &'s mut Value {
    let (level, number) = id_numbers(&matched.policy_id);
    let policies = match matched.kind {
        PolicyKind::Identity => &mut scenario.identity,
        PolicyKind::Boundary => scenario.boundary.as_mut().unwrap(),
        PolicyKind::Session => scenario.session.as_mut().unwrap(),
        PolicyKind::Resource => scenario.resource.as_mut().unwrap(),
        PolicyKind::ServiceControl => &mut scenario.scp[level],
        other => panic!("no {other:?} policies in a scenario"),
    };
    &mut policies[number][matched.index]
}

/// The 0-based level (for `scp.L.N`) and policy number of a policy id.
pub(crate) fn id_numbers(policy_id: &str) -> (usize, usize) {
    let numbers: Vec<usize> = policy_id
        .split('.')
        .filter_map(|part| part.parse::<usize>().ok())
        .map(|n| n - 1)
        .collect();
    (numbers[0], numbers[numbers.len() - 1])
}

/// What the explanation says, independent of where statements sit: the matched statements'
/// kinds and texts, and the missing keys, both sorted.
pub(crate) fn explanation_contents(
    scenario: &Scenario,
    explanation: &Explanation,
) -> (Vec<(String, String)>, Vec<String>) {
    let mut matched: Vec<(String, String)> = explanation
        .matched
        .iter()
        .map(|m| {
            let statement = statement_at(scenario, m);
            (format!("{:?}", m.kind), statement.to_string())
        })
        .collect();
    matched.sort();
    let mut missing: Vec<String> = explanation
        .missing_context
        .iter()
        .map(|k| k.to_ascii_lowercase())
        .collect();
    missing.sort();
    missing.dedup();
    (matched, missing)
}

pub(crate) fn config(cases: u32) -> Config {
    Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    }
}

/// Whether alice may perform `action` on `resource` under one identity policy holding
/// `statement`, with `context`.
pub(crate) fn allowed_by(
    statement: Value,
    action: &str,
    resource: &str,
    context: Vec<(String, ContextValue)>,
) -> bool {
    let built = Built {
        identity: Some(set_of(PolicyKind::Identity, "identity", &[vec![statement]])),
        ..Built::default()
    };
    let request = Req {
        caller: CALLERS[0].to_owned(),
        action: action.to_owned(),
        resource: resource.to_owned(),
        resource_account: ACCOUNT.to_owned(),
        context,
    };
    decide(&built, &request).outcome == Outcome::Allowed
}

/// Puts one policy where its kind applies, with an allow-everything identity policy behind
/// the kinds that only cap.
pub(crate) fn built_around(kind: PolicyKind, policy: Policy) -> Built {
    let set = PolicySet::from_policies([("p", Arc::new(policy))]);
    let allow_all = || {
        let everything = json!({"Effect": "Allow", "Action": "*", "Resource": "*"});
        Some(set_of(
            PolicyKind::Identity,
            "identity",
            &[vec![everything]],
        ))
    };
    match kind {
        PolicyKind::Identity => Built {
            identity: Some(set),
            ..Built::default()
        },
        PolicyKind::Boundary => Built {
            identity: allow_all(),
            boundary: Some(set),
            ..Built::default()
        },
        PolicyKind::Session => Built {
            identity: allow_all(),
            session: Some(set),
            ..Built::default()
        },
        PolicyKind::Resource => Built {
            resource: Some(set),
            ..Built::default()
        },
        PolicyKind::Trust => Built {
            resource: Some(set),
            trust: true,
            ..Built::default()
        },
        PolicyKind::ServiceControl => Built {
            identity: allow_all(),
            scp: vec![set],
            ..Built::default()
        },
        PolicyKind::ResourceControl => Built {
            identity: allow_all(),
            rcp: vec![set],
            ..Built::default()
        },
    }
}

/// A verdict with the statements' places in the text (which reprinting moves) cleared.
pub(crate) fn without_positions(mut verdict: Verdict) -> Verdict {
    for matched in &mut verdict.explanation.matched {
        matched.start = Position::default();
        matched.end = Position::default();
    }
    verdict
}
