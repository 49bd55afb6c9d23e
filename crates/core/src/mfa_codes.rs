//! MFA code use: whether a virtual MFA device's one-time codes are accepted now, and what
//! that changes in the device's code-use record ([`MfaCodes`], a component of the `Service`).
//!
//! A check only decides: it is made inside a `Service::write`, whose commit of the new
//! [`MfaCodeUse`] (expecting the version the decision read) is what makes it atomic. So a
//! code is accepted once (its step is recorded, across restarts and however many calls race
//! with it, on this `Service` or another sharing the store), and after [`MAX_FAILURES`]
//! wrong codes in a row the device accepts none, a right one included, for [`LOCKOUT`]
//! seconds.

use std::sync::Arc;

use crate::error::Error;
use crate::model::{AccountId, MfaCodeUse, MfaDevice};
use crate::state::{Mutation, State};
use crate::time::{Clock, Timestamp, iso8601};
use crate::totp;

/// How many time steps either side of now a code may come from (clock drift).
const DRIFT_STEPS: i64 = 1;

/// Wrong codes in a row after which a device accepts no code for [`LOCKOUT`].
pub const MAX_FAILURES: u32 = 5;

/// How long, in seconds, a device accepts no code after [`MAX_FAILURES`] wrong ones.
pub const LOCKOUT: i64 = 15 * 60;

fn seed_bytes(device: &MfaDevice) -> Result<Vec<u8>, Error> {
    totp::base32_decode(device.seed.expose())
        .ok_or_else(|| Error::Internal(format!("the seed of {} is not base32", device.serial)))
}

/// Code checks, at the time `clock` tells.
pub(crate) struct MfaCodes {
    clock: Arc<dyn Clock>,
}

impl MfaCodes {
    /// Checks at the time `clock` tells.
    pub(crate) fn new(clock: Arc<dyn Clock>) -> MfaCodes {
        MfaCodes { clock }
    }

    /// Checks `codes`, the codes of consecutive time steps (one for STS, two for EnableMFADevice
    /// and ResyncMFADevice), against `device` now, and decides:
    /// - right codes of steps after the last one accepted: accepted, the last of their steps
    ///   recorded, the count of wrong codes reset;
    /// - right codes already used: refused, not counted (a retry is no guess, and cannot succeed);
    /// - anything else: refused and counted; the [`MAX_FAILURES`]th wrong code in a row locks the
    ///   device for [`LOCKOUT`] seconds.
    ///
    /// While the device is locked every code is refused and nothing changes. Returns the device's
    /// new code-use record, if it changes, and the decision, to be committed and then settled.
    pub(crate) fn check(
        &self,
        state: &State,
        device: &MfaDevice,
        codes: &[&str],
    ) -> Result<(Option<Mutation>, CodeCheck), Error> {
        let now = self.clock.now();
        let before = state
            .account(&device.account)
            .and_then(|a| a.mfa_code_use(&device.serial))
            .cloned()
            .unwrap_or_else(|| MfaCodeUse {
                serial: device.serial.clone(),
                account: device.account,
                ..MfaCodeUse::default()
            });
        let mut usage = before.clone();
        let mut check = CodeCheck {
            accepted: false,
            serial: device.serial.clone(),
            account: device.account,
            lockout: Lockout::Unchanged,
        };
        if let Some(until) = usage.locked_until {
            if now < until {
                return Ok((None, check));
            }
            usage.locked_until = None;
            usage.failures = 0;
            check.lockout = Lockout::Ended;
        }
        let key = seed_bytes(device)?;
        let later = i64::try_from(codes.len().saturating_sub(1)).unwrap_or(0);
        let current = totp::step_at(now);
        // Every step of the window is computed and every code compared in constant time, so the
        // time taken does not tell which of the codes was right.
        let matching: Vec<i64> = (current - DRIFT_STEPS - later..=current + DRIFT_STEPS)
            .filter(|first| {
                codes.iter().zip(*first..).fold(true, |all, (code, step)| {
                    all & totp::matches(&key, step, code)
                })
            })
            .collect();
        let fresh = matching
            .iter()
            .copied()
            .find(|first| usage.last_step.is_none_or(|last| *first > last));
        match fresh {
            Some(first) => {
                let last = first + later;
                usage.last_step = Some(usage.last_step.map_or(last, |before| before.max(last)));
                usage.failures = 0;
                check.accepted = true;
            }
            // Right, but used: refused without counting.
            None if !matching.is_empty() => {}
            None => {
                usage.failures = usage.failures.saturating_add(1);
                if usage.failures >= MAX_FAILURES {
                    let until = now + LOCKOUT;
                    usage.failures = 0;
                    usage.locked_until = Some(until);
                    check.lockout = Lockout::Started(until);
                }
            }
        }
        if usage == before {
            return Ok((None, check));
        }
        Ok((Some(Mutation::MfaCodeUse(usage)), check))
    }
}

/// How a code check changed the device's lockout.
enum Lockout {
    Unchanged,
    /// Locked until then.
    Started(Timestamp),
    /// The lockout's time was over and it was lifted.
    Ended,
}

/// What a code check decided. It is made inside a write and acted on once that write is
/// committed: a refused code still counts, and a lockout is logged only once it is durable.
#[must_use]
pub(crate) struct CodeCheck {
    /// Whether the codes were accepted (their use is then recorded by the same write).
    pub(crate) accepted: bool,
    serial: String,
    account: AccountId,
    lockout: Lockout,
}

impl CodeCheck {
    /// After the commit: logs the lockout this check started or ended, and turns a refusal
    /// into `refused` (what a wrong code answers, also while the device is locked).
    pub(crate) fn settle(self, refused: impl FnOnce() -> Error) -> Result<(), Error> {
        match self.lockout {
            Lockout::Unchanged => {}
            Lockout::Started(until) => tracing::warn!(
                serial = %self.serial,
                account = %self.account,
                until = %iso8601(until),
                "MFA device locked after {MAX_FAILURES} wrong codes in a row: no code is accepted for {} minutes",
                LOCKOUT / 60
            ),
            Lockout::Ended => lockout_ended(&self.serial, &self.account),
        }
        if self.accepted {
            Ok(())
        } else {
            Err(refused())
        }
    }
}

fn lockout_ended(serial: &str, account: &AccountId) {
    tracing::info!(
        serial = %serial,
        account = %account,
        "MFA device lockout ended: codes are accepted again"
    );
}

/// The records of devices whose lockout is over at `now`, with the lockout lifted (for the
/// periodic sweep; a check lifts an expired lockout by itself too).
pub(crate) fn ended_lockouts(state: &State, now: Timestamp) -> Vec<MfaCodeUse> {
    state
        .accounts
        .values()
        .flat_map(|a| a.mfa_code_uses.values())
        .filter(|u| u.locked_until.is_some_and(|until| until <= now))
        .map(|u| MfaCodeUse {
            locked_until: None,
            failures: 0,
            ..u.clone()
        })
        .collect()
}

/// Logs the end of the lockouts [`ended_lockouts`] lifted, once that is committed.
pub(crate) fn log_ended_lockouts(lifted: &[MfaCodeUse]) {
    for usage in lifted {
        lockout_ended(&usage.serial, &usage.account);
    }
}
