//! Heavy operations (`Action::heavy`): those whose work grows with their input or with the whole account
//! (the policy simulator, GetAccountAuthorizationDetails, reports) rather than being a few
//! look-ups. They never run on the async workers that serve every other request and
//! `/healthz`: each runs on the blocking pool, at most [`PER_CALLER`] at a time for one
//! caller (beyond it AWS's `Throttling`, "Rate exceeded") and at most [`HeavyLimits::global`]
//! at a time in all, so heavy work cannot take every blocking thread or every core.
//!
//! A caller is the authenticated principal: the root user or IAM user, and for temporary
//! credentials the role or user whose session it is, so that new sessions do not buy new
//! slots. An entry exists only while that caller has heavy work running.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use warden_core::model::{AccountId, UniqueId};
use warden_core::{Caller, Identity};

use crate::errors::EdgeError;

/// How many heavy operations one caller may have running at once.
pub const PER_CALLER: usize = 1;

/// Who a heavy operation counts against: the account, and the principal's unique id (`None`
/// for the root user).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct CallerKey {
    account: AccountId,
    principal: Option<UniqueId>,
}

impl CallerKey {
    fn of(caller: &Caller) -> CallerKey {
        let principal = match &caller.identity {
            Identity::Root => None,
            Identity::User { id } => Some(id.clone()),
            Identity::Session(session) => session.principal_id.clone(),
        };
        CallerKey {
            account: caller.account,
            principal,
        }
    }
}

/// The limits on heavy operations, shared by every request.
#[derive(Debug)]
pub struct HeavyLimits {
    global: Arc<Semaphore>,
    limit: usize,
    running: Mutex<HashMap<CallerKey, usize>>,
}

impl HeavyLimits {
    /// Limits that let `global` heavy operations run at once (at least two, so that one
    /// caller never holds them all).
    pub fn new(global: usize) -> Arc<HeavyLimits> {
        let global = global.max(PER_CALLER + 1);
        Arc::new(HeavyLimits {
            global: Arc::new(Semaphore::new(global)),
            limit: global,
            running: Mutex::new(HashMap::new()),
        })
    }

    /// One heavy operation per core, and at least two.
    pub fn for_this_machine() -> Arc<HeavyLimits> {
        HeavyLimits::new(std::thread::available_parallelism().map_or(2, |n| n.get()))
    }

    /// How many heavy operations may run at once in all.
    pub fn global(&self) -> usize {
        self.limit
    }

    /// A slot for one heavy operation of `caller`: refused at once with `Throttling` when the
    /// caller already has [`PER_CALLER`] running, else granted when a global slot is free.
    pub async fn acquire(self: &Arc<Self>, caller: &Caller) -> Result<HeavySlot, EdgeError> {
        let key = CallerKey::of(caller);
        {
            let mut running = self.running.lock().map_err(|_| poisoned())?;
            let count = running.entry(key.clone()).or_insert(0);
            if *count >= PER_CALLER {
                tracing::debug!(
                    account = %key.account,
                    principal = key.principal.as_deref().unwrap_or("root"),
                    "heavy operation throttled: the caller has {PER_CALLER} running"
                );
                return Err(EdgeError::Throttling);
            }
            *count += 1;
        }
        // From here the caller's count is released by the slot's drop, even if the wait for a
        // global slot is abandoned (the client went away).
        let mut slot = HeavySlot {
            limits: Arc::clone(self),
            key: Some(key),
            _global: None,
        };
        let permit = Arc::clone(&self.global)
            .acquire_owned()
            .await
            .map_err(|_| poisoned())?;
        slot._global = Some(permit);
        Ok(slot)
    }

    /// How many callers have heavy work running (each holds one entry).
    pub fn callers(&self) -> usize {
        self.running.lock().map_or(0, |running| running.len())
    }
}

/// The right to run one heavy operation; given back when dropped.
#[derive(Debug)]
pub struct HeavySlot {
    limits: Arc<HeavyLimits>,
    key: Option<CallerKey>,
    _global: Option<OwnedSemaphorePermit>,
}

impl Drop for HeavySlot {
    fn drop(&mut self) {
        let Some(key) = self.key.take() else {
            return;
        };
        // A poisoned lock still guards a consistent map: every change to it is one step.
        let mut running = match self.limits.running.lock() {
            Ok(running) => running,
            Err(poisoned) => poisoned.into_inner(),
        };
        if let Some(count) = running.get_mut(&key) {
            *count = count.saturating_sub(1);
            if *count == 0 {
                running.remove(&key);
            }
        }
    }
}

fn poisoned() -> EdgeError {
    EdgeError::internal("the heavy-operation limits are unavailable")
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use warden_core::{Caller, Identity, Session, SessionKind};

    use super::*;

    fn user(id: &str) -> Caller {
        Caller {
            account: AccountId::parse("111122223333").unwrap(),
            identity: Identity::User {
                id: UniqueId::new(id),
            },
            access_key_id: None,
        }
    }

    fn role_session(role_id: &str, name: &str) -> Caller {
        Caller {
            account: AccountId::parse("111122223333").unwrap(),
            identity: Identity::Session(Arc::new(Session {
                kind: SessionKind::Role,
                account: AccountId::parse("111122223333").unwrap(),
                principal_id: Some(UniqueId::new(role_id)),
                name: name.to_owned(),
                ..Session::default()
            })),
            access_key_id: None,
        }
    }

    fn throttled(result: Result<HeavySlot, EdgeError>) -> bool {
        matches!(result, Err(EdgeError::Throttling))
    }

    #[tokio::test]
    async fn one_caller_is_throttled_beyond_its_limit_and_others_are_not() {
        let limits = HeavyLimits::new(4);
        let first = limits.acquire(&user("AIDAALICE")).await.unwrap();
        assert!(throttled(limits.acquire(&user("AIDAALICE")).await));
        let other = limits.acquire(&user("AIDABOB")).await.unwrap();
        assert_eq!(limits.callers(), 2);
        drop(first);
        let again = limits.acquire(&user("AIDAALICE")).await.unwrap();
        drop((again, other));
        assert_eq!(limits.callers(), 0, "idle callers keep no entry");
    }

    #[tokio::test]
    async fn sessions_count_against_their_role_whatever_their_name() {
        let limits = HeavyLimits::new(4);
        let _one = limits
            .acquire(&role_session("AROAROLE", "one"))
            .await
            .unwrap();
        assert!(throttled(
            limits.acquire(&role_session("AROAROLE", "two")).await
        ));
        assert!(
            limits
                .acquire(&role_session("AROAOTHER", "one"))
                .await
                .is_ok()
        );
    }

    #[tokio::test]
    async fn the_global_bound_holds_back_the_next_caller_until_a_slot_is_free() {
        let limits = HeavyLimits::new(2);
        assert_eq!(limits.global(), 2);
        let a = limits.acquire(&user("AIDAA")).await.unwrap();
        let b = limits.acquire(&user("AIDAB")).await.unwrap();
        let waiting = {
            let limits = Arc::clone(&limits);
            tokio::spawn(async move { limits.acquire(&user("AIDAC")).await.map(|_| ()) })
        };
        tokio::task::yield_now().await;
        assert!(
            !waiting.is_finished(),
            "a third caller waits for a global slot"
        );
        drop(a);
        assert!(waiting.await.unwrap().is_ok());
        drop(b);
        assert_eq!(limits.callers(), 0);
    }

    #[tokio::test]
    async fn an_abandoned_wait_gives_the_callers_slot_back() {
        let limits = HeavyLimits::new(2);
        let _a = limits.acquire(&user("AIDAA")).await.unwrap();
        let _b = limits.acquire(&user("AIDAB")).await.unwrap();
        let waiting = {
            let limits = Arc::clone(&limits);
            tokio::spawn(async move { limits.acquire(&user("AIDAC")).await.map(|_| ()) })
        };
        tokio::task::yield_now().await;
        waiting.abort();
        assert!(waiting.await.is_err());
        assert_eq!(limits.callers(), 2, "the abandoned caller's entry is gone");
    }
}
