//! Property tests of the policy engine: an explicit deny always wins; statement order,
//! policy ids and policies for other services never matter; a boundary only narrows;
//! negated, `IfExists` and set-qualified operators relate to their positive forms as
//! documented; the wildcard matcher agrees with a reference matcher; printing then parsing
//! gives the same policy; `evaluate` and `explain` agree.
//!
//! Policies are generated as JSON documents from a small vocabulary (actions and resources
//! with wildcards, condition operators of every family, negated and set-qualified forms,
//! policy variables), requests and contexts from a matching one, so that statements often
//! apply and conditions often hold either way (`properties/generate.rs`). `properties/
//! harness.rs` compiles and decides them; `properties/reference.rs` holds the reference
//! wildcard matcher.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "property tests"
)]

#[path = "properties/generate.rs"]
mod generate;
#[path = "properties/harness.rs"]
mod harness;
#[path = "properties/reference.rs"]
mod reference;

use std::sync::Arc;

use generate::*;
use harness::*;
use proptest::collection::vec;
use proptest::option;
use proptest::prelude::*;
use proptest::sample::{Index, select};
use proptest::test_runner::Config;
use reference::*;
use serde_json::{Map, Value, json};
use warden_policy::{
    Context, ContextValue, Explanation, MatchedStatement, Outcome, Policies, Policy, PolicyKind,
    PolicySet, Position, Principal, PrincipalKind, Reason, Request,
};

// ---------------------------------------------------------------------------------------------
// An explicit deny always wins
// ---------------------------------------------------------------------------------------------

/// A Deny statement that matches every request of the vocabulary.
#[derive(Clone, Copy, Debug)]
enum DenyShape {
    /// `Action: *`, `Resource: *`.
    Everything,
    /// The request's own action and resource.
    Exactly,
    /// As `Exactly`, with a condition that holds (`Null` on a key no request has).
    ExactlyWithCondition,
    /// `NotAction` of another service.
    NotAction,
    /// `NotResource` of another resource.
    NotResource,
}

/// Where the Deny goes.
#[derive(Clone, Copy, Debug)]
enum DenyPlace {
    IdentityNewPolicy,
    IdentityExistingPolicy,
    Boundary,
    Session,
    Resource,
    ServiceControl,
}

fn deny_statement(shape: DenyShape, request: &Req) -> Map<String, Value> {
    let statement = match shape {
        DenyShape::Everything => json!({"Effect": "Deny", "Action": "*", "Resource": "*"}),
        DenyShape::Exactly => {
            json!({"Effect": "Deny", "Action": request.action, "Resource": request.resource})
        }
        DenyShape::ExactlyWithCondition => json!({
            "Effect": "Deny",
            "Action": [request.action],
            "Resource": [request.resource],
            "Condition": {"Null": {"warden:absent": "true"}}
        }),
        DenyShape::NotAction => {
            json!({"Effect": "Deny", "NotAction": "ec2:*", "Resource": "*"})
        }
        DenyShape::NotResource => {
            json!({"Effect": "Deny", "Action": "*", "NotResource": "arn:aws:ec2:::nothing"})
        }
    };
    let Value::Object(statement) = statement else {
        unreachable!()
    };
    statement
}

/// Puts `statement` into `policies` at a position chosen by `at`: a new policy, or into an
/// existing one. Returns the 1-based policy number and the statement index.
fn place(
    policies: &mut Vec<Vec<Value>>,
    statement: Value,
    at: Option<(Index, Index)>,
) -> (usize, usize) {
    match at {
        Some((policy, position)) if !policies.is_empty() => {
            let policy = policy.index(policies.len());
            let position = position.index(policies[policy].len() + 1);
            policies[policy].insert(position, statement);
            (policy + 1, position)
        }
        _ => {
            policies.push(vec![statement]);
            (policies.len(), 0)
        }
    }
}

proptest! {
    #![proptest_config(config(256))]

    /// Adding a Deny that matches the request to a policy of any kind makes the outcome
    /// ExplicitDeny, whatever else the policies say, and the explanation lists that Deny.
    #[test]
    fn an_explicit_deny_always_wins(
        mut scenario in scenario(),
        shape in select(vec![
            DenyShape::Everything,
            DenyShape::Exactly,
            DenyShape::ExactlyWithCondition,
            DenyShape::NotAction,
            DenyShape::NotResource,
        ]),
        place_in in select(vec![
            DenyPlace::IdentityNewPolicy,
            DenyPlace::IdentityExistingPolicy,
            DenyPlace::Boundary,
            DenyPlace::Session,
            DenyPlace::Resource,
            DenyPlace::ServiceControl,
        ]),
        at in (any::<Index>(), any::<Index>()),
        name_caller in any::<bool>(),
    ) {
        let mut deny = deny_statement(shape, &scenario.request);
        let (prefix, (policy, index)) = match place_in {
            DenyPlace::IdentityNewPolicy => {
                ("identity".to_owned(), place(&mut scenario.identity, deny.into(), None))
            }
            DenyPlace::IdentityExistingPolicy => {
                ("identity".to_owned(), place(&mut scenario.identity, deny.into(), Some(at)))
            }
            DenyPlace::Boundary => {
                let policies = scenario.boundary.get_or_insert_with(Vec::new);
                ("boundary".to_owned(), place(policies, deny.into(), Some(at)))
            }
            DenyPlace::Session => {
                let policies = scenario.session.get_or_insert_with(Vec::new);
                ("session".to_owned(), place(policies, deny.into(), Some(at)))
            }
            DenyPlace::Resource => {
                let principal = if name_caller {
                    json!({"AWS": scenario.request.caller})
                } else {
                    json!("*")
                };
                deny.insert("Principal".into(), principal);
                let policies = scenario.resource.get_or_insert_with(Vec::new);
                ("resource".to_owned(), place(policies, deny.into(), Some(at)))
            }
            DenyPlace::ServiceControl => {
                let level = at.0.index(scenario.scp.len() + 1);
                if level == scenario.scp.len() {
                    scenario.scp.push(Vec::new());
                }
                let placed = place(&mut scenario.scp[level], deny.into(), Some(at));
                (format!("scp.{}", level + 1), placed)
            }
        };
        let verdict = decide(&Built::of(&scenario), &scenario.request);
        prop_assert_eq!(verdict.outcome, Outcome::ExplicitDeny);
        let id = format!("{prefix}.{policy}");
        prop_assert!(
            verdict.explanation.matched.iter().any(|m| m.policy_id == id && m.index == index),
            "the added Deny ({id}#{index}) is not among the explained {:?}",
            verdict.explanation.matched
        );
    }

    /// Shuffling statements, and splitting them across several policies of the same kind,
    /// changes neither the outcome, nor its reason, nor what the explanation lists.
    #[test]
    fn statement_order_never_matters((original, reordered) in scenario_and_reordering()) {
        let before = decide(&Built::of(&original), &original.request);
        let after = decide(&Built::of(&reordered), &reordered.request);
        prop_assert_eq!(before.outcome, after.outcome);
        prop_assert_eq!(before.reason, after.reason);
        prop_assert_eq!(
            explanation_contents(&original, &before.explanation),
            explanation_contents(&reordered, &after.explanation)
        );
    }

    /// Policy ids are labels: ids that policies of different kinds share (one managed policy
    /// attached and also the boundary, say) change neither the decision nor what the
    /// explanation lists.
    #[test]
    fn policy_ids_are_only_labels(scenario in scenario()) {
        let distinct = decide(&Built::of(&scenario), &scenario.request);
        let shared = decide(&Built::named(&scenario, ["p"; 4]), &scenario.request);
        prop_assert_eq!(distinct.outcome, shared.outcome);
        prop_assert_eq!(distinct.reason, shared.reason);
        prop_assert_eq!(
            explanation_contents(&scenario, &distinct.explanation),
            explanation_contents(&scenario, &shared.explanation)
        );
    }

    /// `evaluate` and `explain` agree on every request (checked in `decide`), and the
    /// statements an explanation lists are what decided: with all of them made inert, an
    /// explicit deny is gone, and an allow (for a caller other than the root user, who needs
    /// no policy) turns into an implicit deny.
    #[test]
    fn evaluate_and_explain_agree(scenario in scenario()) {
        let verdict = decide(&Built::of(&scenario), &scenario.request);
        let root = scenario.request.principal().kind == PrincipalKind::Root;
        if verdict.outcome == Outcome::ImplicitDeny || (verdict.outcome == Outcome::Allowed && root) {
            return Ok(());
        }
        let mut without = scenario.clone();
        for matched in &verdict.explanation.matched {
            let statement = statement_at_mut(&mut without, matched);
            *statement = json!({"Effect": "Allow", "Action": "ec2:Nothing", "Resource": "*"});
            if matched.kind == PolicyKind::Resource {
                statement["Principal"] = json!("*");
            }
        }
        let after = decide(&Built::of(&without), &without.request);
        match verdict.outcome {
            Outcome::ExplicitDeny => prop_assert_ne!(after.outcome, Outcome::ExplicitDeny),
            _ => prop_assert_eq!(after.outcome, Outcome::ImplicitDeny),
        }
    }

    /// Adding policies whose statements are all for other services changes nothing: not the
    /// decision, not its explanation. A resource policy may appear where there was none; other
    /// kinds only gain policies where they already apply (a new boundary, say, would cap).
    #[test]
    fn policies_for_other_services_change_nothing(
        scenario in scenario(),
        identity in unrelated_policies(PolicyKind::Identity, 2),
        boundary in unrelated_policies(PolicyKind::Boundary, 1),
        session in unrelated_policies(PolicyKind::Session, 1),
        resource in unrelated_policies(PolicyKind::Resource, 1),
        scp in unrelated_policies(PolicyKind::ServiceControl, 1),
    ) {
        let mut extended = scenario.clone();
        extended.identity.extend(identity);
        if let Some(policies) = &mut extended.boundary {
            policies.extend(boundary);
        }
        if let Some(policies) = &mut extended.session {
            policies.extend(session);
        }
        if !resource.is_empty() {
            extended.resource.get_or_insert_with(Vec::new).extend(resource);
        }
        if let Some(level) = extended.scp.first_mut() {
            level.extend(scp);
        }
        let before = decide(&Built::of(&scenario), &scenario.request);
        let after = decide(&Built::of(&extended), &extended.request);
        prop_assert_eq!(before, after);
    }

    /// With Allow-only identity policies and a permissions boundary, the pair allows only
    /// what each allows alone; when the boundary is Allow-only too, exactly that.
    #[test]
    fn a_boundary_only_narrows(
        identity in policies(PolicyKind::Identity, Effects::AllowOnly, 2),
        boundary in policies(PolicyKind::Boundary, Effects::Any, 2),
        request in request(),
    ) {
        let both = Built {
            identity: Some(set_of(PolicyKind::Identity, "identity", &identity)),
            boundary: Some(set_of(PolicyKind::Boundary, "boundary", &boundary)),
            ..Built::default()
        };
        let identity_alone = Built {
            identity: Some(set_of(PolicyKind::Identity, "identity", &identity)),
            ..Built::default()
        };
        let boundary_alone = Built {
            identity: Some(set_of(PolicyKind::Identity, "boundary", &boundary)),
            ..Built::default()
        };
        let allowed = |built: &Built| decide(built, &request).outcome == Outcome::Allowed;
        let (together, first, second) = (allowed(&both), allowed(&identity_alone), allowed(&boundary_alone));
        prop_assert!(!together || (first && second), "allowed together but not each alone");
        let boundary_allow_only = boundary.iter().flatten().all(|s| s["Effect"] == "Allow");
        if boundary_allow_only {
            prop_assert_eq!(together, first && second);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Wildcards against a reference matcher
// ---------------------------------------------------------------------------------------------

proptest! {
    #![proptest_config(config(512))]

    /// `Resource` / `NotResource` patterns: the resource part of an ARN is one wildcard match.
    #[test]
    fn resource_wildcards_match_like_the_reference(
        (pattern, input) in pattern_and_input(PATTERN_ALPHABET, TEXT_ALPHABET),
        negated in any::<bool>(),
    ) {
        let element = if negated { "NotResource" } else { "Resource" };
        let mut statement = json!({"Effect": "Allow", "Action": "s3:GetObject"});
        statement[element] = json!(format!("arn:aws:s3:::{pattern}"));
        let allowed = allowed_by(statement, "s3:GetObject", &format!("arn:aws:s3:::{input}"), Vec::new());
        prop_assert_eq!(allowed, reference_matches(&pattern, &input, false) != negated);
    }

    /// `StringLike` / `StringNotLike` and `ArnLike` (whose resource part is one match, as for
    /// `Resource`) condition values.
    #[test]
    fn condition_wildcards_match_like_the_reference(
        (pattern, input) in pattern_and_input(PATTERN_ALPHABET, TEXT_ALPHABET),
        operator in select(vec!["StringLike", "StringNotLike", "ArnLike", "ArnNotLike"]),
    ) {
        let arn = operator.starts_with("Arn");
        let (key, pattern_value, input_value) = if arn {
            ("aws:SourceArn", format!("arn:aws:s3:::{pattern}"), format!("arn:aws:s3:::{input}"))
        } else {
            ("s3:prefix", pattern.clone(), input.clone())
        };
        let statement = json!({
            "Effect": "Allow",
            "Action": "*",
            "Resource": "*",
            "Condition": {operator: {key: pattern_value}}
        });
        let context = vec![(key.to_owned(), ContextValue::Single(input_value))];
        let allowed = allowed_by(statement, "s3:GetObject", "*", context);
        let negated = operator.contains("Not");
        prop_assert_eq!(allowed, reference_matches(&pattern, &input, false) != negated);
    }

    /// Action names match ASCII-case-insensitively, through the set's index of exact actions
    /// and its scan of wildcard ones.
    #[test]
    fn action_wildcards_match_like_the_reference(
        (pattern, input) in pattern_and_input(ACTION_PATTERN_ALPHABET, ACTION_TEXT_ALPHABET),
        negated in any::<bool>(),
    ) {
        let element = if negated { "NotAction" } else { "Action" };
        let mut statement = json!({"Effect": "Allow", "Resource": "*"});
        statement[element] = json!(format!("s3:{pattern}"));
        let allowed = allowed_by(statement, &format!("S3:{input}"), "*", Vec::new());
        prop_assert_eq!(allowed, reference_matches(&pattern, &input, true) != negated);
    }
}

proptest! {
    #![proptest_config(config(512))]

    /// Policy variables and the escapes `${*}`, `${?}`, `${$}` give literal text inside a
    /// wildcard pattern, in `Resource`, `StringLike` and `ArnLike` alike.
    #[test]
    fn substituted_text_is_literal_inside_wildcards(
        (pieces, username, input) in template_and_input(),
        through in select(vec!["Resource", "StringLike", "ArnLike"]),
    ) {
        let pattern = written(&pieces);
        let mut context = vec![("aws:username".to_owned(), ContextValue::Single(username.clone()))];
        let statement = match through {
            "Resource" => json!({
                "Effect": "Allow",
                "Action": "s3:GetObject",
                "Resource": format!("arn:aws:s3:::{pattern}")
            }),
            "StringLike" => {
                context.push(("s3:prefix".to_owned(), ContextValue::Single(input.clone())));
                json!({
                    "Effect": "Allow",
                    "Action": "s3:GetObject",
                    "Resource": "*",
                    "Condition": {"StringLike": {"s3:prefix": pattern}}
                })
            }
            _ => {
                let arn = format!("arn:aws:s3:::{input}");
                context.push(("aws:SourceArn".to_owned(), ContextValue::Single(arn)));
                json!({
                    "Effect": "Allow",
                    "Action": "s3:GetObject",
                    "Resource": "*",
                    "Condition": {"ArnLike": {"aws:SourceArn": format!("arn:aws:s3:::{pattern}")}}
                })
            }
        };
        let allowed = allowed_by(statement, "s3:GetObject", &format!("arn:aws:s3:::{input}"), context);
        let expected = reference_matches_tokens(&reference_tokens(&pieces, &username), &input, false);
        prop_assert_eq!(allowed, expected, "pattern {:?}", pattern);
    }
}

// ---------------------------------------------------------------------------------------------
// Negated, IfExists and set-qualified operators against their positive forms
// ---------------------------------------------------------------------------------------------

/// A positive operator, its negation, a key, policy values and request values to try.
type OperatorFamily = (
    &'static str,
    &'static str,
    &'static str,
    &'static [&'static str],
    &'static [&'static str],
);

const NEGATABLE: &[OperatorFamily] = &[
    (
        "StringEquals",
        "StringNotEquals",
        "s3:prefix",
        &["a", "prod", "é", "${aws:username}", "a*"],
        &["a", "b", "prod", "Prod", "é", "alice", "a*"],
    ),
    (
        "StringEqualsIgnoreCase",
        "StringNotEqualsIgnoreCase",
        "aws:TagKeys",
        &["prod", "É", "B"],
        &["a", "b", "PROD", "é", "x"],
    ),
    (
        "StringLike",
        "StringNotLike",
        "s3:prefix",
        &["a*", "?", "*o*", "${aws:username}*", "é"],
        &["a", "ab", "prod", "é", "alice", "", "x"],
    ),
    (
        "NumericEquals",
        "NumericNotEquals",
        "s3:max-keys",
        &["10", "5", "1.5", "1e2"],
        &["5", "10", "100", "10.0", "abc"],
    ),
    (
        "DateEquals",
        "DateNotEquals",
        "aws:CurrentTime",
        &["2025-01-01T00:00:00Z", "2025-01-01", "1735689600"],
        &[
            "2025-01-01T00:00:00Z",
            "2024-06-01T00:00:00Z",
            "1735689600",
            "garbage",
        ],
    ),
    (
        "IpAddress",
        "NotIpAddress",
        "aws:SourceIp",
        &["10.0.0.0/8", "192.0.2.1", "2001:db8::/32"],
        &[
            "10.1.2.3",
            "192.0.2.1",
            "::ffff:10.0.0.1",
            "2001:db8::5",
            "x",
        ],
    ),
    (
        "ArnEquals",
        "ArnNotEquals",
        "aws:SourceArn",
        &["arn:aws:s3:::bucket", "arn:aws:iam::*:role/app"],
        &[
            "arn:aws:s3:::bucket",
            "arn:aws:iam::111122223333:role/app",
            "not-an-arn",
        ],
    ),
    (
        "ArnLike",
        "ArnNotLike",
        "aws:SourceArn",
        &[
            "arn:aws:iam::111122223333:*",
            "arn:aws:*:*:*:user/${aws:username}",
        ],
        &[
            "arn:aws:iam::111122223333:user/alice",
            "arn:aws:sts::111122223333:assumed-role/app/s1",
            "arn:aws:iam::444455556666:user/alice",
        ],
    ),
];

/// An operator family, policy values (one or several), and the key's request values (one, as
/// a single value or a set of several; never empty, never an empty string, so that the key
/// is present for every form).
fn family_and_values() -> impl Strategy<Value = (OperatorFamily, Value, ContextValue)> {
    select(NEGATABLE).prop_flat_map(|family| {
        let (_, _, _, policy_values, request_values) = family;
        let request = prop_oneof![
            select(request_values).prop_map(|v| ContextValue::Single(v.to_owned())),
            vec(select(request_values), 1..=3)
                .prop_map(|v| ContextValue::Multi(v.into_iter().map(str::to_owned).collect())),
        ]
        .prop_filter("a present, non-empty value", |value| {
            value.values().iter().all(|v| !v.is_empty())
        });
        (Just(family), one_or_many(select(policy_values)), request)
    })
}

/// Whether alice may `s3:GetObject` under `Allow *` with the one condition `operator: {key:
/// values}`, with the key set to `request` (or absent).
fn condition_holds(
    operator: &str,
    key: &str,
    values: &Value,
    request: Option<&ContextValue>,
) -> bool {
    let statement = json!({
        "Effect": "Allow",
        "Action": "*",
        "Resource": "*",
        "Condition": {operator: {key: values}}
    });
    let context = request
        .map(|value| vec![(key.to_owned(), value.clone())])
        .unwrap_or_default();
    allowed_by(
        statement,
        "s3:GetObject",
        "arn:aws:s3:::bucket/key",
        context,
    )
}

proptest! {
    #![proptest_config(config(256))]

    /// For a present key: a negated operator is the negation of its positive form, `IfExists`
    /// changes nothing, the case of the key's name changes nothing, and the negated set
    /// operators are the negations of the positive ones with the quantifier swapped
    /// (`ForAllValues:StringNotEquals` is not `ForAnyValue:StringEquals`). For an absent key:
    /// positive forms fail, negated and `IfExists` forms hold, `ForAllValues` holds and
    /// `ForAnyValue` fails.
    #[test]
    fn negated_operators_are_negations(
        ((positive, negative, key, _, _), values, request) in family_and_values(),
    ) {
        let holds = |operator: &str| condition_holds(operator, key, &values, Some(&request));
        let plain = holds(positive);
        prop_assert_eq!(holds(negative), !plain, "{} against {:?}", negative, request);
        prop_assert_eq!(holds(&format!("{positive}IfExists")), plain);
        prop_assert_eq!(holds(&format!("{negative}IfExists")), !plain);
        let shouted = condition_holds(positive, &key.to_ascii_uppercase(), &values, Some(&request));
        prop_assert_eq!(shouted, plain, "the key's case matters");

        let all = |operator: &str| holds(&format!("ForAllValues:{operator}"));
        let any = |operator: &str| holds(&format!("ForAnyValue:{operator}"));
        prop_assert_eq!(all(negative), !any(positive), "ForAllValues:{} against {:?}", negative, request);
        prop_assert_eq!(any(negative), !all(positive), "ForAnyValue:{} against {:?}", negative, request);
        if request.values().len() == 1 {
            prop_assert_eq!(all(positive), plain);
            prop_assert_eq!(any(positive), plain);
        }

        let absent_key = [
            (positive.to_owned(), false),
            (negative.to_owned(), true),
            (format!("{positive}IfExists"), true),
            (format!("ForAllValues:{positive}"), true),
            (format!("ForAllValues:{negative}"), true),
            (format!("ForAnyValue:{positive}"), false),
            (format!("ForAnyValue:{negative}"), false),
        ];
        for (operator, expected) in absent_key {
            let held = condition_holds(&operator, key, &values, None);
            prop_assert_eq!(held, expected, "{} with the key absent", operator);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Printing and parsing
// ---------------------------------------------------------------------------------------------

proptest! {
    #![proptest_config(config(256))]

    /// `parse(print(p)) == p`, printing is stable, and the reparsed policy decides every
    /// request as the original does.
    #[test]
    fn printed_policies_parse_to_the_same_policy(
        (kind, text) in kind_and_document(),
        requests in vec(request(), 4),
    ) {
        let policy = parse(&text, kind);
        let printed = policy.to_json();
        let reparsed = Policy::parse(&printed, kind)
            .unwrap_or_else(|e| panic!("the printed policy does not parse: {e}\n{printed}"));
        prop_assert_eq!(&reparsed, &policy, "printed as {}", printed);
        prop_assert_eq!(reparsed.to_json(), printed.clone());
        let original = built_around(kind, policy);
        let again = built_around(kind, reparsed);
        for request in &requests {
            prop_assert_eq!(
                without_positions(decide(&original, request)),
                without_positions(decide(&again, request))
            );
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Regressions found by the properties above
// ---------------------------------------------------------------------------------------------

/// One managed policy attached to a user and also its permissions boundary: both sets hold it
/// under its ARN, and an explanation of an allow lists its statement once for each kind (it
/// used to list it once, as the identity policy only). The corpus cannot say this: its policy
/// ids are per kind, and it compares matched statements as a set of `ID#INDEX`.
#[test]
fn a_policy_that_is_also_the_boundary_is_explained_under_both_kinds() {
    let arn = "arn:aws:iam::111122223333:policy/Developer";
    let everything = json!({"Effect": "Allow", "Action": "s3:*", "Resource": "*"});
    let policy = |kind| Arc::new(parse(&document(std::slice::from_ref(&everything)), kind));
    let built = Built {
        identity: Some(PolicySet::from_policies([(
            arn,
            policy(PolicyKind::Identity),
        )])),
        boundary: Some(PolicySet::from_policies([(
            arn,
            policy(PolicyKind::Boundary),
        )])),
        ..Built::default()
    };
    let request = Req {
        caller: CALLERS[0].to_owned(),
        action: "s3:GetObject".to_owned(),
        resource: "arn:aws:s3:::bucket/key".to_owned(),
        resource_account: ACCOUNT.to_owned(),
        context: Vec::new(),
    };
    let verdict = decide(&built, &request);
    assert_eq!(verdict.outcome, Outcome::Allowed);
    let matched: Vec<(PolicyKind, &str, usize)> = (verdict.explanation.matched.iter())
        .map(|m| (m.kind, m.policy_id.as_str(), m.index))
        .collect();
    assert_eq!(
        matched,
        [
            (PolicyKind::Identity, arn, 0),
            (PolicyKind::Boundary, arn, 0)
        ]
    );
}
