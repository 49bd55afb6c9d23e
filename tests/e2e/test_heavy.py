"""Heavy operations (the policy simulator) through boto3: their bounds answer AWS's errors, one
caller running many of them at once is throttled, and other callers and /healthz keep being
served meanwhile."""

import json
import multiprocessing
import threading
import time
import urllib.request

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

# A policy of 1,666 statements that all apply to every S3 action (about 115 KiB): 4,998 policy
# tests for one action on one resource, so a page holds 10 of the simulation's actions.
STATEMENT = {"Effect": "Allow", "Action": "s3:*", "Resource": "arn:aws:s3:::bucket*"}
WIDE_POLICY = json.dumps({"Version": "2012-10-17", "Statement": [STATEMENT] * 1666}, separators=(",", ":"))
# 10,000 actions on one resource: as many evaluations as one simulation may ask for.
ACTIONS = [f"s3:Action{i}" for i in range(10_000)]
MAXIMAL = {
    "PolicyInputList": [WIDE_POLICY],
    "ActionNames": ACTIONS,
    "ResourceArns": ["arn:aws:s3:::bucket1"],
    "MaxItems": 1000,
}
SIMULATE = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "iam:SimulateCustomPolicy", "Resource": "*"}]})
READ_SELF = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "iam:GetUser", "Resource": "*"}]})
# Liveness bound for the probes below. It is not a speed measure (tools/bench-heavy measures
# latency): before heavy operations left the async workers, /healthz waited for whole
# simulations, tens of seconds; a probe that answers within this bound was not made to wait.
LIVENESS_S = 2.0


def iam_client(endpoint, key, read_timeout=120):
    return boto3.client(
        "iam",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id=key["AccessKeyId"],
        aws_secret_access_key=key["SecretAccessKey"],
        config=Config(retries={"max_attempts": 1}, read_timeout=read_timeout, connect_timeout=10),
    )


def error_of(call):
    with pytest.raises(ClientError) as error:
        call()
    return error.value.response


def test_a_maximal_simulation_answers_its_first_page(make_user, name):
    caller, _ = make_user(name, SIMULATE)
    page = caller.simulate_custom_policy(**MAXIMAL)
    assert page["IsTruncated"] is True and page["Marker"] == "10"
    results = page["EvaluationResults"]
    assert [r["EvalActionName"] for r in results] == ACTIONS[:10]
    assert all(r["EvalDecision"] == "allowed" and len(r["MatchedStatements"]) == 1666 for r in results)
    last = caller.simulate_custom_policy(**MAXIMAL, Marker="9990")
    assert last["IsTruncated"] is False and "Marker" not in last
    assert [r["EvalActionName"] for r in last["EvaluationResults"]] == ACTIONS[9990:]


def test_simulations_beyond_the_bounds_answer_aws_errors(iam):
    response = error_of(lambda: iam.simulate_custom_policy(**{**MAXIMAL, "ActionNames": ACTIONS + ["s3:OneMore"]}))
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert response["Error"]["Code"] == "ValidationError"
    assert response["Error"]["Message"] == (
        "1 validation error detected: Value at 'actionNames' failed to satisfy constraint: "
        "Member must have length less than or equal to 10000"
    )
    response = error_of(lambda: iam.simulate_custom_policy(**{**MAXIMAL, "ActionNames": ACTIONS[:2], "ResourceArns": [f"arn:aws:s3:::bucket{i}" for i in range(11)]}))
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 409
    assert response["Error"]["Code"] == "LimitExceeded"
    assert response["Error"]["Message"] == "Cannot exceed quota for TestsPerSimulatedAction: 50000"


def test_one_caller_is_throttled_beyond_its_concurrent_heavy_operations(server, make_user, name):
    _, key = make_user(name, SIMULATE)
    clients = [iam_client(server.endpoint, key) for _ in range(4)]
    throttles, answers = [], []

    def simulate(iam, start):
        start.wait()
        try:
            answers.append(iam.simulate_custom_policy(**MAXIMAL))
        except ClientError as error:
            throttles.append(error.response)

    # Four at once from one caller: one runs, the others overlap it and are refused. A round
    # whose requests did not overlap (a very slow client) proves nothing, so try again.
    for _ in range(5):
        start = threading.Barrier(len(clients))
        threads = [threading.Thread(target=simulate, args=(iam, start)) for iam in clients]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=300)
        if throttles:
            break
    assert answers, "every simulation was refused"
    assert throttles, "no simulation of the same caller was throttled"
    for response in throttles:
        assert response["ResponseMetadata"]["HTTPStatusCode"] == 400
        assert response["Error"] == {"Type": "Sender", "Code": "Throttling", "Message": "Rate exceeded"}


def keep_simulating(endpoint, key, stop, outcomes):
    """Runs maximal simulations as one caller until `stop`; then reports what came back."""
    iam = iam_client(endpoint, key)
    seen = {}
    while not stop.is_set():
        try:
            iam.simulate_custom_policy(**MAXIMAL)
            outcome = "answered"
        except ClientError as error:
            code = error.response["Error"]["Code"]
            outcome = "throttled" if code == "Throttling" else f"error {code}"
        except Exception as error:
            outcome = f"failed {error!r}"
        seen[outcome] = seen.get(outcome, 0) + 1
        if outcome == "throttled":
            time.sleep(0.01)
    outcomes.put(seen)


def test_heavy_simulations_of_one_caller_do_not_stall_others(server, make_user, name):
    _, heavy_key = make_user(name + "h", SIMULATE)
    other, _ = make_user(name + "o", READ_SELF)
    # The simulating caller runs in processes of its own, so that parsing its large answers
    # does not hold back the probes of this process.
    processes = multiprocessing.get_context("fork")
    stop, outcomes = processes.Event(), processes.Queue()
    heavy = [processes.Process(target=keep_simulating, args=(server.endpoint, heavy_key, stop, outcomes)) for _ in range(4)]
    for process in heavy:
        process.start()
    health, get_user = [], []
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            started = time.monotonic()
            with urllib.request.urlopen(f"{server.endpoint}/healthz", timeout=60) as response:
                assert response.status == 200
            health.append(time.monotonic() - started)
            started = time.monotonic()
            assert other.get_user()["User"]["UserName"] == name + "o"
            get_user.append(time.monotonic() - started)
            time.sleep(0.05)
    finally:
        stop.set()
        seen = {}
        for _ in heavy:
            for outcome, count in outcomes.get(timeout=300).items():
                seen[outcome] = seen.get(outcome, 0) + count
        for process in heavy:
            process.join(timeout=60)
    assert "answered" in seen, f"no heavy simulation was answered meanwhile: {seen}"
    assert set(seen) <= {"answered", "throttled"}, seen
    assert max(health) < LIVENESS_S, f"/healthz took {max(health):.2f} s"
    assert max(get_user) < LIVENESS_S, f"another caller's GetUser took {max(get_user):.2f} s"
