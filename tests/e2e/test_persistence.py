"""Durability: what was acknowledged survives a restart, secrets are sealed on disk, and a
first start writes generated root credentials once."""

import configparser
import os
import stat

from botocore.exceptions import ClientError

from conftest import ROOT_KEY_ID, ROOT_SECRET, Server


def test_state_survives_restart(fresh_server, name):
    fresh_server.start()
    iam = fresh_server.client()
    iam.create_user(UserName=name, Tags=[{"Key": "k", "Value": "v"}])
    key = iam.create_access_key(UserName=name)["AccessKey"]
    assert fresh_server.stop() == 0

    fresh_server.start()
    iam = fresh_server.client()
    assert iam.get_user(UserName=name)["User"]["Tags"] == [{"Key": "k", "Value": "v"}]
    me = fresh_server.client("sts", key["AccessKeyId"], key["SecretAccessKey"]).get_caller_identity()
    assert me["Arn"].endswith(f":user/{name}")


def test_secrets_are_not_stored_in_plain_text(fresh_server, name):
    fresh_server.start()
    key = fresh_server.client().create_access_key()["AccessKey"]
    assert fresh_server.stop() == 0
    for entry in fresh_server.data.iterdir():
        if entry.is_file():
            content = entry.read_bytes()
            assert key["SecretAccessKey"].encode() not in content, entry
            assert ROOT_SECRET.encode() not in content, entry
    master = fresh_server.data / "master.key"
    assert stat.S_IMODE(master.stat().st_mode) == 0o600


def test_generated_root_credentials_on_first_start(tmp_path):
    server = Server(tmp_path / "data", env={"WARDEN_ROOT_ACCESS_KEY_ID": "", "WARDEN_ROOT_SECRET_ACCESS_KEY": ""})
    server.start()
    try:
        path = server.data / "root-credentials"
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        parser = configparser.ConfigParser()
        parser.read(path)
        key_id = parser["default"]["aws_access_key_id"]
        secret = parser["default"]["aws_secret_access_key"]
        me = server.client("sts", key_id, secret).get_caller_identity()
        assert me["Arn"].endswith(":root")
        assert "generated root credentials" in server.log.read_text()
    finally:
        server.stop()
    before = (server.data / "root-credentials").read_text()
    server.start()
    server.stop()
    assert (server.data / "root-credentials").read_text() == before


def test_a_different_secret_for_the_root_key_stops_the_start(tmp_path):
    server = Server(tmp_path / "data")
    server.start()
    server.stop()
    other = Server(tmp_path / "data", env={"WARDEN_ROOT_SECRET_ACCESS_KEY": "a-different-secret-0000000000000000000000"})
    try:
        other.start()
        raise AssertionError("warden started with a different root secret")
    except RuntimeError as error:
        assert "different secret" in str(error)


def test_a_deleted_root_key_stays_deleted_across_restarts(tmp_path):
    """WARDEN_ROOT_* bootstrap the first start only: a root key deleted through the API is not
    created again on later starts (which warn instead), and root may then hold two other keys
    without the start failing."""
    server = Server(tmp_path / "data")
    server.start()
    try:
        iam = server.client()
        first = iam.create_access_key()["AccessKey"]
        second_client = server.client("iam", first["AccessKeyId"], first["SecretAccessKey"])
        second_client.delete_access_key(AccessKeyId=ROOT_KEY_ID)
        second = second_client.create_access_key()["AccessKey"]
    finally:
        assert server.stop() == 0
    server.start()
    try:
        try:
            server.client().get_user()
            raise AssertionError("the deleted root key works again after a restart")
        except ClientError as error:
            assert error.response["Error"]["Code"] == "InvalidClientTokenId"
        mine = server.client("iam", second["AccessKeyId"], second["SecretAccessKey"])
        keys = {k["AccessKeyId"] for k in mine.list_access_keys()["AccessKeyMetadata"]}
        assert keys == {first["AccessKeyId"], second["AccessKeyId"]}
        assert "not created again" in server.log.read_text()
    finally:
        server.stop()


def test_dev_mode_accepts_unknown_keys_and_resets(tmp_path, name):
    server = Server(tmp_path / "data", extra_args=["--dev"])
    server.start()
    try:
        stranger = server.client("iam", "AKIAANYTHINGATALL000", "whatever")
        stranger.create_user(UserName=name)
        assert stranger.get_user(UserName=name)["User"]["UserName"] == name
        import urllib.request

        urllib.request.urlopen(urllib.request.Request(server.endpoint + "/_warden/reset", data=b"", method="POST"), timeout=10)
        try:
            stranger.get_user(UserName=name)
            raise AssertionError("the user survived a reset")
        except ClientError as error:
            assert error.response["Error"]["Code"] == "NoSuchEntity"
    finally:
        server.stop()


def test_access_key_last_used_survives_restart(fresh_server, name):
    fresh_server.start()
    iam = fresh_server.client()
    iam.create_user(UserName=name)
    key = iam.create_access_key(UserName=name)["AccessKey"]
    fresh_server.client("sts", key["AccessKeyId"], key["SecretAccessKey"]).get_caller_identity()
    assert fresh_server.stop() == 0
    fresh_server.start()
    used = fresh_server.client().get_access_key_last_used(AccessKeyId=key["AccessKeyId"])["AccessKeyLastUsed"]
    assert used["ServiceName"] == "sts"
