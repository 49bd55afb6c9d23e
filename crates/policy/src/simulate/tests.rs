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

#[test]
fn results_evaluate_only_the_actions_taken() {
    let policy = r#"{"Statement":[
        {"Effect":"Allow","Action":"s3:*","Resource":"*"},
        {"Effect":"Deny","Action":"s3:DeleteObject","Resource":"arn:aws:s3:::logs/*"}]}"#;
    let simulation = Simulation {
        identity: identity(&[policy]),
        actions: strings(&[
            "s3:GetObject",
            "s3:PutObject",
            "s3:DeleteObject",
            "ec2:RunInstances",
        ]),
        resources: strings(&["arn:aws:s3:::logs/a", "arn:aws:s3:::data/b"]),
        ..Simulation::default()
    };
    let all = simulation.run();
    let mut results = simulation.results(1);
    assert_eq!(results.len(), 3);
    assert_eq!(
        results.evaluations(),
        0,
        "nothing is evaluated before it is asked for"
    );
    let page: Vec<ActionResult> = results.by_ref().take(2).collect();
    assert_eq!(page, all[1..3]);
    assert_eq!(results.evaluations(), 2 * 2, "two actions on two resources");
    assert_eq!(results.len(), 1);
    assert_eq!(results.next().as_ref(), all.get(3));
    assert_eq!(results.next(), None);
    assert_eq!(results.evaluations(), 3 * 2);
    assert_eq!(simulation.results(9).next(), None);
}

#[test]
fn without_resources_each_action_is_evaluated_once_on_any() {
    let simulation = Simulation {
        identity: identity(&[DATED]),
        actions: strings(&["dynamodb:GetItem", "dynamodb:PutItem"]),
        ..Simulation::default()
    };
    assert_eq!(simulation.resource_count(), 1);
    let mut results = simulation.results(0);
    assert_eq!(results.next().unwrap().resources[0].resource, "*");
    assert_eq!(results.evaluations(), 1);
}

#[test]
fn the_evaluation_cost_counts_patterns_and_condition_values_times_context_values() {
    // Statement 1: itself, 2 actions, 1 resource, a condition of 3 values on a key the
    // context holds 4 values for, and one of 1 value on a key it lacks: 1 + 2 + 1 + 12 + 1.
    // Statement 2: itself, 1 action, 2 resources: 4. The boundary: itself, 1 action, 1
    // resource: 3. The resource policy: itself, 1 action, 1 resource, 1 principal: 4.
    let identity_policy = r#"{"Statement":[
        {"Effect":"Allow","Action":["s3:GetObject","s3:PutObject"],"Resource":"*",
         "Condition":{"ForAnyValue:StringLike":{"aws:TagKeys":["a*","b*","c*"]},
                      "StringEquals":{"aws:username":"alice"}}},
        {"Effect":"Deny","Action":"s3:DeleteObject","Resource":["arn:aws:s3:::a/*","arn:aws:s3:::b/*"]}]}"#;
    let boundary = r#"{"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*"}}"#;
    let resource = r#"{"Statement":{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:user/alice"},"Action":"s3:*","Resource":"*"}}"#;
    let mut context = Context::new();
    context.insert("aws:TagKeys", strings(&["w", "x", "y", "z"]));
    let simulation = Simulation {
        identity: identity(&[identity_policy]),
        boundary: Some(input("Boundary", boundary, PolicyKind::Boundary)),
        resource_policy: Some(input("ResourcePolicy", resource, PolicyKind::Resource)),
        actions: strings(&["s3:GetObject"]),
        context,
        ..Simulation::default()
    };
    assert_eq!(simulation.evaluation_cost(), 17 + 4 + 3 + 4);
}
