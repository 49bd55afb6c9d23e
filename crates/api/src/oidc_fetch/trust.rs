//! How an identity provider's certificate is trusted: through the root store, or through a
//! certificate of the presented chain whose SHA-1 thumbprint the provider lists.
//!
//! A listed end-entity certificate is pinned: it is trusted as it is (a self-signed issuer).
//! A listed intermediate or root certificate becomes the only trust anchor, and the chain
//! below it must verify to it for the server's name, as with any root. Either way the
//! handshake's signature must be made with the end-entity certificate's key.

use std::sync::Arc;

use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, WebPkiSupportedAlgorithms};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, RootCertStore, SignatureScheme};
use warden_core::FetchError;

/// A client configuration that trusts `roots` and the certificates `thumbprints` name.
pub(crate) fn client_config(
    roots: Arc<RootCertStore>,
    thumbprints: &[String],
) -> Result<rustls::ClientConfig, FetchError> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let failed = |e: rustls::Error| FetchError::Refused(format!("TLS configuration: {e}"));
    let roots = if roots.is_empty() {
        None
    } else {
        Some(
            WebPkiServerVerifier::builder_with_provider(roots, Arc::clone(&provider))
                .build()
                .map_err(|e| FetchError::Refused(format!("TLS configuration: {e}")))?,
        )
    };
    let verifier = Thumbprints {
        roots,
        thumbprints: thumbprints.iter().map(|t| t.to_ascii_lowercase()).collect(),
        algorithms: provider.signature_verification_algorithms,
        provider: Arc::clone(&provider),
    };
    Ok(rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(failed)?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(verifier))
        .with_no_client_auth())
}

/// The hex SHA-1 of a certificate, as AWS's ThumbprintList holds it.
pub fn thumbprint(certificate: &[u8]) -> String {
    ring::digest::digest(&ring::digest::SHA1_FOR_LEGACY_USE_ONLY, certificate)
        .as_ref()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[derive(Debug)]
struct Thumbprints {
    roots: Option<Arc<WebPkiServerVerifier>>,
    thumbprints: Vec<String>,
    algorithms: WebPkiSupportedAlgorithms,
    provider: Arc<CryptoProvider>,
}

impl ServerCertVerifier for Thumbprints {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let by_roots = match &self.roots {
            Some(roots) => {
                roots.verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
            }
            None => Err(rustls::Error::General("no root certificates".to_owned())),
        };
        if by_roots.is_ok() || self.thumbprints.is_empty() {
            return by_roots;
        }
        let chain = std::iter::once(end_entity).chain(intermediates);
        for (index, certificate) in chain.enumerate() {
            if !self.thumbprints.contains(&thumbprint(certificate)) {
                continue;
            }
            if index == 0 {
                return Ok(ServerCertVerified::assertion());
            }
            let mut anchor = RootCertStore::empty();
            anchor.add(certificate.clone())?;
            let below = intermediates.get(..index - 1).unwrap_or_default();
            let verified = WebPkiServerVerifier::builder_with_provider(
                Arc::new(anchor),
                Arc::clone(&self.provider),
            )
            .build()
            .map_err(|e| rustls::Error::General(e.to_string()))?
            .verify_server_cert(end_entity, below, server_name, ocsp_response, now);
            if verified.is_ok() {
                return verified;
            }
        }
        Err(rustls::Error::General(
            "the certificate chains to no trusted root and no certificate of the chain matches a configured thumbprint"
                .to_owned(),
        ))
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        certificate: &CertificateDer<'_>,
        signature: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, certificate, signature, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        certificate: &CertificateDer<'_>,
        signature: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, certificate, signature, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}
