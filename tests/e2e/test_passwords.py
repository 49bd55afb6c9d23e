"""Console passwords through boto3 against a started server: login profiles, ChangePassword,
the account password policy and each of its rules, the root password (WARDEN_ROOT_PASSWORD
and `warden root set-password`), and the sign-in check (`warden password check`)."""

import json
import subprocess

import pytest
from botocore.exceptions import ClientError

from conftest import Server, warden_binary

GOOD = "Passw0rd!first"


def error(excinfo):
    e = excinfo.value.response["Error"]
    return e["Code"], e["Message"], excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"]


def account_of(server):
    return server.client("sts").get_caller_identity()["Account"]


def warden(*args, password=None):
    return subprocess.run(
        [warden_binary(), *args],
        input=password,
        capture_output=True,
        text=True,
        timeout=60,
    )


def sign_in(server, account, user, password):
    """The console's sign-in check, run on the (stopped) server's data folder."""
    return warden(
        "password", "check", "--data", str(server.data), "--account", account, "--user-name", user, password=password
    )


def summary(iam):
    return iam.get_account_summary()["SummaryMap"]


def test_login_profile_lifecycle(iam, name):
    iam.create_user(UserName=name)
    created = iam.create_login_profile(UserName=name, Password=GOOD, PasswordResetRequired=True)["LoginProfile"]
    assert created["UserName"] == name
    assert created["PasswordResetRequired"] is True
    assert "CreateDate" in created and "Password" not in created
    got = iam.get_login_profile(UserName=name.upper())["LoginProfile"]
    assert got == created

    with pytest.raises(ClientError) as dup:
        iam.create_login_profile(UserName=name, Password=GOOD)
    assert error(dup) == ("EntityAlreadyExists", f"Login Profile for user {name} already exists.", 409)

    iam.update_login_profile(UserName=name, PasswordResetRequired=False)
    assert iam.get_login_profile(UserName=name)["LoginProfile"]["PasswordResetRequired"] is False
    iam.update_login_profile(UserName=name, Password="Passw0rd!second")
    after = iam.get_login_profile(UserName=name)["LoginProfile"]
    assert after["PasswordResetRequired"] is False and after["CreateDate"] == created["CreateDate"]

    with pytest.raises(ClientError) as conflict:
        iam.delete_user(UserName=name)
    assert error(conflict) == ("DeleteConflict", "Cannot delete entity, must delete login profile first.", 409)

    iam.delete_login_profile(UserName=name)
    for call in (iam.get_login_profile, iam.delete_login_profile):
        with pytest.raises(ClientError) as gone:
            call(UserName=name)
        assert error(gone) == ("NoSuchEntity", f"Login Profile for User {name} cannot be found.", 404)
    with pytest.raises(ClientError) as gone:
        iam.update_login_profile(UserName=name, PasswordResetRequired=True)
    assert error(gone)[0] == "NoSuchEntity"
    iam.delete_user(UserName=name)

    with pytest.raises(ClientError) as nobody:
        iam.create_login_profile(UserName=name, Password=GOOD)
    assert error(nobody) == ("NoSuchEntity", f"The user with name {name} cannot be found.", 404)


def test_bad_parameters_are_validation_errors(iam, name):
    iam.create_user(UserName=name)
    with pytest.raises(ClientError) as long:
        iam.create_login_profile(UserName=name, Password="aB1!" * 33)
    code, message, status = error(long)
    assert (code, status) == ("ValidationError", 400)
    assert "password" in message and "128" in message
    with pytest.raises(ClientError) as bad_char:
        iam.create_login_profile(UserName=name, Password="Passw0rd!\u0100")
    assert error(bad_char)[0] == "ValidationError"
    for setting in ({"MinimumPasswordLength": 129}, {"MaxPasswordAge": 1096}, {"PasswordReusePrevention": 25}):
        with pytest.raises(ClientError) as out_of_range:
            iam.update_account_password_policy(**setting)
        code, message, _ = error(out_of_range)
        assert code == "ValidationError", setting
        assert str(list(setting.values())[0]) in message, message
    with pytest.raises(ClientError) as unknown:
        iam.get_account_password_policy()
    assert error(unknown)[0] == "NoSuchEntity", "a refused update set a policy"
    with pytest.raises(ClientError) as no_user:
        iam.get_login_profile()
    assert error(no_user)[0] == "ValidationError"


def test_without_a_policy_the_default_rules_apply(iam, name):
    iam.create_user(UserName=name)
    for weak, rule in (("Sh0rt!", "minimum length of 8"), ("alllowercase1", "at least three")):
        with pytest.raises(ClientError) as refused:
            iam.create_login_profile(UserName=name, Password=weak)
        code, message, status = error(refused)
        assert (code, status) == ("PasswordPolicyViolation", 400)
        assert rule in message, message
    with pytest.raises(ClientError):
        iam.get_login_profile(UserName=name)
    iam.create_login_profile(UserName=name, Password="lowerUPPER1")
    iam.delete_login_profile(UserName=name)
    iam.delete_user(UserName=name)


def test_the_account_password_policy_and_each_rule(fresh_server, name):
    fresh_server.start()
    iam = fresh_server.client()
    account = account_of(fresh_server)
    missing = f"The Password Policy with domain name {account} cannot be found."
    for call in (iam.get_account_password_policy, iam.delete_account_password_policy):
        with pytest.raises(ClientError) as none:
            call()
        assert error(none) == ("NoSuchEntity", missing, 404)

    iam.update_account_password_policy(
        MinimumPasswordLength=12,
        RequireSymbols=True,
        RequireNumbers=True,
        RequireUppercaseCharacters=True,
        RequireLowercaseCharacters=True,
        AllowUsersToChangePassword=True,
        MaxPasswordAge=90,
        PasswordReusePrevention=3,
        HardExpiry=True,
    )
    policy = iam.get_account_password_policy()["PasswordPolicy"]
    assert policy == {
        "MinimumPasswordLength": 12,
        "RequireSymbols": True,
        "RequireNumbers": True,
        "RequireUppercaseCharacters": True,
        "RequireLowercaseCharacters": True,
        "AllowUsersToChangePassword": True,
        "ExpirePasswords": True,
        "MaxPasswordAge": 90,
        "PasswordReusePrevention": 3,
        "HardExpiry": True,
    }

    iam.create_user(UserName=name)
    for weak, message in (
        ("Sh0rt!pass", "Password should have a minimum length of 12"),
        ("Passw0rdlong12", "Password should have at least one symbol"),
        ("Password!long", "Password should have at least one number"),
        ("passw0rd!long", "Password should have at least one uppercase letter"),
        ("PASSW0RD!LONG", "Password should have at least one lowercase letter"),
    ):
        with pytest.raises(ClientError) as refused:
            iam.create_login_profile(UserName=name, Password=weak)
        assert error(refused) == ("PasswordPolicyViolation", message, 400), weak
    iam.create_login_profile(UserName=name, Password="Passw0rd!long")
    with pytest.raises(ClientError) as refused:
        iam.update_login_profile(UserName=name, Password="short")
    assert error(refused)[0] == "PasswordPolicyViolation"

    # An update replaces the whole policy: what it leaves out goes back to its default.
    iam.update_account_password_policy(MinimumPasswordLength=8)
    policy = iam.get_account_password_policy()["PasswordPolicy"]
    assert policy["MinimumPasswordLength"] == 8 and policy["ExpirePasswords"] is False
    assert "MaxPasswordAge" not in policy and "PasswordReusePrevention" not in policy
    assert not policy["RequireSymbols"] and not policy["AllowUsersToChangePassword"]
    iam.update_account_password_policy()
    assert iam.get_account_password_policy()["PasswordPolicy"]["MinimumPasswordLength"] == 6
    # With a policy, its rules replace the default ones.
    iam.update_login_profile(UserName=name, Password="simple")

    iam.delete_account_password_policy()
    with pytest.raises(ClientError) as gone:
        iam.get_account_password_policy()
    assert error(gone) == ("NoSuchEntity", missing, 404)


def user_with_key_and_password(iam, server, name, password, policy=None):
    iam.create_user(UserName=name)
    key = iam.create_access_key(UserName=name)["AccessKey"]
    if policy is not None:
        iam.put_user_policy(UserName=name, PolicyName="p", PolicyDocument=json.dumps(policy))
    iam.create_login_profile(UserName=name, Password=password, PasswordResetRequired=True)
    return server.client("iam", key["AccessKeyId"], key["SecretAccessKey"])


def test_a_user_changes_its_own_password(fresh_server, name):
    fresh_server.start()
    iam = fresh_server.client()
    account = account_of(fresh_server)
    iam.update_account_password_policy(AllowUsersToChangePassword=True, PasswordReusePrevention=2)
    me = user_with_key_and_password(iam, fresh_server, name, "Passw0rd!one")

    with pytest.raises(ClientError) as wrong:
        me.change_password(OldPassword="Passw0rd!nope", NewPassword="Passw0rd!two")
    assert error(wrong)[0] == "AccessDenied"
    # The current password is one of the last two.
    with pytest.raises(ClientError) as same:
        me.change_password(OldPassword="Passw0rd!one", NewPassword="Passw0rd!one")
    code, message, _ = error(same)
    assert code == "PasswordPolicyViolation" and "PasswordReusePrevention" in message
    with pytest.raises(ClientError) as weak:
        me.change_password(OldPassword="Passw0rd!one", NewPassword="x")
    assert error(weak)[0] == "PasswordPolicyViolation"

    me.change_password(OldPassword="Passw0rd!one", NewPassword="Passw0rd!two")
    # A change by the user itself clears a required reset.
    assert iam.get_login_profile(UserName=name)["LoginProfile"]["PasswordResetRequired"] is False
    with pytest.raises(ClientError) as reused:
        me.change_password(OldPassword="Passw0rd!two", NewPassword="Passw0rd!one")
    assert error(reused)[0] == "PasswordPolicyViolation"
    me.change_password(OldPassword="Passw0rd!two", NewPassword="Passw0rd!three")
    # Three passwords back is outside the last two: allowed again.
    me.change_password(OldPassword="Passw0rd!three", NewPassword="Passw0rd!one")
    # An administrator's reset is held to the same rule.
    with pytest.raises(ClientError) as admin_reuse:
        iam.update_login_profile(UserName=name, Password="Passw0rd!three")
    assert error(admin_reuse)[0] == "PasswordPolicyViolation"

    # The sign-in check sees the current password only.
    assert fresh_server.stop() == 0
    ok = sign_in(fresh_server, account, name, "Passw0rd!one\n")
    assert ok.returncode == 0, ok.stderr
    signed = json.loads(ok.stdout)
    assert signed["Arn"] == f"arn:aws:iam::{account}:user/{name}"
    assert signed["PasswordChange"] is None
    for user, password in ((name, "Passw0rd!three"), (name, "Passw0rd!two"), ("nobody", "Passw0rd!one")):
        refused = sign_in(fresh_server, account, user, password)
        assert refused.returncode == 1
        assert "wrong account, user name or password" in refused.stderr


def test_change_password_needs_the_policy_setting_or_an_allow(fresh_server, name):
    fresh_server.start()
    iam = fresh_server.client()
    account = account_of(fresh_server)
    me = user_with_key_and_password(iam, fresh_server, name, "Passw0rd!one")
    with pytest.raises(ClientError) as denied:
        me.change_password(OldPassword="Passw0rd!one", NewPassword="Passw0rd!two")
    code, message, status = error(denied)
    assert (code, status) == ("AccessDenied", 403)
    assert f"is not authorized to perform: iam:ChangePassword on resource: arn:aws:iam::{account}:user/{name}" in message

    with pytest.raises(ClientError) as hidden:
        me.get_account_password_policy()
    assert error(hidden)[0] == "AccessDenied"
    # AllowUsersToChangePassword grants it, and a view of the policy...
    iam.update_account_password_policy(AllowUsersToChangePassword=True)
    me.change_password(OldPassword="Passw0rd!one", NewPassword="Passw0rd!two")
    assert me.get_account_password_policy()["PasswordPolicy"]["AllowUsersToChangePassword"] is True
    # ...but not over an explicit deny.
    deny = {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "iam:ChangePassword", "Resource": "*"}]}
    iam.put_user_policy(UserName=name, PolicyName="deny", PolicyDocument=json.dumps(deny))
    with pytest.raises(ClientError) as explicit:
        me.change_password(OldPassword="Passw0rd!two", NewPassword="Passw0rd!three")
    assert "explicit deny" in error(explicit)[1]
    iam.delete_user_policy(UserName=name, PolicyName="deny")

    # Without the setting, an identity policy that allows it on the user's own ARN does.
    iam.delete_account_password_policy()
    allow = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": ["iam:ChangePassword", "iam:GetLoginProfile"], "Resource": "arn:aws:iam::*:user/${aws:username}"}
        ],
    }
    iam.put_user_policy(UserName=name, PolicyName="self", PolicyDocument=json.dumps(allow))
    me.change_password(OldPassword="Passw0rd!two", NewPassword="Passw0rd!three")
    # The caller's own profile, when no user is named.
    assert me.get_login_profile()["LoginProfile"]["UserName"] == name


def test_the_root_user_cannot_change_password(iam):
    with pytest.raises(ClientError) as refused:
        iam.change_password(OldPassword="Passw0rd!one", NewPassword="Passw0rd!two")
    assert error(refused) == ("InvalidUserType", "Only IAM Users can change their own password.", 400)


def test_authorization_comes_before_existence(server, make_user, name):
    nobody = name + "missing"
    client, _ = make_user(name)
    calls = (
        lambda: client.get_login_profile(UserName=nobody),
        lambda: client.create_login_profile(UserName=nobody, Password=GOOD),
        lambda: client.update_login_profile(UserName=nobody, PasswordResetRequired=True),
        lambda: client.delete_login_profile(UserName=nobody),
        lambda: client.get_account_password_policy(),
        lambda: client.update_account_password_policy(MinimumPasswordLength=10),
        lambda: client.delete_account_password_policy(),
    )
    for call in calls:
        with pytest.raises(ClientError) as denied:
            call()
        assert error(denied)[0] == "AccessDenied"
    allowed, _ = make_user(
        name + "a",
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "iam:*LoginProfile", "Resource": "*"}]},
    )
    with pytest.raises(ClientError) as missing:
        allowed.get_login_profile(UserName=nobody)
    assert error(missing)[0] == "NoSuchEntity"


def test_root_password_from_the_environment_on_first_start(tmp_path):
    server = Server(tmp_path / "data", env={"WARDEN_ROOT_PASSWORD": "Root-Passw0rd"})
    server.start()
    try:
        account = account_of(server)
        assert summary(server.client())["AccountPasswordPresent"] == 1
        assert "Root-Passw0rd" not in server.log.read_text()
    finally:
        assert server.stop() == 0
    ok = sign_in(server, account, "root", "Root-Passw0rd")
    assert ok.returncode == 0, ok.stderr
    assert json.loads(ok.stdout)["Arn"] == f"arn:aws:iam::{account}:root"
    assert sign_in(server, account, "root", "Root-Passw0rd2").returncode == 1
    for entry in server.data.iterdir():
        if entry.is_file():
            assert b"Root-Passw0rd" not in entry.read_bytes(), entry

    # Later starts keep the password the root user has.
    server.env["WARDEN_ROOT_PASSWORD"] = "Other-Passw0rd"
    server.start()
    server.stop()
    assert sign_in(server, account, "root", "Root-Passw0rd").returncode == 0
    assert sign_in(server, account, "root", "Other-Passw0rd").returncode == 1


def test_a_weak_root_password_from_the_environment_stops_the_start(tmp_path):
    server = Server(tmp_path / "data", env={"WARDEN_ROOT_PASSWORD": "weak"})
    with pytest.raises(RuntimeError) as failed:
        server.start()
    assert "WARDEN_ROOT_PASSWORD" in str(failed.value)


def test_root_set_password_on_a_stopped_server(fresh_server, tmp_path):
    fresh_server.start()
    account = account_of(fresh_server)
    assert summary(fresh_server.client())["AccountPasswordPresent"] == 0
    running = warden("root", "set-password", "--data", str(fresh_server.data), password="Root-Passw0rd\n")
    assert running.returncode == 1 and "in use by a running warden" in running.stderr
    assert fresh_server.stop() == 0

    weak = warden("root", "set-password", "--data", str(fresh_server.data), password="password\n")
    assert weak.returncode == 1 and "Password should" in weak.stderr
    assert sign_in(fresh_server, account, "root", "password").returncode == 1

    done = warden("root", "set-password", "--data", str(fresh_server.data), password="Root-Passw0rd\n")
    assert done.returncode == 0, done.stderr
    file = tmp_path / "password"
    file.write_text("Root-Passw0rd\n")
    checked = warden(
        "password", "check", "--data", str(fresh_server.data), "--account", account, "--user-name", "root",
        "--password-file", str(file),
    )
    assert checked.returncode == 0, checked.stderr
    assert sign_in(fresh_server, account, "root", "Root-Passw0rd ").returncode == 1

    fresh_server.start()
    assert summary(fresh_server.client())["AccountPasswordPresent"] == 1
    # The root password is not a login profile the API shows or changes.
    with pytest.raises(ClientError) as refused:
        fresh_server.client().change_password(OldPassword="Root-Passw0rd", NewPassword="Root-Passw0rd2")
    assert error(refused)[0] == "InvalidUserType"


def test_a_dev_reset_sets_the_root_password_again(tmp_path):
    import urllib.request

    server = Server(tmp_path / "data", extra_args=["--dev"], env={"WARDEN_ROOT_PASSWORD": "Root-Passw0rd"})
    server.start()
    try:
        iam = server.client()
        assert summary(iam)["AccountPasswordPresent"] == 1
        reset = urllib.request.Request(server.endpoint + "/_warden/reset", data=b"", method="POST")
        urllib.request.urlopen(reset, timeout=30)
        assert summary(iam)["AccountPasswordPresent"] == 1
        account = account_of(server)
    finally:
        assert server.stop() == 0
    assert sign_in(server, account, "root", "Root-Passw0rd").returncode == 0
