"""Tokens verified where AWS's documentation verifies them, with unchanged code: aws-jwt-verify's
CognitoJwtVerifier in a Node.js Lambda authorizer (CommonJS) and a Node.js handler (ES module),
PyJWT's PyJWKClient in a Python handler; all of them fetch the pool's JWKS from AWS's host, and
the bootstraps answer that from the local pool. Then an issuer that is not a local pool, standing
in for a remote one: an HTTP API's JWT authorizer fetches its keys through OpenID discovery,
picks up a rotated key, and refuses its tokens when it cannot be reached."""

import http.server
import json
import threading
import time

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from conftest import ROOT, Stack, free_port, unique_email

STACK = ROOT / "tests" / "conformance" / "stacks" / "verify" / "template.yaml"


class Issuer:
    """A minimal OpenID issuer on loopback: discovery and a JWKS whose keys can be rotated."""

    def __init__(self):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.keys = {}
        self.fetches = 0
        self.rotate("k1")
        issuer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                if self.path == "/.well-known/openid-configuration":
                    body = {"issuer": issuer.url, "jwks_uri": f"{issuer.url}/keys"}
                elif self.path == "/keys":
                    issuer.fetches += 1
                    body = {"keys": [dict(jwt.algorithms.RSAAlgorithm.to_jwk(k.public_key(), as_dict=True),
                                          kid=kid, alg="RS256", use="sig") for kid, k in issuer.keys.items()]}
                else:
                    self.send_error(404)
                    return
                data = json.dumps(body).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def rotate(self, kid):
        """Only `kid` from now on."""
        self.keys = {kid: rsa.generate_private_key(public_exponent=65537, key_size=2048)}

    def token(self, kid, **claims):
        now = int(time.time())
        body = {"iss": self.url, "aud": "remote-client", "sub": "remote-user", "iat": now, "exp": now + 300, **claims}
        return jwt.encode(body, self.keys[kid], algorithm="RS256", headers={"kid": kid})

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def issuer():
    i = Issuer()
    yield i
    i.stop()


@pytest.fixture(scope="module")
def verify(tmp_path_factory, issuer):
    s = Stack(tmp_path_factory.mktemp("verify"), template=STACK,
              extra_args=["--parameter-overrides", f"RemoteIssuer={issuer.url}"]).start()
    yield s
    s.stop()


@pytest.fixture(scope="module")
def id_token(verify):
    c = verify.client()
    pool_id = c.list_user_pools(MaxResults=10)["UserPools"][0]["Id"]
    client_id = c.list_user_pool_clients(UserPoolId=pool_id)["UserPoolClients"][0]["ClientId"]
    email = unique_email("verify")
    c.admin_create_user(UserPoolId=pool_id, Username=email, MessageAction="SUPPRESS")
    c.admin_set_user_password(UserPoolId=pool_id, Username=email, Password="Verif1ed!", Permanent=True)
    auth = c.initiate_auth(ClientId=client_id, AuthFlow="USER_PASSWORD_AUTH",
                           AuthParameters={"USERNAME": email, "PASSWORD": "Verif1ed!"})
    return email, auth["AuthenticationResult"]["IdToken"], auth["AuthenticationResult"]["AccessToken"]


def test_aws_jwt_verify_in_a_node_authorizer(verify, id_token):
    email, token, access = id_token
    status, _, body = verify.http("GET", "/v/guarded", {"Authorization": token})
    assert status == 200, body
    answer = json.loads(body)
    assert (answer["via"], answer["email"]) == ("authorizer", email)
    assert answer["principalId"] == jwt.decode(token, options={"verify_signature": False})["sub"]
    # The verifier refuses what it should: an access token (tokenUse "id"), a tampered one.
    assert verify.http("GET", "/v/guarded", {"Authorization": access})[0] == 401
    assert verify.http("GET", "/v/guarded", {"Authorization": token[:-4] + "AAAA"})[0] == 401
    verify.wait_log(r"token refused: ")


def test_aws_jwt_verify_in_a_node_es_module_handler(verify, id_token):
    email, token, _ = id_token
    status, _, body = verify.http("GET", "/v/node", {"Authorization": token})
    assert (status, json.loads(body)) == (200, {"via": "handler", "email": email}), body
    status, _, body = verify.http("GET", "/v/node", {"Authorization": "not.a.token"})
    assert status == 401


def test_pyjwt_in_a_python_handler(verify, id_token):
    email, token, _ = id_token
    status, _, body = verify.http("GET", "/v/py", {"Authorization": token})
    assert (status, json.loads(body)) == (200, {"email": email, "token_use": "id"}), body
    assert verify.http("GET", "/v/py", {"Authorization": token[:-4] + "AAAA"})[0] == 401


def test_a_remote_issuers_keys_come_through_discovery_and_rotate(verify, issuer):
    status, _, body = verify.http("GET", "/remote/me", {"Authorization": f"Bearer {issuer.token('k1')}"})
    assert status == 200, body
    claims = json.loads(body)["requestContext"]["authorizer"]["jwt"]["claims"]
    assert claims["sub"] == "remote-user" and claims["iss"] == issuer.url
    fetched = issuer.fetches
    assert verify.http("GET", "/remote/me", {"Authorization": issuer.token("k1", sub="again")})[0] == 200
    assert issuer.fetches == fetched, "the keys are kept"

    # The issuer rotates: a token with the new kid makes the gateway fetch again (at most once a
    # second an issuer, so wait that long).
    issuer.rotate("k2")
    time.sleep(1.1)
    status, _, body = verify.http("GET", "/remote/me", {"Authorization": issuer.token("k2")})
    assert status == 200, body
    assert issuer.fetches == fetched + 1

    # Wrong audience, and a token of the local pool's shape from a stranger's key.
    assert verify.http("GET", "/remote/me", {"Authorization": issuer.token("k2", aud="other")})[0] == 401
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    forged = jwt.encode({"iss": issuer.url, "aud": "remote-client", "exp": int(time.time()) + 60},
                        stranger, algorithm="RS256", headers={"kid": "k2"})
    assert verify.http("GET", "/remote/me", {"Authorization": forged})[0] == 401


def test_an_unreachable_issuer_fails_closed_with_one_log_line(tmp_path):
    port = free_port()  # nothing listens there
    s = Stack(tmp_path, template=STACK, extra_args=["--parameter-overrides", f"RemoteIssuer=http://127.0.0.1:{port}"]).start()
    try:
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        token = jwt.encode({"iss": f"http://127.0.0.1:{port}", "aud": "remote-client", "exp": int(time.time()) + 60},
                           key, algorithm="RS256", headers={"kid": "k"})
        status, headers, body = s.http("GET", "/remote/me", {"Authorization": token})
        assert (status, json.loads(body)) == (401, {"message": "Unauthorized"})
        log = s.wait_log(r"cannot fetch the keys of issuer http://127\.0\.0\.1:\d+")
        assert log.count("cannot fetch the keys of issuer") == 1
    finally:
        s.stop()
