//! The policy simulator: AWS's SimulateCustomPolicy over parsed policies, answering for every
//! action and resource with the outcome, the statements that decided it and the context keys
//! the request lacked.
//!
//! A [`Simulation`] is typed input: parsed policies with the ids results report for them
//! (`PolicyInputList.1`, `ResourcePolicy`, …), the actions and resources, the caller and the
//! request context. [`Simulation::results`] evaluates each action on every resource with the
//! very engine that enforces ([`Policies::explain`]) and folds the answers per action, as AWS's
//! simulator does: one [`ActionResult`] per action whose top-level outcome is the most
//! restrictive over its resources, with one [`ResourceResult`] per resource. It evaluates an
//! action only when asked for its result, so a page of results costs that page alone;
//! [`Simulation::evaluation_cost`] bounds what one evaluation costs, for callers that budget.
//!
//! Where AWS's documentation is silent, the simulator does this:
//! - Without a caller, the caller is an IAM user of no particular account, and every resource
//!   counts as its own account's (no request is cross-account).
//! - A resource's owner is the account in its ARN, else the given owner, else the caller's.
//! - The context holds exactly what was given: no key is derived from the caller.
//! - An allowed result lists the identity and resource-based statements that allowed, not the
//!   boundary's (AWS's sample responses do the same); an explicit deny lists every matching
//!   Deny, the boundary's included; an implicit deny lists none.

use std::collections::HashSet;
use std::fmt;
use std::net::IpAddr;
use std::sync::Arc;

use crate::arn::Arn;
use crate::condition::scalar;
use crate::context::{Context, Request};
use crate::evaluate::{MatchedStatement, Outcome, Policies};
use crate::policy::{Policy, PolicyKind, Statement};
use crate::principal::{Principal, PrincipalKind};
use crate::set::{Observer, PolicySet, Slot};

/// A policy given to the simulator, under the id that results report for it.
#[derive(Clone, Debug)]
pub struct InputPolicy {
    pub id: String,
    pub policy: Arc<Policy>,
}

/// Everything a simulation needs, already parsed.
#[derive(Clone, Debug, Default)]
pub struct Simulation {
    /// The caller's identity-based policies.
    pub identity: Vec<InputPolicy>,
    /// The caller's permissions boundary.
    pub boundary: Option<InputPolicy>,
    /// The policy every simulated resource is treated as having.
    pub resource_policy: Option<InputPolicy>,
    /// `service:Action` names, without wildcards.
    pub actions: Vec<String>,
    /// Resource ARNs (or `*`); none means `*`.
    pub resources: Vec<String>,
    /// The account that owns resources whose ARN names no account.
    pub resource_owner: Option<String>,
    /// Who calls; required for a resource policy to name anyone.
    pub caller: Option<Principal>,
    pub context: Context,
}

/// The answer for one action, folded over its resources.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ActionResult {
    pub action: String,
    /// The most restrictive outcome over the resources.
    pub outcome: Outcome,
    /// The statements behind `outcome`, from every resource that had it.
    pub matched: Vec<MatchedStatement>,
    /// The context keys any resource's evaluation lacked.
    pub missing_context: Vec<String>,
    /// The most restrictive outcome of each kind of policy over the resources; see
    /// [`ResourceResult::decision_details`].
    pub decision_details: Option<Vec<(PolicyKind, Outcome)>>,
    /// Whether the boundary allowed on every resource; `None` without a boundary.
    pub boundary_allows: Option<bool>,
    pub resources: Vec<ResourceResult>,
}

/// The answer for one action on one resource.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResourceResult {
    pub resource: String,
    pub outcome: Outcome,
    /// The statements that decided. Positions are placed as AWS places them: `start` just
    /// after the statement's `{`, `end` just after its `}` (1-based lines and columns).
    pub matched: Vec<MatchedStatement>,
    /// Condition keys that statements applying to the request tested but the context lacked.
    pub missing_context: Vec<String>,
    /// What each kind of policy says on its own. `None` for the resource `*`; empty within
    /// one account; filled for a cross-account request (AWS's EvalDecisionDetails rules).
    pub decision_details: Option<Vec<(PolicyKind, Outcome)>>,
    /// Whether the boundary has a matching Allow and no matching Deny; `None` without one.
    pub boundary_allows: Option<bool>,
}

/// AWS's name for the kind of policy a statement came from: the simulator's
/// `SourcePolicyType` and the keys of its `EvalDecisionDetails`.
pub fn source_type(kind: PolicyKind) -> &'static str {
    match kind {
        PolicyKind::Identity => "IAM Policy",
        PolicyKind::Resource | PolicyKind::Trust => "Resource Policy",
        PolicyKind::Boundary => "Permissions Boundary Policy",
        PolicyKind::Session => "Session Policy",
        PolicyKind::ServiceControl => "Service Control Policy",
        PolicyKind::ResourceControl => "Resource Control Policy",
    }
}

/// The types a simulated context value can have (the simulator's `ContextKeyType`, without
/// the list variants, which hold several values of the same type).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ValueType {
    String,
    Numeric,
    Boolean,
    Ip,
    Binary,
    Date,
}

impl ValueType {
    /// Whether the condition operators of this type can read `text` as a request value.
    pub fn accepts(self, text: &str) -> bool {
        match self {
            ValueType::String => true,
            ValueType::Numeric => scalar::number(text).is_some(),
            ValueType::Boolean => {
                text.eq_ignore_ascii_case("true") || text.eq_ignore_ascii_case("false")
            }
            ValueType::Ip => text.trim().parse::<IpAddr>().is_ok(),
            ValueType::Binary => scalar::base64(text).is_some(),
            ValueType::Date => scalar::timestamp(text).is_some(),
        }
    }
}

impl Simulation {
    /// Evaluates every action on every resource, in the order given.
    pub fn run(&self) -> Vec<ActionResult> {
        self.results(0).collect()
    }

    /// The results of the actions from the `start`th on, in the order given. Each action is
    /// evaluated when the iterator reaches it: actions before `start` and after the last
    /// result taken are never evaluated.
    pub fn results(&self, start: usize) -> Results<'_> {
        Results {
            simulation: self,
            sets: Sets::new(self),
            anonymous: Principal {
                kind: PrincipalKind::User,
                account: String::new(),
                arn: String::new(),
                role_arn: None,
                id: None,
            },
            next: start,
            evaluations: 0,
        }
    }

    /// The resources each action is evaluated on: those given, or `*`.
    pub fn resource_count(&self) -> usize {
        self.resources.len().max(1)
    }

    /// An upper bound on the tests one evaluation (one action on one resource) makes: for
    /// each statement of each policy, one for the statement and one per action, resource and
    /// principal pattern; for each of its conditions, the condition's values times the
    /// context's values for its key. What one action costs is this times
    /// [`Simulation::resource_count`].
    pub fn evaluation_cost(&self) -> usize {
        self.identity
            .iter()
            .chain(&self.boundary)
            .chain(&self.resource_policy)
            .flat_map(|input| input.policy.statements())
            .map(|statement| statement.tests(&self.context))
            .fold(0, usize::saturating_add)
    }

    fn evaluate(
        &self,
        sets: &Sets,
        caller: &Principal,
        action: &str,
        resource: &str,
    ) -> ResourceResult {
        let owner = match Arn::parse(resource) {
            Some(arn) if !arn.account.is_empty() => arn.account,
            _ => self.resource_owner.as_deref().unwrap_or(&caller.account),
        };
        // Without a caller there is no account to be foreign to.
        let resource_account = if self.caller.is_some() { owner } else { "" };
        let request = Request {
            principal: caller,
            action,
            resource,
            resource_account,
            context: &self.context,
        };
        let policies = Policies {
            identity: Some(&sets.identity),
            boundary: sets.boundary.as_ref(),
            resource: sets.resource.as_ref(),
            ..Policies::default()
        };
        let explanation = policies.explain(&request);
        let outcome = explanation.outcome;
        let matched = explanation
            .matched
            .into_iter()
            .filter(|m| outcome != Outcome::Allowed || m.kind != PolicyKind::Boundary)
            .map(|mut m| {
                m.start.column += 1;
                m
            })
            .collect();

        let folded = action.to_ascii_lowercase();
        let has_boundary = sets.boundary.is_some();
        let verdict = |set: &PolicySet| verdict(set, &request, &folded, has_boundary);
        let cross_account = !resource_account.is_empty() && resource_account != caller.account;
        let decision_details = (resource != "*").then(|| {
            if !cross_account {
                return Vec::new();
            }
            let mut details = vec![(PolicyKind::Identity, verdict(&sets.identity))];
            details.extend(
                sets.resource
                    .as_ref()
                    .map(|set| (PolicyKind::Resource, verdict(set))),
            );
            details.extend(
                sets.boundary
                    .as_ref()
                    .map(|set| (PolicyKind::Boundary, verdict(set))),
            );
            details
        });
        ResourceResult {
            resource: resource.to_owned(),
            outcome,
            matched,
            missing_context: explanation.missing_context,
            decision_details,
            boundary_allows: sets
                .boundary
                .as_ref()
                .map(|set| verdict(set) == Outcome::Allowed),
        }
    }
}

/// The results of a simulation's actions, evaluated one action at a time
/// ([`Simulation::results`]).
pub struct Results<'s> {
    simulation: &'s Simulation,
    sets: Sets,
    anonymous: Principal,
    /// The index of the next action to evaluate.
    next: usize,
    evaluations: usize,
}

impl Results<'_> {
    /// How many evaluations (one action on one resource each) the results taken so far made.
    pub fn evaluations(&self) -> usize {
        self.evaluations
    }
}

impl fmt::Debug for Results<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Results")
            .field("next", &self.next)
            .field("remaining", &self.len())
            .field("evaluations", &self.evaluations)
            .finish_non_exhaustive()
    }
}

impl Iterator for Results<'_> {
    type Item = ActionResult;

    fn next(&mut self) -> Option<ActionResult> {
        let simulation = self.simulation;
        let action = simulation.actions.get(self.next)?;
        self.next += 1;
        let any = ["*".to_owned()];
        let resources = if simulation.resources.is_empty() {
            &any[..]
        } else {
            &simulation.resources[..]
        };
        let caller = simulation.caller.as_ref().unwrap_or(&self.anonymous);
        let results = resources
            .iter()
            .map(|resource| simulation.evaluate(&self.sets, caller, action, resource))
            .collect();
        self.evaluations += resources.len();
        Some(fold(action, results))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let remaining = self.simulation.actions.len().saturating_sub(self.next);
        (remaining, Some(remaining))
    }
}

impl ExactSizeIterator for Results<'_> {}

/// The simulation's policies, compiled once for every request.
struct Sets {
    identity: PolicySet,
    boundary: Option<PolicySet>,
    resource: Option<PolicySet>,
}

impl Sets {
    fn new(simulation: &Simulation) -> Sets {
        let set = |policies: &mut dyn Iterator<Item = &InputPolicy>| {
            PolicySet::from_policies(policies.map(|p| (p.id.clone(), Arc::clone(&p.policy))))
        };
        Sets {
            identity: set(&mut simulation.identity.iter()),
            boundary: simulation
                .boundary
                .as_ref()
                .map(|p| set(&mut std::iter::once(p))),
            resource: simulation
                .resource_policy
                .as_ref()
                .map(|p| set(&mut std::iter::once(p))),
        }
    }
}

/// What one set of policies says on its own: a matching Deny, else a matching Allow.
fn verdict(
    set: &PolicySet,
    request: &Request<'_>,
    folded_action: &str,
    has_boundary: bool,
) -> Outcome {
    let found = set.scan(request, folded_action, has_boundary, &mut Quiet);
    if found.deny.is_some() {
        Outcome::ExplicitDeny
    } else if found.allow.is_some() {
        Outcome::Allowed
    } else {
        Outcome::ImplicitDeny
    }
}

struct Quiet;

impl Observer for Quiet {
    fn short_circuit(&self) -> bool {
        true
    }
    fn applicable(&mut self, _: &Statement, _: &mut dyn Iterator<Item = &str>) {}
    fn matched(&mut self, _: &PolicySet, _: Slot) {}
}

/// How restrictive an outcome is: an explicit deny beats an implicit one beats an allow.
fn severity(outcome: Outcome) -> u8 {
    match outcome {
        Outcome::Allowed => 0,
        Outcome::ImplicitDeny => 1,
        Outcome::ExplicitDeny => 2,
    }
}

fn strictest(a: Outcome, b: Outcome) -> Outcome {
    if severity(b) > severity(a) { b } else { a }
}

fn fold(action: &str, resources: Vec<ResourceResult>) -> ActionResult {
    let outcome = resources
        .iter()
        .map(|r| r.outcome)
        .fold(Outcome::Allowed, strictest);
    let mut matched: Vec<MatchedStatement> = Vec::new();
    let mut seen: HashSet<&MatchedStatement> = HashSet::new();
    let mut missing_context: Vec<String> = Vec::new();
    let mut missing_seen: HashSet<String> = HashSet::new();
    let mut decision_details: Option<Vec<(PolicyKind, Outcome)>> = None;
    let mut boundary_allows = None;
    for result in &resources {
        if result.outcome == outcome {
            for statement in &result.matched {
                if seen.insert(statement) {
                    matched.push(statement.clone());
                }
            }
        }
        for key in &result.missing_context {
            if missing_seen.insert(key.to_ascii_lowercase()) {
                missing_context.push(key.clone());
            }
        }
        if let Some(details) = &result.decision_details {
            let merged = decision_details.get_or_insert_with(Vec::new);
            for &(kind, decided) in details {
                match merged.iter_mut().find(|(k, _)| *k == kind) {
                    Some(entry) => entry.1 = strictest(entry.1, decided),
                    None => merged.push((kind, decided)),
                }
            }
        }
        if let Some(allows) = result.boundary_allows {
            boundary_allows = Some(boundary_allows.unwrap_or(true) && allows);
        }
    }
    ActionResult {
        action: action.to_owned(),
        outcome,
        matched,
        missing_context,
        decision_details,
        boundary_allows,
        resources,
    }
}

#[cfg(test)]
mod tests;
