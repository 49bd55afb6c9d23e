//! GetFederationToken: federated users within the calling user's permissions and their
//! session policy, and what their credentials may call.

use serde_json::json;

use crate::{A, Sts, allow, denied, doc, failure};

#[test]
fn a_federated_user_has_the_intersection_of_user_and_session_policy() {
    let sts = Sts::start();
    let alice = sts.user(
        A,
        "alice",
        json!([
            allow("sts:GetFederationToken"),
            allow("iam:ListUsers"),
            allow("iam:ListRoles")
        ]),
    );
    let policy = doc(json!([allow("iam:ListUsers"), allow("iam:ListGroups")]));
    let response = sts
        .call(
            &alice,
            "GetFederationToken",
            json!({"Name": "web-1", "Policy": policy}),
        )
        .unwrap();
    assert_eq!(
        response["FederatedUser"]["Arn"],
        format!("arn:aws:sts::{A}:federated-user/web-1")
    );
    assert_eq!(
        response["FederatedUser"]["FederatedUserId"],
        format!("{A}:web-1")
    );
    assert_eq!(
        response["Credentials"]["Expiration"],
        "2026-01-01T12:00:00Z"
    );
    let web = sts.session(&response);
    let me = sts.call(&web, "GetCallerIdentity", json!({})).unwrap();
    assert_eq!(me["Arn"], format!("arn:aws:sts::{A}:federated-user/web-1"));
    assert_eq!(me["UserId"], format!("{A}:web-1"));
    // Federated users call no IAM operation, and of STS only GetCallerIdentity.
    let (code, _) = failure(sts.call(&web, "ListUsers", json!({})));
    assert_eq!(code, "InvalidClientTokenId");
    let message = denied(sts.call(
        &web,
        "AssumeRole",
        json!({"RoleArn": format!("arn:aws:iam::{A}:role/x"), "RoleSessionName": "s1"}),
    ));
    assert_eq!(message, "Cannot call AssumeRole with session credentials");
}

#[test]
fn federation_needs_permission_and_a_session_policy_grants_nothing_alone() {
    let sts = Sts::start();
    let bob = sts.user(A, "bob", json!([]));
    let message = denied(sts.call(&bob, "GetFederationToken", json!({"Name": "web-1"})));
    assert!(message.contains(&format!(
        "sts:GetFederationToken on resource: arn:aws:sts::{A}:federated-user/web-1"
    )));
    let carol = sts.user(A, "carol", json!([allow("sts:GetFederationToken")]));
    let response = sts
        .call(&carol, "GetFederationToken", json!({"Name": "web-1"}))
        .unwrap();
    assert!(response.get("PackedPolicySize").is_none());
    let (code, _) = failure(sts.call(&carol, "GetFederationToken", json!({"Name": "x"})));
    assert_eq!(code, "ValidationError");
    let tags = json!([{"Key": "team", "Value": "blue"}]);
    let message = denied(sts.call(
        &carol,
        "GetFederationToken",
        json!({"Name": "web-2", "Tags": tags}),
    ));
    assert!(message.contains("sts:TagSession"));
}

#[test]
fn the_root_user_federates_for_an_hour_at_most() {
    let sts = Sts::start();
    let policy = doc(json!([allow("iam:ListUsers")]));
    let response = sts
        .call(
            &sts.root(A),
            "GetFederationToken",
            json!({"Name": "ops", "Policy": policy, "DurationSeconds": 43_200}),
        )
        .unwrap();
    assert_eq!(
        response["Credentials"]["Expiration"],
        "2026-01-01T01:00:00Z"
    );
    let me = sts
        .call(&sts.session(&response), "GetCallerIdentity", json!({}))
        .unwrap();
    assert_eq!(me["Arn"], format!("arn:aws:sts::{A}:federated-user/ops"));
}
