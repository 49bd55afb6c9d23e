//! [`Service`]: the state in memory, the store behind it, and how operations read and write;
//! the components a request uses beside them, built from one [`ServiceConfig`].
//!
//! Reads take the state's read lock. Writes are serialized by a writer lock: the operation
//! reads the state and returns mutations; they are committed to the store in one
//! transaction and only then applied to memory, so a failed commit changes nothing and the
//! next request after an acknowledged write sees it.
//!
//! Other writers may share the store (another `Service` on the same database). Each change
//! expects the record it overwrites to be at the version this state holds; when another
//! writer got there first, the store refuses the commit as a conflict, and the write catches
//! up with the store's change log and decides again on the fresh state.
//!
//! The components hold no state of the accounts: session tokens (`sessions::Tokens`), MFA
//! code checks (`mfa_codes`), OpenID Connect issuers' keys (`oidc_issuers`), access-key and
//! role last use not yet written (`usage`), and callers' compiled policies (`caller_cache`).
//! None of them reaches back into the `Service`: what must be atomic with the state (an MFA
//! code's use, a flush of last uses) is decided by the component and committed by
//! [`Service::write`].

use std::sync::{Arc, Mutex, RwLock};

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::action::Action;
// Who calls, as the handlers name it beside `Cx`.
pub use crate::caller::{Caller, Identity, RequestInfo};
use crate::caller_cache::CallerCache;
use crate::error::Error;
use crate::ids::Random;
use crate::mfa_codes::MfaCodes;
use crate::oidc_issuers::{Issuers, OidcFetcher};
use crate::secret::MasterKey;
use crate::sessions::Tokens;
use crate::state::{Mutation, State};
use crate::store::{Change, Store, Write};
use crate::time::{Clock, Timestamp};
use crate::usage::Usage;
use crate::wire::{Input, Output};

/// The IAM and STS service over one store.
///
/// The kernel: the state, the store, the write protocol, the clock and randomness. Beside
/// them, the components a request uses, each behind a narrow API and all built from one
/// [`ServiceConfig`]: session tokens, MFA code checks, OpenID Connect issuers' keys, usage
/// recording and the caller cache.
pub struct Service {
    state: RwLock<State>,
    /// Callers' compiled policies and base contexts, valid for the state generation they
    /// were built at.
    pub(crate) callers: CallerCache,
    /// Access-key and role last use, not yet written to the store.
    pub(crate) usage: Usage,
    /// The keys that seal session tokens, and the tokens already opened.
    pub(crate) tokens: Tokens,
    /// MFA code checks.
    pub(crate) mfa: MfaCodes,
    /// How OpenID Connect providers' keys are fetched, and the keys fetched.
    pub(crate) issuers: Issuers,
    /// This server's own sign-in URLs, which SAML responses may be addressed to.
    pub(crate) sign_in_urls: Vec<String>,
    /// Randomness for request ids, drawn from `random` a block at a time.
    request_ids: Mutex<crate::ids::RandomPool>,
    writer: Mutex<()>,
    store: Arc<dyn Store>,
    master: MasterKey,
    clock: Arc<dyn Clock>,
    random: Arc<dyn Random>,
}

/// What a [`Service`] is built from: the store, the master key, the clock and randomness,
/// and the settings of its components.
pub struct ServiceConfig {
    store: Arc<dyn Store>,
    master: MasterKey,
    clock: Arc<dyn Clock>,
    random: Arc<dyn Random>,
    session_key_generation: u32,
    sign_in_urls: Vec<String>,
    oidc_fetcher: Option<Arc<dyn OidcFetcher>>,
}

impl std::fmt::Debug for ServiceConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServiceConfig")
            .field("store", &self.store)
            .field("session_key_generation", &self.session_key_generation)
            .field("sign_in_urls", &self.sign_in_urls)
            .field("oidc_fetcher", &self.oidc_fetcher)
            .finish_non_exhaustive()
    }
}

impl ServiceConfig {
    /// A service over `store`: session tokens sealed under key generation 1, SAML responses
    /// accepted when addressed to AWS, no HTTP client for OpenID Connect providers (every
    /// fetch of their keys fails).
    pub fn new(
        store: Arc<dyn Store>,
        master: MasterKey,
        clock: Arc<dyn Clock>,
        random: Arc<dyn Random>,
    ) -> ServiceConfig {
        ServiceConfig {
            store,
            master,
            clock,
            random,
            session_key_generation: 1,
            sign_in_urls: Vec::new(),
            oidc_fetcher: None,
        }
    }

    /// Seals new session tokens under key generation `generation`; tokens of the generation
    /// before it are still accepted (see [`TokenKeys`](crate::sessions::TokenKeys)).
    pub fn session_key_generation(mut self, generation: u32) -> ServiceConfig {
        self.session_key_generation = generation;
        self
    }

    /// Also accepts SAML responses addressed to `url` (this server's sign-in URL) as audience
    /// and recipient, besides AWS's.
    pub fn saml_sign_in_url(mut self, url: &str) -> ServiceConfig {
        self.sign_in_urls.push(url.to_owned());
        self
    }

    /// Fetches OpenID Connect providers' documents with `fetcher`.
    pub fn oidc_fetcher(mut self, fetcher: Arc<dyn OidcFetcher>) -> ServiceConfig {
        self.oidc_fetcher = Some(fetcher);
        self
    }

    /// Loads every record of the store into memory.
    pub fn open(self) -> Result<Service, Error> {
        let ServiceConfig {
            store,
            master,
            clock,
            random,
            session_key_generation,
            sign_in_urls,
            oidc_fetcher,
        } = self;
        let mut state = State::default();
        crate::managed::install(&mut state);
        state.load(store.load()?, &master)?;
        Ok(Service {
            state: RwLock::new(state),
            callers: CallerCache::default(),
            usage: Usage::new(Arc::clone(&clock)),
            tokens: Tokens::new(&master, session_key_generation),
            mfa: MfaCodes::new(Arc::clone(&clock)),
            issuers: Issuers::new(oidc_fetcher, Arc::clone(&clock)),
            sign_in_urls,
            request_ids: Mutex::default(),
            writer: Mutex::new(()),
            store,
            master,
            clock,
            random,
        })
    }
}

impl std::fmt::Debug for Service {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Service")
            .field("store", &self.store)
            .finish_non_exhaustive()
    }
}

fn poisoned() -> Error {
    Error::Internal("a lock was poisoned by a panic".to_owned())
}

/// How many times a write is decided when other writers keep changing what it read.
const WRITE_ATTEMPTS: usize = 8;

impl Service {
    /// Loads every record of `store` into memory, with the default configuration (see
    /// [`ServiceConfig::new`]).
    pub fn open(
        store: Arc<dyn Store>,
        master: MasterKey,
        clock: Arc<dyn Clock>,
        random: Arc<dyn Random>,
    ) -> Result<Service, Error> {
        ServiceConfig::new(store, master, clock, random).open()
    }

    pub fn now(&self) -> Timestamp {
        self.clock.now()
    }

    pub(crate) fn random(&self) -> &dyn Random {
        self.random.as_ref()
    }

    /// A request id: random, from a pool of random bytes, so it costs no system call.
    pub fn new_request_id(&self) -> String {
        crate::ids::request_id(&PooledRandom(self))
    }

    /// Runs `f` on the current state.
    pub fn read<T>(&self, f: impl FnOnce(&State) -> Result<T, Error>) -> Result<T, Error> {
        let state = self.state.read().map_err(|_| poisoned())?;
        f(&state)
    }

    /// Runs a write: `f` decides on the state and returns mutations, which are committed
    /// and then applied. Writes run one at a time. When another writer changed what the
    /// mutations overwrite (or took a name they would take), the state catches up with the
    /// store and `f` decides again, a bounded number of times.
    pub fn write<T>(
        &self,
        mut f: impl FnMut(&State) -> Result<(Vec<Mutation>, T), Error>,
    ) -> Result<T, Error> {
        let _writer = self.writer.lock().map_err(|_| poisoned())?;
        for _ in 0..WRITE_ATTEMPTS {
            let (mutations, output) = {
                let state = self.state.read().map_err(|_| poisoned())?;
                f(&state)?
            };
            if mutations.is_empty() {
                return Ok(output);
            }
            match self.commit(mutations) {
                Ok(()) => return Ok(output),
                Err(Error::ConcurrentModification(_)) => self.catch_up_locked()?,
                Err(error) => return Err(error),
            }
        }
        Err(Error::ConcurrentModification(
            "The request was rejected because it attempted to modify a resource that other \
             requests kept modifying. Please retry."
                .to_owned(),
        ))
    }

    /// Commits `mutations` with what this state knows of each record as expectations, then
    /// applies them. A conflict comes back as [`Error::ConcurrentModification`] with nothing
    /// changed. Called with the writer lock held.
    fn commit(&self, mutations: Vec<Mutation>) -> Result<(), Error> {
        let mut changes = Vec::with_capacity(mutations.len());
        // For each mutation, the index of its change, and whether a lost raise skips it.
        let mut primary = Vec::with_capacity(mutations.len());
        {
            let state = self.state.read().map_err(|_| poisoned())?;
            for mutation in &mutations {
                let write = mutation.to_write(&self.master)?;
                let change = match (write, mutation.rank()) {
                    (Write::Put(record), Some(rank)) => Change::Raise { record, rank },
                    (Write::Put(record), None) => {
                        let expect = state.expect(record.kind, &record.id);
                        Change::Put { record, expect }
                    }
                    (Write::Delete { kind, id, .. }, _) => {
                        let expect = state.expect(kind, &id);
                        Change::Delete { kind, id, expect }
                    }
                };
                primary.push((changes.len(), matches!(change, Change::Raise { .. })));
                changes.push(change);
                if let Some((kind, id)) = mutation.companion()
                    && state.holds(kind, id)
                {
                    let expect = state.expect(kind, id);
                    let id = id.to_owned();
                    changes.push(Change::Delete { kind, id, expect });
                }
            }
        }
        let committed = match self.store.commit(&changes) {
            Ok(committed) => committed,
            Err(error) if error.is_conflict() => {
                tracing::debug!(%error, "a write conflicted with another writer's");
                return Err(Error::ConcurrentModification(error.to_string()));
            }
            Err(error) => return Err(error.into()),
        };
        let mut state = self.state.write().map_err(|_| poisoned())?;
        if committed.base != state.seq {
            // Others wrote since this state was current: take everything from the log, in
            // order, this commit included.
            drop(state);
            return self.catch_up_locked();
        }
        for (mutation, (index, raise)) in mutations.into_iter().zip(primary) {
            let won = committed.versions.get(index).copied().flatten().is_some();
            if won || !raise {
                state.apply(mutation);
            }
        }
        for (change, version) in changes.iter().zip(&committed.versions) {
            let (kind, id) = change.key();
            match (change, version) {
                (Change::Delete { .. }, _) => state.set_version(kind, id, None),
                (_, Some(version)) => state.set_version(kind, id, Some(*version)),
                (_, None) => {}
            }
            if let Some(version) = version {
                state.seq = state.seq.max(*version);
            }
        }
        Ok(())
    }

    /// Applies what other writers committed to the store since this state was current (a
    /// second `Service` on the same database, or another server).
    pub fn catch_up(&self) -> Result<(), Error> {
        let _writer = self.writer.lock().map_err(|_| poisoned())?;
        self.catch_up_locked()
    }

    /// [`Service::catch_up`], with the writer lock held.
    fn catch_up_locked(&self) -> Result<(), Error> {
        let seq = self.state.read().map_err(|_| poisoned())?.seq;
        let entries = self.store.changes_since(seq)?;
        if entries.is_empty() {
            return Ok(());
        }
        let mut state = self.state.write().map_err(|_| poisoned())?;
        for entry in &entries {
            state.follow(entry, &self.master)?;
        }
        Ok(())
    }

    /// The store sequence number the in-memory state is current to.
    pub fn seq(&self) -> Result<u64, Error> {
        Ok(self.state.read().map_err(|_| poisoned())?.seq)
    }

    /// Writes recorded key uses and role assumptions to the store (called periodically and at
    /// shutdown).
    pub fn flush_key_use(&self) -> Result<(), Error> {
        let taken = self.usage.take();
        if taken.is_empty() {
            return Ok(());
        }
        self.write(|state| Ok((taken.mutations(state), ())))
    }

    /// Lifts MFA lockouts whose time is over and forgets used SAML assertions that have
    /// expired (called periodically), so neither outlives its purpose in memory or the store.
    pub fn expire_records(&self) -> Result<(), Error> {
        let lifted = self.write(|state| {
            let now = self.now();
            let lifted = crate::mfa_codes::ended_lockouts(state, now);
            let mut mutations: Vec<Mutation> =
                lifted.iter().cloned().map(Mutation::MfaCodeUse).collect();
            mutations.extend(
                state
                    .expired_assertions(now)
                    .map(|id| Mutation::DeleteUsedAssertion { id: id.to_owned() }),
            );
            Ok((mutations, lifted))
        })?;
        crate::mfa_codes::log_ended_lockouts(&lifted);
        Ok(())
    }

    /// Wipes everything (the `--dev` reset): store and memory.
    pub fn reset(&self) -> Result<(), Error> {
        let _writer = self.writer.lock().map_err(|_| poisoned())?;
        self.store.clear()?;
        let snapshot = self.store.load()?;
        let mut state = self.state.write().map_err(|_| poisoned())?;
        let generation = state.generation;
        *state = State::default();
        // Generations only grow, so nothing cached before the reset can look current.
        state.generation = generation + 1;
        crate::managed::install(&mut state);
        state.load(snapshot, &self.master)?;
        self.callers.clear();
        self.usage.clear();
        Ok(())
    }
}

/// The service's randomness through its request-id pool.
struct PooledRandom<'a>(&'a Service);

impl crate::ids::Random for PooledRandom<'_> {
    fn fill(&self, bytes: &mut [u8]) -> Result<(), Error> {
        let mut pool = self.0.request_ids.lock().map_err(|_| poisoned())?;
        pool.take(self.0.random.as_ref(), bytes)
    }
}

/// What every operation receives.
pub(crate) struct Cx<'a> {
    pub service: &'a Service,
    pub caller: &'a Caller,
    pub info: &'a RequestInfo,
    /// The action being performed: list markers are valid for it alone, and a handler
    /// authorizes `action.iam_action()` unless AWS documents another.
    pub action: Action,
}

/// Reads `op`'s typed input from `input`, runs it, and writes its output to `output`.
pub(crate) fn run<I, O, In, Out>(
    cx: &Cx<'_>,
    input: In,
    output: Out,
    op: fn(&Cx<'_>, I) -> Result<O, Error>,
) -> Result<Out::Written, Error>
where
    I: DeserializeOwned,
    O: Serialize,
    In: Input,
    Out: Output,
{
    output.write(&op(cx, input.read()?)?)
}
