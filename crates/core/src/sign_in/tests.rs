#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "tests"
)]

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Instant;

use serde_json::{Value, json};

use super::*;
use crate::action::Action;
use crate::caller::RequestInfo;
use crate::ids::OsRandom;
use crate::secret::MasterKey;
use crate::store::{MemoryStore, Store};
use crate::time::Clock;

const ACCOUNT: &str = "111122223333";
const NOW: i64 = 1_767_225_600;
const DAY: i64 = 86_400;

struct TestClock(AtomicI64);

impl Clock for TestClock {
    fn now(&self) -> i64 {
        self.0.load(Ordering::SeqCst)
    }
}

struct Fixture {
    service: Service,
    store: Arc<MemoryStore>,
    clock: Arc<TestClock>,
}

fn fixture() -> Fixture {
    let clock = Arc::new(TestClock(AtomicI64::new(NOW)));
    let store = Arc::new(MemoryStore::default());
    let service = Service::open(
        Arc::clone(&store) as Arc<dyn Store>,
        MasterKey::from_bytes([9; 32]),
        Arc::clone(&clock) as Arc<dyn Clock>,
        Arc::new(OsRandom),
    )
    .unwrap();
    service.create_account(Some(ACCOUNT)).unwrap();
    Fixture {
        service,
        store,
        clock,
    }
}

fn root() -> Caller {
    Caller {
        account: crate::model::AccountId::parse(ACCOUNT).unwrap(),
        identity: Identity::Root,
        access_key_id: None,
    }
}

fn info() -> RequestInfo {
    RequestInfo {
        source_ip: None,
        secure_transport: true,
        user_agent: None,
        region: "us-east-1".to_owned(),
        request_id: "test".to_owned(),
    }
}

impl Fixture {
    fn call(&self, action: Action, input: Value) -> Result<Value, Error> {
        self.service.call(&root(), &info(), action, input)
    }

    fn user_with_password(&self, name: &str, password: &str, reset: bool) {
        self.call(Action::CreateUser, json!({"UserName": name}))
            .unwrap();
        self.call(
            Action::CreateLoginProfile,
            json!({"UserName": name, "Password": password, "PasswordResetRequired": reset}),
        )
        .unwrap();
    }
}

#[test]
fn the_root_password_signs_in_as_root() {
    let f = fixture();
    assert!(!f.service.has_root_password(ACCOUNT).unwrap());
    assert_eq!(
        f.service
            .check_sign_in(ACCOUNT, "root", "Root-pass1")
            .unwrap_err(),
        SignInError::WrongCredentials
    );
    f.service.set_root_password(ACCOUNT, "Root-pass1").unwrap();
    assert!(f.service.has_root_password(ACCOUNT).unwrap());
    let signed = f
        .service
        .check_sign_in(ACCOUNT, "root", "Root-pass1")
        .unwrap();
    assert_eq!(signed.caller.identity, Identity::Root);
    assert_eq!(signed.caller.account, ACCOUNT);
    assert_eq!(signed.arn, format!("arn:aws:iam::{ACCOUNT}:root"));
    assert_eq!(signed.password_change, None);
    for (account, user, password) in [
        (ACCOUNT, "root", "Root-pass2"),
        (ACCOUNT, "ROOT", "Root-pass1"),
        ("444455556666", "root", "Root-pass1"),
        ("no-such-alias", "root", "Root-pass1"),
    ] {
        assert_eq!(
            f.service
                .check_sign_in(account, user, password)
                .unwrap_err(),
            SignInError::WrongCredentials,
            "{account} {user} {password}"
        );
    }
    // A new password replaces the old one.
    f.service.set_root_password(ACCOUNT, "Root-pass2").unwrap();
    assert!(
        f.service
            .check_sign_in(ACCOUNT, "root", "Root-pass2")
            .is_ok()
    );
    assert!(
        f.service
            .check_sign_in(ACCOUNT, "root", "Root-pass1")
            .is_err()
    );
    // The account summary reports it.
    let summary = f.call(Action::GetAccountSummary, json!({})).unwrap();
    assert_eq!(summary["SummaryMap"]["AccountPasswordPresent"], json!(1));
}

#[test]
fn the_root_password_meets_the_default_rules() {
    let f = fixture();
    for weak in ["short1A", "alllowercase", "12345678", &"aB1!".repeat(33)] {
        match f.service.set_root_password(ACCOUNT, weak) {
            Err(Error::PasswordPolicyViolation(_)) => {}
            other => panic!("{weak}: {other:?}"),
        }
    }
    assert!(!f.service.has_root_password(ACCOUNT).unwrap());
    assert!(matches!(
        f.service.set_root_password("444455556666", "Root-pass1"),
        Err(Error::NoSuchEntity(_))
    ));
}

#[test]
fn an_account_alias_names_the_account() {
    let f = fixture();
    f.call(
        Action::CreateAccountAlias,
        json!({"AccountAlias": "example-corp"}),
    )
    .unwrap();
    f.service.set_root_password(ACCOUNT, "Root-pass1").unwrap();
    f.user_with_password("alice", "Alice-pass1", false);
    assert!(
        f.service
            .check_sign_in("example-corp", "root", "Root-pass1")
            .is_ok()
    );
    let alice = f
        .service
        .check_sign_in("example-corp", "alice", "Alice-pass1")
        .unwrap();
    assert_eq!(alice.arn, format!("arn:aws:iam::{ACCOUNT}:user/alice"));
}

#[test]
fn a_user_signs_in_with_its_login_profile() {
    let f = fixture();
    f.user_with_password("alice", "Alice-pass1", false);
    f.call(Action::CreateUser, json!({"UserName": "nopass"}))
        .unwrap();
    let alice = f
        .service
        .check_sign_in(ACCOUNT, "alice", "Alice-pass1")
        .unwrap();
    let Identity::User { id } = &alice.caller.identity else {
        panic!("{:?}", alice.caller.identity)
    };
    assert!(id.starts_with("AIDA"));
    assert_eq!(alice.password_change, None);
    for (user, password) in [
        ("alice", "Alice-pass2"),
        ("alice", ""),
        ("nopass", "Alice-pass1"),
        ("nobody", "Alice-pass1"),
        // The root user has no password yet.
        ("root", "Alice-pass1"),
    ] {
        assert_eq!(
            f.service
                .check_sign_in(ACCOUNT, user, password)
                .unwrap_err(),
            SignInError::WrongCredentials,
            "{user}"
        );
    }
    // A completed sign-in is the user's PasswordLastUsed.
    let user = |f: &Fixture| {
        f.call(Action::GetUser, json!({"UserName": "alice"}))
            .unwrap()
    };
    assert!(user(&f)["User"].get("PasswordLastUsed").is_none());
    f.clock.0.fetch_add(60, Ordering::SeqCst);
    f.service.record_sign_in(&alice).unwrap();
    assert_eq!(
        user(&f)["User"]["PasswordLastUsed"],
        json!(crate::time::iso8601(NOW + 60))
    );
    // Deleting the profile ends password sign-in.
    f.call(Action::DeleteLoginProfile, json!({"UserName": "alice"}))
        .unwrap();
    assert!(
        f.service
            .check_sign_in(ACCOUNT, "alice", "Alice-pass1")
            .is_err()
    );
}

#[test]
fn a_required_reset_or_an_expired_password_asks_for_a_change() {
    let f = fixture();
    f.user_with_password("bob", "Bob-pass-1", true);
    let bob = f
        .service
        .check_sign_in(ACCOUNT, "bob", "Bob-pass-1")
        .unwrap();
    assert_eq!(bob.password_change, Some(PasswordChange::ResetRequired));
    f.call(
        Action::UpdateLoginProfile,
        json!({"UserName": "bob", "PasswordResetRequired": false}),
    )
    .unwrap();
    let bob = f
        .service
        .check_sign_in(ACCOUNT, "bob", "Bob-pass-1")
        .unwrap();
    assert_eq!(bob.password_change, None);
    f.call(
        Action::UpdateAccountPasswordPolicy,
        json!({"MaxPasswordAge": 2}),
    )
    .unwrap();
    f.clock.0.fetch_add(2 * DAY - 1, Ordering::SeqCst);
    let bob = f
        .service
        .check_sign_in(ACCOUNT, "bob", "Bob-pass-1")
        .unwrap();
    assert_eq!(bob.password_change, None);
    f.clock.0.fetch_add(1, Ordering::SeqCst);
    let bob = f
        .service
        .check_sign_in(ACCOUNT, "bob", "Bob-pass-1")
        .unwrap();
    assert_eq!(bob.password_change, Some(PasswordChange::Expired));
    // A wrong password is wrong, expired or not.
    assert_eq!(
        f.service
            .check_sign_in(ACCOUNT, "bob", "Bob-pass-2")
            .unwrap_err(),
        SignInError::WrongCredentials
    );
    f.call(
        Action::UpdateAccountPasswordPolicy,
        json!({"MaxPasswordAge": 2, "HardExpiry": true}),
    )
    .unwrap();
    assert_eq!(
        f.service
            .check_sign_in(ACCOUNT, "bob", "Bob-pass-1")
            .unwrap_err(),
        SignInError::PasswordExpired
    );
    // An administrator's reset starts the password's age again.
    f.call(
        Action::UpdateLoginProfile,
        json!({"UserName": "bob", "Password": "Bob-pass-2"}),
    )
    .unwrap();
    let bob = f
        .service
        .check_sign_in(ACCOUNT, "bob", "Bob-pass-2")
        .unwrap();
    assert_eq!(bob.password_change, None);
    // The root user is not governed by the account's password policy.
    f.service.set_root_password(ACCOUNT, "Root-pass1").unwrap();
    f.clock.0.fetch_add(10 * DAY, Ordering::SeqCst);
    let root = f
        .service
        .check_sign_in(ACCOUNT, "root", "Root-pass1")
        .unwrap();
    assert_eq!(root.password_change, None);
}

#[test]
fn an_unknown_user_costs_the_work_of_a_wrong_password() {
    let f = fixture();
    f.user_with_password("alice", "Alice-pass1", false);
    let time = |user: &str| {
        let start = Instant::now();
        for _ in 0..3 {
            assert!(
                f.service
                    .check_sign_in(ACCOUNT, user, "Wrong-pass1")
                    .is_err()
            );
        }
        start.elapsed()
    };
    // Warm the dummy hash up once.
    let _ = time("nobody");
    let wrong = time("alice");
    let unknown = time("nobody");
    // The same argon2id work either way; a loose bound, so a busy machine does not fail it.
    assert!(
        unknown * 4 >= wrong && wrong * 4 >= unknown,
        "unknown user {unknown:?}, wrong password {wrong:?}"
    );
}

#[test]
fn passwords_are_stored_as_sealed_hashes_and_read_back() {
    let f = fixture();
    f.service.set_root_password(ACCOUNT, "Root-pass1").unwrap();
    f.user_with_password("alice", "Alice-pass1", false);
    f.call(
        Action::UpdateLoginProfile,
        json!({"UserName": "alice", "Password": "Alice-pass2"}),
    )
    .unwrap();
    let snapshot = f.store.load().unwrap();
    let profiles: Vec<_> = snapshot
        .records
        .iter()
        .filter(|r| r.record.kind == crate::store::Kind::LoginProfile)
        .collect();
    assert_eq!(profiles.len(), 2);
    let root_hash = root_hash(&f.service, ACCOUNT).unwrap();
    for stored in &profiles {
        let body = &stored.record.body;
        assert!(body.contains("\"v\":1"), "{body}");
        for clear in [
            "Root-pass1",
            "Alice-pass1",
            "Alice-pass2",
            "argon2",
            root_hash.expose(),
        ] {
            assert!(!body.contains(clear), "{clear} in {body}");
        }
    }
    // A service started on the same store reads them back: history included.
    let again = Service::open(
        Arc::clone(&f.store) as Arc<dyn Store>,
        MasterKey::from_bytes([9; 32]),
        Arc::clone(&f.clock) as Arc<dyn Clock>,
        Arc::new(OsRandom),
    )
    .unwrap();
    assert!(again.check_sign_in(ACCOUNT, "root", "Root-pass1").is_ok());
    assert!(again.check_sign_in(ACCOUNT, "alice", "Alice-pass2").is_ok());
    assert!(
        again
            .check_sign_in(ACCOUNT, "alice", "Alice-pass1")
            .is_err()
    );
    again
        .call(
            &root(),
            &info(),
            Action::UpdateAccountPasswordPolicy,
            json!({"PasswordReusePrevention": 2}),
        )
        .unwrap();
    let reused = again.call(
        &root(),
        &info(),
        Action::UpdateLoginProfile,
        json!({"UserName": "alice", "Password": "Alice-pass1"}),
    );
    assert!(
        matches!(reused, Err(Error::PasswordPolicyViolation(_))),
        "{reused:?}"
    );
    // Another master key opens nothing.
    let other = Service::open(
        Arc::clone(&f.store) as Arc<dyn Store>,
        MasterKey::from_bytes([8; 32]),
        Arc::clone(&f.clock) as Arc<dyn Clock>,
        Arc::new(OsRandom),
    );
    assert!(other.is_err());
}
