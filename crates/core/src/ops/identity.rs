//! STS GetCallerIdentity: who the caller is. Allowed for every authenticated caller, as
//! on AWS (no policy can deny it).

use std::ops::ControlFlow;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::Routed;
use super::users::account;
use crate::error::Error;
use crate::service::{Cx, Identity, run};

pub(super) fn route(cx: &Cx<'_>, action: &str, input: Value) -> Routed {
    ControlFlow::Break(match action {
        "GetCallerIdentity" => run(cx, input, get_caller_identity),
        _ => return ControlFlow::Continue(input),
    })
}

#[derive(Deserialize)]
struct Empty {}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct CallerIdentity {
    user_id: String,
    account: String,
    arn: String,
}

fn get_caller_identity(cx: &Cx<'_>, _: Empty) -> Result<CallerIdentity, Error> {
    cx.service.read(|state| {
        let account_id = cx.caller.account.clone();
        match &cx.caller.identity {
            Identity::Root => Ok(CallerIdentity {
                user_id: account_id.clone(),
                arn: format!("arn:aws:iam::{account_id}:root"),
                account: account_id,
            }),
            Identity::User { id } => {
                let user = account(cx, state)?
                    .user_by_id(id)
                    .ok_or_else(|| Error::Internal("the caller's user is gone".to_owned()))?;
                Ok(CallerIdentity {
                    user_id: user.id.clone(),
                    arn: super::users::user_arn(user),
                    account: account_id,
                })
            }
        }
    })
}
