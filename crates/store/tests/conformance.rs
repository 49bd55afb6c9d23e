//! The Store conformance suite run against every engine: `MemoryStore` and `SqliteStore`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "tests"
)]

mod support;

use std::sync::Arc;

use warden_core::error::StoreError;
use warden_core::store::{Change, Committed, Kind, Logged, MemoryStore, Record, Snapshot, Store};
use warden_store::SqliteStore;
use warden_store::conformance::{Engine, Failure, Handles, run_all};

use support::TempDb;

#[test]
fn memory_store_conforms() {
    let make = || -> Result<Box<dyn Store>, StoreError> { Ok(Box::new(MemoryStore::default())) };
    let pair = || -> Result<Handles, StoreError> {
        let store: Arc<dyn Store> = Arc::new(MemoryStore::default());
        Ok(Handles(Arc::clone(&store), store))
    };
    // MemoryStore cannot fail once a commit has started, so there is no refused change.
    let engine = Engine {
        make: &make,
        pair: &pair,
        rejected: None,
    };
    assert_conforms("MemoryStore", &run_all(&engine));
}

#[test]
fn sqlite_store_conforms() {
    let make = || -> Result<Box<dyn Store>, StoreError> { Ok(Box::new(ScratchSqlite::open()?)) };
    let pair = || -> Result<Handles, StoreError> {
        let first = ScratchSqlite::open()?;
        let second = ScratchSqlite::reopen(&first)?;
        Ok(Handles(Arc::new(first), Arc::new(second)))
    };
    let engine = Engine {
        make: &make,
        pair: &pair,
        // The schema requires bodies to be JSON.
        rejected: Some(Record {
            kind: Kind::Role,
            id: "AROAREJECTED".into(),
            account: "111122223333".into(),
            name: None,
            body: "not json: sealed-secret-5f1c9e".into(),
        }),
    };
    assert_conforms("SqliteStore", &run_all(&engine));
}

fn assert_conforms(engine: &str, failures: &[Failure]) {
    let report: Vec<String> = failures.iter().map(ToString::to_string).collect();
    assert!(
        failures.is_empty(),
        "{engine} failed {} case(s):\n{}",
        failures.len(),
        report.join("\n")
    );
}

/// A `SqliteStore` in a scratch file that is removed once the store is closed.
#[derive(Debug)]
struct ScratchSqlite {
    store: SqliteStore,
    // Declared after `store`, so the file is removed after the last connection is closed.
    file: Arc<TempDb>,
}

impl ScratchSqlite {
    fn open() -> Result<ScratchSqlite, StoreError> {
        let file = TempDb::new();
        Ok(ScratchSqlite {
            store: SqliteStore::open(file.path())?,
            file: Arc::new(file),
        })
    }

    /// A second connection to the same file, as another server would open it.
    fn reopen(other: &ScratchSqlite) -> Result<ScratchSqlite, StoreError> {
        Ok(ScratchSqlite {
            store: SqliteStore::open(other.file.path())?,
            file: Arc::clone(&other.file),
        })
    }
}

impl Store for ScratchSqlite {
    fn load(&self) -> Result<Snapshot, StoreError> {
        self.store.load()
    }

    fn commit(&self, changes: &[Change]) -> Result<Committed, StoreError> {
        self.store.commit(changes)
    }

    fn changes_since(&self, seq: u64) -> Result<Vec<Logged>, StoreError> {
        self.store.changes_since(seq)
    }

    fn clear(&self) -> Result<(), StoreError> {
        self.store.clear()
    }
}
