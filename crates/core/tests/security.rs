//! Regression tests for holes an adversarial review found, where no other suite is their
//! natural home: permissions boundaries from other accounts, and `aws:RequestedRegion` for
//! IAM.

#![expect(clippy::unwrap_used, reason = "tests fail loudly")]

mod common;

use common::Harness;
use serde_json::{Value, json};
use warden_core::{Caller, Error, RequestInfo};

fn doc(statements: Value) -> String {
    json!({"Version": "2012-10-17", "Statement": statements}).to_string()
}

fn failure(result: Result<Value, Error>) -> (String, String) {
    match result {
        Err(error) => (error.code().to_owned(), error.message().to_owned()),
        Ok(value) => unreachable!("expected an error, got {value}"),
    }
}

/// Makes an operation's input around a boundary ARN.
type InputFor = fn(&str) -> Value;

/// A user of the harness's account allowed everything.
fn admin(h: &Harness, name: &str) -> Caller {
    h.root_call("CreateUser", json!({"UserName": name}))
        .unwrap();
    h.root_call(
        "PutUserPolicy",
        json!({"UserName": name, "PolicyName": "all", "PolicyDocument": doc(json!([
            {"Effect": "Allow", "Action": "*", "Resource": "*"}
        ]))}),
    )
    .unwrap();
    h.user(name)
}

/// Another account's managed policy is not a permissions boundary here, and the answer is
/// word for word the one for a policy that does not exist: no oracle for another tenant's
/// policy names (and, through the simulator, their contents).
#[test]
fn another_account_s_policy_is_answered_as_a_missing_boundary() {
    let h = Harness::new();
    let other = h.service.create_account(Some("444455556666")).unwrap();
    let other_root = Caller {
        account: other,
        identity: warden_core::Identity::Root,
        access_key_id: None,
    };
    let theirs = h
        .call(
            &other_root,
            "CreatePolicy",
            json!({"PolicyName": "TheirBoundary", "PolicyDocument": doc(json!([
                {"Effect": "Allow", "Action": "s3:*", "Resource": "*"}
            ]))}),
        )
        .unwrap()["Policy"]["Arn"]
        .as_str()
        .unwrap()
        .to_owned();
    let missing = format!("arn:aws:iam::{other}:policy/NoSuchBoundary");
    let ours = h
        .root_call(
            "CreatePolicy",
            json!({"PolicyName": "OurBoundary", "PolicyDocument": doc(json!([
                {"Effect": "Allow", "Action": "iam:*", "Resource": "*"}
            ]))}),
        )
        .unwrap()["Policy"]["Arn"]
        .as_str()
        .unwrap()
        .to_owned();
    let alice = admin(&h, "alice");
    h.root_call("CreateRole", json!({"RoleName": "app", "AssumeRolePolicyDocument": doc(json!([
        {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}
    ]))}))
    .unwrap();

    let attempts: [(&str, InputFor); 4] = [
        (
            "CreateUser",
            (|arn| json!({"UserName": "bob", "PermissionsBoundary": arn})),
        ),
        ("CreateRole", |arn| {
            json!({"RoleName": "svc", "PermissionsBoundary": arn, "AssumeRolePolicyDocument": doc(json!([
                {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}
            ]))})
        }),
        (
            "PutUserPermissionsBoundary",
            (|arn| json!({"UserName": "alice", "PermissionsBoundary": arn})),
        ),
        (
            "PutRolePermissionsBoundary",
            (|arn| json!({"RoleName": "app", "PermissionsBoundary": arn})),
        ),
    ];
    for (action, input) in &attempts {
        for caller in [&h.root(), &alice] {
            let (code, message) = failure(h.call(caller, action, input(&theirs)));
            let (missing_code, missing_message) = failure(h.call(caller, action, input(&missing)));
            assert_eq!(code, missing_code, "{action}");
            assert_eq!(
                message.replace(&theirs, "ARN"),
                missing_message.replace(&missing, "ARN"),
                "{action}"
            );
        }
        // Nothing was written by the refused calls.
        assert!(h.root_call("GetUser", json!({"UserName": "bob"})).is_err());
    }
    let user = h
        .root_call("GetUser", json!({"UserName": "alice"}))
        .unwrap();
    assert!(user["User"].get("PermissionsBoundary").is_none());

    // The account's own policies and AWS managed policies remain usable as boundaries.
    h.call(
        &alice,
        "PutUserPermissionsBoundary",
        json!({"UserName": "alice", "PermissionsBoundary": ours}),
    )
    .unwrap();
    h.root_call(
        "PutRolePermissionsBoundary",
        json!({"RoleName": "app", "PermissionsBoundary": "arn:aws:iam::aws:policy/ReadOnlyAccess"}),
    )
    .unwrap();
}

/// IAM is global: whatever region a request was signed for, AWS evaluates
/// `aws:RequestedRegion` as `us-east-1` for IAM actions, so a policy pinning IAM to a region
/// is not satisfied at the caller's choice.
#[test]
fn iam_actions_are_requested_in_us_east_1_whatever_the_signing_region() {
    let h = Harness::new();
    h.root_call("CreateUser", json!({"UserName": "pinned"}))
        .unwrap();
    h.root_call(
        "PutUserPolicy",
        json!({"UserName": "pinned", "PolicyName": "eu-only", "PolicyDocument": doc(json!([
            {"Effect": "Allow", "Action": "iam:*", "Resource": "*",
             "Condition": {"StringEquals": {"aws:RequestedRegion": "eu-west-1"}}}
        ]))}),
    )
    .unwrap();
    h.root_call("CreateUser", json!({"UserName": "global"}))
        .unwrap();
    h.root_call(
        "PutUserPolicy",
        json!({"UserName": "global", "PolicyName": "us-east-1", "PolicyDocument": doc(json!([
            {"Effect": "Allow", "Action": "iam:*", "Resource": "*",
             "Condition": {"StringEquals": {"aws:RequestedRegion": "us-east-1"}}}
        ]))}),
    )
    .unwrap();
    let pinned = h.user("pinned");
    let global = h.user("global");
    for region in ["eu-west-1", "us-east-1", "ap-southeast-2"] {
        let (code, _) = failure(h.call_in(region, &pinned, "ListUsers", json!({})));
        assert_eq!(code, "AccessDenied", "signed for {region}");
        h.call_in(region, &global, "ListUsers", json!({})).unwrap();
    }
}

/// A caller's request context is shared by its requests of the same second with the same
/// facts: a request from another address, with another user agent or over plain HTTP in that
/// second is still decided on its own facts.
#[test]
fn requests_of_the_same_second_are_decided_on_their_own_facts() {
    let h = Harness::new();
    h.root_call("CreateUser", json!({"UserName": "office"}))
        .unwrap();
    h.root_call(
        "PutUserPolicy",
        json!({"UserName": "office", "PolicyName": "office", "PolicyDocument": doc(json!([
            {"Effect": "Allow", "Action": "iam:GetUser", "Resource": "*",
             "Condition": {"IpAddress": {"aws:SourceIp": "192.0.2.0/24"},
                           "StringEquals": {"aws:UserAgent": "warden-tests"},
                           "Bool": {"aws:SecureTransport": "true"}}}
        ]))}),
    )
    .unwrap();
    let office = h.user("office");
    let info = |ip: &str, agent: &str, secure: bool| RequestInfo {
        source_ip: Some(ip.parse().unwrap()),
        secure_transport: secure,
        user_agent: Some(agent.to_owned()),
        region: "us-east-1".to_owned(),
        request_id: "test".to_owned(),
    };
    let get_user = |info: &RequestInfo| {
        h.service.call(
            &office,
            info,
            warden_core::Action::GetUser,
            json!({"UserName": "office"}),
        )
    };
    // The harness's clock stands still: every call below is in the same second.
    for _ in 0..2 {
        get_user(&info("192.0.2.10", "warden-tests", true)).unwrap();
        for other in [
            info("198.51.100.7", "warden-tests", true),
            info("192.0.2.10", "another-agent", true),
            info("192.0.2.10", "warden-tests", false),
        ] {
            let (code, _) = failure(get_user(&other));
            assert_eq!(code, "AccessDenied", "{other:?}");
        }
    }
}
