//! Users and access keys through `Service::call`, as the edge calls them.

mod common;

use common::Harness;
use serde_json::json;
use warden_core::Error;

#[test]
fn create_get_list_rename_delete() {
    let h = Harness::new();
    let created = h
        .root_call("CreateUser", json!({"UserName": "Alice", "Path": "/team/", "Tags": [{"Key": "dept", "Value": "eng"}]}))
        .unwrap();
    let id = created["User"]["UserId"].as_str().unwrap().to_owned();
    assert!(id.starts_with("AIDA"));
    assert_eq!(
        created["User"]["Arn"],
        "arn:aws:iam::111122223333:user/team/Alice"
    );
    assert_eq!(created["User"]["CreateDate"], "2026-01-01T00:00:00Z");

    let duplicate = h
        .root_call("CreateUser", json!({"UserName": "ALICE"}))
        .unwrap_err();
    assert!(
        matches!(duplicate, Error::EntityAlreadyExists(_)),
        "{duplicate}"
    );

    let got = h
        .root_call("GetUser", json!({"UserName": "alice"}))
        .unwrap();
    assert_eq!(got["User"]["UserName"], "Alice");
    assert_eq!(got["User"]["Tags"][0]["Key"], "dept");

    h.root_call(
        "UpdateUser",
        json!({"UserName": "Alice", "NewUserName": "Alicia"}),
    )
    .unwrap();
    let renamed = h
        .root_call("GetUser", json!({"UserName": "Alicia"}))
        .unwrap();
    assert_eq!(renamed["User"]["UserId"], id.as_str());
    assert!(matches!(
        h.root_call("GetUser", json!({"UserName": "Alice"})),
        Err(Error::NoSuchEntity(_))
    ));

    for name in ["bob", "carol", "dave"] {
        h.root_call("CreateUser", json!({"UserName": name}))
            .unwrap();
    }
    let first = h.root_call("ListUsers", json!({"MaxItems": 2})).unwrap();
    assert_eq!(first["IsTruncated"], true);
    let names: Vec<_> = first["Users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["UserName"].clone())
        .collect();
    assert_eq!(names, vec![json!("Alicia"), json!("bob")]);
    let rest = h
        .root_call(
            "ListUsers",
            json!({"Marker": first["Marker"], "MaxItems": 10}),
        )
        .unwrap();
    assert_eq!(rest["IsTruncated"], false);
    assert_eq!(rest["Users"].as_array().unwrap().len(), 2);

    h.root_call("DeleteUser", json!({"UserName": "bob"}))
        .unwrap();
    assert!(matches!(
        h.root_call("DeleteUser", json!({"UserName": "bob"})),
        Err(Error::NoSuchEntity(_))
    ));
}

#[test]
fn users_need_permission_and_denials_come_before_existence() {
    let h = Harness::new();
    h.root_call("CreateUser", json!({"UserName": "mallory"}))
        .unwrap();
    let mallory = h.user("mallory");
    let denied = h
        .call(&mallory, "GetUser", json!({"UserName": "nobody"}))
        .unwrap_err();
    let Error::AccessDenied(message) = denied else {
        panic!("{denied}")
    };
    assert_eq!(
        message,
        "User: arn:aws:iam::111122223333:user/mallory is not authorized to perform: iam:GetUser on resource: arn:aws:iam::111122223333:user/nobody because no identity-based policy allows the iam:GetUser action"
    );
}

#[test]
fn access_keys_quota_status_and_authentication() {
    let h = Harness::new();
    h.root_call("CreateUser", json!({"UserName": "kim"}))
        .unwrap();
    let key = h
        .root_call("CreateAccessKey", json!({"UserName": "kim"}))
        .unwrap();
    let key_id = key["AccessKey"]["AccessKeyId"].as_str().unwrap().to_owned();
    let secret = key["AccessKey"]["SecretAccessKey"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(secret.len(), 40);
    h.root_call("CreateAccessKey", json!({"UserName": "kim"}))
        .unwrap();
    let third = h
        .root_call("CreateAccessKey", json!({"UserName": "kim"}))
        .unwrap_err();
    assert!(matches!(third, Error::LimitExceeded(_)));

    let owner = h.service.authenticate(&key_id).unwrap();
    assert_eq!(owner.secret.expose(), secret);
    h.root_call(
        "UpdateAccessKey",
        json!({"UserName": "kim", "AccessKeyId": key_id, "Status": "Inactive"}),
    )
    .unwrap();
    assert!(matches!(
        h.service.authenticate(&key_id),
        Err(Error::InvalidClientTokenId(_))
    ));

    let conflict = h
        .root_call("DeleteUser", json!({"UserName": "kim"}))
        .unwrap_err();
    assert!(matches!(conflict, Error::DeleteConflict(_)));
    let listed = h
        .root_call("ListAccessKeys", json!({"UserName": "kim"}))
        .unwrap();
    for key in listed["AccessKeyMetadata"].as_array().unwrap() {
        h.root_call(
            "DeleteAccessKey",
            json!({"UserName": "kim", "AccessKeyId": key["AccessKeyId"]}),
        )
        .unwrap();
    }
    h.root_call("DeleteUser", json!({"UserName": "kim"}))
        .unwrap();
}

#[test]
fn get_caller_identity() {
    let h = Harness::new();
    let me = h.root_call("GetCallerIdentity", json!({})).unwrap();
    assert_eq!(me["Arn"], "arn:aws:iam::111122223333:root");
    assert_eq!(me["Account"], "111122223333");
}

/// The `InvalidInput` AWS answers for a marker it did not issue for this listing.
fn invalid_marker(result: Result<serde_json::Value, Error>) -> bool {
    matches!(result, Err(Error::InvalidInput(ref m)) if m == "Invalid Marker.")
}

#[test]
fn markers_are_sealed_for_their_operation_account_and_listing() {
    let h = Harness::new();
    for name in ["u0", "u1", "u2", "u3"] {
        h.root_call("CreateUser", json!({"UserName": name, "Path": "/p/"}))
            .unwrap();
        let trust = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;
        h.root_call(
            "CreateRole",
            json!({"RoleName": name, "AssumeRolePolicyDocument": trust}),
        )
        .unwrap();
    }
    let first = h.root_call("ListUsers", json!({"MaxItems": 2})).unwrap();
    let marker = first["Marker"].as_str().unwrap().to_owned();
    // Opaque: neither the next name nor its hex spelling shows.
    assert!(
        !marker.contains("u2") && !marker.contains("7532"),
        "{marker}"
    );
    let next = h
        .root_call("ListUsers", json!({"Marker": marker, "MaxItems": 2}))
        .unwrap();
    assert_eq!(next["Users"][0]["UserName"], "u2");

    // Another operation, even one over the same names, does not take it.
    assert!(invalid_marker(
        h.root_call("ListRoles", json!({"Marker": marker}))
    ));
    // Nor does the same operation over another listing (another path prefix).
    assert!(invalid_marker(h.root_call(
        "ListUsers",
        json!({"Marker": marker, "PathPrefix": "/p/"})
    )));
    // Nor another account.
    let other = h.service.create_account(Some("444455556666")).unwrap();
    let other_root = warden_core::Caller {
        account: other,
        identity: warden_core::Identity::Root,
        access_key_id: None,
    };
    assert!(invalid_marker(h.call(
        &other_root,
        "ListUsers",
        json!({"Marker": marker})
    )));
    // A marker made by hand (the hex of a name, as markers once were) or altered is refused.
    for forged in ["7532", "u2", "AAAA", &format!("{marker}A"), &marker[1..]] {
        assert!(
            invalid_marker(h.root_call("ListUsers", json!({"Marker": forged}))),
            "{forged}"
        );
    }
}
