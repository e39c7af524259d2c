"""A real CDK app (app.js: aws-cdk-lib and constructs from this folder's package-lock.json,
`npm ci` here when node_modules is missing) synthesized offline in the test (`node app.js`
with CDK_OUTDIR, as `cdk synth` runs it; NodejsFunction bundles with esbuild from npm) and
served with `gatehouse up --app cdk.out`: a REST API with a Cognito user pools authorizer, an
HTTP API with a user pool (JWT) authorizer, a user pool with a client and a domain, a
NodejsFunction in CommonJS, one bundled as an ES module, and a Python function from an asset
folder; in a second stack, a PythonFunction (@aws-cdk/aws-lambda-python-alpha) behind an HTTP
API, its Docker bundling left out by CDK's own `aws:cdk:bundling-stacks` context. Tokens come
from boto3 against the local pool."""

import json
import os
import pathlib
import shutil
import subprocess
import sys

import pytest
import requests

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(ROOT / "tests" / "conformance"))
import conftest  # noqa: E402
from conftest import Stack, unique_email  # noqa: E402

PASSWORD = "Cdk-Passw0rd!"


def npm_ci():
    """node_modules from the lock file (once)."""
    conftest.npm_ci(HERE, "@aws-cdk/aws-lambda-python-alpha")


@pytest.fixture(scope="module")
def assembly(tmp_path_factory):
    npm_ci()
    out = tmp_path_factory.mktemp("cdk") / "cdk.out"
    env = dict(os.environ, CDK_OUTDIR=str(out))
    done = subprocess.run(["node", "app.js"], cwd=HERE, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, f"node app.js failed:\n{done.stdout}\n{done.stderr}"
    assert (out / "manifest.json").exists()
    return out


@pytest.fixture(scope="module")
def stack(assembly, tmp_path_factory):
    s = Stack(tmp_path_factory.mktemp("cdk-state") / "state", template=None,
              extra_args=["--app", str(assembly), "--stack", "GatehouseCdkStack"]).start()
    yield s
    s.stop()


def tokens(stack, client_id):
    idp = stack.client()
    pool = stack.outputs["UserPoolId"]
    email = unique_email("cdk")
    idp.admin_create_user(UserPoolId=pool, Username=email, MessageAction="SUPPRESS")
    idp.admin_set_user_password(UserPoolId=pool, Username=email, Password=PASSWORD, Permanent=True)
    result = idp.initiate_auth(ClientId=client_id, AuthFlow="USER_PASSWORD_AUTH",
                               AuthParameters={"USERNAME": email, "PASSWORD": PASSWORD})
    return email, result["AuthenticationResult"]


def test_the_assembly_is_served_with_its_routes_and_authorizers(stack, assembly):
    template = json.loads((assembly / "GatehouseCdkStack.template.json").read_text())
    functions = sorted(k for k, v in template["Resources"].items() if v["Type"] == "AWS::Lambda::Function")
    routes = json.loads((stack.state_dir / "routes.json").read_text())
    served = {(r["method"], r["stage"], r["path"]): (r["function"], r["auth"], r["authorizer"]) for r in routes}
    assert {f for f, _, _ in served.values()} == set(functions), served
    assert served[("GET", "prod", "/open")][1:] == ("NONE", None)
    assert served[("GET", "prod", "/protected")][1:] == ("COGNITO_USER_POOLS", "rest-cognito")
    assert served[("GET", "$default", "/me")][1:] == ("JWT", "HttpCognitoAuthorizer")
    assert served[("GET", "$default", "/health")][1:] == ("NONE", None)
    # The outputs name the local URLs: the REST API's stage, the HTTP API, the hosted UI.
    assert stack.outputs["RestApiUrl"] == stack.api + "/prod/"
    assert stack.outputs["HttpApiUrl"] == stack.api
    assert stack.outputs["HostedUiBaseUrl"] == stack.endpoint + "/gatehouse-cdk"


def test_open_routes_run_their_bundled_node_and_python_functions(stack):
    r = requests.get(stack.api + "/prod/open", timeout=30)
    assert r.status_code == 200, r.text
    assert r.json() == {"route": "GET /open", "greeting": "hello from /open", "path": "/open", "stage": "prod",
                        "claims": None}
    r = requests.get(stack.api + "/health", timeout=30)
    assert r.status_code == 200, r.text
    assert r.json()["route"] == "GET /health" and r.json()["greeting"] == "hello from python"


def test_protected_routes_need_a_token_from_the_local_pool(stack):
    for path in ["/prod/protected", "/me"]:
        r = requests.get(stack.api + path, timeout=30)
        assert (r.status_code, r.json()) == (401, {"message": "Unauthorized"}), path
        r = requests.get(stack.api + path, headers={"Authorization": "Bearer not-a-token"}, timeout=30)
        assert r.status_code == 401, path
    email, auth = tokens(stack, stack.outputs["UserPoolClientId"])
    # The REST API's Cognito authorizer takes the ID token; the ES-module function sees its claims.
    r = requests.get(stack.api + "/prod/protected", headers={"Authorization": auth["IdToken"]}, timeout=30)
    assert r.status_code == 200, r.text
    assert r.json()["route"] == "GET /protected" and r.json()["email"] == email
    # The HTTP API's user pool authorizer takes the access token (audience: the client).
    r = requests.get(stack.api + "/me", headers={"Authorization": "Bearer " + auth["AccessToken"]}, timeout=30)
    assert r.status_code == 200, r.text
    claims = r.json()["claims"]
    assert claims["client_id"] == stack.outputs["UserPoolClientId"]
    assert claims["iss"].endswith("/" + stack.outputs["UserPoolId"])


def test_the_hosted_ui_of_the_pools_domain_serves_its_sign_in_page(stack):
    client = stack.outputs["UserPoolClientId"]
    r = requests.get(stack.outputs["HostedUiBaseUrl"] + "/oauth2/authorize", timeout=30, params={
        "client_id": client, "response_type": "code", "scope": "openid email",
        "redirect_uri": "http://localhost:3000/callback"})
    assert r.status_code == 200, r.text
    assert "<form" in r.text and 'name="password"' in r.text
    # A redirect URI the client does not list is refused, as Cognito refuses it.
    r = requests.get(stack.outputs["HostedUiBaseUrl"] + "/oauth2/authorize", timeout=30, allow_redirects=False,
                     params={"client_id": client, "response_type": "code", "redirect_uri": "http://evil.example/cb"})
    assert r.status_code == 302 and "error=redirect_mismatch" in r.headers["location"], r.headers


def test_an_assembly_with_several_stacks_needs_stack(assembly, tmp_path):
    done = subprocess.run([str(ROOT / "target" / "release" / "gatehouse"), "up", "--app", str(assembly),
                           "--state-dir", str(tmp_path / "state")], capture_output=True, text=True, timeout=60)
    assert done.returncode != 0
    assert ("has 2 stacks (GatehouseCdkPythonStack, GatehouseCdkStack): choose one with --stack NAME"
            in done.stderr), done.stderr


def test_a_python_function_construct_runs_its_handler(assembly, tmp_path):
    template = json.loads((assembly / "GatehouseCdkPythonStack.template.json").read_text())
    fn = next(v for v in template["Resources"].values() if v["Type"] == "AWS::Lambda::Function")
    # What the construct writes: its default handler, an S3 asset, bundling skipped.
    assert fn["Properties"]["Handler"] == "index.handler"
    assert fn["Metadata"]["aws:asset:is-bundled"] is False
    s = Stack(tmp_path / "state", template=None,
              extra_args=["--app", str(assembly), "--stack", "GatehouseCdkPythonStack"]).start()
    try:
        assert s.outputs["PythonApiUrl"] == s.api
        r = requests.get(s.api + "/py", timeout=30)
        assert r.status_code == 200, r.text
        assert r.json() == {"from": "PythonFunction", "function": fn_name(template), "stage": "py", "path": "/py"}
    finally:
        s.stop()


def fn_name(template):
    """The function's name as gatehouse names it: its logical id (no FunctionName)."""
    return next(k for k, v in template["Resources"].items() if v["Type"] == "AWS::Lambda::Function")
