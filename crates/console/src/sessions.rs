//! Console sessions, held in memory and keyed by a random id that only the session's cookie
//! carries, and the failed sign-in counters that lock a principal's sign-in.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::{Mutex, PoisonError};

use subtle::ConstantTimeEq;
use warden_core::time::Timestamp;
use warden_core::{Caller, SignIn};

/// A session ends after an hour without a request...
pub const IDLE_TIMEOUT: i64 = 3600;
/// ...and twelve hours after sign-in whatever happens.
pub const ABSOLUTE_TIMEOUT: i64 = 12 * 3600;
/// A step of sign-in (an MFA code, a forced password change) must be done within this.
pub const STEP_TIMEOUT: i64 = 600;
/// Failed sign-ins in a row that lock a principal's sign-in...
pub const MAX_FAILURES: u32 = 5;
/// ...for this long.
pub const LOCKOUT: i64 = 15 * 60;
/// At most this many principals' failure counters are kept; past it, counters whose lockout
/// or run has ended are dropped, and a principal not yet counted is not counted.
pub const MAX_COUNTERS: usize = 100_000;
/// At most this many sessions are kept; past it, expired ones are dropped, then new sign-ins
/// are refused until some end.
pub const MAX_SESSIONS: usize = 100_000;

/// Where a session is in signing in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stage {
    /// The password was right; a code of the principal's MFA device is due.
    Mfa,
    /// The password must be changed before anything else.
    ChangePassword,
    /// Signed in.
    Active,
}

/// One console session.
#[derive(Debug, Clone)]
pub struct ConsoleSession {
    pub stage: Stage,
    /// The principal as its password authenticated it (an IAM user or the root user).
    pub sign_in: SignIn,
    /// When MFA took place, if it did.
    pub mfa_time: Option<Timestamp>,
    /// The token every state-changing form of this session carries.
    pub csrf: String,
    pub created: Timestamp,
    pub last_seen: Timestamp,
}

impl ConsoleSession {
    /// Whether the session has ended at `now`.
    pub fn expired(&self, now: Timestamp) -> bool {
        let step = self.stage != Stage::Active && now - self.created > STEP_TIMEOUT;
        step || now - self.last_seen > IDLE_TIMEOUT || now - self.created > ABSOLUTE_TIMEOUT
    }

    /// The caller the console's operations run as (see [`crate::session_caller`]).
    pub fn caller(&self) -> Caller {
        crate::session_caller(&self.sign_in.caller, self.mfa_time, self.created)
    }

    /// Whether `token` is this session's CSRF token (compared in constant time).
    pub fn csrf_matches(&self, token: &str) -> bool {
        tokens_match(&self.csrf, token)
    }
}

/// Whether two tokens are equal, in time that does not depend on where they differ.
pub fn tokens_match(expected: &str, given: &str) -> bool {
    !expected.is_empty() && bool::from(expected.as_bytes().ct_eq(given.as_bytes()))
}

/// 32 random bytes as 64 hex digits: session ids and CSRF tokens.
pub fn random_token() -> Option<String> {
    let mut bytes = [0u8; 32];
    getrandom::getrandom(&mut bytes).ok()?;
    let mut out = String::with_capacity(64);
    for b in bytes {
        let _ = write!(out, "{b:02x}");
    }
    Some(out)
}

/// The sessions, by id.
#[derive(Debug, Default)]
pub struct Sessions {
    map: Mutex<HashMap<String, ConsoleSession>>,
}

impl Sessions {
    /// Starts a session; answers its id, or `None` when no random id could be drawn or too
    /// many sessions are live.
    pub fn start(&self, session: ConsoleSession, now: Timestamp) -> Option<String> {
        let id = random_token()?;
        let mut map = self.map.lock().unwrap_or_else(PoisonError::into_inner);
        if map.len() >= MAX_SESSIONS {
            map.retain(|_, s| !s.expired(now));
            if map.len() >= MAX_SESSIONS {
                return None;
            }
        }
        map.insert(id.clone(), session);
        Some(id)
    }

    /// The live session `id`, its last use moved to `now`; an expired one is forgotten.
    pub fn touch(&self, id: &str, now: Timestamp) -> Option<ConsoleSession> {
        let mut map = self.map.lock().unwrap_or_else(PoisonError::into_inner);
        let session = map.get_mut(id)?;
        if session.expired(now) {
            map.remove(id);
            return None;
        }
        session.last_seen = now;
        Some(session.clone())
    }

    /// Changes session `id` with `f`, if it is still there.
    pub fn update(&self, id: &str, f: impl FnOnce(&mut ConsoleSession)) {
        let mut map = self.map.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(session) = map.get_mut(id) {
            f(session);
        }
    }

    pub fn end(&self, id: &str) {
        self.map
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(id);
    }
}

#[derive(Debug, Clone, Copy)]
struct Failures {
    count: u32,
    last: Timestamp,
    locked_until: Option<Timestamp>,
}

/// Failed sign-ins in a row, per principal (by [`warden_core::Service::sign_in_key`]).
#[derive(Debug, Default)]
pub struct Lockouts {
    map: Mutex<HashMap<String, Failures>>,
}

impl Lockouts {
    /// Whether `key`'s sign-in is locked at `now`.
    pub fn locked(&self, key: &str, now: Timestamp) -> bool {
        let map = self.map.lock().unwrap_or_else(PoisonError::into_inner);
        map.get(key)
            .and_then(|f| f.locked_until)
            .is_some_and(|until| now < until)
    }

    /// Counts a failed sign-in of `key`; the fifth in a row locks it for [`LOCKOUT`].
    pub fn failed(&self, key: &str, now: Timestamp) {
        let mut map = self.map.lock().unwrap_or_else(PoisonError::into_inner);
        if !map.contains_key(key) && map.len() >= MAX_COUNTERS {
            map.retain(|_, f| !Self::over(f, now));
            if map.len() >= MAX_COUNTERS {
                return;
            }
        }
        let entry = map.entry(key.to_owned()).or_insert(Failures {
            count: 0,
            last: now,
            locked_until: None,
        });
        if Self::over(entry, now) {
            *entry = Failures {
                count: 0,
                last: now,
                locked_until: None,
            };
        }
        if entry.locked_until.is_some_and(|until| now < until) {
            return;
        }
        entry.count += 1;
        entry.last = now;
        if entry.count >= MAX_FAILURES {
            entry.locked_until = Some(now + LOCKOUT);
        }
    }

    /// A successful sign-in of `key`: its run of failures ends.
    pub fn succeeded(&self, key: &str) {
        self.map
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(key);
    }

    /// Whether a counter no longer matters: its lockout is over, or its last failure is
    /// older than a lockout period.
    fn over(f: &Failures, now: Timestamp) -> bool {
        match f.locked_until {
            Some(until) => now >= until,
            None => now - f.last >= LOCKOUT,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn five_failures_lock_for_fifteen_minutes() {
        let lockouts = Lockouts::default();
        for _ in 0..4 {
            lockouts.failed("k", 100);
            assert!(!lockouts.locked("k", 100));
        }
        lockouts.failed("k", 100);
        assert!(lockouts.locked("k", 100));
        assert!(lockouts.locked("k", 100 + LOCKOUT - 1));
        assert!(!lockouts.locked("k", 100 + LOCKOUT));
        // The run starts again afterwards.
        lockouts.failed("k", 100 + LOCKOUT);
        assert!(!lockouts.locked("k", 100 + LOCKOUT));
    }

    #[test]
    fn a_success_ends_the_run() {
        let lockouts = Lockouts::default();
        for _ in 0..4 {
            lockouts.failed("k", 100);
        }
        lockouts.succeeded("k");
        lockouts.failed("k", 100);
        assert!(!lockouts.locked("k", 100));
    }

    #[test]
    fn tokens_compare_whole() {
        assert!(tokens_match("abc", "abc"));
        assert!(!tokens_match("abc", "abd"));
        assert!(!tokens_match("abc", "ab"));
        assert!(!tokens_match("", ""));
        let token = random_token().unwrap_or_default();
        assert_eq!(token.len(), 64);
        assert_ne!(Some(token), random_token());
    }
}
