"""Tokens checked by PyJWT, an independent verifier, with keys found through OpenID discovery."""

import base64
import json
import urllib.request

import jwt
import pytest


def discover(stack, pool_id):
    # Served at the local endpoint; the issuer is AWS's, as tokens carry it and as code that
    # verifies Cognito tokens expects it; the keys are local.
    local = f"{stack.endpoint}/{pool_id}"
    with urllib.request.urlopen(f"{local}/.well-known/openid-configuration") as r:
        conf = json.load(r)
    assert conf["issuer"] == f"https://cognito-idp.us-east-1.amazonaws.com/{pool_id}"
    assert conf["jwks_uri"] == f"{local}/.well-known/jwks.json"
    assert conf["id_token_signing_alg_values_supported"] == ["RS256"]
    assert conf["subject_types_supported"] == ["public"]
    return conf


@pytest.fixture
def tokens(stack, ids, confirmed_user):
    _, client_id = ids
    email, password = confirmed_user
    return email, stack.client().initiate_auth(
        ClientId=client_id, AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": email, "PASSWORD": password})["AuthenticationResult"]


def test_id_and_access_tokens_verify_against_the_discovered_jwks(stack, ids, tokens):
    pool_id, client_id = ids
    email, auth = tokens
    conf = discover(stack, pool_id)
    keys = jwt.PyJWKClient(conf["jwks_uri"])
    idt = jwt.decode(auth["IdToken"], keys.get_signing_key_from_jwt(auth["IdToken"]).key,
                     algorithms=["RS256"], audience=client_id, issuer=conf["issuer"])
    assert idt["token_use"] == "id" and idt["email"] == email
    assert idt["email_verified"] is True
    assert idt["cognito:username"] == idt["sub"]
    for claim in ("event_id", "origin_jti", "auth_time", "iat", "exp", "jti"):
        assert claim in idt
    assert idt["exp"] - idt["iat"] == 3600

    acc = jwt.decode(auth["AccessToken"], keys.get_signing_key_from_jwt(auth["AccessToken"]).key,
                     algorithms=["RS256"], issuer=conf["issuer"], options={"verify_aud": True})
    assert acc["token_use"] == "access" and acc["client_id"] == client_id
    assert "aud" not in acc
    assert acc["scope"] == "aws.cognito.signin.user.admin"
    assert acc["username"] == idt["sub"] and acc["origin_jti"] == idt["origin_jti"]


def test_id_and_access_tokens_use_different_keys_both_in_the_jwks(stack, ids, tokens):
    pool_id, _ = ids
    _, auth = tokens
    jwks = json.load(urllib.request.urlopen(discover(stack, pool_id)["jwks_uri"]))
    kids = {k["kid"] for k in jwks["keys"]}
    id_kid = jwt.get_unverified_header(auth["IdToken"])["kid"]
    access_kid = jwt.get_unverified_header(auth["AccessToken"])["kid"]
    assert id_kid != access_kid and {id_kid, access_kid} == kids
    for k in jwks["keys"]:
        assert k["alg"] == "RS256" and k["kty"] == "RSA" and k["use"] == "sig" and k["e"] == "AQAB"


def test_tampered_token_fails_verification(stack, ids, tokens):
    pool_id, client_id = ids
    _, auth = tokens
    conf = discover(stack, pool_id)
    h, p, s = auth["IdToken"].split(".")
    claims = json.loads(base64.urlsafe_b64decode(p + "=" * (-len(p) % 4)))
    claims["email"] = "mallory@example.com"
    forged = ".".join([h, base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode(), s])
    key = jwt.PyJWKClient(conf["jwks_uri"]).get_signing_key_from_jwt(auth["IdToken"]).key
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(forged, key, algorithms=["RS256"], audience=client_id, issuer=conf["issuer"])


def test_refresh_keeps_auth_time_and_origin(stack, ids, tokens):
    _, client_id = ids
    _, auth = tokens
    again = stack.client().initiate_auth(ClientId=client_id, AuthFlow="REFRESH_TOKEN",
                                         AuthParameters={"REFRESH_TOKEN": auth["RefreshToken"]})["AuthenticationResult"]
    before = jwt.decode(auth["IdToken"], options={"verify_signature": False})
    after = jwt.decode(again["IdToken"], options={"verify_signature": False})
    assert after["auth_time"] == before["auth_time"]
    assert after["origin_jti"] == before["origin_jti"]
    assert after["jti"] != before["jti"]
