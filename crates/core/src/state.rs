//! The in-memory state every request reads: all accounts and their entities, indexed by
//! name (case-insensitively, as IAM's uniqueness rules) and by unique id, and every access
//! key by id. Built from the store at start; changed only by applying committed
//! [`Mutation`]s, so memory and storage never disagree.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde::{Deserialize, Serialize};

use crate::error::{Error, StoreError};
use crate::model::{
    AccessKey, Account, Group, InstanceProfile, KeyLastUsed, KeyStatus, ManagedPolicy, MfaCodeUse,
    MfaDevice, OidcProvider, Role, SamlProvider, UsedAssertion, User,
};
use crate::secret::{MasterKey, Secret};
use crate::store::{Change, Kind, Record};
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
    DeleteUser { account: String, id: String },
    Group(Group),
    DeleteGroup { account: String, id: String },
    Role(Role),
    DeleteRole { account: String, id: String },
    Policy(ManagedPolicy),
    DeletePolicy { account: String, id: String },
    AccessKey(AccessKey),
    DeleteAccessKey { account: String, id: String },
    InstanceProfile(InstanceProfile),
    DeleteInstanceProfile { account: String, id: String },
    OidcProvider(OidcProvider),
    DeleteOidcProvider { account: String, url: String },
    SamlProvider(SamlProvider),
    DeleteSamlProvider { account: String, name: String },
    MfaDevice(MfaDevice),
    DeleteMfaDevice { account: String, serial: String },
    MfaCodeUse(MfaCodeUse),
    DeleteMfaCodeUse { account: String, serial: String },
    UsedAssertion(UsedAssertion),
    DeleteUsedAssertion { id: String },
}

/// How an access key is stored: its secret sealed under the master key.
#[derive(Serialize, Deserialize)]
struct StoredAccessKey {
    id: String,
    account: String,
    user: Option<String>,
    status: KeyStatus,
    created: Timestamp,
    sealed_secret: String,
    last_used: Option<KeyLastUsed>,
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
    serde_json::to_string(value).map_err(|e| Error::Internal(format!("serializing a record: {e}")))
}

fn record<T: Serialize>(kind: Kind, id: &str, account: &str, value: &T) -> Result<Change, Error> {
    Ok(Change::Put(Record {
        kind,
        id: id.to_owned(),
        account: account.to_owned(),
        body: body(value)?,
    }))
}

fn delete(kind: Kind, id: &str) -> Change {
    Change::Delete {
        kind,
        id: id.to_owned(),
    }
}

impl Mutation {
    /// The store change that persists this mutation.
    pub fn to_change(&self, master: &MasterKey) -> Result<Change, Error> {
        match self {
            Mutation::Account(a) => record(Kind::Account, &a.id, &a.id, a),
            Mutation::User(u) => record(Kind::User, &u.id, &u.account, u),
            Mutation::Group(g) => record(Kind::Group, &g.id, &g.account, g),
            Mutation::Role(r) => record(Kind::Role, &r.id, &r.account, r),
            Mutation::Policy(p) => record(Kind::Policy, &p.id, &p.account, p),
            Mutation::InstanceProfile(p) => record(Kind::InstanceProfile, &p.id, &p.account, p),
            Mutation::OidcProvider(p) => record(Kind::OidcProvider, &p.arn(), &p.account, p),
            Mutation::SamlProvider(p) => record(Kind::SamlProvider, &p.arn(), &p.account, p),
            Mutation::MfaCodeUse(u) => record(Kind::MfaCodeUse, &u.serial, &u.account, u),
            Mutation::UsedAssertion(a) => record(Kind::UsedAssertion, &a.id, &a.account, a),
            Mutation::AccessKey(k) => {
                let stored = StoredAccessKey {
                    id: k.id.clone(),
                    account: k.account.clone(),
                    user: k.user.clone(),
                    status: k.status,
                    created: k.created,
                    sealed_secret: master.seal(&k.secret, &k.id)?,
                    last_used: k.last_used.clone(),
                };
                record(Kind::AccessKey, &k.id, &k.account, &stored)
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
                record(Kind::MfaDevice, &d.serial, &d.account, &stored)
            }
            Mutation::DeleteMfaDevice { serial, .. } => Ok(delete(Kind::MfaDevice, serial)),
            Mutation::DeleteMfaCodeUse { serial, .. } => Ok(delete(Kind::MfaCodeUse, serial)),
            Mutation::DeleteUsedAssertion { id } => Ok(delete(Kind::UsedAssertion, id)),
            Mutation::DeleteUser { id, .. } => Ok(delete(Kind::User, id)),
            Mutation::DeleteGroup { id, .. } => Ok(delete(Kind::Group, id)),
            Mutation::DeleteRole { id, .. } => Ok(delete(Kind::Role, id)),
            Mutation::DeletePolicy { id, .. } => Ok(delete(Kind::Policy, id)),
            Mutation::DeleteAccessKey { id, .. } => Ok(delete(Kind::AccessKey, id)),
            Mutation::DeleteInstanceProfile { id, .. } => Ok(delete(Kind::InstanceProfile, id)),
            Mutation::DeleteOidcProvider { account, url } => Ok(delete(
                Kind::OidcProvider,
                &format!("arn:aws:iam::{account}:oidc-provider/{url}"),
            )),
            Mutation::DeleteSamlProvider { account, name } => Ok(delete(
                Kind::SamlProvider,
                &format!("arn:aws:iam::{account}:saml-provider/{name}"),
            )),
        }
    }

    /// Reads a stored record back.
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
}

impl Mutation {
    /// Whether this only records what codes and assertions were used, which no cached
    /// derivation of the state depends on.
    fn is_bookkeeping(&self) -> bool {
        matches!(
            self,
            Mutation::MfaCodeUse(_)
                | Mutation::DeleteMfaCodeUse { .. }
                | Mutation::UsedAssertion(_)
                | Mutation::DeleteUsedAssertion { .. }
        )
    }
}

fn fold(name: &str) -> String {
    name.to_lowercase()
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
            Mutation::Role(role) => {
                let a = self.account_mut(&role.account);
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
            Mutation::AccessKey(key) => {
                self.key_accounts
                    .insert(key.id.clone(), key.account.clone());
                let a = self.account_mut(&key.account);
                a.access_keys.insert(key.id.clone(), key);
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
