//! A `warden serve` process for one test: its own port and data folder, AWS SDK clients
//! pointed at it, and a clean SIGTERM stop.

use std::fs::{self, File};
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use aws_sdk_iam::config::retry::RetryConfig;
use aws_sdk_iam::config::timeout::TimeoutConfig;
use aws_sdk_iam::config::{BehaviorVersion, Credentials, Region, SharedHttpClient};

/// The account every server here is started with (`--account-id`).
pub const ACCOUNT: &str = "210987654321";
/// The root user's access key, given through `WARDEN_ROOT_ACCESS_KEY_ID`.
pub const ROOT_KEY_ID: &str = "AKIAWARDENSDKROOT001";
/// The root user's secret, given through `WARDEN_ROOT_SECRET_ACCESS_KEY`.
pub const ROOT_SECRET: &str = "wardenSdkRootSecretKey000000000000000000";

/// An access key pair.
#[derive(Debug, Clone)]
pub struct Key {
    pub id: String,
    pub secret: String,
}

impl Key {
    pub fn root() -> Key {
        Key {
            id: ROOT_KEY_ID.to_owned(),
            secret: ROOT_SECRET.to_owned(),
        }
    }
}

/// A name no other test in this process uses.
pub fn unique(prefix: &str) -> String {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    format!("{prefix}-{}-{n}", std::process::id())
}

/// A started `warden serve`. Dropping it stops the process and removes its folder; tests
/// call [`Server::stop`] to also check that it shut down cleanly.
#[derive(Debug)]
pub struct Server {
    child: Option<Child>,
    dir: PathBuf,
    pub endpoint: String,
    http: SharedHttpClient,
}

impl Server {
    /// A server whose root user has [`Key::root`].
    pub fn start() -> Server {
        Server::start_with(true)
    }

    /// A server; with `root_key` false no root key is configured, so the server generates
    /// one and writes it to `DATA/root-credentials`.
    pub fn start_with(root_key: bool) -> Server {
        let dir = std::env::temp_dir().join(unique("warden-sdk"));
        fs::create_dir_all(&dir).unwrap();
        let log = dir.join("server.log");
        let mut attempts = 0;
        loop {
            attempts += 1;
            let port = free_port();
            let mut command = Command::new(env!("CARGO_BIN_EXE_warden"));
            command
                .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
                .arg("--data")
                .arg(dir.join("data"))
                .args(["--account-id", ACCOUNT])
                .env("WARDEN_LOG", "info")
                .env_remove("WARDEN_ROOT_ACCESS_KEY_ID")
                .env_remove("WARDEN_ROOT_SECRET_ACCESS_KEY")
                .env_remove("WARDEN_DEV")
                .env_remove("WARDEN_CONFIG")
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(File::create(&log).unwrap());
            if root_key {
                command
                    .env("WARDEN_ROOT_ACCESS_KEY_ID", ROOT_KEY_ID)
                    .env("WARDEN_ROOT_SECRET_ACCESS_KEY", ROOT_SECRET);
            }
            let mut child = command.spawn().unwrap();
            match wait_ready(&mut child, port) {
                Ok(()) => {
                    return Server {
                        child: Some(child),
                        dir,
                        endpoint: format!("http://127.0.0.1:{port}"),
                        http: aws_smithy_http_client::Builder::new().build_http(),
                    };
                }
                Err(problem) => {
                    let _ = child.kill();
                    let _ = child.wait();
                    let text = fs::read_to_string(&log).unwrap_or_default();
                    // Another process may take the port between the probe and the bind.
                    if !(text.contains("Address already in use") && attempts < 5) {
                        let _ = fs::remove_dir_all(&dir);
                        panic!("warden did not start ({problem}):\n{text}");
                    }
                }
            }
        }
    }

    /// What the server wrote to stderr so far.
    pub fn log(&self) -> String {
        fs::read_to_string(self.dir.join("server.log")).unwrap_or_default()
    }

    /// The data folder.
    pub fn data(&self) -> PathBuf {
        self.dir.join("data")
    }

    /// The HTTP client every SDK client of this server shares (plain HTTP, loopback).
    pub fn http_client(&self) -> SharedHttpClient {
        self.http.clone()
    }

    /// An IAM client signing with `key`.
    pub fn iam(&self, key: &Key) -> aws_sdk_iam::Client {
        let config = aws_sdk_iam::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new("us-east-1"))
            .endpoint_url(&self.endpoint)
            .credentials_provider(credentials(key))
            .http_client(self.http_client())
            .retry_config(RetryConfig::disabled())
            .timeout_config(timeouts())
            .build();
        aws_sdk_iam::Client::from_conf(config)
    }

    /// An STS client signing with `key`.
    pub fn sts(&self, key: &Key) -> aws_sdk_sts::Client {
        let config = aws_sdk_sts::Config::builder()
            .behavior_version(aws_sdk_sts::config::BehaviorVersion::latest())
            .region(aws_sdk_sts::config::Region::new("us-east-1"))
            .endpoint_url(&self.endpoint)
            .credentials_provider(aws_sdk_sts::config::Credentials::new(
                &key.id,
                &key.secret,
                None,
                None,
                "warden-sdk-tests",
            ))
            .http_client(self.http_client())
            .retry_config(aws_sdk_sts::config::retry::RetryConfig::disabled())
            .timeout_config(
                aws_sdk_sts::config::timeout::TimeoutConfig::builder()
                    .operation_timeout(Duration::from_secs(30))
                    .build(),
            )
            .build();
        aws_sdk_sts::Client::from_conf(config)
    }

    /// IAM as the root user.
    pub fn root_iam(&self) -> aws_sdk_iam::Client {
        self.iam(&Key::root())
    }

    /// Sends SIGTERM, waits for the process to end and checks that it ended cleanly.
    pub fn stop(mut self) {
        let status = self.terminate();
        assert!(
            status.is_some_and(|s| s.success()),
            "warden ended with {status:?}:\n{}",
            self.log()
        );
    }

    fn terminate(&mut self) -> Option<ExitStatus> {
        let mut child = self.child.take()?;
        if let Ok(Some(status)) = child.try_wait() {
            return Some(status);
        }
        let sent = Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status()
            .is_ok_and(|s| s.success());
        if sent {
            let deadline = Instant::now() + Duration::from_secs(15);
            while Instant::now() < deadline {
                if let Ok(Some(status)) = child.try_wait() {
                    return Some(status);
                }
                std::thread::sleep(Duration::from_millis(20));
            }
        }
        let _ = child.kill();
        let _ = child.wait();
        None
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.terminate();
        if std::thread::panicking() {
            eprintln!("warden's log:\n{}", self.log());
        }
        let _ = fs::remove_dir_all(&self.dir);
    }
}

fn credentials(key: &Key) -> Credentials {
    Credentials::new(&key.id, &key.secret, None, None, "warden-sdk-tests")
}

fn timeouts() -> TimeoutConfig {
    TimeoutConfig::builder()
        .operation_timeout(Duration::from_secs(30))
        .build()
}

/// Waits until the server answers `GET /healthz`, or says why it did not.
fn wait_ready(child: &mut Child, port: u16) -> Result<(), String> {
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if let Some(status) = child.try_wait().unwrap() {
            return Err(format!("exited with {status}"));
        }
        if healthz(port) {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(25));
    }
    Err("not ready within 30 s".to_owned())
}

fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

/// Whether `GET /healthz` answers 200.
fn healthz(port: u16) -> bool {
    let Ok(mut stream) = TcpStream::connect(("127.0.0.1", port)) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
    let request =
        format!("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n");
    if stream.write_all(request.as_bytes()).is_err() {
        return false;
    }
    let mut response = String::new();
    let _ = stream.read_to_string(&mut response);
    response.starts_with("HTTP/1.1 200")
}
