//! Virtual MFA devices: CreateVirtualMFADevice, EnableMFADevice, ResyncMFADevice,
//! DeactivateMFADevice, DeleteVirtualMFADevice, ListMFADevices, ListVirtualMFADevices; and
//! the one-time-code check STS uses (AssumeRole and GetSessionToken with SerialNumber and
//! TokenCode). Seeds are sealed at rest and leave Warden once, in CreateVirtualMFADevice's
//! answer; a code is accepted once per device.

use std::ops::ControlFlow;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::users::{WireUser, account, authorized_user, non_user_credentials};
use super::{Routed, WireTag, check_path, tags_from_wire, wire_tags};
use crate::authz::request_tag_keys;
use crate::error::Error;
use crate::model::{MfaDevice, iam_arn};
use crate::secret::Secret;
use crate::service::{Cx, Service, run};
use crate::state::{Mutation, State};
use crate::time::{Timestamp, iso8601};
use crate::totp;

/// AWS's quota of MFA devices per user.
pub const DEVICES_PER_USER: usize = 8;

/// How many time steps either side of now a code may come from (clock drift).
const DRIFT_STEPS: i64 = 1;

pub(super) fn route(cx: &Cx<'_>, action: &str, input: Value) -> Routed {
    ControlFlow::Break(match action {
        "CreateVirtualMFADevice" => run(cx, input, create_virtual_mfa_device),
        "EnableMFADevice" => run(cx, input, enable_mfa_device),
        "ResyncMFADevice" => run(cx, input, resync_mfa_device),
        "DeactivateMFADevice" => run(cx, input, deactivate_mfa_device),
        "DeleteVirtualMFADevice" => run(cx, input, delete_virtual_mfa_device),
        "ListMFADevices" => run(cx, input, list_mfa_devices),
        "ListVirtualMFADevices" => run(cx, input, list_virtual_mfa_devices),
        _ => return ControlFlow::Continue(input),
    })
}

fn no_such_device(serial: &str) -> Error {
    Error::NoSuchEntity(format!(
        "VirtualMFADevice with serial number {serial} doesn't exist."
    ))
}

fn invalid_codes() -> Error {
    Error::InvalidAuthenticationCode("Authentication code for device is not valid.".to_owned())
}

fn seed_bytes(device: &MfaDevice) -> Result<Vec<u8>, Error> {
    totp::base32_decode(device.seed.expose())
        .ok_or_else(|| Error::Internal(format!("the seed of {} is not base32", device.serial)))
}

impl Service {
    /// The last time step accepted for `serial`, if any.
    fn last_step(&self, serial: &str) -> Option<i64> {
        self.mfa_steps
            .lock()
            .ok()
            .and_then(|steps| steps.get(&serial.to_lowercase()).copied())
    }

    fn use_step(&self, serial: &str, step: i64) {
        if let Ok(mut steps) = self.mfa_steps.lock() {
            let entry = steps.entry(serial.to_lowercase()).or_insert(step);
            *entry = (*entry).max(step);
        }
    }
}

/// Checks two consecutive codes of `device` (EnableMFADevice, ResyncMFADevice) and marks
/// them used.
fn check_consecutive(
    cx: &Cx<'_>,
    device: &MfaDevice,
    code1: &str,
    code2: &str,
) -> Result<(), Error> {
    let key = seed_bytes(device)?;
    let now = totp::step_at(cx.service.now());
    let last = cx.service.last_step(&device.serial);
    let found = (now - DRIFT_STEPS - 1..=now + DRIFT_STEPS).find(|step| {
        last.is_none_or(|last| *step > last)
            && totp::matches(&key, *step, code1)
            && totp::matches(&key, step + 1, code2)
    });
    let step = found.ok_or_else(invalid_codes)?;
    cx.service.use_step(&device.serial, step + 1);
    Ok(())
}

/// STS's MFA check: `serial` must be an MFA device enabled for the calling IAM user and
/// `code` its current code, not used before. Returns when authentication took place.
pub(crate) fn verify_caller_code(
    cx: &Cx<'_>,
    state: &State,
    serial: Option<&str>,
    code: Option<&str>,
) -> Result<Timestamp, Error> {
    let (Some(serial), Some(code)) = (serial, code) else {
        return Err(Error::AccessDenied(
            "MultiFactorAuthentication failed, must provide both MFA serial number and one time pass code.".to_owned(),
        ));
    };
    let unknown = || {
        Error::AccessDenied(
            "MultiFactorAuthentication failed, unable to validate MFA code.  Please verify your MFA serial number is valid and associated with this user."
                .to_owned(),
        )
    };
    let user = cx.caller.identity.acting_user().ok_or_else(unknown)?;
    let device = state
        .account(&cx.caller.account)
        .and_then(|a| a.mfa_device(serial))
        .filter(|d| d.user.as_deref() == Some(user))
        .ok_or_else(unknown)?;
    let key = seed_bytes(device)?;
    let now = cx.service.now();
    let current = totp::step_at(now);
    let last = cx.service.last_step(&device.serial);
    let step = (current - DRIFT_STEPS..=current + DRIFT_STEPS)
        .find(|step| last.is_none_or(|last| *step > last) && totp::matches(&key, *step, code))
        .ok_or_else(|| {
            Error::AccessDenied(
                "MultiFactorAuthentication failed with invalid MFA one time pass code. ".to_owned(),
            )
        })?;
    cx.service.use_step(&device.serial, step);
    Ok(now)
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct CreateInput {
    #[serde(rename = "VirtualMFADeviceName")]
    virtual_mfa_device_name: String,
    path: Option<String>,
    #[serde(default)]
    tags: Vec<WireTag>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct WireVirtualDevice {
    serial_number: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    base32_string_seed: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    user: Option<WireUser>,
    #[serde(skip_serializing_if = "Option::is_none")]
    enable_date: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    tags: Vec<WireTag>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct CreateOutput {
    #[serde(rename = "VirtualMFADevice")]
    virtual_mfa_device: WireVirtualDevice,
}

/// CreateVirtualMFADevice: a new device with a random 160-bit seed, returned once as the
/// base64 of its base32 text. Needs `iam:CreateVirtualMFADevice` on the device's ARN.
fn create_virtual_mfa_device(cx: &Cx<'_>, input: CreateInput) -> Result<CreateOutput, Error> {
    let path = input.path.unwrap_or_else(|| "/".to_owned());
    let tags = tags_from_wire(&input.tags)?;
    cx.service.write(|state| {
        let serial = iam_arn(
            &cx.caller.account,
            "mfa",
            &path,
            &input.virtual_mfa_device_name,
        );
        cx.authorize(
            state,
            "iam:CreateVirtualMFADevice",
            &serial,
            &[],
            &request_tag_keys(&tags),
        )?;
        check_path(&path)?;
        let account = account(cx, state)?;
        if account.mfa_device(&serial).is_some() {
            return Err(Error::EntityAlreadyExists(
                "MFADevice entity at the same path and name already exists.".to_owned(),
            ));
        }
        let mut raw = [0u8; 20];
        cx.service.random().fill(&mut raw)?;
        let device = MfaDevice {
            serial: serial.clone(),
            account: cx.caller.account.clone(),
            name: input.virtual_mfa_device_name.clone(),
            path: path.clone(),
            created: cx.service.now(),
            seed: Secret::new(totp::base32_encode(&raw)),
            user: None,
            enabled: None,
            tags,
        };
        let output = CreateOutput {
            virtual_mfa_device: WireVirtualDevice {
                serial_number: serial,
                base32_string_seed: Some(totp::base64_encode(device.seed.expose().as_bytes())),
                user: None,
                enable_date: None,
                tags: wire_tags(&device.tags),
            },
        };
        Ok((vec![Mutation::MfaDevice(device)], output))
    })
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct CodesInput {
    user_name: String,
    serial_number: String,
    authentication_code1: String,
    authentication_code2: String,
}

/// EnableMFADevice: assigns an unassigned device to a user, proven by two consecutive codes.
fn enable_mfa_device(cx: &Cx<'_>, input: CodesInput) -> Result<(), Error> {
    cx.service.write(|state| {
        let user = authorized_user(cx, state, "iam:EnableMFADevice", &input.user_name, &[])?;
        let account = account(cx, state)?;
        let device = account
            .mfa_device(&input.serial_number)
            .ok_or_else(|| no_such_device(&input.serial_number))?;
        if device.user.is_some() {
            return Err(Error::EntityAlreadyExists(
                "MFA Device is already in use.".to_owned(),
            ));
        }
        if account.mfa_devices_of(&user.id).count() >= DEVICES_PER_USER {
            return Err(Error::LimitExceeded(format!(
                "Cannot exceed quota for MFADevicesPerUser: {DEVICES_PER_USER}"
            )));
        }
        check_consecutive(
            cx,
            device,
            &input.authentication_code1,
            &input.authentication_code2,
        )?;
        let mut enabled = device.clone();
        enabled.user = Some(user.id.clone());
        enabled.enabled = Some(cx.service.now());
        Ok((vec![Mutation::MfaDevice(enabled)], ()))
    })
}

/// ResyncMFADevice: two consecutive codes of a user's device. Warden's clock is the only
/// clock a virtual device follows, so there is no drift to record: the codes are checked
/// and used.
fn resync_mfa_device(cx: &Cx<'_>, input: CodesInput) -> Result<(), Error> {
    cx.service.read(|state| {
        let user = authorized_user(cx, state, "iam:ResyncMFADevice", &input.user_name, &[])?;
        let device = account(cx, state)?
            .mfa_device(&input.serial_number)
            .filter(|d| d.user.as_deref() == Some(user.id.as_str()))
            .ok_or_else(|| no_such_device(&input.serial_number))?;
        check_consecutive(
            cx,
            device,
            &input.authentication_code1,
            &input.authentication_code2,
        )
    })
}

/// The user an MFA operation without UserName is about: the calling IAM user.
fn caller_user_name(cx: &Cx<'_>, state: &State) -> Result<Option<String>, Error> {
    match cx.caller.identity.acting_user() {
        Some(id) => account(cx, state)?
            .user_by_id(id)
            .map(|u| Some(u.name.clone()))
            .ok_or_else(|| Error::Internal("the caller's user is gone".to_owned())),
        None if cx.caller.identity.acts_as_root() => Ok(None),
        None => Err(non_user_credentials()),
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct DeactivateInput {
    user_name: Option<String>,
    serial_number: String,
}

/// DeactivateMFADevice: unassigns a device from its user (the device is kept).
fn deactivate_mfa_device(cx: &Cx<'_>, input: DeactivateInput) -> Result<(), Error> {
    cx.service.write(|state| {
        let name = match input.user_name {
            Some(name) => name,
            None => {
                caller_user_name(cx, state)?.ok_or_else(|| no_such_device(&input.serial_number))?
            }
        };
        let user = authorized_user(cx, state, "iam:DeactivateMFADevice", &name, &[])?;
        let device = account(cx, state)?
            .mfa_device(&input.serial_number)
            .filter(|d| d.user.as_deref() == Some(user.id.as_str()))
            .ok_or_else(|| {
                Error::NoSuchEntity(format!(
                    "MFA Device with serial number {} does not exist.",
                    input.serial_number
                ))
            })?;
        let mut deactivated = device.clone();
        deactivated.user = None;
        deactivated.enabled = None;
        Ok((vec![Mutation::MfaDevice(deactivated)], ()))
    })
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct DeleteInput {
    serial_number: String,
}

/// DeleteVirtualMFADevice: only an unassigned device. Needs `iam:DeleteVirtualMFADevice` on
/// the device's ARN.
fn delete_virtual_mfa_device(cx: &Cx<'_>, input: DeleteInput) -> Result<(), Error> {
    cx.service.write(|state| {
        cx.authorize(
            state,
            "iam:DeleteVirtualMFADevice",
            &input.serial_number,
            &[],
            &[],
        )?;
        let device = account(cx, state)?
            .mfa_device(&input.serial_number)
            .ok_or_else(|| no_such_device(&input.serial_number))?;
        if device.user.is_some() {
            return Err(Error::DeleteConflict(
                "MFA Device is still in use".to_owned(),
            ));
        }
        Ok((
            vec![Mutation::DeleteMfaDevice {
                account: device.account.clone(),
                serial: device.serial.clone(),
            }],
            (),
        ))
    })
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ListInput {
    user_name: Option<String>,
    marker: Option<String>,
    max_items: Option<i64>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct WireMfaDevice {
    user_name: String,
    serial_number: String,
    enable_date: String,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct ListOutput {
    #[serde(rename = "MFADevices")]
    mfa_devices: Vec<WireMfaDevice>,
    is_truncated: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    marker: Option<String>,
}

/// ListMFADevices: a user's devices (the caller's without UserName; the root user has none
/// in Warden).
fn list_mfa_devices(cx: &Cx<'_>, input: ListInput) -> Result<ListOutput, Error> {
    cx.service.read(|state| {
        let name = match input.user_name {
            Some(name) => Some(name),
            None => caller_user_name(cx, state)?,
        };
        let Some(name) = name else {
            let root = format!("arn:aws:iam::{}:root", cx.caller.account);
            cx.authorize(state, "iam:ListMFADevices", &root, &[], &[])?;
            return Ok(ListOutput {
                mfa_devices: Vec::new(),
                is_truncated: false,
                marker: None,
            });
        };
        let user = authorized_user(cx, state, "iam:ListMFADevices", &name, &[])?;
        let devices = account(cx, state)?
            .mfa_devices_of(&user.id)
            .map(|d| (d.serial.to_lowercase(), d));
        let page = super::paginate(
            cx,
            &[&user.id],
            devices,
            input.marker.as_deref(),
            input.max_items,
        )?;
        Ok(ListOutput {
            is_truncated: page.is_truncated(),
            mfa_devices: page
                .items
                .iter()
                .map(|d| WireMfaDevice {
                    user_name: user.name.clone(),
                    serial_number: d.serial.clone(),
                    enable_date: iso8601(d.enabled.unwrap_or(d.created)),
                })
                .collect(),
            marker: page.marker,
        })
    })
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ListVirtualInput {
    assignment_status: Option<String>,
    marker: Option<String>,
    max_items: Option<i64>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct ListVirtualOutput {
    #[serde(rename = "VirtualMFADevices")]
    virtual_mfa_devices: Vec<WireVirtualDevice>,
    is_truncated: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    marker: Option<String>,
}

/// ListVirtualMFADevices: the account's virtual devices (never their seeds), filtered by
/// AssignmentStatus (Assigned, Unassigned, Any).
fn list_virtual_mfa_devices(
    cx: &Cx<'_>,
    input: ListVirtualInput,
) -> Result<ListVirtualOutput, Error> {
    cx.service.read(|state| {
        cx.authorize(state, "iam:ListVirtualMFADevices", "*", &[], &[])?;
        let wanted = match input.assignment_status.as_deref().unwrap_or("Any") {
            "Assigned" => Some(true),
            "Unassigned" => Some(false),
            _ => None,
        };
        let account = account(cx, state)?;
        let page = super::paginate_map(
            cx,
            &[input.assignment_status.as_deref().unwrap_or("Any")],
            &account.mfa_devices,
            |d| wanted.is_none_or(|assigned| d.user.is_some() == assigned),
            input.marker.as_deref(),
            input.max_items,
        )?;
        Ok(ListVirtualOutput {
            is_truncated: page.is_truncated(),
            virtual_mfa_devices: page
                .items
                .iter()
                .map(|d| WireVirtualDevice {
                    serial_number: d.serial.clone(),
                    base32_string_seed: None,
                    user: d
                        .user
                        .as_deref()
                        .and_then(|id| account.user_by_id(id))
                        .map(|u| WireUser::new(u, false)),
                    enable_date: d.enabled.map(iso8601),
                    tags: wire_tags(&d.tags),
                })
                .collect(),
            marker: page.marker,
        })
    })
}
