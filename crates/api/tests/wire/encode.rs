//! XML responses read back by botocore's own parser give the data they were made from.

use serde_json::{Value, json};
use warden_api::model::Model;
use warden_api::xml::{ErrorKind, encode, error_xml};

use super::botocore;

const ROLE_TRUST: &str = "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\
                          \"Principal\":{\"Service\":\"ec2.amazonaws.com\"},\"Action\":\"sts:AssumeRole\"}]}";
const POLICY: &str = "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [{\"Effect\": \"Allow\", \
                      \"Action\": [\"s3:*\", \"iam:Get*\"], \"Resource\": \"arn:aws:s3:::b/a b~c+d%\"}]\n}";

struct Case {
    service: &'static str,
    operation: &'static str,
    output: Value,
    /// What botocore hands to callers (policy documents decoded into objects).
    expected: Value,
}

fn case(service: &'static str, operation: &'static str, output: Value) -> Case {
    Case {
        service,
        operation,
        expected: output.clone(),
        output,
    }
}

fn cases() -> Vec<Case> {
    let user = json!({"Path": "/team/", "UserName": "bob", "UserId": "AIDAEXAMPLE0000000001",
        "Arn": "arn:aws:iam::123456789012:user/team/bob", "CreateDate": "2012-05-08T23:34:01Z",
        "PermissionsBoundary": {"PermissionsBoundaryType": "PermissionsBoundaryPolicy",
                                "PermissionsBoundaryArn": "arn:aws:iam::aws:policy/PowerUserAccess"},
        "Tags": [{"Key": "team", "Value": "blue & <green> \"quoted\" 'single' é ✓"},
                 {"Key": "empty", "Value": ""}]});
    let role = |document: Value| {
        json!({"Path": "/", "RoleName": "ci", "RoleId": "AROAEXAMPLE0000000001",
        "Arn": "arn:aws:iam::123456789012:role/ci", "CreateDate": "2024-02-29T12:00:00Z",
        "AssumeRolePolicyDocument": document, "Description": "line one\r\nline two\ttabbed",
        "MaxSessionDuration": 3600, "Tags": [],
        "RoleLastUsed": {"LastUsedDate": "2024-03-01T00:00:00Z", "Region": "us-east-1"}})
    };
    let trust: Value = serde_json::from_str(ROLE_TRUST).unwrap();
    let policy: Value = serde_json::from_str(POLICY).unwrap();
    let mut get_role = case("iam", "GetRole", json!({"Role": role(json!(ROLE_TRUST))}));
    get_role.expected = json!({"Role": role(trust.clone())});
    let mut get_user_policy = case(
        "iam",
        "GetUserPolicy",
        json!({"UserName": "bob", "PolicyName": "s3", "PolicyDocument": POLICY}),
    );
    get_user_policy.expected =
        json!({"UserName": "bob", "PolicyName": "s3", "PolicyDocument": policy.clone()});
    let details = |document: &Value, trust: &Value| {
        json!({
        "UserDetailList": [{"UserName": "bob", "UserPolicyList": [{"PolicyName": "s3", "PolicyDocument": document}],
                            "GroupList": ["admins", "devs"], "AttachedManagedPolicies": []}],
        "RoleDetailList": [{"RoleName": "ci", "AssumeRolePolicyDocument": trust,
                            "RolePolicyList": [], "InstanceProfileList": []}],
        "Policies": [{"PolicyName": "p", "AttachmentCount": 2, "IsAttachable": true,
                      "PolicyVersionList": [{"Document": document, "VersionId": "v1", "IsDefaultVersion": true,
                                             "CreateDate": "2020-01-01T00:00:00Z"}]}],
        "IsTruncated": true, "Marker": "next page"})
    };
    let mut authorization = case(
        "iam",
        "GetAccountAuthorizationDetails",
        details(&json!(POLICY), &json!(ROLE_TRUST)),
    );
    authorization.expected = details(&policy, &trust);
    vec![
        case("iam", "CreateUser", json!({"User": user})),
        get_role,
        get_user_policy,
        authorization,
        case(
            "iam",
            "ListUsers",
            json!({"Users": [user, {"Path": "/", "UserName": "amy", "UserId": "AIDAEXAMPLE0000000002",
            "Arn": "arn:aws:iam::123456789012:user/amy", "CreateDate": "2020-01-01T00:00:00Z"}],
            "IsTruncated": true, "Marker": "opaque+/="}),
        ),
        case(
            "iam",
            "ListUsers",
            json!({"Users": [], "IsTruncated": false}),
        ),
        case(
            "iam",
            "GetAccountSummary",
            json!({"SummaryMap": {"Users": 3, "UsersQuota": 5000, "AccountMFAEnabled": 0}}),
        ),
        case(
            "iam",
            "SimulateCustomPolicy",
            json!({"EvaluationResults": [{
            "EvalActionName": "s3:GetObject", "EvalResourceName": "*", "EvalDecision": "implicitDeny",
            "MatchedStatements": [{"SourcePolicyId": "PolicyInputList.1", "SourcePolicyType": "none",
                                   "StartPosition": {"Line": 1, "Column": 2}, "EndPosition": {"Line": 3, "Column": 40}}],
            "MissingContextValues": ["aws:SourceIp"],
            "EvalDecisionDetails": {"PermissionsBoundary": "allowed", "IdentityPolicy": "implicitDeny"},
            "ResourceSpecificResults": [{"EvalResourceName": "arn:aws:s3:::b/k", "EvalResourceDecision": "allowed"}]}],
            "IsTruncated": false}),
        ),
        case(
            "iam",
            "CreateVirtualMFADevice",
            json!({"VirtualMFADevice": {
            "SerialNumber": "arn:aws:iam::123456789012:mfa/bob", "Base32StringSeed": "SlZCU1dJM0xNUEpDWk5GNg==",
            "QRCodePNG": "iVBORw0KGgo="}}),
        ),
        case("iam", "DeleteUser", json!({})),
        case(
            "sts",
            "AssumeRole",
            json!({
            "Credentials": {"AccessKeyId": "ASIAEXAMPLE000000001", "SecretAccessKey": "secret/+=",
                            "SessionToken": "token", "Expiration": "2030-01-01T01:00:00Z"},
            "AssumedRoleUser": {"AssumedRoleId": "AROAEXAMPLE0000000001:s1", "Arn": "arn:aws:sts::123456789012:assumed-role/ci/s1"},
            "PackedPolicySize": 6, "SourceIdentity": "alice"}),
        ),
        case(
            "sts",
            "GetCallerIdentity",
            json!({"UserId": "AIDAEXAMPLE0000000001", "Account": "123456789012",
            "Arn": "arn:aws:iam::123456789012:user/bob"}),
        ),
    ]
}

#[test]
fn botocore_parses_responses_into_their_data() {
    let cases = cases();
    let mut inputs = Vec::new();
    for (i, case) in cases.iter().enumerate() {
        let model = if case.service == "iam" {
            Model::iam()
        } else {
            Model::sts()
        };
        let operation = model.operation(case.operation).unwrap();
        let xml = encode(model, operation, &case.output, &format!("request-{i}")).unwrap();
        inputs.push(json!({"service": case.service, "operation": case.operation, "status": 200, "xml": xml}));
    }
    let parsed = botocore::run("parse", &Value::Array(inputs.clone()));
    for (i, (case, mut parsed)) in cases
        .iter()
        .zip(parsed.as_array().unwrap().clone())
        .enumerate()
    {
        let metadata = parsed
            .as_object_mut()
            .unwrap()
            .remove("ResponseMetadata")
            .unwrap();
        assert_eq!(
            metadata,
            json!({"RequestId": format!("request-{i}")}),
            "{}",
            case.operation
        );
        assert_eq!(
            parsed, case.expected,
            "{}: {}",
            case.operation, inputs[i]["xml"]
        );
    }
}

#[test]
fn botocore_parses_the_error_envelope() {
    let message =
        "1 validation error detected: Value 'a<b&c' at 'userName' failed to satisfy constraint";
    let errors = [
        (
            "iam",
            "GetUser",
            ErrorKind::Sender,
            "NoSuchEntity",
            "The user with name bob cannot be found.",
        ),
        (
            "iam",
            "CreateUser",
            ErrorKind::Sender,
            "ValidationError",
            message,
        ),
        (
            "sts",
            "AssumeRole",
            ErrorKind::Receiver,
            "InternalFailure",
            "try again",
        ),
    ];
    let inputs: Vec<Value> = errors
        .iter()
        .map(|(service, operation, kind, code, message)| {
            let namespace = if *service == "iam" {
                Model::iam()
            } else {
                Model::sts()
            }
            .namespace();
            let status = if *kind == ErrorKind::Sender { 400 } else { 500 };
            let xml = error_xml(namespace, *kind, code, message, "rid-9");
            json!({"service": service, "operation": operation, "status": status, "xml": xml})
        })
        .collect();
    let parsed = botocore::run("parse", &Value::Array(inputs));
    for ((_, _, kind, code, message), parsed) in errors.iter().zip(parsed.as_array().unwrap()) {
        let kind = if *kind == ErrorKind::Sender {
            "Sender"
        } else {
            "Receiver"
        };
        assert_eq!(
            parsed,
            &json!({"Error": {"Type": kind, "Code": code, "Message": message},
                    "ResponseMetadata": {"RequestId": "rid-9"}})
        );
    }
}
