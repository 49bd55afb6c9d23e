#!/usr/bin/env python3
"""botocore's side of warden-api's wire tests (run by tests/wire.rs).

    botocore_check.py version     prints the installed botocore's version
    botocore_check.py serialize   stdin: [{"service", "operation", "params"}]
                                  stdout: [[[name, value], ...]] - the form parameters
                                  botocore's QuerySerializer sends for each call
    botocore_check.py parse       stdin: [{"service", "operation", "status", "xml"}]
                                  stdout: [parsed] - what botocore's QueryParser (plus the
                                  json_decode_policies handler boto3 runs for IAM) makes of
                                  each response; datetimes as ISO 8601 'Z', bytes as base64.
                                  A policy document not percent-encoded as AWS does it
                                  (RFC 3986) is reported under "PolicyDocumentEncodingErrors"

Exit status 3 (with a message) when botocore is not installed.
"""

import base64
import datetime
import json
import sys
import urllib.parse

try:
    import botocore.handlers
    import botocore.loaders
    import botocore.model
    import botocore.parsers
    import botocore.serialize
except ImportError:
    print("python3 with botocore is needed for these tests (pip install botocore)", file=sys.stderr)
    sys.exit(3)

LOADER = botocore.loaders.Loader()
MODELS = {}


def service_model(name):
    if name not in MODELS:
        MODELS[name] = botocore.model.ServiceModel(LOADER.load_service_model(name, "service-2"), name)
    return MODELS[name]


def serialize(case):
    operation = service_model(case["service"]).operation_model(case["operation"])
    request = botocore.serialize.create_serializer("query", include_validation=False).serialize_to_request(case["params"], operation)
    return [[name, str(value)] for name, value in request["body"].items()]


def parse(case):
    operation = service_model(case["service"]).operation_model(case["operation"])
    response = {"body": case["xml"].encode("utf-8"), "headers": {}, "status_code": case["status"]}
    parsed = botocore.parsers.create_parser("query").parse(response, operation.output_shape)
    if case["service"] == "iam" and case["status"] == 200:
        problems = list(badly_encoded_policies(parsed, operation.output_shape))
        botocore.handlers.json_decode_policies(parsed, operation)
        if problems:
            parsed["PolicyDocumentEncodingErrors"] = problems
    parsed.get("ResponseMetadata", {}).pop("HTTPStatusCode", None)
    parsed.get("ResponseMetadata", {}).pop("HTTPHeaders", None)
    return plain(parsed)


def badly_encoded_policies(parsed, shape):
    """Yields the policy documents (shape policyDocumentType, wherever they sit) that are not
    exactly the RFC 3986 percent-encoding of their text."""
    if shape is None:
        return
    if shape.type_name == "structure" and isinstance(parsed, dict):
        for name, member in shape.members.items():
            if name not in parsed:
                continue
            if member.type_name == "string" and member.name == "policyDocumentType":
                raw = parsed[name]
                if raw != urllib.parse.quote(urllib.parse.unquote(raw), safe=""):
                    yield raw
            else:
                yield from badly_encoded_policies(parsed[name], member)
    elif shape.type_name == "list" and isinstance(parsed, list):
        for item in parsed:
            yield from badly_encoded_policies(item, shape.member)


def plain(value):
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [plain(item) for item in value]
    if isinstance(value, datetime.datetime):
        return value.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    return value


def main(argv):
    mode = argv[1] if len(argv) == 2 else None
    if mode == "version":
        print(botocore.__version__)
        return 0
    if mode not in ("serialize", "parse"):
        print(__doc__, file=sys.stderr)
        return 2
    cases = json.load(sys.stdin)
    handle = serialize if mode == "serialize" else parse
    json.dump([handle(case) for case in cases], sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
