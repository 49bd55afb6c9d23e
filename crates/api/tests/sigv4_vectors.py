#!/usr/bin/env python3
"""Signs varied requests with botocore's SigV4Auth and SigV4QueryAuth and writes them, as received
by a server, to crates/api/tests/sigv4/botocore.json for the verifier's tests (sigv4_botocore.rs).

Run from anywhere: python3 crates/api/tests/sigv4_vectors.py  (needs botocore; output is
deterministic for a given botocore version, so a re-run shows a diff only if botocore changed).
"""

import datetime
import hashlib
import json
import pathlib
from unittest import mock
from urllib.parse import urlsplit

import botocore
import botocore.auth
from botocore.auth import SigV4Auth, SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

OUT = pathlib.Path(__file__).resolve().parent / "sigv4" / "botocore.json"

LONG_TERM = Credentials("AKIAWARDENEXAMPLE001", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
SESSION = Credentials(
    "ASIAWARDENEXAMPLE002",
    "je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY",
    "IQoJb3JpZ2luX2VjEXAMPLE+session/token==",
)
FORM = "application/x-www-form-urlencoded; charset=utf-8"
T0 = datetime.datetime(2025, 3, 14, 15, 9, 26)


def epoch(moment):
    return int(moment.replace(tzinfo=datetime.timezone.utc).timestamp())


def sign(
    name,
    method,
    url,
    *,
    service="iam",
    region="us-east-1",
    body=b"",
    headers=(),
    params=None,
    credentials=LONG_TERM,
    expires=None,
    at=T0,
):
    """Signs one request (presigned when `expires` is given) and returns its fixture."""
    request = AWSRequest(method=method, url=url, data=body, params=params or {})
    for header, value in headers:
        request.headers[header] = value  # appends: repeated names stay repeated
    if expires is None:
        signer = SigV4Auth(credentials, service, region)
    else:
        signer = SigV4QueryAuth(credentials, service, region, expires=expires)
    with mock.patch.object(botocore.auth, "get_current_datetime", return_value=at):
        signer.add_auth(request)
    prepared = request.prepare()
    parts = urlsplit(prepared.url)
    wire_headers = [["Host", botocore.auth._host_from_url(prepared.url)]]
    wire_headers += [[k, v] for k, v in request.headers.items()]
    if "Content-Length" in prepared.headers:
        wire_headers.append(["Content-Length", prepared.headers["Content-Length"]])
    wire_body = prepared.body or b""
    if isinstance(wire_body, str):
        wire_body = wire_body.encode("utf-8")
    return {
        "name": name,
        "method": method,
        "path": parts.path or "/",
        "query": parts.query,
        "headers": wire_headers,
        "body": wire_body.decode("utf-8"),
        "access_key_id": credentials.access_key,
        "secret_access_key": credentials.secret_key,
        "security_token": credentials.token,
        "service": service,
        "region": region,
        "presigned_expires": expires,
        "signed_at": epoch(at),
    }


def cases():
    yield sign(
        "iam_post_list_users",
        "POST",
        "https://iam.amazonaws.com/",
        body=b"Action=ListUsers&Version=2010-05-08",
        headers=[("Content-Type", FORM)],
    )
    yield sign(
        "iam_post_create_user_with_tags",
        "POST",
        "https://iam.amazonaws.com/",
        body=(
            "Action=CreateUser&Path=%2Fdivision_abc%2Fsubdivision_xyz%2F&UserName=Bob.O%27Neil%2B1"
            "&Tags.member.1.Key=team+name&Tags.member.1.Value=caf%C3%A9+%E2%98%83"
            "&Version=2010-05-08"
        ).encode(),
        headers=[("Content-Type", FORM)],
    )
    policy = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}'
    yield sign(
        "iam_post_put_user_policy",
        "POST",
        "https://iam.amazonaws.com/",
        body=(
            "Action=PutUserPolicy&PolicyName=all%20of%20s3&UserName=alice&Version=2010-05-08&PolicyDocument="
            + botocore.utils.percent_encode(policy)
        ).encode(),
        headers=[("Content-Type", FORM)],
        at=datetime.datetime(2024, 12, 31, 23, 59, 59),
    )
    yield sign(
        "sts_post_assume_role_with_session_token",
        "POST",
        "https://sts.amazonaws.com/",
        service="sts",
        body=(
            b"Action=AssumeRole&RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Fdemo"
            b"&RoleSessionName=ci-run%40build&DurationSeconds=900&Version=2011-06-15"
        ),
        headers=[("Content-Type", FORM)],
        credentials=SESSION,
    )
    yield sign(
        "sts_post_local_endpoint_with_port",
        "POST",
        "http://127.0.0.1:8910/",
        service="sts",
        region="eu-west-1",
        body=b"Action=GetCallerIdentity&Version=2011-06-15",
        headers=[("Content-Type", FORM), ("User-Agent", "Boto3/1.0 md/Botocore#1.0 ua/2.1")],
    )
    yield sign(
        "iam_get_query_reserved_characters_spaces_unicode",
        "GET",
        "https://iam.amazonaws.com/",
        params=[
            ("Action", "ListUsers"),
            ("Version", "2010-05-08"),
            ("PathPrefix", "/a b/c+d/"),
            ("Marker", "!*'();:@&=+$,/?#[]%~"),
            ("Unicode", "ünïcödé ☃ 𝄞"),
        ],
    )
    yield sign(
        "iam_get_repeated_keys_empty_values_prefix_names",
        "GET",
        "https://iam.amazonaws.com/",
        params=[
            ("Action", "ListUsers"),
            ("Version", "2010-05-08"),
            ("Tag", "b"),
            ("Tag", "a"),
            ("Empty", ""),
            ("a-b", "1"),
            ("a", "2"),
            ("a.b", "3"),
            ("a_b", "4"),
        ],
    )
    yield sign(
        "iam_get_raw_query_in_url",
        "GET",
        "https://iam.amazonaws.com/?Version=2010-05-08&Action=ListUsers&Marker=abc%2Fdef%3D&Flag=",
    )
    yield sign(
        "iam_post_odd_header_spacing_and_repeated_headers",
        "POST",
        "https://iam.amazonaws.com/",
        body=b"Action=GetUser&Version=2010-05-08",
        headers=[
            ("Content-Type", FORM),
            ("X-Amz-Meta-Note", "  two   spaces    here  "),
            ("X-Custom", "first"),
            ("X-Custom", "second   value"),
            ("X-CamelCase-Header", "MiXeD Case"),
            ("x-empty", ""),
        ],
    )
    yield sign(
        "iam_get_path_normalized_and_double_encoded",
        "GET",
        "https://iam.amazonaws.com/a%20b/./c/../d%2Fe//caf%C3%A9~/",
        params={"Action": "ListUsers", "Version": "2010-05-08"},
    )
    yield sign(
        "iam_get_date_header_instead_of_x_amz_date",
        "GET",
        "https://iam.amazonaws.com/",
        params={"Action": "GetUser", "Version": "2010-05-08"},
        headers=[("Date", "placeholder")],
    )
    body = b"Action=ListRoles&Version=2010-05-08"
    yield sign(
        "iam_post_declared_content_sha256",
        "POST",
        "https://iam.amazonaws.com/",
        body=body,
        headers=[("Content-Type", FORM), ("X-Amz-Content-SHA256", hashlib.sha256(body).hexdigest())],
    )
    yield sign(
        "sts_presigned_get_caller_identity_eks_style",
        "GET",
        "https://sts.amazonaws.com/?Action=GetCallerIdentity&Version=2011-06-15",
        service="sts",
        headers=[("x-k8s-aws-id", "my-cluster")],
        expires=60,
    )
    yield sign(
        "iam_presigned_list_users_with_reserved_characters",
        "GET",
        "https://iam.amazonaws.com/",
        params={"Action": "ListUsers", "Version": "2010-05-08", "PathPrefix": "/a b/ü+/"},
        expires=3600,
    )
    yield sign(
        "sts_presigned_with_session_token",
        "GET",
        "https://sts.amazonaws.com/",
        service="sts",
        params={"Action": "GetCallerIdentity", "Version": "2011-06-15"},
        credentials=SESSION,
        expires=900,
    )
    yield sign(
        "iam_presigned_from_post_body",
        "POST",
        "https://iam.amazonaws.com/",
        body={"Action": "GetUser", "UserName": "bob", "Version": "2010-05-08"},
        headers=[("Content-Type", FORM)],
        expires=604800,
        at=datetime.datetime(2025, 1, 1, 0, 0, 0),
    )
    yield sign(
        "sts_presigned_local_endpoint_default_expiry",
        "GET",
        "http://localhost:8910/",
        service="sts",
        params={"Action": "GetCallerIdentity", "Version": "2011-06-15"},
        expires=SigV4QueryAuth.DEFAULT_EXPIRES,
    )


def main():
    fixtures = {
        "generator": f"crates/api/tests/sigv4_vectors.py with botocore {botocore.__version__}",
        "cases": list(cases()),
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(fixtures, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {len(fixtures['cases'])} cases to {OUT}")


if __name__ == "__main__":
    main()
