//! Secrets: the [`Secret`] newtype (zeroized, never printed, compared in constant time) and
//! the [`MasterKey`] that seals secrets at rest with AES-256-GCM.

use std::fmt;

use aes_gcm::aead::{Aead, KeyInit};
use aes_gcm::{Aes256Gcm, Nonce};
use subtle::ConstantTimeEq;
use zeroize::{Zeroize, Zeroizing};

use crate::error::Error;

/// A secret string (a secret access key, a TOTP seed). Its `Debug` says nothing, it is wiped
/// from memory when dropped, and equality takes constant time.
#[derive(Clone)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: String) -> Self {
        Secret(value)
    }

    /// The secret itself, for the few places that must use it (signing, sealing, showing it
    /// once to its owner).
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl PartialEq for Secret {
    fn eq(&self, other: &Self) -> bool {
        self.0.as_bytes().ct_eq(other.0.as_bytes()).into()
    }
}

impl Eq for Secret {}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

impl Drop for Secret {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

/// The key that seals secrets at rest. 32 random bytes, kept outside the database.
pub struct MasterKey(Zeroizing<[u8; 32]>);

impl fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("MasterKey(<redacted>)")
    }
}

const SEALED_PREFIX: &str = "v1:";

impl MasterKey {
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        MasterKey(Zeroizing::new(bytes))
    }

    /// A new random key.
    pub fn generate() -> Result<Self, Error> {
        let mut bytes = [0u8; 32];
        getrandom::getrandom(&mut bytes)
            .map_err(|e| Error::Internal(format!("no randomness: {e}")))?;
        Ok(MasterKey::from_bytes(bytes))
    }

    /// The key as 64 hex digits, for the key file.
    pub fn to_hex(&self) -> Zeroizing<String> {
        Zeroizing::new(self.0.iter().map(|b| format!("{b:02x}")).collect())
    }

    /// Reads 64 hex digits.
    pub fn from_hex(text: &str) -> Option<Self> {
        let text = text.trim();
        if text.len() != 64 {
            return None;
        }
        let mut bytes = [0u8; 32];
        for (index, byte) in bytes.iter_mut().enumerate() {
            let pair = text.get(index * 2..index * 2 + 2)?;
            *byte = u8::from_str_radix(pair, 16).ok()?;
        }
        Some(MasterKey::from_bytes(bytes))
    }

    /// A key for one purpose, derived from this one: HMAC-SHA256(master key, `label`).
    pub(crate) fn derive(&self, label: &[u8]) -> Zeroizing<[u8; 32]> {
        let mut derived = Zeroizing::new([0u8; 32]);
        if let Ok(mut mac) =
            <hmac::Hmac<sha2::Sha256> as hmac::Mac>::new_from_slice(self.0.as_slice())
        {
            hmac::Mac::update(&mut mac, label);
            derived.copy_from_slice(&hmac::Mac::finalize(mac).into_bytes());
        }
        derived
    }

    /// Seals `secret` bound to `context` (the record it belongs to, so a sealed value cannot
    /// be moved to another record): `v1:` + hex(nonce ‖ ciphertext ‖ tag).
    pub fn seal(&self, secret: &Secret, context: &str) -> Result<String, Error> {
        let cipher = Aes256Gcm::new_from_slice(self.0.as_slice())
            .map_err(|_| Error::Internal("bad master key length".to_owned()))?;
        let mut nonce = [0u8; 12];
        getrandom::getrandom(&mut nonce)
            .map_err(|e| Error::Internal(format!("no randomness: {e}")))?;
        let payload = aes_gcm::aead::Payload {
            msg: secret.expose().as_bytes(),
            aad: context.as_bytes(),
        };
        let sealed = cipher
            .encrypt(Nonce::from_slice(&nonce), payload)
            .map_err(|_| Error::Internal("sealing failed".to_owned()))?;
        let mut out = String::from(SEALED_PREFIX);
        for byte in nonce.iter().chain(sealed.iter()) {
            out.push_str(&format!("{byte:02x}"));
        }
        Ok(out)
    }

    /// Opens what [`MasterKey::seal`] produced for the same `context`.
    pub fn open(&self, sealed: &str, context: &str) -> Result<Secret, Error> {
        let broken =
            || Error::Internal("a sealed secret does not open with this master key".to_owned());
        let hex = sealed.strip_prefix(SEALED_PREFIX).ok_or_else(broken)?;
        if !hex.len().is_multiple_of(2) || hex.len() < 2 * (12 + 16) {
            return Err(broken());
        }
        let bytes: Vec<u8> = (0..hex.len() / 2)
            .map(|i| {
                hex.get(i * 2..i * 2 + 2)
                    .and_then(|p| u8::from_str_radix(p, 16).ok())
            })
            .collect::<Option<_>>()
            .ok_or_else(broken)?;
        let (nonce, ciphertext) = bytes.split_at(12);
        let cipher = Aes256Gcm::new_from_slice(self.0.as_slice()).map_err(|_| broken())?;
        let payload = aes_gcm::aead::Payload {
            msg: ciphertext,
            aad: context.as_bytes(),
        };
        let plain = Zeroizing::new(
            cipher
                .decrypt(Nonce::from_slice(nonce), payload)
                .map_err(|_| broken())?,
        );
        let text = std::str::from_utf8(&plain).map_err(|_| broken())?;
        Ok(Secret::new(text.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_secrets() {
        let secret = Secret::new("wJalrXUtnFEMI/K7MDENG".to_owned());
        assert!(!format!("{secret:?}").contains("wJal"));
        let key = MasterKey::from_bytes([7; 32]);
        assert!(!format!("{key:?}").contains("07"));
    }

    #[test]
    fn sealed_secrets_open_only_with_their_key_and_context() {
        let key = MasterKey::from_bytes([1; 32]);
        let secret = Secret::new("s3cr3t".to_owned());
        let sealed = key.seal(&secret, "AKIA1").unwrap();
        assert!(!sealed.contains("s3cr3t"));
        assert_eq!(key.open(&sealed, "AKIA1").unwrap(), secret);
        assert!(key.open(&sealed, "AKIA2").is_err());
        assert!(
            MasterKey::from_bytes([2; 32])
                .open(&sealed, "AKIA1")
                .is_err()
        );
        let hex = key.to_hex();
        assert!(
            MasterKey::from_hex(&hex)
                .unwrap()
                .seal(&secret, "x")
                .is_ok()
        );
    }
}
