//! Warden's web console at `/console`: server-rendered HTML, embedded in the binary, for
//! people who sign in with a password (and an MFA code when they have a device).
//!
//! Sign-in checks the password with [`Service::check_sign_in`] on a blocking thread, then a
//! code with [`Service::use_sign_in_mfa_code`] when the principal has an MFA device, then a
//! forced password change when one is due. Every page past sign-in runs the IAM operation it
//! shows through [`Service::call`], as the signed-in principal ([`session_caller`]), so it is
//! authorized exactly as the API would authorize the same principal, and a refusal shows
//! AWS's own message.
//!
//! Sessions live in memory ([`sessions`]), keyed by a random id carried only by an HttpOnly,
//! SameSite=Strict cookie (Secure under TLS); every state-changing form carries the session's
//! CSRF token (the sign-in form a double-submitted one), and a POST without a valid token is
//! refused with 403.

mod browse;
mod html;
mod pages;
pub mod sessions;

use std::collections::HashMap;
use std::convert::Infallible;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use axum::Router;
use axum::extract::connect_info::ConnectInfo;
use axum::extract::{DefaultBodyLimit, FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use warden_core::time::Timestamp;
use warden_core::{Caller, Identity, RequestInfo, Service, Session, SessionKind};

use sessions::{ABSOLUTE_TIMEOUT, Lockouts, Sessions};

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "warden-console";
/// The sign-in form's double-submitted CSRF cookie's name.
pub const SIGN_IN_COOKIE: &str = "warden-console-signin";

/// The largest form body read (413 past it): the console's forms are small.
pub const MAX_FORM: usize = 64 * 1024;

/// How the console is served.
#[derive(Debug, Clone, Default)]
pub struct ConsoleConfig {
    /// Whether the listener is TLS: cookies are then marked Secure and requests carry
    /// `aws:SecureTransport`.
    pub tls: bool,
    /// Proxies whose `X-Forwarded-For` is believed for `aws:SourceIp`, as the API's edge
    /// believes them.
    pub trusted_proxies: Vec<IpAddr>,
}

/// The console: the service it acts on, its sessions and failed sign-in counters.
#[derive(Debug)]
pub struct Console {
    service: Arc<Service>,
    config: ConsoleConfig,
    sessions: Sessions,
    lockouts: Lockouts,
    /// Password checks and changes (argon2id: memory and CPU) and policy simulations running
    /// at once are bounded; more wait their turn instead of taking blocking threads and memory
    /// without limit.
    heavy: tokio::sync::Semaphore,
}

impl Console {
    pub fn new(service: Arc<Service>, config: ConsoleConfig) -> Console {
        Console {
            service,
            config,
            sessions: Sessions::default(),
            lockouts: Lockouts::default(),
            heavy: tokio::sync::Semaphore::new(
                std::thread::available_parallelism().map_or(2, |n| n.get().max(2)),
            ),
        }
    }

    fn now(&self) -> Timestamp {
        self.service.now()
    }
}

/// The console's routes, to be nested at `/console`.
pub fn router(console: Arc<Console>) -> Router {
    Router::new()
        .route("/console", get(pages::home))
        .route("/console/", get(pages::home))
        .route(
            "/console/signin",
            get(pages::sign_in_form).post(pages::sign_in),
        )
        .route("/console/mfa", get(pages::mfa_form).post(pages::mfa))
        .route(
            "/console/password",
            get(pages::password_form).post(pages::change_password),
        )
        .route("/console/signout", post(pages::sign_out))
        .route("/console/credentials", get(pages::credentials))
        .route("/console/credentials/keys", post(pages::create_key))
        .route("/console/credentials/keys/status", post(pages::key_status))
        .route("/console/credentials/keys/delete", post(pages::delete_key))
        .route("/console/credentials/mfa", post(pages::create_mfa))
        .route("/console/credentials/mfa/enable", post(pages::enable_mfa))
        .route("/console/users", get(pages::users).post(pages::create_user))
        .route("/console/users/delete", post(pages::delete_user))
        .route("/console/users/{name}", get(browse::user))
        .route(
            "/console/users/{name}/attach",
            post(browse::attach_user_policy),
        )
        .route(
            "/console/users/{name}/detach",
            post(browse::detach_user_policy),
        )
        .route(
            "/console/groups",
            get(browse::groups).post(browse::create_group),
        )
        .route("/console/groups/delete", post(browse::delete_group))
        .route("/console/groups/{name}", get(browse::group))
        .route(
            "/console/groups/{name}/attach",
            post(browse::attach_group_policy),
        )
        .route(
            "/console/groups/{name}/detach",
            post(browse::detach_group_policy),
        )
        .route("/console/roles", get(browse::roles))
        .route("/console/roles/{name}", get(browse::role))
        .route(
            "/console/roles/{name}/attach",
            post(browse::attach_role_policy),
        )
        .route(
            "/console/roles/{name}/detach",
            post(browse::detach_role_policy),
        )
        .route("/console/policies", get(browse::policies))
        .route("/console/policies/view", get(browse::policy))
        .route("/console/simulate", get(browse::simulate))
        .route("/console/{*rest}", get(not_found).post(not_found))
        .with_state(console)
        .layer(DefaultBodyLimit::max(MAX_FORM))
}

async fn not_found(State(_): State<Arc<Console>>) -> Response {
    respond(
        StatusCode::NOT_FOUND,
        html::page("Not found", None, &html::error("There is no such page.")),
        None,
    )
}

/// The caller a console session acts as. Without MFA it is the principal itself, as its
/// access keys would authenticate it. With MFA it is a session of the principal (a
/// GetSessionToken session, [`SessionKind::User`]) whose claims record the sign-in time and
/// the MFA time, so `aws:MultiFactorAuthPresent` is true, `aws:MultiFactorAuthAge` counts from
/// the code and `aws:TokenIssueTime` is the sign-in, exactly as for a session made with a
/// code through STS; its policies are the user's (or the root user's) current ones.
pub fn session_caller(base: &Caller, mfa_time: Option<Timestamp>, signed_in: Timestamp) -> Caller {
    let Some(mfa_time) = mfa_time else {
        return base.clone();
    };
    let principal_id = match &base.identity {
        Identity::User { id } => Some(id.clone()),
        _ => None,
    };
    Caller {
        account: base.account,
        identity: Identity::Session(Arc::new(Session {
            kind: SessionKind::User,
            account: base.account,
            principal_id,
            issued: signed_in,
            expires: signed_in + ABSOLUTE_TIMEOUT,
            mfa_time: Some(mfa_time),
            ..Session::default()
        })),
        access_key_id: None,
    }
}

/// What the console needs of a request besides its form: its cookies and the facts the
/// request context carries.
#[derive(Debug)]
struct Req {
    session_id: Option<String>,
    sign_in_token: Option<String>,
    source: Option<SocketAddr>,
    forwarded_for: Vec<IpAddr>,
    user_agent: Option<String>,
}

impl<S: Send + Sync> FromRequestParts<S> for Req {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Req, Infallible> {
        let mut session_id = None;
        let mut sign_in_token = None;
        for value in parts.headers.get_all(header::COOKIE) {
            let Ok(text) = value.to_str() else { continue };
            for pair in text.split(';') {
                let Some((name, value)) = pair.trim().split_once('=') else {
                    continue;
                };
                match name {
                    SESSION_COOKIE => session_id = Some(value.to_owned()),
                    SIGN_IN_COOKIE => sign_in_token = Some(value.to_owned()),
                    _ => {}
                }
            }
        }
        Ok(Req {
            session_id,
            sign_in_token,
            source: ConnectInfo::<SocketAddr>::from_request_parts(parts, state)
                .await
                .ok()
                .map(|c| c.0),
            forwarded_for: parts
                .headers
                .get_all("x-forwarded-for")
                .iter()
                .filter_map(|v| v.to_str().ok())
                .flat_map(|v| v.split(','))
                .filter_map(|part| part.trim().parse::<IpAddr>().ok())
                .take(32)
                .collect(),
            user_agent: parts
                .headers
                .get(header::USER_AGENT)
                .and_then(|v| v.to_str().ok())
                .map(|v| v.chars().take(256).collect()),
        })
    }
}

impl Req {
    /// The client's address: the TCP peer, or, when the peer is a trusted proxy, the
    /// right-most `X-Forwarded-For` address no trusted proxy added.
    fn source_ip(&self, trusted: &[IpAddr]) -> Option<IpAddr> {
        let peer = self.source?.ip();
        if !trusted.contains(&peer) {
            return Some(peer);
        }
        let client = self
            .forwarded_for
            .iter()
            .rev()
            .find(|ip| !trusted.contains(ip));
        Some(client.copied().unwrap_or(peer))
    }

    fn info(&self, console: &Console) -> RequestInfo {
        RequestInfo {
            source_ip: self.source_ip(&console.config.trusted_proxies),
            secure_transport: console.config.tls,
            user_agent: self.user_agent.clone(),
            region: "us-east-1".to_owned(),
            request_id: console.service.new_request_id(),
        }
    }
}

/// A form's fields (the first value of each name).
fn form(body: &[u8]) -> HashMap<String, String> {
    let mut fields = HashMap::new();
    for (name, value) in form_urlencoded::parse(body) {
        fields
            .entry(name.into_owned())
            .or_insert_with(|| value.into_owned());
    }
    fields
}

/// An HTML response with the headers every page carries: no caching, no framing, no
/// scripts, forms posting only back here.
fn respond(status: StatusCode, body: String, cookie: Option<String>) -> Response {
    let mut headers = HeaderMap::new();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    security_headers(&mut headers);
    if let Some(cookie) = cookie.and_then(|c| HeaderValue::from_str(&c).ok()) {
        headers.append(header::SET_COOKIE, cookie);
    }
    (status, headers, body).into_response()
}

fn security_headers(headers: &mut HeaderMap) {
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        ),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
}

/// A 303 to `location`, setting `cookies`.
fn redirect(location: &'static str, cookies: &[String]) -> Response {
    let mut headers = HeaderMap::new();
    headers.insert(header::LOCATION, HeaderValue::from_static(location));
    security_headers(&mut headers);
    for cookie in cookies {
        if let Ok(value) = HeaderValue::from_str(cookie) {
            headers.append(header::SET_COOKIE, value);
        }
    }
    (StatusCode::SEE_OTHER, headers).into_response()
}

/// A cookie for `/console`: HttpOnly, SameSite=Strict, Secure under TLS; `value` `None`
/// clears it.
fn cookie(console: &Console, name: &str, value: Option<&str>) -> String {
    let secure = if console.config.tls { "; Secure" } else { "" };
    match value {
        Some(value) => {
            format!("{name}={value}; Path=/console; HttpOnly; SameSite=Strict{secure}")
        }
        None => format!("{name}=; Path=/console; HttpOnly; SameSite=Strict{secure}; Max-Age=0"),
    }
}

/// The 403 answer to a state-changing request without a valid CSRF token.
fn forbidden() -> Response {
    respond(
        StatusCode::FORBIDDEN,
        html::page(
            "Forbidden",
            None,
            &html::error(
                "This form has expired or did not come from this console. Go back, reload the page and try again.",
            ),
        ),
        None,
    )
}
