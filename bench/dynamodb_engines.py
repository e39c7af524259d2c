"""The DynamoDB-compatible engines gatehouse could start by itself, measured on the same cases:
dynalite (npm) and moto's server (PyPI). Each case is what DynamoDB answers, from its API
reference; an engine passes it when it answers the same (status, __type, the message where the
reference gives one). Then the engine's start-up time (process start to its first answered
ListTables) and 1,000 sequential PutItems with boto3.

    python bench/dynamodb_engines.py --dynalite <folder with node_modules/dynalite> --moto <moto_server>

Prints one table; the README's figures come from it."""

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time

import boto3
import botocore.config
import botocore.exceptions


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def client(url):
    return boto3.client("dynamodb", endpoint_url=url, region_name="us-east-1", aws_access_key_id="local",
                        aws_secret_access_key="local",
                        config=botocore.config.Config(retries={"max_attempts": 1}))


def start(cmd, port):
    """The engine's process, and the seconds from its start to its first answered ListTables."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    c = client(f"http://127.0.0.1:{port}")
    while True:
        try:
            c.list_tables()
            return proc, time.perf_counter() - t0
        except Exception:
            if proc.poll() is not None:
                raise SystemExit(f"{cmd[0]} exited")
            if time.perf_counter() - t0 > 30:
                raise SystemExit(f"{cmd[0]} did not answer within 30 s")
            time.sleep(0.01)


def error(call):
    try:
        call()
    except botocore.exceptions.ClientError as e:
        return e.response["Error"]["Code"], e.response["Error"].get("Message", "")
    return None, None


def wait_active(c, name):
    for _ in range(200):
        if c.describe_table(TableName=name)["Table"]["TableStatus"] == "ACTIVE":
            return
        time.sleep(0.05)


def cases(c):
    """(name, passed, what it answered) for each case."""
    out = []
    c.create_table(
        TableName="orders", BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": a, "AttributeType": "S"} for a in ("pk", "sk", "status")],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        GlobalSecondaryIndexes=[{"IndexName": "byStatus", "KeySchema": [{"AttributeName": "status", "KeyType": "HASH"}],
                                 "Projection": {"ProjectionType": "ALL"}}],
        LocalSecondaryIndexes=[{"IndexName": "byStatusLocal", "KeySchema": [
            {"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "status", "KeyType": "RANGE"}],
            "Projection": {"ProjectionType": "KEYS_ONLY"}}],
    )
    wait_active(c, "orders")

    # Conditional writes: the second put of the same key with attribute_not_exists fails.
    item = {"pk": {"S": "ann"}, "sk": {"S": "o1"}, "status": {"S": "new"}, "n": {"N": "1"}}
    c.put_item(TableName="orders", Item=item, ConditionExpression="attribute_not_exists(pk)")
    code, _ = error(lambda: c.put_item(TableName="orders", Item=item, ConditionExpression="attribute_not_exists(pk)"))
    out.append(("conditional write refused", code == "ConditionalCheckFailedException", code))

    # Transactions: two puts and a failing condition cancel together, with reasons.
    def transact():
        return c.transact_write_items(TransactItems=[
            {"Put": {"TableName": "orders", "Item": {"pk": {"S": "bob"}, "sk": {"S": "o1"}, "status": {"S": "new"}}}},
            {"Put": {"TableName": "orders", "Item": item, "ConditionExpression": "attribute_not_exists(pk)"}},
        ])
    code, msg = error(transact)
    bob = c.get_item(TableName="orders", Key={"pk": {"S": "bob"}, "sk": {"S": "o1"}}).get("Item")
    out.append(("transaction cancelled as a whole", code == "TransactionCanceledException" and bob is None,
                f"{code}: {msg[:60]}"))
    code, _ = error(lambda: c.transact_write_items(TransactItems=[
        {"Put": {"TableName": "orders", "Item": {"pk": {"S": "bob"}, "sk": {"S": "o2"}, "status": {"S": "paid"}}}}]))
    got = error(lambda: c.transact_get_items(TransactItems=[
        {"Get": {"TableName": "orders", "Key": {"pk": {"S": "bob"}, "sk": {"S": "o2"}}}}]))
    out.append(("transaction written, read back", code is None and got == (None, None), code or got[0]))

    # A GSI query.
    for i in range(5):
        c.put_item(TableName="orders", Item={"pk": {"S": "cat"}, "sk": {"S": f"o{i}"}, "status": {"S": "shipped" if i % 2 else "new"}})
    shipped = c.query(TableName="orders", IndexName="byStatus", KeyConditionExpression="#s = :s",
                      ExpressionAttributeNames={"#s": "status"}, ExpressionAttributeValues={":s": {"S": "shipped"}})
    out.append(("GSI query", shipped["Count"] == 2, shipped["Count"]))

    # Pagination: Limit pages with LastEvaluatedKey.
    keys, start_key, pages = [], None, 0
    while True:
        kw = {"ExclusiveStartKey": start_key} if start_key else {}
        page = c.query(TableName="orders", KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": {"S": "cat"}},
                       Limit=2, **kw)
        pages += 1
        keys += [i["sk"]["S"] for i in page["Items"]]
        start_key = page.get("LastEvaluatedKey")
        if not start_key or pages > 10:
            break
    out.append(("pagination", keys == [f"o{i}" for i in range(5)] and pages == 3, f"{pages} pages"))

    # UpdateExpression forms.
    key = {"pk": {"S": "ann"}, "sk": {"S": "o1"}}
    new = c.update_item(
        TableName="orders", Key=key, ReturnValues="ALL_NEW",
        UpdateExpression="SET n = n + :one, tags = list_append(if_not_exists(tags, :empty), :t), note = :note "
                         "ADD seen :s REMOVE #st",
        ExpressionAttributeNames={"#st": "status"},
        ExpressionAttributeValues={":one": {"N": "1"}, ":empty": {"L": []}, ":t": {"L": [{"S": "x"}]},
                                   ":note": {"S": "hi"}, ":s": {"SS": ["a", "b"]}})["Attributes"]
    c.update_item(TableName="orders", Key=key, UpdateExpression="DELETE seen :a", ExpressionAttributeValues={":a": {"SS": ["a"]}})
    after = c.get_item(TableName="orders", Key=key)["Item"]
    ok = (new["n"] == {"N": "2"} and new["tags"] == {"L": [{"S": "x"}]} and "status" not in new
          and after["seen"] == {"SS": ["b"]})
    out.append(("UpdateExpression SET/ADD/REMOVE/DELETE", ok, {k: v for k, v in new.items() if k in ("n", "tags")}))

    # Validation errors, with DynamoDB's messages.
    code, msg = error(lambda: c.put_item(TableName="orders", Item={"pk": {"S": "x"}}))
    out.append(("missing key attribute", code == "ValidationException"
                and msg == "One or more parameter values were invalid: Missing the key sk in the item", f"{code}: {msg[:70]}"))
    code, msg = error(lambda: c.put_item(TableName="orders", Item={"pk": {"S": "x"}, "sk": {"N": "1"}}))
    out.append(("key of the wrong type", code == "ValidationException"
                and msg.startswith("One or more parameter values were invalid: Type mismatch for key sk"), f"{code}: {msg[:70]}"))
    code, msg = error(lambda: c.put_item(TableName="orders", Item={"pk": {"S": "x"}, "sk": {"S": "y"}, "big": {"S": "a" * 410_000}}))
    out.append(("item over 400 KB", code == "ValidationException" and "size" in msg.lower(), f"{code}: {msg[:70]}"))
    code, msg = error(lambda: c.get_item(TableName="nope", Key=key))
    out.append(("unknown table", code == "ResourceNotFoundException", f"{code}: {msg[:70]}"))

    # TTL.
    code, _ = error(lambda: c.update_time_to_live(TableName="orders", TimeToLiveSpecification={"Enabled": True, "AttributeName": "ttl"}))
    ttl = c.describe_time_to_live(TableName="orders")["TimeToLiveDescription"].get("TimeToLiveStatus")
    out.append(("TTL enabled", code is None and ttl in ("ENABLED", "ENABLING"), code or ttl))
    return out


def throughput(c, n=1000):
    c.create_table(TableName="bulk", BillingMode="PAY_PER_REQUEST",
                   AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
                   KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}])
    wait_active(c, "bulk")
    t0 = time.perf_counter()
    for i in range(n):
        c.put_item(TableName="bulk", Item={"id": {"S": f"item-{i}"}, "v": {"N": str(i)}})
    return n / (time.perf_counter() - t0)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dynalite", help="a folder with node_modules/dynalite")
    ap.add_argument("--moto", help="the moto_server program")
    args = ap.parse_args()
    engines = []
    if args.dynalite:
        engines.append(("dynalite", lambda port, d: ["node", os.path.join(args.dynalite, "node_modules", "dynalite", "cli.js"),
                                                     "--host", "127.0.0.1", "--port", str(port), "--path", d,
                                                     "--createTableMs", "0", "--deleteTableMs", "0", "--updateTableMs", "0"]))
    if args.moto:
        engines.append(("moto", lambda port, d: [args.moto, "-H", "127.0.0.1", "-p", str(port)]))
    results = {}
    for name, cmd in engines:
        with tempfile.TemporaryDirectory() as d:
            port = free_port()
            proc, started = start(cmd(port, d), port)
            try:
                c = client(f"http://127.0.0.1:{port}")
                results[name] = (started, cases(c), throughput(c))
            finally:
                proc.terminate()
                proc.wait(timeout=10)
    names = [n for n, _ in engines]
    print(f"{'case':<42}" + "".join(f"{n:<12}" for n in names))
    first = results[names[0]][1]
    for i, (case, _, _) in enumerate(first):
        print(f"{case:<42}" + "".join(f"{'pass' if results[n][1][i][1] else 'FAIL':<12}" for n in names))
    print(f"{'passed':<42}" + "".join(f"{sum(r[1] for r in results[n][1])}/{len(first)}{'':<8}" for n in names))
    print(f"{'start-up to first ListTables (ms)':<42}" + "".join(f"{results[n][0] * 1000:<12.0f}" for n in names))
    print(f"{'1,000 PutItems, boto3, sequential (/s)':<42}" + "".join(f"{results[n][2]:<12.0f}" for n in names))
    for n in names:
        for case, ok, said in results[n][1]:
            if not ok:
                print(f"  {n}: {case}: {said}", file=sys.stderr)


if __name__ == "__main__":
    main()
