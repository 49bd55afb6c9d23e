//! Unit tests of reading simulator input on the aws CLI's side: unreadable JSON, botocore's
//! parameter checks, the model's constraints, and IAM's own refusals passed through. IAM's
//! rules themselves are tested with `warden_core::simulator`.

use serde_json::json;

use super::*;

const ALLOW_ALL: &str =
    r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}"#;

/// A minimal valid input with `extra` members merged in.
fn with(extra: Value) -> String {
    let mut input = json!({"PolicyInputList": [ALLOW_ALL], "ActionNames": ["s3:GetObject"]});
    if let (Value::Object(base), Value::Object(extra)) = (&mut input, extra) {
        base.extend(extra);
    }
    input.to_string()
}

fn service_error(text: &str) -> (&'static str, String) {
    match parse(text) {
        Err(InputError::Service { code, message }) => (code, message),
        other => panic!("expected a service error, got {other:?}"),
    }
}

#[test]
fn a_valid_input_reaches_the_simulator() {
    let request = parse(&with(json!({"MaxItems": 5}))).unwrap();
    assert_eq!(request.simulation.identity[0].id, "PolicyInputList.1");
    assert_eq!(request.simulation.actions, ["s3:GetObject"]);
    assert_eq!((request.start, request.max_items), (0, 5));
}

#[test]
fn unreadable_json_and_parameters_stop_before_the_service() {
    let error = parse("{not json").unwrap_err();
    assert!(matches!(error, InputError::Json(_)));
    assert_eq!(error.exit_status(), 252);
    let message = error.to_string();
    assert!(
        message.starts_with("Error parsing parameter 'cli-input-json': Invalid JSON: "),
        "{message}"
    );
    assert!(message.ends_with("\nJSON received: {not json"), "{message}");

    let error = parse(r#"{"ActionNames": ["s3:GetObject"]}"#).unwrap_err();
    assert_eq!(error.exit_status(), 252);
    assert_eq!(
        error.to_string(),
        "Parameter validation failed:\nMissing required parameter in input: \"PolicyInputList\""
    );
}

#[test]
fn constraint_violations_are_validation_errors_in_aws_words() {
    let (code, message) = service_error(&with(json!({
        "MaxItems": 1001,
        "ContextEntries": [{"ContextKeyName": "aws:username", "ContextKeyValues": ["a"], "ContextKeyType": "text"}],
    })));
    assert_eq!(code, "ValidationError");
    assert_eq!(
        message,
        "2 validation errors detected: Value 'text' at 'contextEntries.1.member.contextKeyType' failed to satisfy constraint: Member must satisfy enum value set: [string, stringList, numeric, numericList, boolean, booleanList, ip, ipList, binary, binaryList, date, dateList]; Value '1001' at 'maxItems' failed to satisfy constraint: Member must have value less than or equal to 1000"
    );
    let (code, message) = service_error(&with(
        json!({"PolicyInputList": ["{\"Sid\": \"\u{20ac}\"}"]}),
    ));
    assert_eq!(code, "ValidationError");
    assert!(message.starts_with("1 validation error detected: Value '{\"Sid\": \"\u{20ac}\"}' at 'policyInputList.1.member' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\u0009\\u000A\\u000D\\u0020-\\u00FF]+"), "{message}");
    let error = parse(&with(
        json!({"ActionNames": ["s3:".to_owned() + &"x".repeat(130)]}),
    ))
    .unwrap_err();
    assert_eq!(error.exit_status(), 254);
    assert!(error.to_string().contains("at 'actionNames.1.member' failed to satisfy constraint: Member must have length less than or equal to 128"));
}

#[test]
fn iam_refusals_come_back_as_the_aws_cli_shows_them() {
    let (code, message) = service_error(&with(json!({"Marker": "7"})));
    assert_eq!(
        (code, message.as_str()),
        ("InvalidInput", "Invalid Marker: 7.")
    );
    let error = parse(&with(json!({"ActionNames": ["s3:Get*"]}))).unwrap_err();
    assert_eq!(error.exit_status(), 254);
    assert!(
        error.to_string().starts_with(
            "An error occurred (InvalidInput) when calling the SimulateCustomPolicy operation: Invalid action name: s3:Get*."
        ),
        "{error}"
    );
}
