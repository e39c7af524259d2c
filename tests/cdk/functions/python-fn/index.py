"""A PythonFunction's handler (index.handler, the construct's defaults) in a stack that is not bundled."""

import json
import os


def handler(event, context):
    return {
        "statusCode": 200,
        "headers": {"content-type": "application/json"},
        "body": json.dumps({
            "from": "PythonFunction",
            "function": context.function_name,
            "stage": os.environ.get("STAGE_NAME"),
            "path": event.get("rawPath"),
        }),
    }
