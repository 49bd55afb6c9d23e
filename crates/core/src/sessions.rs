//! Temporary credentials: a session's claims ([`Session`]), issuing them as sealed tokens,
//! authenticating requests signed with them, and what AWS lets no session do whatever its
//! policies say.
//!
//! A session holds no permissions of its own: every request it signs is authorized against
//! the current policies of its role (or user), capped by the session policies in its token,
//! so a change to those policies applies to live sessions at once and a session of a deleted
//! role is refused.

mod caller;
mod token;

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use serde::{Deserialize, Serialize};

use crate::accounts::KeyOwner;
use crate::action::{Action, Api};
use crate::error::Error;
use crate::model::Tag;
use crate::secret::Secret;
use crate::service::{Caller, Identity, Service};
use crate::time::Timestamp;

pub(crate) use caller::{caller_policies, request_keys, session_layer};
pub use token::TokenKeys;
pub(crate) use token::temporary_key_account;

/// Which STS operation made a session.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum SessionKind {
    /// AssumeRole: a role session.
    #[default]
    #[serde(rename = "r")]
    Role,
    /// GetSessionToken: the calling IAM user (or root user) itself.
    #[serde(rename = "u")]
    User,
    /// GetFederationToken: a federated user, within the calling user's permissions.
    #[serde(rename = "f")]
    Federated,
}

/// A session's claims, as sealed in its token. Short field names keep tokens small.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Session {
    #[serde(rename = "k")]
    pub kind: SessionKind,
    #[serde(rename = "a")]
    pub account: String,
    /// The role's unique id (role sessions), or the calling user's (`None`: the root user).
    #[serde(rename = "p", default, skip_serializing_if = "Option::is_none")]
    pub principal_id: Option<String>,
    /// The role session name, or the federated user's name.
    #[serde(rename = "n", default, skip_serializing_if = "String::is_empty")]
    pub name: String,
    #[serde(rename = "i")]
    pub issued: Timestamp,
    #[serde(rename = "e")]
    pub expires: Timestamp,
    /// The inline session policy.
    #[serde(rename = "sp", default, skip_serializing_if = "Option::is_none")]
    pub policy: Option<String>,
    /// Managed session policies, by ARN (their current default version applies).
    #[serde(rename = "sa", default, skip_serializing_if = "Vec::is_empty")]
    pub policy_arns: Vec<String>,
    /// Session tags, incoming transitive tags included.
    #[serde(rename = "t", default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<Tag>,
    #[serde(rename = "tt", default, skip_serializing_if = "Vec::is_empty")]
    pub transitive_tag_keys: Vec<String>,
    #[serde(rename = "si", default, skip_serializing_if = "Option::is_none")]
    pub source_identity: Option<String>,
    /// When multi-factor authentication took place, if it did.
    #[serde(rename = "m", default, skip_serializing_if = "Option::is_none")]
    pub mfa_time: Option<Timestamp>,
    /// Whether a role session was made with a role session's credentials (role chaining).
    #[serde(rename = "c", default, skip_serializing_if = "std::ops::Not::not")]
    pub chained: bool,
}

impl Session {
    /// Whether the session's policies are those of the account's root user.
    pub fn is_root(&self) -> bool {
        self.kind != SessionKind::Role && self.principal_id.is_none()
    }
}

impl Identity {
    /// The IAM user the caller acts as: its own access key, or a GetSessionToken session.
    pub fn acting_user(&self) -> Option<&str> {
        match self {
            Identity::User { id } => Some(id),
            Identity::Session(session) if session.kind == SessionKind::User => {
                session.principal_id.as_deref()
            }
            _ => None,
        }
    }

    /// Whether the caller acts as its account's root user (root keys or their session).
    pub fn acts_as_root(&self) -> bool {
        match self {
            Identity::Root => true,
            Identity::Session(session) => session.kind == SessionKind::User && session.is_root(),
            Identity::User { .. } => false,
        }
    }
}

/// Temporary credentials, as STS returns them.
#[derive(Debug)]
pub(crate) struct Credentials {
    pub access_key_id: String,
    pub secret: Secret,
    pub token: String,
    pub expiration: Timestamp,
}

/// Tokens opened before, so that the requests of a session after its first skip decrypting
/// and parsing the token. Bounded: past [`OPENED_LIMIT`] entries it starts over. Expiry is
/// checked on every request all the same.
#[derive(Default)]
pub(crate) struct OpenedTokens(RwLock<HashMap<String, Arc<Opened>>>);

struct Opened {
    access_key_id: String,
    session: Arc<Session>,
    secret: Secret,
}

const OPENED_LIMIT: usize = 20_000;

impl std::fmt::Debug for OpenedTokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let count = self.0.read().map_or(0, |map| map.len());
        f.debug_struct("OpenedTokens")
            .field("count", &count)
            .finish()
    }
}

impl OpenedTokens {
    pub(crate) fn clear(&self) {
        if let Ok(mut map) = self.0.write() {
            map.clear();
        }
    }
}

impl Service {
    /// The caller behind temporary credentials: `token` must be intact, issued together with
    /// `access_key_id`, and not expired. Nothing is looked up: the token carries the session.
    pub fn authenticate_session(
        &self,
        access_key_id: &str,
        token: &str,
    ) -> Result<KeyOwner, Error> {
        let opened = self.open_token(access_key_id, token)?;
        if self.now() >= opened.session.expires {
            return Err(Error::ExpiredToken(
                "The security token included in the request is expired".to_owned(),
            ));
        }
        Ok(KeyOwner {
            caller: Caller {
                account: opened.session.account.clone(),
                identity: Identity::Session(Arc::clone(&opened.session)),
                access_key_id: Some(access_key_id.to_owned()),
            },
            secret: opened.secret.clone(),
        })
    }

    fn open_token(&self, access_key_id: &str, token: &str) -> Result<Arc<Opened>, Error> {
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
        let (session, secret) = self.tokens.open(access_key_id, token)?;
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

    /// Seals `session` into new temporary credentials.
    pub(crate) fn issue_credentials(&self, session: &Session) -> Result<Credentials, Error> {
        let sealed = self.tokens.seal(self.random(), session)?;
        Ok(Credentials {
            access_key_id: sealed.access_key_id,
            secret: sealed.secret,
            token: sealed.token,
            expiration: session.expires,
        })
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
