//! Authorization of every operation: the caller's principal and policies from the current
//! state, the request context AWS documents, and one decision by the policy engine.

use std::borrow::Cow;
use std::sync::Arc;

use warden_policy::{Context, ContextValue, Policy, PolicySet, Principal, PrincipalKind};

use crate::arn::{Arn, EntityKind};
use crate::caller::Identity;
use crate::caller_cache::RequestFacts;
pub(crate) use crate::caller_cache::{CachedCaller, CallerPolicies};
use crate::error::Error;
use crate::managed::AWS_ACCOUNT;
use crate::model::{Group, InlinePolicy, ManagedPolicy, Role, Tag, User};
use crate::service::Cx;
use crate::state::{AccountState, State};

mod authorizer;
mod message;
mod session;

pub(crate) use authorizer::{
    Authorizer, Federation, Target, insert_resource_keys, insert_target_keys, no_resource_policy,
    trust_policy,
};
pub(crate) use message::opened_message;

impl State {
    /// A managed policy by ARN: customer managed (`arn:aws:iam::ACCT:policy/PATH/NAME`) or
    /// AWS managed (`arn:aws:iam::aws:policy/PATH/NAME`).
    pub fn managed_policy(&self, arn: &str) -> Option<&ManagedPolicy> {
        let Ok(Arn::Entity {
            account,
            kind: EntityKind::Policy,
            path,
            name,
        }) = Arn::parse(arn)
        else {
            return None;
        };
        let policy = self.account(account)?.policy(name)?;
        (path == policy.path.as_str()).then_some(policy)
    }
}

/// Where an identity-based policy of a principal comes from, as the policy simulator names it
/// (botocore's `PolicySourceType`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum PolicySource {
    User,
    Group,
    Role,
    AwsManaged,
    UserManaged,
}

impl PolicySource {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            PolicySource::User => "user",
            PolicySource::Group => "group",
            PolicySource::Role => "role",
            PolicySource::AwsManaged => "aws-managed",
            PolicySource::UserManaged => "user-managed",
        }
    }
}

/// One identity-based policy in force for a principal.
pub(crate) struct HeldPolicy<'s> {
    /// Its id in the principal's policy set: a managed policy's ARN, or
    /// `HOLDER-ARN inline policy NAME`.
    pub id: String,
    /// The inline or managed policy's name.
    pub name: &'s str,
    pub source: PolicySource,
    pub policy: &'s Arc<Policy>,
}

fn held_inline<'s>(
    held: &mut Vec<HeldPolicy<'s>>,
    holder_arn: &str,
    source: PolicySource,
    inline: &'s [InlinePolicy],
) {
    held.extend(inline.iter().map(|inline| HeldPolicy {
        id: format!("{holder_arn} inline policy {}", inline.name),
        name: &inline.name,
        source,
        policy: &inline.document.policy,
    }));
}

/// The default version of each attached managed policy.
fn held_managed<'s>(held: &mut Vec<HeldPolicy<'s>>, state: &'s State, attached: &[String]) {
    for arn in attached {
        let Some(managed) = state.managed_policy(arn) else {
            continue;
        };
        if let Some(document) = managed.default_document() {
            let source = if managed.account == AWS_ACCOUNT {
                PolicySource::AwsManaged
            } else {
                PolicySource::UserManaged
            };
            held.push(HeldPolicy {
                id: arn.clone(),
                name: &managed.name,
                source,
                policy: &document.policy,
            });
        }
    }
}

/// A user's identity-based policies: its own inline and attached ones, then each group's.
pub(crate) fn user_held<'s>(
    state: &'s State,
    account: &'s AccountState,
    user: &'s User,
) -> Vec<HeldPolicy<'s>> {
    let mut held = Vec::new();
    let user_arn = Arn::user(&user.account, &user.path, &user.name).build();
    held_inline(&mut held, &user_arn, PolicySource::User, &user.inline);
    held_managed(&mut held, state, &user.attached);
    for group_id in &user.groups {
        if let Some(group) = account.group_by_id(group_id) {
            held.extend(group_held(state, group));
        }
    }
    held
}

/// A group's inline and attached policies.
pub(crate) fn group_held<'s>(state: &'s State, group: &'s Group) -> Vec<HeldPolicy<'s>> {
    let mut held = Vec::new();
    let group_arn = Arn::group(&group.account, &group.path, &group.name).build();
    held_inline(&mut held, &group_arn, PolicySource::Group, &group.inline);
    held_managed(&mut held, state, &group.attached);
    held
}

/// A role's inline and attached policies.
pub(crate) fn role_held<'s>(state: &'s State, role: &'s Role) -> Vec<HeldPolicy<'s>> {
    let mut held = Vec::new();
    let role_arn = Arn::role(&role.account, &role.path, &role.name).build();
    held_inline(&mut held, &role_arn, PolicySource::Role, &role.inline);
    held_managed(&mut held, state, &role.attached);
    held
}

fn single_policy(state: &State, arn: Option<&String>) -> Option<PolicySet> {
    let arn = arn?;
    let mut held = Vec::new();
    // A boundary whose policy is gone allows nothing, rather than lifting the ceiling.
    held_managed(&mut held, state, std::slice::from_ref(arn));
    Some(held_set(held))
}

fn held_set(held: Vec<HeldPolicy<'_>>) -> PolicySet {
    PolicySet::from_policies(held.into_iter().map(|h| (h.id, Arc::clone(h.policy))))
}

pub(crate) fn user_policies(
    state: &State,
    account: &AccountState,
    user: &User,
) -> (PolicySet, Option<PolicySet>) {
    let identity = held_set(user_held(state, account, user));
    (identity, single_policy(state, user.boundary.as_ref()))
}

/// An IAM user as a caller: its principal, and the identity-based policies and boundary it
/// acts with (its own credentials, or a session of its own made by GetSessionToken).
pub(crate) fn user_caller(state: &State, account: &AccountState, user: &User) -> CallerPolicies {
    let (identity, boundary) = user_policies(state, account, user);
    CallerPolicies {
        principal: Principal {
            kind: PrincipalKind::User,
            account: user.account.to_string(),
            arn: Arn::user(&user.account, &user.path, &user.name).build(),
            role_arn: None,
            id: Some(user.id.to_string()),
        },
        identity,
        boundary,
        tags: user.tags.clone(),
        user_name: Some(user.name.to_string()),
    }
}

impl Cx<'_> {
    /// The caller's policies and base context, from the cache when the state has not changed
    /// since they were built.
    pub(crate) fn cached_caller(&self, state: &State) -> Result<Arc<CachedCaller>, Error> {
        let build = || {
            let policies = self.caller_policies(state)?;
            let mut base_context = principal_context(&policies);
            let session = session::session_layer(state, &self.caller.identity, &mut base_context);
            Ok(CachedCaller::new(
                state.generation,
                policies,
                session,
                base_context,
            ))
        };
        self.service
            .callers
            .get_or_build(self.caller, state.generation, build)
    }

    pub(crate) fn caller_policies(&self, state: &State) -> Result<CallerPolicies, Error> {
        let account_id = &self.caller.account;
        match &self.caller.identity {
            Identity::Root => Ok(CallerPolicies::root(account_id)),
            Identity::User { id } => {
                let account = state.account(account_id).ok_or_else(|| {
                    Error::InvalidClientTokenId(
                        "The security token included in the request is invalid.".to_owned(),
                    )
                })?;
                let user = account.user_by_id(id).ok_or_else(|| {
                    Error::InvalidClientTokenId(
                        "The security token included in the request is invalid.".to_owned(),
                    )
                })?;
                Ok(user_caller(state, account, user))
            }
            Identity::Session(session) => session::caller_policies(state, session),
        }
    }

    /// The request context of this caller and request, before resource-specific keys.
    pub(crate) fn context(&self, caller: &CachedCaller) -> Context {
        self.context_at(caller, self.service.now())
    }

    fn context_at(&self, caller: &CachedCaller, now: i64) -> Context {
        let mut context = caller.base_context.clone();
        self.authorizer().insert_request_keys_at(&mut context, now);
        session::request_keys(self, &mut context, now);
        context
    }

    /// The request context of a decision on `target`, with the resource's tags and `extra`:
    /// built afresh, or, when there are neither tags nor extra keys, shared with the caller's
    /// previous request if it was made in the same second with the same facts.
    fn request_context(
        &self,
        cached: &CachedCaller,
        target: &Target<'_>,
        resource_tags: &[Tag],
        extra: &[(String, ContextValue)],
    ) -> Arc<Context> {
        let now = self.service.now();
        let iam = target.action.starts_with("iam:");
        let build = || {
            let mut context = self.context_at(cached, now);
            insert_target_keys(&mut context, target, resource_tags);
            for (key, value) in extra {
                context.insert(key, value.clone());
            }
            Arc::new(context)
        };
        if !resource_tags.is_empty() || !extra.is_empty() {
            return build();
        }
        let same = |facts: &RequestFacts| {
            facts.now == now
                && facts.iam == iam
                && facts.secure_transport == self.info.secure_transport
                && facts.source_ip == self.info.source_ip
                && facts.region == self.info.region
                && facts.user_agent == self.info.user_agent
        };
        let facts = || RequestFacts {
            now,
            secure_transport: self.info.secure_transport,
            region: self.info.region.clone(),
            source_ip: self.info.source_ip,
            user_agent: self.info.user_agent.clone(),
            iam,
        };
        cached.shared_context(same, || (facts(), build()))
    }

    /// The authorizer of this request.
    pub(crate) fn authorizer(&self) -> Authorizer<'_> {
        Authorizer::new(self.service, self.info)
    }

    /// Authorizes `action` on `resource` (an ARN in the caller's account). `resource_tags`
    /// are the target's tags (`aws:ResourceTag/…`); `extra` adds operation-specific keys.
    pub(crate) fn authorize(
        &self,
        state: &State,
        action: &str,
        resource: &str,
        resource_tags: &[Tag],
        extra: &[(String, ContextValue)],
    ) -> Result<(), Error> {
        self.authorize_shown(
            state,
            action,
            resource,
            || resource.to_owned(),
            resource_tags,
            extra,
        )
    }

    /// Authorizes `action` on the entity a name or ARN from the request resolved to. IAM finds
    /// names case-insensitively but policies match ARNs case-sensitively, so what is authorized
    /// is the entity's own ARN (its stored name and path, with its tags), whatever spelling
    /// found it: a Deny on that ARN holds for every spelling. When nothing was found, `asked`
    /// (the ARN as the request spells it) is authorized instead, so a denied caller learns
    /// nothing about existence. Returns `found`, for the operation to act on.
    pub(crate) fn authorize_resolved<'s, T: Resource>(
        &self,
        state: &State,
        action: &str,
        found: Option<&'s T>,
        asked: &str,
        extra: &[(String, ContextValue)],
    ) -> Result<Option<&'s T>, Error> {
        let arn = found.map_or(Cow::Borrowed(asked), |found| Cow::Owned(found.arn()));
        let tags = found.map(Resource::tags).unwrap_or_default();
        self.authorize_shown(state, action, &arn, || T::shown(&arn), tags, extra)?;
        Ok(found)
    }

    /// [`Cx::authorize`] of an action the account may grant besides the caller's policies
    /// (see [`Authorizer::identity_granted`]), on the caller's own resource.
    pub(crate) fn authorize_granted(
        &self,
        state: &State,
        action: &str,
        resource: &str,
        resource_tags: &[Tag],
        granted: bool,
    ) -> Result<(), Error> {
        let cached = self.cached_caller(state)?;
        let shown = || resource.to_owned();
        let target = Target {
            action,
            resource,
            shown: &shown,
            account: &self.caller.account,
        };
        let context = self.request_context(&cached, &target, resource_tags, &[]);
        self.authorizer()
            .identity_granted(&cached, &context, &target, granted)
    }

    /// [`Cx::authorize`], with the resource named `shown()` in the AccessDenied message.
    fn authorize_shown(
        &self,
        state: &State,
        action: &str,
        resource: &str,
        shown: impl Fn() -> String,
        resource_tags: &[Tag],
        extra: &[(String, ContextValue)],
    ) -> Result<(), Error> {
        let cached = self.cached_caller(state)?;
        let target = Target {
            action,
            resource,
            shown: &shown,
            account: &self.caller.account,
        };
        let context = self.request_context(&cached, &target, resource_tags, extra);
        self.authorizer().identity(&cached, &context, &target)
    }
}

/// Something an operation acts on, found by a name or ARN from the request.
pub(crate) trait Resource {
    /// Its ARN as stored: its own name and path, however the request spelled them.
    fn arn(&self) -> String;

    /// Its tags (`aws:ResourceTag/…`).
    fn tags(&self) -> &[Tag] {
        &[]
    }

    /// How AWS's AccessDenied messages name a resource of this kind with ARN `arn`.
    fn shown(arn: &str) -> String {
        arn.to_owned()
    }
}

/// The context keys that follow from who the caller is.
fn principal_context(caller: &CallerPolicies) -> Context {
    principal_keys(&caller.principal, caller.user_name.as_deref(), &caller.tags)
}

/// The context keys that follow from who a principal is: its ARN, account, type and unique
/// id, a user's name, and its tags.
pub(crate) fn principal_keys(
    principal: &Principal,
    user_name: Option<&str>,
    tags: &[Tag],
) -> Context {
    let mut context = Context::new();
    context.insert("aws:PrincipalArn", principal.principal_arn());
    context.insert("aws:PrincipalAccount", principal.account.as_str());
    context.insert("aws:PrincipalType", principal.kind.as_str());
    match principal.kind {
        PrincipalKind::Root => context.insert("aws:userid", principal.account.as_str()),
        _ => {
            if let Some(id) = &principal.id {
                context.insert("aws:userid", id.as_str());
            }
        }
    }
    if let Some(name) = user_name {
        context.insert("aws:username", name);
    }
    for tag in tags {
        context.insert(&format!("aws:PrincipalTag/{}", tag.key), tag.value.as_str());
    }
    context.insert("aws:ViaAWSService", "false");
    context.insert("aws:PrincipalIsAWSService", "false");
    context
}

/// `aws:RequestTag/…` and `aws:TagKeys` for operations that carry tags.
pub(crate) fn request_tag_keys(tags: &[Tag]) -> Vec<(String, ContextValue)> {
    let mut keys: Vec<(String, ContextValue)> = tags
        .iter()
        .map(|t| {
            (
                format!("aws:RequestTag/{}", t.key),
                ContextValue::Single(t.value.clone()),
            )
        })
        .collect();
    keys.push((
        "aws:TagKeys".to_owned(),
        ContextValue::Multi(tags.iter().map(|t| t.key.clone()).collect()),
    ));
    keys
}

/// A policy document parsed for `kind`, with AWS's size limit checked.
pub(crate) fn parse_document(
    text: &str,
    kind: warden_policy::PolicyKind,
) -> Result<crate::model::Document, Error> {
    let size = warden_policy::limits::size(text);
    if size > kind.size_limit() {
        return Err(Error::LimitExceeded(format!(
            "Cannot exceed quota for PolicySize: {}",
            kind.size_limit()
        )));
    }
    crate::model::Document::parse(text, kind)
        .map_err(|e| Error::MalformedPolicyDocument(e.to_string()))
}
