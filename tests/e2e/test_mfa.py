"""Virtual MFA devices and MFA in STS through boto3 against a real server: a device created,
enabled with two consecutive TOTP codes (computed here, RFC 6238), a role whose trust policy
requires MFA, GetSessionToken credentials that reach IAM only with MFA, the conflicts that
keep an assigned device and its user, the lockout after five wrong codes, and codes that stay
used across a restart."""

import base64
import hashlib
import hmac
import datetime
import struct
import time
import urllib.request

import botocore.auth

import pytest
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
