//! OpenID Connect providers and AssumeRoleWithWebIdentity through the service, with an issuer
//! whose discovery document and JWKS a test fetcher serves, and a clock the tests move.

#![allow(
    clippy::unwrap_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test helpers, like the tests that call them, fail loudly"
)]

use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use jsonwebtoken::jwk::Jwk;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};
use warden_core::ids::OsRandom;
use warden_core::store::MemoryStore;
use warden_core::time::Clock;
use warden_core::{
    Action, Caller, Error, FetchError, Identity, MasterKey, OidcFetcher, RequestInfo, Service,
    ServiceConfig,
};

const ACCOUNT: &str = "111122223333";
const START: i64 = 1_767_225_600;
const ISSUER: &str = "https://issuer.example.com/tenant";
const HOST: &str = "issuer.example.com/tenant";
const PROVIDER_ARN: &str = "arn:aws:iam::111122223333:oidc-provider/issuer.example.com/tenant";
const DISCOVERY: &str = "https://issuer.example.com/tenant/.well-known/openid-configuration";
const JWKS: &str = "https://keys.example.com/jwks";
const RSA_A: &[u8] = include_bytes!("oidc/rsa-a.der");
const RSA_B: &[u8] = include_bytes!("oidc/rsa-b.der");

#[derive(Debug)]
struct TestClock(AtomicI64);

impl Clock for TestClock {
    fn now(&self) -> i64 {
        self.0.load(Ordering::SeqCst)
    }
}

/// Serves fixed documents by URL, or one failure for every URL; counts fetches. While its
/// gate is held, fetches wait for it to open (an issuer that does not answer).
#[derive(Debug, Default)]
struct Issuer {
    documents: Mutex<HashMap<String, Vec<u8>>>,
    failure: Mutex<Option<FetchError>>,
    fetches: AtomicUsize,
    thumbprints: Mutex<Vec<String>>,
    held: Mutex<bool>,
    opened: Condvar,
}

impl OidcFetcher for Issuer {
    fn fetch(&self, url: &str, thumbprints: &[String]) -> Result<Vec<u8>, FetchError> {
        self.fetches.fetch_add(1, Ordering::SeqCst);
        *self.thumbprints.lock().unwrap() = thumbprints.to_vec();
        let mut held = self.held.lock().unwrap();
        while *held {
            held = self.opened.wait(held).unwrap();
        }
        drop(held);
        if let Some(failure) = self.failure.lock().unwrap().clone() {
            return Err(failure);
        }
        let documents = self.documents.lock().unwrap();
        documents
            .get(url)
            .cloned()
            .ok_or_else(|| FetchError::Refused(format!("404 for {url}")))
    }
}

impl Issuer {
    fn hold(&self) {
        *self.held.lock().unwrap() = true;
    }

    fn release(&self) {
        *self.held.lock().unwrap() = false;
        self.opened.notify_all();
    }

    /// Publishes the discovery document and a JWKS of `keys` (DER, kid).
    fn publish(&self, keys: &[(&[u8], &str)]) {
        let keys: Vec<Value> = keys
            .iter()
            .map(|(der, kid)| {
                let key = EncodingKey::from_rsa_der(der);
                let mut jwk = Jwk::from_encoding_key(&key, Algorithm::RS256).unwrap();
                jwk.common.key_id = Some((*kid).to_owned());
                serde_json::to_value(jwk).unwrap()
            })
            .collect();
        let mut documents = self.documents.lock().unwrap();
        let discovery = json!({"issuer": ISSUER, "jwks_uri": JWKS});
        documents.insert(DISCOVERY.to_owned(), discovery.to_string().into_bytes());
        let jwks = json!({"keys": keys});
        documents.insert(JWKS.to_owned(), jwks.to_string().into_bytes());
    }
}

struct World {
    service: Service,
    clock: Arc<TestClock>,
    issuer: Arc<Issuer>,
}

impl World {
    fn new() -> World {
        let clock = Arc::new(TestClock(AtomicI64::new(START)));
        let issuer = Arc::new(Issuer::default());
        issuer.publish(&[(RSA_A, "a")]);
        let service = ServiceConfig::new(
            Arc::new(MemoryStore::default()),
            MasterKey::from_bytes([3; 32]),
            Arc::clone(&clock) as Arc<dyn Clock>,
            Arc::new(OsRandom),
        )
        .oidc_fetcher(Arc::clone(&issuer) as Arc<dyn OidcFetcher>)
        .open()
        .unwrap();
        service.bootstrap(Some(ACCOUNT), None).unwrap();
        World {
            service,
            clock,
            issuer,
        }
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

    fn root(&self, action: &str, input: Value) -> Result<Value, Error> {
        let root = Caller {
            account: warden_core::model::AccountId::parse(ACCOUNT).unwrap(),
            identity: Identity::Root,
            access_key_id: None,
        };
        let action = Action::named(action).unwrap_or_else(|| panic!("no operation {action}"));
        self.service.call(&root, &World::info(), action, input)
    }

    fn provider(&self) {
        self.root(
            "CreateOpenIDConnectProvider",
            json!({"Url": ISSUER, "ClientIDList": ["app"], "ThumbprintList": ["AB".repeat(20)]}),
        )
        .unwrap();
    }

    fn role(&self, name: &str, condition: Value) -> String {
        let trust = json!({"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"Federated": PROVIDER_ARN},
            "Action": "sts:AssumeRoleWithWebIdentity", "Condition": condition,
        }]});
        let created = self
            .root(
                "CreateRole",
                json!({"RoleName": name, "AssumeRolePolicyDocument": trust.to_string()}),
            )
            .unwrap();
        created["Role"]["Arn"].as_str().unwrap().to_owned()
    }

    fn assume(&self, role_arn: &str, token: &str) -> Result<Value, Error> {
        let input =
            json!({"RoleArn": role_arn, "RoleSessionName": "web-1", "WebIdentityToken": token});
        self.service
            .call_unsigned(&World::info(), Action::AssumeRoleWithWebIdentity, input)
    }

    fn now(&self) -> i64 {
        self.clock.0.load(Ordering::SeqCst)
    }

    fn advance(&self, seconds: i64) {
        self.clock.0.fetch_add(seconds, Ordering::SeqCst);
    }

    fn fetches(&self) -> usize {
        self.issuer.fetches.load(Ordering::SeqCst)
    }
}

fn token(der: &[u8], kid: &str, claims: Value) -> String {
    let mut header = Header::new(Algorithm::RS256);
    header.kid = Some(kid.to_owned());
    jsonwebtoken::encode(&header, &claims, &EncodingKey::from_rsa_der(der)).unwrap()
}

fn claims(now: i64) -> Value {
    json!({"iss": ISSUER, "sub": "user-123456", "aud": "app", "amr": ["pwd"], "iat": now, "exp": now + 600})
}

fn code(result: Result<Value, Error>) -> (String, String) {
    match result {
        Err(error) => (error.code().to_owned(), error.message().to_owned()),
        Ok(value) => panic!("expected an error, got {value}"),
    }
}

#[test]
fn providers_are_created_read_changed_and_deleted() {
    let world = World::new();
    let created = world
        .root(
            "CreateOpenIDConnectProvider",
            json!({"Url": ISSUER, "ClientIDList": ["app", "app"], "ThumbprintList": ["AB".repeat(20)],
                   "Tags": [{"Key": "team", "Value": "id"}]}),
        )
        .unwrap();
    assert_eq!(created["OpenIDConnectProviderArn"], PROVIDER_ARN);
    let arn = json!({"OpenIDConnectProviderArn": PROVIDER_ARN});
    let got = world.root("GetOpenIDConnectProvider", arn.clone()).unwrap();
    assert_eq!(got["Url"], HOST);
    assert_eq!(got["ClientIDList"], json!(["app"]));
    assert_eq!(got["ThumbprintList"], json!(["ab".repeat(20)]));
    assert_eq!(got["Tags"][0]["Key"], "team");
    let again = world.root("CreateOpenIDConnectProvider", json!({"Url": ISSUER}));
    assert_eq!(
        code(again),
        (
            "EntityAlreadyExists".into(),
            format!("Provider with url {ISSUER} already exists.")
        )
    );
    let port = world.root(
        "CreateOpenIDConnectProvider",
        json!({"Url": "https://x.example.com:8443"}),
    );
    assert_eq!(code(port).0, "ValidationError");
    let six = vec!["a".repeat(40); 6];
    let update = json!({"OpenIDConnectProviderArn": PROVIDER_ARN, "ThumbprintList": six});
    let (error, message) = code(world.root("UpdateOpenIDConnectProviderThumbprint", update));
    assert_eq!(
        (error.as_str(), message.as_str()),
        (
            "InvalidInput",
            "Thumbprint list must contain fewer than 5 entries."
        )
    );
    let client = json!({"OpenIDConnectProviderArn": PROVIDER_ARN, "ClientID": "cli"});
    world
        .root("AddClientIDToOpenIDConnectProvider", client.clone())
        .unwrap();
    let got = world.root("GetOpenIDConnectProvider", arn.clone()).unwrap();
    assert_eq!(got["ClientIDList"], json!(["app", "cli"]));
    world
        .root("RemoveClientIDFromOpenIDConnectProvider", client.clone())
        .unwrap();
    world
        .root("RemoveClientIDFromOpenIDConnectProvider", client)
        .unwrap();
    let tag =
        json!({"OpenIDConnectProviderArn": PROVIDER_ARN, "Tags": [{"Key": "env", "Value": "dev"}]});
    world.root("TagOpenIDConnectProvider", tag).unwrap();
    let untag = json!({"OpenIDConnectProviderArn": PROVIDER_ARN, "TagKeys": ["team"]});
    world.root("UntagOpenIDConnectProvider", untag).unwrap();
    let tags = world
        .root("ListOpenIDConnectProviderTags", arn.clone())
        .unwrap();
    assert_eq!(tags["Tags"], json!([{"Key": "env", "Value": "dev"}]));
    let listed = world.root("ListOpenIDConnectProviders", json!({})).unwrap();
    assert_eq!(
        listed["OpenIDConnectProviderList"],
        json!([{"Arn": PROVIDER_ARN}])
    );
    world
        .root("DeleteOpenIDConnectProvider", arn.clone())
        .unwrap();
    let (error, message) = code(world.root("GetOpenIDConnectProvider", arn));
    assert_eq!(error, "NoSuchEntity");
    assert_eq!(
        message,
        format!("OpenIDConnect Provider not found for arn {PROVIDER_ARN}")
    );
}

#[test]
fn trust_policies_must_name_a_provider_that_exists() {
    let world = World::new();
    let trust = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
        "Principal": {"Federated": PROVIDER_ARN}, "Action": "sts:AssumeRoleWithWebIdentity"}]});
    let input = json!({"RoleName": "r", "AssumeRolePolicyDocument": trust.to_string()});
    let (error, message) = code(world.root("CreateRole", input.clone()));
    assert_eq!(error, "MalformedPolicyDocument");
    assert_eq!(
        message,
        format!("Invalid principal in policy: \"Federated\":\"{PROVIDER_ARN}\"")
    );
    world.provider();
    world.root("CreateRole", input).unwrap();
}

#[test]
fn a_valid_token_gets_a_role_session() {
    let world = World::new();
    world.provider();
    let role = world.role(
        "web",
        json!({"StringEquals": {
        format!("{HOST}:sub"): "user-123456", format!("{HOST}:aud"): "app",
        "aws:FederatedProvider": PROVIDER_ARN}}),
    );
    let response = world
        .assume(&role, &token(RSA_A, "a", claims(world.now())))
        .unwrap();
    assert_eq!(
        response["AssumedRoleUser"]["Arn"],
        format!("arn:aws:sts::{ACCOUNT}:assumed-role/web/web-1")
    );
    assert_eq!(response["Provider"], PROVIDER_ARN);
    assert_eq!(response["Audience"], "app");
    assert_eq!(response["SubjectFromWebIdentityToken"], "user-123456");
    assert_eq!(
        *world.issuer.thumbprints.lock().unwrap(),
        vec!["ab".repeat(20)]
    );
    let credentials = &response["Credentials"];
    let caller = world
        .service
        .authenticate_session(
            credentials["AccessKeyId"].as_str().unwrap(),
            credentials["SessionToken"].as_str().unwrap(),
        )
        .unwrap()
        .caller;
    let me = world
        .service
        .call(
            &caller,
            &World::info(),
            Action::GetCallerIdentity,
            json!({}),
        )
        .unwrap();
    assert_eq!(
        me["Arn"],
        format!("arn:aws:sts::{ACCOUNT}:assumed-role/web/web-1")
    );
}

#[test]
fn bad_tokens_and_untrusting_roles_are_refused() {
    let world = World::new();
    world.provider();
    let role = world.role(
        "web",
        json!({"StringEquals": {format!("{HOST}:sub"): "someone-else"}}),
    );
    let now = world.now();
    let denied = code(world.assume(&role, &token(RSA_A, "a", claims(now))));
    assert_eq!(
        denied,
        (
            "AccessDenied".into(),
            "Not authorized to perform sts:AssumeRoleWithWebIdentity".into()
        )
    );
    let open = world.role("open", json!({}));
    let mut wrong_aud = claims(now);
    wrong_aud["aud"] = json!("other-app");
    let refused = code(world.assume(&open, &token(RSA_A, "a", wrong_aud)));
    assert_eq!(
        refused,
        (
            "InvalidIdentityToken".into(),
            "Incorrect token audience".into()
        )
    );
    let mut stranger = claims(now);
    stranger["iss"] = json!("https://elsewhere.example.com");
    let (error, message) = code(world.assume(&open, &token(RSA_A, "a", stranger)));
    assert_eq!(error, "InvalidIdentityToken");
    assert_eq!(
        message,
        "No OpenIDConnect provider found in your account for https://elsewhere.example.com"
    );
    let forged = code(world.assume(&open, &token(RSA_B, "a", claims(now))));
    assert_eq!(forged.0, "InvalidIdentityToken");
    let mut old = claims(now - 7200);
    old["exp"] = json!(now - 3600);
    assert_eq!(
        code(world.assume(&open, &token(RSA_A, "a", old))).0,
        "ExpiredTokenException"
    );
    world
        .assume(&open, &token(RSA_A, "a", claims(now)))
        .unwrap();
}

#[test]
fn a_role_trusting_another_provider_is_not_assumed() {
    let world = World::new();
    world.provider();
    world
        .root(
            "CreateOpenIDConnectProvider",
            json!({"Url": "https://other.example.com", "ClientIDList": ["app"]}),
        )
        .unwrap();
    let trust = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
        "Principal": {"Federated": "arn:aws:iam::111122223333:oidc-provider/other.example.com"},
        "Action": "sts:AssumeRoleWithWebIdentity"}]});
    let role = world
        .root(
            "CreateRole",
            json!({"RoleName": "other", "AssumeRolePolicyDocument": trust.to_string()}),
        )
        .unwrap();
    let arn = role["Role"]["Arn"].as_str().unwrap();
    let denied = code(world.assume(arn, &token(RSA_A, "a", claims(world.now()))));
    assert_eq!(denied.0, "AccessDenied");
}

#[test]
fn keys_are_cached_and_fetched_again_for_an_unknown_kid() {
    let world = World::new();
    world.provider();
    let role = world.role("web", json!({}));
    world
        .assume(&role, &token(RSA_A, "a", claims(world.now())))
        .unwrap();
    assert_eq!(world.fetches(), 2, "discovery document and JWKS");
    world
        .assume(&role, &token(RSA_A, "a", claims(world.now())))
        .unwrap();
    assert_eq!(world.fetches(), 2, "cached");
    world.issuer.publish(&[(RSA_A, "a"), (RSA_B, "b")]);
    world.advance(1);
    let too_soon = code(world.assume(&role, &token(RSA_B, "b", claims(world.now()))));
    assert!(
        too_soon.1.starts_with("Couldn't retrieve verification key"),
        "{too_soon:?}"
    );
    assert_eq!(world.fetches(), 2, "no refresh within the refresh interval");
    world.advance(30);
    world
        .assume(&role, &token(RSA_B, "b", claims(world.now())))
        .unwrap();
    assert_eq!(world.fetches(), 4, "refreshed for the unknown kid");
    world.advance(3600);
    world
        .assume(&role, &token(RSA_A, "a", claims(world.now())))
        .unwrap();
    assert_eq!(world.fetches(), 6, "refreshed once stale");
}

#[test]
fn fetch_failures_are_reported_as_aws_does() {
    let world = World::new();
    world.provider();
    let role = world.role("web", json!({}));
    *world.issuer.failure.lock().unwrap() = Some(FetchError::Unreachable("timed out".into()));
    assert_eq!(
        code(world.assume(&role, &token(RSA_A, "a", claims(world.now())))).0,
        "IDPCommunicationError"
    );
    // Each failure is remembered for 30 seconds before the issuer is tried again.
    world.advance(30);
    *world.issuer.failure.lock().unwrap() = Some(FetchError::Untrusted("self-signed".into()));
    let untrusted = code(world.assume(&role, &token(RSA_A, "a", claims(world.now()))));
    assert_eq!(
        untrusted.1,
        "OpenIDConnect provider's HTTPS certificate doesn't match configured thumbprint"
    );
    world.advance(30);
    *world.issuer.failure.lock().unwrap() = None;
    let lying = json!({"issuer": "https://impostor.example.com", "jwks_uri": JWKS});
    world
        .issuer
        .documents
        .lock()
        .unwrap()
        .insert(DISCOVERY.to_owned(), lying.to_string().into_bytes());
    assert_eq!(
        code(world.assume(&role, &token(RSA_A, "a", claims(world.now())))).0,
        "IDPRejectedClaim"
    );
}

#[test]
fn a_failed_fetch_is_answered_again_without_fetching_for_30_seconds() {
    let world = World::new();
    world.provider();
    let role = world.role("web", json!({}));
    *world.issuer.failure.lock().unwrap() = Some(FetchError::Unreachable("timed out".into()));
    for _ in 0..5 {
        let (error, _) = code(world.assume(&role, &token(RSA_A, "a", claims(world.now()))));
        assert_eq!(error, "IDPCommunicationError");
    }
    assert_eq!(world.fetches(), 1, "one fetch for five requests");
    *world.issuer.failure.lock().unwrap() = None;
    world.advance(29);
    let (error, _) = code(world.assume(&role, &token(RSA_A, "a", claims(world.now()))));
    assert_eq!(error, "IDPCommunicationError", "still remembered");
    assert_eq!(world.fetches(), 1);
    world.advance(1);
    world
        .assume(&role, &token(RSA_A, "a", claims(world.now())))
        .unwrap();
    assert_eq!(
        world.fetches(),
        3,
        "tried again: discovery document and JWKS"
    );
}

/// Runs `requests` AssumeRoleWithWebIdentity calls at once while the issuer does not answer,
/// lets it answer once the first fetch has begun, and returns every call's result.
fn assume_at_once(world: &World, role: &str, requests: usize) -> Vec<Result<Value, Error>> {
    world.issuer.hold();
    std::thread::scope(|scope| {
        let calls: Vec<_> = (0..requests)
            .map(|_| scope.spawn(|| world.assume(role, &token(RSA_A, "a", claims(world.now())))))
            .collect();
        let deadline = Instant::now() + Duration::from_secs(30);
        while world.fetches() == 0 && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(5));
        }
        // Time for the other calls to reach the issuer's keys while the fetch hangs (without
        // single-flight each would start a fetch of its own). Not a measure of speed: the
        // calls' results are the same however long this takes.
        std::thread::sleep(Duration::from_millis(300));
        world.issuer.release();
        calls.into_iter().map(|call| call.join().unwrap()).collect()
    })
}

#[test]
fn concurrent_requests_for_one_issuer_share_one_fetch() {
    let world = World::new();
    world.provider();
    let role = world.role("web", json!({}));
    let results = assume_at_once(&world, &role, 8);
    assert!(results.iter().all(Result::is_ok), "{results:?}");
    assert_eq!(world.fetches(), 2, "one discovery document and one JWKS");
}

#[test]
fn concurrent_requests_for_a_failing_issuer_share_one_failure() {
    let world = World::new();
    world.provider();
    let role = world.role("web", json!({}));
    *world.issuer.failure.lock().unwrap() = Some(FetchError::Unreachable("timed out".into()));
    for result in assume_at_once(&world, &role, 8) {
        assert_eq!(code(result).0, "IDPCommunicationError");
    }
    assert_eq!(world.fetches(), 1);
    let (error, _) = code(world.assume(&role, &token(RSA_A, "a", claims(world.now()))));
    assert_eq!(error, "IDPCommunicationError");
    assert_eq!(world.fetches(), 1, "the failure is remembered");
}
