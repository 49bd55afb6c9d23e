//! Roles, their trust policies, boundaries and tags, and instance profiles, through
//! `Service::call` as the edge calls them; with enforcement by tags and paths.

#![allow(
    clippy::unwrap_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test helpers, like the tests that call them, fail loudly"
)]

mod common;

use common::Harness;
use serde_json::{Value, json};
use warden_core::model::{Document, EntityPath, InlinePolicy};
use warden_core::state::Mutation;
use warden_core::{Caller, Error};
use warden_policy::PolicyKind;

const ACCOUNT: &str = "111122223333";

fn ec2_trust() -> String {
    json!({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]
    })
    .to_string()
}

fn trusting(principal: &str) -> String {
    json!({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"AWS": principal}, "Action": "sts:AssumeRole"}]
    })
    .to_string()
}

fn create_role(h: &Harness, name: &str, extra: Value) -> Value {
    let mut input = json!({"RoleName": name, "AssumeRolePolicyDocument": ec2_trust()});
    if let (Some(input), Value::Object(extra)) = (input.as_object_mut(), extra) {
        input.extend(extra);
    }
    h.root_call("CreateRole", input).unwrap()
}

/// A user whose only permissions are `statements` (an inline policy).
fn user_with(h: &Harness, name: &str, tags: Value, statements: Value) -> Caller {
    h.root_call("CreateUser", json!({"UserName": name, "Tags": tags}))
        .unwrap();
    let document = json!({"Version": "2012-10-17", "Statement": statements}).to_string();
    h.root_call(
        "PutUserPolicy",
        json!({"UserName": name, "PolicyName": "p", "PolicyDocument": document}),
    )
    .unwrap();
    h.user(name)
}

fn denied(result: Result<Value, Error>) -> String {
    match result {
        Err(Error::AccessDenied(message)) => message,
        other => panic!("expected AccessDenied, got {other:?}"),
    }
}

#[test]
fn create_get_list_update_delete() {
    let h = Harness::new();
    let created = create_role(
        &h,
        "App",
        json!({"Path": "/app/", "Description": "the app", "Tags": [{"Key": "team", "Value": "blue"}]}),
    );
    let role = &created["Role"];
    assert!(role["RoleId"].as_str().unwrap().starts_with("AROA"));
    assert_eq!(role["Arn"], format!("arn:aws:iam::{ACCOUNT}:role/app/App"));
    assert_eq!(role["MaxSessionDuration"], 3600);
    assert_eq!(role["AssumeRolePolicyDocument"], ec2_trust());
    assert_eq!(role["CreateDate"], "2026-01-01T00:00:00Z");
    assert!(role.get("RoleLastUsed").is_none());

    let duplicate = h
        .root_call(
            "CreateRole",
            json!({"RoleName": "APP", "AssumeRolePolicyDocument": ec2_trust()}),
        )
        .unwrap_err();
    assert_eq!(
        duplicate,
        Error::EntityAlreadyExists("Role with name APP already exists.".to_owned())
    );

    let got = h.root_call("GetRole", json!({"RoleName": "app"})).unwrap();
    assert_eq!(got["Role"]["RoleName"], "App");
    assert_eq!(got["Role"]["Description"], "the app");
    assert_eq!(
        got["Role"]["Tags"],
        json!([{"Key": "team", "Value": "blue"}])
    );
    assert_eq!(got["Role"]["RoleLastUsed"], json!({}));
    assert!(got["Role"].get("PermissionsBoundary").is_none());

    for name in ["b", "c", "d"] {
        create_role(&h, name, json!({}));
    }
    let first = h.root_call("ListRoles", json!({"MaxItems": 3})).unwrap();
    assert_eq!(first["IsTruncated"], true);
    let names: Vec<_> = first["Roles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["RoleName"].clone())
        .collect();
    assert_eq!(names, vec![json!("App"), json!("b"), json!("c")]);
    let listed = &first["Roles"][0];
    assert!(listed.get("Tags").is_none() && listed.get("RoleLastUsed").is_none());
    assert_eq!(listed["MaxSessionDuration"], 3600);
    let rest = h
        .root_call("ListRoles", json!({"Marker": first["Marker"]}))
        .unwrap();
    assert_eq!(rest["IsTruncated"], false);
    assert_eq!(rest["Roles"][0]["RoleName"], "d");
    let under = h
        .root_call("ListRoles", json!({"PathPrefix": "/app/"}))
        .unwrap();
    assert_eq!(under["Roles"].as_array().unwrap().len(), 1);

    h.root_call(
        "UpdateRole",
        json!({"RoleName": "App", "Description": "", "MaxSessionDuration": 43200}),
    )
    .unwrap();
    let got = h.root_call("GetRole", json!({"RoleName": "App"})).unwrap();
    assert_eq!(got["Role"]["MaxSessionDuration"], 43200);
    assert!(got["Role"].get("Description").is_none());
    for bad in [3599, 43201] {
        let error = h
            .root_call(
                "UpdateRole",
                json!({"RoleName": "App", "MaxSessionDuration": bad}),
            )
            .unwrap_err();
        assert!(matches!(error, Error::ValidationError(_)), "{error}");
    }
    let long = "x".repeat(1001);
    let error = h
        .root_call(
            "UpdateRoleDescription",
            json!({"RoleName": "App", "Description": long}),
        )
        .unwrap_err();
    assert!(matches!(error, Error::ValidationError(_)), "{error}");
    let updated = h
        .root_call(
            "UpdateRoleDescription",
            json!({"RoleName": "App", "Description": "new"}),
        )
        .unwrap();
    assert_eq!(updated["Role"]["Description"], "new");

    h.root_call("DeleteRole", json!({"RoleName": "b"})).unwrap();
    let gone = h
        .root_call("GetRole", json!({"RoleName": "b"}))
        .unwrap_err();
    assert_eq!(
        gone,
        Error::NoSuchEntity("The role with name b cannot be found.".to_owned())
    );
    assert!(matches!(
        h.root_call("DeleteRole", json!({"RoleName": "b"})),
        Err(Error::NoSuchEntity(_))
    ));
}

#[test]
fn create_validates_its_parameters() {
    let h = Harness::new();
    let bad_path = h
        .root_call(
            "CreateRole",
            json!({"RoleName": "r", "Path": "app", "AssumeRolePolicyDocument": ec2_trust()}),
        )
        .unwrap_err();
    assert!(matches!(bad_path, Error::ValidationError(_)), "{bad_path}");
    let reserved = h
        .root_call(
            "CreateRole",
            json!({"RoleName": "r", "Path": "/aws-service-role/x/", "AssumeRolePolicyDocument": ec2_trust()}),
        )
        .unwrap_err();
    assert!(matches!(reserved, Error::InvalidInput(_)), "{reserved}");
    let short = h
        .root_call("CreateRole", json!({"RoleName": "r", "MaxSessionDuration": 60, "AssumeRolePolicyDocument": ec2_trust()}))
        .unwrap_err();
    assert!(matches!(short, Error::ValidationError(_)), "{short}");
    let tags: Vec<Value> = (0..51)
        .map(|i| json!({"Key": format!("k{i}"), "Value": "v"}))
        .collect();
    let many = h
        .root_call(
            "CreateRole",
            json!({"RoleName": "r", "Tags": tags, "AssumeRolePolicyDocument": ec2_trust()}),
        )
        .unwrap_err();
    assert!(matches!(many, Error::LimitExceeded(_)), "{many}");
    assert!(matches!(
        h.root_call("GetRole", json!({"RoleName": "r"})),
        Err(Error::NoSuchEntity(_))
    ));
}

#[test]
fn trust_policies_are_checked_like_aws() {
    let h = Harness::new();
    let create = |name: &str, document: String| {
        h.root_call(
            "CreateRole",
            json!({"RoleName": name, "AssumeRolePolicyDocument": document}),
        )
    };
    let with_resource = json!({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole", "Resource": "*"}]
    });
    assert!(matches!(
        create("r", with_resource.to_string()),
        Err(Error::MalformedPolicyDocument(_))
    ));
    let no_principal = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole"}]});
    assert!(matches!(
        create("r", no_principal.to_string()),
        Err(Error::MalformedPolicyDocument(_))
    ));
    let services: Vec<String> = (0..100)
        .map(|i| format!("service{i:03}.amazonaws.com"))
        .collect();
    let huge = json!({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"Service": services}, "Action": "sts:AssumeRole"}]
    });
    assert!(matches!(
        create("r", huge.to_string()),
        Err(Error::LimitExceeded(_))
    ));

    let nobody = format!("arn:aws:iam::{ACCOUNT}:user/nobody");
    let error = create("r", trusting(&nobody)).unwrap_err();
    assert_eq!(
        error,
        Error::MalformedPolicyDocument(format!(
            "Invalid principal in policy: \"AWS\":\"{nobody}\""
        ))
    );
    // A role cannot trust itself before it exists.
    let itself = format!("arn:aws:iam::{ACCOUNT}:role/r");
    assert!(matches!(
        create("r", trusting(&itself)),
        Err(Error::MalformedPolicyDocument(_))
    ));

    h.root_call(
        "CreateUser",
        json!({"UserName": "alice", "Path": "/people/"}),
    )
    .unwrap();
    create(
        "r",
        trusting(&format!("arn:aws:iam::{ACCOUNT}:user/people/alice")),
    )
    .unwrap();
    let wrong_path = format!("arn:aws:iam::{ACCOUNT}:user/alice");
    assert!(matches!(
        create("r2", trusting(&wrong_path)),
        Err(Error::MalformedPolicyDocument(_))
    ));
    create("r2", trusting(&itself)).unwrap();
    create(
        "r3",
        trusting(&format!("arn:aws:sts::{ACCOUNT}:assumed-role/r/session")),
    )
    .unwrap();
    assert!(
        create(
            "r4",
            trusting(&format!("arn:aws:sts::{ACCOUNT}:assumed-role/ghost/s"))
        )
        .is_err()
    );
    create("r4", trusting(ACCOUNT)).unwrap();
    create("r5", trusting("arn:aws:iam::999988887777:role/elsewhere")).unwrap();
    create("r6", trusting("*")).unwrap();
    let alice_id = h
        .root_call("GetUser", json!({"UserName": "alice"}))
        .unwrap()["User"]["UserId"]
        .clone();
    create("r7", trusting(alice_id.as_str().unwrap())).unwrap();
    assert!(create("r8", trusting("AIDAAAAAAAAAAAAAAAAAA")).is_err());

    let update = |document: String| {
        h.root_call(
            "UpdateAssumeRolePolicy",
            json!({"RoleName": "r6", "PolicyDocument": document}),
        )
    };
    assert!(matches!(
        update(trusting(&nobody)),
        Err(Error::MalformedPolicyDocument(_))
    ));
    update(ec2_trust()).unwrap();
    let got = h.root_call("GetRole", json!({"RoleName": "r6"})).unwrap();
    assert_eq!(got["Role"]["AssumeRolePolicyDocument"], ec2_trust());
    assert!(matches!(
        h.root_call(
            "UpdateAssumeRolePolicy",
            json!({"RoleName": "ghost", "PolicyDocument": ec2_trust()})
        ),
        Err(Error::NoSuchEntity(_))
    ));
}

#[test]
fn permissions_boundaries() {
    let h = Harness::new();
    let power = "arn:aws:iam::aws:policy/PowerUserAccess";
    let missing = format!("arn:aws:iam::{ACCOUNT}:policy/missing");
    let error = h
        .root_call(
            "CreateRole",
            json!({"RoleName": "r", "PermissionsBoundary": missing, "AssumeRolePolicyDocument": ec2_trust()}),
        )
        .unwrap_err();
    assert!(matches!(error, Error::InvalidInput(_)), "{error}");
    let created = create_role(&h, "r", json!({"PermissionsBoundary": power}));
    assert_eq!(
        created["Role"]["PermissionsBoundary"]["PermissionsBoundaryArn"],
        power
    );
    let got = h.root_call("GetRole", json!({"RoleName": "r"})).unwrap();
    assert_eq!(
        got["Role"]["PermissionsBoundary"]["PermissionsBoundaryType"],
        "Policy"
    );
    h.root_call("DeleteRolePermissionsBoundary", json!({"RoleName": "r"}))
        .unwrap();
    assert!(matches!(
        h.root_call("DeleteRolePermissionsBoundary", json!({"RoleName": "r"})),
        Err(Error::NoSuchEntity(_))
    ));
    let error = h
        .root_call(
            "PutRolePermissionsBoundary",
            json!({"RoleName": "r", "PermissionsBoundary": missing}),
        )
        .unwrap_err();
    assert!(matches!(error, Error::InvalidInput(_)), "{error}");
    h.root_call(
        "PutRolePermissionsBoundary",
        json!({"RoleName": "r", "PermissionsBoundary": power}),
    )
    .unwrap();
    let listed = h.root_call("ListRoles", json!({})).unwrap();
    assert!(listed["Roles"][0].get("PermissionsBoundary").is_none());

    // A delegated admin may create roles only with the boundary it is given.
    let admin = user_with(
        &h,
        "admin",
        json!([]),
        json!([{"Effect": "Allow", "Action": "iam:CreateRole", "Resource": "*",
                "Condition": {"StringEquals": {"iam:PermissionsBoundary": power}}}]),
    );
    let unbounded = json!({"RoleName": "free", "AssumeRolePolicyDocument": ec2_trust()});
    denied(h.call(&admin, "CreateRole", unbounded));
    let bounded = json!({"RoleName": "bound", "PermissionsBoundary": power, "AssumeRolePolicyDocument": ec2_trust()});
    h.call(&admin, "CreateRole", bounded).unwrap();
}

#[test]
fn delete_conflicts_name_what_to_remove_first() {
    let h = Harness::new();
    create_role(&h, "r", json!({}));
    h.root_call(
        "CreateInstanceProfile",
        json!({"InstanceProfileName": "ip"}),
    )
    .unwrap();
    h.root_call(
        "AddRoleToInstanceProfile",
        json!({"InstanceProfileName": "ip", "RoleName": "r"}),
    )
    .unwrap();
    let error = h
        .root_call("DeleteRole", json!({"RoleName": "r"}))
        .unwrap_err();
    assert_eq!(
        error,
        Error::DeleteConflict(
            "Cannot delete entity, must remove roles from instance profile first.".to_owned()
        )
    );
    h.root_call(
        "RemoveRoleFromInstanceProfile",
        json!({"InstanceProfileName": "ip", "RoleName": "r"}),
    )
    .unwrap();

    h.root_call(
        "AttachRolePolicy",
        json!({"RoleName": "r", "PolicyArn": "arn:aws:iam::aws:policy/ReadOnlyAccess"}),
    )
    .unwrap();
    let error = h
        .root_call("DeleteRole", json!({"RoleName": "r"}))
        .unwrap_err();
    assert_eq!(
        error,
        Error::DeleteConflict("Cannot delete entity, must detach all policies first.".to_owned())
    );
    h.root_call(
        "DetachRolePolicy",
        json!({"RoleName": "r", "PolicyArn": "arn:aws:iam::aws:policy/ReadOnlyAccess"}),
    )
    .unwrap();

    h.service
        .write(|state| {
            let mut role = state.account(ACCOUNT).unwrap().role("r").unwrap().clone();
            let inline = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}"#;
            role.inline.push(InlinePolicy {
                name: "inline".to_owned(),
                document: Document::parse(inline, PolicyKind::Identity).unwrap(),
            });
            Ok((vec![Mutation::Role(role)], ()))
        })
        .unwrap();
    let error = h
        .root_call("DeleteRole", json!({"RoleName": "r"}))
        .unwrap_err();
    assert_eq!(
        error,
        Error::DeleteConflict("Cannot delete entity, must delete policies first.".to_owned())
    );
}

#[test]
fn role_tags() {
    let h = Harness::new();
    create_role(&h, "r", json!({"Tags": [{"Key": "team", "Value": "blue"}]}));
    h.root_call(
        "TagRole",
        json!({"RoleName": "r", "Tags": [{"Key": "Team", "Value": "red"}, {"Key": "env", "Value": "prod"}, {"Key": "app", "Value": "x"}]}),
    )
    .unwrap();
    let tags = h
        .root_call("ListRoleTags", json!({"RoleName": "r"}))
        .unwrap();
    assert_eq!(
        tags["Tags"],
        json!([{"Key": "Team", "Value": "red"}, {"Key": "app", "Value": "x"}, {"Key": "env", "Value": "prod"}])
    );
    let page = h
        .root_call("ListRoleTags", json!({"RoleName": "r", "MaxItems": 2}))
        .unwrap();
    assert_eq!(page["IsTruncated"], true);
    let rest = h
        .root_call(
            "ListRoleTags",
            json!({"RoleName": "r", "Marker": page["Marker"]}),
        )
        .unwrap();
    assert_eq!(rest["Tags"], json!([{"Key": "env", "Value": "prod"}]));

    h.root_call(
        "UntagRole",
        json!({"RoleName": "r", "TagKeys": ["team", "absent"]}),
    )
    .unwrap();
    let tags = h
        .root_call("ListRoleTags", json!({"RoleName": "r"}))
        .unwrap();
    assert_eq!(tags["Tags"].as_array().unwrap().len(), 2);

    let reserved = h
        .root_call(
            "TagRole",
            json!({"RoleName": "r", "Tags": [{"Key": "aws:x", "Value": "v"}]}),
        )
        .unwrap_err();
    assert!(matches!(reserved, Error::InvalidInput(_)), "{reserved}");
    let many: Vec<Value> = (0..49)
        .map(|i| json!({"Key": format!("k{i}"), "Value": "v"}))
        .collect();
    let over = h
        .root_call("TagRole", json!({"RoleName": "r", "Tags": many}))
        .unwrap_err();
    assert!(matches!(over, Error::LimitExceeded(_)), "{over}");
    assert!(matches!(
        h.root_call("ListRoleTags", json!({"RoleName": "ghost"})),
        Err(Error::NoSuchEntity(_))
    ));
}

#[test]
fn reading_a_role_is_governed_by_matching_team_tags() {
    let h = Harness::new();
    create_role(
        &h,
        "blue-role",
        json!({"Tags": [{"Key": "team", "Value": "blue"}]}),
    );
    create_role(
        &h,
        "red-role",
        json!({"Tags": [{"Key": "team", "Value": "red"}]}),
    );
    let dev = user_with(
        &h,
        "dev",
        json!([{"Key": "team", "Value": "blue"}]),
        json!([{"Effect": "Allow", "Action": "iam:GetRole", "Resource": format!("arn:aws:iam::{ACCOUNT}:role/*"),
                "Condition": {"StringEquals": {"aws:ResourceTag/team": "${aws:PrincipalTag/team}"}}}]),
    );
    let got = h
        .call(&dev, "GetRole", json!({"RoleName": "blue-role"}))
        .unwrap();
    assert_eq!(got["Role"]["RoleName"], "blue-role");
    let message = denied(h.call(&dev, "GetRole", json!({"RoleName": "red-role"})));
    assert!(
        message.contains(&format!(
            "iam:GetRole on resource: arn:aws:iam::{ACCOUNT}:role/red-role"
        )),
        "{message}"
    );
    // A role that does not exist has no tags: denied, not NoSuchEntity.
    denied(h.call(&dev, "GetRole", json!({"RoleName": "ghost"})));
    denied(h.call(&dev, "ListRoleTags", json!({"RoleName": "blue-role"})));
}

#[test]
fn tagging_a_role_is_limited_to_allowed_keys() {
    let h = Harness::new();
    create_role(&h, "r", json!({}));
    let tagger = user_with(
        &h,
        "tagger",
        json!([]),
        json!([{"Effect": "Allow", "Action": ["iam:TagRole", "iam:UntagRole"], "Resource": "*",
                "Condition": {"ForAllValues:StringEquals": {"aws:TagKeys": ["team", "env"]}}}]),
    );
    h.call(
        &tagger,
        "TagRole",
        json!({"RoleName": "r", "Tags": [{"Key": "team", "Value": "blue"}]}),
    )
    .unwrap();
    h.call(&tagger, "TagRole", json!({"RoleName": "r", "Tags": [{"Key": "team", "Value": "x"}, {"Key": "env", "Value": "y"}]}))
        .unwrap();
    let mixed = json!({"RoleName": "r", "Tags": [{"Key": "team", "Value": "x"}, {"Key": "owner", "Value": "me"}]});
    denied(h.call(&tagger, "TagRole", mixed));
    denied(h.call(
        &tagger,
        "UntagRole",
        json!({"RoleName": "r", "TagKeys": ["owner"]}),
    ));
    h.call(
        &tagger,
        "UntagRole",
        json!({"RoleName": "r", "TagKeys": ["env"]}),
    )
    .unwrap();
    let tags = h
        .root_call("ListRoleTags", json!({"RoleName": "r"}))
        .unwrap();
    assert_eq!(tags["Tags"], json!([{"Key": "team", "Value": "x"}]));
}

#[test]
fn path_scoped_role_administration() {
    let h = Harness::new();
    create_role(&h, "inside", json!({"Path": "/app/"}));
    create_role(&h, "outside", json!({}));
    let scope = format!("arn:aws:iam::{ACCOUNT}:role/app/*");
    let admin = user_with(
        &h,
        "app-admin",
        json!([]),
        json!([{"Effect": "Allow", "Action": ["iam:CreateRole", "iam:GetRole", "iam:UpdateRole", "iam:DeleteRole"], "Resource": scope}]),
    );
    h.call(&admin, "GetRole", json!({"RoleName": "inside"}))
        .unwrap();
    h.call(
        &admin,
        "UpdateRole",
        json!({"RoleName": "inside", "Description": "mine"}),
    )
    .unwrap();
    denied(h.call(&admin, "GetRole", json!({"RoleName": "outside"})));
    denied(h.call(&admin, "DeleteRole", json!({"RoleName": "outside"})));
    let trust = ec2_trust();
    h.call(
        &admin,
        "CreateRole",
        json!({"RoleName": "new", "Path": "/app/", "AssumeRolePolicyDocument": trust}),
    )
    .unwrap();
    denied(h.call(
        &admin,
        "CreateRole",
        json!({"RoleName": "root-level", "AssumeRolePolicyDocument": trust}),
    ));
    denied(h.call(&admin, "ListRoles", json!({})));
    h.call(&admin, "DeleteRole", json!({"RoleName": "new"}))
        .unwrap();
}

#[test]
fn instance_profiles_hold_one_role() {
    let h = Harness::new();
    create_role(&h, "web", json!({"Path": "/svc/"}));
    create_role(&h, "other", json!({}));
    let created = h
        .root_call("CreateInstanceProfile", json!({"InstanceProfileName": "Web", "Path": "/svc/", "Tags": [{"Key": "k", "Value": "v"}]}))
        .unwrap();
    let profile = &created["InstanceProfile"];
    assert!(
        profile["InstanceProfileId"]
            .as_str()
            .unwrap()
            .starts_with("AIPA")
    );
    assert_eq!(
        profile["Arn"],
        format!("arn:aws:iam::{ACCOUNT}:instance-profile/svc/Web")
    );
    assert_eq!(profile["Roles"], json!([]));
    let duplicate = h
        .root_call(
            "CreateInstanceProfile",
            json!({"InstanceProfileName": "web"}),
        )
        .unwrap_err();
    assert_eq!(
        duplicate,
        Error::EntityAlreadyExists("Instance Profile web already exists.".to_owned())
    );
    h.root_call(
        "CreateInstanceProfile",
        json!({"InstanceProfileName": "spare"}),
    )
    .unwrap();

    let add = |role: &str| {
        h.root_call(
            "AddRoleToInstanceProfile",
            json!({"InstanceProfileName": "Web", "RoleName": role}),
        )
    };
    assert!(matches!(add("ghost"), Err(Error::NoSuchEntity(_))));
    add("web").unwrap();
    assert_eq!(
        add("other").unwrap_err(),
        Error::LimitExceeded(
            "Cannot exceed quota for InstanceSessionsPerInstanceProfile: 1".to_owned()
        )
    );
    let got = h
        .root_call("GetInstanceProfile", json!({"InstanceProfileName": "web"}))
        .unwrap();
    let role = &got["InstanceProfile"]["Roles"][0];
    assert_eq!(role["Arn"], format!("arn:aws:iam::{ACCOUNT}:role/svc/web"));
    assert_eq!(role["AssumeRolePolicyDocument"], ec2_trust());
    assert!(role["RoleId"].as_str().unwrap().starts_with("AROA"));
    assert_eq!(
        got["InstanceProfile"]["Tags"],
        json!([{"Key": "k", "Value": "v"}])
    );

    let listed = h
        .root_call("ListInstanceProfiles", json!({"PathPrefix": "/svc/"}))
        .unwrap();
    assert_eq!(listed["InstanceProfiles"].as_array().unwrap().len(), 1);
    assert!(listed["InstanceProfiles"][0].get("Tags").is_none());
    let all = h
        .root_call("ListInstanceProfiles", json!({"MaxItems": 1}))
        .unwrap();
    assert_eq!(all["IsTruncated"], true);
    let for_role = h
        .root_call("ListInstanceProfilesForRole", json!({"RoleName": "web"}))
        .unwrap();
    assert_eq!(
        for_role["InstanceProfiles"][0]["InstanceProfileName"],
        "Web"
    );
    let none = h
        .root_call("ListInstanceProfilesForRole", json!({"RoleName": "other"}))
        .unwrap();
    assert_eq!(none["InstanceProfiles"], json!([]));
    assert!(matches!(
        h.root_call("ListInstanceProfilesForRole", json!({"RoleName": "ghost"})),
        Err(Error::NoSuchEntity(_))
    ));

    let conflict = h
        .root_call(
            "DeleteInstanceProfile",
            json!({"InstanceProfileName": "Web"}),
        )
        .unwrap_err();
    assert_eq!(
        conflict,
        Error::DeleteConflict(
            "Cannot delete entity, must remove roles from instance profile first.".to_owned()
        )
    );
    let remove = |role: &str| {
        h.root_call(
            "RemoveRoleFromInstanceProfile",
            json!({"InstanceProfileName": "Web", "RoleName": role}),
        )
    };
    assert!(matches!(remove("other"), Err(Error::NoSuchEntity(_))));
    remove("web").unwrap();
    assert!(matches!(remove("web"), Err(Error::NoSuchEntity(_))));
    h.root_call(
        "DeleteInstanceProfile",
        json!({"InstanceProfileName": "Web"}),
    )
    .unwrap();
    let gone = h
        .root_call("GetInstanceProfile", json!({"InstanceProfileName": "Web"}))
        .unwrap_err();
    assert_eq!(
        gone,
        Error::NoSuchEntity("Instance Profile Web cannot be found.".to_owned())
    );
}

#[test]
fn instance_profile_tags_and_pass_role() {
    let h = Harness::new();
    create_role(&h, "web", json!({}));
    h.root_call(
        "CreateInstanceProfile",
        json!({"InstanceProfileName": "ip"}),
    )
    .unwrap();
    h.root_call("TagInstanceProfile", json!({"InstanceProfileName": "ip", "Tags": [{"Key": "b", "Value": "1"}, {"Key": "a", "Value": "2"}]}))
        .unwrap();
    h.root_call(
        "UntagInstanceProfile",
        json!({"InstanceProfileName": "ip", "TagKeys": ["b"]}),
    )
    .unwrap();
    let tags = h
        .root_call(
            "ListInstanceProfileTags",
            json!({"InstanceProfileName": "ip"}),
        )
        .unwrap();
    assert_eq!(tags["Tags"], json!([{"Key": "a", "Value": "2"}]));
    assert!(matches!(
        h.root_call(
            "ListInstanceProfileTags",
            json!({"InstanceProfileName": "ghost"})
        ),
        Err(Error::NoSuchEntity(_))
    ));

    // Adding a role to a profile passes the role: iam:PassRole is needed too.
    let ops = user_with(
        &h,
        "ops",
        json!([]),
        json!([{"Effect": "Allow", "Action": "iam:AddRoleToInstanceProfile", "Resource": "*"}]),
    );
    let input = json!({"InstanceProfileName": "ip", "RoleName": "web"});
    let message = denied(h.call(&ops, "AddRoleToInstanceProfile", input.clone()));
    assert!(message.contains("iam:PassRole"), "{message}");
    let document = json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "iam:AddRoleToInstanceProfile", "Resource": "*"},
        {"Effect": "Allow", "Action": "iam:PassRole", "Resource": format!("arn:aws:iam::{ACCOUNT}:role/web")}]});
    h.root_call(
        "PutUserPolicy",
        json!({"UserName": "ops", "PolicyName": "p", "PolicyDocument": document.to_string()}),
    )
    .unwrap();
    h.call(&ops, "AddRoleToInstanceProfile", input).unwrap();
}

#[test]
fn service_linked_roles_are_only_aws_to_change() {
    let h = Harness::new();
    create_role(&h, "AWSServiceRoleForTest", json!({}));
    h.service
        .write(|state| {
            let mut role = state
                .account(ACCOUNT)
                .unwrap()
                .role("AWSServiceRoleForTest")
                .unwrap()
                .clone();
            role.path = EntityPath::new("/aws-service-role/test.amazonaws.com/").unwrap();
            Ok((vec![Mutation::Role(role)], ()))
        })
        .unwrap();
    let name = json!({"RoleName": "AWSServiceRoleForTest"});
    h.root_call("GetRole", name.clone()).unwrap();
    for (action, input) in [
        ("DeleteRole", name.clone()),
        (
            "UpdateRole",
            json!({"RoleName": "AWSServiceRoleForTest", "Description": "x"}),
        ),
        (
            "UpdateAssumeRolePolicy",
            json!({"RoleName": "AWSServiceRoleForTest", "PolicyDocument": ec2_trust()}),
        ),
    ] {
        let error = h.root_call(action, input).unwrap_err();
        assert!(
            matches!(error, Error::UnmodifiableEntity(_)),
            "{action}: {error}"
        );
    }
}

#[test]
fn role_inline_policies() {
    let h = Harness::new();
    create_role(&h, "app", json!({}));
    let document = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]});
    h.root_call(
        "PutRolePolicy",
        json!({"RoleName": "app", "PolicyName": "read", "PolicyDocument": document.to_string()}),
    )
    .unwrap();
    let got = h
        .root_call(
            "GetRolePolicy",
            json!({"RoleName": "app", "PolicyName": "read"}),
        )
        .unwrap();
    assert_eq!(got["RoleName"], "app");
    assert_eq!(got["PolicyDocument"], document.to_string());
    let listed = h
        .root_call("ListRolePolicies", json!({"RoleName": "app"}))
        .unwrap();
    assert_eq!(listed["PolicyNames"], json!(["read"]));
    let conflict = h
        .root_call("DeleteRole", json!({"RoleName": "app"}))
        .unwrap_err();
    assert!(matches!(conflict, Error::DeleteConflict(_)), "{conflict}");
    h.root_call(
        "DeleteRolePolicy",
        json!({"RoleName": "app", "PolicyName": "read"}),
    )
    .unwrap();
    let missing = h
        .root_call(
            "GetRolePolicy",
            json!({"RoleName": "app", "PolicyName": "read"}),
        )
        .unwrap_err();
    assert_eq!(
        missing.message(),
        "The role policy with name read cannot be found."
    );
    let too_big = "x".repeat(10_300);
    let big = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": format!("arn:aws:s3:::{too_big}")}]});
    let limit = h
        .root_call(
            "PutRolePolicy",
            json!({"RoleName": "app", "PolicyName": "big", "PolicyDocument": big.to_string()}),
        )
        .unwrap_err();
    assert!(matches!(limit, Error::LimitExceeded(_)), "{limit}");
    h.root_call("DeleteRole", json!({"RoleName": "app"}))
        .unwrap();
}
