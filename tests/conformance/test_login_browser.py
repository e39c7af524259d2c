"""`gatehouse login --browser`: the hosted UI with the authorization code and PKCE, redirected
to the loopback callback URL the client registers. The test plays the browser (it follows the
printed URL, signs in on the page, and follows the redirect to the CLI's listener); the CLI
exchanges the code and prints the ID token."""

import html
import re
import subprocess
import urllib.parse

import jwt
import pytest
import requests

from conftest import BIN, ROOT, Stack, free_port, unique_email

STACK = ROOT / "tests" / "conformance" / "stacks" / "hosted" / "template.yaml"


@pytest.fixture(scope="module")
def hosted(tmp_path_factory):
    port = free_port()
    s = Stack(tmp_path_factory.mktemp("login-browser"), template=STACK, extra_args=[
        "--parameter-overrides", f"CallbackUrl=http://localhost:{port}/callback",
        f"LogoutUrl=http://localhost:{port}/", f"SpaOrigin=http://localhost:{port}"]).start()
    s.callback_port = port
    yield s
    s.stop()


def test_login_browser_signs_in_through_the_hosted_ui(hosted):
    c = hosted.client()
    pool, client = hosted.outputs["PoolId"], hosted.outputs["SpaClientId"]
    email = unique_email("browser")
    c.admin_create_user(UserPoolId=pool, Username=email, MessageAction="SUPPRESS")
    c.admin_set_user_password(UserPoolId=pool, Username=email, Password="Br0wser-Passw0rd!", Permanent=True)

    cli = subprocess.Popen([str(BIN), "login", "--browser", "--no-open", "--endpoint-url", hosted.endpoint,
                            "--user-pool-id", pool, "--client-id", client],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        url = None
        for line in cli.stderr:
            if line.strip().startswith("http"):
                url = line.strip()
                break
        assert url and "/oauth2/authorize?" in url and "code_challenge_method=S256" in url, url
        assert url.startswith(f"{hosted.endpoint}/gatehouse-test/")

        browser = requests.Session()
        page = browser.get(url)
        assert page.status_code == 200 and 'id="signin"' in page.text
        fields = {k: html.unescape(v) for k, v in re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page.text)}
        done = browser.post(f"{hosted.endpoint}/gatehouse-test/login", allow_redirects=False,
                            data={**fields, "username": email, "password": "Br0wser-Passw0rd!"})
        assert done.status_code == 302, done.text[:500]
        back = done.headers["location"]
        assert back.startswith(f"http://localhost:{hosted.callback_port}/callback?code=")
        assert "Signed in" in browser.get(back).text

        out, err = cli.communicate(timeout=30)
        assert cli.returncode == 0, err
        claims = jwt.decode(out.strip(), options={"verify_signature": False})
        assert (claims["email"], claims["token_use"], claims["aud"]) == (email, "id", client)
    finally:
        if cli.poll() is None:
            cli.kill()
            cli.wait()


def test_login_browser_names_what_is_missing(hosted):
    c = hosted.client()
    pool = hosted.outputs["PoolId"]
    machine = hosted.outputs["MachineClientId"]
    out = subprocess.run([str(BIN), "login", "--browser", "--no-open", "--endpoint-url", hosted.endpoint,
                          "--user-pool-id", pool, "--client-id", machine], capture_output=True, text=True, timeout=30)
    assert out.returncode != 0
    assert "no callback URL on http://localhost" in out.stderr, out.stderr
