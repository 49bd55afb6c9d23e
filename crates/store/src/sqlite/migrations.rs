//! The SQLite schema's numbered migrations, embedded in the binary, and the code that applies
//! them in order.

use std::path::Path;

use rusqlite::{Connection, TransactionBehavior};
use warden_core::error::StoreError;

use super::sql_error;

/// One step of the schema. Versions run 1, 2, 3, … without gaps, and a step never changes
/// once released: a later change to the schema is a new step.
struct Migration {
    version: u32,
    name: &'static str,
    sql: &'static str,
}

const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "0001_records",
        sql: include_str!("../../migrations/sqlite/0001_records.sql"),
    },
    Migration {
        version: 2,
        name: "0002_versions_and_change_log",
        sql: include_str!("../../migrations/sqlite/0002_versions_and_change_log.sql"),
    },
];

/// The newest schema version this build knows.
pub(super) const LATEST: u32 = match MIGRATIONS.last() {
    Some(migration) => migration.version,
    None => 0,
};

/// The bookkeeping table: one row per applied migration.
const SCHEMA_MIGRATIONS: &str = "CREATE TABLE IF NOT EXISTS schema_migrations (
    version    INTEGER NOT NULL PRIMARY KEY,
    name       TEXT NOT NULL,
    applied_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
) STRICT";

/// Brings the database at `path` to [`LATEST`], applying every missing migration in order in
/// one transaction: a failed step leaves the schema as it was. Refuses a database whose
/// schema is newer than this build knows, since writing to it could corrupt it.
pub(super) fn migrate(connection: &mut Connection, path: &Path) -> Result<(), StoreError> {
    let transaction = connection
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(sql_error(path, "begin migration"))?;
    transaction
        .execute_batch(SCHEMA_MIGRATIONS)
        .map_err(sql_error(path, "create schema_migrations"))?;
    let current = applied_version(&transaction, path)?;
    if current > LATEST {
        return Err(StoreError::new(format!(
            "sqlite {}: database schema version {current} is newer than this build of Warden \
             supports (version {LATEST}); run a newer Warden",
            path.display()
        )));
    }
    for migration in MIGRATIONS.iter().filter(|m| m.version > current) {
        let doing = format!("apply migration {}", migration.name);
        transaction
            .execute_batch(migration.sql)
            .map_err(sql_error(path, &doing))?;
        transaction
            .execute(
                "INSERT INTO schema_migrations (version, name) VALUES (?1, ?2)",
                (migration.version, migration.name),
            )
            .map_err(sql_error(path, &doing))?;
    }
    transaction
        .commit()
        .map_err(sql_error(path, "commit migration"))
}

/// The highest migration version recorded in the database (0 for a new database).
pub(super) fn applied_version(connection: &Connection, path: &Path) -> Result<u32, StoreError> {
    connection
        .query_row(
            "SELECT coalesce(max(version), 0) FROM schema_migrations",
            [],
            |row| row.get(0),
        )
        .map_err(sql_error(path, "read schema version"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_run_from_one_without_gaps_and_match_their_file_names() {
        for (index, migration) in MIGRATIONS.iter().enumerate() {
            assert_eq!(migration.version as usize, index + 1);
            assert!(
                migration
                    .name
                    .starts_with(&format!("{:04}_", migration.version)),
                "{} does not start with its version",
                migration.name
            );
            assert!(!migration.sql.trim().is_empty());
        }
        assert_eq!(LATEST as usize, MIGRATIONS.len());
    }
}
