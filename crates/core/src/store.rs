//! The [`Store`] boundary: what Warden persists and how, for one writer or several.
//!
//! Records are opaque JSON bodies keyed by kind and id. A [`Store`] writes a batch of
//! [`Change`]s in one transaction, and promises what several writers (several `Service`s,
//! later several servers on one database) need to stay consistent:
//!
//! - **Versions.** Every record carries the sequence number of its last write. A change
//!   states the version it expects the record to have ([`Expect`]); when any expectation
//!   fails, the whole transaction is refused with [`StoreError::Conflict`], and the writer
//!   decides again on fresh state.
//! - **A change log.** Every write gets the next number of one store-wide, monotonic
//!   sequence and is logged in the same transaction; [`Store::changes_since`] returns what
//!   was written after a number, in order, so a reader can follow the others' writes.
//! - **Unique names.** A record may carry a folded name; the engine keeps (kind, account,
//!   name) unique, so two writers racing to create one name get one record and a conflict.
//! - **Merge by maximum.** A [`Change::Raise`] replaces its record only with a higher rank
//!   (a later time), so data such as last-use times is merged, never set back.
//!
//! The log grows with every write; compacting it (with a follower that fell behind the
//! compaction point loading a fresh [`Snapshot`]) is left for when several servers run.

use std::collections::HashSet;
use std::fmt;
use std::sync::Mutex;

use crate::error::StoreError;

/// What a record holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    Account,
    User,
    Group,
    Role,
    Policy,
    AccessKey,
    InstanceProfile,
    OidcProvider,
    SamlProvider,
    MfaDevice,
    /// What a virtual MFA device's codes have been used for: the last accepted time step and
    /// the wrong codes in a row (kept apart from the device, which carries its sealed seed).
    MfaCodeUse,
    /// A SAML assertion AssumeRoleWithSAML accepted, remembered until it expires.
    UsedAssertion,
    /// When an access key was last used (merged by maximum, apart from the key).
    KeyLastUsed,
    /// When a role was last assumed (merged by maximum, apart from the role).
    RoleLastUsed,
    /// A console password: a user's login profile (id: the user's unique id) or the root
    /// user's password (id: the account id), its hashes sealed.
    LoginProfile,
    /// An account's password policy (id: the account id).
    PasswordPolicy,
}

impl Kind {
    pub const ALL: [Kind; 16] = [
        Kind::Account,
        Kind::User,
        Kind::Group,
        Kind::Role,
        Kind::Policy,
        Kind::AccessKey,
        Kind::InstanceProfile,
        Kind::OidcProvider,
        Kind::SamlProvider,
        Kind::MfaDevice,
        Kind::MfaCodeUse,
        Kind::UsedAssertion,
        Kind::KeyLastUsed,
        Kind::RoleLastUsed,
        Kind::LoginProfile,
        Kind::PasswordPolicy,
    ];

    /// The stable name stored with each record.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Account => "account",
            Kind::User => "user",
            Kind::Group => "group",
            Kind::Role => "role",
            Kind::Policy => "policy",
            Kind::AccessKey => "access-key",
            Kind::InstanceProfile => "instance-profile",
            Kind::OidcProvider => "oidc-provider",
            Kind::SamlProvider => "saml-provider",
            Kind::MfaDevice => "mfa-device",
            Kind::MfaCodeUse => "mfa-code-use",
            Kind::UsedAssertion => "used-saml-assertion",
            Kind::KeyLastUsed => "access-key-last-used",
            Kind::RoleLastUsed => "role-last-used",
            Kind::LoginProfile => "login-profile",
            Kind::PasswordPolicy => "password-policy",
        }
    }

    pub fn parse(name: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.as_str() == name)
    }
}

/// One persisted entity, as written.
#[derive(Clone, PartialEq, Eq)]
pub struct Record {
    pub kind: Kind,
    /// The entity's unique id (account id for accounts).
    pub id: String,
    pub account: String,
    /// The entity's name folded as IAM compares names (lower case), for kinds whose names are
    /// unique in an account: the store refuses a second record of the kind and account with
    /// the same name. `None` for kinds without such names.
    pub name: Option<String>,
    /// The entity as JSON, with its format version; secrets in it are sealed.
    pub body: String,
}

impl fmt::Debug for Record {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Bodies may hold sealed secrets; keep them out of logs.
        f.debug_struct("Record")
            .field("kind", &self.kind)
            .field("id", &self.id)
            .field("account", &self.account)
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

/// What a writer expects of a record before its change: the state it decided on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Expect {
    /// The record does not exist (a create, or a delete of what the writer never saw).
    Absent,
    /// The record exists at this version.
    Version(u64),
    /// No expectation: for tools working on a stopped server's store, and tests. A
    /// `Service` never writes without one.
    Any,
}

/// One write of a transaction.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Change {
    /// Creates or replaces a record, if it is as expected.
    Put { record: Record, expect: Expect },
    /// Removes a record (a missing one is no error unless a version was expected).
    Delete {
        kind: Kind,
        id: String,
        expect: Expect,
    },
    /// Merge by maximum: writes the record when it is new or its stored rank is lower, and
    /// otherwise leaves the stored one (never a conflict). For data every writer may update
    /// at any time, such as last-use times (the rank is the time).
    Raise { record: Record, rank: u64 },
}

impl Change {
    /// The kind and id of the record this change writes.
    pub fn key(&self) -> (Kind, &str) {
        match self {
            Change::Put { record, .. } | Change::Raise { record, .. } => (record.kind, &record.id),
            Change::Delete { kind, id, .. } => (*kind, id),
        }
    }
}

/// A record as stored, with its version: the sequence number of its last write.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Versioned {
    pub record: Record,
    pub version: u64,
}

/// Every record, and the sequence number the store was at when they were read.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Snapshot {
    /// Ordered by kind, then id.
    pub records: Vec<Versioned>,
    /// The last sequence number written; [`Store::changes_since`] it gives what came after.
    pub seq: u64,
}

/// A write as the change log keeps it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Write {
    Put(Record),
    /// The record's account as it was stored.
    Delete {
        kind: Kind,
        id: String,
        account: String,
    },
}

/// One entry of the change log. A `Put`'s record is at version `seq`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Logged {
    pub seq: u64,
    pub write: Write,
}

/// What a commit wrote.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Committed {
    /// The store's sequence number just before this transaction. When it is the number the
    /// writer had caught up to, nobody wrote in between.
    pub base: u64,
    /// For each change, in order, the version it wrote (its sequence number), or `None` when
    /// it wrote nothing (a delete of a missing record, a raise that lost).
    pub versions: Vec<Option<u64>>,
}

/// Durable storage for several writers. Implementations: SQLite (embedded default); more to
/// come. Every engine passes the conformance suite of `warden-store`.
pub trait Store: Send + Sync + fmt::Debug {
    /// Every record with its version, and the sequence number they are current to.
    fn load(&self) -> Result<Snapshot, StoreError>;

    /// Applies `changes` in order in one transaction: all or nothing, durable when this
    /// returns. Each change that writes gets the next sequence number, which becomes the
    /// record's version, and is logged. A change whose expectation fails, or a put whose name
    /// another record of its kind and account holds, refuses the whole transaction with
    /// [`StoreError::Conflict`]. A record changed earlier in the same transaction meets any
    /// expectation (the writer decided on the state before its own changes).
    fn commit(&self, changes: &[Change]) -> Result<Committed, StoreError>;

    /// The logged writes with sequence numbers above `seq`, in order.
    fn changes_since(&self, seq: u64) -> Result<Vec<Logged>, StoreError>;

    /// Deletes every record and the change log (the `--dev` reset). The sequence keeps
    /// counting from where it was.
    fn clear(&self) -> Result<(), StoreError>;
}

/// Whether a record at `current` (`None`: missing) meets `expect`.
pub fn meets(expect: Expect, current: Option<u64>) -> bool {
    match expect {
        Expect::Any => true,
        Expect::Absent => current.is_none(),
        Expect::Version(version) => current == Some(version),
    }
}

/// The conflict error for a change to `kind`/`id` that found the record at `current`.
pub fn version_conflict(kind: Kind, id: &str, expect: Expect, current: Option<u64>) -> StoreError {
    let found = match current {
        Some(version) => format!("version {version}"),
        None => "no record".to_owned(),
    };
    StoreError::conflict(format!(
        "{} {id:?} changed: expected {expect:?}, found {found}",
        kind.as_str()
    ))
}

/// The conflict error for a put whose name another record holds.
pub fn name_conflict(record: &Record) -> StoreError {
    StoreError::conflict(format!(
        "{} {:?}: another {} of account {} has its name",
        record.kind.as_str(),
        record.id,
        record.kind.as_str(),
        record.account
    ))
}

/// A store in memory, for tests: the reference for what every engine does.
#[derive(Debug, Default)]
pub struct MemoryStore {
    inner: Mutex<Memory>,
}

#[derive(Debug, Default)]
struct Memory {
    records: std::collections::BTreeMap<(Kind, String), Held>,
    log: Vec<Logged>,
    seq: u64,
}

#[derive(Debug, Clone)]
struct Held {
    record: Record,
    version: u64,
    /// Set for records written by [`Change::Raise`].
    rank: Option<u64>,
}

impl MemoryStore {
    fn memory(&self) -> Result<std::sync::MutexGuard<'_, Memory>, StoreError> {
        self.inner.lock().map_err(|_| StoreError::new("poisoned"))
    }
}

impl Store for MemoryStore {
    fn load(&self) -> Result<Snapshot, StoreError> {
        let memory = self.memory()?;
        // The map's order is the order every engine loads in: by kind, then id.
        let records = memory
            .records
            .values()
            .map(|held| Versioned {
                record: held.record.clone(),
                version: held.version,
            })
            .collect();
        Ok(Snapshot {
            records,
            seq: memory.seq,
        })
    }

    fn commit(&self, changes: &[Change]) -> Result<Committed, StoreError> {
        let mut memory = self.memory()?;
        let base = memory.seq;
        // What each written key held before this transaction, to undo a refused one.
        let mut undo: Vec<((Kind, String), Option<Held>)> = Vec::new();
        let outcome = memory.apply(changes, &mut undo);
        if outcome.is_err() {
            for (key, held) in undo.into_iter().rev() {
                match held {
                    Some(held) => memory.records.insert(key, held),
                    None => memory.records.remove(&key),
                };
            }
            memory.log.retain(|entry| entry.seq <= base);
            memory.seq = base;
        }
        Ok(Committed {
            base,
            versions: outcome?,
        })
    }

    fn changes_since(&self, seq: u64) -> Result<Vec<Logged>, StoreError> {
        let memory = self.memory()?;
        let start = memory.log.partition_point(|entry| entry.seq <= seq);
        Ok(memory.log.get(start..).unwrap_or_default().to_vec())
    }

    fn clear(&self) -> Result<(), StoreError> {
        let mut memory = self.memory()?;
        memory.records.clear();
        memory.log.clear();
        Ok(())
    }
}

impl Memory {
    fn apply(
        &mut self,
        changes: &[Change],
        undo: &mut Vec<((Kind, String), Option<Held>)>,
    ) -> Result<Vec<Option<u64>>, StoreError> {
        let mut touched: HashSet<(Kind, String)> = HashSet::new();
        let mut versions = Vec::with_capacity(changes.len());
        for change in changes {
            let (kind, id) = change.key();
            let key = (kind, id.to_owned());
            let current = self.records.get(&key);
            let version = match change {
                Change::Put { record, expect } => {
                    let version = current.map(|held| held.version);
                    if !touched.contains(&key) && !meets(*expect, version) {
                        return Err(version_conflict(kind, id, *expect, version));
                    }
                    if record.name.is_some()
                        && self.records.values().any(|held| {
                            held.record.kind == kind
                                && held.record.id != record.id
                                && held.record.account == record.account
                                && held.record.name == record.name
                        })
                    {
                        return Err(name_conflict(record));
                    }
                    Some(self.write(record.clone(), None, undo))
                }
                Change::Raise { record, rank } => {
                    if current.is_some_and(|held| held.rank.unwrap_or(0) >= *rank) {
                        None
                    } else {
                        Some(self.write(record.clone(), Some(*rank), undo))
                    }
                }
                Change::Delete { expect, .. } => {
                    let version = current.map(|held| held.version);
                    if !touched.contains(&key) && !meets(*expect, version) {
                        return Err(version_conflict(kind, id, *expect, version));
                    }
                    match self.records.remove(&key) {
                        Some(held) => {
                            self.seq += 1;
                            self.log.push(Logged {
                                seq: self.seq,
                                write: Write::Delete {
                                    kind,
                                    id: id.to_owned(),
                                    account: held.record.account.clone(),
                                },
                            });
                            undo.push((key.clone(), Some(held)));
                            Some(self.seq)
                        }
                        None => None,
                    }
                }
            };
            touched.insert(key);
            versions.push(version);
        }
        Ok(versions)
    }

    /// Stores `record` at the next sequence number and logs it; returns the number.
    fn write(
        &mut self,
        record: Record,
        rank: Option<u64>,
        undo: &mut Vec<((Kind, String), Option<Held>)>,
    ) -> u64 {
        self.seq += 1;
        let key = (record.kind, record.id.clone());
        self.log.push(Logged {
            seq: self.seq,
            write: Write::Put(record.clone()),
        });
        let previous = self.records.insert(
            key.clone(),
            Held {
                record,
                version: self.seq,
                rank,
            },
        );
        undo.push((key, previous));
        self.seq
    }
}
