//! OpenID Connect issuers: the signing keys of a registered provider, found through its
//! discovery document (`/.well-known/openid-configuration`) and its JWKS, and cached
//! ([`Issuers`], a component of the `Service`).
//!
//! The core does no HTTP: it asks an [`OidcFetcher`] (implemented at the edge) for the bytes
//! at a URL, passing the provider's thumbprints so that the fetcher can trust the issuer's
//! certificate as AWS does. Keys are cached per issuer for [`KEYS_TTL`] and fetched again when
//! a token names a key id the cache lacks, at most once per [`REFRESH_INTERVAL`], so forged
//! key ids cannot make Warden hammer an issuer.
//!
//! A slow or dead issuer costs one fetch at a time and one per [`FAILURE_TTL`]: while a fetch
//! of an issuer's keys is under way, other requests for that issuer wait for its outcome (at
//! most [`MAX_WAIT`]) instead of fetching too, and a failed fetch is remembered and answered
//! again, without fetching, for [`FAILURE_TTL`]. The cache is keyed by registered providers'
//! issuers only, never by what a token says before its provider is found.

use std::collections::HashMap;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use jsonwebtoken::jwk::Jwk;
use serde::Deserialize;

use crate::error::Error;
use crate::model::OidcProvider;
use crate::time::{Clock, Timestamp};

/// How long fetched keys are used before they are fetched again, in seconds.
const KEYS_TTL: i64 = 3600;
/// The shortest time between two fetches of one issuer's keys, in seconds.
const REFRESH_INTERVAL: i64 = 10;
/// How long a failed fetch is answered from memory before the issuer is tried again, in
/// seconds.
const FAILURE_TTL: i64 = 30;
/// The longest a request waits for another request's fetch of the same issuer's keys (the edge
/// gives each of the two documents 10 seconds); one that gives up answers IDPCommunicationError.
const MAX_WAIT: Duration = Duration::from_secs(15);
/// At most this many issuers' keys are cached; beyond, the cache starts over.
const CACHE_LIMIT: usize = 1000;

/// Fetches a document over HTTP(S) for the core.
pub trait OidcFetcher: Send + Sync + std::fmt::Debug {
    /// The body of a successful GET of `url`. An `https` URL's certificate must chain to a
    /// trusted root, or its chain must hold a certificate whose SHA-1 thumbprint (40 hex
    /// digits) is in `thumbprints`.
    fn fetch(&self, url: &str, thumbprints: &[String]) -> Result<Vec<u8>, FetchError>;

    /// Whether issuers on a loopback address may be registered with a port and reached over
    /// plain HTTP (a setting for tests, off unless the server enables it).
    fn allows_loopback_http(&self) -> bool {
        false
    }
}

/// Why a fetch failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FetchError {
    /// The issuer could not be reached (connection refused, timeout, name resolution).
    Unreachable(String),
    /// The issuer's certificate is trusted neither by the roots nor by a thumbprint.
    Untrusted(String),
    /// The issuer answered, but not with a usable document (status, size, scheme).
    Refused(String),
}

/// A fetcher for services that have none: every fetch fails.
#[derive(Debug, Default)]
struct NoFetcher;

impl OidcFetcher for NoFetcher {
    fn fetch(&self, _url: &str, _thumbprints: &[String]) -> Result<Vec<u8>, FetchError> {
        Err(FetchError::Unreachable(
            "this server has no HTTP client for identity providers".to_owned(),
        ))
    }
}

/// An issuer's signing keys, as fetched.
type Keys = Arc<Vec<Jwk>>;

/// The fetcher and what it fetched, per issuer.
pub(crate) struct Issuers {
    fetcher: Arc<dyn OidcFetcher>,
    clock: Arc<dyn Clock>,
    cache: Mutex<HashMap<String, Entry>>,
    /// Signalled whenever a fetch ends.
    fetched: Condvar,
}

impl Issuers {
    /// The cache. Its entries stay consistent whatever panicked while holding it.
    fn lock(&self) -> MutexGuard<'_, HashMap<String, Entry>> {
        self.cache.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Issuers whose documents `fetcher` fetches (none: every fetch fails), their keys'
    /// age told by `clock`.
    pub(crate) fn new(fetcher: Option<Arc<dyn OidcFetcher>>, clock: Arc<dyn Clock>) -> Issuers {
        Issuers {
            fetcher: fetcher.unwrap_or_else(|| Arc::new(NoFetcher)),
            clock,
            cache: Mutex::new(HashMap::new()),
            fetched: Condvar::new(),
        }
    }
}

/// One issuer's keys, its last failure, and whether a fetch is under way.
#[derive(Debug, Default)]
struct Entry {
    keys: Option<Cached>,
    failed: Option<(Timestamp, Error)>,
    fetching: bool,
}

#[derive(Debug, Clone)]
struct Cached {
    keys: Keys,
    fetched: Timestamp,
}

/// What a request does about an issuer's keys.
enum Next {
    Answer(Result<Keys, Error>),
    Wait,
    Fetch,
}

impl Entry {
    fn next(&self, now: Timestamp, kid: Option<&str>) -> Next {
        if let Some(cached) = &self.keys {
            let age = now.saturating_sub(cached.fetched);
            let holds = kid.is_none_or(|kid| find(&cached.keys, kid).is_some());
            if age < KEYS_TTL && (holds || age < REFRESH_INTERVAL) {
                return Next::Answer(Ok(Arc::clone(&cached.keys)));
            }
        }
        if let Some((at, error)) = &self.failed
            && now.saturating_sub(*at) < FAILURE_TTL
        {
            return Next::Answer(Err(error.clone()));
        }
        if self.fetching {
            Next::Wait
        } else {
            Next::Fetch
        }
    }
}

/// A fetch under way. When it ends, even by a panic, its outcome (if any) is recorded, the
/// issuer is no longer being fetched, and waiting requests are woken.
struct Fetch<'i> {
    issuers: &'i Issuers,
    cache_key: String,
    outcome: Option<(Timestamp, Result<Keys, Error>)>,
}

impl Drop for Fetch<'_> {
    fn drop(&mut self) {
        let mut cache = self.issuers.lock();
        if cache.len() >= CACHE_LIMIT {
            cache.retain(|_, entry| entry.fetching);
        }
        let entry = cache
            .entry(std::mem::take(&mut self.cache_key))
            .or_default();
        entry.fetching = false;
        match self.outcome.take() {
            Some((now, Ok(keys))) => {
                entry.keys = Some(Cached { keys, fetched: now });
                entry.failed = None;
            }
            Some((now, Err(error))) => entry.failed = Some((now, error)),
            None => {}
        }
        drop(cache);
        self.issuers.fetched.notify_all();
    }
}

/// The part of a discovery document Warden reads.
#[derive(Deserialize)]
struct Discovery {
    issuer: String,
    jwks_uri: String,
}

pub(crate) fn key_unavailable() -> Error {
    Error::InvalidIdentityToken(
        "Couldn't retrieve verification key from your identity provider,  please reference AssumeRoleWithWebIdentity documentation for requirements"
            .to_owned(),
    )
}

/// IDPCommunicationError: the issuer did not answer in time.
fn unreachable(issuer: &str) -> Error {
    Error::IdpCommunicationError(format!(
        "The identity provider {issuer} could not be reached to verify the token. Retry the request a limited number of times."
    ))
}

fn fetch_failed(issuer: &str, error: FetchError) -> Error {
    tracing::info!(
        issuer,
        ?error,
        "fetching from an OpenID Connect provider failed"
    );
    match error {
        FetchError::Unreachable(_) => unreachable(issuer),
        FetchError::Untrusted(_) => Error::InvalidIdentityToken(
            "OpenIDConnect provider's HTTPS certificate doesn't match configured thumbprint"
                .to_owned(),
        ),
        FetchError::Refused(_) => key_unavailable(),
    }
}

impl Issuers {
    /// Whether loopback issuers may be registered with a port and served over plain HTTP.
    pub(crate) fn allows_loopback_http(&self) -> bool {
        self.fetcher.allows_loopback_http()
    }

    /// The signing keys of `provider`: cached ones while fresh and holding `kid` (when a
    /// token names one), else fetched again, by one request at a time; a recent failure is
    /// answered again without fetching.
    pub(crate) fn keys(&self, provider: &OidcProvider, kid: Option<&str>) -> Result<Keys, Error> {
        let issuer = provider.issuer();
        let cache_key = format!("{issuer} {}", provider.thumbprints.join(","));
        let deadline = Instant::now() + MAX_WAIT;
        let mut cache = self.lock();
        loop {
            let entry = cache.entry(cache_key.clone()).or_default();
            match entry.next(self.clock.now(), kid) {
                Next::Answer(answer) => return answer,
                Next::Fetch => {
                    entry.fetching = true;
                    break;
                }
                Next::Wait => {
                    let left = deadline.saturating_duration_since(Instant::now());
                    if left.is_zero() {
                        tracing::info!(%issuer, "gave up waiting for a fetch of an OpenID Connect provider's keys");
                        return Err(unreachable(&issuer));
                    }
                    cache = match self.fetched.wait_timeout(cache, left) {
                        Ok((cache, _)) => cache,
                        Err(poisoned) => poisoned.into_inner().0,
                    };
                }
            }
        }
        drop(cache);
        let mut fetch = Fetch {
            issuers: self,
            cache_key,
            outcome: None,
        };
        let fetched = self.fetch_keys(provider).map(Arc::new);
        fetch.outcome = Some((self.clock.now(), fetched.clone()));
        drop(fetch);
        fetched
    }

    /// The discovery document, then the JWKS it names; keys that do not parse are skipped.
    fn fetch_keys(&self, provider: &OidcProvider) -> Result<Vec<Jwk>, Error> {
        let issuer = provider.issuer();
        let fetcher = &self.fetcher;
        let discovery_url = format!(
            "{}/.well-known/openid-configuration",
            issuer.trim_end_matches('/')
        );
        let body = fetcher
            .fetch(&discovery_url, &provider.thumbprints)
            .map_err(|e| fetch_failed(&issuer, e))?;
        let discovery: Discovery = serde_json::from_slice(&body).map_err(|e| {
            tracing::info!(%issuer, error = %e, "unreadable discovery document");
            key_unavailable()
        })?;
        if discovery.issuer.trim_end_matches('/') != issuer.trim_end_matches('/') {
            tracing::info!(%issuer, named = %discovery.issuer, "discovery document names another issuer");
            return Err(Error::IdpRejectedClaim(format!(
                "The identity provider's discovery document names the issuer {}, not {issuer}.",
                discovery.issuer
            )));
        }
        let scheme_ok = discovery.jwks_uri.starts_with("https://")
            || (provider.http && discovery.jwks_uri.starts_with("http://"));
        if !scheme_ok {
            tracing::info!(%issuer, jwks_uri = %discovery.jwks_uri, "jwks_uri is not https");
            return Err(key_unavailable());
        }
        let body = fetcher
            .fetch(&discovery.jwks_uri, &provider.thumbprints)
            .map_err(|e| fetch_failed(&issuer, e))?;
        read_jwks(&body).map_err(|e| {
            tracing::info!(%issuer, error = %e, "unreadable JWKS");
            key_unavailable()
        })
    }
}

/// The keys of a JWKS that Warden can read, each key parsed on its own, so one unknown key
/// type spoils nothing.
pub(crate) fn read_jwks(body: &[u8]) -> Result<Vec<Jwk>, serde_json::Error> {
    let set: JwksDocument = serde_json::from_slice(body)?;
    Ok(set
        .keys
        .into_iter()
        .filter_map(|key| serde_json::from_value::<Jwk>(key).ok())
        .collect())
}

/// A JWKS as served.
#[derive(Deserialize)]
struct JwksDocument {
    #[serde(default)]
    keys: Vec<serde_json::Value>,
}

/// The key with id `kid`.
pub(crate) fn find<'k>(keys: &'k [Jwk], kid: &str) -> Option<&'k Jwk> {
    keys.iter()
        .find(|k| k.common.key_id.as_deref() == Some(kid))
}
