//! Authentication: what turns the credentials a request presents into its [`Caller`], with
//! the secret its signature is checked with. An access key id is found in the state
//! ([`Service::authenticate`]); temporary credentials carry their session in their token
//! ([`Service::authenticate_session`]), so nothing is looked up for them. Once the edge has
//! verified the signature, the key's use is recorded ([`Service::record_key_use`]).

use std::sync::Arc;

use crate::caller::{Caller, Identity};
use crate::error::Error;
use crate::model::KeyStatus;
use crate::secret::Secret;
use crate::service::Service;

/// An authenticated access key: who it belongs to and the secret that signs with it.
#[derive(Debug)]
pub struct KeyOwner {
    pub caller: Caller,
    pub secret: Secret,
}

fn invalid_key() -> Error {
    Error::InvalidClientTokenId("The security token included in the request is invalid.".to_owned())
}

impl Service {
    /// The caller behind an access key id, with the key's secret, if the key exists and is
    /// active.
    pub fn authenticate(&self, access_key_id: &str) -> Result<KeyOwner, Error> {
        self.read(|state| {
            let account = state
                .key_accounts
                .get(access_key_id)
                .ok_or_else(invalid_key)?;
            let key = state
                .account(account)
                .and_then(|a| a.access_keys.get(access_key_id))
                .filter(|k| k.status == KeyStatus::Active)
                .ok_or_else(invalid_key)?;
            let identity = match &key.user {
                Some(id) => Identity::User { id: id.clone() },
                None => Identity::Root,
            };
            Ok(KeyOwner {
                caller: Caller {
                    account: key.account.clone(),
                    identity,
                    access_key_id: Some(key.id.clone()),
                },
                secret: key.secret.clone(),
            })
        })
    }

    /// The root caller of the first account (`--dev` mode's answer for unknown keys).
    pub fn first_account_root(&self) -> Result<Caller, Error> {
        self.read(|state| {
            let account = state
                .first_account()
                .ok_or_else(|| Error::Internal("no account".to_owned()))?;
            Ok(Caller {
                account: account.id.clone(),
                identity: Identity::Root,
                access_key_id: None,
            })
        })
    }

    /// The caller behind temporary credentials: `token` must be intact, issued together with
    /// `access_key_id`, and not expired. Nothing is looked up: the token carries the session.
    pub fn authenticate_session(
        &self,
        access_key_id: &str,
        token: &str,
    ) -> Result<KeyOwner, Error> {
        let opened = self.tokens.open(access_key_id, token)?;
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

    /// Notes that `key_id` signed a request for `service` in `region`. Visible at once to
    /// GetAccessKeyLastUsed; written to the store by [`Service::flush_key_use`], so a request
    /// costs no disk write.
    pub fn record_key_use(&self, key_id: &str, service: &str, region: &str) {
        self.usage.record_key(key_id, service, region);
    }
}
