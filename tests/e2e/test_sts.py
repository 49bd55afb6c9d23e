"""STS end to end: roles assumed with boto3 and the aws CLI, temporary credentials used for
IAM and STS calls, AWS's restrictions on session credentials, sealed tokens, several accounts."""

import datetime
import json
import os
import shutil
import subprocess
import time
import urllib.request

import boto3
import botocore.auth
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from conftest import warden_binary


def doc(*statements):
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def allow(action, resource="*", **extra):
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def trust(principal, actions="sts:AssumeRole", **extra):
    return {"Effect": "Allow", "Principal": {"AWS": principal}, "Action": actions, **extra}


def error(call):
    """The AWS error of a call that must fail: (code, message, HTTP status)."""
    with pytest.raises(ClientError) as raised:
        call()
    response = raised.value.response
    return response["Error"]["Code"], response["Error"]["Message"], response["ResponseMetadata"]["HTTPStatusCode"]


def denied(call):
    code, message, status = error(call)
    assert (code, status) == ("AccessDenied", 403), message
    return message


@pytest.fixture(scope="module")
def account(server):
    return server.client("sts").get_caller_identity()["Account"]


@pytest.fixture()
def make(server, iam, name):
    """Makes users (with an access key) and roles named after the test."""

    class Make:
        def user(self, suffix, *statements):
            user = name + suffix
            iam.create_user(UserName=user)
            if statements:
                iam.put_user_policy(UserName=user, PolicyName="p", PolicyDocument=doc(*statements))
            key = iam.create_access_key(UserName=user)["AccessKey"]
            return key["AccessKeyId"], key["SecretAccessKey"]

        def role(self, suffix, trust_statements, *statements, **extra):
            role = name + suffix
            arn = iam.create_role(RoleName=role, AssumeRolePolicyDocument=doc(*trust_statements), **extra)["Role"]["Arn"]
            if statements:
                iam.put_role_policy(RoleName=role, PolicyName="p", PolicyDocument=doc(*statements))
            return arn

    return Make()


def as_key(server, service, key):
    return server.client(service, key[0], key[1])


def as_session(server, service, credentials):
    return server.client(service, credentials["AccessKeyId"], credentials["SecretAccessKey"], token=credentials["SessionToken"])


def unvalidated(server, service, key):
    """A client that sends parameters botocore would refuse, so that the server answers."""
    return boto3.client(
        service,
        endpoint_url=server.endpoint,
        region_name="us-east-1",
        aws_access_key_id=key[0],
        aws_secret_access_key=key[1],
        config=Config(retries={"max_attempts": 1}, parameter_validation=False),
    )


def cli_session(server, credentials, *args, check=True):
    """The aws CLI signing with temporary credentials."""
    env = dict(os.environ)
    env.update(
        {
            "AWS_ENDPOINT_URL": server.endpoint,
            "AWS_ACCESS_KEY_ID": credentials["AccessKeyId"],
            "AWS_SECRET_ACCESS_KEY": credentials["SecretAccessKey"],
            "AWS_SESSION_TOKEN": credentials["SessionToken"],
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_MAX_ATTEMPTS": "1",
        }
    )
    env.pop("AWS_PROFILE", None)
    result = subprocess.run([shutil.which("aws"), *args, "--output", "json"], env=env, capture_output=True, text=True, timeout=60)
    if check:
        assert result.returncode == 0, result.stderr
        return json.loads(result.stdout) if result.stdout.strip() else None
    return result


def test_assume_a_role_and_use_its_credentials(server, make, account, name):
    user = make.user("u", allow("sts:AssumeRole"))
    arn = make.role("r", [trust(account)], allow("iam:ListUsers"))
    assumed = as_key(server, "sts", user).assume_role(RoleArn=arn, RoleSessionName="build-42")
    credentials = assumed["Credentials"]
    assert credentials["AccessKeyId"].startswith("ASIA")
    assert assumed["AssumedRoleUser"]["Arn"] == f"arn:aws:sts::{account}:assumed-role/{name}r/build-42"
    assert assumed["AssumedRoleUser"]["AssumedRoleId"].startswith("AROA")
    me = as_session(server, "sts", credentials).get_caller_identity()
    assert me["Arn"] == assumed["AssumedRoleUser"]["Arn"]
    assert me["UserId"] == assumed["AssumedRoleUser"]["AssumedRoleId"]
    session_iam = as_session(server, "iam", credentials)
    session_iam.list_users()
    message = denied(lambda: session_iam.list_roles())
    assert message.startswith(f"User: arn:aws:sts::{account}:assumed-role/{name}r/build-42 is not authorized")
    # GetRole shows the role's last use at once.
    used = server.client("iam").get_role(RoleName=name + "r")["Role"]["RoleLastUsed"]
    assert used["Region"] == "us-east-1" and "LastUsedDate" in used


def test_the_aws_cli_assumes_a_role_and_signs_with_the_session(server, make, account, name):
    user = make.user("u", allow("sts:AssumeRole"))
    arn = make.role("r", [trust(account)], allow("iam:ListUsers"))
    assumed = server.cli("sts", "assume-role", "--role-arn", arn, "--role-session-name", "cli", key_id=user[0], secret=user[1])
    credentials = assumed["Credentials"]
    me = cli_session(server, credentials, "sts", "get-caller-identity")
    assert me["Arn"] == f"arn:aws:sts::{account}:assumed-role/{name}r/cli"
    cli_session(server, credentials, "iam", "list-users")
    refused = cli_session(server, credentials, "iam", "list-roles", check=False)
    assert refused.returncode != 0 and "AccessDenied" in refused.stderr


def test_a_removed_permission_is_denied_to_live_sessions_at_once(server, iam, make, account, name):
    user = make.user("u", allow("sts:AssumeRole"))
    arn = make.role("r", [trust(account)], allow("iam:ListUsers"))
    session = as_session(server, "iam", as_key(server, "sts", user).assume_role(RoleArn=arn, RoleSessionName="s1")["Credentials"])
    session.list_users()
    iam.delete_role_policy(RoleName=name + "r", PolicyName="p")
    denied(lambda: session.list_users())


def test_revoking_older_sessions_by_token_issue_time(server, iam, make, account, name):
    user = make.user("u", allow("sts:AssumeRole"))
    arn = make.role("r", [trust(account)], allow("iam:ListUsers"))
    sts = as_key(server, "sts", user)
    old = sts.assume_role(RoleArn=arn, RoleSessionName="old", DurationSeconds=900)["Credentials"]
    issued = old["Expiration"] - datetime.timedelta(seconds=900)
    cutoff = (issued + datetime.timedelta(seconds=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    revoke = {"Effect": "Deny", "Action": "*", "Resource": "*", "Condition": {"DateLessThan": {"aws:TokenIssueTime": cutoff}}}
    iam.put_role_policy(RoleName=name + "r", PolicyName="AWSRevokeOlderSessions", PolicyDocument=doc(revoke))
    message = denied(lambda: as_session(server, "iam", old).list_users())
    assert message.endswith("with an explicit deny in an identity-based policy")
    time.sleep(1.1)
    new = sts.assume_role(RoleArn=arn, RoleSessionName="new")["Credentials"]
    as_session(server, "iam", new).list_users()


def test_external_id(server, make, account, name):
    user = make.user("u")
    arn = make.role("r", [trust(f"arn:aws:iam::{account}:user/{name}u", Condition={"StringEquals": {"sts:ExternalId": "ext-42"}})])
    sts = as_key(server, "sts", user)
    denied(lambda: sts.assume_role(RoleArn=arn, RoleSessionName="s1"))
    denied(lambda: sts.assume_role(RoleArn=arn, RoleSessionName="s1", ExternalId="ext-41"))
    sts.assume_role(RoleArn=arn, RoleSessionName="s1", ExternalId="ext-42")


def test_durations_too_long_and_chaining_over_an_hour(server, make, account, name):
    user = make.user("u", allow("sts:AssumeRole"))
    first = make.role("a", [trust(account)], allow("sts:AssumeRole"), MaxSessionDuration=7200)
    second = make.role("b", [trust(account)], MaxSessionDuration=7200)
    sts = as_key(server, "sts", user)
    code, message, status = error(lambda: sts.assume_role(RoleArn=first, RoleSessionName="s1", DurationSeconds=7201))
    assert (code, status) == ("ValidationError", 400)
    assert message == "The requested DurationSeconds exceeds the MaxSessionDuration set for this role."
    session = sts.assume_role(RoleArn=first, RoleSessionName="s1", DurationSeconds=7200)["Credentials"]
    chained = as_session(server, "sts", session)
    code, message, _ = error(lambda: chained.assume_role(RoleArn=second, RoleSessionName="s1", DurationSeconds=3601))
    assert code == "ValidationError"
    assert message == "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining."
    chained.assume_role(RoleArn=second, RoleSessionName="s1", DurationSeconds=3600)


def test_bad_session_names(server, make, account, name):
    user = make.user("u")
    arn = make.role("r", [trust(f"arn:aws:iam::{account}:user/{name}u")])
    unchecked = unvalidated(server, "sts", user)
    for bad in ["x", "has space", "no/slash", "n" * 65]:
        code, message, status = error(lambda: unchecked.assume_role(RoleArn=arn, RoleSessionName=bad))
        assert (code, status) == ("ValidationError", 400), message
        assert "roleSessionName" in message


def test_session_policies_narrow_the_role(server, make, account, name):
    user = make.user("u")
    arn = make.role("r", [trust(f"arn:aws:iam::{account}:user/{name}u")], allow("iam:ListUsers"), allow("iam:ListRoles"))
    assumed = as_key(server, "sts", user).assume_role(RoleArn=arn, RoleSessionName="s1", Policy=doc(allow("iam:ListUsers")))
    assert assumed["PackedPolicySize"] > 0
    session = as_session(server, "iam", assumed["Credentials"])
    session.list_users()
    message = denied(lambda: session.list_roles())
    assert message.endswith("because no session policy allows the iam:ListRoles action")


def test_session_tags_need_tag_session(server, make, account, name):
    user = make.user("u")
    principal = f"arn:aws:iam::{account}:user/{name}u"
    strict = make.role("a", [trust(principal)])
    by_tag = allow("iam:ListUsers", Condition={"StringEquals": {"aws:PrincipalTag/team": "blue"}})
    tagging = make.role("b", [trust(principal, ["sts:AssumeRole", "sts:TagSession"])], by_tag)
    sts = as_key(server, "sts", user)
    tags = [{"Key": "team", "Value": "blue"}]
    message = denied(lambda: sts.assume_role(RoleArn=strict, RoleSessionName="s1", Tags=tags))
    assert "sts:TagSession" in message
    untagged = as_session(server, "iam", sts.assume_role(RoleArn=tagging, RoleSessionName="s1")["Credentials"])
    denied(lambda: untagged.list_users())
    tagged = as_session(server, "iam", sts.assume_role(RoleArn=tagging, RoleSessionName="s1", Tags=tags)["Credentials"])
    tagged.list_users()


def test_get_session_token_credentials_are_restricted(server, make, account, name):
    user = make.user("u", allow("iam:ListUsers"))
    credentials = as_key(server, "sts", user).get_session_token()["Credentials"]
    sts = as_session(server, "sts", credentials)
    assert sts.get_caller_identity()["Arn"] == f"arn:aws:iam::{account}:user/{name}u"
    code, message, status = error(lambda: as_session(server, "iam", credentials).list_users())
    assert (code, status) == ("InvalidClientTokenId", 403)
    message = denied(lambda: sts.get_session_token())
    assert message == "Cannot call GetSessionToken with session credentials"


def test_get_federation_token_credentials_are_restricted(server, make, account, name):
    user = make.user("u", allow("sts:GetFederationToken"), allow("iam:ListUsers"))
    federated = as_key(server, "sts", user).get_federation_token(Name="web-1", Policy=doc(allow("*")))
    assert federated["FederatedUser"]["Arn"] == f"arn:aws:sts::{account}:federated-user/web-1"
    assert federated["FederatedUser"]["FederatedUserId"] == f"{account}:web-1"
    credentials = federated["Credentials"]
    sts = as_session(server, "sts", credentials)
    assert sts.get_caller_identity()["Arn"] == f"arn:aws:sts::{account}:federated-user/web-1"
    code, _, _ = error(lambda: as_session(server, "iam", credentials).list_users())
    assert code == "InvalidClientTokenId"
    message = denied(lambda: sts.get_federation_token(Name="again"))
    assert message == "Cannot call GetFederationToken with session credentials"


def test_tampered_tokens_and_temporary_keys_without_token_are_rejected(server, make, account, name):
    user = make.user("u")
    credentials = as_key(server, "sts", user).get_session_token()["Credentials"]
    token = credentials["SessionToken"]
    middle = len(token) // 2
    tampered = dict(credentials, SessionToken=token[:middle] + ("A" if token[middle] != "A" else "B") + token[middle + 1 :])
    code, message, status = error(lambda: as_session(server, "sts", tampered).get_caller_identity())
    assert (code, status) == ("InvalidClientTokenId", 403)
    assert message.startswith("The security token included in the request is invalid")
    bare = server.client("sts", credentials["AccessKeyId"], credentials["SecretAccessKey"])
    code, _, status = error(lambda: bare.get_caller_identity())
    assert (code, status) == ("InvalidClientTokenId", 403)
    other = as_key(server, "sts", user).get_session_token()["Credentials"]
    swapped = dict(credentials, AccessKeyId=other["AccessKeyId"], SecretAccessKey=other["SecretAccessKey"])
    code, _, _ = error(lambda: as_session(server, "sts", swapped).get_caller_identity())
    assert code == "InvalidClientTokenId"


def test_a_presigned_url_carries_the_session_token(server, make, account, name):
    user = make.user("u")
    credentials = as_key(server, "sts", user).get_session_token()["Credentials"]
    url = as_session(server, "sts", credentials).generate_presigned_url("get_caller_identity", ExpiresIn=60, HttpMethod="GET")
    assert "X-Amz-Security-Token=" in url
    with urllib.request.urlopen(url, timeout=5) as response:
        body = response.read().decode()
    assert f"<Arn>arn:aws:iam::{account}:user/{name}u</Arn>" in body


def test_decode_authorization_message(server, iam, make, account, name):
    user = make.user("u")
    arn = make.role("r", [trust(account)])
    message = denied(lambda: as_key(server, "sts", user).assume_role(RoleArn=arn, RoleSessionName="s1"))
    encoded = message.split("Encoded authorization failure message: ")[1]
    denied(lambda: as_key(server, "sts", user).decode_authorization_message(EncodedMessage=encoded))
    decoded = json.loads(server.client("sts").decode_authorization_message(EncodedMessage=encoded)["DecodedMessage"])
    assert decoded["allowed"] is False and decoded["explicitDeny"] is False
    assert decoded["context"]["action"] == "sts:AssumeRole"
    assert decoded["context"]["resource"] == arn
    assert decoded["context"]["principal"]["arn"] == f"arn:aws:iam::{account}:user/{name}u"


def test_a_recreated_user_does_not_regain_the_trust(server, iam, make, account, name):
    make.user("u")
    old_id = iam.get_user(UserName=name + "u")["User"]["UserId"]
    arn = make.role("r", [trust(f"arn:aws:iam::{account}:user/{name}u")])
    for key in iam.list_access_keys(UserName=name + "u")["AccessKeyMetadata"]:
        iam.delete_access_key(UserName=name + "u", AccessKeyId=key["AccessKeyId"])
    iam.delete_user(UserName=name + "u")
    recreated = make.user("u", allow("sts:AssumeRole"))
    message = denied(lambda: as_key(server, "sts", recreated).assume_role(RoleArn=arn, RoleSessionName="s1"))
    assert "because no resource-based policy allows the sts:AssumeRole action" in message
    # As on AWS, the trust policy now shows the deleted user's unique id.
    shown = iam.get_role(RoleName=name + "r")["Role"]["AssumeRolePolicyDocument"]
    assert shown["Statement"][0]["Principal"]["AWS"] == old_id


def test_an_expired_token_is_refused(fresh_server, name, monkeypatch):
    fresh_server.extra_args = ["--dev"]
    fresh_server.start()
    iam = fresh_server.client()
    iam.create_user(UserName=name)
    key = iam.create_access_key(UserName=name)["AccessKey"]
    credentials = fresh_server.client("sts", key["AccessKeyId"], key["SecretAccessKey"]).get_session_token(DurationSeconds=900)["Credentials"]
    as_session(fresh_server, "sts", credentials).get_caller_identity()
    request = urllib.request.Request(f"{fresh_server.endpoint}/_warden/clock?advance=901", method="POST")
    with urllib.request.urlopen(request, timeout=5) as response:
        assert response.status == 200
    real = botocore.auth.get_current_datetime
    monkeypatch.setattr(botocore.auth, "get_current_datetime", lambda: real() + datetime.timedelta(seconds=901))
    code, message, status = error(lambda: as_session(fresh_server, "sts", credentials).get_caller_identity())
    assert (code, message, status) == ("ExpiredToken", "The security token included in the request is expired", 403)


def test_cross_account_roles_with_warden_account_create(fresh_server, name):
    fresh_server.start()
    account_a = fresh_server.client("sts").get_caller_identity()["Account"]
    busy = subprocess.run([warden_binary(), "account", "create", "--data", str(fresh_server.data)], capture_output=True, text=True)
    assert busy.returncode != 0 and "running warden" in busy.stderr
    assert fresh_server.stop() == 0
    created = subprocess.run(
        [warden_binary(), "account", "create", "--data", str(fresh_server.data), "--account-id", "444455556666"],
        capture_output=True,
        text=True,
        check=True,
    )
    b = json.loads(created.stdout)
    assert b["AccountId"] == "444455556666" and b["AccessKeyId"].startswith("AKIA")
    fresh_server.start()
    iam_b = fresh_server.client("iam", b["AccessKeyId"], b["SecretAccessKey"])
    assert fresh_server.client("sts", b["AccessKeyId"], b["SecretAccessKey"]).get_caller_identity()["Arn"] == "arn:aws:iam::444455556666:root"
    role_arn = iam_b.create_role(RoleName="shared", AssumeRolePolicyDocument=doc(trust(account_a)))["Role"]["Arn"]
    iam_b.put_role_policy(RoleName="shared", PolicyName="p", PolicyDocument=doc(allow("iam:ListRoles")))
    iam_a = fresh_server.client()
    iam_a.create_user(UserName=name)
    key = iam_a.create_access_key(UserName=name)["AccessKey"]
    sts_a = fresh_server.client("sts", key["AccessKeyId"], key["SecretAccessKey"])
    message = denied(lambda: sts_a.assume_role(RoleArn=role_arn, RoleSessionName="x1"))
    # Across accounts, AWS's sentence alone: no reason, no encoded details of B's role.
    plain = f"User: arn:aws:iam::{account_a}:user/{name} is not authorized to perform: sts:AssumeRole on resource: {{}}"
    assert message == plain.format(role_arn)
    missing = "arn:aws:iam::444455556666:role/missing"
    assert denied(lambda: sts_a.assume_role(RoleArn=missing, RoleSessionName="x1")) == plain.format(missing)
    iam_a.put_user_policy(UserName=name, PolicyName="p", PolicyDocument=doc(allow("sts:AssumeRole", role_arn)))
    credentials = sts_a.assume_role(RoleArn=role_arn, RoleSessionName="x1")["Credentials"]
    me = as_session(fresh_server, "sts", credentials).get_caller_identity()
    assert me["Arn"] == "arn:aws:sts::444455556666:assumed-role/shared/x1"
    roles = as_session(fresh_server, "iam", credentials).list_roles()["Roles"]
    assert [r["RoleName"] for r in roles] == ["shared"]
    # Account B's trust policy decides too: a role that does not trust account A stays shut.
    other = iam_b.create_role(RoleName="private", AssumeRolePolicyDocument=doc(trust("444455556666")))["Role"]["Arn"]
    iam_a.put_user_policy(UserName=name, PolicyName="p", PolicyDocument=doc(allow("sts:AssumeRole")))
    denied(lambda: sts_a.assume_role(RoleArn=other, RoleSessionName="x1"))
