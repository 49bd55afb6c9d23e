//! Virtual MFA devices and MFA in STS: enabling with two consecutive codes, codes used once,
//! trust and identity policies that require aws:MultiFactorAuthPresent and
//! aws:MultiFactorAuthAge, GetSessionToken credentials that reach IAM only with MFA, and
//! the conflicts that keep an assigned device and its user alive.

use serde_json::{Value, json};
use warden_core::model::{MfaDevice, Tag};
use warden_core::state::Mutation;
use warden_core::store::{Kind, Store, Write};
use warden_core::totp;
use warden_core::{Caller, Error, MasterKey, Secret};

use crate::{A, Sts, allow, denied, failure, trust};

fn base64_decode(text: &str) -> Vec<u8> {
    const TABLE: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = Vec::new();
    let (mut buffer, mut bits) = (0u32, 0u32);
    for c in text.bytes().filter(|c| *c != b'=') {
        let value = TABLE.iter().position(|t| *t == c).unwrap();
        buffer = (buffer << 6) | u32::try_from(value).unwrap();
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push(u8::try_from((buffer >> bits) & 0xff).unwrap());
        }
    }
    out
}

/// A device created by the root user: its serial number and raw seed.
pub(crate) fn device(sts: &Sts, name: &str) -> (String, Vec<u8>) {
    let created = sts
        .root_call(
            A,
            "CreateVirtualMFADevice",
            json!({"VirtualMFADeviceName": name}),
        )
        .unwrap();
    let device = &created["VirtualMFADevice"];
    let base32 =
        String::from_utf8(base64_decode(device["Base32StringSeed"].as_str().unwrap())).unwrap();
    assert_eq!(base32.len(), 32, "a 160-bit seed");
    (
        device["SerialNumber"].as_str().unwrap().to_owned(),
        totp::base32_decode(&base32).unwrap(),
    )
}

pub(crate) fn code(sts: &Sts, seed: &[u8], steps_ahead: i64) -> String {
    let now = sts.service.now();
    totp::code(seed, totp::step_at(now) + steps_ahead)
}

/// Enables `serial` for `user` with the codes of now and the next step.
pub(crate) fn enable(sts: &Sts, user: &str, serial: &str, seed: &[u8]) {
    sts.root_call(
        A,
        "EnableMFADevice",
        json!({"UserName": user, "SerialNumber": serial,
               "AuthenticationCode1": code(sts, seed, 0), "AuthenticationCode2": code(sts, seed, 1)}),
    )
    .unwrap();
}

pub(crate) fn wrong(code: &str) -> String {
    let digit = code.bytes().next().unwrap();
    let other = if digit == b'9' {
        '0'
    } else {
        char::from(digit + 1)
    };
    format!("{other}{}", &code[1..])
}

#[test]
fn devices_are_enabled_with_two_consecutive_codes_and_listed_without_seeds() {
    let sts = Sts::start();
    sts.user(A, "lee", json!([]));
    let (serial, seed) = device(&sts, "lee-phone");
    assert_eq!(serial, format!("arn:aws:iam::{A}:mfa/lee-phone"));
    let (again, _) = failure(sts.root_call(
        A,
        "CreateVirtualMFADevice",
        json!({"VirtualMFADeviceName": "lee-phone"}),
    ));
    assert_eq!(again, "EntityAlreadyExists");

    let enable_with = |c1: String, c2: String| {
        sts.root_call(
            A,
            "EnableMFADevice",
            json!({"UserName": "lee", "SerialNumber": serial,
                   "AuthenticationCode1": c1, "AuthenticationCode2": c2}),
        )
    };
    // Not consecutive, reversed, or wrong: refused.
    for (c1, c2) in [
        (code(&sts, &seed, 0), code(&sts, &seed, 0)),
        (code(&sts, &seed, 1), code(&sts, &seed, 0)),
        (wrong(&code(&sts, &seed, 0)), code(&sts, &seed, 1)),
    ] {
        let (error, _) = failure(enable_with(c1, c2));
        assert_eq!(error, "InvalidAuthenticationCode");
    }
    let listed = sts
        .root_call(
            A,
            "ListVirtualMFADevices",
            json!({"AssignmentStatus": "Assigned"}),
        )
        .unwrap();
    assert_eq!(listed["VirtualMFADevices"], json!([]));

    enable_with(code(&sts, &seed, 0), code(&sts, &seed, 1)).unwrap();
    let (error, _) = failure(enable_with(code(&sts, &seed, 0), code(&sts, &seed, 1)));
    assert_eq!(error, "EntityAlreadyExists");

    let mine = sts
        .root_call(A, "ListMFADevices", json!({"UserName": "lee"}))
        .unwrap();
    assert_eq!(mine["MFADevices"][0]["SerialNumber"], json!(serial));
    assert_eq!(mine["MFADevices"][0]["UserName"], json!("lee"));
    let assigned = sts
        .root_call(
            A,
            "ListVirtualMFADevices",
            json!({"AssignmentStatus": "Assigned"}),
        )
        .unwrap();
    let entry = &assigned["VirtualMFADevices"][0];
    assert_eq!(entry["User"]["UserName"], json!("lee"));
    assert!(entry.get("Base32StringSeed").is_none());
    let unassigned = sts
        .root_call(
            A,
            "ListVirtualMFADevices",
            json!({"AssignmentStatus": "Unassigned"}),
        )
        .unwrap();
    assert_eq!(unassigned["VirtualMFADevices"], json!([]));
}

#[test]
fn assigned_devices_and_their_users_cannot_be_deleted() {
    let sts = Sts::start();
    sts.user(A, "lee", json!([]));
    let (serial, seed) = device(&sts, "lee-phone");
    enable(&sts, "lee", &serial, &seed);
    let delete = || sts.root_call(A, "DeleteVirtualMFADevice", json!({"SerialNumber": serial}));
    assert_eq!(failure(delete()).0, "DeleteConflict");
    assert_eq!(
        failure(sts.root_call(A, "DeleteUser", json!({"UserName": "lee"}))).0,
        "DeleteConflict"
    );
    sts.root_call(
        A,
        "DeactivateMFADevice",
        json!({"UserName": "lee", "SerialNumber": serial}),
    )
    .unwrap();
    delete().unwrap();
    assert_eq!(failure(delete()).0, "NoSuchEntity");
    sts.root_call(A, "DeleteUser", json!({"UserName": "lee"}))
        .unwrap();
}

#[test]
fn a_user_may_hold_eight_devices() {
    let sts = Sts::start();
    sts.user(A, "lee", json!([]));
    for n in 0..8 {
        let (serial, seed) = device(&sts, &format!("d{n}"));
        enable(&sts, "lee", &serial, &seed);
    }
    let (serial, seed) = device(&sts, "d8");
    let result = sts.root_call(
        A,
        "EnableMFADevice",
        json!({"UserName": "lee", "SerialNumber": serial,
               "AuthenticationCode1": code(&sts, &seed, 0), "AuthenticationCode2": code(&sts, &seed, 1)}),
    );
    assert_eq!(failure(result).0, "LimitExceeded");
}

#[test]
fn creating_a_device_needs_permission_first() {
    let sts = Sts::start();
    let lee = sts.user(A, "lee", json!([]));
    let result = sts.call(
        &lee,
        "CreateVirtualMFADevice",
        json!({"VirtualMFADeviceName": "x"}),
    );
    assert!(denied(result).contains("iam:CreateVirtualMFADevice"));
    let listed = sts
        .root_call(A, "ListVirtualMFADevices", json!({}))
        .unwrap();
    assert_eq!(listed["VirtualMFADevices"], json!([]));
}

/// A role that trusts `lee` only with MFA, and whose own policy allows iam:ListUsers.
fn mfa_role(sts: &Sts) -> String {
    let mut statement = trust(
        &format!("arn:aws:iam::{A}:user/lee"),
        json!("sts:AssumeRole"),
    );
    statement["Condition"] = json!({"Bool": {"aws:MultiFactorAuthPresent": "true"}});
    sts.role(
        A,
        "admin",
        json!([statement]),
        json!([allow("iam:ListUsers")]),
    )
}

fn assume_with(
    sts: &Sts,
    lee: &Caller,
    role: &str,
    serial: &str,
    code: &str,
) -> Result<Value, Error> {
    sts.assume(
        lee,
        role,
        json!({"SerialNumber": serial, "TokenCode": code}),
    )
}

#[test]
fn a_trust_policy_requiring_mfa_needs_a_valid_code_used_once() {
    let sts = Sts::start();
    let lee = sts.user(A, "lee", json!([]));
    let (serial, seed) = device(&sts, "lee-phone");
    let role = mfa_role(&sts);
    // Not enabled yet: the serial number is not the caller's.
    let message = denied(assume_with(
        &sts,
        &lee,
        &role,
        &serial,
        &code(&sts, &seed, 0),
    ));
    assert!(message.contains("unable to validate MFA code"), "{message}");
    enable(&sts, "lee", &serial, &seed);
    sts.advance(60);

    denied(sts.assume(&lee, &role, json!({})));
    let message = denied(sts.assume(&lee, &role, json!({"SerialNumber": serial})));
    assert!(message.contains("must provide both"), "{message}");
    let message = denied(assume_with(
        &sts,
        &lee,
        &role,
        &serial,
        &wrong(&code(&sts, &seed, 0)),
    ));
    assert!(
        message.contains("invalid MFA one time pass code"),
        "{message}"
    );

    let current = code(&sts, &seed, 0);
    let assumed = assume_with(&sts, &lee, &role, &serial, &current).unwrap();
    let session = sts.session(&assumed);
    sts.call(&session, "ListUsers", json!({})).unwrap();
    // The same code again: refused; the next step's code works.
    let message = denied(assume_with(&sts, &lee, &role, &serial, &current));
    assert!(
        message.contains("invalid MFA one time pass code"),
        "{message}"
    );
    sts.advance(30);
    assume_with(&sts, &lee, &role, &serial, &code(&sts, &seed, 0)).unwrap();

    // Another user's device does not serve lee.
    sts.user(A, "kim", json!([]));
    let (kims, kim_seed) = device(&sts, "kim-phone");
    enable(&sts, "kim", &kims, &kim_seed);
    sts.advance(60);
    let message = denied(assume_with(
        &sts,
        &lee,
        &role,
        &kims,
        &code(&sts, &kim_seed, 0),
    ));
    assert!(message.contains("unable to validate MFA code"), "{message}");
}

#[test]
fn session_tokens_with_mfa_reach_iam_and_age() {
    let sts = Sts::start();
    let mut young = allow("iam:ListRoles");
    young["Condition"] = json!({"NumericLessThan": {"aws:MultiFactorAuthAge": "300"}});
    let lee = sts.user(A, "lee", json!([allow("iam:ListUsers"), young]));
    let (serial, seed) = device(&sts, "lee-phone");
    enable(&sts, "lee", &serial, &seed);
    sts.advance(60);

    let plain = sts.session(&sts.call(&lee, "GetSessionToken", json!({})).unwrap());
    assert_eq!(
        failure(sts.call(&plain, "ListUsers", json!({}))).0,
        "InvalidClientTokenId"
    );
    let message = denied(sts.call(
        &lee,
        "GetSessionToken",
        json!({"SerialNumber": serial, "TokenCode": wrong(&code(&sts, &seed, 0))}),
    ));
    assert!(
        message.contains("invalid MFA one time pass code"),
        "{message}"
    );

    let with_mfa = sts.session(
        &sts.call(
            &lee,
            "GetSessionToken",
            json!({"SerialNumber": serial, "TokenCode": code(&sts, &seed, 0)}),
        )
        .unwrap(),
    );
    sts.call(&with_mfa, "ListUsers", json!({})).unwrap();
    sts.call(&with_mfa, "ListRoles", json!({})).unwrap();
    sts.advance(600);
    sts.call(&with_mfa, "ListUsers", json!({})).unwrap();
    denied(sts.call(&with_mfa, "ListRoles", json!({})));
}

#[test]
fn seeds_are_sealed_at_rest() {
    let master = MasterKey::from_bytes([3; 32]);
    let seed = totp::base32_encode(b"12345678901234567890");
    let device = MfaDevice {
        serial: format!("arn:aws:iam::{A}:mfa/d"),
        account: warden_core::model::AccountId::parse(A).unwrap(),
        name: "d".to_owned(),
        path: "/".to_owned(),
        created: 0,
        seed: Secret::new(seed.clone()),
        user: None,
        enabled: None,
        tags: vec![Tag {
            key: "k".to_owned(),
            value: "v".to_owned(),
        }],
    };
    let Write::Put(record) = Mutation::MfaDevice(device).to_write(&master).unwrap() else {
        panic!("a device is put");
    };
    assert!(!record.body.contains(&seed));
    let Mutation::MfaDevice(back) = Mutation::from_record(&record, &master).unwrap() else {
        panic!("a device reads back as a device");
    };
    assert_eq!(back.seed.expose(), seed);
    assert_eq!(back.tags.len(), 1);
    assert!(Mutation::from_record(&record, &MasterKey::from_bytes([4; 32])).is_err());
}

/// The lockout AWS's guidance and Warden use: 15 minutes after 5 wrong codes in a row.
const LOCKOUT: i64 = 15 * 60;

fn with_code(sts: &Sts, lee: &Caller, serial: &str, code: &str) -> Result<Value, Error> {
    sts.call(
        lee,
        "GetSessionToken",
        json!({"SerialNumber": serial, "TokenCode": code}),
    )
}

/// What a wrong code answers, whatever else is true.
fn invalid_code() -> (String, String) {
    (
        "AccessDenied".to_owned(),
        "MultiFactorAuthentication failed with invalid MFA one time pass code. ".to_owned(),
    )
}

/// A user `lee` with an enabled device, a minute after enabling it.
fn lee_with_device(sts: &Sts) -> (Caller, String, Vec<u8>) {
    let lee = sts.user(A, "lee", json!([]));
    let (serial, seed) = device(sts, "lee-phone");
    enable(sts, "lee", &serial, &seed);
    sts.advance(60);
    (lee, serial, seed)
}

#[test]
fn five_wrong_codes_in_a_row_lock_the_device_for_fifteen_minutes() {
    let sts = Sts::start();
    let (lee, serial, seed) = lee_with_device(&sts);
    let try_code = |code: &str| with_code(&sts, &lee, &serial, code);

    // Four wrong codes, then the right one: accepted, and the count starts again.
    for _ in 0..4 {
        assert_eq!(
            failure(try_code(&wrong(&code(&sts, &seed, 0)))),
            invalid_code()
        );
    }
    try_code(&code(&sts, &seed, 0)).unwrap();
    sts.advance(30);
    for _ in 0..4 {
        assert_eq!(
            failure(try_code(&wrong(&code(&sts, &seed, 0)))),
            invalid_code()
        );
    }
    let generation = sts.service.read(|s| Ok(s.generation)).unwrap();
    // The fifth in a row locks the device: the right code now gets a wrong code's answer.
    assert_eq!(
        failure(try_code(&wrong(&code(&sts, &seed, 0)))),
        invalid_code()
    );
    assert_eq!(failure(try_code(&code(&sts, &seed, 0))), invalid_code());
    // Recording code use leaves cached callers' policies current.
    assert_eq!(sts.service.read(|s| Ok(s.generation)).unwrap(), generation);
    sts.advance(LOCKOUT - 1);
    assert_eq!(failure(try_code(&code(&sts, &seed, 0))), invalid_code());
    // Fifteen minutes after the lockout started, the right code works again.
    sts.advance(1);
    try_code(&code(&sts, &seed, 0)).unwrap();
}

#[test]
fn the_failure_count_and_the_lockout_survive_a_restart() {
    let sts = Sts::start();
    let (lee, serial, seed) = lee_with_device(&sts);
    for _ in 0..3 {
        let result = with_code(&sts, &lee, &serial, &wrong(&code(&sts, &seed, 0)));
        assert_eq!(failure(result), invalid_code());
    }
    let sts = sts.reopen();
    for _ in 0..2 {
        let result = with_code(&sts, &lee, &serial, &wrong(&code(&sts, &seed, 0)));
        assert_eq!(failure(result), invalid_code());
    }
    let result = with_code(&sts, &lee, &serial, &code(&sts, &seed, 0));
    assert_eq!(
        failure(result),
        invalid_code(),
        "locked after 3 + 2 wrong codes"
    );
    let sts = sts.reopen();
    let result = with_code(&sts, &lee, &serial, &code(&sts, &seed, 0));
    assert_eq!(
        failure(result),
        invalid_code(),
        "still locked after a restart"
    );
    sts.advance(LOCKOUT);
    with_code(&sts, &lee, &serial, &code(&sts, &seed, 0)).unwrap();
}

#[test]
fn a_code_accepted_before_a_restart_is_refused_after_it() {
    let sts = Sts::start();
    let (lee, serial, seed) = lee_with_device(&sts);
    let current = code(&sts, &seed, 0);
    with_code(&sts, &lee, &serial, &current).unwrap();
    let sts = sts.reopen();
    assert_eq!(
        failure(with_code(&sts, &lee, &serial, &current)),
        invalid_code()
    );
    // The next step's code is a new one.
    sts.advance(30);
    with_code(&sts, &lee, &serial, &code(&sts, &seed, 0)).unwrap();
}

#[test]
fn of_calls_racing_with_one_code_exactly_one_succeeds() {
    const CALLS: usize = 8;
    let sts = Sts::start();
    let (lee, serial, seed) = lee_with_device(&sts);
    for round in 0..10 {
        sts.advance(30);
        let current = code(&sts, &seed, 0);
        let start = std::sync::Barrier::new(CALLS);
        let accepted = std::thread::scope(|scope| {
            let calls: Vec<_> = (0..CALLS)
                .map(|_| {
                    scope.spawn(|| {
                        start.wait();
                        with_code(&sts, &lee, &serial, &current).is_ok()
                    })
                })
                .collect();
            calls
                .into_iter()
                .map(|call| call.join().unwrap())
                .filter(|ok| *ok)
                .count()
        });
        assert_eq!(accepted, 1, "round {round}");
    }
    // The refused calls used a right code: none counted towards a lockout.
    sts.advance(30);
    with_code(&sts, &lee, &serial, &code(&sts, &seed, 0)).unwrap();
}

#[test]
fn wrong_codes_to_enable_and_resync_count_towards_the_lockout() {
    let sts = Sts::start();
    let lee = sts.user(A, "lee", json!([]));
    let (serial, seed) = device(&sts, "lee-phone");
    let enable_with = |c1: String, c2: String| {
        sts.root_call(
            A,
            "EnableMFADevice",
            json!({"UserName": "lee", "SerialNumber": serial,
                   "AuthenticationCode1": c1, "AuthenticationCode2": c2}),
        )
    };
    let refused = (
        "InvalidAuthenticationCode".to_owned(),
        "Authentication code for device is not valid.".to_owned(),
    );
    for _ in 0..5 {
        let result = enable_with(wrong(&code(&sts, &seed, 0)), code(&sts, &seed, 1));
        assert_eq!(failure(result), refused);
    }
    let result = enable_with(code(&sts, &seed, 0), code(&sts, &seed, 1));
    assert_eq!(failure(result), refused, "locked: right codes refused");
    let listed = sts
        .root_call(A, "ListMFADevices", json!({"UserName": "lee"}))
        .unwrap();
    assert_eq!(listed["MFADevices"], json!([]));
    sts.advance(LOCKOUT);
    enable_with(code(&sts, &seed, 0), code(&sts, &seed, 1)).unwrap();

    // ResyncMFADevice's wrong codes lock the device for STS too.
    sts.advance(60);
    for _ in 0..5 {
        let result = sts.root_call(
            A,
            "ResyncMFADevice",
            json!({"UserName": "lee", "SerialNumber": serial,
                   "AuthenticationCode1": code(&sts, &seed, 0),
                   "AuthenticationCode2": wrong(&code(&sts, &seed, 1))}),
        );
        assert_eq!(failure(result), refused);
    }
    let result = with_code(&sts, &lee, &serial, &code(&sts, &seed, 0));
    assert_eq!(failure(result), invalid_code());
}

#[test]
fn ended_lockouts_are_lifted_by_the_periodic_sweep_and_deleted_devices_forgotten() {
    let sts = Sts::start();
    let (lee, serial, seed) = lee_with_device(&sts);
    for _ in 0..5 {
        let result = with_code(&sts, &lee, &serial, &wrong(&code(&sts, &seed, 0)));
        assert_eq!(failure(result), invalid_code());
    }
    let locked_until = || {
        sts.service
            .read(|s| {
                Ok(s.account(A)
                    .and_then(|a| a.mfa_code_use(&serial))
                    .and_then(|u| u.locked_until))
            })
            .unwrap()
    };
    let until = locked_until().unwrap();
    assert_eq!(until, sts.service.now() + LOCKOUT);
    sts.service.expire_records().unwrap();
    assert_eq!(locked_until(), Some(until), "not over yet");
    sts.advance(LOCKOUT);
    sts.service.expire_records().unwrap();
    assert_eq!(locked_until(), None);
    assert_eq!(
        sts.reopen()
            .service
            .read(|s| {
                Ok(s.account(A)
                    .and_then(|a| a.mfa_code_use(&serial))
                    .map(|u| (u.locked_until, u.failures)))
            })
            .unwrap(),
        Some((None, 0)),
        "lifted in the store too"
    );

    sts.root_call(
        A,
        "DeactivateMFADevice",
        json!({"UserName": "lee", "SerialNumber": serial}),
    )
    .unwrap();
    sts.root_call(A, "DeleteVirtualMFADevice", json!({"SerialNumber": serial}))
        .unwrap();
    let kinds: Vec<_> = sts
        .store
        .load()
        .unwrap()
        .records
        .into_iter()
        .map(|r| r.record.kind)
        .collect();
    assert!(!kinds.contains(&Kind::MfaCodeUse), "{kinds:?}");
}
