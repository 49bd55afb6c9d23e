//! TLS for `warden serve --tls-cert FILE --tls-key FILE`: loading the PEM certificate chain and
//! private key into a rustls configuration, and a listener that hands axum connections whose
//! handshake is done.
//!
//! Each handshake runs in its own task under a time limit, so a client that connects and never
//! finishes its handshake holds neither the accept loop nor, for long, a task; a failed
//! handshake is logged at debug level and the server carries on.

use std::io;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, anyhow, bail};
use rustls::pki_types::pem::{self, PemObject};
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::ServerConfig;
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinSet;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::server::TlsStream;

/// How long a client has to complete its TLS handshake once connected.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// Handshakes in progress at most; past that, new connections wait in the kernel's backlog
/// until one finishes or times out. A pending handshake costs about 7 KiB, so the cap bounds
/// what stalled clients can hold to some 30 MiB while leaving a flood of them little room to
/// crowd out real clients.
const MAX_HANDSHAKES: usize = 4096;

/// The server configuration for a certificate chain and its private key, both PEM files:
/// TLS 1.2 and 1.3 with ring's algorithms, ALPN `http/1.1`. Every problem with either file is
/// an error naming the file.
pub(crate) fn server_config(cert_path: &Path, key_path: &Path) -> anyhow::Result<ServerConfig> {
    let certs = read_certificates(cert_path)?;
    let key = read_private_key(key_path)?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
        .context("configuring TLS")?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|error| match error {
            rustls::Error::InconsistentKeys(_) => anyhow!(
                "the TLS private key {} does not match the certificate {}",
                key_path.display(),
                cert_path.display()
            ),
            other => anyhow!(
                "the TLS certificate {} with the private key {} cannot be used: {other}",
                cert_path.display(),
                key_path.display()
            ),
        })?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(config)
}

/// The certificates of a PEM file, the server's own first, then its chain.
fn read_certificates(path: &Path) -> anyhow::Result<Vec<CertificateDer<'static>>> {
    let bytes = read(path, "certificate")?;
    let certs = CertificateDer::pem_slice_iter(&bytes)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|error| {
            anyhow!(
                "the TLS certificate {} is not valid PEM: {}",
                path.display(),
                describe(&error)
            )
        })?;
    if certs.is_empty() {
        bail!(
            "the TLS certificate {} holds no PEM certificate (-----BEGIN CERTIFICATE-----)",
            path.display()
        );
    }
    Ok(certs)
}

/// The first private key of a PEM file: PKCS#8, PKCS#1 (RSA) or SEC1 (EC).
fn read_private_key(path: &Path) -> anyhow::Result<PrivateKeyDer<'static>> {
    let bytes = read(path, "private key")?;
    // An encrypted key (PKCS#8 "ENCRYPTED PRIVATE KEY", or OpenSSL's legacy Proc-Type header)
    // would otherwise read as no key or as bad base64.
    let contains = |needle: &[u8]| bytes.windows(needle.len()).any(|w| w == needle);
    if contains(b"-----BEGIN ENCRYPTED PRIVATE KEY-----") || contains(b"Proc-Type: 4,ENCRYPTED") {
        bail!(
            "the TLS private key {} is encrypted: give the key unencrypted (e.g. `openssl pkey -in KEY -out PLAIN`) and keep the file readable by Warden only",
            path.display()
        );
    }
    PrivateKeyDer::from_pem_slice(&bytes).map_err(|error| match error {
        pem::Error::NoItemsFound => anyhow!(
            "the TLS private key {} holds no PEM private key (PKCS#8 \"PRIVATE KEY\", PKCS#1 \"RSA PRIVATE KEY\" or SEC1 \"EC PRIVATE KEY\")",
            path.display()
        ),
        other => anyhow!(
            "the TLS private key {} is not valid PEM: {}",
            path.display(),
            describe(&other)
        ),
    })
}

fn read(path: &Path, what: &str) -> anyhow::Result<Vec<u8>> {
    std::fs::read(path).map_err(|error| {
        let problem = match error.kind() {
            io::ErrorKind::NotFound => "no such file".to_owned(),
            io::ErrorKind::PermissionDenied => "permission denied".to_owned(),
            _ => error.to_string(),
        };
        anyhow!("cannot read the TLS {what} {}: {problem}", path.display())
    })
}

/// A PEM error in words; never quotes the file's contents (a key file's lines are secret).
fn describe(error: &pem::Error) -> &'static str {
    match error {
        pem::Error::MissingSectionEnd { .. } => "a section has no END line",
        pem::Error::IllegalSectionStart { .. } => "a BEGIN line is malformed",
        pem::Error::Base64Decode(_) => "a section is not valid base64",
        pem::Error::NoItemsFound => "nothing of the expected kind",
        pem::Error::SectionTooLarge => "a section is too large",
        _ => "unreadable",
    }
}

/// A TCP listener whose connections axum receives once their TLS handshake is complete.
pub(crate) struct TlsListener {
    tcp: TcpListener,
    acceptor: TlsAcceptor,
    handshake_timeout: Duration,
    max_handshakes: usize,
    handshakes: JoinSet<Option<(TlsStream<TcpStream>, SocketAddr)>>,
}

impl std::fmt::Debug for TlsListener {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TlsListener")
            .field("tcp", &self.tcp)
            .field("handshakes", &self.handshakes.len())
            .finish_non_exhaustive()
    }
}

impl TlsListener {
    pub(crate) fn new(tcp: TcpListener, config: ServerConfig) -> Self {
        Self {
            tcp,
            acceptor: TlsAcceptor::from(Arc::new(config)),
            handshake_timeout: HANDSHAKE_TIMEOUT,
            max_handshakes: MAX_HANDSHAKES,
            handshakes: JoinSet::new(),
        }
    }

    /// Starts the handshake of a new connection in a task of its own.
    fn start_handshake(&mut self, stream: TcpStream, peer: SocketAddr) {
        let acceptor = self.acceptor.clone();
        let timeout = self.handshake_timeout;
        self.handshakes.spawn(async move {
            match tokio::time::timeout(timeout, acceptor.accept(stream)).await {
                Ok(Ok(tls)) => Some((tls, peer)),
                Ok(Err(error)) => {
                    tracing::debug!(%peer, %error, "TLS handshake failed");
                    None
                }
                Err(_) => {
                    tracing::debug!(%peer, "TLS handshake timed out");
                    None
                }
            }
        });
    }
}

impl axum::serve::Listener for TlsListener {
    type Io = TlsStream<TcpStream>;
    type Addr = SocketAddr;

    // Cancel-safe: both branches are, and a connection stays in `handshakes` until returned.
    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            tokio::select! {
                accepted = self.tcp.accept(), if self.handshakes.len() < self.max_handshakes => {
                    match accepted {
                        Ok((stream, peer)) => self.start_handshake(stream, peer),
                        Err(error) => {
                            // Out of file descriptors and the like: wait, as axum does.
                            tracing::error!(%error, "accepting a connection");
                            tokio::time::sleep(Duration::from_secs(1)).await;
                        }
                    }
                }
                Some(done) = self.handshakes.join_next() => {
                    if let Ok(Some(connection)) = done {
                        return connection;
                    }
                }
            }
        }
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        self.tcp.local_addr()
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use axum::serve::Listener as _;
    use rustls::pki_types::ServerName;

    use super::*;

    fn testdata(name: &str) -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("testdata/tls")
            .join(name)
    }

    /// A scratch folder of this test's own.
    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("warden-tls-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    fn error(cert: &Path, key: &Path) -> String {
        format!("{:#}", server_config(cert, key).unwrap_err())
    }

    #[test]
    fn loads_every_key_encoding() {
        for (cert, key) in [
            ("ec-cert.pem", "ec-sec1-key.pem"),
            ("ec-cert.pem", "ec-pkcs8-key.pem"),
            ("ec-chain.pem", "ec-pkcs8-key.pem"),
            ("rsa-cert.pem", "rsa-pkcs1-key.pem"),
        ] {
            let config = server_config(&testdata(cert), &testdata(key))
                .unwrap_or_else(|e| panic!("{cert} with {key}: {e:#}"));
            assert_eq!(config.alpn_protocols, vec![b"http/1.1".to_vec()]);
        }
    }

    #[test]
    fn missing_files_are_named() {
        let dir = scratch("missing");
        let missing = dir.join("nope.pem");
        let message = error(&missing, &testdata("ec-sec1-key.pem"));
        assert_eq!(
            message,
            format!(
                "cannot read the TLS certificate {}: no such file",
                missing.display()
            )
        );
        let message = error(&testdata("ec-cert.pem"), &missing);
        assert_eq!(
            message,
            format!(
                "cannot read the TLS private key {}: no such file",
                missing.display()
            )
        );
    }

    #[test]
    fn unreadable_files_are_named() {
        let dir = scratch("unreadable");
        let message = error(&testdata("ec-cert.pem"), &dir);
        assert!(
            message.starts_with(&format!(
                "cannot read the TLS private key {}: ",
                dir.display()
            )),
            "{message}"
        );
    }

    #[test]
    fn files_without_pem_are_refused() {
        let dir = scratch("not-pem");
        let text = dir.join("text.pem");
        std::fs::write(&text, "not a certificate\n").unwrap();
        let message = error(&text, &testdata("ec-sec1-key.pem"));
        assert!(
            message.contains(&format!(
                "TLS certificate {} holds no PEM certificate",
                text.display()
            )),
            "{message}"
        );
        // A key where the certificate should be, and the other way round.
        let message = error(&testdata("ec-sec1-key.pem"), &testdata("ec-sec1-key.pem"));
        assert!(message.contains("holds no PEM certificate"), "{message}");
        let message = error(&testdata("ec-cert.pem"), &testdata("ec-cert.pem"));
        assert!(
            message.contains(&format!(
                "TLS private key {} holds no PEM private key",
                testdata("ec-cert.pem").display()
            )),
            "{message}"
        );
        let message = error(&testdata("ec-cert.pem"), &text);
        assert!(message.contains("holds no PEM private key"), "{message}");
    }

    #[test]
    fn broken_pem_is_refused_without_quoting_the_key() {
        let dir = scratch("broken");
        let key = std::fs::read_to_string(testdata("ec-sec1-key.pem")).unwrap();
        let body: Vec<&str> = key.lines().collect();
        let secret_line = body[1];
        // Base64 broken in the middle of the key.
        let broken = dir.join("broken-key.pem");
        std::fs::write(
            &broken,
            key.replacen(secret_line, &format!("{secret_line}!!"), 1),
        )
        .unwrap();
        let message = error(&testdata("ec-cert.pem"), &broken);
        assert!(
            message.contains(&format!(
                "TLS private key {} is not valid PEM",
                broken.display()
            )),
            "{message}"
        );
        assert!(!message.contains(secret_line), "{message}");
        // A key with no END line.
        let unended = dir.join("unended-key.pem");
        std::fs::write(&unended, body[..body.len() - 1].join("\n")).unwrap();
        let message = error(&testdata("ec-cert.pem"), &unended);
        assert!(message.contains("is not valid PEM"), "{message}");
        assert!(!message.contains(secret_line), "{message}");
    }

    #[test]
    fn encrypted_keys_are_named_as_such() {
        let dir = scratch("encrypted");
        let pkcs8 = dir.join("pkcs8.pem");
        std::fs::write(
            &pkcs8,
            "-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIHsMFcGCSqGSIb3DQEFDTBKMCkGCSqGSIb3DQEFDDAc\n-----END ENCRYPTED PRIVATE KEY-----\n",
        )
        .unwrap();
        let legacy = dir.join("legacy.pem");
        std::fs::write(
            &legacy,
            "-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,FA57E5FF18101457262831C901370410\n\nMIHsMFcGCSqGSIb3DQEFDTBKMCkGCSqGSIb3DQEFDDAc\n-----END RSA PRIVATE KEY-----\n",
        )
        .unwrap();
        for key in [pkcs8, legacy] {
            let message = error(&testdata("rsa-cert.pem"), &key);
            assert!(
                message.starts_with(&format!(
                    "the TLS private key {} is encrypted",
                    key.display()
                )),
                "{message}"
            );
        }
    }

    #[test]
    fn a_key_of_another_certificate_is_refused() {
        let message = error(&testdata("ec-cert.pem"), &testdata("rsa-pkcs1-key.pem"));
        assert_eq!(
            message,
            format!(
                "the TLS private key {} does not match the certificate {}",
                testdata("rsa-pkcs1-key.pem").display(),
                testdata("ec-cert.pem").display()
            )
        );
        // The same curve, another key.
        let message = error(&testdata("rsa-cert.pem"), &testdata("ec-pkcs8-key.pem"));
        assert!(message.contains("does not match"), "{message}");
    }

    fn client() -> tokio_rustls::TlsConnector {
        let mut roots = rustls::RootCertStore::empty();
        roots
            .add(CertificateDer::from_pem_file(testdata("ca.pem")).unwrap())
            .unwrap();
        let mut config = rustls::ClientConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
        config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        tokio_rustls::TlsConnector::from(Arc::new(config))
    }

    async fn listener(timeout: Duration, max_handshakes: usize) -> (TlsListener, SocketAddr) {
        let tcp = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let config =
            server_config(&testdata("ec-chain.pem"), &testdata("ec-sec1-key.pem")).unwrap();
        let mut listener = TlsListener::new(tcp, config);
        listener.handshake_timeout = timeout;
        listener.max_handshakes = max_handshakes;
        let address = listener.local_addr().unwrap();
        (listener, address)
    }

    #[tokio::test]
    async fn a_stalled_or_failed_handshake_does_not_hold_up_the_next() {
        let (mut listener, address) = listener(HANDSHAKE_TIMEOUT, MAX_HANDSHAKES).await;
        // One client connects and says nothing; another speaks plain HTTP.
        let _silent = TcpStream::connect(address).await.unwrap();
        let plain = TcpStream::connect(address).await.unwrap();
        plain.writable().await.unwrap();
        plain.try_write(b"GET /healthz HTTP/1.1\r\n\r\n").unwrap();
        let client = tokio::spawn(async move {
            let tcp = TcpStream::connect(address).await.unwrap();
            client()
                .connect(ServerName::try_from("localhost").unwrap(), tcp)
                .await
                .unwrap()
        });
        let (_stream, peer) = tokio::time::timeout(Duration::from_secs(5), listener.accept())
            .await
            .expect("the TLS client's connection is accepted");
        assert_eq!(peer.ip(), address.ip());
        let tls = client.await.unwrap();
        assert_eq!(tls.get_ref().1.alpn_protocol(), Some(&b"http/1.1"[..]));
        // The silent client's handshake is still waiting.
        assert!(!listener.handshakes.is_empty());
    }

    #[tokio::test]
    async fn a_handshake_that_never_finishes_is_dropped() {
        let (mut listener, address) = listener(Duration::from_millis(200), MAX_HANDSHAKES).await;
        let silent = TcpStream::connect(address).await.unwrap();
        // Polling `accept` starts the handshake; it never returns this connection.
        let accepted = tokio::time::timeout(Duration::from_secs(1), listener.accept()).await;
        assert!(accepted.is_err());
        assert!(listener.handshakes.is_empty());
        // The server has closed the connection: reading finds its end.
        silent.readable().await.unwrap();
        let mut buffer = [0u8; 16];
        assert_eq!(silent.try_read(&mut buffer).unwrap(), 0);
    }

    #[tokio::test]
    async fn past_the_cap_connections_wait_for_a_handshake_slot() {
        let (mut listener, address) = listener(Duration::from_millis(500), 2).await;
        let _silent = [
            TcpStream::connect(address).await.unwrap(),
            TcpStream::connect(address).await.unwrap(),
        ];
        // Take both silent connections into handshakes before the real client arrives.
        let accepted = tokio::time::timeout(Duration::from_millis(100), listener.accept()).await;
        assert!(accepted.is_err());
        assert_eq!(listener.handshakes.len(), 2);
        let client = tokio::spawn(async move {
            let tcp = TcpStream::connect(address).await.unwrap();
            client()
                .connect(ServerName::try_from("localhost").unwrap(), tcp)
                .await
                .unwrap()
        });
        let started = tokio::time::Instant::now();
        tokio::time::timeout(Duration::from_secs(5), listener.accept())
            .await
            .expect("accepted once the silent handshakes time out");
        // Not before the stalled handshakes gave up their slots.
        assert!(started.elapsed() >= Duration::from_millis(300));
        client.await.unwrap();
    }
}
