"""boto3 from the runtime (no requirements.txt): PUT stores the body under the id, GET reads it;
GET /py/env answers with the environment and the context."""

import json
import os

import boto3

table = boto3.resource("dynamodb").Table(os.environ["TABLE"])


def handler(event, context):
    item_id = event["pathParameters"]["id"]
    if item_id == "env":
        fields = {k: getattr(context, k) for k in (
            "function_name", "function_version", "invoked_function_arn", "memory_limit_in_mb",
            "aws_request_id", "log_group_name", "log_stream_name")}
        fields["remaining_ms"] = context.get_remaining_time_in_millis()
        cc = context.client_context
        fields["client_context"] = None if cc is None else {
            "custom": cc.custom, "env": cc.env, "client": vars(cc.client) if cc.client else None}
        return {"statusCode": 200, "body": json.dumps({"env": dict(os.environ), "context": fields})}
    if event["httpMethod"] == "PUT":
        table.put_item(Item={"id": item_id, "text": event["body"], "by": "python"})
        return {"statusCode": 201, "body": json.dumps({"boto3": boto3.__version__})}
    item = table.get_item(Key={"id": item_id}).get("Item")
    return {"statusCode": 200 if item else 404,
            "body": json.dumps({"item": item, "boto3": boto3.__version__, "from": boto3.__file__})}
