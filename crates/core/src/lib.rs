//! Warden's domain: accounts, users, groups, roles, managed and inline policies, access keys
//! and instance profiles; the IAM and STS operations over them, each authorized by the
//! policy engine before it looks anything up.
//!
//! [`Service`] holds the whole state in memory (reads never touch disk) over a [`Store`]
//! that persists every change in one transaction before memory sees it. The edge calls
//! [`Service::authenticate`] with a request's access key id (or
//! [`Service::authenticate_session`] with temporary credentials and their session token), then
//! [`Service::call`] with the [`Action`] and its decoded parameters. No HTTP and no SQL here.
//!
//! Modules depend on one another without a cycle (`tests/module_graph.rs` checks it); from
//! the bottom up: the vocabulary (`error`, `time`, `ids`, `secret`, `arn`, `model`, `store`,
//! `action`, `passwords`), the state (`state`, `managed`), who calls (`caller`, `sessions`), the
//! components (`caller_cache`, `usage`, `mfa_codes`, `oidc_issuers`), the kernel (`service`),
//! then authentication (`authn`, and `sign_in` for passwords), authorization (`authz`), the operations (`ops`), and
//! `accounts`.

mod accounts;
pub mod action;
pub mod arn;
mod authn;
mod authz;
pub mod caller;
mod caller_cache;
pub mod error;
#[doc(hidden)]
pub mod fuzzing;
pub mod ids;
mod managed;
mod mfa_codes;
pub mod model;
mod oidc_issuers;
mod ops;
pub mod passwords;
pub mod secret;
mod service;
pub mod sessions;
pub mod sign_in;
pub mod simulator;
pub mod state;
pub mod store;
pub mod time;
pub mod totp;
mod usage;
pub mod wire;
#[doc(hidden)]
pub mod wire_shape;

pub use accounts::Bootstrap;
pub use action::{Action, Api};
pub use authn::KeyOwner;
pub use caller::{Caller, Identity, RequestInfo, Session, SessionKind};
pub use error::{Error, StoreError};
pub use oidc_issuers::{FetchError, OidcFetcher};
pub use secret::{MasterKey, Secret};
pub use service::{Service, ServiceConfig};
pub use sign_in::{PasswordChange, SignIn, SignInError};
pub use store::Store;

/// The input `action`'s handler reads, as [`wire_shape`] sees it; `None` for an operation not
/// built yet. For the API crate's tests, which compare it with the service model.
#[doc(hidden)]
pub fn input_shape(action: Action) -> Option<wire_shape::WireShape> {
    ops::input_shape(action)
}
