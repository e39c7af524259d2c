"""Functions that use the credentials Lambda gives them, with no configuration of their own:
boto3 finds the role session in the environment and STS at AWS_ENDPOINT_URL_STS."""

import json
import os
import urllib.error
import urllib.request

import boto3
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

# Created at import, as most functions do: this needs credentials at once.
sts = boto3.client("sts")


def answer(status, body):
    return {"statusCode": status, "headers": {"content-type": "application/json"}, "body": json.dumps(body)}


def who_am_i(event, context):
    me = sts.get_caller_identity()
    return answer(200, {"Arn": me["Arn"], "UserId": me["UserId"], "Account": me["Account"],
                        "FunctionName": context.function_name})


def assume_and_call(event, context):
    team = (event.get("queryStringParameters") or {}).get("team", "blue")
    try:
        out = sts.assume_role(RoleArn=os.environ["ROLE_ARN"], RoleSessionName=f"team-{team}",
                              Tags=[{"Key": "team", "Value": team}])
    except ClientError as e:
        return answer(403, {"step": "AssumeRole", "code": e.response["Error"]["Code"],
                            "message": e.response["Error"]["Message"]})
    c = out["Credentials"]
    creds = Credentials(c["AccessKeyId"], c["SecretAccessKey"], c["SessionToken"])
    who = boto3.client("sts", aws_access_key_id=c["AccessKeyId"], aws_secret_access_key=c["SecretAccessKey"],
                       aws_session_token=c["SessionToken"]).get_caller_identity()["Arn"]
    url = os.environ["TAGGED_URL"]
    req = AWSRequest(method="GET", url=url)
    SigV4Auth(creds, "execute-api", os.environ["AWS_REGION"]).add_auth(req)
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=dict(req.headers)), timeout=10) as r:
            status, body = r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        status, body = e.code, json.loads(e.read() or b"null")
    return answer(200, {"assumed": who, "status": status, "body": body})


def aws_variables(event, context):
    return answer(200, {k: v for k, v in os.environ.items() if k.startswith("AWS_") and "ENDPOINT" not in k})


def call_others(event, context):
    lam = boto3.client("lambda")
    out = lam.invoke(FunctionName=os.environ["CALLEE"], Payload=json.dumps({"n": 1}))
    answered = json.loads(out["Payload"].read())
    queued = lam.invoke(FunctionName=os.environ["CALLEE"], InvocationType="Event", Payload=b'{"n": 2}')
    thrown = lam.invoke(FunctionName=os.environ["THROWER"], Payload=b"{}")
    try:
        lam.invoke(FunctionName=os.environ["FORBIDDEN"], Payload=b"{}")
        forbidden = None
    except lam.exceptions.ClientError as e:
        forbidden = {"code": e.response["Error"]["Code"], "message": e.response["Error"]["Message"],
                     "status": e.response["ResponseMetadata"]["HTTPStatusCode"]}
    return answer(200, {"answered": answered, "status": out["StatusCode"], "queued": queued["StatusCode"],
                        "thrown": thrown.get("FunctionError"), "error": json.loads(thrown["Payload"].read()),
                        "forbidden": forbidden})


def callee(event, context):
    return {"doubled": event["n"] * 2, "by": context.function_name}


def thrower(event, context):
    raise ValueError("no")


def echo_identity(event, context):
    return answer(200, event["requestContext"]["identity"])
