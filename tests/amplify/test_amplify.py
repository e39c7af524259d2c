"""Amplify JS v6 (aws-amplify 6.22.1 from npm) in Node against the identity stack
(tests/conformance/stacks/identity): signIn (SRP) to the local user pool, fetchAuthSession
for identity-pool credentials, Amplify's REST client signing calls to AWS_IAM routes itself,
then signOut and guest credentials. The same flow runs in headless Chromium in
tests/browser/test_amplify_browser.py. aws-amplify comes from this folder's package-lock.json
(`npm ci`, run here when node_modules is missing)."""

import json
import pathlib
import subprocess
import sys

import pytest

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(ROOT / "tests" / "conformance"))
import conftest  # noqa: E402
from conftest import Stack, unique_email  # noqa: E402

STACK = ROOT / "tests" / "conformance" / "stacks" / "identity" / "template.yaml"
PASSWORD = "Amplify-Passw0rd!"


def npm_ci():
    """node_modules from the lock file (once)."""
    conftest.npm_ci(HERE, "aws-amplify")


def flow_config(stack):
    """A new confirmed user and the app's configuration for the flow (steps.mjs)."""
    idp = stack.client()
    pool = stack.outputs["UserPoolId"]
    email = unique_email("amplify")
    idp.admin_create_user(UserPoolId=pool, Username=email, MessageAction="SUPPRESS")
    idp.admin_set_user_password(UserPoolId=pool, Username=email, Password=PASSWORD, Permanent=True)
    return {"userPoolId": pool, "clientId": stack.outputs["ClientId"], "identityPoolId": stack.outputs["IdentityPoolId"],
            "cognito": stack.endpoint, "api": stack.api + "/Prod", "username": email, "password": PASSWORD}


def check_flow(out, stack):
    """What the flow must have seen, in Node or in a page."""
    assert out.get("signIn") == "DONE", out
    identity = out["identityId"]
    assert identity.startswith("us-east-1:") and out["accessKeyId"].startswith("ASIA")
    assert out["private"]["status"] == 200, out["private"]
    seen = out["private"]["body"]
    assert seen["cognitoIdentityId"] == identity
    assert seen["cognitoAuthenticationType"] == "authenticated"
    assert seen["cognitoIdentityPoolId"] == stack.outputs["IdentityPoolId"]
    assert seen["accessKey"] == out["accessKeyId"]
    # The authenticated role allows GET only: AWS's 403 text.
    assert out["write"]["status"] == 403, out["write"]
    message = out["write"]["body"]["Message"]
    assert message.startswith(f"User: {seen['userArn']} is not authorized to perform: execute-api:Invoke on "
                              "resource: arn:aws:execute-api:us-east-1:123456789012:"), message
    assert message.endswith("/Prod/POST/private"), message
    # Signed out: a guest identity, allowed only GET /public.
    assert out["guestIdentityId"] != identity
    assert out["guestPublic"]["status"] == 200, out["guestPublic"]
    assert out["guestPublic"]["body"]["cognitoAuthenticationType"] == "unauthenticated"
    assert out["guestPrivate"]["status"] == 403, out["guestPrivate"]
    assert "is not authorized to perform: execute-api:Invoke" in out["guestPrivate"]["body"]["Message"]


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    npm_ci()
    s = Stack(tmp_path_factory.mktemp("amplify"), template=STACK).start()
    yield s
    s.stop()


def test_amplify_in_node_signs_in_gets_identity_pool_credentials_and_calls_iam_routes(stack):
    done = subprocess.run(["node", "flow.mjs", json.dumps(flow_config(stack))], cwd=HERE, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    check_flow(json.loads(done.stdout.strip().splitlines()[-1]), stack)
