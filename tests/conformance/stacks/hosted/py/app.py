"""Answers with the claims the REST API's Cognito authorizer handed on (standard library only),
readable from a page on another origin."""

import json


def handler(event, context):
    claims = (event["requestContext"].get("authorizer") or {}).get("claims")
    return {
        "statusCode": 200,
        "headers": {"Content-Type": "application/json", "Access-Control-Allow-Origin": "*"},
        "body": json.dumps(claims),
    }
