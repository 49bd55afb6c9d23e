//! Warden's HTTP edge: IAM and STS in AWS's query protocol on one endpoint.
//!
//! [`edge::router`] serves the API, `/healthz`, `/metrics` and the `--dev` reset. A request
//! is size-limited, authenticated by the [`sigv4`] verifier, resolved to a
//! `warden_core::Action`, decoded by [`query`] against the botocore service [`model`],
//! performed by `warden_core::Service::call`, and answered in AWS's XML by [`xml`]; every
//! failure is an [`errors::EdgeError`] answered in AWS's error envelope. Unsigned STS calls
//! (AssumeRoleWithWebIdentity, AssumeRoleWithSAML) go to `warden_core::Service::call_unsigned`;
//! [`oidc_fetch`] is the client that fetches identity providers' keys for the core. Heavy
//! operations (the policy simulator, account-wide reads) run off the async workers within the
//! limits of [`heavy`].

pub mod edge;
pub mod errors;
pub mod heavy;
mod metrics;
pub mod model;
pub mod oidc_fetch;
pub mod query;
pub mod sigv4;
mod unsigned;
pub mod xml;
