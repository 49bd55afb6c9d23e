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
                    account: key.account,
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
                account: account.id,
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
                account: opened.session.account,
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

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicI64, Ordering};

    use super::*;
    use crate::caller::{Session, SessionKind};
    use crate::ids::OsRandom;
    use crate::model::AccountId;
    use crate::secret::MasterKey;
    use crate::store::MemoryStore;
    use crate::time::Clock;

    const ACCOUNT: &str = "111122223333";
    const ROOT_KEY: &str = "AKIAROOTKEY000000001";
    const NOW: i64 = 1_767_225_600;

    struct TestClock(AtomicI64);

    impl Clock for TestClock {
        fn now(&self) -> i64 {
            self.0.load(Ordering::SeqCst)
        }
    }

    fn service() -> (Service, Arc<TestClock>) {
        let clock = Arc::new(TestClock(AtomicI64::new(NOW)));
        let service = Service::open(
            Arc::new(MemoryStore::default()),
            MasterKey::from_bytes([5; 32]),
            Arc::clone(&clock) as Arc<dyn Clock>,
            Arc::new(OsRandom),
        )
        .unwrap();
        let secret = Secret::new("root-secret".to_owned());
        service
            .bootstrap(Some(ACCOUNT), Some((ROOT_KEY, &secret)))
            .unwrap();
        (service, clock)
    }

    fn session() -> Session {
        Session {
            kind: SessionKind::User,
            account: AccountId::parse(ACCOUNT).unwrap(),
            issued: NOW,
            expires: NOW + 3600,
            ..Session::default()
        }
    }

    #[test]
    fn an_access_key_is_its_owner_and_its_secret() {
        let (service, _) = service();
        let owner = service.authenticate(ROOT_KEY).unwrap();
        assert_eq!(
            owner.caller,
            Caller {
                account: AccountId::parse(ACCOUNT).unwrap(),
                identity: Identity::Root,
                access_key_id: Some(ROOT_KEY.to_owned()),
            }
        );
        assert!(owner.secret == Secret::new("root-secret".to_owned()));
    }

    #[test]
    fn an_unknown_access_key_is_an_invalid_token() {
        let (service, _) = service();
        match service.authenticate("AKIAUNKNOWN000000001") {
            Err(Error::InvalidClientTokenId(message)) => assert_eq!(
                message,
                "The security token included in the request is invalid."
            ),
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn a_session_token_opens_with_its_key_id_until_it_expires() {
        let (service, clock) = service();
        let credentials = service.tokens.issue(service.random(), &session()).unwrap();
        let owner = service
            .authenticate_session(&credentials.access_key_id, &credentials.token)
            .unwrap();
        assert_eq!(owner.caller.account, ACCOUNT);
        assert_eq!(
            owner.caller.identity,
            Identity::Session(Arc::new(session()))
        );
        assert!(owner.secret == credentials.secret);

        let other = service.tokens.issue(service.random(), &session()).unwrap();
        assert!(matches!(
            service.authenticate_session(&other.access_key_id, &credentials.token),
            Err(Error::InvalidClientTokenId(_))
        ));

        clock.0.store(NOW + 3600, Ordering::SeqCst);
        match service.authenticate_session(&credentials.access_key_id, &credentials.token) {
            Err(Error::ExpiredToken(message)) => assert_eq!(
                message,
                "The security token included in the request is expired"
            ),
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn a_key_use_is_seen_at_once_and_written_by_the_flush() {
        let (service, clock) = service();
        service.record_key_use(ROOT_KEY, "iam", "us-east-1");
        clock.0.store(NOW + 5, Ordering::SeqCst);
        service.record_key_use(ROOT_KEY, "iam", "us-east-1");
        let pending = service.usage.pending_key(ROOT_KEY).unwrap();
        assert_eq!(
            (
                pending.date,
                pending.service.as_str(),
                pending.region.as_str()
            ),
            (NOW + 5, "iam", "us-east-1")
        );
        service.flush_key_use().unwrap();
        assert!(service.usage.pending_key(ROOT_KEY).is_none());
        let stored = service
            .read(|state| {
                Ok(state
                    .account(ACCOUNT)
                    .and_then(|a| a.access_keys.get(ROOT_KEY))
                    .and_then(|k| k.last_used.clone()))
            })
            .unwrap();
        assert_eq!(stored.map(|used| used.date), Some(NOW + 5));
    }
}
