//! Who a session is when it signs a request: its principal and the current policies of its
//! role or user ([`caller_policies`]), then the session policies of its token and the context
//! keys temporary credentials add ([`session_layer`], [`request_keys`]).

use std::sync::Arc;

use warden_policy::{Context, Policy, PolicyKind, PolicySet, Principal, PrincipalKind};

use super::{CallerPolicies, user_caller, user_policies};
use crate::arn::Arn;
use crate::caller::{Identity, Session, SessionKind};
use crate::error::Error;
use crate::model::{ManagedPolicy, Role, Tag};
use crate::service::Cx;
use crate::state::State;
use crate::time::iso8601;

/// What a federated user of the root user starts from: everything, before its session policy.
const ROOT_POLICY: &str =
    r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}"#;

fn gone() -> Error {
    Error::InvalidClientTokenId("The security token included in the request is invalid".to_owned())
}

/// The principal of a session and the identity-based policies and boundary it acts with,
/// from the current state: a session of a deleted role or user is refused.
pub(crate) fn caller_policies(state: &State, session: &Session) -> Result<CallerPolicies, Error> {
    let account_id = &session.account;
    let account = state.account(account_id).ok_or_else(gone)?;
    let user = match &session.principal_id {
        Some(id) if session.kind != SessionKind::Role => {
            Some(account.user_by_id(id).ok_or_else(gone)?)
        }
        _ => None,
    };
    Ok(match (session.kind, user) {
        (SessionKind::Role, _) => {
            let id = session.principal_id.as_deref().ok_or_else(gone)?;
            let role = account.role_by_id(id).ok_or_else(gone)?;
            role_session(state, role, session)
        }
        (SessionKind::User, Some(user)) => user_caller(state, account, user),
        (SessionKind::User, None) => CallerPolicies::root(account_id),
        (SessionKind::Federated, user) => {
            let (identity, boundary, tags) = match user {
                Some(user) => {
                    let (identity, boundary) = user_policies(state, account, user);
                    (identity, boundary, user.tags.clone())
                }
                None => {
                    let everything =
                        Policy::parse(ROOT_POLICY, PolicyKind::Identity).map_err(|e| {
                            Error::Internal(format!("the root policy does not parse: {e}"))
                        })?;
                    let set = PolicySet::from_policies([(
                        Arn::root(account_id).build(),
                        Arc::new(everything),
                    )]);
                    (set, None, Vec::new())
                }
            };
            CallerPolicies {
                principal: Principal {
                    kind: PrincipalKind::FederatedUser,
                    account: account_id.to_string(),
                    arn: Arn::FederatedUser {
                        account: account_id,
                        name: &session.name,
                    }
                    .build(),
                    role_arn: None,
                    id: None,
                },
                identity,
                boundary,
                tags: merge_tags(&tags, &session.tags),
                user_name: None,
            }
        }
    })
}

/// The session policies of `identity`'s session, if it is one and was given any, after adding
/// to `context` the keys its token implies: `aws:TokenIssueTime`,
/// `aws:MultiFactorAuthPresent`, `aws:SourceIdentity`, and a session's own `aws:userid`
/// (`AROA…:SESSION` for a role session, `ACCOUNT:NAME` for a federated user).
pub(crate) fn session_layer(
    state: &State,
    identity: &Identity,
    context: &mut Context,
) -> Option<PolicySet> {
    let Identity::Session(session) = identity else {
        return None;
    };
    context.insert("aws:TokenIssueTime", iso8601(session.issued));
    context.insert(
        "aws:MultiFactorAuthPresent",
        if session.mfa_time.is_some() {
            "true"
        } else {
            "false"
        },
    );
    if let Some(source) = &session.source_identity {
        context.insert("aws:SourceIdentity", source.as_str());
    }
    match session.kind {
        SessionKind::Role => {
            let role = session.principal_id.as_deref().unwrap_or_default();
            context.insert("aws:userid", format!("{role}:{}", session.name));
        }
        SessionKind::Federated => context.insert(
            "aws:userid",
            format!("{}:{}", session.account, session.name),
        ),
        SessionKind::User => {}
    }
    session_policies(state, session)
}

/// A role session: the role's current policies and boundary, its tags overridden by the
/// session's, and the session policies.
fn role_session(state: &State, role: &Role, session: &Session) -> CallerPolicies {
    let role_arn = Arn::role(&role.account, &role.path, &role.name).build();
    let mut identity = PolicySet::new();
    for inline in &role.inline {
        identity.insert(
            format!("{role_arn} inline policy {}", inline.name),
            Arc::clone(&inline.document.policy),
        );
    }
    add_managed(&mut identity, state, &role.attached);
    let boundary = role.boundary.as_ref().map(|arn| {
        // A boundary whose policy is gone allows nothing, rather than lifting the ceiling.
        let mut set = PolicySet::new();
        add_managed(&mut set, state, std::slice::from_ref(arn));
        set
    });
    CallerPolicies {
        principal: Principal {
            kind: PrincipalKind::AssumedRole,
            account: role.account.to_string(),
            arn: Arn::AssumedRole {
                account: &role.account,
                role: &role.name,
                session: &session.name,
            }
            .build(),
            role_arn: Some(role_arn),
            id: Some(role.id.to_string()),
        },
        identity,
        boundary,
        tags: merge_tags(&role.tags, &session.tags),
        user_name: None,
    }
}

fn add_managed(set: &mut PolicySet, state: &State, arns: &[String]) {
    for arn in arns {
        if let Some(document) = state
            .managed_policy(arn)
            .and_then(ManagedPolicy::default_document)
        {
            set.insert(arn.clone(), Arc::clone(&document.policy));
        }
    }
}

/// The session policies, if the session was given any. A managed session policy that has
/// since been deleted allows nothing.
fn session_policies(state: &State, session: &Session) -> Option<PolicySet> {
    if session.policy.is_none() && session.policy_arns.is_empty() {
        return None;
    }
    let mut set = PolicySet::new();
    if let Some(policy) = session
        .policy
        .as_deref()
        .and_then(|text| Policy::parse(text, PolicyKind::Session).ok())
    {
        set.insert("session policy", Arc::new(policy));
    }
    add_managed(&mut set, state, &session.policy_arns);
    Some(set)
}

/// `base` with `session` tags added, a session tag replacing a base tag of the same key
/// (keys compare case-insensitively).
fn merge_tags(base: &[Tag], session: &[Tag]) -> Vec<Tag> {
    let mut tags: Vec<Tag> = base
        .iter()
        .filter(|t| !session.iter().any(|s| s.key.eq_ignore_ascii_case(&t.key)))
        .cloned()
        .collect();
    tags.extend(session.iter().cloned());
    tags
}

/// Context keys that depend on the time of the request: `aws:MultiFactorAuthAge`.
pub(crate) fn request_keys(cx: &Cx<'_>, context: &mut Context, now: i64) {
    if let Identity::Session(session) = &cx.caller.identity
        && let Some(mfa_time) = session.mfa_time
    {
        let age = now.saturating_sub(mfa_time).max(0);
        context.insert("aws:MultiFactorAuthAge", age.to_string());
    }
}
