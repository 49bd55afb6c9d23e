//! The console's router driven in memory, without sockets (`tower::ServiceExt::oneshot`):
//! sign-in, cookies, CSRF, lockout, timeouts, MFA and authorization as the signed-in
//! principal.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "tests fail loudly"
)]

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::connect_info::MockConnectInfo;
use axum::http::{Request, StatusCode, header};
use serde_json::{Value, json};
use tower::ServiceExt;
use warden_console::{Console, ConsoleConfig, router};
use warden_core::ids::OsRandom;
use warden_core::store::MemoryStore;
use warden_core::time::OffsetClock;
use warden_core::{Action, Caller, Identity, MasterKey, RequestInfo, Service};

const ACCOUNT: &str = "111122223333";
const PASSWORD: &str = "Correct-Horse-7";

struct World {
    service: Arc<Service>,
    clock: Arc<OffsetClock>,
    app: Router,
}

fn world(tls: bool) -> World {
    world_with(ConsoleConfig {
        tls,
        ..ConsoleConfig::default()
    })
}

fn world_with(config: ConsoleConfig) -> World {
    let clock = Arc::new(OffsetClock::default());
    let service = Service::open(
        Arc::new(MemoryStore::default()),
        MasterKey::from_bytes([7; 32]),
        Arc::clone(&clock) as Arc<dyn warden_core::time::Clock>,
        Arc::new(OsRandom),
    )
    .unwrap();
    service.bootstrap(Some(ACCOUNT), None).unwrap();
    let service = Arc::new(service);
    let console = Arc::new(Console::new(Arc::clone(&service), config));
    let peer: SocketAddr = "192.0.2.7:4000".parse().unwrap();
    let app = router(console).layer(MockConnectInfo(peer));
    World {
        service,
        clock,
        app,
    }
}

fn root() -> Caller {
    Caller {
        account: warden_core::model::AccountId::parse(ACCOUNT).unwrap(),
        identity: Identity::Root,
        access_key_id: None,
    }
}

fn info() -> RequestInfo {
    RequestInfo {
        source_ip: None,
        secure_transport: false,
        user_agent: None,
        region: "us-east-1".to_owned(),
        request_id: "test".to_owned(),
    }
}

impl World {
    /// Runs `action` as the root user.
    fn admin(&self, action: Action, input: Value) -> Value {
        self.service
            .call(&root(), &info(), action, input)
            .unwrap_or_else(|e| panic!("{action:?}: {e}"))
    }

    /// A user with a password (and the reset flag), and nothing else.
    fn user(&self, name: &str, reset: bool) {
        self.admin(Action::CreateUser, json!({"UserName": name}));
        self.admin(
            Action::CreateLoginProfile,
            json!({"UserName": name, "Password": PASSWORD, "PasswordResetRequired": reset}),
        );
    }

    async fn send(&self, request: Request<Body>) -> Answer {
        let response = self.app.clone().oneshot(request).await.unwrap();
        let status = response.status();
        let cookies = response
            .headers()
            .get_all(header::SET_COOKIE)
            .iter()
            .map(|v| v.to_str().unwrap().to_owned())
            .collect();
        let location = response
            .headers()
            .get(header::LOCATION)
            .map(|v| v.to_str().unwrap().to_owned());
        let body = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap();
        Answer {
            status,
            cookies,
            location,
            body: String::from_utf8(body.to_vec()).unwrap(),
        }
    }

    async fn get(&self, path: &str, cookie: &str) -> Answer {
        let mut request = Request::get(path);
        if !cookie.is_empty() {
            request = request.header(header::COOKIE, cookie);
        }
        self.send(request.body(Body::empty()).unwrap()).await
    }

    async fn post(&self, path: &str, cookie: &str, form: &[(&str, &str)]) -> Answer {
        let body = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(form)
            .finish();
        let mut request =
            Request::post(path).header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
        if !cookie.is_empty() {
            request = request.header(header::COOKIE, cookie);
        }
        self.send(request.body(Body::from(body)).unwrap()).await
    }

    /// Posts the sign-in form as a browser would (its CSRF cookie and field).
    async fn sign_in(&self, user: &str, password: &str) -> Answer {
        let form = self.get("/console/signin", "").await;
        let token = csrf(&form.body);
        let cookie = cookie_pair(&form.cookies, "warden-console-signin");
        self.post(
            "/console/signin",
            &cookie,
            &[
                ("csrf", &token),
                ("account", ACCOUNT),
                ("username", user),
                ("password", password),
            ],
        )
        .await
    }

    /// Signs in and answers the session cookie (`name=value`) and the session's CSRF token.
    async fn session(&self, user: &str) -> (String, String) {
        let signed = self.sign_in(user, PASSWORD).await;
        assert_eq!(signed.status, StatusCode::SEE_OTHER, "{}", signed.body);
        let cookie = cookie_pair(&signed.cookies, "warden-console");
        let home = self.get("/console", &cookie).await;
        assert_eq!(home.status, StatusCode::OK, "{}", home.body);
        (cookie, csrf(&home.body))
    }
}

#[derive(Debug)]
struct Answer {
    status: StatusCode,
    cookies: Vec<String>,
    location: Option<String>,
    body: String,
}

/// The first CSRF field's value in a page.
fn csrf(body: &str) -> String {
    let start = body.find("name=\"csrf\" value=\"").expect("a CSRF field") + 19;
    body[start..start + 64].to_owned()
}

/// `name=value` of the cookie `name` among Set-Cookie headers.
fn cookie_pair(cookies: &[String], name: &str) -> String {
    let prefix = format!("{name}=");
    cookies
        .iter()
        .find(|c| c.starts_with(&prefix))
        .unwrap_or_else(|| panic!("no cookie {name} in {cookies:?}"))
        .split(';')
        .next()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn the_session_cookie_is_http_only_and_same_site_and_secure_under_tls() {
    let plain = world(false);
    plain.user("alice", false);
    let signed = plain.sign_in("alice", PASSWORD).await;
    assert_eq!(signed.status, StatusCode::SEE_OTHER);
    assert_eq!(signed.location.as_deref(), Some("/console"));
    let cookie = signed
        .cookies
        .iter()
        .find(|c| c.starts_with("warden-console="))
        .unwrap();
    assert!(cookie.contains("; HttpOnly"), "{cookie}");
    assert!(cookie.contains("; SameSite=Strict"), "{cookie}");
    assert!(cookie.contains("; Path=/console"), "{cookie}");
    assert!(!cookie.contains("Secure"), "{cookie}");
    let id = cookie_pair(&signed.cookies, "warden-console");
    assert_eq!(id.len(), "warden-console=".len() + 64);

    let tls = world(true);
    tls.user("alice", false);
    let signed = tls.sign_in("alice", PASSWORD).await;
    for cookie in &signed.cookies {
        assert!(cookie.contains("; Secure"), "{cookie}");
        assert!(cookie.contains("; HttpOnly"), "{cookie}");
    }
}

#[tokio::test]
async fn every_signed_in_page_shows_the_arn_and_sign_out() {
    let w = world(false);
    w.user("alice", false);
    w.admin(
        Action::AttachUserPolicy,
        json!({"UserName": "alice", "PolicyArn": "arn:aws:iam::aws:policy/AdministratorAccess"}),
    );
    let (cookie, token) = w.session("alice").await;
    for path in [
        "/console",
        "/console/users",
        "/console/credentials",
        "/console/password",
    ] {
        let page = w.get(path, &cookie).await;
        assert_eq!(page.status, StatusCode::OK, "{path}: {}", page.body);
        assert!(
            page.body
                .contains("<span class=\"arn\" id=\"principal-arn\">arn:aws:iam::111122223333:user/alice</span>"),
            "{path}"
        );
        assert!(page.body.contains(">Sign out</button>"), "{path}");
    }
    let out = w
        .post("/console/signout", &cookie, &[("csrf", &token)])
        .await;
    assert_eq!(out.status, StatusCode::SEE_OTHER);
    assert!(out.cookies.iter().any(|c| c.contains("Max-Age=0")));
    let after = w.get("/console/users", &cookie).await;
    assert_eq!(after.status, StatusCode::SEE_OTHER);
    assert_eq!(after.location.as_deref(), Some("/console/signin"));
}

#[tokio::test]
async fn a_post_without_a_valid_csrf_token_is_refused_with_403() {
    let w = world(false);
    w.user("alice", false);
    w.admin(
        Action::AttachUserPolicy,
        json!({"UserName": "alice", "PolicyArn": "arn:aws:iam::aws:policy/AdministratorAccess"}),
    );
    // Sign-in without the double-submitted token, or with one that is not the cookie's.
    let none = w
        .post(
            "/console/signin",
            "",
            &[
                ("account", ACCOUNT),
                ("username", "alice"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(none.status, StatusCode::FORBIDDEN);
    let form = w.get("/console/signin", "").await;
    let cookie = cookie_pair(&form.cookies, "warden-console-signin");
    let forged = w
        .post(
            "/console/signin",
            &cookie,
            &[
                ("csrf", &"0".repeat(64)),
                ("account", ACCOUNT),
                ("username", "alice"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);

    let (session, token) = w.session("alice").await;
    let missing = w
        .post("/console/users", &session, &[("user_name", "mallory")])
        .await;
    assert_eq!(missing.status, StatusCode::FORBIDDEN);
    let mut wrong = token.clone();
    wrong.replace_range(0..1, if token.starts_with('a') { "b" } else { "a" });
    let wrong = w
        .post(
            "/console/users",
            &session,
            &[("csrf", &wrong), ("user_name", "mallory")],
        )
        .await;
    assert_eq!(wrong.status, StatusCode::FORBIDDEN);
    let out = w.post("/console/signout", &session, &[]).await;
    assert_eq!(out.status, StatusCode::FORBIDDEN);
    let users = w.admin(Action::ListUsers, json!({}));
    assert_eq!(users["Users"].as_array().unwrap().len(), 1, "{users}");
    // With the token, the same form works.
    let made = w
        .post(
            "/console/users",
            &session,
            &[("csrf", &token), ("user_name", "mallory")],
        )
        .await;
    assert_eq!(made.status, StatusCode::OK, "{}", made.body);
    assert!(made.body.contains("User mallory was created."));
}

#[tokio::test]
async fn five_failures_lock_sign_in_for_fifteen_minutes() {
    let w = world(false);
    w.user("alice", false);
    for _ in 0..5 {
        let refused = w.sign_in("alice", "wrong-password-1A").await;
        assert_eq!(refused.status, StatusCode::UNAUTHORIZED);
    }
    // The right password is refused while locked, with the same answer.
    let locked = w.sign_in("ALICE", PASSWORD).await;
    assert_eq!(locked.status, StatusCode::UNAUTHORIZED);
    assert!(
        locked
            .body
            .contains("Your authentication information is incorrect")
    );
    w.clock.advance(14 * 60);
    assert_eq!(
        w.sign_in("alice", PASSWORD).await.status,
        StatusCode::UNAUTHORIZED
    );
    w.clock.advance(61);
    assert_eq!(
        w.sign_in("alice", PASSWORD).await.status,
        StatusCode::SEE_OTHER
    );
}

#[tokio::test]
async fn four_failures_then_success_do_not_lock() {
    let w = world(false);
    w.user("alice", false);
    for _ in 0..4 {
        w.sign_in("alice", "wrong-password-1A").await;
    }
    assert_eq!(
        w.sign_in("alice", PASSWORD).await.status,
        StatusCode::SEE_OTHER
    );
    for _ in 0..4 {
        w.sign_in("alice", "wrong-password-1A").await;
    }
    assert_eq!(
        w.sign_in("alice", PASSWORD).await.status,
        StatusCode::SEE_OTHER
    );
}

#[tokio::test]
async fn an_unknown_user_gets_the_answer_of_a_wrong_password() {
    let w = world(false);
    w.user("alice", false);
    let wrong = w.sign_in("alice", "wrong-password-1A").await;
    let unknown = w.sign_in("nobody", "wrong-password-1A").await;
    assert_eq!(wrong.status, unknown.status);
    // The same page but for the sign-in form's own CSRF token.
    let without_token = |body: &str| body.replace(&csrf(body), "");
    assert_eq!(without_token(&wrong.body), without_token(&unknown.body));
    assert!(
        wrong
            .cookies
            .iter()
            .all(|c| !c.starts_with("warden-console="))
    );
}

#[tokio::test]
async fn sessions_end_after_an_idle_hour() {
    let w = world(false);
    w.user("alice", false);
    let (cookie, _) = w.session("alice").await;
    w.clock.advance(3599);
    assert_eq!(w.get("/console", &cookie).await.status, StatusCode::OK);
    w.clock.advance(3601);
    let ended = w.get("/console/credentials", &cookie).await;
    assert_eq!(ended.status, StatusCode::SEE_OTHER);
    assert_eq!(ended.location.as_deref(), Some("/console/signin"));
}

#[tokio::test]
async fn sessions_end_twelve_hours_after_sign_in_however_busy() {
    let w = world(false);
    w.user("alice", false);
    let (cookie, _) = w.session("alice").await;
    for _ in 0..23 {
        w.clock.advance(1800);
        assert_eq!(w.get("/console", &cookie).await.status, StatusCode::OK);
    }
    w.clock.advance(1801);
    let ended = w.get("/console", &cookie).await;
    // The home page of someone signed out is the sign-in form.
    assert!(ended.body.contains("id=\"sign-in-form\""), "{}", ended.body);
    assert!(!ended.body.contains("principal-arn"));
}

#[tokio::test]
async fn a_denied_page_shows_aws_message() {
    let w = world(false);
    w.user("alice", false);
    let (cookie, token) = w.session("alice").await;
    let denied = w.get("/console/users", &cookie).await;
    assert_eq!(denied.status, StatusCode::FORBIDDEN);
    assert!(
        denied.body.contains(
            "User: arn:aws:iam::111122223333:user/alice is not authorized to perform: iam:ListUsers on resource: arn:aws:iam::111122223333:user/"
        ),
        "{}",
        denied.body
    );
    let refused = w
        .post(
            "/console/users",
            &cookie,
            &[("csrf", &token), ("user_name", "bob")],
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert!(
        refused
            .body
            .contains("not authorized to perform: iam:CreateUser")
    );
}

#[tokio::test]
async fn a_required_password_change_comes_first_and_follows_the_policy() {
    let w = world(false);
    w.admin(
        Action::UpdateAccountPasswordPolicy,
        json!({"MinimumPasswordLength": 12, "AllowUsersToChangePassword": true}),
    );
    w.user("alice", true);
    let signed = w.sign_in("alice", PASSWORD).await;
    assert_eq!(signed.location.as_deref(), Some("/console/password"));
    let cookie = cookie_pair(&signed.cookies, "warden-console");
    let elsewhere = w.get("/console/credentials", &cookie).await;
    assert_eq!(elsewhere.location.as_deref(), Some("/console/password"));
    let page = w.get("/console/password", &cookie).await;
    assert!(page.body.contains("You must change your password"));
    let token = csrf(&page.body);
    let mismatch = w
        .post(
            "/console/password",
            &cookie,
            &[
                ("csrf", &token),
                ("old_password", PASSWORD),
                ("new_password", "A-much-longer-pw-1"),
                ("confirm_password", "A-much-longer-pw-2"),
            ],
        )
        .await;
    assert_eq!(mismatch.status, StatusCode::BAD_REQUEST);
    let short = w
        .post(
            "/console/password",
            &cookie,
            &[
                ("csrf", &token),
                ("old_password", PASSWORD),
                ("new_password", "Short-1"),
                ("confirm_password", "Short-1"),
            ],
        )
        .await;
    assert_eq!(short.status, StatusCode::BAD_REQUEST);
    assert!(
        short
            .body
            .contains("Password should have a minimum length of 12"),
        "{}",
        short.body
    );
    let changed = w
        .post(
            "/console/password",
            &cookie,
            &[
                ("csrf", &token),
                ("old_password", PASSWORD),
                ("new_password", "A-much-longer-pw-1"),
                ("confirm_password", "A-much-longer-pw-1"),
            ],
        )
        .await;
    assert_eq!(changed.status, StatusCode::OK, "{}", changed.body);
    assert_eq!(w.get("/console", &cookie).await.status, StatusCode::OK);
    // The old password no longer signs in; the new one does, with no change asked.
    assert_eq!(
        w.sign_in("alice", PASSWORD).await.status,
        StatusCode::UNAUTHORIZED
    );
    let again = w.sign_in("alice", "A-much-longer-pw-1").await;
    assert_eq!(again.location.as_deref(), Some("/console"));
}

/// Standard base64 (the JSON form of a blob) decoded.
fn base64_decode(text: &str) -> Vec<u8> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut bits = 0u32;
    let mut count = 0;
    let mut out = Vec::new();
    for c in text.bytes().filter(|&c| c != b'=') {
        let value = ALPHABET.iter().position(|&a| a == c).unwrap() as u32;
        bits = bits << 6 | value;
        count += 6;
        if count >= 8 {
            count -= 8;
            out.push((bits >> count) as u8);
            bits &= (1 << count) - 1;
        }
    }
    out
}

/// The current code of the virtual device whose seed CreateVirtualMFADevice answered.
fn code_of(seed: &str, at: i64) -> String {
    let key = warden_core::totp::base32_decode(seed).expect("a base32 seed");
    warden_core::totp::code(&key, warden_core::totp::step_at(at))
}

#[tokio::test]
async fn mfa_at_sign_in_makes_multi_factor_auth_present() {
    let w = world(false);
    w.user("alice", false);
    // Alice may list users only with MFA.
    w.admin(
        Action::PutUserPolicy,
        json!({
            "UserName": "alice",
            "PolicyName": "mfa-only",
            "PolicyDocument": json!({
                "Version": "2012-10-17",
                "Statement": [{
                    "Effect": "Allow",
                    "Action": "iam:ListUsers",
                    "Resource": "*",
                    "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}}
                }]
            }).to_string(),
        }),
    );
    let device = w.admin(
        Action::CreateVirtualMFADevice,
        json!({"VirtualMFADeviceName": "alice-phone"}),
    );
    let serial = device["VirtualMFADevice"]["SerialNumber"]
        .as_str()
        .unwrap()
        .to_owned();
    let seed = device["VirtualMFADevice"]["Base32StringSeed"]
        .as_str()
        .unwrap()
        .to_owned();
    let seed = String::from_utf8(base64_decode(&seed)).unwrap();
    let now = w.service.now();
    w.admin(
        Action::EnableMFADevice,
        json!({
            "UserName": "alice",
            "SerialNumber": serial,
            "AuthenticationCode1": code_of(&seed, now - 30),
            "AuthenticationCode2": code_of(&seed, now),
        }),
    );
    w.clock.advance(60);
    let signed = w.sign_in("alice", PASSWORD).await;
    assert_eq!(signed.location.as_deref(), Some("/console/mfa"));
    let cookie = cookie_pair(&signed.cookies, "warden-console");
    // Nothing past sign-in before the code.
    let early = w.get("/console/users", &cookie).await;
    assert_eq!(early.location.as_deref(), Some("/console/mfa"));
    let page = w.get("/console/mfa", &cookie).await;
    assert!(page.body.contains("name=\"mfa_code\""));
    let token = csrf(&page.body);
    let now = w.service.now();
    let right = code_of(&seed, now);
    let wrong = if right == "000000" {
        "111111"
    } else {
        "000000"
    };
    let refused = w
        .post(
            "/console/mfa",
            &cookie,
            &[("csrf", &token), ("mfa_code", wrong)],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNAUTHORIZED);
    let accepted = w
        .post(
            "/console/mfa",
            &cookie,
            &[("csrf", &token), ("mfa_code", &right)],
        )
        .await;
    assert_eq!(accepted.location.as_deref(), Some("/console"));
    let users = w.get("/console/users", &cookie).await;
    assert_eq!(users.status, StatusCode::OK, "{}", users.body);
    assert!(users.body.contains(">alice</a></td>"), "{}", users.body);
}

#[tokio::test]
async fn access_keys_are_made_listed_deactivated_and_deleted_with_the_secret_shown_once() {
    let w = world(false);
    w.user("alice", false);
    w.admin(
        Action::PutUserPolicy,
        json!({
            "UserName": "alice",
            "PolicyName": "own-keys",
            "PolicyDocument": json!({
                "Version": "2012-10-17",
                "Statement": [{
                    "Effect": "Allow",
                    "Action": ["iam:*AccessKey*"],
                    "Resource": "arn:aws:iam::111122223333:user/${aws:username}"
                }]
            }).to_string(),
        }),
    );
    let (cookie, token) = w.session("alice").await;
    let empty = w.get("/console/credentials", &cookie).await;
    assert!(
        empty.body.contains("You have no access keys."),
        "{}",
        empty.body
    );
    let made = w
        .post("/console/credentials/keys", &cookie, &[("csrf", &token)])
        .await;
    assert_eq!(made.status, StatusCode::OK, "{}", made.body);
    let start = made.body.find("id=\"new-access-key-id\">").unwrap() + 23;
    let key_id = made.body[start..start + 20].to_owned();
    assert!(key_id.starts_with("AKIA"), "{key_id}");
    assert!(made.body.contains("id=\"new-secret-access-key\">"));
    let listed = w.get("/console/credentials", &cookie).await;
    assert!(listed.body.contains(&key_id));
    assert!(!listed.body.contains("new-secret-access-key"));
    let off = w
        .post(
            "/console/credentials/keys/status",
            &cookie,
            &[
                ("csrf", &token),
                ("access_key_id", &key_id),
                ("status", "Inactive"),
            ],
        )
        .await;
    assert_eq!(off.status, StatusCode::OK, "{}", off.body);
    let keys = w.admin(Action::ListAccessKeys, json!({"UserName": "alice"}));
    assert_eq!(keys["AccessKeyMetadata"][0]["Status"], "Inactive");
    let bad = w
        .post(
            "/console/credentials/keys/status",
            &cookie,
            &[
                ("csrf", &token),
                ("access_key_id", "<script>"),
                ("status", "Active"),
            ],
        )
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    let gone = w
        .post(
            "/console/credentials/keys/delete",
            &cookie,
            &[("csrf", &token), ("access_key_id", &key_id)],
        )
        .await;
    assert_eq!(gone.status, StatusCode::OK, "{}", gone.body);
    let keys = w.admin(Action::ListAccessKeys, json!({"UserName": "alice"}));
    assert_eq!(keys["AccessKeyMetadata"].as_array().unwrap().len(), 0);
}

#[tokio::test]
async fn the_root_user_signs_in_and_users_are_listed_filtered_and_deleted() {
    let w = world(false);
    w.service.set_root_password(ACCOUNT, PASSWORD).unwrap();
    w.admin(Action::CreateUser, json!({"UserName": "alpha"}));
    w.admin(Action::CreateUser, json!({"UserName": "beta"}));
    let (cookie, token) = w.session("root").await;
    let home = w.get("/console", &cookie).await;
    assert!(home.body.contains("arn:aws:iam::111122223333:root"));
    let filtered = w.get("/console/users?filter=ALP", &cookie).await;
    assert!(filtered.body.contains(">alpha</a></td>"));
    assert!(!filtered.body.contains(">beta</a></td>"));
    let invalid = w
        .post(
            "/console/users",
            &cookie,
            &[("csrf", &token), ("user_name", "<b>x</b>")],
        )
        .await;
    assert_eq!(invalid.status, StatusCode::BAD_REQUEST);
    assert!(invalid.body.contains("&lt;b&gt;x&lt;/b&gt;"));
    assert!(!invalid.body.contains("<b>x</b>"));
    let deleted = w
        .post(
            "/console/users/delete",
            &cookie,
            &[("csrf", &token), ("user_name", "beta")],
        )
        .await;
    assert_eq!(deleted.status, StatusCode::OK, "{}", deleted.body);
    assert!(deleted.body.contains("User beta was deleted."));
    let missing = w
        .post(
            "/console/users/delete",
            &cookie,
            &[("csrf", &token), ("user_name", "beta")],
        )
        .await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn unknown_pages_and_odd_input_are_answered_without_failing() {
    let w = world(false);
    assert_eq!(
        w.get("/console/nothing", "").await.status,
        StatusCode::NOT_FOUND
    );
    let odd = w
        .get(
            "/console/signin",
            "warden-console=%ff; warden-console-signin=zz",
        )
        .await;
    assert_eq!(odd.status, StatusCode::OK);
    let form = w.get("/console/signin", "").await;
    let token = csrf(&form.body);
    let cookie = cookie_pair(&form.cookies, "warden-console-signin");
    let empty = w
        .post("/console/signin", &cookie, &[("csrf", &token)])
        .await;
    assert_eq!(empty.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn groups_roles_and_policies_are_listed_and_shown_with_documents_pretty_printed() {
    let w = world(false);
    w.service.set_root_password(ACCOUNT, PASSWORD).unwrap();
    w.user("alice", false);
    let document = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}"#;
    let made = w.admin(
        Action::CreatePolicy,
        json!({"PolicyName": "readers", "PolicyDocument": document}),
    );
    let policy_arn = made["Policy"]["Arn"].as_str().unwrap().to_owned();
    w.admin(
        Action::CreateRole,
        json!({
            "RoleName": "deployer",
            "AssumeRolePolicyDocument": r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"sts:AssumeRole"}]}"#,
        }),
    );
    w.admin(
        Action::PutRolePolicy,
        json!({"RoleName": "deployer", "PolicyName": "inline-one", "PolicyDocument": document}),
    );
    let (cookie, token) = w.session("root").await;

    let made = w
        .post(
            "/console/groups",
            &cookie,
            &[("csrf", &token), ("group_name", "ops")],
        )
        .await;
    assert_eq!(made.status, StatusCode::OK, "{}", made.body);
    assert!(made.body.contains("Group ops was created."));
    w.admin(
        Action::AddUserToGroup,
        json!({"GroupName": "ops", "UserName": "alice"}),
    );
    let group = w.get("/console/groups/ops", &cookie).await;
    assert_eq!(group.status, StatusCode::OK, "{}", group.body);
    assert!(group.body.contains("arn:aws:iam::111122223333:group/ops"));
    assert!(
        group
            .body
            .contains("<a href=\"/console/users/alice\">alice</a>")
    );
    let missing = w.get("/console/groups/nope", &cookie).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);

    let roles = w.get("/console/roles?filter=DEPLOY", &cookie).await;
    assert!(roles.body.contains(">deployer</a></td>"), "{}", roles.body);
    let role = w.get("/console/roles/deployer", &cookie).await;
    assert_eq!(role.status, StatusCode::OK, "{}", role.body);
    assert!(
        role.body.contains(
            "{\n  &quot;Version&quot;: &quot;2012-10-17&quot;,\n  &quot;Statement&quot;: ["
        ),
        "{}",
        role.body
    );
    assert!(role.body.contains("<h3>inline-one</h3>"));
    assert!(
        role.body
            .contains("&quot;Action&quot;: &quot;s3:GetObject&quot;")
    );

    let policies = w.get("/console/policies", &cookie).await;
    assert!(
        policies.body.contains(">readers</a></td>"),
        "{}",
        policies.body
    );
    let aws = w
        .get(
            "/console/policies?scope=AWS&filter=AdministratorAccess",
            &cookie,
        )
        .await;
    assert!(aws.body.contains(">AdministratorAccess</a></td>"));
    let shown = w
        .get(
            &format!(
                "/console/policies/view?arn={}",
                policy_arn.replace(':', "%3A").replace('/', "%2F")
            ),
            &cookie,
        )
        .await;
    assert_eq!(shown.status, StatusCode::OK, "{}", shown.body);
    assert!(
        shown.body.contains("&quot;Effect&quot;: &quot;Allow&quot;"),
        "{}",
        shown.body
    );

    // Attach and detach from the user's page.
    let attached = w
        .post(
            "/console/users/alice/attach",
            &cookie,
            &[("csrf", &token), ("policy_arn", &policy_arn)],
        )
        .await;
    assert_eq!(attached.status, StatusCode::OK, "{}", attached.body);
    let listed = w.admin(
        Action::ListAttachedUserPolicies,
        json!({"UserName": "alice"}),
    );
    assert_eq!(
        listed["AttachedPolicies"][0]["PolicyArn"],
        policy_arn.as_str()
    );
    let detached = w
        .post(
            "/console/users/alice/detach",
            &cookie,
            &[("csrf", &token), ("policy_arn", &policy_arn)],
        )
        .await;
    assert_eq!(detached.status, StatusCode::OK, "{}", detached.body);
    let listed = w.admin(
        Action::ListAttachedUserPolicies,
        json!({"UserName": "alice"}),
    );
    assert_eq!(listed["AttachedPolicies"].as_array().unwrap().len(), 0);
    let forged = w
        .post(
            "/console/users/alice/attach",
            &cookie,
            &[("policy_arn", &policy_arn)],
        )
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);

    // A user without permissions sees AWS's message on each list.
    let (alice, _) = w.session("alice").await;
    for (path, action) in [
        ("/console/groups", "iam:ListGroups"),
        ("/console/roles", "iam:ListRoles"),
        ("/console/policies", "iam:ListPolicies"),
    ] {
        let denied = w.get(path, &alice).await;
        assert_eq!(denied.status, StatusCode::FORBIDDEN, "{path}");
        assert!(
            denied.body.contains(&format!(
                "User: arn:aws:iam::111122223333:user/alice is not authorized to perform: {action}"
            )),
            "{path}: {}",
            denied.body
        );
    }
}

/// The text between `start` and the next `<` after it in `body`.
fn between(body: &str, start: &str) -> String {
    let from = body
        .find(start)
        .unwrap_or_else(|| panic!("no {start} in {body}"))
        + start.len();
    body[from..].split('<').next().unwrap().to_owned()
}

/// Enrols a virtual MFA device from "my security credentials"; answers its secret key.
async fn enrol(w: &World, cookie: &str, token: &str, device: &str) -> String {
    let page = w.get("/console/credentials", cookie).await;
    assert!(
        page.body.contains("No MFA device is assigned."),
        "{}",
        page.body
    );
    let made = w
        .post(
            "/console/credentials/mfa",
            cookie,
            &[("csrf", token), ("device_name", device)],
        )
        .await;
    assert_eq!(made.status, StatusCode::OK, "{}", made.body);
    assert!(
        made.body
            .contains("src=\"data:image/png;base64,iVBORw0KGgo")
    );
    let seed = between(&made.body, "id=\"mfa-secret\">");
    let serial = between(&made.body, "id=\"mfa-serial\">");
    let now = w.service.now();
    let wrong = w
        .post(
            "/console/credentials/mfa/enable",
            cookie,
            &[
                ("csrf", token),
                ("serial_number", &serial),
                ("mfa_code1", "123456"),
                ("mfa_code2", "654321"),
            ],
        )
        .await;
    assert_eq!(wrong.status, StatusCode::BAD_REQUEST, "{}", wrong.body);
    let enabled = w
        .post(
            "/console/credentials/mfa/enable",
            cookie,
            &[
                ("csrf", token),
                ("serial_number", &serial),
                ("mfa_code1", &code_of(&seed, now - 30)),
                ("mfa_code2", &code_of(&seed, now)),
            ],
        )
        .await;
    assert_eq!(enabled.status, StatusCode::OK, "{}", enabled.body);
    assert!(enabled.body.contains("is assigned"), "{}", enabled.body);
    assert!(enabled.body.contains(&serial));
    seed
}

#[tokio::test]
async fn the_root_user_enrols_mfa_in_the_console_and_then_needs_it() {
    let w = world(false);
    w.service.set_root_password(ACCOUNT, PASSWORD).unwrap();
    let (cookie, token) = w.session("root").await;
    let seed = enrol(&w, &cookie, &token, "root-phone").await;
    assert_eq!(w.service.root_mfa_devices(ACCOUNT).unwrap().len(), 1);
    w.post("/console/signout", &cookie, &[("csrf", &token)])
        .await;
    w.clock.advance(60);
    let signed = w.sign_in("root", PASSWORD).await;
    assert_eq!(signed.location.as_deref(), Some("/console/mfa"));
    let cookie = cookie_pair(&signed.cookies, "warden-console");
    let page = w.get("/console/mfa", &cookie).await;
    let code = code_of(&seed, w.service.now());
    let done = w
        .post(
            "/console/mfa",
            &cookie,
            &[("csrf", &csrf(&page.body)), ("mfa_code", &code)],
        )
        .await;
    assert_eq!(done.location.as_deref(), Some("/console"));
    let home = w.get("/console", &cookie).await;
    assert!(home.body.contains("with MFA"), "{}", home.body);
}

#[tokio::test]
async fn an_iam_user_enrols_mfa_in_the_console() {
    let w = world(false);
    w.user("alice", false);
    w.admin(
        Action::AttachUserPolicy,
        json!({"UserName": "alice", "PolicyArn": "arn:aws:iam::aws:policy/AdministratorAccess"}),
    );
    let (cookie, token) = w.session("alice").await;
    enrol(&w, &cookie, &token, "alice-phone").await;
    let devices = w.admin(Action::ListMFADevices, json!({"UserName": "alice"}));
    assert_eq!(
        devices["MFADevices"].as_array().unwrap().len(),
        1,
        "{devices}"
    );
    let signed = w.sign_in("alice", PASSWORD).await;
    assert_eq!(signed.location.as_deref(), Some("/console/mfa"));
}

#[tokio::test]
async fn the_policy_simulator_page_runs_the_api_simulator_as_the_principal() {
    let w = world(false);
    w.user("alice", false);
    w.admin(
        Action::PutUserPolicy,
        json!({
            "UserName": "alice",
            "PolicyName": "sim",
            "PolicyDocument": json!({
                "Version": "2012-10-17",
                "Statement": [{
                    "Effect": "Allow",
                    "Action": ["iam:SimulatePrincipalPolicy", "iam:ListUsers"],
                    "Resource": "*"
                }]
            }).to_string(),
        }),
    );
    let (cookie, _) = w.session("alice").await;
    let form = w.get("/console/simulate", &cookie).await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(
        form.body
            .contains("value=\"arn:aws:iam::111122223333:user/alice\"")
    );
    let ran = w
        .get(
            "/console/simulate?action_names=iam%3AListUsers+iam%3ADeleteUser",
            &cookie,
        )
        .await;
    assert_eq!(ran.status, StatusCode::OK, "{}", ran.body);
    assert!(
        ran.body.contains("<td>iam:ListUsers</td><td><code>*</code></td><td class=\"decision\">allowed</td><td>sim</td>"),
        "{}",
        ran.body
    );
    assert!(
        ran.body.contains(
            "<td>iam:DeleteUser</td><td><code>*</code></td><td class=\"decision\">implicitDeny</td>"
        ),
        "{}",
        ran.body
    );
    let many = (0..21)
        .map(|i| format!("iam:A{i}"))
        .collect::<Vec<_>>()
        .join("+");
    let refused = w
        .get(&format!("/console/simulate?action_names={many}"), &cookie)
        .await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn policies_are_attached_to_and_detached_from_groups_and_roles() {
    let w = world(false);
    w.service.set_root_password(ACCOUNT, PASSWORD).unwrap();
    w.admin(Action::CreateGroup, json!({"GroupName": "ops"}));
    w.admin(
        Action::CreateRole,
        json!({
            "RoleName": "deployer",
            "AssumeRolePolicyDocument": r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"sts:AssumeRole"}]}"#,
        }),
    );
    let (cookie, token) = w.session("root").await;
    let policy = "arn:aws:iam::aws:policy/ReadOnlyAccess";
    for (base, list, member, name) in [
        (
            "/console/groups/ops",
            Action::ListAttachedGroupPolicies,
            "GroupName",
            "ops",
        ),
        (
            "/console/roles/deployer",
            Action::ListAttachedRolePolicies,
            "RoleName",
            "deployer",
        ),
    ] {
        let page = w.get(base, &cookie).await;
        assert!(page.body.contains("id=\"attach-form\""), "{base}");
        let attached = w
            .post(
                &format!("{base}/attach"),
                &cookie,
                &[("csrf", &token), ("policy_arn", policy)],
            )
            .await;
        assert_eq!(attached.status, StatusCode::OK, "{}", attached.body);
        assert!(attached.body.contains("was attached."));
        assert!(
            attached.body.contains(">ReadOnlyAccess</a>"),
            "{}",
            attached.body
        );
        let listed = w.admin(list, json!({ member: name }));
        assert_eq!(listed["AttachedPolicies"][0]["PolicyArn"], policy);
        let detached = w
            .post(
                &format!("{base}/detach"),
                &cookie,
                &[("csrf", &token), ("policy_arn", policy)],
            )
            .await;
        assert_eq!(detached.status, StatusCode::OK, "{}", detached.body);
        let listed = w.admin(list, json!({ member: name }));
        assert_eq!(listed["AttachedPolicies"].as_array().unwrap().len(), 0);
        let unknown = w
            .post(
                &format!("{base}/attach"),
                &cookie,
                &[
                    ("csrf", &token),
                    ("policy_arn", "arn:aws:iam::aws:policy/NoSuch"),
                ],
            )
            .await;
        assert_eq!(unknown.status, StatusCode::NOT_FOUND, "{}", unknown.body);
    }
}

#[tokio::test]
async fn mfa_comes_before_a_required_password_change() {
    let w = world(false);
    w.admin(
        Action::UpdateAccountPasswordPolicy,
        json!({"AllowUsersToChangePassword": true}),
    );
    w.user("alice", true);
    let device = w.admin(
        Action::CreateVirtualMFADevice,
        json!({"VirtualMFADeviceName": "alice-phone"}),
    );
    let serial = device["VirtualMFADevice"]["SerialNumber"].as_str().unwrap();
    let seed = device["VirtualMFADevice"]["Base32StringSeed"]
        .as_str()
        .unwrap();
    let seed = String::from_utf8(base64_decode(seed)).unwrap();
    let now = w.service.now();
    w.admin(
        Action::EnableMFADevice,
        json!({
            "UserName": "alice",
            "SerialNumber": serial,
            "AuthenticationCode1": code_of(&seed, now - 30),
            "AuthenticationCode2": code_of(&seed, now),
        }),
    );
    w.clock.advance(60);
    let signed = w.sign_in("alice", PASSWORD).await;
    assert_eq!(signed.location.as_deref(), Some("/console/mfa"));
    let cookie = cookie_pair(&signed.cookies, "warden-console");
    // The password page waits for the code.
    let early = w.get("/console/password", &cookie).await;
    assert_eq!(early.location.as_deref(), Some("/console/mfa"));
    let page = w.get("/console/mfa", &cookie).await;
    let token = csrf(&page.body);
    let code = code_of(&seed, w.service.now());
    let coded = w
        .post(
            "/console/mfa",
            &cookie,
            &[("csrf", &token), ("mfa_code", &code)],
        )
        .await;
    assert_eq!(coded.location.as_deref(), Some("/console/password"));
    // The session is an MFA session: ChangePassword runs as it.
    let changed = w
        .post(
            "/console/password",
            &cookie,
            &[
                ("csrf", &token),
                ("old_password", PASSWORD),
                ("new_password", "Another-Password-9"),
                ("confirm_password", "Another-Password-9"),
            ],
        )
        .await;
    assert_eq!(changed.status, StatusCode::OK, "{}", changed.body);
    let home = w.get("/console", &cookie).await;
    assert!(home.body.contains("with MFA"), "{}", home.body);
    // The code is used: the same code does not sign in again.
    let again = w.sign_in("alice", "Another-Password-9").await;
    let cookie = cookie_pair(&again.cookies, "warden-console");
    let page = w.get("/console/mfa", &cookie).await;
    let reused = w
        .post(
            "/console/mfa",
            &cookie,
            &[("csrf", &csrf(&page.body)), ("mfa_code", &code)],
        )
        .await;
    assert_eq!(reused.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn odd_names_and_arns_are_answered_in_aws_words_never_with_a_500() {
    let w = world(false);
    w.service.set_root_password(ACCOUNT, PASSWORD).unwrap();
    let (cookie, token) = w.session("root").await;
    let long = "x".repeat(5000);
    for path in [
        "/console/users/%3Cscript%3E".to_owned(),
        "/console/users/%C3%A9%00".to_owned(),
        format!("/console/groups/{long}"),
        "/console/roles/..".to_owned(),
        "/console/policies/view?arn=%3Cb%3E".to_owned(),
        "/console/policies/view".to_owned(),
        "/console/policies?scope=%3Cx%3E&filter=%3Cx%3E".to_owned(),
        "/console/simulate?action_names=%3Cb%3E&policy_source_arn=nope".to_owned(),
        "/console/simulate?action_names=iam%3AListUsers&resource_arns=%3Cb%3E".to_owned(),
    ] {
        let answer = w.get(&path, &cookie).await;
        assert!(
            answer.status.is_client_error() || answer.status == StatusCode::OK,
            "{path}: {} {}",
            answer.status,
            answer.body
        );
        assert!(!answer.body.contains("<script>"), "{path}");
        assert!(!answer.body.contains("<b>"), "{path}");
    }
    for (path, form) in [
        ("/console/users/%3Cx%3E/attach", vec![("policy_arn", "<x>")]),
        ("/console/groups/x/detach", vec![("policy_arn", "")]),
        ("/console/groups", vec![("group_name", "<x>")]),
        ("/console/credentials/mfa", vec![("device_name", "<x>")]),
        (
            "/console/credentials/mfa/enable",
            vec![("serial_number", "<x>")],
        ),
        (
            "/console/password",
            vec![("new_password", "a"), ("confirm_password", "a")],
        ),
    ] {
        let mut fields = vec![("csrf", token.as_str())];
        fields.extend(form);
        let answer = w.post(path, &cookie, &fields).await;
        assert!(
            answer.status.is_client_error(),
            "{path}: {} {}",
            answer.status,
            answer.body
        );
        assert!(!answer.body.contains("<x>"), "{path}");
    }
    // What the API's model refuses is refused here too, in its words.
    let devices = w.admin(Action::ListVirtualMFADevices, json!({}));
    assert_eq!(
        devices["VirtualMFADevices"].as_array().unwrap().len(),
        0,
        "{devices}"
    );
    let euro = w
        .post(
            "/console/password",
            &cookie,
            &[
                ("csrf", &token),
                ("old_password", PASSWORD),
                ("new_password", "Euro-\u{20ac}-Password-1"),
                ("confirm_password", "Euro-\u{20ac}-Password-1"),
            ],
        )
        .await;
    assert_eq!(euro.status, StatusCode::BAD_REQUEST);
    assert!(
        euro.body.contains("1 validation error detected: Value at &#39;newPassword&#39; failed to satisfy constraint"),
        "{}",
        euro.body
    );
}

#[tokio::test]
async fn aws_source_ip_is_the_peer_or_what_a_trusted_proxy_forwards() {
    let policy = json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Action": "iam:ListUsers",
            "Resource": "*",
            "Condition": {"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}}
        }]
    })
    .to_string();
    // Requests come from 192.0.2.7 (MockConnectInfo): not the allowed network.
    let direct = world(false);
    direct.user("alice", false);
    direct.admin(
        Action::PutUserPolicy,
        json!({"UserName": "alice", "PolicyName": "net", "PolicyDocument": policy}),
    );
    let (cookie, _) = direct.session("alice").await;
    assert_eq!(
        direct.get("/console/users", &cookie).await.status,
        StatusCode::FORBIDDEN
    );

    let proxied = world_with(ConsoleConfig {
        tls: false,
        trusted_proxies: vec!["192.0.2.7".parse().unwrap()],
    });
    proxied.user("alice", false);
    proxied.admin(
        Action::PutUserPolicy,
        json!({"UserName": "alice", "PolicyName": "net", "PolicyDocument": policy}),
    );
    let (cookie, _) = proxied.session("alice").await;
    let forwarded = |value: &str| {
        Request::get("/console/users")
            .header(header::COOKIE, &cookie)
            .header("x-forwarded-for", value)
            .body(Body::empty())
            .unwrap()
    };
    let allowed = proxied.send(forwarded("198.51.100.9, 203.0.113.5")).await;
    assert_eq!(allowed.status, StatusCode::OK, "{}", allowed.body);
    let refused = proxied.send(forwarded("203.0.113.5, 198.51.100.9")).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
}
