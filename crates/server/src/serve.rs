//! `warden serve`: configuration, the data folder, the first-start bootstrap, and the HTTP
//! server with graceful shutdown.

use std::fs;
use std::io::Write;
use std::net::{IpAddr, SocketAddr};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, bail};
use axum::serve::ListenerExt;
use clap::Args;
use serde::Deserialize;
use warden_api::edge::{Edge, EdgeConfig, router};
use warden_api::oidc_fetch::HttpFetcher;
use warden_console::{Console, ConsoleConfig};
use warden_core::ids::OsRandom;
use warden_core::time::{Clock, OffsetClock, SystemClock};
use warden_core::{MasterKey, Secret, Service, ServiceConfig};
use warden_store::SqliteStore;

/// Flags of `warden serve`. Each may also come from a `WARDEN_*` environment variable or
/// the TOML file given with `--config`, in that order of precedence.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on [default: 127.0.0.1:8910].
    #[arg(long, env = "WARDEN_LISTEN")]
    listen: Option<SocketAddr>,
    /// Folder for the database, the master key and the generated root credentials
    /// [default: ./warden-data].
    #[arg(long, env = "WARDEN_DATA")]
    data: Option<PathBuf>,
    /// The first account's id, on a first start (default: random).
    #[arg(long, env = "WARDEN_ACCOUNT_ID")]
    account_id: Option<String>,
    /// Local-testing mode: unknown access keys act as the first account's root user, and
    /// `POST /_warden/reset` wipes all state. Never use it for real data.
    #[arg(long, env = "WARDEN_DEV")]
    dev: bool,
    /// Log format: `human` or `json` [default: human].
    #[arg(long, env = "WARDEN_LOG_FORMAT")]
    log_format: Option<String>,
    /// A proxy whose X-Forwarded-For header is believed (repeatable).
    #[arg(
        long = "trusted-proxy",
        env = "WARDEN_TRUSTED_PROXIES",
        value_delimiter = ','
    )]
    trusted_proxies: Vec<IpAddr>,
    /// The generation of the key that seals session tokens [default: 1]. Raise it by one to
    /// rotate: tokens of the previous generation stay valid until they expire (36 hours at
    /// most), older ones are refused.
    #[arg(long, env = "WARDEN_SESSION_KEY_GENERATION")]
    session_key_generation: Option<u32>,
    /// Let OpenID Connect providers on a loopback address (127.0.0.0/8, [::1], localhost) be
    /// registered with a port and reached over plain HTTP, for tests with a local identity
    /// provider. Off by default: issuers are https:// URLs without a port.
    #[arg(long, env = "WARDEN_ALLOW_HTTP_OIDC_LOOPBACK")]
    allow_http_oidc_loopback: bool,
    /// Serve HTTPS with this PEM certificate chain (the server's certificate first); needs
    /// `--tls-key`.
    #[arg(long, env = "WARDEN_TLS_CERT")]
    tls_cert: Option<PathBuf>,
    /// The PEM private key (PKCS#8, PKCS#1 RSA or SEC1 EC) of `--tls-cert`.
    #[arg(long, env = "WARDEN_TLS_KEY")]
    tls_key: Option<PathBuf>,
    /// A TOML file with any of the settings above (`listen`, `data`, `account_id`, `dev`,
    /// `log_format`, `trusted_proxies`, `session_key_generation`, `allow_http_oidc_loopback`,
    /// `tls_cert`, `tls_key`).
    #[arg(long, env = "WARDEN_CONFIG")]
    config: Option<PathBuf>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    listen: Option<SocketAddr>,
    data: Option<PathBuf>,
    account_id: Option<String>,
    dev: Option<bool>,
    log_format: Option<String>,
    trusted_proxies: Option<Vec<IpAddr>>,
    session_key_generation: Option<u32>,
    allow_http_oidc_loopback: Option<bool>,
    tls_cert: Option<PathBuf>,
    tls_key: Option<PathBuf>,
}

/// The settings in force after flags, environment and file are merged.
#[derive(Debug)]
struct Settings {
    listen: SocketAddr,
    data: PathBuf,
    account_id: Option<String>,
    dev: bool,
    json_logs: bool,
    trusted_proxies: Vec<IpAddr>,
    session_key_generation: u32,
    allow_http_oidc_loopback: bool,
    /// The certificate chain and private key files, when serving HTTPS.
    tls: Option<(PathBuf, PathBuf)>,
}

impl ServeArgs {
    fn settings(self) -> anyhow::Result<Settings> {
        let file: FileConfig = match &self.config {
            Some(path) => {
                let text = fs::read_to_string(path)
                    .with_context(|| format!("reading {}", path.display()))?;
                toml::from_str(&text).with_context(|| format!("reading {}", path.display()))?
            }
            None => FileConfig::default(),
        };
        let log_format = self
            .log_format
            .or(file.log_format)
            .unwrap_or_else(|| "human".to_owned());
        let json_logs = match log_format.as_str() {
            "human" => false,
            "json" => true,
            other => bail!("unknown log format `{other}`: use `human` or `json`"),
        };
        let tls = match (
            self.tls_cert.or(file.tls_cert),
            self.tls_key.or(file.tls_key),
        ) {
            (Some(cert), Some(key)) => Some((cert, key)),
            (None, None) => None,
            (Some(_), None) => bail!("--tls-cert needs --tls-key (the certificate's private key)"),
            (None, Some(_)) => bail!("--tls-key needs --tls-cert (the certificate chain)"),
        };
        Ok(Settings {
            listen: self
                .listen
                .or(file.listen)
                .unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 8910))),
            data: self
                .data
                .or(file.data)
                .unwrap_or_else(|| PathBuf::from("./warden-data")),
            account_id: self.account_id.or(file.account_id),
            dev: self.dev || file.dev.unwrap_or(false),
            json_logs,
            trusted_proxies: if self.trusted_proxies.is_empty() {
                file.trusted_proxies.unwrap_or_default()
            } else {
                self.trusted_proxies
            },
            session_key_generation: self
                .session_key_generation
                .or(file.session_key_generation)
                .unwrap_or(1),
            allow_http_oidc_loopback: self.allow_http_oidc_loopback
                || file.allow_http_oidc_loopback.unwrap_or(false),
            tls,
        })
    }
}

pub fn run(args: ServeArgs) -> anyhow::Result<()> {
    let settings = args.settings()?;
    crate::logging::init(settings.json_logs);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    runtime.block_on(serve(settings))
}

async fn serve(settings: Settings) -> anyhow::Result<()> {
    // Read before anything is created, so a bad file stops the start with nothing changed.
    let tls = match &settings.tls {
        Some((cert, key)) => Some(crate::tls::server_config(cert, key)?),
        None => None,
    };
    let scheme = if tls.is_some() { "https" } else { "http" };
    let data = &settings.data;
    fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(data)
        .with_context(|| format!("creating the data folder {}", data.display()))?;
    let _lock = lock_data(data)?;
    let master = master_key(data)?;
    let store = SqliteStore::open(&data.join("warden.db")).context("opening the database")?;
    // `--dev` runs on a clock that `POST /_warden/clock` can move; otherwise the system's.
    let dev_clock = settings.dev.then(|| Arc::new(OffsetClock::default()));
    let clock: Arc<dyn Clock> = match &dev_clock {
        Some(clock) => Arc::clone(clock) as Arc<dyn Clock>,
        None => Arc::new(SystemClock),
    };
    let service = ServiceConfig::new(Arc::new(store), master, clock, Arc::new(OsRandom))
        .session_key_generation(settings.session_key_generation)
        // SAML responses may be addressed to this server's own sign-in URL as well as to AWS's.
        .saml_sign_in_url(&format!("{scheme}://{}/saml", settings.listen))
        .oidc_fetcher(Arc::new(HttpFetcher::new(
            tokio::runtime::Handle::current(),
            settings.allow_http_oidc_loopback,
        )))
        .open()
        .context("loading the state")?;
    if settings.allow_http_oidc_loopback {
        tracing::warn!(
            "OpenID Connect providers on loopback addresses may use plain HTTP (--allow-http-oidc-loopback)"
        );
    }
    let root_key = root_key_from_env()?;
    let bootstrap = service
        .bootstrap(
            settings.account_id.as_deref(),
            root_key.as_ref().map(|(id, secret)| (id.as_str(), secret)),
        )
        .context("preparing the first account")?;
    if bootstrap.created_account {
        tracing::info!(account = %bootstrap.account, "created the first account");
    }
    let service = Arc::new(service);
    let root_password = root_password_from_env(&service, &bootstrap.account).await?;
    if let Some((key_id, secret)) = &bootstrap.generated_root_key {
        let path = data.join("root-credentials");
        write_private(
            &path,
            &format!(
                "[default]\naws_access_key_id = {key_id}\naws_secret_access_key = {}\n",
                secret.expose()
            ),
        )?;
        eprintln!(
            "warden: generated root credentials for account {} and wrote them to {} (mode 0600); they are not shown again",
            bootstrap.account,
            path.display()
        );
    }
    if settings.dev {
        tracing::warn!(
            "DEV MODE: unknown access keys act as the root user of account {} and POST /_warden/reset wipes all state; never use this for real data",
            bootstrap.account
        );
        eprintln!(
            "warden: WARNING: --dev mode: unknown access keys are accepted as the root user; state can be wiped by POST /_warden/reset"
        );
    }
    let flusher = tokio::spawn(flush_key_use_periodically(Arc::clone(&service)));
    let edge = Arc::new(Edge::new(
        Arc::clone(&service),
        EdgeConfig {
            dev: settings.dev,
            trusted_proxies: settings.trusted_proxies.clone(),
            tls: tls.is_some(),
            reset_to: Some((bootstrap.account, root_key.clone())),
            reset_root_password: root_password,
            clock: dev_clock,
        },
    ));
    let listener = tokio::net::TcpListener::bind(settings.listen)
        .await
        .with_context(|| format!("listening on {}", settings.listen))?;
    tracing::info!(address = %listener.local_addr()?, %scheme, account = %bootstrap.account, "warden is ready");
    // The console, at /console, beside the API's routes.
    let console = Arc::new(Console::new(
        Arc::clone(&service),
        ConsoleConfig {
            tls: tls.is_some(),
            trusted_proxies: settings.trusted_proxies.clone(),
        },
    ));
    let app = router(edge)
        // The console's routes get the API's limit on header size too.
        .merge(warden_console::router(console).layer(warden_api::edge::LimitHeadersLayer))
        .into_make_service_with_connect_info::<SocketAddr>();
    match tls {
        // `tap_io` gives the TLS listener's connections their peer address as `ConnectInfo`.
        Some(config) => {
            axum::serve(
                crate::tls::TlsListener::new(listener, config).tap_io(|_| {}),
                app,
            )
            .with_graceful_shutdown(shutdown_signal())
            .await
        }
        None => {
            axum::serve(listener, app)
                .with_graceful_shutdown(shutdown_signal())
                .await
        }
    }
    .context("serving")?;
    flusher.abort();
    let flushed = tokio::task::spawn_blocking(move || service.flush_key_use()).await;
    if !matches!(flushed, Ok(Ok(()))) {
        tracing::error!("could not record the last use of access keys at shutdown");
    }
    tracing::info!("stopped");
    Ok(())
}

/// Writes access-key last-use data every 30 seconds, and lifts MFA lockouts and forgets used
/// SAML assertions whose time is over.
async fn flush_key_use_periodically(service: Arc<Service>) {
    let mut tick = tokio::time::interval(std::time::Duration::from_secs(30));
    loop {
        tick.tick().await;
        housekeeping(
            &service,
            "recording the last use of access keys",
            Service::flush_key_use,
        )
        .await;
        housekeeping(
            &service,
            "expiring MFA lockouts and used SAML assertions",
            Service::expire_records,
        )
        .await;
    }
}

/// Runs one periodic `job` on the blocking pool; a failure is logged as `what` failing.
async fn housekeeping(
    service: &Arc<Service>,
    what: &'static str,
    job: fn(&Service) -> Result<(), warden_core::Error>,
) {
    let service = Arc::clone(service);
    match tokio::task::spawn_blocking(move || job(&service)).await {
        Ok(Ok(())) => {}
        Ok(Err(error)) => tracing::error!(%error, "{what}"),
        Err(_) => tracing::error!("{what}: the task failed"),
    }
}

/// Resolves on SIGTERM or Ctrl-C; in-flight requests then finish before the server stops.
async fn shutdown_signal() {
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        () = terminate => {}
    }
    tracing::info!("shutting down: finishing requests in flight");
}

/// Holds `DATA/warden.lock` exclusively while the returned file is open, so that one server
/// (or one `warden account create`) at a time works on a data folder.
pub(crate) fn lock_data(data: &Path) -> anyhow::Result<fs::File> {
    let path = data.join("warden.lock");
    let file = fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .mode(0o600)
        .open(&path)
        .with_context(|| format!("opening {}", path.display()))?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(fs::TryLockError::WouldBlock) => bail!(
            "{} is in use by a running warden (stop it first)",
            data.display()
        ),
        Err(fs::TryLockError::Error(error)) => {
            Err(error).with_context(|| format!("locking {}", path.display()))
        }
    }
}

/// The master key: `WARDEN_MASTER_KEY` (64 hex digits), or `DATA/master.key`, created on
/// first start with mode 0600.
pub(crate) fn master_key(data: &Path) -> anyhow::Result<MasterKey> {
    if let Ok(hex) = std::env::var("WARDEN_MASTER_KEY") {
        return MasterKey::from_hex(&hex)
            .context("WARDEN_MASTER_KEY must be 64 hexadecimal digits");
    }
    let path = data.join("master.key");
    match fs::read_to_string(&path) {
        Ok(text) => MasterKey::from_hex(&text)
            .with_context(|| format!("{} does not hold a master key", path.display())),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            let key = MasterKey::generate()?;
            write_private(&path, &format!("{}\n", key.to_hex().as_str()))?;
            Ok(key)
        }
        Err(error) => Err(error).with_context(|| format!("reading {}", path.display())),
    }
}

fn root_key_from_env() -> anyhow::Result<Option<(String, Secret)>> {
    let id = std::env::var("WARDEN_ROOT_ACCESS_KEY_ID")
        .ok()
        .filter(|v| !v.is_empty());
    let secret = std::env::var("WARDEN_ROOT_SECRET_ACCESS_KEY")
        .ok()
        .filter(|v| !v.is_empty());
    match (id, secret) {
        (Some(id), Some(secret)) => Ok(Some((id, Secret::new(secret)))),
        (None, None) => Ok(None),
        _ => bail!(
            "set both WARDEN_ROOT_ACCESS_KEY_ID and WARDEN_ROOT_SECRET_ACCESS_KEY, or neither"
        ),
    }
}

/// `WARDEN_ROOT_PASSWORD`: the first account's root password, set when its root user has none
/// yet (the first start, or a start after one that stopped before setting it); later starts
/// leave the password alone, so one changed since is kept. Hashed on a blocking thread.
///
/// Returns the password, which a `--dev` reset sets again.
async fn root_password_from_env(
    service: &Arc<Service>,
    account: &str,
) -> anyhow::Result<Option<Secret>> {
    let Some(password) = std::env::var("WARDEN_ROOT_PASSWORD")
        .ok()
        .filter(|v| !v.is_empty())
        .map(Secret::new)
    else {
        return Ok(None);
    };
    let setter = Arc::clone(service);
    let account = account.to_owned();
    let given = password.clone();
    let set = tokio::task::spawn_blocking(move || {
        if setter.has_root_password(&account)? {
            return Ok(false);
        }
        setter
            .set_root_password(&account, given.expose())
            .map(|()| true)
    })
    .await
    .context("setting the root password")?;
    match set {
        Ok(true) => tracing::info!("set the root user's password from WARDEN_ROOT_PASSWORD"),
        Ok(false) => {}
        Err(error) => bail!("WARDEN_ROOT_PASSWORD: {}", error.message()),
    }
    Ok(Some(password))
}

/// Writes a new file readable by its owner only; never overwrites.
fn write_private(path: &Path, contents: &str) -> anyhow::Result<()> {
    let mut file = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("creating {}", path.display()))?;
    file.write_all(contents.as_bytes())
        .and_then(|()| file.sync_all())
        .with_context(|| format!("writing {}", path.display()))
}
