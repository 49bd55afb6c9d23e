//! STS calls that take no AWS credentials: AssumeRoleWithWebIdentity and AssumeRoleWithSAML
//! (the actions whose `Action::signed` is false), whose callers prove who they are with an
//! identity provider's token or assertion. An unsigned request reaches STS by its `Action`
//! and `Version=2011-06-15`; the edge decodes it against STS's model like any other and
//! performs it with `Service::call_unsigned` on a blocking thread (verifying a token may
//! fetch the issuer's keys).
//!
//! Those blocking threads are the ones every IAM write runs on too, and anyone can send these
//! calls, signed or not; so at most [`FEDERATION_CONCURRENCY`] of each run at once
//! ([`Federation`]), and a call beyond that is answered at once, as a busy AWS answers.

use std::sync::Arc;

use tokio::sync::Semaphore;
use warden_core::Action;

use crate::errors::{EdgeError, on_blocking_pool};

/// At most this many AssumeRoleWithWebIdentity calls, and as many AssumeRoleWithSAML calls,
/// are performed at once. A web identity call can hold its blocking thread for as long as an
/// issuer takes to answer (10 seconds at most); together the two bounds stay far below the
/// runtime's blocking threads (512), which signed IAM and STS calls need.
pub(crate) const FEDERATION_CONCURRENCY: usize = 32;

/// The places for federation calls (AssumeRoleWithWebIdentity, AssumeRoleWithSAML), signed or
/// not.
#[derive(Debug)]
pub(crate) struct Federation {
    web_identity: Arc<Semaphore>,
    saml: Arc<Semaphore>,
}

impl Default for Federation {
    fn default() -> Self {
        Federation {
            web_identity: Arc::new(Semaphore::new(FEDERATION_CONCURRENCY)),
            saml: Arc::new(Semaphore::new(FEDERATION_CONCURRENCY)),
        }
    }
}

impl Federation {
    /// Performs `work`, the federation call `action`, on a blocking thread when one of its
    /// places is free; otherwise answers at once with what AWS answers when it cannot serve
    /// the call now (IDPCommunicationError for a web identity, which SDKs retry; Throttling for
    /// SAML). The place is held until `work` ends, even if the client has gone.
    pub(crate) async fn perform<T: Send + 'static>(
        &self,
        action: Action,
        work: impl FnOnce() -> Result<T, warden_core::Error> + Send + 'static,
    ) -> Result<T, EdgeError> {
        let web_identity = action == Action::AssumeRoleWithWebIdentity;
        let places = if web_identity {
            &self.web_identity
        } else {
            &self.saml
        };
        let Ok(place) = Arc::clone(places).try_acquire_owned() else {
            tracing::debug!(
                action = action.name(),
                "every place for this federation call is taken"
            );
            return Err(if web_identity {
                EdgeError::from(warden_core::Error::IdpCommunicationError(
                    "The identity provider could not be reached to verify the token. Retry the request a limited number of times."
                        .to_owned(),
                ))
            } else {
                EdgeError::Throttling
            });
        };
        on_blocking_pool(move || {
            let output = work().map_err(EdgeError::from);
            drop(place);
            output
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use serde_json::Value;
    use std::sync::mpsc;

    use super::*;

    /// Takes every place of `action` with calls that last until the returned sender is
    /// dropped; answers their handles.
    async fn fill(
        federation: &Arc<Federation>,
        action: Action,
    ) -> (
        mpsc::Sender<()>,
        Vec<tokio::task::JoinHandle<Result<Value, EdgeError>>>,
    ) {
        let (release, released) = mpsc::channel::<()>();
        let released = Arc::new(std::sync::Mutex::new(released));
        let calls = (0..FEDERATION_CONCURRENCY)
            .map(|_| {
                let federation = Arc::clone(federation);
                let released = Arc::clone(&released);
                tokio::spawn(async move {
                    federation
                        .perform(action, move || {
                            // Waits until the sender is dropped.
                            let _ = released.lock().map(|r| r.recv());
                            Ok(Value::Null)
                        })
                        .await
                })
            })
            .collect();
        let places = if action == Action::AssumeRoleWithSAML {
            &federation.saml
        } else {
            &federation.web_identity
        };
        while places.available_permits() > 0 {
            tokio::task::yield_now().await;
        }
        (release, calls)
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_federation_call_beyond_its_places_is_answered_at_once() {
        let federation = Arc::new(Federation::default());
        let ok = || Ok(Value::Bool(true));
        let (release, calls) = fill(&federation, Action::AssumeRoleWithWebIdentity).await;
        let busy = federation
            .perform(Action::AssumeRoleWithWebIdentity, ok)
            .await
            .unwrap_err();
        assert_eq!(
            (busy.status().as_u16(), busy.code()),
            (400, "IDPCommunicationError")
        );
        // SAML has places of its own.
        assert_eq!(
            federation
                .perform(Action::AssumeRoleWithSAML, ok)
                .await
                .unwrap(),
            Value::Bool(true)
        );
        drop(release);
        for call in calls {
            call.await.unwrap().unwrap();
        }
        assert_eq!(
            federation
                .perform(Action::AssumeRoleWithWebIdentity, ok)
                .await
                .unwrap(),
            Value::Bool(true)
        );

        let (release, calls) = fill(&federation, Action::AssumeRoleWithSAML).await;
        let busy = federation
            .perform(Action::AssumeRoleWithSAML, ok)
            .await
            .unwrap_err();
        assert_eq!(busy, EdgeError::Throttling);
        drop(release);
        for call in calls {
            call.await.unwrap().unwrap();
        }
    }
}
