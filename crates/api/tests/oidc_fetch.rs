//! The identity-provider client against TLS and plain servers on loopback: issuers trusted by
//! the thumbprint of a pinned self-signed certificate or of the CA above their certificate,
//! refused otherwise; plain HTTP only when allowed; bounded document sizes.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test servers and assertions fail loudly"
)]

use std::sync::Arc;

use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use warden_api::oidc_fetch::HttpFetcher;
use warden_api::oidc_fetch::trust::thumbprint;
use warden_core::{FetchError, OidcFetcher};

const SELF_SIGNED: &[u8] = include_bytes!("oidc_fetch/self.der");
const SELF_KEY: &[u8] = include_bytes!("oidc_fetch/self-key.der");
const CA: &[u8] = include_bytes!("oidc_fetch/ca.der");
const LEAF: &[u8] = include_bytes!("oidc_fetch/leaf.der");
const LEAF_KEY: &[u8] = include_bytes!("oidc_fetch/leaf-key.der");
const BODY: &str = r#"{"keys":[]}"#;

/// Serves `body` to every request on a loopback port, over TLS with `chain` when given.
async fn serve(chain: Option<(Vec<&'static [u8]>, &'static [u8])>, body: String) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let acceptor = chain.map(|(certificates, key)| {
        let certificates = certificates.into_iter().map(CertificateDer::from).collect();
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key));
        let config = rustls::ServerConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(certificates, key)
        .unwrap();
        tokio_rustls::TlsAcceptor::from(Arc::new(config))
    });
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            let body = body.clone();
            tokio::spawn(async move {
                let response = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                match acceptor {
                    Some(acceptor) => {
                        if let Ok(mut tls) = acceptor.accept(tcp).await {
                            let mut buffer = [0u8; 4096];
                            let _ = tls.read(&mut buffer).await;
                            let _ = tls.write_all(response.as_bytes()).await;
                            let _ = tls.shutdown().await;
                        }
                    }
                    None => {
                        let mut tcp = tcp;
                        let mut buffer = [0u8; 4096];
                        let _ = tcp.read(&mut buffer).await;
                        let _ = tcp.write_all(response.as_bytes()).await;
                    }
                }
            });
        }
    });
    port
}

fn fetcher(allow_loopback_http: bool) -> HttpFetcher {
    HttpFetcher::with_roots(
        tokio::runtime::Handle::current(),
        rustls::RootCertStore::empty(),
        allow_loopback_http,
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_self_signed_issuer_is_trusted_by_its_thumbprint_only() {
    let port = serve(Some((vec![SELF_SIGNED], SELF_KEY)), BODY.to_owned()).await;
    let url = format!("https://127.0.0.1:{port}/jwks");
    let pinned = [thumbprint(SELF_SIGNED).to_ascii_uppercase()];
    let body = fetcher(false).get(&url, &pinned).await.unwrap();
    assert_eq!(body, BODY.as_bytes());
    let untrusted = fetcher(false).get(&url, &[]).await.unwrap_err();
    assert!(
        matches!(untrusted, FetchError::Untrusted(_)),
        "{untrusted:?}"
    );
    let wrong = fetcher(false)
        .get(&url, &["0".repeat(40)])
        .await
        .unwrap_err();
    assert!(matches!(wrong, FetchError::Untrusted(_)), "{wrong:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_listed_ca_becomes_the_anchor_of_the_chain_below_it() {
    let port = serve(Some((vec![LEAF, CA], LEAF_KEY)), BODY.to_owned()).await;
    let url = format!("https://127.0.0.1:{port}/jwks");
    let body = fetcher(false).get(&url, &[thumbprint(CA)]).await.unwrap();
    assert_eq!(body, BODY.as_bytes());
    // The CA vouches for 127.0.0.1 only: the name is still checked.
    let other_name = format!("https://localhost:{port}/jwks");
    let error = fetcher(false).get(&other_name, &[thumbprint(CA)]).await;
    assert!(matches!(error, Err(FetchError::Untrusted(_))), "{error:?}");
    // A thumbprint of an unrelated certificate trusts nothing.
    let error = fetcher(false).get(&url, &[thumbprint(SELF_SIGNED)]).await;
    assert!(matches!(error, Err(FetchError::Untrusted(_))), "{error:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plain_http_is_for_allowed_loopback_issuers_only() {
    let port = serve(None, BODY.to_owned()).await;
    let url = format!("http://127.0.0.1:{port}/.well-known/openid-configuration");
    let refused = fetcher(false).get(&url, &[]).await.unwrap_err();
    assert!(matches!(refused, FetchError::Refused(_)), "{refused:?}");
    assert_eq!(fetcher(true).get(&url, &[]).await.unwrap(), BODY.as_bytes());
    let closed = fetcher(true)
        .get("http://127.0.0.1:1/x", &[])
        .await
        .unwrap_err();
    assert!(matches!(closed, FetchError::Unreachable(_)), "{closed:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn documents_are_bounded_and_fetched_from_blocking_threads() {
    let large = "x".repeat(warden_api::oidc_fetch::MAX_DOCUMENT + 1);
    let port = serve(None, large).await;
    let fetcher = fetcher(true);
    let url = format!("http://127.0.0.1:{port}/jwks");
    let blocking = fetcher.clone();
    let error = tokio::task::spawn_blocking(move || blocking.fetch(&url, &[]))
        .await
        .unwrap()
        .unwrap_err();
    assert!(
        matches!(error, FetchError::Refused(ref why) if why.contains("bytes")),
        "{error:?}"
    );
    assert!(fetcher.allows_loopback_http());
}
