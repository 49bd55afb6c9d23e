//! Warden's [`Store`] engines and the conformance suite every engine must pass.
//!
//! The domain crate (`warden-core`) defines the storage boundary: records are opaque JSON
//! bodies keyed by [`Kind`] and id, and a [`Store`] writes a batch of [`Change`]s in one
//! transaction, checking the version each change expects, logging every write with its
//! sequence number, keeping names unique per kind and account, and merging raised records by
//! maximum. This crate holds the engines behind that boundary:
//!
//! - [`SqliteStore`], the embedded default: one SQLite database file in WAL mode with
//!   `synchronous=FULL`, its schema versioned by numbered migrations. Several connections
//!   (several servers) may share the file.
//!
//! [`conformance`] is the one test suite run against every engine (the in-memory
//! `MemoryStore` of `warden-core` included), so all of them keep the same promises.
//!
//! [`Store`]: warden_core::store::Store
//! [`Kind`]: warden_core::store::Kind
//! [`Change`]: warden_core::store::Change

pub mod conformance;
mod sqlite;

pub use sqlite::SqliteStore;
