"""A TOKEN authorizer that answers by the token's first word, and a backend that echoes."""

import json


def policy(effect, resource, **context):
    return {
        "principalId": "py-user",
        "policyDocument": {"Version": "2012-10-17",
                           "Statement": [{"Action": "execute-api:Invoke", "Effect": effect, "Resource": resource}]},
        "context": {"runtime": "python", "answer": 42, "ok": True, **context},
    }


def token(event, context):
    t = event["authorizationToken"]
    print(f"token authorizer called with {t}")
    arn = event["methodArn"]
    api = arn.split("/")[0]  # arn:aws:execute-api:<region>:<account>:<apiId>
    word = t.split("-")[0]
    if word == "allow":
        return policy("Allow", arn)
    if word == "deny":
        return policy("Deny", arn)
    if word == "wildget":
        return policy("Allow", f"{api}/*/GET/*")
    if word == "wildpost":
        return policy("Allow", f"{api}/*/POST/*")
    if word == "unauthorized":
        raise Exception("Unauthorized")
    if word == "garbage":
        return {"principalId": "py-user"}
    raise ValueError(f"unexpected token {t}")


def echo(event, context):
    return {"statusCode": 200, "body": json.dumps(event)}
