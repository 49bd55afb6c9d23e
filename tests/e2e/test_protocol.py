"""The wire protocol's edges: bad input gets AWS's error, never a 500 or a hang."""

import datetime
import urllib.error
import urllib.request

import botocore.auth
import botocore.awsrequest
import botocore.credentials

from conftest import ROOT_KEY_ID, ROOT_SECRET


def signed(server, body, service="iam", when=None, headers=None):
    """Sends `body` signed with the root key; returns (status, text)."""
    request = botocore.awsrequest.AWSRequest(
        method="POST",
        url=server.endpoint + "/",
        data=body,
        headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8", **(headers or {})},
    )
    credentials = botocore.credentials.Credentials(ROOT_KEY_ID, ROOT_SECRET)
    signer = botocore.auth.SigV4Auth(credentials, service, "us-east-1")
    if when is not None:
        request.context["timestamp"] = when.strftime("%Y%m%dT%H%M%SZ")
        original = botocore.auth.datetime.datetime

        class Frozen(original):
            @classmethod
            def utcnow(cls):
                return when.replace(tzinfo=None)

            @classmethod
            def now(cls, tz=None):
                return when if tz else when.replace(tzinfo=None)

        botocore.auth.datetime.datetime = Frozen
        try:
            signer.add_auth(request)
        finally:
            botocore.auth.datetime.datetime = original
    else:
        signer.add_auth(request)
    prepared = request.prepare()
    data = prepared.body.encode() if isinstance(prepared.body, str) else prepared.body
    raw = urllib.request.Request(prepared.url, data=data, headers=dict(prepared.headers), method="POST")
    try:
        with urllib.request.urlopen(raw, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def test_unknown_action_is_invalid_action(server):
    status, text = signed(server, "Action=FlyToTheMoon&Version=2010-05-08")
    assert status == 400
    assert "<Code>InvalidAction</Code>" in text


def test_missing_required_parameter_is_a_validation_error(server):
    status, text = signed(server, "Action=GetGroup&Version=2010-05-08")
    assert status == 400
    assert "<Code>ValidationError</Code>" in text
    assert "groupName" in text


def test_bad_user_name_is_a_validation_error(server):
    status, text = signed(server, "Action=CreateUser&Version=2010-05-08&UserName=bad%20name")
    assert status == 400
    assert "<Code>ValidationError</Code>" in text
    assert "failed to satisfy constraint" in text


def test_missing_action(server):
    status, text = signed(server, "Version=2010-05-08")
    assert status == 400
    assert "MissingAction" in text


def test_malformed_form_never_500(server):
    for body in ["%%%", "Action=ListUsers&Version=2010-05-08&MaxItems=notanumber", "Action=&Version=", "=&&=="]:
        status, _ = signed(server, body)
        assert 400 <= status < 500, body


def test_unsigned_request_needs_authentication(server):
    raw = urllib.request.Request(
        server.endpoint + "/",
        data=b"Action=ListUsers&Version=2010-05-08",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        method="POST",
    )
    try:
        urllib.request.urlopen(raw, timeout=10)
        raise AssertionError("an unsigned request was accepted")
    except urllib.error.HTTPError as error:
        assert error.code == 403
        assert "MissingAuthenticationToken" in error.read().decode()


def test_oversized_body_is_refused_before_it_is_read(server):
    """A declared body over 1 MiB is answered 413 at once: the client is told not to send it."""
    import socket

    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(
            b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\n"
            + f"Content-Length: {1024 * 1024 + 1}\r\n".encode()
            + b"Expect: 100-continue\r\n\r\n"
        )
        response = sock.recv(4096).decode()
    assert response.startswith("HTTP/1.1 413"), response
    assert "RequestEntityTooLarge" in response


def test_request_signed_twenty_minutes_ago_is_expired(server):
    past = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(minutes=20)
    status, text = signed(server, "Action=ListUsers&Version=2010-05-08", when=past)
    assert status == 403
    assert "SignatureDoesNotMatch" in text
    assert "Signature expired" in text


def test_get_with_query_string(server):
    request = botocore.awsrequest.AWSRequest(method="GET", url=server.endpoint + "/?Action=ListUsers&Version=2010-05-08")
    botocore.auth.SigV4Auth(botocore.credentials.Credentials(ROOT_KEY_ID, ROOT_SECRET), "iam", "us-east-1").add_auth(request)
    prepared = request.prepare()
    with urllib.request.urlopen(urllib.request.Request(prepared.url, headers=dict(prepared.headers)), timeout=10) as response:
        text = response.read().decode()
    assert "<ListUsersResponse" in text and "<RequestId>" in text


def test_health_and_metrics(server):
    with urllib.request.urlopen(server.endpoint + "/healthz", timeout=5) as response:
        assert response.status == 200
    with urllib.request.urlopen(server.endpoint + "/metrics", timeout=5) as response:
        text = response.read().decode()
    assert "warden_requests_total" in text


def test_metrics_never_label_a_request_s_own_action_text(server):
    """Unknown actions, signed or not, are counted as `unknown`: no metric is keyed by text a
    caller chose, so /metrics cannot be grown by anyone who can reach the port."""
    invented = [f"Invented{n}Action{'x' * 200}" for n in range(50)]
    for action in invented:
        raw = urllib.request.Request(server.endpoint + "/", data=f"Action={action}&Version=2011-06-15".encode(), method="POST")
        try:
            urllib.request.urlopen(raw, timeout=5)
        except urllib.error.HTTPError as error:
            assert error.code in (400, 403)
    status, _ = signed(server, "Action=FlyToTheMoon&Version=2010-05-08")
    assert status == 400
    signed(server, "Action=ListUsers&Version=2010-05-08")
    with urllib.request.urlopen(server.endpoint + "/metrics", timeout=5) as response:
        text = response.read().decode()
    assert "Invented" not in text and "FlyToTheMoon" not in text
    assert 'action="unknown"' in text
    assert 'service="iam",action="ListUsers",code="OK"' in text
    assert len(text) < 64 * 1024


def test_reset_is_refused_outside_dev_mode(server):
    raw = urllib.request.Request(server.endpoint + "/_warden/reset", data=b"", method="POST")
    try:
        urllib.request.urlopen(raw, timeout=5)
        raise AssertionError("reset answered outside --dev")
    except urllib.error.HTTPError as error:
        assert error.code == 404


def test_an_empty_access_key_id_is_an_unknown_key(server):
    now = datetime.datetime.now(datetime.timezone.utc)
    stamp = now.strftime("%Y%m%dT%H%M%SZ")
    authorization = (
        f"AWS4-HMAC-SHA256 Credential=/{stamp[:8]}/us-east-1/iam/aws4_request, "
        "SignedHeaders=host;x-amz-date, Signature=" + "0" * 64
    )
    raw = urllib.request.Request(
        server.endpoint + "/",
        data=b"Action=ListUsers&Version=2010-05-08",
        headers={
            "Content-Type": "application/x-www-form-urlencoded; charset=utf-8",
            "X-Amz-Date": stamp,
            "Authorization": authorization,
        },
        method="POST",
    )
    try:
        with urllib.request.urlopen(raw, timeout=10) as response:
            status, text = response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        status, text = error.code, error.read().decode()
    assert status == 403
    assert "<Code>InvalidClientTokenId</Code>" in text
    assert "The security token included in the request is invalid." in text


def test_oversized_headers_are_refused_on_the_console_as_on_the_api(server):
    """64 KiB of header fields is the limit for every route, console pages included."""
    padding = {f"X-Pad-{i}": "p" * 1000 for i in range(70)}
    for path in ("/", "/console"):
        request = urllib.request.Request(server.endpoint + path, headers=padding)
        try:
            urllib.request.urlopen(request, timeout=10)
            raise AssertionError(f"{path}: oversized headers were accepted")
        except urllib.error.HTTPError as error:
            assert error.code == 431, (path, error.code)
        # Under the limit, the same page answers.
        small = {f"X-Pad-{i}": "p" * 1000 for i in range(10)}
        try:
            status = urllib.request.urlopen(urllib.request.Request(server.endpoint + path, headers=small), timeout=10).status
        except urllib.error.HTTPError as error:
            status = error.code
        assert status != 431, path
