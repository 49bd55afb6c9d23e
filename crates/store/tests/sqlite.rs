//! SQLite-specific tests of `SqliteStore`: durability across reopen, schema migrations, WAL
//! mode, file permissions, the meta table, and what it refuses to open.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "tests"
)]

mod support;

use rusqlite::Connection;
use warden_core::store::{Change, Expect, Kind, Record, Store};
use warden_store::SqliteStore;

use support::TempDb;

fn record(kind: Kind, id: &str, body: &str) -> Record {
    Record {
        kind,
        id: id.into(),
        account: "111122223333".into(),
        name: None,
        body: body.into(),
    }
}

fn put(record: Record) -> Change {
    Change::Put {
        record,
        expect: Expect::Any,
    }
}

/// The records a store loads, without their versions.
fn records(store: &SqliteStore) -> Vec<Record> {
    let snapshot = store.load().unwrap();
    snapshot.records.into_iter().map(|v| v.record).collect()
}

/// A second, raw connection to the database file, to look behind the store's back.
fn raw(db: &TempDb) -> Connection {
    Connection::open(db.path()).unwrap()
}

#[test]
fn committed_records_and_meta_survive_reopening() {
    let db = TempDb::new();
    let records = vec![
        record(Kind::Account, "111122223333", r#"{"id":"111122223333"}"#),
        record(Kind::User, "AIDAALICE", r#"{"name":"alice"}"#),
        record(Kind::AccessKey, "AKIAALICE", r#"{"secret":"sealed"}"#),
    ];
    {
        let store = SqliteStore::open(db.path()).unwrap();
        let puts: Vec<Change> = records.iter().cloned().map(put).collect();
        store.commit(&puts).unwrap();
        store.set_meta("master-key-check", "c0ffee").unwrap();
    }
    let store = SqliteStore::open(db.path()).unwrap();
    assert_eq!(self::records(&store), records);
    assert_eq!(
        store.meta("master-key-check").unwrap().as_deref(),
        Some("c0ffee")
    );
}

#[test]
fn migrations_are_recorded_once() {
    let db = TempDb::new();
    let store = SqliteStore::open(db.path()).unwrap();
    assert_eq!(SqliteStore::SCHEMA_VERSION, 2);
    assert_eq!(store.schema_version().unwrap(), SqliteStore::SCHEMA_VERSION);
    drop(store);
    let store = SqliteStore::open(db.path()).unwrap();
    assert_eq!(store.schema_version().unwrap(), SqliteStore::SCHEMA_VERSION);
    let applied: Vec<(u32, String)> = raw(&db)
        .prepare("SELECT version, name FROM schema_migrations ORDER BY version")
        .unwrap()
        .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(
        applied,
        vec![
            (1, "0001_records".to_string()),
            (2, "0002_versions_and_change_log".to_string())
        ]
    );
}

#[test]
fn a_newer_schema_is_refused() {
    let db = TempDb::new();
    drop(SqliteStore::open(db.path()).unwrap());
    let newer = SqliteStore::SCHEMA_VERSION + 1;
    raw(&db)
        .execute(
            "INSERT INTO schema_migrations (version, name) VALUES (?1, 'from-the-future')",
            [newer],
        )
        .unwrap();
    let error = SqliteStore::open(db.path()).unwrap_err().to_string();
    assert!(error.contains("newer"), "{error}");
    assert!(error.contains(&format!("version {newer}")), "{error}");
    assert!(
        error.contains(&format!("version {}", SqliteStore::SCHEMA_VERSION)),
        "{error}"
    );
}

#[test]
fn the_database_is_in_wal_mode() {
    let db = TempDb::new();
    let store = SqliteStore::open(db.path()).unwrap();
    store
        .commit(&[put(record(Kind::User, "AIDAALICE", "{}"))])
        .unwrap();
    let mode: String = raw(&db)
        .pragma_query_value(None, "journal_mode", |row| row.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
    assert!(db.companion("-wal").exists());
}

#[cfg(unix)]
#[test]
fn the_files_are_private_to_their_owner() {
    use std::os::unix::fs::PermissionsExt;
    let db = TempDb::new();
    let store = SqliteStore::open(db.path()).unwrap();
    store
        .commit(&[put(record(Kind::User, "AIDAALICE", "{}"))])
        .unwrap();
    for path in [
        db.path().to_path_buf(),
        db.companion("-wal"),
        db.companion("-shm"),
    ] {
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{} has mode {mode:o}", path.display());
    }
}

#[test]
fn meta_values_are_stored_and_replaced_and_outlive_clear() {
    let db = TempDb::new();
    let store = SqliteStore::open(db.path()).unwrap();
    assert_eq!(store.meta("master-key-check").unwrap(), None);
    store.set_meta("master-key-check", "one").unwrap();
    store.set_meta("master-key-check", "two").unwrap();
    store.set_meta("other", "ünïcödé").unwrap();
    store
        .commit(&[put(record(Kind::User, "AIDAALICE", "{}"))])
        .unwrap();
    store.clear().unwrap();
    assert_eq!(records(&store), vec![]);
    assert_eq!(
        store.meta("master-key-check").unwrap().as_deref(),
        Some("two")
    );
    assert_eq!(store.meta("other").unwrap().as_deref(), Some("ünïcödé"));
    assert_eq!(store.schema_version().unwrap(), SqliteStore::SCHEMA_VERSION);
}

#[test]
fn an_unknown_kind_in_the_database_is_an_error_naming_it() {
    let db = TempDb::new();
    let store = SqliteStore::open(db.path()).unwrap();
    raw(&db)
        .execute(
            "INSERT INTO records (kind, id, account, body) VALUES ('gizmo', 'G1', '1', '{}')",
            [],
        )
        .unwrap();
    let error = store.load().unwrap_err().to_string();
    assert!(error.contains("\"gizmo\""), "{error}");
}

#[test]
fn a_file_that_is_not_a_database_is_refused() {
    let db = TempDb::new();
    std::fs::write(db.path(), vec![0x5a; 8192]).unwrap();
    let error = SqliteStore::open(db.path()).unwrap_err().to_string();
    assert!(error.contains(&db.path().display().to_string()), "{error}");
}

#[test]
fn a_missing_folder_is_an_error() {
    let db = TempDb::new();
    let path = db.path().join("no-such-folder").join("warden.db");
    assert!(SqliteStore::open(&path).is_err());
}

#[test]
fn errors_never_hold_record_bodies() {
    let db = TempDb::new();
    let store = SqliteStore::open(db.path()).unwrap();
    let secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
    let bad = record(
        Kind::AccessKey,
        "AKIAEXAMPLE",
        &format!("{{\"secret\":\"{secret}\""),
    );
    let error = store.commit(&[put(bad)]).unwrap_err().to_string();
    assert!(!error.contains(secret), "{error}");
    assert!(error.contains("AKIAEXAMPLE"), "{error}");
}

#[test]
fn debug_shows_the_path_only() {
    let db = TempDb::new();
    let store = SqliteStore::open(db.path()).unwrap();
    assert_eq!(
        format!("{store:?}"),
        format!("SqliteStore {{ path: {:?}, .. }}", db.path())
    );
}

#[test]
fn a_second_store_on_the_same_file_sees_committed_writes() {
    let db = TempDb::new();
    let first = SqliteStore::open(db.path()).unwrap();
    let second = SqliteStore::open(db.path()).unwrap();
    let alice = record(Kind::User, "AIDAALICE", "{}");
    first.commit(&[put(alice.clone())]).unwrap();
    assert_eq!(records(&second), vec![alice]);
}
