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
