"""The template's DynamoDB tables on a real DynamoDB-compatible server (moto's, from PyPI):
`gatehouse up --dynamodb-endpoint` creates them with their keys and indexes, lists them in the
summary, and a function behind the gateway writes and reads items through them with boto3, as
it would on AWS."""

import json

import pytest

from conftest import ROOT, Stack

STACK = ROOT / "tests" / "conformance" / "stacks" / "dynamodb" / "template.yaml"


@pytest.fixture(scope="module")
def db(tmp_path_factory, moto):
    s = Stack(tmp_path_factory.mktemp("dynamodb"), template=STACK,
              extra_args=["--dynamodb-endpoint", moto.url]).start()
    yield s
    s.stop()


def test_the_tables_are_created_with_their_keys_and_indexes(db, moto):
    c = moto.dynamodb()
    names = c.list_tables()["TableNames"]
    orders = next(n for n in names if "-Orders-" in n)
    notes = next(n for n in names if "-Notes-" in n)
    t = c.describe_table(TableName=orders)["Table"]
    assert {(k["AttributeName"], k["KeyType"]) for k in t["KeySchema"]} == {("customer", "HASH"), ("order", "RANGE")}
    assert [i["IndexName"] for i in t["GlobalSecondaryIndexes"]] == ["byStatus"]
    assert t["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    assert c.describe_table(TableName=notes)["Table"]["KeySchema"] == [{"AttributeName": "id", "KeyType": "HASH"}]
    summary = "\n".join(db.summary)
    assert f"DynamoDB tables on {moto.url}:" in summary
    assert orders in summary and notes in summary
    assert "not emulated" not in summary, "the tables are served, and nothing else is unserved"


def test_a_function_writes_and_reads_items_through_the_endpoint(db, moto):
    for order, status in (("o-1", "new"), ("o-2", "shipped")):
        code, _, body = db.http("PUT", f"/Prod/orders/ann/{order}", {"Content-Type": "application/json"},
                                json.dumps({"status": status, "total": 12}).encode())
        assert code == 201, body
    code, _, body = db.http("GET", "/Prod/orders/ann")
    assert (code, json.loads(body)) == (200, {"orders": ["o-1", "o-2"], "shipped": ["o-2"]})

    assert db.http("PUT", "/Prod/notes/n1", {}, b"remember the milk")[0] == 201
    code, _, body = db.http("GET", "/Prod/notes/n1")
    assert (code, json.loads(body)) == (200, {"id": "n1", "text": "remember the milk"})
    assert db.http("GET", "/Prod/notes/nope")[0] == 404

    # What the function wrote is in moto's table, not somewhere else.
    c = moto.dynamodb()
    orders = next(n for n in c.list_tables()["TableNames"] if "-Orders-" in n)
    item = c.get_item(TableName=orders, Key={"customer": {"S": "ann"}, "order": {"S": "o-2"}})["Item"]
    assert item["status"] == {"S": "shipped"}


def test_a_second_start_keeps_the_tables_and_their_items(db, moto, tmp_path):
    s = Stack(tmp_path, template=STACK, extra_args=["--dynamodb-endpoint", moto.url]).start()
    try:
        assert any(line.strip().endswith("existed") for line in s.summary), s.summary
        code, _, body = s.http("GET", "/Prod/notes/n1")
        assert (code, json.loads(body)["text"]) == (200, "remember the milk")
    finally:
        s.stop()


def test_an_endpoint_that_does_not_answer_stops_the_start_with_the_flag_named(tmp_path):
    from conftest import free_port
    s = Stack(tmp_path, template=STACK, extra_args=["--dynamodb-endpoint", f"http://127.0.0.1:{free_port()}"])
    with pytest.raises(AssertionError, match=r"--dynamodb-endpoint http://127\.0\.0\.1:\d+.*cannot reach it"):
        s.start()


# --- the engine gatehouse starts itself (no --dynamodb-endpoint) -------------------------------

def engine_of(stack):
    """(URL, region) of the stack's DynamoDB server, from the state it leaves for other commands."""
    e = json.loads((stack.state_dir / "endpoints.json").read_text())["dynamodb"]
    return e["url"], e["region"]


def engine_client(stack):
    import boto3
    url, region = engine_of(stack)
    return boto3.client("dynamodb", endpoint_url=url, region_name=region,
                        aws_access_key_id="local", aws_secret_access_key="local")


def gatehouse(*args):
    import subprocess
    from conftest import BIN
    return subprocess.run([str(BIN), *args], capture_output=True, text=True, timeout=60)


def test_with_no_flag_gatehouse_starts_an_engine_and_keeps_the_items_across_restarts(tmp_path):
    s = Stack(tmp_path, template=STACK).start()
    try:
        line = next(l for l in s.summary if l.startswith("  DynamoDB tables on"))
        assert "started by gatehouse" in line and "127.0.0.1" in line, line
        assert "not emulated" not in "\n".join(s.summary)
        assert s.http("PUT", "/Prod/notes/n1", {}, b"kept across restarts")[0] == 201
        code, _, body = s.http("PUT", "/Prod/orders/ann/o-1", {"Content-Type": "application/json"},
                               json.dumps({"status": "shipped"}).encode())
        assert code == 201, body
        # The engine is a child of gatehouse, on loopback, with its log private in the state dir.
        log = tmp_path / "dynamodb" / "engine.log"
        assert log.exists() and (log.stat().st_mode & 0o777) == 0o600
        # `gatehouse tables` counts the items; `tables scan` prints them as plain JSON.
        out = gatehouse("tables", "--state-dir", str(tmp_path))
        assert out.returncode == 0, out.stderr
        rows = {l.split()[0]: l.split()[-1] for l in out.stdout.splitlines()[1:]}
        assert rows == {"Orders": "1", "Notes": "1"}, out.stdout
        out = gatehouse("tables", "scan", "Notes", "--state-dir", str(tmp_path))
        assert out.returncode == 0, out.stderr
        assert [json.loads(l) for l in out.stdout.splitlines()] == [{"id": "n1", "text": "kept across restarts"}]
        url, _ = engine_of(s)
    finally:
        s.stop()
    assert (tmp_path / "dynamodb" / "items.json").stat().st_mode & 0o777 == 0o600
    # The engine stopped with gatehouse.
    import socket
    host, port = url.rsplit("/", 1)[-1].split(":")
    with pytest.raises(OSError):
        socket.create_connection((host, int(port)), timeout=1).close()

    s = Stack(tmp_path, template=STACK).start()
    try:
        code, _, body = s.http("GET", "/Prod/notes/n1")
        assert (code, json.loads(body)) == (200, {"id": "n1", "text": "kept across restarts"})
        code, _, body = s.http("GET", "/Prod/orders/ann")
        assert (code, json.loads(body)) == (200, {"orders": ["o-1"], "shipped": ["o-1"]})
    finally:
        s.stop()


def test_the_engine_answers_as_dynamodb_does(tmp_path):
    """A transaction and a validation error, straight to the engine the functions use."""
    import botocore.exceptions
    s = Stack(tmp_path, template=STACK).start()
    try:
        c = engine_client(s)
        notes = next(n for n in c.list_tables()["TableNames"] if "-Notes-" in n)
        c.put_item(TableName=notes, Item={"id": {"S": "a"}})
        with pytest.raises(botocore.exceptions.ClientError) as e:
            c.transact_write_items(TransactItems=[
                {"Put": {"TableName": notes, "Item": {"id": {"S": "b"}}}},
                {"Put": {"TableName": notes, "Item": {"id": {"S": "a"}}, "ConditionExpression": "attribute_not_exists(id)"}},
            ])
        assert e.value.response["Error"]["Code"] == "TransactionCanceledException"
        assert "Item" not in c.get_item(TableName=notes, Key={"id": {"S": "b"}})
        with pytest.raises(botocore.exceptions.ClientError) as e:
            c.put_item(TableName=notes, Item={"text": {"S": "no key"}})
        assert e.value.response["Error"] == {
            "Code": "ValidationException",
            "Message": "One or more parameter values were invalid: Missing the key id in the item"}
    finally:
        s.stop()


def test_no_dynamodb_lists_the_tables_as_not_emulated(tmp_path):
    s = Stack(tmp_path, template=STACK, extra_args=["--no-dynamodb"]).start()
    try:
        summary = "\n".join(s.summary)
        assert "DynamoDB tables on" not in summary
        assert "not emulated" in summary and "AWS::DynamoDB::Table" in summary
        assert "--endpoint dynamodb=URL" in summary
        out = gatehouse("tables", "--state-dir", str(tmp_path))
        assert out.returncode != 0 and "serves no DynamoDB tables" in out.stderr
    finally:
        s.stop()


def test_the_engine_dies_with_a_killed_gatehouse(tmp_path):
    import signal
    import socket
    import time
    s = Stack(tmp_path, template=STACK).start()
    host, port = engine_of(s)[0].rsplit("/", 1)[-1].split(":")
    socket.create_connection((host, int(port)), timeout=1).close()
    s.proc.send_signal(signal.SIGKILL)
    s.proc.wait(timeout=10)
    deadline = time.time() + 10
    while True:
        try:
            socket.create_connection((host, int(port)), timeout=1).close()
        except OSError:
            break
        assert time.time() < deadline, "the engine outlived a SIGKILLed gatehouse"
        time.sleep(0.1)
