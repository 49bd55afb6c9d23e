//! Virtual MFA devices: CreateVirtualMFADevice (with the seed's QR code as a PNG),
//! EnableMFADevice, ResyncMFADevice, DeactivateMFADevice, DeleteVirtualMFADevice,
//! GetMFADevice, ListMFADevices, ListVirtualMFADevices, TagMFADevice, UntagMFADevice,
//! ListMFADeviceTags; the one-time-code check STS uses (AssumeRole and GetSessionToken with
//! SerialNumber and TokenCode); and the root user's device, which the console enrols and
//! checks at sign-in ([`Service::enable_root_mfa_device`], [`Service::use_root_mfa_code`]).
//! Seeds are sealed at rest and leave Warden once, in CreateVirtualMFADevice's answer.
//!
//! A device is enabled for an IAM user (`MfaDevice::user` holds the user's unique id) or for
//! the account's root user (`MfaDevice::ROOT`).
//!
//! Every code check is a write: under the writer lock the `Service`'s `MfaCodes` reads the
//! device's code use and decides, and the new one is committed before the caller learns the
//! answer, so a code is accepted once (see `mfa_codes`). A locked device answers as a wrong
//! code does.

mod qr_png;

use serde::{Deserialize, Serialize};

use super::tags::{ListTagsOutput, list_tags, remove_tags, untag_context};
use super::users::{WireUser, account, authorized_user, non_user_credentials};
use super::{WireTag, check_path, merge_tags, tags_from_wire, wire_tags};
use crate::action::Action;
use crate::arn::{Arn, EntityKind};
use crate::authz::{Resource, request_tag_keys};
use crate::caller::Caller;
use crate::error::Error;
use crate::mfa_codes::CodeCheck;
use crate::model::{MfaDevice, Tag, UniqueId};
use crate::secret::Secret;
use crate::service::{Cx, Service};
use crate::state::{AccountState, Mutation, State};
use crate::time::{Timestamp, iso8601};
use crate::totp;

/// AWS's quota of MFA devices per user.
pub const DEVICES_PER_USER: usize = 8;

/// The longest VirtualMFADeviceName AWS accepts (its QR code then still fits easily).
const MAX_DEVICE_NAME: usize = 226;

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

/// STS's MFA check: `serial` must be an MFA device enabled for the calling IAM user (or
/// root user) and `code` its current code, not used before. The outcome is committed before
/// this returns (see the module's documentation). Returns when authentication took place.
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
    let owner = match cx.caller.identity.acting_user() {
        Some(user) => user,
        None if cx.caller.identity.acts_as_root() => MfaDevice::ROOT,
        None => return Err(unknown()),
    };
    let check = cx.service.write(|state| {
        let device = state
            .account(&cx.caller.account)
            .and_then(|a| a.mfa_device(serial))
            .filter(|d| d.user.as_deref() == Some(owner))
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
    #[serde(rename = "QRCodePNG", skip_serializing_if = "Option::is_none")]
    qr_code_png: Option<String>,
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
/// base64 of its base32 text and as a QR code of `otpauth://totp/NAME@ACCOUNT?secret=SEED`
/// (ACCOUNT: the account's alias, else its id), a PNG in base64. Needs
/// `iam:CreateVirtualMFADevice` on the device's ARN.
pub(super) fn create_virtual_mfa_device(
    cx: &Cx<'_>,
    input: CreateInput,
) -> Result<CreateOutput, Error> {
    if input.virtual_mfa_device_name.chars().count() > MAX_DEVICE_NAME {
        return Err(Error::ValidationError(format!(
            "1 validation error detected: Value at 'virtualMFADeviceName' failed to satisfy constraint: Member must have length less than or equal to {MAX_DEVICE_NAME}"
        )));
    }
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
        let account_name = account
            .account
            .as_ref()
            .and_then(|a| a.alias.as_deref())
            .unwrap_or(&cx.caller.account);
        let uri = qr_png::otpauth_uri(
            &input.virtual_mfa_device_name,
            account_name,
            device.seed.expose(),
        );
        let png = qr_png::qr_png(&uri)?;
        let output = CreateOutput {
            virtual_mfa_device: WireVirtualDevice {
                serial_number: serial,
                base32_string_seed: Some(totp::base64_encode(device.seed.expose().as_bytes())),
                qr_code_png: Some(totp::base64_encode(&png)),
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
        enable(
            cx.service,
            state,
            account(cx, state)?,
            &input.serial_number,
            &user.id,
            [&input.authentication_code1, &input.authentication_code2],
        )
    })?;
    check.settle(invalid_codes)
}

/// The decision of enabling the unassigned device `serial` of `account` for `owner` (a
/// user's unique id or [`MfaDevice::ROOT`]), proven by two consecutive codes: the code use
/// to record, and the device enabled if they are right.
fn enable(
    service: &Service,
    state: &State,
    account: &AccountState,
    serial: &str,
    owner: &str,
    codes: [&str; 2],
) -> Result<(Vec<Mutation>, CodeCheck), Error> {
    let device = account
        .mfa_device(serial)
        .ok_or_else(|| no_such_device(serial))?;
    if device.user.is_some() {
        return Err(Error::EntityAlreadyExists(
            "MFA Device is already in use.".to_owned(),
        ));
    }
    if account.mfa_devices_of(owner).count() >= DEVICES_PER_USER {
        return Err(Error::LimitExceeded(format!(
            "Cannot exceed quota for MFADevicesPerUser: {DEVICES_PER_USER}"
        )));
    }
    let (usage, check) = service.mfa.check(state, device, &codes)?;
    let mut mutations: Vec<Mutation> = usage.into_iter().collect();
    if check.accepted {
        let mut enabled = device.clone();
        enabled.user = Some(UniqueId::new(owner));
        enabled.enabled = Some(service.now());
        mutations.push(Mutation::MfaDevice(enabled));
    }
    Ok((mutations, check))
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

/// Whose devices an MFA operation is about, once authorized: a user's, or the root user's.
struct Owner<'s> {
    /// The unique id the devices hold (`MfaDevice::user`).
    id: &'s str,
    /// The name ListMFADevices and GetMFADevice show (empty for the root user, as GetUser's).
    name: String,
}

/// The owner of the devices an operation taking an optional UserName is about, after
/// authorizing `action` on it: the named user, else the calling IAM user, else (for the
/// root user's credentials) the root user, on the account's root ARN.
fn authorized_owner<'s>(
    cx: &Cx<'_>,
    state: &'s State,
    action: &str,
    user_name: Option<&str>,
) -> Result<Owner<'s>, Error> {
    let name = match user_name {
        Some(name) => Some(name.to_owned()),
        None => caller_user_name(cx, state)?,
    };
    match name {
        Some(name) => {
            let user = authorized_user(cx, state, action, &name, &[])?;
            Ok(Owner {
                id: &user.id,
                name: user.name.to_string(),
            })
        }
        None => {
            let root = Arn::root(&cx.caller.account).build();
            cx.authorize(state, action, &root, &[], &[])?;
            Ok(Owner {
                id: MfaDevice::ROOT,
                name: String::new(),
            })
        }
    }
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

/// DeactivateMFADevice: unassigns a device from its user (the device is kept). The root user
/// deactivates its own device without UserName.
pub(super) fn deactivate_mfa_device(cx: &Cx<'_>, input: DeactivateInput) -> Result<(), Error> {
    cx.service.write(|state| {
        let owner = authorized_owner(
            cx,
            state,
            Action::DeactivateMFADevice.iam_action(),
            input.user_name.as_deref(),
        )?;
        let device = account(cx, state)?
            .mfa_device(&input.serial_number)
            .filter(|d| d.user.as_deref() == Some(owner.id))
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

/// ListMFADevices: a user's devices (the caller's without UserName: the root user's for the
/// root user).
pub(super) fn list_mfa_devices(cx: &Cx<'_>, input: ListInput) -> Result<ListOutput, Error> {
    cx.service.read(|state| {
        let owner = authorized_owner(
            cx,
            state,
            Action::ListMFADevices.iam_action(),
            input.user_name.as_deref(),
        )?;
        let devices = account(cx, state)?
            .mfa_devices_of(owner.id)
            .map(|d| (d.serial.to_lowercase(), d));
        let page = super::paginate(
            cx,
            &[owner.id],
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
                    user_name: owner.name.clone(),
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
                    qr_code_png: None,
                    user: match d.user.as_deref() {
                        Some(MfaDevice::ROOT) => Some(WireUser::root(
                            &cx.caller.account,
                            account.account.as_ref().map_or(0, |a| a.created),
                        )),
                        Some(id) => account.user_by_id(id).map(|u| WireUser::new(u, false)),
                        None => None,
                    },
                    enable_date: d.enabled.map(iso8601),
                    tags: wire_tags(&d.tags),
                })
                .collect(),
            marker: page.marker,
        })
    })
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct GetInput {
    serial_number: String,
    user_name: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct GetOutput {
    #[serde(skip_serializing_if = "Option::is_none")]
    user_name: Option<String>,
    serial_number: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    enable_date: Option<String>,
}

/// GetMFADevice: a device of a user (the caller's without UserName: the root user's for the
/// root user), authorized on that user as ListMFADevices is. A virtual device has no
/// certifications (AWS lists those of FIDO security keys only). Without UserName an
/// unassigned device is shown too, by its serial number alone; a device of anyone else is
/// NoSuchEntity.
pub(super) fn get_mfa_device(cx: &Cx<'_>, input: GetInput) -> Result<GetOutput, Error> {
    cx.service.read(|state| {
        let owner = authorized_owner(
            cx,
            state,
            Action::GetMFADevice.iam_action(),
            input.user_name.as_deref(),
        )?;
        let device = account(cx, state)?
            .mfa_device(&input.serial_number)
            .filter(|d| match d.user.as_deref() {
                Some(id) => id == owner.id,
                None => input.user_name.is_none(),
            })
            .ok_or_else(|| {
                Error::NoSuchEntity(format!(
                    "MFA Device with serial number {} does not exist.",
                    input.serial_number
                ))
            })?;
        Ok(GetOutput {
            user_name: device.user.as_ref().map(|_| owner.name.clone()),
            serial_number: device.serial.clone(),
            enable_date: device.enabled.map(iso8601),
        })
    })
}

/// The device `serial` names, after authorizing `action` on its ARN (its own, with its tags,
/// whatever case `serial` is given in; as given when there is none).
fn authorized_device<'s>(
    cx: &Cx<'_>,
    state: &'s State,
    action: &str,
    serial: &str,
    extra: &[(String, warden_policy::ContextValue)],
) -> Result<&'s MfaDevice, Error> {
    let account = account(cx, state)?;
    cx.authorize_resolved(state, action, account.mfa_device(serial), serial, extra)?
        .ok_or_else(|| no_such_device(serial))
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct TagInput {
    serial_number: String,
    #[serde(default)]
    tags: Vec<WireTag>,
}

/// TagMFADevice: adds tags to a virtual device (same keys are overwritten), at most 50 in all.
pub(super) fn tag_mfa_device(cx: &Cx<'_>, input: TagInput) -> Result<(), Error> {
    let tags = tags_from_wire(&input.tags)?;
    cx.service.write(|state| {
        let device = authorized_device(
            cx,
            state,
            Action::TagMFADevice.iam_action(),
            &input.serial_number,
            &request_tag_keys(&tags),
        )?;
        let mut updated = device.clone();
        updated.tags = merge_tags(&device.tags, tags.clone())?;
        Ok((vec![Mutation::MfaDevice(updated)], ()))
    })
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct UntagInput {
    serial_number: String,
    #[serde(default)]
    tag_keys: Vec<String>,
}

/// UntagMFADevice: removes the tags of the keys given (keys it does not have are ignored).
pub(super) fn untag_mfa_device(cx: &Cx<'_>, input: UntagInput) -> Result<(), Error> {
    cx.service.write(|state| {
        let device = authorized_device(
            cx,
            state,
            Action::UntagMFADevice.iam_action(),
            &input.serial_number,
            &untag_context(&input.tag_keys),
        )?;
        let mut updated = device.clone();
        updated.tags = remove_tags(&device.tags, &input.tag_keys);
        Ok((vec![Mutation::MfaDevice(updated)], ()))
    })
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct ListTagsInput {
    serial_number: String,
    marker: Option<String>,
    max_items: Option<i64>,
}

/// ListMFADeviceTags: a virtual device's tags, by key.
pub(super) fn list_mfa_device_tags(
    cx: &Cx<'_>,
    input: ListTagsInput,
) -> Result<ListTagsOutput, Error> {
    cx.service.read(|state| {
        let device = authorized_device(
            cx,
            state,
            Action::ListMFADeviceTags.iam_action(),
            &input.serial_number,
            &[],
        )?;
        list_tags(
            cx,
            &device.serial.to_lowercase(),
            &device.tags,
            input.marker.as_deref(),
            input.max_items,
        )
    })
}

/// The root user's virtual MFA device, for the console: the root user signs in with a
/// password and then, once it has a device, a code of it.
impl Service {
    /// Enables the unassigned virtual MFA device `serial` of `account` (made by the root user
    /// with CreateVirtualMFADevice) for the account's root user, proven by two consecutive
    /// codes. Answers as EnableMFADevice does: NoSuchEntity, EntityAlreadyExists for a device
    /// in use, InvalidAuthenticationCode for wrong codes (which count towards the device's
    /// lockout).
    pub fn enable_root_mfa_device(
        &self,
        account: &str,
        serial: &str,
        code1: &str,
        code2: &str,
    ) -> Result<(), Error> {
        let check = self.write(|state| {
            let found = state
                .account(account)
                .ok_or_else(|| Error::NoSuchEntity(format!("account {account} does not exist")))?;
            enable(self, state, found, serial, MfaDevice::ROOT, [code1, code2])
        })?;
        check.settle(invalid_codes)
    }

    /// The serial numbers of the virtual MFA devices enabled for `account`'s root user: when
    /// there is one, signing in as the root user needs a code of it.
    pub fn root_mfa_devices(&self, account: &str) -> Result<Vec<String>, Error> {
        self.read(|state| {
            Ok(state
                .account(account)
                .map(|a| {
                    a.mfa_devices_of(MfaDevice::ROOT)
                        .map(|d| d.serial.clone())
                        .collect()
                })
                .unwrap_or_default())
        })
    }

    /// Checks `code`, a code of the root user's device `serial` (of its only device when
    /// `None`), at sign-in: accepted once (its step is recorded before this returns, as
    /// for STS), wrong codes counting towards the device's lockout. Returns when MFA took
    /// place. Refused with InvalidAuthenticationCode, also when the root user has no such
    /// device.
    pub fn use_root_mfa_code(
        &self,
        account: &str,
        serial: Option<&str>,
        code: &str,
    ) -> Result<Timestamp, Error> {
        let check = self.write(|state| {
            let found = state.account(account).ok_or_else(invalid_codes)?;
            let device = match serial {
                Some(serial) => found.mfa_device(serial).filter(|d| d.is_root()),
                None => {
                    let mut devices = found.mfa_devices_of(MfaDevice::ROOT);
                    match (devices.next(), devices.next()) {
                        (Some(only), None) => Some(only),
                        _ => None,
                    }
                }
            }
            .ok_or_else(invalid_codes)?;
            let (usage, check) = self.mfa.check(state, device, &[code])?;
            Ok((usage.into_iter().collect(), check))
        })?;
        check.settle(invalid_codes)?;
        Ok(self.now())
    }
}

/// A signed-in principal's virtual MFA device, for the console: an IAM user or the root user
/// with an enabled device gives a code of it after the password.
impl Service {
    /// The serial numbers of the MFA devices enabled for `caller` (an IAM user or the root
    /// user; none for anyone else).
    pub fn mfa_devices_of(&self, caller: &Caller) -> Result<Vec<String>, Error> {
        let Some(owner) = mfa_owner(caller) else {
            return Ok(Vec::new());
        };
        self.read(|state| {
            Ok(state
                .account(&caller.account)
                .map(|a| a.mfa_devices_of(owner).map(|d| d.serial.clone()).collect())
                .unwrap_or_default())
        })
    }

    /// Checks `code`, a code of one of `caller`'s enabled MFA devices, at sign-in, as
    /// [`Service::use_root_mfa_code`] does for the root user: accepted once, wrong codes
    /// counting towards the device's lockout. Returns when MFA took place, or
    /// InvalidAuthenticationCode.
    pub fn use_sign_in_mfa_code(&self, caller: &Caller, code: &str) -> Result<Timestamp, Error> {
        let owner = mfa_owner(caller).ok_or_else(invalid_codes)?;
        let check = self.write(|state| {
            let found = state.account(&caller.account).ok_or_else(invalid_codes)?;
            let mut devices = found.mfa_devices_of(owner);
            let device = match (devices.next(), devices.next()) {
                (Some(only), None) => only,
                _ => return Err(invalid_codes()),
            };
            let (usage, check) = self.mfa.check(state, device, &[code])?;
            Ok((usage.into_iter().collect(), check))
        })?;
        check.settle(invalid_codes)?;
        Ok(self.now())
    }
}

/// Whose devices `caller`'s are: its IAM user's unique id, or [`MfaDevice::ROOT`].
fn mfa_owner(caller: &Caller) -> Option<&str> {
    match caller.identity.acting_user() {
        Some(user) => Some(user.as_str()),
        None if caller.identity.acts_as_root() => Some(MfaDevice::ROOT),
        None => None,
    }
}
