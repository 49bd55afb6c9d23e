//! Unit tests of the Authorizer: AWS's words for each way a request is refused, and the
//! context keys every decision shares.

use serde_json::{Value, json};
use warden_policy::{Policy, PolicyKind, PrincipalKind};

use super::*;
use crate::action::TAG_SESSION;
use crate::authz::CallerPolicies;
use crate::ids::OsRandom;
use crate::model::{AccountId, UniqueId};
use crate::secret::MasterKey;
use crate::service::{Caller, Cx, Identity};
use crate::state::State;
use crate::store::MemoryStore;
use crate::time::Clock;

const ACCOUNT: &str = "111122223333";
const OTHER_ACCOUNT: &str = "444455556666";
const ALICE: &str = "arn:aws:iam::111122223333:user/alice";
const BOB: &str = "arn:aws:iam::111122223333:user/bob";
const PROVIDER: &str = "arn:aws:iam::111122223333:saml-provider/corp";
/// 2026-01-01T00:00:00Z.
const NOW: i64 = 1_767_225_600;

struct FixedClock;

impl Clock for FixedClock {
    fn now(&self) -> i64 {
        NOW
    }
}

fn service() -> Service {
    let service = Service::open(
        Arc::new(MemoryStore::default()),
        MasterKey::from_bytes([9; 32]),
        Arc::new(FixedClock),
        Arc::new(OsRandom),
    )
    .unwrap();
    service.bootstrap(Some(ACCOUNT), None).unwrap();
    service
}

/// A request signed for eu-west-1, so the IAM region override shows.
fn info() -> RequestInfo {
    RequestInfo {
        source_ip: Some("192.0.2.10".parse().unwrap()),
        secure_transport: true,
        user_agent: Some("warden-tests".to_owned()),
        region: "eu-west-1".to_owned(),
        request_id: "test".to_owned(),
    }
}

fn root_call(service: &Service, action: Action, input: Value) -> Value {
    let root = Caller {
        account: AccountId::parse(ACCOUNT).unwrap(),
        identity: Identity::Root,
        access_key_id: None,
    };
    service.call(&root, &info(), action, input).unwrap()
}

fn policy_set(id: &str, kind: PolicyKind, statements: Value) -> PolicySet {
    let text = json!({"Version": "2012-10-17", "Statement": statements}).to_string();
    let policy = Policy::parse(&text, kind).unwrap();
    PolicySet::from_policies([(id.to_owned(), Arc::new(policy))])
}

fn allow_all() -> Value {
    json!([{"Effect": "Allow", "Action": "*", "Resource": "*"}])
}

fn allow_s3() -> Value {
    json!([{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}])
}

fn allow_all_but_get_user() -> Value {
    json!([
        {"Effect": "Allow", "Action": "*", "Resource": "*"},
        {"Effect": "Deny", "Action": "iam:GetUser", "Resource": "*"}
    ])
}

/// Alice, with these identity policies, boundary and session policies (which make her caller
/// a role session, the only kind session policies bind; her ARN stays, for the messages).
fn alice(identity: Value, boundary: Option<Value>, session: Option<Value>) -> CachedCaller {
    let kind = if session.is_some() {
        PrincipalKind::AssumedRole
    } else {
        PrincipalKind::User
    };
    CachedCaller::new(
        0,
        CallerPolicies {
            principal: Principal {
                kind,
                account: ACCOUNT.to_owned(),
                arn: ALICE.to_owned(),
                role_arn: None,
                id: Some("AIDAALICE".to_owned()),
            },
            identity: policy_set("identity", PolicyKind::Identity, identity),
            boundary: boundary.map(|b| policy_set("boundary", PolicyKind::Boundary, b)),
            tags: Vec::new(),
            user_name: Some("alice".to_owned()),
        },
        session.map(|s| policy_set("session", PolicyKind::Session, s)),
        Context::new(),
    )
}

fn get_bob(caller: &CachedCaller) -> Result<(), Error> {
    let service = service();
    let info = info();
    let target = Target {
        action: "iam:GetUser",
        resource: BOB,
        shown: &|| BOB.to_owned(),
        account: ACCOUNT,
    };
    Authorizer::new(&service, &info).identity(caller, &Context::new(), &target)
}

fn denial(result: Result<(), Error>) -> String {
    match result {
        Err(Error::AccessDenied(message)) => message,
        other => panic!("expected AccessDenied, got {other:?}"),
    }
}

#[test]
fn an_identity_request_allowed_by_every_layer_passes() {
    let caller = alice(allow_all(), Some(allow_all()), Some(allow_all()));
    assert!(get_bob(&caller).is_ok());
}

#[test]
fn nothing_allowing_is_refused_for_want_of_an_identity_policy() {
    let caller = alice(allow_s3(), None, None);
    assert_eq!(
        denial(get_bob(&caller)),
        format!(
            "User: {ALICE} is not authorized to perform: iam:GetUser on resource: {BOB} because no identity-based policy allows the iam:GetUser action"
        )
    );
}

#[test]
fn an_explicit_deny_in_an_identity_policy_is_named() {
    let caller = alice(allow_all_but_get_user(), None, None);
    assert_eq!(
        denial(get_bob(&caller)),
        format!(
            "User: {ALICE} is not authorized to perform: iam:GetUser on resource: {BOB} with an explicit deny in an identity-based policy"
        )
    );
}

#[test]
fn a_boundary_that_does_not_allow_is_named() {
    let boundary = json!([{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]);
    let caller = alice(allow_all(), Some(boundary), None);
    assert_eq!(
        denial(get_bob(&caller)),
        format!(
            "User: {ALICE} is not authorized to perform: iam:GetUser on resource: {BOB} because no permissions boundary allows the iam:GetUser action"
        )
    );
}

#[test]
fn an_explicit_deny_in_a_boundary_is_named() {
    let caller = alice(allow_all(), Some(allow_all_but_get_user()), None);
    assert_eq!(
        denial(get_bob(&caller)),
        format!(
            "User: {ALICE} is not authorized to perform: iam:GetUser on resource: {BOB} with an explicit deny in a permissions boundary"
        )
    );
}

#[test]
fn a_session_policy_that_does_not_allow_is_named() {
    let session = json!([{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]);
    let caller = alice(allow_all(), None, Some(session));
    assert_eq!(
        denial(get_bob(&caller)),
        format!(
            "User: {ALICE} is not authorized to perform: iam:GetUser on resource: {BOB} because no session policy allows the iam:GetUser action"
        )
    );
}

#[test]
fn an_explicit_deny_in_a_session_policy_is_named() {
    let caller = alice(allow_all(), None, Some(allow_all_but_get_user()));
    assert_eq!(
        denial(get_bob(&caller)),
        format!(
            "User: {ALICE} is not authorized to perform: iam:GetUser on resource: {BOB} with an explicit deny in a session policy"
        )
    );
}

#[test]
fn the_message_names_the_resource_as_shown() {
    let service = service();
    let info = info();
    let target = Target {
        action: "iam:GetPolicy",
        resource: "arn:aws:iam::111122223333:policy/p",
        shown: &|| "policy arn:aws:iam::111122223333:policy/p".to_owned(),
        account: ACCOUNT,
    };
    let caller = alice(allow_s3(), None, None);
    let refused = Authorizer::new(&service, &info).identity(&caller, &Context::new(), &target);
    assert!(
        denial(refused).contains("on resource: policy arn:aws:iam::111122223333:policy/p because")
    );
}

fn assume(caller: &CachedCaller, role_account: &str) -> String {
    let service = service();
    let info = info();
    let role = format!("arn:aws:iam::{role_account}:role/r");
    let target = Target {
        action: "sts:AssumeRole",
        resource: &role,
        shown: &|| role.clone(),
        account: role_account,
    };
    denial(Authorizer::new(&service, &info).assume_role(
        caller,
        &Context::new(),
        None,
        &target,
        &AccountId::parse(ACCOUNT).unwrap(),
    ))
}

#[test]
fn assume_role_in_the_callers_account_carries_the_encoded_message() {
    let message = assume(&alice(allow_s3(), None, None), ACCOUNT);
    let sentence = format!(
        "User: {ALICE} is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::111122223333:role/r because no resource-based policy allows the sts:AssumeRole action. Encoded authorization failure message: "
    );
    assert!(message.starts_with(&sentence), "{message}");
    assert!(message.len() > sentence.len());
}

#[test]
fn assume_role_across_accounts_says_no_more_than_the_sentence() {
    let message = assume(&alice(allow_all(), None, None), OTHER_ACCOUNT);
    assert_eq!(
        message,
        format!(
            "User: {ALICE} is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::444455556666:role/r"
        )
    );
}

#[test]
fn federation_refusals_are_in_awss_words() {
    assert!(matches!(
        Federation::Saml.denied(),
        Error::AccessDenied(m) if m == "Not authorized to perform sts:AssumeRoleWithSAML"
    ));
    assert!(matches!(
        Federation::WebIdentity.denied(),
        Error::AccessDenied(m) if m == "Not authorized to perform sts:AssumeRoleWithWebIdentity"
    ));
}

#[test]
fn a_resource_policy_refusal_names_the_resource_as_shown() {
    let refused = no_resource_policy(
        ALICE,
        "iam:DeletePolicy",
        "policy arn:aws:iam::aws:policy/P",
    );
    assert_eq!(
        denial(Err(refused)),
        format!(
            "User: {ALICE} is not authorized to perform: iam:DeletePolicy on resource: policy arn:aws:iam::aws:policy/P because no resource-based policy allows the iam:DeletePolicy action"
        )
    );
}

/// Conditions on every key a federated trust decision shares with other requests, on the
/// role's keys and on one key the claims add.
fn federated_trust() -> Value {
    json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Principal": {"Federated": PROVIDER},
            "Action": ["sts:AssumeRoleWithSAML", "sts:TagSession"],
            "Condition": {
                "StringEquals": {
                    "aws:CurrentTime": "2026-01-01T00:00:00Z",
                    "aws:RequestedRegion": "eu-west-1",
                    "aws:UserAgent": "warden-tests",
                    "aws:PrincipalType": "WebIdentityUser",
                    "aws:FederatedProvider": PROVIDER,
                    "aws:ResourceAccount": ACCOUNT,
                    "aws:ResourceTag/team": "blue",
                    "sts:RoleSessionName": "alice",
                    "saml:sub": "alice@example.com"
                },
                "NumericEquals": {"aws:EpochTime": NOW.to_string()},
                "Bool": {"aws:SecureTransport": "true"},
                "IpAddress": {"aws:SourceIp": "192.0.2.0/24"}
            }
        }]
    })
}

/// Role `r`, tagged `team=blue`, trusting the SAML provider as [`federated_trust`] says (set
/// on the role directly: CreateRole wants the provider to exist).
fn federated_role(service: &Service) -> Role {
    let trusts_account = json!({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"AWS": ACCOUNT}, "Action": "sts:AssumeRole"}]
    });
    root_call(
        service,
        Action::CreateRole,
        json!({
            "RoleName": "r",
            "AssumeRolePolicyDocument": trusts_account.to_string(),
            "Tags": [{"Key": "team", "Value": "blue"}]
        }),
    );
    let mut role = service
        .read(|state| Ok(state.account(ACCOUNT).and_then(|a| a.role("r")).cloned()))
        .unwrap()
        .unwrap();
    role.trust =
        crate::model::Document::parse(&federated_trust().to_string(), PolicyKind::Trust).unwrap();
    role.bound_trust = None;
    role
}

fn saml(
    service: &Service,
    role: &Role,
    info: &RequestInfo,
    session: &str,
    also: &[&str],
) -> Result<(), Error> {
    Authorizer::new(service, info).federated(
        Federation::Saml,
        role,
        PROVIDER,
        session,
        |context| context.insert("saml:sub", "alice@example.com"),
        also,
    )
}

#[test]
fn a_federated_trust_decision_sees_the_shared_keys_and_the_claims() {
    let service = service();
    let role = federated_role(&service);
    assert!(saml(&service, &role, &info(), "alice", &[TAG_SESSION]).is_ok());
}

#[test]
fn a_federated_trust_decision_is_refused_when_a_key_differs() {
    let service = service();
    let role = federated_role(&service);
    let refused = saml(&service, &role, &info(), "mallory", &[]);
    assert_eq!(
        denial(refused),
        "Not authorized to perform sts:AssumeRoleWithSAML"
    );
    let plain = RequestInfo {
        secure_transport: false,
        ..info()
    };
    assert!(saml(&service, &role, &plain, "alice", &[]).is_err());
}

#[test]
fn every_further_action_of_a_federated_request_must_be_allowed_too() {
    let service = service();
    let role = federated_role(&service);
    let refused = saml(
        &service,
        &role,
        &info(),
        "alice",
        &["sts:SetSourceIdentity"],
    );
    assert_eq!(
        denial(refused),
        "Not authorized to perform sts:AssumeRoleWithSAML"
    );
}

/// Alice, an IAM user whose one policy allows `iam:GetUser` only with the context keys an
/// identity request is documented to carry.
fn with_alice<T>(condition: Value, f: impl FnOnce(&Cx<'_>, &State) -> T) -> T {
    let service = service();
    root_call(&service, Action::CreateUser, json!({"UserName": "alice"}));
    let document = json!({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*", "Condition": condition}]
    });
    root_call(
        &service,
        Action::PutUserPolicy,
        json!({"UserName": "alice", "PolicyName": "p", "PolicyDocument": document.to_string()}),
    );
    let user = root_call(&service, Action::GetUser, json!({"UserName": "alice"}));
    let caller = Caller {
        account: AccountId::parse(ACCOUNT).unwrap(),
        identity: Identity::User {
            id: UniqueId::new(user["User"]["UserId"].as_str().unwrap()),
        },
        access_key_id: None,
    };
    let info = info();
    let cx = Cx {
        service: &service,
        caller: &caller,
        info: &info,
        action: Action::GetUser,
    };
    service.read(|state| Ok(f(&cx, state))).unwrap()
}

#[test]
fn an_identity_request_sees_the_request_principal_and_resource_keys() {
    let condition = json!({
        "StringEquals": {
            "aws:CurrentTime": "2026-01-01T00:00:00Z",
            "aws:UserAgent": "warden-tests",
            "aws:PrincipalArn": ALICE,
            "aws:PrincipalAccount": ACCOUNT,
            "aws:PrincipalType": "User",
            "aws:username": "alice",
            "aws:ResourceAccount": ACCOUNT,
            "aws:ResourceTag/team": "blue",
            "iam:PassedToService": "ec2.amazonaws.com"
        },
        "NumericEquals": {"aws:EpochTime": NOW.to_string()},
        "Bool": {"aws:SecureTransport": "true"},
        "IpAddress": {"aws:SourceIp": "192.0.2.0/24"}
    });
    let tags = [Tag {
        key: "team".to_owned(),
        value: "blue".to_owned(),
    }];
    let extra = [(
        "iam:PassedToService".to_owned(),
        warden_policy::ContextValue::Single("ec2.amazonaws.com".to_owned()),
    )];
    with_alice(condition, |cx, state| {
        assert!(
            cx.authorize(state, "iam:GetUser", BOB, &tags, &extra)
                .is_ok()
        );
        assert!(
            cx.authorize(state, "iam:GetUser", BOB, &[], &extra)
                .is_err()
        );
        assert!(cx.authorize(state, "iam:GetUser", BOB, &tags, &[]).is_err());
    });
}

#[test]
fn iam_actions_are_decided_in_us_east_1_and_others_in_the_signed_region() {
    let in_region = |region: &str| json!({"StringEquals": {"aws:RequestedRegion": region}});
    with_alice(in_region("us-east-1"), |cx, state| {
        assert!(cx.authorize(state, "iam:GetUser", BOB, &[], &[]).is_ok());
        assert!(
            cx.authorize(state, "sts:GetCallerIdentity", "*", &[], &[])
                .is_err()
        );
    });
    with_alice(in_region("eu-west-1"), |cx, state| {
        assert!(cx.authorize(state, "iam:GetUser", BOB, &[], &[]).is_err());
        assert!(
            cx.authorize(state, "sts:GetCallerIdentity", "*", &[], &[])
                .is_ok()
        );
    });
}
