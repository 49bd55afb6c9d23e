//! Usage recording: when each access key last signed a request and each role was last
//! assumed, kept in memory ([`Usage`], a component of the `Service`) so a request costs no
//! disk write, and taken from time to time to be written to the store as records of their own.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use crate::model::{AccountId, KeyLastUsed, RoleLastUsed, UniqueId};
use crate::state::{Mutation, State};
use crate::time::Clock;

/// Uses recorded since they were last taken.
pub(crate) struct Usage {
    clock: Arc<dyn Clock>,
    /// Access-key uses, by key id.
    keys: Mutex<HashMap<String, KeyLastUsed>>,
    /// Role assumptions, by account and role id.
    roles: Mutex<HashMap<(AccountId, UniqueId), RoleLastUsed>>,
}

/// Uses taken from [`Usage`], to be written to the store.
#[derive(Default)]
pub(crate) struct Taken {
    keys: HashMap<String, KeyLastUsed>,
    roles: HashMap<(AccountId, UniqueId), RoleLastUsed>,
}

/// The map behind `mutex`. A map of last uses is consistent whatever panicked while holding
/// it: at worst a use is missing.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Usage {
    /// Uses dated by `clock`.
    pub(crate) fn new(clock: Arc<dyn Clock>) -> Usage {
        Usage {
            clock,
            keys: Mutex::default(),
            roles: Mutex::default(),
        }
    }

    /// Notes that `key_id` signed a request for `service` in `region` now.
    pub(crate) fn record_key(&self, key_id: &str, service: &str, region: &str) {
        let date = self.clock.now();
        let mut pending = lock(&self.keys);
        // A busy key signs many requests a second: those change nothing and allocate nothing.
        if let Some(used) = pending.get_mut(key_id)
            && used.service == service
            && used.region == region
        {
            used.date = date;
            return;
        }
        let used = KeyLastUsed {
            date,
            service: service.to_owned(),
            region: region.to_owned(),
        };
        pending.insert(key_id.to_owned(), used);
    }

    /// The latest use of `key_id` not yet taken.
    pub(crate) fn pending_key(&self, key_id: &str) -> Option<KeyLastUsed> {
        lock(&self.keys).get(key_id).cloned()
    }

    /// Notes that the role `id` of `account` was assumed now, in `region`.
    pub(crate) fn record_role(&self, account: &AccountId, id: &UniqueId, region: &str) {
        let used = RoleLastUsed {
            date: self.clock.now(),
            region: region.to_owned(),
        };
        lock(&self.roles).insert((*account, id.clone()), used);
    }

    /// The latest assumption of role `id` of `account` not yet taken.
    pub(crate) fn pending_role(&self, account: &AccountId, id: &UniqueId) -> Option<RoleLastUsed> {
        lock(&self.roles).get(&(*account, id.clone())).cloned()
    }

    /// Every use recorded, which this no longer holds.
    pub(crate) fn take(&self) -> Taken {
        Taken {
            keys: std::mem::take(&mut *lock(&self.keys)),
            roles: std::mem::take(&mut *lock(&self.roles)),
        }
    }

    /// Forgets every use recorded.
    pub(crate) fn clear(&self) {
        self.take();
    }
}

impl Taken {
    pub(crate) fn is_empty(&self) -> bool {
        self.keys.is_empty() && self.roles.is_empty()
    }

    /// The uses of keys and roles `state` still holds, each as a record of its own, merged by
    /// maximum: writing it never rewrites the key or role (which another writer may have
    /// changed meanwhile), and an older use written late never hides a newer one.
    pub(crate) fn mutations(&self, state: &State) -> Vec<Mutation> {
        let mut mutations: Vec<Mutation> = self
            .keys
            .iter()
            .filter_map(|(id, used)| {
                let account = state.key_accounts.get(id)?;
                Some(Mutation::KeyLastUsed {
                    account: *account,
                    key: id.clone(),
                    used: used.clone(),
                })
            })
            .collect();
        mutations.extend(self.roles.iter().filter_map(|((account, id), used)| {
            state.account(account)?.role_by_id(id)?;
            Some(Mutation::RoleLastUsed {
                account: *account,
                role: id.clone(),
                used: used.clone(),
            })
        }));
        mutations
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::Timestamp;

    struct At(Timestamp);

    impl Clock for At {
        fn now(&self) -> Timestamp {
            self.0
        }
    }

    #[test]
    fn uses_are_pending_until_taken() {
        let usage = Usage::new(Arc::new(At(100)));
        usage.record_key("AKIA1", "iam", "us-east-1");
        usage.record_key("AKIA1", "sts", "eu-west-1");
        let (account, role) = (
            AccountId::parse("111122223333").unwrap(),
            UniqueId::new("AROA1"),
        );
        usage.record_role(&account, &role, "us-east-1");
        let key = usage.pending_key("AKIA1").unwrap();
        assert_eq!((key.date, key.service.as_str()), (100, "sts"));
        let used = usage.pending_role(&account, &role).unwrap();
        assert_eq!((used.date, used.region.as_str()), (100, "us-east-1"));
        let other = AccountId::parse("444455556666").unwrap();
        assert!(usage.pending_role(&other, &role).is_none());
        let taken = usage.take();
        assert!(!taken.is_empty());
        assert!(usage.pending_key("AKIA1").is_none());
        assert!(usage.take().is_empty());
    }

    #[test]
    fn uses_of_keys_and_roles_the_state_lacks_are_dropped() {
        let usage = Usage::new(Arc::new(At(100)));
        usage.record_key("AKIAGONE", "iam", "us-east-1");
        let account = AccountId::parse("111122223333").unwrap();
        usage.record_role(&account, &UniqueId::new("AROAGONE"), "us-east-1");
        assert!(usage.take().mutations(&State::default()).is_empty());
    }
}
