//! STS AssumeRole: a role session for an IAM user, a user's session or another role session
//! (role chaining), in the role's account or across accounts.
//!
//! One engine decision on `sts:AssumeRole`, resource the role's ARN: the role's trust policy
//! (as bound to unique ids) is the resource policy, evaluated with trust semantics, and the
//! caller's identity policies, boundary and session policies take part. A trust policy naming
//! the caller grants on its own in the role's account; naming the account delegates to the
//! caller's identity policies; across accounts both sides must allow. Session tags also need
//! `sts:TagSession`, a source identity `sts:SetSourceIdentity`, decided the same way.

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use warden_policy::Context;

use super::session_input::{
    PolicyArn, check_external_id, check_name, check_range, check_session_policies, invalid,
    packed_size, session_tags,
};
use super::{AssumedRoleUser, WireCredentials, check_max_session, start_role_session};
use crate::action::{Action, SET_SOURCE_IDENTITY, TAG_SESSION};
use crate::arn::{Arn, EntityKind};
use crate::authz::{Target, insert_resource_keys, request_tag_keys, trust_policy};
use crate::error::Error;
use crate::model::{AccountId, Role, Tag};
use crate::ops::WireTag;
use crate::service::{Cx, Identity};
use crate::sessions::{Session, SessionKind};
use crate::state::State;

/// AssumeRole's default session length, and the cap for role chaining.
const ONE_HOUR: i64 = 3600;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(in crate::ops) struct AssumeRoleInput {
    role_arn: String,
    role_session_name: String,
    #[serde(default)]
    policy_arns: Vec<PolicyArn>,
    policy: Option<String>,
    duration_seconds: Option<i64>,
    #[serde(default)]
    tags: Vec<WireTag>,
    #[serde(default)]
    transitive_tag_keys: Vec<String>,
    external_id: Option<String>,
    serial_number: Option<String>,
    token_code: Option<String>,
    source_identity: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub(in crate::ops) struct AssumeRoleOutput {
    credentials: WireCredentials,
    assumed_role_user: AssumedRoleUser,
    #[serde(skip_serializing_if = "Option::is_none")]
    packed_policy_size: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    source_identity: Option<String>,
}

pub(in crate::ops) fn assume_role(
    cx: &Cx<'_>,
    input: AssumeRoleInput,
) -> Result<AssumeRoleOutput, Error> {
    if cx.caller.identity.acts_as_root() {
        return Err(Error::AccessDenied(
            "Roles may not be assumed by root accounts.".to_owned(),
        ));
    }
    check_name(&input.role_session_name, "roleSessionName", 64)?;
    if let Some(external_id) = &input.external_id {
        check_external_id(external_id)?;
    }
    if let Some(source) = &input.source_identity {
        check_name(source, "sourceIdentity", 64)?;
        if source.to_ascii_lowercase().starts_with("aws:") {
            return Err(invalid(
                source,
                "sourceIdentity",
                "Member must not begin with aws:",
            ));
        }
    }
    let (role_account, path, name) = parse_role_arn(&input.role_arn)?;
    let calling = match &cx.caller.identity {
        Identity::Session(session) => Some(Arc::clone(session)),
        _ => None,
    };
    let source_identity = match (
        calling.as_ref().and_then(|s| s.source_identity.clone()),
        &input.source_identity,
    ) {
        (Some(kept), Some(asked)) if kept != *asked => {
            return Err(Error::ValidationError(format!(
                "The source identity `{kept}` of the calling session cannot be changed to `{asked}`."
            )));
        }
        (kept, asked) => kept.or_else(|| asked.clone()),
    };
    // The code is checked, and its use committed, before the decision that reads it.
    let mfa_time = crate::ops::mfa::use_caller_code_if_given(
        cx,
        input.serial_number.as_deref(),
        input.token_code.as_deref(),
    )?;
    cx.service.read(|state| {
        let cached = cx.cached_caller(state)?;
        let role = state
            .account(&role_account)
            .and_then(|a| a.role(&name))
            .filter(|r| r.path.as_str() == path && r.name.as_str() == name);
        let trust = role.map(|r| trust_policy(r).1);
        let mut context = cx.context(&cached);
        add_request_keys(
            &mut context,
            &input,
            role,
            &role_account,
            source_identity.as_deref(),
        );
        if mfa_time.is_some() {
            context.insert("aws:MultiFactorAuthPresent", "true");
            context.insert("aws:MultiFactorAuthAge", "0");
        }
        let decide = |action: &str| {
            let target = Target {
                action,
                resource: &input.role_arn,
                shown: &|| input.role_arn.clone(),
                account: &role_account,
            };
            cx.authorizer().assume_role(
                &cached,
                &context,
                trust.as_ref(),
                &target,
                &cx.caller.account,
            )
        };
        decide(Action::AssumeRole.iam_action())?;
        if !input.tags.is_empty() || !input.transitive_tag_keys.is_empty() {
            decide(TAG_SESSION)?;
        }
        if source_identity.is_some() {
            decide(SET_SOURCE_IDENTITY)?;
        }
        let Some(role) = role else {
            return Err(Error::Internal(
                "a trust policy allowed a role that does not exist".to_owned(),
            ));
        };
        issue(
            cx,
            state,
            role,
            input,
            calling.as_deref(),
            source_identity,
            mfa_time,
        )
    })
}

/// The keys AssumeRole adds to the caller's context: the role's account and tags, the session
/// name, ExternalId, source identity, and the session tags asked for.
fn add_request_keys(
    context: &mut Context,
    input: &AssumeRoleInput,
    role: Option<&Role>,
    account: &str,
    source: Option<&str>,
) {
    insert_resource_keys(
        context,
        account,
        role.map(|r| r.tags.as_slice()).unwrap_or_default(),
    );
    context.insert("sts:RoleSessionName", input.role_session_name.as_str());
    if let Some(external_id) = &input.external_id {
        context.insert("sts:ExternalId", external_id.as_str());
    }
    if let Some(source) = source {
        context.insert("sts:SourceIdentity", source);
    }
    if !input.tags.is_empty() {
        let tags: Vec<Tag> = input
            .tags
            .iter()
            .map(|t| Tag {
                key: t.key.clone(),
                value: t.value.clone(),
            })
            .collect();
        for (key, value) in request_tag_keys(&tags) {
            context.insert(&key, value);
        }
    }
    if !input.transitive_tag_keys.is_empty() {
        context.insert("sts:TransitiveTagKeys", input.transitive_tag_keys.clone());
    }
}

/// Checks what depends on the role (duration, session policies, tags) and issues the session.
fn issue(
    cx: &Cx<'_>,
    state: &State,
    role: &Role,
    input: AssumeRoleInput,
    calling: Option<&Session>,
    source_identity: Option<String>,
    mfa_time: Option<crate::time::Timestamp>,
) -> Result<AssumeRoleOutput, Error> {
    let chained = calling.is_some_and(|s| s.kind == SessionKind::Role);
    let duration = check_range(
        input.duration_seconds.unwrap_or(ONE_HOUR),
        "durationSeconds",
        900,
        43_200,
    )?;
    check_max_session(role, duration)?;
    if chained && duration > ONE_HOUR {
        return Err(Error::ValidationError(
            "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining."
                .to_owned(),
        ));
    }
    let policy_arns = check_session_policies(
        state,
        &role.account,
        input.policy.as_deref(),
        &input.policy_arns,
    )?;
    let (inherited, inherited_keys) = match calling {
        Some(session) => (
            transitive_tags(session),
            session.transitive_tag_keys.clone(),
        ),
        None => (Vec::new(), Vec::new()),
    };
    let (tags, transitive_tag_keys) = session_tags(
        &input.tags,
        &input.transitive_tag_keys,
        &inherited,
        &inherited_keys,
    )?;
    let packed_policy_size = packed_size(input.policy.as_deref(), &policy_arns, &tags)?;
    let now = cx.service.now();
    let session = Session {
        kind: SessionKind::Role,
        account: role.account,
        principal_id: Some(role.id.clone()),
        name: input.role_session_name.clone(),
        issued: now,
        expires: now + duration,
        policy: input.policy,
        policy_arns,
        tags,
        transitive_tag_keys,
        source_identity: source_identity.clone(),
        mfa_time: mfa_time.or_else(|| calling.and_then(|s| s.mfa_time)),
        chained,
    };
    let (credentials, assumed_role_user) =
        start_role_session(cx.service, &cx.info.region, role, &session)?;
    Ok(AssumeRoleOutput {
        credentials,
        assumed_role_user,
        packed_policy_size,
        source_identity,
    })
}

/// The calling session's tags that pass on to the next session in a role chain.
fn transitive_tags(session: &Session) -> Vec<Tag> {
    session
        .tags
        .iter()
        .filter(|t| {
            session
                .transitive_tag_keys
                .iter()
                .any(|k| k.eq_ignore_ascii_case(&t.key))
        })
        .cloned()
        .collect()
}

/// `arn:aws:iam::ACCOUNT:role/PATH/NAME` → (account, `/PATH/`, name).
pub(super) fn parse_role_arn(arn: &str) -> Result<(AccountId, String, String), Error> {
    let malformed = || {
        invalid(
            arn,
            "roleArn",
            "Member must be the ARN of an IAM role (arn:aws:iam::ACCOUNT:role/NAME)",
        )
    };
    match Arn::parse(arn) {
        Ok(Arn::Entity {
            account,
            kind: EntityKind::Role,
            path,
            name,
        }) => {
            // The ARN's parse checked the account already; this makes it an AccountId.
            let account = AccountId::parse(account).ok_or_else(malformed)?;
            Ok((account, path.to_owned(), name.to_owned()))
        }
        _ => Err(malformed()),
    }
}
