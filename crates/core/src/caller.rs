//! Who makes a request: the [`Caller`] authentication establishes (an account's root user, an
//! IAM user, or a session of temporary credentials with its [`Session`] claims), and what the
//! edge knows of the request besides ([`RequestInfo`]).

use std::net::IpAddr;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::model::{AccountId, Tag, UniqueId};
use crate::time::Timestamp;

/// Who made a request, as authentication established it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    pub account: AccountId,
    pub identity: Identity,
    /// The access key that signed the request.
    pub access_key_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Identity {
    /// The account's root user.
    Root,
    /// An IAM user, by unique id (its name may change while the key stays valid).
    User { id: UniqueId },
    /// Temporary credentials: the claims their session token carries.
    Session(Arc<Session>),
}

/// What the edge knows about a request besides its parameters.
#[derive(Debug, Clone)]
pub struct RequestInfo {
    pub source_ip: Option<IpAddr>,
    pub secure_transport: bool,
    pub user_agent: Option<String>,
    /// The region of the credential scope.
    pub region: String,
    pub request_id: String,
}

/// Which STS operation made a session.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum SessionKind {
    /// AssumeRole: a role session.
    #[default]
    #[serde(rename = "r")]
    Role,
    /// GetSessionToken: the calling IAM user (or root user) itself.
    #[serde(rename = "u")]
    User,
    /// GetFederationToken: a federated user, within the calling user's permissions.
    #[serde(rename = "f")]
    Federated,
}

/// A session's claims, as sealed in its token. Short field names keep tokens small.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Session {
    #[serde(rename = "k")]
    pub kind: SessionKind,
    #[serde(rename = "a")]
    pub account: AccountId,
    /// The role's unique id (role sessions), or the calling user's (`None`: the root user).
    #[serde(rename = "p", default, skip_serializing_if = "Option::is_none")]
    pub principal_id: Option<UniqueId>,
    /// The role session name, or the federated user's name.
    #[serde(rename = "n", default, skip_serializing_if = "String::is_empty")]
    pub name: String,
    #[serde(rename = "i")]
    pub issued: Timestamp,
    #[serde(rename = "e")]
    pub expires: Timestamp,
    /// The inline session policy.
    #[serde(rename = "sp", default, skip_serializing_if = "Option::is_none")]
    pub policy: Option<String>,
    /// Managed session policies, by ARN (their current default version applies).
    #[serde(rename = "sa", default, skip_serializing_if = "Vec::is_empty")]
    pub policy_arns: Vec<String>,
    /// Session tags, incoming transitive tags included.
    #[serde(rename = "t", default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<Tag>,
    #[serde(rename = "tt", default, skip_serializing_if = "Vec::is_empty")]
    pub transitive_tag_keys: Vec<String>,
    #[serde(rename = "si", default, skip_serializing_if = "Option::is_none")]
    pub source_identity: Option<String>,
    /// When multi-factor authentication took place, if it did.
    #[serde(rename = "m", default, skip_serializing_if = "Option::is_none")]
    pub mfa_time: Option<Timestamp>,
    /// Whether a role session was made with a role session's credentials (role chaining).
    #[serde(rename = "c", default, skip_serializing_if = "std::ops::Not::not")]
    pub chained: bool,
}

impl Session {
    /// Whether the session's policies are those of the account's root user.
    pub fn is_root(&self) -> bool {
        self.kind != SessionKind::Role && self.principal_id.is_none()
    }
}

impl Identity {
    /// The IAM user the caller acts as: its own access key, or a GetSessionToken session.
    pub fn acting_user(&self) -> Option<&UniqueId> {
        match self {
            Identity::User { id } => Some(id),
            Identity::Session(session) if session.kind == SessionKind::User => {
                session.principal_id.as_ref()
            }
            _ => None,
        }
    }

    /// Whether the caller acts as its account's root user (root keys or their session).
    pub fn acts_as_root(&self) -> bool {
        match self {
            Identity::Root => true,
            Identity::Session(session) => session.kind == SessionKind::User && session.is_root(),
            Identity::User { .. } => false,
        }
    }
}
