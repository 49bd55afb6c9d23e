//! [`PolicySet`]: policies compiled together and indexed by service and action, so that a
//! decision's cost grows with the statements that can apply, not with all of them.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::Arc;

use crate::context::Request;
use crate::policy::{Effect, Policy, Statement};
use crate::principal::Grant;
use crate::wildcard;

/// Policies of one kind that apply together (a principal's identity policies, say), each with
/// the id that explanations report.
#[derive(Clone, Debug, Default)]
pub struct PolicySet {
    entries: Vec<Entry>,
    /// Statements naming this exact lower-cased `service:action`.
    by_action: FastMap<Vec<Slot>>,
    /// Wildcard action patterns within one service, by lower-cased service.
    by_service: FastMap<ServicePatterns>,
    /// Statements that can apply to any service: `*`, wildcard services, `NotAction`.
    any_service: Vec<Slot>,
}

/// The wildcard patterns of one service: the part after `service:`, lower-cased, side by
/// side in one string, each with its statement. A lookup tests only these patterns, in one
/// run of memory, and reads a statement only once one of its patterns matches.
#[derive(Clone, Debug, Default)]
struct ServicePatterns {
    names: String,
    /// The statement and the end of its pattern in `names` (each starts where the previous
    /// ends). A statement's patterns are adjacent.
    patterns: Vec<(Slot, u32)>,
}

impl ServicePatterns {
    fn push(&mut self, slot: Slot, name: &str) {
        self.names.push_str(name);
        self.patterns.push((slot, self.names.len() as u32));
    }

    /// The statements with a pattern that matches `name` (the action after `service:`),
    /// each once, in insertion order.
    fn matching<'s>(&'s self, name: &'s str) -> impl Iterator<Item = Slot> + 's {
        let first = name.as_bytes().first();
        let mut start = 0;
        let mut last = None;
        self.patterns.iter().filter_map(move |&(slot, end)| {
            let pattern = self.names.get(start..end as usize).unwrap_or_default();
            start = end as usize;
            // Both are lower-cased: a pattern that opens with another literal byte cannot
            // match, and most patterns (`Get*`, `List*`) are ruled out here.
            let opens_apart = match pattern.as_bytes().first() {
                Some(b'*' | b'?') | None => false,
                literal => literal != first,
            };
            if opens_apart || last == Some(slot) || !wildcard::matches(pattern, name, true) {
                return None;
            }
            last = Some(slot);
            Some(slot)
        })
    }
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
        let mut hash = if self.0 == 0 {
            0xcbf2_9ce4_8422_2325
        } else {
            self.0
        };
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
                    Some(service) => {
                        let name = pattern.folded.get(service.len() + 1..).unwrap_or_default();
                        self.by_service
                            .entry(service.to_owned())
                            .or_default()
                            .push(slot, name);
                        continue;
                    }
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
        self.entries
            .iter()
            .map(|e| (e.id.as_str(), e.policy.as_ref()))
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

    /// Evaluates the statements that can apply to `folded_action` (lower-cased): those naming
    /// it exactly, those with a pattern of its service that matches it, and those that can
    /// apply to any service, in that order.
    pub(crate) fn scan(
        &self,
        request: &Request<'_>,
        folded_action: &str,
        has_boundary: bool,
        observer: &mut dyn Observer,
    ) -> SetVerdict {
        let mut verdict = SetVerdict::default();
        let exact = self
            .by_action
            .get(folded_action)
            .map_or(&[][..], Vec::as_slice);
        for &slot in exact {
            if self.consider(slot, request, has_boundary, observer, &mut verdict) {
                return verdict;
            }
        }
        // A pattern `service:name*` can only match an action of its own service.
        if let Some((service, name)) = folded_action.split_once(':')
            && let Some(patterns) = self.by_service.get(service)
        {
            for slot in patterns.matching(name) {
                if self.consider(slot, request, has_boundary, observer, &mut verdict) {
                    return verdict;
                }
            }
        }
        for &slot in &self.any_service {
            let matches = self
                .statement(slot)
                .is_some_and(|statement| statement.matches_action(folded_action));
            if matches && self.consider(slot, request, has_boundary, observer, &mut verdict) {
                return verdict;
            }
        }
        verdict
    }

    /// Evaluates one statement whose action matches; true when the scan can stop (a Deny
    /// matched and the observer short-circuits).
    fn consider(
        &self,
        slot: Slot,
        request: &Request<'_>,
        has_boundary: bool,
        observer: &mut dyn Observer,
        verdict: &mut SetVerdict,
    ) -> bool {
        let Some(entry) = self.entries.get(slot.policy as usize) else {
            return false;
        };
        let Some(statement) = entry.policy.statements.get(slot.statement as usize) else {
            return false;
        };
        if !statement.matches_resource(request.resource, request.context) {
            return false;
        }
        let grant = if entry.policy.kind.has_principal() {
            match statement.principal_grant(request.principal, has_boundary) {
                Some(grant) => grant,
                None => return false,
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
            return false;
        }
        observer.matched(self, slot);
        match statement.effect {
            Effect::Deny => {
                verdict.deny.get_or_insert(slot);
                observer.short_circuit()
            }
            Effect::Allow => {
                verdict.allow = match verdict.allow {
                    Some((first, best)) => Some((first, best.max(grant))),
                    None => Some((slot, grant)),
                };
                false
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::context::Context;
    use crate::policy::PolicyKind;
    use crate::principal::Principal;

    /// Sees every statement, stops at nothing.
    struct Everything;

    impl Observer for Everything {
        fn short_circuit(&self) -> bool {
            false
        }
        fn applicable(&mut self, _: &Statement, _: &mut dyn Iterator<Item = &str>) {}
        fn matched(&mut self, _: &PolicySet, _: Slot) {}
    }

    #[test]
    fn the_index_finds_what_a_scan_of_every_statement_finds() {
        let documents = [
            r#"{"Effect": "Allow", "Action": ["s3:GetObject", "s3:Get*", "ec2:Describe*", "iam:*AccessKey*"], "Resource": "*"}"#,
            r#"{"Effect": "Deny", "Action": ["s3:*Bucket*", "s3:DeleteObject", "S3:get?bject"], "Resource": "*"}"#,
            r#"{"Effect": "Allow", "NotAction": ["iam:*", "s3:Put*"], "Resource": "*"}"#,
            r#"{"Effect": "Allow", "Action": ["*:List*", "sqs:Send?essage", "sns:?ublish*"], "Resource": "*"}"#,
            r#"{"Effect": "Deny", "Action": "*", "Resource": "arn:aws:s3:::secret/*"}"#,
            r#"{"Effect": "Allow", "Action": ["s*:Put*", "sns:*"], "Resource": "arn:aws:s3:::bucket/*"}"#,
        ];
        let policies: Vec<Arc<Policy>> = documents
            .iter()
            .map(|statement| {
                let text = format!(r#"{{"Version": "2012-10-17", "Statement": [{statement}]}}"#);
                Arc::new(Policy::parse(&text, PolicyKind::Identity).unwrap())
            })
            .collect();
        let actions = [
            "s3:GetObject",
            "S3:GETOBJECT",
            "s3:GetBucketPolicy",
            "s3:PutObject",
            "s3:get:deep",
            "ec2:DescribeInstances",
            "ec2:RunInstances",
            "iam:CreateAccessKey",
            "iam:ListUsers",
            "sqs:SendMessage",
            "sqs:SendXessage",
            "sqs:Sendessage",
            "lambda:Invoke",
            "noservice",
            ":x",
            ":xy",
            "sns:Publish",
        ];
        let caller = Principal::from_arn("arn:aws:iam::111122223333:user/alice").unwrap();
        let context = Context::new();
        for count in 1..=policies.len() {
            let set = PolicySet::from_policies(
                policies
                    .iter()
                    .take(count)
                    .enumerate()
                    .map(|(i, p)| (format!("p{i}"), p.clone())),
            );
            for action in actions {
                for resource in ["arn:aws:s3:::bucket/key", "arn:aws:s3:::secret/key"] {
                    let request = Request {
                        principal: &caller,
                        action,
                        resource,
                        resource_account: "111122223333",
                        context: &context,
                    };
                    let folded = action.to_ascii_lowercase();
                    let verdict = set.scan(&request, &folded, false, &mut Everything);
                    let applying: Vec<&Statement> = set
                        .policies()
                        .flat_map(|(_, policy)| policy.statements())
                        .filter(|s| {
                            s.matches_action(&folded) && s.matches_resource(resource, &context)
                        })
                        .collect();
                    let denied = applying.iter().any(|s| s.effect == Effect::Deny);
                    let allowed = applying.iter().any(|s| s.effect == Effect::Allow);
                    let what = format!("{count} policies, {action} on {resource}");
                    assert_eq!(verdict.deny.is_some(), denied, "{what}");
                    assert_eq!(verdict.allow.is_some(), allowed, "{what}");
                }
            }
        }
    }
}
