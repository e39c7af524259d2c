"""Amplify JS v6 in a real browser: the flow of tests/amplify/steps.mjs, bundled by esbuild
(from tests/amplify's package-lock.json) into a page served on http://localhost:<port>, run in
headless Chromium against the identity stack on 127.0.0.1 (another origin: the user pool, the
identity pool and the API answer CORS as AWS does). The page signs in with SRP, gets
identity-pool credentials, calls AWS_IAM routes through Amplify's REST client (signed by
Amplify in the page), signs out and calls again as a guest; the test asserts what it saw
exactly as the Node test does."""

import functools
import http.server
import json
import pathlib
import subprocess
import sys
import threading

import pytest

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parents[1]
AMPLIFY = ROOT / "tests" / "amplify"
sys.path.insert(0, str(ROOT / "tests" / "conformance"))
sys.path.insert(0, str(AMPLIFY))
from chrome import browser, chromium, wait  # noqa: E402,F401
from conftest import Stack  # noqa: E402
from test_amplify import STACK, check_flow, flow_config, npm_ci  # noqa: E402


class AppHandler(http.server.SimpleHTTPRequestHandler):
    """tests/amplify (index.html, dist/app.js), plus the generated /config.js."""

    def do_GET(self):
        if self.path.partition("?")[0] == "/config.js":
            body = self.server.config_js
            self.send_response(200)
            self.send_header("Content-Type", "text/javascript; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(body)
            return
        super().do_GET()

    def log_message(self, format, *args):
        pass


@pytest.fixture(scope="module")
def page(chromium, tmp_path_factory):
    npm_ci()
    built = subprocess.run(["npx", "--no-install", "esbuild", "browser.mjs", "--bundle", "--format=iife",
                            "--platform=browser", "--outfile=dist/app.js", "--log-level=warning"],
                           cwd=AMPLIFY, capture_output=True, text=True, timeout=120)
    assert built.returncode == 0, f"esbuild failed:\n{built.stdout}\n{built.stderr}"
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(AppHandler, directory=str(AMPLIFY)))
    server.daemon_threads = True
    server.config_js = b"window.GATEHOUSE_CONFIG = null;\n"
    threading.Thread(target=server.serve_forever, name="amplify-app", daemon=True).start()
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
