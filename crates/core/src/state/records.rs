//! How a [`Mutation`] is stored: each entity as a record of its [`Kind`], its body JSON with
//! the format version beside the fields, secrets sealed under the master key; and how
//! records and logged deletes read back into mutations.

use serde::{Deserialize, Serialize};

use super::Mutation;
use crate::arn::Arn;
use crate::error::{Error, StoreError};
use crate::model::{
    AccessKey, AccountId, EntityName, KeyLastUsed, KeyStatus, LoginProfile, MfaDevice, Role,
    RoleLastUsed, UniqueId,
};
use crate::secret::{MasterKey, Secret};
use crate::store::{Kind, Record, Write};
use crate::time::Timestamp;

/// The format version written into every record body (as `"v"`). Bodies without one were
/// written before formats were versioned and read as version 1 does (an access key's or a
/// role's body may still hold its last use then).
pub const FORMAT_VERSION: u32 = 1;

/// How an access key is stored: its secret sealed under the master key.
#[derive(Serialize, Deserialize)]
struct StoredAccessKey {
    id: String,
    account: AccountId,
    user: Option<UniqueId>,
    status: KeyStatus,
    created: Timestamp,
    sealed_secret: String,
    /// Only in bodies written before last use became a record of its own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    last_used: Option<KeyLastUsed>,
}

/// How an access key's last use is stored, apart from the key.
#[derive(Serialize, Deserialize)]
struct StoredKeyLastUsed {
    key: String,
    account: AccountId,
    used: KeyLastUsed,
}

/// How a role's last assumption is stored, apart from the role.
#[derive(Serialize, Deserialize)]
struct StoredRoleLastUsed {
    role: UniqueId,
    account: AccountId,
    used: RoleLastUsed,
}

/// A body as written: the value with the format version beside its fields.
#[derive(Serialize)]
struct Body<'a, T> {
    v: u32,
    #[serde(flatten)]
    value: &'a T,
}

/// The format version of a body, read before the body itself.
#[derive(Deserialize)]
struct Format {
    #[serde(default)]
    v: u32,
}

/// How a virtual MFA device is stored: its seed sealed under the master key.
#[derive(Serialize, Deserialize)]
struct StoredMfaDevice {
    serial: String,
    account: AccountId,
    name: String,
    path: String,
    created: Timestamp,
    sealed_seed: String,
    user: Option<UniqueId>,
    enabled: Option<Timestamp>,
    #[serde(default)]
    tags: Vec<crate::model::Tag>,
}

/// How a console password is stored: its hash and the earlier ones sealed under the master
/// key (an argon2id hash still lets a stolen database be guessed at; sealed, it does not).
#[derive(Serialize, Deserialize)]
struct StoredLoginProfile {
    account: AccountId,
    user: Option<UniqueId>,
    created: Timestamp,
    sealed_hash: String,
    reset_required: bool,
    changed: Timestamp,
    /// The earlier hashes, latest first, joined by newlines (PHC strings hold none) and
    /// sealed as one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    sealed_history: Option<String>,
}

fn body<T: Serialize>(value: &T) -> Result<String, Error> {
    serde_json::to_string(&Body {
        v: FORMAT_VERSION,
        value,
    })
    .map_err(|e| Error::Internal(format!("serializing a record: {e}")))
}

fn put<T: Serialize>(kind: Kind, id: &str, account: &str, value: &T) -> Result<Write, Error> {
    named(kind, id, account, None, value)
}

/// A put of a record whose name is unique among its kind in its account (folded: the store
/// indexes the folded form).
fn named<T: Serialize>(
    kind: Kind,
    id: &str,
    account: &str,
    name: Option<&EntityName>,
    value: &T,
) -> Result<Write, Error> {
    Ok(Write::Put(Record {
        kind,
        id: id.to_owned(),
        account: account.to_owned(),
        name: name.map(|name| name.folded().to_owned()),
        body: body(value)?,
    }))
}

fn delete(kind: Kind, id: &str, account: &str) -> Write {
    Write::Delete {
        kind,
        id: id.to_owned(),
        account: account.to_owned(),
    }
}

fn oidc_arn(account: &str, url: &str) -> String {
    Arn::OidcProvider { account, url }.build()
}

fn saml_arn(account: &str, name: &str) -> String {
    Arn::SamlProvider { account, name }.build()
}

/// A time as the rank [`crate::store::Change::Raise`] compares.
fn rank(time: Timestamp) -> u64 {
    u64::try_from(time).unwrap_or(0)
}

impl Mutation {
    /// The store write that persists this mutation.
    pub fn to_write(&self, master: &MasterKey) -> Result<Write, Error> {
        match self {
            Mutation::Account(a) => put(Kind::Account, &a.id, &a.id, a),
            Mutation::User(u) => named(Kind::User, &u.id, &u.account, Some(&u.name), u),
            Mutation::Group(g) => named(Kind::Group, &g.id, &g.account, Some(&g.name), g),
            Mutation::Role(r) => {
                // Its last use is a record of its own.
                let role = Role {
                    last_used: None,
                    ..r.clone()
                };
                named(Kind::Role, &r.id, &r.account, Some(&r.name), &role)
            }
            Mutation::Policy(p) => named(Kind::Policy, &p.id, &p.account, Some(&p.name), p),
            Mutation::InstanceProfile(p) => {
                named(Kind::InstanceProfile, &p.id, &p.account, Some(&p.name), p)
            }
            Mutation::OidcProvider(p) => put(Kind::OidcProvider, &p.arn(), &p.account, p),
            Mutation::SamlProvider(p) => put(Kind::SamlProvider, &p.arn(), &p.account, p),
            Mutation::MfaCodeUse(u) => put(Kind::MfaCodeUse, &u.serial, &u.account, u),
            Mutation::UsedAssertion(a) => put(Kind::UsedAssertion, &a.id, &a.account, a),
            Mutation::KeyLastUsed { account, key, used } => {
                let stored = StoredKeyLastUsed {
                    key: key.clone(),
                    account: *account,
                    used: used.clone(),
                };
                put(Kind::KeyLastUsed, key, account, &stored)
            }
            Mutation::RoleLastUsed {
                account,
                role,
                used,
            } => {
                let stored = StoredRoleLastUsed {
                    role: role.clone(),
                    account: *account,
                    used: used.clone(),
                };
                put(Kind::RoleLastUsed, role, account, &stored)
            }
            Mutation::AccessKey(k) => {
                let stored = StoredAccessKey {
                    id: k.id.clone(),
                    account: k.account,
                    user: k.user.clone(),
                    status: k.status,
                    created: k.created,
                    sealed_secret: master.seal(&k.secret, &k.id)?,
                    last_used: None,
                };
                put(Kind::AccessKey, &k.id, &k.account, &stored)
            }
            Mutation::MfaDevice(d) => {
                let stored = StoredMfaDevice {
                    serial: d.serial.clone(),
                    account: d.account,
                    name: d.name.clone(),
                    path: d.path.clone(),
                    created: d.created,
                    sealed_seed: master.seal(&d.seed, &d.serial)?,
                    user: d.user.clone(),
                    enabled: d.enabled,
                    tags: d.tags.clone(),
                };
                put(Kind::MfaDevice, &d.serial, &d.account, &stored)
            }
            Mutation::LoginProfile(p) => {
                let id = p.record_id();
                let history = if p.history.is_empty() {
                    None
                } else {
                    let joined: Vec<&str> = p.history.iter().map(Secret::expose).collect();
                    let joined = zeroize::Zeroizing::new(joined.join("\n"));
                    let joined = Secret::new(joined.to_string());
                    Some(master.seal(&joined, &format!("{id}/history"))?)
                };
                let stored = StoredLoginProfile {
                    account: p.account,
                    user: p.user.clone(),
                    created: p.created,
                    sealed_hash: master.seal(&p.hash, id)?,
                    reset_required: p.reset_required,
                    changed: p.changed,
                    sealed_history: history,
                };
                put(Kind::LoginProfile, id, &p.account, &stored)
            }
            Mutation::DeleteLoginProfile { account, id } => {
                Ok(delete(Kind::LoginProfile, id, account))
            }
            Mutation::PasswordPolicy(p) => put(Kind::PasswordPolicy, &p.account, &p.account, p),
            Mutation::DeletePasswordPolicy { account } => {
                Ok(delete(Kind::PasswordPolicy, account, account))
            }
            Mutation::DeleteMfaDevice { account, serial } => {
                Ok(delete(Kind::MfaDevice, serial, account))
            }
            Mutation::DeleteMfaCodeUse { account, serial } => {
                Ok(delete(Kind::MfaCodeUse, serial, account))
            }
            // Assertions are deleted when they expire, whichever account they came through.
            Mutation::DeleteUsedAssertion { id } => Ok(delete(Kind::UsedAssertion, id, "")),
            Mutation::DeleteUser { account, id } => Ok(delete(Kind::User, id, account)),
            Mutation::DeleteGroup { account, id } => Ok(delete(Kind::Group, id, account)),
            Mutation::DeleteRole { account, id } => Ok(delete(Kind::Role, id, account)),
            Mutation::DeletePolicy { account, id } => Ok(delete(Kind::Policy, id, account)),
            Mutation::DeleteAccessKey { account, id } => Ok(delete(Kind::AccessKey, id, account)),
            Mutation::DeleteInstanceProfile { account, id } => {
                Ok(delete(Kind::InstanceProfile, id, account))
            }
            Mutation::DeleteOidcProvider { account, url } => {
                Ok(delete(Kind::OidcProvider, &oidc_arn(account, url), account))
            }
            Mutation::DeleteSamlProvider { account, name } => Ok(delete(
                Kind::SamlProvider,
                &saml_arn(account, name),
                account,
            )),
        }
    }

    /// For data merged by maximum rather than written over (last-use times), the rank the
    /// store compares: the newer time wins, whichever writer flushes last.
    pub fn rank(&self) -> Option<u64> {
        match self {
            Mutation::KeyLastUsed { used, .. } => Some(rank(used.date)),
            Mutation::RoleLastUsed { used, .. } => Some(rank(used.date)),
            _ => None,
        }
    }

    /// The records that go with this one and are deleted with it: a deleted access key's or
    /// role's last use.
    pub fn companion(&self) -> Option<(Kind, &str)> {
        match self {
            Mutation::DeleteAccessKey { id, .. } => Some((Kind::KeyLastUsed, id)),
            Mutation::DeleteRole { id, .. } => Some((Kind::RoleLastUsed, id)),
            _ => None,
        }
    }

    /// Reads a stored record back. Refuses a body in a format newer than this build reads.
    pub fn from_record(record: &Record, master: &MasterKey) -> Result<Mutation, StoreError> {
        fn parse<'a, T: Deserialize<'a>>(record: &'a Record) -> Result<T, StoreError> {
            serde_json::from_str(&record.body).map_err(|e| {
                StoreError::new(format!(
                    "record {} {} does not read: {e}",
                    record.kind.as_str(),
                    record.id
                ))
            })
        }
        let Format { v } = parse(record)?;
        if v > FORMAT_VERSION {
            return Err(StoreError::new(format!(
                "record {} {} has format version {v}, newer than this build of Warden reads \
                 (version {FORMAT_VERSION}); run a newer Warden",
                record.kind.as_str(),
                record.id
            )));
        }
        Ok(match record.kind {
            Kind::Account => Mutation::Account(parse(record)?),
            Kind::User => Mutation::User(parse(record)?),
            Kind::Group => Mutation::Group(parse(record)?),
            Kind::Role => Mutation::Role(parse(record)?),
            Kind::Policy => Mutation::Policy(parse(record)?),
            Kind::InstanceProfile => Mutation::InstanceProfile(parse(record)?),
            Kind::OidcProvider => Mutation::OidcProvider(parse(record)?),
            Kind::SamlProvider => Mutation::SamlProvider(parse(record)?),
            Kind::MfaCodeUse => Mutation::MfaCodeUse(parse(record)?),
            Kind::UsedAssertion => Mutation::UsedAssertion(parse(record)?),
            Kind::KeyLastUsed => {
                let stored: StoredKeyLastUsed = parse(record)?;
                Mutation::KeyLastUsed {
                    account: stored.account,
                    key: stored.key,
                    used: stored.used,
                }
            }
            Kind::RoleLastUsed => {
                let stored: StoredRoleLastUsed = parse(record)?;
                Mutation::RoleLastUsed {
                    account: stored.account,
                    role: stored.role,
                    used: stored.used,
                }
            }
            Kind::PasswordPolicy => Mutation::PasswordPolicy(parse(record)?),
            Kind::LoginProfile => {
                let stored: StoredLoginProfile = parse(record)?;
                let broken = |_| {
                    StoreError::new(format!(
                        "the password hash of login profile {} does not open with this master key",
                        record.id
                    ))
                };
                let hash = master
                    .open(&stored.sealed_hash, &record.id)
                    .map_err(broken)?;
                let history = match &stored.sealed_history {
                    Some(sealed) => master
                        .open(sealed, &format!("{}/history", record.id))
                        .map_err(broken)?
                        .expose()
                        .split('\n')
                        .map(|h| Secret::new(h.to_owned()))
                        .collect(),
                    None => Vec::new(),
                };
                Mutation::LoginProfile(LoginProfile {
                    account: stored.account,
                    user: stored.user,
                    created: stored.created,
                    hash,
                    reset_required: stored.reset_required,
                    changed: stored.changed,
                    history,
                })
            }
            Kind::MfaDevice => {
                let stored: StoredMfaDevice = parse(record)?;
                let seed = master
                    .open(&stored.sealed_seed, &stored.serial)
                    .map_err(|_| {
                        StoreError::new(format!(
                            "the seed of MFA device {} does not open with this master key",
                            stored.serial
                        ))
                    })?;
                Mutation::MfaDevice(MfaDevice {
                    serial: stored.serial,
                    account: stored.account,
                    name: stored.name,
                    path: stored.path,
                    created: stored.created,
                    seed,
                    user: stored.user,
                    enabled: stored.enabled,
                    tags: stored.tags,
                })
            }
            Kind::AccessKey => {
                let stored: StoredAccessKey = parse(record)?;
                let secret: Secret =
                    master
                        .open(&stored.sealed_secret, &stored.id)
                        .map_err(|_| {
                            StoreError::new(format!(
                                "the secret of access key {} does not open with this master key",
                                stored.id
                            ))
                        })?;
                Mutation::AccessKey(AccessKey {
                    id: stored.id,
                    account: stored.account,
                    user: stored.user,
                    status: stored.status,
                    created: stored.created,
                    secret,
                    last_used: stored.last_used,
                })
            }
        })
    }

    /// The mutation of a logged delete, for a state following another writer's changes.
    /// `None` for records nothing in memory stands for once deleted (last-use records go
    /// with their key or role).
    /// (A delete whose account is not an account id names nothing in memory either.)
    pub fn from_delete(kind: Kind, id: &str, account: &str) -> Option<Mutation> {
        if kind == Kind::Policy {
            let (account, id) = (account.to_owned(), UniqueId::new(id));
            return Some(Mutation::DeletePolicy { account, id });
        }
        if kind == Kind::UsedAssertion {
            let id = id.to_owned();
            return Some(Mutation::DeleteUsedAssertion { id });
        }
        let account = AccountId::parse(account)?;
        let unique = UniqueId::new(id);
        let id = id.to_owned();
        Some(match kind {
            Kind::Account
            | Kind::KeyLastUsed
            | Kind::RoleLastUsed
            | Kind::Policy
            | Kind::UsedAssertion => return None,
            Kind::User => Mutation::DeleteUser {
                account,
                id: unique,
            },
            Kind::Group => Mutation::DeleteGroup {
                account,
                id: unique,
            },
            Kind::Role => Mutation::DeleteRole {
                account,
                id: unique,
            },
            Kind::AccessKey => Mutation::DeleteAccessKey { account, id },
            Kind::InstanceProfile => Mutation::DeleteInstanceProfile {
                account,
                id: unique,
            },
            // A provider's record id is its ARN.
            Kind::OidcProvider => match Arn::parse(&id) {
                Ok(Arn::OidcProvider { url, .. }) => Mutation::DeleteOidcProvider {
                    url: url.to_owned(),
                    account,
                },
                _ => return None,
            },
            Kind::SamlProvider => match Arn::parse(&id) {
                Ok(Arn::SamlProvider { name, .. }) => Mutation::DeleteSamlProvider {
                    name: name.to_owned(),
                    account,
                },
                _ => return None,
            },
            Kind::MfaDevice => Mutation::DeleteMfaDevice {
                account,
                serial: id,
            },
            Kind::MfaCodeUse => Mutation::DeleteMfaCodeUse {
                account,
                serial: id,
            },
            Kind::LoginProfile => Mutation::DeleteLoginProfile { account, id },
            Kind::PasswordPolicy => Mutation::DeletePasswordPolicy { account },
        })
    }
}
