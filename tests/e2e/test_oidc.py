"""OpenID Connect federation end to end: a real provider (npm oidc-provider, started from
tests/e2e/oidc/op.mjs on a loopback port) issues an ID token through its own login and consent
pages, and boto3's AssumeRoleWithWebIdentity exchanges it at Warden for role credentials.

Needs `npm install` in tests/e2e/oidc (tools/test does it)."""

import base64
import http.cookiejar
import json
import re
import shutil
import socket
import subprocess
import threading
import time
from concurrent.futures import ThreadPoolExecutor
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import boto3
import botocore
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from conftest import Server, free_port

OP_DIR = Path(__file__).resolve().parent / "oidc"
CLIENT_ID = "warden-app"
CLIENT_SECRET = "warden-app-secret"
REDIRECT_URI = "https://app.example.com/callback"
SUBJECT = "alice-oidc-user"


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


class Browser:
    """Follows the provider's pages by hand, keeping its cookies."""

    def __init__(self):
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), NoRedirect
        )

    def go(self, url, form=None):
        data = urllib.parse.urlencode(form).encode() if form is not None else None
        try:
            with self.opener.open(url, data=data, timeout=10) as response:
                return response.status, response.headers, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.headers, error.read().decode()


class Provider:
    def __init__(self):
        self.port = free_port()
        self.issuer = f"http://127.0.0.1:{self.port}"
        self.process = None

    def start(self):
        node = shutil.which("node")
        if node is None or not (OP_DIR / "node_modules" / "oidc-provider").exists():
            raise RuntimeError("node and `npm install` in tests/e2e/oidc are needed")
        self.process = subprocess.Popen(
            [node, str(OP_DIR / "op.mjs"), str(self.port)],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"{self.issuer}/.well-known/openid-configuration", timeout=1):
                    return self
            except OSError:
                if self.process.poll() is not None:
                    raise RuntimeError(f"oidc-provider exited with {self.process.returncode}")
                time.sleep(0.1)
        raise RuntimeError("oidc-provider did not start within 30 s")

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)

    def id_token(self, login):
        """Signs in as `login` through the provider's own pages and returns the ID token."""
        browser = Browser()
        query = urllib.parse.urlencode(
            {
                "client_id": CLIENT_ID,
                "response_type": "code",
                "scope": "openid",
                "redirect_uri": REDIRECT_URI,
                "state": "e2e-state",
                "nonce": "e2e-nonce",
            }
        )
        status, headers, body = browser.go(f"{self.issuer}/auth?{query}")
        for _ in range(12):
            if status in (302, 303):
                location = urllib.parse.urljoin(self.issuer, headers["Location"])
                if location.startswith(REDIRECT_URI):
                    code = urllib.parse.parse_qs(urllib.parse.urlparse(location).query)["code"][0]
                    return self._exchange(code)
                status, headers, body = browser.go(location)
                continue
            assert status == 200, body
            action = urllib.parse.urljoin(self.issuer, re.search(r'action="([^"]+)"', body).group(1))
            if 'name="login"' in body:
                form = {"prompt": "login", "login": login, "password": "any"}
            else:
                form = {"prompt": "consent"}
            status, headers, body = browser.go(action, form)
        raise AssertionError("the provider's flow did not end at the redirect URI")

    def _exchange(self, code):
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": REDIRECT_URI,
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
        }
        status, _, body = Browser().go(f"{self.issuer}/token", form)
        assert status == 200, body
        return json.loads(body)["id_token"]


@pytest.fixture(scope="module")
def provider():
    p = Provider().start()
    yield p
    p.stop()


@pytest.fixture(scope="module")
def warden(tmp_path_factory):
    s = Server(tmp_path_factory.mktemp("oidc") / "data", ["--dev", "--allow-http-oidc-loopback"]).start()
    yield s
    assert s.stop() == 0, s.log.read_text()


@pytest.fixture(scope="module")
def token(provider):
    return provider.id_token(SUBJECT)


@pytest.fixture(scope="module")
def setup(warden, provider):
    """Registers the provider and a role that trusts its tokens for SUBJECT."""
    iam = warden.client("iam")
    arn = iam.create_open_id_connect_provider(Url=provider.issuer, ClientIDList=[CLIENT_ID])[
        "OpenIDConnectProviderArn"
    ]
    host = provider.issuer.removeprefix("http://")
    role = create_role(iam, "oidc-web", arn, {f"{host}:sub": SUBJECT, f"{host}:aud": CLIENT_ID})
    iam.put_role_policy(
        RoleName="oidc-web",
        PolicyName="read",
        PolicyDocument=json.dumps(
            {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "iam:ListRoles", "Resource": "*"}]}
        ),
    )
    return {"iam": iam, "provider_arn": arn, "role": role, "host": host}


def create_role(iam, name, provider_arn, equals):
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Federated": provider_arn},
                "Action": "sts:AssumeRoleWithWebIdentity",
                "Condition": {"StringEquals": equals} if equals else {},
            }
        ],
    }
    return iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]


def unsigned_sts(warden):
    return boto3.client(
        "sts",
        endpoint_url=warden.endpoint,
        region_name="us-east-1",
        config=Config(signature_version=botocore.UNSIGNED, retries={"max_attempts": 1}),
    )


def assume(warden, role, token, session="web-session"):
    return unsigned_sts(warden).assume_role_with_web_identity(
        RoleArn=role, RoleSessionName=session, WebIdentityToken=token
    )


def error_of(call):
    with pytest.raises(ClientError) as raised:
        call()
    return raised.value.response["Error"]["Code"], raised.value.response["Error"]["Message"]


def test_a_token_from_the_provider_gets_working_credentials(warden, setup, token):
    response = assume(warden, setup["role"], token)
    assert response["SubjectFromWebIdentityToken"] == SUBJECT
    assert response["Provider"] == setup["provider_arn"]
    assert response["Audience"] == CLIENT_ID
    account = setup["role"].split(":")[4]
    session_arn = f"arn:aws:sts::{account}:assumed-role/oidc-web/web-session"
    assert response["AssumedRoleUser"]["Arn"] == session_arn
    credentials = response["Credentials"]
    assert credentials["AccessKeyId"].startswith("ASIA")
    sts = warden.client("sts", credentials["AccessKeyId"], credentials["SecretAccessKey"], credentials["SessionToken"])
    assert sts.get_caller_identity()["Arn"] == session_arn
    iam = warden.client("iam", credentials["AccessKeyId"], credentials["SecretAccessKey"], credentials["SessionToken"])
    assert any(r["RoleName"] == "oidc-web" for r in iam.list_roles()["Roles"])
    code, _ = error_of(lambda: iam.list_users())
    assert code == "AccessDenied"


def test_the_provider_is_registered_as_aws_shows_it(setup, provider):
    got = setup["iam"].get_open_id_connect_provider(OpenIDConnectProviderArn=setup["provider_arn"])
    assert got["Url"] == setup["host"]
    assert got["ClientIDList"] == [CLIENT_ID]
    listed = setup["iam"].list_open_id_connect_providers()["OpenIDConnectProviderList"]
    assert {"Arn": setup["provider_arn"]} in listed


def test_a_tampered_token_is_refused(warden, setup, token):
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["sub"] = "mallory-oidc-user"
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=")
    code, message = error_of(lambda: assume(warden, setup["role"], f"{header}.{forged}.{signature}"))
    assert code == "InvalidIdentityToken", message


def test_a_token_for_another_audience_is_refused(warden, setup, token):
    iam, arn = setup["iam"], setup["provider_arn"]
    iam.remove_client_id_from_open_id_connect_provider(OpenIDConnectProviderArn=arn, ClientID=CLIENT_ID)
    iam.add_client_id_to_open_id_connect_provider(OpenIDConnectProviderArn=arn, ClientID="another-app")
    try:
        assert error_of(lambda: assume(warden, setup["role"], token)) == (
            "InvalidIdentityToken",
            "Incorrect token audience",
        )
    finally:
        iam.add_client_id_to_open_id_connect_provider(OpenIDConnectProviderArn=arn, ClientID=CLIENT_ID)
    assume(warden, setup["role"], token)


def test_a_role_that_does_not_trust_the_provider_is_refused(warden, setup, token):
    iam = setup["iam"]
    other = iam.create_open_id_connect_provider(Url="https://other-idp.example.com", ClientIDList=[CLIENT_ID])
    role = create_role(iam, "oidc-other", other["OpenIDConnectProviderArn"], None)
    assert error_of(lambda: assume(warden, role, token)) == (
        "AccessDenied",
        "Not authorized to perform sts:AssumeRoleWithWebIdentity",
    )


def test_a_trust_condition_on_another_subject_is_refused(warden, setup, token):
    role = create_role(setup["iam"], "oidc-bob", setup["provider_arn"], {f"{setup['host']}:sub": "bob-oidc-user"})
    assert error_of(lambda: assume(warden, role, token))[0] == "AccessDenied"


def test_an_unregistered_issuer_is_refused(warden, setup, provider, token):
    iam = setup["iam"]
    iam.delete_open_id_connect_provider(OpenIDConnectProviderArn=setup["provider_arn"])
    try:
        code, message = error_of(lambda: assume(warden, setup["role"], token))
        assert code == "InvalidIdentityToken"
        assert message == f"No OpenIDConnect provider found in your account for {provider.issuer}"
    finally:
        iam.create_open_id_connect_provider(Url=provider.issuer, ClientIDList=[CLIENT_ID])
    assume(warden, setup["role"], token)


def test_an_expired_token_is_refused(warden, setup, token):
    # The provider's ID tokens live an hour; move Warden's --dev clock past that.
    urllib.request.urlopen(urllib.request.Request(f"{warden.endpoint}/_warden/clock?advance=7200", method="POST"))
    try:
        code, message = error_of(lambda: assume(warden, setup["role"], token))
        assert code == "ExpiredTokenException"
        assert message.startswith("Token expired: current date/time")
    finally:
        urllib.request.urlopen(urllib.request.Request(f"{warden.endpoint}/_warden/clock?advance=-7200", method="POST"))


def test_plain_http_issuers_need_the_loopback_setting(fresh_server, provider):
    iam = fresh_server.start().client("iam")
    code, message = error_of(lambda: iam.create_open_id_connect_provider(Url=provider.issuer, ClientIDList=[CLIENT_ID]))
    assert code == "ValidationError", message


class HungIssuer:
    """An issuer on a loopback port that accepts connections and never answers, holding them
    open until released; it counts the connections it accepted."""

    def __init__(self):
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.issuer = f"http://127.0.0.1:{self.listener.getsockname()[1]}"
        self.connections = 0
        self.held = []
        self.lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                connection, _ = self.listener.accept()
            except OSError:
                return
            with self.lock:
                self.connections += 1
                self.held.append(connection)

    def release(self):
        """Closes the connections held: fetches on them fail at once."""
        with self.lock:
            for connection in self.held:
                connection.close()
            self.held = []

    def stop(self):
        self.release()
        self.listener.close()


def unsigned_token(issuer):
    """An ID token of `issuer` with a signature nobody made: checking it needs the issuer's keys."""

    def part(value):
        return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")

    now = int(time.time())
    claims = {"iss": issuer, "sub": "someone", "aud": CLIENT_ID, "iat": now, "exp": now + 600}
    return f"{part({'alg': 'RS256', 'kid': 'k1'})}.{part(claims)}.{part('not a signature')}"


def post_unsigned(warden, form):
    """An unsigned STS call over plain HTTP: its status and body."""
    data = urllib.parse.urlencode(form).encode()
    try:
        with urllib.request.urlopen(warden.endpoint, data=data, timeout=60) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def test_a_hung_issuer_costs_one_fetch_and_stalls_no_iam_write(warden, setup):
    iam = setup["iam"]
    hung = HungIssuer()
    try:
        arn = iam.create_open_id_connect_provider(Url=hung.issuer, ClientIDList=[CLIENT_ID])["OpenIDConnectProviderArn"]
        role = create_role(iam, "oidc-hung", arn, None)
        form = {
            "Action": "AssumeRoleWithWebIdentity",
            "Version": "2011-06-15",
            "RoleArn": role,
            "RoleSessionName": "hung",
            "WebIdentityToken": unsigned_token(hung.issuer),
        }
        with ThreadPoolExecutor(max_workers=50) as pool:
            calls = [pool.submit(post_unsigned, warden, form) for _ in range(50)]
            deadline = time.monotonic() + 30
            while hung.connections == 0 and time.monotonic() < deadline:
                time.sleep(0.01)
            assert hung.connections > 0, "no call reached the issuer"
            # Time for the other calls to arrive while the fetch hangs (each would fetch on
            # its own without single-flight); the results do not depend on how long it takes.
            time.sleep(0.5)
            # An unrelated IAM write answers while the issuer hangs. Two seconds is a generous
            # liveness bound (the write takes milliseconds; the issuer's fetch times out after
            # 10 seconds), the only way to observe that the write was not held up.
            started = time.monotonic()
            iam.create_user(UserName="written-while-an-issuer-hangs")
            assert time.monotonic() - started < 2
            hung.release()
            for call in calls:
                status, body = call.result()
                assert status == 400, body
                assert "<Code>IDPCommunicationError</Code>" in body, body
        assert hung.connections == 1, "one fetch for every call"
        # The failure is remembered: the next call is answered without a fetch.
        status, body = post_unsigned(warden, form)
        assert status == 400 and "<Code>IDPCommunicationError</Code>" in body, body
        assert hung.connections == 1
    finally:
        hung.stop()
