//! OpenID Connect issuers: the signing keys of a registered provider, found through its
//! discovery document (`/.well-known/openid-configuration`) and its JWKS, and cached.
//!
//! The core does no HTTP: it asks an [`OidcFetcher`] (implemented at the edge) for the bytes
//! at a URL, passing the provider's thumbprints so that the fetcher can trust the issuer's
//! certificate as AWS does. Keys are cached per issuer for [`KEYS_TTL`] and fetched again when
//! a token names a key id the cache lacks, at most once per [`REFRESH_INTERVAL`], so forged
//! key ids cannot make Warden hammer an issuer.

mod token;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use jsonwebtoken::jwk::Jwk;
use serde::Deserialize;

use crate::error::Error;
use crate::model::OidcProvider;
use crate::service::Service;
use crate::time::Timestamp;

pub(crate) use token::{Claims, peek, verify_signature};

/// How long fetched keys are used before they are fetched again, in seconds.
const KEYS_TTL: i64 = 3600;
/// The shortest time between two fetches of one issuer's keys, in seconds.
const REFRESH_INTERVAL: i64 = 10;
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

/// The fetcher and the keys fetched with it.
#[derive(Debug)]
pub(crate) struct Issuers {
    fetcher: Arc<dyn OidcFetcher>,
    cache: Mutex<HashMap<String, Cached>>,
}

impl Default for Issuers {
    fn default() -> Self {
        Issuers {
            fetcher: Arc::new(NoFetcher),
            cache: Mutex::new(HashMap::new()),
        }
    }
}

#[derive(Debug, Clone)]
struct Cached {
    keys: Arc<Vec<Jwk>>,
    fetched: Timestamp,
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

fn fetch_failed(issuer: &str, error: FetchError) -> Error {
    tracing::info!(
        issuer,
        ?error,
        "fetching from an OpenID Connect provider failed"
    );
    match error {
        FetchError::Unreachable(_) => Error::IdpCommunicationError(format!(
            "The identity provider {issuer} could not be reached to verify the token. Retry the request a limited number of times."
        )),
        FetchError::Untrusted(_) => Error::InvalidIdentityToken(
            "OpenIDConnect provider's HTTPS certificate doesn't match configured thumbprint"
                .to_owned(),
        ),
        FetchError::Refused(_) => key_unavailable(),
    }
}

impl Service {
    /// Fetches OpenID Connect providers' documents with `fetcher`.
    pub fn set_oidc_fetcher(&mut self, fetcher: Arc<dyn OidcFetcher>) {
        self.issuers = Issuers {
            fetcher,
            cache: Mutex::new(HashMap::new()),
        };
    }

    /// Whether loopback issuers may be registered with a port and served over plain HTTP.
    pub(crate) fn allows_loopback_http(&self) -> bool {
        self.issuers.fetcher.allows_loopback_http()
    }

    /// The signing keys of `provider`: cached ones while fresh and holding `kid` (when a
    /// token names one), else fetched again.
    pub(crate) fn oidc_keys(
        &self,
        provider: &OidcProvider,
        kid: Option<&str>,
    ) -> Result<Arc<Vec<Jwk>>, Error> {
        let now = self.now();
        let cache_key = format!("{} {}", provider.issuer(), provider.thumbprints.join(","));
        let cached = self
            .issuers
            .cache
            .lock()
            .ok()
            .and_then(|cache| cache.get(&cache_key).cloned());
        if let Some(cached) = cached {
            let age = now.saturating_sub(cached.fetched);
            let holds = kid.is_none_or(|kid| find(&cached.keys, kid).is_some());
            if age < KEYS_TTL && (holds || age < REFRESH_INTERVAL) {
                return Ok(cached.keys);
            }
        }
        let keys = Arc::new(self.fetch_keys(provider)?);
        if let Ok(mut cache) = self.issuers.cache.lock() {
            if cache.len() >= CACHE_LIMIT {
                cache.clear();
            }
            cache.insert(
                cache_key,
                Cached {
                    keys: Arc::clone(&keys),
                    fetched: now,
                },
            );
        }
        Ok(keys)
    }

    /// The discovery document, then the JWKS it names; keys that do not parse are skipped.
    fn fetch_keys(&self, provider: &OidcProvider) -> Result<Vec<Jwk>, Error> {
        let issuer = provider.issuer();
        let fetcher = &self.issuers.fetcher;
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
        let set: JwksDocument = serde_json::from_slice(&body).map_err(|e| {
            tracing::info!(%issuer, error = %e, "unreadable JWKS");
            key_unavailable()
        })?;
        Ok(set
            .keys
            .into_iter()
            .filter_map(|key| serde_json::from_value::<Jwk>(key).ok())
            .collect())
    }
}

/// A JWKS as served: each key parsed on its own, so one unknown key type spoils nothing.
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
