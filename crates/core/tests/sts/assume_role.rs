//! AssumeRole: who may assume, what the session is, and what it may do.

use serde_json::json;
use warden_core::Error;
use warden_core::store::{Kind, Store};

use crate::{A, Sts, allow, denied, failure, trust};

#[test]
fn a_trust_policy_naming_the_user_grants_on_its_own() {
    let sts = Sts::start();
    let alice = sts.user(A, "alice", json!([]));
    let arn = sts.role(
        A,
        "app",
        json!([trust(
            &format!("arn:aws:iam::{A}:user/alice"),
            json!("sts:AssumeRole")
        )]),
        json!([allow("iam:ListUsers")]),
    );
    let response = sts
        .assume(&alice, &arn, json!({"RoleSessionName": "build-7"}))
        .unwrap();
    let credentials = &response["Credentials"];
    assert!(
        credentials["AccessKeyId"]
            .as_str()
            .unwrap()
            .starts_with("ASIA")
    );
    assert_eq!(credentials["SecretAccessKey"].as_str().unwrap().len(), 40);
    assert_eq!(credentials["Expiration"], "2026-01-01T01:00:00Z");
    let user = &response["AssumedRoleUser"];
    assert_eq!(
        user["Arn"],
        format!("arn:aws:sts::{A}:assumed-role/app/build-7")
    );
    assert!(user["AssumedRoleId"].as_str().unwrap().starts_with("AROA"));
    assert!(
        user["AssumedRoleId"]
            .as_str()
            .unwrap()
            .ends_with(":build-7")
    );
    assert!(response.get("PackedPolicySize").is_none());

    let session = sts.session(&response);
    let me = sts.call(&session, "GetCallerIdentity", json!({})).unwrap();
    assert_eq!(me["Arn"], user["Arn"]);
    assert_eq!(me["UserId"], user["AssumedRoleId"]);
    assert_eq!(me["Account"], A);
    sts.call(&session, "ListUsers", json!({})).unwrap();
    let message = denied(sts.call(&session, "ListRoles", json!({})));
    assert!(message.starts_with(&format!(
        "User: arn:aws:sts::{A}:assumed-role/app/build-7 is not authorized"
    )));
}

#[test]
fn a_trust_policy_naming_the_account_delegates_to_identity_policies() {
    let sts = Sts::start();
    let bob = sts.user(A, "bob", json!([]));
    let carol = sts.user(A, "carol", json!([allow("sts:AssumeRole")]));
    let arn = sts.role(
        A,
        "app",
        json!([trust(A, json!("sts:AssumeRole"))]),
        json!([]),
    );
    let message = denied(sts.assume(&bob, &arn, json!({})));
    assert!(message.starts_with(&format!(
        "User: arn:aws:iam::{A}:user/bob is not authorized to perform: sts:AssumeRole on resource: {arn} because no identity-based policy allows the sts:AssumeRole action"
    )));
    assert!(message.contains(". Encoded authorization failure message: "));
    sts.assume(&carol, &arn, json!({})).unwrap();
}

#[test]
fn roots_may_not_assume_roles_and_missing_roles_are_denied() {
    let sts = Sts::start();
    let arn = sts.role(
        A,
        "app",
        json!([trust(A, json!("sts:AssumeRole"))]),
        json!([]),
    );
    let message = denied(sts.assume(&sts.root(A), &arn, json!({})));
    assert_eq!(message, "Roles may not be assumed by root accounts.");
    let dave = sts.user(A, "dave", json!([allow("sts:AssumeRole")]));
    let missing = format!("arn:aws:iam::{A}:role/nope");
    let message = denied(sts.assume(&dave, &missing, json!({})));
    assert!(message.contains(&format!(
        "on resource: {missing} because no resource-based policy allows"
    )));
    let (code, _) = failure(sts.assume(&dave, "arn:aws:s3:::bucket/key-name", json!({})));
    assert_eq!(code, "ValidationError");
}

#[test]
fn sessions_follow_the_role_s_current_policies() {
    let sts = Sts::start();
    let erin = sts.user(A, "erin", json!([]));
    let arn = sts.role(
        A,
        "app",
        json!([trust(
            &format!("arn:aws:iam::{A}:user/erin"),
            json!("sts:AssumeRole")
        )]),
        json!([allow("iam:ListUsers")]),
    );
    let session = sts.session(&sts.assume(&erin, &arn, json!({})).unwrap());
    sts.call(&session, "ListUsers", json!({})).unwrap();
    sts.root_call(
        A,
        "DeleteRolePolicy",
        json!({"RoleName": "app", "PolicyName": "p"}),
    )
    .unwrap();
    denied(sts.call(&session, "ListUsers", json!({})));
    sts.root_call(A, "DeleteRole", json!({"RoleName": "app"}))
        .unwrap();
    let (code, _) = failure(sts.call(&session, "ListUsers", json!({})));
    assert_eq!(code, "InvalidClientTokenId");
    let (code, _) = failure(sts.call(&session, "GetCallerIdentity", json!({})));
    assert_eq!(code, "InvalidClientTokenId");
}

#[test]
fn a_deny_on_token_issue_time_revokes_older_sessions() {
    let sts = Sts::start();
    let frank = sts.user(A, "frank", json!([]));
    let arn = sts.role(
        A,
        "app",
        json!([trust(
            &format!("arn:aws:iam::{A}:user/frank"),
            json!("sts:AssumeRole")
        )]),
        json!([allow("iam:ListUsers")]),
    );
    let old = sts.session(&sts.assume(&frank, &arn, json!({})).unwrap());
    sts.advance(60);
    let revoke = json!({"Version": "2012-10-17", "Statement": {
        "Effect": "Deny", "Action": "*", "Resource": "*",
        "Condition": {"DateLessThan": {"aws:TokenIssueTime": "2026-01-01T00:00:30Z"}}}});
    sts.root_call(
        A,
        "PutRolePolicy",
        json!({"RoleName": "app", "PolicyName": "AWSRevokeOlderSessions", "PolicyDocument": revoke.to_string()}),
    )
    .unwrap();
    let message = denied(sts.call(&old, "ListUsers", json!({})));
    assert!(message.ends_with("with an explicit deny in an identity-based policy"));
    let new = sts.session(&sts.assume(&frank, &arn, json!({})).unwrap());
    sts.call(&new, "ListUsers", json!({})).unwrap();
}

#[test]
fn external_ids_are_checked_by_the_trust_policy() {
    let sts = Sts::start();
    let gina = sts.user(A, "gina", json!([]));
    let statement = json!({"Effect": "Allow", "Principal": {"AWS": format!("arn:aws:iam::{A}:user/gina")},
        "Action": "sts:AssumeRole", "Condition": {"StringEquals": {"sts:ExternalId": "ext-123"}}});
    let arn = sts.role(A, "app", json!([statement]), json!([]));
    denied(sts.assume(&gina, &arn, json!({})));
    denied(sts.assume(&gina, &arn, json!({"ExternalId": "ext-999"})));
    sts.assume(&gina, &arn, json!({"ExternalId": "ext-123"}))
        .unwrap();
    let (code, message) = failure(sts.assume(&gina, &arn, json!({"ExternalId": "bad id!"})));
    assert_eq!(code, "ValidationError");
    assert!(message.contains("'externalId'"));
}

#[test]
fn durations_are_bounded_by_the_role_and_by_chaining() {
    let sts = Sts::start();
    let hank = sts.user(A, "hank", json!([]));
    let principal = format!("arn:aws:iam::{A}:user/hank");
    let first = sts.role(
        A,
        "first",
        json!([trust(&principal, json!("sts:AssumeRole"))]),
        json!([]),
    );
    sts.root_call(
        A,
        "UpdateRole",
        json!({"RoleName": "first", "MaxSessionDuration": 7200}),
    )
    .unwrap();
    let long = sts
        .assume(&hank, &first, json!({"DurationSeconds": 7200}))
        .unwrap();
    assert_eq!(long["Credentials"]["Expiration"], "2026-01-01T02:00:00Z");
    let (code, message) = failure(sts.assume(&hank, &first, json!({"DurationSeconds": 7201})));
    assert_eq!(code, "ValidationError");
    assert_eq!(
        message,
        "The requested DurationSeconds exceeds the MaxSessionDuration set for this role."
    );
    let (_, message) = failure(sts.assume(&hank, &first, json!({"DurationSeconds": 899})));
    assert!(message.contains("Member must have value greater than or equal to 900"));

    let session = sts.session(&long);
    let first_role = sts
        .root_call(A, "GetRole", json!({"RoleName": "first"}))
        .unwrap();
    let chained_trust = trust(
        first_role["Role"]["Arn"].as_str().unwrap(),
        json!("sts:AssumeRole"),
    );
    let second = sts.role(A, "second", json!([chained_trust]), json!([]));
    sts.root_call(
        A,
        "UpdateRole",
        json!({"RoleName": "second", "MaxSessionDuration": 7200}),
    )
    .unwrap();
    let (code, message) = failure(sts.assume(&session, &second, json!({"DurationSeconds": 3601})));
    assert_eq!(code, "ValidationError");
    assert_eq!(
        message,
        "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining."
    );
    let chained = sts.assume(&session, &second, json!({})).unwrap();
    assert_eq!(chained["Credentials"]["Expiration"], "2026-01-01T01:00:00Z");
}

#[test]
fn session_names_follow_the_model() {
    let sts = Sts::start();
    let ivy = sts.user(A, "ivy", json!([]));
    let arn = sts.role(
        A,
        "app",
        json!([trust(
            &format!("arn:aws:iam::{A}:user/ivy"),
            json!("sts:AssumeRole")
        )]),
        json!([]),
    );
    for bad in ["x", "has space", "slash/no", &"n".repeat(65)] {
        let (code, message) = failure(sts.assume(&ivy, &arn, json!({"RoleSessionName": bad})));
        assert_eq!(code, "ValidationError", "{bad}");
        assert!(message.contains("'roleSessionName'"), "{message}");
    }
    sts.assume(&ivy, &arn, json!({"RoleSessionName": "ok_name+=,.@-1"}))
        .unwrap();
}

#[test]
fn session_policies_narrow_the_role() {
    let sts = Sts::start();
    let jack = sts.user(A, "jack", json!([]));
    let arn = sts.role(
        A,
        "app",
        json!([trust(
            &format!("arn:aws:iam::{A}:user/jack"),
            json!("sts:AssumeRole")
        )]),
        json!([allow("iam:ListUsers"), allow("iam:ListRoles")]),
    );
    let policy = crate::doc(json!([allow("iam:ListUsers"), allow("iam:ListGroups")]));
    let response = sts.assume(&jack, &arn, json!({"Policy": policy})).unwrap();
    assert!(response["PackedPolicySize"].as_i64().unwrap() > 0);
    let narrowed = sts.session(&response);
    sts.call(&narrowed, "ListUsers", json!({})).unwrap();
    let message = denied(sts.call(&narrowed, "ListRoles", json!({})));
    assert!(message.ends_with("because no session policy allows the iam:ListRoles action"));
    denied(sts.call(&narrowed, "ListGroups", json!({})));
    // Another session of the same role, without a session policy, is not narrowed.
    let full = sts.session(&sts.assume(&jack, &arn, json!({})).unwrap());
    sts.call(&full, "ListRoles", json!({})).unwrap();

    let managed = sts
        .root_call(A, "CreatePolicy", json!({"PolicyName": "roles", "PolicyDocument": crate::doc(json!([allow("iam:ListRoles")]))}))
        .unwrap();
    let managed_arn = managed["Policy"]["Arn"].as_str().unwrap();
    let by_arn = sts.session(
        &sts.assume(&jack, &arn, json!({"PolicyArns": [{"arn": managed_arn}]}))
            .unwrap(),
    );
    sts.call(&by_arn, "ListRoles", json!({})).unwrap();
    denied(sts.call(&by_arn, "ListUsers", json!({})));

    let (code, _) = failure(sts.assume(&jack, &arn, json!({"Policy": "{not json"})));
    assert_eq!(code, "MalformedPolicyDocument");
    let huge = crate::doc(
        json!([{"Effect": "Allow", "Action": "iam:ListUsers", "Resource": format!("arn:aws:iam::{A}:user/{}", "x".repeat(2100))}]),
    );
    let (code, message) = failure(sts.assume(&jack, &arn, json!({"Policy": huge})));
    assert_eq!(code, "PackedPolicyTooLarge");
    assert!(message.starts_with("Packed policy consumes "));
    let missing = format!("arn:aws:iam::{A}:policy/nope");
    let (code, _) = failure(sts.assume(&jack, &arn, json!({"PolicyArns": [{"arn": missing}]})));
    assert_eq!(code, "MalformedPolicyDocument");
}

#[test]
fn the_last_use_of_a_role_shows_at_once() {
    let sts = Sts::start();
    let kim = sts.user(A, "kim", json!([]));
    let arn = sts.role(
        A,
        "app",
        json!([trust(
            &format!("arn:aws:iam::{A}:user/kim"),
            json!("sts:AssumeRole")
        )]),
        json!([]),
    );
    let before = sts
        .root_call(A, "GetRole", json!({"RoleName": "app"}))
        .unwrap();
    assert!(before["Role"]["RoleLastUsed"].get("LastUsedDate").is_none());
    sts.assume(&kim, &arn, json!({})).unwrap();
    let after = sts
        .root_call(A, "GetRole", json!({"RoleName": "app"}))
        .unwrap();
    assert_eq!(
        after["Role"]["RoleLastUsed"]["LastUsedDate"],
        "2026-01-01T00:00:00Z"
    );
    assert_eq!(after["Role"]["RoleLastUsed"]["Region"], "us-east-1");
    sts.service.flush_key_use().unwrap();
    let flushed = sts
        .root_call(A, "GetRole", json!({"RoleName": "app"}))
        .unwrap();
    assert_eq!(
        flushed["Role"]["RoleLastUsed"]["LastUsedDate"],
        "2026-01-01T00:00:00Z"
    );

    // The use is a record of its own: it survives a restart, and a later change to the role
    // (which no longer carries it) does not hide it.
    let restarted = sts.reopen();
    restarted
        .root_call(
            A,
            "UpdateRole",
            json!({"RoleName": "app", "Description": "changed"}),
        )
        .unwrap();
    let reread = restarted
        .root_call(A, "GetRole", json!({"RoleName": "app"}))
        .unwrap();
    assert_eq!(reread["Role"]["RoleLastUsed"]["Region"], "us-east-1");
    let kinds = || -> Vec<Kind> {
        let snapshot = sts.store.load().unwrap();
        snapshot.records.iter().map(|r| r.record.kind).collect()
    };
    assert!(kinds().contains(&Kind::RoleLastUsed));
    // Deleting the role deletes its last use with it.
    restarted
        .root_call(A, "DeleteRole", json!({"RoleName": "app"}))
        .unwrap();
    assert!(!kinds().contains(&Kind::RoleLastUsed), "{:?}", kinds());
}

#[test]
fn errors_name_their_codes() {
    let sts = Sts::start();
    let lee = sts.user(A, "lee", json!([]));
    let arn = sts.role(
        A,
        "app",
        json!([trust(
            &format!("arn:aws:iam::{A}:user/lee"),
            json!("sts:AssumeRole")
        )]),
        json!([]),
    );
    let result = sts.assume(
        &lee,
        &arn,
        json!({"SerialNumber": "arn:aws:iam::111122223333:mfa/lee", "TokenCode": "123456"}),
    );
    assert!(
        matches!(result, Err(Error::AccessDenied(m)) if m.starts_with("MultiFactorAuthentication failed"))
    );
}
