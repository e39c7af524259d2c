"""Amplify JS v6 in a real browser: the flow of tests/amplify/steps.mjs, bundled by esbuild
(from tests/amplify's package-lock.json) into a page served on http://localhost:<port>, run in
headless Chromium against the identity stack on 127.0.0.1 (another origin: the user pool, the
identity pool and the API answer CORS as AWS does). The page signs in with SRP, gets
identity-pool credentials, calls AWS_IAM routes through Amplify's REST client (signed by
Amplify in the page), signs out and calls again as a guest; the test asserts what it saw
exactly as the Node test does."""

import json
import pathlib
import subprocess
import sys

import pytest

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parents[1]
AMPLIFY = ROOT / "tests" / "amplify"
sys.path.insert(0, str(ROOT / "tests" / "conformance"))
sys.path.insert(0, str(AMPLIFY))
from chrome import browser, chromium, serve_app, wait  # noqa: E402,F401
from conftest import Stack  # noqa: E402
from test_amplify import STACK, check_flow, flow_config, npm_ci  # noqa: E402


@pytest.fixture(scope="module")
def page(chromium, tmp_path_factory):
    npm_ci()
    built = subprocess.run(["npx", "--no-install", "esbuild", "browser.mjs", "--bundle", "--format=iife",
                            "--platform=browser", "--outfile=dist/app.js", "--log-level=warning"],
                           cwd=AMPLIFY, capture_output=True, text=True, timeout=120)
    assert built.returncode == 0, f"esbuild failed:\n{built.stdout}\n{built.stderr}"
    server = serve_app(AMPLIFY, name="amplify-app")
    stack = Stack(tmp_path_factory.mktemp("amplify-browser"), template=STACK)
    try:
        stack.start()
        yield server, stack, f"http://localhost:{server.server_address[1]}/index.html"
    finally:
        stack.stop()
        server.shutdown()
        server.server_close()


def test_amplify_in_a_browser_signs_in_gets_identity_pool_credentials_and_calls_iam_routes(page, browser):
    server, stack, url = page
    server.config_js = f"window.GATEHOUSE_CONFIG = {json.dumps(flow_config(stack))};\n".encode()
    browser.get(url)
    # SRP, GetId, GetCredentialsForIdentity, four signed calls: allow more than one step's time.
    for _ in range(3):
        try:
            wait(browser, lambda d: d.find_element("tag name", "body").get_attribute("data-ready") == "true",
                 "the Amplify flow to finish")
            break
        except AssertionError:
            continue
    out = json.loads(browser.find_element("id", "out").text)
    assert "error" not in out, out
    check_flow(out, stack)
