import json

CALLS = {"authorize": 0}


def echo(event, context):
    """The event back, as JSON: payload 2.0 may return it bare (the gateway makes it a 200);
    1.0 must answer in the proxy shape."""
    if event.get("version") == "1.0":
        return {"statusCode": 200, "body": json.dumps(event)}
    return event


def authorize(event, context):
    CALLS["authorize"] += 1
    key = event["identitySource"][0]
    return {
        "isAuthorized": key == "let-me-in",
        "context": {"key": key, "calls": CALLS["authorize"], "route": event["routeKey"]},
    }
