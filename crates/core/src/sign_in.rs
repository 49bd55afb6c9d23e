//! Password sign-in (for the console) and the root user's password.
//!
//! [`Service::check_sign_in`] answers one question: do this account, user name and password
//! belong together? An unknown account, an unknown user, a user without a password and a
//! wrong password get the same answer after the same work (an argon2id verification against
//! a dummy hash stands in for the missing one). Counting failures and locking out is the
//! caller's business.
//!
//! Both functions hash or verify a password: call them from a blocking thread, never from an
//! async runtime's worker.

use crate::arn::{Arn, is_account_id};
use crate::caller::{Caller, Identity};
use crate::error::Error;
use crate::model::{LoginProfile, PasswordPolicy};
use crate::passwords;
use crate::service::Service;
use crate::state::{AccountState, Mutation, State};

/// The user name the root user signs in with.
pub const ROOT_USER_NAME: &str = "root";

/// A successful password sign-in.
#[derive(Debug, Clone)]
pub struct SignIn {
    /// The principal, as its access keys would authenticate it (without a key).
    pub caller: Caller,
    /// The principal's ARN.
    pub arn: String,
    /// Whether the password must be changed before anything else, and why.
    pub password_change: Option<PasswordChange>,
}

/// Why a password must be changed at sign-in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PasswordChange {
    /// An administrator set PasswordResetRequired.
    ResetRequired,
    /// The password is older than the password policy's MaxPasswordAge.
    Expired,
}

/// A refused password sign-in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignInError {
    /// The account, the user or the password is wrong, or the user has no password: one
    /// answer for all, so a caller learns nothing about which.
    WrongCredentials,
    /// The password was right but has expired under a policy with HardExpiry: only an
    /// administrator can reset it.
    PasswordExpired,
    /// Something broke inside Warden.
    Internal(Error),
}

impl std::fmt::Display for SignInError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SignInError::WrongCredentials => f.write_str("wrong account, user name or password"),
            SignInError::PasswordExpired => {
                f.write_str("the password has expired; an administrator must reset it")
            }
            SignInError::Internal(error) => write!(f, "{error}"),
        }
    }
}

impl std::error::Error for SignInError {}

/// What a sign-in verifies against, read under the state's lock.
struct Candidate {
    caller: Caller,
    arn: String,
    profile: LoginProfile,
    /// The account's password policy, for IAM users (it does not govern the root user).
    policy: Option<PasswordPolicy>,
}

/// The account `account` names: its 12-digit id or its alias.
fn find_account<'s>(state: &'s State, account: &str) -> Option<&'s AccountState> {
    if is_account_id(account) {
        return state.account(account).filter(|a| a.account.is_some());
    }
    state.accounts.values().find(|a| {
        a.account
            .as_ref()
            .and_then(|a| a.alias.as_deref())
            .is_some_and(|alias| alias.eq_ignore_ascii_case(account))
    })
}

fn candidate(state: &State, account: &str, user_name: &str) -> Option<Candidate> {
    let a = find_account(state, account)?;
    let id = &a.account.as_ref()?.id;
    if user_name == ROOT_USER_NAME {
        return Some(Candidate {
            caller: Caller {
                account: *id,
                identity: Identity::Root,
                access_key_id: None,
            },
            arn: Arn::root(id).build(),
            profile: a.root_password.clone()?,
            policy: None,
        });
    }
    let user = a.user(user_name)?;
    Some(Candidate {
        caller: Caller {
            account: *id,
            identity: Identity::User {
                id: user.id.clone(),
            },
            access_key_id: None,
        },
        arn: Arn::user(id, &user.path, &user.name).build(),
        profile: a.login_profiles.get(&user.id)?.clone(),
        policy: a.password_policy.clone(),
    })
}

impl Service {
    /// Checks a password sign-in: `account` (id or alias), `user_name` (`root` for the
    /// root user) and `password`. Answers the principal and whether its password must be
    /// changed first, or [`SignInError::WrongCredentials`] for anything wrong.
    pub fn check_sign_in(
        &self,
        account: &str,
        user_name: &str,
        password: &str,
    ) -> Result<SignIn, SignInError> {
        let found = self
            .read(|state| Ok(candidate(state, account, user_name)))
            .map_err(SignInError::Internal)?;
        let Some(found) = found else {
            passwords::verify_dummy(password);
            return Err(SignInError::WrongCredentials);
        };
        if !passwords::verify(password, &found.profile.hash) {
            return Err(SignInError::WrongCredentials);
        }
        let policy = found.policy.as_ref();
        let expired = passwords::expired(policy, &found.profile, self.now());
        if expired && policy.is_some_and(|p| p.hard_expiry) {
            return Err(SignInError::PasswordExpired);
        }
        let password_change = if found.profile.reset_required {
            Some(PasswordChange::ResetRequired)
        } else if expired {
            Some(PasswordChange::Expired)
        } else {
            None
        };
        Ok(SignIn {
            caller: found.caller,
            arn: found.arn,
            password_change,
        })
    }

    /// Sets the root user's password of `account` (`warden root set-password`,
    /// `WARDEN_ROOT_PASSWORD`). It must meet AWS's default password rules (8 to 128
    /// characters, three of the four kinds), as AWS's root passwords do.
    pub fn set_root_password(&self, account: &str, password: &str) -> Result<(), Error> {
        passwords::check_rules(None, password)?;
        let hash = passwords::hash(self.random(), password)?;
        self.write(|state| {
            let (a, id) = state
                .account(account)
                .and_then(|a| Some((a, a.account.as_ref()?.id)))
                .ok_or_else(|| Error::NoSuchEntity(format!("Account {account} not found.")))?;
            let now = self.now();
            let profile = match &a.root_password {
                Some(old) => LoginProfile {
                    reset_required: false,
                    ..passwords::changed(old, hash.clone(), now)
                },
                None => LoginProfile {
                    account: id,
                    user: None,
                    created: now,
                    hash: hash.clone(),
                    reset_required: false,
                    changed: now,
                    history: Vec::new(),
                },
            };
            Ok((vec![Mutation::LoginProfile(profile)], ()))
        })
    }

    /// Records a completed password sign-in (after MFA, when the principal has a device): an
    /// IAM user's `PasswordLastUsed` (GetUser, ListUsers) becomes now. The root user's is
    /// not kept.
    pub fn record_sign_in(&self, signed: &SignIn) -> Result<(), Error> {
        let Identity::User { id } = &signed.caller.identity else {
            return Ok(());
        };
        self.write(|state| {
            let Some(user) = state
                .account(&signed.caller.account)
                .and_then(|a| a.user_by_id(id))
            else {
                // Deleted since: nothing to record.
                return Ok((Vec::new(), ()));
            };
            let mut used = user.clone();
            used.password_last_used = Some(self.now());
            Ok((vec![Mutation::User(used)], ()))
        })
    }

    /// Who `account` (id or alias) and `user_name` name at sign-in, when that principal has
    /// a password: a key to count its failed sign-ins by, the same whichever way the account
    /// and the user's name are spelled (`ACCOUNT/UNIQUE-ID`, or `ACCOUNT/root`). `None` for
    /// anything that cannot sign in, so counting for it would bound nothing.
    pub fn sign_in_key(&self, account: &str, user_name: &str) -> Option<String> {
        let found = self
            .read(|state| Ok(candidate(state, account, user_name)))
            .ok()
            .flatten()?;
        Some(match &found.caller.identity {
            Identity::User { id } => format!("{}/{}", found.caller.account, id.as_str()),
            _ => format!("{}/{ROOT_USER_NAME}", found.caller.account),
        })
    }

    /// Whether the root user of `account` has a password.
    pub fn has_root_password(&self, account: &str) -> Result<bool, Error> {
        self.read(|state| {
            Ok(state
                .account(account)
                .is_some_and(|a| a.root_password.is_some()))
        })
    }
}

/// The root user's password hash of `account`: for tests of the stored form.
#[cfg(test)]
fn root_hash(service: &Service, account: &str) -> Option<crate::secret::Secret> {
    service
        .read(|state| {
            Ok(state
                .account(account)
                .and_then(|a| a.root_password.as_ref())
                .map(|p| p.hash.clone()))
        })
        .ok()
        .flatten()
}

#[cfg(test)]
mod tests;
