//! `warden policy simulate`: the aws CLI's input in, the aws CLI's output out.

use serde_json::{Value, json};

use super::{Run, Scratch, warden};

/// Runs the simulator on `input`, passed as a `file://` parameter.
pub(crate) fn simulate(input: &Value) -> Run {
    let scratch = Scratch::new();
    let file = scratch.file("input.json", &input.to_string());
    warden(&[
        "policy",
        "simulate",
        "--cli-input-json",
        &format!("file://{file}"),
    ])
}

/// The parsed output of a successful simulation.
pub(crate) fn output(input: &Value) -> Value {
    let run = simulate(input);
    assert_eq!(run.status, Some(0), "stderr: {}", run.stderr);
    serde_json::from_str(&run.stdout).unwrap()
}

pub(crate) fn decisions(output: &Value) -> Vec<(&str, &str)> {
    output["EvaluationResults"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["EvalActionName"].as_str().unwrap(),
                r["EvalDecision"].as_str().unwrap(),
            )
        })
        .collect()
}

/// The aws CLI's documented example for `simulate-custom-policy`.
const DATED: &str = r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"dynamodb:*","Resource":"*","Condition":{"DateGreaterThan":{"aws:CurrentTime":"2018-08-16T12:00:00Z"}}}}"#;

fn dated_input(time: &str) -> Value {
    json!({
        "PolicyInputList": [DATED],
        "ActionNames": ["dynamodb:CreateBackup"],
        "ContextEntries": [{"ContextKeyName": "aws:CurrentTime", "ContextKeyValues": [time], "ContextKeyType": "date"}],
    })
}

#[test]
fn the_aws_cli_example_prints_what_aws_prints() {
    let run = simulate(&dated_input("2019-04-25T11:00:00Z"));
    assert_eq!(run.status, Some(0), "{}", run.stderr);
    // Indented by four spaces, as the aws CLI prints.
    assert!(
        run.stdout
            .starts_with("{\n    \"EvaluationResults\": [\n        {\n"),
        "{}",
        run.stdout
    );
    let printed: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(
        printed,
        json!({
            "EvaluationResults": [{
                "EvalActionName": "dynamodb:CreateBackup",
                "EvalResourceName": "*",
                "EvalDecision": "allowed",
                "MatchedStatements": [{
                    "SourcePolicyId": "PolicyInputList.1",
                    "SourcePolicyType": "IAM Policy",
                    "StartPosition": {"Line": 1, "Column": 38},
                    "EndPosition": {"Line": 1, "Column": 167},
                }],
                "MissingContextValues": [],
            }],
            "IsTruncated": false,
        })
    );

    let denied = output(&dated_input("2014-04-25T11:00:00Z"));
    assert_eq!(
        decisions(&denied),
        [("dynamodb:CreateBackup", "implicitDeny")]
    );
    assert_eq!(
        denied["EvaluationResults"][0]["MatchedStatements"],
        json!([])
    );
}

#[test]
fn inline_json_is_read_as_the_aws_cli_reads_it() {
    let input = dated_input("2019-04-25T11:00:00Z").to_string();
    let run = warden(&["policy", "simulate", "--cli-input-json", &input]);
    assert_eq!(run.status, Some(0), "{}", run.stderr);
    let printed: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(decisions(&printed), [("dynamodb:CreateBackup", "allowed")]);
}

#[test]
fn allow_deny_and_implicit_deny_with_the_deciding_statements() {
    let allow = "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [\n    {\n      \"Effect\": \"Allow\",\n      \"Action\": \"s3:*\",\n      \"Resource\": \"*\"\n    }\n  ]\n}";
    let deny = r#"{"Version":"2012-10-17","Statement":[{"Sid":"KeepLogs","Effect":"Deny","Action":"s3:DeleteObject","Resource":"*"}]}"#;
    let out = output(&json!({
        "PolicyInputList": [allow, deny],
        "ActionNames": ["s3:GetObject", "s3:DeleteObject", "ec2:RunInstances"],
    }));
    assert_eq!(
        decisions(&out),
        [
            ("s3:GetObject", "allowed"),
            ("s3:DeleteObject", "explicitDeny"),
            ("ec2:RunInstances", "implicitDeny")
        ]
    );
    let results = &out["EvaluationResults"];
    assert_eq!(
        results[0]["MatchedStatements"],
        json!([{
            "SourcePolicyId": "PolicyInputList.1",
            "SourcePolicyType": "IAM Policy",
            "StartPosition": {"Line": 4, "Column": 6},
            "EndPosition": {"Line": 8, "Column": 6},
        }])
    );
    assert_eq!(
        results[1]["MatchedStatements"][0]["SourcePolicyId"],
        "PolicyInputList.2"
    );
    assert_eq!(
        results[1]["MatchedStatements"][0]["StartPosition"],
        json!({"Line": 1, "Column": 39})
    );
    assert_eq!(results[1]["MatchedStatements"].as_array().unwrap().len(), 1);
    assert_eq!(results[2]["MatchedStatements"], json!([]));
    for result in results.as_array().unwrap() {
        assert!(result.get("ResourceSpecificResults").is_none(), "{result}");
        assert!(result.get("EvalDecisionDetails").is_none(), "{result}");
        assert!(
            result.get("PermissionsBoundaryDecisionDetail").is_none(),
            "{result}"
        );
    }
}

#[test]
fn a_permissions_boundary_caps_and_reports() {
    let out = output(&json!({
        "PolicyInputList": [r#"{"Statement":{"Effect":"Allow","Action":["s3:*","iam:*"],"Resource":"*"}}"#],
        "PermissionsBoundaryPolicyInputList": [r#"{"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*"}}"#],
        "ActionNames": ["s3:ListBucket", "iam:CreateUser"],
    }));
    assert_eq!(
        decisions(&out),
        [
            ("s3:ListBucket", "allowed"),
            ("iam:CreateUser", "implicitDeny")
        ]
    );
    let results = &out["EvaluationResults"];
    assert_eq!(
        results[0]["PermissionsBoundaryDecisionDetail"],
        json!({"AllowedByPermissionsBoundary": true})
    );
    assert_eq!(
        results[1]["PermissionsBoundaryDecisionDetail"],
        json!({"AllowedByPermissionsBoundary": false})
    );
    let sources: Vec<&Value> = results[0]["MatchedStatements"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| &m["SourcePolicyId"])
        .collect();
    assert_eq!(sources, [&json!("PolicyInputList.1")]);
}

const BUCKET_POLICY: &str = r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:user/alice"},"Action":"s3:PutObject","Resource":"arn:aws:s3:::shared/*"}}"#;

#[test]
fn a_resource_policy_in_the_callers_account_grants_on_its_own() {
    let out = output(&json!({
        "PolicyInputList": [r#"{"Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}}"#],
        "ActionNames": ["s3:PutObject"],
        "ResourceArns": ["arn:aws:s3:::shared/report.csv"],
        "ResourcePolicy": BUCKET_POLICY,
        "CallerArn": "arn:aws:iam::111122223333:user/alice",
    }));
    let result = &out["EvaluationResults"][0];
    assert_eq!(result["EvalDecision"], "allowed");
    assert_eq!(result["EvalResourceName"], "arn:aws:s3:::shared/report.csv");
    assert_eq!(result["EvalDecisionDetails"], json!({}));
    let statement = &result["MatchedStatements"][0];
    assert_eq!(
        (&statement["SourcePolicyId"], &statement["SourcePolicyType"]),
        (&json!("ResourcePolicy"), &json!("Resource Policy"))
    );
    assert_eq!(statement["StartPosition"], json!({"Line": 1, "Column": 38}));
    let specific = result["ResourceSpecificResults"].as_array().unwrap();
    assert_eq!(specific.len(), 1);
    assert_eq!(
        specific[0]["EvalResourceName"],
        "arn:aws:s3:::shared/report.csv"
    );
    assert_eq!(specific[0]["EvalResourceDecision"], "allowed");
    assert_eq!(
        specific[0]["MatchedStatements"],
        result["MatchedStatements"]
    );
}

#[test]
fn cross_account_access_needs_both_accounts_and_details_each() {
    let mut input = json!({
        "PolicyInputList": [r#"{"Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}}"#],
        "ActionNames": ["s3:PutObject"],
        "ResourceArns": ["arn:aws:s3:::shared/report.csv"],
        "ResourcePolicy": BUCKET_POLICY,
        "ResourceOwner": "arn:aws:iam::444455556666:root",
        "CallerArn": "arn:aws:iam::111122223333:user/alice",
    });
    let out = output(&input);
    let result = &out["EvaluationResults"][0];
    assert_eq!(result["EvalDecision"], "implicitDeny");
    let details = json!({"IAM Policy": "implicitDeny", "Resource Policy": "allowed"});
    assert_eq!(result["EvalDecisionDetails"], details);
    assert_eq!(
        result["ResourceSpecificResults"][0]["EvalDecisionDetails"],
        details
    );

    input["PolicyInputList"] =
        json!([r#"{"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*"}}"#]);
    let out = output(&input);
    let result = &out["EvaluationResults"][0];
    assert_eq!(result["EvalDecision"], "allowed");
    assert_eq!(
        result["EvalDecisionDetails"],
        json!({"IAM Policy": "allowed", "Resource Policy": "allowed"})
    );
    assert_eq!(result["MatchedStatements"].as_array().unwrap().len(), 2);
}

#[test]
fn several_resources_fold_into_one_result_per_action() {
    let policy = r#"{"Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"},{"Effect":"Deny","Action":"s3:GetObject","Resource":"arn:aws:s3:::vault/*"}]}"#;
    let out = output(&json!({
        "PolicyInputList": [policy],
        "ActionNames": ["s3:GetObject"],
        "ResourceArns": ["arn:aws:s3:::public/a", "arn:aws:s3:::vault/b"],
    }));
    let results = out["EvaluationResults"].as_array().unwrap();
    assert_eq!(results.len(), 1);
    assert_eq!(results[0]["EvalDecision"], "explicitDeny");
    assert_eq!(results[0]["EvalResourceName"], "arn:aws:s3:::public/a");
    let per_resource: Vec<(&Value, &Value)> = results[0]["ResourceSpecificResults"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (&r["EvalResourceName"], &r["EvalResourceDecision"]))
        .collect();
    assert_eq!(
        per_resource,
        [
            (&json!("arn:aws:s3:::public/a"), &json!("allowed")),
            (&json!("arn:aws:s3:::vault/b"), &json!("explicitDeny"))
        ]
    );
}

#[test]
fn pages_follow_max_items_and_markers() {
    let actions = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"];
    let mut input = json!({
        "PolicyInputList": [r#"{"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*"}}"#],
        "ActionNames": actions,
        "MaxItems": 2,
    });
    let first = output(&input);
    assert_eq!(first["IsTruncated"], true);
    assert_eq!(decisions(&first).len(), 2);
    input["Marker"] = first["Marker"].clone();
    let second = output(&input);
    assert_eq!(second["IsTruncated"], false);
    assert!(second.get("Marker").is_none());
    assert_eq!(decisions(&second), [("s3:DeleteObject", "allowed")]);
}

#[test]
fn bad_input_fails_as_the_aws_cli_fails() {
    let resource_policy_without_caller = json!({
        "PolicyInputList": ["{\"Statement\":{\"Effect\":\"Allow\",\"Action\":\"s3:*\",\"Resource\":\"*\"}}"],
        "ActionNames": ["s3:GetObject"],
        "ResourcePolicy": BUCKET_POLICY,
    });
    let run = simulate(&resource_policy_without_caller);
    assert_eq!(run.status, Some(254));
    assert!(run.stdout.is_empty());
    assert!(
        run.stderr.starts_with("\nAn error occurred (InvalidInput) when calling the SimulateCustomPolicy operation: CallerArn is required"),
        "{}",
        run.stderr
    );

    let run = simulate(&json!({"ActionNames": ["s3:GetObject"], "Color": "blue"}));
    assert_eq!(run.status, Some(252));
    assert!(
        run.stderr.contains("Parameter validation failed:\n"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("Unknown parameter in input: \"Color\""),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains("Missing required parameter in input: \"PolicyInputList\""),
        "{}",
        run.stderr
    );

    let run = warden(&[
        "policy",
        "simulate",
        "--cli-input-json",
        "file:///nonexistent/warden.json",
    ]);
    assert_eq!(run.status, Some(252));
    assert!(
        run.stderr.contains("Error parsing parameter '--cli-input-json': Unable to load paramfile file:///nonexistent/warden.json: "),
        "{}",
        run.stderr
    );
}

#[test]
fn simulations_beyond_warden_bounds_fail_as_the_service_does() {
    let statement = r#"{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::bucket*"}"#;
    let policy = format!(r#"{{"Statement":[{}]}}"#, vec![statement; 50].join(","));
    let buckets: Vec<String> = (0..334)
        .map(|i| format!("arn:aws:s3:::bucket{i}"))
        .collect();
    // 50 statements of three tests on 334 resources: 50,100 tests for the one action.
    let run = simulate(&json!({
        "PolicyInputList": [policy],
        "ActionNames": ["s3:GetObject"],
        "ResourceArns": buckets,
    }));
    assert_eq!(run.status, Some(254));
    assert!(run.stdout.is_empty());
    assert_eq!(
        run.stderr,
        "\nAn error occurred (LimitExceeded) when calling the SimulateCustomPolicy operation: Cannot exceed quota for TestsPerSimulatedAction: 50000\n"
    );

    let actions: Vec<String> = (0..10_001).map(|i| format!("s3:Action{i}")).collect();
    let run = simulate(&json!({"PolicyInputList": [policy], "ActionNames": actions}));
    assert_eq!(run.status, Some(254));
    assert_eq!(
        run.stderr,
        "\nAn error occurred (ValidationError) when calling the SimulateCustomPolicy operation: 1 validation error detected: Value at 'actionNames' failed to satisfy constraint: Member must have length less than or equal to 10000\n"
    );
}
