"""TLS: `warden serve --tls-cert FILE --tls-key FILE` serves the API over HTTPS, and
`aws:SecureTransport` is true exactly there. Certificates are made for each run by a throwaway
CA."""

import datetime
import ipaddress
import json
import os
import shutil
import socket
import ssl
import subprocess
import time
import urllib.request

import boto3
import botocore.exceptions
import pytest
from botocore.config import Config
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from conftest import ROOT_KEY_ID, ROOT_SECRET, Server, warden_binary


def _name(common_name):
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _ca(common_name):
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(common_name))
        .issuer_name(_name(common_name))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True, key_cert_sign=True, crl_sign=True, content_commitment=False,
                key_encipherment=False, data_encipherment=False, key_agreement=False,
                encipher_only=False, decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return key, cert


def _leaf(ca_key, ca_cert, key):
    now = datetime.datetime.now(datetime.timezone.utc)
    return (
        x509.CertificateBuilder()
        .subject_name(_name("localhost"))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )


def _pem(cert):
    return cert.public_bytes(serialization.Encoding.PEM)


def _key_pem(key, fmt):
    return key.private_bytes(serialization.Encoding.PEM, fmt, serialization.NoEncryption())


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    """A CA, a server certificate for localhost/127.0.0.1 under it (EC, SEC1 key; RSA, PKCS#1
    key; chains with the CA), and a second CA that signed nothing of Warden's."""
    d = tmp_path_factory.mktemp("pki")
    ca_key, ca_cert = _ca("Warden e2e CA")
    (d / "ca.pem").write_bytes(_pem(ca_cert))
    _, other = _ca("Someone else's CA")
    (d / "other-ca.pem").write_bytes(_pem(other))

    ec_key = ec.generate_private_key(ec.SECP256R1())
    ec_cert = _leaf(ca_key, ca_cert, ec_key)
    (d / "ec-chain.pem").write_bytes(_pem(ec_cert) + _pem(ca_cert))
    (d / "ec-key.pem").write_bytes(_key_pem(ec_key, serialization.PrivateFormat.TraditionalOpenSSL))
    (d / "ec-pkcs8-key.pem").write_bytes(_key_pem(ec_key, serialization.PrivateFormat.PKCS8))

    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    rsa_cert = _leaf(ca_key, ca_cert, rsa_key)
    (d / "rsa-chain.pem").write_bytes(_pem(rsa_cert) + _pem(ca_cert))
    (d / "rsa-key.pem").write_bytes(_key_pem(rsa_key, serialization.PrivateFormat.TraditionalOpenSSL))
    assert (d / "ec-key.pem").read_text().startswith("-----BEGIN EC PRIVATE KEY-----")
    assert (d / "rsa-key.pem").read_text().startswith("-----BEGIN RSA PRIVATE KEY-----")
    assert (d / "ec-pkcs8-key.pem").read_text().startswith("-----BEGIN PRIVATE KEY-----")
    return d


class TlsServer(Server):
    """A `warden serve` over HTTPS; ready once /healthz answers over TLS with the test CA."""

    def __init__(self, data, ca, extra_args=(), env=None):
        super().__init__(data, extra_args, env)
        self.endpoint = f"https://127.0.0.1:{self.port}"
        self.ca = ca
        self.context = ssl.create_default_context(cafile=str(ca))

    def start(self):
        env = dict(os.environ)
        env.update(
            {
                "WARDEN_ROOT_ACCESS_KEY_ID": ROOT_KEY_ID,
                "WARDEN_ROOT_SECRET_ACCESS_KEY": ROOT_SECRET,
                "WARDEN_LOG": "info",
            }
        )
        env.update(self.env)
        self.process = subprocess.Popen(
            [warden_binary(), "serve", "--listen", f"127.0.0.1:{self.port}", "--data", str(self.data), *self.extra_args],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=open(self.log, "ab"),
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"warden exited with {self.process.returncode}: {self.log.read_text()}")
            try:
                with urllib.request.urlopen(f"{self.endpoint}/healthz", timeout=1, context=self.context) as response:
                    if response.status == 200:
                        return self
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("warden did not become ready over TLS within 30 s")

    def client(self, service="iam", key_id=ROOT_KEY_ID, secret=ROOT_SECRET, token=None, verify=None):
        return boto3.client(
            service,
            endpoint_url=self.endpoint,
            region_name="us-east-1",
            aws_access_key_id=key_id,
            aws_secret_access_key=secret,
            aws_session_token=token,
            verify=str(self.ca) if verify is None else verify,
            config=Config(retries={"max_attempts": 1}, connect_timeout=5, read_timeout=10),
        )


@pytest.fixture(scope="module")
def tls_server(pki, tmp_path_factory):
    s = TlsServer(
        tmp_path_factory.mktemp("warden-tls") / "data",
        pki / "ca.pem",
        ["--tls-cert", str(pki / "ec-chain.pem"), "--tls-key", str(pki / "ec-key.pem")],
    ).start()
    yield s
    assert s.stop() == 0, s.log.read_text()


def test_a_client_trusting_the_ca_works(tls_server):
    iam = tls_server.client("iam")
    user = iam.get_user()["User"]
    assert user["Arn"].endswith(":root")
    sts = tls_server.client("sts")
    assert sts.get_caller_identity()["Arn"] == user["Arn"]
    # Writes too: a user created over TLS is there.
    iam.create_user(UserName="over-tls")
    assert iam.get_user(UserName="over-tls")["User"]["UserName"] == "over-tls"


def test_a_client_not_trusting_the_ca_fails_verification(tls_server, pki):
    for verify in (str(pki / "other-ca.pem"), True):
        with pytest.raises(botocore.exceptions.SSLError) as error:
            tls_server.client("iam", verify=verify).get_user()
        assert "CERTIFICATE_VERIFY_FAILED" in str(error.value), error.value
    # The server carries on.
    assert tls_server.client("iam").get_user()["User"]["Arn"].endswith(":root")


def _handshake(server, **context_settings):
    context = ssl.create_default_context(cafile=str(server.ca))
    context.set_alpn_protocols(["h2", "http/1.1"])
    for setting, value in context_settings.items():
        setattr(context, setting, value)
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as raw:
        with context.wrap_socket(raw, server_hostname="localhost") as tls:
            return tls.version(), tls.selected_alpn_protocol()


def test_tls_1_2_and_1_3_with_alpn_http_1_1(tls_server):
    assert _handshake(tls_server, minimum_version=ssl.TLSVersion.TLSv1_3) == ("TLSv1.3", "http/1.1")
    assert _handshake(tls_server, maximum_version=ssl.TLSVersion.TLSv1_2) == ("TLSv1.2", "http/1.1")


def test_plain_http_to_the_tls_port_gets_no_api_answer(tls_server):
    with socket.create_connection(("127.0.0.1", tls_server.port), timeout=5) as raw:
        raw.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        received = b""
        try:
            while chunk := raw.recv(4096):
                received += chunk
        except (ConnectionResetError, socket.timeout):
            pass
    assert not received.startswith(b"HTTP/"), received
    assert b"ok" not in received
    plain = boto3.client(
        "iam",
        endpoint_url=f"http://127.0.0.1:{tls_server.port}",
        region_name="us-east-1",
        aws_access_key_id=ROOT_KEY_ID,
        aws_secret_access_key=ROOT_SECRET,
        config=Config(retries={"max_attempts": 1}, connect_timeout=5, read_timeout=5),
    )
    with pytest.raises(botocore.exceptions.BotoCoreError):
        plain.get_user()
    # A failed handshake never stops the server.
    assert tls_server.client("iam").get_user()["User"]["Arn"].endswith(":root")


def test_a_client_that_never_handshakes_holds_up_no_one(tls_server):
    silent = [socket.create_connection(("127.0.0.1", tls_server.port)) for _ in range(20)]
    try:
        started = time.monotonic()
        assert tls_server.client("iam").get_user()["User"]["Arn"].endswith(":root")
        # Well under the 10 s handshake limit the silent connections have.
        assert time.monotonic() - started < 5
    finally:
        for s in silent:
            s.close()


def _policy(*statements):
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


SECURE_ONLY = _policy(
    {"Effect": "Allow", "Action": "iam:GetUser", "Resource": "*"},
    {
        "Effect": "Deny",
        "Action": "*",
        "Resource": "*",
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    },
)


def _user_with(server, iam, user_name, policy, **client_args):
    iam.create_user(UserName=user_name)
    iam.put_user_policy(UserName=user_name, PolicyName="p", PolicyDocument=policy)
    key = iam.create_access_key(UserName=user_name)["AccessKey"]
    return server.client("iam", key["AccessKeyId"], key["SecretAccessKey"], **client_args)


def test_secure_transport_is_true_over_tls_only(tls_server, server, iam, name):
    over_tls = _user_with(tls_server, tls_server.client("iam"), name, SECURE_ONLY)
    assert over_tls.get_user()["User"]["UserName"] == name

    over_http = _user_with(server, iam, name, SECURE_ONLY)
    with pytest.raises(botocore.exceptions.ClientError) as error:
        over_http.get_user()
    response = error.value.response
    assert response["Error"]["Code"] == "AccessDenied", response
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 403
    assert "with an explicit deny in an identity-based policy" in response["Error"]["Message"]

    # And the other way round: a policy that requires plain transport denies over TLS.
    plain_only = _policy(
        {"Effect": "Allow", "Action": "iam:GetUser", "Resource": "*",
         "Condition": {"Bool": {"aws:SecureTransport": "false"}}},
    )
    other = _user_with(tls_server, tls_server.client("iam"), name + "p", plain_only)
    with pytest.raises(botocore.exceptions.ClientError) as error:
        other.get_user()
    assert error.value.response["Error"]["Code"] == "AccessDenied"


def test_source_ip_is_the_peer_over_tls(tls_server, name):
    root = tls_server.client("iam")
    local = _user_with(tls_server, root, name, _policy(
        {"Effect": "Allow", "Action": "iam:GetUser", "Resource": "*",
         "Condition": {"IpAddress": {"aws:SourceIp": "127.0.0.1/32"}}},
    ))
    assert local.get_user()["User"]["UserName"] == name
    elsewhere = _user_with(tls_server, root, name + "x", _policy(
        {"Effect": "Allow", "Action": "iam:GetUser", "Resource": "*",
         "Condition": {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}},
    ))
    with pytest.raises(botocore.exceptions.ClientError) as error:
        elsewhere.get_user()
    assert error.value.response["Error"]["Code"] == "AccessDenied"


def test_aws_cli_with_ca_bundle(tls_server, pki):
    aws = shutil.which("aws")
    if aws is None:
        pytest.skip("the aws CLI is not on PATH")
    env = dict(os.environ)
    env.update(
        {
            "AWS_ACCESS_KEY_ID": ROOT_KEY_ID,
            "AWS_SECRET_ACCESS_KEY": ROOT_SECRET,
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_MAX_ATTEMPTS": "1",
        }
    )
    for var in ("AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_CA_BUNDLE", "AWS_ENDPOINT_URL"):
        env.pop(var, None)
    base = [aws, "--endpoint-url", tls_server.endpoint, "--output", "json"]
    ok = subprocess.run(
        [*base, "--ca-bundle", str(pki / "ca.pem"), "iam", "get-user"],
        env=env, capture_output=True, text=True, timeout=60,
    )
    assert ok.returncode == 0, ok.stderr
    assert json.loads(ok.stdout)["User"]["Arn"].endswith(":root")
    refused = subprocess.run(
        [*base, "--ca-bundle", str(pki / "other-ca.pem"), "iam", "get-user"],
        env=env, capture_output=True, text=True, timeout=60,
    )
    assert refused.returncode != 0
    assert "SSL validation failed" in refused.stderr, refused.stderr


def test_rsa_pkcs1_and_pkcs8_keys_and_settings_from_env_and_file(pki, tmp_path):
    # An RSA certificate with a PKCS#1 key, from the environment.
    by_env = TlsServer(
        tmp_path / "env-data",
        pki / "ca.pem",
        env={"WARDEN_TLS_CERT": str(pki / "rsa-chain.pem"), "WARDEN_TLS_KEY": str(pki / "rsa-key.pem")},
    ).start()
    try:
        assert by_env.client("sts").get_caller_identity()["Arn"].endswith(":root")
    finally:
        assert by_env.stop() == 0
    # The EC certificate with a PKCS#8 key, from the TOML file.
    config = tmp_path / "warden.toml"
    config.write_text(
        f'tls_cert = "{pki / "ec-chain.pem"}"\ntls_key = "{pki / "ec-pkcs8-key.pem"}"\n'
    )
    by_file = TlsServer(tmp_path / "file-data", pki / "ca.pem", ["--config", str(config)]).start()
    try:
        assert by_file.client("iam").get_user()["User"]["Arn"].endswith(":root")
    finally:
        assert by_file.stop() == 0


def _start_fails(tmp_path, *args, env=None):
    data = tmp_path / "never"
    run_env = dict(os.environ)
    run_env.update(env or {})
    result = subprocess.run(
        [warden_binary(), "serve", "--listen", "127.0.0.1:0", "--data", str(data), *args],
        env=run_env, capture_output=True, text=True, timeout=30,
    )
    assert result.returncode == 1, (result.returncode, result.stderr)
    assert "panicked" not in result.stderr
    assert not data.exists(), "a bad TLS file must stop the start before the data folder is made"
    return result.stderr


def test_bad_tls_files_stop_the_start_with_a_message(pki, tmp_path):
    cert, key = str(pki / "ec-chain.pem"), str(pki / "ec-key.pem")
    missing = str(tmp_path / "missing.pem")
    not_pem = tmp_path / "not-pem.pem"
    not_pem.write_text("this is not PEM\n")
    key_text = (pki / "ec-key.pem").read_text()
    secret_line = key_text.splitlines()[1]
    broken = tmp_path / "broken-key.pem"
    broken.write_text(key_text.replace(secret_line, secret_line[:10] + "*" + secret_line[11:]))

    err = _start_fails(tmp_path, "--tls-cert", missing, "--tls-key", key)
    assert f"cannot read the TLS certificate {missing}: no such file" in err
    err = _start_fails(tmp_path, "--tls-cert", cert, "--tls-key", missing)
    assert f"cannot read the TLS private key {missing}: no such file" in err
    err = _start_fails(tmp_path, "--tls-cert", cert, "--tls-key", str(tmp_path))
    assert f"cannot read the TLS private key {tmp_path}:" in err
    err = _start_fails(tmp_path, "--tls-cert", str(not_pem), "--tls-key", key)
    assert f"the TLS certificate {not_pem} holds no PEM certificate" in err
    err = _start_fails(tmp_path, "--tls-cert", cert, "--tls-key", str(not_pem))
    assert f"the TLS private key {not_pem} holds no PEM private key" in err
    err = _start_fails(tmp_path, "--tls-cert", cert, "--tls-key", str(broken))
    assert f"the TLS private key {broken} is not valid PEM" in err
    assert secret_line[:20] not in err
    encrypted = tmp_path / "encrypted-key.pem"
    encrypted.write_bytes(
        serialization.load_pem_private_key((pki / "ec-key.pem").read_bytes(), None).private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(b"passphrase"),
        )
    )
    err = _start_fails(tmp_path, "--tls-cert", cert, "--tls-key", str(encrypted))
    assert f"the TLS private key {encrypted} is encrypted" in err
    err = _start_fails(tmp_path, "--tls-cert", cert, "--tls-key", str(pki / "rsa-key.pem"))
    assert f"the TLS private key {pki / 'rsa-key.pem'} does not match the certificate {cert}" in err
    # Both or neither, however given.
    err = _start_fails(tmp_path, "--tls-cert", cert)
    assert "--tls-cert needs --tls-key" in err
    err = _start_fails(tmp_path, env={"WARDEN_TLS_KEY": key})
    assert "--tls-key needs --tls-cert" in err
