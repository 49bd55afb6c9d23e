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

/// A data folder made before versions and the change log (schema 1, bodies without a format
/// version, an access key's last use inside its body) opens with this build and keeps its
/// data: names are filled in from the bodies and enforced, last use is still shown, and the
/// service writes on top of it.
#[test]
fn a_database_of_schema_one_is_migrated_and_keeps_its_data() {
    use std::collections::HashMap;
    use std::sync::Arc;

    use serde_json::{Value, json};
    use warden_core::ids::OsRandom;
    use warden_core::store::MemoryStore;
    use warden_core::{Caller, Identity, MasterKey, RequestInfo, Service, StoreError};

    const ACCOUNT: &str = "111122223333";
    let service = |store: Arc<dyn Store>| {
        Service::open(
            store,
            MasterKey::from_bytes([5; 32]),
            Arc::new(warden_core::time::SystemClock),
            Arc::new(OsRandom),
        )
        .unwrap()
    };
    let call = |service: &Service, action: &str, input: Value| {
        let root = Caller {
            account: warden_core::model::AccountId::parse(ACCOUNT).unwrap(),
            identity: Identity::Root,
            access_key_id: None,
        };
        let info = RequestInfo {
            source_ip: None,
            secure_transport: true,
            user_agent: None,
            region: "us-east-1".to_owned(),
            request_id: "migration".to_owned(),
        };
        let action = warden_core::Action::named(action).expect("an IAM operation");
        service.call(&root, &info, action, input)
    };

    // What the records were: today's entities, written the way schema 1's code wrote them.
    let memory = Arc::new(MemoryStore::default());
    let old = service(Arc::clone(&memory) as Arc<dyn Store>);
    old.bootstrap(Some(ACCOUNT), None).unwrap();
    call(&old, "CreateUser", json!({"UserName": "Alice"})).unwrap();
    let key = call(&old, "CreateAccessKey", json!({"UserName": "Alice"})).unwrap();
    let key_id = key["AccessKey"]["AccessKeyId"].as_str().unwrap().to_owned();
    old.record_key_use(&key_id, "iam", "eu-west-1");
    old.flush_key_use().unwrap();
    let mut last_used: HashMap<String, Value> = HashMap::new();
    let mut legacy = Vec::new();
    for stored in memory.load().unwrap().records {
        let record = stored.record;
        let mut body: Value = serde_json::from_str(&record.body).unwrap();
        body.as_object_mut().unwrap().remove("v");
        if record.kind == Kind::KeyLastUsed {
            last_used.insert(record.id, body["used"].clone());
            continue;
        }
        legacy.push((record.kind, record.id, record.account, body));
    }
    let db = TempDb::new();
    {
        let raw = raw(&db);
        raw.execute_batch(
            "CREATE TABLE schema_migrations (
                 version    INTEGER NOT NULL PRIMARY KEY,
                 name       TEXT NOT NULL,
                 applied_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
             ) STRICT;
             INSERT INTO schema_migrations (version, name) VALUES (1, '0001_records');",
        )
        .unwrap();
        raw.execute_batch(include_str!("../migrations/sqlite/0001_records.sql"))
            .unwrap();
        for (kind, id, account, mut body) in legacy {
            if let Some(used) = last_used.get(&id) {
                body["last_used"] = used.clone();
            }
            raw.execute(
                "INSERT INTO records (kind, id, account, body) VALUES (?1, ?2, ?3, ?4)",
                (kind.as_str(), &id, &account, body.to_string()),
            )
            .unwrap();
        }
    }

    let store = Arc::new(SqliteStore::open(db.path()).unwrap());
    assert_eq!(store.schema_version().unwrap(), SqliteStore::SCHEMA_VERSION);
    let snapshot = store.load().unwrap();
    let alice = snapshot
        .records
        .iter()
        .find(|v| v.record.kind == Kind::User)
        .unwrap();
    assert_eq!(alice.record.name.as_deref(), Some("alice"));
    assert_eq!(alice.version, 0);
    assert_eq!(snapshot.seq, 0);

    let new = service(Arc::clone(&store) as Arc<dyn Store>);
    call(&new, "GetUser", json!({"UserName": "alice"})).unwrap();
    let used = call(&new, "GetAccessKeyLastUsed", json!({"AccessKeyId": key_id})).unwrap();
    assert_eq!(used["AccessKeyLastUsed"]["Region"], "eu-west-1");
    let rival = Record {
        name: Some("alice".to_owned()),
        ..record(Kind::User, "AIDARIVAL", "{}")
    };
    let outcome = store.commit(&[Change::Put {
        record: rival,
        expect: Expect::Absent,
    }]);
    assert!(
        matches!(outcome, Err(StoreError::Conflict(_))),
        "{outcome:?}"
    );

    call(&new, "CreateUser", json!({"UserName": "bob"})).unwrap();
    call(
        &new,
        "TagUser",
        json!({"UserName": "alice", "Tags": [{"Key": "k", "Value": "v"}]}),
    )
    .unwrap();
    let reopened = service(store);
    call(&reopened, "GetUser", json!({"UserName": "bob"})).unwrap();
    let tags = call(&reopened, "ListUserTags", json!({"UserName": "alice"})).unwrap();
    assert_eq!(tags["Tags"][0]["Key"], "k");
    let used = call(
        &reopened,
        "GetAccessKeyLastUsed",
        json!({"AccessKeyId": key_id}),
    )
    .unwrap();
    assert_eq!(used["AccessKeyLastUsed"]["Region"], "eu-west-1");
}
