//! Session tokens: a session's claims sealed with AES-256-GCM under a token key derived from
//! the master key, with the temporary access key id and secret that go with them.
//!
//! A token is base64url (no padding) of: version `1` (1 byte) ‖ key generation (4 bytes,
//! big-endian) ‖ nonce (12 bytes) ‖ the claims' JSON, encrypted and tagged. The version, the
//! generation and the access key id are the additional authenticated data, so a token opens
//! only together with the key id it was issued with, and any change to it is detected. The
//! secret access key is not in the token: it is HMAC-SHA256(token key, `secret` ‖ key id ‖
//! nonce), recomputed when a request is verified. Nothing is stored per session.
//!
//! The access key id (`ASIA` + 16 base32 characters) carries the account in its first 40 bits
//! and 40 random bits after them, so GetAccessKeyInfo can answer for it without the token.
//!
//! **Rotation.** Generation N's key is HMAC-SHA256(master key, `warden session token vN`).
//! Tokens are sealed under the current generation; tokens of the previous generation still
//! open, so raising the generation cuts no live session. A session lasts at most 36 hours
//! (129,600 seconds), so once that long has passed since a raise, the generation before it has
//! no live tokens left and the next raise retires it.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use zeroize::Zeroizing;

use super::Session;
use crate::error::Error;
use crate::ids::Random;
use crate::model::AccountId;
use crate::secret::{MasterKey, Secret};

const VERSION: u8 = 1;
const HEADER: usize = 1 + 4 + 12;
const BASE32: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
const BASE64URL: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
const SECRET_ALPHABET: &[u8; 64] =
    b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// The keys that seal session tokens and authorization messages: the current generation's
/// and the previous one's.
pub struct TokenKeys {
    current: u32,
    keys: Vec<(u32, Zeroizing<[u8; 32]>)>,
}

impl std::fmt::Debug for TokenKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenKeys")
            .field("current", &self.current)
            .finish_non_exhaustive()
    }
}

/// A new session's credentials.
pub(crate) struct Sealed {
    pub access_key_id: String,
    pub secret: Secret,
    pub token: String,
}

fn invalid_token() -> Error {
    Error::InvalidClientTokenId("The security token included in the request is invalid".to_owned())
}

impl TokenKeys {
    /// The keys of `generation` (at least 1) and of the one before it.
    pub fn new(master: &MasterKey, generation: u32) -> TokenKeys {
        let current = generation.max(1);
        let keys = [current, current - 1]
            .into_iter()
            .filter(|g| *g >= 1)
            .map(|g| {
                (
                    g,
                    master.derive(format!("warden session token v{g}").as_bytes()),
                )
            })
            .collect();
        TokenKeys { current, keys }
    }

    fn key(&self, generation: u32) -> Option<&[u8; 32]> {
        self.keys
            .iter()
            .find(|(g, _)| *g == generation)
            .map(|(_, key)| &**key)
    }

    /// Seals `session` into a token with a new access key id and its secret.
    pub(crate) fn seal(&self, random: &dyn Random, session: &Session) -> Result<Sealed, Error> {
        let access_key_id = temporary_key_id(random, &session.account)?;
        let claims = serde_json::to_vec(session)
            .map_err(|e| Error::Internal(format!("encoding a session: {e}")))?;
        let sealed = self.seal_bytes(random, access_key_id.as_bytes(), &claims)?;
        let secret = self.secret(self.current, &access_key_id, nonce_of(&sealed))?;
        Ok(Sealed {
            access_key_id,
            secret,
            token: base64url(&sealed),
        })
    }

    /// Opens `token`, which must have been issued with `access_key_id`: the session and the
    /// secret access key that signs with it. Anything else is InvalidClientTokenId.
    pub(crate) fn open(
        &self,
        access_key_id: &str,
        token: &str,
    ) -> Result<(Session, Secret), Error> {
        let bytes = from_base64url(token).ok_or_else(invalid_token)?;
        let (generation, plain) = self
            .open_bytes(access_key_id.as_bytes(), &bytes)
            .ok_or_else(invalid_token)?;
        let session: Session = serde_json::from_slice(&plain).map_err(|_| invalid_token())?;
        let secret = self.secret(generation, access_key_id, nonce_of(&bytes))?;
        Ok((session, secret))
    }

    /// Seals `plain` for `purpose` (an authorization message), readable only by
    /// [`TokenKeys::open_message`] with the same purpose.
    pub(crate) fn seal_message(
        &self,
        random: &dyn Random,
        purpose: &str,
        plain: &[u8],
    ) -> Result<String, Error> {
        Ok(base64url(&self.seal_bytes(
            random,
            purpose.as_bytes(),
            plain,
        )?))
    }

    pub(crate) fn open_message(&self, purpose: &str, text: &str) -> Option<Vec<u8>> {
        let bytes = from_base64url(text.trim())?;
        let (_, plain) = self.open_bytes(purpose.as_bytes(), &bytes)?;
        Some(plain.to_vec())
    }

    fn seal_bytes(
        &self,
        random: &dyn Random,
        bound_to: &[u8],
        plain: &[u8],
    ) -> Result<Vec<u8>, Error> {
        let key = self
            .key(self.current)
            .ok_or_else(|| Error::Internal("no session token key".to_owned()))?;
        let cipher = Aes256Gcm::new_from_slice(key)
            .map_err(|_| Error::Internal("bad token key".to_owned()))?;
        let mut out = Vec::with_capacity(HEADER + plain.len() + 16);
        out.push(VERSION);
        out.extend_from_slice(&self.current.to_be_bytes());
        let mut nonce = [0u8; 12];
        random.fill(&mut nonce)?;
        out.extend_from_slice(&nonce);
        let aad = aad(&out, bound_to);
        let ciphertext = cipher
            .encrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: plain,
                    aad: &aad,
                },
            )
            .map_err(|_| Error::Internal("sealing a token failed".to_owned()))?;
        out.extend_from_slice(&ciphertext);
        Ok(out)
    }

    /// The generation and the plain text, if `bytes` is intact and bound to `bound_to`.
    fn open_bytes(&self, bound_to: &[u8], bytes: &[u8]) -> Option<(u32, Zeroizing<Vec<u8>>)> {
        let header = bytes.get(..HEADER)?;
        let (&version, rest) = header.split_first()?;
        if version != VERSION {
            return None;
        }
        let generation = u32::from_be_bytes(rest.get(..4)?.try_into().ok()?);
        let key = self.key(generation)?;
        let cipher = Aes256Gcm::new_from_slice(key).ok()?;
        let aad = aad(header, bound_to);
        let payload = Payload {
            msg: bytes.get(HEADER..)?,
            aad: &aad,
        };
        let plain = cipher
            .decrypt(Nonce::from_slice(nonce_of(bytes)), payload)
            .ok()?;
        Some((generation, Zeroizing::new(plain)))
    }

    fn secret(&self, generation: u32, access_key_id: &str, nonce: &[u8]) -> Result<Secret, Error> {
        let key = self.key(generation).ok_or_else(invalid_token)?;
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key).map_err(|_| invalid_token())?;
        mac.update(b"secret");
        mac.update(access_key_id.as_bytes());
        mac.update(nonce);
        let mut digest = Zeroizing::new([0u8; 32]);
        digest.copy_from_slice(&mac.finalize().into_bytes());
        let bits = digest.get(..30).ok_or_else(invalid_token)?;
        Ok(Secret::new(encode_bits(bits, SECRET_ALPHABET, 6)))
    }
}

fn aad(header: &[u8], bound_to: &[u8]) -> Vec<u8> {
    let mut aad = Vec::with_capacity(header.len() + bound_to.len());
    aad.extend_from_slice(header);
    aad.extend_from_slice(bound_to);
    aad
}

fn nonce_of(bytes: &[u8]) -> &[u8] {
    bytes.get(5..HEADER).unwrap_or(&[0; 12])
}

/// `ASIA` + base32 of 80 bits: the account (40 bits), then 40 random bits.
fn temporary_key_id(random: &dyn Random, account: &AccountId) -> Result<String, Error> {
    let account: u64 = account
        .as_str()
        .parse()
        .map_err(|_| Error::Internal(format!("account id `{account}` is not numeric")))?;
    let mut bytes = [0u8; 10];
    bytes
        .get_mut(..5)
        .unwrap_or_default()
        .copy_from_slice(account.to_be_bytes().get(3..).unwrap_or_default());
    random.fill(bytes.get_mut(5..).unwrap_or_default())?;
    Ok(format!("ASIA{}", encode_bits(&bytes, BASE32, 5)))
}

/// The account a temporary access key id (`ASIA…`) was issued for.
pub(crate) fn temporary_key_account(access_key_id: &str) -> Option<String> {
    let body = access_key_id.strip_prefix("ASIA")?;
    if body.len() != 16 {
        return None;
    }
    let mut bits: u128 = 0;
    for c in body.bytes() {
        let value = BASE32.iter().position(|b| *b == c)?;
        bits = (bits << 5) | value as u128;
    }
    let account = bits >> 40;
    (account < 1_000_000_000_000).then(|| format!("{account:012}"))
}

/// Encodes `bytes` `width` bits per character (5: base32, 6: base64), most significant first.
fn encode_bits(bytes: &[u8], alphabet: &[u8], width: u32) -> String {
    let mut out = String::with_capacity(bytes.len() * 8 / width as usize + 1);
    let mut buffer: u32 = 0;
    let mut held = 0;
    let mask = (1u32 << width) - 1;
    let mut push = |index: u32| {
        if let Some(c) = alphabet.get(index as usize) {
            out.push(char::from(*c));
        }
    };
    for byte in bytes {
        buffer = (buffer << 8) | u32::from(*byte);
        held += 8;
        while held >= width {
            held -= width;
            push((buffer >> held) & mask);
        }
    }
    if held > 0 {
        push((buffer << (width - held)) & mask);
    }
    out
}

fn base64url(bytes: &[u8]) -> String {
    encode_bits(bytes, BASE64URL, 6)
}

/// Each byte's value in [`BASE64URL`], or `0xff`.
const BASE64URL_VALUES: [u8; 256] = base64url_values();

#[expect(
    clippy::indexing_slicing,
    reason = "const fn: every index is below the arrays' lengths"
)]
const fn base64url_values() -> [u8; 256] {
    let mut values = [0xff; 256];
    let mut index = 0;
    while index < BASE64URL.len() {
        values[BASE64URL[index] as usize] = index as u8;
        index += 1;
    }
    values
}

/// Decodes base64url without padding, canonical encodings only: the text [`base64url`] writes
/// for the bytes it decodes to. A dangling character (length 1 modulo 4) or unused trailing
/// bits that are not zero make it another text for the same bytes, and it is refused, so one
/// token has one spelling.
fn from_base64url(text: &str) -> Option<Vec<u8>> {
    if text.len() % 4 == 1 {
        return None;
    }
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    let mut buffer: u32 = 0;
    let mut held = 0;
    for c in text.bytes() {
        let value = BASE64URL_VALUES
            .get(usize::from(c))
            .copied()
            .filter(|v| *v != 0xff)?;
        buffer = (buffer << 6) | u32::from(value);
        held += 6;
        if held >= 8 {
            held -= 8;
            out.push((buffer >> held) as u8);
        }
    }
    (buffer & ((1 << held) - 1) == 0).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::OsRandom;
    use crate::model::{AccountId, UniqueId};
    use crate::sessions::SessionKind;

    fn session() -> Session {
        Session {
            kind: SessionKind::Role,
            account: AccountId::parse("111122223333").unwrap(),
            principal_id: Some(UniqueId::new("AROAEXAMPLE0000000001")),
            name: "s1".to_owned(),
            issued: 1_767_225_600,
            expires: 1_767_229_200,
            ..Session::default()
        }
    }

    #[test]
    fn a_token_opens_with_its_key_id_only() {
        let keys = TokenKeys::new(&MasterKey::from_bytes([3; 32]), 1);
        let sealed = keys.seal(&OsRandom, &session()).unwrap();
        assert!(sealed.access_key_id.starts_with("ASIA") && sealed.access_key_id.len() == 20);
        assert_eq!(sealed.secret.expose().len(), 40);
        let (opened, secret) = keys.open(&sealed.access_key_id, &sealed.token).unwrap();
        assert_eq!(opened, session());
        assert_eq!(secret, sealed.secret);
        let other = keys.seal(&OsRandom, &session()).unwrap();
        assert!(keys.open(&other.access_key_id, &sealed.token).is_err());
        assert!(!format!("{keys:?}").contains("03"));
    }

    #[test]
    fn any_change_to_a_token_is_refused() {
        let keys = TokenKeys::new(&MasterKey::from_bytes([3; 32]), 1);
        let sealed = keys.seal(&OsRandom, &session()).unwrap();
        let mut bytes = from_base64url(&sealed.token).unwrap();
        for at in [0, 3, 10, 20, bytes.len() - 1] {
            bytes[at] ^= 1;
            assert!(
                keys.open(&sealed.access_key_id, &base64url(&bytes))
                    .is_err(),
                "byte {at}"
            );
            bytes[at] ^= 1;
        }
        assert!(keys.open(&sealed.access_key_id, &base64url(&bytes)).is_ok());
        assert!(keys.open(&sealed.access_key_id, "not a token!").is_err());
        assert!(keys.open(&sealed.access_key_id, "").is_err());
    }

    #[test]
    fn only_the_canonical_spelling_of_a_token_opens() {
        let keys = TokenKeys::new(&MasterKey::from_bytes([3; 32]), 1);
        let mut tried = 0;
        for name in ["s", "s1", "s12", "s123"] {
            let sealed = keys
                .seal(
                    &OsRandom,
                    &Session {
                        name: name.to_owned(),
                        ..session()
                    },
                )
                .unwrap();
            let token = &sealed.token;
            assert!(keys.open(&sealed.access_key_id, token).is_ok());
            // A dangling sixth-of-a-byte, and padding, are no part of the encoding.
            for longer in [format!("{token}A"), format!("{token}=")] {
                assert!(keys.open(&sealed.access_key_id, &longer).is_err());
            }
            // Unused trailing bits set: another text that decodes to the same bytes.
            if !token.len().is_multiple_of(4) {
                let (body, last) = token.split_at(token.len() - 1);
                let value = BASE64URL_VALUES[usize::from(last.as_bytes()[0])];
                let other = format!("{body}{}", char::from(BASE64URL[usize::from(value | 1)]));
                assert_eq!(from_base64url(&other), None);
                assert!(keys.open(&sealed.access_key_id, &other).is_err(), "{other}");
                tried += 1;
            }
        }
        assert!(tried > 0, "no token had trailing bits");
        assert_eq!(from_base64url("AAA"), Some(vec![0, 0]));
        assert_eq!(from_base64url("AAB"), None);
        assert_eq!(from_base64url("AAAAA"), None);
    }

    #[test]
    fn the_previous_generation_still_opens_the_one_before_does_not() {
        let master = MasterKey::from_bytes([4; 32]);
        let old = TokenKeys::new(&master, 1)
            .seal(&OsRandom, &session())
            .unwrap();
        assert!(
            TokenKeys::new(&master, 2)
                .open(&old.access_key_id, &old.token)
                .is_ok()
        );
        assert!(
            TokenKeys::new(&master, 3)
                .open(&old.access_key_id, &old.token)
                .is_err()
        );
        let other_master = TokenKeys::new(&MasterKey::from_bytes([5; 32]), 1);
        assert!(other_master.open(&old.access_key_id, &old.token).is_err());
    }

    #[test]
    fn key_ids_carry_their_account() {
        let id = temporary_key_id(&OsRandom, &AccountId::parse("012345678901").unwrap()).unwrap();
        assert_eq!(temporary_key_account(&id).as_deref(), Some("012345678901"));
        assert_eq!(temporary_key_account("AKIAIOSFODNN7EXAMPLE"), None);
        assert_eq!(temporary_key_account("ASIA7777777777777777"), None);
    }

    #[test]
    fn messages_open_for_their_purpose_only() {
        let keys = TokenKeys::new(&MasterKey::from_bytes([6; 32]), 1);
        let sealed = keys.seal_message(&OsRandom, "m", b"hello").unwrap();
        assert_eq!(keys.open_message("m", &sealed).unwrap(), b"hello");
        assert!(keys.open_message("n", &sealed).is_none());
    }
}
