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
    """A TOKEN authorizer: `allow` passes, `deny` is an explicit deny, anything else is
    refused."""
    token = event.get("authorizationToken")
    if token not in ("allow", "deny"):
        raise Exception("Unauthorized")
    return {
        "principalId": "u1",
        "policyDocument": {"Version": "2012-10-17", "Statement": [
            {"Action": "execute-api:Invoke", "Effect": "Allow" if token == "allow" else "Deny",
             "Resource": event["methodArn"]}]},
    }
