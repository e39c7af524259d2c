"""Functions run as Lambda runs them: with no dependency manifest they import the AWS SDK their
runtime ships (boto3; aws-sdk v2 on nodejs16.x; the @aws-sdk/* v3 clients on nodejs20.x, from an
ES module), installed once into the shared cache and put after the function's own packages (a
requirements.txt pinning an older boto3 wins); and their environment and context have the keys
Lambda documents, no more and no fewer."""

import json
import os
import pathlib
import re

import pytest

from conftest import ROOT, Stack

STACK = ROOT / "tests" / "conformance" / "stacks" / "sdk" / "template.yaml"

# AWS Lambda Developer Guide, "Defined runtime environment variables" (configuration-envvars):
# the reserved keys, then the unreserved ones Lambda sets for every runtime.
RESERVED = {
    "_HANDLER", "_X_AMZN_TRACE_ID", "AWS_DEFAULT_REGION", "AWS_REGION", "AWS_EXECUTION_ENV",
    "AWS_LAMBDA_FUNCTION_NAME", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "AWS_LAMBDA_FUNCTION_VERSION",
    "AWS_LAMBDA_INITIALIZATION_TYPE", "AWS_LAMBDA_LOG_GROUP_NAME", "AWS_LAMBDA_LOG_STREAM_NAME",
    "AWS_ACCESS_KEY", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
    "AWS_LAMBDA_RUNTIME_API", "LAMBDA_TASK_ROOT", "LAMBDA_RUNTIME_DIR",
}
UNRESERVED = {"LANG", "PATH", "LD_LIBRARY_PATH", "AWS_XRAY_CONTEXT_MISSING", "AWS_XRAY_DAEMON_ADDRESS", "TZ"}
# Per runtime: PYTHONPATH for Python, NODE_PATH for Node.js (same page).
PER_RUNTIME = {"python": {"PYTHONPATH"}, "node": {"NODE_PATH"}}
# In every captured real environment beside the documented ones (X-Ray's daemon, split).
CAPTURED = {"_AWS_XRAY_DAEMON_ADDRESS", "_AWS_XRAY_DAEMON_PORT"}
# The template's own.
TEMPLATE = {"TABLE"}
# gatehouse's, on purpose (README "Functions"): the local services' endpoints, the SDKs kept off
# this machine's own AWS configuration, no bytecode written into the sources (Lambda's task root
# is read-only).
LOCAL = {"AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE", "AWS_EC2_METADATA_DISABLED", "PYTHONDONTWRITEBYTECODE"}
# This machine's, kept (lambda::environment::INHERITED) when it has them.
INHERITED = {"PATH", "HOME", "USER", "LOGNAME", "TMPDIR", "SSL_CERT_FILE", "SSL_CERT_DIR",
             "NODE_EXTRA_CA_CERTS", "REQUESTS_CA_BUNDLE", "AWS_CA_BUNDLE", "HTTP_PROXY", "HTTPS_PROXY",
             "NO_PROXY", "http_proxy", "https_proxy", "no_proxy"}


def sdk_cache():
    """Where gatehouse keeps the runtimes' SDKs (lambda::sdk::cache_dir)."""
    if os.environ.get("GATEHOUSE_SDK_CACHE"):
        return pathlib.Path(os.environ["GATEHOUSE_SDK_CACHE"])
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return pathlib.Path(base) / "gatehouse" / "sdk"


def dynamodb_of(stack):
    """A boto3 client of the DynamoDB server the stack's tables are on."""
    import boto3
    e = json.loads((stack.state_dir / "endpoints.json").read_text())["dynamodb"]
    return boto3.client("dynamodb", endpoint_url=e["url"], region_name=e["region"],
                        aws_access_key_id="local", aws_secret_access_key="local")


def interpreter_made(key):
    """Set by the interpreter or a version-manager shim in front of it, not by gatehouse: a shell
    script's PWD/SHLVL/_, Python's locale coercion (PEP 538), pyenv's own."""
    return key in {"PWD", "SHLVL", "_", "LC_CTYPE"} or key.startswith(("PYENV_", "_PYENV_"))


@pytest.fixture(scope="module")
def sdk(tmp_path_factory):
    # No flag: the table is on the DynamoDB engine gatehouse starts itself.
    s = Stack(tmp_path_factory.mktemp("sdk"), template=STACK).start()
    yield s
    s.stop()


@pytest.mark.parametrize("fn,version_key", [("py", "boto3"), ("node16", "sdk"), ("node20", None)])
def test_a_function_with_no_manifest_uses_its_runtimes_sdk_on_the_table(sdk, fn, version_key):
    code, _, body = sdk.http("PUT", f"/Prod/{fn}/note-{fn}", {"Content-Type": "text/plain"}, f"from {fn}".encode())
    assert code == 201, body
    code, _, body = sdk.http("GET", f"/Prod/{fn}/note-{fn}")
    got = json.loads(body)
    assert code == 200, body
    assert got["item"]["id"] == f"note-{fn}" and got["item"]["text"] == f"from {fn}"
    if version_key == "boto3":
        assert got["boto3"] == "1.34.145", got
        assert got["from"].startswith(str(sdk_cache())), got
    if version_key == "sdk":
        assert got["sdk"] == "2.1083.0", got
    assert sdk.http("GET", f"/Prod/{fn}/nothing-here")[0] == 404


def test_a_functions_own_pinned_boto3_wins_over_the_runtimes(sdk):
    code, _, body = sdk.http("GET", "/Prod/pinned")
    assert (code, json.loads(body)) == (200, {"boto3": "1.28.0"})


@pytest.mark.parametrize("fn,family,runtime", [("py", "python", "python3.12"), ("node20", "node", "nodejs20.x")])
def test_the_environment_has_the_keys_lambda_documents(sdk, fn, family, runtime):
    code, _, body = sdk.http("GET", f"/Prod/{fn}/env")
    assert code == 200, body
    env = json.loads(body)["env"]
    documented = RESERVED | UNRESERVED | PER_RUNTIME[family]
    missing = documented - set(env)
    assert not missing, f"{fn}: Lambda sets these and gatehouse did not: {sorted(missing)}"
    allowed = documented | CAPTURED | TEMPLATE | LOCAL | INHERITED
    extra = sorted(k for k in env if k not in allowed and not k.startswith("AWS_ENDPOINT_URL_")
                   and not interpreter_made(k))
    assert not extra, f"{fn}: keys Lambda does not set: {extra}"
    other = PER_RUNTIME["node" if family == "python" else "python"]
    assert not other & set(env), f"{fn}: the other runtime's path variable is set"
    # Values whose form is Lambda's.
    assert env["AWS_EXECUTION_ENV"] == f"AWS_Lambda_{runtime}"
    assert (env["TZ"], env["LANG"], env["AWS_LAMBDA_FUNCTION_VERSION"]) == (":UTC", "en_US.UTF-8", "$LATEST")
    assert env["AWS_LAMBDA_INITIALIZATION_TYPE"] == "on-demand"
    assert env["AWS_XRAY_CONTEXT_MISSING"] == "LOG_ERROR"
    assert env["AWS_LAMBDA_LOG_GROUP_NAME"] == f"/aws/lambda/{env['AWS_LAMBDA_FUNCTION_NAME']}"
    assert re.fullmatch(r"Root=1-[0-9a-f]{8}-[0-9a-f]{24};Parent=[0-9a-f]{16};Sampled=0", env["_X_AMZN_TRACE_ID"])
    assert env["AWS_ACCESS_KEY"] == env["AWS_ACCESS_KEY_ID"]
    assert env["AWS_REGION"] == env["AWS_DEFAULT_REGION"] == "us-east-1"


def test_the_context_has_lambdas_fields(sdk):
    py = json.loads(sdk.http("GET", "/Prod/py/env")[2])["context"]
    assert py["function_name"] == "Py" and py["function_version"] == "$LATEST"
    assert py["invoked_function_arn"] == "arn:aws:lambda:us-east-1:123456789012:function:Py"
    assert py["memory_limit_in_mb"] == "128" and py["log_group_name"] == "/aws/lambda/Py"
    assert re.fullmatch(r"[0-9a-f-]{36}", py["aws_request_id"]) and 0 < py["remaining_ms"] <= 15000
    node = json.loads(sdk.http("GET", "/Prod/node20/env")[2])["context"]
    assert node["functionName"] == "Node20" and node["memoryLimitInMB"] == "128"
    assert node["invokedFunctionArn"].endswith(":function:Node20")
    assert node["callbackWaitsForEmptyEventLoop"] is True and 0 < node["remainingMs"] <= 15000


def test_an_sdk_invoke_passes_its_client_context_to_the_context_object(sdk):
    """lambda.invoke(ClientContext=base64 JSON) reaches context.client_context (Python) and
    context.clientContext (Node.js); a client context that is not base64 JSON is refused."""
    import base64
    import boto3
    import botocore.exceptions
    from conftest import admin_of
    admin = admin_of(sdk)
    c = boto3.client("lambda", endpoint_url=sdk.api, region_name="us-east-1",
                     aws_access_key_id=admin.access_key, aws_secret_access_key=admin.secret_key)
    sent = {"custom": {"tenant": "blue"}, "env": {"locale": "en-GB"},
            "client": {"installation_id": "i-1", "app_title": "notes"}}
    event = json.dumps({"pathParameters": {"id": "env"}, "httpMethod": "GET"}).encode()
    cc = base64.b64encode(json.dumps(sent).encode()).decode()
    py = json.loads(json.loads(c.invoke(FunctionName="Py", Payload=event, ClientContext=cc)["Payload"].read())["body"])
    got = py["context"]["client_context"]
    assert (got["custom"], got["env"]) == (sent["custom"], sent["env"])
    assert got["client"]["installation_id"] == "i-1" and got["client"]["app_title"] == "notes"
    node = json.loads(json.loads(c.invoke(FunctionName="Node20", Payload=event, ClientContext=cc)["Payload"].read())["body"])
    assert node["context"]["clientContext"]["custom"] == {"tenant": "blue"}
    # Without one, there is none.
    py = json.loads(json.loads(c.invoke(FunctionName="Py", Payload=event)["Payload"].read())["body"])
    assert py["context"]["client_context"] is None
    with pytest.raises(botocore.exceptions.ClientError) as e:
        c.invoke(FunctionName="Py", Payload=event, ClientContext="not base64 json")
    assert e.value.response["Error"]["Message"] == "Client context must be a valid Base64-encoded JSON object."


# Public apps (tests/templates, SOURCE.md each) whose functions have no manifest: the requests
# their handlers take, and what the table holds after them.
CORPUS_APPS = {
    # nodejs12.x, require('aws-sdk'): PUT stores the raw body, GET gives it back.
    "sam-api-backend-node12": [
        ("PUT", "/Prod/resource/abc", b"hello world", 200, None),
        ("GET", "/Prod/resource/abc", None, 200, b"hello world"),
        ("DELETE", "/Prod/resource/abc", None, 200, None),
        ("GET", "/Prod/resource/abc", None, 404, None),
    ],
    # python3.12, import boto3 (no requirements.txt): POST an item, GET it in DynamoDB's JSON.
    "samapp-python312-web-conn": [
        ("POST", "/Prod", b'{"id": "1", "name": "x"}', 200, None),
        ("GET", "/Prod/1", None, 200, {"id": {"S": "1"}, "name": {"S": "x"}}),
    ],
    # nodejs22.x, require('@aws-sdk/client-dynamodb') with no package.json; it has no read
    # route: the item is read from the table below.
    "sp-cloudfront-apigw-rest-lambda-dynamodb-node22": [
        ("POST", "/dev/submit", json.dumps({"name": "Jane", "phone": "555-0100", "email": "jane@example.com",
                                            "birthDate": "1990-01-01", "address": "1 Main St"}).encode(), 201, None),
    ],
}


@pytest.mark.parametrize("engine", ["embedded", "moto"])
@pytest.mark.parametrize("name", sorted(CORPUS_APPS))
def test_a_public_app_on_its_runtimes_sdk_reads_and_writes_its_table(name, engine, tmp_path, request):
    """With no flag (the engine gatehouse starts), and with --dynamodb-endpoint at moto's server."""
    template = ROOT / "tests" / "templates" / name / "template.yaml"
    extra = ["--dynamodb-endpoint", request.getfixturevalue("moto").url] if engine == "moto" else []
    s = Stack(tmp_path, template=template, extra_args=extra).start()
    try:
        assert any(l.startswith("  DynamoDB tables on") for l in s.summary), "\n".join(s.summary)
        for method, path, body, status, want in CORPUS_APPS[name]:
            code, _, answer = s.http(method, path, {"Content-Type": "application/json"}, body)
            assert code == status, f"{method} {path} -> {code} {answer[:300]!r}"
            if isinstance(want, bytes):
                assert answer == want
            elif want is not None:
                assert json.loads(answer) == want
        if name.startswith("sp-cloudfront"):
            c = dynamodb_of(s)
            table = next(t for t in c.list_tables()["TableNames"] if "-DynamoDBTable-" in t)
            item = c.get_item(TableName=table, Key={"EmailAddress": {"S": "jane@example.com"}})["Item"]
            assert (item["Name"], item["Phone"]) == ({"S": "Jane"}, {"S": "555-0100"}), item
    finally:
        s.stop()
