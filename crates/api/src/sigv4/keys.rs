//! SigV4 signing keys: their derivation from a secret, and a bounded cache of derived keys.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Mutex, MutexGuard};

use hmac::{Hmac, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;

/// HMAC-SHA256. `None` only if the MAC refused its key, which HMAC never does; callers fail
/// closed on it.
pub(crate) fn hmac_sha256(key: &[u8], data: &[u8]) -> Option<[u8; 32]> {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key).ok()?;
    mac.update(data);
    Some(mac.finalize().into_bytes().into())
}

/// `kSigning = HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service), "aws4_request")`.
pub(crate) fn derive_signing_key(
    secret_access_key: &str,
    date: &str,
    region: &str,
    service: &str,
) -> Option<[u8; 32]> {
    let mut secret = Vec::with_capacity(4 + secret_access_key.len());
    secret.extend_from_slice(b"AWS4");
    secret.extend_from_slice(secret_access_key.as_bytes());
    let k_date = hmac_sha256(&secret, date.as_bytes());
    secret.fill(0);
    let k_region = hmac_sha256(&k_date?, region.as_bytes())?;
    let k_service = hmac_sha256(&k_region, service.as_bytes())?;
    hmac_sha256(&k_service, b"aws4_request")
}

/// Derived signing keys, cached per (access key id, date, region, service).
///
/// An entry holds the secret it was derived from and is used only when the request's secret
/// is the same (compared in constant time), so a changed secret never meets a stale key. The cache holds at most `capacity` keys: when the newer half fills, the
/// older half is dropped, and a key used from the older half moves to the newer one. It is safe
/// to share between threads. Neither secrets nor derived keys appear in its `Debug` output.
pub struct SigningKeyCache {
    capacity: usize,
    generations: Mutex<Generations>,
}

#[derive(Default)]
struct Generations {
    current: HashMap<String, Entry>,
    previous: HashMap<String, Entry>,
}

/// A derived key, HMAC keyed with it, and the secret it came from.
struct Entry {
    secret: Box<[u8]>,
    key: [u8; 32],
    mac: Hmac<Sha256>,
}

impl Drop for Entry {
    fn drop(&mut self) {
        self.secret.fill(0);
        self.key.fill(0);
    }
}

impl SigningKeyCache {
    /// The default capacity: one day's keys for a few thousand active access keys.
    pub const DEFAULT_CAPACITY: usize = 8192;

    /// A cache holding at most `capacity` derived keys (at least 2).
    pub fn new(capacity: usize) -> Self {
        Self {
            capacity: capacity.max(2),
            generations: Mutex::new(Generations::default()),
        }
    }

    /// How many derived keys are cached.
    pub fn len(&self) -> usize {
        let generations = self.lock();
        generations.current.len() + generations.previous.len()
    }

    /// Whether no key is cached.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Drops every cached key.
    pub fn clear(&self) {
        let mut generations = self.lock();
        generations.current.clear();
        generations.previous.clear();
    }

    /// The signing key for this scope, derived on a miss.
    #[cfg(test)]
    pub(crate) fn signing_key(
        &self,
        access_key_id: &str,
        secret_access_key: &str,
        date: &str,
        region: &str,
        service: &str,
    ) -> Option<[u8; 32]> {
        self.signing(access_key_id, secret_access_key, date, region, service)
            .map(|(key, _)| key)
    }

    /// HMAC-SHA256 under this scope's signing key, already keyed: a signature then costs
    /// only the hashing of the string to sign, not the key's inner and outer blocks.
    pub(crate) fn signing_mac(
        &self,
        access_key_id: &str,
        secret_access_key: &str,
        date: &str,
        region: &str,
        service: &str,
    ) -> Option<Hmac<Sha256>> {
        self.signing(access_key_id, secret_access_key, date, region, service)
            .map(|(_, mac)| mac)
    }

    fn signing(
        &self,
        access_key_id: &str,
        secret_access_key: &str,
        date: &str,
        region: &str,
        service: &str,
    ) -> Option<([u8; 32], Hmac<Sha256>)> {
        let mut scope = String::with_capacity(
            access_key_id.len() + date.len() + region.len() + service.len() + 3,
        );
        for (i, part) in [access_key_id, date, region, service]
            .into_iter()
            .enumerate()
        {
            if i > 0 {
                scope.push('\0');
            }
            scope.push_str(part);
        }
        if let Some(found) = self.lookup(&scope, secret_access_key.as_bytes()) {
            return Some(found);
        }
        let key = derive_signing_key(secret_access_key, date, region, service)?;
        let mac = <Hmac<Sha256> as Mac>::new_from_slice(&key).ok()?;
        let entry = Entry {
            secret: secret_access_key.as_bytes().into(),
            key,
            mac: mac.clone(),
        };
        let mut generations = self.lock();
        self.insert_locked(&mut generations, scope, entry);
        Some((key, mac))
    }

    fn lookup(&self, scope: &str, secret: &[u8]) -> Option<([u8; 32], Hmac<Sha256>)> {
        let same = |entry: &Entry| bool::from(entry.secret.ct_eq(secret));
        let mut generations = self.lock();
        if let Some(entry) = generations.current.get(scope) {
            return same(entry).then(|| (entry.key, entry.mac.clone()));
        }
        let entry = generations.previous.remove(scope)?;
        let found = same(&entry).then(|| (entry.key, entry.mac.clone()))?;
        self.insert_locked(&mut generations, scope.to_owned(), entry);
        Some(found)
    }

    fn insert_locked(&self, generations: &mut Generations, scope: String, entry: Entry) {
        if generations.current.len() >= self.capacity / 2 {
            generations.previous = std::mem::take(&mut generations.current);
        }
        generations.current.insert(scope, entry);
    }

    fn lock(&self) -> MutexGuard<'_, Generations> {
        // Nothing panics while the lock is held; a poisoned lock still holds consistent maps.
        self.generations
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl Default for SigningKeyCache {
    fn default() -> Self {
        Self::new(Self::DEFAULT_CAPACITY)
    }
}

impl fmt::Debug for SigningKeyCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningKeyCache")
            .field("capacity", &self.capacity)
            .field("len", &self.len())
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

    /// AWS's documented signing-key derivation example (secret, 20120215, us-east-1, iam).
    #[test]
    fn derivation_matches_aws_documented_example() {
        let key = derive_signing_key(SECRET, "20120215", "us-east-1", "iam").unwrap();
        assert_eq!(
            hex(&key),
            "f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d"
        );
        let k_date = hmac_sha256(format!("AWS4{SECRET}").as_bytes(), b"20120215").unwrap();
        assert_eq!(
            hex(&k_date),
            "969fbb94feb542b71ede6f87fe4d5fa29c789342b0f407474670f0c2489e0a0d"
        );
        let k_region = hmac_sha256(&k_date, b"us-east-1").unwrap();
        assert_eq!(
            hex(&k_region),
            "69daa0209cd9c5ff5c8ced464a696fd4252e981430b10e3d3fd8e2f197d7a70c"
        );
        let k_service = hmac_sha256(&k_region, b"iam").unwrap();
        assert_eq!(
            hex(&k_service),
            "f72cfd46f26bc4643f06a11eabb6c0ba18780c19a8da0c31ace671265e3c87fa"
        );
    }

    /// The signing key of AWS's ListUsers example (20150830, us-east-1, iam).
    #[test]
    fn derivation_matches_the_list_users_example_key() {
        let key = derive_signing_key(SECRET, "20150830", "us-east-1", "iam").unwrap();
        assert_eq!(
            hex(&key),
            "c4afb1cc5771d871763a393e44b703571b55cc28424d1a5e86da6ed3c154a4b9"
        );
    }

    #[test]
    fn cache_returns_the_derived_key_and_separates_secrets() {
        let cache = SigningKeyCache::new(16);
        let first = cache
            .signing_key("AKID", SECRET, "20150830", "us-east-1", "iam")
            .unwrap();
        assert_eq!(cache.len(), 1);
        let again = cache
            .signing_key("AKID", SECRET, "20150830", "us-east-1", "iam")
            .unwrap();
        assert_eq!(first, again);
        assert_eq!(cache.len(), 1);
        let other = cache
            .signing_key("AKID", "another secret", "20150830", "us-east-1", "iam")
            .unwrap();
        assert_ne!(first, other);
        assert_eq!(
            other,
            derive_signing_key("another secret", "20150830", "us-east-1", "iam").unwrap()
        );
        // One entry per scope: a different secret replaces it rather than meeting it.
        assert_eq!(cache.len(), 1);
        let back = cache
            .signing_key("AKID", SECRET, "20150830", "us-east-1", "iam")
            .unwrap();
        assert_eq!(back, first);
        cache.clear();
        assert!(cache.is_empty());
    }

    #[test]
    fn cache_stays_bounded_and_keeps_recently_used_keys() {
        let cache = SigningKeyCache::new(8);
        let hot = cache
            .signing_key("HOT", SECRET, "20150830", "us-east-1", "iam")
            .unwrap();
        for n in 0..100 {
            cache.signing_key(&format!("AKID{n}"), SECRET, "20150830", "us-east-1", "iam");
            assert!(cache.len() <= 8, "len {}", cache.len());
            assert_eq!(
                cache.signing_key("HOT", SECRET, "20150830", "us-east-1", "iam"),
                Some(hot)
            );
        }
    }

    #[test]
    fn debug_output_shows_no_key_material() {
        let cache = SigningKeyCache::new(4);
        let key = cache
            .signing_key("AKID", SECRET, "20150830", "us-east-1", "iam")
            .unwrap();
        let debug = format!("{cache:?}");
        assert!(debug.contains("len: 1"), "{debug}");
        assert!(!debug.contains(SECRET));
        assert!(!debug.contains(&hex(&key)));
        assert!(!debug.contains('['), "{debug}");
    }
}
