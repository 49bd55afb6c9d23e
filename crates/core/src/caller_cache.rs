//! The caller cache: each caller's policies and the context keys that follow from who it is,
//! built once per state generation, and the request context of its latest request, which
//! its requests of the same second with the same facts share.
//!
//! The cache only keeps what authorization builds (`authz`): it never reads the state, and an
//! entry built at another generation than the state's is built again.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex, RwLock};

use warden_policy::{Context, PolicySet, Principal};

use crate::caller::{Caller, Identity};
use crate::error::Error;
use crate::model::{AccountId, Tag};

/// Beyond this many cached callers the cache starts over.
const CACHE_LIMIT: usize = 100_000;

/// Callers' compiled policies and base contexts, each valid for the state generation it was
/// built at.
#[derive(Debug, Default)]
pub(crate) struct CallerCache {
    entries: RwLock<HashMap<(AccountId, Identity), Arc<CachedCaller>>>,
}

/// The policies that apply to a caller, gathered from the state.
pub(crate) struct CallerPolicies {
    pub principal: Principal,
    pub identity: PolicySet,
    pub boundary: Option<PolicySet>,
    pub tags: Vec<Tag>,
    pub user_name: Option<String>,
}

impl CallerPolicies {
    /// The root user of `account`, which holds no identity-based policy or boundary.
    pub(crate) fn root(account: &AccountId) -> CallerPolicies {
        CallerPolicies {
            principal: Principal::root(account),
            identity: PolicySet::new(),
            boundary: None,
            tags: Vec::new(),
            user_name: None,
        }
    }
}

/// A caller's policies and the context keys that follow from who it is, built once per
/// state generation.
pub(crate) struct CachedCaller {
    generation: u64,
    pub policies: CallerPolicies,
    /// The session policies of temporary credentials, if their session was given any.
    pub session: Option<PolicySet>,
    pub base_context: Context,
    /// The whole request context of this caller's latest request on a resource without tags
    /// and without operation-specific keys, with what it was built from: the requests of a
    /// busy caller share it for as long as the second and the request's facts stay the same.
    recent: Mutex<Option<(RequestFacts, Arc<Context>)>>,
}

/// What a request context depends on besides the caller.
#[derive(PartialEq, Eq)]
pub(crate) struct RequestFacts {
    pub now: i64,
    pub secure_transport: bool,
    pub region: String,
    pub source_ip: Option<IpAddr>,
    pub user_agent: Option<String>,
    /// Whether the action is IAM's (`aws:RequestedRegion` is then `us-east-1`).
    pub iam: bool,
}

impl std::fmt::Debug for CachedCaller {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CachedCaller")
            .field("generation", &self.generation)
            .finish_non_exhaustive()
    }
}

impl CallerCache {
    /// `caller`'s entry if it was built at `generation`, else the one `build` makes (kept for
    /// the next request).
    pub(crate) fn get_or_build(
        &self,
        caller: &Caller,
        generation: u64,
        build: impl FnOnce() -> Result<CachedCaller, Error>,
    ) -> Result<Arc<CachedCaller>, Error> {
        let key = (caller.account, caller.identity.clone());
        if let Ok(cache) = self.entries.read()
            && let Some(cached) = cache.get(&key).filter(|c| c.generation == generation)
        {
            return Ok(Arc::clone(cached));
        }
        let cached = Arc::new(build()?);
        if let Ok(mut cache) = self.entries.write() {
            if cache.len() >= CACHE_LIMIT {
                cache.clear();
            }
            cache.insert(key, Arc::clone(&cached));
        }
        Ok(cached)
    }

    /// Forgets every entry.
    pub(crate) fn clear(&self) {
        if let Ok(mut cache) = self.entries.write() {
            cache.clear();
        }
    }
}

impl CachedCaller {
    pub(crate) fn new(
        generation: u64,
        policies: CallerPolicies,
        session: Option<PolicySet>,
        base_context: Context,
    ) -> CachedCaller {
        CachedCaller {
            generation,
            policies,
            session,
            base_context,
            recent: Mutex::new(None),
        }
    }

    /// The context of this caller's previous request if it was built from facts `same`
    /// accepts, else the one `build` makes, kept with its facts for the next request.
    pub(crate) fn shared_context(
        &self,
        same: impl Fn(&RequestFacts) -> bool,
        build: impl FnOnce() -> (RequestFacts, Arc<Context>),
    ) -> Arc<Context> {
        if let Ok(recent) = self.recent.lock()
            && let Some((facts, context)) = recent.as_ref()
            && same(facts)
        {
            return Arc::clone(context);
        }
        let (facts, context) = build();
        if let Ok(mut recent) = self.recent.lock() {
            *recent = Some((facts, Arc::clone(&context)));
        }
        context
    }
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;

    use super::*;

    fn caller(account: &str) -> Caller {
        Caller {
            account: AccountId::parse(account).unwrap(),
            identity: Identity::Root,
            access_key_id: None,
        }
    }

    fn built(generation: u64, builds: &Cell<u32>) -> Result<CachedCaller, Error> {
        builds.set(builds.get() + 1);
        let policies = CallerPolicies::root(&AccountId::parse("111122223333").unwrap());
        Ok(CachedCaller::new(
            generation,
            policies,
            None,
            Context::new(),
        ))
    }

    #[test]
    fn an_entry_serves_its_generation_only() {
        let cache = CallerCache::default();
        let builds = Cell::new(0);
        let alice = caller("111122223333");
        let first = cache.get_or_build(&alice, 1, || built(1, &builds)).unwrap();
        let again = cache.get_or_build(&alice, 1, || built(1, &builds)).unwrap();
        assert!(Arc::ptr_eq(&first, &again));
        assert_eq!(builds.get(), 1);
        cache.get_or_build(&alice, 2, || built(2, &builds)).unwrap();
        assert_eq!(builds.get(), 2, "a write since makes the entry stale");
        cache
            .get_or_build(&caller("444455556666"), 2, || built(2, &builds))
            .unwrap();
        assert_eq!(builds.get(), 3, "callers of other accounts are others");
        cache.clear();
        cache.get_or_build(&alice, 2, || built(2, &builds)).unwrap();
        assert_eq!(builds.get(), 4);
    }

    #[test]
    fn a_failed_build_keeps_nothing() {
        let cache = CallerCache::default();
        let alice = caller("111122223333");
        let failed = cache.get_or_build(&alice, 1, || Err(Error::Internal("no".to_owned())));
        assert!(failed.is_err());
        let builds = Cell::new(0);
        cache.get_or_build(&alice, 1, || built(1, &builds)).unwrap();
        assert_eq!(builds.get(), 1);
    }

    #[test]
    fn requests_with_the_same_facts_share_one_context() {
        let builds = Cell::new(0);
        let cached = built(1, &builds).unwrap();
        let facts = |now| RequestFacts {
            now,
            secure_transport: true,
            region: "us-east-1".to_owned(),
            source_ip: None,
            user_agent: None,
            iam: true,
        };
        let made = Cell::new(0);
        let context = |now: i64| {
            cached.shared_context(
                |f| *f == facts(now),
                || {
                    made.set(made.get() + 1);
                    (facts(now), Arc::new(Context::new()))
                },
            )
        };
        let first = context(10);
        let second = context(10);
        assert!(Arc::ptr_eq(&first, &second));
        context(11);
        assert_eq!(made.get(), 2, "the next second builds its own");
    }
}
