//! STS AssumeRoleWithWebIdentity: a role session for the bearer of an OpenID Connect ID token,
//! without AWS credentials.
//!
//! The token's issuer must be an OpenID Connect provider of the role's account, its audience
//! (`azp`, else `aud`) one of the provider's client ids, its signature made by one of the
//! issuer's keys, and its validity window open. Then the role's trust policy decides, for a
//! `WebIdentityUser` caller named by the provider's ARN, with the token's claims as
//! `PROVIDER:sub`, `PROVIDER:aud`, `PROVIDER:oaud`, `PROVIDER:amr` and `aws:FederatedProvider`.
//! The issuer's keys are fetched with no lock held; the state is read before and after.

use serde::{Deserialize, Serialize};
use warden_policy::Context;

use super::oidc::{Claims, peek, verify_signature};
use crate::authz::{Authorizer, Federation};
use crate::error::Error;
use crate::model::{OidcProvider, Role};
use crate::ops::sts::assume_role::parse_role_arn;
use crate::ops::sts::session_input::{
    PolicyArn, check_name, check_range, check_session_policies, packed_size,
};
use crate::ops::sts::{AssumedRoleUser, WireCredentials, check_max_session, start_role_session};
use crate::service::{RequestInfo, Service};
use crate::sessions::{Session, SessionKind};

/// The default session length, in seconds.
const ONE_HOUR: i64 = 3600;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct Input {
    role_arn: String,
    role_session_name: String,
    web_identity_token: String,
    provider_id: Option<String>,
    #[serde(default)]
    policy_arns: Vec<PolicyArn>,
    policy: Option<String>,
    duration_seconds: Option<i64>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct Output {
    credentials: WireCredentials,
    subject_from_web_identity_token: String,
    assumed_role_user: AssumedRoleUser,
    #[serde(skip_serializing_if = "Option::is_none")]
    packed_policy_size: Option<i64>,
    provider: String,
    audience: String,
}

/// AssumeRoleWithWebIdentity, signed or not: who signed, if anyone, plays no part.
pub(crate) fn assume_role_with_web_identity(
    service: &Service,
    info: &RequestInfo,
    input: Input,
) -> Result<Output, Error> {
    check_name(&input.role_session_name, "roleSessionName", 64)?;
    if input.provider_id.is_some() {
        return Err(Error::InvalidIdentityToken(
            "ProviderId is for OAuth 2.0 access tokens of www.amazon.com and graph.facebook.com, which this service does not accept; omit it for OpenID Connect ID tokens."
                .to_owned(),
        ));
    }
    let duration = check_range(
        input.duration_seconds.unwrap_or(ONE_HOUR),
        "durationSeconds",
        900,
        43_200,
    )?;
    let (role_account, path, name) = parse_role_arn(&input.role_arn)?;
    let token = peek(&input.web_identity_token)?;
    let claims = &token.claims;
    let provider = service.read(|state| {
        let url = claims
            .iss
            .strip_prefix("https://")
            .or_else(|| claims.iss.strip_prefix("http://"));
        state
            .account(&role_account)
            .zip(url)
            .and_then(|(account, url)| account.oidc_providers.get(url))
            .filter(|p| p.issuer() == claims.iss)
            .cloned()
            .ok_or_else(|| {
                Error::InvalidIdentityToken(format!(
                    "No OpenIDConnect provider found in your account for {}",
                    claims.iss
                ))
            })
    })?;
    let audience = claims.audience(&provider.client_ids)?;
    let keys = service
        .issuers
        .keys(&provider, token.header.kid.as_deref())?;
    verify_signature(&input.web_identity_token, &token.header, &keys)?;
    claims.check_time(service.now())?;
    let subject = claims.subject()?.to_owned();
    service.read(|state| {
        let role = state
            .account(&role_account)
            .and_then(|a| a.role(&name))
            .filter(|r| r.path.as_str() == path && r.name.as_str() == name);
        // A missing role is refused in the words of a trust policy that says no.
        let decided = match role {
            Some(role) => trusts(
                Authorizer::new(service, info),
                role,
                &provider,
                claims,
                &audience,
                &input.role_session_name,
            )
            .map(|()| role),
            None => Err(Federation::WebIdentity.denied()),
        };
        let role = decided.inspect_err(|_| {
            tracing::info!(
                request_id = %info.request_id,
                role = %input.role_arn,
                provider = %provider.arn(),
                subject = %subject,
                "AssumeRoleWithWebIdentity denied by the trust policy"
            );
        })?;
        check_max_session(role, duration)?;
        let policy_arns = check_session_policies(
            state,
            &role.account,
            input.policy.as_deref(),
            &input.policy_arns,
        )?;
        let packed_policy_size = packed_size(input.policy.as_deref(), &policy_arns, &[])?;
        let now = service.now();
        let session = Session {
            kind: SessionKind::Role,
            account: role.account,
            principal_id: Some(role.id.clone()),
            name: input.role_session_name.clone(),
            issued: now,
            expires: now + duration,
            policy: input.policy.clone(),
            policy_arns,
            ..Session::default()
        };
        let (credentials, assumed_role_user) =
            start_role_session(service, &info.region, role, &session)?;
        Ok(Output {
            credentials,
            subject_from_web_identity_token: subject.clone(),
            assumed_role_user,
            packed_policy_size,
            provider: provider.arn(),
            audience: audience.clone(),
        })
    })
}

/// Whether `role`'s trust policy lets the token's bearer assume it, with the token's claims
/// in the context under the provider's name.
fn trusts(
    authorizer: Authorizer<'_>,
    role: &Role,
    provider: &OidcProvider,
    claims: &Claims,
    audience: &str,
    session_name: &str,
) -> Result<(), Error> {
    authorizer.federated(
        Federation::WebIdentity,
        role,
        &provider.arn(),
        session_name,
        |context| claim_keys(context, provider, claims, audience),
        &[],
    )
}

/// The token's claims as `PROVIDER:aud`, `PROVIDER:oaud`, `PROVIDER:sub` and `PROVIDER:amr`.
fn claim_keys(context: &mut Context, provider: &OidcProvider, claims: &Claims, audience: &str) {
    let prefix = &provider.url;
    context.insert(&format!("{prefix}:aud"), audience);
    if claims.azp.is_some() && !claims.aud.is_empty() {
        context.insert(&format!("{prefix}:oaud"), claims.aud.clone());
    }
    if let Some(sub) = &claims.sub {
        context.insert(&format!("{prefix}:sub"), sub.as_str());
    }
    if !claims.amr.is_empty() {
        context.insert(&format!("{prefix}:amr"), claims.amr.clone());
    }
}
