//! Groups, membership and inline policies through `Service::call`, and permissions that
//! reach a user through its groups.

mod common;

use common::Harness;
use serde_json::{Value, json};
use warden_core::Error;

/// The `member` of every item of a listed array (empty if `list` is not an array).
fn names(list: &Value, member: &str) -> Vec<String> {
    list.as_array()
        .into_iter()
        .flatten()
        .filter_map(|item| item.get(member)?.as_str().map(str::to_owned))
        .collect()
}

fn message(error: &Error) -> &str {
    error.message()
}

const LIST_USERS: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:ListUsers","Resource":"*"}]}"#;

#[test]
fn create_get_list_rename_delete() {
    let h = Harness::new();
    let created = h
        .root_call(
            "CreateGroup",
            json!({"GroupName": "Admins", "Path": "/ops/"}),
        )
        .unwrap();
    let group = &created["Group"];
    let id = group["GroupId"].as_str().unwrap().to_owned();
    assert!(id.starts_with("AGPA") && id.len() == 21, "{id}");
    assert_eq!(group["Arn"], "arn:aws:iam::111122223333:group/ops/Admins");
    assert_eq!(group["Path"], "/ops/");
    assert_eq!(group["CreateDate"], "2026-01-01T00:00:00Z");

    let duplicate = h
        .root_call("CreateGroup", json!({"GroupName": "ADMINS"}))
        .unwrap_err();
    assert_eq!(
        duplicate,
        Error::EntityAlreadyExists("Group with name ADMINS already exists.".to_owned())
    );
    let bad_path = h
        .root_call("CreateGroup", json!({"GroupName": "x", "Path": "ops"}))
        .unwrap_err();
    assert!(matches!(bad_path, Error::ValidationError(_)), "{bad_path}");

    for name in ["devs", "qa", "support"] {
        h.root_call("CreateGroup", json!({"GroupName": name}))
            .unwrap();
    }
    let got = h
        .root_call("GetGroup", json!({"GroupName": "admins"}))
        .unwrap();
    assert_eq!(got["Group"]["GroupName"], "Admins");
    assert_eq!(got["Users"], json!([]));
    assert_eq!(got["IsTruncated"], false);

    let under_ops = h
        .root_call("ListGroups", json!({"PathPrefix": "/ops/"}))
        .unwrap();
    assert_eq!(names(&under_ops["Groups"], "GroupName"), ["Admins"]);
    let first = h.root_call("ListGroups", json!({"MaxItems": 3})).unwrap();
    assert_eq!(first["IsTruncated"], true);
    assert_eq!(
        names(&first["Groups"], "GroupName"),
        ["Admins", "devs", "qa"]
    );
    let rest = h
        .root_call("ListGroups", json!({"Marker": first["Marker"]}))
        .unwrap();
    assert_eq!(rest["IsTruncated"], false);
    assert_eq!(names(&rest["Groups"], "GroupName"), ["support"]);

    h.root_call("CreateUser", json!({"UserName": "ana"}))
        .unwrap();
    h.root_call(
        "AddUserToGroup",
        json!({"GroupName": "Admins", "UserName": "ana"}),
    )
    .unwrap();
    h.root_call(
        "UpdateGroup",
        json!({"GroupName": "Admins", "NewGroupName": "Operators", "NewPath": "/"}),
    )
    .unwrap();
    let renamed = h
        .root_call("GetGroup", json!({"GroupName": "Operators"}))
        .unwrap();
    assert_eq!(renamed["Group"]["GroupId"], id.as_str());
    assert_eq!(
        renamed["Group"]["Arn"],
        "arn:aws:iam::111122223333:group/Operators"
    );
    assert_eq!(names(&renamed["Users"], "UserName"), ["ana"]);
    let gone = h
        .root_call("GetGroup", json!({"GroupName": "Admins"}))
        .unwrap_err();
    assert_eq!(
        gone,
        Error::NoSuchEntity("The group with name Admins cannot be found.".to_owned())
    );
    let taken = h
        .root_call(
            "UpdateGroup",
            json!({"GroupName": "Operators", "NewGroupName": "DEVS"}),
        )
        .unwrap_err();
    assert!(matches!(taken, Error::EntityAlreadyExists(_)), "{taken}");

    let members = h
        .root_call("DeleteGroup", json!({"GroupName": "Operators"}))
        .unwrap_err();
    assert_eq!(
        members,
        Error::DeleteConflict(
            "Cannot delete entity, must remove users from group first.".to_owned()
        )
    );
    h.root_call(
        "RemoveUserFromGroup",
        json!({"GroupName": "Operators", "UserName": "ana"}),
    )
    .unwrap();
    h.root_call(
        "PutGroupPolicy",
        json!({"GroupName": "Operators", "PolicyName": "list", "PolicyDocument": LIST_USERS}),
    )
    .unwrap();
    let inline = h
        .root_call("DeleteGroup", json!({"GroupName": "Operators"}))
        .unwrap_err();
    assert_eq!(
        message(&inline),
        "Cannot delete entity, must delete policies first."
    );
    h.root_call(
        "DeleteGroupPolicy",
        json!({"GroupName": "Operators", "PolicyName": "list"}),
    )
    .unwrap();
    let arn = "arn:aws:iam::aws:policy/IAMReadOnlyAccess";
    h.root_call(
        "AttachGroupPolicy",
        json!({"GroupName": "Operators", "PolicyArn": arn}),
    )
    .unwrap();
    let attached = h
        .root_call("DeleteGroup", json!({"GroupName": "Operators"}))
        .unwrap_err();
    assert_eq!(
        message(&attached),
        "Cannot delete entity, must detach all policies first."
    );
    h.root_call(
        "DetachGroupPolicy",
        json!({"GroupName": "Operators", "PolicyArn": arn}),
    )
    .unwrap();
    h.root_call("DeleteGroup", json!({"GroupName": "Operators"}))
        .unwrap();
    let again = h
        .root_call("DeleteGroup", json!({"GroupName": "Operators"}))
        .unwrap_err();
    assert!(matches!(again, Error::NoSuchEntity(_)), "{again}");
}

#[test]
fn membership_quota_and_listing() {
    let h = Harness::new();
    h.root_call("CreateUser", json!({"UserName": "bo"}))
        .unwrap();
    for i in 0..11 {
        h.root_call("CreateGroup", json!({"GroupName": format!("g{i:02}")}))
            .unwrap();
    }
    for i in 0..10 {
        h.root_call(
            "AddUserToGroup",
            json!({"GroupName": format!("g{i:02}"), "UserName": "bo"}),
        )
        .unwrap();
    }
    // Adding a member again changes nothing and does not count against the quota.
    h.root_call(
        "AddUserToGroup",
        json!({"GroupName": "g00", "UserName": "BO"}),
    )
    .unwrap();
    let eleventh = h
        .root_call(
            "AddUserToGroup",
            json!({"GroupName": "g10", "UserName": "bo"}),
        )
        .unwrap_err();
    assert_eq!(
        eleventh,
        Error::LimitExceeded("Cannot exceed quota for GroupsPerUser: 10".to_owned())
    );

    let first = h
        .root_call(
            "ListGroupsForUser",
            json!({"UserName": "bo", "MaxItems": 6}),
        )
        .unwrap();
    assert_eq!(first["IsTruncated"], true);
    assert_eq!(
        names(&first["Groups"], "GroupName"),
        ["g00", "g01", "g02", "g03", "g04", "g05"]
    );
    let rest = h
        .root_call(
            "ListGroupsForUser",
            json!({"UserName": "bo", "Marker": first["Marker"]}),
        )
        .unwrap();
    assert_eq!(
        names(&rest["Groups"], "GroupName"),
        ["g06", "g07", "g08", "g09"]
    );

    let conflict = h
        .root_call("DeleteUser", json!({"UserName": "bo"}))
        .unwrap_err();
    assert!(matches!(conflict, Error::DeleteConflict(_)), "{conflict}");

    for name in ["cy", "di", "ed"] {
        h.root_call("CreateUser", json!({"UserName": name}))
            .unwrap();
        h.root_call(
            "AddUserToGroup",
            json!({"GroupName": "g10", "UserName": name}),
        )
        .unwrap();
    }
    let page = h
        .root_call("GetGroup", json!({"GroupName": "g10", "MaxItems": 2}))
        .unwrap();
    assert_eq!(names(&page["Users"], "UserName"), ["cy", "di"]);
    let next = h
        .root_call(
            "GetGroup",
            json!({"GroupName": "g10", "Marker": page["Marker"]}),
        )
        .unwrap();
    assert_eq!(names(&next["Users"], "UserName"), ["ed"]);
    assert_eq!(next["IsTruncated"], false);

    // Removing a user who is not a member succeeds, as on AWS.
    h.root_call(
        "RemoveUserFromGroup",
        json!({"GroupName": "g10", "UserName": "bo"}),
    )
    .unwrap();
    let no_user = h
        .root_call(
            "AddUserToGroup",
            json!({"GroupName": "g10", "UserName": "zed"}),
        )
        .unwrap_err();
    assert_eq!(
        no_user,
        Error::NoSuchEntity("The user with name zed cannot be found.".to_owned())
    );
    let no_group = h
        .root_call(
            "AddUserToGroup",
            json!({"GroupName": "nope", "UserName": "bo"}),
        )
        .unwrap_err();
    assert_eq!(
        no_group,
        Error::NoSuchEntity("The group with name nope cannot be found.".to_owned())
    );
    let unknown = h
        .root_call("ListGroupsForUser", json!({"UserName": "zed"}))
        .unwrap_err();
    assert!(matches!(unknown, Error::NoSuchEntity(_)), "{unknown}");
}

#[test]
fn inline_policies_for_users_and_groups() {
    let h = Harness::new();
    h.root_call("CreateUser", json!({"UserName": "cat"}))
        .unwrap();
    h.root_call("CreateGroup", json!({"GroupName": "team"}))
        .unwrap();
    let pretty = "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": {\"Effect\": \"Allow\", \"Action\": \"s3:*\", \"Resource\": \"*\"}\n}";
    for name in ["zeta", "alpha", "mid"] {
        h.root_call(
            "PutUserPolicy",
            json!({"UserName": "cat", "PolicyName": name, "PolicyDocument": pretty}),
        )
        .unwrap();
    }
    let got = h
        .root_call(
            "GetUserPolicy",
            json!({"UserName": "CAT", "PolicyName": "mid"}),
        )
        .unwrap();
    assert_eq!(
        got,
        json!({"UserName": "cat", "PolicyName": "mid", "PolicyDocument": pretty})
    );
    let listed = h
        .root_call("ListUserPolicies", json!({"UserName": "cat"}))
        .unwrap();
    assert_eq!(
        listed,
        json!({"PolicyNames": ["alpha", "mid", "zeta"], "IsTruncated": false})
    );
    let first = h
        .root_call(
            "ListUserPolicies",
            json!({"UserName": "cat", "MaxItems": 2}),
        )
        .unwrap();
    assert_eq!(first["PolicyNames"], json!(["alpha", "mid"]));
    let rest = h
        .root_call(
            "ListUserPolicies",
            json!({"UserName": "cat", "Marker": first["Marker"]}),
        )
        .unwrap();
    assert_eq!(rest["PolicyNames"], json!(["zeta"]));

    // Putting a policy again replaces it.
    h.root_call(
        "PutUserPolicy",
        json!({"UserName": "cat", "PolicyName": "mid", "PolicyDocument": LIST_USERS}),
    )
    .unwrap();
    let replaced = h
        .root_call(
            "GetUserPolicy",
            json!({"UserName": "cat", "PolicyName": "mid"}),
        )
        .unwrap();
    assert_eq!(replaced["PolicyDocument"], LIST_USERS);
    assert_eq!(
        h.root_call("ListUserPolicies", json!({"UserName": "cat"}))
            .unwrap()["PolicyNames"]
            .as_array()
            .unwrap()
            .len(),
        3
    );

    h.root_call(
        "DeleteUserPolicy",
        json!({"UserName": "cat", "PolicyName": "zeta"}),
    )
    .unwrap();
    let missing = h
        .root_call(
            "GetUserPolicy",
            json!({"UserName": "cat", "PolicyName": "zeta"}),
        )
        .unwrap_err();
    assert_eq!(
        missing,
        Error::NoSuchEntity("The user policy with name zeta cannot be found.".to_owned())
    );
    let missing = h
        .root_call(
            "DeleteUserPolicy",
            json!({"UserName": "cat", "PolicyName": "zeta"}),
        )
        .unwrap_err();
    assert!(matches!(missing, Error::NoSuchEntity(_)), "{missing}");
    let no_user = h
        .root_call(
            "PutUserPolicy",
            json!({"UserName": "dog", "PolicyName": "p", "PolicyDocument": LIST_USERS}),
        )
        .unwrap_err();
    assert_eq!(
        no_user,
        Error::NoSuchEntity("The user with name dog cannot be found.".to_owned())
    );

    let malformed = h
        .root_call("PutUserPolicy", json!({"UserName": "cat", "PolicyName": "bad", "PolicyDocument": r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*"}}"#}))
        .unwrap_err();
    let Error::MalformedPolicyDocument(text) = &malformed else {
        panic!("{malformed}")
    };
    assert!(
        text.starts_with("Policy statement must contain resources."),
        "{text}"
    );
    let not_json = h
        .root_call(
            "PutGroupPolicy",
            json!({"GroupName": "team", "PolicyName": "bad", "PolicyDocument": "{"}),
        )
        .unwrap_err();
    assert!(
        matches!(not_json, Error::MalformedPolicyDocument(_)),
        "{not_json}"
    );

    h.root_call(
        "PutGroupPolicy",
        json!({"GroupName": "team", "PolicyName": "list", "PolicyDocument": LIST_USERS}),
    )
    .unwrap();
    let group_policy = h
        .root_call(
            "GetGroupPolicy",
            json!({"GroupName": "team", "PolicyName": "list"}),
        )
        .unwrap();
    assert_eq!(group_policy["GroupName"], "team");
    assert_eq!(group_policy["PolicyDocument"], LIST_USERS);
    assert_eq!(
        h.root_call("ListGroupPolicies", json!({"GroupName": "team"}))
            .unwrap()["PolicyNames"],
        json!(["list"])
    );
    let missing = h
        .root_call(
            "GetGroupPolicy",
            json!({"GroupName": "team", "PolicyName": "nope"}),
        )
        .unwrap_err();
    assert_eq!(
        missing,
        Error::NoSuchEntity("The group policy with name nope cannot be found.".to_owned())
    );
    h.root_call(
        "DeleteGroupPolicy",
        json!({"GroupName": "team", "PolicyName": "list"}),
    )
    .unwrap();
    assert_eq!(
        h.root_call("ListGroupPolicies", json!({"GroupName": "team"}))
            .unwrap()["PolicyNames"],
        json!([])
    );
}

/// A document of exactly `size` characters once whitespace is removed.
fn document_of_size(size: usize) -> String {
    let head = r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::"#;
    let tail = r#""}}"#;
    let fill = size - head.len() - tail.len();
    format!("{head}{}{tail}", "b".repeat(fill))
}

#[test]
fn inline_size_limits_are_per_holder_and_ignore_whitespace() {
    let h = Harness::new();
    h.root_call("CreateUser", json!({"UserName": "eve"}))
        .unwrap();
    h.root_call("CreateGroup", json!({"GroupName": "big"}))
        .unwrap();
    let put_user = |name: &str, doc: &str| {
        h.root_call(
            "PutUserPolicy",
            json!({"UserName": "eve", "PolicyName": name, "PolicyDocument": doc}),
        )
    };
    put_user("one", &document_of_size(1000)).unwrap();
    // Whitespace does not count: 1,048 characters plus plenty of spaces fits.
    let spaced = document_of_size(1048).replace(',', " ,   ");
    put_user("two", &spaced).unwrap();
    let over = put_user("three", &document_of_size(150)).unwrap_err();
    assert_eq!(
        over,
        Error::LimitExceeded("Maximum policy size of 2048 bytes exceeded for user eve".to_owned())
    );
    // Replacing a policy counts its new size, not both.
    put_user("two", &document_of_size(1048)).unwrap();

    let put_group = |name: &str, doc: &str| {
        h.root_call(
            "PutGroupPolicy",
            json!({"GroupName": "big", "PolicyName": name, "PolicyDocument": doc}),
        )
    };
    put_group("one", &document_of_size(5000)).unwrap();
    let over = put_group("two", &document_of_size(200)).unwrap_err();
    assert_eq!(
        over,
        Error::LimitExceeded("Maximum policy size of 5120 bytes exceeded for group big".to_owned())
    );
}

#[test]
fn permissions_reach_users_through_groups() {
    let h = Harness::new();
    h.root_call("CreateUser", json!({"UserName": "fay"}))
        .unwrap();
    h.root_call("CreateGroup", json!({"GroupName": "listers"}))
        .unwrap();
    h.root_call(
        "PutGroupPolicy",
        json!({"GroupName": "listers", "PolicyName": "list", "PolicyDocument": LIST_USERS}),
    )
    .unwrap();
    let fay = h.user("fay");
    assert!(matches!(
        h.call(&fay, "ListUsers", json!({})),
        Err(Error::AccessDenied(_))
    ));
    h.root_call(
        "AddUserToGroup",
        json!({"GroupName": "listers", "UserName": "fay"}),
    )
    .unwrap();
    h.call(&fay, "ListUsers", json!({})).unwrap();
    h.root_call(
        "RemoveUserFromGroup",
        json!({"GroupName": "listers", "UserName": "fay"}),
    )
    .unwrap();
    assert!(matches!(
        h.call(&fay, "ListUsers", json!({})),
        Err(Error::AccessDenied(_))
    ));

    // A managed policy attached to the group works the same way.
    h.root_call("CreateGroup", json!({"GroupName": "readers"}))
        .unwrap();
    h.root_call(
        "AttachGroupPolicy",
        json!({"GroupName": "readers", "PolicyArn": "arn:aws:iam::aws:policy/IAMReadOnlyAccess"}),
    )
    .unwrap();
    h.root_call(
        "AddUserToGroup",
        json!({"GroupName": "readers", "UserName": "fay"}),
    )
    .unwrap();
    h.call(&fay, "ListGroups", json!({})).unwrap();
    h.call(&fay, "GetGroup", json!({"GroupName": "readers"}))
        .unwrap();
    assert!(matches!(
        h.call(&fay, "CreateGroup", json!({"GroupName": "mine"})),
        Err(Error::AccessDenied(_))
    ));

    // An explicit deny in any group's policy wins over every allow.
    h.root_call("CreateGroup", json!({"GroupName": "blocked"}))
        .unwrap();
    let deny = r#"{"Version":"2012-10-17","Statement":[{"Sid":"NoGroups","Effect":"Deny","Action":"iam:*Group*","Resource":"*"}]}"#;
    h.root_call(
        "PutGroupPolicy",
        json!({"GroupName": "blocked", "PolicyName": "deny", "PolicyDocument": deny}),
    )
    .unwrap();
    h.root_call(
        "AddUserToGroup",
        json!({"GroupName": "blocked", "UserName": "fay"}),
    )
    .unwrap();
    let denied = h.call(&fay, "ListGroups", json!({})).unwrap_err();
    assert_eq!(
        denied,
        Error::AccessDenied("User: arn:aws:iam::111122223333:user/fay is not authorized to perform: iam:ListGroups on resource: arn:aws:iam::111122223333:group/ with an explicit deny in an identity-based policy".to_owned())
    );
    // It denies only what it names.
    h.call(&fay, "ListUsers", json!({})).unwrap();
}

#[test]
fn denied_callers_learn_nothing_about_groups() {
    let h = Harness::new();
    h.root_call("CreateUser", json!({"UserName": "gus"}))
        .unwrap();
    let gus = h.user("gus");
    for (action, input) in [
        ("GetGroup", json!({"GroupName": "ghost"})),
        ("DeleteGroup", json!({"GroupName": "ghost"})),
        (
            "AddUserToGroup",
            json!({"GroupName": "ghost", "UserName": "nobody"}),
        ),
        (
            "GetGroupPolicy",
            json!({"GroupName": "ghost", "PolicyName": "p"}),
        ),
        (
            "PutUserPolicy",
            json!({"UserName": "nobody", "PolicyName": "p", "PolicyDocument": "{"}),
        ),
    ] {
        let denied = h.call(&gus, action, input).unwrap_err();
        assert!(
            matches!(denied, Error::AccessDenied(_)),
            "{action}: {denied}"
        );
    }
    let denied = h
        .call(&gus, "GetGroup", json!({"GroupName": "ghost"}))
        .unwrap_err();
    assert!(
        message(&denied).contains("on resource: arn:aws:iam::111122223333:group/ghost"),
        "{denied}"
    );
}
