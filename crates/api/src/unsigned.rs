//! STS calls that take no AWS credentials: AssumeRoleWithWebIdentity and AssumeRoleWithSAML,
//! whose callers prove who they are with an identity provider's token or assertion. An
//! unsigned request reaches STS by its `Action` and `Version=2011-06-15`; it is decoded
//! against STS's model like any other and performed by `Service::call_unsigned` on a blocking
//! thread (verifying a token may fetch the issuer's keys).
//!
//! Those blocking threads are the ones every IAM write runs on too, and anyone can send these
//! calls, signed or not; so at most [`FEDERATION_CONCURRENCY`] of each run at once
//! ([`Federation`]), and a call beyond that is answered at once, as a busy AWS answers.

use std::sync::Arc;

use axum::http::StatusCode;
use serde_json::Value;
use tokio::sync::Semaphore;
use warden_core::RequestInfo;

use crate::edge::Edge;
use crate::errors::{ApiError, on_blocking_pool};
use crate::model::Model;

/// The STS actions that are called without credentials.
const UNSIGNED_ACTIONS: [&str; 2] = ["AssumeRoleWithWebIdentity", "AssumeRoleWithSAML"];

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
    /// Whether `action` is a federation call, performed through [`Federation::perform`].
    pub(crate) fn covers(action: &str) -> bool {
        UNSIGNED_ACTIONS.contains(&action)
    }

    /// Performs `work`, the federation call `action`, on a blocking thread when one of its
    /// places is free; otherwise answers at once with what AWS answers when it cannot serve
    /// the call now (IDPCommunicationError for a web identity, which SDKs retry; Throttling for
    /// SAML). The place is held until `work` ends, even if the client has gone.
    pub(crate) async fn perform(
        &self,
        action: &str,
        work: impl FnOnce() -> Result<Value, warden_core::Error> + Send + 'static,
    ) -> Result<Value, ApiError> {
        let web_identity = action == "AssumeRoleWithWebIdentity";
        let places = if web_identity {
            &self.web_identity
        } else {
            &self.saml
        };
        let Ok(place) = Arc::clone(places).try_acquire_owned() else {
            tracing::debug!(action, "every place for this federation call is taken");
            return Err(if web_identity {
                ApiError::from(warden_core::Error::IdpCommunicationError(
                    "The identity provider could not be reached to verify the token. Retry the request a limited number of times."
                        .to_owned(),
                ))
            } else {
                ApiError::throttling()
            });
        };
        on_blocking_pool(move || {
            let output = work().map_err(ApiError::from);
            drop(place);
            output
        })
        .await
    }
}

/// Whether an unsigned request is one of those STS calls.
pub(crate) fn is_unsigned_sts(params: &[(String, String)]) -> bool {
    let value = |name: &str| {
        params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    value("Action").is_some_and(|a| UNSIGNED_ACTIONS.contains(&a))
        && value("Version") == Some(Model::sts().version())
}

/// Decodes and performs an unsigned STS call; answers its XML.
pub(crate) async fn perform(
    edge: &Arc<Edge>,
    info: RequestInfo,
    action: &str,
    params: &[(String, String)],
) -> Result<String, ApiError> {
    let model = Model::sts();
    let operation = model.operation(action).ok_or_else(|| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "InvalidAction",
            format!(
                "Could not find operation {action} for version {}",
                model.version()
            ),
        )
    })?;
    let input = crate::query::decode(model, operation, params)
        .map_err(|e| ApiError::validation(e.message))?;
    let typed = warden_core::Action::named(&operation.name).ok_or_else(|| {
        ApiError::from(warden_core::Error::Internal(format!(
            "no action for the operation {action}"
        )))
    })?;
    let service = Arc::clone(&edge.service);
    let request_info = info.clone();
    let output = edge
        .federation
        .perform(action, move || {
            service.call_unsigned(&request_info, typed, input)
        })
        .await?;
    Ok(crate::xml::encode(
        model,
        operation,
        &output,
        &info.request_id,
    ))
}

#[cfg(test)]
mod tests {
    use std::sync::mpsc;

    use super::*;

    /// Takes every place of `action` with calls that last until the returned sender is
    /// dropped; answers their handles.
    async fn fill(
        federation: &Arc<Federation>,
        action: &'static str,
    ) -> (
        mpsc::Sender<()>,
        Vec<tokio::task::JoinHandle<Result<Value, ApiError>>>,
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
        let places = if action == "AssumeRoleWithSAML" {
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
        let (release, calls) = fill(&federation, "AssumeRoleWithWebIdentity").await;
        let busy = federation
            .perform("AssumeRoleWithWebIdentity", ok)
            .await
            .unwrap_err();
        assert_eq!(
            (busy.status, busy.code.as_str()),
            (StatusCode::BAD_REQUEST, "IDPCommunicationError")
        );
        // SAML has places of its own.
        assert_eq!(
            federation.perform("AssumeRoleWithSAML", ok).await.unwrap(),
            Value::Bool(true)
        );
        drop(release);
        for call in calls {
            call.await.unwrap().unwrap();
        }
        assert_eq!(
            federation
                .perform("AssumeRoleWithWebIdentity", ok)
                .await
                .unwrap(),
            Value::Bool(true)
        );

        let (release, calls) = fill(&federation, "AssumeRoleWithSAML").await;
        let busy = federation
            .perform("AssumeRoleWithSAML", ok)
            .await
            .unwrap_err();
        assert_eq!(
            (busy.status, busy.code.as_str(), busy.message.as_str()),
            (StatusCode::BAD_REQUEST, "Throttling", "Rate exceeded")
        );
        drop(release);
        for call in calls {
            call.await.unwrap().unwrap();
        }
    }
}
