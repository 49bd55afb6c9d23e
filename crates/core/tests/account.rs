//! Account-wide operations (aliases, GetAccountSummary, GetAccountAuthorizationDetails) and
//! user and policy tags, through `Service::call` as the edge calls them.

#![allow(
    clippy::unwrap_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test helpers, like the tests that call them, fail loudly"
)]

mod common;

use common::Harness;
use serde_json::{Value, json};
use warden_core::{Caller, Error, Identity};

const ACCOUNT: &str = "111122223333";
const READ_ONLY: &str = "arn:aws:iam::aws:policy/ReadOnlyAccess";

fn allow_all_s3() -> String {
    json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]})
        .to_string()
}

fn ec2_trust() -> String {
    json!({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]
    })
    .to_string()
}

/// A user whose only permissions are `statements` (an inline policy).
fn user_with(h: &Harness, name: &str, statements: Value) -> Caller {
    h.root_call("CreateUser", json!({"UserName": name}))
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
fn one_alias_per_account_unique_across_accounts() {
    let h = Harness::new();
    let aliases =
        || h.root_call("ListAccountAliases", json!({})).unwrap()["AccountAliases"].clone();
    assert_eq!(aliases(), json!([]));
    h.root_call(
        "CreateAccountAlias",
        json!({"AccountAlias": "example-corp"}),
    )
    .unwrap();
    assert_eq!(aliases(), json!(["example-corp"]));
    // A new alias replaces the old one.
    h.root_call(
        "CreateAccountAlias",
        json!({"AccountAlias": "example-corp-2"}),
    )
    .unwrap();
    assert_eq!(aliases(), json!(["example-corp-2"]));
    h.root_call(
        "CreateAccountAlias",
        json!({"AccountAlias": "example-corp-2"}),
    )
    .unwrap();

    for bad in ["ab", "-abc", "abc-", "a--b", "Upper", "with_underscore"] {
        let error = h
            .root_call("CreateAccountAlias", json!({"AccountAlias": bad}))
            .unwrap_err();
        assert!(matches!(error, Error::ValidationError(_)), "{bad}: {error}");
    }

    let other = h.service.create_account(Some("444455556666")).unwrap();
    let other_root = Caller {
        account: other,
        identity: Identity::Root,
        access_key_id: None,
    };
    let taken = h
        .call(
            &other_root,
            "CreateAccountAlias",
            json!({"AccountAlias": "example-corp-2"}),
        )
        .unwrap_err();
    assert_eq!(
        taken,
        Error::EntityAlreadyExists("The account alias example-corp-2 already exists.".to_owned())
    );
    h.call(
        &other_root,
        "CreateAccountAlias",
        json!({"AccountAlias": "example-corp"}),
    )
    .unwrap();

    let wrong = h
        .root_call(
            "DeleteAccountAlias",
            json!({"AccountAlias": "example-corp"}),
        )
        .unwrap_err();
    assert!(matches!(wrong, Error::NoSuchEntity(_)), "{wrong}");
    h.root_call(
        "DeleteAccountAlias",
        json!({"AccountAlias": "example-corp-2"}),
    )
    .unwrap();
    assert_eq!(aliases(), json!([]));
    h.call(
        &other_root,
        "CreateAccountAlias",
        json!({"AccountAlias": "example-corp-2"}),
    )
    .unwrap();
}

#[test]
fn account_operations_are_authorized_on_star() {
    let h = Harness::new();
    let nobody = user_with(
        &h,
        "nobody",
        json!([{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]),
    );
    for (action, input) in [
        ("GetAccountSummary", json!({})),
        ("ListAccountAliases", json!({})),
        ("CreateAccountAlias", json!({"AccountAlias": "mine"})),
        ("DeleteAccountAlias", json!({"AccountAlias": "mine"})),
        ("GetAccountAuthorizationDetails", json!({})),
    ] {
        let message = denied(h.call(&nobody, action, input));
        assert!(
            message.contains(&format!("iam:{action} on resource: *")),
            "{message}"
        );
    }
    let reader = user_with(
        &h,
        "reader",
        json!([{"Effect": "Allow", "Action": ["iam:GetAccountSummary", "iam:ListAccountAliases"], "Resource": "*"}]),
    );
    h.call(&reader, "GetAccountSummary", json!({})).unwrap();
    h.call(&reader, "ListAccountAliases", json!({})).unwrap();
}

#[test]
fn summary_counts_entities_and_reports_quotas() {
    let h = Harness::new();
    for name in ["a", "b"] {
        h.root_call("CreateUser", json!({"UserName": name}))
            .unwrap();
    }
    h.root_call("CreateGroup", json!({"GroupName": "g"}))
        .unwrap();
    h.root_call(
        "CreateRole",
        json!({"RoleName": "r", "AssumeRolePolicyDocument": ec2_trust()}),
    )
    .unwrap();
    h.root_call(
        "CreateInstanceProfile",
        json!({"InstanceProfileName": "ip"}),
    )
    .unwrap();
    h.root_call(
        "CreatePolicy",
        json!({"PolicyName": "mine", "PolicyDocument": allow_all_s3()}),
    )
    .unwrap();
    h.root_call(
        "AttachUserPolicy",
        json!({"UserName": "a", "PolicyArn": READ_ONLY}),
    )
    .unwrap();

    let summary = h.root_call("GetAccountSummary", json!({})).unwrap()["SummaryMap"].clone();
    let expected = [
        ("Users", 2),
        ("Groups", 1),
        ("Roles", 1),
        ("InstanceProfiles", 1),
        ("Policies", 1),
        ("PolicyVersionsInUse", 2),
        ("AccountAccessKeysPresent", 1),
        ("AccountMFAEnabled", 0),
        ("UsersQuota", 5000),
        ("GroupsQuota", 300),
        ("RolesQuota", 1000),
        ("PoliciesQuota", 1500),
        ("InstanceProfilesQuota", 1000),
        ("AccessKeysPerUserQuota", 2),
        ("GroupsPerUserQuota", 10),
        ("AttachedPoliciesPerUserQuota", 10),
        ("AttachedPoliciesPerGroupQuota", 10),
        ("AttachedPoliciesPerRoleQuota", 10),
        ("VersionsPerPolicyQuota", 5),
        ("PolicySizeQuota", 6144),
        ("UserPolicySizeQuota", 2048),
        ("GroupPolicySizeQuota", 5120),
        ("RolePolicySizeQuota", 10240),
        ("AssumeRolePolicySizeQuota", 2048),
        ("ServerCertificatesQuota", 20),
        ("ServerCertificates", 0),
        ("MFADevices", 0),
        ("MFADevicesInUse", 0),
        ("Providers", 0),
    ];
    for (key, value) in expected {
        assert_eq!(summary[key], value, "{key}");
    }
    // Every key is one AWS defines.
    assert_eq!(summary.as_object().unwrap().len(), 34);
}

#[test]
fn authorization_details_show_every_relationship() {
    let h = Harness::new();
    h.root_call(
        "CreateUser",
        json!({"UserName": "alice", "Tags": [{"Key": "team", "Value": "blue"}]}),
    )
    .unwrap();
    h.root_call(
        "PutUserPolicy",
        json!({"UserName": "alice", "PolicyName": "s3", "PolicyDocument": allow_all_s3()}),
    )
    .unwrap();
    h.root_call("CreateGroup", json!({"GroupName": "devs"}))
        .unwrap();
    h.root_call(
        "AddUserToGroup",
        json!({"GroupName": "devs", "UserName": "alice"}),
    )
    .unwrap();
    h.root_call(
        "AttachGroupPolicy",
        json!({"GroupName": "devs", "PolicyArn": READ_ONLY}),
    )
    .unwrap();
    let mine = h
        .root_call(
            "CreatePolicy",
            json!({"PolicyName": "mine", "PolicyDocument": allow_all_s3()}),
        )
        .unwrap()["Policy"]["Arn"]
        .clone();
    h.root_call(
        "AttachUserPolicy",
        json!({"UserName": "alice", "PolicyArn": mine}),
    )
    .unwrap();
    h.root_call(
        "CreateRole",
        json!({"RoleName": "web", "AssumeRolePolicyDocument": ec2_trust()}),
    )
    .unwrap();
    h.root_call(
        "CreateInstanceProfile",
        json!({"InstanceProfileName": "web-ip"}),
    )
    .unwrap();
    h.root_call(
        "AddRoleToInstanceProfile",
        json!({"InstanceProfileName": "web-ip", "RoleName": "web"}),
    )
    .unwrap();

    let all = h
        .root_call("GetAccountAuthorizationDetails", json!({}))
        .unwrap();
    assert_eq!(all["IsTruncated"], false);
    let user = &all["UserDetailList"][0];
    assert_eq!(user["UserName"], "alice");
    assert_eq!(user["GroupList"], json!(["devs"]));
    assert_eq!(
        user["UserPolicyList"],
        json!([{"PolicyName": "s3", "PolicyDocument": allow_all_s3()}])
    );
    assert_eq!(
        user["AttachedManagedPolicies"],
        json!([{"PolicyName": "mine", "PolicyArn": mine}])
    );
    assert_eq!(user["Tags"], json!([{"Key": "team", "Value": "blue"}]));
    let group = &all["GroupDetailList"][0];
    assert_eq!(group["GroupName"], "devs");
    assert_eq!(
        group["AttachedManagedPolicies"][0]["PolicyName"],
        "ReadOnlyAccess"
    );
    let role = &all["RoleDetailList"][0];
    assert_eq!(role["AssumeRolePolicyDocument"], ec2_trust());
    assert_eq!(
        role["InstanceProfileList"][0]["InstanceProfileName"],
        "web-ip"
    );
    assert_eq!(
        role["InstanceProfileList"][0]["Roles"][0]["RoleName"],
        "web"
    );
    assert_eq!(role["RolePolicyList"], json!([]));
    // Customer managed policies, then only the AWS managed policies the account uses.
    let policies = all["Policies"].as_array().unwrap();
    let names: Vec<_> = policies.iter().map(|p| p["PolicyName"].clone()).collect();
    assert_eq!(names, vec![json!("mine"), json!("ReadOnlyAccess")]);
    assert_eq!(policies[0]["AttachmentCount"], 1);
    assert_eq!(policies[0]["DefaultVersionId"], "v1");
    assert_eq!(
        policies[0]["PolicyVersionList"][0]["Document"],
        allow_all_s3()
    );
    assert_eq!(
        policies[0]["PolicyVersionList"][0]["IsDefaultVersion"],
        true
    );
    assert_eq!(policies[1]["Arn"], READ_ONLY);

    let roles_only = h
        .root_call(
            "GetAccountAuthorizationDetails",
            json!({"Filter": ["Role"]}),
        )
        .unwrap();
    assert_eq!(roles_only["UserDetailList"], json!([]));
    assert_eq!(roles_only["RoleDetailList"].as_array().unwrap().len(), 1);
    let local = h
        .root_call(
            "GetAccountAuthorizationDetails",
            json!({"Filter": ["LocalManagedPolicy"]}),
        )
        .unwrap();
    assert_eq!(local["Policies"].as_array().unwrap().len(), 1);
    let bad = h
        .root_call(
            "GetAccountAuthorizationDetails",
            json!({"Filter": ["Users"]}),
        )
        .unwrap_err();
    assert!(matches!(bad, Error::ValidationError(_)), "{bad}");

    // Pages run across the lists: user, group, role, policies.
    let mut marker = Value::Null;
    let mut seen = Vec::new();
    loop {
        let page = h
            .root_call(
                "GetAccountAuthorizationDetails",
                json!({"MaxItems": 2, "Marker": marker}),
            )
            .unwrap();
        for list in [
            "UserDetailList",
            "GroupDetailList",
            "RoleDetailList",
            "Policies",
        ] {
            seen.extend(page[list].as_array().unwrap().iter().map(|_| list));
        }
        if page["IsTruncated"] == false {
            break;
        }
        marker = page["Marker"].clone();
    }
    assert_eq!(
        seen,
        vec![
            "UserDetailList",
            "GroupDetailList",
            "RoleDetailList",
            "Policies",
            "Policies"
        ]
    );
}

#[test]
fn user_tags() {
    let h = Harness::new();
    h.root_call(
        "CreateUser",
        json!({"UserName": "u", "Tags": [{"Key": "team", "Value": "blue"}]}),
    )
    .unwrap();
    h.root_call("TagUser", json!({"UserName": "u", "Tags": [{"Key": "TEAM", "Value": "red"}, {"Key": "cost", "Value": "1"}]}))
        .unwrap();
    let tags = h
        .root_call("ListUserTags", json!({"UserName": "u"}))
        .unwrap();
    assert_eq!(
        tags["Tags"],
        json!([{"Key": "TEAM", "Value": "red"}, {"Key": "cost", "Value": "1"}])
    );
    assert_eq!(tags["IsTruncated"], false);
    h.root_call("UntagUser", json!({"UserName": "u", "TagKeys": ["team"]}))
        .unwrap();
    let tags = h
        .root_call("ListUserTags", json!({"UserName": "u"}))
        .unwrap();
    assert_eq!(tags["Tags"], json!([{"Key": "cost", "Value": "1"}]));
    let duplicate =
        json!({"UserName": "u", "Tags": [{"Key": "a", "Value": "1"}, {"Key": "A", "Value": "2"}]});
    assert!(matches!(
        h.root_call("TagUser", duplicate),
        Err(Error::InvalidInput(_))
    ));
    assert!(matches!(
        h.root_call(
            "TagUser",
            json!({"UserName": "ghost", "Tags": [{"Key": "a", "Value": "1"}]})
        ),
        Err(Error::NoSuchEntity(_))
    ));

    // Only tags whose value the request names may be set.
    let tagger = user_with(
        &h,
        "tagger",
        json!([{"Effect": "Allow", "Action": "iam:TagUser", "Resource": "*",
                "Condition": {"StringEquals": {"aws:RequestTag/env": ["dev", "test"]}}}]),
    );
    h.call(
        &tagger,
        "TagUser",
        json!({"UserName": "u", "Tags": [{"Key": "env", "Value": "dev"}]}),
    )
    .unwrap();
    denied(h.call(
        &tagger,
        "TagUser",
        json!({"UserName": "u", "Tags": [{"Key": "env", "Value": "prod"}]}),
    ));
    denied(h.call(&tagger, "ListUserTags", json!({"UserName": "u"})));
}

#[test]
fn policy_tags() {
    let h = Harness::new();
    let created = h
        .root_call(
            "CreatePolicy",
            json!({"PolicyName": "p", "PolicyDocument": allow_all_s3(), "Tags": [{"Key": "a", "Value": "1"}]}),
        )
        .unwrap();
    let arn = created["Policy"]["Arn"].as_str().unwrap().to_owned();
    h.root_call(
        "TagPolicy",
        json!({"PolicyArn": arn, "Tags": [{"Key": "b", "Value": "2"}]}),
    )
    .unwrap();
    let tags = h
        .root_call("ListPolicyTags", json!({"PolicyArn": arn}))
        .unwrap();
    assert_eq!(
        tags["Tags"],
        json!([{"Key": "a", "Value": "1"}, {"Key": "b", "Value": "2"}])
    );
    h.root_call("UntagPolicy", json!({"PolicyArn": arn, "TagKeys": ["a"]}))
        .unwrap();
    let tags = h
        .root_call("ListPolicyTags", json!({"PolicyArn": arn}))
        .unwrap();
    assert_eq!(tags["Tags"], json!([{"Key": "b", "Value": "2"}]));

    let missing = format!("arn:aws:iam::{ACCOUNT}:policy/missing");
    let error = h
        .root_call("ListPolicyTags", json!({"PolicyArn": missing}))
        .unwrap_err();
    assert_eq!(
        error,
        Error::NoSuchEntity(format!("Policy {missing} was not found."))
    );
    let aws = h
        .root_call(
            "TagPolicy",
            json!({"PolicyArn": READ_ONLY, "Tags": [{"Key": "a", "Value": "1"}]}),
        )
        .unwrap_err();
    assert!(matches!(aws, Error::InvalidInput(_)), "{aws}");
    assert_eq!(
        h.root_call("ListPolicyTags", json!({"PolicyArn": READ_ONLY}))
            .unwrap()["Tags"],
        json!([])
    );

    // Policies tagged for another team cannot be retagged.
    h.root_call(
        "TagPolicy",
        json!({"PolicyArn": arn, "Tags": [{"Key": "team", "Value": "red"}]}),
    )
    .unwrap();
    let blue = user_with(
        &h,
        "blue",
        json!([{"Effect": "Allow", "Action": ["iam:TagPolicy", "iam:UntagPolicy"], "Resource": "*",
                "Condition": {"StringEquals": {"aws:ResourceTag/team": "blue"}}}]),
    );
    denied(h.call(
        &blue,
        "UntagPolicy",
        json!({"PolicyArn": arn, "TagKeys": ["team"]}),
    ));
    h.root_call(
        "TagPolicy",
        json!({"PolicyArn": arn, "Tags": [{"Key": "team", "Value": "blue"}]}),
    )
    .unwrap();
    h.call(
        &blue,
        "TagPolicy",
        json!({"PolicyArn": arn, "Tags": [{"Key": "c", "Value": "3"}]}),
    )
    .unwrap();
}

/// A store that keeps every transaction it is given, to see what went together.
#[derive(Debug, Default)]
struct RecordingStore {
    inner: warden_core::store::MemoryStore,
    commits: std::sync::Mutex<Vec<Vec<warden_core::store::Change>>>,
}

impl warden_core::Store for RecordingStore {
    fn load(&self) -> Result<warden_core::store::Snapshot, warden_core::StoreError> {
        self.inner.load()
    }

    fn commit(
        &self,
        changes: &[warden_core::store::Change],
    ) -> Result<warden_core::store::Committed, warden_core::StoreError> {
        self.commits.lock().unwrap().push(changes.to_vec());
        self.inner.commit(changes)
    }

    fn changes_since(
        &self,
        seq: u64,
    ) -> Result<Vec<warden_core::store::Logged>, warden_core::StoreError> {
        self.inner.changes_since(seq)
    }

    fn clear(&self) -> Result<(), warden_core::StoreError> {
        self.inner.clear()
    }
}

/// The first start writes the account and its root user's key in one transaction, whether
/// the key is configured or generated: a crash cannot leave an account whose root user has
/// no credentials (later starts do not create the key again).
#[test]
fn an_account_and_its_root_key_are_one_transaction() {
    use std::sync::Arc;
    use warden_core::store::Kind;

    let configured =
        warden_core::Secret::new("wardenTestRootSecret000000000000000000000".to_owned());
    for root_key in [None, Some(("AKIAWARDENTESTROOT01", &configured))] {
        let store = Arc::new(RecordingStore::default());
        let service = warden_core::Service::open(
            Arc::clone(&store) as Arc<dyn warden_core::Store>,
            warden_core::MasterKey::from_bytes([3; 32]),
            Arc::new(common::FixedClock),
            Arc::new(warden_core::ids::OsRandom),
        )
        .unwrap();
        let bootstrap = service.bootstrap(Some(ACCOUNT), root_key).unwrap();
        assert!(bootstrap.created_account);
        assert_eq!(bootstrap.generated_root_key.is_some(), root_key.is_none());
        let commits = store.commits.lock().unwrap().clone();
        assert_eq!(commits.len(), 1, "{commits:?}");
        let kinds: Vec<Kind> = commits[0].iter().map(|change| change.key().0).collect();
        assert_eq!(kinds, [Kind::Account, Kind::AccessKey]);
    }
}
