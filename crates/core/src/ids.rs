//! Identifiers and generated credentials: unique ids with AWS's prefixes, access key ids,
//! secret access keys, request ids. Randomness comes from an injected [`Random`] source.

use crate::error::Error;
use crate::model::{AccountId, UniqueId};

/// A source of random bytes; tests substitute a deterministic one.
pub trait Random: Send + Sync {
    fn fill(&self, bytes: &mut [u8]) -> Result<(), Error>;
}

/// The operating system's randomness.
#[derive(Debug, Default, Clone, Copy)]
pub struct OsRandom;

impl Random for OsRandom {
    fn fill(&self, bytes: &mut [u8]) -> Result<(), Error> {
        getrandom::getrandom(bytes).map_err(|e| Error::Internal(format!("no randomness: {e}")))
    }
}

/// Random bytes drawn from a [`Random`] source a block at a time, for what must be
/// unpredictable but is no secret (request ids): one draw from the source serves 256 ids.
#[derive(Debug)]
pub(crate) struct RandomPool {
    bytes: [u8; 4096],
    used: usize,
}

impl Default for RandomPool {
    fn default() -> Self {
        RandomPool {
            bytes: [0; 4096],
            used: 4096,
        }
    }
}

impl RandomPool {
    /// Fills `out` from the pool, refilling it from `source` when it runs short.
    pub(crate) fn take(&mut self, source: &dyn Random, out: &mut [u8]) -> Result<(), Error> {
        if self.bytes.len() - self.used < out.len() {
            source.fill(&mut self.bytes)?;
            self.used = 0;
        }
        let end = self.used + out.len();
        match self.bytes.get(self.used..end) {
            Some(bytes) => out.copy_from_slice(bytes),
            None => return source.fill(out),
        }
        self.used = end;
        Ok(())
    }
}

/// The unique-id prefixes AWS uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Prefix {
    User,
    Group,
    Role,
    Policy,
    InstanceProfile,
    AccessKey,
    TemporaryAccessKey,
}

impl Prefix {
    pub fn as_str(self) -> &'static str {
        match self {
            Prefix::User => "AIDA",
            Prefix::Group => "AGPA",
            Prefix::Role => "AROA",
            Prefix::Policy => "ANPA",
            Prefix::InstanceProfile => "AIPA",
            Prefix::AccessKey => "AKIA",
            Prefix::TemporaryAccessKey => "ASIA",
        }
    }
}

const BASE32: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
const SECRET_ALPHABET: &[u8; 64] =
    b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

fn draw(random: &dyn Random, alphabet: &[u8], length: usize) -> Result<String, Error> {
    let mut bytes = vec![0u8; length];
    random.fill(&mut bytes)?;
    Ok(bytes
        .iter()
        .map(|b| {
            let index = usize::from(*b) % alphabet.len();
            alphabet.get(index).map_or('A', |c| char::from(*c))
        })
        .collect())
}

/// A unique id such as `AIDAJQABLZS4A3QDU576Q` (prefix + 17 characters).
pub fn unique_id(random: &dyn Random, prefix: Prefix) -> Result<UniqueId, Error> {
    Ok(UniqueId::new(&prefixed(random, prefix)?))
}

/// An access key id such as `AKIAIOSFODNN7EXAMPLE` (prefix + 16 characters). Not a
/// [`UniqueId`]: it names a credential, not an entity.
pub fn access_key_id(random: &dyn Random) -> Result<String, Error> {
    prefixed(random, Prefix::AccessKey)
}

fn prefixed(random: &dyn Random, prefix: Prefix) -> Result<String, Error> {
    let length = match prefix {
        Prefix::AccessKey | Prefix::TemporaryAccessKey => 16,
        _ => 17,
    };
    Ok(format!(
        "{}{}",
        prefix.as_str(),
        draw(random, BASE32, length)?
    ))
}

/// A 40-character secret access key.
pub fn secret_access_key(random: &dyn Random) -> Result<String, Error> {
    draw(random, SECRET_ALPHABET, 40)
}

/// A random 12-digit account id that does not start with 0.
pub fn account_id(random: &dyn Random) -> Result<AccountId, Error> {
    let digits = draw(random, b"0123456789", 12)?;
    let text = format!(
        "{}{}",
        draw(random, b"123456789", 1)?,
        digits.get(1..).unwrap_or_default()
    );
    AccountId::parse(&text).ok_or_else(|| Error::Internal("a drawn account id is malformed".into()))
}

/// A request id in AWS's UUID form (random, version 4 layout).
pub fn request_id(random: &dyn Random) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut bytes = [0u8; 16];
    if random.fill(&mut bytes).is_err() {
        return "00000000-0000-0000-0000-000000000000".to_owned();
    }
    let mut id = String::with_capacity(36);
    for (index, byte) in bytes.iter().enumerate() {
        if matches!(index, 4 | 6 | 8 | 10) {
            id.push('-');
        }
        for nibble in [byte >> 4, byte & 0x0f] {
            id.push(char::from(
                HEX.get(usize::from(nibble)).copied().unwrap_or(b'0'),
            ));
        }
    }
    id
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes() {
        let id = unique_id(&OsRandom, Prefix::User).unwrap();
        assert!(id.starts_with("AIDA") && id.len() == 21);
        let key = access_key_id(&OsRandom).unwrap();
        assert!(key.starts_with("AKIA") && key.len() == 20);
        assert_eq!(secret_access_key(&OsRandom).unwrap().len(), 40);
        let account = account_id(&OsRandom).unwrap();
        assert!(account.len() == 12 && !account.starts_with('0'));
        assert_eq!(request_id(&OsRandom).len(), 36);
    }

    #[test]
    fn the_pool_hands_out_fresh_bytes_and_refills() {
        let mut pool = RandomPool::default();
        let mut seen = std::collections::HashSet::new();
        // 600 draws of 16 bytes go through the 4 KiB pool more than twice.
        for _ in 0..600 {
            let mut bytes = [0u8; 16];
            pool.take(&OsRandom, &mut bytes).unwrap();
            assert!(seen.insert(bytes));
        }
    }
}
