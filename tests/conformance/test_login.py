"""`gatehouse login` against the local stack and against moto's Cognito, an independent
implementation: the same commands give the same results."""

import os
import subprocess
import time
import urllib.request

import boto3
import jwt
import pytest

from conftest import BIN, ROOT, free_port, unique_email


def login(*args, stdin=subprocess.DEVNULL):
    return subprocess.run([str(BIN), "login", *args], capture_output=True, text=True, stdin=stdin, timeout=60)


@pytest.fixture(scope="module")
def moto():
    port = free_port()
    proc = subprocess.Popen([str(ROOT / ".venv" / "bin" / "moto_server"), "-p", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            urllib.request.urlopen(url + "/moto-api/", timeout=1)
            break
        except Exception:
            time.sleep(0.1)
    c = boto3.client("cognito-idp", endpoint_url=url)
    pool = c.create_user_pool(PoolName="moto", UsernameAttributes=["email"])["UserPool"]["Id"]
    client = c.create_user_pool_client(UserPoolId=pool, ClientName="c", ExplicitAuthFlows=[
        "ALLOW_USER_PASSWORD_AUTH", "ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"])["UserPoolClient"]["ClientId"]
    yield {"url": url, "pool": pool, "client": client, "cognito": c}
    proc.terminate()
    proc.wait(timeout=10)


@pytest.fixture(params=["local", "moto"])
def target(request, stack, ids):
    """(endpoint, pool id, client id, boto3 client) of one implementation."""
    if request.param == "local":
        pool, client = ids
        return stack.endpoint, pool, client, stack.client()
    m = request.getfixturevalue("moto")
    return m["url"], m["pool"], m["client"], m["cognito"]


def new_admin_user(c, pool):
    email = unique_email("login")
    c.admin_create_user(UserPoolId=pool, Username=email, TemporaryPassword="Temp0rary!", MessageAction="SUPPRESS")
    return email


def test_first_login_needs_a_new_password_then_prints_the_id_token(target):
    url, pool, client, c = target
    email = new_admin_user(c, pool)
    common = ["--endpoint-url", url, "--user-pool-id", pool, "--client-id", client, "--username", email]

    first = login(*common, "--password", "Temp0rary!")
    assert first.returncode == 1
    assert "pass --new-password" in first.stderr, first.stderr

    done = login(*common, "--password", "Temp0rary!", "--new-password", "Testing1!")
    assert done.returncode == 0, done.stderr
    token = done.stdout.strip()
    assert done.stdout.count("\n") == 1, "only the IdToken on stdout"
    claims = jwt.decode(token, options={"verify_signature": False})
    assert claims["token_use"] == "id" and claims["email"] == email

    again = login(*common, "--password", "Testing1!", "--json")
    assert again.returncode == 0, again.stderr
    import json
    result = json.loads(again.stdout)
    assert {"AccessToken", "IdToken", "RefreshToken", "ExpiresIn", "TokenType"} <= set(result)


def test_wrong_password_says_what_the_pool_said(target):
    url, pool, client, c = target
    email = new_admin_user(c, pool)
    out = login("--endpoint-url", url, "--user-pool-id", pool, "--client-id", client,
                "--username", email, "--password", "Wrong-Password1")
    assert out.returncode == 1
    assert out.stderr.strip() == "error: sign-in failed: NotAuthorizedException: Incorrect username or password."
    assert out.stdout == ""


def test_srp_against_the_local_pool(stack, ids, confirmed_user):
    # moto fakes SRP (its SECRET_BLOCK is not even base64), so SRP is checked locally only.
    pool, client = ids
    email, password = confirmed_user
    out = login("--endpoint-url", stack.endpoint, "--user-pool-id", pool, "--client-id", client,
                "--username", email, "--password", password, "--srp")
    assert out.returncode == 0, out.stderr
    iss = f"https://cognito-idp.us-east-1.amazonaws.com/{pool}"
    key = jwt.PyJWKClient(f"{stack.endpoint}/{pool}/.well-known/jwks.json").get_signing_key_from_jwt(out.stdout.strip()).key
    assert jwt.decode(out.stdout.strip(), key, algorithms=["RS256"], audience=client, issuer=iss)["email"] == email
    wrong = login("--endpoint-url", stack.endpoint, "--user-pool-id", pool, "--client-id", client,
                  "--username", email, "--password", "Wrong-Password1", "--srp")
    assert wrong.returncode == 1 and "Incorrect username or password." in wrong.stderr


def test_default_target_is_the_local_stack_and_its_token_opens_the_api(stack, confirmed_user):
    email, password = confirmed_user
    out = login("--state-dir", str(stack.state_dir), "--username", email, "--password", password)
    assert out.returncode == 0, out.stderr
    status, _, _ = stack.http("GET", "/v1", {"Authorization": out.stdout.strip()})
    assert status == 200


def test_no_local_stack_says_how_to_start_one(tmp_path):
    out = login("--state-dir", str(tmp_path), "--username", "a@b.c", "--password", "x")
    assert out.returncode == 1
    assert "gatehouse up" in out.stderr


def test_users_outputs_and_outbox_commands(stack):
    def run(*args):
        return subprocess.run([str(BIN), *args, "--state-dir", str(stack.state_dir)],
                              capture_output=True, text=True, timeout=60)
    email = unique_email("cli")
    added = run("users", "add", email, "--password", "Cli-Passw0rd")
    assert added.returncode == 0, added.stderr
    assert email in run("users", "list").stdout
    invited = unique_email("invited")
    assert run("users", "add", invited).returncode == 0
    outbox = run("outbox").stdout
    assert invited in outbox and "temporary password" in outbox
    outputs = run("outputs")
    import json
    assert json.loads(outputs.stdout)["ApiUrl"] == f"{stack.api}/v1"
    assert run("users", "delete", email).returncode == 0
    assert email not in run("users", "list").stdout
