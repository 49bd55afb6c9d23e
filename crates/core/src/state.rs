//! The in-memory state every request reads: all accounts and their entities, indexed by
//! name (case-insensitively, as IAM's uniqueness rules) and by unique id, and every access
//! key by id. Built from the store at start; changed only by applying committed
//! [`Mutation`]s (this server's, or other writers' read from the store's change log), so
//! memory and storage never disagree. Every record's version is remembered, so a write
//! decided on this state commits only if what it overwrites is still as it was read.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde::{Deserialize, Serialize};

use crate::error::{Error, StoreError};
use crate::model::{
    AccessKey, Account, Group, InstanceProfile, KeyLastUsed, KeyStatus, ManagedPolicy, MfaCodeUse,
    MfaDevice, OidcProvider, Role, RoleLastUsed, SamlProvider, UsedAssertion, User,
};
use crate::secret::{MasterKey, Secret};
use crate::store::{Expect, Kind, Logged, Record, Snapshot, Write};
use crate::time::Timestamp;

/// Everything Warden knows.
#[derive(Debug, Default)]
pub struct State {
    pub accounts: BTreeMap<String, AccountState>,
    /// Counts applied mutations: anything derived from the state (such as a caller's
    /// compiled policies) is current while the generation it was built at still is.
    pub generation: u64,
    /// Access key id → account id, for authentication.
    pub key_accounts: HashMap<String, String>,
    /// SAML assertions already accepted, by [`UsedAssertion::id`], with when they expire.
    pub used_assertions: HashMap<String, Timestamp>,
    /// The same, ordered by expiry, so expired ones are found without a scan.
    assertion_expiries: BTreeSet<(Timestamp, String)>,
    /// The store's sequence number this state is current to.
    pub seq: u64,
    /// The version of every stored record, by kind and id: what a write expects to find.
    versions: HashMap<(Kind, String), u64>,
}

/// One account's entities. Maps are keyed by lower-cased name (so iteration is in IAM's
/// case-insensitive name order) with unique-id indexes beside them.
#[derive(Debug, Default)]
pub struct AccountState {
    pub account: Option<Account>,
    pub users: BTreeMap<String, User>,
    pub user_ids: HashMap<String, String>,
    pub groups: BTreeMap<String, Group>,
    pub group_ids: HashMap<String, String>,
    pub roles: BTreeMap<String, Role>,
    pub role_ids: HashMap<String, String>,
    pub policies: BTreeMap<String, ManagedPolicy>,
    pub policy_ids: HashMap<String, String>,
    pub instance_profiles: BTreeMap<String, InstanceProfile>,
    pub instance_profile_ids: HashMap<String, String>,
    pub access_keys: BTreeMap<String, AccessKey>,
    /// OpenID Connect providers, by URL without its scheme (`host/path`).
    pub oidc_providers: BTreeMap<String, OidcProvider>,
    /// SAML providers, by name.
    pub saml_providers: BTreeMap<String, SamlProvider>,
    /// Virtual MFA devices, by lower-cased serial number.
    pub mfa_devices: BTreeMap<String, MfaDevice>,
    /// What the devices' codes have done, by lower-cased serial number.
    pub mfa_code_uses: HashMap<String, MfaCodeUse>,
}

/// A change to one entity, applied to the store and then to memory.
#[derive(Debug, Clone)]
pub enum Mutation {
    Account(Account),
    User(User),
    DeleteUser {
        account: String,
        id: String,
    },
    Group(Group),
    DeleteGroup {
        account: String,
        id: String,
    },
    Role(Role),
    DeleteRole {
        account: String,
        id: String,
    },
    Policy(ManagedPolicy),
    DeletePolicy {
        account: String,
        id: String,
    },
    AccessKey(AccessKey),
    DeleteAccessKey {
        account: String,
        id: String,
    },
    InstanceProfile(InstanceProfile),
    DeleteInstanceProfile {
        account: String,
        id: String,
    },
    OidcProvider(OidcProvider),
    DeleteOidcProvider {
        account: String,
        url: String,
    },
    SamlProvider(SamlProvider),
    DeleteSamlProvider {
        account: String,
        name: String,
    },
    MfaDevice(MfaDevice),
    DeleteMfaDevice {
        account: String,
        serial: String,
    },
    MfaCodeUse(MfaCodeUse),
    DeleteMfaCodeUse {
        account: String,
        serial: String,
    },
    UsedAssertion(UsedAssertion),
    DeleteUsedAssertion {
        id: String,
    },
    /// A use of access key `key`, merged by maximum with what is stored.
    KeyLastUsed {
        account: String,
        key: String,
        used: KeyLastUsed,
    },
    /// An assumption of role `role` (unique id), merged by maximum with what is stored.
    RoleLastUsed {
        account: String,
        role: String,
        used: RoleLastUsed,
    },
}

/// The format version written into every record body (as `"v"`). Bodies without one were
/// written before formats were versioned and read as version 1 does (an access key's or a
/// role's body may still hold its last use then).
pub const FORMAT_VERSION: u32 = 1;

/// How an access key is stored: its secret sealed under the master key.
#[derive(Serialize, Deserialize)]
struct StoredAccessKey {
    id: String,
    account: String,
    user: Option<String>,
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
    account: String,
    used: KeyLastUsed,
}

/// How a role's last assumption is stored, apart from the role.
#[derive(Serialize, Deserialize)]
struct StoredRoleLastUsed {
    role: String,
    account: String,
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
    account: String,
    name: String,
    path: String,
    created: Timestamp,
    sealed_seed: String,
    user: Option<String>,
    enabled: Option<Timestamp>,
    #[serde(default)]
    tags: Vec<crate::model::Tag>,
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

/// A put of a record whose (folded) name is unique among its kind in its account.
fn named<T: Serialize>(
    kind: Kind,
    id: &str,
    account: &str,
    name: Option<&str>,
    value: &T,
) -> Result<Write, Error> {
    Ok(Write::Put(Record {
        kind,
        id: id.to_owned(),
        account: account.to_owned(),
        name: name.map(fold),
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
    format!("arn:aws:iam::{account}:oidc-provider/{url}")
}

fn saml_arn(account: &str, name: &str) -> String {
    format!("arn:aws:iam::{account}:saml-provider/{name}")
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
                    account: account.clone(),
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
                    account: account.clone(),
                    used: used.clone(),
                };
                put(Kind::RoleLastUsed, role, account, &stored)
            }
            Mutation::AccessKey(k) => {
                let stored = StoredAccessKey {
                    id: k.id.clone(),
                    account: k.account.clone(),
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
                    account: d.account.clone(),
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
    pub fn from_delete(kind: Kind, id: &str, account: &str) -> Option<Mutation> {
        let (account, id) = (account.to_owned(), id.to_owned());
        Some(match kind {
            Kind::Account | Kind::KeyLastUsed | Kind::RoleLastUsed => return None,
            Kind::User => Mutation::DeleteUser { account, id },
            Kind::Group => Mutation::DeleteGroup { account, id },
            Kind::Role => Mutation::DeleteRole { account, id },
            Kind::Policy => Mutation::DeletePolicy { account, id },
            Kind::AccessKey => Mutation::DeleteAccessKey { account, id },
            Kind::InstanceProfile => Mutation::DeleteInstanceProfile { account, id },
            Kind::OidcProvider => Mutation::DeleteOidcProvider {
                url: id.split_once(":oidc-provider/")?.1.to_owned(),
                account,
            },
            Kind::SamlProvider => Mutation::DeleteSamlProvider {
                name: id.split_once(":saml-provider/")?.1.to_owned(),
                account,
            },
            Kind::MfaDevice => Mutation::DeleteMfaDevice {
                account,
                serial: id,
            },
            Kind::MfaCodeUse => Mutation::DeleteMfaCodeUse {
                account,
                serial: id,
            },
            Kind::UsedAssertion => Mutation::DeleteUsedAssertion { id },
        })
    }
}

impl Mutation {
    /// Whether this only records what codes, assertions, keys and roles were used, which no
    /// cached derivation of the state depends on.
    fn is_bookkeeping(&self) -> bool {
        matches!(
            self,
            Mutation::MfaCodeUse(_)
                | Mutation::DeleteMfaCodeUse { .. }
                | Mutation::UsedAssertion(_)
                | Mutation::DeleteUsedAssertion { .. }
                | Mutation::KeyLastUsed { .. }
                | Mutation::RoleLastUsed { .. }
        )
    }
}

fn fold(name: &str) -> String {
    name.to_lowercase()
}

/// The later of two last uses (`a` when they tie): last use only moves forward, whichever
/// order writers' flushes arrive in.
fn latest<T: Clone>(a: Option<T>, b: Option<&T>, date: impl Fn(&T) -> Timestamp) -> Option<T> {
    match (a, b) {
        (Some(a), Some(b)) if date(b) > date(&a) => Some(b.clone()),
        (None, b) => b.cloned(),
        (a, _) => a,
    }
}

/// Inserts `entity` keyed by its folded name, replacing its previous name if it was renamed.
fn upsert<T>(
    map: &mut BTreeMap<String, T>,
    ids: &mut HashMap<String, String>,
    id: &str,
    name: &str,
    entity: T,
) {
    let key = fold(name);
    if let Some(previous) = ids.insert(id.to_owned(), key.clone())
        && previous != key
    {
        map.remove(&previous);
    }
    map.insert(key, entity);
}

fn remove<T>(map: &mut BTreeMap<String, T>, ids: &mut HashMap<String, String>, id: &str) {
    if let Some(key) = ids.remove(id) {
        map.remove(&key);
    }
}

impl State {
    pub fn account(&self, id: &str) -> Option<&AccountState> {
        self.accounts.get(id)
    }

    fn account_mut(&mut self, id: &str) -> &mut AccountState {
        self.accounts.entry(id.to_owned()).or_default()
    }

    /// The used SAML assertions whose expiry is `now` or earlier, soonest first.
    pub fn expired_assertions(&self, now: Timestamp) -> impl Iterator<Item = &str> + '_ {
        self.assertion_expiries
            .iter()
            .take_while(move |(expires, _)| *expires <= now)
            .map(|(_, id)| id.as_str())
    }

    /// Builds the state of a store's snapshot (on top of what is in memory already, such as
    /// AWS managed policies).
    pub fn load(&mut self, snapshot: &Snapshot, master: &MasterKey) -> Result<(), StoreError> {
        for stored in &snapshot.records {
            self.apply(Mutation::from_record(&stored.record, master)?);
            let key = (stored.record.kind, stored.record.id.clone());
            self.versions.insert(key, stored.version);
        }
        self.seq = snapshot.seq;
        Ok(())
    }

    /// Applies a write of the store's change log, as another writer committed it (or this
    /// one, when others wrote in between). Entries at or below [`State::seq`] are already in.
    pub fn follow(&mut self, entry: &Logged, master: &MasterKey) -> Result<(), StoreError> {
        if entry.seq <= self.seq {
            return Ok(());
        }
        match &entry.write {
            Write::Put(record) => {
                self.apply(Mutation::from_record(record, master)?);
                self.set_version(record.kind, &record.id, Some(entry.seq));
            }
            Write::Delete { kind, id, account } => {
                if let Some(mutation) = Mutation::from_delete(*kind, id, account) {
                    self.apply(mutation);
                }
                self.set_version(*kind, id, None);
            }
        }
        self.seq = entry.seq;
        Ok(())
    }

    /// What a write of the record `kind`/`id` expects: the version this state holds it at,
    /// or that it does not exist.
    pub fn expect(&self, kind: Kind, id: &str) -> Expect {
        match self.versions.get(&(kind, id.to_owned())) {
            Some(version) => Expect::Version(*version),
            None => Expect::Absent,
        }
    }

    /// Whether the store holds the record `kind`/`id`, as far as this state knows.
    pub fn holds(&self, kind: Kind, id: &str) -> bool {
        self.versions.contains_key(&(kind, id.to_owned()))
    }

    /// Notes the version a commit wrote the record at (`None`: it was deleted).
    pub fn set_version(&mut self, kind: Kind, id: &str, version: Option<u64>) {
        match version {
            Some(version) => self.versions.insert((kind, id.to_owned()), version),
            None => self.versions.remove(&(kind, id.to_owned())),
        };
    }

    /// Applies a committed mutation.
    pub fn apply(&mut self, mutation: Mutation) {
        // Nothing derived from the state (compiled policies, callers' contexts) reads code
        // use or used assertions, so recording them keeps what is cached: a code check or a
        // SAML sign-in does not make every caller's policies be compiled again.
        if !mutation.is_bookkeeping() {
            self.generation += 1;
        }
        match mutation {
            Mutation::Account(account) => {
                let id = account.id.clone();
                self.account_mut(&id).account = Some(account);
            }
            Mutation::User(user) => {
                let a = self.account_mut(&user.account);
                let (id, name) = (user.id.clone(), user.name.clone());
                upsert(&mut a.users, &mut a.user_ids, &id, &name, user);
            }
            Mutation::DeleteUser { account, id } => {
                let a = self.account_mut(&account);
                remove(&mut a.users, &mut a.user_ids, &id);
            }
            Mutation::Group(group) => {
                let a = self.account_mut(&group.account);
                let (id, name) = (group.id.clone(), group.name.clone());
                upsert(&mut a.groups, &mut a.group_ids, &id, &name, group);
            }
            Mutation::DeleteGroup { account, id } => {
                let a = self.account_mut(&account);
                remove(&mut a.groups, &mut a.group_ids, &id);
            }
            Mutation::Role(mut role) => {
                let a = self.account_mut(&role.account);
                let known = a.role_by_id(&role.id).and_then(|r| r.last_used.as_ref());
                role.last_used = latest(role.last_used, known, |u| u.date);
                let (id, name) = (role.id.clone(), role.name.clone());
                upsert(&mut a.roles, &mut a.role_ids, &id, &name, role);
            }
            Mutation::DeleteRole { account, id } => {
                let a = self.account_mut(&account);
                remove(&mut a.roles, &mut a.role_ids, &id);
            }
            Mutation::Policy(policy) => {
                let a = self.account_mut(&policy.account);
                let (id, name) = (policy.id.clone(), policy.name.clone());
                upsert(&mut a.policies, &mut a.policy_ids, &id, &name, policy);
            }
            Mutation::DeletePolicy { account, id } => {
                let a = self.account_mut(&account);
                remove(&mut a.policies, &mut a.policy_ids, &id);
            }
            Mutation::InstanceProfile(profile) => {
                let a = self.account_mut(&profile.account);
                let (id, name) = (profile.id.clone(), profile.name.clone());
                upsert(
                    &mut a.instance_profiles,
                    &mut a.instance_profile_ids,
                    &id,
                    &name,
                    profile,
                );
            }
            Mutation::DeleteInstanceProfile { account, id } => {
                let a = self.account_mut(&account);
                remove(&mut a.instance_profiles, &mut a.instance_profile_ids, &id);
            }
            Mutation::OidcProvider(provider) => {
                let a = self.account_mut(&provider.account);
                a.oidc_providers.insert(provider.url.clone(), provider);
            }
            Mutation::DeleteOidcProvider { account, url } => {
                self.account_mut(&account).oidc_providers.remove(&url);
            }
            Mutation::SamlProvider(provider) => {
                let a = self.account_mut(&provider.account);
                a.saml_providers.insert(provider.name.clone(), provider);
            }
            Mutation::DeleteSamlProvider { account, name } => {
                self.account_mut(&account).saml_providers.remove(&name);
            }
            Mutation::MfaDevice(device) => {
                let a = self.account_mut(&device.account);
                a.mfa_devices.insert(fold(&device.serial), device);
            }
            Mutation::DeleteMfaDevice { account, serial } => {
                self.account_mut(&account)
                    .mfa_devices
                    .remove(&fold(&serial));
            }
            Mutation::MfaCodeUse(usage) => {
                let a = self.account_mut(&usage.account);
                a.mfa_code_uses.insert(fold(&usage.serial), usage);
            }
            Mutation::DeleteMfaCodeUse { account, serial } => {
                self.account_mut(&account)
                    .mfa_code_uses
                    .remove(&fold(&serial));
            }
            Mutation::UsedAssertion(used) => {
                if let Some(previous) = self.used_assertions.insert(used.id.clone(), used.expires) {
                    self.assertion_expiries.remove(&(previous, used.id.clone()));
                }
                self.assertion_expiries.insert((used.expires, used.id));
            }
            Mutation::DeleteUsedAssertion { id } => {
                if let Some(expires) = self.used_assertions.remove(&id) {
                    self.assertion_expiries.remove(&(expires, id));
                }
            }
            Mutation::AccessKey(mut key) => {
                self.key_accounts
                    .insert(key.id.clone(), key.account.clone());
                let a = self.account_mut(&key.account);
                let known = a
                    .access_keys
                    .get(&key.id)
                    .and_then(|k| k.last_used.as_ref());
                key.last_used = latest(key.last_used, known, |u| u.date);
                a.access_keys.insert(key.id.clone(), key);
            }
            Mutation::KeyLastUsed { account, key, used } => {
                let a = self.account_mut(&account);
                if let Some(key) = a.access_keys.get_mut(&key) {
                    key.last_used = latest(key.last_used.take(), Some(&used), |u| u.date);
                }
            }
            Mutation::RoleLastUsed {
                account,
                role,
                used,
            } => {
                let a = self.account_mut(&account);
                let role = a.role_ids.get(&role).and_then(|name| a.roles.get_mut(name));
                if let Some(role) = role {
                    role.last_used = latest(role.last_used.take(), Some(&used), |u| u.date);
                }
            }
            Mutation::DeleteAccessKey { account, id } => {
                self.key_accounts.remove(&id);
                self.account_mut(&account).access_keys.remove(&id);
            }
        }
    }
}

impl AccountState {
    pub fn user(&self, name: &str) -> Option<&User> {
        self.users.get(&fold(name))
    }

    pub fn user_by_id(&self, id: &str) -> Option<&User> {
        self.users.get(self.user_ids.get(id)?)
    }

    pub fn group(&self, name: &str) -> Option<&Group> {
        self.groups.get(&fold(name))
    }

    pub fn group_by_id(&self, id: &str) -> Option<&Group> {
        self.groups.get(self.group_ids.get(id)?)
    }

    pub fn role(&self, name: &str) -> Option<&Role> {
        self.roles.get(&fold(name))
    }

    pub fn role_by_id(&self, id: &str) -> Option<&Role> {
        self.roles.get(self.role_ids.get(id)?)
    }

    pub fn policy(&self, name: &str) -> Option<&ManagedPolicy> {
        self.policies.get(&fold(name))
    }

    pub fn instance_profile(&self, name: &str) -> Option<&InstanceProfile> {
        self.instance_profiles.get(&fold(name))
    }

    pub fn instance_profile_by_id(&self, id: &str) -> Option<&InstanceProfile> {
        self.instance_profiles
            .get(self.instance_profile_ids.get(id)?)
    }

    /// The members of a group, by unique id, in name order.
    pub fn group_members<'a>(&'a self, group_id: &'a str) -> impl Iterator<Item = &'a User> + 'a {
        self.users
            .values()
            .filter(move |u| u.groups.iter().any(|g| g == group_id))
    }

    /// A virtual MFA device by serial number.
    pub fn mfa_device(&self, serial: &str) -> Option<&MfaDevice> {
        self.mfa_devices.get(&fold(serial))
    }

    /// What the codes of the device `serial` have done, if any was checked.
    pub fn mfa_code_use(&self, serial: &str) -> Option<&MfaCodeUse> {
        self.mfa_code_uses.get(&fold(serial))
    }

    /// The MFA devices enabled for a user, by unique id.
    pub fn mfa_devices_of<'a>(
        &'a self,
        user_id: &'a str,
    ) -> impl Iterator<Item = &'a MfaDevice> + 'a {
        self.mfa_devices
            .values()
            .filter(move |d| d.user.as_deref() == Some(user_id))
    }

    /// The access keys of a user (`None`: the root user), oldest first.
    pub fn keys_of<'a>(
        &'a self,
        user: Option<&'a str>,
    ) -> impl Iterator<Item = &'a AccessKey> + 'a {
        let mut keys: Vec<&AccessKey> = self
            .access_keys
            .values()
            .filter(|k| k.user.as_deref() == user)
            .collect();
        keys.sort_by(|a, b| a.created.cmp(&b.created).then(a.id.cmp(&b.id)));
        keys.into_iter()
    }
}
