//! STS calls that take no AWS credentials: AssumeRoleWithWebIdentity and AssumeRoleWithSAML,
//! whose callers prove who they are with an identity provider's token or assertion. An
//! unsigned request reaches STS by its `Action` and `Version=2011-06-15`; it is decoded
//! against STS's model like any other and performed by `Service::call_unsigned` on a blocking
//! thread (verifying a token may fetch the issuer's keys).

use std::sync::Arc;

use axum::http::StatusCode;
use serde_json::Value;
use warden_core::RequestInfo;

use crate::edge::Edge;
use crate::errors::ApiError;
use crate::model::Model;

/// The STS actions that are called without credentials.
const UNSIGNED_ACTIONS: [&str; 2] = ["AssumeRoleWithWebIdentity", "AssumeRoleWithSAML"];

/// Whether an unsigned request is one of those STS calls.
pub(crate) fn is_unsigned_sts(params: &[(String, String)]) -> bool {
    let value = |name: &str| {
        params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    value("Action").is_some_and(|a| UNSIGNED_ACTIONS.contains(&a))
        && value("Version") == Some(Model::sts().version())
}

/// Decodes and performs an unsigned STS call; answers its XML.
pub(crate) async fn perform(
    edge: &Arc<Edge>,
    info: RequestInfo,
    action: &str,
    params: &[(String, String)],
) -> Result<String, ApiError> {
    let model = Model::sts();
    let operation = model.operation(action).ok_or_else(|| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "InvalidAction",
            format!(
                "Could not find operation {action} for version {}",
                model.version()
            ),
        )
    })?;
    let input = crate::query::decode(model, operation, params)
        .map_err(|e| ApiError::validation(e.message))?;
    let service = Arc::clone(&edge.service);
    let request_info = info.clone();
    let name = action.to_owned();
    let output: Value =
        tokio::task::spawn_blocking(move || service.call_unsigned(&request_info, &name, input))
            .await
            .map_err(|_| {
                ApiError::from(warden_core::Error::Internal("a worker failed".to_owned()))
            })?
            .map_err(ApiError::from)?;
    Ok(crate::xml::encode(
        model,
        operation,
        &output,
        &info.request_id,
    ))
}
