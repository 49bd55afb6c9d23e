//! DecodeAuthorizationMessage: opens the encoded authorization failure message a denied
//! AssumeRole carried (sealed by the `Authorizer`), for principals allowed
//! `sts:DecodeAuthorizationMessage`.

use serde::{Deserialize, Serialize};

use crate::action::Action;
use crate::error::Error;
use crate::service::Cx;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(in crate::ops) struct DecodeInput {
    encoded_message: String,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub(in crate::ops) struct DecodeOutput {
    decoded_message: String,
}

/// DecodeAuthorizationMessage: needs `sts:DecodeAuthorizationMessage`.
pub(in crate::ops) fn decode_authorization_message(
    cx: &Cx<'_>,
    input: DecodeInput,
) -> Result<DecodeOutput, Error> {
    cx.service.read(|state| {
        cx.authorize(
            state,
            Action::DecodeAuthorizationMessage.iam_action(),
            "*",
            &[],
            &[],
        )
    })?;
    let plain =
        crate::authz::opened_message(cx.service, &input.encoded_message).ok_or_else(|| {
            Error::InvalidAuthorizationMessage(
                "The encoded authorization message is not valid.".to_owned(),
            )
        })?;
    let decoded_message = String::from_utf8(plain).map_err(|_| {
        Error::InvalidAuthorizationMessage(
            "The encoded authorization message is not valid.".to_owned(),
        )
    })?;
    Ok(DecodeOutput { decoded_message })
}
