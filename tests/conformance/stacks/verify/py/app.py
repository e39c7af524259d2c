"""A handler that checks the caller's token with PyJWT, on the pool's JWKS URL as AWS serves it."""

import json
import os

import jwt

REGION = os.environ["AWS_REGION"]
POOL = os.environ["USER_POOL_ID"]
ISSUER = f"https://cognito-idp.{REGION}.amazonaws.com/{POOL}"
JWKS = jwt.PyJWKClient(f"{ISSUER}/.well-known/jwks.json")


def handler(event, context):
    token = (event.get("headers") or {}).get("authorization", "")
    try:
        key = JWKS.get_signing_key_from_jwt(token)
        claims = jwt.decode(token, key.key, algorithms=["RS256"], audience=os.environ["CLIENT_ID"], issuer=ISSUER)
    except jwt.PyJWTError as e:
        return {"statusCode": 401, "body": json.dumps({"error": str(e)})}
    return {"statusCode": 200, "body": json.dumps({"email": claims["email"], "token_use": claims["token_use"]})}


def echo(event, context):
    return event
