"""Virtual MFA devices and MFA in STS through boto3 against a real server: a device created,
enabled with two consecutive TOTP codes (computed here, RFC 6238), a role whose trust policy
requires MFA, GetSessionToken credentials that reach IAM only with MFA, the conflicts that
keep an assigned device and its user, the lockout after five wrong codes, and codes that stay
used across a restart; the QR code of a new device (its PNG read here, its code read by
zxing-cpp), GetMFADevice, tags on devices, and the root user's device."""

import base64
import hashlib
import hmac
import datetime
import struct
import time
import urllib.parse
import urllib.request
import zlib

import botocore.auth

import pytest
import zxingcpp
from botocore.exceptions import ClientError

from test_sts import account, allow, as_key, as_session, denied, error, make, trust  # noqa: F401 (fixtures)


def totp(seed, step):
    digest = hmac.new(seed, struct.pack(">q", step), hashlib.sha1).digest()
    offset = digest[19] & 0x0F
    value = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return f"{value % 1_000_000:06d}"


def current_step():
    return int(time.time()) // 30


class Device:
    """A virtual device created by the root user, with its seed and the last step used."""

    def __init__(self, iam, name):
        created = iam.create_virtual_mfa_device(VirtualMFADeviceName=name)["VirtualMFADevice"]
        self.serial = created["SerialNumber"]
        text = created["Base32StringSeed"]
        assert len(text) == 32, text
        self.seed = base64.b32decode(text)
        assert len(self.seed) == 20
        self.last = None

    def enable_codes(self):
        step = current_step()
        self.last = step
        return totp(self.seed, step - 1), totp(self.seed, step)

    def next_code(self):
        """A code not used before: a later step than the last, no further ahead than one."""
        step = self.last + 1
        while step > current_step() + 1:
            time.sleep(0.5)
        step = max(step, current_step())
        self.last = step
        return totp(self.seed, step)


def wrong(code):
    return str((int(code[0]) + 1) % 10) + code[1:]


@pytest.fixture()
def mfa_user(iam, make, name):
    """A user with an access key and an enabled device: (user name, key, device)."""
    key = make.user("-u", allow("iam:ListUsers"), allow("iam:GetUser"))
    device = Device(iam, name + "-phone")
    first, second = device.enable_codes()
    iam.enable_mfa_device(UserName=name + "-u", SerialNumber=device.serial, AuthenticationCode1=first, AuthenticationCode2=second)
    return name + "-u", key, device


def test_a_device_is_created_enabled_and_listed(iam, make, account, name):
    make.user("-u")
    device = Device(iam, name + "-phone")
    assert device.serial == f"arn:aws:iam::{account}:mfa/{name}-phone"
    first, second = device.enable_codes()
    code, _, status = error(
        lambda: iam.enable_mfa_device(UserName=name + "-u", SerialNumber=device.serial, AuthenticationCode1=second, AuthenticationCode2=first)
    )
    assert (code, status) == ("InvalidAuthenticationCode", 403)
    iam.enable_mfa_device(UserName=name + "-u", SerialNumber=device.serial, AuthenticationCode1=first, AuthenticationCode2=second)

    listed = iam.list_mfa_devices(UserName=name + "-u")["MFADevices"]
    assert [d["SerialNumber"] for d in listed] == [device.serial]
    assigned = iam.list_virtual_mfa_devices(AssignmentStatus="Assigned")["VirtualMFADevices"]
    mine = [d for d in assigned if d["SerialNumber"] == device.serial]
    assert mine and mine[0]["User"]["UserName"] == name + "-u"
    assert "Base32StringSeed" not in mine[0]
    unassigned = iam.list_virtual_mfa_devices(AssignmentStatus="Unassigned")["VirtualMFADevices"]
    assert device.serial not in [d["SerialNumber"] for d in unassigned]


def test_a_role_requiring_mfa_is_assumed_only_with_a_valid_code(server, make, mfa_user, account):
    user, key, device = mfa_user
    role = make.role(
        "-r",
        [trust(f"arn:aws:iam::{account}:user/{user}", Condition={"Bool": {"aws:MultiFactorAuthPresent": "true"}})],
        allow("iam:ListUsers"),
    )
    sts = as_key(server, "sts", key)
    denied(lambda: sts.assume_role(RoleArn=role, RoleSessionName="s1"))
    message = denied(lambda: sts.assume_role(RoleArn=role, RoleSessionName="s1", SerialNumber=device.serial, TokenCode=wrong(totp(device.seed, current_step()))))
    assert "invalid MFA one time pass code" in message
    code = device.next_code()
    credentials = sts.assume_role(RoleArn=role, RoleSessionName="s1", SerialNumber=device.serial, TokenCode=code)["Credentials"]
    users = as_session(server, "iam", credentials).list_users()["Users"]
    assert user in [u["UserName"] for u in users]
    # The same code once more is refused.
    message = denied(lambda: sts.assume_role(RoleArn=role, RoleSessionName="s1", SerialNumber=device.serial, TokenCode=code))
    assert "invalid MFA one time pass code" in message


def test_session_credentials_reach_iam_only_with_mfa(server, mfa_user):
    user, key, device = mfa_user
    sts = as_key(server, "sts", key)
    plain = sts.get_session_token()["Credentials"]
    code, _, status = error(lambda: as_session(server, "iam", plain).get_user())
    assert (code, status) == ("InvalidClientTokenId", 403)
    message = denied(lambda: sts.get_session_token(SerialNumber=device.serial, TokenCode=wrong(totp(device.seed, current_step()))))
    assert "MultiFactorAuthentication failed" in message

    with_mfa = sts.get_session_token(SerialNumber=device.serial, TokenCode=device.next_code())["Credentials"]
    assert as_session(server, "iam", with_mfa).get_user()["User"]["UserName"] == user


def test_assigned_devices_and_their_users_are_not_deleted(iam, mfa_user):
    user, _, device = mfa_user
    code, _, status = error(lambda: iam.delete_virtual_mfa_device(SerialNumber=device.serial))
    assert (code, status) == ("DeleteConflict", 409)
    iam.delete_access_key(UserName=user, AccessKeyId=iam.list_access_keys(UserName=user)["AccessKeyMetadata"][0]["AccessKeyId"])
    iam.delete_user_policy(UserName=user, PolicyName="p")
    code, _, status = error(lambda: iam.delete_user(UserName=user))
    assert (code, status) == ("DeleteConflict", 409)
    iam.deactivate_mfa_device(UserName=user, SerialNumber=device.serial)
    assert iam.list_mfa_devices(UserName=user)["MFADevices"] == []
    iam.delete_virtual_mfa_device(SerialNumber=device.serial)
    code, _, _ = error(lambda: iam.delete_virtual_mfa_device(SerialNumber=device.serial))
    assert code == "NoSuchEntity"
    iam.delete_user(UserName=user)
    with pytest.raises(ClientError):
        iam.get_user(UserName=user)


def user_with_device(server, name):
    """A user of `server` with an access key and an enabled device: (STS client, device)."""
    iam = server.client()
    iam.create_user(UserName=name)
    key = iam.create_access_key(UserName=name)["AccessKey"]
    device = Device(iam, name + "-phone")
    first, second = device.enable_codes()
    iam.enable_mfa_device(UserName=name, SerialNumber=device.serial, AuthenticationCode1=first, AuthenticationCode2=second)
    return server.client("sts", key["AccessKeyId"], key["SecretAccessKey"]), device


def test_five_wrong_codes_lock_the_device_for_fifteen_minutes(fresh_server, name, monkeypatch):
    fresh_server.extra_args = ["--dev"]
    fresh_server.start()
    sts, device = user_with_device(fresh_server, name)

    def with_code(code):
        return sts.get_session_token(SerialNumber=device.serial, TokenCode=code)

    wrong_answer = error(lambda: with_code(wrong(totp(device.seed, current_step()))))
    assert wrong_answer[0] == "AccessDenied" and wrong_answer[2] == 403
    assert "invalid MFA one time pass code" in wrong_answer[1]
    for _ in range(4):
        assert error(lambda: with_code(wrong(totp(device.seed, current_step())))) == wrong_answer
    # Locked: the right code gets exactly what a wrong one gets.
    assert error(lambda: with_code(device.next_code())) == wrong_answer
    log = fresh_server.log.read_text()
    assert "MFA device locked" in log and device.serial in log

    # Fifteen minutes later, by the server's clock (and the clock the client signs with).
    request = urllib.request.Request(f"{fresh_server.endpoint}/_warden/clock?advance=900", method="POST")
    with urllib.request.urlopen(request, timeout=5) as response:
        assert response.status == 200
    real = botocore.auth.get_current_datetime
    monkeypatch.setattr(botocore.auth, "get_current_datetime", lambda: real() + datetime.timedelta(seconds=900))
    credentials = with_code(totp(device.seed, (int(time.time()) + 900) // 30))["Credentials"]
    assert credentials["AccessKeyId"].startswith("ASIA")
    assert "MFA device lockout ended" in fresh_server.log.read_text()


def test_a_code_used_before_a_restart_is_refused_after_it(fresh_server, name):
    fresh_server.start()
    sts, device = user_with_device(fresh_server, name)
    code = device.next_code()
    sts.get_session_token(SerialNumber=device.serial, TokenCode=code)
    assert fresh_server.stop() == 0
    fresh_server.start()
    message = denied(lambda: sts.get_session_token(SerialNumber=device.serial, TokenCode=code))
    assert "invalid MFA one time pass code" in message


def read_png(data):
    """The pixels of a PNG as Warden writes it (1-bit grayscale, no interlace), checking its
    chunks' CRCs: (width, height, rows of 0/255)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    at, chunks = 8, []
    while at < len(data):
        (length,) = struct.unpack(">I", data[at : at + 4])
        kind, body = data[at + 4 : at + 8], data[at + 8 : at + 8 + length]
        (crc,) = struct.unpack(">I", data[at + 8 + length : at + 12 + length])
        assert crc == zlib.crc32(kind + body), kind
        chunks.append((kind, body))
        at += 12 + length
    assert [k for k, _ in chunks][0] == b"IHDR" and chunks[-1][0] == b"IEND"
    width, height, depth, color, _, _, interlace = struct.unpack(">IIBBBBB", chunks[0][1])
    assert (depth, color, interlace) == (1, 0, 0)
    raw = zlib.decompress(b"".join(b for k, b in chunks if k == b"IDAT"))
    stride = (width + 7) // 8 + 1
    assert len(raw) == stride * height
    rows = []
    for y in range(height):
        line = raw[y * stride : (y + 1) * stride]
        assert line[0] == 0
        rows.append([255 if line[1 + x // 8] & (0x80 >> (x % 8)) else 0 for x in range(width)])
    return width, height, rows


def qr_text(png):
    width, height, rows = read_png(png)
    # White quiet zone all around; a black finder pattern in the top-left corner.
    assert all(v == 255 for v in rows[0]) and all(r[0] == 255 for r in rows)
    assert 0 in rows[height // 2]
    pixels = memoryview(bytes(v for row in rows for v in row)).cast("B", (height, width))
    found = zxingcpp.read_barcodes(pixels, formats=zxingcpp.BarcodeFormat.QRCode)
    assert len(found) == 1, found
    return found[0].text


def test_a_new_device_comes_with_the_qr_code_of_its_otpauth_uri(iam, account, name):
    created = iam.create_virtual_mfa_device(VirtualMFADeviceName=name + "-qr")["VirtualMFADevice"]
    seed = created["Base32StringSeed"].decode()
    png = created["QRCodePNG"]
    assert qr_text(png) == f"otpauth://totp/{name}-qr@{account}?secret={seed}"
    # Another device: another seed, another picture; neither is shown again.
    other = iam.create_virtual_mfa_device(VirtualMFADeviceName=name + "-qr2", Path="/team/")["VirtualMFADevice"]
    assert qr_text(other["QRCodePNG"]) == f"otpauth://totp/{name}-qr2@{account}?secret={other['Base32StringSeed'].decode()}"
    listed = iam.list_virtual_mfa_devices()["VirtualMFADevices"]
    mine = [d for d in listed if d["SerialNumber"] == created["SerialNumber"]]
    assert mine and "QRCodePNG" not in mine[0] and "Base32StringSeed" not in mine[0]
    # The longest name AWS allows still makes a readable code; a longer one is refused.
    longest = "q" * 226
    made = iam.create_virtual_mfa_device(VirtualMFADeviceName=longest)["VirtualMFADevice"]
    assert qr_text(made["QRCodePNG"]) == f"otpauth://totp/{longest}@{account}?secret={made['Base32StringSeed'].decode()}"
    iam.delete_virtual_mfa_device(SerialNumber=made["SerialNumber"])
    code, message, status = error(lambda: iam.create_virtual_mfa_device(VirtualMFADeviceName="q" * 5000))
    assert (code, status) == ("ValidationError", 400), message


def test_get_mfa_device_for_assigned_and_unassigned_devices(server, iam, make, mfa_user, account, name):
    user, key, device = mfa_user
    got = iam.get_mfa_device(SerialNumber=device.serial, UserName=user)
    assert got["UserName"] == user and got["SerialNumber"] == device.serial
    assert isinstance(got["EnableDate"], datetime.datetime)
    assert "Certifications" not in got
    spare = iam.create_virtual_mfa_device(VirtualMFADeviceName=name + "-spare")["VirtualMFADevice"]["SerialNumber"]
    got = iam.get_mfa_device(SerialNumber=spare)
    assert got["SerialNumber"] == spare and "UserName" not in got and "EnableDate" not in got
    code, message, status = error(lambda: iam.get_mfa_device(SerialNumber=spare, UserName=user))
    assert (code, status) == ("NoSuchEntity", 404)
    assert message == f"MFA Device with serial number {spare} does not exist."
    code, _, _ = error(lambda: iam.get_mfa_device(SerialNumber=device.serial, UserName=name + "-nobody"))
    assert code == "NoSuchEntity"
    # A user without permission is refused before anything is looked up.
    outsider = as_key(server, "iam", make.user("-o"))
    for user_name in (user, name + "-nobody"):
        message = denied(lambda: outsider.get_mfa_device(SerialNumber=device.serial, UserName=user_name))
        assert f"iam:GetMFADevice on resource: arn:aws:iam::{account}:user/{user_name}" in message


def test_tags_on_devices(iam, make, server, account, name):
    serial = iam.create_virtual_mfa_device(
        VirtualMFADeviceName=name + "-t", Tags=[{"Key": "team", "Value": "blue"}, {"Key": "env", "Value": "dev"}]
    )["VirtualMFADevice"]["SerialNumber"]
    listed = iam.list_virtual_mfa_devices()["VirtualMFADevices"]
    assert [d["Tags"] for d in listed if d["SerialNumber"] == serial] == [[{"Key": "team", "Value": "blue"}, {"Key": "env", "Value": "dev"}]]
    assert iam.list_mfa_device_tags(SerialNumber=serial)["Tags"] == [{"Key": "env", "Value": "dev"}, {"Key": "team", "Value": "blue"}]
    iam.tag_mfa_device(SerialNumber=serial, Tags=[{"Key": "TEAM", "Value": "red"}])
    iam.untag_mfa_device(SerialNumber=serial, TagKeys=["env", "absent"])
    assert iam.list_mfa_device_tags(SerialNumber=serial)["Tags"] == [{"Key": "TEAM", "Value": "red"}]

    code, message, status = error(lambda: iam.tag_mfa_device(SerialNumber=serial, Tags=[{"Key": f"k{i}", "Value": "v"} for i in range(50)]))
    assert (code, message, status) == ("LimitExceeded", "Cannot exceed quota for TagsPerResource: 50", 409)
    code, message, _ = error(lambda: iam.tag_mfa_device(SerialNumber=serial, Tags=[{"Key": "aws:x", "Value": "v"}]))
    assert code == "InvalidInput" and "reserved" in message
    assert len(iam.list_mfa_device_tags(SerialNumber=serial)["Tags"]) == 1
    missing = f"arn:aws:iam::{account}:mfa/{name}-missing"
    for call in (
        lambda: iam.list_mfa_device_tags(SerialNumber=missing),
        lambda: iam.tag_mfa_device(SerialNumber=missing, Tags=[{"Key": "a", "Value": "b"}]),
        lambda: iam.untag_mfa_device(SerialNumber=missing, TagKeys=["a"]),
    ):
        code, message, status = error(call)
        assert (code, status) == ("NoSuchEntity", 404)
        assert message == f"VirtualMFADevice with serial number {missing} doesn't exist."

    # Authorized on the device's ARN, with its tags and the request's.
    statement = allow("iam:TagMFADevice", f"arn:aws:iam::{account}:mfa/{name}-*", Condition={"StringEquals": {"aws:ResourceTag/TEAM": "red", "aws:RequestTag/owner": "me"}})
    tagger = as_key(server, "iam", make.user("-tagger", statement))
    tagger.tag_mfa_device(SerialNumber=serial, Tags=[{"Key": "owner", "Value": "me"}])
    message = denied(lambda: tagger.tag_mfa_device(SerialNumber=serial, Tags=[{"Key": "owner", "Value": "you"}]))
    assert f"iam:TagMFADevice on resource: {serial}" in message
    # Denied before existence: no NoSuchEntity for a device the caller may not tag.
    message = denied(lambda: tagger.list_mfa_device_tags(SerialNumber=missing))
    assert missing in message
    assert iam.list_mfa_device_tags(SerialNumber=serial)["Tags"] == [{"Key": "TEAM", "Value": "red"}, {"Key": "owner", "Value": "me"}]


def test_reused_and_out_of_window_codes_are_refused(server, mfa_user):
    _, key, device = mfa_user
    sts = as_key(server, "sts", key)
    code = device.next_code()
    sts.get_session_token(SerialNumber=device.serial, TokenCode=code)
    assert "invalid MFA one time pass code" in denied(lambda: sts.get_session_token(SerialNumber=device.serial, TokenCode=code))
    # Three steps away either side: out of the window.
    for step in (current_step() + 3, current_step() - 3):
        message = denied(lambda: sts.get_session_token(SerialNumber=device.serial, TokenCode=totp(device.seed, step)))
        assert "invalid MFA one time pass code" in message


def test_resync_takes_two_consecutive_codes(iam, mfa_user):
    user, _, device = mfa_user
    now = current_step()
    code, message, status = error(
        lambda: iam.resync_mfa_device(UserName=user, SerialNumber=device.serial, AuthenticationCode1=totp(device.seed, now + 1), AuthenticationCode2=totp(device.seed, now))
    )
    assert (code, message, status) == ("InvalidAuthenticationCode", "Authentication code for device is not valid.", 403)
    while current_step() <= device.last:
        time.sleep(0.5)
    step = current_step()
    device.last = step + 1
    iam.resync_mfa_device(UserName=user, SerialNumber=device.serial, AuthenticationCode1=totp(device.seed, step), AuthenticationCode2=totp(device.seed, step + 1))
    code, _, _ = error(
        lambda: iam.resync_mfa_device(UserName=user, SerialNumber=device.serial, AuthenticationCode1=totp(device.seed, step), AuthenticationCode2=totp(device.seed, step + 1))
    )
    assert code == "InvalidAuthenticationCode"


def test_the_root_users_device(fresh_server, name):
    fresh_server.extra_args = ["--dev"]
    fresh_server.start()
    iam = fresh_server.client()
    account = fresh_server.client("sts").get_caller_identity()["Account"]
    assert iam.get_account_summary()["SummaryMap"]["AccountMFAEnabled"] == 0
    device = Device(iam, "root-phone")

    def enrol(first, second):
        query = urllib.parse.urlencode({"account": account, "serial": device.serial, "code1": first, "code2": second})
        request = urllib.request.Request(f"{fresh_server.endpoint}/_warden/root-mfa?{query}", method="POST")
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as failed:
            return failed.code, failed.read().decode()

    first, second = device.enable_codes()
    status, body = enrol(second, first)
    assert status == 400 and body.startswith("InvalidAuthenticationCode"), body
    assert enrol(first, second)[0] == 200

    assert iam.get_account_summary()["SummaryMap"]["AccountMFAEnabled"] == 1
    assert [d["SerialNumber"] for d in iam.list_mfa_devices()["MFADevices"]] == [device.serial]
    [shown] = iam.list_virtual_mfa_devices(AssignmentStatus="Assigned")["VirtualMFADevices"]
    assert shown["SerialNumber"] == device.serial
    assert shown["User"]["Arn"] == f"arn:aws:iam::{account}:root" and shown["User"]["UserId"] == account
    assert iam.get_mfa_device(SerialNumber=device.serial)["SerialNumber"] == device.serial

    sts = fresh_server.client("sts")
    plain = sts.get_session_token()["Credentials"]
    code, _, _ = error(lambda: as_session(fresh_server, "iam", plain).list_users())
    assert code == "InvalidClientTokenId"
    assert "invalid MFA one time pass code" in denied(lambda: sts.get_session_token(SerialNumber=device.serial, TokenCode=wrong(totp(device.seed, current_step()))))
    with_mfa = sts.get_session_token(SerialNumber=device.serial, TokenCode=device.next_code())["Credentials"]
    as_session(fresh_server, "iam", with_mfa).list_users()

    iam.deactivate_mfa_device(SerialNumber=device.serial)
    assert iam.get_account_summary()["SummaryMap"]["AccountMFAEnabled"] == 0
    assert iam.list_mfa_devices()["MFADevices"] == []
