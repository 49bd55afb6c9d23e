//! Trust across accounts, and trust kept by unique id.

use serde_json::{Value, json};

use crate::{A, B, Sts, allow, denied, trust};

fn assume_on(role_arn: &str) -> Value {
    json!({"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": role_arn})
}

#[test]
fn cross_account_needs_both_sides() {
    let sts = Sts::start();
    let in_b = sts.role(
        B,
        "shared",
        json!([trust(A, json!("sts:AssumeRole"))]),
        json!([allow("iam:ListUsers")]),
    );
    let alice = sts.user(A, "alice", json!([]));
    let message = denied(sts.assume(&alice, &in_b, json!({})));
    assert_eq!(
        message,
        format!(
            "User: arn:aws:iam::{A}:user/alice is not authorized to perform: sts:AssumeRole on resource: {in_b}"
        )
    );
    let bob = sts.user(A, "bob", json!([assume_on(&in_b)]));
    let response = sts.assume(&bob, &in_b, json!({})).unwrap();
    assert_eq!(
        response["AssumedRoleUser"]["Arn"],
        format!("arn:aws:sts::{B}:assumed-role/shared/s1")
    );
    let session = sts.session(&response);
    assert_eq!(
        sts.call(&session, "GetCallerIdentity", json!({})).unwrap()["Account"],
        B
    );
    // The session acts in the role's account.
    let users = sts.call(&session, "ListUsers", json!({})).unwrap();
    assert!(users["Users"].as_array().unwrap().is_empty());

    // Naming the user across accounts still needs the user's identity policy.
    let carol = sts.user(A, "carol", json!([]));
    let named = sts.role(
        B,
        "named",
        json!([trust(
            &format!("arn:aws:iam::{A}:user/carol"),
            json!("sts:AssumeRole")
        )]),
        json!([]),
    );
    denied(sts.assume(&carol, &named, json!({})));
    sts.root_call(
        A,
        "PutUserPolicy",
        json!({"UserName": "carol", "PolicyName": "p", "PolicyDocument": crate::doc(json!([assume_on(&named)]))}),
    )
    .unwrap();
    sts.assume(&carol, &named, json!({})).unwrap();
    // An identity policy alone is not enough: the other account must trust.
    let untrusted = sts.role(
        B,
        "untrusted",
        json!([trust(B, json!("sts:AssumeRole"))]),
        json!([]),
    );
    let dave = sts.user(A, "dave", json!([allow("sts:AssumeRole")]));
    let message = denied(sts.assume(&dave, &untrusted, json!({})));
    assert_eq!(
        message,
        format!(
            "User: arn:aws:iam::{A}:user/dave is not authorized to perform: sts:AssumeRole on resource: {untrusted}"
        )
    );
}

/// A denied AssumeRole of another account's role tells the caller nothing about the role:
/// AWS's sentence alone, no encoded details (its tags, matched statements), the same text
/// whether the role exists, distrusts the caller, explicitly denies it, or trusts it while
/// the caller's own policies do not allow.
#[test]
fn cross_account_denials_reveal_nothing_about_the_role() {
    let sts = Sts::start();
    let erin = sts.user(A, "erin", json!([]));
    let distrusting = sts.role(
        B,
        "distrusting",
        json!([trust(B, json!("sts:AssumeRole"))]),
        json!([]),
    );
    let denying = sts.role(
        B,
        "denying",
        json!([
            trust(B, json!("sts:AssumeRole")),
            {"Sid": "NoAccountA", "Effect": "Deny", "Principal": {"AWS": A}, "Action": "sts:AssumeRole"}
        ]),
        json!([]),
    );
    sts.root_call(
        B,
        "TagRole",
        json!({"RoleName": "denying", "Tags": [{"Key": "secret-project", "Value": "falcon"}]}),
    )
    .unwrap();
    let trusting = sts.role(
        B,
        "trusting",
        json!([trust(A, json!("sts:AssumeRole"))]),
        json!([]),
    );
    let missing = format!("arn:aws:iam::{B}:role/missing");
    for arn in [&distrusting, &denying, &trusting, &missing] {
        let message = denied(sts.assume(&erin, arn, json!({})));
        assert_eq!(
            message,
            format!(
                "User: arn:aws:iam::{A}:user/erin is not authorized to perform: sts:AssumeRole on resource: {arn}"
            ),
            "denial for {arn}"
        );
    }
}

#[test]
fn a_recreated_user_does_not_regain_the_trust() {
    let sts = Sts::start();
    sts.user(A, "erin", json!([]));
    let written = crate::doc(json!([trust(
        &format!("arn:aws:iam::{A}:user/erin"),
        json!("sts:AssumeRole")
    )]));
    sts.root_call(
        A,
        "CreateRole",
        json!({"RoleName": "app", "AssumeRolePolicyDocument": written}),
    )
    .unwrap();
    let arn = format!("arn:aws:iam::{A}:role/app");
    let erin = sts
        .root_call(A, "GetUser", json!({"UserName": "erin"}))
        .unwrap();
    sts.root_call(A, "DeleteUser", json!({"UserName": "erin"}))
        .unwrap();
    let recreated = sts.user(A, "erin", json!([allow("sts:AssumeRole")]));
    let message = denied(sts.assume(&recreated, &arn, json!({})));
    assert!(message.contains("because no resource-based policy allows"));
    // The deleted user shows as the unique id the trust was bound to, as on AWS.
    let role = sts
        .root_call(A, "GetRole", json!({"RoleName": "app"}))
        .unwrap();
    let document = role["Role"]["AssumeRolePolicyDocument"].as_str().unwrap();
    let shown: Value = serde_json::from_str(document).unwrap();
    assert_eq!(
        shown["Statement"][0]["Principal"]["AWS"],
        erin["User"]["UserId"]
    );
    let listed = sts.root_call(A, "ListRoles", json!({})).unwrap();
    assert_eq!(listed["Roles"][0]["AssumeRolePolicyDocument"], document);
    // Saving the trust policy again binds the new user.
    sts.root_call(
        A,
        "UpdateAssumeRolePolicy",
        json!({"RoleName": "app", "PolicyDocument": written}),
    )
    .unwrap();
    sts.assume(&recreated, &arn, json!({})).unwrap();
    let role = sts
        .root_call(A, "GetRole", json!({"RoleName": "app"}))
        .unwrap();
    assert_eq!(role["Role"]["AssumeRolePolicyDocument"], written);
}

#[test]
fn a_recreated_role_does_not_regain_the_trust_of_its_sessions() {
    let sts = Sts::start();
    let frank = sts.user(A, "frank", json!([]));
    let frank_arn = format!("arn:aws:iam::{A}:user/frank");
    let first_arn = sts.role(
        A,
        "first",
        json!([trust(&frank_arn, json!("sts:AssumeRole"))]),
        json!([]),
    );
    let second = sts.role(
        A,
        "second",
        json!([trust(&first_arn, json!("sts:AssumeRole"))]),
        json!([]),
    );
    sts.root_call(A, "DeleteRole", json!({"RoleName": "first"}))
        .unwrap();
    let again = sts.role(
        A,
        "first",
        json!([trust(&frank_arn, json!("sts:AssumeRole"))]),
        json!([]),
    );
    let session = sts.session(&sts.assume(&frank, &again, json!({})).unwrap());
    denied(sts.assume(&session, &second, json!({})));
}

#[test]
fn the_first_account_stays_first() {
    let sts = Sts::start();
    // Accounts made within the same second keep their order, whatever their ids.
    sts.service.create_account(Some("000000000001")).unwrap();
    let first = sts
        .service
        .read(|state| Ok(state.first_account().map(|a| a.id)))
        .unwrap();
    assert_eq!(first.as_deref(), Some(A));
}
