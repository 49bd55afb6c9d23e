//! Console passwords: argon2id hashes (PHC strings), the account password policy's rules,
//! reuse prevention and expiry.
//!
//! Hashing and verifying take tens of milliseconds of CPU on purpose: nothing here may run on
//! an async runtime's workers. The API's password operations are writes, which the edge runs
//! on the blocking pool, and they hash and verify outside the state's locks; other callers
//! (the console's sign-in, the CLI) run them on blocking threads too.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};

use crate::error::Error;
use crate::ids::Random;
use crate::model::{LoginProfile, PasswordPolicy};
use crate::secret::Secret;
use crate::time::Timestamp;

/// How many earlier password hashes a login profile keeps, besides the current one: with it,
/// the 24 latest passwords, PasswordReusePrevention's maximum.
pub const HISTORY_KEPT: usize = 23;

/// The symbols AWS's RequireSymbols counts.
pub const SYMBOLS: &str = "!@#$%^&*()_+-=[]{}|'";

/// The longest password IAM accepts (the wire model's limit, checked again for the root
/// password, which does not come through it).
pub const MAX_LENGTH: usize = 128;

const DAY: i64 = 86_400;

/// Argon2id with its recommended parameters (19 MiB, 2 passes, 1 lane).
fn argon2() -> Argon2<'static> {
    Argon2::new(Algorithm::Argon2id, Version::V0x13, Params::default())
}

/// The argon2id hash of `password` with a fresh random salt, as a PHC string.
pub fn hash(random: &dyn Random, password: &str) -> Result<Secret, Error> {
    let mut salt = [0u8; 16];
    random.fill(&mut salt)?;
    let salt = SaltString::encode_b64(&salt)
        .map_err(|e| Error::Internal(format!("encoding a salt: {e}")))?;
    let hash = argon2()
        .hash_password(password.as_bytes(), &salt)
        .map_err(|e| Error::Internal(format!("hashing a password: {e}")))?;
    Ok(Secret::new(hash.to_string()))
}

/// Whether `password` is the one `hash` was made from (compared in constant time by the
/// argon2 crate). A hash that does not parse matches nothing.
pub fn verify(password: &str, hash: &Secret) -> bool {
    match PasswordHash::new(hash.expose()) {
        Ok(parsed) => argon2()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok(),
        Err(_) => false,
    }
}

/// A hash with the parameters of [`hash`] of a password nobody knows (32 random bytes,
/// thrown away): what [`verify_dummy`] verifies against.
const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$gWVaMCL7i4RconDapU6kCw$/VhBD9Oz9k1YBsLDC0x+XU4iKxCmlLzK+fWaQ55dmro";

/// Spends the time of one [`verify`] on a hash no password is known for, so that an unknown
/// user or a user without a password is answered after the same work as a wrong password.
pub fn verify_dummy(password: &str) {
    let _ = verify(password, &Secret::new(DUMMY_HASH.to_owned()));
}

fn violation(message: &str) -> Error {
    Error::PasswordPolicyViolation(message.to_owned())
}

/// Checks `password` against the account's policy, or AWS's default policy when the account
/// has none (at least 8 characters and three of the four kinds of characters). The first
/// rule broken is named in AWS's PasswordPolicyViolation.
pub fn check_rules(policy: Option<&PasswordPolicy>, password: &str) -> Result<(), Error> {
    let length = password.chars().count();
    let has = |test: fn(char) -> bool| password.chars().any(test);
    let symbol = has(|c| SYMBOLS.contains(c));
    let number = has(|c| c.is_ascii_digit());
    let upper = has(|c| c.is_ascii_uppercase());
    let lower = has(|c| c.is_ascii_lowercase());
    if length > MAX_LENGTH {
        return Err(violation(
            "Password should have a maximum length of 128 characters",
        ));
    }
    let Some(policy) = policy else {
        if length < 8 {
            return Err(violation("Password should have a minimum length of 8"));
        }
        let kinds = [symbol, number, upper, lower]
            .iter()
            .filter(|k| **k)
            .count();
        if kinds < 3 {
            return Err(violation(
                "Password should have at least three of the following: uppercase letters, \
                 lowercase letters, numbers and symbols",
            ));
        }
        return Ok(());
    };
    if length < usize::try_from(policy.minimum_length).unwrap_or(usize::MAX) {
        return Err(violation(&format!(
            "Password should have a minimum length of {}",
            policy.minimum_length
        )));
    }
    if policy.require_symbols && !symbol {
        return Err(violation("Password should have at least one symbol"));
    }
    if policy.require_numbers && !number {
        return Err(violation("Password should have at least one number"));
    }
    if policy.require_uppercase && !upper {
        return Err(violation(
            "Password should have at least one uppercase letter",
        ));
    }
    if policy.require_lowercase && !lower {
        return Err(violation(
            "Password should have at least one lowercase letter",
        ));
    }
    Ok(())
}

/// The hashes a new password may not match under the policy's PasswordReusePrevention: the
/// current one and those before it, the latest `N` in all. None without the setting.
pub fn recent_hashes<'p>(
    policy: Option<&PasswordPolicy>,
    profile: &'p LoginProfile,
) -> Vec<&'p Secret> {
    let n = policy
        .and_then(|p| p.reuse_prevention)
        .map_or(0, |n| usize::try_from(n).unwrap_or(usize::MAX));
    std::iter::once(&profile.hash)
        .chain(&profile.history)
        .take(n)
        .collect()
}

/// Checks that `password` is none of `recent` (see [`recent_hashes`]). Verifies against
/// every hash, whichever matches, so the time taken tells nothing.
pub fn check_reuse(
    policy: Option<&PasswordPolicy>,
    recent: &[&Secret],
    password: &str,
) -> Result<(), Error> {
    let mut reused = false;
    for hash in recent {
        reused |= verify(password, hash);
    }
    if reused {
        let n = policy.and_then(|p| p.reuse_prevention).unwrap_or(0);
        return Err(violation(&format!(
            "Password should not be one of the last {n} passwords used \
             (PasswordReusePrevention)"
        )));
    }
    Ok(())
}

/// Whether the profile's password is past the policy's MaxPasswordAge at `now`.
pub fn expired(policy: Option<&PasswordPolicy>, profile: &LoginProfile, now: Timestamp) -> bool {
    policy
        .and_then(|p| p.max_age_days)
        .is_some_and(|days| now >= profile.changed.saturating_add(i64::from(days) * DAY))
}

/// The profile after its password changed to the one `hash` was made of: the old hash goes
/// first into the history (bounded by [`HISTORY_KEPT`]).
pub fn changed(profile: &LoginProfile, hash: Secret, now: Timestamp) -> LoginProfile {
    let mut history = Vec::with_capacity(HISTORY_KEPT);
    history.push(profile.hash.clone());
    history.extend(profile.history.iter().take(HISTORY_KEPT - 1).cloned());
    LoginProfile {
        hash,
        changed: now,
        history,
        ..profile.clone()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing, reason = "tests")]

    use super::*;
    use crate::ids::OsRandom;

    fn policy() -> PasswordPolicy {
        PasswordPolicy {
            account: crate::model::AccountId::parse("111122223333").unwrap(),
            minimum_length: 6,
            require_symbols: false,
            require_numbers: false,
            require_uppercase: false,
            require_lowercase: false,
            allow_users_to_change: false,
            max_age_days: None,
            reuse_prevention: None,
            hard_expiry: false,
        }
    }

    fn profile(password: &str) -> LoginProfile {
        LoginProfile {
            account: crate::model::AccountId::parse("111122223333").unwrap(),
            user: Some(crate::model::UniqueId::new("AIDAEXAMPLE")),
            created: 1_000,
            hash: hash(&OsRandom, password).unwrap(),
            reset_required: false,
            changed: 1_000,
            history: Vec::new(),
        }
    }

    fn message(result: Result<(), Error>) -> String {
        match result {
            Err(Error::PasswordPolicyViolation(m)) => m,
            other => panic!("not a policy violation: {other:?}"),
        }
    }

    #[test]
    fn hashes_are_argon2id_salted_and_verify_only_their_password() {
        let a = hash(&OsRandom, "correct horse").unwrap();
        let b = hash(&OsRandom, "correct horse").unwrap();
        assert!(a.expose().starts_with("$argon2id$v=19$"), "{}", a.expose());
        assert!(!a.expose().contains("correct horse"));
        assert_ne!(a, b, "two hashes of one password share a salt");
        assert!(verify("correct horse", &a));
        assert!(!verify("correct horsE", &a));
        assert!(!verify("", &a));
        assert!(!verify(
            "correct horse",
            &Secret::new("not a hash".to_owned())
        ));
        verify_dummy("anything");
        // The dummy hash has the parameters of real ones, so it costs the same to verify.
        let params = |h: &str| h.rsplitn(3, '$').nth(2).map(str::to_owned);
        assert_eq!(params(DUMMY_HASH), params(a.expose()));
    }

    #[test]
    fn each_rule_is_named_when_broken() {
        let mut p = policy();
        p.minimum_length = 10;
        assert_eq!(
            message(check_rules(Some(&p), "short")),
            "Password should have a minimum length of 10"
        );
        assert!(check_rules(Some(&p), "longenough").is_ok());
        p.require_symbols = true;
        assert_eq!(
            message(check_rules(Some(&p), "longenough")),
            "Password should have at least one symbol"
        );
        p.require_numbers = true;
        assert!(message(check_rules(Some(&p), "longenough!")).contains("one number"));
        p.require_uppercase = true;
        assert!(message(check_rules(Some(&p), "longenough!1")).contains("uppercase"));
        p.require_lowercase = true;
        assert!(message(check_rules(Some(&p), "LONGENOUGH!1")).contains("lowercase"));
        assert!(check_rules(Some(&p), "Longenough!1").is_ok());
        // Only AWS's symbols count as symbols.
        assert!(check_rules(Some(&p), "Longenough~1").is_err());
        // Length counts characters, not bytes.
        p = policy();
        p.minimum_length = 7;
        assert!(check_rules(Some(&p), "ééééééé").is_ok());
        assert!(check_rules(Some(&p), "éééééé").is_err());
    }

    #[test]
    fn without_a_policy_the_default_one_applies() {
        assert!(message(check_rules(None, "Ab1!xyz")).contains("minimum length of 8"));
        assert!(message(check_rules(None, "abcdefgh1")).contains("three of the following"));
        assert!(check_rules(None, "abcdefG1").is_ok());
        assert!(check_rules(None, "abcdef!1").is_ok());
        let long = "aB1!".repeat(33);
        assert!(message(check_rules(None, &long)).contains("maximum length"));
    }

    #[test]
    fn reuse_prevention_covers_the_latest_n_passwords() {
        let mut current = profile("first-1");
        for (i, next) in ["second-2", "third-3"].iter().enumerate() {
            let h = hash(&OsRandom, next).unwrap();
            current = changed(&current, h, 2_000 + i64::try_from(i).unwrap());
        }
        assert_eq!(current.history.len(), 2);
        let mut p = policy();
        // No setting: anything may be used again.
        assert!(recent_hashes(Some(&p), &current).is_empty());
        p.reuse_prevention = Some(1);
        let recent = recent_hashes(Some(&p), &current);
        assert!(check_reuse(Some(&p), &recent, "third-3").is_err());
        assert!(check_reuse(Some(&p), &recent, "second-2").is_ok());
        p.reuse_prevention = Some(3);
        let recent = recent_hashes(Some(&p), &current);
        for used in ["first-1", "second-2", "third-3"] {
            let m = message(check_reuse(Some(&p), &recent, used));
            assert!(m.contains("last 3 passwords"), "{m}");
        }
        assert!(check_reuse(Some(&p), &recent, "fourth-4").is_ok());
    }

    #[test]
    fn history_is_bounded() {
        let mut current = profile("p0");
        let cheap = Secret::new("$argon2id$v=19$m=8,t=1,p=1$c2FsdHNhbHQ$aGFzaA".to_owned());
        for i in 0..30 {
            current = changed(&current, cheap.clone(), i);
        }
        assert_eq!(current.history.len(), HISTORY_KEPT);
    }

    #[test]
    fn passwords_expire_after_the_maximum_age() {
        let profile = profile("pw");
        let mut p = policy();
        assert!(!expired(Some(&p), &profile, i64::MAX));
        assert!(!expired(None, &profile, i64::MAX));
        p.max_age_days = Some(2);
        assert!(!expired(Some(&p), &profile, 1_000 + 2 * DAY - 1));
        assert!(expired(Some(&p), &profile, 1_000 + 2 * DAY));
    }
}
