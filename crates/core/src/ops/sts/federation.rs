//! Federation: STS sessions for callers an outside identity provider vouches for, without AWS
//! credentials. AssumeRoleWithSAML (`saml`, the role's trust decided in `saml_trust`) on
//! responses that `warden_saml` verifies, and AssumeRoleWithWebIdentity (`web_identity`) on
//! ID tokens checked in `oidc` with the issuer's keys.

pub(crate) mod oidc;
pub(super) mod saml;
mod saml_trust;
pub(super) mod web_identity;
