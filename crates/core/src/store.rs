//! The [`Store`] boundary: what Warden persists and how. Records are opaque JSON bodies
//! keyed by kind and id; a [`Store`] writes a batch of changes in one transaction.

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
}

impl Kind {
    pub const ALL: [Kind; 12] = [
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
        }
    }

    pub fn parse(name: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.as_str() == name)
    }
}

/// One persisted entity.
#[derive(Clone, PartialEq, Eq)]
pub struct Record {
    pub kind: Kind,
    /// The entity's unique id (account id for accounts).
    pub id: String,
    pub account: String,
    /// The entity as JSON; secrets in it are sealed.
    pub body: String,
}

impl fmt::Debug for Record {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Bodies may hold sealed secrets; keep them out of logs.
        f.debug_struct("Record")
            .field("kind", &self.kind)
            .field("id", &self.id)
            .field("account", &self.account)
            .finish_non_exhaustive()
    }
}

/// One write of a transaction.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Change {
    Put(Record),
    Delete { kind: Kind, id: String },
}

/// Durable storage. Implementations: SQLite (embedded default); more to come.
pub trait Store: Send + Sync + fmt::Debug {
    /// Every record, to build the in-memory state at start.
    fn load(&self) -> Result<Vec<Record>, StoreError>;

    /// Applies `changes` in one transaction: all or nothing, durable when this returns.
    fn commit(&self, changes: &[Change]) -> Result<(), StoreError>;

    /// Deletes every record (the `--dev` reset).
    fn clear(&self) -> Result<(), StoreError>;
}

/// A store in memory, for tests.
#[derive(Debug, Default)]
pub struct MemoryStore {
    records: Mutex<Vec<Record>>,
}

impl Store for MemoryStore {
    fn load(&self) -> Result<Vec<Record>, StoreError> {
        let mut records = self
            .records
            .lock()
            .map_err(|_| StoreError::new("poisoned"))?
            .clone();
        // The order every engine loads in: by kind, then id.
        records.sort_by(|a, b| (a.kind, &a.id).cmp(&(b.kind, &b.id)));
        Ok(records)
    }

    fn commit(&self, changes: &[Change]) -> Result<(), StoreError> {
        let mut records = self
            .records
            .lock()
            .map_err(|_| StoreError::new("poisoned"))?;
        for change in changes {
            match change {
                Change::Put(record) => {
                    records.retain(|r| !(r.kind == record.kind && r.id == record.id));
                    records.push(record.clone());
                }
                Change::Delete { kind, id } => {
                    records.retain(|r| !(r.kind == *kind && r.id == *id))
                }
            }
        }
        Ok(())
    }

    fn clear(&self) -> Result<(), StoreError> {
        self.records
            .lock()
            .map_err(|_| StoreError::new("poisoned"))?
            .clear();
        Ok(())
    }
}
