//! Unit tests of the simulator, starting from AWS's own documented examples.

use std::sync::Arc;

use super::*;
use crate::json::Position;
use crate::policy::Effect;

fn input(id: &str, text: &str, kind: PolicyKind) -> InputPolicy {
    InputPolicy {
        id: id.to_owned(),
        policy: Arc::new(Policy::parse(text, kind).unwrap()),
    }
}

fn identity(texts: &[&str]) -> Vec<InputPolicy> {
    texts
        .iter()
        .enumerate()
        .map(|(i, text)| {
            input(
                &format!("PolicyInputList.{}", i + 1),
                text,
                PolicyKind::Identity,
            )
        })
        .collect()
}

fn user(arn: &str) -> Option<Principal> {
    Some(Principal::from_arn(arn).unwrap())
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| (*s).to_owned()).collect()
}

fn at(line: u32, column: u32) -> Position {
    Position { line, column }
}

/// The policy of the aws CLI's `simulate-custom-policy` example.
const DATED: &str = r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"dynamodb:*","Resource":"*","Condition":{"DateGreaterThan":{"aws:CurrentTime":"2018-08-16T12:00:00Z"}}}}"#;

#[test]
fn the_aws_cli_example_allows_and_places_the_statement_as_aws_does() {
    let mut simulation = Simulation {
        identity: identity(&[DATED]),
        actions: strings(&["dynamodb:CreateBackup"]),
        ..Simulation::default()
    };
    simulation
        .context
        .insert("aws:CurrentTime", "2019-04-25T11:00:00Z");
    let results = simulation.run();
    assert_eq!(results.len(), 1);
    let result = &results[0];
    assert_eq!(result.action, "dynamodb:CreateBackup");
    assert_eq!(result.outcome, Outcome::Allowed);
    assert_eq!(result.resources.len(), 1);
    assert_eq!(result.resources[0].resource, "*");
    assert_eq!(result.matched.len(), 1);
    let statement = &result.matched[0];
    assert_eq!(statement.policy_id, "PolicyInputList.1");
    assert_eq!(statement.kind, PolicyKind::Identity);
    // AWS's documented output for this very document.
    assert_eq!((statement.start, statement.end), (at(1, 38), at(1, 167)));
    assert!(result.missing_context.is_empty());
    assert_eq!(result.decision_details, None);
    assert_eq!(result.boundary_allows, None);
}

#[test]
fn the_aws_cli_example_denies_before_the_date_and_names_the_missing_key() {
    let mut early = Simulation {
        identity: identity(&[DATED]),
        actions: strings(&["dynamodb:CreateBackup"]),
        ..Simulation::default()
    };
    early
        .context
        .insert("aws:CurrentTime", "2014-04-25T11:00:00Z");
    let results = early.run();
    assert_eq!(results[0].outcome, Outcome::ImplicitDeny);
    assert!(results[0].matched.is_empty());
    assert!(results[0].missing_context.is_empty());

    early.context = Context::new();
    let results = early.run();
    assert_eq!(results[0].outcome, Outcome::ImplicitDeny);
    assert_eq!(results[0].missing_context, strings(&["aws:CurrentTime"]));
}

#[test]
fn multi_line_positions_match_the_api_reference_example() {
    // SimulatePrincipalPolicy's first example in the IAM API reference: 3:16 to 7:4.
    let text = "{\n  \"Version\":\"2012-10-17\",\n  \"Statement\":{\n    \"Effect\":\"Allow\",\n    \"Action\":\"s3:PutObject\",\n    \"Resource\":\"arn:aws:s3:::my-test-bucket\"\n  }\n}";
    let simulation = Simulation {
        identity: identity(&[text]),
        actions: strings(&["s3:PutObject", "s3:DeleteObject"]),
        resources: strings(&["arn:aws:s3:::my-test-bucket"]),
        ..Simulation::default()
    };
    let results = simulation.run();
    assert_eq!(results[0].outcome, Outcome::Allowed);
    assert_eq!(
        (results[0].matched[0].start, results[0].matched[0].end),
        (at(3, 16), at(7, 4))
    );
    assert_eq!(results[1].outcome, Outcome::ImplicitDeny);
    assert_eq!(results[1].resources[0].decision_details, Some(Vec::new()));
}

#[test]
fn an_explicit_deny_wins_and_lists_only_denies() {
    let allow = r#"{"Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}"#;
    let deny = r#"{"Statement":[{"Sid":"NoDelete","Effect":"Deny","Action":"s3:Delete*","Resource":"*"}]}"#;
    let simulation = Simulation {
        identity: identity(&[allow, deny]),
        actions: strings(&["s3:DeleteObject", "s3:GetObject"]),
        ..Simulation::default()
    };
    let results = simulation.run();
    assert_eq!(results[0].outcome, Outcome::ExplicitDeny);
    assert_eq!(results[0].matched.len(), 1);
    assert_eq!(results[0].matched[0].policy_id, "PolicyInputList.2");
    assert_eq!(results[0].matched[0].sid.as_deref(), Some("NoDelete"));
    assert_eq!(results[0].matched[0].effect, Effect::Deny);
    assert_eq!(results[1].outcome, Outcome::Allowed);
    assert_eq!(results[1].matched[0].policy_id, "PolicyInputList.1");
}

#[test]
fn a_boundary_caps_identity_policies_and_is_reported() {
    let simulation = Simulation {
        identity: identity(&[r#"{"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*"}}"#]),
        boundary: Some(input(
            "PermissionsBoundaryPolicyInputList.1",
            r#"{"Statement":{"Effect":"Allow","Action":"s3:Get*","Resource":"*"}}"#,
            PolicyKind::Boundary,
        )),
        actions: strings(&["s3:GetObject", "s3:PutObject"]),
        ..Simulation::default()
    };
    let results = simulation.run();
    assert_eq!(results[0].outcome, Outcome::Allowed);
    assert_eq!(results[0].boundary_allows, Some(true));
    // The grant is the identity policy's; the boundary only permits it.
    assert_eq!(results[0].matched.len(), 1);
    assert_eq!(results[0].matched[0].kind, PolicyKind::Identity);
    assert_eq!(results[1].outcome, Outcome::ImplicitDeny);
    assert_eq!(results[1].boundary_allows, Some(false));
    assert!(results[1].matched.is_empty());
}

const BUCKET_POLICY: &str = r#"{"Statement":{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::444455556666:user/arnav"},"Action":"s3:PutObject","Resource":"arn:aws:s3:::mary/*"}}"#;

#[test]
fn cross_account_needs_both_sides_and_details_each_kind() {
    let mut simulation = Simulation {
        identity: identity(&[
            r#"{"Statement":{"Effect":"Allow","Action":"iam:*","Resource":"*"}}"#,
        ]),
        resource_policy: Some(input("ResourcePolicy", BUCKET_POLICY, PolicyKind::Resource)),
        actions: strings(&["s3:PutObject"]),
        resources: strings(&["arn:aws:s3:::mary/Test"]),
        resource_owner: Some("123456789012".to_owned()),
        caller: user("arn:aws:iam::444455556666:user/arnav"),
        ..Simulation::default()
    };
    let results = simulation.run();
    assert_eq!(results[0].outcome, Outcome::ImplicitDeny);
    let expected = vec![
        (PolicyKind::Identity, Outcome::ImplicitDeny),
        (PolicyKind::Resource, Outcome::Allowed),
    ];
    assert_eq!(
        results[0].resources[0].decision_details,
        Some(expected.clone())
    );
    assert_eq!(results[0].decision_details, Some(expected));

    simulation.identity =
        identity(&[r#"{"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*"}}"#]);
    let results = simulation.run();
    assert_eq!(results[0].outcome, Outcome::Allowed);
    let ids: Vec<&str> = results[0]
        .matched
        .iter()
        .map(|m| m.policy_id.as_str())
        .collect();
    assert_eq!(ids, ["PolicyInputList.1", "ResourcePolicy"]);
}

#[test]
fn in_the_same_account_a_resource_policy_naming_the_user_allows_alone() {
    let simulation = Simulation {
        resource_policy: Some(input("ResourcePolicy", BUCKET_POLICY, PolicyKind::Resource)),
        actions: strings(&["s3:PutObject"]),
        resources: strings(&["arn:aws:s3:::mary/Test"]),
        caller: user("arn:aws:iam::444455556666:user/arnav"),
        ..Simulation::default()
    };
    let results = simulation.run();
    assert_eq!(results[0].outcome, Outcome::Allowed);
    assert_eq!(results[0].matched[0].kind, PolicyKind::Resource);
    assert_eq!(results[0].resources[0].decision_details, Some(Vec::new()));

    let stranger = Simulation {
        caller: user("arn:aws:iam::444455556666:user/bob"),
        ..simulation
    };
    assert_eq!(stranger.run()[0].outcome, Outcome::ImplicitDeny);
}

#[test]
fn without_a_caller_no_resource_is_foreign() {
    let simulation = Simulation {
        identity: identity(&[
            r#"{"Statement":{"Effect":"Allow","Action":"dynamodb:*","Resource":"*"}}"#,
        ]),
        actions: strings(&["dynamodb:GetItem"]),
        resources: strings(&["arn:aws:dynamodb:us-east-1:111122223333:table/T"]),
        resource_owner: Some("999988887777".to_owned()),
        ..Simulation::default()
    };
    let results = simulation.run();
    assert_eq!(results[0].outcome, Outcome::Allowed);
    assert_eq!(results[0].resources[0].decision_details, Some(Vec::new()));
}

#[test]
fn the_action_result_takes_the_strictest_resource() {
    let policy = r#"{"Statement":[
        {"Effect":"Allow","Action":"s3:GetObject","Resource":"*"},
        {"Effect":"Deny","Action":"s3:GetObject","Resource":"arn:aws:s3:::secret/*"}]}"#;
    let simulation = Simulation {
        identity: identity(&[policy]),
        actions: strings(&["s3:GetObject"]),
        resources: strings(&[
            "arn:aws:s3:::public/a",
            "arn:aws:s3:::secret/b",
            "arn:aws:s3:::other/c",
        ]),
        ..Simulation::default()
    };
    let results = simulation.run();
    let outcomes: Vec<Outcome> = results[0].resources.iter().map(|r| r.outcome).collect();
    assert_eq!(
        outcomes,
        [Outcome::Allowed, Outcome::ExplicitDeny, Outcome::Allowed]
    );
    assert_eq!(results[0].outcome, Outcome::ExplicitDeny);
    assert_eq!(results[0].matched.len(), 1);
    assert_eq!(results[0].matched[0].effect, Effect::Deny);
    assert_eq!(results[0].matched[0].index, 1);
}

#[test]
fn typed_values_are_checked_as_the_operators_read_them() {
    assert!(ValueType::Numeric.accepts("42.5"));
    assert!(!ValueType::Numeric.accepts("forty"));
    assert!(ValueType::Boolean.accepts("TRUE"));
    assert!(!ValueType::Boolean.accepts("yes"));
    assert!(ValueType::Ip.accepts("203.0.113.7"));
    assert!(ValueType::Ip.accepts("2001:db8::1"));
    assert!(!ValueType::Ip.accepts("203.0.113.0/24x"));
    assert!(ValueType::Binary.accepts("QmluYXJ5"));
    assert!(!ValueType::Binary.accepts("not base64!"));
    assert!(ValueType::Date.accepts("2019-04-25T11:00:00Z"));
    assert!(ValueType::Date.accepts("1556190000"));
    assert!(!ValueType::Date.accepts("tomorrow"));
    assert!(ValueType::String.accepts(""));
}

#[test]
fn source_types_are_aws_names() {
    assert_eq!(source_type(PolicyKind::Identity), "IAM Policy");
    assert_eq!(source_type(PolicyKind::Resource), "Resource Policy");
    assert_eq!(
        source_type(PolicyKind::Boundary),
        "Permissions Boundary Policy"
    );
}
