//! The router driven in memory, without sockets (`tower::ServiceExt::oneshot`, the peer
//! address given by `MockConnectInfo`): which routes exist, what is refused before any work,
//! how `Action` and `Version` are checked, whose `X-Forwarded-For` is believed, and the
//! `--dev` endpoints.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    reason = "tests fail loudly"
)]

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::SystemTime;

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
use aws_sigv4::sign::v4;
use axum::Router;
use axum::body::Body;
use axum::extract::connect_info::MockConnectInfo;
use axum::http::{Request, StatusCode, header};
use serde_json::{Value, json};
use tower::ServiceExt;
use warden_api::edge::{Edge, EdgeConfig, MAX_BODY, router};
use warden_core::ids::OsRandom;
use warden_core::store::MemoryStore;
use warden_core::time::{Clock, OffsetClock};
use warden_core::{Action, Caller, Identity, MasterKey, RequestInfo, Secret, Service};

const ACCOUNT: &str = "111122223333";
const AKID: &str = "AKIAWARDENROUTERTEST";
const SECRET: &str = "routerTestsSecretKey/0123456789+abcdefghi";
const FORM: &str = "application/x-www-form-urlencoded; charset=utf-8";
/// The address requests come from, unless a test says otherwise.
const PEER: &str = "192.0.2.1:50000";

/// A service whose first account has the root key [`AKID`], on `clock`.
fn service(clock: Arc<OffsetClock>) -> Arc<Service> {
    let service = Service::open(
        Arc::new(MemoryStore::default()),
        MasterKey::from_bytes([9; 32]),
        clock,
        Arc::new(OsRandom),
    )
    .unwrap();
    let secret = Secret::new(SECRET.to_owned());
    service
        .bootstrap(Some(ACCOUNT), Some((AKID, &secret)))
        .unwrap();
    Arc::new(service)
}

/// The router over `service` with `config`, its peer always `peer`.
fn app(service: Arc<Service>, config: EdgeConfig, peer: &str) -> Router {
    let peer: SocketAddr = peer.parse().unwrap();
    router(Arc::new(Edge::new(service, config))).layer(MockConnectInfo(peer))
}

fn default_app() -> Router {
    app(service(Arc::default()), EdgeConfig::default(), PEER)
}

/// Sends `request` and answers its status and body.
async fn send(app: Router, request: Request<Body>) -> (StatusCode, String) {
    let response = app.oneshot(request).await.unwrap();
    let status = response.status();
    let body = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .unwrap();
    (status, String::from_utf8(body.to_vec()).unwrap())
}

fn get(path: &str) -> Request<Body> {
    Request::get(path).body(Body::empty()).unwrap()
}

fn post(path: &str) -> Request<Body> {
    Request::post(path).body(Body::empty()).unwrap()
}

/// A form POST to `/` signed for `service` with the key `key_id`/`secret`, as an SDK signs
/// it, with `extra` headers (signed too).
fn signed(
    service: &str,
    (key_id, secret): (&str, &str),
    body: &str,
    extra: &[(&str, &str)],
) -> Request<Body> {
    let identity = Credentials::new(key_id, secret, None, None, "tests").into();
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region("us-east-1")
        .name(service)
        .time(SystemTime::now())
        .settings(SigningSettings::default())
        .build()
        .unwrap()
        .into();
    let mut headers = vec![("host", "warden.test"), ("content-type", FORM)];
    headers.extend_from_slice(extra);
    let signable = SignableRequest::new(
        "POST",
        "http://warden.test/",
        headers.iter().copied(),
        SignableBody::Bytes(body.as_bytes()),
    )
    .unwrap();
    let (instructions, _) = sign(signable, &params).unwrap().into_parts();
    let (signed_headers, _) = instructions.into_parts();
    let mut request = Request::post("/");
    for (name, value) in &headers {
        request = request.header(*name, *value);
    }
    for signed in signed_headers {
        request = request.header(signed.name(), signed.value());
    }
    request.body(Body::from(body.to_owned())).unwrap()
}

fn root_signed(service: &str, body: &str) -> Request<Body> {
    signed(service, (AKID, SECRET), body, &[])
}

fn root_call(service: &Service, action: Action, input: Value) -> Value {
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
    service.call(&root, &info, action, input).unwrap()
}

#[tokio::test]
async fn health_metrics_and_the_api_are_routed_and_nothing_else() {
    let (status, body) = send(default_app(), get("/healthz")).await;
    assert_eq!((status, body.as_str()), (StatusCode::OK, "ok\n"));

    let app = default_app();
    let response = app.clone().oneshot(get("/metrics")).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.headers()[header::CONTENT_TYPE],
        "text/plain; version=0.0.4"
    );

    let (status, _) = send(default_app(), get("/nowhere")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    let (status, body) = send(default_app(), get("/?Action=ListUsers&Version=2010-05-08")).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(
        body.contains("<Code>MissingAuthenticationToken</Code>"),
        "{body}"
    );

    let (status, body) = send(
        default_app(),
        root_signed("iam", "Action=ListUsers&Version=2010-05-08"),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body.contains("<ListUsersResponse"), "{body}");
}

#[tokio::test]
async fn metrics_label_requests_by_their_resolved_action() {
    let app = default_app();
    send(
        app.clone(),
        root_signed("iam", "Action=ListUsers&Version=2010-05-08"),
    )
    .await;
    send(
        app.clone(),
        root_signed("iam", "Action=FlyToTheMoon&Version=2010-05-08"),
    )
    .await;
    let (_, metrics) = send(app, get("/metrics")).await;
    assert!(
        metrics.contains(r#"service="iam",action="ListUsers",code="OK""#),
        "{metrics}"
    );
    assert!(
        metrics.contains(r#"service="iam",action="unknown",code="InvalidAction""#),
        "{metrics}"
    );
    assert!(!metrics.contains("FlyToTheMoon"), "{metrics}");
}

#[tokio::test]
async fn a_body_over_the_limit_is_refused_with_413() {
    let declared = Request::post("/")
        .header(header::CONTENT_TYPE, FORM)
        .header(header::CONTENT_LENGTH, (MAX_BODY + 1).to_string())
        .body(Body::from(vec![b'a'; MAX_BODY + 1]))
        .unwrap();
    let (status, body) = send(default_app(), declared).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(
        body.contains("<Code>RequestEntityTooLarge</Code>"),
        "{body}"
    );

    // A body that does not declare its length is cut off at the limit all the same.
    let undeclared = Request::post("/")
        .header(header::CONTENT_TYPE, FORM)
        .body(Body::from(vec![b'a'; MAX_BODY + 1]))
        .unwrap();
    let (status, _) = send(default_app(), undeclared).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
}

#[tokio::test]
async fn version_must_be_the_apis_own() {
    let (status, body) = send(default_app(), root_signed("iam", "Action=ListUsers")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body.contains("<Code>MissingParameter</Code>"), "{body}");
    assert!(
        body.contains("The request must contain the parameter Version"),
        "{body}"
    );

    let (status, body) = send(
        default_app(),
        root_signed("iam", "Action=ListUsers&Version=2011-06-15"),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        body.contains("Could not find operation ListUsers for version 2011-06-15"),
        "{body}"
    );

    // An operation of the other API is unknown to this one.
    let (status, body) = send(
        default_app(),
        root_signed("iam", "Action=GetCallerIdentity&Version=2010-05-08"),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body.contains("<Code>InvalidAction</Code>"), "{body}");

    let (status, body) = send(default_app(), root_signed("sts", "Version=2011-06-15")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body.contains("<Code>MissingAction</Code>"), "{body}");

    // An operation of the model not built here answers AWS's unknown-action error.
    let (status, body) = send(
        default_app(),
        root_signed("iam", "Action=ListSSHPublicKeys&Version=2010-05-08"),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        body.contains("The action ListSSHPublicKeys is not valid for this web service."),
        "{body}"
    );
}

#[tokio::test]
async fn only_federation_calls_are_served_unsigned() {
    let (status, body) = send(
        default_app(),
        Request::post("/")
            .header(header::CONTENT_TYPE, FORM)
            .body(Body::from("Action=GetCallerIdentity&Version=2011-06-15"))
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(
        body.contains("<Code>MissingAuthenticationToken</Code>"),
        "{body}"
    );

    // An unsigned AssumeRoleWithSAML reaches STS: its input is checked against the model.
    let (status, body) = send(
        default_app(),
        Request::post("/")
            .header(header::CONTENT_TYPE, FORM)
            .body(Body::from("Action=AssumeRoleWithSAML&Version=2011-06-15"))
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body.contains("<Code>ValidationError</Code>"), "{body}");
    assert!(
        body.contains("https://sts.amazonaws.com/doc/2011-06-15/"),
        "{body}"
    );

    // At another version it is not an unsigned STS call at all.
    let (status, _) = send(
        default_app(),
        Request::post("/")
            .header(header::CONTENT_TYPE, FORM)
            .body(Body::from("Action=AssumeRoleWithSAML&Version=2010-05-08"))
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

/// A user allowed ListUsers only from 203.0.113.0/24; answers its key.
fn user_allowed_from_documentation_net(service: &Service) -> (String, String) {
    root_call(service, Action::CreateUser, json!({"UserName": "net"}));
    let policy = json!({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow",
        "Action": "iam:ListUsers",
        "Resource": "*",
        "Condition": {"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}},
    }]});
    root_call(
        service,
        Action::PutUserPolicy,
        json!({"UserName": "net", "PolicyName": "net", "PolicyDocument": policy.to_string()}),
    );
    let key = root_call(service, Action::CreateAccessKey, json!({"UserName": "net"}));
    (
        key["AccessKey"]["AccessKeyId"].as_str().unwrap().to_owned(),
        key["AccessKey"]["SecretAccessKey"]
            .as_str()
            .unwrap()
            .to_owned(),
    )
}

#[tokio::test]
async fn forwarded_for_is_believed_only_from_a_trusted_proxy() {
    let service = service(Arc::default());
    let (key_id, secret) = user_allowed_from_documentation_net(&service);
    let proxy: IpAddr = "10.0.0.2".parse().unwrap();
    let config = EdgeConfig {
        trusted_proxies: vec![proxy],
        ..EdgeConfig::default()
    };
    let list = |peer: &'static str, forwarded: &'static str| {
        let app = app(Arc::clone(&service), config.clone(), peer);
        let request = signed(
            "iam",
            (&key_id, &secret),
            "Action=ListUsers&Version=2010-05-08",
            &[("x-forwarded-for", forwarded)],
        );
        async move { send(app, request).await.0 }
    };
    // Through the trusted proxy: the right-most address it did not add is the source.
    assert_eq!(list("10.0.0.2:443", "203.0.113.7").await, StatusCode::OK);
    assert_eq!(
        list("10.0.0.2:443", "198.51.100.1, 203.0.113.7, 10.0.0.2").await,
        StatusCode::OK
    );
    assert_eq!(
        list("10.0.0.2:443", "203.0.113.7, 198.51.100.1").await,
        StatusCode::FORBIDDEN
    );
    // From anyone else the header is ignored: the peer is the source.
    assert_eq!(
        list("198.51.100.9:443", "203.0.113.7").await,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        list("203.0.113.9:443", "198.51.100.1").await,
        StatusCode::OK
    );
}

#[tokio::test]
async fn dev_reset_clock_and_root_mfa_exist_only_in_dev_mode() {
    let clock = Arc::new(OffsetClock::default());
    let service = service(Arc::clone(&clock));
    let dev = EdgeConfig {
        dev: true,
        reset_to: Some((
            warden_core::model::AccountId::parse(ACCOUNT).unwrap(),
            Some((AKID.to_owned(), Secret::new(SECRET.to_owned()))),
        )),
        clock: Some(Arc::clone(&clock)),
        ..EdgeConfig::default()
    };

    let root_mfa = format!(
        "/_warden/root-mfa?account={ACCOUNT}&serial=arn:aws:iam::{ACCOUNT}:mfa/none&code1=123456&code2=654321"
    );
    for path in [
        "/_warden/reset",
        "/_warden/clock?advance=60",
        root_mfa.as_str(),
    ] {
        let (status, _) = send(
            app(Arc::clone(&service), EdgeConfig::default(), PEER),
            post(path),
        )
        .await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
    }

    root_call(&service, Action::CreateUser, json!({"UserName": "gone"}));
    let (status, body) = send(
        app(Arc::clone(&service), dev.clone(), PEER),
        post("/_warden/reset"),
    )
    .await;
    assert_eq!((status, body.as_str()), (StatusCode::OK, "reset\n"));
    let users = root_call(&service, Action::ListUsers, json!({}));
    assert_eq!(users["Users"], json!([]), "the reset wiped the user");
    // The configured root key still signs.
    let (status, _) = send(
        app(Arc::clone(&service), dev.clone(), PEER),
        root_signed("iam", "Action=ListUsers&Version=2010-05-08"),
    )
    .await;
    assert_eq!(status, StatusCode::OK);

    let before = clock.now();
    let (status, body) = send(
        app(Arc::clone(&service), dev.clone(), PEER),
        post("/_warden/clock?advance=3600"),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let moved: i64 = body.trim().parse().unwrap();
    assert!(moved >= before + 3600 && moved < before + 3700, "{moved}");
    assert!(service.now() >= before + 3600);

    let (status, _) = send(
        app(Arc::clone(&service), dev.clone(), PEER),
        post("/_warden/clock"),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    // The root user's MFA enrolment answers the core's refusal in words, never enrolling.
    let (status, body) = send(
        app(Arc::clone(&service), dev.clone(), PEER),
        post(&root_mfa),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body.starts_with("NoSuchEntity: "), "{body}");
    let (status, _) = send(
        app(Arc::clone(&service), dev, PEER),
        post("/_warden/root-mfa?account=1"),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(service.root_mfa_devices(ACCOUNT).unwrap().is_empty());
}
