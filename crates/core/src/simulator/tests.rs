//! Unit tests of reading simulator requests: what is accepted, each refusal's AWS words, and
//! how the principal's own policies are added and named.

use serde_json::json;
use warden_policy::{ContextValue, PrincipalKind};

use super::*;

const ALLOW_ALL: &str =
    r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}"#;

/// A minimal valid input with `extra` members merged in.
fn with(extra: Value) -> Value {
    let mut input = json!({"PolicyInputList": [ALLOW_ALL], "ActionNames": ["s3:GetObject"]});
    if let (Value::Object(base), Value::Object(extra)) = (&mut input, extra) {
        base.extend(extra);
    }
    input
}

fn invalid_input(extra: Value) -> String {
    match Request::custom(&with(extra)) {
        Err(Error::InvalidInput(message)) => message,
        other => panic!("expected InvalidInput, got {other:?}"),
    }
}

#[test]
fn a_minimal_input_reads_with_aws_defaults() {
    let request = Request::custom(&with(json!({}))).unwrap();
    assert_eq!(request.simulation.identity.len(), 1);
    assert_eq!(request.simulation.identity[0].id, "PolicyInputList.1");
    assert_eq!(request.simulation.actions, ["s3:GetObject"]);
    assert!(request.simulation.resources.is_empty());
    assert!(request.simulation.caller.is_none());
    assert_eq!((request.start, request.max_items), (0, 100));
}

#[test]
fn every_input_member_is_read() {
    let resource_policy = r#"{"Statement":{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:user/alice"},"Action":"s3:*","Resource":"*"}}"#;
    let request = Request::custom(&with(json!({
        "PermissionsBoundaryPolicyInputList": [ALLOW_ALL],
        "ActionNames": ["s3:GetObject", "s3:PutObject"],
        "ResourceArns": ["arn:aws:s3:::b/k", "*"],
        "ResourcePolicy": resource_policy,
        "ResourceOwner": "arn:aws:iam::444455556666:root",
        "CallerArn": "arn:aws:iam::111122223333:user/alice",
        "ResourceHandlingOption": "EC2-VPC-EBS",
        "MaxItems": 1,
        "Marker": "1",
    })))
    .unwrap();
    let simulation = &request.simulation;
    assert_eq!(
        simulation.boundary.as_ref().unwrap().id,
        "PermissionsBoundaryPolicyInputList.1"
    );
    assert_eq!(
        simulation.resource_policy.as_ref().unwrap().id,
        "ResourcePolicy"
    );
    assert_eq!(simulation.resources, ["arn:aws:s3:::b/k", "*"]);
    assert_eq!(simulation.resource_owner.as_deref(), Some("444455556666"));
    let caller = simulation.caller.as_ref().unwrap();
    assert_eq!(
        (caller.kind, caller.account.as_str()),
        (PrincipalKind::User, "111122223333")
    );
    assert_eq!((request.start, request.max_items), (1, 1));
}

#[test]
fn context_entries_become_typed_context_values() {
    let request = Request::custom(&with(json!({"ContextEntries": [
        {"ContextKeyName": "aws:username", "ContextKeyValues": ["alice"], "ContextKeyType": "string"},
        {"ContextKeyName": "aws:TagKeys", "ContextKeyValues": ["a", "b"], "ContextKeyType": "stringList"},
        {"ContextKeyName": "aws:MultiFactorAuthAge", "ContextKeyValues": ["300"], "ContextKeyType": "numeric"},
        {"ContextKeyName": "aws:SecureTransport", "ContextKeyValues": ["true"], "ContextKeyType": "boolean"},
        {"ContextKeyName": "aws:SourceIp", "ContextKeyValues": ["203.0.113.9"], "ContextKeyType": "ip"},
        {"ContextKeyName": "aws:CurrentTime", "ContextKeyValues": ["2020-01-01T00:00:00Z", "1577836800"], "ContextKeyType": "dateList"},
        {"ContextKeyName": "s3:Blob", "ContextKeyValues": [], "ContextKeyType": "binaryList"},
    ]})))
    .unwrap();
    let context = &request.simulation.context;
    let single = |v: &str| Some(ContextValue::Single(v.to_owned()));
    let multi = |v: &[&str]| {
        Some(ContextValue::Multi(
            v.iter().map(|s| (*s).to_owned()).collect(),
        ))
    };
    assert_eq!(context.get("aws:username").cloned(), single("alice"));
    assert_eq!(context.get("AWS:TAGKEYS").cloned(), multi(&["a", "b"]));
    assert_eq!(
        context.get("aws:MultiFactorAuthAge").cloned(),
        single("300")
    );
    assert_eq!(context.get("aws:SecureTransport").cloned(), single("true"));
    assert_eq!(context.get("aws:SourceIp").cloned(), single("203.0.113.9"));
    assert_eq!(
        context.get("aws:CurrentTime").cloned(),
        multi(&["2020-01-01T00:00:00Z", "1577836800"])
    );
    assert_eq!(context.get("s3:Blob").cloned(), multi(&[]));
}

#[test]
fn members_of_the_wrong_type_are_validation_errors() {
    let error = Request::custom(&with(json!({"ActionNames": "s3:GetObject"}))).unwrap_err();
    assert!(matches!(error, Error::ValidationError(_)), "{error}");
}

#[test]
fn a_resource_policy_needs_a_caller() {
    let resource_policy =
        r#"{"Statement":{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"*"}}"#;
    let message = invalid_input(json!({"ResourcePolicy": resource_policy}));
    assert!(
        message.starts_with("CallerArn is required when you include a ResourcePolicy"),
        "{message}"
    );
    // Only SimulateCustomPolicy insists: SimulatePrincipalPolicy may supply the caller.
    assert!(Request::read(&with(json!({"ResourcePolicy": resource_policy}))).is_ok());
}

#[test]
fn arns_are_checked_in_aws_words() {
    assert_eq!(
        invalid_input(json!({"ResourceArns": ["14a050d4-021e-4efe-84bb-0871bf6d0fda"]})),
        "ResourceNames are not in a valid ARN format: 14a050d4-021e-4efe-84bb-0871bf6d0fda."
    );
    assert_eq!(
        invalid_input(json!({"ResourceOwner": "123456789012"})),
        "'123456789012' is not a valid as a Resource Owner."
    );
    let message = invalid_input(json!({"CallerArn": "arn:aws:sts::111122223333:assumed-role/r/s"}));
    assert!(message.contains("only the ARN of an IAM user"), "{message}");
}

#[test]
fn policies_actions_and_options_are_checked() {
    let message = invalid_input(
        json!({"PolicyInputList": [ALLOW_ALL, r#"{"Statement":{"Effect":"Allow","Action":"s3GetObject","Resource":"*"}}"#]}),
    );
    assert!(
        message.starts_with("PolicyInputList.2 is not a valid policy: "),
        "{message}"
    );
    assert!(message.contains("Statement[0]"), "{message}");
    let message =
        invalid_input(json!({"PermissionsBoundaryPolicyInputList": [ALLOW_ALL, ALLOW_ALL]}));
    assert!(
        message.contains("only one permissions boundary"),
        "{message}"
    );
    for action in ["s3:Get*", "GetObject", ":GetObject"] {
        let message = invalid_input(json!({"ActionNames": [action]}));
        assert!(
            message.starts_with(&format!("Invalid action name: {action}.")),
            "{message}"
        );
    }
    let message = invalid_input(json!({"ResourceHandlingOption": "EC2-Classic"}));
    assert!(
        message.starts_with("Invalid ResourceHandlingOption: EC2-Classic."),
        "{message}"
    );
    assert_eq!(invalid_input(json!({"Marker": "7"})), "Invalid Marker: 7.");
}

#[test]
fn context_entries_are_checked() {
    let entry = |name: &str, values: Value, kind: &str| json!({"ContextEntries": [{"ContextKeyName": name, "ContextKeyValues": values, "ContextKeyType": kind}]});
    assert_eq!(
        invalid_input(entry("aws:username", json!(["a", "b"]), "string")),
        "Context key aws:username of type string takes exactly one value; 2 were given."
    );
    assert_eq!(
        invalid_input(entry("aws:MultiFactorAuthAge", json!(["soon"]), "numeric")),
        "Invalid value for context key aws:MultiFactorAuthAge of type numeric: soon."
    );
    assert_eq!(
        invalid_input(entry(
            "aws:SourceIp",
            json!(["10.0.0.1", "nowhere"]),
            "ipList"
        )),
        "Invalid value for context key aws:SourceIp of type ipList: nowhere."
    );
    let message = invalid_input(
        json!({"ContextEntries": [{"ContextKeyName": "aws:username", "ContextKeyValues": ["a"]}]}),
    );
    assert_eq!(
        message,
        "ContextEntries.1 (aws:username) has no ContextKeyType."
    );
    let twice = json!({"ContextEntries": [
        {"ContextKeyName": "aws:username", "ContextKeyValues": ["a"], "ContextKeyType": "string"},
        {"ContextKeyName": "AWS:UserName", "ContextKeyValues": ["b"], "ContextKeyType": "string"},
    ]});
    assert_eq!(
        invalid_input(twice),
        "Context key AWS:UserName is given more than once."
    );
}

fn own(id: &str, name: &str, source_type: Option<&'static str>, text: &str) -> OwnPolicy {
    OwnPolicy {
        id: id.to_owned(),
        name: name.to_owned(),
        source_type,
        policy: Arc::new(Policy::parse(text, PolicyKind::Identity).unwrap()),
    }
}

#[test]
fn own_policies_come_first_and_are_named_by_their_labels() {
    let deny = r#"{"Statement":{"Effect":"Deny","Action":"s3:GetObject","Resource":"*"}}"#;
    let mut request = Request::read(&with(json!({}))).unwrap();
    let boundary = own("arn:b", "Ceiling", None, ALLOW_ALL);
    request.add_own(
        vec![
            own("arn:u inline policy P", "P", Some("user"), deny),
            own("arn:m", "Managed", Some("user-managed"), deny),
        ],
        Some(boundary),
    );
    let ids: Vec<&str> = request
        .simulation
        .identity
        .iter()
        .map(|p| p.id.as_str())
        .collect();
    assert_eq!(ids, ["arn:u inline policy P", "arn:m", "PolicyInputList.1"]);
    assert_eq!(request.simulation.boundary.as_ref().unwrap().id, "arn:b");

    let response = serde_json::to_value(request.respond().unwrap()).unwrap();
    let result = &response["EvaluationResults"][0];
    assert_eq!(result["EvalDecision"], "explicitDeny");
    let sources: Vec<(&str, &str)> = result["MatchedStatements"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["SourcePolicyId"].as_str().unwrap(),
                m["SourcePolicyType"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(sources, [("P", "user"), ("Managed", "user-managed")]);
    assert_eq!(
        result["PermissionsBoundaryDecisionDetail"],
        json!({"AllowedByPermissionsBoundary": true})
    );
}

#[test]
fn an_input_boundary_replaces_the_principals_own() {
    let mut request = Request::read(&with(
        json!({"PermissionsBoundaryPolicyInputList": [ALLOW_ALL]}),
    ))
    .unwrap();
    request.add_own(Vec::new(), Some(own("arn:b", "Ceiling", None, ALLOW_ALL)));
    assert_eq!(
        request.simulation.boundary.as_ref().unwrap().id,
        "PermissionsBoundaryPolicyInputList.1"
    );
}

#[test]
fn context_key_names_are_listed_once_in_order_of_use() {
    let policies = input_policies(&[
        r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::b/${aws:username}/*","Condition":{"Bool":{"aws:SecureTransport":"true"}}}}"#.to_owned(),
        r#"{"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"StringEquals":{"AWS:UserName":"x","s3:prefix":"y"}}}}"#.to_owned(),
    ])
    .unwrap();
    let names = context_key_names(policies.iter().map(|p| p.policy.as_ref()));
    assert_eq!(names, ["aws:SecureTransport", "aws:username", "s3:prefix"]);
}
