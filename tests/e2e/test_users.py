"""Users, access keys and identity through boto3 and the aws CLI against a started server."""

import pytest
from botocore.exceptions import ClientError


def error_code(excinfo):
    return excinfo.value.response["Error"]["Code"]


def test_user_lifecycle(iam, name):
    created = iam.create_user(UserName=name, Path="/e2e/", Tags=[{"Key": "team", "Value": "blue"}])["User"]
    assert created["UserId"].startswith("AIDA")
    assert created["Arn"].endswith(f":user/e2e/{name}")
    got = iam.get_user(UserName=name.upper())["User"]
    assert got["UserId"] == created["UserId"]
    assert got["Tags"] == [{"Key": "team", "Value": "blue"}]

    with pytest.raises(ClientError) as dup:
        iam.create_user(UserName=name.upper())
    assert error_code(dup) == "EntityAlreadyExists"
    assert dup.value.response["ResponseMetadata"]["HTTPStatusCode"] == 409

    iam.update_user(UserName=name, NewUserName=name + "x", NewPath="/moved/")
    renamed = iam.get_user(UserName=name + "x")["User"]
    assert renamed["UserId"] == created["UserId"] and renamed["Path"] == "/moved/"

    iam.delete_user(UserName=name + "x")
    with pytest.raises(ClientError) as gone:
        iam.get_user(UserName=name + "x")
    assert error_code(gone) == "NoSuchEntity"
    assert gone.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404
    assert gone.value.response["Error"]["Message"] == f"The user with name {name}x cannot be found."


def test_list_users_paginates(iam, name):
    names = [f"{name}{i:02}" for i in range(7)]
    for n in names:
        iam.create_user(UserName=n, Path=f"/{name}/")
    pages = list(iam.get_paginator("list_users").paginate(PathPrefix=f"/{name}/", PaginationConfig={"PageSize": 3}))
    assert [len(p["Users"]) for p in pages] == [3, 3, 1]
    assert [u["UserName"] for p in pages for u in p["Users"]] == names
    assert pages[0]["IsTruncated"] and not pages[-1]["IsTruncated"]


def test_access_keys_sign_requests_until_deactivated(server, iam, name):
    iam.create_user(UserName=name)
    key = iam.create_access_key(UserName=name)["AccessKey"]
    assert key["AccessKeyId"].startswith("AKIA") and len(key["SecretAccessKey"]) == 40
    sts = server.client("sts", key["AccessKeyId"], key["SecretAccessKey"])
    me = sts.get_caller_identity()
    assert me["Arn"].endswith(f":user/{name}")

    listed = iam.list_access_keys(UserName=name)["AccessKeyMetadata"]
    assert [k["AccessKeyId"] for k in listed] == [key["AccessKeyId"]]
    assert "SecretAccessKey" not in listed[0]

    iam.create_access_key(UserName=name)
    with pytest.raises(ClientError) as third:
        iam.create_access_key(UserName=name)
    assert error_code(third) == "LimitExceeded"

    iam.update_access_key(UserName=name, AccessKeyId=key["AccessKeyId"], Status="Inactive")
    with pytest.raises(ClientError) as inactive:
        sts.get_caller_identity()
    assert error_code(inactive) == "InvalidClientTokenId"
    assert inactive.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403

    with pytest.raises(ClientError) as conflict:
        iam.delete_user(UserName=name)
    assert error_code(conflict) == "DeleteConflict"


def test_wrong_secret_is_signature_does_not_match(server, iam, name):
    iam.create_user(UserName=name)
    key = iam.create_access_key(UserName=name)["AccessKey"]
    forged = server.client("iam", key["AccessKeyId"], "x" * 40)
    with pytest.raises(ClientError) as bad:
        forged.list_users()
    assert error_code(bad) == "SignatureDoesNotMatch"


def test_unknown_key_is_invalid_client_token_id(server):
    stranger = server.client("iam", "AKIAUNKNOWNUNKNOWN00", "y" * 40)
    with pytest.raises(ClientError) as bad:
        stranger.list_users()
    assert error_code(bad) == "InvalidClientTokenId"


def test_root_caller_identity(server):
    me = server.client("sts").get_caller_identity()
    assert me["Arn"] == f"arn:aws:iam::{me['Account']}:root"
    assert len(me["Account"]) == 12


def test_aws_cli_round_trip(server, name):
    created = server.cli("iam", "create-user", "--user-name", name, "--tags", "Key=k,Value=v")
    assert created["User"]["UserName"] == name
    listed = server.cli("iam", "list-users")
    assert name in [u["UserName"] for u in listed["Users"]]
    missing = server.cli("iam", "get-user", "--user-name", name + "nope", check=False)
    assert missing.returncode != 0 and "NoSuchEntity" in missing.stderr
    assert server.cli("sts", "get-caller-identity")["Arn"].endswith(":root")


def test_access_key_last_used_is_visible_at_once(server, iam, name):
    iam.create_user(UserName=name)
    key = iam.create_access_key(UserName=name)["AccessKey"]
    before = iam.get_access_key_last_used(AccessKeyId=key["AccessKeyId"])
    assert before["UserName"] == name
    assert before["AccessKeyLastUsed"]["ServiceName"] == "N/A"
    assert "LastUsedDate" not in before["AccessKeyLastUsed"]
    server.client("sts", key["AccessKeyId"], key["SecretAccessKey"]).get_caller_identity()
    after = iam.get_access_key_last_used(AccessKeyId=key["AccessKeyId"])["AccessKeyLastUsed"]
    assert after["ServiceName"] == "sts"
    assert after["Region"] == "us-east-1"
    assert "LastUsedDate" in after
