//! Writes when other writers share the store: a conflict makes the decision run again on
//! fresh state, a bounded number of times; last use only moves forward in memory; record
//! bodies without a format version (written before there was one) still read.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "tests"
)]

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use warden_core::ids::OsRandom;
use warden_core::model::KeyLastUsed;
use warden_core::state::{Mutation, State};
use warden_core::store::{Change, Committed, Kind, Logged, MemoryStore, Record, Snapshot, Store};
use warden_core::{Error, MasterKey, Service, StoreError};

/// A store that refuses every commit as a conflict.
#[derive(Debug, Default)]
struct AlwaysConflicting {
    inner: MemoryStore,
}

impl Store for AlwaysConflicting {
    fn load(&self) -> Result<Snapshot, StoreError> {
        self.inner.load()
    }

    fn commit(&self, _changes: &[Change]) -> Result<Committed, StoreError> {
        Err(StoreError::conflict("another writer got there first"))
    }

    fn changes_since(&self, seq: u64) -> Result<Vec<Logged>, StoreError> {
        self.inner.changes_since(seq)
    }

    fn clear(&self) -> Result<(), StoreError> {
        self.inner.clear()
    }
}

#[test]
fn a_write_that_keeps_conflicting_is_decided_a_bounded_number_of_times() {
    let service = Service::open(
        Arc::new(AlwaysConflicting::default()),
        MasterKey::from_bytes([1; 32]),
        Arc::new(common::FixedClock),
        Arc::new(OsRandom),
    )
    .unwrap();
    let decided = AtomicUsize::new(0);
    let outcome = service.write(|_| {
        decided.fetch_add(1, Ordering::SeqCst);
        let used = Mutation::UsedAssertion(warden_core::model::UsedAssertion {
            id: "a".to_owned(),
            account: warden_core::model::AccountId::parse("111122223333").unwrap(),
            expires: 0,
        });
        Ok((vec![used], ()))
    });
    assert!(
        matches!(outcome, Err(Error::ConcurrentModification(_))),
        "{outcome:?}"
    );
    assert_eq!(decided.load(Ordering::SeqCst), 8);
}

#[test]
fn last_use_only_moves_forward() {
    let h = common::Harness::new();
    let key = h
        .root_call("CreateAccessKey", serde_json::json!({}))
        .unwrap();
    let id = key["AccessKey"]["AccessKeyId"].as_str().unwrap().to_owned();
    let used = |date: i64, region: &str| Mutation::KeyLastUsed {
        account: h.account,
        key: id.clone(),
        used: KeyLastUsed {
            date,
            service: "iam".to_owned(),
            region: region.to_owned(),
        },
    };
    h.service
        .write(|_| Ok((vec![used(200, "newer"), used(100, "older")], ())))
        .unwrap();
    let region = |service: &Service| {
        let input = serde_json::json!({"AccessKeyId": id});
        let out = service
            .call(
                &h.root(),
                &info(),
                warden_core::Action::GetAccessKeyLastUsed,
                input,
            )
            .unwrap();
        out["AccessKeyLastUsed"]["Region"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    assert_eq!(region(&h.service), "newer");
    // Rewriting the key (its body holds no last use) keeps the use in memory.
    h.root_call(
        "UpdateAccessKey",
        serde_json::json!({"AccessKeyId": id, "Status": "Inactive"}),
    )
    .unwrap();
    assert_eq!(region(&h.service), "newer");
}

#[test]
fn bodies_without_a_format_version_read_and_newer_ones_are_refused() {
    let master = MasterKey::from_bytes([2; 32]);
    let body = |v: &str| {
        format!(
            r#"{{{v}"id":"AIDAOLD","account":"111122223333","name":"old","path":"/","created":0}}"#
        )
    };
    let record = |body: String| Record {
        kind: Kind::User,
        id: "AIDAOLD".to_owned(),
        account: "111122223333".to_owned(),
        name: Some("old".to_owned()),
        body,
    };
    let mut state = State::default();
    for v in ["", r#""v":1,"#] {
        state.apply(Mutation::from_record(&record(body(v)), &master).unwrap());
    }
    assert!(state.account("111122223333").unwrap().user("old").is_some());
    let error = Mutation::from_record(&record(body(r#""v":2,"#)), &master)
        .unwrap_err()
        .to_string();
    assert!(error.contains("format version 2"), "{error}");
    assert!(error.contains("user AIDAOLD"), "{error}");
}

fn info() -> warden_core::RequestInfo {
    warden_core::RequestInfo {
        source_ip: None,
        secure_transport: true,
        user_agent: None,
        region: "us-east-1".to_owned(),
        request_id: "test".to_owned(),
    }
}
