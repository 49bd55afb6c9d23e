//! A service over an in-memory store, with a root caller, for operation tests.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    reason = "test helpers fail loudly, like the tests that call them"
)]

use std::sync::Arc;

use serde_json::{Value, json};
use warden_core::ids::OsRandom;
use warden_core::model::{AccountId, UniqueId};
use warden_core::store::MemoryStore;
use warden_core::time::Clock;
use warden_core::{Action, Caller, Error, Identity, MasterKey, RequestInfo, Service};

/// A clock that stands still at 2026-01-01T00:00:00Z.
pub struct FixedClock;

impl Clock for FixedClock {
    fn now(&self) -> i64 {
        1_767_225_600
    }
}

pub struct Harness {
    pub service: Service,
    pub account: AccountId,
}

impl Harness {
    pub fn new() -> Harness {
        let service = Service::open(
            Arc::new(MemoryStore::default()),
            MasterKey::from_bytes([9; 32]),
            Arc::new(FixedClock),
            Arc::new(OsRandom),
        )
        .unwrap();
        let bootstrap = service.bootstrap(Some("111122223333"), None).unwrap();
        Harness {
            service,
            account: bootstrap.account,
        }
    }

    pub fn root(&self) -> Caller {
        Caller {
            account: self.account,
            identity: Identity::Root,
            access_key_id: None,
        }
    }

    /// The caller for IAM user `name` (which must exist).
    #[allow(
        dead_code,
        reason = "only some of the suites that include this module use it"
    )]
    pub fn user(&self, name: &str) -> Caller {
        let user = self
            .root_call("GetUser", json!({"UserName": name}))
            .unwrap();
        Caller {
            account: self.account,
            identity: Identity::User {
                id: UniqueId::new(user["User"]["UserId"].as_str().unwrap()),
            },
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

    pub fn root_call(&self, action: &str, input: Value) -> Result<Value, Error> {
        self.call(&self.root(), action, input)
    }
}

impl Harness {
    /// Like [`Harness::call`], for a request signed for `region`.
    #[allow(
        dead_code,
        reason = "only some of the suites that include this module use it"
    )]
    pub fn call_in(
        &self,
        region: &str,
        caller: &Caller,
        action: &str,
        input: Value,
    ) -> Result<Value, Error> {
        let info = RequestInfo {
            source_ip: Some("192.0.2.10".parse().unwrap()),
            secure_transport: true,
            user_agent: Some("warden-tests".to_owned()),
            region: region.to_owned(),
            request_id: "test".to_owned(),
        };
        self.service.call(caller, &info, operation(action), input)
    }
}

/// The operation named `name`: tests name operations as clients do.
pub fn operation(name: &str) -> Action {
    Action::named(name).expect("tests name operations of IAM or STS")
}
