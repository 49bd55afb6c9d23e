//! Temporary credentials: sealed tokens, expiry, session tags, source identity,
//! GetSessionToken, DecodeAuthorizationMessage and GetAccessKeyInfo.

use serde_json::{Value, json};
use warden_core::Error;

use crate::{A, Sts, allow, denied, failure, trust};

fn credentials(response: &Value) -> (String, String) {
    let c = &response["Credentials"];
    (
        c["AccessKeyId"].as_str().unwrap().to_owned(),
        c["SessionToken"].as_str().unwrap().to_owned(),
    )
}

#[test]
fn tokens_are_tamper_evident_and_bound_to_their_key() {
    let sts = Sts::start();
    let alice = sts.user(A, "alice", json!([]));
    let first = sts.call(&alice, "GetSessionToken", json!({})).unwrap();
    let second = sts.call(&alice, "GetSessionToken", json!({})).unwrap();
    let (key, token) = credentials(&first);
    let (other_key, _) = credentials(&second);
    let owner = sts.service.authenticate_session(&key, &token).unwrap();
    assert_eq!(
        owner.secret.expose(),
        first["Credentials"]["SecretAccessKey"].as_str().unwrap()
    );
    assert!(!format!("{owner:?}").contains(owner.secret.expose()));
    let invalid = |key: &str, token: &str| {
        matches!(
            sts.service.authenticate_session(key, token),
            Err(Error::InvalidClientTokenId(_))
        )
    };
    assert!(invalid(&other_key, &token));
    let mut tampered = token.clone().into_bytes();
    let at = tampered.len() / 2;
    tampered[at] = if tampered[at] == b'A' { b'B' } else { b'A' };
    assert!(invalid(&key, &String::from_utf8(tampered).unwrap()));
    assert!(invalid(&key, &token[..token.len() - 4]));
    // A temporary key id is no long-term key.
    assert!(matches!(
        sts.service.authenticate(&key),
        Err(Error::InvalidClientTokenId(_))
    ));
}

#[test]
fn expired_tokens_are_refused_as_expired() {
    let sts = Sts::start();
    let bob = sts.user(A, "bob", json!([]));
    let response = sts
        .call(&bob, "GetSessionToken", json!({"DurationSeconds": 900}))
        .unwrap();
    let (key, token) = credentials(&response);
    sts.advance(899);
    assert!(sts.service.authenticate_session(&key, &token).is_ok());
    sts.advance(1);
    match sts.service.authenticate_session(&key, &token) {
        Err(Error::ExpiredToken(message)) => {
            assert_eq!(
                message,
                "The security token included in the request is expired"
            );
        }
        other => panic!("expected ExpiredToken, got {other:?}"),
    }
}

#[test]
fn get_session_token_credentials_are_restricted_as_on_aws() {
    let sts = Sts::start();
    let carol = sts.user(
        A,
        "carol",
        json!([allow("iam:ListUsers"), allow("sts:AssumeRole")]),
    );
    let response = sts.call(&carol, "GetSessionToken", json!({})).unwrap();
    assert_eq!(
        response["Credentials"]["Expiration"],
        "2026-01-01T12:00:00Z"
    );
    let session = sts.session(&response);
    let me = sts.call(&session, "GetCallerIdentity", json!({})).unwrap();
    assert_eq!(me["Arn"], format!("arn:aws:iam::{A}:user/carol"));
    let (code, message) = failure(sts.call(&session, "ListUsers", json!({})));
    assert_eq!(
        (code.as_str(), message.as_str()),
        (
            "InvalidClientTokenId",
            "The security token included in the request is invalid"
        )
    );
    let message = denied(sts.call(&session, "GetSessionToken", json!({})));
    assert_eq!(
        message,
        "Cannot call GetSessionToken with session credentials"
    );
    denied(sts.call(&session, "GetFederationToken", json!({"Name": "x1"})));
    // AssumeRole works, and a user's session is not role chaining.
    let arn = sts.role(
        A,
        "app",
        json!([trust(A, json!("sts:AssumeRole"))]),
        json!([]),
    );
    sts.root_call(
        A,
        "UpdateRole",
        json!({"RoleName": "app", "MaxSessionDuration": 7200}),
    )
    .unwrap();
    sts.assume(&session, &arn, json!({"DurationSeconds": 7200}))
        .unwrap();
}

#[test]
fn root_sessions_last_at_most_an_hour() {
    let sts = Sts::start();
    let root = sts.root(A);
    let response = sts
        .call(&root, "GetSessionToken", json!({"DurationSeconds": 7200}))
        .unwrap();
    assert_eq!(
        response["Credentials"]["Expiration"],
        "2026-01-01T01:00:00Z"
    );
    let session = sts.session(&response);
    let me = sts.call(&session, "GetCallerIdentity", json!({})).unwrap();
    assert_eq!(me["Arn"], format!("arn:aws:iam::{A}:root"));
    let (code, _) = failure(sts.call(
        &root,
        "GetSessionToken",
        json!({"DurationSeconds": 129_601}),
    ));
    assert_eq!(code, "ValidationError");
}

#[test]
fn session_tags_need_tag_session_and_pass_on_when_transitive() {
    let sts = Sts::start();
    let dave = sts.user(A, "dave", json!([]));
    let dave_arn = format!("arn:aws:iam::{A}:user/dave");
    let strict = sts.role(
        A,
        "strict",
        json!([trust(&dave_arn, json!("sts:AssumeRole"))]),
        json!([]),
    );
    let tags = json!([{"Key": "team", "Value": "blue"}, {"Key": "env", "Value": "dev"}]);
    let message = denied(sts.assume(&dave, &strict, json!({"Tags": tags})));
    assert!(message.contains("sts:TagSession"));

    let by_tag = json!({"Effect": "Allow", "Action": "iam:ListUsers", "Resource": "*",
        "Condition": {"StringEquals": {"aws:PrincipalTag/team": "blue"}}});
    let first = sts.role(
        A,
        "first",
        json!([trust(
            &dave_arn,
            json!(["sts:AssumeRole", "sts:TagSession"])
        )]),
        json!([by_tag]),
    );
    sts.root_call(
        A,
        "TagRole",
        json!({"RoleName": "first", "Tags": [{"Key": "team", "Value": "red"}]}),
    )
    .unwrap();
    let untagged = sts.session(&sts.assume(&dave, &first, json!({})).unwrap());
    denied(sts.call(&untagged, "ListUsers", json!({})));
    let response = sts
        .assume(
            &dave,
            &first,
            json!({"Tags": tags, "TransitiveTagKeys": ["team"]}),
        )
        .unwrap();
    assert!(response["PackedPolicySize"].as_i64().unwrap() > 0);
    let tagged = sts.session(&response);
    sts.call(&tagged, "ListUsers", json!({})).unwrap();

    let first_arn = format!("arn:aws:iam::{A}:role/first");
    let second = sts.role(
        A,
        "second",
        json!([trust(
            &first_arn,
            json!(["sts:AssumeRole", "sts:TagSession"])
        )]),
        json!([by_tag]),
    );
    let chained = sts.session(&sts.assume(&tagged, &second, json!({})).unwrap());
    sts.call(&chained, "ListUsers", json!({})).unwrap();
    let (code, _) = failure(sts.assume(
        &tagged,
        &second,
        json!({"Tags": [{"Key": "Team", "Value": "green"}]}),
    ));
    assert_eq!(code, "ValidationError");
}

#[test]
fn source_identity_needs_permission_and_persists() {
    let sts = Sts::start();
    let erin = sts.user(A, "erin", json!([]));
    let erin_arn = format!("arn:aws:iam::{A}:user/erin");
    let plain = sts.role(
        A,
        "plain",
        json!([trust(&erin_arn, json!("sts:AssumeRole"))]),
        json!([]),
    );
    let message = denied(sts.assume(&erin, &plain, json!({"SourceIdentity": "erin-laptop"})));
    assert!(message.contains("sts:SetSourceIdentity"));
    let needs = json!({"Effect": "Deny", "Action": "iam:ListUsers", "Resource": "*",
        "Condition": {"StringNotEquals": {"aws:SourceIdentity": "erin-laptop"}}});
    let first = sts.role(
        A,
        "first",
        json!([trust(
            &erin_arn,
            json!(["sts:AssumeRole", "sts:SetSourceIdentity"])
        )]),
        json!([allow("iam:ListUsers"), needs]),
    );
    let response = sts
        .assume(&erin, &first, json!({"SourceIdentity": "erin-laptop"}))
        .unwrap();
    assert_eq!(response["SourceIdentity"], "erin-laptop");
    let session = sts.session(&response);
    sts.call(&session, "ListUsers", json!({})).unwrap();
    let first_arn = format!("arn:aws:iam::{A}:role/first");
    let second = sts.role(
        A,
        "second",
        json!([trust(
            &first_arn,
            json!(["sts:AssumeRole", "sts:SetSourceIdentity"])
        )]),
        json!([allow("iam:ListUsers"), needs]),
    );
    let chained = sts.assume(&session, &second, json!({})).unwrap();
    assert_eq!(chained["SourceIdentity"], "erin-laptop");
    sts.call(&sts.session(&chained), "ListUsers", json!({}))
        .unwrap();
    let (code, _) =
        failure(sts.assume(&session, &second, json!({"SourceIdentity": "someone-else"})));
    assert_eq!(code, "ValidationError");
}

#[test]
fn denials_of_assume_role_decode_for_those_allowed_to() {
    let sts = Sts::start();
    let frank = sts.user(A, "frank", json!([]));
    let reader = sts.user(
        A,
        "reader",
        json!([allow("sts:DecodeAuthorizationMessage")]),
    );
    let arn = sts.role(
        A,
        "app",
        json!([trust(A, json!("sts:AssumeRole"))]),
        json!([]),
    );
    let message = denied(sts.assume(&frank, &arn, json!({})));
    let encoded = message
        .rsplit("Encoded authorization failure message: ")
        .next()
        .unwrap();
    denied(sts.call(
        &frank,
        "DecodeAuthorizationMessage",
        json!({"EncodedMessage": encoded}),
    ));
    let decoded = sts
        .call(
            &reader,
            "DecodeAuthorizationMessage",
            json!({"EncodedMessage": encoded}),
        )
        .unwrap();
    let decoded: Value = serde_json::from_str(decoded["DecodedMessage"].as_str().unwrap()).unwrap();
    assert_eq!(decoded["allowed"], false);
    assert_eq!(decoded["explicitDeny"], false);
    assert_eq!(decoded["context"]["action"], "sts:AssumeRole");
    assert_eq!(decoded["context"]["resource"], arn);
    assert_eq!(
        decoded["context"]["principal"]["arn"],
        format!("arn:aws:iam::{A}:user/frank")
    );
    let conditions = decoded["context"]["conditions"]["items"]
        .as_array()
        .unwrap();
    assert!(conditions.iter().any(|c| c["key"] == "sts:rolesessionname"));
    let (code, _) = failure(sts.call(
        &reader,
        "DecodeAuthorizationMessage",
        json!({"EncodedMessage": "garbage"}),
    ));
    assert_eq!(code, "InvalidAuthorizationMessageException");
}

#[test]
fn access_key_info_names_the_account_of_any_key() {
    let sts = Sts::start();
    let gina = sts.user(A, "gina", json!([allow("sts:GetAccessKeyInfo")]));
    let key = sts
        .root_call(A, "CreateAccessKey", json!({"UserName": "gina"}))
        .unwrap();
    let long_term = key["AccessKey"]["AccessKeyId"].as_str().unwrap();
    let info = sts
        .call(&gina, "GetAccessKeyInfo", json!({"AccessKeyId": long_term}))
        .unwrap();
    assert_eq!(info["Account"], A);
    let (temporary, _) = credentials(&sts.call(&gina, "GetSessionToken", json!({})).unwrap());
    let info = sts
        .call(&gina, "GetAccessKeyInfo", json!({"AccessKeyId": temporary}))
        .unwrap();
    assert_eq!(info["Account"], A);
    let (code, _) = failure(sts.call(
        &gina,
        "GetAccessKeyInfo",
        json!({"AccessKeyId": "AKIAIOSFODNN7EXAMPLE"}),
    ));
    assert_eq!(code, "ValidationError");
}
