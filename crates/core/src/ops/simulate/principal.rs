//! The principal that SimulatePrincipalPolicy and GetContextKeysForPrincipalPolicy name by
//! `PolicySourceArn`: found in the caller's account once the action is authorized on it, with
//! the policies enforcement gathers for it, and the caller its simulation runs as.

use std::sync::Arc;

use warden_policy::Principal;

use super::super::groups::no_such_group;
use super::super::roles::no_such_role;
use super::super::users::{account, no_such_user};
use crate::arn::{Arn, EntityKind};
use crate::authz::{Resource, group_held, principal_keys, role_held, user_held};
use crate::error::Error;
use crate::model::{Group, Role, Tag, User};
use crate::service::Cx;
use crate::simulator::{OwnPolicy, Request};
use crate::state::{AccountState, State};

/// The kinds of entity whose policies can be simulated.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    User,
    Group,
    Role,
}

/// A user, group or role ARN, split into what finds the entity.
#[derive(Debug)]
pub(super) struct Target<'a> {
    arn: &'a str,
    kind: Kind,
    account: &'a str,
    path: &'a str,
    name: &'a str,
}

impl Target<'_> {
    /// Reads `arn` (`arn:aws:iam::ACCOUNT:user/PATH/NAME`, or `group/…`, `role/…`).
    pub(super) fn parse(arn: &str) -> Result<Target<'_>, Error> {
        let invalid = || {
            Error::InvalidInput(format!(
                "Invalid PolicySourceArn: {arn}. Specify the ARN of an IAM user, group or role."
            ))
        };
        let Ok(Arn::Entity {
            account,
            kind,
            path,
            name,
        }) = Arn::parse(arn)
        else {
            return Err(invalid());
        };
        let kind = match kind {
            EntityKind::User => Kind::User,
            EntityKind::Group => Kind::Group,
            EntityKind::Role => Kind::Role,
            _ => return Err(invalid()),
        };
        Ok(Target {
            arn,
            kind,
            account,
            path,
            name,
        })
    }

    fn find<'s>(&self, account: &'s AccountState) -> Option<Entity<'s>> {
        let entity = match self.kind {
            Kind::User => Entity::User(account.user(self.name)?),
            Kind::Group => Entity::Group(account.group(self.name)?),
            Kind::Role => Entity::Role(account.role(self.name)?),
        };
        (entity.path() == self.path).then_some(entity)
    }

    fn not_found(&self) -> Error {
        match self.kind {
            Kind::User => no_such_user(self.name),
            Kind::Group => no_such_group(self.name),
            Kind::Role => no_such_role(self.name),
        }
    }
}

/// The entity a [`Target`] names.
#[derive(Clone, Copy, Debug)]
pub(super) enum Entity<'s> {
    User(&'s User),
    Group(&'s Group),
    Role(&'s Role),
}

impl<'s> Entity<'s> {
    fn path(&self) -> &str {
        match self {
            Entity::User(user) => &user.path,
            Entity::Group(group) => &group.path,
            Entity::Role(role) => &role.path,
        }
    }

    fn tags(&self) -> &'s [Tag] {
        match self {
            Entity::User(user) => &user.tags,
            Entity::Group(_) => &[],
            Entity::Role(role) => &role.tags,
        }
    }

    /// The entity's identity-based policies (a user's include its groups') and its
    /// permissions boundary, as enforcement gathers them, named as the simulator reports them.
    pub(super) fn policies(
        &self,
        state: &'s State,
        account: &'s AccountState,
    ) -> (Vec<OwnPolicy>, Option<OwnPolicy>) {
        let (held, boundary) = match *self {
            Entity::User(user) => (user_held(state, account, user), user.boundary.as_deref()),
            Entity::Group(group) => (group_held(state, group), None),
            Entity::Role(role) => (role_held(state, role), role.boundary.as_deref()),
        };
        let own = held
            .into_iter()
            .map(|held| OwnPolicy {
                source_type: Some(held.source.as_str()),
                name: held.name.to_owned(),
                policy: Arc::clone(held.policy),
                id: held.id,
            })
            .collect();
        // A boundary's policy cannot be deleted while it is one (DeletePolicy refuses).
        let boundary = boundary
            .and_then(|arn| {
                let managed = state.managed_policy(arn)?;
                Some((arn, managed, managed.default_document()?))
            })
            .map(|(arn, managed, document)| OwnPolicy {
                id: arn.to_owned(),
                name: managed.name.to_string(),
                source_type: None,
                policy: Arc::clone(&document.policy),
            });
        (own, boundary)
    }
}

impl Resource for Entity<'_> {
    fn arn(&self) -> String {
        match self {
            Entity::User(user) => Arn::user(&user.account, &user.path, &user.name).build(),
            Entity::Group(group) => Arn::group(&group.account, &group.path, &group.name).build(),
            Entity::Role(role) => Arn::role(&role.account, &role.path, &role.name).build(),
        }
    }

    fn tags(&self) -> &[Tag] {
        Entity::tags(self)
    }
}

/// Authorizes `action` on the entity the target names (on its own ARN and with its tags,
/// whatever case the target spells its name in), then yields it; a target that names
/// nothing is authorized on its ARN as given, so a denied caller learns nothing about
/// existence.
pub(super) fn authorized<'s>(
    cx: &Cx<'_>,
    state: &'s State,
    action: &str,
    target: &Target<'_>,
) -> Result<Entity<'s>, Error> {
    let entity = if target.account == cx.caller.account {
        target.find(account(cx, state)?)
    } else {
        None
    };
    cx.authorize_resolved(state, action, entity.as_ref(), target.arn, &[])?
        .copied()
        .ok_or_else(|| target.not_found())
}

/// Readies `request` to simulate `entity`: its own policies; the caller, which is CallerArn,
/// else the user the entity is; and the caller's principal keys (`aws:username`,
/// `aws:userid`, `aws:PrincipalArn`, `aws:PrincipalTag/…`, …) where ContextEntries gave none.
pub(super) fn prepare(
    cx: &Cx<'_>,
    state: &State,
    entity: Entity<'_>,
    request: &mut Request,
) -> Result<(), Error> {
    let account = account(cx, state)?;
    let (own, boundary) = entity.policies(state, account);
    request.add_own(own, boundary);
    let simulation = &mut request.simulation;
    let caller_user = match (&simulation.caller, entity) {
        (Some(caller), _) => Target::parse(&caller.arn)
            .ok()
            .filter(|t| t.kind == Kind::User && t.account == cx.caller.account)
            .and_then(|t| match t.find(account) {
                Some(Entity::User(user)) => Some(user),
                _ => None,
            }),
        (None, Entity::User(user)) => Some(user),
        (None, _) => None,
    };
    if simulation.caller.is_none()
        && let Some(user) = caller_user
    {
        simulation.caller =
            Principal::from_arn(&Arn::user(&user.account, &user.path, &user.name).build());
    }
    if let Some(caller) = &mut simulation.caller {
        caller.id = caller_user.map(|u| u.id.to_string());
        let name = match caller_user {
            Some(user) => user.name.to_string(),
            None => caller.arn.rsplit('/').next().unwrap_or_default().to_owned(),
        };
        let tags = caller_user.map(|u| u.tags.as_slice()).unwrap_or_default();
        let keys = principal_keys(caller, Some(&name), tags);
        for (key, value) in keys.iter() {
            simulation.context.insert_default(key, value.clone());
        }
    }
    if simulation.resource_policy.is_some() && simulation.caller.is_none() {
        return Err(Error::InvalidInput(
            "CallerArn is required when you include a ResourcePolicy and the PolicySourceArn is not the ARN of an IAM user, so that the policy's Principal element has a value to use in evaluating the policy.".to_owned(),
        ));
    }
    Ok(())
}
