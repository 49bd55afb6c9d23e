//! ID tokens (JWTs) as AssumeRoleWithWebIdentity checks them: read without trust to find
//! the issuer ([`peek`]), the signature verified with the issuer's keys
//! ([`verify_signature`]), then the audience and the validity window ([`Claims`]).
//!
//! As AWS documents, tokens must be signed with RSA (RS256, RS384, RS512) or ECDSA (ES256,
//! ES384) keys, and their timestamps must be integers. `alg: none`, HMAC and every other
//! algorithm are refused before any key is looked at.

use jsonwebtoken::jwk::{AlgorithmParameters, Jwk, KeyAlgorithm, PublicKeyUse};
use jsonwebtoken::{Algorithm, DecodingKey, Header, Validation};
use serde_json::Value;

use super::key_unavailable;
use crate::error::Error;
use crate::time::Timestamp;

#[cfg(test)]
mod tests;

/// How far the issuer's clock may be from Warden's, in seconds.
pub(crate) const SKEW: i64 = 60;

/// The algorithms AWS accepts for ID tokens.
const ALGORITHMS: [Algorithm; 5] = [
    Algorithm::RS256,
    Algorithm::RS384,
    Algorithm::RS512,
    Algorithm::ES256,
    Algorithm::ES384,
];

fn invalid(message: &str) -> Error {
    Error::InvalidIdentityToken(message.to_owned())
}

/// The claims of an ID token that Warden reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Claims {
    pub iss: String,
    pub sub: Option<String>,
    pub aud: Vec<String>,
    pub azp: Option<String>,
    pub amr: Vec<String>,
    pub exp: Option<i64>,
    pub nbf: Option<i64>,
    pub iat: Option<i64>,
}

/// A token read without verifying it: its header and claims.
#[derive(Debug)]
pub(crate) struct Unverified {
    pub header: Header,
    pub claims: Claims,
}

/// Reads `token` without trusting it. Anything but a compact JWS with an accepted
/// algorithm and an `iss` is InvalidIdentityToken.
pub(crate) fn peek(token: &str) -> Result<Unverified, Error> {
    let not_jwt = || {
        invalid(
            "The ID Token provided is not a valid JWT. (You may see this error if you sent an Access Token)",
        )
    };
    let header = jsonwebtoken::decode_header(token).map_err(|_| not_jwt())?;
    if !ALGORITHMS.contains(&header.alg) {
        return Err(invalid(&format!(
            "The token's signing algorithm {:?} is not supported: sign ID tokens with RS256, RS384, RS512, ES256 or ES384.",
            header.alg
        )));
    }
    let claims: Value =
        jsonwebtoken::dangerous::insecure_decode_claims(token).map_err(|_| not_jwt())?;
    Ok(Unverified {
        header,
        claims: Claims::read(&claims)?,
    })
}

/// Verifies `token`'s signature with the key `header.kid` names, or, for a token without a
/// key id, with each key that fits its algorithm.
pub(crate) fn verify_signature(token: &str, header: &Header, keys: &[Jwk]) -> Result<(), Error> {
    let candidates: Vec<&Jwk> = match &header.kid {
        Some(kid) => super::find(keys, kid).into_iter().collect(),
        None => keys.iter().collect(),
    };
    if candidates.is_empty() {
        return Err(key_unavailable());
    }
    let mut validation = Validation::new(header.alg);
    validation.required_spec_claims.clear();
    validation.validate_exp = false;
    validation.validate_nbf = false;
    validation.validate_aud = false;
    let verified = candidates
        .into_iter()
        .filter(|key| fits(key, header.alg))
        .filter_map(|key| DecodingKey::from_jwk(key).ok())
        .any(|key| jsonwebtoken::decode::<Value>(token, &key, &validation).is_ok());
    if verified {
        Ok(())
    } else {
        Err(invalid(
            "The token's signature does not verify with the identity provider's keys.",
        ))
    }
}

/// Whether `key` may verify a signature made with `alg`: its type fits, its own `alg`, when
/// it names one, is the same, and it is not an encryption key.
fn fits(key: &Jwk, alg: Algorithm) -> bool {
    let family = match &key.algorithm {
        AlgorithmParameters::RSA(_) => {
            matches!(alg, Algorithm::RS256 | Algorithm::RS384 | Algorithm::RS512)
        }
        AlgorithmParameters::EllipticCurve(_) => {
            matches!(alg, Algorithm::ES256 | Algorithm::ES384)
        }
        _ => false,
    };
    let named = key
        .common
        .key_algorithm
        .is_none_or(|named| named == KeyAlgorithm::from(alg));
    let signing = key.common.public_key_use != Some(PublicKeyUse::Encryption);
    family && named && signing
}

impl Claims {
    fn read(claims: &Value) -> Result<Claims, Error> {
        let text = |name: &str| claims.get(name).and_then(Value::as_str).map(str::to_owned);
        let list = |name: &str| match claims.get(name) {
            Some(Value::String(one)) => vec![one.clone()],
            Some(Value::Array(many)) => many
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect(),
            _ => Vec::new(),
        };
        let time = |name: &str| -> Result<Option<i64>, Error> {
            match claims.get(name) {
                None | Some(Value::Null) => Ok(None),
                Some(value) => value.as_i64().map(Some).ok_or_else(|| {
                    invalid(&format!(
                        "The token's `{name}` claim must be an integer number of seconds."
                    ))
                }),
            }
        };
        Ok(Claims {
            iss: text("iss").ok_or_else(|| invalid("Missing a required claim: iss"))?,
            sub: text("sub"),
            aud: list("aud"),
            azp: text("azp"),
            amr: list("amr"),
            exp: time("exp")?,
            nbf: time("nbf")?,
            iat: time("iat")?,
        })
    }

    /// The audience AWS checks: `azp` when the token has one, else the first `aud` that is
    /// one of `client_ids`.
    pub fn audience(&self, client_ids: &[String]) -> Result<String, Error> {
        let registered = |aud: &String| client_ids.iter().any(|c| c == aud);
        let found = match &self.azp {
            Some(azp) => Some(azp).filter(|a| registered(a)),
            None => self.aud.iter().find(|a| registered(a)),
        };
        found
            .cloned()
            .ok_or_else(|| invalid("Incorrect token audience"))
    }

    /// The validity window at `now`, with [`SKEW`] either way: expired tokens are
    /// ExpiredTokenException, tokens not yet valid or issued in the future
    /// InvalidIdentityToken.
    pub fn check_time(&self, now: Timestamp) -> Result<(), Error> {
        let exp = self
            .exp
            .ok_or_else(|| invalid("Missing a required claim: exp"))?;
        if now >= exp.saturating_add(SKEW) {
            return Err(Error::ExpiredIdentityToken(format!(
                "Token expired: current date/time {now} must be before the expiration date/time {exp}"
            )));
        }
        if let Some(nbf) = self.nbf
            && now.saturating_add(SKEW) < nbf
        {
            return Err(invalid(&format!(
                "Token not yet valid: current date/time {now} must not be before the not-before date/time {nbf}"
            )));
        }
        if let Some(iat) = self.iat
            && now.saturating_add(SKEW) < iat
        {
            return Err(invalid(&format!(
                "Token issued in the future: current date/time {now} is before the issue date/time {iat}"
            )));
        }
        Ok(())
    }

    /// The subject, which AWS requires (SubjectFromWebIdentityToken: 6 to 255 characters).
    pub fn subject(&self) -> Result<&str, Error> {
        match self.sub.as_deref() {
            Some(sub) if (6..=255).contains(&sub.chars().count()) => Ok(sub),
            Some(_) => Err(invalid(
                "The token's `sub` claim must be 6 to 255 characters long.",
            )),
            None => Err(invalid("Missing a required claim: sub")),
        }
    }
}
