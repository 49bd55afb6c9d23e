"""The console in real headless Chromium (Debian's chromium and chromium-driver, driven by
selenium): sign-in as an IAM user made with boto3, a forced password change, sign-out and
sign-in again, a wrong password refused, MFA at sign-in and MFA enrolment from the page's QR
code, a denied page showing AWS's message, lockout after five failures, the session cookie's
flags, a user created and a policy attached from the console, the root user's sign-in, and a
session ended after an idle hour (on --dev's movable clock).

Each step's screenshot is kept under target/console-screenshots/ (named by test and step) and
its path printed."""

import base64
import hashlib
import hmac
import json
import os
import struct
import time
from pathlib import Path

import pytest

from conftest import REPO, Server

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
SHOTS = REPO / "target" / "console-screenshots"
PASSWORD = "First-Password-1"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    s = Server(tmp_path_factory.mktemp("console") / "data").start()
    yield s
    assert s.stop() == 0, s.log.read_text()


@pytest.fixture(scope="module")
def iam(server):
    return server.client("iam")


@pytest.fixture(scope="module")
def account(server):
    return server.client("sts").get_caller_identity()["Account"]


@pytest.fixture()
def browser(request, tmp_path):
    """A fresh headless Chromium (its own profile, so no cookie is shared between tests)."""
    missing = [p for p in (CHROMIUM, CHROMEDRIVER) if not os.access(p, os.X_OK)]
    if missing:
        pytest.fail(
            f"{', '.join(missing)} missing: install Debian's browser with "
            "`apt-get install -y chromium chromium-driver` (tools/test-env does, as root)"
        )
    try:
        from selenium import webdriver
    except ImportError:
        pytest.fail("selenium is missing: tools/test-env installs tests/e2e/requirements.txt")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in (
        "--headless=new",
        "--no-sandbox",
        "--disable-dev-shm-usage",
        "--disable-gpu",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--window-size=1280,900",
        f"--user-data-dir={tmp_path / 'profile'}",
    ):
        options.add_argument(argument)
    driver = webdriver.Chrome(
        service=webdriver.ChromeService(executable_path=CHROMEDRIVER), options=options
    )
    driver.set_page_load_timeout(30)
    driver.shots = []
    driver.test_name = request.node.name
    yield driver
    driver.quit()


def shot(browser, step):
    """Saves a screenshot of this step and prints its path."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    index = len(browser.shots) + 1
    path = SHOTS / f"{browser.test_name}-{index:02d}-{step}.png"
    assert browser.save_screenshot(str(path)), path
    browser.shots.append(path)
    print(f"screenshot: {path}")
    return path


def by(browser, css):
    from selenium.webdriver.common.by import By

    return browser.find_element(By.CSS_SELECTOR, css)


def click(browser, css):
    """Clicks what submits a form and waits for the next page to replace this one."""
    from selenium.common.exceptions import WebDriverException
    from selenium.webdriver.support.ui import WebDriverWait

    page = by(browser, "html")
    by(browser, css).click()

    def replaced(_):
        # The old page's root is gone once the next page is in. While the navigation is under
        # way, chromedriver may answer "stale element" or, racing the swap, an inspector
        # error ("Node with given id does not belong to the document"): both mean it is gone.
        try:
            page.is_enabled()
            return False
        except WebDriverException:
            return True

    WebDriverWait(browser, 20).until(replaced)


def fill(browser, fields, submit):
    for name, value in fields.items():
        element = by(browser, name if name.startswith("#") else f"[name='{name}']")
        element.clear()
        element.send_keys(value)
    click(browser, submit)


def sign_in(browser, server, account, user, password):
    browser.get(f"{server.endpoint}/console")
    fill(browser, {"account": account, "username": user, "password": password}, "#sign-in")


def text(browser):
    return by(browser, "body").text


def error_text(browser):
    return by(browser, "#error").text


def user_with_password(iam, name, reset=False, policy_arn=None):
    iam.create_user(UserName=name)
    iam.create_login_profile(UserName=name, Password=PASSWORD, PasswordResetRequired=reset)
    if policy_arn:
        iam.attach_user_policy(UserName=name, PolicyArn=policy_arn)


def totp(seed_base32, at):
    key = base64.b32decode(seed_base32)
    digest = hmac.new(key, struct.pack(">Q", int(at) // 30), hashlib.sha1).digest()
    offset = digest[-1] & 15
    value = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return f"{value % 1_000_000:06d}"


def test_sign_in_forced_change_sign_out_and_in_again(browser, server, iam, account, name):
    iam.update_account_password_policy(MinimumPasswordLength=12, AllowUsersToChangePassword=True)
    try:
        user_with_password(iam, name, reset=True)
        browser.get(f"{server.endpoint}/console")
        assert by(browser, "#sign-in-form")
        shot(browser, "sign-in-form")

        sign_in(browser, server, account, name, PASSWORD)
        assert browser.current_url.endswith("/console/password"), browser.current_url
        assert "You must change your password" in text(browser)
        arn = f"arn:aws:iam::{account}:user/{name}"
        assert by(browser, "#principal-arn").text == arn
        shot(browser, "forced-password-change")

        fill(
            browser,
            {"old_password": PASSWORD, "new_password": "Short-1a", "confirm_password": "Short-1a"},
            "#change-password",
        )
        assert "Password should have a minimum length of 12" in error_text(browser)
        shot(browser, "password-policy-violation")

        new = "Second-Password-22"
        fill(
            browser,
            {"old_password": PASSWORD, "new_password": new, "confirm_password": new},
            "#change-password",
        )
        assert "Your password has been changed." in text(browser)
        shot(browser, "password-changed")

        # The session cookie: HttpOnly, SameSite=Strict, not readable by scripts.
        cookies = {c["name"]: c for c in browser.get_cookies()}
        session = cookies["warden-console"]
        assert session["httpOnly"] is True, session
        assert session["sameSite"] == "Strict", session
        assert session["path"] == "/console", session
        assert session["secure"] is False, session
        assert "warden-console" not in browser.execute_script("return document.cookie")

        browser.get(f"{server.endpoint}/console")
        assert by(browser, "#principal-arn").text == arn
        click(browser, "#sign-out")
        assert by(browser, "#sign-in-form")
        assert "warden-console" not in {c["name"] for c in browser.get_cookies()}
        shot(browser, "signed-out")

        sign_in(browser, server, account, name, PASSWORD)
        assert "Your authentication information is incorrect" in error_text(browser)
        shot(browser, "old-password-refused")

        sign_in(browser, server, account, name, new)
        assert browser.current_url.endswith("/console"), browser.current_url
        assert by(browser, "#principal-arn").text == arn
        shot(browser, "signed-in-again")
        # The API sees the sign-in.
        assert "PasswordLastUsed" in iam.get_user(UserName=name)["User"]
    finally:
        iam.delete_account_password_policy()


def test_a_denied_page_shows_aws_message(browser, server, iam, account, name):
    user_with_password(iam, name)
    sign_in(browser, server, account, name, PASSWORD)
    click(browser, "header a[href='/console/users']")
    message = error_text(browser)
    assert (
        f"User: arn:aws:iam::{account}:user/{name} is not authorized to perform: "
        f"iam:ListUsers on resource: arn:aws:iam::{account}:user/"
    ) in message, message
    shot(browser, "users-denied")


def test_five_failed_sign_ins_lock_the_user_out(browser, server, iam, account, name):
    user_with_password(iam, name)
    for attempt in range(5):
        sign_in(browser, server, account, name, f"Wrong-password-{attempt}")
        assert "Your authentication information is incorrect" in error_text(browser)
    shot(browser, "fifth-failure")
    sign_in(browser, server, account, name, PASSWORD)
    assert by(browser, "#sign-in-form")
    assert "Your authentication information is incorrect" in error_text(browser)
    assert "warden-console" not in {c["name"] for c in browser.get_cookies()}
    shot(browser, "right-password-refused-while-locked")


def test_mfa_at_sign_in_and_a_wrong_code_refused(browser, server, iam, account, name):
    user_with_password(iam, name)
    device = iam.create_virtual_mfa_device(VirtualMFADeviceName=name)["VirtualMFADevice"]
    seed = device["Base32StringSeed"].decode()
    now = time.time()
    iam.enable_mfa_device(
        UserName=name,
        SerialNumber=device["SerialNumber"],
        AuthenticationCode1=totp(seed, now - 30),
        AuthenticationCode2=totp(seed, now),
    )
    # Only with MFA may this user list users.
    iam.put_user_policy(
        UserName=name,
        PolicyName="mfa",
        PolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Action": "iam:ListUsers",
                        "Resource": "*",
                        "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}},
                    }
                ],
            }
        ),
    )
    sign_in(browser, server, account, name, PASSWORD)
    assert browser.current_url.endswith("/console/mfa"), browser.current_url
    shot(browser, "mfa-code-asked")
    right = totp(seed, now + 30)
    wrong = "000000" if right != "000000" else "111111"
    fill(browser, {"mfa_code": wrong}, "#submit-mfa")
    assert "The MFA code is not valid" in error_text(browser)
    shot(browser, "wrong-mfa-code-refused")
    fill(browser, {"mfa_code": right}, "#submit-mfa")
    assert browser.current_url.endswith("/console"), browser.current_url
    assert "with MFA" in text(browser)
    browser.get(f"{server.endpoint}/console/users")
    assert name in [e.text for e in browser.find_elements("css selector", "td.user-name")]
    shot(browser, "users-listed-with-mfa")


def test_an_administrator_creates_a_user_and_an_access_key(browser, server, iam, account, name):
    user_with_password(iam, name, policy_arn="arn:aws:iam::aws:policy/AdministratorAccess")
    sign_in(browser, server, account, name, PASSWORD)
    browser.get(f"{server.endpoint}/console/users")
    created = name + "-made"
    fill(browser, {"#new-user-name": created}, "#create-user")
    assert f"User {created} was created." in text(browser)
    shot(browser, "user-created")
    assert iam.get_user(UserName=created)["User"]["UserName"] == created
    fill(browser, {"filter": "-made"}, "#filter-form button")
    names = [e.text for e in browser.find_elements("css selector", "td.user-name")]
    assert created in names and name not in names, names
    shot(browser, "users-filtered")

    browser.get(f"{server.endpoint}/console/credentials")
    click(browser, "#create-access-key")
    key_id = by(browser, "#new-access-key-id").text
    secret = by(browser, "#new-secret-access-key").text
    shot(browser, "access-key-created")
    # The key works with boto3 as this user.
    who = server.client("sts", key_id, secret).get_caller_identity()
    assert who["Arn"] == f"arn:aws:iam::{account}:user/{name}"
    browser.get(f"{server.endpoint}/console/credentials")
    assert key_id in text(browser) and secret not in browser.page_source


def test_mfa_enrolment_from_the_page_then_sign_in_with_a_code(browser, server, iam, account, name):
    from test_mfa import qr_text

    user_with_password(iam, name, policy_arn="arn:aws:iam::aws:policy/AdministratorAccess")
    sign_in(browser, server, account, name, PASSWORD)
    browser.get(f"{server.endpoint}/console/credentials")
    assert "No MFA device is assigned." in text(browser)
    fill(browser, {"device_name": name + "-phone"}, "#create-mfa")
    secret = by(browser, "#mfa-secret").text
    serial = by(browser, "#mfa-serial").text
    # The QR code on the page is the otpauth URI of the secret shown beside it.
    src = by(browser, "#mfa-qr").get_attribute("src")
    assert src.startswith("data:image/png;base64,"), src[:40]
    uri = qr_text(base64.b64decode(src.split(",", 1)[1]))
    assert uri.startswith("otpauth://totp/") and f"secret={secret}" in uri, uri
    shot(browser, "mfa-qr-code")
    now = time.time()
    fill(
        browser,
        {"mfa_code1": totp(secret, now - 30), "mfa_code2": totp(secret, now)},
        "#enable-mfa",
    )
    assert "is assigned" in text(browser)
    shot(browser, "mfa-assigned")
    assert [d["SerialNumber"] for d in iam.list_mfa_devices(UserName=name)["MFADevices"]] == [serial]

    click(browser, "#sign-out")
    sign_in(browser, server, account, name, PASSWORD)
    assert browser.current_url.endswith("/console/mfa"), browser.current_url
    right = totp(secret, now + 30)
    fill(browser, {"mfa_code": "000000" if right != "000000" else "111111"}, "#submit-mfa")
    assert "The MFA code is not valid" in error_text(browser)
    fill(browser, {"mfa_code": right}, "#submit-mfa")
    assert browser.current_url.endswith("/console"), browser.current_url
    assert "with MFA" in text(browser)
    shot(browser, "signed-in-with-mfa")


def test_create_a_user_and_attach_a_policy(browser, server, iam, account, name):
    user_with_password(iam, name, policy_arn="arn:aws:iam::aws:policy/AdministratorAccess")
    sign_in(browser, server, account, name, PASSWORD)
    browser.get(f"{server.endpoint}/console/users")
    created = name + "-new"
    fill(browser, {"#new-user-name": created}, "#create-user")
    assert f"User {created} was created." in text(browser)
    browser.get(f"{server.endpoint}/console/users/{created}")
    policy = "arn:aws:iam::aws:policy/ReadOnlyAccess"
    fill(browser, {"policy_arn": policy}, "#attach-policy")
    assert f"Policy {policy} was attached." in text(browser)
    shot(browser, "policy-attached")
    attached = iam.list_attached_user_policies(UserName=created)["AttachedPolicies"]
    assert [p["PolicyArn"] for p in attached] == [policy]
    browser.get(f"{server.endpoint}/console/policies/view?arn={policy}")
    document = by(browser, "#policy-document").text
    assert '\n  "Version": "2012-10-17",\n' in document, document
    shot(browser, "policy-document")


def test_the_root_user_signs_in_with_the_password_set_at_first_start(browser, tmp_path):
    root = Server(tmp_path / "data", env={"WARDEN_ROOT_PASSWORD": "Root-Password-123"}).start()
    try:
        account = root.client("sts").get_caller_identity()["Account"]
        sign_in(browser, root, account, "root", "Root-Password-1234")
        assert "Your authentication information is incorrect" in error_text(browser)
        sign_in(browser, root, account, "root", "Root-Password-123")
        assert by(browser, "#principal-arn").text == f"arn:aws:iam::{account}:root"
        shot(browser, "root-signed-in")
        browser.get(f"{root.endpoint}/console/users")
        assert by(browser, "#no-users")
    finally:
        assert root.stop() == 0, root.log.read_text()


def test_groups_roles_and_the_policy_simulator(browser, server, iam, account, name):
    user_with_password(iam, name, policy_arn="arn:aws:iam::aws:policy/AdministratorAccess")
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{account}:root"}, "Action": "sts:AssumeRole"}
        ],
    }
    iam.create_role(RoleName=name + "-role", AssumeRolePolicyDocument=json.dumps(trust))
    sign_in(browser, server, account, name, PASSWORD)

    browser.get(f"{server.endpoint}/console/groups")
    fill(browser, {"#new-group-name": name + "-group"}, "#create-group")
    assert f"Group {name}-group was created." in text(browser)
    assert iam.get_group(GroupName=name + "-group")["Group"]["GroupName"] == name + "-group"

    browser.get(f"{server.endpoint}/console/roles/{name}-role")
    shown = by(browser, "#trust-policy").text
    assert json.loads(shown) == trust
    assert shown.startswith('{\n  "Version": "2012-10-17",\n  "Statement": [\n'), shown
    shot(browser, "role-trust-policy")

    browser.get(f"{server.endpoint}/console/simulate")
    fill(browser, {"action_names": "iam:ListUsers iam:CreateUser"}, "#run-simulation")
    decisions = [e.text for e in browser.find_elements("css selector", "td.decision")]
    assert decisions == ["allowed", "allowed"], decisions
    shot(browser, "policy-simulator")


def test_a_session_ends_after_an_idle_hour(browser, tmp_path):
    import urllib.request

    dev = Server(tmp_path / "data", extra_args=["--dev"]).start()
    try:
        iam = dev.client("iam")
        account = dev.client("sts").get_caller_identity()["Account"]
        user_with_password(iam, "idle")
        sign_in(browser, dev, account, "idle", PASSWORD)
        assert by(browser, "#principal-arn").text == f"arn:aws:iam::{account}:user/idle"

        def advance(seconds):
            request = urllib.request.Request(
                f"{dev.endpoint}/_warden/clock?advance={seconds}", method="POST"
            )
            with urllib.request.urlopen(request, timeout=10) as response:
                assert response.status == 200

        advance(3500)
        browser.get(f"{dev.endpoint}/console")
        assert by(browser, "#principal-arn")
        advance(3601)
        browser.get(f"{dev.endpoint}/console/credentials")
        assert browser.current_url.endswith("/console/signin"), browser.current_url
        assert by(browser, "#sign-in-form")
        shot(browser, "signed-out-after-an-idle-hour")
    finally:
        assert dev.stop() == 0, dev.log.read_text()
