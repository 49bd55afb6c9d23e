//! The rest of virtual MFA devices: the root user's device (enrolled and checked by the
//! console's calls, shown by the API, used by GetSessionToken), GetMFADevice, and tags
//! (on create, TagMFADevice, UntagMFADevice, ListMFADeviceTags) with their limits and
//! condition keys.

use serde_json::json;

use super::mfa::{code, device, enable, wrong};
use crate::{A, B, Sts, allow, denied, failure};

fn summary_mfa(sts: &Sts) -> serde_json::Value {
    sts.root_call(A, "GetAccountSummary", json!({})).unwrap()["SummaryMap"]["AccountMFAEnabled"]
        .clone()
}

#[test]
fn the_root_user_enrols_a_device_with_two_codes_and_the_api_shows_it() {
    let sts = Sts::start();
    let (serial, seed) = device(&sts, "root-phone");
    assert_eq!(summary_mfa(&sts), json!(0));

    // Wrong or non-consecutive codes: refused, nothing enabled.
    let (c0, c1) = (code(&sts, &seed, 0), code(&sts, &seed, 1));
    for (a, b) in [(c0.clone(), c0.clone()), (wrong(&c0), c1.clone())] {
        let error = sts
            .service
            .enable_root_mfa_device(A, &serial, &a, &b)
            .unwrap_err();
        assert_eq!(error.code(), "InvalidAuthenticationCode");
    }
    assert!(sts.service.root_mfa_devices(A).unwrap().is_empty());
    let error = sts
        .service
        .enable_root_mfa_device(A, "arn:aws:iam::111122223333:mfa/none", &c0, &c1)
        .unwrap_err();
    assert_eq!(error.code(), "NoSuchEntity");

    sts.service
        .enable_root_mfa_device(A, &serial, &c0, &c1)
        .unwrap();
    assert_eq!(
        sts.service.root_mfa_devices(A).unwrap(),
        vec![serial.clone()]
    );
    assert!(sts.service.root_mfa_devices(B).unwrap().is_empty());
    // In use: neither the root user again nor a user can take it.
    let error = sts
        .service
        .enable_root_mfa_device(A, &serial, &c0, &c1)
        .unwrap_err();
    assert_eq!(error.code(), "EntityAlreadyExists");
    sts.user(A, "lee", json!([]));
    let (error, _) = failure(sts.root_call(
        A,
        "EnableMFADevice",
        json!({"UserName": "lee", "SerialNumber": serial,
               "AuthenticationCode1": code(&sts, &seed, 1), "AuthenticationCode2": code(&sts, &seed, 2)}),
    ));
    assert_eq!(error, "EntityAlreadyExists");

    assert_eq!(summary_mfa(&sts), json!(1));
    let listed = sts.root_call(A, "ListMFADevices", json!({})).unwrap();
    assert_eq!(listed["MFADevices"].as_array().unwrap().len(), 1);
    assert_eq!(listed["MFADevices"][0]["SerialNumber"], json!(serial));
    let lee_devices = sts
        .root_call(A, "ListMFADevices", json!({"UserName": "lee"}))
        .unwrap();
    assert_eq!(lee_devices["MFADevices"], json!([]));
    let virtual_devices = sts
        .root_call(
            A,
            "ListVirtualMFADevices",
            json!({"AssignmentStatus": "Assigned"}),
        )
        .unwrap();
    let shown = &virtual_devices["VirtualMFADevices"][0];
    assert_eq!(shown["SerialNumber"], json!(serial));
    assert_eq!(
        shown["User"]["Arn"],
        json!(format!("arn:aws:iam::{A}:root"))
    );
    assert_eq!(shown["User"]["UserId"], json!(A));
    assert!(shown.get("EnableDate").is_some());
    let got = sts
        .root_call(A, "GetMFADevice", json!({"SerialNumber": serial}))
        .unwrap();
    assert_eq!(got["SerialNumber"], json!(serial));
    assert!(got.get("EnableDate").is_some());

    // The root user deactivates it without UserName.
    sts.root_call(A, "DeactivateMFADevice", json!({"SerialNumber": serial}))
        .unwrap();
    assert_eq!(summary_mfa(&sts), json!(0));
    assert!(sts.service.root_mfa_devices(A).unwrap().is_empty());
}

#[test]
fn a_root_code_at_sign_in_is_accepted_once_and_wrong_ones_are_refused() {
    let sts = Sts::start();
    let (serial, seed) = device(&sts, "root-phone");
    // No device yet: no code is accepted.
    let error = sts
        .service
        .use_root_mfa_code(A, None, &code(&sts, &seed, 0))
        .unwrap_err();
    assert_eq!(error.code(), "InvalidAuthenticationCode");
    sts.service
        .enable_root_mfa_device(A, &serial, &code(&sts, &seed, 0), &code(&sts, &seed, 1))
        .unwrap();
    // The enrolment's codes are used.
    let error = sts
        .service
        .use_root_mfa_code(A, None, &code(&sts, &seed, 1))
        .unwrap_err();
    assert_eq!(error.code(), "InvalidAuthenticationCode");
    sts.advance(60);
    let now = code(&sts, &seed, 0);
    assert_eq!(
        sts.service
            .use_root_mfa_code(A, Some("arn:aws:iam::111122223333:mfa/none"), &now)
            .unwrap_err()
            .code(),
        "InvalidAuthenticationCode"
    );
    assert_eq!(
        sts.service
            .use_root_mfa_code(A, None, &wrong(&now))
            .unwrap_err()
            .code(),
        "InvalidAuthenticationCode"
    );
    sts.service
        .use_root_mfa_code(A, Some(&serial), &now)
        .unwrap();
    let error = sts.service.use_root_mfa_code(A, None, &now).unwrap_err();
    assert_eq!(error.code(), "InvalidAuthenticationCode");
    // Another account's root user has no device.
    let error = sts
        .service
        .use_root_mfa_code(B, None, &code(&sts, &seed, 1))
        .unwrap_err();
    assert_eq!(error.code(), "InvalidAuthenticationCode");
    // A code out of the window (two steps ahead) is refused.
    let error = sts
        .service
        .use_root_mfa_code(A, None, &code(&sts, &seed, 3))
        .unwrap_err();
    assert_eq!(error.code(), "InvalidAuthenticationCode");
}

#[test]
fn get_session_token_by_the_root_user_takes_a_code_of_its_device() {
    let sts = Sts::start();
    let (serial, seed) = device(&sts, "root-phone");
    sts.service
        .enable_root_mfa_device(A, &serial, &code(&sts, &seed, 0), &code(&sts, &seed, 1))
        .unwrap();
    sts.advance(60);
    let root = sts.root(A);
    let plain = sts.session(&sts.call(&root, "GetSessionToken", json!({})).unwrap());
    assert_eq!(
        failure(sts.call(&plain, "ListUsers", json!({}))).0,
        "InvalidClientTokenId"
    );
    let message = denied(sts.call(
        &root,
        "GetSessionToken",
        json!({"SerialNumber": serial, "TokenCode": wrong(&code(&sts, &seed, 0))}),
    ));
    assert!(
        message.contains("invalid MFA one time pass code"),
        "{message}"
    );
    let with_mfa = sts.session(
        &sts.call(
            &root,
            "GetSessionToken",
            json!({"SerialNumber": serial, "TokenCode": code(&sts, &seed, 0)}),
        )
        .unwrap(),
    );
    sts.call(&with_mfa, "ListUsers", json!({})).unwrap();

    // A user cannot present the root user's device.
    let lee = sts.user(A, "lee", json!([]));
    let message = denied(sts.call(
        &lee,
        "GetSessionToken",
        json!({"SerialNumber": serial, "TokenCode": code(&sts, &seed, 1)}),
    ));
    assert!(message.contains("associated with this user"), "{message}");
}

#[test]
fn get_mfa_device_shows_a_users_device_and_authorizes_first() {
    let sts = Sts::start();
    let lee = sts.user(A, "lee", json!([allow("iam:GetMFADevice")]));
    let (serial, seed) = device(&sts, "lee-phone");
    let (spare, _) = device(&sts, "spare");

    // Unassigned: by serial number alone without UserName, not as a user's.
    let got = sts
        .root_call(A, "GetMFADevice", json!({"SerialNumber": spare}))
        .unwrap();
    assert_eq!(got, json!({"SerialNumber": spare}));
    let (error, message) = failure(sts.root_call(
        A,
        "GetMFADevice",
        json!({"SerialNumber": spare, "UserName": "lee"}),
    ));
    assert_eq!(error, "NoSuchEntity");
    assert_eq!(
        message,
        format!("MFA Device with serial number {spare} does not exist.")
    );

    enable(&sts, "lee", &serial, &seed);
    let got = sts
        .root_call(
            A,
            "GetMFADevice",
            json!({"SerialNumber": serial, "UserName": "lee"}),
        )
        .unwrap();
    assert_eq!(got["UserName"], json!("lee"));
    assert_eq!(got["SerialNumber"], json!(serial));
    assert!(got["EnableDate"].as_str().unwrap().ends_with('Z'));
    assert!(got.get("Certifications").is_none());
    // The user's own, without UserName.
    let mine = sts
        .call(&lee, "GetMFADevice", json!({"SerialNumber": serial}))
        .unwrap();
    assert_eq!(mine["UserName"], json!("lee"));
    // The root user's own devices do not include lee's.
    let (error, _) = failure(sts.root_call(A, "GetMFADevice", json!({"SerialNumber": serial})));
    assert_eq!(error, "NoSuchEntity");
    let (error, _) = failure(sts.root_call(
        A,
        "GetMFADevice",
        json!({"SerialNumber": serial, "UserName": "nobody"}),
    ));
    assert_eq!(error, "NoSuchEntity");

    // Authorization before existence: a user without permission learns nothing.
    let kim = sts.user(A, "kim", json!([]));
    for (serial, user) in [
        (serial.as_str(), "lee"),
        ("arn:aws:iam::111122223333:mfa/none", "nobody"),
    ] {
        let message = denied(sts.call(
            &kim,
            "GetMFADevice",
            json!({"SerialNumber": serial, "UserName": user}),
        ));
        assert!(
            message.contains(&format!(
                "iam:GetMFADevice on resource: arn:aws:iam::{A}:user/{user}"
            )),
            "{message}"
        );
    }
}

#[test]
fn tags_on_create_and_through_tag_untag_and_list() {
    let sts = Sts::start();
    let created = sts
        .root_call(
            A,
            "CreateVirtualMFADevice",
            json!({"VirtualMFADeviceName": "tagged",
                   "Tags": [{"Key": "team", "Value": "blue"}, {"Key": "env", "Value": "dev"}]}),
        )
        .unwrap();
    let serial = created["VirtualMFADevice"]["SerialNumber"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        created["VirtualMFADevice"]["Tags"],
        json!([{"Key": "team", "Value": "blue"}, {"Key": "env", "Value": "dev"}])
    );
    let listed = sts
        .root_call(A, "ListMFADeviceTags", json!({"SerialNumber": serial}))
        .unwrap();
    assert_eq!(
        listed["Tags"],
        json!([{"Key": "env", "Value": "dev"}, {"Key": "team", "Value": "blue"}])
    );
    let all = sts
        .root_call(A, "ListVirtualMFADevices", json!({}))
        .unwrap();
    assert_eq!(
        all["VirtualMFADevices"][0]["Tags"]
            .as_array()
            .unwrap()
            .len(),
        2
    );

    sts.root_call(
        A,
        "TagMFADevice",
        json!({"SerialNumber": serial, "Tags": [{"Key": "TEAM", "Value": "red"}, {"Key": "x", "Value": ""}]}),
    )
    .unwrap();
    sts.root_call(
        A,
        "UntagMFADevice",
        json!({"SerialNumber": serial, "TagKeys": ["env", "absent"]}),
    )
    .unwrap();
    let listed = sts
        .root_call(
            A,
            "ListMFADeviceTags",
            json!({"SerialNumber": serial, "MaxItems": 1}),
        )
        .unwrap();
    assert_eq!(listed["Tags"], json!([{"Key": "TEAM", "Value": "red"}]));
    assert_eq!(listed["IsTruncated"], json!(true));
    let rest = sts
        .root_call(
            A,
            "ListMFADeviceTags",
            json!({"SerialNumber": serial, "Marker": listed["Marker"]}),
        )
        .unwrap();
    assert_eq!(rest["Tags"], json!([{"Key": "x", "Value": ""}]));

    // Limits and rules, and nothing half-applied.
    let many: Vec<_> = (0..49)
        .map(|i| json!({"Key": format!("k{i}"), "Value": "v"}))
        .collect();
    let (error, message) = failure(sts.root_call(
        A,
        "TagMFADevice",
        json!({"SerialNumber": serial, "Tags": many}),
    ));
    assert_eq!(error, "LimitExceeded");
    assert_eq!(message, "Cannot exceed quota for TagsPerResource: 50");
    let (error, _) = failure(sts.root_call(
        A,
        "TagMFADevice",
        json!({"SerialNumber": serial, "Tags": [{"Key": "aws:x", "Value": "v"}]}),
    ));
    assert_eq!(error, "InvalidInput");
    let (error, _) = failure(sts.root_call(
        A,
        "CreateVirtualMFADevice",
        json!({"VirtualMFADeviceName": "dup", "Tags": [{"Key": "a", "Value": "1"}, {"Key": "A", "Value": "2"}]}),
    ));
    assert_eq!(error, "InvalidInput");
    let listed = sts
        .root_call(A, "ListMFADeviceTags", json!({"SerialNumber": serial}))
        .unwrap();
    assert_eq!(listed["Tags"].as_array().unwrap().len(), 2);
    for action in ["ListMFADeviceTags", "TagMFADevice", "UntagMFADevice"] {
        let (error, message) = failure(sts.root_call(
            A,
            action,
            json!({"SerialNumber": "arn:aws:iam::111122223333:mfa/none", "Tags": [], "TagKeys": []}),
        ));
        assert_eq!(error, "NoSuchEntity", "{action}");
        assert_eq!(
            message,
            "VirtualMFADevice with serial number arn:aws:iam::111122223333:mfa/none doesn't exist."
        );
    }
}

#[test]
fn tagging_a_device_is_authorized_on_its_arn_with_tag_condition_keys() {
    let sts = Sts::start();
    let created = sts
        .root_call(
            A,
            "CreateVirtualMFADevice",
            json!({"VirtualMFADeviceName": "d", "Path": "/team/", "Tags": [{"Key": "team", "Value": "blue"}]}),
        )
        .unwrap();
    let serial = created["VirtualMFADevice"]["SerialNumber"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(serial, format!("arn:aws:iam::{A}:mfa/team/d"));
    let mut tag_blue = allow("iam:TagMFADevice");
    tag_blue["Resource"] = json!(format!("arn:aws:iam::{A}:mfa/team/*"));
    tag_blue["Condition"] = json!({
        "StringEquals": {"aws:ResourceTag/team": "blue", "aws:RequestTag/owner": "lee"},
        "ForAllValues:StringEquals": {"aws:TagKeys": ["owner"]}
    });
    let mut untag = allow("iam:UntagMFADevice");
    untag["Condition"] = json!({"ForAllValues:StringEquals": {"aws:TagKeys": ["owner"]}});
    let lee = sts.user(
        A,
        "lee",
        json!([tag_blue, untag, allow("iam:ListMFADeviceTags")]),
    );
    sts.call(
        &lee,
        "TagMFADevice",
        json!({"SerialNumber": serial, "Tags": [{"Key": "owner", "Value": "lee"}]}),
    )
    .unwrap();
    let message = denied(sts.call(
        &lee,
        "TagMFADevice",
        json!({"SerialNumber": serial, "Tags": [{"Key": "owner", "Value": "kim"}]}),
    ));
    assert!(
        message.contains(&format!("iam:TagMFADevice on resource: {serial}")),
        "{message}"
    );
    denied(sts.call(
        &lee,
        "TagMFADevice",
        json!({"SerialNumber": serial, "Tags": [{"Key": "other", "Value": "lee"}]}),
    ));
    denied(sts.call(
        &lee,
        "UntagMFADevice",
        json!({"SerialNumber": serial, "TagKeys": ["team"]}),
    ));
    sts.call(
        &lee,
        "UntagMFADevice",
        json!({"SerialNumber": serial, "TagKeys": ["owner"]}),
    )
    .unwrap();
    // Denied before existence: a missing device elsewhere answers AccessDenied, not
    // NoSuchEntity.
    let message = denied(sts.call(
        &lee,
        "TagMFADevice",
        json!({"SerialNumber": format!("arn:aws:iam::{A}:mfa/other"), "Tags": [{"Key": "owner", "Value": "lee"}]}),
    ));
    assert!(
        message.contains(&format!("arn:aws:iam::{A}:mfa/other")),
        "{message}"
    );
    let kim = sts.user(A, "kim", json!([]));
    denied(sts.call(&kim, "ListMFADeviceTags", json!({"SerialNumber": serial})));
}

#[test]
fn device_names_longer_than_aws_allows_are_refused_before_anything_is_made() {
    let sts = Sts::start();
    let longest = "d".repeat(226);
    let created = sts
        .root_call(
            A,
            "CreateVirtualMFADevice",
            json!({"VirtualMFADeviceName": longest}),
        )
        .unwrap();
    assert!(
        created["VirtualMFADevice"]["QRCodePNG"]
            .as_str()
            .unwrap()
            .starts_with("iVBORw0KGgo"),
        "a base64 PNG"
    );
    let (error, message) = failure(sts.root_call(
        A,
        "CreateVirtualMFADevice",
        json!({"VirtualMFADeviceName": "d".repeat(100_000)}),
    ));
    assert_eq!(error, "ValidationError");
    assert!(message.contains("less than or equal to 226"), "{message}");
    let listed = sts
        .root_call(A, "ListVirtualMFADevices", json!({}))
        .unwrap();
    assert_eq!(listed["VirtualMFADevices"].as_array().unwrap().len(), 1);
}

#[test]
fn the_root_users_device_and_its_used_codes_survive_a_restart() {
    let sts = Sts::start();
    let (serial, seed) = device(&sts, "root-phone");
    sts.service
        .enable_root_mfa_device(A, &serial, &code(&sts, &seed, 0), &code(&sts, &seed, 1))
        .unwrap();
    sts.advance(60);
    let now = code(&sts, &seed, 0);
    sts.service.use_root_mfa_code(A, None, &now).unwrap();

    let again = sts.reopen();
    assert_eq!(again.service.root_mfa_devices(A).unwrap(), vec![serial]);
    let error = again.service.use_root_mfa_code(A, None, &now).unwrap_err();
    assert_eq!(error.code(), "InvalidAuthenticationCode");
    again
        .service
        .use_root_mfa_code(A, None, &code(&again, &seed, 1))
        .unwrap();
}
