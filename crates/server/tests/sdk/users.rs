//! Users through the SDK: the caller's identity, the user lifecycle with the SDK's
//! paginator, tags, and the typed errors AWS answers with.

use std::collections::BTreeMap;

use aws_sdk_iam::error::ProvideErrorMetadata;
use aws_sdk_iam::operation::RequestId;
use aws_sdk_iam::operation::create_access_key::CreateAccessKeyError;
use aws_sdk_iam::operation::create_user::CreateUserError;
use aws_sdk_iam::operation::delete_user::DeleteUserError;
use aws_sdk_iam::operation::get_user::GetUserError;
use aws_sdk_iam::operation::update_user::UpdateUserError;
use aws_sdk_iam::types::Tag;

use crate::server::{ACCOUNT, Key, Server, unique};
use crate::{assert_recent, failure};

fn tag(key: &str, value: &str) -> Tag {
    Tag::builder().key(key).value(value).build().unwrap()
}

fn tag_map(tags: &[Tag]) -> BTreeMap<String, String> {
    tags.iter()
        .map(|t| (t.key().to_owned(), t.value().to_owned()))
        .collect()
}

#[tokio::test]
async fn root_caller_identity() {
    let server = Server::start();
    let identity = server
        .sts(&Key::root())
        .get_caller_identity()
        .send()
        .await
        .unwrap();
    assert_eq!(identity.account(), Some(ACCOUNT));
    assert_eq!(
        identity.arn(),
        Some(format!("arn:aws:iam::{ACCOUNT}:root").as_str())
    );
    // AWS gives the account id as the root user's UserId.
    assert_eq!(identity.user_id(), Some(ACCOUNT));
    server.stop();
}

#[tokio::test]
async fn user_lifecycle_with_paginator() {
    let server = Server::start();
    let iam = server.root_iam();
    let name = unique("alice");

    let created = iam.create_user().user_name(&name).send().await.unwrap();
    let user = created.user().unwrap();
    assert_eq!(user.user_name(), name);
    assert_eq!(user.path(), "/");
    assert_eq!(user.arn(), format!("arn:aws:iam::{ACCOUNT}:user/{name}"));
    assert!(user.user_id().starts_with("AIDA"), "{}", user.user_id());
    assert_eq!(user.user_id().len(), 21, "{}", user.user_id());
    assert_recent(Some(user.create_date()));
    let request_id = created.request_id().map(str::to_owned);
    assert!(
        request_id.as_ref().is_some_and(|id| id.len() == 36),
        "the SDK reads the request id from the x-amzn-RequestId header: {request_id:?}"
    );

    let fetched = iam.get_user().user_name(&name).send().await.unwrap();
    assert_ne!(
        fetched.request_id(),
        request_id.as_deref(),
        "a request id per request"
    );
    let fetched = fetched.user().unwrap();
    assert_eq!(fetched.user_id(), user.user_id());
    assert_eq!(fetched.arn(), user.arn());
    assert_eq!(fetched.create_date(), user.create_date());

    // Five users under a path of their own, listed two at a time.
    let path = format!("/{}/", unique("team"));
    let mut names: Vec<String> = (0..5).map(|i| format!("{name}-{i}")).collect();
    for n in &names {
        iam.create_user()
            .user_name(n)
            .path(&path)
            .send()
            .await
            .unwrap();
    }
    let pages: Vec<_> = iam
        .list_users()
        .path_prefix(&path)
        .max_items(2)
        .into_paginator()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .unwrap();
    let sizes: Vec<usize> = pages.iter().map(|p| p.users().len()).collect();
    assert_eq!(sizes, [2, 2, 1]);
    let truncated: Vec<bool> = pages.iter().map(|p| p.is_truncated()).collect();
    assert_eq!(truncated, [true, true, false]);
    let mut listed: Vec<String> = iam
        .list_users()
        .path_prefix(&path)
        .max_items(2)
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .unwrap()
        .into_iter()
        .inspect(|u| assert_eq!(u.path(), path))
        .map(|u| u.user_name().to_owned())
        .collect();
    listed.sort();
    names.sort();
    assert_eq!(listed, names);

    // A rename moves the user; the old name is gone.
    let renamed = unique("bob");
    let moved = format!("/{}/", unique("moved"));
    iam.update_user()
        .user_name(&name)
        .new_user_name(&renamed)
        .new_path(&moved)
        .send()
        .await
        .unwrap();
    let after = iam.get_user().user_name(&renamed).send().await.unwrap();
    let after = after.user().unwrap();
    assert_eq!(after.user_id(), user.user_id());
    assert_eq!(after.path(), moved);
    assert_eq!(
        after.arn(),
        format!("arn:aws:iam::{ACCOUNT}:user{moved}{renamed}")
    );
    let (error, status) = failure(iam.get_user().user_name(&name).send().await);
    assert!(
        matches!(error, GetUserError::NoSuchEntityException(_)),
        "{error:?}"
    );
    assert_eq!(status, 404);

    iam.delete_user().user_name(&renamed).send().await.unwrap();
    let (error, _) = failure(iam.get_user().user_name(&renamed).send().await);
    assert!(
        matches!(error, GetUserError::NoSuchEntityException(_)),
        "{error:?}"
    );
    let (error, status) = failure(iam.delete_user().user_name(&renamed).send().await);
    assert!(
        matches!(error, DeleteUserError::NoSuchEntityException(_)),
        "{error:?}"
    );
    assert_eq!(status, 404);
    server.stop();
}

#[tokio::test]
async fn typed_errors_with_aws_messages() {
    let server = Server::start();
    let iam = server.root_iam();
    let name = unique("carol");

    let missing = unique("nobody");
    let (error, status) = failure(iam.get_user().user_name(&missing).send().await);
    let GetUserError::NoSuchEntityException(ref inner) = error else {
        panic!("expected NoSuchEntityException, got {error:?}");
    };
    assert_eq!(
        inner.message(),
        Some(format!("The user with name {missing} cannot be found.").as_str())
    );
    assert_eq!(error.code(), Some("NoSuchEntity"));
    assert_eq!(status, 404);
    assert!(
        error.request_id().is_some_and(|id| id.len() == 36),
        "errors carry the request id too: {error:?}"
    );

    iam.create_user().user_name(&name).send().await.unwrap();
    let (error, status) = failure(iam.create_user().user_name(&name).send().await);
    let CreateUserError::EntityAlreadyExistsException(ref inner) = error else {
        panic!("expected EntityAlreadyExistsException, got {error:?}");
    };
    assert_eq!(
        inner.message(),
        Some(format!("User with name {name} already exists.").as_str())
    );
    assert_eq!(error.code(), Some("EntityAlreadyExists"));
    assert_eq!(status, 409);

    // User names are unique without regard to case.
    let (error, _) = failure(
        iam.create_user()
            .user_name(name.to_uppercase())
            .send()
            .await,
    );
    assert!(
        matches!(error, CreateUserError::EntityAlreadyExistsException(_)),
        "{error:?}"
    );
    let other = unique("dave");
    iam.create_user().user_name(&other).send().await.unwrap();
    let (error, _) = failure(
        iam.update_user()
            .user_name(&other)
            .new_user_name(&name)
            .send()
            .await,
    );
    assert!(
        matches!(error, UpdateUserError::EntityAlreadyExistsException(_)),
        "{error:?}"
    );

    let first = iam
        .create_access_key()
        .user_name(&name)
        .send()
        .await
        .unwrap();
    let first = first.access_key().unwrap();
    assert!(
        first.access_key_id().starts_with("AKIA"),
        "{}",
        first.access_key_id()
    );
    assert_eq!(first.secret_access_key().len(), 40);
    iam.create_access_key()
        .user_name(&name)
        .send()
        .await
        .unwrap();
    let (error, status) = failure(iam.create_access_key().user_name(&name).send().await);
    let CreateAccessKeyError::LimitExceededException(ref inner) = error else {
        panic!("expected LimitExceededException, got {error:?}");
    };
    assert_eq!(
        inner.message(),
        Some("Cannot exceed quota for AccessKeysPerUser: 2")
    );
    assert_eq!(status, 409);
    let keys = iam
        .list_access_keys()
        .user_name(&name)
        .send()
        .await
        .unwrap();
    assert_eq!(keys.access_key_metadata().len(), 2);

    let (error, status) = failure(iam.delete_user().user_name(&name).send().await);
    let DeleteUserError::DeleteConflictException(ref inner) = error else {
        panic!("expected DeleteConflictException, got {error:?}");
    };
    assert_eq!(
        inner.message(),
        Some("Cannot delete entity, must delete access keys first.")
    );
    assert_eq!(error.code(), Some("DeleteConflict"));
    assert_eq!(status, 409);
    // The refused delete changed nothing.
    iam.get_user().user_name(&name).send().await.unwrap();

    for key in keys.access_key_metadata() {
        iam.delete_access_key()
            .user_name(&name)
            .access_key_id(key.access_key_id().unwrap())
            .send()
            .await
            .unwrap();
    }
    iam.delete_user().user_name(&name).send().await.unwrap();
    server.stop();
}

#[tokio::test]
async fn user_tags() {
    let server = Server::start();
    let iam = server.root_iam();
    let name = unique("erin");

    let created = iam
        .create_user()
        .user_name(&name)
        .tags(tag("team", "blue"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        tag_map(created.user().unwrap().tags()),
        BTreeMap::from([("team".to_owned(), "blue".to_owned())])
    );

    iam.tag_user()
        .user_name(&name)
        .tags(tag("cost-center", "12 34/ü+="))
        .tags(tag("team", "red"))
        .send()
        .await
        .unwrap();
    let listed = iam.list_user_tags().user_name(&name).send().await.unwrap();
    let expected = BTreeMap::from([
        ("cost-center".to_owned(), "12 34/ü+=".to_owned()),
        ("team".to_owned(), "red".to_owned()),
    ]);
    assert_eq!(tag_map(listed.tags()), expected);
    assert!(!listed.is_truncated());
    let user = iam.get_user().user_name(&name).send().await.unwrap();
    assert_eq!(tag_map(user.user().unwrap().tags()), expected);

    iam.untag_user()
        .user_name(&name)
        .tag_keys("team")
        .send()
        .await
        .unwrap();
    let listed = iam.list_user_tags().user_name(&name).send().await.unwrap();
    assert_eq!(
        tag_map(listed.tags()),
        BTreeMap::from([("cost-center".to_owned(), "12 34/ü+=".to_owned())])
    );
    server.stop();
}
