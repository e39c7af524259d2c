"""Echoes what the gateway gave the function: its identity, authorizer and path."""

import json


def echo(event, context):
    rc = event.get("requestContext", {})
    return {
        "statusCode": 200,
        "headers": {"Content-Type": "application/json"},
        "body": json.dumps({
            "identity": rc.get("identity"),
            "authorizer": rc.get("authorizer"),
            "path": event.get("path") or event.get("rawPath"),
            "body": event.get("body"),
        }),
    }


def token(event, context):
    """A TOKEN authorizer: `allow` passes, `allow-key:K` passes with the API key K as its
    usageIdentifierKey, `deny` is an explicit deny, anything else is refused."""
    token = event.get("authorizationToken") or ""
    if token not in ("allow", "deny") and not token.startswith("allow-key:"):
        raise Exception("Unauthorized")
    answer = {
        "principalId": "u1",
        "policyDocument": {"Version": "2012-10-17", "Statement": [
            {"Action": "execute-api:Invoke", "Effect": "Deny" if token == "deny" else "Allow",
             "Resource": event["methodArn"]}]},
    }
    if token.startswith("allow-key:"):
        answer["usageIdentifierKey"] = token.removeprefix("allow-key:")
    return answer
