//! Entry points for the fuzz targets in `fuzz/`, which reach the reading of untrusted ID
//! tokens without a `Service`. Not an API: hidden from the documentation and free to change
//! with the targets.

use crate::error::Error;
use crate::oidc_issuers::read_jwks;
use crate::ops::sts::federation::oidc::{peek, verify_signature};
use crate::time::Timestamp;

/// An identity provider's signing keys, as its JWKS gives them.
#[derive(Debug)]
pub struct IdTokenKeys(Vec<jsonwebtoken::jwk::Jwk>);

impl IdTokenKeys {
    /// Reads a JWKS document as Warden reads the one an issuer serves.
    pub fn from_jwks(jwks: &str) -> Result<IdTokenKeys, String> {
        read_jwks(jwks.as_bytes())
            .map(IdTokenKeys)
            .map_err(|e| e.to_string())
    }

    /// How many keys were read.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether no key was read.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// What AssumeRoleWithWebIdentity takes from an ID token it accepts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdToken {
    pub issuer: String,
    pub subject: String,
    pub audience: String,
}

/// Checks `token` as AssumeRoleWithWebIdentity does, in its order, for a provider with the
/// client ids `client_ids` and the keys `keys`, at `now`: read without trust, audience,
/// signature, validity window, subject.
pub fn check_id_token(
    token: &str,
    keys: &IdTokenKeys,
    client_ids: &[String],
    now: Timestamp,
) -> Result<IdToken, Error> {
    let unverified = peek(token)?;
    let claims = &unverified.claims;
    let audience = claims.audience(client_ids)?;
    verify_signature(token, &unverified.header, &keys.0)?;
    claims.check_time(now)?;
    Ok(IdToken {
        issuer: claims.iss.clone(),
        subject: claims.subject()?.to_owned(),
        audience,
    })
}
