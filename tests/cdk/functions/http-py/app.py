"""Handler for the HTTP API (payload format 2.0): GET /me (JWT authorizer) and GET /health (open)."""
import json
import os


def handler(event, context):
    request_context = event.get("requestContext") or {}
    authorizer = request_context.get("authorizer") or {}
    jwt = authorizer.get("jwt") or {}
    claims = jwt.get("claims")
    return {
        "statusCode": 200,
        "headers": {"content-type": "application/json"},
        "body": json.dumps(
            {
                "route": event.get("routeKey"),
                "greeting": os.environ.get("GREETING"),
                "sub": (claims or {}).get("sub"),
                "claims": claims,
                "scopes": jwt.get("scopes"),
            }
        ),
    }
