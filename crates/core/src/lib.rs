//! Warden's domain: accounts, users, groups, roles, managed and inline policies, access keys
//! and instance profiles; the IAM and STS operations over them, each authorized by the
//! policy engine before it looks anything up.
//!
//! [`Service`] holds the whole state in memory (reads never touch disk) over a [`Store`]
//! that persists every change in one transaction before memory sees it. The edge calls
//! [`Service::authenticate`] with a request's access key id (or
//! [`Service::authenticate_session`] with temporary credentials and their session token), then
//! [`Service::call`] with the [`Action`] and its decoded parameters. No HTTP and no SQL here.

mod accounts;
pub mod action;
pub mod arn;
mod authz;
pub mod error;
#[doc(hidden)]
pub mod fuzzing;
pub mod ids;
mod managed;
pub mod model;
mod ops;
pub mod secret;
mod service;
pub mod sessions;
pub mod simulator;
pub mod state;
pub mod store;
pub mod time;
pub mod totp;
pub mod wire;
#[doc(hidden)]
pub mod wire_shape;

pub use accounts::{Bootstrap, KeyOwner};
pub use action::{Action, Api};
pub use error::{Error, StoreError};
pub use ops::sts::federation::oidc::{FetchError, OidcFetcher};
pub use secret::{MasterKey, Secret};
pub use service::{Caller, Identity, RequestInfo, Service};
pub use sessions::{Session, SessionKind};
pub use store::Store;
