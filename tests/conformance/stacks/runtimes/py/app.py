import json
import os
import time

import six  # from requirements.txt
from greeting import greet  # from the layer


def handler(event, context):
    if event.get("path") == "/py/raise":
        raise ValueError("raised on purpose")
    body = {
        "six": six.__version__,
        "layer": greet("py"),
        "greeting": os.environ["GREETING"],
        "pool": os.environ["POOL_ID"],
        "environ": sorted(os.environ),
        "claims": (event["requestContext"].get("authorizer") or {}).get("claims"),
        "context": {
            "aws_request_id": context.aws_request_id,
            "function_name": context.function_name,
            "memory_limit_in_mb": context.memory_limit_in_mb,
            "invoked_function_arn": context.invoked_function_arn,
            "log_group_name": context.log_group_name,
            "remaining": context.get_remaining_time_in_millis(),
        },
    }
    print("python handled", event["path"])
    return {"statusCode": 200, "body": json.dumps(body)}


def slow(event, context):
    time.sleep(5)
    return {"statusCode": 200, "body": "too late"}
