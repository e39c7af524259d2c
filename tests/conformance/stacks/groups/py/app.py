import json


def handler(event, context):
    authorizer = event["requestContext"].get("authorizer") or {}
    claims = authorizer.get("claims") or (authorizer.get("jwt") or {}).get("claims")
    return {"statusCode": 200, "body": json.dumps(claims)}
