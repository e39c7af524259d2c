"""`--endpoint SERVICE=URL`: a service gatehouse does not serve (here SQS, on moto's server from
PyPI) is reached by a function's own boto3 client through AWS_ENDPOINT_URL_<SERVICE>, and the
start-up summary says where each not-emulated resource's service calls go."""

import json

import boto3
import pytest

from conftest import ROOT, Stack

STACK = ROOT / "tests" / "conformance" / "stacks" / "endpoints" / "template.yaml"


@pytest.fixture(scope="module")
def jobs(tmp_path_factory, moto):
    s = Stack(tmp_path_factory.mktemp("endpoints"), template=STACK,
              extra_args=["--endpoint", f"sqs={moto.url}"]).start()
    yield s
    s.stop()


def test_a_function_sends_and_receives_through_the_endpoint(jobs, moto):
    code, _, body = jobs.http("POST", "/Prod/jobs", {"Content-Type": "text/plain"}, b"resize photo 7")
    assert code == 202, body
    assert json.loads(body)["endpoint"] == moto.url

    # The message is on moto's queue: read it there, not through the function.
    sqs = boto3.client("sqs", endpoint_url=moto.url, region_name="us-east-1",
                       aws_access_key_id="test", aws_secret_access_key="test")
    names = [u.rsplit("/", 1)[-1] for u in sqs.list_queues().get("QueueUrls", [])]
    assert any(n.endswith("-jobs") for n in names), names
    code, _, body = jobs.http("GET", "/Prod/jobs")
    assert (code, json.loads(body)) == (200, {"messages": ["resize photo 7"]})


def test_the_summary_says_where_each_service_is(jobs, moto, tmp_path):
    summary = "\n".join(jobs.summary)
    assert "other services (AWS_ENDPOINT_URL_<SERVICE> in functions):" in summary
    line = next(l for l in jobs.summary if l.strip().startswith("SQS "))
    assert moto.url in line and "[Jobs]" in line, line

    # Without the flag the same line says the calls have nowhere local to go, and how to fix it.
    s = Stack(tmp_path, template=STACK).start()
    try:
        line = next(l for l in s.summary if l.strip().startswith("SQS "))
        assert "no endpoint" in line and "--endpoint sqs=URL" in line, line
    finally:
        s.stop()


@pytest.mark.parametrize("flag,says", [
    ("sqs", "--endpoint takes SERVICE=URL"),
    ("sqs=localhost:4566", "is not an http:// or https:// URL"),
    ("sts=http://127.0.0.1:1", "gatehouse serves STS"),
])
def test_a_malformed_endpoint_stops_the_start_and_says_why(tmp_path, flag, says):
    s = Stack(tmp_path, template=STACK, extra_args=["--endpoint", flag])
    with pytest.raises(AssertionError, match=says):
        s.start()
