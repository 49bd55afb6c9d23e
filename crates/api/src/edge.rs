//! The HTTP edge: one endpoint for IAM and STS in AWS's query protocol, plus `/healthz`,
//! `/metrics` and the `--dev` reset and clock. Each API request goes one straight line: it is
//! size-checked, authenticated (SigV4) unless its action takes no credentials, resolved to an
//! [`Action`], decoded against the service model, performed by the core where the action
//! belongs (inline, on the blocking pool, as heavy or federation work) and encoded as AWS's
//! XML.

use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Instant;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use warden_core::model::AccountId;
use warden_core::{Action, Api, Caller, RequestInfo, Service};

use crate::errors::{EdgeError, on_blocking_pool};
use crate::heavy::HeavyLimits;
use crate::metrics::Metrics;
use crate::model::{Model, Operation};
use crate::query::{FormParams, Parameters};
use crate::sigv4::{self, SigV4Error, SigningKeyCache};
use crate::xml::XmlOutput;

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
    pub reset_to: Option<(AccountId, Option<(String, warden_core::Secret)>)>,
    /// What a `--dev` reset gives the first account's root user as its password
    /// (`WARDEN_ROOT_PASSWORD`), as a first start does.
    pub reset_root_password: Option<warden_core::Secret>,
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
    /// Places for writes on the blocking pool ([`WRITES_IN_FLIGHT`]).
    writes: Arc<tokio::sync::Semaphore>,
}

/// Writes performed at once; the others wait their turn without holding a thread. Writes
/// commit one at a time anyway, so more threads would only wait on each other (and each
/// thread keeps memory of its own).
pub const WRITES_IN_FLIGHT: usize = 8;

impl Edge {
    pub fn new(service: Arc<Service>, config: EdgeConfig) -> Edge {
        Edge {
            service,
            config,
            keys: SigningKeyCache::default(),
            metrics: Metrics::default(),
            federation: crate::unsigned::Federation::default(),
            heavy: HeavyLimits::for_this_machine(),
            writes: Arc::new(tokio::sync::Semaphore::new(WRITES_IN_FLIGHT)),
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
        .route("/_warden/root-mfa", post(enable_root_mfa))
        .with_state(edge)
        .layer(LimitHeadersLayer)
}

/// Refuses a request whose header fields are over [`MAX_HEADERS`] with 431 (Request Header
/// Fields Too Large), before any route sees it. A plain service around each route: the
/// request goes on as it is, with no copy of the route and no boxed future. [`router`]
/// applies it to the API's routes; the server applies it to the console's as well.
#[derive(Debug, Clone, Copy)]
pub struct LimitHeadersLayer;

impl<S> tower::Layer<S> for LimitHeadersLayer {
    type Service = LimitHeaders<S>;

    fn layer(&self, inner: S) -> LimitHeaders<S> {
        LimitHeaders(inner)
    }
}

#[derive(Debug, Clone)]
pub struct LimitHeaders<S>(S);

impl<S> tower::Service<axum::extract::Request> for LimitHeaders<S>
where
    S: tower::Service<axum::extract::Request, Response = Response>,
    S::Future: Unpin,
{
    type Response = Response;
    type Error = S::Error;
    type Future = Limited<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.0.poll_ready(cx)
    }

    fn call(&mut self, request: axum::extract::Request) -> Limited<S::Future> {
        let size: usize = request
            .headers()
            .iter()
            .map(|(name, value)| name.as_str().len() + value.len() + 4)
            .sum();
        if size > MAX_HEADERS {
            tracing::debug!(size, "refused a request whose headers are over the limit");
            return Limited::Refused(Some(
                StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE.into_response(),
            ));
        }
        Limited::Passed(self.0.call(request))
    }
}

/// The answer of [`LimitHeaders`]: the refusal, or the route's own.
#[derive(Debug)]
pub enum Limited<F> {
    Refused(Option<Response>),
    Passed(F),
}

impl<F, E> Future for Limited<F>
where
    F: Future<Output = Result<Response, E>> + Unpin,
{
    type Output = Result<Response, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.get_mut() {
            Limited::Refused(response) => Poll::Ready(Ok(response.take().unwrap_or_default())),
            Limited::Passed(future) => Pin::new(future).poll(cx),
        }
    }
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

/// `--dev` only: `POST /_warden/root-mfa?account=ID&serial=ARN&code1=C&code2=C` enrols a
/// virtual MFA device for the account's root user, as the console's MFA page will: tests and
/// scripts reach the root user's MFA before the console exists. 200, or 400 with the error's
/// code and message.
async fn enable_root_mfa(State(edge): State<Arc<Edge>>, uri: Uri) -> Response {
    if !edge.config.dev {
        return StatusCode::NOT_FOUND.into_response();
    }
    let params: Vec<(String, String)> = uri
        .query()
        .into_iter()
        .flat_map(|q| form_urlencoded::parse(q.as_bytes()))
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    let get = |name: &str| {
        params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    };
    let (Some(account), Some(serial), Some(code1), Some(code2)) =
        (get("account"), get("serial"), get("code1"), get("code2"))
    else {
        return (
            StatusCode::BAD_REQUEST,
            "account, serial, code1 and code2 are required\n",
        )
            .into_response();
    };
    let service = Arc::clone(&edge.service);
    let result = tokio::task::spawn_blocking(move || {
        service.enable_root_mfa_device(&account, &serial, &code1, &code2)
    })
    .await;
    match result {
        Ok(Ok(())) => (StatusCode::OK, "enabled\n").into_response(),
        Ok(Err(error)) => (
            StatusCode::BAD_REQUEST,
            format!("{}: {}\n", error.code(), error.message()),
        )
            .into_response(),
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
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
    let root_password = edge.config.reset_root_password.clone();
    let result = tokio::task::spawn_blocking(move || {
        service.reset()?;
        let (account, root_key) = match &reset_to {
            Some((account, key)) => (
                Some(account.as_str()),
                key.as_ref().map(|(id, secret)| (id.as_str(), secret)),
            ),
            None => (None, None),
        };
        let bootstrap = service.bootstrap(account, root_key)?;
        match &root_password {
            Some(password) => service.set_root_password(&bootstrap.account, password.expose()),
            None => Ok(()),
        }
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

/// The service model of `api`.
fn model(api: Api) -> &'static Model {
    match api {
        Api::Iam => Model::iam(),
        Api::Sts => Model::sts(),
    }
}

/// Who a request comes from, once authenticated.
struct Authenticated {
    caller: Caller,
    api: Api,
    region: String,
}

/// The labels of a request's metrics and the namespace of its error: set as the request
/// is understood, from the resolved [`Action`] and API, never from the request's text.
#[derive(Default)]
struct Labels {
    api: Option<Api>,
    action: Option<Action>,
}

/// An API request. The request is taken whole and split, so its method, URI and headers are
/// read where they are, never copied.
async fn api(
    State(edge): State<Arc<Edge>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    request: axum::extract::Request,
) -> Response {
    let started = Instant::now();
    let request_id = edge.service.new_request_id();
    let mut labels = Labels::default();
    let (parts, body) = request.into_parts();
    let request = Request {
        peer,
        method: &parts.method,
        uri: &parts.uri,
        headers: &parts.headers,
        request_id: &request_id,
    };
    let result = serve(&edge, &request, body, &mut labels).await;
    let namespace = model(labels.api.unwrap_or(Api::Iam)).namespace();
    let (response, code) = match result {
        Ok(xml) => (xml_response(StatusCode::OK, xml, request_id), "OK"),
        Err(error) => {
            if let EdgeError::Core(warden_core::Error::Internal(cause)) = &error {
                tracing::error!(%cause, "internal error");
            }
            let xml = crate::xml::error_xml(
                namespace,
                error.fault(),
                error.code(),
                &error.message(),
                &request_id,
            );
            (xml_response(error.status(), xml, request_id), error.code())
        }
    };
    edge.metrics.record(
        labels.api.map_or("unknown", Api::name),
        labels.action.map_or("unknown", Action::name),
        code,
        started.elapsed(),
    );
    response
}

/// What the edge knows of an API request besides its body.
struct Request<'r> {
    peer: SocketAddr,
    method: &'r Method,
    uri: &'r Uri,
    headers: &'r HeaderMap,
    request_id: &'r str,
}

/// One API request, in order: read the body, parse the parameters, authenticate (unless
/// the action is one that takes no credentials), resolve the [`Action`], perform it.
async fn serve(
    edge: &Arc<Edge>,
    request: &Request<'_>,
    body: Body,
    labels: &mut Labels,
) -> Result<String, EdgeError> {
    let body = read_body(request.headers, body).await?;
    check_content_type(request.headers, &body)?;
    let authenticated = authenticate(edge, request, &body);
    let params = parameters(request.uri, body);
    // Until the action is resolved, the operation of that name in either API, if any.
    labels.action = params.first("Action").and_then(Action::named);
    let (caller, action, region) = match authenticated? {
        Some(authenticated) => {
            labels.api = Some(authenticated.api);
            let action = resolve(authenticated.api, &params)?;
            (Some(authenticated.caller), action, authenticated.region)
        }
        // Calls that carry no AWS credentials by design reach STS by Action and Version.
        None => match resolve(Api::Sts, &params) {
            Ok(action) if !action.signed() => {
                labels.api = Some(Api::Sts);
                (None, action, "us-east-1".to_owned())
            }
            _ => return Err(SigV4Error::MissingAuthenticationToken.into()),
        },
    };
    labels.action = Some(action);
    let info = RequestInfo {
        source_ip: Some(source_ip(&edge.config, request.peer, request.headers)),
        secure_transport: edge.config.tls,
        user_agent: request
            .headers
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned),
        region,
        request_id: request.request_id.to_owned(),
    };
    perform(edge, caller, info, action, params).await
}

/// The operation of `api` that `Action=` names, at the version `Version=` names.
fn resolve(api: Api, params: &FormParams) -> Result<Action, EdgeError> {
    let name = params
        .first("Action")
        .filter(|name| !name.is_empty())
        .ok_or(EdgeError::MissingAction)?;
    let version = model(api).version();
    let unknown = |version: &str| EdgeError::UnknownOperation {
        action: name.to_owned(),
        version: version.to_owned(),
    };
    match params.first("Version") {
        None => Err(EdgeError::MissingVersion),
        Some(asked) if asked != version => Err(unknown(asked)),
        Some(_) => Action::from_name(api, name).ok_or_else(|| unknown(version)),
    }
}

/// The header that carries the request id.
const X_AMZN_REQUESTID: HeaderName = HeaderName::from_static("x-amzn-requestid");

/// An XML answer. Like AWS, it also carries the request id in the `x-amzn-RequestId`
/// header: that, not the XML, is where the AWS SDK for Rust reads it from. Header names and
/// values are taken as they are, never copied.
fn xml_response(status: StatusCode, xml: String, request_id: String) -> Response {
    let mut response = (status, xml).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/xml"));
    if let Ok(value) = HeaderValue::from_maybe_shared(Bytes::from(request_id)) {
        headers.insert(X_AMZN_REQUESTID, value);
    }
    response
}

/// Reads the body, refusing more than [`MAX_BODY`] (by its declared length before reading).
async fn read_body(headers: &HeaderMap, body: Body) -> Result<Bytes, EdgeError> {
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|length| length > MAX_BODY as u64) {
        return Err(EdgeError::BodyTooLarge);
    }
    axum::body::to_bytes(body, MAX_BODY)
        .await
        .map_err(|_| EdgeError::BodyTooLarge)
}

/// Refuses a body that is not form-encoded.
fn check_content_type(headers: &HeaderMap, body: &[u8]) -> Result<(), EdgeError> {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let form =
        content_type.is_empty() || content_type.starts_with("application/x-www-form-urlencoded");
    if !body.is_empty() && !form {
        return Err(EdgeError::UnsupportedContentType(content_type.to_owned()));
    }
    Ok(())
}

/// The request's parameters: the query string, then the (form-encoded) body.
fn parameters(uri: &Uri, body: Bytes) -> FormParams {
    FormParams::parse(uri.query().unwrap_or(""), body)
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

/// Who signed the request; `None` when it carries no signature at all.
fn authenticate(
    edge: &Edge,
    request: &Request<'_>,
    body: &[u8],
) -> Result<Option<Authenticated>, EdgeError> {
    let header_pairs: Vec<(&str, &str)> = request
        .headers
        .iter()
        .filter_map(|(name, value)| value.to_str().ok().map(|v| (name.as_str(), v)))
        .collect();
    let http = sigv4::HttpRequest {
        method: request.method.as_str(),
        path: request.uri.path(),
        query: request.uri.query().unwrap_or(""),
        headers: &header_pairs,
        body,
    };
    let Some(signed) = sigv4::parse(&http)? else {
        return Ok(None);
    };
    let api = match &*signed.service {
        "iam" => Api::Iam,
        "sts" => Api::Sts,
        other => {
            return Err(SigV4Error::SignatureDoesNotMatch(format!(
                "Credential should be scoped to correct service: 'iam' or 'sts', not '{other}'."
            ))
            .into());
        }
    };
    let now = edge.service.now();
    // A stale signature is reported before an unknown key, as AWS does.
    signed.check_time(now)?;
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
            sigv4::verify(&http, &signed, owner.secret.expose(), now, &edge.keys)?;
            if signed.security_token.is_none() {
                edge.service
                    .record_key_use(&signed.access_key_id, &signed.service, &signed.region);
            }
            owner.caller
        }
        Err(warden_core::Error::InvalidClientTokenId(_))
            if edge.config.dev && signed.security_token.is_none() =>
        {
            edge.service.first_account_root()?
        }
        Err(error) => return Err(error.into()),
    };
    Ok(Some(Authenticated {
        caller,
        api,
        region: signed.region.into_owned(),
    }))
}

/// Whether a call carries an MFA code (AssumeRole, GetSessionToken): its use is committed to
/// the store, so the call writes even when its action does not.
fn carries_mfa_code(params: &FormParams) -> bool {
    params.iter().any(|(name, _)| name == "TokenCode")
}

/// Performs `action` for `caller` (`None`: an unsigned call) where it belongs: heavy
/// operations on the blocking pool within their limits, federation calls through
/// [`Federation`](crate::unsigned::Federation), writes on the blocking pool, reads inline.
async fn perform(
    edge: &Arc<Edge>,
    caller: Option<Caller>,
    info: RequestInfo,
    action: Action,
    params: FormParams,
) -> Result<String, EdgeError> {
    let model = model(action.api());
    let operation = model.operation(action.name()).ok_or_else(|| {
        EdgeError::internal(format!("the model has no operation {}", action.name()))
    })?;
    if action.heavy() {
        return perform_heavy(edge, caller, info, action, operation, params).await;
    }
    let mfa_code = carries_mfa_code(&params);
    let input = crate::query::parse(model, operation, params)
        .map_err(|e| EdgeError::Validation(e.message))?;
    let service = Arc::clone(&edge.service);
    let call = move || {
        let output = XmlOutput {
            model,
            operation,
            request_id: &info.request_id,
        };
        call(&service, caller.as_ref(), &info, action, input, output)
    };
    let xml = if !action.signed() {
        // Signed or not, federation calls share the same bounded places.
        edge.federation.perform(action, call).await?
    } else if action.writes() || mfa_code {
        // The place goes with the work: a client that hangs up does not free it early.
        let place = Arc::clone(&edge.writes)
            .acquire_owned()
            .await
            .map_err(|_| EdgeError::internal("the write places are closed"))?;
        on_blocking_pool(move || {
            let _place = place;
            call().map_err(EdgeError::from)
        })
        .await?
    } else {
        call()?
    };
    Ok(xml)
}

/// The core's answer to `action` as AWS's XML: for `caller`, or for a call that carries no
/// credentials.
fn call(
    service: &Service,
    caller: Option<&Caller>,
    info: &RequestInfo,
    action: Action,
    input: Parameters<'static>,
    output: XmlOutput<'_>,
) -> Result<String, warden_core::Error> {
    match caller {
        Some(caller) => service.call_with(caller, info, action, input, output),
        None => service.call_unsigned_with(info, action, input, output),
    }
}

/// A heavy operation ([`crate::heavy`]): within its caller's and the global limits, decoded,
/// performed and encoded on the blocking pool, never on the async workers. The slot goes
/// with the work, so a client that hangs up does not free it while the work runs.
async fn perform_heavy(
    edge: &Arc<Edge>,
    caller: Option<Caller>,
    info: RequestInfo,
    action: Action,
    operation: &'static Operation,
    params: FormParams,
) -> Result<String, EdgeError> {
    let slot = match &caller {
        Some(caller) => Some(edge.heavy.acquire(caller).await?),
        None => None,
    };
    let service = Arc::clone(&edge.service);
    on_blocking_pool(move || {
        let _slot = slot;
        let model = model(action.api());
        let input = crate::query::parse(model, operation, params)
            .map_err(|e| EdgeError::Validation(e.message))?;
        let output = XmlOutput {
            model,
            operation,
            request_id: &info.request_id,
        };
        Ok(call(
            &service,
            caller.as_ref(),
            &info,
            action,
            input,
            output,
        )?)
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(pairs: &[(&str, &str)]) -> FormParams {
        FormParams::from_pairs(
            pairs
                .iter()
                .map(|(name, value)| ((*name).to_owned(), (*value).to_owned()))
                .collect(),
        )
    }

    #[test]
    fn every_action_has_its_operation_in_its_model_and_back() {
        for action in Action::ALL {
            assert!(
                model(action.api()).operation(action.name()).is_some(),
                "{action:?}"
            );
        }
        for api in [Api::Iam, Api::Sts] {
            for operation in model(api).operations() {
                assert!(
                    Action::from_name(api, &operation.name).is_some(),
                    "{}",
                    operation.name
                );
            }
        }
    }

    #[test]
    fn an_action_is_resolved_in_its_api_at_its_version() {
        let iam = |pairs: &[(&str, &str)]| resolve(Api::Iam, &params(pairs));
        assert_eq!(
            iam(&[("Action", "ListUsers"), ("Version", "2010-05-08")]),
            Ok(Action::ListUsers)
        );
        assert_eq!(
            iam(&[("Version", "2010-05-08")]),
            Err(EdgeError::MissingAction)
        );
        assert_eq!(
            iam(&[("Action", ""), ("Version", "2010-05-08")]),
            Err(EdgeError::MissingAction)
        );
        assert_eq!(
            iam(&[("Action", "ListUsers")]),
            Err(EdgeError::MissingVersion)
        );
        assert_eq!(
            iam(&[("Action", "ListUsers"), ("Version", "2011-06-15")]),
            Err(EdgeError::UnknownOperation {
                action: "ListUsers".to_owned(),
                version: "2011-06-15".to_owned()
            })
        );
        assert_eq!(
            iam(&[("Action", "AssumeRole"), ("Version", "2010-05-08")]),
            Err(EdgeError::UnknownOperation {
                action: "AssumeRole".to_owned(),
                version: "2010-05-08".to_owned()
            })
        );
    }

    #[test]
    fn calls_that_use_an_mfa_code_write() {
        assert!(!carries_mfa_code(&params(&[("RoleArn", "x")])));
        assert!(carries_mfa_code(&params(&[
            ("SerialNumber", "x"),
            ("TokenCode", "123456")
        ])));
    }
}
