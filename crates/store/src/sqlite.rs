//! [`SqliteStore`]: the embedded default [`Store`], one SQLite database file in WAL mode.

mod migrations;

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use std::collections::HashSet;

use rusqlite::{Connection, OpenFlags, OptionalExtension, Transaction, TransactionBehavior};
use warden_core::error::StoreError;
use warden_core::store::{
    Change, Committed, Kind, Logged, Record, Snapshot, Store, Versioned, Write, meets,
    name_conflict, version_conflict,
};

/// How long a write waits for another connection's lock before it fails.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

const UPSERT_RECORD: &str = "INSERT INTO records (kind, id, account, name, body, version, rank)
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
     ON CONFLICT (kind, id) DO UPDATE SET account = excluded.account, name = excluded.name,
         body = excluded.body, version = excluded.version, rank = excluded.rank";
const DELETE_RECORD: &str = "DELETE FROM records WHERE kind = ?1 AND id = ?2";
const CURRENT_RECORD: &str =
    "SELECT version, rank, account FROM records WHERE kind = ?1 AND id = ?2";
const LOG_CHANGE: &str =
    "INSERT INTO changes (kind, id, account, name, body) VALUES (?1, ?2, ?3, ?4, ?5)";
/// The last sequence number handed out (kept by SQLite for the AUTOINCREMENT column).
const LAST_SEQ: &str =
    "SELECT coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'changes'), 0)";

/// A [`Store`] in one SQLite database file.
///
/// The file is opened in WAL mode with `synchronous=FULL`, so a commit that returned is on
/// disk, power loss included. One connection behind a mutex does this store's work: Warden
/// serves reads from its in-memory state, so the database sees writes, the start-up load and
/// reads of the change log. Other stores may open the same file: commits take SQLite's write
/// lock at once (`BEGIN IMMEDIATE`), so they run one at a time, each checking versions and
/// handing out sequence numbers on the state the one before left.
/// Its schema is versioned by numbered migrations, applied when the file is opened.
pub struct SqliteStore {
    path: PathBuf,
    connection: Mutex<Connection>,
}

impl SqliteStore {
    /// The newest schema version this build knows and brings every database to.
    pub const SCHEMA_VERSION: u32 = migrations::LATEST;

    /// Opens the database at `path`, creating the file (mode 0600 on unix) when it does not
    /// exist, and migrates it to [`SqliteStore::SCHEMA_VERSION`]. Fails on a file that is not
    /// a SQLite database, on a schema newer than this build knows, and when WAL mode cannot be
    /// turned on.
    pub fn open(path: &Path) -> Result<SqliteStore, StoreError> {
        create_private(path).map_err(|error| {
            StoreError::new(format!("sqlite {}: create file: {error}", path.display()))
        })?;
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let mut connection =
            Connection::open_with_flags(path, flags).map_err(sql_error(path, "open"))?;
        configure(&connection, path)?;
        migrations::migrate(&mut connection, path)?;
        Ok(SqliteStore {
            path: path.to_path_buf(),
            connection: Mutex::new(connection),
        })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The schema version recorded in the database.
    pub fn schema_version(&self) -> Result<u32, StoreError> {
        migrations::applied_version(&self.connection(), &self.path)
    }

    /// The value stored under `key` in the store-wide key/value table, if any.
    pub fn meta(&self, key: &str) -> Result<Option<String>, StoreError> {
        self.connection()
            .query_row("SELECT value FROM meta WHERE key = ?1", [key], |row| {
                row.get(0)
            })
            .optional()
            .map_err(sql_error(&self.path, &format!("read meta {key:?}")))
    }

    /// Stores `value` under `key` in the store-wide key/value table, replacing any value.
    pub fn set_meta(&self, key: &str, value: &str) -> Result<(), StoreError> {
        self.connection()
            .execute(
                "INSERT INTO meta (key, value) VALUES (?1, ?2)
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                [key, value],
            )
            .map(drop)
            .map_err(sql_error(&self.path, &format!("write meta {key:?}")))
    }

    /// The connection, for one operation at a time. A panic while it was held cannot have
    /// left a transaction open (a dropped `Transaction` rolls back), so a poisoned lock is
    /// still safe to use.
    fn connection(&self) -> MutexGuard<'_, Connection> {
        self.connection
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

impl Store for SqliteStore {
    /// Every record, ordered by [`Kind`] then id, read in one transaction with the sequence
    /// number they are current to.
    fn load(&self) -> Result<Snapshot, StoreError> {
        let mut connection = self.connection();
        let transaction = connection
            .transaction()
            .map_err(sql_error(&self.path, "begin load"))?;
        let mut records = Vec::new();
        {
            let mut statement = transaction
                .prepare_cached("SELECT kind, id, account, name, body, version FROM records")
                .map_err(sql_error(&self.path, "load records"))?;
            let rows = statement
                .query_map([], |row| {
                    Ok((
                        row.get::<_, String>(0)?,
                        row.get::<_, String>(1)?,
                        row.get::<_, String>(2)?,
                        row.get::<_, Option<String>>(3)?,
                        row.get::<_, String>(4)?,
                        row.get::<_, i64>(5)?,
                    ))
                })
                .map_err(sql_error(&self.path, "load records"))?;
            for row in rows {
                let (kind, id, account, name, body, version) =
                    row.map_err(sql_error(&self.path, "load records"))?;
                records.push(Versioned {
                    record: Record {
                        kind: self.kind(&kind, &id)?,
                        id,
                        account,
                        name,
                        body,
                    },
                    version: seq_from_sql(version),
                });
            }
        }
        let seq = last_seq(&transaction, &self.path)?;
        transaction
            .commit()
            .map_err(sql_error(&self.path, "end load"))?;
        // Kinds sort in their declaration order, not by their stored names.
        records.sort_unstable_by(|a, b| {
            (a.record.kind, &a.record.id).cmp(&(b.record.kind, &b.record.id))
        });
        Ok(Snapshot { records, seq })
    }

    fn commit(&self, changes: &[Change]) -> Result<Committed, StoreError> {
        let mut connection = self.connection();
        let transaction = connection
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(sql_error(&self.path, "begin commit"))?;
        let base = last_seq(&transaction, &self.path)?;
        let mut touched: HashSet<(Kind, &str)> = HashSet::new();
        let mut versions = Vec::with_capacity(changes.len());
        for change in changes {
            let (kind, id) = change.key();
            let first_touch = touched.insert((kind, id));
            versions.push(self.apply(&transaction, change, first_touch)?);
        }
        transaction
            .commit()
            .map_err(sql_error(&self.path, "commit"))?;
        Ok(Committed { base, versions })
    }

    fn changes_since(&self, seq: u64) -> Result<Vec<Logged>, StoreError> {
        let connection = self.connection();
        let mut statement = connection
            .prepare_cached(
                "SELECT seq, kind, id, account, name, body FROM changes WHERE seq > ?1
                 ORDER BY seq",
            )
            .map_err(sql_error(&self.path, "read changes"))?;
        let rows = statement
            .query_map([seq_to_sql(seq)], |row| {
                Ok((
                    row.get::<_, i64>(0)?,
                    row.get::<_, String>(1)?,
                    row.get::<_, String>(2)?,
                    row.get::<_, String>(3)?,
                    row.get::<_, Option<String>>(4)?,
                    row.get::<_, Option<String>>(5)?,
                ))
            })
            .map_err(sql_error(&self.path, "read changes"))?;
        let mut entries = Vec::new();
        for row in rows {
            let (seq, kind, id, account, name, body) =
                row.map_err(sql_error(&self.path, "read changes"))?;
            let kind = self.kind(&kind, &id)?;
            let write = match body {
                Some(body) => Write::Put(Record {
                    kind,
                    id,
                    account,
                    name,
                    body,
                }),
                None => Write::Delete { kind, id, account },
            };
            entries.push(Logged {
                seq: seq_from_sql(seq),
                write,
            });
        }
        Ok(entries)
    }

    fn clear(&self) -> Result<(), StoreError> {
        let mut connection = self.connection();
        let transaction = connection
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(sql_error(&self.path, "begin clear"))?;
        transaction
            .execute_batch("DELETE FROM records; DELETE FROM changes;")
            .map_err(sql_error(&self.path, "clear records"))?;
        transaction
            .commit()
            .map_err(sql_error(&self.path, "commit clear"))
    }
}

impl SqliteStore {
    /// A stored kind name read back.
    fn kind(&self, kind: &str, id: &str) -> Result<Kind, StoreError> {
        Kind::parse(kind).ok_or_else(|| {
            StoreError::new(format!(
                "sqlite {}: record {id:?} has unknown kind {kind:?}",
                self.path.display()
            ))
        })
    }

    /// Applies one change of a commit: checks its expectation (unless the record was changed
    /// earlier in the same commit), writes the record and logs it. Returns the sequence number
    /// it wrote at, `None` when it wrote nothing.
    fn apply(
        &self,
        transaction: &Transaction<'_>,
        change: &Change,
        first_touch: bool,
    ) -> Result<Option<u64>, StoreError> {
        let (kind, id) = change.key();
        let doing = |what: &str| format!("{what} {} {id:?}", kind.as_str());
        let current: Option<(i64, Option<i64>, String)> = transaction
            .prepare_cached(CURRENT_RECORD)
            .and_then(|mut statement| {
                statement
                    .query_row((kind.as_str(), id), |row| {
                        Ok((row.get(0)?, row.get(1)?, row.get(2)?))
                    })
                    .optional()
            })
            .map_err(|error| sql_error(&self.path, &doing("read"))(error))?;
        let version = current.as_ref().map(|(version, ..)| seq_from_sql(*version));
        let check = |expect| {
            if first_touch && !meets(expect, version) {
                Err(version_conflict(kind, id, expect, version))
            } else {
                Ok(())
            }
        };
        match change {
            Change::Put { record, expect } => {
                check(*expect)?;
                self.write(transaction, record, None).map(Some)
            }
            Change::Raise { record, rank } => {
                let stored_rank = current.as_ref().map(|(_, rank, _)| rank.unwrap_or(0));
                if stored_rank.is_some_and(|stored| stored >= seq_to_sql(*rank)) {
                    return Ok(None);
                }
                self.write(transaction, record, Some(*rank)).map(Some)
            }
            Change::Delete { expect, .. } => {
                check(*expect)?;
                let Some((_, _, account)) = current else {
                    return Ok(None);
                };
                transaction
                    .prepare_cached(DELETE_RECORD)
                    .and_then(|mut statement| statement.execute((kind.as_str(), id)))
                    .map_err(|error| sql_error(&self.path, &doing("delete"))(error))?;
                let log = (kind.as_str(), id, account, None::<&str>, None::<&str>);
                self.log(transaction, log, &doing("log delete")).map(Some)
            }
        }
    }

    /// Logs a put of `record` and stores it at the new sequence number.
    fn write(
        &self,
        transaction: &Transaction<'_>,
        record: &Record,
        rank: Option<u64>,
    ) -> Result<u64, StoreError> {
        let kind = record.kind.as_str();
        let doing = |what: &str| format!("{what} {kind} {:?}", record.id);
        let name = record.name.as_deref();
        let log = (
            kind,
            &*record.id,
            record.account.clone(),
            name,
            Some(&*record.body),
        );
        let seq = self.log(transaction, log, &doing("log put"))?;
        let row = (
            kind,
            &record.id,
            &record.account,
            name,
            &record.body,
            seq_to_sql(seq),
            rank.map(seq_to_sql),
        );
        transaction
            .prepare_cached(UPSERT_RECORD)
            .and_then(|mut statement| statement.execute(row))
            .map_err(|error| {
                if is_unique_violation(&error) {
                    name_conflict(record)
                } else {
                    sql_error(&self.path, &doing("put"))(error)
                }
            })?;
        Ok(seq)
    }

    /// Appends one entry to the change log; returns its sequence number.
    fn log(
        &self,
        transaction: &Transaction<'_>,
        entry: (&str, &str, String, Option<&str>, Option<&str>),
        doing: &str,
    ) -> Result<u64, StoreError> {
        transaction
            .prepare_cached(LOG_CHANGE)
            .and_then(|mut statement| statement.insert(entry))
            .map(seq_from_sql)
            .map_err(sql_error(&self.path, doing))
    }
}

/// The last sequence number the store handed out.
fn last_seq(connection: &Connection, path: &Path) -> Result<u64, StoreError> {
    connection
        .query_row(LAST_SEQ, [], |row| row.get::<_, i64>(0))
        .map(seq_from_sql)
        .map_err(sql_error(path, "read the change log's sequence"))
}

/// Sequence numbers and ranks are stored as SQLite's signed 64-bit integers; both start at
/// zero and never come near 2^63.
fn seq_from_sql(value: i64) -> u64 {
    u64::try_from(value).unwrap_or(0)
}

fn seq_to_sql(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

/// Whether `error` is a unique index refusing a row (only the name index can: records are
/// upserted on their primary key).
fn is_unique_violation(error: &rusqlite::Error) -> bool {
    matches!(
        error,
        rusqlite::Error::SqliteFailure(failure, _)
            if failure.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE
    )
}

impl fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SqliteStore")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

/// Turns a SQLite error into a [`StoreError`] that says which database and what was being
/// done. SQLite's messages name tables and columns, never the values bound to a statement, so
/// record bodies (which may hold sealed secrets) stay out of it.
fn sql_error<'a>(
    path: &'a Path,
    doing: &'a str,
) -> impl FnOnce(rusqlite::Error) -> StoreError + 'a {
    move |error| StoreError::new(format!("sqlite {}: {doing}: {error}", path.display()))
}

/// Sets the connection up for durability and for sharing the file with other connections.
fn configure(connection: &Connection, path: &Path) -> Result<(), StoreError> {
    connection
        .busy_timeout(BUSY_TIMEOUT)
        .map_err(sql_error(path, "set busy timeout"))?;
    let mode: String = connection
        .pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get(0))
        .map_err(sql_error(path, "turn on WAL mode"))?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(StoreError::new(format!(
            "sqlite {}: WAL journal mode is not available (the journal mode stayed {mode:?})",
            path.display()
        )));
    }
    connection
        .pragma_update(None, "synchronous", "FULL")
        .map_err(sql_error(path, "set synchronous=FULL"))?;
    connection
        .pragma_update(None, "foreign_keys", true)
        .map_err(sql_error(path, "turn on foreign keys"))
}

/// Creates the database file readable and writable by its owner only, before SQLite opens it
/// (SQLite gives its WAL and shared-memory files the same mode). An existing file is left as
/// it is.
#[cfg(unix)]
fn create_private(path: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    match std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
    {
        Ok(_) => Ok(()),
        Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(error) => Err(error),
    }
}

#[cfg(not(unix))]
fn create_private(_path: &Path) -> std::io::Result<()> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A database file under the temp folder, removed (with its WAL files) when dropped.
    struct TempFile(PathBuf);

    impl TempFile {
        fn new(name: &str) -> TempFile {
            TempFile(std::env::temp_dir().join(format!(
                "warden-store-unit-{name}-{}.db",
                std::process::id()
            )))
        }
    }

    impl Drop for TempFile {
        fn drop(&mut self) {
            for suffix in ["", "-wal", "-shm"] {
                let mut path = self.0.clone().into_os_string();
                path.push(suffix);
                let _ = std::fs::remove_file(path);
            }
        }
    }

    #[test]
    fn connection_is_durable_and_checks_foreign_keys() {
        let file = TempFile::new("pragmas");
        let store = SqliteStore::open(&file.0).unwrap();
        let connection = store.connection();
        let pragma = |name: &str| -> i64 {
            connection
                .pragma_query_value(None, name, |row| row.get(0))
                .unwrap()
        };
        assert_eq!(pragma("synchronous"), 2, "synchronous=FULL");
        assert_eq!(pragma("foreign_keys"), 1);
        assert_eq!(pragma("busy_timeout"), 5000);
        let mode: String = connection
            .pragma_query_value(None, "journal_mode", |row| row.get(0))
            .unwrap();
        assert_eq!(mode, "wal");
    }
}
