//! What AssumeRoleWithSAML reads from a verified assertion (session name, source identity,
//! session duration, session tags) and the role's trust decision for it: a `WebIdentityUser`
//! named by the provider's ARN, with the `saml:*` keys AWS documents and
//! `aws:FederatedProvider`.

use std::sync::Arc;

use warden_policy::{Context, Policies, PolicySet, Principal, Request};

use super::saml::tags_of;
use crate::action::{Action, SET_SOURCE_IDENTITY, TAG_SESSION};
use crate::authz::request_tag_keys;
use crate::error::Error;
use crate::model::{Role, SamlProvider, Tag, iam_arn};
use crate::service::{RequestInfo, Service};
use crate::time::iso8601;
use warden_saml::Assertion;

const ATTRIBUTES: &str = "https://aws.amazon.com/SAML/Attributes/";

/// The assertion's values that shape the session and the trust decision.
pub(super) struct Claims {
    pub session_name: String,
    pub source_identity: Option<String>,
    /// The `SessionDuration` attribute, used when the request sets no DurationSeconds.
    pub session_duration: Option<i64>,
    pub tags: Vec<Tag>,
    pub transitive_tag_keys: Vec<String>,
    /// `saml:*` condition keys and their values.
    keys: Vec<(&'static str, String)>,
}

/// Whether `value` matches `[\w+=,.@-]{2,64}`.
fn is_name(value: &str) -> bool {
    (2..=64).contains(&value.chars().count())
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_+=,.@-".contains(c))
}

fn single<'a>(assertion: &'a Assertion, name: &str) -> Option<&'a str> {
    assertion
        .attribute(&format!("{ATTRIBUTES}{name}"))
        .first()
        .copied()
}

impl Claims {
    /// Reads the claims, refusing them in AWS's words (InvalidIdentityToken).
    pub fn read(assertion: &Assertion, provider: &SamlProvider) -> Result<Claims, Error> {
        let invalid = |message: &str| Error::InvalidIdentityToken(message.to_owned());
        let session_name = single(assertion, "RoleSessionName")
            .ok_or_else(|| invalid("RoleSessionName is required in AuthnResponse"))?;
        if !is_name(session_name) {
            return Err(invalid(
                "RoleSessionName in AuthnResponse must match [a-zA-Z_0-9+=,.@-]{2,64}",
            ));
        }
        let source_identity = single(assertion, "SourceIdentity");
        if let Some(source) = source_identity
            && (!is_name(source) || source.to_ascii_lowercase().starts_with("aws:"))
        {
            return Err(invalid(
                "Source Identity must match [a-zA-Z_0-9+=,.@-]{2,64} and not begin with \"aws:\"",
            ));
        }
        let session_duration = match single(assertion, "SessionDuration") {
            Some(text) => Some(
                text.parse::<i64>()
                    .ok()
                    .filter(|s| (900..=43_200).contains(s))
                    .ok_or_else(|| {
                        invalid("SessionDuration in AuthnResponse must be a number of seconds from 900 to 43200")
                    })?,
            ),
            None => None,
        };
        let (tags, transitive_tag_keys) = tags_of(assertion)?;
        let keys = vec![
            ("saml:aud", assertion.recipient.clone()),
            ("saml:iss", assertion.issuer.clone()),
            ("saml:sub", assertion.subject.clone()),
            ("saml:sub_type", assertion.subject_type()),
            (
                "saml:namequalifier",
                assertion.name_qualifier(&provider.account, &provider.name),
            ),
        ];
        Ok(Claims {
            session_name: session_name.to_owned(),
            source_identity: source_identity.map(str::to_owned),
            session_duration,
            tags,
            transitive_tag_keys,
            keys,
        })
    }
}

/// Whether `role`'s trust policy lets the assertion's subject assume it, tag the session
/// (when the assertion carries tags) and set its source identity (when it carries one).
pub(super) fn trusts(
    service: &Service,
    info: &RequestInfo,
    role: &Role,
    provider: &SamlProvider,
    claims: &Claims,
) -> bool {
    let document = role.bound_trust.as_ref().unwrap_or(&role.trust);
    let role_arn = iam_arn(&role.account, "role", &role.path, &role.name);
    let trust = PolicySet::from_policies([(
        format!("{role_arn} trust policy"),
        Arc::clone(&document.policy),
    )]);
    let provider_arn = provider.arn();
    let principal = Principal::web_identity(&provider_arn, &role.account);
    let context = context(service, info, role, &provider_arn, claims);
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
    allows(Action::AssumeRoleWithSAML.iam_action())
        && (claims.tags.is_empty() || allows(TAG_SESSION))
        && (claims.source_identity.is_none() || allows(SET_SOURCE_IDENTITY))
}

/// The request context of the trust decision: the request's keys, the role's, and the
/// assertion's.
fn context(
    service: &Service,
    info: &RequestInfo,
    role: &Role,
    provider_arn: &str,
    claims: &Claims,
) -> Context {
    let mut context = Context::new();
    let now = service.now();
    context.insert("aws:CurrentTime", iso8601(now));
    context.insert("aws:EpochTime", now.to_string());
    let secure = if info.secure_transport {
        "true"
    } else {
        "false"
    };
    context.insert("aws:SecureTransport", secure);
    context.insert("aws:RequestedRegion", info.region.as_str());
    if let Some(ip) = info.source_ip {
        context.insert("aws:SourceIp", ip.to_string());
    }
    if let Some(agent) = &info.user_agent {
        context.insert("aws:UserAgent", agent.as_str());
    }
    context.insert("aws:PrincipalType", "WebIdentityUser");
    context.insert("aws:FederatedProvider", provider_arn);
    context.insert("aws:ResourceAccount", role.account.as_str());
    for tag in &role.tags {
        context.insert(&format!("aws:ResourceTag/{}", tag.key), tag.value.as_str());
    }
    context.insert("sts:RoleSessionName", claims.session_name.as_str());
    if let Some(source) = &claims.source_identity {
        context.insert("sts:SourceIdentity", source.as_str());
    }
    if !claims.tags.is_empty() {
        for (key, value) in request_tag_keys(&claims.tags) {
            context.insert(&key, value);
        }
    }
    if !claims.transitive_tag_keys.is_empty() {
        context.insert("sts:TransitiveTagKeys", claims.transitive_tag_keys.clone());
    }
    for (key, value) in &claims.keys {
        context.insert(key, value.as_str());
    }
    context
}
