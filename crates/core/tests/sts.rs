//! STS through `Service::call` as the edge calls it: AssumeRole and its trust decisions,
//! sessions that follow their role's current policies, session policies and tags,
//! GetSessionToken and GetFederationToken with AWS's restrictions, sealed tokens, several
//! accounts. A clock the tests move stands in for time.

#![allow(
    clippy::unwrap_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test helpers, like the tests that call them, fail loudly"
)]

mod sts {
    pub mod assume_role;
    pub mod federation;
    pub mod mfa;
    pub mod mfa_devices;
    pub mod sessions;
    pub mod trust;
}

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use serde_json::{Value, json};
use warden_core::ids::OsRandom;
use warden_core::store::{MemoryStore, Store};
use warden_core::time::Clock;
use warden_core::{Action, Caller, Error, Identity, MasterKey, RequestInfo, Service};

pub const A: &str = "111122223333";
pub const B: &str = "444455556666";
const START: i64 = 1_767_225_600;

/// A clock that moves only when told.
#[derive(Debug)]
pub struct TestClock(AtomicI64);

impl Clock for TestClock {
    fn now(&self) -> i64 {
        self.0.load(Ordering::SeqCst)
    }
}

/// Two accounts, A and B, over an in-memory store.
#[derive(Debug)]
pub struct Sts {
    pub service: Service,
    pub clock: Arc<TestClock>,
    pub store: Arc<MemoryStore>,
}

impl Sts {
    pub fn start() -> Sts {
        let clock = Arc::new(TestClock(AtomicI64::new(START)));
        let store = Arc::new(MemoryStore::default());
        let sts = Sts::open(Arc::clone(&store), clock);
        sts.service.bootstrap(Some(A), None).unwrap();
        sts.service.create_account(Some(B)).unwrap();
        sts
    }

    fn open(store: Arc<MemoryStore>, clock: Arc<TestClock>) -> Sts {
        let service = Service::open(
            Arc::clone(&store) as Arc<dyn Store>,
            MasterKey::from_bytes([7; 32]),
            Arc::clone(&clock) as Arc<dyn Clock>,
            Arc::new(OsRandom),
        )
        .unwrap();
        Sts {
            service,
            clock,
            store,
        }
    }

    /// Another service over the same store and clock, as after a restart (or another node
    /// sharing the store): it knows only what was committed.
    pub fn reopen(&self) -> Sts {
        Sts::open(Arc::clone(&self.store), Arc::clone(&self.clock))
    }

    pub fn advance(&self, seconds: i64) {
        self.clock.0.fetch_add(seconds, Ordering::SeqCst);
    }

    pub fn root(&self, account: &str) -> Caller {
        Caller {
            account: warden_core::model::AccountId::parse(account).unwrap(),
            identity: Identity::Root,
            access_key_id: None,
        }
    }

    pub fn call(&self, caller: &Caller, action: &str, input: Value) -> Result<Value, Error> {
        let info = RequestInfo {
            source_ip: Some("192.0.2.10".parse().unwrap()),
            secure_transport: true,
            user_agent: Some("warden-tests".to_owned()),
            region: "us-east-1".to_owned(),
            request_id: "test".to_owned(),
        };
        self.service.call(caller, &info, operation(action), input)
    }

    pub fn root_call(&self, account: &str, action: &str, input: Value) -> Result<Value, Error> {
        self.call(&self.root(account), action, input)
    }

    /// A user of `account` whose only permissions are `statements` (none if empty).
    pub fn user(&self, account: &str, name: &str, statements: Value) -> Caller {
        let created = self
            .root_call(account, "CreateUser", json!({"UserName": name}))
            .unwrap();
        if statements.as_array().is_some_and(|s| !s.is_empty()) {
            self.root_call(
                account,
                "PutUserPolicy",
                json!({"UserName": name, "PolicyName": "p", "PolicyDocument": doc(statements)}),
            )
            .unwrap();
        }
        Caller {
            account: warden_core::model::AccountId::parse(account).unwrap(),
            identity: Identity::User {
                id: warden_core::model::UniqueId::new(created["User"]["UserId"].as_str().unwrap()),
            },
            access_key_id: None,
        }
    }

    /// A role of `account` trusted by `trust` statements, with `statements` as its inline
    /// policy (none if empty). Returns its ARN.
    pub fn role(&self, account: &str, name: &str, trust: Value, statements: Value) -> String {
        let created = self
            .root_call(
                account,
                "CreateRole",
                json!({"RoleName": name, "AssumeRolePolicyDocument": doc(trust)}),
            )
            .unwrap();
        if statements.as_array().is_some_and(|s| !s.is_empty()) {
            self.root_call(
                account,
                "PutRolePolicy",
                json!({"RoleName": name, "PolicyName": "p", "PolicyDocument": doc(statements)}),
            )
            .unwrap();
        }
        created["Role"]["Arn"].as_str().unwrap().to_owned()
    }

    pub fn assume(&self, caller: &Caller, role_arn: &str, extra: Value) -> Result<Value, Error> {
        let mut input = json!({"RoleArn": role_arn, "RoleSessionName": "s1"});
        if let (Some(input), Value::Object(extra)) = (input.as_object_mut(), extra) {
            input.extend(extra);
        }
        self.call(caller, "AssumeRole", input)
    }

    /// The caller that signs with the temporary credentials of an STS response.
    pub fn session(&self, response: &Value) -> Caller {
        let credentials = &response["Credentials"];
        self.service
            .authenticate_session(
                credentials["AccessKeyId"].as_str().unwrap(),
                credentials["SessionToken"].as_str().unwrap(),
            )
            .unwrap()
            .caller
    }
}

pub fn doc(statements: Value) -> String {
    json!({"Version": "2012-10-17", "Statement": statements}).to_string()
}

pub fn allow(action: &str) -> Value {
    json!({"Effect": "Allow", "Action": action, "Resource": "*"})
}

/// A trust statement allowing `actions` to the AWS principal `principal`.
pub fn trust(principal: &str, actions: Value) -> Value {
    json!({"Effect": "Allow", "Principal": {"AWS": principal}, "Action": actions})
}

pub fn denied(result: Result<Value, Error>) -> String {
    match result {
        Err(Error::AccessDenied(message)) => message,
        other => panic!("expected AccessDenied, got {other:?}"),
    }
}

pub fn failure(result: Result<Value, Error>) -> (String, String) {
    match result {
        Err(error) => (error.code().to_owned(), error.message().to_owned()),
        Ok(value) => panic!("expected an error, got {value}"),
    }
}

/// The operation named `name`: tests name operations as clients do.
pub fn operation(name: &str) -> Action {
    Action::named(name).unwrap_or_else(|| panic!("no operation is named {name}"))
}
