//! Managed policies, their versions and attachments through `Service::call`, and that an
//! attachment or a new default version is in force for the very next request.

mod common;

use common::Harness;
use serde_json::{Value, json};
use warden_core::state::Mutation;
use warden_core::{Caller, Error, Identity};

const ACCOUNT: &str = "111122223333";

fn allow(action: &str) -> String {
    format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":"{action}","Resource":"*"}}]}}"#
    )
}

/// Creates a customer managed policy at `/` and returns its ARN.
fn create_policy(h: &Harness, name: &str, document: &str) -> Result<String, Error> {
    let created = h.root_call(
        "CreatePolicy",
        json!({"PolicyName": name, "PolicyDocument": document}),
    )?;
    let arn = created.pointer("/Policy/Arn").and_then(Value::as_str);
    Ok(arn.unwrap_or_default().to_owned())
}

/// The `member` of every item of a listed array (empty if `list` is not an array).
fn names(list: &Value, member: &str) -> Vec<String> {
    list.as_array()
        .into_iter()
        .flatten()
        .filter_map(|item| item.get(member)?.as_str().map(str::to_owned))
        .collect()
}

/// Puts a role straight into the state (the role operations live in their own module).
fn install_role(h: &Harness, name: &str, path: &str) -> Result<(), Error> {
    let trust = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;
    let role: warden_core::model::Role = serde_json::from_value(json!({
        "id": format!("AROA{:0>17}", name.to_uppercase()),
        "account": ACCOUNT,
        "name": name,
        "path": path,
        "created": 0,
        "trust": {"kind": "trust", "text": trust},
        "max_session_duration": 3600,
    }))
    .map_err(|e| Error::Internal(e.to_string()))?;
    h.service
        .write(|_| Ok((vec![Mutation::Role(role.clone())], ())))
}

#[test]
fn create_get_and_validate() {
    let h = Harness::new();
    let created = h
        .root_call(
            "CreatePolicy",
            json!({
                "PolicyName": "S3Read",
                "Path": "/team/",
                "PolicyDocument": allow("s3:Get*"),
                "Description": "Read objects",
                "Tags": [{"Key": "owner", "Value": "data"}],
            }),
        )
        .unwrap();
    let policy = &created["Policy"];
    assert!(policy["PolicyId"].as_str().unwrap().starts_with("ANPA"));
    assert_eq!(
        policy["Arn"],
        "arn:aws:iam::111122223333:policy/team/S3Read"
    );
    assert_eq!(policy["DefaultVersionId"], "v1");
    assert_eq!(policy["AttachmentCount"], 0);
    assert_eq!(policy["PermissionsBoundaryUsageCount"], 0);
    assert_eq!(policy["IsAttachable"], true);
    assert_eq!(policy["CreateDate"], "2026-01-01T00:00:00Z");
    assert_eq!(policy["UpdateDate"], "2026-01-01T00:00:00Z");

    let got = h
        .root_call(
            "GetPolicy",
            json!({"PolicyArn": "arn:aws:iam::111122223333:policy/team/S3Read"}),
        )
        .unwrap();
    assert_eq!(got["Policy"]["Description"], "Read objects");
    assert_eq!(
        got["Policy"]["Tags"],
        json!([{"Key": "owner", "Value": "data"}])
    );

    let duplicate = h
        .root_call(
            "CreatePolicy",
            json!({"PolicyName": "s3read", "PolicyDocument": allow("s3:*")}),
        )
        .unwrap_err();
    assert_eq!(
        duplicate,
        Error::EntityAlreadyExists(
            "A policy called s3read already exists. Duplicate names are not allowed.".to_owned()
        )
    );
    let create = |document: &str| {
        h.root_call(
            "CreatePolicy",
            json!({"PolicyName": "P", "PolicyDocument": document}),
        )
    };
    let Error::MalformedPolicyDocument(text) = create(r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*","Principal":"*"}]}"#).unwrap_err()
    else {
        panic!("a Principal in an identity policy must be refused")
    };
    assert!(text.contains("Principal"), "{text}");
    let old =
        create(r#"{"Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}"#).unwrap_err();
    assert_eq!(
        old,
        Error::MalformedPolicyDocument(
            "Policy document must be version 2012-10-17 or greater.".to_owned()
        )
    );
    let big = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::{}"}}]}}"#,
        "b".repeat(6100)
    );
    let too_big = create(&big).unwrap_err();
    assert_eq!(
        too_big,
        Error::LimitExceeded("Cannot exceed quota for PolicySize: 6144".to_owned())
    );
    let bad_path = h
        .root_call(
            "CreatePolicy",
            json!({"PolicyName": "P", "Path": "/a b/", "PolicyDocument": allow("s3:*")}),
        )
        .unwrap_err();
    assert!(matches!(bad_path, Error::ValidationError(_)), "{bad_path}");

    let missing = h
        .root_call(
            "GetPolicy",
            json!({"PolicyArn": "arn:aws:iam::111122223333:policy/Nope"}),
        )
        .unwrap_err();
    assert_eq!(
        missing,
        Error::NoSuchEntity(
            "Policy arn:aws:iam::111122223333:policy/Nope was not found.".to_owned()
        )
    );
    // The path is part of the ARN.
    let wrong_path = h
        .root_call(
            "GetPolicy",
            json!({"PolicyArn": "arn:aws:iam::111122223333:policy/S3Read"}),
        )
        .unwrap_err();
    assert!(matches!(wrong_path, Error::NoSuchEntity(_)), "{wrong_path}");
    let invalid = h
        .root_call(
            "GetPolicy",
            json!({"PolicyArn": "not-an-arn-at-all-really"}),
        )
        .unwrap_err();
    assert_eq!(
        invalid,
        Error::InvalidInput("ARN not-an-arn-at-all-really is not valid.".to_owned())
    );

    let aws = h
        .root_call(
            "GetPolicy",
            json!({"PolicyArn": "arn:aws:iam::aws:policy/ReadOnlyAccess"}),
        )
        .unwrap();
    assert_eq!(aws["Policy"]["PolicyName"], "ReadOnlyAccess");
}

#[test]
fn other_accounts_policies_are_invisible() {
    let h = Harness::new();
    let other = h.service.create_account(Some("444455556666")).unwrap();
    let other_root = Caller {
        account: other,
        identity: Identity::Root,
        access_key_id: None,
    };
    h.call(
        &other_root,
        "CreatePolicy",
        json!({"PolicyName": "Theirs", "PolicyDocument": allow("s3:*")}),
    )
    .unwrap();
    let arn = "arn:aws:iam::444455556666:policy/Theirs";
    h.call(&other_root, "GetPolicy", json!({"PolicyArn": arn}))
        .unwrap();
    assert!(matches!(
        h.root_call("GetPolicy", json!({"PolicyArn": arn})),
        Err(Error::NoSuchEntity(_))
    ));
    h.root_call("CreateUser", json!({"UserName": "u"})).unwrap();
    let attach = h
        .root_call(
            "AttachUserPolicy",
            json!({"UserName": "u", "PolicyArn": arn}),
        )
        .unwrap_err();
    assert_eq!(
        attach,
        Error::NoSuchEntity(format!("Policy {arn} does not exist or is not attachable."))
    );
    let local = h
        .root_call("ListPolicies", json!({"Scope": "Local"}))
        .unwrap();
    assert_eq!(local["Policies"], json!([]));
}

#[test]
fn list_policies_filters_and_pages() {
    let h = Harness::new();
    let a = create_policy(&h, "Alpha", &allow("s3:*")).unwrap();
    h.root_call(
        "CreatePolicy",
        json!({"PolicyName": "Beta", "Path": "/b/", "PolicyDocument": allow("ec2:*")}),
    )
    .unwrap();
    let c = create_policy(&h, "Gamma", &allow("sqs:*")).unwrap();
    h.root_call(
        "CreateUser",
        json!({"UserName": "u", "PermissionsBoundary": c}),
    )
    .unwrap();
    h.root_call("AttachUserPolicy", json!({"UserName": "u", "PolicyArn": a}))
        .unwrap();

    let local = h
        .root_call("ListPolicies", json!({"Scope": "Local"}))
        .unwrap();
    assert_eq!(
        names(&local["Policies"], "PolicyName"),
        ["Alpha", "Beta", "Gamma"]
    );
    assert!(
        local["Policies"][0].get("Tags").is_none()
            && local["Policies"][0].get("Description").is_none()
    );
    let aws = h
        .root_call("ListPolicies", json!({"Scope": "AWS"}))
        .unwrap();
    assert!(
        names(&aws["Policies"], "Arn")
            .iter()
            .all(|arn| arn.starts_with("arn:aws:iam::aws:policy/"))
    );
    assert!(names(&aws["Policies"], "PolicyName").contains(&"AdministratorAccess".to_owned()));
    let all = h.root_call("ListPolicies", json!({})).unwrap();
    assert_eq!(
        all["Policies"].as_array().unwrap().len(),
        local["Policies"].as_array().unwrap().len() + aws["Policies"].as_array().unwrap().len()
    );

    let attached = h
        .root_call("ListPolicies", json!({"OnlyAttached": true}))
        .unwrap();
    assert_eq!(
        names(&attached["Policies"], "PolicyName"),
        ["Alpha", "Gamma"]
    );
    assert_eq!(attached["Policies"][0]["AttachmentCount"], 1);
    assert_eq!(attached["Policies"][1]["PermissionsBoundaryUsageCount"], 1);
    let boundaries = h
        .root_call(
            "ListPolicies",
            json!({"OnlyAttached": true, "PolicyUsageFilter": "PermissionsBoundary"}),
        )
        .unwrap();
    assert_eq!(names(&boundaries["Policies"], "PolicyName"), ["Gamma"]);
    let prefixed = h
        .root_call("ListPolicies", json!({"PathPrefix": "/b/"}))
        .unwrap();
    assert_eq!(names(&prefixed["Policies"], "PolicyName"), ["Beta"]);

    let mut seen = Vec::new();
    let mut marker = Value::Null;
    loop {
        let page = h
            .root_call(
                "ListPolicies",
                json!({"Scope": "All", "MaxItems": 2, "Marker": marker}),
            )
            .unwrap();
        seen.extend(names(&page["Policies"], "Arn"));
        if page["IsTruncated"] == false {
            break;
        }
        marker = page["Marker"].clone();
    }
    assert_eq!(seen, names(&all["Policies"], "Arn"));
}

#[test]
fn versions_quota_default_and_deletion() {
    let h = Harness::new();
    let arn = create_policy(&h, "Versioned", &allow("s3:*")).unwrap();
    let v2 = h
        .root_call(
            "CreatePolicyVersion",
            json!({"PolicyArn": arn, "PolicyDocument": allow("ec2:*")}),
        )
        .unwrap();
    assert_eq!(
        v2["PolicyVersion"],
        json!({"VersionId": "v2", "IsDefaultVersion": false, "CreateDate": "2026-01-01T00:00:00Z"})
    );
    let v3 = h
        .root_call(
            "CreatePolicyVersion",
            json!({"PolicyArn": arn, "PolicyDocument": allow("sqs:*"), "SetAsDefault": true}),
        )
        .unwrap();
    assert_eq!(v3["PolicyVersion"]["IsDefaultVersion"], true);
    assert_eq!(
        h.root_call("GetPolicy", json!({"PolicyArn": arn})).unwrap()["Policy"]["DefaultVersionId"],
        "v3"
    );

    let got = h
        .root_call(
            "GetPolicyVersion",
            json!({"PolicyArn": arn, "VersionId": "v2"}),
        )
        .unwrap();
    assert_eq!(got["PolicyVersion"]["Document"], allow("ec2:*"));
    assert_eq!(got["PolicyVersion"]["IsDefaultVersion"], false);
    let missing = h
        .root_call(
            "GetPolicyVersion",
            json!({"PolicyArn": arn, "VersionId": "v9"}),
        )
        .unwrap_err();
    assert_eq!(
        missing,
        Error::NoSuchEntity(format!(
            "Policy {arn} version v9 does not exist or is not attachable."
        ))
    );

    for document in [allow("sns:*"), allow("kms:*")] {
        h.root_call(
            "CreatePolicyVersion",
            json!({"PolicyArn": arn, "PolicyDocument": document}),
        )
        .unwrap();
    }
    let sixth = h
        .root_call(
            "CreatePolicyVersion",
            json!({"PolicyArn": arn, "PolicyDocument": allow("logs:*")}),
        )
        .unwrap_err();
    assert_eq!(
        sixth,
        Error::LimitExceeded("A managed policy can have up to 5 versions. Before you create a new version, you must delete an existing version.".to_owned())
    );
    let malformed = h
        .root_call(
            "CreatePolicyVersion",
            json!({"PolicyArn": arn, "PolicyDocument": "[]"}),
        )
        .unwrap_err();
    assert!(
        matches!(malformed, Error::MalformedPolicyDocument(_)),
        "{malformed}"
    );

    let listed = h
        .root_call(
            "ListPolicyVersions",
            json!({"PolicyArn": arn, "MaxItems": 3}),
        )
        .unwrap();
    assert_eq!(names(&listed["Versions"], "VersionId"), ["v5", "v4", "v3"]);
    assert!(listed["Versions"][0].get("Document").is_none());
    let rest = h
        .root_call(
            "ListPolicyVersions",
            json!({"PolicyArn": arn, "Marker": listed["Marker"]}),
        )
        .unwrap();
    assert_eq!(names(&rest["Versions"], "VersionId"), ["v2", "v1"]);

    let default = h
        .root_call(
            "DeletePolicyVersion",
            json!({"PolicyArn": arn, "VersionId": "v3"}),
        )
        .unwrap_err();
    assert_eq!(
        default,
        Error::DeleteConflict("Cannot delete the default version of a policy.".to_owned())
    );
    let versions = h
        .root_call("DeletePolicy", json!({"PolicyArn": arn}))
        .unwrap_err();
    assert!(
        matches!(&versions, Error::DeleteConflict(m) if m.starts_with("This policy has more than one version.")),
        "{versions}"
    );
    h.root_call(
        "SetDefaultPolicyVersion",
        json!({"PolicyArn": arn, "VersionId": "v1"}),
    )
    .unwrap();
    for version in ["v2", "v3", "v4", "v5"] {
        h.root_call(
            "DeletePolicyVersion",
            json!({"PolicyArn": arn, "VersionId": version}),
        )
        .unwrap();
    }
    // Version ids are not reused.
    let next = h
        .root_call(
            "CreatePolicyVersion",
            json!({"PolicyArn": arn, "PolicyDocument": allow("s3:*")}),
        )
        .unwrap();
    assert_eq!(next["PolicyVersion"]["VersionId"], "v6");
    h.root_call(
        "DeletePolicyVersion",
        json!({"PolicyArn": arn, "VersionId": "v6"}),
    )
    .unwrap();
    h.root_call("DeletePolicy", json!({"PolicyArn": arn}))
        .unwrap();
    assert!(matches!(
        h.root_call("GetPolicy", json!({"PolicyArn": arn})),
        Err(Error::NoSuchEntity(_))
    ));
    assert!(matches!(
        h.root_call("DeletePolicy", json!({"PolicyArn": arn})),
        Err(Error::NoSuchEntity(_))
    ));
}

#[test]
fn aws_managed_policies_are_read_only() {
    let h = Harness::new();
    let arn = "arn:aws:iam::aws:policy/AdministratorAccess";
    let version = h
        .root_call(
            "GetPolicyVersion",
            json!({"PolicyArn": arn, "VersionId": "v1"}),
        )
        .unwrap();
    assert!(
        version["PolicyVersion"]["Document"]
            .as_str()
            .unwrap()
            .contains("\"Action\":\"*\"")
    );
    for (action, input) in [
        ("DeletePolicy", json!({"PolicyArn": arn})),
        (
            "CreatePolicyVersion",
            json!({"PolicyArn": arn, "PolicyDocument": allow("s3:*")}),
        ),
        (
            "SetDefaultPolicyVersion",
            json!({"PolicyArn": arn, "VersionId": "v1"}),
        ),
        (
            "DeletePolicyVersion",
            json!({"PolicyArn": arn, "VersionId": "v1"}),
        ),
    ] {
        let denied = h.root_call(action, input).unwrap_err();
        assert_eq!(
            denied,
            Error::AccessDenied(format!(
                "User: arn:aws:iam::111122223333:root is not authorized to perform: iam:{action} on resource: policy {arn} because no resource-based policy allows the iam:{action} action"
            ))
        );
    }
}

#[test]
fn attach_detach_list_for_users_groups_and_roles() {
    let h = Harness::new();
    h.root_call("CreateUser", json!({"UserName": "hal"}))
        .unwrap();
    h.root_call("CreateGroup", json!({"GroupName": "crew"}))
        .unwrap();
    install_role(&h, "worker", "/apps/").unwrap();
    install_role(
        &h,
        "AWSServiceRoleForThing",
        "/aws-service-role/thing.amazonaws.com/",
    )
    .unwrap();
    let arn = create_policy(&h, "Shared", &allow("s3:*")).unwrap();
    let admin = "arn:aws:iam::aws:policy/AdministratorAccess";

    h.root_call(
        "AttachUserPolicy",
        json!({"UserName": "hal", "PolicyArn": arn}),
    )
    .unwrap();
    h.root_call(
        "AttachUserPolicy",
        json!({"UserName": "hal", "PolicyArn": arn}),
    )
    .unwrap();
    h.root_call(
        "AttachUserPolicy",
        json!({"UserName": "hal", "PolicyArn": admin}),
    )
    .unwrap();
    h.root_call(
        "AttachGroupPolicy",
        json!({"GroupName": "crew", "PolicyArn": arn}),
    )
    .unwrap();
    h.root_call(
        "AttachRolePolicy",
        json!({"RoleName": "worker", "PolicyArn": arn}),
    )
    .unwrap();

    let user = h
        .root_call("ListAttachedUserPolicies", json!({"UserName": "hal"}))
        .unwrap();
    assert_eq!(
        user["AttachedPolicies"],
        json!([{"PolicyName": "Shared", "PolicyArn": arn}, {"PolicyName": "AdministratorAccess", "PolicyArn": admin}])
    );
    let paged = h
        .root_call(
            "ListAttachedUserPolicies",
            json!({"UserName": "hal", "MaxItems": 1}),
        )
        .unwrap();
    assert_eq!(names(&paged["AttachedPolicies"], "PolicyName"), ["Shared"]);
    let rest = h
        .root_call(
            "ListAttachedUserPolicies",
            json!({"UserName": "hal", "Marker": paged["Marker"]}),
        )
        .unwrap();
    assert_eq!(
        names(&rest["AttachedPolicies"], "PolicyName"),
        ["AdministratorAccess"]
    );
    let group = h
        .root_call("ListAttachedGroupPolicies", json!({"GroupName": "crew"}))
        .unwrap();
    assert_eq!(
        names(&group["AttachedPolicies"], "PolicyArn"),
        vec![arn.clone()]
    );
    let role = h
        .root_call(
            "ListAttachedRolePolicies",
            json!({"RoleName": "worker", "PathPrefix": "/none/"}),
        )
        .unwrap();
    assert_eq!(role["AttachedPolicies"], json!([]));
    assert_eq!(
        h.root_call("GetPolicy", json!({"PolicyArn": arn})).unwrap()["Policy"]["AttachmentCount"],
        3
    );
    let conflict = h
        .root_call("DeletePolicy", json!({"PolicyArn": arn}))
        .unwrap_err();
    assert_eq!(
        conflict,
        Error::DeleteConflict("Cannot delete a policy attached to entities.".to_owned())
    );

    let entities = h
        .root_call("ListEntitiesForPolicy", json!({"PolicyArn": arn}))
        .unwrap();
    assert_eq!(names(&entities["PolicyUsers"], "UserName"), ["hal"]);
    assert_eq!(names(&entities["PolicyGroups"], "GroupName"), ["crew"]);
    assert_eq!(names(&entities["PolicyRoles"], "RoleName"), ["worker"]);
    let roles = h
        .root_call(
            "ListEntitiesForPolicy",
            json!({"PolicyArn": arn, "EntityFilter": "Role"}),
        )
        .unwrap();
    assert_eq!(
        (
            roles["PolicyUsers"].clone(),
            names(&roles["PolicyRoles"], "RoleName")
        ),
        (json!([]), vec!["worker".to_owned()])
    );
    let page = h
        .root_call(
            "ListEntitiesForPolicy",
            json!({"PolicyArn": arn, "MaxItems": 2}),
        )
        .unwrap();
    assert_eq!(page["IsTruncated"], true);
    let next = h
        .root_call(
            "ListEntitiesForPolicy",
            json!({"PolicyArn": arn, "Marker": page["Marker"]}),
        )
        .unwrap();
    assert_eq!(names(&next["PolicyRoles"], "RoleName"), ["worker"]);
    let under = h
        .root_call(
            "ListEntitiesForPolicy",
            json!({"PolicyArn": arn, "PathPrefix": "/apps/"}),
        )
        .unwrap();
    assert_eq!(
        (
            under["PolicyUsers"].clone(),
            under["PolicyRoles"].as_array().unwrap().len()
        ),
        (json!([]), 1)
    );

    let protected = h
        .root_call(
            "AttachRolePolicy",
            json!({"RoleName": "AWSServiceRoleForThing", "PolicyArn": arn}),
        )
        .unwrap_err();
    assert!(
        matches!(protected, Error::UnmodifiableEntity(_)),
        "{protected}"
    );
    let no_role = h
        .root_call(
            "AttachRolePolicy",
            json!({"RoleName": "ghost", "PolicyArn": arn}),
        )
        .unwrap_err();
    assert_eq!(
        no_role,
        Error::NoSuchEntity("The role with name ghost cannot be found.".to_owned())
    );
    let unknown = "arn:aws:iam::111122223333:policy/Unknown";
    let missing = h
        .root_call(
            "AttachUserPolicy",
            json!({"UserName": "hal", "PolicyArn": unknown}),
        )
        .unwrap_err();
    assert_eq!(
        missing,
        Error::NoSuchEntity(format!(
            "Policy {unknown} does not exist or is not attachable."
        ))
    );
    let invalid = h
        .root_call(
            "AttachGroupPolicy",
            json!({"GroupName": "crew", "PolicyArn": "arn:aws:s3:::bucket/x"}),
        )
        .unwrap_err();
    assert!(matches!(invalid, Error::InvalidInput(_)), "{invalid}");
    let not_attached = h
        .root_call(
            "DetachGroupPolicy",
            json!({"GroupName": "crew", "PolicyArn": admin}),
        )
        .unwrap_err();
    assert_eq!(
        not_attached,
        Error::NoSuchEntity(format!("Policy {admin} was not found."))
    );

    for (action, input) in [
        (
            "DetachUserPolicy",
            json!({"UserName": "hal", "PolicyArn": arn}),
        ),
        (
            "DetachGroupPolicy",
            json!({"GroupName": "crew", "PolicyArn": arn}),
        ),
        (
            "DetachRolePolicy",
            json!({"RoleName": "worker", "PolicyArn": arn}),
        ),
    ] {
        h.root_call(action, input).unwrap();
    }
    assert_eq!(
        h.root_call("GetPolicy", json!({"PolicyArn": arn})).unwrap()["Policy"]["AttachmentCount"],
        0
    );
    h.root_call("DeletePolicy", json!({"PolicyArn": arn}))
        .unwrap();
}

#[test]
fn quota_of_ten_managed_policies() {
    let h = Harness::new();
    h.root_call("CreateUser", json!({"UserName": "ida"}))
        .unwrap();
    h.root_call("CreateGroup", json!({"GroupName": "g"}))
        .unwrap();
    let arns: Vec<String> = (0..11)
        .map(|i| create_policy(&h, &format!("P{i}"), &allow("s3:*")).unwrap())
        .collect();
    for arn in &arns[..10] {
        h.root_call(
            "AttachUserPolicy",
            json!({"UserName": "ida", "PolicyArn": arn}),
        )
        .unwrap();
        h.root_call(
            "AttachGroupPolicy",
            json!({"GroupName": "g", "PolicyArn": arn}),
        )
        .unwrap();
    }
    let user = h
        .root_call(
            "AttachUserPolicy",
            json!({"UserName": "ida", "PolicyArn": arns[10]}),
        )
        .unwrap_err();
    assert_eq!(
        user,
        Error::LimitExceeded("Cannot exceed quota for PoliciesPerUser: 10".to_owned())
    );
    let group = h
        .root_call(
            "AttachGroupPolicy",
            json!({"GroupName": "g", "PolicyArn": arns[10]}),
        )
        .unwrap_err();
    assert_eq!(
        group,
        Error::LimitExceeded("Cannot exceed quota for PoliciesPerGroup: 10".to_owned())
    );
    // Re-attaching one already there is not a new attachment.
    h.root_call(
        "AttachUserPolicy",
        json!({"UserName": "ida", "PolicyArn": arns[0]}),
    )
    .unwrap();
}

#[test]
fn boundaries_count_as_use() {
    let h = Harness::new();
    let arn = create_policy(&h, "Ceiling", &allow("iam:*")).unwrap();
    h.root_call(
        "CreateUser",
        json!({"UserName": "jo", "PermissionsBoundary": arn}),
    )
    .unwrap();
    let got = h.root_call("GetPolicy", json!({"PolicyArn": arn})).unwrap();
    assert_eq!(
        (
            got["Policy"]["AttachmentCount"].clone(),
            got["Policy"]["PermissionsBoundaryUsageCount"].clone()
        ),
        (json!(0), json!(1))
    );
    let conflict = h
        .root_call("DeletePolicy", json!({"PolicyArn": arn}))
        .unwrap_err();
    assert!(matches!(conflict, Error::DeleteConflict(_)), "{conflict}");
    let as_boundary = h
        .root_call(
            "ListEntitiesForPolicy",
            json!({"PolicyArn": arn, "PolicyUsageFilter": "PermissionsBoundary"}),
        )
        .unwrap();
    assert_eq!(names(&as_boundary["PolicyUsers"], "UserName"), ["jo"]);
    let as_policy = h
        .root_call(
            "ListEntitiesForPolicy",
            json!({"PolicyArn": arn, "PolicyUsageFilter": "PermissionsPolicy"}),
        )
        .unwrap();
    assert_eq!(as_policy["PolicyUsers"], json!([]));
}

#[test]
fn changes_apply_to_the_very_next_request() {
    let h = Harness::new();
    h.root_call("CreateUser", json!({"UserName": "kai"}))
        .unwrap();
    let kai = h.user("kai");
    let arn = create_policy(&h, "Lister", &allow("iam:ListUsers")).unwrap();
    assert!(matches!(
        h.call(&kai, "ListUsers", json!({})),
        Err(Error::AccessDenied(_))
    ));

    h.root_call(
        "AttachUserPolicy",
        json!({"UserName": "kai", "PolicyArn": arn}),
    )
    .unwrap();
    h.call(&kai, "ListUsers", json!({})).unwrap();

    // A new default version is in force at once; so is switching back.
    h.root_call(
        "CreatePolicyVersion",
        json!({"PolicyArn": arn, "PolicyDocument": allow("iam:ListGroups"), "SetAsDefault": true}),
    )
    .unwrap();
    assert!(matches!(
        h.call(&kai, "ListUsers", json!({})),
        Err(Error::AccessDenied(_))
    ));
    h.call(&kai, "ListGroups", json!({})).unwrap();
    h.root_call(
        "SetDefaultPolicyVersion",
        json!({"PolicyArn": arn, "VersionId": "v1"}),
    )
    .unwrap();
    h.call(&kai, "ListUsers", json!({})).unwrap();

    h.root_call(
        "DetachUserPolicy",
        json!({"UserName": "kai", "PolicyArn": arn}),
    )
    .unwrap();
    assert!(matches!(
        h.call(&kai, "ListUsers", json!({})),
        Err(Error::AccessDenied(_))
    ));
}

#[test]
fn attach_is_authorized_with_the_policy_arn() {
    let h = Harness::new();
    h.root_call("CreateUser", json!({"UserName": "lee"}))
        .unwrap();
    h.root_call("CreateUser", json!({"UserName": "target"}))
        .unwrap();
    let allowed = create_policy(&h, "Allowed", &allow("s3:*")).unwrap();
    let other = create_policy(&h, "Other", &allow("s3:*")).unwrap();
    let delegate = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":["iam:AttachUserPolicy","iam:DetachUserPolicy"],"Resource":"*","Condition":{{"ArnEquals":{{"iam:PolicyARN":"{allowed}"}}}}}}]}}"#
    );
    h.root_call(
        "PutUserPolicy",
        json!({"UserName": "lee", "PolicyName": "delegate", "PolicyDocument": delegate}),
    )
    .unwrap();
    let lee = h.user("lee");
    h.call(
        &lee,
        "AttachUserPolicy",
        json!({"UserName": "target", "PolicyArn": allowed}),
    )
    .unwrap();
    let denied = h
        .call(
            &lee,
            "AttachUserPolicy",
            json!({"UserName": "target", "PolicyArn": other}),
        )
        .unwrap_err();
    assert!(matches!(denied, Error::AccessDenied(_)), "{denied}");
    h.call(
        &lee,
        "DetachUserPolicy",
        json!({"UserName": "target", "PolicyArn": allowed}),
    )
    .unwrap();

    // Denials on policies name the resource as AWS does: `policy ARN`.
    let denied = h
        .call(&lee, "GetPolicy", json!({"PolicyArn": other}))
        .unwrap_err();
    assert_eq!(
        denied,
        Error::AccessDenied(format!(
            "User: arn:aws:iam::111122223333:user/lee is not authorized to perform: iam:GetPolicy on resource: policy {other} because no identity-based policy allows the iam:GetPolicy action"
        ))
    );
    // And come before existence checks.
    let ghost = "arn:aws:iam::111122223333:policy/Ghost";
    for (action, input) in [
        ("GetPolicy", json!({"PolicyArn": ghost})),
        ("DeletePolicy", json!({"PolicyArn": ghost})),
        ("ListPolicyVersions", json!({"PolicyArn": ghost})),
        ("ListEntitiesForPolicy", json!({"PolicyArn": ghost})),
        (
            "AttachGroupPolicy",
            json!({"GroupName": "ghosts", "PolicyArn": ghost}),
        ),
    ] {
        let denied = h.call(&lee, action, input).unwrap_err();
        assert!(
            matches!(denied, Error::AccessDenied(_)),
            "{action}: {denied}"
        );
    }
}
