"""A Python function behind the same gateway: answers with what it was sent."""

import json


def handler(event, context):
    return {
        "statusCode": 201,
        "headers": {"Content-Type": "application/json"},
        "body": json.dumps({
            "runtime": "python",
            "function": context.function_name,
            "method": event["httpMethod"],
            "body": event["body"],
        }),
    }
