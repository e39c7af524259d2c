"""Jobs on an SQS queue, with boto3 as a Lambda function uses it: the endpoint from the SDK's own
configuration (AWS_ENDPOINT_URL_SQS), the queue by name (made on first use: the local queue
service starts empty)."""

import json
import os

import boto3

sqs = boto3.client("sqs")


def queue_url():
    return sqs.create_queue(QueueName=os.environ["QUEUE_NAME"])["QueueUrl"]


def handler(event, context):
    url = queue_url()
    if event["httpMethod"] == "POST":
        sent = sqs.send_message(QueueUrl=url, MessageBody=event["body"] or "")
        return {"statusCode": 202, "body": json.dumps({"messageId": sent["MessageId"],
                                                       "endpoint": sqs.meta.endpoint_url})}
    got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1)
    bodies = []
    for m in got.get("Messages", []):
        bodies.append(m["Body"])
        sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
    return {"statusCode": 200, "body": json.dumps({"messages": bodies})}
