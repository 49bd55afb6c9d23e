//! STS GetCallerIdentity: who the caller is — root user, IAM user, role session
//! (`arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION`, user id `AROA…:SESSION`) or federated
//! user (`arn:aws:sts::ACCOUNT:federated-user/NAME`, user id `ACCOUNT:NAME`). Allowed for every
//! authenticated caller, as on AWS (no policy can deny it).

use serde::{Deserialize, Serialize};

use super::users::account;
use crate::arn::Arn;
use crate::error::Error;
use crate::service::{Cx, Identity};
use crate::sessions::SessionKind;

#[derive(Deserialize)]
pub(super) struct Empty {}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct CallerIdentity {
    user_id: String,
    account: String,
    arn: String,
}

pub(super) fn get_caller_identity(cx: &Cx<'_>, _: Empty) -> Result<CallerIdentity, Error> {
    cx.service.read(|state| {
        let account_id = cx.caller.account;
        let root = || CallerIdentity {
            user_id: account_id.to_string(),
            arn: Arn::root(&account_id).build(),
            account: account_id.to_string(),
        };
        let user = |id: &str| {
            let user = account(cx, state)?.user_by_id(id).ok_or_else(|| {
                Error::InvalidClientTokenId(
                    "The security token included in the request is invalid".to_owned(),
                )
            })?;
            Ok(CallerIdentity {
                user_id: user.id.to_string(),
                arn: super::users::user_arn(user),
                account: account_id.to_string(),
            })
        };
        let session = match &cx.caller.identity {
            Identity::Root => return Ok(root()),
            Identity::User { id } => return user(id),
            Identity::Session(session) => session,
        };
        match (session.kind, session.principal_id.as_deref()) {
            (SessionKind::User, Some(id)) => user(id),
            (SessionKind::User, None) => Ok(root()),
            (SessionKind::Role, id) => {
                let role = account(cx, state)?
                    .role_by_id(id.unwrap_or_default())
                    .ok_or_else(|| {
                        Error::InvalidClientTokenId(
                            "The security token included in the request is invalid".to_owned(),
                        )
                    })?;
                Ok(CallerIdentity {
                    user_id: format!("{}:{}", role.id, session.name),
                    arn: Arn::AssumedRole {
                        account: &account_id,
                        role: &role.name,
                        session: &session.name,
                    }
                    .build(),
                    account: account_id.to_string(),
                })
            }
            (SessionKind::Federated, _) => Ok(CallerIdentity {
                user_id: format!("{account_id}:{}", session.name),
                arn: Arn::FederatedUser {
                    account: &account_id,
                    name: &session.name,
                }
                .build(),
                account: account_id.to_string(),
            }),
        }
    })
}
