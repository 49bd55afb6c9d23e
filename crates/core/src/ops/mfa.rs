//! Virtual MFA devices: CreateVirtualMFADevice, EnableMFADevice, ResyncMFADevice,
//! DeactivateMFADevice, DeleteVirtualMFADevice, ListMFADevices, ListVirtualMFADevices; and
//! the one-time-code check STS uses (AssumeRole and GetSessionToken with SerialNumber and
//! TokenCode). Seeds are sealed at rest and leave Warden once, in CreateVirtualMFADevice's
//! answer.
//!
//! Every code check is a write: under the writer lock the `Service`'s `MfaCodes` reads the
//! device's code use and decides, and the new one is committed before the caller learns the
//! answer, so a code is accepted once (see `mfa_codes`). A locked device answers as a wrong
//! code does.

use serde::{Deserialize, Serialize};

use super::users::{WireUser, account, authorized_user, non_user_credentials};
use super::{WireTag, check_path, tags_from_wire, wire_tags};
use crate::action::Action;
use crate::arn::{Arn, EntityKind};
use crate::authz::{Resource, request_tag_keys};
use crate::error::Error;
use crate::model::{MfaDevice, Tag};
use crate::secret::Secret;
use crate::service::Cx;
use crate::state::{Mutation, State};
use crate::time::{Timestamp, iso8601};
use crate::totp;

/// AWS's quota of MFA devices per user.
pub const DEVICES_PER_USER: usize = 8;

fn no_such_device(serial: &str) -> Error {
    Error::NoSuchEntity(format!(
        "VirtualMFADevice with serial number {serial} doesn't exist."
    ))
}

fn invalid_codes() -> Error {
    Error::InvalidAuthenticationCode("Authentication code for device is not valid.".to_owned())
}

/// STS's MFA check when a request gives a serial number or a code (AssumeRole,
/// GetSessionToken): `None` when it gives neither, else [`use_caller_code`]'s answer.
pub(crate) fn use_caller_code_if_given(
    cx: &Cx<'_>,
    serial: Option<&str>,
    code: Option<&str>,
) -> Result<Option<Timestamp>, Error> {
    if serial.is_none() && code.is_none() {
        return Ok(None);
    }
    use_caller_code(cx, serial, code).map(Some)
}

/// STS's MFA check: `serial` must be an MFA device enabled for the calling IAM user and
/// `code` its current code, not used before. The outcome is committed before this returns
/// (see the module's documentation). Returns when authentication took place.
fn use_caller_code(
    cx: &Cx<'_>,
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
    let check = cx.service.write(|state| {
        let device = state
            .account(&cx.caller.account)
            .and_then(|a| a.mfa_device(serial))
            .filter(|d| d.user.as_deref() == Some(user))
            .ok_or_else(unknown)?;
        let (usage, check) = cx.service.mfa.check(state, device, &[code])?;
        Ok((usage.into_iter().collect(), check))
    })?;
    check.settle(|| {
        Error::AccessDenied(
            "MultiFactorAuthentication failed with invalid MFA one time pass code. ".to_owned(),
        )
    })?;
    Ok(cx.service.now())
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct CreateInput {
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
pub(super) struct CreateOutput {
    #[serde(rename = "VirtualMFADevice")]
    virtual_mfa_device: WireVirtualDevice,
}

/// CreateVirtualMFADevice: a new device with a random 160-bit seed, returned once as the
/// base64 of its base32 text. Needs `iam:CreateVirtualMFADevice` on the device's ARN.
pub(super) fn create_virtual_mfa_device(
    cx: &Cx<'_>,
    input: CreateInput,
) -> Result<CreateOutput, Error> {
    let path = input.path.unwrap_or_else(|| "/".to_owned());
    let tags = tags_from_wire(&input.tags)?;
    cx.service.write(|state| {
        let serial = Arn::entity(
            &cx.caller.account,
            EntityKind::Mfa,
            &path,
            &input.virtual_mfa_device_name,
        )
        .build();
        cx.authorize(
            state,
            Action::CreateVirtualMFADevice.iam_action(),
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
            account: cx.caller.account,
            name: input.virtual_mfa_device_name.clone(),
            path: path.clone(),
            created: cx.service.now(),
            seed: Secret::new(totp::base32_encode(&raw)),
            user: None,
            enabled: None,
            tags: tags.clone(),
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
pub(super) struct CodesInput {
    user_name: String,
    serial_number: String,
    authentication_code1: String,
    authentication_code2: String,
}

/// EnableMFADevice: assigns an unassigned device to a user, proven by two consecutive codes.
/// Wrong codes count towards the device's lockout.
pub(super) fn enable_mfa_device(cx: &Cx<'_>, input: CodesInput) -> Result<(), Error> {
    let check = cx.service.write(|state| {
        let user = authorized_user(
            cx,
            state,
            Action::EnableMFADevice.iam_action(),
            &input.user_name,
            &[],
        )?;
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
        let (usage, check) = cx.service.mfa.check(
            state,
            device,
            &[&input.authentication_code1, &input.authentication_code2],
        )?;
        let mut mutations: Vec<Mutation> = usage.into_iter().collect();
        if check.accepted {
            let mut enabled = device.clone();
            enabled.user = Some(user.id.clone());
            enabled.enabled = Some(cx.service.now());
            mutations.push(Mutation::MfaDevice(enabled));
        }
        Ok((mutations, check))
    })?;
    check.settle(invalid_codes)
}

/// ResyncMFADevice: two consecutive codes of a user's device. Warden's clock is the only
/// clock a virtual device follows, so there is no drift to record: the codes are checked
/// and used, and wrong ones count towards the device's lockout.
pub(super) fn resync_mfa_device(cx: &Cx<'_>, input: CodesInput) -> Result<(), Error> {
    let check = cx.service.write(|state| {
        let user = authorized_user(
            cx,
            state,
            Action::ResyncMFADevice.iam_action(),
            &input.user_name,
            &[],
        )?;
        let device = account(cx, state)?
            .mfa_device(&input.serial_number)
            .filter(|d| d.user.as_deref() == Some(user.id.as_str()))
            .ok_or_else(|| no_such_device(&input.serial_number))?;
        let (usage, check) = cx.service.mfa.check(
            state,
            device,
            &[&input.authentication_code1, &input.authentication_code2],
        )?;
        Ok((usage.into_iter().collect(), check))
    })?;
    check.settle(invalid_codes)
}

/// The user an MFA operation without UserName is about: the calling IAM user.
fn caller_user_name(cx: &Cx<'_>, state: &State) -> Result<Option<String>, Error> {
    match cx.caller.identity.acting_user() {
        Some(id) => account(cx, state)?
            .user_by_id(id)
            .map(|u| Some(u.name.to_string()))
            .ok_or_else(|| Error::Internal("the caller's user is gone".to_owned())),
        None if cx.caller.identity.acts_as_root() => Ok(None),
        None => Err(non_user_credentials()),
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct DeactivateInput {
    user_name: Option<String>,
    serial_number: String,
}

/// DeactivateMFADevice: unassigns a device from its user (the device is kept).
pub(super) fn deactivate_mfa_device(cx: &Cx<'_>, input: DeactivateInput) -> Result<(), Error> {
    cx.service.write(|state| {
        let name = match input.user_name.clone() {
            Some(name) => name,
            None => {
                caller_user_name(cx, state)?.ok_or_else(|| no_such_device(&input.serial_number))?
            }
        };
        let user = authorized_user(
            cx,
            state,
            Action::DeactivateMFADevice.iam_action(),
            &name,
            &[],
        )?;
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
pub(super) struct DeleteInput {
    serial_number: String,
}

impl Resource for MfaDevice {
    /// A virtual device's ARN is its serial number.
    fn arn(&self) -> String {
        self.serial.clone()
    }

    fn tags(&self) -> &[Tag] {
        &self.tags
    }
}

/// DeleteVirtualMFADevice: only an unassigned device. Needs `iam:DeleteVirtualMFADevice` on
/// the device's ARN (its own, whatever case the serial number is given in).
pub(super) fn delete_virtual_mfa_device(cx: &Cx<'_>, input: DeleteInput) -> Result<(), Error> {
    cx.service.write(|state| {
        let account = account(cx, state)?;
        let device = cx
            .authorize_resolved(
                state,
                Action::DeleteVirtualMFADevice.iam_action(),
                account.mfa_device(&input.serial_number),
                &input.serial_number,
                &[],
            )?
            .ok_or_else(|| no_such_device(&input.serial_number))?;
        if device.user.is_some() {
            return Err(Error::DeleteConflict(
                "MFA Device is still in use".to_owned(),
            ));
        }
        let mut mutations = vec![Mutation::DeleteMfaDevice {
            account: device.account,
            serial: device.serial.clone(),
        }];
        // Its code use goes with it: a device made again under this name has a new seed.
        if account.mfa_code_use(&device.serial).is_some() {
            mutations.push(Mutation::DeleteMfaCodeUse {
                account: device.account,
                serial: device.serial.clone(),
            });
        }
        Ok((mutations, ()))
    })
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct ListInput {
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
pub(super) struct ListOutput {
    #[serde(rename = "MFADevices")]
    mfa_devices: Vec<WireMfaDevice>,
    is_truncated: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    marker: Option<String>,
}

/// ListMFADevices: a user's devices (the caller's without UserName; the root user has none
/// in Warden).
pub(super) fn list_mfa_devices(cx: &Cx<'_>, input: ListInput) -> Result<ListOutput, Error> {
    cx.service.read(|state| {
        let name = match input.user_name {
            Some(name) => Some(name),
            None => caller_user_name(cx, state)?,
        };
        let Some(name) = name else {
            let root = Arn::root(&cx.caller.account).build();
            cx.authorize(state, Action::ListMFADevices.iam_action(), &root, &[], &[])?;
            return Ok(ListOutput {
                mfa_devices: Vec::new(),
                is_truncated: false,
                marker: None,
            });
        };
        let user = authorized_user(cx, state, Action::ListMFADevices.iam_action(), &name, &[])?;
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
                    user_name: user.name.to_string(),
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
pub(super) struct ListVirtualInput {
    assignment_status: Option<String>,
    marker: Option<String>,
    max_items: Option<i64>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct ListVirtualOutput {
    #[serde(rename = "VirtualMFADevices")]
    virtual_mfa_devices: Vec<WireVirtualDevice>,
    is_truncated: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    marker: Option<String>,
}

/// ListVirtualMFADevices: the account's virtual devices (never their seeds), filtered by
/// AssignmentStatus (Assigned, Unassigned, Any).
pub(super) fn list_virtual_mfa_devices(
    cx: &Cx<'_>,
    input: ListVirtualInput,
) -> Result<ListVirtualOutput, Error> {
    cx.service.read(|state| {
        cx.authorize(
            state,
            Action::ListVirtualMFADevices.iam_action(),
            "*",
            &[],
            &[],
        )?;
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
