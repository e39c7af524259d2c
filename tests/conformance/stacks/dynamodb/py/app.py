"""Orders and notes in DynamoDB, with boto3 as a Lambda function uses it: the table names from
the environment, the endpoint from the SDK's own configuration (AWS_ENDPOINT_URL_DYNAMODB)."""

import json
import os

import boto3
import boto3.dynamodb.conditions

dynamodb = boto3.resource("dynamodb")
orders = dynamodb.Table(os.environ["ORDERS"])
notes = dynamodb.Table(os.environ["NOTES"])


def answer(status, body):
    return {"statusCode": status, "headers": {"content-type": "application/json"}, "body": json.dumps(body)}


def handler(event, context):
    p = event["pathParameters"]
    if event["resource"] == "/orders/{customer}/{order}":
        item = {"customer": p["customer"], "order": p["order"], **json.loads(event["body"] or "{}")}
        orders.put_item(Item=item)
        return answer(201, item)
    if event["resource"] == "/orders/{customer}":
        items = orders.query(KeyConditionExpression=boto3.dynamodb.conditions.Key("customer").eq(p["customer"]))["Items"]
        shipped = orders.query(IndexName="byStatus",
                               KeyConditionExpression=boto3.dynamodb.conditions.Key("status").eq("shipped"))["Items"]
        return answer(200, {"orders": sorted(i["order"] for i in items),
                            "shipped": sorted(i["order"] for i in shipped if i["customer"] == p["customer"])})
    if event["httpMethod"] == "PUT":
        notes.put_item(Item={"id": p["id"], "text": event["body"]})
        return answer(201, {"id": p["id"]})
    found = notes.get_item(Key={"id": p["id"]}).get("Item")
    return answer(200, found) if found else answer(404, {"message": "no such note"})
