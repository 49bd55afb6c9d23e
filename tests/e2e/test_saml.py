"""SAML federation end to end: a real identity provider (pysaml2 signing with xmlsec1, see
saml/idp.py) makes the metadata that boto3's CreateSAMLProvider registers and the signed
responses that AssumeRoleWithSAML exchanges, unsigned, for role credentials that then work.

Needs `apt-get install xmlsec1` and `pip install pysaml2` (.ci/run does both)."""

import base64
import importlib.util
import json
import urllib.request
from pathlib import Path

import pytest
from botocore import UNSIGNED
from botocore.config import Config
from botocore.exceptions import ClientError

from conftest import Server

_spec = importlib.util.spec_from_file_location("warden_e2e_saml_idp", Path(__file__).parent / "saml" / "idp.py")
idp_module = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(idp_module)
Idp = idp_module.Idp

ACCOUNT = "210987654321"
PROVIDER = "corp-idp"
PROVIDER_ARN = f"arn:aws:iam::{ACCOUNT}:saml-provider/{PROVIDER}"
ROLE = "saml-engineer"
ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/{ROLE}"


@pytest.fixture(scope="module")
def warden(tmp_path_factory):
    """A server of this module's own: --dev, so that its clock can be moved."""
    s = Server(tmp_path_factory.mktemp("warden-saml") / "data", ["--dev", "--account-id", ACCOUNT]).start()
    yield s
    assert s.stop() == 0, s.log.read_text()


@pytest.fixture(scope="module")
def idp(tmp_path_factory):
    return Idp(tmp_path_factory.mktemp("idp"))


@pytest.fixture(scope="module")
def sts(warden):
    """An STS client that signs nothing, as federation's callers have no AWS credentials."""
    import boto3

    return boto3.client(
        "sts",
        endpoint_url=warden.endpoint,
        region_name="us-east-1",
        config=Config(signature_version=UNSIGNED, retries={"max_attempts": 1}),
    )


@pytest.fixture(scope="module")
def provider(warden, idp):
    iam = warden.client("iam")
    created = iam.create_saml_provider(Name=PROVIDER, SAMLMetadataDocument=idp.metadata())
    assert created["SAMLProviderArn"] == PROVIDER_ARN
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Federated": PROVIDER_ARN},
                "Action": ["sts:AssumeRoleWithSAML", "sts:TagSession", "sts:SetSourceIdentity"],
                "Condition": {
                    "StringEquals": {"SAML:aud": ["https://signin.aws.amazon.com/saml", f"{warden.endpoint}/saml"]}
                },
            }
        ],
    }
    iam.create_role(RoleName=ROLE, AssumeRolePolicyDocument=json.dumps(trust))
    iam.put_role_policy(
        RoleName=ROLE,
        PolicyName="read-users",
        PolicyDocument=json.dumps(
            {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "iam:ListUsers", "Resource": "*"}]}
        ),
    )
    return PROVIDER_ARN


def pair(role=ROLE_ARN, provider=PROVIDER_ARN):
    return f"{role},{provider}"


def assume(sts, assertion, role=ROLE_ARN, **kwargs):
    return sts.assume_role_with_saml(RoleArn=role, PrincipalArn=PROVIDER_ARN, SAMLAssertion=assertion, **kwargs)


def refused(sts, assertion, code, role=ROLE_ARN):
    with pytest.raises(ClientError) as error:
        assume(sts, assertion, role=role)
    assert error.value.response["Error"]["Code"] == code, error.value.response
    return error.value.response["Error"]["Message"]


def test_provider_operations(warden, idp, provider):
    iam = warden.client("iam")
    got = iam.get_saml_provider(SAMLProviderArn=provider)
    assert idp.entity_id in got["SAMLMetadataDocument"]
    assert got["ValidUntil"] > got["CreateDate"]
    listed = iam.list_saml_providers()["SAMLProviderList"]
    assert [p["Arn"] for p in listed] == [provider]
    iam.tag_saml_provider(SAMLProviderArn=provider, Tags=[{"Key": "team", "Value": "identity"}])
    assert iam.list_saml_provider_tags(SAMLProviderArn=provider)["Tags"] == [{"Key": "team", "Value": "identity"}]
    iam.untag_saml_provider(SAMLProviderArn=provider, TagKeys=["team"])
    assert iam.list_saml_provider_tags(SAMLProviderArn=provider)["Tags"] == []
    iam.update_saml_provider(SAMLProviderArn=provider, SAMLMetadataDocument=idp.metadata())
    with pytest.raises(ClientError) as error:
        iam.create_saml_provider(Name="broken", SAMLMetadataDocument="<x/>" * 300)
    assert error.value.response["Error"]["Code"] == "InvalidInput"
    with pytest.raises(ClientError) as error:
        iam.get_saml_provider(SAMLProviderArn=f"arn:aws:iam::{ACCOUNT}:saml-provider/missing")
    assert error.value.response["Error"]["Code"] == "NoSuchEntity"
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRoleWithSAML",
             "Principal": {"Federated": f"arn:aws:iam::{ACCOUNT}:saml-provider/missing"}}]}
    with pytest.raises(ClientError) as error:
        iam.create_role(RoleName="no-such-provider", AssumeRolePolicyDocument=json.dumps(trust))
    assert error.value.response["Error"]["Code"] == "MalformedPolicyDocument"


def test_signed_response_gives_credentials_that_work(warden, idp, sts, provider):
    assertion = idp.response(
        # Provider first in one pair, role first in the other: both orders are AWS's.
        [f"{PROVIDER_ARN},arn:aws:iam::{ACCOUNT}:role/other", pair()],
        attributes={"SourceIdentity": "alice", "PrincipalTag:team": "blue"},
    )
    out = assume(sts, assertion)
    assumed = f"arn:aws:sts::{ACCOUNT}:assumed-role/{ROLE}/alice@example.com"
    assert out["AssumedRoleUser"]["Arn"] == assumed
    assert out["Subject"] == "alice-0001"
    assert out["SubjectType"] == "persistent"
    assert out["Issuer"] == idp.entity_id
    assert out["Audience"] == "https://signin.aws.amazon.com/saml"
    assert out["SourceIdentity"] == "alice"
    qualifier = base64.b64encode(
        __import__("hashlib").sha1(f"{idp.entity_id}{ACCOUNT}/{PROVIDER}".encode()).digest()
    ).decode()
    assert out["NameQualifier"] == qualifier
    credentials = out["Credentials"]
    session = dict(
        key_id=credentials["AccessKeyId"], secret=credentials["SecretAccessKey"], token=credentials["SessionToken"]
    )
    assert warden.client("sts", **session).get_caller_identity()["Arn"] == assumed
    # The role's permissions apply, and only those.
    warden.client("iam", **session).list_users()
    with pytest.raises(ClientError) as error:
        warden.client("iam", **session).create_user(UserName="not-allowed")
    assert error.value.response["Error"]["Code"] == "AccessDenied"


def test_aws_cli_exchanges_a_response_unsigned(warden, idp, provider):
    out = warden.cli(
        "sts", "assume-role-with-saml", "--no-sign-request",
        "--role-arn", ROLE_ARN, "--principal-arn", PROVIDER_ARN,
        "--saml-assertion", idp.response([pair()], session_name="carol"),
    )
    assert out["AssumedRoleUser"]["Arn"] == f"arn:aws:sts::{ACCOUNT}:assumed-role/{ROLE}/carol"
    assert out["Credentials"]["AccessKeyId"].startswith("ASIA")


def test_sha1_and_single_signatures_are_accepted(idp, sts, provider):
    for kwargs in ({"sha1": True}, {"sign_response": False}, {"sign_assertion": False}):
        out = assume(sts, idp.response([pair()], **kwargs))
        assert out["AssumedRoleUser"]["Arn"].endswith("/alice@example.com"), kwargs


def test_this_servers_own_sign_in_url_is_an_accepted_address(warden, idp, sts, provider):
    own = f"{warden.endpoint}/saml"
    out = assume(sts, idp.response([pair()], audience=own, recipient=own))
    assert out["Audience"] == own


def test_tampered_unsigned_and_wrapped_responses_are_refused(idp, sts, provider):
    good = base64.b64decode(idp.response([pair()], session_name="bob")).decode()
    tampered = good.replace(">bob<", ">bib<")
    assert tampered != good
    message = refused(sts, base64.b64encode(tampered.encode()).decode(), "InvalidIdentityToken")
    assert message == "Response signature invalid"
    refused(sts, idp.response([pair()], sign_response=False, sign_assertion=False), "InvalidIdentityToken")
    # Signature wrapping: the signed assertion stays, a forged unsigned one is put before it.
    signed = base64.b64decode(idp.response([pair()], session_name="bob", sign_response=False)).decode()
    start = signed.index("<ns1:Assertion")
    end = signed.index("</ns1:Assertion>") + len("</ns1:Assertion>")
    forged = signed[start:end].replace('ID="', 'ID="forged-').replace(">bob<", ">mallory<")
    forged = forged[: forged.index("<ns2:Signature")] + forged[forged.index("</ns2:Signature>") + 16 :]
    wrapped = signed[:start] + forged + signed[start:]
    refused(sts, base64.b64encode(wrapped.encode()).decode(), "InvalidIdentityToken")


def test_wrong_audience_recipient_certificate_or_role_is_refused(warden, idp, sts, provider, tmp_path):
    message = refused(sts, idp.response([pair()], audience="https://other.example/sp"), "InvalidIdentityToken")
    assert message == "Response does not contain the required audience"
    refused(sts, idp.response([pair()], recipient="https://other.example/acs"), "InvalidIdentityToken")
    impostor = Idp(tmp_path / "impostor", entity_id=idp.entity_id)
    message = refused(sts, impostor.response([pair()]), "InvalidIdentityToken")
    assert message == "Response signature invalid"
    other_role = f"arn:aws:iam::{ACCOUNT}:role/not-in-the-response"
    refused(sts, idp.response([pair()]), "AccessDenied", role=other_role)
    refused(sts, idp.response([pair()], session_name=None), "InvalidIdentityToken")
    refused(sts, idp.response([pair()], session_name="has space"), "InvalidIdentityToken")


def test_a_response_is_exchanged_once(idp, sts, provider):
    assertion = idp.response([pair()], session_name="dave")
    assert assume(sts, assertion)["AssumedRoleUser"]["Arn"].endswith("/dave")
    # The same response again, as someone who intercepted it would send it: refused.
    assert refused(sts, assertion, "InvalidIdentityToken") == "Invalid SAML response"
    # The identity provider's next response is another sign-in.
    assert assume(sts, idp.response([pair()], session_name="dave"))["Subject"] == "alice-0001"


def test_expired_and_not_yet_valid_responses_are_refused(warden, idp, sts, provider):
    assertion = idp.response([pair()])

    def advance(seconds):
        request = urllib.request.Request(f"{warden.endpoint}/_warden/clock?advance={seconds}", method="POST")
        with urllib.request.urlopen(request, timeout=5) as response:
            assert response.status == 200

    try:
        advance(3600)
        message = refused(sts, assertion, "ExpiredTokenException")
        assert "expired" in message
        advance(-7200)
        message = refused(sts, assertion, "InvalidIdentityToken")
        assert "not yet valid" in message
    finally:
        advance(3600)
    assert assume(sts, assertion)["Subject"] == "alice-0001"


def test_anonymous_text_cannot_forge_log_lines(warden, idp, sts, provider):
    """An unsigned caller's text (here the response's unsigned StatusCode) reaches the log
    escaped: it cannot end the line and write one of its own."""
    forged = "2026-01-01T00:00:00.000000Z  INFO warden: root signed in from the console"
    good = base64.b64decode(idp.response([pair()])).decode()
    status = good.index('Value="urn:oasis:names:tc:SAML:2.0:status:Success"')
    tampered = good[:status] + f'Value="nope&#10;{forged}&#13;&#10;"' + good[status + len('Value="urn:oasis:names:tc:SAML:2.0:status:Success"'):]
    refused(sts, base64.b64encode(tampered.encode()).decode(), "IDPRejectedClaim")
    log = warden.log.read_text()
    assert forged in log  # the text was logged …
    assert not any(line.startswith(forged) for line in log.splitlines())  # … but not as a line
