//! awsQuery decoding: parameters as SDKs send them become the operation's input.

use serde_json::{Value, json};
use warden_api::model::Model;
use warden_api::query::{ValidationError, decode};

use super::botocore;

fn decode_pairs(
    model: &Model,
    operation: &str,
    pairs: &[(&str, &str)],
) -> Result<Value, ValidationError> {
    let params: Vec<(String, String)> = pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    decode(model, model.operation(operation).unwrap(), &params)
}

#[test]
fn create_user_with_tags() {
    let input = decode_pairs(
        Model::iam(),
        "CreateUser",
        &[
            ("Action", "CreateUser"),
            ("Version", "2010-05-08"),
            ("UserName", "bob"),
            ("Path", "/dev/"),
            ("Tags.member.1.Key", "team"),
            ("Tags.member.1.Value", "blue"),
            ("Tags.member.2.Key", "env"),
            ("Tags.member.2.Value", ""),
            ("X-Amz-Date", "20240101T000000Z"),
        ],
    );
    assert_eq!(
        input.unwrap(),
        json!({"UserName": "bob", "Path": "/dev/",
               "Tags": [{"Key": "team", "Value": "blue"}, {"Key": "env", "Value": ""}]})
    );
}

#[test]
fn list_elements_come_in_index_order_with_gaps_closed() {
    let input = decode_pairs(
        Model::iam(),
        "TagUser",
        &[
            ("UserName", "bob"),
            ("Tags.member.10.Key", "c"),
            ("Tags.member.10.Value", "3"),
            ("Tags.member.2.Key", "a"),
            ("Tags.member.2.Value", "1"),
            ("Tags.member.5.Value", "2"),
            ("Tags.member.5.Key", "b"),
            ("Tags.member.0.Key", "ignored"),
            ("Tags.member.x.Key", "ignored"),
        ],
    );
    assert_eq!(
        input.unwrap(),
        json!({"UserName": "bob", "Tags": [{"Key": "a", "Value": "1"}, {"Key": "b", "Value": "2"},
                                           {"Key": "c", "Value": "3"}]})
    );
}

#[test]
fn an_empty_value_for_a_list_is_an_empty_list() {
    let input = decode_pairs(
        Model::iam(),
        "CreateUser",
        &[("UserName", "bob"), ("Tags", "")],
    );
    assert_eq!(input.unwrap(), json!({"UserName": "bob", "Tags": []}));
}

#[test]
fn the_first_of_repeated_parameters_wins() {
    let input = decode_pairs(
        Model::iam(),
        "GetUser",
        &[("UserName", "a"), ("UserName", "b")],
    );
    assert_eq!(input.unwrap(), json!({"UserName": "a"}));
}

#[test]
fn put_user_policy_keeps_the_document_verbatim() {
    let document = "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [{\"Effect\": \"Allow\", \
                    \"Action\": \"s3:*\", \"Resource\": \"*\"}]\n}";
    let input = decode_pairs(
        Model::iam(),
        "PutUserPolicy",
        &[
            ("UserName", "bob"),
            ("PolicyName", "s3"),
            ("PolicyDocument", document),
        ],
    );
    assert_eq!(
        input.unwrap(),
        json!({"UserName": "bob", "PolicyName": "s3", "PolicyDocument": document})
    );
}

#[test]
fn create_role_reads_integers() {
    let input = decode_pairs(
        Model::iam(),
        "CreateRole",
        &[
            ("RoleName", "ci"),
            (
                "AssumeRolePolicyDocument",
                "{\"Version\":\"2012-10-17\",\"Statement\":[]}",
            ),
            ("MaxSessionDuration", "7200"),
            ("Description", "CI runners"),
        ],
    );
    assert_eq!(
        input.unwrap(),
        json!({"RoleName": "ci", "AssumeRolePolicyDocument": "{\"Version\":\"2012-10-17\",\"Statement\":[]}",
               "MaxSessionDuration": 7200, "Description": "CI runners"})
    );
}

#[test]
fn simulate_custom_policy_with_context_entries() {
    let input = decode_pairs(
        Model::iam(),
        "SimulateCustomPolicy",
        &[
            ("PolicyInputList.member.1", "{}"),
            ("ActionNames.member.1", "s3:GetObject"),
            ("ActionNames.member.2", "s3:PutObject"),
            ("ContextEntries.member.1.ContextKeyName", "aws:SourceIp"),
            ("ContextEntries.member.1.ContextKeyType", "ipList"),
            (
                "ContextEntries.member.1.ContextKeyValues.member.2",
                "10.0.0.0/8",
            ),
            (
                "ContextEntries.member.1.ContextKeyValues.member.1",
                "192.168.0.1",
            ),
            (
                "ContextEntries.member.2.ContextKeyName",
                "aws:MultiFactorAuthPresent",
            ),
            ("ContextEntries.member.2.ContextKeyType", "boolean"),
            ("ContextEntries.member.2.ContextKeyValues.member.1", "true"),
        ],
    );
    assert_eq!(
        input.unwrap(),
        json!({
            "PolicyInputList": ["{}"],
            "ActionNames": ["s3:GetObject", "s3:PutObject"],
            "ContextEntries": [
                {"ContextKeyName": "aws:SourceIp", "ContextKeyType": "ipList",
                 "ContextKeyValues": ["192.168.0.1", "10.0.0.0/8"]},
                {"ContextKeyName": "aws:MultiFactorAuthPresent", "ContextKeyType": "boolean",
                 "ContextKeyValues": ["true"]}
            ]
        })
    );
}

#[test]
fn assume_role_with_policy_arns_and_tags() {
    let input = decode_pairs(
        Model::sts(),
        "AssumeRole",
        &[
            ("Action", "AssumeRole"),
            ("Version", "2011-06-15"),
            ("RoleArn", "arn:aws:iam::123456789012:role/deploy"),
            ("RoleSessionName", "ci-42"),
            (
                "PolicyArns.member.1.arn",
                "arn:aws:iam::aws:policy/ReadOnlyAccess",
            ),
            (
                "PolicyArns.member.2.arn",
                "arn:aws:iam::123456789012:policy/extra",
            ),
            ("Tags.member.1.Key", "project"),
            ("Tags.member.1.Value", "warden"),
            ("TransitiveTagKeys.member.1", "project"),
            ("DurationSeconds", "900"),
        ],
    );
    assert_eq!(
        input.unwrap(),
        json!({
            "RoleArn": "arn:aws:iam::123456789012:role/deploy",
            "RoleSessionName": "ci-42",
            "PolicyArns": [{"arn": "arn:aws:iam::aws:policy/ReadOnlyAccess"},
                           {"arn": "arn:aws:iam::123456789012:policy/extra"}],
            "Tags": [{"Key": "project", "Value": "warden"}],
            "TransitiveTagKeys": ["project"],
            "DurationSeconds": 900
        })
    );
}

#[test]
fn list_users_with_max_items_and_list_policies_with_a_boolean() {
    let input = decode_pairs(
        Model::iam(),
        "ListUsers",
        &[("MaxItems", "100"), ("Marker", "abc")],
    );
    assert_eq!(input.unwrap(), json!({"MaxItems": 100, "Marker": "abc"}));
    let input = decode_pairs(
        Model::iam(),
        "ListPolicies",
        &[("OnlyAttached", "true"), ("Scope", "Local")],
    );
    assert_eq!(
        input.unwrap(),
        json!({"OnlyAttached": true, "Scope": "Local"})
    );
}

#[test]
fn operations_without_parameters_decode_to_an_empty_object() {
    let input = decode_pairs(
        Model::sts(),
        "GetCallerIdentity",
        &[("Action", "GetCallerIdentity")],
    );
    assert_eq!(input.unwrap(), json!({}));
}

/// Whatever botocore sends for a call decodes back to that call's parameters.
#[test]
fn botocore_serialized_calls_decode_to_their_parameters() {
    let calls = json!([
        {"service": "iam", "operation": "CreateUser", "params": {
            "UserName": "bob", "Path": "/team/", "PermissionsBoundary": "arn:aws:iam::aws:policy/PowerUserAccess",
            "Tags": [{"Key": "a b", "Value": "ü = +:/@_.-"}, {"Key": "k", "Value": ""}]}},
        {"service": "iam", "operation": "CreateUser", "params": {"UserName": "bob", "Tags": []}},
        {"service": "iam", "operation": "PutRolePolicy", "params": {
            "RoleName": "r", "PolicyName": "p",
            "PolicyDocument": "{\"Version\": \"2012-10-17\", \"Statement\": {\"Effect\": \"Deny\", \"NotAction\": \"*\", \"Resource\": \"*\"}}"}},
        {"service": "iam", "operation": "CreateRole", "params": {
            "RoleName": "r", "AssumeRolePolicyDocument": "{}", "MaxSessionDuration": 43200,
            "Tags": [{"Key": "t", "Value": "v"}]}},
        {"service": "iam", "operation": "SimulateCustomPolicy", "params": {
            "PolicyInputList": ["{}", "{ }"], "ActionNames": ["iam:GetUser"],
            "ResourceArns": ["arn:aws:iam::123456789012:user/bob"], "MaxItems": 5,
            "ContextEntries": [{"ContextKeyName": "aws:username", "ContextKeyValues": ["bob"], "ContextKeyType": "string"}]}},
        {"service": "iam", "operation": "ListPolicies", "params": {"Scope": "AWS", "OnlyAttached": false, "MaxItems": 1000}},
        {"service": "iam", "operation": "UpdateAccountPasswordPolicy", "params": {
            "MinimumPasswordLength": 14, "RequireSymbols": true, "MaxPasswordAge": 90, "HardExpiry": false}},
        {"service": "iam", "operation": "CreateOpenIDConnectProvider", "params": {
            "Url": "https://token.actions.githubusercontent.com", "ClientIDList": ["sts.amazonaws.com"],
            "ThumbprintList": ["6938fd4d98bab03faadb97b34396831e3780aea1"]}},
        {"service": "sts", "operation": "AssumeRole", "params": {
            "RoleArn": "arn:aws:iam::123456789012:role/r", "RoleSessionName": "s1",
            "PolicyArns": [{"arn": "arn:aws:iam::aws:policy/ReadOnlyAccess"}], "DurationSeconds": 3600,
            "Tags": [{"Key": "k", "Value": "v"}], "TransitiveTagKeys": ["k"], "ExternalId": "ext-id",
            "ProvidedContexts": [{"ProviderArn": "arn:aws:iam::aws:contextProvider/IdentityCenter", "ContextAssertion": "signed-assertion"}]}},
        {"service": "sts", "operation": "GetFederationToken", "params": {
            "Name": "fed", "Policy": "{}", "DurationSeconds": 129600}}
    ]);
    let serialized = botocore::run("serialize", &calls);
    for (call, pairs) in calls
        .as_array()
        .unwrap()
        .iter()
        .zip(serialized.as_array().unwrap())
    {
        let params: Vec<(String, String)> =
            serde_json::from_value(pairs.clone()).expect("pairs of strings");
        let model = if call["service"] == "iam" {
            Model::iam()
        } else {
            Model::sts()
        };
        let operation = model
            .operation(call["operation"].as_str().unwrap())
            .unwrap();
        let input =
            decode(model, operation, &params).unwrap_or_else(|e| panic!("{}: {e}", operation.name));
        assert_eq!(input, call["params"], "{}: {params:?}", operation.name);
    }
}
