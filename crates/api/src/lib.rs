//! Warden's HTTP edge: IAM and STS in AWS's query protocol on one endpoint.
//!
//! [`edge::router`] serves the API, `/healthz`, `/metrics` and the `--dev` reset. A request
//! is size-limited, authenticated by the [`sigv4`] verifier, decoded by [`query`] against the
//! botocore service [`model`], performed by `warden_core::Service::call`, and answered in
//! AWS's XML by [`xml`]; every failure becomes AWS's error envelope through [`errors`].

pub mod edge;
pub mod errors;
mod metrics;
pub mod model;
pub mod query;
pub mod sigv4;
pub mod xml;
