//! Temporary credentials: issuing a session's claims ([`Session`]) as sealed tokens and
//! opening them again ([`Tokens`]), and what AWS lets no session do whatever its policies say.
//!
//! A session holds no permissions of its own: every request it signs is authorized against
//! the current policies of its role (or user), capped by the session policies in its token,
//! so a change to those policies applies to live sessions at once and a session of a deleted
//! role is refused.

mod token;

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use crate::action::{Action, Api};
use crate::caller::{Caller, Identity};
pub use crate::caller::{Session, SessionKind};
use crate::error::Error;
use crate::ids::Random;
use crate::secret::{MasterKey, Secret};
use crate::time::Timestamp;

pub use token::TokenKeys;
pub(crate) use token::temporary_key_account;

/// Temporary credentials, as STS returns them.
#[derive(Debug)]
pub(crate) struct Credentials {
    pub access_key_id: String,
    pub secret: Secret,
    pub token: String,
    pub expiration: Timestamp,
}

/// Session tokens: the keys that seal and open them (and list markers and authorization
/// messages), and the tokens opened before, so that the requests of a session after its first
/// skip decrypting and parsing the token.
#[derive(Debug)]
pub(crate) struct Tokens {
    keys: TokenKeys,
    opened: OpenedTokens,
}

/// A session token opened: its claims and the secret that signs with it.
pub(crate) struct Opened {
    access_key_id: String,
    pub session: Arc<Session>,
    pub secret: Secret,
}

/// Tokens opened before, by token. Bounded: past [`OPENED_LIMIT`] entries it starts over.
/// Expiry is checked on every request all the same.
#[derive(Default)]
struct OpenedTokens(RwLock<HashMap<String, Arc<Opened>>>);

const OPENED_LIMIT: usize = 20_000;

impl std::fmt::Debug for OpenedTokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let count = self.0.read().map_or(0, |map| map.len());
        f.debug_struct("OpenedTokens")
            .field("count", &count)
            .finish()
    }
}

impl Tokens {
    /// Tokens sealed under key generation `generation` of `master`; those of the generation
    /// before it still open (see [`TokenKeys`]).
    pub(crate) fn new(master: &MasterKey, generation: u32) -> Tokens {
        Tokens {
            keys: TokenKeys::new(master, generation),
            opened: OpenedTokens::default(),
        }
    }

    /// Seals `session` into new temporary credentials.
    pub(crate) fn issue(
        &self,
        random: &dyn Random,
        session: &Session,
    ) -> Result<Credentials, Error> {
        let sealed = self.keys.seal(random, session)?;
        Ok(Credentials {
            access_key_id: sealed.access_key_id,
            secret: sealed.secret,
            token: sealed.token,
            expiration: session.expires,
        })
    }

    /// The session `token` carries, if it is intact and was issued together with
    /// `access_key_id` (expired or not).
    pub(crate) fn open(&self, access_key_id: &str, token: &str) -> Result<Arc<Opened>, Error> {
        let known = self
            .opened
            .0
            .read()
            .ok()
            .and_then(|map| map.get(token).cloned());
        // A token opens only with the key id it was issued with: with any other it is a miss
        // here, and opening it then fails.
        if let Some(opened) = known.filter(|o| o.access_key_id == access_key_id) {
            return Ok(opened);
        }
        let (session, secret) = self.keys.open(access_key_id, token)?;
        let opened = Arc::new(Opened {
            access_key_id: access_key_id.to_owned(),
            session: Arc::new(session),
            secret,
        });
        if let Ok(mut map) = self.opened.0.write() {
            if map.len() >= OPENED_LIMIT {
                map.clear();
            }
            map.insert(token.to_owned(), Arc::clone(&opened));
        }
        Ok(opened)
    }

    /// `message` sealed for `purpose` (see [`TokenKeys::seal_message`]).
    pub(crate) fn seal_message(
        &self,
        random: &dyn Random,
        purpose: &str,
        message: &[u8],
    ) -> Result<String, Error> {
        self.keys.seal_message(random, purpose, message)
    }

    /// What [`Tokens::seal_message`] sealed for `purpose`, if `text` is such a message.
    pub(crate) fn open_message(&self, purpose: &str, text: &str) -> Option<Vec<u8>> {
        self.keys.open_message(purpose, text)
    }
}

/// What AWS refuses to temporary credentials whatever their policies say. Credentials from
/// GetSessionToken call IAM only when MFA was given, and of STS only AssumeRole and
/// GetCallerIdentity; credentials from GetFederationToken call no IAM operation and of STS
/// only GetCallerIdentity; no session calls GetSessionToken or GetFederationToken. IAM
/// answers a refused session as an unknown token (InvalidClientTokenId), STS with AccessDenied.
pub(crate) fn check_action(caller: &Caller, action: Action) -> Result<(), Error> {
    let Identity::Session(session) = &caller.identity else {
        return Ok(());
    };
    let sts = action.api() == Api::Sts;
    let allowed = match (session.kind, sts) {
        (_, true) if matches!(action, Action::GetSessionToken | Action::GetFederationToken) => {
            false
        }
        (SessionKind::Role, _) => true,
        (SessionKind::User, false) => session.mfa_time.is_some(),
        (SessionKind::User, true) => {
            matches!(action, Action::AssumeRole | Action::GetCallerIdentity)
        }
        (SessionKind::Federated, false) => false,
        (SessionKind::Federated, true) => action == Action::GetCallerIdentity,
    };
    match (allowed, sts) {
        (true, _) => Ok(()),
        (false, false) => Err(Error::InvalidClientTokenId(
            "The security token included in the request is invalid".to_owned(),
        )),
        (false, true) => Err(Error::AccessDenied(format!(
            "Cannot call {} with session credentials",
            action.name()
        ))),
    }
}
