//! The conformance suite for [`Store`] engines: what `load`, `commit` and `clear` promise,
//! checked the same way against every engine.
//!
//! An engine's tests call [`run_all`] with an [`Engine`] that makes fresh, empty stores. Each
//! case runs on a store of its own, and every failing case is reported, not only the first.
//!
//! The promises checked:
//! - `load` returns every record, ordered by [`Kind`] (in the enum's declaration order) and
//!   then by id (byte order), whatever order they were written in.
//! - A record is keyed by its kind and id, compared exactly (case, spaces and Unicode
//!   normalization all count); a `Put` of an existing key replaces its account and body.
//! - `commit` applies its changes in order as one unit; deleting a missing record is no error;
//!   an empty commit changes nothing; commits from several threads all land.
//! - `clear` removes every record and leaves the store usable.
//! - Bodies of any size and any Unicode text come back byte for byte.
//! - All or nothing: when a commit fails midway, none of its changes is kept or logged, and
//!   the store stays usable. Provoking that needs a change the engine refuses, which an engine names in
//!   [`Engine::rejected`] (SQLite refuses a body that is not JSON). `MemoryStore` has no such
//!   change: it applies a whole batch under one lock with no error path between the first
//!   change and the last, so its commits are all-or-nothing by construction and the check has
//!   nothing to provoke; it passes `None`, and the atomicity cases are skipped for it.
//! - A store's error messages never hold a record body (bodies may hold sealed secrets).
//!
//! And what several writers rely on ([`writers`]):
//! - A write's version is its sequence number; a put or delete whose expected version (or
//!   expected absence) is not what the store holds refuses the whole commit with
//!   `StoreError::Conflict`, logging nothing; a record changed earlier in the same commit
//!   meets any expectation.
//! - `changes_since` lists every write after a sequence number, in order, deletes with the
//!   account they belonged to; a delete of a missing record and a raise that loses are not
//!   writes. Sequence numbers keep growing after `clear`.
//! - Names are unique per kind and account; a deleted or renamed record frees its name.
//! - A raise keeps the record of the highest rank.
//!
//! And, with two `Service`s on two handles of one database ([`services`]): catching up,
//! deciding again after a conflict, racing creates of one name, racing MFA codes, last use
//! merged by maximum, and the refusal of a record body in a newer format.

mod services;
mod writers;

use std::fmt;
use std::sync::Arc;

use warden_core::error::StoreError;
use warden_core::store::{Change, Committed, Expect, Kind, Record, Store};

/// An engine under test.
pub struct Engine<'a> {
    /// Makes a fresh, empty store; called once per case.
    pub make: &'a dyn Fn() -> Result<Box<dyn Store>, StoreError>,
    /// Makes two handles on one fresh, empty database, as two servers would open it (for an
    /// in-memory engine, the same store twice).
    pub pair: &'a dyn Fn() -> Result<Handles, StoreError>,
    /// A record whose `Put` this engine refuses, used to make a commit fail midway. Its body
    /// should be distinctive: the suite checks that it does not appear in the error. `None`
    /// for an engine that cannot fail once a commit has started.
    pub rejected: Option<Record>,
}

impl fmt::Debug for Engine<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Engine")
            .field("rejected", &self.rejected)
            .finish_non_exhaustive()
    }
}

/// Two handles on one database.
#[derive(Debug)]
pub struct Handles(pub Arc<dyn Store>, pub Arc<dyn Store>);

/// A case the engine failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// What the case checks.
    pub case: &'static str,
    /// What went wrong.
    pub message: String,
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.case, self.message)
    }
}

/// Runs every case against `engine`, each on a fresh store, and returns the failures (none
/// when the engine conforms).
pub fn run_all(engine: &Engine<'_>) -> Vec<Failure> {
    let mut failures = Vec::new();
    for &Case(name, check) in CASES.iter().chain(writers::CASES) {
        run(engine, name, &mut failures, check);
    }
    for &services::PairCase(name, check) in services::CASES {
        let outcome = match (engine.pair)() {
            Ok(handles) => check(handles),
            Err(error) => Err(Problem(format!("could not make two stores: {error}"))),
        };
        if let Err(Problem(message)) = outcome {
            failures.push(Failure {
                case: name,
                message,
            });
        }
    }
    if let Some(rejected) = &engine.rejected {
        for &AtomicityCase(name, check) in ATOMICITY_CASES {
            run(engine, name, &mut failures, |store| check(store, rejected));
        }
    }
    failures
}

/// A case that needs nothing but a store: what it checks, and the check.
struct Case(&'static str, fn(&dyn Store) -> Result<(), Problem>);

/// A case that also needs a record whose put the engine refuses.
struct AtomicityCase(&'static str, fn(&dyn Store, &Record) -> Result<(), Problem>);

const CASES: &[Case] = &[
    Case("a new store loads nothing", empty_store_loads_nothing),
    Case("a put record loads back", put_then_load),
    Case("a put replaces the record with its key", put_overwrites),
    Case(
        "a delete removes its record only",
        delete_removes_its_record,
    ),
    Case(
        "deleting a missing record is fine",
        delete_of_missing_record_is_fine,
    ),
    Case(
        "one commit applies its changes in order",
        one_commit_applies_changes_in_order,
    ),
    Case(
        "an empty commit changes nothing",
        empty_commit_changes_nothing,
    ),
    Case("clear removes every record", clear_removes_every_record),
    Case(
        "kinds and accounts are kept apart",
        kinds_and_accounts_are_kept_apart,
    ),
    Case("load orders by kind then id", load_orders_by_kind_then_id),
    Case("keys are compared exactly", keys_are_compared_exactly),
    Case(
        "large bodies and many records round-trip",
        large_bodies_round_trip,
    ),
    Case("unicode round-trips", unicode_round_trips),
    Case(
        "commits from several threads all land",
        commits_from_several_threads_all_land,
    ),
];

const ATOMICITY_CASES: &[AtomicityCase] = &[
    AtomicityCase(
        "a commit that fails midway keeps none of its changes",
        failed_commit_keeps_nothing,
    ),
    AtomicityCase(
        "a refused put leaves the record it would replace",
        refused_put_keeps_old_record,
    ),
];

fn run(
    engine: &Engine<'_>,
    case: &'static str,
    failures: &mut Vec<Failure>,
    check: impl FnOnce(&dyn Store) -> Result<(), Problem>,
) {
    let outcome = match (engine.make)() {
        Ok(store) => check(store.as_ref()),
        Err(error) => Err(Problem(format!("could not make a store: {error}"))),
    };
    if let Err(Problem(message)) = outcome {
        failures.push(Failure { case, message });
    }
}

fn empty_store_loads_nothing(store: &dyn Store) -> Result<(), Problem> {
    expect_records(store, &[], "nothing was written")
}

fn put_then_load(store: &dyn Store) -> Result<(), Problem> {
    let alice = user("AIDAALICE", ACCOUNT, r#"{"name":"alice"}"#);
    store.commit(&[put(&alice)])?;
    expect_records(store, &[alice], "one put")
}

fn put_overwrites(store: &dyn Store) -> Result<(), Problem> {
    let old = user("AIDAALICE", ACCOUNT, r#"{"name":"alice","path":"/"}"#);
    let new = user(
        "AIDAALICE",
        OTHER_ACCOUNT,
        r#"{"name":"alice","path":"/admins/"}"#,
    );
    let bob = user("AIDABOB", ACCOUNT, r#"{"name":"bob"}"#);
    store.commit(&[put(&old), put(&bob)])?;
    store.commit(&[put(&new)])?;
    expect_records(store, &[new, bob], "a put over an existing record")
}

fn delete_removes_its_record(store: &dyn Store) -> Result<(), Problem> {
    let a = user("AIDAA", ACCOUNT, r#"{"n":"a"}"#);
    let b = user("AIDAB", ACCOUNT, r#"{"n":"b"}"#);
    let c = user("AIDAC", ACCOUNT, r#"{"n":"c"}"#);
    store.commit(&[put(&a), put(&b), put(&c)])?;
    store.commit(&[delete(&b)])?;
    expect_records(store, &[a.clone(), c.clone()], "deleting b")?;
    store.commit(&[delete(&a), delete(&c)])?;
    expect_records(store, &[], "deleting the rest")
}

fn delete_of_missing_record_is_fine(store: &dyn Store) -> Result<(), Problem> {
    store.commit(&[Change::Delete {
        kind: Kind::User,
        id: "AIDAGHOST".into(),
        expect: Expect::Any,
    }])?;
    expect_records(store, &[], "deleting from an empty store")?;
    let alice = user("AIDAALICE", ACCOUNT, r#"{"name":"alice"}"#);
    store.commit(&[put(&alice)])?;
    store.commit(&[
        Change::Delete {
            kind: Kind::User,
            id: "AIDAGHOST".into(),
            expect: Expect::Any,
        },
        // Same id, other kind: a different record, also missing.
        Change::Delete {
            kind: Kind::Role,
            id: alice.id.clone(),
            expect: Expect::Any,
        },
    ])?;
    expect_records(store, &[alice], "deleting missing records")
}

fn one_commit_applies_changes_in_order(store: &dyn Store) -> Result<(), Problem> {
    let a1 = user("AIDAA", ACCOUNT, r#"{"v":1}"#);
    let a2 = user("AIDAA", ACCOUNT, r#"{"v":2}"#);
    let a3 = user("AIDAA", ACCOUNT, r#"{"v":3}"#);
    let b = user("AIDAB", ACCOUNT, r#"{"n":"b"}"#);
    let c = user("AIDAC", ACCOUNT, r#"{"n":"c"}"#);
    store.commit(&[
        put(&a1),
        put(&b),
        delete(&b),
        put(&c),
        put(&a2),
        Change::Delete {
            kind: Kind::Group,
            id: "AGPAMISSING".into(),
            expect: Expect::Any,
        },
    ])?;
    expect_records(store, &[a2.clone(), c.clone()], "a mixed commit")?;
    store.commit(&[delete(&a2), put(&a3), put(&b), delete(&c)])?;
    expect_records(store, &[a3, b], "deletes and puts of the same keys")
}

fn empty_commit_changes_nothing(store: &dyn Store) -> Result<(), Problem> {
    let alice = user("AIDAALICE", ACCOUNT, r#"{"name":"alice"}"#);
    store.commit(&[])?;
    expect_records(store, &[], "an empty commit on an empty store")?;
    store.commit(&[put(&alice)])?;
    store.commit(&[])?;
    expect_records(store, &[alice], "an empty commit")
}

fn clear_removes_every_record(store: &dyn Store) -> Result<(), Problem> {
    store.clear()?;
    expect_records(store, &[], "clearing an empty store")?;
    let records = one_of_each_kind(ACCOUNT);
    store.commit(&records.iter().map(put).collect::<Vec<_>>())?;
    store.clear()?;
    expect_records(store, &[], "clear")?;
    let alice = user("AIDAALICE", ACCOUNT, r#"{"name":"alice"}"#);
    store.commit(&[put(&alice)])?;
    expect_records(store, &[alice], "a put after clear")
}

fn kinds_and_accounts_are_kept_apart(store: &dyn Store) -> Result<(), Problem> {
    let mut records = one_of_each_kind(ACCOUNT);
    records.extend(one_of_each_kind(OTHER_ACCOUNT));
    // The same id under every kind: one record per kind.
    records.extend(
        Kind::ALL
            .into_iter()
            .map(|kind| record(kind, "shared-id", ACCOUNT, r#"{"shared":true}"#)),
    );
    store.commit(&records.iter().map(put).collect::<Vec<_>>())?;
    sort(&mut records);
    expect_records(store, &records, "one record of each kind in two accounts")?;
    let shared_user = record(Kind::User, "shared-id", ACCOUNT, "{}");
    store.commit(&[delete(&shared_user)])?;
    records.retain(|r| !(r.kind == Kind::User && r.id == "shared-id"));
    expect_records(store, &records, "deleting the shared id of one kind")
}

fn load_orders_by_kind_then_id(store: &dyn Store) -> Result<(), Problem> {
    let profile = record(Kind::InstanceProfile, "b", ACCOUNT, "{}");
    let account_z = record(Kind::Account, "z", "z", "{}");
    let user_b = user("b", ACCOUNT, "{}");
    let user_upper_b = user("B", ACCOUNT, "{}");
    let user_a = user("a", ACCOUNT, "{}");
    let account_1 = record(Kind::Account, "1", "1", "{}");
    let key = record(Kind::AccessKey, "AKIAEXAMPLE", ACCOUNT, "{}");
    let policy = record(Kind::Policy, "ANPAEXAMPLE", ACCOUNT, "{}");
    store.commit(&[put(&profile), put(&account_z), put(&user_b)])?;
    store.commit(&[put(&user_upper_b), put(&key)])?;
    store.commit(&[put(&user_a), put(&policy), put(&account_1)])?;
    // Rewriting a record does not move it.
    let user_upper_b = user("B", ACCOUNT, r#"{"rewritten":true}"#);
    store.commit(&[put(&user_upper_b)])?;
    let expected = [
        account_1,
        account_z,
        user_upper_b,
        user_a,
        user_b,
        policy,
        key,
        profile,
    ];
    expect_records(store, &expected, "puts in mixed order")
}

fn keys_are_compared_exactly(store: &dyn Store) -> Result<(), Problem> {
    // Listed in byte order; "é" once composed (U+00E9) and once decomposed (e + U+0301).
    let ids = ["Alice", "alice", "alice ", "e\u{301}", "\u{e9}"];
    let records: Vec<Record> = ids
        .iter()
        .enumerate()
        .map(|(n, id)| user(id, ACCOUNT, &format!(r#"{{"n":{n}}}"#)))
        .collect();
    store.commit(&records.iter().rev().map(put).collect::<Vec<_>>())?;
    expect_records(
        store,
        &records,
        "ids that differ in case, spaces or normalization",
    )
}

fn large_bodies_round_trip(store: &dyn Store) -> Result<(), Problem> {
    let text: String = "Statement/Action/Resource:0123456789 "
        .chars()
        .cycle()
        .take(4 << 20)
        .collect();
    let large = record(
        Kind::Policy,
        "ANPALARGE",
        ACCOUNT,
        &format!(r#"{{"document":"{text}"}}"#),
    );
    store.commit(&[put(&large)])?;
    expect_records(store, std::slice::from_ref(&large), "a 4 MiB body")?;
    let mut many: Vec<Record> = (0..1000)
        .map(|n| user(&format!("AIDA{n:04}"), ACCOUNT, &format!(r#"{{"n":{n}}}"#)))
        .collect();
    store.commit(&many.iter().map(put).collect::<Vec<_>>())?;
    many.push(large);
    expect_records(store, &many, "1,000 records in one commit")
}

fn unicode_round_trips(store: &dyn Store) -> Result<(), Problem> {
    let body =
        r#"{"name":"Zoë","crab":"🦀","rtl":"שלום","han":"名前","escaped":"\u00e9\u0000\n\"\\"}"#;
    let records = [
        user("用户-Ω-🦀", "账户", body),
        user(
            "zo\u{eb}",
            ACCOUNT,
            "{\"combining\":\"e\u{301}\",\"zero-width\":\"a\u{200b}b\",\"bom\":\"\u{feff}\"}",
        ),
    ];
    store.commit(&records.iter().map(put).collect::<Vec<_>>())?;
    let mut expected = records.to_vec();
    sort(&mut expected);
    expect_records(store, &expected, "non-ASCII ids, accounts and bodies")
}

fn commits_from_several_threads_all_land(store: &dyn Store) -> Result<(), Problem> {
    const THREADS: usize = 4;
    const COMMITS: usize = 25;
    let writer = |thread: usize| -> Result<(), StoreError> {
        for n in 0..COMMITS {
            store.commit(&[put(&user(&format!("t{thread}-{n:02}"), ACCOUNT, "{}"))])?;
        }
        Ok(())
    };
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..THREADS)
            .map(|thread| scope.spawn(move || writer(thread)))
            .collect();
        handles
            .into_iter()
            .try_for_each(|handle| match handle.join() {
                Ok(outcome) => outcome.map_err(Problem::from),
                Err(_) => Err(Problem("a writer thread panicked".into())),
            })
    })?;
    let mut expected: Vec<Record> = (0..THREADS)
        .flat_map(|thread| {
            (0..COMMITS).map(move |n| user(&format!("t{thread}-{n:02}"), ACCOUNT, "{}"))
        })
        .collect();
    sort(&mut expected);
    expect_records(store, &expected, "commits from several threads")
}

fn failed_commit_keeps_nothing(store: &dyn Store, rejected: &Record) -> Result<(), Problem> {
    let a1 = user("AIDAA", ACCOUNT, r#"{"v":1}"#);
    let a2 = user("AIDAA", ACCOUNT, r#"{"v":2}"#);
    let b = user("AIDAB", ACCOUNT, r#"{"n":"b"}"#);
    let c = user("AIDAC", ACCOUNT, r#"{"n":"c"}"#);
    store.commit(&[put(&a1), put(&b)])?;
    let seq = store.load()?.seq;
    let outcome = store.commit(&[put(&c), delete(&b), put(&a2), put(rejected), put(&c)]);
    expect_refused(outcome, rejected)?;
    expect_records(
        store,
        &[a1.clone(), b.clone()],
        "a commit that failed midway",
    )?;
    let logged = store.changes_since(seq)?.len();
    if logged != 0 || store.load()?.seq != seq {
        return Err(Problem(format!(
            "a commit that failed midway logged {logged} writes or moved the sequence"
        )));
    }
    let committed = store.commit(&[put(&c)])?;
    if committed.base != seq {
        return Err(Problem(format!(
            "the commit after a failed one starts at {}, not {seq}",
            committed.base
        )));
    }
    expect_records(store, &[a1, b, c], "a commit after a failed one")
}

fn refused_put_keeps_old_record(store: &dyn Store, rejected: &Record) -> Result<(), Problem> {
    expect_refused(store.commit(&[put(rejected)]), rejected)?;
    expect_records(store, &[], "a refused put into an empty store")?;
    let old = Record {
        body: r#"{"valid":true}"#.into(),
        ..rejected.clone()
    };
    store.commit(&[put(&old)])?;
    expect_refused(store.commit(&[put(rejected)]), rejected)?;
    expect_records(store, &[old], "a refused put over an existing record")
}

/// Why a case failed.
struct Problem(String);

impl From<StoreError> for Problem {
    fn from(error: StoreError) -> Self {
        Problem(format!("unexpected error: {error}"))
    }
}

const ACCOUNT: &str = "111122223333";
const OTHER_ACCOUNT: &str = "444455556666";

fn record(kind: Kind, id: &str, account: &str, body: &str) -> Record {
    Record {
        kind,
        id: id.into(),
        account: account.into(),
        name: None,
        body: body.into(),
    }
}

fn user(id: &str, account: &str, body: &str) -> Record {
    record(Kind::User, id, account, body)
}

fn one_of_each_kind(account: &str) -> Vec<Record> {
    Kind::ALL
        .into_iter()
        .map(|kind| {
            let id = format!("{}-{account}", kind.as_str());
            let body = format!(r#"{{"kind":"{}","account":"{account}"}}"#, kind.as_str());
            record(kind, &id, account, &body)
        })
        .collect()
}

/// A put with no expectation: the cases of one writer.
fn put(record: &Record) -> Change {
    Change::Put {
        record: record.clone(),
        expect: Expect::Any,
    }
}

fn delete(record: &Record) -> Change {
    Change::Delete {
        kind: record.kind,
        id: record.id.clone(),
        expect: Expect::Any,
    }
}

/// Sorts records into the order `load` promises.
fn sort(records: &mut [Record]) {
    records.sort_by(|a, b| (a.kind, &a.id).cmp(&(b.kind, &b.id)));
}

/// Checks that the store loads exactly `expected`, in that order.
fn expect_records(store: &dyn Store, expected: &[Record], after: &str) -> Result<(), Problem> {
    let actual: Vec<Record> = store
        .load()?
        .records
        .into_iter()
        .map(|v| v.record)
        .collect();
    match difference(&actual, expected) {
        None => Ok(()),
        Some(difference) => Err(Problem(format!("after {after}: {difference}"))),
    }
}

/// The first difference between two lists of records, described without their bodies.
fn difference(actual: &[Record], expected: &[Record]) -> Option<String> {
    let key = |r: &Record| format!("{}/{}", r.kind.as_str(), r.id);
    if actual.len() != expected.len() {
        let missing: Vec<String> = expected
            .iter()
            .filter(|e| !actual.iter().any(|a| a.kind == e.kind && a.id == e.id))
            .take(5)
            .map(key)
            .collect();
        let unexpected: Vec<String> = actual
            .iter()
            .filter(|a| !expected.iter().any(|e| e.kind == a.kind && e.id == a.id))
            .take(5)
            .map(key)
            .collect();
        return Some(format!(
            "loaded {} records, expected {} (missing {missing:?}, unexpected {unexpected:?})",
            actual.len(),
            expected.len()
        ));
    }
    actual
        .iter()
        .zip(expected)
        .enumerate()
        .find_map(|(n, (a, e))| {
            if (a.kind, &a.id) != (e.kind, &e.id) {
                Some(format!(
                    "record #{n} is {:?}, expected {:?}",
                    key(a),
                    key(e)
                ))
            } else if a.account != e.account {
                Some(format!(
                    "{:?} has account {:?}, expected {:?}",
                    key(a),
                    a.account,
                    e.account
                ))
            } else if a.name != e.name {
                Some(format!(
                    "{:?} has name {:?}, expected {:?}",
                    key(a),
                    a.name,
                    e.name
                ))
            } else if a.body != e.body {
                let at = a
                    .body
                    .bytes()
                    .zip(e.body.bytes())
                    .position(|(x, y)| x != y)
                    .unwrap_or(a.body.len().min(e.body.len()));
                Some(format!(
                    "{:?} has a body of {} bytes that differs from the expected {} bytes at byte {at}",
                    key(a),
                    a.body.len(),
                    e.body.len()
                ))
            } else {
                None
            }
        })
}

/// Checks that a commit holding `rejected` failed, without the rejected body in its error.
fn expect_refused(
    outcome: Result<Committed, StoreError>,
    rejected: &Record,
) -> Result<(), Problem> {
    match outcome {
        Ok(_) => Err(Problem(format!(
            "a commit putting the rejected record {}/{} succeeded",
            rejected.kind.as_str(),
            rejected.id
        ))),
        Err(error) if error.to_string().contains(&rejected.body) => Err(Problem(
            "the commit's error message holds the record body".into(),
        )),
        Err(_) => Ok(()),
    }
}
