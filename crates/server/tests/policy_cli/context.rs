//! `warden policy simulate` with context entries: every ContextKeyType feeding the
//! conditions that read it, and the keys a simulation lacked.

use serde_json::{Value, json};

use super::simulate::{decisions, output};

#[test]
fn context_entries_of_every_kind_feed_the_conditions() {
    let policy = json!({"Version": "2012-10-17", "Statement": [
        {"Sid": "Numeric", "Effect": "Allow", "Action": "ec2:StopInstances", "Resource": "*",
         "Condition": {"NumericLessThan": {"aws:MultiFactorAuthAge": "3600"}}},
        {"Sid": "Ip", "Effect": "Allow", "Action": "ec2:StartInstances", "Resource": "*",
         "Condition": {"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}}},
        {"Sid": "Bool", "Effect": "Allow", "Action": "s3:GetObject", "Resource": "*",
         "Condition": {"Bool": {"aws:SecureTransport": "true"}}},
        {"Sid": "Tags", "Effect": "Allow", "Action": "s3:PutObjectTagging", "Resource": "*",
         "Condition": {"ForAllValues:StringEquals": {"aws:TagKeys": ["team", "cost"]}}},
        {"Sid": "Dates", "Effect": "Allow", "Action": "s3:PutObject", "Resource": "*",
         "Condition": {"ForAnyValue:DateGreaterThan": {"s3:object-lock-retain-until-date": "2030-01-01T00:00:00Z"}}},
        {"Sid": "Binary", "Effect": "Allow", "Action": "kms:Decrypt", "Resource": "*",
         "Condition": {"BinaryEquals": {"kms:EncryptionContext:blob": "QmluYXJ5"}}}
    ]})
    .to_string();
    let entry = |name: &str, values: &[&str], kind: &str| json!({"ContextKeyName": name, "ContextKeyValues": values, "ContextKeyType": kind});
    let actions = [
        "ec2:StopInstances",
        "ec2:StartInstances",
        "s3:GetObject",
        "s3:PutObjectTagging",
        "s3:PutObject",
        "kms:Decrypt",
    ];
    let matching = json!({
        "PolicyInputList": [policy],
        "ActionNames": actions,
        "ContextEntries": [
            entry("aws:MultiFactorAuthAge", &["120"], "numeric"),
            entry("aws:SourceIp", &["203.0.113.50"], "ip"),
            entry("aws:SecureTransport", &["true"], "boolean"),
            entry("aws:TagKeys", &["team"], "stringList"),
            entry("s3:object-lock-retain-until-date", &["2025-01-01T00:00:00Z", "2031-06-01T00:00:00Z"], "dateList"),
            entry("kms:EncryptionContext:blob", &["QmluYXJ5"], "binary"),
        ],
    });
    let out = output(&matching);
    let expected: Vec<(&str, &str)> = actions.iter().map(|a| (*a, "allowed")).collect();
    assert_eq!(decisions(&out), expected);
    let sid_lines: Vec<&Value> = out["EvaluationResults"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| &r["MatchedStatements"][0]["StartPosition"]["Line"])
        .collect();
    assert!(sid_lines.iter().all(|line| **line == json!(1)));

    let failing = json!({
        "PolicyInputList": [policy],
        "ActionNames": actions,
        "ContextEntries": [
            entry("aws:MultiFactorAuthAge", &["7200"], "numeric"),
            entry("aws:SourceIp", &["198.51.100.1"], "ip"),
            entry("aws:SecureTransport", &["false"], "boolean"),
            entry("aws:TagKeys", &["team", "owner"], "stringList"),
            entry("s3:object-lock-retain-until-date", &["2025-01-01T00:00:00Z"], "dateList"),
            entry("kms:EncryptionContext:blob", &["T3RoZXI="], "binary"),
        ],
    });
    let out = output(&failing);
    let expected: Vec<(&str, &str)> = actions.iter().map(|a| (*a, "implicitDeny")).collect();
    assert_eq!(decisions(&out), expected);
    for result in out["EvaluationResults"].as_array().unwrap() {
        assert_eq!(result["MissingContextValues"], json!([]), "{result}");
    }
}

#[test]
fn missing_context_values_are_named() {
    let policy = r#"{"Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"StringEquals":{"aws:PrincipalTag/team":"data"},"Bool":{"aws:MultiFactorAuthPresent":"true"}}}}"#;
    let out = output(&json!({
        "PolicyInputList": [policy],
        "ActionNames": ["s3:GetObject", "s3:PutObject"],
        "ContextEntries": [{"ContextKeyName": "aws:MultiFactorAuthPresent", "ContextKeyValues": ["true"], "ContextKeyType": "boolean"}],
    }));
    let results = &out["EvaluationResults"];
    assert_eq!(results[0]["EvalDecision"], "implicitDeny");
    assert_eq!(
        results[0]["MissingContextValues"],
        json!(["aws:PrincipalTag/team"])
    );
    // The statement does not apply to s3:PutObject, so it asks for nothing there.
    assert_eq!(results[1]["MissingContextValues"], json!([]));
}

#[test]
fn a_value_that_is_not_of_its_type_is_invalid_input() {
    let input = json!({
        "PolicyInputList": [r#"{"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*"}}"#],
        "ActionNames": ["s3:GetObject"],
        "ContextEntries": [
            {"ContextKeyName": "aws:CurrentTime", "ContextKeyValues": ["next tuesday"], "ContextKeyType": "date"},
        ],
    });
    let run = super::simulate::simulate(&input);
    assert_eq!(run.status, Some(254));
    assert_eq!(
        run.stderr,
        "\nAn error occurred (InvalidInput) when calling the SimulateCustomPolicy operation: Invalid value for context key aws:CurrentTime of type date: next tuesday.\n"
    );
    assert!(run.stdout.is_empty());
}
