//! OpenID Connect ID tokens as AssumeRoleWithWebIdentity reads them: their claims, and their
//! signature checked with the issuer's keys (which `oidc_issuers` fetches and caches).

mod token;

pub(crate) use crate::oidc_issuers::{find, key_unavailable};
pub(crate) use token::{Claims, peek, verify_signature};
