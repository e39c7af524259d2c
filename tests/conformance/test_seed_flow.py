"""The seed's sign-in scripts, unchanged, against the local pool (AWS CLI underneath)."""

import os
import subprocess

import jwt

from conftest import ROOT


def run(script, *args, endpoint):
    env = dict(os.environ, AWS_ENDPOINT_URL=endpoint)
    env["PATH"] = str(ROOT / ".venv" / "bin") + os.pathsep + env["PATH"]
    return subprocess.run([str(ROOT / "scripts" / script), *args], capture_output=True, text=True, env=env)


def verify_id_token(token, stack, pool_id, client_id):
    iss = f"https://cognito-idp.us-east-1.amazonaws.com/{pool_id}"
    key = jwt.PyJWKClient(f"{stack.endpoint}/{pool_id}/.well-known/jwks.json").get_signing_key_from_jwt(token).key
    return jwt.decode(token, key, algorithms=["RS256"], audience=client_id, issuer=iss)


def test_first_login_then_login_each_print_a_valid_id_token(stack, ids):
    pool_id, client_id = ids
    email = stack.outputs.get("YourEmail", "test@example.com")
    temporary = stack.last_message(email)["temporaryPassword"]

    first = run("login_first.sh", pool_id, client_id, email, temporary, endpoint=stack.endpoint)
    assert first.returncode == 0, first.stderr
    claims = verify_id_token(first.stdout.strip(), stack, pool_id, client_id)
    assert claims["email"] == email and claims["token_use"] == "id"

    again = run("login.sh", client_id, email, "Testing1", endpoint=stack.endpoint)
    assert again.returncode == 0, again.stderr
    assert again.stdout.count("\n") == 1, "login.sh prints only the IdToken"
    assert verify_id_token(again.stdout.strip(), stack, pool_id, client_id)["sub"] == claims["sub"]


def test_login_with_wrong_password_fails_with_cognitos_message(stack, ids):
    _, client_id = ids
    out = run("login.sh", client_id, "test@example.com", "Wrong1xx", endpoint=stack.endpoint)
    assert out.returncode != 0
    assert "NotAuthorizedException" in out.stderr and "Incorrect username or password." in out.stderr


def test_scripts_print_usage_on_wrong_arguments(stack):
    for script in ("login.sh", "login_first.sh"):
        out = run(script, endpoint=stack.endpoint)
        assert out.returncode == 2 and "usage:" in out.stderr
