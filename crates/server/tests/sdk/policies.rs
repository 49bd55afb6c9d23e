//! Managed policies and their versions, groups, and roles through the SDK: what each change
//! lets a user do on the very next call, and policy documents that come back URL-encoded
//! exactly as AWS sends them.

use std::collections::BTreeMap;

use aws_sdk_iam::error::ProvideErrorMetadata;
use aws_sdk_iam::operation::delete_group::DeleteGroupError;
use aws_sdk_iam::operation::delete_policy::DeletePolicyError;
use aws_sdk_iam::operation::get_role::GetRoleError;
use aws_sdk_iam::types::Tag;
use serde_json::{Value, json};

use crate::server::{ACCOUNT, Key, Server, unique};
use crate::{allow, assert_recent, decoded_document, failure, policy};

/// Creates `name` with an access key and returns an IAM client signing as it.
async fn user_client(server: &Server, name: &str) -> aws_sdk_iam::Client {
    let iam = server.root_iam();
    iam.create_user().user_name(name).send().await.unwrap();
    let key = iam
        .create_access_key()
        .user_name(name)
        .send()
        .await
        .unwrap();
    let key = key.access_key().unwrap();
    server.iam(&Key {
        id: key.access_key_id().to_owned(),
        secret: key.secret_access_key().to_owned(),
    })
}

fn denied<E: ProvideErrorMetadata + std::fmt::Debug>((error, status): (E, u16), action: &str) {
    assert_eq!(error.code(), Some("AccessDenied"), "{error:?}");
    assert_eq!(status, 403);
    let message = error.message().unwrap();
    assert!(
        message.contains(&format!("is not authorized to perform: {action}")),
        "{message}"
    );
}

#[tokio::test]
async fn managed_policy_versions_change_what_a_user_may_do() {
    let server = Server::start();
    let iam = server.root_iam();
    let name = unique("ivan");
    let as_user = user_client(&server, &name).await;

    let policy_name = unique("lister");
    let created = iam
        .create_policy()
        .policy_name(&policy_name)
        .description("lists roles")
        .policy_document(allow(&["iam:ListRoles"]))
        .send()
        .await
        .unwrap();
    let created = created.policy().unwrap();
    let arn = created.arn().unwrap().to_owned();
    assert_eq!(arn, format!("arn:aws:iam::{ACCOUNT}:policy/{policy_name}"));
    assert_eq!(created.default_version_id(), Some("v1"));
    assert_eq!(created.attachment_count(), Some(0));
    assert!(created.policy_id().unwrap().starts_with("ANPA"));
    assert_recent(created.create_date());

    denied(failure(as_user.list_roles().send().await), "iam:ListRoles");
    iam.attach_user_policy()
        .user_name(&name)
        .policy_arn(&arn)
        .send()
        .await
        .unwrap();
    as_user.list_roles().send().await.unwrap();
    denied(failure(as_user.list_users().send().await), "iam:ListUsers");
    let attached = iam
        .list_attached_user_policies()
        .user_name(&name)
        .send()
        .await
        .unwrap();
    let [only] = attached.attached_policies() else {
        panic!("{attached:?}");
    };
    assert_eq!(only.policy_arn(), Some(arn.as_str()));
    assert_eq!(only.policy_name(), Some(policy_name.as_str()));

    // A document with characters that URL-encoding changes, and a statement that can never
    // match, to check the round trip.
    let sent = policy(json!([
        {"Sid": "List", "Effect": "Allow", "Action": ["iam:ListUsers"], "Resource": "*"},
        {
            "Sid": "Odd",
            "Effect": "Deny",
            "Action": "iam:DeleteRole",
            "Resource": "arn:aws:iam::*:role/a b+c",
            "Condition": {"StringEquals": {"aws:username": ["100% ü", "x&y=z", "a/b?c#d"]}}
        }
    ]));
    let version = iam
        .create_policy_version()
        .policy_arn(&arn)
        .policy_document(&sent)
        .set_as_default(true)
        .send()
        .await
        .unwrap();
    let version = version.policy_version().unwrap();
    assert_eq!(version.version_id(), Some("v2"));
    assert!(version.is_default_version());
    assert_eq!(
        version.document(),
        None,
        "CreatePolicyVersion returns no document"
    );
    as_user.list_users().send().await.unwrap();
    denied(failure(as_user.list_roles().send().await), "iam:ListRoles");

    // The SDK hands the document over as AWS sends it: URL-encoded (RFC 3986).
    let fetched = iam
        .get_policy_version()
        .policy_arn(&arn)
        .version_id("v2")
        .send()
        .await
        .unwrap();
    let fetched = fetched.policy_version().unwrap();
    assert!(fetched.is_default_version());
    assert_eq!(
        decoded_document(fetched.document().unwrap()),
        serde_json::from_str::<Value>(&sent).unwrap()
    );
    let first = iam
        .get_policy_version()
        .policy_arn(&arn)
        .version_id("v1")
        .send()
        .await
        .unwrap();
    let first = first.policy_version().unwrap();
    assert!(!first.is_default_version());
    assert_eq!(
        decoded_document(first.document().unwrap()),
        serde_json::from_str::<Value>(&allow(&["iam:ListRoles"])).unwrap()
    );
    let versions = iam
        .list_policy_versions()
        .policy_arn(&arn)
        .send()
        .await
        .unwrap();
    let mut ids: Vec<&str> = versions
        .versions()
        .iter()
        .filter_map(|v| v.version_id())
        .collect();
    ids.sort_unstable();
    assert_eq!(ids, ["v1", "v2"]);

    let got = iam.get_policy().policy_arn(&arn).send().await.unwrap();
    assert_eq!(got.policy().unwrap().default_version_id(), Some("v2"));
    assert_eq!(got.policy().unwrap().attachment_count(), Some(1));

    // Back to v1, and then detached: the grant goes with it.
    iam.set_default_policy_version()
        .policy_arn(&arn)
        .version_id("v1")
        .send()
        .await
        .unwrap();
    as_user.list_roles().send().await.unwrap();
    let (error, status) = failure(iam.delete_policy().policy_arn(&arn).send().await);
    assert!(
        matches!(error, DeletePolicyError::DeleteConflictException(_)),
        "{error:?}"
    );
    assert_eq!(status, 409);
    iam.detach_user_policy()
        .user_name(&name)
        .policy_arn(&arn)
        .send()
        .await
        .unwrap();
    denied(failure(as_user.list_roles().send().await), "iam:ListRoles");
    server.stop();
}

#[tokio::test]
async fn group_policies_apply_to_members() {
    let server = Server::start();
    let iam = server.root_iam();
    let name = unique("judy");
    let as_user = user_client(&server, &name).await;
    let group = unique("readers");

    let created = iam.create_group().group_name(&group).send().await.unwrap();
    let created = created.group().unwrap();
    assert_eq!(
        created.arn(),
        format!("arn:aws:iam::{ACCOUNT}:group/{group}")
    );
    assert!(
        created.group_id().starts_with("AGPA"),
        "{}",
        created.group_id()
    );
    iam.put_group_policy()
        .group_name(&group)
        .policy_name("groups")
        .policy_document(allow(&["iam:ListGroups"]))
        .send()
        .await
        .unwrap();
    let managed = iam
        .create_policy()
        .policy_name(unique("get-group"))
        .policy_document(allow(&["iam:GetGroup"]))
        .send()
        .await
        .unwrap();
    let managed = managed.policy().unwrap().arn().unwrap().to_owned();
    iam.attach_group_policy()
        .group_name(&group)
        .policy_arn(&managed)
        .send()
        .await
        .unwrap();

    denied(
        failure(as_user.list_groups().send().await),
        "iam:ListGroups",
    );
    iam.add_user_to_group()
        .group_name(&group)
        .user_name(&name)
        .send()
        .await
        .unwrap();
    let groups = as_user.list_groups().send().await.unwrap();
    assert!(groups.groups().iter().any(|g| g.group_name() == group));
    let members = as_user.get_group().group_name(&group).send().await.unwrap();
    let names: Vec<&str> = members.users().iter().map(|u| u.user_name()).collect();
    assert_eq!(names, [name.as_str()]);
    let of_user = iam
        .list_groups_for_user()
        .user_name(&name)
        .send()
        .await
        .unwrap();
    assert_eq!(of_user.groups().len(), 1);

    let (error, status) = failure(iam.delete_group().group_name(&group).send().await);
    let DeleteGroupError::DeleteConflictException(ref inner) = error else {
        panic!("expected DeleteConflictException, got {error:?}");
    };
    assert_eq!(
        inner.message(),
        Some("Cannot delete entity, must remove users from group first.")
    );
    assert_eq!(status, 409);

    iam.remove_user_from_group()
        .group_name(&group)
        .user_name(&name)
        .send()
        .await
        .unwrap();
    denied(
        failure(as_user.list_groups().send().await),
        "iam:ListGroups",
    );
    denied(
        failure(as_user.get_group().group_name(&group).send().await),
        "iam:GetGroup",
    );
    server.stop();
}

#[tokio::test]
async fn roles_with_trust_policy_and_tags() {
    let server = Server::start();
    let iam = server.root_iam();
    let name = unique("builder");
    let trust = policy(json!([{
        "Effect": "Allow",
        "Principal": {"Service": "ec2.amazonaws.com", "AWS": format!("arn:aws:iam::{ACCOUNT}:root")},
        "Action": "sts:AssumeRole",
        "Condition": {"StringEquals": {"sts:ExternalId": "a+b c/d"}}
    }]));
    let tags = [("team", "blue"), ("env", "ci test")];

    let mut create = iam
        .create_role()
        .role_name(&name)
        .path("/service/")
        .description("builds things")
        .max_session_duration(7200)
        .assume_role_policy_document(&trust);
    for (key, value) in tags {
        create = create.tags(Tag::builder().key(key).value(value).build().unwrap());
    }
    let created = create.send().await.unwrap();
    let role = created.role().unwrap();
    assert_eq!(role.role_name(), name);
    assert_eq!(role.path(), "/service/");
    assert_eq!(
        role.arn(),
        format!("arn:aws:iam::{ACCOUNT}:role/service/{name}")
    );
    assert!(role.role_id().starts_with("AROA"), "{}", role.role_id());
    assert_recent(Some(role.create_date()));
    let expected_tags: BTreeMap<String, String> = tags
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    let tag_map = |tags: &[Tag]| -> BTreeMap<String, String> {
        tags.iter()
            .map(|t| (t.key().to_owned(), t.value().to_owned()))
            .collect()
    };
    assert_eq!(tag_map(role.tags()), expected_tags);

    let got = iam.get_role().role_name(&name).send().await.unwrap();
    let got = got.role().unwrap();
    assert_eq!(got.role_id(), role.role_id());
    assert_eq!(got.description(), Some("builds things"));
    assert_eq!(got.max_session_duration(), Some(7200));
    assert_eq!(tag_map(got.tags()), expected_tags);
    assert_eq!(
        decoded_document(got.assume_role_policy_document().unwrap()),
        serde_json::from_str::<Value>(&trust).unwrap()
    );
    let listed_tags = iam.list_role_tags().role_name(&name).send().await.unwrap();
    assert_eq!(tag_map(listed_tags.tags()), expected_tags);

    let other = unique("runner");
    iam.create_role()
        .role_name(&other)
        .assume_role_policy_document(&trust)
        .send()
        .await
        .unwrap();
    let roles: Vec<_> = iam
        .list_roles()
        .max_items(1)
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .unwrap();
    let mine = roles.iter().find(|r| r.role_name() == name).unwrap();
    assert_eq!(mine.arn(), role.arn());
    assert_eq!(
        decoded_document(mine.assume_role_policy_document().unwrap()),
        serde_json::from_str::<Value>(&trust).unwrap()
    );
    assert!(roles.iter().any(|r| r.role_name() == other));
    let under_path = iam
        .list_roles()
        .path_prefix("/service/")
        .send()
        .await
        .unwrap();
    let names: Vec<&str> = under_path.roles().iter().map(|r| r.role_name()).collect();
    assert_eq!(names, [name.as_str()]);

    iam.delete_role().role_name(&other).send().await.unwrap();
    let (error, status) = failure(iam.get_role().role_name(&other).send().await);
    let GetRoleError::NoSuchEntityException(ref inner) = error else {
        panic!("expected NoSuchEntityException, got {error:?}");
    };
    assert_eq!(
        inner.message(),
        Some(format!("The role with name {other} cannot be found.").as_str())
    );
    assert_eq!(status, 404);
    server.stop();
}
