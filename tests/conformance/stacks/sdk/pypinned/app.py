"""Its own requirements.txt pins boto3: that one is imported, not the runtime's."""

import json

import boto3


def handler(event, context):
    return {"statusCode": 200, "body": json.dumps({"boto3": boto3.__version__})}
