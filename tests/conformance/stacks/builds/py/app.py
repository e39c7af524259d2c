import json
import os


def handler(event, context):
    import made  # written by the Makefile into ARTIFACTS_DIR

    return {
        "statusCode": 200,
        "body": json.dumps({"made_in": made.MADE_IN, "files": sorted(os.listdir(os.path.dirname(__file__)))}),
    }
