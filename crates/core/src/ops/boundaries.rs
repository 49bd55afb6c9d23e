//! Permissions boundaries: PutUserPermissionsBoundary, DeleteUserPermissionsBoundary and
//! their role equivalents, over one implementation for both kinds of principal.

use serde::Deserialize;
use warden_policy::ContextValue;

use super::roles::{authorized_role, check_modifiable};
use super::users::{account, authorized_user, boundary_arn, check_boundary};
use crate::error::Error;
use crate::model::{Role, User};
use crate::service::Cx;
use crate::state::{Mutation, State};

/// A principal that can have a permissions boundary: a user or a role.
pub(super) trait Bounded: Clone + Sized {
    /// The principal as AWS's messages name it.
    const NOUN: &'static str;

    /// The principal named `name` without authorization (to learn its current boundary).
    fn peek<'s>(cx: &Cx<'_>, state: &'s State, name: &str) -> Option<&'s Self>;
    /// The principal named `name`, after `action` is authorized on it.
    fn authorized<'s>(
        cx: &Cx<'_>,
        state: &'s State,
        action: &str,
        name: &str,
        extra: &[(String, ContextValue)],
    ) -> Result<&'s Self, Error>;
    fn boundary(&self) -> Option<&String>;
    fn with_boundary(&self, boundary: Option<String>) -> Mutation;
}

impl Bounded for User {
    const NOUN: &'static str = "user";

    fn peek<'s>(cx: &Cx<'_>, state: &'s State, name: &str) -> Option<&'s Self> {
        account(cx, state).ok()?.user(name)
    }

    fn authorized<'s>(
        cx: &Cx<'_>,
        state: &'s State,
        action: &str,
        name: &str,
        extra: &[(String, ContextValue)],
    ) -> Result<&'s Self, Error> {
        authorized_user(cx, state, action, name, extra)
    }

    fn boundary(&self) -> Option<&String> {
        self.boundary.as_ref()
    }

    fn with_boundary(&self, boundary: Option<String>) -> Mutation {
        let mut updated = self.clone();
        updated.boundary = boundary;
        Mutation::User(updated)
    }
}

impl Bounded for Role {
    const NOUN: &'static str = "role";

    fn peek<'s>(cx: &Cx<'_>, state: &'s State, name: &str) -> Option<&'s Self> {
        account(cx, state).ok()?.role(name)
    }

    fn authorized<'s>(
        cx: &Cx<'_>,
        state: &'s State,
        action: &str,
        name: &str,
        extra: &[(String, ContextValue)],
    ) -> Result<&'s Self, Error> {
        let role = authorized_role(cx, state, action, name, extra)?;
        check_modifiable(role)?;
        Ok(role)
    }

    fn boundary(&self) -> Option<&String> {
        self.boundary.as_ref()
    }

    fn with_boundary(&self, boundary: Option<String>) -> Mutation {
        let mut updated = self.clone();
        updated.boundary = boundary;
        Mutation::Role(updated)
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct PutInput {
    #[serde(alias = "UserName", alias = "RoleName")]
    principal: String,
    permissions_boundary: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct DeleteInput {
    #[serde(alias = "UserName", alias = "RoleName")]
    principal: String,
}

/// The `iam:PermissionsBoundary` context key for `arn`.
fn boundary_key(arn: &str) -> (String, ContextValue) {
    (
        "iam:PermissionsBoundary".to_owned(),
        ContextValue::Single(arn.to_owned()),
    )
}

pub(super) fn put<B: Bounded>(cx: &Cx<'_>, input: PutInput) -> Result<(), Error> {
    let action = cx.action.iam_action();
    cx.service.write(|state| {
        let boundary = boundary_arn(cx, state, &input.permissions_boundary);
        let extra = [boundary_key(&boundary)];
        let principal = B::authorized(cx, state, action, &input.principal, &extra)?;
        check_boundary(cx, state, &boundary)?;
        Ok((vec![principal.with_boundary(Some(boundary))], ()))
    })
}

pub(super) fn delete<B: Bounded>(cx: &Cx<'_>, input: DeleteInput) -> Result<(), Error> {
    let action = cx.action.iam_action();
    cx.service.write(|state| {
        // The boundary being removed is the request's `iam:PermissionsBoundary`.
        let extra: Vec<_> = B::peek(cx, state, &input.principal)
            .and_then(B::boundary)
            .map(|arn| boundary_key(&boundary_arn(cx, state, arn)))
            .into_iter()
            .collect();
        let principal = B::authorized(cx, state, action, &input.principal, &extra)?;
        if principal.boundary().is_none() {
            return Err(Error::NoSuchEntity(format!(
                "The {} {} has no permissions boundary.",
                B::NOUN,
                input.principal
            )));
        }
        Ok((vec![principal.with_boundary(None)], ()))
    })
}
