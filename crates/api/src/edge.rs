//! The HTTP edge: one endpoint for IAM and STS in AWS's query protocol, plus `/healthz`,
//! `/metrics` and the `--dev` reset. Each API request is size-checked, authenticated
//! (SigV4), decoded against the service model, performed by the core and encoded as AWS's
//! XML.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Instant;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::Value;
use warden_core::{Caller, RequestInfo, Service};

use crate::errors::{ApiError, on_blocking_pool};
use crate::heavy::HeavyLimits;
use crate::metrics::Metrics;
use crate::model::{Model, Operation};
use crate::sigv4::{self, SigningKeyCache};

/// Requests larger than this are refused before their body is read.
pub const MAX_BODY: usize = 1024 * 1024;
/// Requests whose header fields take more than this many bytes (names and values, with the
/// four bytes of `: ` and CRLF that go with each) are refused with 431 before anything else.
pub const MAX_HEADERS: usize = 64 * 1024;

/// Settings of the edge.
#[derive(Debug, Clone, Default)]
pub struct EdgeConfig {
    /// `--dev`: unknown access keys act as the first account's root user; reset allowed.
    pub dev: bool,
    /// Proxies whose `X-Forwarded-For` is believed.
    pub trusted_proxies: Vec<IpAddr>,
    /// Whether the listener speaks TLS (aws:SecureTransport).
    pub tls: bool,
    /// What a `--dev` reset restores: the first account's id and the configured root key.
    pub reset_to: Option<(String, Option<(String, warden_core::Secret)>)>,
    /// `--dev` only: the service's clock, which `POST /_warden/clock?advance=SECONDS` moves.
    pub clock: Option<Arc<warden_core::time::OffsetClock>>,
}

/// Everything request handlers share.
#[derive(Debug)]
pub struct Edge {
    pub service: Arc<Service>,
    pub config: EdgeConfig,
    keys: SigningKeyCache,
    metrics: Metrics,
    pub(crate) federation: crate::unsigned::Federation,
    heavy: Arc<HeavyLimits>,
}

impl Edge {
    pub fn new(service: Arc<Service>, config: EdgeConfig) -> Edge {
        Edge {
            service,
            config,
            keys: SigningKeyCache::default(),
            metrics: Metrics::default(),
            federation: crate::unsigned::Federation::default(),
            heavy: HeavyLimits::for_this_machine(),
        }
    }
}

/// The application's routes.
pub fn router(edge: Arc<Edge>) -> Router {
    Router::new()
        .route("/", get(api).post(api))
        .route("/healthz", get(|| async { "ok\n" }))
        .route("/metrics", get(metrics))
        .route("/_warden/reset", post(reset))
        .route("/_warden/clock", post(advance_clock))
        .with_state(edge)
        .layer(axum::middleware::from_fn(limit_headers))
}

/// Refuses a request whose header fields are over [`MAX_HEADERS`] with 431 (Request Header
/// Fields Too Large), before any route sees it.
async fn limit_headers(request: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let size: usize = request
        .headers()
        .iter()
        .map(|(name, value)| name.as_str().len() + value.len() + 4)
        .sum();
    if size > MAX_HEADERS {
        tracing::debug!(size, "refused a request whose headers are over the limit");
        return StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE.into_response();
    }
    next.run(request).await
}

/// `--dev` mode's time travel: moves the service's clock (session expiry, request times)
/// by `advance` seconds and answers the new time in epoch seconds.
async fn advance_clock(State(edge): State<Arc<Edge>>, uri: Uri) -> Response {
    let (true, Some(clock)) = (edge.config.dev, &edge.config.clock) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let seconds = uri
        .query()
        .into_iter()
        .flat_map(|q| form_urlencoded::parse(q.as_bytes()))
        .find(|(k, _)| k == "advance")
        .and_then(|(_, v)| v.parse::<i64>().ok());
    match seconds {
        Some(seconds) => (StatusCode::OK, format!("{}\n", clock.advance(seconds))).into_response(),
        None => (StatusCode::BAD_REQUEST, "advance=SECONDS is required\n").into_response(),
    }
}

async fn metrics(State(edge): State<Arc<Edge>>) -> Response {
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        edge.metrics.render(),
    )
        .into_response()
}

async fn reset(State(edge): State<Arc<Edge>>) -> Response {
    if !edge.config.dev {
        return StatusCode::NOT_FOUND.into_response();
    }
    let service = Arc::clone(&edge.service);
    let reset_to = edge.config.reset_to.clone();
    let result = tokio::task::spawn_blocking(move || {
        service.reset()?;
        let (account, root_key) = match &reset_to {
            Some((account, key)) => (
                Some(account.as_str()),
                key.as_ref().map(|(id, secret)| (id.as_str(), secret)),
            ),
            None => (None, None),
        };
        service.bootstrap(account, root_key).map(|_| ())
    })
    .await;
    match result {
        Ok(Ok(())) => (StatusCode::OK, "reset\n").into_response(),
        Ok(Err(error)) => {
            tracing::error!(%error, "reset failed");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

/// Which API a request is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Api {
    Iam,
    Sts,
}

impl Api {
    fn model(self) -> &'static Model {
        match self {
            Api::Iam => Model::iam(),
            Api::Sts => Model::sts(),
        }
    }

    fn name(self) -> &'static str {
        match self {
            Api::Iam => "iam",
            Api::Sts => "sts",
        }
    }
}

/// Who a request comes from, once authenticated.
struct Authenticated {
    caller: Caller,
    api: Api,
    region: String,
}

async fn api(
    State(edge): State<Arc<Edge>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let started = Instant::now();
    let request_id = edge.service.new_request_id();
    let mut api_name = "unknown";
    let mut action = String::new();
    let result = async {
        let body = read_body(&headers, body).await?;
        let params = parameters(&uri, &headers, &body)?;
        action = params
            .iter()
            .find(|(k, _)| k == "Action")
            .map(|(_, v)| v.clone())
            .unwrap_or_default();
        let authenticated = match authenticate(&edge, &method, &uri, &headers, &body) {
            // STS calls that carry no AWS credentials by design go to STS by Action/Version.
            Err(error)
                if error.code == "MissingAuthenticationToken"
                    && crate::unsigned::is_unsigned_sts(&params) =>
            {
                api_name = "sts";
                let info = RequestInfo {
                    source_ip: Some(source_ip(&edge.config, peer, &headers)),
                    secure_transport: edge.config.tls,
                    user_agent: headers
                        .get(header::USER_AGENT)
                        .and_then(|v| v.to_str().ok())
                        .map(str::to_owned),
                    region: "us-east-1".to_owned(),
                    request_id: request_id.clone(),
                };
                return crate::unsigned::perform(&edge, info, &action, &params).await;
            }
            other => other?,
        };
        api_name = authenticated.api.name();
        if action.is_empty() {
            return Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                "MissingAction",
                "Missing Action",
            ));
        }
        let info = RequestInfo {
            source_ip: Some(source_ip(&edge.config, peer, &headers)),
            secure_transport: edge.config.tls,
            user_agent: headers
                .get(header::USER_AGENT)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned),
            region: authenticated.region.clone(),
            request_id: request_id.clone(),
        };
        perform(&edge, authenticated, info, &action, params).await
    }
    .await;
    let namespace = match api_name {
        "sts" => Model::sts().namespace(),
        _ => Model::iam().namespace(),
    };
    let (response, code) = match result {
        Ok(xml) => (
            xml_response(StatusCode::OK, xml, &request_id),
            "OK".to_owned(),
        ),
        Err(error) => {
            let xml = crate::xml::error_xml(
                namespace,
                error.fault(),
                &error.code,
                &error.message,
                &request_id,
            );
            let code = error.code.clone();
            (xml_response(error.status, xml, &request_id), code)
        }
    };
    edge.metrics
        .record(api_name, metric_action(&action), &code, started.elapsed());
    response
}

/// The `action` label of a request's metrics: the operation's name when IAM or STS has an
/// operation of that name, else `unknown`. The label never carries the request's own text,
/// so unauthenticated callers cannot grow the metrics with names of their choosing.
fn metric_action(action: &str) -> &'static str {
    [Model::iam(), Model::sts()]
        .into_iter()
        .find_map(|model| model.operation(action))
        .map_or("unknown", |operation| operation.name.as_str())
}

/// An XML answer. Like AWS, it also carries the request id in the `x-amzn-RequestId`
/// header: that, not the XML, is where the AWS SDK for Rust reads it from.
fn xml_response(status: StatusCode, xml: String, request_id: &str) -> Response {
    let mut response = (status, [(header::CONTENT_TYPE, "text/xml")], xml).into_response();
    if let Ok(value) = header::HeaderValue::from_str(request_id) {
        response.headers_mut().insert("x-amzn-requestid", value);
    }
    response
}

/// Reads the body, refusing more than [`MAX_BODY`] (by its declared length before reading).
async fn read_body(headers: &HeaderMap, body: Body) -> Result<Bytes, ApiError> {
    let too_large = || {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "RequestEntityTooLarge",
            format!("Request body is larger than the limit of {MAX_BODY} bytes."),
        )
    };
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|length| length > MAX_BODY as u64) {
        return Err(too_large());
    }
    axum::body::to_bytes(body, MAX_BODY)
        .await
        .map_err(|_| too_large())
}

/// The request's parameters: the query string, then a form-encoded body.
fn parameters(
    uri: &Uri,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Vec<(String, String)>, ApiError> {
    let mut params: Vec<(String, String)> = uri
        .query()
        .map(|q| form_urlencoded::parse(q.as_bytes()).into_owned().collect())
        .unwrap_or_default();
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let form =
        content_type.is_empty() || content_type.starts_with("application/x-www-form-urlencoded");
    if !body.is_empty() {
        if !form {
            return Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                "InvalidParameterValue",
                format!(
                    "Unsupported content type `{content_type}`: send application/x-www-form-urlencoded."
                ),
            ));
        }
        params.extend(form_urlencoded::parse(body).into_owned());
    }
    Ok(params)
}

fn source_ip(config: &EdgeConfig, peer: SocketAddr, headers: &HeaderMap) -> IpAddr {
    let peer_ip = peer.ip();
    if !config.trusted_proxies.contains(&peer_ip) {
        return peer_ip;
    }
    // The right-most address not added by a trusted proxy.
    headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|part| part.trim().parse::<IpAddr>().ok())
        .rev()
        .find(|ip| !config.trusted_proxies.contains(ip))
        .unwrap_or(peer_ip)
}

fn authenticate(
    edge: &Edge,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Authenticated, ApiError> {
    let header_pairs: Vec<(&str, &str)> = headers
        .iter()
        .filter_map(|(name, value)| value.to_str().ok().map(|v| (name.as_str(), v)))
        .collect();
    let request = sigv4::HttpRequest {
        method: method.as_str(),
        path: uri.path(),
        query: uri.query().unwrap_or(""),
        headers: &header_pairs,
        body,
    };
    let signed = sigv4::parse(&request).map_err(sigv4_error)?;
    let Some(signed) = signed else {
        return Err(ApiError::missing_authentication());
    };
    let api = match signed.service.as_str() {
        "iam" => Api::Iam,
        "sts" => Api::Sts,
        other => {
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "SignatureDoesNotMatch",
                format!(
                    "Credential should be scoped to correct service: 'iam' or 'sts', not '{other}'."
                ),
            ));
        }
    };
    let now = edge.service.now();
    // A stale signature is reported before an unknown key, as AWS does.
    signed.check_time(now).map_err(sigv4_error)?;
    // Temporary credentials carry their session token; a token with any other key, or a
    // temporary key without its token, is not valid.
    let owner = match &signed.security_token {
        Some(token) => edge
            .service
            .authenticate_session(&signed.access_key_id, token),
        None => edge.service.authenticate(&signed.access_key_id),
    };
    let caller = match owner {
        Ok(owner) => {
            sigv4::verify(&request, &signed, owner.secret.expose(), now, &edge.keys)
                .map_err(sigv4_error)?;
            if signed.security_token.is_none() {
                edge.service
                    .record_key_use(&signed.access_key_id, &signed.service, &signed.region);
            }
            owner.caller
        }
        Err(warden_core::Error::InvalidClientTokenId(_))
            if edge.config.dev && signed.security_token.is_none() =>
        {
            edge.service.first_account_root().map_err(ApiError::from)?
        }
        Err(error) => return Err(error.into()),
    };
    Ok(Authenticated {
        caller,
        api,
        region: signed.region.clone(),
    })
}

fn sigv4_error(error: sigv4::SigV4Error) -> ApiError {
    let status = StatusCode::from_u16(error.http_status()).unwrap_or(StatusCode::FORBIDDEN);
    ApiError::new(status, error.code(), error.message())
}

/// Whether an action only reads (and may run on the async worker). AssumeRole writes nothing
/// either: its session is a sealed token. But a call that carries an MFA code (AssumeRole,
/// GetSessionToken) writes: the code's use is committed to the store.
fn read_only(action: &str, params: &[(String, String)]) -> bool {
    if params.iter().any(|(name, _)| name == "TokenCode") {
        return false;
    }
    action == "AssumeRole"
        || ["Get", "List", "Decode"]
            .iter()
            .any(|p| action.starts_with(p))
}

async fn perform(
    edge: &Arc<Edge>,
    authenticated: Authenticated,
    info: RequestInfo,
    action: &str,
    params: Vec<(String, String)>,
) -> Result<String, ApiError> {
    let api = authenticated.api;
    let model = api.model();
    let version = params
        .iter()
        .find(|(k, _)| k == "Version")
        .map(|(_, v)| v.as_str());
    match version {
        Some(v) if v == model.version() => {}
        Some(v) => {
            return Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                "InvalidAction",
                format!("Could not find operation {action} for version {v}"),
            ));
        }
        None => {
            return Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                "MissingParameter",
                "The request must contain the parameter Version",
            ));
        }
    }
    let operation = model.operation(action).ok_or_else(|| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "InvalidAction",
            format!(
                "Could not find operation {action} for version {}",
                model.version()
            ),
        )
    })?;
    if crate::heavy::is_heavy(action) {
        return perform_heavy(edge, authenticated.caller, info, model, operation, params).await;
    }
    let typed = operation_action(operation)?;
    let input = crate::query::decode(model, operation, &params)
        .map_err(|e| ApiError::validation(e.message))?;
    let output: Value = if crate::unsigned::Federation::covers(action) {
        // Signed federation calls share the unsigned ones' bounded places.
        let service = Arc::clone(&edge.service);
        let caller = authenticated.caller;
        let info = info.clone();
        edge.federation
            .perform(action, move || service.call(&caller, &info, typed, input))
            .await?
    } else if read_only(action, &params) {
        edge.service
            .call(&authenticated.caller, &info, typed, input)
            .map_err(ApiError::from)?
    } else {
        let edge = Arc::clone(edge);
        let caller = authenticated.caller;
        let info = info.clone();
        on_blocking_pool(move || {
            edge.service
                .call(&caller, &info, typed, input)
                .map_err(ApiError::from)
        })
        .await?
    };
    Ok(crate::xml::encode(
        model,
        operation,
        &output,
        &info.request_id,
    ))
}

/// A heavy operation ([`crate::heavy`]): within its caller's and the global limits, decoded,
/// performed and encoded on the blocking pool, never on the async workers. The slot goes
/// with the work, so a client that hangs up does not free it while the work runs.
async fn perform_heavy(
    edge: &Arc<Edge>,
    caller: Caller,
    info: RequestInfo,
    model: &'static Model,
    operation: &'static Operation,
    params: Vec<(String, String)>,
) -> Result<String, ApiError> {
    let typed = operation_action(operation)?;
    let slot = edge.heavy.acquire(&caller).await?;
    let edge = Arc::clone(edge);
    on_blocking_pool(move || {
        let _slot = slot;
        let input = crate::query::decode(model, operation, &params)
            .map_err(|e| ApiError::validation(e.message))?;
        let output = edge
            .service
            .call(&caller, &info, typed, input)
            .map_err(ApiError::from)?;
        Ok(crate::xml::encode(
            model,
            operation,
            &output,
            &info.request_id,
        ))
    })
    .await
}

/// The [`warden_core::Action`] of a model's operation.
fn operation_action(operation: &Operation) -> Result<warden_core::Action, ApiError> {
    warden_core::Action::named(&operation.name).ok_or_else(|| {
        ApiError::from(warden_core::Error::Internal(format!(
            "no action for the operation {}",
            operation.name
        )))
    })
}

#[cfg(test)]
mod tests {
    use super::read_only;

    fn params(names: &[&str]) -> Vec<(String, String)> {
        names
            .iter()
            .map(|name| ((*name).to_owned(), "x".to_owned()))
            .collect()
    }

    #[test]
    fn calls_that_use_an_mfa_code_run_on_the_blocking_pool() {
        assert!(read_only("AssumeRole", &params(&["RoleArn"])));
        assert!(read_only("GetSessionToken", &params(&[])));
        assert!(!read_only(
            "AssumeRole",
            &params(&["SerialNumber", "TokenCode"])
        ));
        assert!(!read_only("GetSessionToken", &params(&["TokenCode"])));
        assert!(!read_only("CreateUser", &params(&[])));
    }
}
