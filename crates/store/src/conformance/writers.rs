//! The promises several writers rely on: versions checked on write, the change log, names
//! unique per kind and account, and records merged by maximum.

use warden_core::error::StoreError;
use warden_core::store::{Change, Committed, Expect, Kind, Logged, Record, Store, Write};

use super::{ACCOUNT, Case, OTHER_ACCOUNT, Problem, expect_records, record, user};

pub(super) const CASES: &[Case] = &[
    Case(
        "a write's version is its sequence number, and load reports both",
        versions_are_sequence_numbers,
    ),
    Case(
        "a stale version refuses the whole commit",
        stale_version_refuses_the_commit,
    ),
    Case(
        "creating a record that exists is a conflict",
        create_of_existing_record_conflicts,
    ),
    Case("a delete checks its version", delete_checks_its_version),
    Case(
        "a record changed earlier in the same commit meets any expectation",
        same_commit_meets_expectations,
    ),
    Case(
        "the change log lists every write in order",
        change_log_lists_writes_in_order,
    ),
    Case(
        "sequence numbers keep growing after clear",
        sequence_grows_after_clear,
    ),
    Case(
        "names are unique per kind and account",
        names_are_unique_per_kind_and_account,
    ),
    Case(
        "a name is free again once its record is deleted or renamed",
        names_are_freed,
    ),
    Case(
        "a raise keeps the highest rank",
        raise_keeps_the_highest_rank,
    ),
];

fn versions_are_sequence_numbers(store: &dyn Store) -> Result<(), Problem> {
    let start = store.load()?.seq;
    let alice = user("AIDAALICE", ACCOUNT, r#"{"n":1}"#);
    let bob = user("AIDABOB", ACCOUNT, r#"{"n":1}"#);
    let first = store.commit(&[create(&alice), create(&bob)])?;
    let (a1, b1) = match first.versions.as_slice() {
        [Some(a), Some(b)] if first.base == start && start < *a && a < b => (*a, *b),
        other => return problem(format!("two creates after {start} wrote {other:?}")),
    };
    let alice2 = user("AIDAALICE", ACCOUNT, r#"{"n":2}"#);
    let second = store.commit(&[update(&alice2, a1)])?;
    let a2 = match second.versions.as_slice() {
        [Some(a2)] if second.base == b1 && *a2 > b1 => *a2,
        other => return problem(format!("an update after {b1} wrote {other:?}")),
    };
    let snapshot = store.load()?;
    let versions: Vec<(String, u64)> = snapshot
        .records
        .iter()
        .map(|v| (v.record.id.clone(), v.version))
        .collect();
    let expected = vec![("AIDAALICE".to_owned(), a2), ("AIDABOB".to_owned(), b1)];
    if versions != expected || snapshot.seq != a2 {
        return problem(format!(
            "load gave versions {versions:?} at {}, expected {expected:?} at {a2}",
            snapshot.seq
        ));
    }
    Ok(())
}

fn stale_version_refuses_the_commit(store: &dyn Store) -> Result<(), Problem> {
    let a1 = user("AIDAA", ACCOUNT, r#"{"n":1}"#);
    let a2 = user("AIDAA", ACCOUNT, r#"{"n":2}"#);
    let a3 = user("AIDAA", ACCOUNT, r#"{"n":3}"#);
    let b = user("AIDAB", ACCOUNT, r#"{"n":"b"}"#);
    let v1 = written(store.commit(&[create(&a1)])?)?;
    let v2 = written(store.commit(&[update(&a2, v1)])?)?;
    let seq = store.load()?.seq;
    // Decided on version v1, which another writer has replaced.
    expect_conflict(
        store.commit(&[create(&b), update(&a3, v1)]),
        "an update at a replaced version",
    )?;
    expect_records(store, std::slice::from_ref(&a2), "a refused commit")?;
    expect_log(store, seq, &[], "a refused commit")?;
    // Decided again on the current version, it lands.
    store.commit(&[create(&b), update(&a3, v2)])?;
    expect_records(store, &[a3, b], "the commit decided again")
}

fn create_of_existing_record_conflicts(store: &dyn Store) -> Result<(), Problem> {
    let first = user("AIDAA", ACCOUNT, r#"{"writer":1}"#);
    let second = user("AIDAA", ACCOUNT, r#"{"writer":2}"#);
    store.commit(&[create(&first)])?;
    expect_conflict(store.commit(&[create(&second)]), "a second create")?;
    expect_records(store, &[first], "a refused create")
}

fn delete_checks_its_version(store: &dyn Store) -> Result<(), Problem> {
    let a1 = user("AIDAA", ACCOUNT, r#"{"n":1}"#);
    let a2 = user("AIDAA", ACCOUNT, r#"{"n":2}"#);
    let v1 = written(store.commit(&[create(&a1)])?)?;
    let v2 = written(store.commit(&[update(&a2, v1)])?)?;
    expect_conflict(
        store.commit(&[remove(&a2, Expect::Version(v1))]),
        "a delete at a replaced version",
    )?;
    expect_conflict(
        store.commit(&[remove(&a2, Expect::Absent)]),
        "a delete of a record expected missing",
    )?;
    expect_records(store, std::slice::from_ref(&a2), "refused deletes")?;
    let deleted = store.commit(&[remove(&a2, Expect::Version(v2))])?;
    expect_records(store, &[], "a delete at the current version")?;
    if !matches!(deleted.versions.as_slice(), [Some(v)] if *v > v2) {
        return problem(format!("the delete wrote {:?}", deleted.versions));
    }
    let missing = store.commit(&[remove(&a2, Expect::Absent)])?;
    if missing.versions != [None] {
        return problem(format!(
            "a delete of a missing record wrote {:?}",
            missing.versions
        ));
    }
    expect_conflict(
        store.commit(&[remove(&a2, Expect::Version(v2))]),
        "a delete of a record another writer deleted",
    )
}

fn same_commit_meets_expectations(store: &dyn Store) -> Result<(), Problem> {
    let a1 = user("AIDAA", ACCOUNT, r#"{"n":1}"#);
    let a2 = user("AIDAA", ACCOUNT, r#"{"n":2}"#);
    let committed = store.commit(&[create(&a1), create(&a2)])?;
    if !matches!(committed.versions.as_slice(), [Some(x), Some(y)] if x < y) {
        return problem(format!("two puts wrote {:?}", committed.versions));
    }
    expect_records(store, std::slice::from_ref(&a2), "two puts of one record")?;
    let c = user("AIDAC", ACCOUNT, "{}");
    store.commit(&[create(&c), remove(&c, Expect::Absent)])?;
    expect_records(
        store,
        &[a2],
        "a put and a delete of one record in one commit",
    )
}

fn change_log_lists_writes_in_order(store: &dyn Store) -> Result<(), Problem> {
    let start = store.load()?.seq;
    let a = user("AIDAA", ACCOUNT, r#"{"n":"a"}"#);
    let b = user("AIDAB", OTHER_ACCOUNT, r#"{"n":"b"}"#);
    let a2 = user("AIDAA", ACCOUNT, r#"{"n":"a2"}"#);
    let used = record(Kind::KeyLastUsed, "AKIAUSED", ACCOUNT, r#"{"t":9}"#);
    let old_use = record(Kind::KeyLastUsed, "AKIAUSED", ACCOUNT, r#"{"t":1}"#);
    let first = store.commit(&[create(&a), create(&b)])?;
    let middle = store.load()?.seq;
    let second = store.commit(&[
        Change::Put {
            record: a2.clone(),
            expect: Expect::Any,
        },
        remove(&b, Expect::Any),
        // Nothing to delete and a raise that loses: neither is logged.
        remove(&user("AIDAGHOST", ACCOUNT, "{}"), Expect::Absent),
        raise(&used, 9),
        raise(&old_use, 1),
    ])?;
    let deleted_b = Write::Delete {
        kind: Kind::User,
        id: "AIDAB".into(),
        account: OTHER_ACCOUNT.into(),
    };
    let versions: Vec<Option<u64>> = first
        .versions
        .iter()
        .chain(&second.versions)
        .copied()
        .collect();
    let seqs: Vec<u64> = versions.iter().flatten().copied().collect();
    let [s1, s2, s3, s4, s5] = seqs.as_slice() else {
        return problem(format!("the commits wrote {versions:?}"));
    };
    let expected = [
        logged(*s1, Write::Put(a.clone())),
        logged(*s2, Write::Put(b)),
        logged(*s3, Write::Put(a2)),
        logged(*s4, deleted_b),
        logged(*s5, Write::Put(used)),
    ];
    expect_log(store, start, &expected, "two commits")?;
    expect_log(
        store,
        middle,
        expected.get(2..).unwrap_or_default(),
        "the second",
    )?;
    expect_log(store, *s5, &[], "the last write")?;
    if store.load()?.seq != *s5 {
        return problem("load is not current to the last write".into());
    }
    Ok(())
}

fn sequence_grows_after_clear(store: &dyn Store) -> Result<(), Problem> {
    let a = user("AIDAA", ACCOUNT, "{}");
    let before = written(store.commit(&[create(&a)])?)?;
    store.clear()?;
    let after = store.commit(&[create(&a)])?;
    let Some(version) = written(after.clone()).ok().filter(|v| *v > before) else {
        return problem(format!(
            "a write after clear got {:?}, not above {before}",
            after.versions
        ));
    };
    expect_log(
        store,
        0,
        &[logged(version, Write::Put(a))],
        "clear and one put",
    )
}

fn names_are_unique_per_kind_and_account(store: &dyn Store) -> Result<(), Problem> {
    let alice = named(Kind::User, "AIDAALICE", ACCOUNT, "alice");
    let rival = named(Kind::User, "AIDARIVAL", ACCOUNT, "alice");
    let elsewhere = named(Kind::User, "AIDAELSE", OTHER_ACCOUNT, "alice");
    let group = named(Kind::Group, "AGPAALICE", ACCOUNT, "alice");
    store.commit(&[create(&alice)])?;
    expect_conflict(
        store.commit(&[create(&group), create(&rival)]),
        "a second user of one name",
    )?;
    store.commit(&[create(&group), create(&elsewhere)])?;
    let bob = named(Kind::User, "AIDABOB", ACCOUNT, "bob");
    let v = written(store.commit(&[create(&bob)])?)?;
    let renamed = named(Kind::User, "AIDABOB", ACCOUNT, "alice");
    expect_conflict(store.commit(&[update(&renamed, v)]), "a rename onto a name")?;
    expect_records(store, &[alice, bob, elsewhere, group], "refused names")
}

fn names_are_freed(store: &dyn Store) -> Result<(), Problem> {
    let alice = named(Kind::User, "AIDAALICE", ACCOUNT, "alice");
    let again = named(Kind::User, "AIDAAGAIN", ACCOUNT, "alice");
    let v = written(store.commit(&[create(&alice)])?)?;
    // Deleted and taken again in one commit.
    store.commit(&[remove(&alice, Expect::Version(v)), create(&again)])?;
    let v = store.load()?.seq;
    let renamed = named(Kind::User, "AIDAAGAIN", ACCOUNT, "carol");
    store.commit(&[update(&renamed, v)])?;
    store.commit(&[create(&alice)])?;
    expect_records(store, &[renamed, alice], "names deleted and renamed away")
}

fn raise_keeps_the_highest_rank(store: &dyn Store) -> Result<(), Problem> {
    let kind = Kind::RoleLastUsed;
    let at = |t: u64| record(kind, "AROAUSED", ACCOUNT, &format!(r#"{{"t":{t}}}"#));
    let outcomes = [
        store.commit(&[raise(&at(10), 10)])?,
        store.commit(&[raise(&at(5), 5)])?,
        store.commit(&[raise(&at(10), 10)])?,
    ];
    let written: Vec<bool> = outcomes
        .iter()
        .map(|c| c.versions.iter().all(Option::is_some))
        .collect();
    if written != [true, false, false] {
        return problem(format!("raises to 10, 5, 10 wrote {written:?}"));
    }
    expect_records(store, &[at(10)], "an older rank")?;
    store.commit(&[raise(&at(20), 20)])?;
    expect_records(store, &[at(20)], "a newer rank")
}

fn problem<T>(message: String) -> Result<T, Problem> {
    Err(Problem(message))
}

fn named(kind: Kind, id: &str, account: &str, name: &str) -> Record {
    Record {
        name: Some(name.to_owned()),
        ..record(kind, id, account, &format!(r#"{{"name":"{name}"}}"#))
    }
}

fn create(record: &Record) -> Change {
    Change::Put {
        record: record.clone(),
        expect: Expect::Absent,
    }
}

fn update(record: &Record, version: u64) -> Change {
    Change::Put {
        record: record.clone(),
        expect: Expect::Version(version),
    }
}

fn remove(record: &Record, expect: Expect) -> Change {
    Change::Delete {
        kind: record.kind,
        id: record.id.clone(),
        expect,
    }
}

fn raise(record: &Record, rank: u64) -> Change {
    Change::Raise {
        record: record.clone(),
        rank,
    }
}

fn logged(seq: u64, write: Write) -> Logged {
    Logged { seq, write }
}

/// The one version a commit of one write wrote.
fn written(committed: Committed) -> Result<u64, Problem> {
    match committed.versions.as_slice() {
        [Some(version)] => Ok(*version),
        other => problem(format!("one write wrote {other:?}")),
    }
}

fn expect_conflict(outcome: Result<Committed, StoreError>, what: &str) -> Result<(), Problem> {
    match outcome {
        Err(StoreError::Conflict(_)) => Ok(()),
        Err(error) => problem(format!("{what} failed with {error}, not a conflict")),
        Ok(committed) => problem(format!("{what} was committed: {committed:?}")),
    }
}

/// Checks that the change log after `seq` is exactly `expected`.
fn expect_log(
    store: &dyn Store,
    seq: u64,
    expected: &[Logged],
    after: &str,
) -> Result<(), Problem> {
    let actual = store.changes_since(seq)?;
    if actual == expected {
        return Ok(());
    }
    let show = |entries: &[Logged]| -> Vec<String> {
        entries
            .iter()
            .map(|entry| match &entry.write {
                Write::Put(r) => format!("{} put {}/{}", entry.seq, r.kind.as_str(), r.id),
                Write::Delete { kind, id, account } => {
                    format!("{} delete {}/{id} of {account}", entry.seq, kind.as_str())
                }
            })
            .collect()
    };
    problem(format!(
        "after {after}, changes since {seq} are {:?}, expected {:?}",
        show(&actual),
        show(expected)
    ))
}
