//! [`SqliteStore`]: the embedded default [`Store`], one SQLite database file in WAL mode.

mod migrations;

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags, OptionalExtension, TransactionBehavior};
use warden_core::error::StoreError;
use warden_core::store::{Change, Kind, Record, Store};

/// How long a write waits for another connection's lock before it fails.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

const UPSERT_RECORD: &str = "INSERT INTO records (kind, id, account, body) VALUES (?1, ?2, ?3, ?4)
     ON CONFLICT (kind, id) DO UPDATE SET account = excluded.account, body = excluded.body";
const DELETE_RECORD: &str = "DELETE FROM records WHERE kind = ?1 AND id = ?2";

/// A [`Store`] in one SQLite database file.
///
/// The file is opened in WAL mode with `synchronous=FULL`, so a commit that returned is on
/// disk, power loss included. One connection behind a mutex does every write: Warden serves
/// reads from its in-memory state, so the database sees one writer and the start-up load.
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
    /// Every record, ordered by [`Kind`] then id.
    fn load(&self) -> Result<Vec<Record>, StoreError> {
        let connection = self.connection();
        let mut statement = connection
            .prepare_cached("SELECT kind, id, account, body FROM records")
            .map_err(sql_error(&self.path, "load records"))?;
        let rows = statement
            .query_map([], |row| {
                Ok((
                    row.get::<_, String>(0)?,
                    row.get::<_, String>(1)?,
                    row.get::<_, String>(2)?,
                    row.get::<_, String>(3)?,
                ))
            })
            .map_err(sql_error(&self.path, "load records"))?;
        let mut records = Vec::new();
        for row in rows {
            let (kind, id, account, body) = row.map_err(sql_error(&self.path, "load records"))?;
            let Some(kind) = Kind::parse(&kind) else {
                return Err(StoreError::new(format!(
                    "sqlite {}: record {id:?} has unknown kind {kind:?}",
                    self.path.display()
                )));
            };
            records.push(Record {
                kind,
                id,
                account,
                body,
            });
        }
        // Kinds sort in their declaration order, not by their stored names.
        records.sort_unstable_by(|a, b| (a.kind, &a.id).cmp(&(b.kind, &b.id)));
        Ok(records)
    }

    fn commit(&self, changes: &[Change]) -> Result<(), StoreError> {
        if changes.is_empty() {
            return Ok(());
        }
        let mut connection = self.connection();
        let transaction = connection
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(sql_error(&self.path, "begin commit"))?;
        {
            let mut upsert = transaction
                .prepare_cached(UPSERT_RECORD)
                .map_err(sql_error(&self.path, "prepare put"))?;
            let mut delete = transaction
                .prepare_cached(DELETE_RECORD)
                .map_err(sql_error(&self.path, "prepare delete"))?;
            for change in changes {
                match change {
                    Change::Put(record) => upsert
                        .execute((
                            record.kind.as_str(),
                            &record.id,
                            &record.account,
                            &record.body,
                        ))
                        .map_err(|error| {
                            let doing = format!("put {} {:?}", record.kind.as_str(), record.id);
                            sql_error(&self.path, &doing)(error)
                        })?,
                    Change::Delete { kind, id } => {
                        delete.execute((kind.as_str(), id)).map_err(|error| {
                            let doing = format!("delete {} {id:?}", kind.as_str());
                            sql_error(&self.path, &doing)(error)
                        })?
                    }
                };
            }
        }
        transaction
            .commit()
            .map_err(sql_error(&self.path, "commit"))
    }

    fn clear(&self) -> Result<(), StoreError> {
        self.connection()
            .execute("DELETE FROM records", [])
            .map(drop)
            .map_err(sql_error(&self.path, "clear records"))
    }
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
