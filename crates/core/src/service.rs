//! [`Service`]: the state in memory, the store behind it, and how operations read and write.
//!
//! Reads take the state's read lock. Writes are serialized by a writer lock: the operation
//! reads the state and returns mutations; they are committed to the store in one
//! transaction and only then applied to memory, so a failed commit changes nothing and the
//! next request after an acknowledged write sees it.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex, RwLock};

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::error::Error;
use crate::ids::Random;
use crate::model::{KeyLastUsed, RoleLastUsed};
use crate::secret::MasterKey;
use crate::sessions::{OpenedTokens, Session, TokenKeys};
use crate::state::{Mutation, State};
use crate::store::Store;
use crate::time::{Clock, Timestamp};

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
    pub(crate) issuers: crate::oidc::Issuers,
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
        for record in store.load()? {
            state.apply(Mutation::from_record(&record, &master)?);
        }
        Ok(Service {
            state: RwLock::new(state),
            key_use: Mutex::new(HashMap::new()),
            role_use: Mutex::new(HashMap::new()),
            tokens: TokenKeys::new(&master, 1),
            opened: OpenedTokens::default(),
            issuers: crate::oidc::Issuers::default(),
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
    /// and then applied. Writes run one at a time.
    pub fn write<T>(
        &self,
        f: impl FnOnce(&State) -> Result<(Vec<Mutation>, T), Error>,
    ) -> Result<T, Error> {
        let _writer = self.writer.lock().map_err(|_| poisoned())?;
        let (mutations, output) = {
            let state = self.state.read().map_err(|_| poisoned())?;
            f(&state)?
        };
        if mutations.is_empty() {
            return Ok(output);
        }
        let changes = mutations
            .iter()
            .map(|m| m.to_change(&self.master))
            .collect::<Result<Vec<_>, _>>()?;
        self.store.commit(&changes)?;
        let mut state = self.state.write().map_err(|_| poisoned())?;
        for mutation in mutations {
            state.apply(mutation);
        }
        Ok(output)
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
        self.write(|state| {
            let mut mutations: Vec<Mutation> = pending
                .into_iter()
                .filter_map(|(id, used)| {
                    let account = state.key_accounts.get(&id)?;
                    let mut key = state.account(account)?.access_keys.get(&id)?.clone();
                    key.last_used = Some(used);
                    Some(Mutation::AccessKey(key))
                })
                .collect();
            mutations.extend(roles.into_iter().filter_map(|((account, id), used)| {
                let mut role = state.account(&account)?.role_by_id(&id)?.clone();
                role.last_used = Some(used);
                Some(Mutation::Role(role))
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
        let mut state = self.state.write().map_err(|_| poisoned())?;
        let generation = state.generation;
        *state = State::default();
        // Generations only grow, so nothing cached before the reset can look current.
        state.generation = generation + 1;
        crate::managed::install(&mut state);
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
        action: &str,
        input: Value,
    ) -> Result<Value, Error> {
        crate::sessions::check_action(caller, action)?;
        let cx = Cx {
            service: self,
            caller,
            info,
            action,
        };
        crate::ops::dispatch(&cx, action, input)
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
    /// The action being performed (`ListUsers`, …): list markers are valid for it alone.
    pub action: &'a str,
}

/// Decodes `input`, runs `op`, encodes its output.
pub(crate) fn run<I, O>(
    cx: &Cx<'_>,
    input: Value,
    op: fn(&Cx<'_>, I) -> Result<O, Error>,
) -> Result<Value, Error>
where
    I: DeserializeOwned,
    O: Serialize,
{
    let input: I = serde_json::from_value(input)
        .map_err(|e| Error::ValidationError(format!("invalid request: {e}")))?;
    let output = op(cx, input)?;
    serde_json::to_value(output).map_err(|e| Error::Internal(format!("encoding a response: {e}")))
}
