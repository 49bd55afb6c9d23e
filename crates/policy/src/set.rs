//! [`PolicySet`]: policies compiled together and indexed by service and action, so that a
//! decision's cost grows with the statements that can apply, not with all of them.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::Arc;

use crate::context::Request;
use crate::policy::{Effect, Policy, Statement};
use crate::principal::Grant;

/// Policies of one kind that apply together (a principal's identity policies, say), each with
/// the id that explanations report.
#[derive(Clone, Debug, Default)]
pub struct PolicySet {
    entries: Vec<Entry>,
    /// Statements naming this exact lower-cased `service:action`.
    by_action: FastMap<Vec<Slot>>,
    /// Statements with a wildcard action pattern within one service, by lower-cased service.
    by_service: FastMap<Vec<Slot>>,
    /// Statements that can apply to any service: `*`, wildcard services, `NotAction`.
    any_service: Vec<Slot>,
}

#[derive(Clone, Debug)]
struct Entry {
    id: String,
    policy: Arc<Policy>,
}

/// A statement's place: policy index and statement index.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Slot {
    pub policy: u32,
    pub statement: u32,
}

type FastMap<V> = HashMap<String, V, BuildHasherDefault<Fnv>>;

/// FNV-1a: keys are short ASCII action names, chosen by policy authors, not attackers' input
/// that could flood a bucket (a request can only look a key up, not insert one).
#[derive(Default)]
struct Fnv(u64);

impl Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        let mut hash = if self.0 == 0 { 0xcbf2_9ce4_8422_2325 } else { self.0 };
        for &byte in bytes {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
        self.0 = hash;
    }
}

/// What one set says about one request.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct SetVerdict {
    pub deny: Option<Slot>,
    /// The first matching Allow, and the strongest principal grant among matching Allows.
    pub allow: Option<(Slot, Grant)>,
}

/// Everything a scan saw, for explanations.
pub(crate) trait Observer {
    /// Whether to stop at the first matching Deny.
    fn short_circuit(&self) -> bool;
    /// A statement whose action, resource and principal match, whose condition keys
    /// `missing` are absent from the request.
    fn applicable(&mut self, statement: &Statement, missing: &mut dyn Iterator<Item = &str>);
    /// A statement that matched the request in full.
    fn matched(&mut self, set: &PolicySet, slot: Slot);
}

impl PolicySet {
    pub fn new() -> PolicySet {
        PolicySet::default()
    }

    /// Adds `policy` under `id`, indexing its statements.
    pub fn insert(&mut self, id: impl Into<String>, policy: Arc<Policy>) {
        let policy_index = self.entries.len() as u32;
        for (statement_index, statement) in policy.statements.iter().enumerate() {
            let slot = Slot {
                policy: policy_index,
                statement: statement_index as u32,
            };
            if statement.action.negated {
                self.any_service.push(slot);
                continue;
            }
            for pattern in &statement.action.patterns {
                let list = match pattern.service() {
                    None => &mut self.any_service,
                    Some(_) if pattern.is_exact() => {
                        self.by_action.entry(pattern.folded.clone()).or_default()
                    }
                    Some(service) => self.by_service.entry(service.to_owned()).or_default(),
                };
                if list.last() != Some(&slot) {
                    list.push(slot);
                }
            }
        }
        self.entries.push(Entry {
            id: id.into(),
            policy,
        });
    }

    /// A set holding `policies` under their ids.
    pub fn from_policies<I, S>(policies: I) -> PolicySet
    where
        I: IntoIterator<Item = (S, Arc<Policy>)>,
        S: Into<String>,
    {
        let mut set = PolicySet::new();
        for (id, policy) in policies {
            set.insert(id, policy);
        }
        set
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The ids and policies, in insertion order.
    pub fn policies(&self) -> impl Iterator<Item = (&str, &Policy)> {
        self.entries.iter().map(|e| (e.id.as_str(), e.policy.as_ref()))
    }

    pub(crate) fn id(&self, slot: Slot) -> &str {
        self.entries
            .get(slot.policy as usize)
            .map_or("", |e| e.id.as_str())
    }

    pub(crate) fn statement(&self, slot: Slot) -> Option<&Statement> {
        self.entries
            .get(slot.policy as usize)?
            .policy
            .statements
            .get(slot.statement as usize)
    }

    /// Evaluates the statements that can apply to `folded_action` (lower-cased).
    pub(crate) fn scan(
        &self,
        request: &Request<'_>,
        folded_action: &str,
        has_boundary: bool,
        observer: &mut dyn Observer,
    ) -> SetVerdict {
        let mut verdict = SetVerdict::default();
        let service = folded_action.split_once(':').map_or("", |(s, _)| s);
        let exact = self.by_action.get(folded_action).map_or(&[][..], Vec::as_slice);
        let in_service = self.by_service.get(service).map_or(&[][..], Vec::as_slice);
        for (list, action_known) in [(exact, true), (in_service, false), (&self.any_service[..], false)] {
            for &slot in list {
                let Some(entry) = self.entries.get(slot.policy as usize) else {
                    continue;
                };
                let Some(statement) = entry.policy.statements.get(slot.statement as usize) else {
                    continue;
                };
                if !action_known && !statement.matches_action(folded_action) {
                    continue;
                }
                if !statement.matches_resource(request.resource, request.context) {
                    continue;
                }
                let grant = if entry.policy.kind.has_principal() {
                    match statement.principal_grant(request.principal, has_boundary) {
                        Some(grant) => grant,
                        None => continue,
                    }
                } else {
                    Grant::Direct
                };
                if !observer.short_circuit() {
                    let mut missing = statement
                        .conditions
                        .iter()
                        .filter(|c| request.context.get_folded(&c.folded_key).is_none())
                        .map(|c| c.key.as_str());
                    observer.applicable(statement, &mut missing);
                }
                if !statement.conditions_hold(request.context) {
                    continue;
                }
                observer.matched(self, slot);
                match statement.effect {
                    Effect::Deny => {
                        verdict.deny.get_or_insert(slot);
                        if observer.short_circuit() {
                            return verdict;
                        }
                    }
                    Effect::Allow => {
                        verdict.allow = match verdict.allow {
                            Some((first, best)) => Some((first, best.max(grant))),
                            None => Some((slot, grant)),
                        };
                    }
                }
            }
        }
        verdict
    }
}
