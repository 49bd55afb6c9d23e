//! A parsed policy document: [`Policy`], its [`Statement`]s, and the kinds of policy.

mod parse;
mod print;

use std::collections::HashSet;

use crate::arn::ArnPattern;
use crate::condition::Condition;
use crate::context::Context;
use crate::error::PolicyError;
use crate::json::Position;
use crate::principal::{Grant, Principal, PrincipalBlock};
use crate::wildcard;

/// Where a policy is used; it decides which elements are required or forbidden.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PolicyKind {
    /// Attached to a user, group or role (inline or managed). No `Principal`.
    Identity,
    /// Attached to a resource. `Principal` required.
    Resource,
    /// A role's trust policy: a resource policy without `Resource`.
    Trust,
    /// A permissions boundary. No `Principal`.
    Boundary,
    /// A session policy passed to AssumeRole* or GetFederationToken. No `Principal`.
    Session,
    /// A service control policy. No `Principal`.
    ServiceControl,
    /// A resource control policy. `Principal` required.
    ResourceControl,
}

impl PolicyKind {
    /// Whether statements name a principal (resource-side policies).
    pub fn has_principal(self) -> bool {
        matches!(
            self,
            PolicyKind::Resource | PolicyKind::Trust | PolicyKind::ResourceControl
        )
    }

    /// AWS's size limit for one document of this kind, in characters without whitespace.
    /// Inline identity policies share an aggregate limit per entity instead (see
    /// [`crate::limits`]).
    pub fn size_limit(self) -> usize {
        match self {
            PolicyKind::Identity | PolicyKind::Boundary => crate::limits::MANAGED_POLICY,
            PolicyKind::Trust => crate::limits::TRUST_POLICY,
            PolicyKind::Session => crate::limits::SESSION_POLICY,
            PolicyKind::Resource => crate::limits::RESOURCE_POLICY,
            PolicyKind::ServiceControl | PolicyKind::ResourceControl => {
                crate::limits::ORGANIZATION_POLICY
            }
        }
    }
}

/// The policy language version.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Version {
    /// `2012-10-17`: policy variables are substituted.
    V2012,
    /// `2008-10-17`: `${…}` is literal text.
    V2008,
    /// No `Version`: as 2008-10-17.
    Absent,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Effect {
    Allow,
    Deny,
}

/// A parsed, validated policy document, compiled for evaluation.
#[derive(Clone, Debug)]
pub struct Policy {
    pub(crate) kind: PolicyKind,
    pub(crate) version: Version,
    pub(crate) id: Option<String>,
    pub(crate) statements: Vec<Statement>,
    pub(crate) statement_as_array: bool,
}

impl PartialEq for Policy {
    /// Documents are equal when they say the same; positions in the text do not count.
    fn eq(&self, other: &Self) -> bool {
        self.kind == other.kind
            && self.version == other.version
            && self.id == other.id
            && self.statements == other.statements
            && self.statement_as_array == other.statement_as_array
    }
}

/// One statement of a policy.
#[derive(Clone, Debug)]
pub struct Statement {
    pub(crate) sid: Option<String>,
    pub(crate) effect: Effect,
    pub(crate) principal: Option<PrincipalBlock>,
    pub(crate) action: ActionBlock,
    pub(crate) resource: Option<ResourceBlock>,
    pub(crate) conditions: Vec<Condition>,
    pub(crate) start: Position,
    pub(crate) end: Position,
}

impl PartialEq for Statement {
    fn eq(&self, other: &Self) -> bool {
        self.sid == other.sid
            && self.effect == other.effect
            && self.principal == other.principal
            && self.action == other.action
            && self.resource == other.resource
            && self.conditions == other.conditions
    }
}

/// `Action` or `NotAction`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ActionBlock {
    pub negated: bool,
    pub patterns: Vec<ActionPattern>,
    pub as_array: bool,
}

/// One action pattern: `*`, or `service:Name` with wildcards in the name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ActionPattern {
    /// As written.
    pub text: String,
    /// Lower-cased `service:name`.
    pub folded: String,
}

impl ActionPattern {
    /// The lower-cased service prefix, or `None` for `*` (any service).
    pub fn service(&self) -> Option<&str> {
        let (service, _) = self.folded.split_once(':')?;
        (!wildcard::has_wildcard(service)).then_some(service)
    }

    /// Whether the pattern names exactly one action (no wildcard).
    pub fn is_exact(&self) -> bool {
        !wildcard::has_wildcard(&self.folded)
    }

    pub fn matches(&self, action: &str) -> bool {
        wildcard::matches(&self.folded, action, true)
    }
}

/// `Resource` or `NotResource`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ResourceBlock {
    pub negated: bool,
    pub texts: Vec<String>,
    pub patterns: Vec<ArnPattern>,
    pub as_array: bool,
}

impl Policy {
    /// Parses and validates `text` as a policy of `kind`.
    pub fn parse(text: &str, kind: PolicyKind) -> Result<Policy, PolicyError> {
        parse::parse(text, kind)
    }

    /// The document as JSON text (one line, elements in AWS's usual order).
    pub fn to_json(&self) -> String {
        print::print(self)
    }

    pub fn kind(&self) -> PolicyKind {
        self.kind
    }

    pub fn version(&self) -> Version {
        self.version
    }

    pub fn id(&self) -> Option<&str> {
        self.id.as_deref()
    }

    pub fn statements(&self) -> &[Statement] {
        &self.statements
    }

    /// Every condition key the document's conditions and variables read, as written,
    /// de-duplicated case-insensitively, in document order.
    pub fn context_keys(&self) -> Vec<String> {
        let mut keys: Vec<String> = Vec::new();
        let mut seen: HashSet<String> = HashSet::new();
        let mut push = |key: &str| {
            if seen.insert(key.to_ascii_lowercase()) {
                keys.push(key.to_owned());
            }
        };
        for statement in &self.statements {
            for condition in &statement.conditions {
                push(&condition.key);
                for variable in condition.variables() {
                    push(variable);
                }
            }
            if let Some(resource) = &statement.resource {
                for pattern in &resource.patterns {
                    for variable in pattern.variables() {
                        push(variable);
                    }
                }
            }
        }
        keys
    }
}

impl Statement {
    /// An upper bound on the tests deciding one request against this statement makes: one
    /// for the statement, one per action, resource and principal pattern, and per condition
    /// its values times the request's values for its key.
    pub(crate) fn tests(&self, context: &Context) -> usize {
        let patterns = self.action.patterns.len()
            + self.resource.as_ref().map_or(0, |r| r.patterns.len())
            + self.principal.as_ref().map_or(0, |p| p.values.len());
        self.conditions
            .iter()
            .map(|condition| {
                let requested = context
                    .get_folded(&condition.folded_key)
                    .map_or(1, |value| value.values().len().max(1));
                condition.raw_values.len().max(1).saturating_mul(requested)
            })
            .fold(patterns.saturating_add(1), usize::saturating_add)
    }

    pub fn sid(&self) -> Option<&str> {
        self.sid.as_deref()
    }

    pub fn effect(&self) -> Effect {
        self.effect
    }

    /// Where the statement's `{` is in the document text.
    pub fn start(&self) -> Position {
        self.start
    }

    /// The position just after the statement's `}`.
    pub fn end(&self) -> Position {
        self.end
    }

    pub fn conditions(&self) -> &[Condition] {
        &self.conditions
    }

    pub(crate) fn matches_action(&self, action: &str) -> bool {
        let any = self.action.patterns.iter().any(|p| p.matches(action));
        any != self.action.negated
    }

    pub(crate) fn matches_resource(&self, resource: &str, context: &Context) -> bool {
        match &self.resource {
            // Trust policies have no Resource: the role they are attached to.
            None => true,
            Some(block) => {
                let any = block.patterns.iter().any(|p| p.matches(resource, context));
                any != block.negated
            }
        }
    }

    /// For resource-side policies: whether the statement names the caller, and how strongly
    /// it grants. `has_boundary` carries AWS's documented `NotPrincipal` + `Deny` quirk.
    pub(crate) fn principal_grant(&self, caller: &Principal, has_boundary: bool) -> Option<Grant> {
        let Some(block) = &self.principal else {
            return Some(Grant::Direct);
        };
        if !block.negated {
            return block.grant(caller);
        }
        if self.effect == Effect::Deny && has_boundary {
            return Some(Grant::Direct);
        }
        (!block.covers(caller)).then_some(Grant::Direct)
    }

    pub(crate) fn conditions_hold(&self, context: &Context) -> bool {
        self.conditions.iter().all(|c| c.holds(context))
    }
}
