//! SAML providers and AssumeRoleWithSAML through the service, with responses signed by
//! pysaml2 and xmlsec1 and responses built and signed by warden-saml's tests (the fixtures of
//! `crates/saml/src/testdata`), and a clock the tests set.

#![allow(
    clippy::unwrap_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test helpers, like the tests that call them, fail loudly"
)]

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use serde_json::{Value, json};
use warden_core::ids::OsRandom;
use warden_core::store::{Kind, MemoryStore, Store};
use warden_core::time::Clock;
use warden_core::{Action, Caller, Error, Identity, MasterKey, RequestInfo, Service};

const ACCOUNT: &str = "111122223333";
const METADATA: &str = include_str!("../../saml/src/testdata/metadata.xml");
const RESPONSE: &str = include_str!("../../saml/src/testdata/both-sha256.xml");
const SHA1_RESPONSE: &str = include_str!("../../saml/src/testdata/assertion-sha1.xml");
const PROVIDER_ARN: &str = "arn:aws:iam::111122223333:saml-provider/idp";
const ROLE_ARN: &str = "arn:aws:iam::111122223333:role/saml-admin";
/// 2026-11-28T09:45:00Z, inside the fixtures' validity window.
const FIXTURE_TIME: i64 = 1_795_859_100;
/// Built responses, valid from 2026-01-01T00:00:00Z for five minutes (`a2`: an hour later),
/// bearer confirmations lasting five minutes unless their name says otherwise.
const BUILT_A1: &str = include_str!("../../saml/src/testdata/built/a1.xml");
const BUILT_A2_AN_HOUR_LATER: &str =
    include_str!("../../saml/src/testdata/built/a2-an-hour-later.xml");
const BUILT_OPEN_ENDED: &str = include_str!("../../saml/src/testdata/built/open-ended.xml");
const BUILT_ONE_HOUR: &str = include_str!("../../saml/src/testdata/built/one-hour.xml");
const BUILT_OVER_AN_HOUR: &str = include_str!("../../saml/src/testdata/built/over-an-hour.xml");
/// 2026-01-01T00:01:00Z, inside the built responses' validity window.
const BUILT_TIME: i64 = 1_767_225_660;

#[derive(Debug)]
struct TestClock(AtomicI64);

impl Clock for TestClock {
    fn now(&self) -> i64 {
        self.0.load(Ordering::SeqCst)
    }
}

struct Harness {
    service: Service,
    clock: Arc<TestClock>,
    store: Arc<MemoryStore>,
}

fn info() -> RequestInfo {
    RequestInfo {
        source_ip: Some("192.0.2.10".parse().unwrap()),
        secure_transport: true,
        user_agent: Some("warden-tests".to_owned()),
        region: "us-east-1".to_owned(),
        request_id: "test".to_owned(),
    }
}

fn root() -> Caller {
    Caller {
        account: warden_core::model::AccountId::parse(ACCOUNT).unwrap(),
        identity: Identity::Root,
        access_key_id: None,
    }
}

impl Harness {
    fn new() -> Harness {
        Harness::at(FIXTURE_TIME)
    }

    fn at(time: i64) -> Harness {
        let clock = Arc::new(TestClock(AtomicI64::new(time)));
        let h = Harness::open(Arc::new(MemoryStore::default()), clock);
        h.service.bootstrap(Some(ACCOUNT), None).unwrap();
        h
    }

    fn open(store: Arc<MemoryStore>, clock: Arc<TestClock>) -> Harness {
        let service = Service::open(
            Arc::clone(&store) as Arc<dyn Store>,
            MasterKey::from_bytes([7; 32]),
            Arc::clone(&clock) as Arc<dyn Clock>,
            Arc::new(OsRandom),
        )
        .unwrap();
        Harness {
            service,
            clock,
            store,
        }
    }

    /// Another service over the same store, as after a restart or on another node.
    fn reopen(&self) -> Harness {
        Harness::open(Arc::clone(&self.store), Arc::clone(&self.clock))
    }

    /// The used assertions recorded in the store.
    fn used_in_store(&self) -> usize {
        self.store
            .load()
            .unwrap()
            .records
            .iter()
            .filter(|r| r.record.kind == Kind::UsedAssertion)
            .count()
    }

    fn call(&self, action: &str, input: Value) -> Result<Value, Error> {
        let action = Action::named(action).unwrap_or_else(|| panic!("no operation {action}"));
        self.service.call(&root(), &info(), action, input)
    }

    fn provider(&self) -> Value {
        self.call(
            "CreateSAMLProvider",
            json!({"Name": "idp", "SAMLMetadataDocument": METADATA}),
        )
        .unwrap()
    }

    fn role(&self, name: &str, statement: Value) {
        let trust = json!({"Version": "2012-10-17", "Statement": statement});
        self.call(
            "CreateRole",
            json!({"RoleName": name, "AssumeRolePolicyDocument": trust.to_string()}),
        )
        .unwrap();
    }

    fn assume(&self, role: &str, response: &str) -> Result<Value, Error> {
        let encoded = encode(response.as_bytes());
        self.service.call_unsigned(
            &info(),
            Action::AssumeRoleWithSAML,
            json!({"RoleArn": role, "PrincipalArn": PROVIDER_ARN, "SAMLAssertion": encoded}),
        )
    }
}

fn encode(bytes: &[u8]) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// A trust statement for the provider with `actions`, and a condition on the recipient.
fn trusting(actions: &[&str], condition: Value) -> Value {
    json!([{
        "Effect": "Allow",
        "Principal": {"Federated": PROVIDER_ARN},
        "Action": actions,
        "Condition": condition,
    }])
}

fn everything() -> Value {
    trusting(
        &[
            "sts:AssumeRoleWithSAML",
            "sts:TagSession",
            "sts:SetSourceIdentity",
        ],
        json!({"StringEquals": {"SAML:aud": "https://signin.aws.amazon.com/saml"}}),
    )
}

#[test]
fn providers_are_created_read_listed_updated_tagged_and_deleted() {
    let h = Harness::new();
    let created = h
        .call(
            "CreateSAMLProvider",
            json!({"Name": "idp", "SAMLMetadataDocument": METADATA, "Tags": [{"Key": "env", "Value": "test"}]}),
        )
        .unwrap();
    assert_eq!(created["SAMLProviderArn"], PROVIDER_ARN);
    let got = h
        .call("GetSAMLProvider", json!({"SAMLProviderArn": PROVIDER_ARN}))
        .unwrap();
    assert_eq!(got["SAMLMetadataDocument"], METADATA);
    assert_eq!(got["CreateDate"], "2026-11-28T09:45:00Z");
    assert_eq!(got["ValidUntil"], "2126-11-28T09:45:00Z");
    assert_eq!(got["Tags"][0]["Key"], "env");
    assert_eq!(got["SAMLProviderUUID"].as_str().unwrap().len(), 32);
    let again = h.call(
        "CreateSAMLProvider",
        json!({"Name": "idp", "SAMLMetadataDocument": METADATA}),
    );
    assert!(matches!(again, Err(Error::EntityAlreadyExists(_))));
    let listed = h.call("ListSAMLProviders", json!({})).unwrap();
    assert_eq!(listed["SAMLProviderList"][0]["Arn"], PROVIDER_ARN);

    let dated = METADATA.replacen(
        "entityID=",
        "validUntil=\"2030-01-01T00:00:00Z\" entityID=",
        1,
    );
    h.call(
        "UpdateSAMLProvider",
        json!({"SAMLProviderArn": PROVIDER_ARN, "SAMLMetadataDocument": dated}),
    )
    .unwrap();
    let got = h
        .call("GetSAMLProvider", json!({"SAMLProviderArn": PROVIDER_ARN}))
        .unwrap();
    assert_eq!(got["ValidUntil"], "2030-01-01T00:00:00Z");
    let nothing = h.call(
        "UpdateSAMLProvider",
        json!({"SAMLProviderArn": PROVIDER_ARN}),
    );
    assert!(matches!(nothing, Err(Error::InvalidInput(m)) if m.contains("No updates")));

    h.call(
        "TagSAMLProvider",
        json!({"SAMLProviderArn": PROVIDER_ARN, "Tags": [{"Key": "b", "Value": "2"}]}),
    )
    .unwrap();
    h.call(
        "UntagSAMLProvider",
        json!({"SAMLProviderArn": PROVIDER_ARN, "TagKeys": ["env"]}),
    )
    .unwrap();
    let tags = h
        .call(
            "ListSAMLProviderTags",
            json!({"SAMLProviderArn": PROVIDER_ARN}),
        )
        .unwrap();
    assert_eq!(tags["Tags"], json!([{"Key": "b", "Value": "2"}]));

    h.call(
        "DeleteSAMLProvider",
        json!({"SAMLProviderArn": PROVIDER_ARN}),
    )
    .unwrap();
    let gone = h.call("GetSAMLProvider", json!({"SAMLProviderArn": PROVIDER_ARN}));
    assert!(matches!(gone, Err(Error::NoSuchEntity(_))));
    let bad = h.call(
        "GetSAMLProvider",
        json!({"SAMLProviderArn": "arn:aws:iam::111122223333:role/x"}),
    );
    assert!(matches!(bad, Err(Error::InvalidInput(_))));
}

#[test]
fn metadata_that_does_not_describe_a_signing_identity_provider_is_refused() {
    let h = Harness::new();
    for metadata in [
        METADATA.replace("IDPSSODescriptor", "SPSSODescriptor"),
        METADATA.replace("<ns2:X509Certificate>MII", "<ns2:X509Certificate>AII"),
        "<not-metadata/>".repeat(100),
    ] {
        let result = h.call(
            "CreateSAMLProvider",
            json!({"Name": "idp", "SAMLMetadataDocument": metadata}),
        );
        assert!(
            matches!(&result, Err(Error::InvalidInput(m)) if m.starts_with("Could not parse metadata")),
            "{result:?}"
        );
    }
    let required = h.call(
        "CreateSAMLProvider",
        json!({"Name": "idp", "SAMLMetadataDocument": METADATA, "AssertionEncryptionMode": "Required"}),
    );
    assert!(matches!(required, Err(Error::InvalidInput(_))));
}

#[test]
fn trust_policies_must_name_saml_providers_that_exist() {
    let h = Harness::new();
    let trust = json!({"Version": "2012-10-17", "Statement": everything()}).to_string();
    let missing = h.call(
        "CreateRole",
        json!({"RoleName": "saml-admin", "AssumeRolePolicyDocument": trust}),
    );
    assert!(
        matches!(&missing, Err(Error::MalformedPolicyDocument(m)) if m.contains("saml-provider/idp")),
        "{missing:?}"
    );
    h.provider();
    h.role("saml-admin", everything());
}

#[test]
fn a_signed_response_gives_a_role_session_that_works() {
    let h = Harness::new();
    h.provider();
    h.role("saml-admin", everything());
    let out = h.assume(ROLE_ARN, RESPONSE).unwrap();
    assert_eq!(
        out["AssumedRoleUser"]["Arn"],
        "arn:aws:sts::111122223333:assumed-role/saml-admin/alice@example.com"
    );
    assert_eq!(out["Subject"], "alice-0001");
    assert_eq!(out["SubjectType"], "persistent");
    assert_eq!(out["Issuer"], "http://idp.example.test/saml");
    assert_eq!(out["Audience"], "https://signin.aws.amazon.com/saml");
    assert_eq!(out["NameQualifier"], "nE5R/o/U/BaWJhblWjwdufZoebo=");
    assert_eq!(out["SourceIdentity"], "alice");
    // The SessionDuration attribute (1800 s) sets the session's length.
    assert_eq!(out["Credentials"]["Expiration"], "2026-11-28T10:15:00Z");

    let credentials = &out["Credentials"];
    let owner = h
        .service
        .authenticate_session(
            credentials["AccessKeyId"].as_str().unwrap(),
            credentials["SessionToken"].as_str().unwrap(),
        )
        .unwrap();
    let identity = h
        .service
        .call(&owner.caller, &info(), Action::GetCallerIdentity, json!({}))
        .unwrap();
    assert_eq!(identity["Arn"], out["AssumedRoleUser"]["Arn"]);
}

#[test]
fn the_trust_policy_and_the_role_attribute_decide() {
    let h = Harness::new();
    h.provider();
    // The reader role is in the response's Role attribute (with the provider first), but its
    // trust policy wants another subject.
    h.role(
        "reader",
        trusting(
            &[
                "sts:AssumeRoleWithSAML",
                "sts:TagSession",
                "sts:SetSourceIdentity",
            ],
            json!({"StringEquals": {"saml:sub": "somebody-else"}}),
        ),
    );
    let denied = h.assume("arn:aws:iam::111122223333:role/reader", RESPONSE);
    assert!(
        matches!(denied, Err(Error::AccessDenied(m)) if m == "Not authorized to perform sts:AssumeRoleWithSAML")
    );
    // Trusted, but the response carries session tags and the trust policy does not allow
    // sts:TagSession.
    h.role(
        "saml-admin",
        trusting(
            &["sts:AssumeRoleWithSAML", "sts:SetSourceIdentity"],
            json!({"StringEquals": {"saml:iss": "http://idp.example.test/saml"}}),
        ),
    );
    assert!(matches!(
        h.assume(ROLE_ARN, RESPONSE),
        Err(Error::AccessDenied(_))
    ));
    // A role the response does not name.
    h.role("other", everything());
    let unnamed = h.assume("arn:aws:iam::111122223333:role/other", RESPONSE);
    assert!(matches!(unnamed, Err(Error::AccessDenied(_))));
}

#[test]
fn responses_out_of_their_time_or_for_unknown_providers_are_refused() {
    let h = Harness::new();
    h.provider();
    h.role("saml-admin", everything());
    h.clock.0.store(FIXTURE_TIME + 3600, Ordering::SeqCst);
    assert!(matches!(
        h.assume(ROLE_ARN, RESPONSE),
        Err(Error::ExpiredIdentityToken(_))
    ));
    h.clock.0.store(FIXTURE_TIME - 3600, Ordering::SeqCst);
    assert!(matches!(
        h.assume(ROLE_ARN, RESPONSE),
        Err(Error::InvalidIdentityToken(_))
    ));
    h.clock.0.store(FIXTURE_TIME, Ordering::SeqCst);
    let tampered = RESPONSE.replace("saml-admin", "saml-admim");
    let result = h.assume("arn:aws:iam::111122223333:role/saml-admim", &tampered);
    assert!(
        matches!(result, Err(Error::InvalidIdentityToken(m)) if m == "Response signature invalid")
    );
    h.call(
        "DeleteSAMLProvider",
        json!({"SAMLProviderArn": PROVIDER_ARN}),
    )
    .unwrap();
    assert!(matches!(
        h.assume(ROLE_ARN, RESPONSE),
        Err(Error::InvalidIdentityToken(_))
    ));
}

fn replayed(result: Result<Value, Error>) {
    assert!(
        matches!(&result, Err(Error::InvalidIdentityToken(m)) if m == "Invalid SAML response"),
        "{result:?}"
    );
}

#[test]
fn a_response_gives_one_session() {
    let h = Harness::new();
    h.provider();
    h.role("saml-admin", everything());
    h.assume(ROLE_ARN, RESPONSE).unwrap();
    replayed(h.assume(ROLE_ARN, RESPONSE));
    // Another assertion of the same provider is another sign-in.
    h.assume(ROLE_ARN, SHA1_RESPONSE).unwrap();
    replayed(h.assume(ROLE_ARN, SHA1_RESPONSE));
}

#[test]
fn a_refused_response_is_not_used_up() {
    let h = Harness::new();
    h.provider();
    // No role the response names trusts the provider yet: refused, and not remembered.
    h.role(
        "saml-admin",
        trusting(
            &["sts:AssumeRoleWithSAML"],
            json!({"StringEquals": {"saml:sub": "somebody-else"}}),
        ),
    );
    assert!(matches!(
        h.assume(ROLE_ARN, RESPONSE),
        Err(Error::AccessDenied(_))
    ));
    assert_eq!(h.used_in_store(), 0);
    h.call("DeleteRole", json!({"RoleName": "saml-admin"}))
        .unwrap();
    h.role("saml-admin", everything());
    h.assume(ROLE_ARN, RESPONSE).unwrap();
}

#[test]
fn a_used_response_stays_used_after_a_restart() {
    let h = Harness::new();
    h.provider();
    h.role("saml-admin", everything());
    h.assume(ROLE_ARN, RESPONSE).unwrap();
    let again = h.reopen();
    replayed(again.assume(ROLE_ARN, RESPONSE));
}

#[test]
fn used_assertions_are_forgotten_once_they_expire() {
    let h = Harness::new();
    h.provider();
    h.role("saml-admin", everything());
    h.assume(ROLE_ARN, RESPONSE).unwrap();
    assert_eq!(h.used_in_store(), 1);
    h.service.expire_records().unwrap();
    assert_eq!(h.used_in_store(), 1, "not expired yet");
    // The confirmation's NotOnOrAfter (09:58:10Z) and the clock skew allowed (five minutes):
    // from then on the response is refused as expired, and its ID need not be kept.
    h.clock
        .0
        .store(FIXTURE_TIME + 13 * 60 + 10 + 300, Ordering::SeqCst);
    assert!(matches!(
        h.assume(ROLE_ARN, RESPONSE),
        Err(Error::ExpiredIdentityToken(_))
    ));
    h.service.expire_records().unwrap();
    assert_eq!(h.used_in_store(), 0);
    assert!(
        h.service
            .read(|s| Ok(s.used_assertions.is_empty()))
            .unwrap()
    );
}

#[test]
fn open_ended_and_long_lived_responses_are_refused() {
    let h = Harness::at(BUILT_TIME);
    h.provider();
    h.role("saml-admin", everything());
    replayed(h.assume(ROLE_ARN, BUILT_OPEN_ENDED));
    replayed(h.assume(ROLE_ARN, BUILT_OVER_AN_HOUR));
    h.assume(ROLE_ARN, BUILT_ONE_HOUR).unwrap();
}

#[test]
fn a_response_is_used_once_and_forgotten_when_the_next_is_used_after_it_expired() {
    let h = Harness::at(BUILT_TIME);
    h.provider();
    h.role("saml-admin", everything());
    h.assume(ROLE_ARN, BUILT_A1).unwrap();
    replayed(h.assume(ROLE_ARN, BUILT_A1));
    replayed(h.reopen().assume(ROLE_ARN, BUILT_A1));
    assert_eq!(h.used_in_store(), 1);

    // An hour later, another response: the first one's record goes in the same write.
    h.clock.0.store(BUILT_TIME + 3600, Ordering::SeqCst);
    h.assume(ROLE_ARN, BUILT_A2_AN_HOUR_LATER).unwrap();
    assert_eq!(h.used_in_store(), 1);
    assert_eq!(h.service.read(|s| Ok(s.used_assertions.len())).unwrap(), 1);
}
