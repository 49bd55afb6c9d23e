//! What AssumeRoleWithSAML reads from a verified assertion (session name, source identity,
//! session duration, session tags) and the role's trust decision for it: a `WebIdentityUser`
//! named by the provider's ARN, with the `saml:*` keys AWS documents and
//! `aws:FederatedProvider`.

use warden_policy::Context;

use super::saml::tags_of;
use crate::action::{SET_SOURCE_IDENTITY, TAG_SESSION};
use crate::authz::{Authorizer, Federation, request_tag_keys};
use crate::error::Error;
use crate::model::{Role, SamlProvider, Tag};
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
/// (when the assertion carries tags) and set its source identity (when it carries one),
/// with the assertion's keys in the context.
pub(super) fn trusts(
    authorizer: Authorizer<'_>,
    role: &Role,
    provider: &SamlProvider,
    claims: &Claims,
) -> Result<(), Error> {
    let mut also = Vec::with_capacity(2);
    if !claims.tags.is_empty() {
        also.push(TAG_SESSION);
    }
    if claims.source_identity.is_some() {
        also.push(SET_SOURCE_IDENTITY);
    }
    authorizer.federated(
        Federation::Saml,
        role,
        &provider.arn(),
        &claims.session_name,
        |context| claim_keys(context, claims),
        &also,
    )
}

/// The assertion's keys: the source identity, the session tags asked for, and `saml:*`.
fn claim_keys(context: &mut Context, claims: &Claims) {
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
}
