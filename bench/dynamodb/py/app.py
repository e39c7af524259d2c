"""GET /ddb/item: one GetItem (the item is written on the first call); GET /ddb/ping: no call."""

import json
import os

import boto3

table = boto3.resource("dynamodb").Table(os.environ["TABLE"])
written = False


def handler(event, context):
    global written
    if event["resource"] == "/ping":
        return {"statusCode": 200, "body": "{}"}
    if not written:
        table.put_item(Item={"id": "bench", "text": "hello"})
        written = True
    item = table.get_item(Key={"id": "bench"})["Item"]
    return {"statusCode": 200, "body": json.dumps(item)}
