//! The edge served on a loopback port and reached over raw HTTP, as clients reach it: what it
//! refuses before doing any work, and how federation calls to an issuer that never answers
//! leave everything else alone.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test servers and assertions fail loudly"
)]

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
use aws_sigv4::sign::v4;
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use warden_api::edge::{Edge, EdgeConfig, router};
use warden_api::oidc_fetch::HttpFetcher;
use warden_core::ids::OsRandom;
use warden_core::store::MemoryStore;
use warden_core::time::SystemClock;
use warden_core::{Caller, Identity, MasterKey, RequestInfo, Secret, Service, ServiceConfig};

const ACCOUNT: &str = "111122223333";
const AKID: &str = "AKIAWARDENEDGETESTS0";
const SECRET: &str = "edgeTestsSecretKey/0123456789+abcdefghij";
const FORM: &str = "application/x-www-form-urlencoded; charset=utf-8";

/// A runtime with as few blocking threads as a busy server has left: 64.
fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .max_blocking_threads(64)
        .enable_all()
        .build()
        .unwrap()
}

/// A service with the first account (root key [`AKID`]) whose fetcher runs on this runtime and
/// may reach loopback issuers over plain HTTP.
fn service() -> Service {
    let service = ServiceConfig::new(
        Arc::new(MemoryStore::default()),
        MasterKey::from_bytes([7; 32]),
        Arc::new(SystemClock),
        Arc::new(OsRandom),
    )
    .oidc_fetcher(Arc::new(HttpFetcher::with_roots(
        tokio::runtime::Handle::current(),
        rustls::RootCertStore::empty(),
        true,
    )))
    .open()
    .unwrap();
    let secret = Secret::new(SECRET.to_owned());
    service
        .bootstrap(Some(ACCOUNT), Some((AKID, &secret)))
        .unwrap();
    service
}

fn root_call(service: &Service, action: &str, input: serde_json::Value) -> serde_json::Value {
    let root = Caller {
        account: warden_core::model::AccountId::parse(ACCOUNT).unwrap(),
        identity: Identity::Root,
        access_key_id: None,
    };
    let info = RequestInfo {
        source_ip: None,
        secure_transport: false,
        user_agent: None,
        region: "us-east-1".to_owned(),
        request_id: "setup".to_owned(),
    };
    let action = warden_core::Action::named(action).unwrap();
    service.call(&root, &info, action, input).unwrap()
}

/// Serves the router for `service` on a loopback port.
async fn serve(service: Service) -> SocketAddr {
    let edge = Arc::new(Edge::new(Arc::new(service), EdgeConfig::default()));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(
            listener,
            router(edge).into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await
        .unwrap();
    });
    address
}

/// Sends one request and answers its status and body.
async fn exchange(address: SocketAddr, request: &[u8]) -> (u16, String) {
    let mut tcp = TcpStream::connect(address).await.unwrap();
    tcp.write_all(request).await.unwrap();
    let mut answer = Vec::new();
    tcp.read_to_end(&mut answer).await.unwrap();
    let answer = String::from_utf8_lossy(&answer).into_owned();
    let status = answer
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("not an HTTP answer: {answer:?}"));
    (status, answer)
}

/// A form POST to `/` with `headers` (each a full `Name: value` line).
fn post(address: SocketAddr, headers: &[String], body: &str) -> Vec<u8> {
    let mut request = format!(
        "POST / HTTP/1.1\r\nhost: {address}\r\ncontent-type: {FORM}\r\ncontent-length: {}\r\nconnection: close\r\n",
        body.len()
    );
    for header in headers {
        request.push_str(header);
        request.push_str("\r\n");
    }
    request.push_str("\r\n");
    request.push_str(body);
    request.into_bytes()
}

/// A form POST to `/` signed for IAM with the root key, as an SDK signs it.
fn signed_post(address: SocketAddr, body: &str) -> Vec<u8> {
    let identity = Credentials::new(AKID, SECRET, None, None, "tests").into();
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region("us-east-1")
        .name("iam")
        .time(SystemTime::now())
        .settings(SigningSettings::default())
        .build()
        .unwrap()
        .into();
    let host = address.to_string();
    let headers = [("host", host.as_str()), ("content-type", FORM)];
    let signable = SignableRequest::new(
        "POST",
        format!("http://{address}/"),
        headers.iter().copied(),
        SignableBody::Bytes(body.as_bytes()),
    )
    .unwrap();
    let (instructions, _) = sign(signable, &params).unwrap().into_parts();
    let (signed_headers, _) = instructions.into_parts();
    let headers: Vec<String> = signed_headers
        .iter()
        .map(|h| format!("{}: {}", h.name(), h.value()))
        .collect();
    post(address, &headers, body)
}

fn base64url(bytes: &[u8]) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, b)| n | u32::from(*b) << (16 - 8 * i));
        for i in 0..=chunk.len() {
            out.push(char::from(ALPHABET[(n >> (18 - 6 * i) & 63) as usize]));
        }
    }
    out
}

/// An ID token of `issuer` for client `app`, with a signature nobody made: a request gets as
/// far as fetching the issuer's keys to check it.
fn id_token(issuer: &str) -> String {
    let now = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let header = json!({"alg": "RS256", "typ": "JWT", "kid": "k1"});
    let claims =
        json!({"iss": issuer, "sub": "user-1", "aud": "app", "iat": now, "exp": now + 600});
    format!(
        "{}.{}.{}",
        base64url(header.to_string().as_bytes()),
        base64url(claims.to_string().as_bytes()),
        base64url(b"not a signature")
    )
}

/// An issuer that accepts connections and never answers, holding them open until released;
/// it counts the connections it accepted.
struct HungIssuer {
    port: u16,
    connections: Arc<AtomicUsize>,
    held: Arc<Mutex<Vec<TcpStream>>>,
}

impl HungIssuer {
    async fn start() -> HungIssuer {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let connections = Arc::new(AtomicUsize::new(0));
        let held = Arc::new(Mutex::new(Vec::new()));
        let (count, hold) = (Arc::clone(&connections), Arc::clone(&held));
        tokio::spawn(async move {
            while let Ok((tcp, _)) = listener.accept().await {
                count.fetch_add(1, Ordering::SeqCst);
                hold.lock().unwrap().push(tcp);
            }
        });
        HungIssuer {
            port,
            connections,
            held,
        }
    }

    fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }

    /// Closes the connections held: the fetches on them fail.
    fn release(&self) {
        self.held.lock().unwrap().clear();
    }
}

#[test]
fn a_hung_issuer_costs_one_fetch_and_stalls_no_iam_write() {
    runtime().block_on(async {
        let issuer = HungIssuer::start().await;
        let issuer_url = format!("http://127.0.0.1:{}", issuer.port);
        let service = service();
        root_call(
            &service,
            "CreateOpenIDConnectProvider",
            json!({"Url": issuer_url, "ClientIDList": ["app"]}),
        );
        let trust = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
            "Principal": {"Federated": format!("arn:aws:iam::{ACCOUNT}:oidc-provider/127.0.0.1:{}", issuer.port)},
            "Action": "sts:AssumeRoleWithWebIdentity"}]});
        let role = root_call(
            &service,
            "CreateRole",
            json!({"RoleName": "web", "AssumeRolePolicyDocument": trust.to_string()}),
        );
        let role_arn = role["Role"]["Arn"].as_str().unwrap().to_owned();
        let address = serve(service).await;
        let body: String = form_urlencoded::Serializer::new(String::new())
            .append_pair("Action", "AssumeRoleWithWebIdentity")
            .append_pair("Version", "2011-06-15")
            .append_pair("RoleArn", &role_arn)
            .append_pair("RoleSessionName", "s1")
            .append_pair("WebIdentityToken", &id_token(&issuer_url))
            .finish();
        let assume = post(address, &[], &body);

        // More federation calls than the server has blocking threads.
        let calls: Vec<_> = (0..100)
            .map(|_| {
                let request = assume.clone();
                tokio::spawn(async move { exchange(address, &request).await })
            })
            .collect();
        let deadline = Instant::now() + Duration::from_secs(30);
        while issuer.connections() == 0 && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        assert!(issuer.connections() > 0, "no call reached the issuer");

        // An unrelated signed IAM write answers while the issuer hangs. Two seconds is a
        // generous liveness bound (the write takes milliseconds; a stalled one waits for the
        // issuer's 10-second timeout), the only way to observe that it was not held up.
        let started = Instant::now();
        let (status, answer) = exchange(
            address,
            &signed_post(address, "Action=CreateUser&Version=2010-05-08&UserName=alice"),
        )
        .await;
        let took = started.elapsed();
        assert_eq!(status, 200, "{answer}");
        assert!(took < Duration::from_secs(2), "CreateUser took {took:?}");

        issuer.release();
        for call in calls {
            let (status, answer) = call.await.unwrap();
            assert_eq!(status, 400, "{answer}");
            assert!(answer.contains("<Code>IDPCommunicationError</Code>"), "{answer}");
        }
        assert_eq!(issuer.connections(), 1, "one fetch for every call");

        // The failure is remembered: the next call is answered without a fetch.
        let (status, answer) = exchange(address, &assume).await;
        assert_eq!(status, 400, "{answer}");
        assert!(answer.contains("<Code>IDPCommunicationError</Code>"), "{answer}");
        assert_eq!(issuer.connections(), 1);
    });
}

#[test]
fn request_headers_over_64_kib_are_refused_with_431() {
    runtime().block_on(async {
        let address = serve(service()).await;
        let header = |size: usize| format!("x-padding: {}", "a".repeat(size));
        let health = |headers: &str| {
            format!(
                "GET /healthz HTTP/1.1\r\nhost: {address}\r\nconnection: close\r\n{headers}\r\n\r\n"
            )
            .into_bytes()
        };
        let (status, _) = exchange(address, &health(&header(60 * 1024))).await;
        assert_eq!(status, 200);
        let (status, _) = exchange(address, &health(&header(64 * 1024))).await;
        assert_eq!(status, 431);
        // Many headers adding up count as much as one large one.
        let many: Vec<String> = (0..40)
            .map(|i| format!("x-padding-{i}: {}", "b".repeat(2000)))
            .collect();
        let (status, _) = exchange(address, &health(&many.join("\r\n"))).await;
        assert_eq!(status, 431);
        // An API call is refused before it is authenticated or read.
        let body = "Action=CreateUser&Version=2010-05-08&UserName=bob";
        let (status, answer) = exchange(address, &post(address, &[header(70 * 1024)], body)).await;
        assert_eq!(status, 431, "{answer}");
    });
}
