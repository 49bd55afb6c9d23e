"""Starts real `warden serve` processes for the end-to-end suites and gives tests boto3
clients and aws CLI runners pointed at them."""

import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.request
import uuid
from pathlib import Path

import boto3
import pytest
from botocore.config import Config

ROOT_KEY_ID = "AKIAWARDENE2EROOT001"
ROOT_SECRET = "wardenE2ErootSecretKey0000000000000000000"
REPO = Path(__file__).resolve().parents[2]


def warden_binary() -> str:
    binary = os.environ.get("WARDEN_BIN", str(REPO / "target" / "debug" / "warden"))
    if not Path(binary).exists():
        raise RuntimeError(f"{binary} does not exist: build it with `cargo build -p warden`")
    return binary


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """One `warden serve` process with its own data folder."""

    def __init__(self, data: Path, extra_args=(), env=None):
        self.data = data
        self.port = free_port()
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self.extra_args = list(extra_args)
        self.env = env or {}
        self.process = None
        self.log = data.parent / f"{data.name}.log"

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
                with urllib.request.urlopen(f"{self.endpoint}/healthz", timeout=1) as response:
                    if response.status == 200:
                        return self
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("warden did not become ready within 30 s")

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                raise
        return self.process.returncode if self.process else None

    def client(self, service="iam", key_id=ROOT_KEY_ID, secret=ROOT_SECRET, token=None):
        return boto3.client(
            service,
            endpoint_url=self.endpoint,
            region_name="us-east-1",
            aws_access_key_id=key_id,
            aws_secret_access_key=secret,
            aws_session_token=token,
            config=Config(retries={"max_attempts": 1}),
        )

    def cli(self, *args, key_id=ROOT_KEY_ID, secret=ROOT_SECRET, check=True):
        """Runs the aws CLI against this server; returns parsed JSON output (or None)."""
        env = dict(os.environ)
        env.update(
            {
                "AWS_ENDPOINT_URL": self.endpoint,
                "AWS_ACCESS_KEY_ID": key_id,
                "AWS_SECRET_ACCESS_KEY": secret,
                "AWS_DEFAULT_REGION": "us-east-1",
                "AWS_MAX_ATTEMPTS": "1",
            }
        )
        env.pop("AWS_SESSION_TOKEN", None)
        env.pop("AWS_PROFILE", None)
        aws = shutil.which("aws")
        if aws is None:
            raise RuntimeError("the aws CLI is not on PATH (pip install awscli)")
        result = subprocess.run([aws, *args, "--output", "json"], env=env, capture_output=True, text=True, timeout=60)
        if check and result.returncode != 0:
            raise AssertionError(f"aws {' '.join(args)} failed: {result.stderr}")
        if not check:
            return result
        return json.loads(result.stdout) if result.stdout.strip() else None


@pytest.fixture(scope="session")
def server(tmp_path_factory):
    s = Server(tmp_path_factory.mktemp("warden") / "data").start()
    yield s
    assert s.stop() == 0, s.log.read_text()


@pytest.fixture()
def fresh_server(tmp_path):
    """A server of its own, for tests that restart it or need a clean account."""
    s = Server(tmp_path / "data")
    yield s
    s.stop()


@pytest.fixture(scope="session")
def iam(server):
    return server.client("iam")


@pytest.fixture()
def name():
    """A unique entity name for this test."""
    return "t" + uuid.uuid4().hex[:12]


@pytest.fixture()
def make_user(server, iam):
    """Creates a user with an access key; returns (user_name, iam client as that user)."""
    created = []

    def make(user_name, policy=None):
        iam.create_user(UserName=user_name)
        key = iam.create_access_key(UserName=user_name)["AccessKey"]
        if policy is not None:
            text = policy if isinstance(policy, str) else json.dumps(policy)
            iam.put_user_policy(UserName=user_name, PolicyName="p", PolicyDocument=text)
        created.append(user_name)
        return server.client("iam", key["AccessKeyId"], key["SecretAccessKey"]), key

    return make
