//! STS: AssumeRole, GetSessionToken, GetFederationToken, GetAccessKeyInfo and
//! DecodeAuthorizationMessage (GetCallerIdentity lives in `identity`). Temporary credentials
//! are sealed tokens (see `crate::sessions`): issuing one writes nothing.

mod assume_role;
mod authorization_message;
pub(crate) mod federation;
mod session_input;

use serde::{Deserialize, Serialize};

use super::WireTag;
use crate::action::{Action, TAG_SESSION};
use crate::arn::Arn;
use crate::authz::request_tag_keys;
use crate::error::Error;
use crate::model::{AccountId, Role, Tag};
use crate::service::{Cx, Service};
use crate::sessions::{Credentials, Session, SessionKind, temporary_key_account};
use crate::time::iso8601;
pub(super) use assume_role::assume_role;
pub(super) use authorization_message::decode_authorization_message;
pub(super) use federation::saml::assume_role_with_saml;
pub(super) use federation::web_identity::assume_role_with_web_identity;
use session_input::{
    PolicyArn, check_name, check_range, check_session_policies, packed_size, session_tags,
};

/// GetSessionToken's and GetFederationToken's bounds and default, in seconds.
const MIN_DURATION: i64 = 900;
const MAX_DURATION: i64 = 129_600;
const DEFAULT_DURATION: i64 = 43_200;
/// The longest session the root user's credentials get; longer requests are cut to it.
const ROOT_DURATION: i64 = 3600;

/// `Credentials` as STS returns them.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct WireCredentials {
    access_key_id: String,
    secret_access_key: String,
    session_token: String,
    expiration: String,
}

impl WireCredentials {
    fn new(credentials: &Credentials) -> WireCredentials {
        WireCredentials {
            access_key_id: credentials.access_key_id.clone(),
            secret_access_key: credentials.secret.expose().to_owned(),
            session_token: credentials.token.clone(),
            expiration: iso8601(credentials.expiration),
        }
    }
}

/// A session's length: `requested` (or the default) within STS's bounds, cut to an hour for
/// the root user.
/// `AssumedRoleUser` of the AssumeRole* responses.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct AssumedRoleUser {
    assumed_role_id: String,
    arn: String,
}

/// Refuses a session longer than the role allows.
pub(super) fn check_max_session(role: &Role, duration: i64) -> Result<(), Error> {
    if duration > role.max_session_duration {
        return Err(Error::ValidationError(
            "The requested DurationSeconds exceeds the MaxSessionDuration set for this role."
                .to_owned(),
        ));
    }
    Ok(())
}

/// Starts a decided role session: issues its credentials, records the role's use, and names
/// the session as AssumeRole* responses do (`AROA…:NAME`, the assumed-role ARN without the
/// role's path).
pub(super) fn start_role_session(
    service: &Service,
    region: &str,
    role: &Role,
    session: &Session,
) -> Result<(WireCredentials, AssumedRoleUser), Error> {
    let credentials = service.tokens.issue(service.random(), session)?;
    service.usage.record_role(&role.account, &role.id, region);
    let user = AssumedRoleUser {
        assumed_role_id: format!("{}:{}", role.id, session.name),
        arn: Arn::AssumedRole {
            account: &role.account,
            role: &role.name,
            session: &session.name,
        }
        .build(),
    };
    Ok((WireCredentials::new(&credentials), user))
}

fn duration(cx: &Cx<'_>, requested: Option<i64>) -> Result<i64, Error> {
    let root = cx.caller.identity.acts_as_root();
    let default = if root {
        ROOT_DURATION
    } else {
        DEFAULT_DURATION
    };
    let seconds = check_range(
        requested.unwrap_or(default),
        "durationSeconds",
        MIN_DURATION,
        MAX_DURATION,
    )?;
    Ok(if root {
        seconds.min(ROOT_DURATION)
    } else {
        seconds
    })
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct GetSessionTokenInput {
    duration_seconds: Option<i64>,
    serial_number: Option<String>,
    token_code: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct GetSessionTokenOutput {
    credentials: WireCredentials,
}

/// GetSessionToken: temporary credentials that act as the calling user (or root user). No
/// permission is needed, as on AWS; session credentials cannot call it. With SerialNumber and
/// TokenCode (a code of one of the user's MFA devices) the session records MFA, which lets it
/// call IAM.
pub(super) fn get_session_token(
    cx: &Cx<'_>,
    input: GetSessionTokenInput,
) -> Result<GetSessionTokenOutput, Error> {
    let seconds = duration(cx, input.duration_seconds)?;
    let mfa_time = super::mfa::use_caller_code_if_given(
        cx,
        input.serial_number.as_deref(),
        input.token_code.as_deref(),
    )?;
    let now = cx.service.now();
    let session = Session {
        kind: SessionKind::User,
        account: cx.caller.account,
        principal_id: cx.caller.identity.acting_user().cloned(),
        issued: now,
        expires: now + seconds,
        mfa_time,
        ..Session::default()
    };
    let credentials = cx.service.tokens.issue(cx.service.random(), &session)?;
    Ok(GetSessionTokenOutput {
        credentials: WireCredentials::new(&credentials),
    })
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct GetFederationTokenInput {
    name: String,
    policy: Option<String>,
    #[serde(default)]
    policy_arns: Vec<PolicyArn>,
    duration_seconds: Option<i64>,
    #[serde(default)]
    tags: Vec<WireTag>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct GetFederationTokenOutput {
    credentials: WireCredentials,
    federated_user: FederatedUser,
    #[serde(skip_serializing_if = "Option::is_none")]
    packed_policy_size: Option<i64>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct FederatedUser {
    federated_user_id: String,
    arn: String,
}

/// GetFederationToken: a federated user whose permissions are the calling user's (or root
/// user's) intersected with the session policies — none without one. Needs
/// `sts:GetFederationToken` on the federated user's ARN, and `sts:TagSession` to pass tags.
pub(super) fn get_federation_token(
    cx: &Cx<'_>,
    input: GetFederationTokenInput,
) -> Result<GetFederationTokenOutput, Error> {
    check_name(&input.name, "name", 32)?;
    let account = cx.caller.account;
    let arn = Arn::FederatedUser {
        account: &account,
        name: &input.name,
    }
    .build();
    let wanted: Vec<Tag> = input
        .tags
        .iter()
        .map(|t| Tag {
            key: t.key.clone(),
            value: t.value.clone(),
        })
        .collect();
    let policy_arns = cx.service.read(|state| {
        let keys = if wanted.is_empty() {
            Vec::new()
        } else {
            request_tag_keys(&wanted)
        };
        cx.authorize(
            state,
            Action::GetFederationToken.iam_action(),
            &arn,
            &[],
            &keys,
        )?;
        if !wanted.is_empty() {
            cx.authorize(state, TAG_SESSION, &arn, &[], &keys)?;
        }
        check_session_policies(state, &account, input.policy.as_deref(), &input.policy_arns)
    })?;
    let seconds = duration(cx, input.duration_seconds)?;
    let (tags, _) = session_tags(&input.tags, &[], &[], &[])?;
    let packed_policy_size = packed_size(input.policy.as_deref(), &policy_arns, &tags)?;
    let now = cx.service.now();
    let session = Session {
        kind: SessionKind::Federated,
        account,
        principal_id: cx.caller.identity.acting_user().cloned(),
        name: input.name.clone(),
        issued: now,
        expires: now + seconds,
        policy: input.policy,
        policy_arns,
        tags,
        ..Session::default()
    };
    let credentials = cx.service.tokens.issue(cx.service.random(), &session)?;
    Ok(GetFederationTokenOutput {
        credentials: WireCredentials::new(&credentials),
        federated_user: FederatedUser {
            federated_user_id: format!("{account}:{}", input.name),
            arn,
        },
        packed_policy_size,
    })
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct AccessKeyInfoInput {
    access_key_id: String,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct AccessKeyInfoOutput {
    account: String,
}

/// GetAccessKeyInfo: the account of a long-term key Warden holds, or of a temporary key id
/// (which carries its account). Needs `sts:GetAccessKeyInfo`.
pub(super) fn get_access_key_info(
    cx: &Cx<'_>,
    input: AccessKeyInfoInput,
) -> Result<AccessKeyInfoOutput, Error> {
    cx.service.read(|state| {
        cx.authorize(state, Action::GetAccessKeyInfo.iam_action(), "*", &[], &[])?;
        let id = &input.access_key_id;
        let account = match temporary_key_account(id) {
            Some(account) => {
                Some(account).filter(|a| state.account(a).is_some_and(|a| a.account.is_some()))
            }
            None => state.key_accounts.get(id).map(AccountId::to_string),
        };
        account
            .map(|account| AccessKeyInfoOutput { account })
            .ok_or_else(|| {
                Error::ValidationError(format!(
                    "The access key ID {id} was not issued by this service."
                ))
            })
    })
}
