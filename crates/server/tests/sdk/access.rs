//! Authentication and authorization as the SDK sees them: a user's own access key, denials
//! and grants applied to the very next call, deactivated and unknown keys, wrong secrets,
//! and the generated root credentials read by `aws-config` as a shared credentials file.

use aws_config::BehaviorVersion;
use aws_runtime::env_config::file::{EnvConfigFileKind, EnvConfigFiles};
use aws_sdk_iam::error::ProvideErrorMetadata;
use aws_sdk_iam::types::StatusType;

use crate::server::{ACCOUNT, Key, ROOT_KEY_ID, Server, unique};
use crate::{INVALID_TOKEN, SIGNATURE_MISMATCH, allow, failure, policy};

/// Creates `name` with an access key; returns the key.
async fn user_with_key(iam: &aws_sdk_iam::Client, name: &str) -> (Key, String) {
    let user = iam.create_user().user_name(name).send().await.unwrap();
    let user_id = user.user().unwrap().user_id().to_owned();
    let key = iam
        .create_access_key()
        .user_name(name)
        .send()
        .await
        .unwrap();
    let key = key.access_key().unwrap();
    assert_eq!(key.user_name(), name);
    assert_eq!(key.status(), &StatusType::Active);
    (
        Key {
            id: key.access_key_id().to_owned(),
            secret: key.secret_access_key().to_owned(),
        },
        user_id,
    )
}

#[tokio::test]
async fn user_key_is_denied_until_a_policy_allows() {
    let server = Server::start();
    let iam = server.root_iam();
    let name = unique("frank");
    let (key, user_id) = user_with_key(&iam, &name).await;

    let identity = server.sts(&key).get_caller_identity().send().await.unwrap();
    assert_eq!(identity.account(), Some(ACCOUNT));
    assert_eq!(identity.user_id(), Some(user_id.as_str()));
    assert_eq!(
        identity.arn(),
        Some(format!("arn:aws:iam::{ACCOUNT}:user/{name}").as_str())
    );

    let as_user = server.iam(&key);
    let (error, status) = failure(as_user.list_users().send().await);
    assert_eq!(error.code(), Some("AccessDenied"), "{error:?}");
    assert_eq!(status, 403);
    let message = error.message().unwrap();
    assert!(
        message.contains("is not authorized to perform: iam:ListUsers"),
        "{message}"
    );
    assert_eq!(
        message,
        format!(
            "User: arn:aws:iam::{ACCOUNT}:user/{name} is not authorized to perform: \
             iam:ListUsers on resource: arn:aws:iam::{ACCOUNT}:user/ because no \
             identity-based policy allows the iam:ListUsers action"
        )
    );

    iam.put_user_policy()
        .user_name(&name)
        .policy_name("list-users")
        .policy_document(allow(&["iam:ListUsers"]))
        .send()
        .await
        .unwrap();
    let listed = as_user.list_users().send().await.unwrap();
    assert!(
        listed.users().iter().any(|u| u.user_name() == name),
        "{listed:?}"
    );
    // Only what the policy allows.
    let (error, _) = failure(as_user.list_roles().send().await);
    assert_eq!(error.code(), Some("AccessDenied"), "{error:?}");

    // An explicit deny wins, and removing it restores the grant at once.
    iam.put_user_policy()
        .user_name(&name)
        .policy_name("deny")
        .policy_document(policy(serde_json::json!([
            {"Effect": "Deny", "Action": "iam:List*", "Resource": "*"}
        ])))
        .send()
        .await
        .unwrap();
    let (error, _) = failure(as_user.list_users().send().await);
    assert!(
        error
            .message()
            .unwrap()
            .ends_with("with an explicit deny in an identity-based policy"),
        "{error:?}"
    );
    iam.delete_user_policy()
        .user_name(&name)
        .policy_name("deny")
        .send()
        .await
        .unwrap();
    as_user.list_users().send().await.unwrap();
    let policies = iam
        .list_user_policies()
        .user_name(&name)
        .send()
        .await
        .unwrap();
    assert_eq!(policies.policy_names(), ["list-users"]);
    server.stop();
}

#[tokio::test]
async fn deactivated_key_is_refused() {
    let server = Server::start();
    let iam = server.root_iam();
    let name = unique("grace");
    let (key, _) = user_with_key(&iam, &name).await;
    let sts = server.sts(&key);
    sts.get_caller_identity().send().await.unwrap();

    iam.update_access_key()
        .user_name(&name)
        .access_key_id(&key.id)
        .status(StatusType::Inactive)
        .send()
        .await
        .unwrap();
    let keys = iam
        .list_access_keys()
        .user_name(&name)
        .send()
        .await
        .unwrap();
    let [metadata] = keys.access_key_metadata() else {
        panic!("{keys:?}");
    };
    assert_eq!(metadata.access_key_id(), Some(key.id.as_str()));
    assert_eq!(metadata.status(), Some(&StatusType::Inactive));

    let (error, status) = failure(sts.get_caller_identity().send().await);
    assert_eq!(error.code(), Some("InvalidClientTokenId"), "{error:?}");
    assert_eq!(error.message(), Some(INVALID_TOKEN));
    assert_eq!(status, 403);
    let (error, _) = failure(server.iam(&key).get_user().send().await);
    assert_eq!(error.code(), Some("InvalidClientTokenId"), "{error:?}");

    iam.update_access_key()
        .user_name(&name)
        .access_key_id(&key.id)
        .status(StatusType::Active)
        .send()
        .await
        .unwrap();
    sts.get_caller_identity().send().await.unwrap();

    iam.delete_access_key()
        .user_name(&name)
        .access_key_id(&key.id)
        .send()
        .await
        .unwrap();
    let (error, _) = failure(sts.get_caller_identity().send().await);
    assert_eq!(error.code(), Some("InvalidClientTokenId"), "{error:?}");
    server.stop();
}

#[tokio::test]
async fn wrong_secret_and_unknown_key() {
    let server = Server::start();
    let wrong = Key {
        id: ROOT_KEY_ID.to_owned(),
        secret: "wardenSdkWrongSecret00000000000000000000".to_owned(),
    };
    let (error, status) = failure(server.sts(&wrong).get_caller_identity().send().await);
    assert_eq!(error.code(), Some("SignatureDoesNotMatch"), "{error:?}");
    assert_eq!(error.message(), Some(SIGNATURE_MISMATCH));
    assert_eq!(status, 403);
    let (error, status) = failure(server.iam(&wrong).list_users().send().await);
    assert_eq!(error.code(), Some("SignatureDoesNotMatch"), "{error:?}");
    assert_eq!(status, 403);

    let unknown = Key {
        id: "AKIAWARDENSDKUNKNOWN".to_owned(),
        secret: "wardenSdkUnknownSecret000000000000000000".to_owned(),
    };
    let (error, status) = failure(server.sts(&unknown).get_caller_identity().send().await);
    assert_eq!(error.code(), Some("InvalidClientTokenId"), "{error:?}");
    assert_eq!(error.message(), Some(INVALID_TOKEN));
    assert_eq!(status, 403);
    server.stop();
}

/// A first start without configured root credentials writes them to `DATA/root-credentials`,
/// which `aws-config` reads as a shared credentials file.
#[tokio::test]
async fn generated_root_credentials_work_with_aws_config() {
    let server = Server::start_with(false);
    let file = server.data().join("root-credentials");
    assert!(file.exists(), "{}", server.log());
    let config = aws_config::defaults(BehaviorVersion::latest())
        .empty_test_environment()
        .profile_files(
            EnvConfigFiles::builder()
                .with_file(EnvConfigFileKind::Credentials, &file)
                .build(),
        )
        .region(aws_config::Region::new("us-east-1"))
        .endpoint_url(&server.endpoint)
        .http_client(server.http_client())
        .load()
        .await;

    let identity = aws_sdk_sts::Client::new(&config)
        .get_caller_identity()
        .send()
        .await
        .unwrap();
    assert_eq!(
        identity.arn(),
        Some(format!("arn:aws:iam::{ACCOUNT}:root").as_str())
    );
    let iam = aws_sdk_iam::Client::new(&config);
    let name = unique("heidi");
    iam.create_user().user_name(&name).send().await.unwrap();
    iam.get_user().user_name(&name).send().await.unwrap();

    // The configured-key root of other servers is not this one's.
    let (error, _) = failure(server.sts(&Key::root()).get_caller_identity().send().await);
    assert_eq!(error.code(), Some("InvalidClientTokenId"), "{error:?}");
    server.stop();
}
