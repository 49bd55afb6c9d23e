//! The decision: AWS's evaluation logic over every kind of policy that applies to a request.
//!
//! An explicit Deny anywhere wins. Then resource control policies and service control
//! policies must allow at every level of the organization. Then a resource-based policy may
//! grant on its own (same account; how far depends on which principal it named), identity
//! policies must otherwise allow, and a permissions boundary and session policies cap what
//! they allow. Cross-account requests need both the identity side and the resource side.

use std::collections::HashSet;

use crate::context::Request;
use crate::json::Position;
use crate::policy::{Effect, PolicyKind, Statement};
use crate::principal::{Grant, PrincipalKind};
use crate::set::{Observer, PolicySet, SetVerdict, Slot};

/// The policies that apply to one request. Absent kinds do not apply.
#[derive(Clone, Copy, Debug, Default)]
pub struct Policies<'a> {
    /// The principal's identity-based policies (user, its groups, or the role).
    pub identity: Option<&'a PolicySet>,
    /// The principal's permissions boundary.
    pub boundary: Option<&'a PolicySet>,
    /// The session's policies (inline and managed), if the session was given any.
    pub session: Option<&'a PolicySet>,
    /// The resource's policy.
    pub resource: Option<&'a PolicySet>,
    /// Whether `resource` is a role trust policy, which must allow even in the same account.
    pub trust: bool,
    /// Service control policies of the principal's account, one set per organization level.
    pub service_control: &'a [PolicySet],
    /// Resource control policies of the resource's account, one set per organization level.
    pub resource_control: &'a [PolicySet],
}

/// The three outcomes of an evaluation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Outcome {
    Allowed,
    ExplicitDeny,
    ImplicitDeny,
}

impl Outcome {
    /// The simulator's spelling: `allowed`, `explicitDeny`, `implicitDeny`.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Allowed => "allowed",
            Outcome::ExplicitDeny => "explicitDeny",
            Outcome::ImplicitDeny => "implicitDeny",
        }
    }
}

/// Why the outcome is what it is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Reason {
    /// Allowed.
    Allowed,
    /// A Deny statement in a policy of this kind matched.
    ExplicitDeny(PolicyKind),
    /// No policy of this kind allowed.
    NoAllow(PolicyKind),
}

/// A statement that decided, by policy id and 0-based index.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StatementRef<'a> {
    pub policy_id: &'a str,
    pub kind: PolicyKind,
    pub index: usize,
    pub sid: Option<&'a str>,
}

/// The answer to one request, borrowing the policies that decided it. Computing it does not
/// allocate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Decision<'a> {
    pub outcome: Outcome,
    pub reason: Reason,
    /// The statement that decided: the Deny for an explicit deny, an Allow for an allow.
    pub statement: Option<StatementRef<'a>>,
}

impl Decision<'_> {
    pub fn is_allowed(&self) -> bool {
        self.outcome == Outcome::Allowed
    }

    /// AWS's words for a denial: "User: ARN is not authorized to perform: ACTION on
    /// resource: RESOURCE because no identity-based policy allows the ACTION action".
    pub fn denial_message(&self, caller: &str, action: &str, resource: &str) -> String {
        let why = match self.reason {
            Reason::Allowed => return String::new(),
            Reason::ExplicitDeny(kind) => format!("with an explicit deny in {}", kind_phrase(kind)),
            Reason::NoAllow(kind) => {
                format!("because no {} allows the {action} action", kind_noun(kind))
            }
        };
        format!(
            "User: {caller} is not authorized to perform: {action} on resource: {resource} {why}"
        )
    }
}

fn kind_noun(kind: PolicyKind) -> &'static str {
    match kind {
        PolicyKind::Identity => "identity-based policy",
        PolicyKind::Resource | PolicyKind::Trust => "resource-based policy",
        PolicyKind::Boundary => "permissions boundary",
        PolicyKind::Session => "session policy",
        PolicyKind::ServiceControl => "service control policy",
        PolicyKind::ResourceControl => "resource control policy",
    }
}

fn kind_phrase(kind: PolicyKind) -> String {
    match kind {
        PolicyKind::Identity => "an identity-based policy".to_owned(),
        PolicyKind::Boundary => "a permissions boundary".to_owned(),
        other => format!("a {}", kind_noun(other)),
    }
}

/// A statement that matched, with what an explanation shows of it.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct MatchedStatement {
    pub policy_id: String,
    pub kind: PolicyKind,
    pub index: usize,
    pub sid: Option<String>,
    pub effect: Effect,
    pub start: Position,
    pub end: Position,
}

/// A decision with everything behind it: every statement that decided (all matching Denies
/// for an explicit deny, all matching Allows for an allow), and the condition keys that
/// applicable statements asked for but the request lacked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Explanation {
    pub outcome: Outcome,
    pub reason: Reason,
    pub matched: Vec<MatchedStatement>,
    pub missing_context: Vec<String>,
}

impl<'a> Policies<'a> {
    /// Decides `request`, stopping at the first explicit deny.
    pub fn evaluate(&self, request: &Request<'_>) -> Decision<'a> {
        decide(self, request, &mut FastPath)
    }

    /// Decides `request` and explains the decision in full.
    pub fn explain(&self, request: &Request<'_>) -> Explanation {
        let mut collector = Collector::default();
        let decision = decide(self, request, &mut collector);
        let wanted = match decision.outcome {
            Outcome::Allowed => Some(Effect::Allow),
            Outcome::ExplicitDeny => Some(Effect::Deny),
            Outcome::ImplicitDeny => None,
        };
        let matched = collector
            .matched
            .into_iter()
            .filter(|m| Some(m.effect) == wanted)
            .collect();
        Explanation {
            outcome: decision.outcome,
            reason: decision.reason,
            matched,
            missing_context: collector.missing,
        }
    }
}

struct FastPath;

impl Observer for FastPath {
    fn short_circuit(&self) -> bool {
        true
    }
    fn applicable(&mut self, _: &Statement, _: &mut dyn Iterator<Item = &str>) {}
    fn matched(&mut self, _: &PolicySet, _: Slot) {}
}

#[derive(Default)]
struct Collector {
    kind: Option<PolicyKind>,
    matched: Vec<MatchedStatement>,
    /// The (policy id, statement index, kind) of each of `matched`.
    matched_seen: HashSet<(String, usize, PolicyKind)>,
    missing: Vec<String>,
    /// Each of `missing`, lower-cased.
    missing_seen: HashSet<String>,
}

impl Observer for Collector {
    fn short_circuit(&self) -> bool {
        false
    }

    fn applicable(&mut self, _: &Statement, missing: &mut dyn Iterator<Item = &str>) {
        for key in missing {
            if self.missing_seen.insert(key.to_ascii_lowercase()) {
                self.missing.push(key.to_owned());
            }
        }
    }

    fn matched(&mut self, set: &PolicySet, slot: Slot) {
        let Some(statement) = set.statement(slot) else {
            return;
        };
        let policy_id = set.id(slot);
        let index = slot.statement as usize;
        let kind = self.kind.unwrap_or(PolicyKind::Identity);
        // A statement listed under several actions of the set's index is scanned more than
        // once; one managed policy can also be attached and be the boundary (same id, another
        // kind), and then it matched twice.
        if !self
            .matched_seen
            .insert((policy_id.to_owned(), index, kind))
        {
            return;
        }
        self.matched.push(MatchedStatement {
            policy_id: policy_id.to_owned(),
            kind,
            index,
            sid: statement.sid.clone(),
            effect: statement.effect,
            start: statement.start,
            end: statement.end,
        });
    }
}

/// Observers learn which kind of policy they are looking at.
trait KindAware: Observer {
    fn set_kind(&mut self, kind: PolicyKind);
}

impl KindAware for FastPath {
    fn set_kind(&mut self, _: PolicyKind) {}
}

impl KindAware for Collector {
    fn set_kind(&mut self, kind: PolicyKind) {
        self.kind = Some(kind);
    }
}

/// Lower-cases an action into `buffer` when it fits, so the common path does not allocate.
fn fold_action<'b>(action: &str, buffer: &'b mut [u8; 128], spill: &'b mut String) -> &'b str {
    if let Some(target) = buffer.get_mut(..action.len()) {
        target.copy_from_slice(action.as_bytes());
        target.make_ascii_lowercase();
        if let Ok(folded) = std::str::from_utf8(target) {
            return folded;
        }
    }
    *spill = action.to_ascii_lowercase();
    spill
}

fn decide<'a>(
    policies: &Policies<'a>,
    request: &Request<'_>,
    observer: &mut impl KindAware,
) -> Decision<'a> {
    let mut buffer = [0u8; 128];
    let mut spill = String::new();
    let action = fold_action(request.action, &mut buffer, &mut spill);
    let caller = request.principal;
    let has_boundary = policies.boundary.is_some();

    let mut scan =
        |set: Option<&'a PolicySet>, kind: PolicyKind| -> Option<(SetVerdict, &'a PolicySet)> {
            let set = set?;
            observer.set_kind(kind);
            Some((set.scan(request, action, has_boundary, observer), set))
        };
    let resource_kind = if policies.trust {
        PolicyKind::Trust
    } else {
        PolicyKind::Resource
    };
    let identity = scan(policies.identity, PolicyKind::Identity);
    let resource = scan(policies.resource, resource_kind);
    let boundary = scan(policies.boundary, PolicyKind::Boundary);
    let session = scan(policies.session, PolicyKind::Session);
    let mut scps = Vec::new();
    let mut rcps = Vec::new();
    let explicit = |verdict: &Option<(SetVerdict, &'a PolicySet)>, kind| {
        let (v, set) = verdict.as_ref()?;
        v.deny.map(|slot| deny(set, slot, kind))
    };
    for verdict in [
        (&identity, PolicyKind::Identity),
        (&resource, resource_kind),
        (&boundary, PolicyKind::Boundary),
        (&session, PolicyKind::Session),
    ] {
        if let Some(decision) = explicit(verdict.0, verdict.1)
            && decision.outcome == Outcome::ExplicitDeny
        {
            // Keep scanning organization policies only to explain; the answer is known.
            scan_levels(
                policies.service_control,
                PolicyKind::ServiceControl,
                &mut scan,
                &mut scps,
            );
            scan_levels(
                policies.resource_control,
                PolicyKind::ResourceControl,
                &mut scan,
                &mut rcps,
            );
            return decision;
        }
    }
    scan_levels(
        policies.service_control,
        PolicyKind::ServiceControl,
        &mut scan,
        &mut scps,
    );
    scan_levels(
        policies.resource_control,
        PolicyKind::ResourceControl,
        &mut scan,
        &mut rcps,
    );
    for (levels, kind) in [
        (&scps, PolicyKind::ServiceControl),
        (&rcps, PolicyKind::ResourceControl),
    ] {
        for (verdict, set) in levels.iter() {
            if let Some(slot) = verdict.deny {
                return deny(set, slot, kind);
            }
        }
    }
    for (levels, kind) in [
        (&rcps, PolicyKind::ResourceControl),
        (&scps, PolicyKind::ServiceControl),
    ] {
        if levels.iter().any(|(verdict, _)| verdict.allow.is_none()) {
            return implicit(kind);
        }
    }

    let grant = resource
        .as_ref()
        .and_then(|(v, _)| v.allow.map(|(_, grant)| grant));
    let resource_allow = resource
        .as_ref()
        .and_then(|(v, set)| v.allow.map(|(slot, _)| allow(set, slot, resource_kind)));
    if !caller.has_identity() {
        return match grant {
            Some(_) => resource_allow.unwrap_or(ALLOWED),
            None => implicit(resource_kind),
        };
    }
    let cross_account =
        !request.resource_account.is_empty() && caller.account != request.resource_account;
    if grant.is_none() && (policies.trust || cross_account) {
        return implicit(resource_kind);
    }
    let identity_allow = identity.as_ref().and_then(|(v, set)| {
        v.allow
            .map(|(slot, _)| allow(set, slot, PolicyKind::Identity))
    });
    if caller.kind == PrincipalKind::Root {
        return identity_allow.or(resource_allow).unwrap_or(ALLOWED);
    }
    let overrides_identity = !cross_account && grant >= Some(Grant::Role);
    // A trust policy naming the caller spares it the identity policy, never its boundary
    // or session policy (AWS: "the permissions boundary must allow sts:AssumeRole").
    let direct = !cross_account && !policies.trust && grant == Some(Grant::Direct);
    if identity_allow.is_none() && !overrides_identity {
        return implicit(PolicyKind::Identity);
    }
    if let Some((verdict, _)) = &boundary
        && verdict.allow.is_none()
        && !direct
    {
        return implicit(PolicyKind::Boundary);
    }
    if caller.kind.is_session() && !direct {
        match &session {
            Some((verdict, _)) if verdict.allow.is_none() => return implicit(PolicyKind::Session),
            None if caller.kind == PrincipalKind::FederatedUser => {
                return implicit(PolicyKind::Session);
            }
            _ => {}
        }
    }
    identity_allow.or(resource_allow).unwrap_or(ALLOWED)
}

fn scan_levels<'a, F>(
    levels: &'a [PolicySet],
    kind: PolicyKind,
    scan: &mut F,
    out: &mut Vec<(SetVerdict, &'a PolicySet)>,
) where
    F: FnMut(Option<&'a PolicySet>, PolicyKind) -> Option<(SetVerdict, &'a PolicySet)>,
{
    if !out.is_empty() {
        return;
    }
    for level in levels {
        if let Some(verdict) = scan(Some(level), kind) {
            out.push(verdict);
        }
    }
}

const ALLOWED: Decision<'static> = Decision {
    outcome: Outcome::Allowed,
    reason: Reason::Allowed,
    statement: None,
};

fn implicit(kind: PolicyKind) -> Decision<'static> {
    Decision {
        outcome: Outcome::ImplicitDeny,
        reason: Reason::NoAllow(kind),
        statement: None,
    }
}

fn statement_ref(set: &PolicySet, slot: Slot, kind: PolicyKind) -> Option<StatementRef<'_>> {
    let statement = set.statement(slot)?;
    Some(StatementRef {
        policy_id: set.id(slot),
        kind,
        index: slot.statement as usize,
        sid: statement.sid.as_deref(),
    })
}

fn deny(set: &PolicySet, slot: Slot, kind: PolicyKind) -> Decision<'_> {
    Decision {
        outcome: Outcome::ExplicitDeny,
        reason: Reason::ExplicitDeny(kind),
        statement: statement_ref(set, slot, kind),
    }
}

fn allow(set: &PolicySet, slot: Slot, kind: PolicyKind) -> Decision<'_> {
    Decision {
        outcome: Outcome::Allowed,
        reason: Reason::Allowed,
        statement: statement_ref(set, slot, kind),
    }
}
