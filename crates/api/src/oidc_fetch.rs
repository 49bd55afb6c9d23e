//! The HTTP client that fetches OpenID Connect discovery documents and JWKS for the core
//! ([`HttpFetcher`], an [`OidcFetcher`]): one GET over HTTPS (rustls) or, for loopback
//! issuers when the server allows it, plain HTTP; no redirects; bounded in time and size.
//!
//! An HTTPS issuer is trusted when its certificate chains to a root of the system's store,
//! or, as AWS does, when a certificate of the chain it presents has a SHA-1 thumbprint in the
//! provider's ThumbprintList (see `trust`).

pub mod trust;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::http::{Request, StatusCode, Uri, header};
use http_body_util::{BodyExt, Empty, Limited};
use hyper::body::Bytes;
use hyper_util::rt::TokioIo;
use rustls::pki_types::ServerName;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use warden_core::{FetchError, OidcFetcher};

/// Documents larger than this are refused.
pub const MAX_DOCUMENT: usize = 256 * 1024;
/// The longest a fetch may take, connection included.
const TIMEOUT: Duration = Duration::from_secs(10);

/// Fetches issuers' documents on the server's async runtime, for callers on blocking
/// threads (the core runs AssumeRoleWithWebIdentity on one).
#[derive(Debug, Clone)]
pub struct HttpFetcher {
    runtime: tokio::runtime::Handle,
    roots: Arc<rustls::RootCertStore>,
    allow_loopback_http: bool,
}

impl HttpFetcher {
    /// A fetcher that runs on `runtime` and trusts the system's root certificates. With
    /// `allow_loopback_http`, issuers on loopback addresses may be reached over plain HTTP.
    pub fn new(runtime: tokio::runtime::Handle, allow_loopback_http: bool) -> HttpFetcher {
        let mut roots = rustls::RootCertStore::empty();
        let native = rustls_native_certs::load_native_certs();
        for error in &native.errors {
            tracing::warn!(%error, "a system root certificate could not be loaded");
        }
        let (added, ignored) = roots.add_parsable_certificates(native.certs);
        tracing::debug!(added, ignored, "root certificates for identity providers");
        HttpFetcher::with_roots(runtime, roots, allow_loopback_http)
    }

    /// A fetcher that trusts `roots` only (and thumbprints).
    pub fn with_roots(
        runtime: tokio::runtime::Handle,
        roots: rustls::RootCertStore,
        allow_loopback_http: bool,
    ) -> HttpFetcher {
        HttpFetcher {
            runtime,
            roots: Arc::new(roots),
            allow_loopback_http,
        }
    }

    /// The fetch itself, on the runtime.
    pub async fn get(&self, url: &str, thumbprints: &[String]) -> Result<Vec<u8>, FetchError> {
        let refused = |why: String| FetchError::Refused(why);
        let uri: Uri = url
            .parse()
            .map_err(|_| refused(format!("`{url}` is not a URL")))?;
        let host = uri
            .host()
            .ok_or_else(|| refused(format!("`{url}` names no host")))?
            .to_owned();
        let https = match uri.scheme_str() {
            Some("https") => true,
            Some("http") if self.allow_loopback_http => false,
            _ => return Err(refused(format!("`{url}` is not an https URL"))),
        };
        let port = uri.port_u16().unwrap_or(if https { 443 } else { 80 });
        let address = resolve(&host, port, !https).await?;
        let tcp = TcpStream::connect(address)
            .await
            .map_err(|e| FetchError::Unreachable(format!("connecting to {address}: {e}")))?;
        let path = uri.path_and_query().map_or("/", |p| p.as_str()).to_owned();
        let authority = uri.authority().map_or(host.clone(), |a| a.to_string());
        if !https {
            return request(TokioIo::new(tcp), &authority, &path).await;
        }
        let bare = host.trim_start_matches('[').trim_end_matches(']');
        let name = ServerName::try_from(bare.to_owned())
            .map_err(|_| refused(format!("`{host}` is not a server name")))?;
        let config = trust::client_config(Arc::clone(&self.roots), thumbprints)?;
        let tls = tokio_rustls::TlsConnector::from(Arc::new(config))
            .connect(name, tcp)
            .await
            .map_err(|e| handshake_failed(&host, &e))?;
        request(TokioIo::new(tls), &authority, &path).await
    }
}

impl OidcFetcher for HttpFetcher {
    fn fetch(&self, url: &str, thumbprints: &[String]) -> Result<Vec<u8>, FetchError> {
        let (sender, receiver) = std::sync::mpsc::channel();
        let fetcher = self.clone();
        let url_owned = url.to_owned();
        let thumbprints = thumbprints.to_vec();
        self.runtime.spawn(async move {
            let fetched = tokio::time::timeout(TIMEOUT, fetcher.get(&url_owned, &thumbprints))
                .await
                .unwrap_or_else(|_| Err(FetchError::Unreachable("timed out".to_owned())));
            // The caller may have given up waiting; then nobody needs the answer.
            let _ = sender.send(fetched);
        });
        receiver
            .recv_timeout(TIMEOUT + Duration::from_secs(1))
            .unwrap_or_else(|_| Err(FetchError::Unreachable(format!("fetching {url} timed out"))))
    }

    fn allows_loopback_http(&self) -> bool {
        self.allow_loopback_http
    }
}

/// The first address of `host`; for plain HTTP, every address must be a loopback one.
async fn resolve(host: &str, port: u16, loopback_only: bool) -> Result<SocketAddr, FetchError> {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    let addresses: Vec<SocketAddr> = tokio::net::lookup_host((bare, port))
        .await
        .map_err(|e| FetchError::Unreachable(format!("resolving {host}: {e}")))?
        .collect();
    if loopback_only && !addresses.iter().all(|a| a.ip().is_loopback()) {
        return Err(FetchError::Refused(format!(
            "plain HTTP is allowed only for loopback issuers, and {host} is not one"
        )));
    }
    addresses
        .first()
        .copied()
        .ok_or_else(|| FetchError::Unreachable(format!("{host} has no address")))
}

/// A failed TLS handshake: untrusted when the certificate was the reason.
fn handshake_failed(host: &str, error: &std::io::Error) -> FetchError {
    let certificate = error
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<rustls::Error>())
        .is_some_and(|e| {
            matches!(
                e,
                rustls::Error::InvalidCertificate(_) | rustls::Error::General(_)
            )
        });
    if certificate {
        FetchError::Untrusted(format!("{host}: {error}"))
    } else {
        FetchError::Unreachable(format!("TLS with {host}: {error}"))
    }
}

/// One GET of `path` on an open connection; only a 200 with a body within
/// [`MAX_DOCUMENT`] is an answer.
async fn request<S>(io: TokioIo<S>, authority: &str, path: &str) -> Result<Vec<u8>, FetchError>
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let unreachable = |e: hyper::Error| FetchError::Unreachable(e.to_string());
    let (mut sender, connection) = hyper::client::conn::http1::handshake(io)
        .await
        .map_err(unreachable)?;
    tokio::spawn(async move {
        if let Err(error) = connection.await {
            tracing::debug!(%error, "identity provider connection ended");
        }
    });
    let request = Request::get(path)
        .header(header::HOST, authority)
        .header(header::ACCEPT, "application/json")
        .header(header::USER_AGENT, "warden")
        .body(Empty::<Bytes>::new())
        .map_err(|e| FetchError::Refused(e.to_string()))?;
    let response = sender.send_request(request).await.map_err(unreachable)?;
    if response.status() != StatusCode::OK {
        return Err(FetchError::Refused(format!(
            "{authority}{path} answered {}",
            response.status()
        )));
    }
    let too_large =
        || FetchError::Refused(format!("{authority}{path} is over {MAX_DOCUMENT} bytes"));
    let declared = response
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|length| length > MAX_DOCUMENT) {
        return Err(too_large());
    }
    let body = Limited::new(response.into_body(), MAX_DOCUMENT)
        .collect()
        .await
        .map_err(|e| {
            if e.is::<http_body_util::LengthLimitError>() {
                too_large()
            } else {
                FetchError::Unreachable(format!("reading {authority}{path}: {e}"))
            }
        })?;
    Ok(body.to_bytes().to_vec())
}
