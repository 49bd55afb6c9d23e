//! The in-memory state every request reads: all accounts and their entities, indexed by
//! name (case-insensitively, as IAM's uniqueness rules) and by unique id, and every access
//! key by id. Built from the store at start; changed only by applying committed
//! [`Mutation`]s (this server's, or other writers' read from the store's change log), so
//! memory and storage never disagree. Every record's version is remembered, so a write
//! decided on this state commits only if what it overwrites is still as it was read.

mod records;
mod table;
mod versions;

use std::collections::{BTreeMap, BTreeSet, HashMap};

use crate::error::StoreError;
use crate::model::names::fold;
use crate::model::{
    AccessKey, Account, AccountId, Group, InstanceProfile, KeyLastUsed, LoginProfile,
    ManagedPolicy, MfaCodeUse, MfaDevice, OidcProvider, PasswordPolicy, Role, RoleLastUsed,
    SamlProvider, UniqueId, UsedAssertion, User,
};
use crate::secret::MasterKey;
use crate::store::{Expect, Kind, Logged, Snapshot, Write};
use crate::time::Timestamp;

pub use table::{Entity, Keyed, Table};

/// Everything Warden knows.
#[derive(Debug, Default)]
pub struct State {
    pub accounts: BTreeMap<String, AccountState>,
    /// Counts applied mutations: anything derived from the state (such as a caller's
    /// compiled policies) is current while the generation it was built at still is.
    pub generation: u64,
    /// Access key id → account id, for authentication.
    pub key_accounts: HashMap<String, AccountId>,
    /// SAML assertions already accepted, by [`UsedAssertion::id`], with when they expire.
    pub used_assertions: HashMap<String, Timestamp>,
    /// The same, ordered by expiry, so expired ones are found without a scan.
    assertion_expiries: BTreeSet<(Timestamp, String)>,
    /// The store's sequence number this state is current to.
    pub seq: u64,
    /// The version of every stored record, by kind and id: what a write expects to find.
    versions: versions::Versions,
}

/// One account's entities. Those with unique names are in [`Table`]s (found by name in any
/// case or by unique id, listed in IAM's case-insensitive name order).
#[derive(Debug, Default)]
pub struct AccountState {
    pub account: Option<Account>,
    pub users: Table<User>,
    pub groups: Table<Group>,
    pub roles: Table<Role>,
    pub policies: Table<ManagedPolicy>,
    pub instance_profiles: Table<InstanceProfile>,
    pub access_keys: BTreeMap<String, AccessKey>,
    /// OpenID Connect providers, by URL without its scheme (`host/path`).
    pub oidc_providers: BTreeMap<String, OidcProvider>,
    /// SAML providers, by name.
    pub saml_providers: BTreeMap<String, SamlProvider>,
    /// Virtual MFA devices, by lower-cased serial number.
    pub mfa_devices: BTreeMap<String, MfaDevice>,
    /// What the devices' codes have done, by lower-cased serial number.
    pub mfa_code_uses: HashMap<String, MfaCodeUse>,
    /// IAM users' login profiles (console passwords), by the user's unique id.
    pub login_profiles: HashMap<UniqueId, LoginProfile>,
    /// The root user's password, when one was set.
    pub root_password: Option<LoginProfile>,
    /// The account's password policy, when one was set.
    pub password_policy: Option<PasswordPolicy>,
}

/// A change to one entity, applied to the store and then to memory.
#[derive(Debug, Clone)]
pub enum Mutation {
    Account(Account),
    User(User),
    DeleteUser {
        account: AccountId,
        id: UniqueId,
    },
    Group(Group),
    DeleteGroup {
        account: AccountId,
        id: UniqueId,
    },
    Role(Role),
    DeleteRole {
        account: AccountId,
        id: UniqueId,
    },
    Policy(ManagedPolicy),
    DeletePolicy {
        account: String,
        id: UniqueId,
    },
    AccessKey(AccessKey),
    DeleteAccessKey {
        account: AccountId,
        id: String,
    },
    InstanceProfile(InstanceProfile),
    DeleteInstanceProfile {
        account: AccountId,
        id: UniqueId,
    },
    OidcProvider(OidcProvider),
    DeleteOidcProvider {
        account: AccountId,
        url: String,
    },
    SamlProvider(SamlProvider),
    DeleteSamlProvider {
        account: AccountId,
        name: String,
    },
    MfaDevice(MfaDevice),
    DeleteMfaDevice {
        account: AccountId,
        serial: String,
    },
    MfaCodeUse(MfaCodeUse),
    DeleteMfaCodeUse {
        account: AccountId,
        serial: String,
    },
    /// A user's login profile, or the root user's password (`user: None`).
    LoginProfile(LoginProfile),
    /// Deletes the login profile whose record id is `id` (see [`LoginProfile::record_id`]).
    DeleteLoginProfile {
        account: AccountId,
        id: String,
    },
    PasswordPolicy(PasswordPolicy),
    DeletePasswordPolicy {
        account: AccountId,
    },
    UsedAssertion(UsedAssertion),
    DeleteUsedAssertion {
        id: String,
    },
    /// A use of access key `key`, merged by maximum with what is stored.
    KeyLastUsed {
        account: AccountId,
        key: String,
        used: KeyLastUsed,
    },
    /// An assumption of role `role` (unique id), merged by maximum with what is stored.
    RoleLastUsed {
        account: AccountId,
        role: UniqueId,
        used: RoleLastUsed,
    },
}

pub use records::FORMAT_VERSION;

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

/// The later of two last uses (`a` when they tie): last use only moves forward, whichever
/// order writers' flushes arrive in.
fn latest<T: Clone>(a: Option<T>, b: Option<&T>, date: impl Fn(&T) -> Timestamp) -> Option<T> {
    match (a, b) {
        (Some(a), Some(b)) if date(b) > date(&a) => Some(b.clone()),
        (None, b) => b.cloned(),
        (a, _) => a,
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
    /// AWS managed policies). The snapshot is consumed record by record, so the memory of
    /// each stored body is free again for the entities built after it.
    pub fn load(&mut self, snapshot: Snapshot, master: &MasterKey) -> Result<(), StoreError> {
        for stored in snapshot.records {
            self.apply(Mutation::from_record(&stored.record, master)?);
            let record = &stored.record;
            self.versions
                .set(record.kind, &record.id, Some(stored.version));
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
        match self.versions.get(kind, id) {
            Some(version) => Expect::Version(version),
            None => Expect::Absent,
        }
    }

    /// Whether the store holds the record `kind`/`id`, as far as this state knows.
    pub fn holds(&self, kind: Kind, id: &str) -> bool {
        self.versions.get(kind, id).is_some()
    }

    /// Notes the version a commit wrote the record at (`None`: it was deleted).
    pub fn set_version(&mut self, kind: Kind, id: &str, version: Option<u64>) {
        self.versions.set(kind, id, version);
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
                let id = account.id;
                self.account_mut(&id).account = Some(account);
            }
            Mutation::User(user) => {
                self.account_mut(&user.account).users.put(user);
            }
            Mutation::DeleteUser { account, id } => {
                self.account_mut(&account).users.remove(&id);
            }
            Mutation::Group(group) => {
                self.account_mut(&group.account).groups.put(group);
            }
            Mutation::DeleteGroup { account, id } => {
                self.account_mut(&account).groups.remove(&id);
            }
            Mutation::Role(mut role) => {
                let a = self.account_mut(&role.account);
                let known = a.roles.by_id(&role.id).and_then(|r| r.last_used.as_ref());
                role.last_used = latest(role.last_used, known, |u| u.date);
                a.roles.put(role);
            }
            Mutation::DeleteRole { account, id } => {
                self.account_mut(&account).roles.remove(&id);
            }
            Mutation::Policy(policy) => {
                self.account_mut(&policy.account).policies.put(policy);
            }
            Mutation::DeletePolicy { account, id } => {
                self.account_mut(&account).policies.remove(&id);
            }
            Mutation::InstanceProfile(profile) => {
                let a = self.account_mut(&profile.account);
                a.instance_profiles.put(profile);
            }
            Mutation::DeleteInstanceProfile { account, id } => {
                self.account_mut(&account).instance_profiles.remove(&id);
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
            Mutation::LoginProfile(profile) => {
                let a = self.account_mut(&profile.account);
                match &profile.user {
                    Some(user) => {
                        a.login_profiles.insert(user.clone(), profile);
                    }
                    None => a.root_password = Some(profile),
                }
            }
            Mutation::DeleteLoginProfile { account, id } => {
                let a = self.account_mut(&account);
                if id == account {
                    a.root_password = None;
                } else {
                    a.login_profiles.remove(id.as_str());
                }
            }
            Mutation::PasswordPolicy(policy) => {
                let a = self.account_mut(&policy.account);
                a.password_policy = Some(policy);
            }
            Mutation::DeletePasswordPolicy { account } => {
                self.account_mut(&account).password_policy = None;
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
                self.key_accounts.insert(key.id.clone(), key.account);
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
                self.account_mut(&account).roles.update(&role, |role| {
                    role.last_used = latest(role.last_used.take(), Some(&used), |u| u.date);
                });
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
        self.users.get(name)
    }

    pub fn user_by_id(&self, id: &str) -> Option<&User> {
        self.users.by_id(id)
    }

    pub fn group(&self, name: &str) -> Option<&Group> {
        self.groups.get(name)
    }

    pub fn group_by_id(&self, id: &str) -> Option<&Group> {
        self.groups.by_id(id)
    }

    pub fn role(&self, name: &str) -> Option<&Role> {
        self.roles.get(name)
    }

    pub fn role_by_id(&self, id: &str) -> Option<&Role> {
        self.roles.by_id(id)
    }

    pub fn policy(&self, name: &str) -> Option<&ManagedPolicy> {
        self.policies.get(name)
    }

    pub fn instance_profile(&self, name: &str) -> Option<&InstanceProfile> {
        self.instance_profiles.get(name)
    }

    pub fn instance_profile_by_id(&self, id: &str) -> Option<&InstanceProfile> {
        self.instance_profiles.by_id(id)
    }

    /// The members of a group, by unique id, in name order.
    pub fn group_members<'a>(&'a self, group_id: &'a str) -> impl Iterator<Item = &'a User> + 'a {
        self.users
            .iter()
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
        user: Option<&'a UniqueId>,
    ) -> impl Iterator<Item = &'a AccessKey> + 'a {
        let mut keys: Vec<&AccessKey> = self
            .access_keys
            .values()
            .filter(|k| k.user.as_ref() == user)
            .collect();
        keys.sort_by(|a, b| a.created.cmp(&b.created).then(a.id.cmp(&b.id)));
        keys.into_iter()
    }
}
