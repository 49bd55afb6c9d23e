//! [`Service`]: the state in memory, the store behind it, and how operations read and write.
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

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex, RwLock};

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::action::Action;
use crate::error::Error;
use crate::ids::Random;
use crate::model::{KeyLastUsed, RoleLastUsed};
use crate::secret::MasterKey;
use crate::sessions::{OpenedTokens, Session, TokenKeys};
use crate::state::{Mutation, State};
use crate::store::{Change, Store, Write};
use crate::time::{Clock, Timestamp};
use crate::wire::{Input, Output, ToValue};

/// Who made a request, as authentication established it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    pub account: String,
    pub identity: Identity,
    /// The access key that signed the request.
    pub access_key_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Identity {
    /// The account's root user.
    Root,
    /// An IAM user, by unique id (its name may change while the key stays valid).
    User { id: String },
    /// Temporary credentials: the claims their session token carries.
    Session(Arc<Session>),
}

/// What the edge knows about a request besides its parameters.
#[derive(Debug, Clone)]
pub struct RequestInfo {
    pub source_ip: Option<IpAddr>,
    pub secure_transport: bool,
    pub user_agent: Option<String>,
    /// The region of the credential scope.
    pub region: String,
    pub request_id: String,
}

/// The IAM and STS service over one store.
pub struct Service {
    state: RwLock<State>,
    /// Callers' compiled policies and base contexts, valid for the state generation they
    /// were built at.
    pub(crate) callers: RwLock<HashMap<(String, Identity), Arc<crate::authz::CachedCaller>>>,
    /// Access-key uses not yet written to the store, by key id.
    key_use: Mutex<HashMap<String, KeyLastUsed>>,
    /// Role assumptions not yet written to the store, by account and role id.
    role_use: Mutex<HashMap<(String, String), RoleLastUsed>>,
    /// The keys that seal session tokens.
    pub(crate) tokens: TokenKeys,
    /// Session tokens already opened.
    pub(crate) opened: OpenedTokens,
    /// How OpenID Connect providers' keys are fetched, and the keys fetched.
    pub(crate) issuers: crate::ops::sts::federation::oidc::Issuers,
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
    /// Loads every record of `store` into memory.
    pub fn open(
        store: Arc<dyn Store>,
        master: MasterKey,
        clock: Arc<dyn Clock>,
        random: Arc<dyn Random>,
    ) -> Result<Service, Error> {
        let mut state = State::default();
        crate::managed::install(&mut state);
        state.load(&store.load()?, &master)?;
        Ok(Service {
            state: RwLock::new(state),
            key_use: Mutex::new(HashMap::new()),
            role_use: Mutex::new(HashMap::new()),
            tokens: TokenKeys::new(&master, 1),
            opened: OpenedTokens::default(),
            issuers: crate::ops::sts::federation::oidc::Issuers::default(),
            sign_in_urls: Vec::new(),
            callers: RwLock::new(HashMap::new()),
            request_ids: Mutex::default(),
            writer: Mutex::new(()),
            store,
            master,
            clock,
            random,
        })
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

    /// Notes that `key_id` signed a request for `service` in `region`. Visible at once to
    /// GetAccessKeyLastUsed; written to the store by [`Service::flush_key_use`], so a request
    /// costs no disk write.
    pub fn record_key_use(&self, key_id: &str, service: &str, region: &str) {
        let date = self.now();
        let Ok(mut pending) = self.key_use.lock() else {
            return;
        };
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

    /// The latest use of `key_id` not yet written to the store.
    pub(crate) fn pending_key_use(&self, key_id: &str) -> Option<KeyLastUsed> {
        self.key_use.lock().ok()?.get(key_id).cloned()
    }

    /// Writes recorded key uses and role assumptions to the store (called periodically and at
    /// shutdown).
    pub fn flush_key_use(&self) -> Result<(), Error> {
        let pending = std::mem::take(&mut *self.key_use.lock().map_err(|_| poisoned())?);
        let roles = std::mem::take(&mut *self.role_use.lock().map_err(|_| poisoned())?);
        if pending.is_empty() && roles.is_empty() {
            return Ok(());
        }
        // Each use is a record of its own, merged by maximum: writing it never rewrites the
        // key or role (which another writer may have changed meanwhile), and an older use
        // flushed late never hides a newer one.
        self.write(|state| {
            let mut mutations: Vec<Mutation> = pending
                .iter()
                .filter_map(|(id, used)| {
                    let account = state.key_accounts.get(id)?;
                    Some(Mutation::KeyLastUsed {
                        account: account.clone(),
                        key: id.clone(),
                        used: used.clone(),
                    })
                })
                .collect();
            mutations.extend(roles.iter().filter_map(|((account, id), used)| {
                state.account(account)?.role_by_id(id)?;
                Some(Mutation::RoleLastUsed {
                    account: account.clone(),
                    role: id.clone(),
                    used: used.clone(),
                })
            }));
            Ok((mutations, ()))
        })
    }

    /// Lifts MFA lockouts whose time is over and forgets used SAML assertions that have
    /// expired (called periodically), so neither outlives its purpose in memory or the store.
    pub fn expire_records(&self) -> Result<(), Error> {
        let lifted = self.write(|state| {
            let now = self.now();
            let lifted = crate::ops::mfa::ended_lockouts(state, now);
            let mut mutations: Vec<Mutation> =
                lifted.iter().cloned().map(Mutation::MfaCodeUse).collect();
            mutations.extend(
                state
                    .expired_assertions(now)
                    .map(|id| Mutation::DeleteUsedAssertion { id: id.to_owned() }),
            );
            Ok((mutations, lifted))
        })?;
        crate::ops::mfa::log_ended_lockouts(&lifted);
        Ok(())
    }

    /// Notes that the role `id` of `account` was assumed now, in `region`: visible at once to
    /// GetRole, written to the store by [`Service::flush_key_use`].
    pub(crate) fn record_role_use(&self, account: &str, id: &str, region: &str) {
        let used = RoleLastUsed {
            date: self.now(),
            region: region.to_owned(),
        };
        if let Ok(mut pending) = self.role_use.lock() {
            pending.insert((account.to_owned(), id.to_owned()), used);
        }
    }

    /// The latest assumption of role `id` not yet written to the store.
    pub(crate) fn pending_role_use(&self, account: &str, id: &str) -> Option<RoleLastUsed> {
        self.role_use
            .lock()
            .ok()?
            .get(&(account.to_owned(), id.to_owned()))
            .cloned()
    }

    /// Seals new session tokens under key generation `generation`; tokens of the generation
    /// before it are still accepted (see [`TokenKeys`]).
    pub fn set_session_key_generation(&mut self, generation: u32) {
        self.tokens = TokenKeys::new(&self.master, generation);
        self.opened.clear();
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
        state.load(&snapshot, &self.master)?;
        if let Ok(mut callers) = self.callers.write() {
            callers.clear();
        }
        if let Ok(mut pending) = self.key_use.lock() {
            pending.clear();
        }
        if let Ok(mut pending) = self.role_use.lock() {
            pending.clear();
        }
        Ok(())
    }

    /// Performs one IAM or STS action for `caller`. `input` holds the request's parameters
    /// as the wire model decoded them (member names as keys); the result uses the same
    /// names for the response.
    pub fn call(
        &self,
        caller: &Caller,
        info: &RequestInfo,
        action: Action,
        input: Value,
    ) -> Result<Value, Error> {
        self.call_with(caller, info, action, input, ToValue)
    }

    /// [`Service::call`] with the handler's input read from `input` and its output written
    /// to `output`, with no JSON value in between.
    pub fn call_with<In: Input, Out: Output>(
        &self,
        caller: &Caller,
        info: &RequestInfo,
        action: Action,
        input: In,
        output: Out,
    ) -> Result<Out::Written, Error> {
        crate::sessions::check_action(caller, action)?;
        let cx = Cx {
            service: self,
            caller,
            info,
            action,
        };
        crate::ops::dispatch(&cx, input, output)
    }

    /// Performs an STS action that takes no AWS credentials (one whose
    /// [`Action::signed`] is false): AssumeRoleWithWebIdentity and AssumeRoleWithSAML, whose
    /// caller proves who it is with an identity provider's token or assertion instead.
    pub fn call_unsigned(
        &self,
        info: &RequestInfo,
        action: Action,
        input: Value,
    ) -> Result<Value, Error> {
        self.call_unsigned_with(info, action, input, ToValue)
    }

    /// [`Service::call_unsigned`] with the input read from `input` and the output written to
    /// `output`.
    pub fn call_unsigned_with<In: Input, Out: Output>(
        &self,
        info: &RequestInfo,
        action: Action,
        input: In,
        output: Out,
    ) -> Result<Out::Written, Error> {
        crate::ops::dispatch_unsigned(self, info, action, input, output)
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
