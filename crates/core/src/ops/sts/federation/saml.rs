//! STS AssumeRoleWithSAML: a role session for the bearer of a SAML response signed by an
//! identity provider that the role's account registered, without AWS credentials.
//!
//! The response must verify against the provider's metadata (see `warden_saml`), be
//! addressed to AWS (`urn:amazon:webservices`, `https://signin.aws.amazon.com/saml`) or to
//! this server's own sign-in URL, and name the requested role and provider as one of its
//! `https://aws.amazon.com/SAML/Attributes/Role` pairs. Then the role's trust policy decides,
//! for a `WebIdentityUser` caller named by the provider's ARN, with the `saml:*` keys and
//! `aws:FederatedProvider`; session tags also need `sts:TagSession`, a source identity
//! `sts:SetSourceIdentity`.
//!
//! An assertion gives one session: once everything else has allowed it, its ID (with its
//! issuer) is recorded in the store, in the same write that checks it was not recorded
//! before, and remembered until the assertion expires.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::saml_trust::{Claims, trusts};
use crate::arn::Arn;
use crate::authz::{Authorizer, Federation};
use crate::error::Error;
use crate::model::{AccountId, SamlProvider, UsedAssertion};
use crate::ops::WireTag;
use crate::ops::sts::assume_role::parse_role_arn;
use crate::ops::sts::session_input::{
    PolicyArn, check_range, check_session_policies, packed_size, session_tags,
};
use crate::ops::sts::{AssumedRoleUser, WireCredentials, check_max_session, start_role_session};
use crate::service::{RequestInfo, Service};
use crate::sessions::{Session, SessionKind};
use crate::state::Mutation;
use warden_saml::{Assertion, Expected, SamlErrorKind, verify_response};

/// What AWS's own sign-in endpoint and audience are.
const AWS_AUDIENCE: &str = "urn:amazon:webservices";
const AWS_RECIPIENT: &str = "https://signin.aws.amazon.com/saml";
const ATTRIBUTES: &str = "https://aws.amazon.com/SAML/Attributes/";
const ONE_HOUR: i64 = 3600;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct Input {
    role_arn: String,
    principal_arn: String,
    #[serde(rename = "SAMLAssertion")]
    saml_assertion: String,
    #[serde(default)]
    policy_arns: Vec<PolicyArn>,
    policy: Option<String>,
    duration_seconds: Option<i64>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct Output {
    credentials: WireCredentials,
    assumed_role_user: AssumedRoleUser,
    #[serde(skip_serializing_if = "Option::is_none")]
    packed_policy_size: Option<i64>,
    subject: String,
    subject_type: String,
    issuer: String,
    audience: String,
    name_qualifier: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    source_identity: Option<String>,
}

/// AssumeRoleWithSAML, signed or not: who signed, if anyone, plays no part.
pub(crate) fn assume_role_with_saml(
    service: &Service,
    info: &RequestInfo,
    input: Input,
) -> Result<Output, Error> {
    if let Some(seconds) = input.duration_seconds {
        check_range(seconds, "durationSeconds", 900, 43_200)?;
    }
    let (role_account, path, name) = parse_role_arn(&input.role_arn)?;
    let provider = provider(service, &input.principal_arn, &role_account)?;
    let mut addresses = vec![AWS_AUDIENCE];
    addresses.extend(service.sign_in_urls.iter().map(String::as_str));
    let mut recipients = vec![AWS_RECIPIENT];
    recipients.extend(service.sign_in_urls.iter().map(String::as_str));
    let expected = Expected {
        audiences: &addresses,
        recipients: &recipients,
        now: service.now(),
    };
    let assertion = verify_response(&input.saml_assertion, &provider.metadata, &expected).map_err(|e| {
        tracing::info!(request_id = %info.request_id, provider = %input.principal_arn, reason = %e.detail, "SAML response refused");
        match e.kind {
            SamlErrorKind::Invalid => Error::InvalidIdentityToken(e.message),
            SamlErrorKind::Expired => Error::ExpiredIdentityToken(e.message),
            SamlErrorKind::Rejected => Error::IdpRejectedClaim(e.message),
        }
    })?;
    if !role_pairs(&assertion)
        .iter()
        .any(|(role, p)| *role == input.role_arn && *p == input.principal_arn)
    {
        return Err(Federation::Saml.denied());
    }
    let claims = Claims::read(&assertion, &provider)?;
    let (role, session, packed_policy_size) = service.read(|state| {
        let role = state
            .account(&role_account)
            .and_then(|a| a.role(&name))
            .filter(|r| r.path.as_str() == path && r.name.as_str() == name);
        // A missing role is refused in the words of a trust policy that says no.
        let decided = match role {
            Some(role) => {
                trusts(Authorizer::new(service, info), role, &provider, &claims).map(|()| role)
            }
            None => Err(Federation::Saml.denied()),
        };
        let role = decided.inspect_err(|_| {
            tracing::info!(
                request_id = %info.request_id,
                role = %input.role_arn,
                provider = %input.principal_arn,
                subject = %assertion.subject,
                "AssumeRoleWithSAML denied by the trust policy"
            );
        })?;
        let duration = match (input.duration_seconds, claims.session_duration) {
            (Some(seconds), _) | (None, Some(seconds)) => seconds,
            (None, None) => ONE_HOUR,
        };
        check_max_session(role, duration)?;
        let policy_arns = check_session_policies(
            state,
            &role.account,
            input.policy.as_deref(),
            &input.policy_arns,
        )?;
        let packed_policy_size = packed_size(input.policy.as_deref(), &policy_arns, &claims.tags)?;
        let now = service.now();
        let expires = assertion
            .session_not_on_or_after
            .map_or(now + duration, |end| end.min(now + duration));
        let session = Session {
            kind: SessionKind::Role,
            account: role.account,
            principal_id: Some(role.id.clone()),
            name: claims.session_name.clone(),
            issued: now,
            expires,
            policy: input.policy.clone(),
            policy_arns,
            tags: claims.tags.clone(),
            transitive_tag_keys: claims.transitive_tag_keys.clone(),
            source_identity: claims.source_identity.clone(),
            ..Session::default()
        };
        Ok((role.clone(), session, packed_policy_size))
    })?;
    use_assertion(service, info, &provider, &assertion)?;
    let (credentials, assumed_role_user) =
        start_role_session(service, &info.region, &role, &session)?;
    Ok(Output {
        credentials,
        assumed_role_user,
        packed_policy_size,
        subject: assertion.subject.clone(),
        subject_type: assertion.subject_type(),
        issuer: assertion.issuer.clone(),
        audience: assertion.recipient.clone(),
        name_qualifier: assertion.name_qualifier(&provider.account, &provider.name),
        source_identity: claims.source_identity.clone(),
    })
}

/// Records that `assertion` was used, refusing it if it was before and has not expired
/// since. The check and the record are one write, so of two calls with one assertion, on
/// this node or another sharing the store, one wins. Used assertions that have expired are
/// forgotten in the same write.
fn use_assertion(
    service: &Service,
    info: &RequestInfo,
    provider: &SamlProvider,
    assertion: &Assertion,
) -> Result<(), Error> {
    let id = assertion_key(&assertion.issuer, &assertion.id);
    let first = service.write(|state| {
        let now = service.now();
        if state
            .used_assertions
            .get(&id)
            .is_some_and(|expires| now < *expires)
        {
            return Ok((Vec::new(), false));
        }
        let mut mutations: Vec<Mutation> = state
            .expired_assertions(now)
            .filter(|expired| **expired != *id)
            .map(|expired| Mutation::DeleteUsedAssertion {
                id: expired.to_owned(),
            })
            .collect();
        mutations.push(Mutation::UsedAssertion(UsedAssertion {
            id: id.clone(),
            account: provider.account,
            expires: assertion.expires,
        }));
        Ok((mutations, true))
    })?;
    if first {
        return Ok(());
    }
    tracing::info!(
        request_id = %info.request_id,
        provider = %provider.arn(),
        subject = %assertion.subject,
        "SAML response refused: its assertion was used before"
    );
    Err(Error::InvalidIdentityToken(
        "Invalid SAML response".to_owned(),
    ))
}

/// The key an assertion is remembered by: hex SHA-256 of its issuer and its ID, so IDs of
/// different identity providers never collide and any ID makes a key of one size.
fn assertion_key(issuer: &str, id: &str) -> String {
    let mut hasher = Sha256::new();
    hasher.update(issuer.as_bytes());
    hasher.update([0]);
    hasher.update(id.as_bytes());
    hasher
        .finalize()
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

/// The SAML provider `arn` names, which must be in the role's account and still valid.
fn provider(service: &Service, arn: &str, role_account: &AccountId) -> Result<SamlProvider, Error> {
    let Ok(Arn::SamlProvider { account, name }) = Arn::parse(arn) else {
        return Err(Error::ValidationError(format!(
            "1 validation error detected: Value '{arn}' at 'principalArn' failed to satisfy constraint: Member must be the ARN of a SAML provider"
        )));
    };
    // A provider of another account is never one a role can trust; say so without telling
    // whether it exists.
    if account != role_account {
        return Err(Federation::Saml.denied());
    }
    let provider = service.read(|state| {
        Ok(state
            .account(account)
            .and_then(|a| a.saml_providers.get(name))
            .cloned())
    })?;
    let provider = provider.ok_or_else(|| {
        Error::InvalidIdentityToken("Specified provider doesn't exist.".to_owned())
    })?;
    if service.now() >= provider.valid_until {
        return Err(Error::InvalidIdentityToken(format!(
            "The metadata of SAML provider {arn} is no longer valid (ValidUntil has passed)."
        )));
    }
    Ok(provider)
}

/// The (role ARN, provider ARN) pairs of the Role attribute; each value holds the two ARNs
/// separated by a comma, in either order.
fn role_pairs(assertion: &Assertion) -> Vec<(String, String)> {
    assertion
        .attribute(&format!("{ATTRIBUTES}Role"))
        .into_iter()
        .filter_map(|value| {
            let (first, second) = value.split_once(',')?;
            let (first, second) = (first.trim(), second.trim());
            if first.contains(":saml-provider/") {
                Some((second.to_owned(), first.to_owned()))
            } else {
                Some((first.to_owned(), second.to_owned()))
            }
        })
        .collect()
}

/// The session tags a response passes: `PrincipalTag:KEY` attributes and the
/// `TransitiveTagKeys` attribute.
pub(super) fn tags_of(
    assertion: &Assertion,
) -> Result<(Vec<crate::model::Tag>, Vec<String>), Error> {
    let prefix = format!("{ATTRIBUTES}PrincipalTag:");
    let requested: Vec<WireTag> = assertion
        .attributes
        .iter()
        .filter_map(|(name, values)| {
            Some(WireTag {
                key: name.strip_prefix(&prefix)?.to_owned(),
                value: values.first().cloned().unwrap_or_default(),
            })
        })
        .collect();
    let transitive: Vec<String> = assertion
        .attribute(&format!("{ATTRIBUTES}TransitiveTagKeys"))
        .into_iter()
        .map(str::to_owned)
        .collect();
    session_tags(&requested, &transitive, &[], &[])
        .map_err(|e| Error::InvalidIdentityToken(e.message().to_owned()))
}
