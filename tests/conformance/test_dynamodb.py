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
