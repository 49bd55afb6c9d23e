//! Console passwords: CreateLoginProfile, GetLoginProfile, UpdateLoginProfile,
//! DeleteLoginProfile, ChangePassword, and the account password policy
//! (UpdateAccountPasswordPolicy, GetAccountPasswordPolicy, DeleteAccountPasswordPolicy).
//!
//! A password is hashed and verified (argon2id, see [`crate::passwords`]) outside the
//! state's locks, between a read that decides what to check and the write that commits: the
//! write makes the same decision again and commits only if the profile it verified against
//! is still the same, so no write waits on another's hashing and nothing is half applied.

use serde::{Deserialize, Serialize};

use super::users::{account, authorized_user, no_such_user, non_user_credentials, user_arn};
use crate::action::Action;
use crate::error::Error;
use crate::model::{LoginProfile, PasswordPolicy, User};
use crate::passwords;
use crate::secret::Secret;
use crate::service::Cx;
use crate::state::{Mutation, State};
use crate::time::iso8601;

pub(crate) fn no_such_profile(name: &str) -> Error {
    Error::NoSuchEntity(format!("Login Profile for User {name} cannot be found."))
}

fn no_password_policy(account: &str) -> Error {
    Error::NoSuchEntity(format!(
        "The Password Policy with domain name {account} cannot be found."
    ))
}

/// What answers a write whose profile changed while its password was being verified.
fn changed_meanwhile() -> Error {
    Error::ConcurrentModification(
        "The login profile was changed by another request. Please retry.".to_owned(),
    )
}

/// The user an operation is about, after authorizing `action` on it: the named user, else
/// the calling user itself.
fn target_user<'s>(
    cx: &Cx<'_>,
    state: &'s State,
    action: Action,
    user_name: Option<&str>,
) -> Result<&'s User, Error> {
    let name = match (user_name, cx.caller.identity.acting_user()) {
        (Some(name), _) => name.to_owned(),
        (None, Some(id)) => account(cx, state)?
            .user_by_id(id)
            .map(|u| u.name.to_string())
            .ok_or_else(|| Error::Internal("the caller's user is gone".to_owned()))?,
        (None, None) => return Err(non_user_credentials()),
    };
    authorized_user(cx, state, action.iam_action(), &name, &[])
}

fn profile_of<'s>(state: &'s State, cx: &Cx<'_>, user: &User) -> Result<&'s LoginProfile, Error> {
    account(cx, state)?
        .login_profiles
        .get(&user.id)
        .ok_or_else(|| no_such_profile(&user.name))
}

fn policy<'s>(cx: &Cx<'_>, state: &'s State) -> Result<Option<&'s PasswordPolicy>, Error> {
    Ok(account(cx, state)?.password_policy.as_ref())
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct WireLoginProfile {
    user_name: String,
    create_date: String,
    password_reset_required: bool,
}

impl WireLoginProfile {
    fn new(user: &User, profile: &LoginProfile) -> WireLoginProfile {
        WireLoginProfile {
            user_name: user.name.to_string(),
            create_date: iso8601(profile.created),
            password_reset_required: profile.reset_required,
        }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct LoginProfileOutput {
    login_profile: WireLoginProfile,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct CreateLoginProfileInput {
    user_name: Option<String>,
    password: Option<String>,
    #[serde(default)]
    password_reset_required: bool,
}

pub(super) fn create_login_profile(
    cx: &Cx<'_>,
    input: CreateLoginProfileInput,
) -> Result<LoginProfileOutput, Error> {
    let action = Action::CreateLoginProfile;
    let user_name = input.user_name.as_deref();
    // Decided on the state as it is: who, whether a profile exists, the policy's rules.
    let decide = |state: &State| -> Result<(), Error> {
        let user = target_user(cx, state, action, user_name)?;
        if account(cx, state)?.login_profiles.contains_key(&user.id) {
            return Err(Error::EntityAlreadyExists(format!(
                "Login Profile for user {} already exists.",
                user.name
            )));
        }
        let password = input.password.as_deref().ok_or_else(|| {
            Error::ValidationError(
                "Password is required to create a login profile for an IAM user.".to_owned(),
            )
        })?;
        passwords::check_rules(policy(cx, state)?, password)
    };
    cx.service.read(decide)?;
    let password = input.password.as_deref().unwrap_or_default();
    let hash = passwords::hash(cx.service.random(), password)?;
    cx.service.write(|state| {
        decide(state)?;
        let user = target_user(cx, state, action, user_name)?;
        let now = cx.service.now();
        let profile = LoginProfile {
            account: cx.caller.account,
            user: Some(user.id.clone()),
            created: now,
            hash: hash.clone(),
            reset_required: input.password_reset_required,
            changed: now,
            history: Vec::new(),
        };
        let output = LoginProfileOutput {
            login_profile: WireLoginProfile::new(user, &profile),
        };
        Ok((vec![Mutation::LoginProfile(profile)], output))
    })
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct UserNameInput {
    user_name: Option<String>,
}

pub(super) fn get_login_profile(
    cx: &Cx<'_>,
    input: UserNameInput,
) -> Result<LoginProfileOutput, Error> {
    cx.service.read(|state| {
        let user = target_user(
            cx,
            state,
            Action::GetLoginProfile,
            input.user_name.as_deref(),
        )?;
        let profile = profile_of(state, cx, user)?;
        Ok(LoginProfileOutput {
            login_profile: WireLoginProfile::new(user, profile),
        })
    })
}

pub(super) fn delete_login_profile(cx: &Cx<'_>, input: UserNameInput) -> Result<(), Error> {
    cx.service.write(|state| {
        let user = target_user(
            cx,
            state,
            Action::DeleteLoginProfile,
            input.user_name.as_deref(),
        )?;
        let profile = profile_of(state, cx, user)?;
        Ok((
            vec![Mutation::DeleteLoginProfile {
                account: profile.account,
                id: profile.record_id().to_owned(),
            }],
            (),
        ))
    })
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct UpdateLoginProfileInput {
    user_name: String,
    password: Option<String>,
    password_reset_required: Option<bool>,
}

/// What a new password must be checked against, read under the lock and verified outside it.
struct Verification {
    /// The profile's hash when read: the write commits only if it is still the same.
    current: Secret,
    /// The hashes the new password may not match (reuse prevention).
    recent: Vec<Secret>,
    policy: Option<PasswordPolicy>,
}

impl Verification {
    fn of(policy: Option<&PasswordPolicy>, profile: &LoginProfile) -> Verification {
        Verification {
            current: profile.hash.clone(),
            recent: passwords::recent_hashes(policy, profile)
                .into_iter()
                .cloned()
                .collect(),
            policy: policy.cloned(),
        }
    }

    /// Checks the reuse rule for `password` and hashes it, outside every lock.
    fn new_hash(&self, cx: &Cx<'_>, password: &str) -> Result<Secret, Error> {
        let recent: Vec<&Secret> = self.recent.iter().collect();
        passwords::check_reuse(self.policy.as_ref(), &recent, password)?;
        passwords::hash(cx.service.random(), password)
    }
}

pub(super) fn update_login_profile(
    cx: &Cx<'_>,
    input: UpdateLoginProfileInput,
) -> Result<(), Error> {
    let action = Action::UpdateLoginProfile;
    let decide = |state: &State| -> Result<Verification, Error> {
        let user = target_user(cx, state, action, Some(&input.user_name))?;
        let profile = profile_of(state, cx, user)?;
        let policy = policy(cx, state)?;
        if let Some(password) = &input.password {
            passwords::check_rules(policy, password)?;
        }
        Ok(Verification::of(policy, profile))
    };
    let checked = cx.service.read(decide)?;
    let hash = match &input.password {
        Some(password) => Some(checked.new_hash(cx, password)?),
        None => None,
    };
    cx.service.write(|state| {
        let again = decide(state)?;
        if again.current != checked.current {
            return Err(changed_meanwhile());
        }
        let user = target_user(cx, state, action, Some(&input.user_name))?;
        let profile = profile_of(state, cx, user)?;
        let now = cx.service.now();
        let mut updated = match &hash {
            Some(hash) => passwords::changed(profile, hash.clone(), now),
            None => profile.clone(),
        };
        if let Some(required) = input.password_reset_required {
            updated.reset_required = required;
        }
        Ok((vec![Mutation::LoginProfile(updated)], ()))
    })
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct ChangePasswordInput {
    old_password: String,
    new_password: String,
}

/// AWS's answer to ChangePassword by anything but an IAM user.
fn not_an_iam_user() -> Error {
    Error::InvalidUserType("Only IAM Users can change their own password.".to_owned())
}

/// The calling user, after authorizing ChangePassword on itself: its policies, or the
/// password policy's AllowUsersToChangePassword, must let it.
fn changing_user<'s>(cx: &Cx<'_>, state: &'s State) -> Result<&'s User, Error> {
    let id = cx
        .caller
        .identity
        .acting_user()
        .ok_or_else(not_an_iam_user)?;
    let user = account(cx, state)?
        .user_by_id(id)
        .ok_or_else(|| no_such_user(id))?;
    let granted = policy(cx, state)?.is_some_and(|p| p.allow_users_to_change);
    cx.authorize_granted(
        state,
        Action::ChangePassword.iam_action(),
        &user_arn(user),
        &user.tags,
        granted,
    )?;
    Ok(user)
}

pub(super) fn change_password(cx: &Cx<'_>, input: ChangePasswordInput) -> Result<(), Error> {
    let decide = |state: &State| -> Result<Verification, Error> {
        let user = changing_user(cx, state)?;
        let profile = profile_of(state, cx, user)?;
        let policy = policy(cx, state)?;
        if policy.is_some_and(|p| p.hard_expiry)
            && passwords::expired(policy, profile, cx.service.now())
        {
            return Err(Error::AccessDenied(
                "Your password has expired; only an administrator can reset it \
                 (HardExpiry)."
                    .to_owned(),
            ));
        }
        Ok(Verification::of(policy, profile))
    };
    let checked = cx.service.read(decide)?;
    if !passwords::verify(&input.old_password, &checked.current) {
        return Err(Error::AccessDenied(
            "The old password is incorrect.".to_owned(),
        ));
    }
    passwords::check_rules(checked.policy.as_ref(), &input.new_password)?;
    let hash = checked.new_hash(cx, &input.new_password)?;
    cx.service.write(|state| {
        let again = decide(state)?;
        if again.current != checked.current || again.policy != checked.policy {
            return Err(changed_meanwhile());
        }
        let user = changing_user(cx, state)?;
        let profile = profile_of(state, cx, user)?;
        let mut updated = passwords::changed(profile, hash.clone(), cx.service.now());
        updated.reset_required = false;
        Ok((vec![Mutation::LoginProfile(updated)], ()))
    })
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct UpdatePolicyInput {
    minimum_password_length: Option<i64>,
    #[serde(default)]
    require_symbols: bool,
    #[serde(default)]
    require_numbers: bool,
    #[serde(default)]
    require_uppercase_characters: bool,
    #[serde(default)]
    require_lowercase_characters: bool,
    #[serde(default)]
    allow_users_to_change_password: bool,
    max_password_age: Option<i64>,
    password_reuse_prevention: Option<i64>,
    hard_expiry: Option<bool>,
}

/// A setting within AWS's range (the wire model checks it first; this keeps the domain
/// whole for callers that do not come through it).
fn within(name: &str, value: i64, min: i64, max: i64) -> Result<u32, Error> {
    if (min..=max).contains(&value) {
        u32::try_from(value).map_err(|_| Error::Internal(format!("{name} out of range")))
    } else {
        Err(Error::ValidationError(format!(
            "1 validation error detected: Value '{value}' at '{name}' failed to satisfy \
             constraint: Member must have value {}",
            if value < min {
                format!("greater than or equal to {min}")
            } else {
                format!("less than or equal to {max}")
            }
        )))
    }
}

/// UpdateAccountPasswordPolicy: the whole policy is replaced; a setting left out takes its
/// default, as AWS documents.
pub(super) fn update_account_password_policy(
    cx: &Cx<'_>,
    input: UpdatePolicyInput,
) -> Result<(), Error> {
    let policy = PasswordPolicy {
        account: cx.caller.account,
        minimum_length: match input.minimum_password_length {
            Some(n) => within("minimumPasswordLength", n, 6, 128)?,
            None => 6,
        },
        require_symbols: input.require_symbols,
        require_numbers: input.require_numbers,
        require_uppercase: input.require_uppercase_characters,
        require_lowercase: input.require_lowercase_characters,
        allow_users_to_change: input.allow_users_to_change_password,
        max_age_days: input
            .max_password_age
            .map(|n| within("maxPasswordAge", n, 1, 1095))
            .transpose()?,
        reuse_prevention: input
            .password_reuse_prevention
            .map(|n| within("passwordReusePrevention", n, 1, 24))
            .transpose()?,
        hard_expiry: input.hard_expiry.unwrap_or(false),
    };
    cx.service.write(|state| {
        let action = Action::UpdateAccountPasswordPolicy.iam_action();
        cx.authorize(state, action, "*", &[], &[])?;
        Ok((vec![Mutation::PasswordPolicy(policy.clone())], ()))
    })
}

#[derive(Deserialize)]
pub(super) struct Empty {}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct WirePasswordPolicy {
    minimum_password_length: u32,
    require_symbols: bool,
    require_numbers: bool,
    require_uppercase_characters: bool,
    require_lowercase_characters: bool,
    allow_users_to_change_password: bool,
    expire_passwords: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    max_password_age: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    password_reuse_prevention: Option<u32>,
    hard_expiry: bool,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct GetPolicyOutput {
    password_policy: WirePasswordPolicy,
}

pub(super) fn get_account_password_policy(cx: &Cx<'_>, _: Empty) -> Result<GetPolicyOutput, Error> {
    cx.service.read(|state| {
        // Users allowed to change their own password may also read the rules it must meet.
        let action = Action::GetAccountPasswordPolicy.iam_action();
        let granted = cx.caller.identity.acting_user().is_some()
            && policy(cx, state)?.is_some_and(|p| p.allow_users_to_change);
        cx.authorize_granted(state, action, "*", &[], granted)?;
        let p = policy(cx, state)?.ok_or_else(|| no_password_policy(&cx.caller.account))?;
        Ok(GetPolicyOutput {
            password_policy: WirePasswordPolicy {
                minimum_password_length: p.minimum_length,
                require_symbols: p.require_symbols,
                require_numbers: p.require_numbers,
                require_uppercase_characters: p.require_uppercase,
                require_lowercase_characters: p.require_lowercase,
                allow_users_to_change_password: p.allow_users_to_change,
                expire_passwords: p.max_age_days.is_some(),
                max_password_age: p.max_age_days,
                password_reuse_prevention: p.reuse_prevention,
                hard_expiry: p.hard_expiry,
            },
        })
    })
}

pub(super) fn delete_account_password_policy(cx: &Cx<'_>, _: Empty) -> Result<(), Error> {
    cx.service.write(|state| {
        let action = Action::DeleteAccountPasswordPolicy.iam_action();
        cx.authorize(state, action, "*", &[], &[])?;
        if policy(cx, state)?.is_none() {
            return Err(no_password_policy(&cx.caller.account));
        }
        Ok((
            vec![Mutation::DeletePasswordPolicy {
                account: cx.caller.account,
            }],
            (),
        ))
    })
}
