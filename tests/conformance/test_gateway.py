"""The local API Gateway with the real function binaries: the seed's curl session, the proxy
event field by field, CORS, a Python function, faults, and forged tokens."""

import base64
import json
import pathlib
import re
import time
import uuid

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from conftest import ROOT, Stack, unique_email

SEED_OPEN = {"message": "This endpoint does not require any authentication",
             "structure": "This field was added just to prove it's not an error"}


def sign_in(stack, client_id, email, password):
    return stack.client().initiate_auth(ClientId=client_id, AuthFlow="USER_PASSWORD_AUTH",
                                        AuthParameters={"USERNAME": email, "PASSWORD": password})["AuthenticationResult"]


# --- the project's own stack (template.yaml) -------------------------------------------------

@pytest.fixture(scope="module")
def tokens(stack, ids, confirmed_user_module):
    _, client_id = ids
    email, password = confirmed_user_module
    return email, sign_in(stack, client_id, email, password)


@pytest.fixture(scope="module")
def confirmed_user_module(stack, ids):
    pool_id, client_id = ids
    email = unique_email("gw")
    c = stack.client()
    c.admin_create_user(UserPoolId=pool_id, Username=email, MessageAction="SUPPRESS", TemporaryPassword="Temp0rary")
    c.admin_set_user_password(UserPoolId=pool_id, Username=email, Password="Gatew4yUser", Permanent=True)
    return email, "Gatew4yUser"


def test_open_route_answers_the_seed_json_with_cors_headers(stack):
    status, headers, body = stack.http("GET", "/v1/open")
    assert status == 200
    assert json.loads(body) == SEED_OPEN
    assert headers["Content-Type"] == "application/json"
    for h in ("Access-Control-Allow-Origin", "Access-Control-Allow-Methods", "Access-Control-Allow-Headers"):
        assert headers[h] == "*"


def test_protected_route_without_a_token_is_401(stack):
    status, headers, body = stack.http("GET", "/v1")
    assert (status, json.loads(body)) == (401, {"message": "Unauthorized"})
    assert headers["x-amzn-ErrorType"] == "UnauthorizedException"


@pytest.mark.parametrize("prefix", ["", "Bearer "])
def test_protected_route_with_the_id_token_names_the_user(stack, tokens, prefix):
    email, auth = tokens
    status, headers, body = stack.http("GET", "/v1", {"Authorization": prefix + auth["IdToken"]})
    assert status == 200, body
    out = json.loads(body)
    assert out["message"] == "The request was successful"
    assert out["user"]["email"] == email
    assert out["user"]["sub"] == jwt.decode(auth["IdToken"], options={"verify_signature": False})["sub"]


def test_access_token_is_refused(stack, tokens):
    _, auth = tokens
    status, _, body = stack.http("GET", "/v1", {"Authorization": auth["AccessToken"]})
    assert (status, json.loads(body)) == (401, {"message": "Unauthorized"})


def test_preflight_answers_the_templates_cors_headers(stack):
    status, headers, _ = stack.http("OPTIONS", "/v1/open")
    assert status == 200
    assert headers["Access-Control-Allow-Origin"] == "*"
    assert headers["Access-Control-Allow-Methods"] == "*"
    assert headers["Access-Control-Allow-Headers"] == "*"


@pytest.mark.parametrize("method,path", [("GET", "/v1/nope"), ("POST", "/v1/open"), ("GET", "/v2/open"), ("GET", "/")])
def test_unknown_stage_path_or_method_is_403(stack, method, path):
    status, headers, body = stack.http(method, path)
    assert (status, json.loads(body)) == (403, {"message": "Missing Authentication Token"})
    assert headers["x-amzn-ErrorType"] == "MissingAuthenticationTokenException"


def test_api_url_output_is_the_local_gateway(stack):
    assert stack.outputs["ApiUrl"] == f"{stack.api}/v1"


# --- forged and broken tokens ----------------------------------------------------------------

def pool_private_key(stack, pool_id, which="id"):
    keys = json.loads((stack.state_dir / "keys" / f"{pool_id}.json").read_text())
    return serialization.load_der_private_key(base64.b64decode(keys[which]), password=None)


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def forged_tokens(stack, ids, auth):
    pool_id, client_id = ids
    real = auth["IdToken"]
    header = jwt.get_unverified_header(real)
    claims = jwt.decode(real, options={"verify_signature": False})
    kid = header["kid"]
    key = pool_private_key(stack, pool_id)
    h, p, s = real.split(".")

    def signed(**changes):
        c = dict(claims, **changes)
        c = {k: v for k, v in c.items() if v is not None}
        return jwt.encode(c, key, algorithm="RS256", headers={"kid": kid})

    public_pem = key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    hs256 = ".".join([b64url(json.dumps({"alg": "HS256", "kid": kid}).encode()), p])
    import hmac, hashlib
    hs256 += "." + b64url(hmac.new(public_pem, hs256.encode(), hashlib.sha256).digest())
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)

    tampered_claims = dict(claims, email="mallory@example.com")
    tampered = ".".join([h, b64url(json.dumps(tampered_claims).encode()), s])
    flipped = real[:-5] + ("A" if real[-5] != "A" else "B") + real[-4:]

    # A token from another pool on the same local Cognito.
    c = stack.client()
    other = c.create_user_pool(PoolName="Other", UsernameAttributes=["email"])["UserPool"]["Id"]
    other_client = c.create_user_pool_client(UserPoolId=other, ClientName="o",
                                             ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH"])["UserPoolClient"]["ClientId"]
    c.admin_create_user(UserPoolId=other, Username="x@example.com", MessageAction="SUPPRESS", TemporaryPassword="Temp0rary!x")
    c.admin_set_user_password(UserPoolId=other, Username="x@example.com", Password="0ther-Pool", Permanent=True)
    other_token = sign_in(stack, other_client, "x@example.com", "0ther-Pool")["IdToken"]

    return {
        "empty": "",
        "bearer only": "Bearer ",
        "not a jwt": "not-a-jwt",
        "three garbage parts": "a.b.c",
        "bad base64": "!!!.@@@.###",
        "four parts": real + ".x",
        "alg none": ".".join([b64url(json.dumps({"alg": "none", "kid": kid}).encode()), p, ""]),
        "HS256 keyed with the public key": hs256,
        "unknown kid": jwt.encode(claims, key, algorithm="RS256", headers={"kid": "nope"}),
        "access key's kid": jwt.encode(claims, key, algorithm="RS256",
                                       headers={"kid": jwt.get_unverified_header(auth["AccessToken"])["kid"]}),
        "signed by a stranger's key": jwt.encode(claims, stranger, algorithm="RS256", headers={"kid": kid}),
        "another pool's token": other_token,
        "access token": auth["AccessToken"],
        "tampered payload": tampered,
        "flipped signature": flipped,
        "truncated signature": real[:-20],
        "wrong audience": signed(aud="someotherclient0000000000"),
        "wrong issuer": signed(iss="http://127.0.0.1:1/" + pool_id),
        "the pool's local URL as issuer": signed(iss=f"{stack.endpoint}/{pool_id}"),
        "another region's issuer": signed(iss=f"https://cognito-idp.eu-west-1.amazonaws.com/{pool_id}"),
        "no token_use": signed(token_use=None),
        "token_use access": signed(token_use="access"),
        "no exp": signed(exp=None),
        "lowercase bearer with garbage": "bearer xyz",
    }


def test_forged_and_broken_tokens_are_401(stack, ids, tokens):
    _, auth = tokens
    forged = forged_tokens(stack, ids, auth)
    assert len(forged) >= 20
    for name, token in forged.items():
        status, _, body = stack.http("GET", "/v1", {"Authorization": token})
        assert (status, json.loads(body)) == (401, {"message": "Unauthorized"}), name
    # And the real one still works.
    assert stack.http("GET", "/v1", {"Authorization": auth["IdToken"]})[0] == 200


def test_expired_token_is_401_with_the_expired_message(stack, ids, tokens):
    pool_id, _ = ids
    _, auth = tokens
    claims = jwt.decode(auth["IdToken"], options={"verify_signature": False})
    claims.update(exp=int(time.time()) - 10, iat=int(time.time()) - 3610)
    token = jwt.encode(claims, pool_private_key(stack, pool_id), algorithm="RS256",
                       headers={"kid": jwt.get_unverified_header(auth["IdToken"])["kid"]})
    status, _, body = stack.http("GET", "/v1", {"Authorization": token})
    assert (status, json.loads(body)) == (401, {"message": "The incoming token has expired"})


# --- a stack of test functions ---------------------------------------------------------------

@pytest.fixture(scope="module")
def gw(tmp_path_factory):
    s = Stack(tmp_path_factory.mktemp("gw"), template=ROOT / "tests" / "conformance" / "stacks" / "gateway.yaml").start()
    c = s.client()
    pool_id = s.outputs.get("PoolId") or c.list_user_pools(MaxResults=10)["UserPools"][0]["Id"]
    client_id = c.list_user_pool_clients(UserPoolId=pool_id)["UserPoolClients"][0]["ClientId"]
    c.admin_create_user(UserPoolId=pool_id, Username="echo@example.com", MessageAction="SUPPRESS", TemporaryPassword="Temp0rary!x")
    c.admin_set_user_password(UserPoolId=pool_id, Username="echo@example.com", Password="Echo-Passw0rd", Permanent=True)
    s.token = sign_in(s, client_id, "echo@example.com", "Echo-Passw0rd")["IdToken"]
    yield s
    s.stop()


def echo(gw, method, path, headers=None, body=None):
    status, resp_headers, raw = gw.http(method, path, headers, body)
    assert status == 200, raw
    out = json.loads(raw)
    return out["event"], out["env"], resp_headers


def test_event_field_by_field(gw):
    before_ms = int(time.time() * 1000)
    event, env, headers = echo(gw, "GET", "/test/items/42?a=1&a=2&b=x%20y",
                               {"X-Token": gw.token, "X-Custom": "v", "User-Agent": "gatehouse-tests/1"})
    assert event["resource"] == "/items/{id}"
    assert event["path"] == "/items/42"
    assert event["httpMethod"] == "GET"
    assert event["headers"]["x-custom"] == "v"
    assert event["multiValueHeaders"]["x-custom"] == ["v"]
    assert event["headers"]["x-token"] == gw.token
    for added in ("x-forwarded-for", "x-forwarded-port", "x-forwarded-proto", "x-amzn-trace-id"):
        assert added in event["headers"]
    assert event["queryStringParameters"] == {"a": "2", "b": "x y"}, "last value wins"
    assert event["multiValueQueryStringParameters"] == {"a": ["1", "2"], "b": ["x y"]}
    assert event["pathParameters"] == {"id": "42"}
    assert event["stageVariables"] is None
    assert event["body"] is None and event["isBase64Encoded"] is False

    rc = event["requestContext"]
    assert rc["resourcePath"] == "/items/{id}" and rc["httpMethod"] == "GET"
    assert rc["path"] == "/test/items/42", "requestContext.path keeps the stage"
    assert rc["stage"] == "test" and rc["protocol"] == "HTTP/1.1"
    assert rc["accountId"] == "123456789012"
    assert re.fullmatch(r"[a-z0-9]{10}", rc["apiId"])
    assert re.fullmatch(r"[a-z0-9]{6}", rc["resourceId"])
    uuid.UUID(rc["requestId"])
    assert rc["extendedRequestId"]
    assert re.fullmatch(r"\d\d/[A-Z][a-z]{2}/\d{4}:\d\d:\d\d:\d\d \+0000", rc["requestTime"])
    assert before_ms - 1000 <= rc["requestTimeEpoch"] <= int(time.time() * 1000) + 1000
    assert rc["domainName"] == f"127.0.0.1:{gw.api_port}"
    assert rc["domainPrefix"] == rc["apiId"], "an IP host has no label to use"
    ident = rc["identity"]
    assert ident["sourceIp"] == "127.0.0.1" and ident["userAgent"] == "gatehouse-tests/1"
    for k in ("cognitoIdentityPoolId", "accountId", "cognitoIdentityId", "caller", "principalOrgId", "accessKey",
              "cognitoAuthenticationType", "cognitoAuthenticationProvider", "userArn", "user"):
        assert ident[k] is None, k

    claims = rc["authorizer"]["claims"]
    assert all(isinstance(v, str) for v in claims.values()), claims
    assert claims["email"] == "echo@example.com" and claims["email_verified"] == "true"
    assert claims["token_use"] == "id" and claims["auth_time"].isdigit()
    date = r"(Mon|Tue|Wed|Thu|Fri|Sat|Sun) [A-Z][a-z]{2} [1-9]\d? \d\d:\d\d:\d\d UTC \d{4}"
    assert re.fullmatch(date, claims["exp"]) and re.fullmatch(date, claims["iat"]), claims

    # Lambda's environment, with Globals and the function's own variables.
    assert env["AWS_LAMBDA_FUNCTION_NAME"] == "Echo"
    assert env["ECHO_GLOBAL"] == "from-globals" and env["ECHO_OWN"] == "own-value"
    # The function's headers and multiValueHeaders both reach the client.
    assert headers["X-Echo"] == "single"
    assert headers.get_all("X-Multi") == ["a", "b"]

    again, _, _ = echo(gw, "GET", "/test/items/42", {"X-Token": gw.token})
    assert again["requestContext"]["requestId"] != rc["requestId"], "a fresh requestId per request"
    assert again["queryStringParameters"] is None and again["multiValueQueryStringParameters"] is None


def test_proxy_route_with_a_body_and_no_authorizer(gw):
    event, _, _ = echo(gw, "POST", "/test/anything/at/all/", {"Content-Type": "text/plain"}, b"hello body")
    assert event["resource"] == "/{proxy+}"
    assert event["path"] == "/anything/at/all"
    assert event["pathParameters"] == {"proxy": "anything/at/all"}
    assert event["body"] == "hello body" and event["isBase64Encoded"] is False
    assert "authorizer" not in event["requestContext"]


def test_binary_request_body_arrives_base64(gw):
    event, _, _ = echo(gw, "PUT", "/test/bin", {"Content-Type": "application/octet-stream"}, bytes([0xff, 0xfe, 0x00]))
    assert event["isBase64Encoded"] is True
    assert base64.b64decode(event["body"]) == bytes([0xff, 0xfe, 0x00])


def test_custom_identity_header_is_the_one_read(gw):
    status, _, _ = gw.http("GET", "/test/items/1", {"Authorization": gw.token})
    assert status == 401


def test_preflight_with_full_cors_settings(gw):
    status, headers, _ = gw.http("OPTIONS", "/test/items/7")
    assert status == 200
    assert headers["Access-Control-Allow-Origin"] == "https://app.example.com"
    assert headers["Access-Control-Allow-Headers"] == "Authorization,Content-Type"
    assert headers["Access-Control-Allow-Methods"] == "GET,OPTIONS"
    assert headers["Access-Control-Max-Age"] == "600"
    assert "Access-Control-Allow-Credentials" not in headers


def test_python_function_behind_the_same_gateway(gw):
    status, _, body = gw.http("POST", "/test/py", {"Content-Type": "text/plain"}, b"from python")
    assert status == 201, body
    assert json.loads(body) == {"runtime": "python", "function": "Python", "method": "POST", "body": "from python"}


@pytest.mark.parametrize("fault,status,message", [
    ("crash", 502, "Internal server error"),
    ("malformed", 502, "Internal server error"),
    ("error", 502, "Internal server error"),
    ("hang", 504, "Endpoint request timed out"),
])
def test_faults_are_answered_as_aws_does_and_the_next_request_succeeds(gw, fault, status, message):
    assert gw.http("GET", "/test/fault")[0] == 200  # warm
    got, _, body = gw.http("GET", f"/test/fault?fault={fault}")
    assert (got, json.loads(body)) == (status, {"message": message})
    ok, _, body = gw.http("GET", "/test/fault")
    assert (ok, body) == (200, b"ok")


def test_base64_response_body_is_decoded(gw):
    status, headers, body = gw.http("GET", "/test/fault?fault=binary")
    assert status == 200 and body == bytes([0, 1, 2, 3, 4])
    assert headers["Content-Type"] == "application/octet-stream"


def test_request_body_over_10_mb_is_413(gw):
    status, _, _ = gw.http("POST", "/test/big", {"Content-Type": "text/plain"}, b"x" * (10 * 1024 * 1024 + 1))
    assert status == 413


def test_route_table_is_printed_at_start(gw):
    rows = [line.split() for line in gw.summary if line.startswith("    ")]
    assert ["GET", "/test/items/{id}", "Echo", "auth:", "Cognito"] in rows
    assert ["ANY", "/test/{proxy+}", "Echo", "auth:", "-"] in rows
    assert ["POST", "/test/py", "Python", "auth:", "-"] in rows


def test_each_request_is_logged_with_status_function_and_user(gw):
    echo(gw, "GET", "/test/items/99", {"X-Token": gw.token})
    gw.wait_log(r"GET /test/items/99 200 \d+ms Echo echo@example.com")


def test_no_instance_outlives_gatehouse_up(tmp_path):
    s = Stack(tmp_path, template=ROOT / "tests" / "conformance" / "stacks" / "gateway.yaml").start()
    try:
        for path in ("/test/x", "/test/fault"):
            assert s.http("GET", path)[0] == 200
        s.http("POST", "/test/py", {}, b"x")
        pids = s.children()
        assert len(pids) >= 3, pids
    finally:
        s.stop()
    time.sleep(0.2)
    alive = [p for p in pids if pathlib.Path(f"/proc/{p}").exists()
             and pathlib.Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"]
    assert alive == [], f"still running after shutdown: {alive}"


def test_gatehouse_invoke_sends_a_raw_event_to_a_function(stack):
    import subprocess
    from conftest import BIN
    fixture = ROOT / "functions" / "tests" / "fixtures" / "apigw-rest-open.json"
    ok = subprocess.run([str(BIN), "invoke", "OpenFunction", "--event", str(fixture), "--state-dir", str(stack.state_dir)],
                        capture_output=True, text=True, timeout=60)
    assert ok.returncode == 0, ok.stderr
    answer = json.loads(ok.stdout)
    assert answer["statusCode"] == 200 and json.loads(answer["body"]) == SEED_OPEN
    missing = subprocess.run([str(BIN), "invoke", "Nope", "--state-dir", str(stack.state_dir)],
                             capture_output=True, text=True, timeout=60)
    assert missing.returncode == 1 and "Function not found: Nope" in missing.stderr


def test_aws_cli_lambda_invoke_reaches_the_function(stack, tmp_path):
    import os
    import subprocess
    fixture = ROOT / "functions" / "tests" / "fixtures" / "apigw-rest-cognito-authorized.json"
    out = tmp_path / "out.json"
    from conftest import admin_of
    admin = admin_of(stack)
    env = dict(os.environ, AWS_ACCESS_KEY_ID=admin.access_key, AWS_SECRET_ACCESS_KEY=admin.secret_key)
    run = subprocess.run([str(ROOT / ".venv" / "bin" / "aws"), "lambda", "invoke", "--endpoint-url", stack.api,
                          "--function-name", "AuthenticatedFunction", "--payload", f"file://{fixture}", str(out)],
                         capture_output=True, text=True, timeout=60, env=env)
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout)["StatusCode"] == 200 and "FunctionError" not in json.loads(run.stdout)
    body = json.loads(json.loads(out.read_text())["body"])
    assert body["user"]["email"] == "test@example.com"
    bad = subprocess.run([str(ROOT / ".venv" / "bin" / "aws"), "lambda", "invoke", "--endpoint-url", stack.api,
                          "--function-name", "AuthenticatedFunction", "--payload", "[1]", str(out)],
                         capture_output=True, text=True, timeout=60, env=env)
    assert json.loads(bad.stdout)["FunctionError"] == "Unhandled"
    # Keys the local IAM does not know are refused before the function runs.
    stranger = subprocess.run([str(ROOT / ".venv" / "bin" / "aws"), "lambda", "invoke", "--endpoint-url", stack.api,
                               "--function-name", "AuthenticatedFunction", "--payload", "{}", str(out)],
                              capture_output=True, text=True, timeout=60,
                              env=dict(os.environ, AWS_ACCESS_KEY_ID="AKIASTRANGERSTRANGER", AWS_SECRET_ACCESS_KEY="x" * 40))
    assert stranger.returncode != 0 and "UnrecognizedClientException" in stranger.stderr, stranger.stderr
