//! Two `Service`s on one database, as two servers would share it: what one writes the other
//! catches up with, a write decided on stale state is decided again, two racing creates of
//! one name make one entity, a racing MFA code is accepted once, and last use merges.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Barrier};

use serde_json::{Value, json};
use warden_core::ids::OsRandom;
use warden_core::model::{AccountId, UniqueId};
use warden_core::store::{Change, Expect, Store};
use warden_core::time::Clock;
use warden_core::{Caller, Error, Identity, MasterKey, RequestInfo, Service, totp};

use super::{ACCOUNT, Handles, Problem, user};

/// A case on two handles of one database.
pub(super) struct PairCase(pub &'static str, pub fn(Handles) -> Result<(), Problem>);

pub(super) const CASES: &[PairCase] = &[
    PairCase(
        "a second service catches up with the first's writes",
        second_service_catches_up,
    ),
    PairCase(
        "a write decided on stale state is decided again and loses no update",
        stale_write_is_decided_again,
    ),
    PairCase(
        "two services racing for one name create one user",
        racing_creates_make_one_user,
    ),
    PairCase(
        "two services racing with one MFA code accept it once",
        racing_mfa_code_is_accepted_once,
    ),
    PairCase(
        "last use merges by maximum and never rewrites the key",
        last_use_merges_by_maximum,
    ),
    PairCase(
        "a body in a newer format is refused on load",
        newer_format_is_refused,
    ),
];

fn second_service_catches_up(Handles(first, second): Handles) -> Result<(), Problem> {
    let clock = TestClock::new();
    let a = started(first, &clock)?;
    let b = open(second, &clock)?;
    call(&a, "CreateUser", json!({"UserName": "carol"}))?;
    if call(&b, "GetUser", json!({"UserName": "carol"})).is_ok() {
        return fail("the second service saw carol before catching up");
    }
    b.catch_up()?;
    call(&b, "GetUser", json!({"UserName": "carol"}))?;
    call(&a, "DeleteUser", json!({"UserName": "carol"}))?;
    b.catch_up()?;
    expect_code(
        call(&b, "GetUser", json!({"UserName": "carol"})),
        "NoSuchEntity",
    )?;
    if a.seq()? != b.seq()? {
        return fail("the services are at different sequence numbers after catching up");
    }
    Ok(())
}

fn stale_write_is_decided_again(Handles(first, second): Handles) -> Result<(), Problem> {
    let clock = TestClock::new();
    let a = started(first.clone(), &clock)?;
    call(&a, "CreateUser", json!({"UserName": "dana"}))?;
    let b = open(second, &clock)?;
    let tag = |service: &Service, key: &str| {
        let tags = json!([{"Key": key, "Value": "v"}]);
        call(
            service,
            "TagUser",
            json!({"UserName": "dana", "Tags": tags}),
        )
    };
    tag(&a, "first")?;
    // b has not seen the first tag: its commit conflicts, and it decides again.
    tag(&b, "second")?;
    let fresh = open(first, &clock)?;
    let tags = call(&fresh, "ListUserTags", json!({"UserName": "dana"}))?;
    let keys: Vec<&str> = tags
        .pointer("/Tags")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|t| t.pointer("/Key")?.as_str())
        .collect();
    if keys != ["first", "second"] {
        return fail(&format!("dana's tags are {keys:?}"));
    }
    call(&a, "CreateUser", json!({"UserName": "erin"}))?;
    let outcome = call(&b, "CreateUser", json!({"UserName": "ERIN"}));
    match outcome {
        Err(Error::EntityAlreadyExists(message))
            if message == "User with name ERIN already exists." =>
        {
            Ok(())
        }
        other => fail(&format!("a stale create of a taken name gave {other:?}")),
    }
}

fn racing_creates_make_one_user(Handles(first, second): Handles) -> Result<(), Problem> {
    const ROUNDS: usize = 8;
    let clock = TestClock::new();
    let a = started(first.clone(), &clock)?;
    let b = open(second, &clock)?;
    let barrier = Barrier::new(2);
    let create = |service: &Service| -> Vec<Result<Value, Error>> {
        (0..ROUNDS)
            .map(|round| {
                barrier.wait();
                // Names differ in case only: IAM's names are case-insensitive.
                let name = if round % 2 == 0 { "Racer" } else { "racer" };
                call(
                    service,
                    "CreateUser",
                    json!({"UserName": format!("{name}-{round}")}),
                )
            })
            .collect()
    };
    let (from_a, from_b) = std::thread::scope(|scope| {
        let a = scope.spawn(|| create(&a));
        let b = scope.spawn(|| create(&b));
        (a.join(), b.join())
    });
    let (Ok(from_a), Ok(from_b)) = (from_a, from_b) else {
        return fail("a racing thread panicked");
    };
    for (round, (x, y)) in from_a.into_iter().zip(from_b).enumerate() {
        let outcome = match (x, y) {
            (Ok(_), Err(Error::EntityAlreadyExists(_)))
            | (Err(Error::EntityAlreadyExists(_)), Ok(_)) => {
                continue;
            }
            other => other,
        };
        return fail(&format!("round {round}: the two creates gave {outcome:?}"));
    }
    let fresh = open(first, &clock)?;
    let users = call(&fresh, "ListUsers", json!({}))?;
    let count = users
        .pointer("/Users")
        .and_then(Value::as_array)
        .map_or(0, Vec::len);
    if count != ROUNDS {
        return fail(&format!("{count} users after {ROUNDS} races"));
    }
    Ok(())
}

fn racing_mfa_code_is_accepted_once(Handles(first, second): Handles) -> Result<(), Problem> {
    const ROUNDS: usize = 4;
    let clock = TestClock::new();
    let a = started(first, &clock)?;
    let created = call(&a, "CreateUser", json!({"UserName": "lee"}))?;
    let lee = Caller {
        account: AccountId::parse(ACCOUNT).ok_or_else(|| Problem(format!("{ACCOUNT}?")))?,
        identity: Identity::User {
            id: UniqueId::new(&text(&created, "/User/UserId")?),
        },
        access_key_id: None,
    };
    let device = call(
        &a,
        "CreateVirtualMFADevice",
        json!({"VirtualMFADeviceName": "lee-phone"}),
    )?;
    let serial = text(&device, "/VirtualMFADevice/SerialNumber")?;
    let seed = a.read(|state| {
        let device = state.account(ACCOUNT).and_then(|a| a.mfa_device(&serial));
        Ok(device.and_then(|d| totp::base32_decode(d.seed.expose())))
    })?;
    let Some(seed) = seed else {
        return fail("the device's seed does not read");
    };
    let code = |steps_ahead: i64| totp::code(&seed, totp::step_at(clock.now()) + steps_ahead);
    call(
        &a,
        "EnableMFADevice",
        json!({"UserName": "lee", "SerialNumber": serial,
               "AuthenticationCode1": code(0), "AuthenticationCode2": code(1)}),
    )?;
    let b = open(second, &clock)?;
    let barrier = Barrier::new(2);
    let check = |service: &Service, code: &str| {
        barrier.wait();
        let input = json!({"SerialNumber": serial, "TokenCode": code});
        service.call(&lee, &info(), warden_core::Action::GetSessionToken, input)
    };
    for round in 0..ROUNDS {
        // A step no code was accepted for yet.
        clock.advance(if round == 0 { 60 } else { 30 });
        let code = code(0);
        let (x, y) = std::thread::scope(|scope| {
            let x = scope.spawn(|| check(&a, &code));
            let y = scope.spawn(|| check(&b, &code));
            (x.join(), y.join())
        });
        let (Ok(x), Ok(y)) = (x, y) else {
            return fail("a racing thread panicked");
        };
        let accepted = usize::from(x.is_ok()) + usize::from(y.is_ok());
        if accepted != 1 {
            return fail(&format!(
                "round {round}: one code was accepted {accepted} times ({:?}, {:?})",
                x.err(),
                y.err()
            ));
        }
    }
    Ok(())
}

fn last_use_merges_by_maximum(Handles(first, second): Handles) -> Result<(), Problem> {
    let clock = TestClock::new();
    let a = started(first.clone(), &clock)?;
    call(&a, "CreateUser", json!({"UserName": "max"}))?;
    let key = call(&a, "CreateAccessKey", json!({"UserName": "max"}))?;
    let key_id = text(&key, "/AccessKey/AccessKeyId")?;
    let b = open(second, &clock)?;
    let start = clock.now();
    a.record_key_use(&key_id, "iam", "eu-west-1");
    clock.set(start - 100);
    b.record_key_use(&key_id, "sts", "us-east-1");
    clock.set(start);
    // b turns the key off; a, which has not seen that, flushes its newer use; b flushes its
    // older use last.
    call(
        &b,
        "UpdateAccessKey",
        json!({"UserName": "max", "AccessKeyId": key_id, "Status": "Inactive"}),
    )?;
    a.flush_key_use()?;
    b.flush_key_use()?;
    let fresh = open(first, &clock)?;
    let used = call(
        &fresh,
        "GetAccessKeyLastUsed",
        json!({"AccessKeyId": key_id}),
    )?;
    let region = used
        .pointer("/AccessKeyLastUsed/Region")
        .and_then(Value::as_str);
    if region != Some("eu-west-1") {
        return fail(&format!("the last use kept is in {region:?}"));
    }
    let keys = call(&fresh, "ListAccessKeys", json!({"UserName": "max"}))?;
    let status = keys
        .pointer("/AccessKeyMetadata/0/Status")
        .and_then(Value::as_str);
    if status != Some("Inactive") {
        return fail(&format!(
            "a flush rewrote the key: its status is {status:?}"
        ));
    }
    Ok(())
}

fn newer_format_is_refused(Handles(first, _): Handles) -> Result<(), Problem> {
    let record = user("AIDAFUTURE", ACCOUNT, r#"{"v":99,"id":"AIDAFUTURE"}"#);
    first.commit(&[Change::Put {
        record,
        expect: Expect::Absent,
    }])?;
    match open(first, &TestClock::new()) {
        Err(Problem(message)) if message.contains("format version 99") => Ok(()),
        Err(Problem(message)) => fail(&format!("the error does not name the version: {message}")),
        Ok(_) => fail("a record of format version 99 was loaded"),
    }
}

/// A clock tests move by hand, shared by both services.
struct TestClock(AtomicI64);

impl TestClock {
    fn new() -> Arc<TestClock> {
        // 2026-01-01T00:00:00Z.
        Arc::new(TestClock(AtomicI64::new(1_767_225_600)))
    }

    fn advance(&self, seconds: i64) {
        self.0.fetch_add(seconds, Ordering::SeqCst);
    }

    fn set(&self, time: i64) {
        self.0.store(time, Ordering::SeqCst);
    }
}

impl Clock for TestClock {
    fn now(&self) -> i64 {
        self.0.load(Ordering::SeqCst)
    }
}

fn open(store: Arc<dyn Store>, clock: &Arc<TestClock>) -> Result<Service, Problem> {
    Service::open(
        store,
        MasterKey::from_bytes([7; 32]),
        Arc::clone(clock) as Arc<dyn Clock>,
        Arc::new(OsRandom),
    )
    .map_err(|error| Problem(format!("could not open a service: {error}")))
}

/// A service whose store holds the test account.
fn started(store: Arc<dyn Store>, clock: &Arc<TestClock>) -> Result<Service, Problem> {
    let service = open(store, clock)?;
    service.bootstrap(Some(ACCOUNT), None)?;
    Ok(service)
}

fn info() -> RequestInfo {
    RequestInfo {
        source_ip: None,
        secure_transport: true,
        user_agent: None,
        region: "us-east-1".to_owned(),
        request_id: "conformance".to_owned(),
    }
}

fn call(service: &Service, action: &str, input: Value) -> Result<Value, Error> {
    let account = AccountId::parse(ACCOUNT)
        .ok_or_else(|| Error::Internal(format!("{ACCOUNT} is not an account id")))?;
    let root = Caller {
        account,
        identity: Identity::Root,
        access_key_id: None,
    };
    let action = warden_core::Action::named(action)
        .ok_or_else(|| Error::InvalidAction(format!("no operation is named {action}")))?;
    service.call(&root, &info(), action, input)
}

/// The text at `pointer` in a response.
fn text(value: &Value, pointer: &str) -> Result<String, Problem> {
    value
        .pointer(pointer)
        .and_then(Value::as_str)
        .map(str::to_owned)
        .ok_or_else(|| Problem(format!("{value} has no text at {pointer}")))
}

fn expect_code(outcome: Result<Value, Error>, code: &str) -> Result<(), Problem> {
    match outcome {
        Err(error) if error.code() == code => Ok(()),
        other => fail(&format!("expected {code}, got {other:?}")),
    }
}

fn fail<T>(message: &str) -> Result<T, Problem> {
    Err(Problem(message.to_owned()))
}

impl From<Error> for Problem {
    fn from(error: Error) -> Self {
        Problem(format!("unexpected error: {error}"))
    }
}
