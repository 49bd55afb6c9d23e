//! The one place the policy engine is called for a request: the request context every
//! decision shares, the decision itself, and AWS's AccessDenied wording for each way a request
//! is refused (identity requests, AssumeRole's trust, and the trust of SAML and web-identity
//! federation).

#[cfg(test)]
mod tests;

use std::sync::Arc;

use warden_policy::{Context, Decision, Policies, PolicySet, Principal, Request};

use super::CachedCaller;
use crate::action::Action;
use crate::arn::Arn;
use crate::error::Error;
use crate::model::{AccountId, Role, Tag};
use crate::service::{RequestInfo, Service};
use crate::time::iso8601;

/// Decides requests for one incoming call: what differs between call sites (the action, the
/// resource, its tags, operation-specific keys, which policies) is passed in; the context keys
/// of the request itself and the denial messages are built here.
#[derive(Clone, Copy)]
pub(crate) struct Authorizer<'a> {
    service: &'a Service,
    info: &'a RequestInfo,
}

/// What an identity-based decision is about.
pub(crate) struct Target<'r> {
    pub action: &'r str,
    /// The resource's ARN, as policies match it.
    pub resource: &'r str,
    /// The resource as AccessDenied messages name it (made only for a denial).
    pub shown: &'r dyn Fn() -> String,
    pub account: &'r str,
}

/// The STS operations whose caller an outside identity provider vouches for, decided by the
/// role's trust policy alone.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Federation {
    Saml,
    WebIdentity,
}

impl Federation {
    fn action(self) -> &'static str {
        match self {
            Federation::Saml => Action::AssumeRoleWithSAML.iam_action(),
            Federation::WebIdentity => Action::AssumeRoleWithWebIdentity.iam_action(),
        }
    }

    /// AWS's refusal: the same whether the role is missing or its trust policy says no.
    pub(crate) fn denied(self) -> Error {
        Error::AccessDenied(format!("Not authorized to perform {}", self.action()))
    }
}

impl<'a> Authorizer<'a> {
    pub(crate) fn new(service: &'a Service, info: &'a RequestInfo) -> Authorizer<'a> {
        Authorizer { service, info }
    }

    /// The keys of the request itself, whoever makes it: the time, the transport, the signed
    /// region, the source IP and the user agent.
    pub(crate) fn insert_request_keys(&self, context: &mut Context) {
        self.insert_request_keys_at(context, self.service.now());
    }

    /// [`Authorizer::insert_request_keys`] for a request made at `now`.
    pub(crate) fn insert_request_keys_at(&self, context: &mut Context, now: i64) {
        context.insert("aws:CurrentTime", iso8601(now));
        context.insert("aws:EpochTime", now.to_string());
        context.insert(
            "aws:SecureTransport",
            if self.info.secure_transport {
                "true"
            } else {
                "false"
            },
        );
        context.insert("aws:RequestedRegion", self.info.region.as_str());
        if let Some(ip) = self.info.source_ip {
            context.insert("aws:SourceIp", ip.to_string());
        }
        if let Some(agent) = &self.info.user_agent {
            context.insert("aws:UserAgent", agent.as_str());
        }
    }

    /// Decides `target` for a caller of this account by its identity policies, boundary and
    /// session policies; a denial is logged and answered in AWS's words.
    pub(crate) fn identity(
        &self,
        cached: &CachedCaller,
        context: &Context,
        target: &Target<'_>,
    ) -> Result<(), Error> {
        self.identity_granted(cached, context, target, false)
    }

    /// [`Authorizer::identity`], where the account itself may grant the action besides the
    /// caller's policies (`granted`: the password policy's AllowUsersToChangePassword lets
    /// users change their own password). The grant stands in for an identity-based allow
    /// only: an explicit deny still refuses, and so does a caller whose permissions boundary
    /// or session policies would have to allow too.
    pub(crate) fn identity_granted(
        &self,
        cached: &CachedCaller,
        context: &Context,
        target: &Target<'_>,
        granted: bool,
    ) -> Result<(), Error> {
        let caller = &cached.policies;
        let request = Request {
            principal: &caller.principal,
            action: target.action,
            resource: target.resource,
            resource_account: target.account,
            context,
        };
        let policies = Policies {
            identity: Some(&caller.identity),
            boundary: caller.boundary.as_ref(),
            session: cached.session.as_ref(),
            ..Policies::default()
        };
        let decision = policies.evaluate(&request);
        if decision.is_allowed() {
            return Ok(());
        }
        let only_identity = caller.boundary.is_none() && cached.session.is_none();
        if granted
            && only_identity
            && decision.reason
                == warden_policy::Reason::NoAllow(warden_policy::PolicyKind::Identity)
        {
            return Ok(());
        }
        self.log_identity_denial(&request, &decision);
        Err(Error::AccessDenied(decision.denial_message(
            &caller.principal.arn,
            target.action,
            &(target.shown)(),
        )))
    }

    fn log_identity_denial(&self, request: &Request<'_>, decision: &Decision<'_>) {
        let (principal, action, resource) =
            (&request.principal.arn, request.action, request.resource);
        match &decision.statement {
            Some(statement) => tracing::info!(
                request_id = %self.info.request_id,
                principal = %principal,
                action,
                resource,
                policy = statement.policy_id,
                statement = statement.index,
                sid = statement.sid.unwrap_or(""),
                "denied by an explicit deny"
            ),
            None => tracing::info!(
                request_id = %self.info.request_id,
                principal = %principal,
                action,
                resource,
                reason = ?decision.reason,
                "denied: nothing allows"
            ),
        }
    }

    /// Decides an action of AssumeRole on the role `target` names, for the caller of account
    /// `caller_account`: the caller's policies and the role's trust policy (absent when the
    /// role does not exist, which then denies). A denial carries the encoded authorization
    /// message when the role is in the caller's account, and AWS's bare sentence across
    /// accounts.
    pub(crate) fn assume_role(
        &self,
        cached: &CachedCaller,
        context: &Context,
        trust: Option<&PolicySet>,
        target: &Target<'_>,
        caller_account: &AccountId,
    ) -> Result<(), Error> {
        let request = Request {
            principal: &cached.policies.principal,
            action: target.action,
            resource: target.resource,
            resource_account: target.account,
            context,
        };
        let policies = Policies {
            identity: Some(&cached.policies.identity),
            boundary: cached.policies.boundary.as_ref(),
            session: cached.session.as_ref(),
            resource: trust,
            trust: true,
            ..Policies::default()
        };
        if policies.evaluate(&request).is_allowed() {
            return Ok(());
        }
        Err(self.trust_denied(&policies, &request, caller_account))
    }

    fn trust_denied(
        &self,
        policies: &Policies<'_>,
        request: &Request<'_>,
        caller_account: &AccountId,
    ) -> Error {
        let explanation = policies.explain(request);
        let why = match explanation.reason {
            warden_policy::Reason::ExplicitDeny(kind) => {
                format!("explicit deny in a {kind:?} policy")
            }
            warden_policy::Reason::NoAllow(kind) => format!("no {kind:?} policy allows"),
            warden_policy::Reason::Allowed => "allowed".to_owned(),
        };
        tracing::info!(
            request_id = %self.info.request_id,
            principal = %request.principal.arn,
            action = request.action,
            resource = request.resource,
            reason = %why,
            "denied"
        );
        if request.resource_account != caller_account {
            // AWS's words, without the reason: which policy refused would tell whether the
            // role exists and what its trust policy says.
            return Error::AccessDenied(format!(
                "User: {} is not authorized to perform: {} on resource: {}",
                request.principal.arn, request.action, request.resource
            ));
        }
        let decision = policies.evaluate(request);
        let message =
            decision.denial_message(&request.principal.arn, request.action, request.resource);
        match super::message::encoded_message(self.service, request, &explanation) {
            Some(encoded) => Error::AccessDenied(format!(
                "{message}. Encoded authorization failure message: {encoded}"
            )),
            None => Error::AccessDenied(message),
        }
    }

    /// Decides whether `role`'s trust policy lets the caller `provider_arn` vouches for assume
    /// it, for `kind`'s action and then each of `also` (`sts:TagSession`, …). The context is
    /// the request's keys, the role's, the session name, then what `claims` adds.
    pub(crate) fn federated(
        &self,
        kind: Federation,
        role: &Role,
        provider_arn: &str,
        session_name: &str,
        claims: impl FnOnce(&mut Context),
        also: &[&str],
    ) -> Result<(), Error> {
        let (role_arn, trust) = trust_policy(role);
        let principal = Principal::web_identity(provider_arn, &role.account);
        let mut context = Context::new();
        self.insert_request_keys(&mut context);
        context.insert("aws:PrincipalType", "WebIdentityUser");
        context.insert("aws:FederatedProvider", provider_arn);
        insert_resource_keys(&mut context, &role.account, &role.tags);
        context.insert("sts:RoleSessionName", session_name);
        claims(&mut context);
        let policies = Policies {
            resource: Some(&trust),
            trust: true,
            ..Policies::default()
        };
        let allows = |action: &str| {
            let request = Request {
                principal: &principal,
                action,
                resource: &role_arn,
                resource_account: &role.account,
                context: &context,
            };
            policies.evaluate(&request).is_allowed()
        };
        if allows(kind.action()) && also.iter().all(|action| allows(action)) {
            Ok(())
        } else {
            Err(kind.denied())
        }
    }
}

/// IAM is a global service: AWS evaluates `aws:RequestedRegion` as `us-east-1` for every IAM
/// action, whatever region the request was signed for (SDKs pointed at a custom endpoint sign
/// with their configured region, so any is accepted). STS keeps the signed region.
const IAM_REGION: &str = "us-east-1";

/// The keys that follow from what an identity request is about: the resource's account and
/// tags, and the region AWS decides an IAM action in.
pub(crate) fn insert_target_keys(context: &mut Context, target: &Target<'_>, tags: &[Tag]) {
    insert_resource_keys(context, target.account, tags);
    if target.action.starts_with("iam:") {
        context.insert("aws:RequestedRegion", IAM_REGION);
    }
}

/// The resource's account and tags (`aws:ResourceAccount`, `aws:ResourceTag/…`).
pub(crate) fn insert_resource_keys(context: &mut Context, account: &str, tags: &[Tag]) {
    context.insert("aws:ResourceAccount", account);
    for tag in tags {
        context.insert(&format!("aws:ResourceTag/{}", tag.key), tag.value.as_str());
    }
}

/// A role's ARN, and its trust policy (as bound to unique ids) as the one resource-based
/// policy of a trust decision.
pub(crate) fn trust_policy(role: &Role) -> (String, PolicySet) {
    let document = role.bound_trust.as_ref().unwrap_or(&role.trust);
    let arn = Arn::role(&role.account, &role.path, &role.name).build();
    let trust =
        PolicySet::from_policies([(format!("{arn} trust policy"), Arc::clone(&document.policy))]);
    (arn, trust)
}

/// AWS's refusal of an action on a resource whose resource-based policy is the only one that
/// could allow it (an AWS managed policy, for changes), named `shown`.
pub(crate) fn no_resource_policy(caller_arn: &str, action: &str, shown: &str) -> Error {
    Error::AccessDenied(format!(
        "User: {caller_arn} is not authorized to perform: {action} on resource: {shown} because no resource-based policy allows the {action} action"
    ))
}
