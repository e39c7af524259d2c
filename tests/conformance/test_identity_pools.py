"""Cognito identity pools (stacks/identity) with boto3 as an app uses them: sign in to the user
pool, GetId and GetCredentialsForIdentity with the ID token, then sign calls to AWS_IAM routes
with botocore's signer: the function sees the Cognito identity; a group's role is chosen by the
pool's Token role mapping (shown by STS's GetCallerIdentity); guests reach only what the
unauthenticated role allows; refusals carry Cognito's and API Gateway's texts."""

import base64
import json
import re
import subprocess
import time
import urllib.error
import urllib.request

import boto3
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from botocore.credentials import Credentials
from botocore.exceptions import ClientError
from botocore.config import Config
from botocore import UNSIGNED

from conftest import ROOT, Stack, signed, sts_client, unique_email

HERE = ROOT / "tests" / "conformance"
PASSWORD = "Passw0rd!long"


@pytest.fixture(scope="module")
def iam(tmp_path_factory):
    s = Stack(tmp_path_factory.mktemp("identity"), template=HERE / "stacks" / "identity" / "template.yaml").start()
    yield s
    s.stop()


def identity_client(stack):
    # GetId and GetCredentialsForIdentity are unsigned, as on AWS (an app has no credentials yet).
    return boto3.client("cognito-identity", endpoint_url=stack.endpoint, region_name="us-east-1",
                        config=Config(signature_version=UNSIGNED))


def user(stack, group=None, client_key="ClientId", pool_key="UserPoolId"):
    """A confirmed user's tokens."""
    idp = stack.client()
    pool = stack.outputs[pool_key]
    email = unique_email("idp")
    idp.admin_create_user(UserPoolId=pool, Username=email, MessageAction="SUPPRESS")
    idp.admin_set_user_password(UserPoolId=pool, Username=email, Password=PASSWORD, Permanent=True)
    if group:
        idp.admin_add_user_to_group(UserPoolId=pool, Username=email, GroupName=group)
    out = idp.initiate_auth(ClientId=stack.outputs[client_key], AuthFlow="USER_PASSWORD_AUTH",
                            AuthParameters={"USERNAME": email, "PASSWORD": PASSWORD})
    return out["AuthenticationResult"]


def provider(stack):
    return f"cognito-idp.us-east-1.amazonaws.com/{stack.outputs['UserPoolId']}"


def credentials(stack, logins=None):
    c = identity_client(stack)
    kwargs = {"Logins": logins} if logins else {}
    identity = c.get_id(IdentityPoolId=stack.outputs["IdentityPoolId"], **kwargs)["IdentityId"]
    out = c.get_credentials_for_identity(IdentityId=identity, **kwargs)
    assert out["IdentityId"] == identity
    k = out["Credentials"]
    return identity, Credentials(k["AccessKeyId"], k["SecretKey"], k["SessionToken"])


def call(stack, creds, method, path):
    url = stack.api + path
    req = urllib.request.Request(url, headers=signed(creds, method, url), method=method)
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"null")


def caller(stack, creds):
    return sts_client(stack, creds).get_caller_identity()["Arn"]


def test_a_signed_in_user_signs_iam_calls_with_identity_pool_credentials(iam):
    tokens = user(iam)
    identity, creds = credentials(iam, {provider(iam): tokens["IdToken"]})
    assert identity.startswith("us-east-1:")
    assert creds.access_key.startswith("ASIA")
    status, seen = call(iam, creds, "GET", "/Prod/private")
    assert status == 200, seen
    assert seen["cognitoIdentityId"] == identity
    assert seen["cognitoIdentityPoolId"] == iam.outputs["IdentityPoolId"]
    assert seen["cognitoAuthenticationType"] == "authenticated"
    sub = jwt.decode(tokens["IdToken"], options={"verify_signature": False})["sub"]
    assert seen["cognitoAuthenticationProvider"] == f"{provider(iam)},{provider(iam)}:CognitoSignIn:{sub}"
    assert seen["userArn"].endswith("/CognitoIdentityCredentials")
    # The authenticated role allows GET only.
    status, body = call(iam, creds, "POST", "/Prod/private")
    assert status == 403
    assert body["Message"].startswith(f"User: {seen['userArn']} is not authorized to perform: execute-api:Invoke")
    # The same login finds the same identity again.
    assert credentials(iam, {provider(iam): tokens["IdToken"]})[0] == identity


def test_a_groups_role_is_chosen_by_the_token_role_mapping(iam):
    tokens = user(iam, group="admins")
    _, creds = credentials(iam, {provider(iam): tokens["IdToken"]})
    admin_role = iam.outputs["AdminRoleArn"].split("/")[-1]
    assert caller(iam, creds).endswith(f":assumed-role/{admin_role}/CognitoIdentityCredentials")
    status, _ = call(iam, creds, "POST", "/Prod/private")
    assert status == 200


def test_guests_reach_only_what_the_unauthenticated_role_allows(iam):
    identity, creds = credentials(iam)
    status, seen = call(iam, creds, "GET", "/Prod/public")
    assert status == 200, seen
    assert seen["cognitoAuthenticationType"] == "unauthenticated"
    assert seen["cognitoIdentityId"] == identity
    status, body = call(iam, creds, "GET", "/Prod/private")
    assert status == 403
    assert "is not authorized to perform: execute-api:Invoke on resource: arn:aws:execute-api:us-east-1:123456789012:" in body["Message"]


def error(fn, **kwargs):
    with pytest.raises(ClientError) as e:
        fn(**kwargs)
    return e.value.response["Error"]["Code"], e.value.response["Error"]["Message"]


def test_refusals_carry_cognitos_texts(iam):
    c = identity_client(iam)
    pool = iam.outputs["IdentityPoolId"]
    missing = "us-east-1:00000000-0000-0000-0000-000000000000"
    assert error(c.get_id, IdentityPoolId=missing) == ("ResourceNotFoundException", f"IdentityPool '{missing}' not found.")
    # A token of a client the identity pool does not name.
    other = user(iam, client_key="OtherClientId")
    assert error(c.get_id, IdentityPoolId=pool, Logins={provider(iam): other["IdToken"]}) == (
        "NotAuthorizedException", "Token is not from a supported provider of this identity pool.")
    # An access token is not an ID token.
    tokens = user(iam)
    assert error(c.get_id, IdentityPoolId=pool, Logins={provider(iam): tokens["AccessToken"]}) == (
        "NotAuthorizedException", "Invalid login token. Missing a required claim: aud")
    # An authenticated identity needs its login.
    identity = c.get_id(IdentityPoolId=pool, Logins={provider(iam): tokens["IdToken"]})["IdentityId"]
    assert error(c.get_credentials_for_identity, IdentityId=identity) == (
        "NotAuthorizedException", "Logins don't match. Please include at least one valid login for this identity or identity pool.")
    # A user pool the identity pool does not name.
    stranger = user(iam, client_key="StrangerClientId", pool_key="StrangersPoolId")
    stranger_provider = f"cognito-idp.us-east-1.amazonaws.com/{iam.outputs['StrangersPoolId']}"
    assert error(c.get_id, IdentityPoolId=pool, Logins={stranger_provider: stranger["IdToken"]}) == (
        "NotAuthorizedException", "Token is not from a supported provider of this identity pool.")
    # Guests where the pool allows none.
    assert error(c.get_id, IdentityPoolId=iam.outputs["ClosedPoolId"]) == (
        "NotAuthorizedException", "Unauthenticated access is not supported for this identity pool.")
    # An expired ID token, signed by the pool's own key (kept in the state dir).
    expired = expired_id_token(iam, tokens["IdToken"])
    code, message = error(c.get_id, IdentityPoolId=pool, Logins={provider(iam): expired})
    assert code == "NotAuthorizedException"
    now, exp = re.fullmatch(r"Invalid login token\. Token expired: (\d+) >= (\d+)", message).groups()
    assert int(now) >= int(exp) and abs(int(now) - time.time()) < 60, message
    # A role the token does not hold.
    code, _ = error(c.get_credentials_for_identity, IdentityId=identity, Logins={provider(iam): tokens["IdToken"]},
                    CustomRoleArn=iam.outputs["AdminRoleArn"])
    assert code == "NotAuthorizedException"


def expired_id_token(stack, token):
    """`token`'s claims, expired an hour ago, signed with the pool's ID-token key as the pool
    signs them (its key file in the state dir, its kid from the pool's JWKS)."""
    pool = stack.outputs["UserPoolId"]
    keys = json.loads((stack.state_dir / "keys" / f"{pool}.json").read_text())
    private = serialization.load_der_private_key(base64.b64decode(keys["id"]), password=None)
    header = jwt.get_unverified_header(token)
    claims = jwt.decode(token, options={"verify_signature": False})
    claims["iat"], claims["exp"] = int(time.time()) - 7200, int(time.time()) - 3600
    return jwt.encode(claims, private, algorithm="RS256", headers={"kid": header["kid"]})


def test_the_classic_flow_trades_an_open_id_token_at_sts(iam):
    tokens = user(iam)
    logins = {provider(iam): tokens["IdToken"]}
    c = identity_client(iam)
    identity = c.get_id(IdentityPoolId=iam.outputs["IdentityPoolId"], Logins=logins)["IdentityId"]
    token = c.get_open_id_token(IdentityId=identity, Logins=logins)["Token"]
    claims = jwt.decode(token, options={"verify_signature": False})
    assert (claims["iss"], claims["aud"], claims["sub"]) == (
        "https://cognito-identity.amazonaws.com", iam.outputs["IdentityPoolId"], identity)
    sts = boto3.client("sts", endpoint_url=iam.endpoint, region_name="us-east-1", config=Config(signature_version=UNSIGNED))
    out = sts.assume_role_with_web_identity(RoleArn=iam.outputs["AuthRoleArn"], RoleSessionName="classic",
                                            WebIdentityToken=token)
    assert out["SubjectFromWebIdentityToken"] == identity
    assert (out["Provider"], out["Audience"]) == ("cognito-identity.amazonaws.com", iam.outputs["IdentityPoolId"])
    k = out["Credentials"]
    status, seen = call(iam, Credentials(k["AccessKeyId"], k["SecretAccessKey"], k["SessionToken"]), "GET", "/Prod/private")
    assert status == 200, seen
    assert seen["cognitoIdentityId"] == identity and seen["cognitoAuthenticationType"] == "authenticated"
    # The guest role's trust wants amr "unauthenticated": an authenticated identity's token is refused.
    assert error(sts.assume_role_with_web_identity, RoleArn=iam.outputs["GuestRoleArn"], RoleSessionName="classic",
                 WebIdentityToken=token) == ("AccessDenied", "Not authorized to perform sts:AssumeRoleWithWebIdentity")
    # A user pool's ID token needs an IAM OIDC provider, which the local account has none of.
    code, _ = error(sts.assume_role_with_web_identity, RoleArn=iam.outputs["AuthRoleArn"], RoleSessionName="classic",
                    WebIdentityToken=tokens["IdToken"])
    assert code == "InvalidIdentityToken"
    # A pool without the classic flow gives no OpenID token.
    closed = c.get_id(IdentityPoolId=iam.outputs["ClosedPoolId"], Logins=logins)["IdentityId"]
    code, _ = error(c.get_open_id_token, IdentityId=closed, Logins=logins)
    assert code == "InvalidParameterException"


def test_the_pool_is_described_and_listed_for_a_signed_caller(iam, admin):
    c = boto3.client("cognito-identity", endpoint_url=iam.endpoint, region_name="us-east-1",
                     aws_access_key_id=admin.access_key, aws_secret_access_key=admin.secret_key)
    pool = iam.outputs["IdentityPoolId"]
    described = c.describe_identity_pool(IdentityPoolId=pool)
    assert described["IdentityPoolName"] == "app_identities"
    assert described["CognitoIdentityProviders"] == [
        {"ProviderName": provider(iam), "ClientId": iam.outputs["ClientId"], "ServerSideTokenCheck": False}]
    assert {"IdentityPoolId": pool, "IdentityPoolName": "app_identities"} in c.list_identity_pools(MaxResults=10)["IdentityPools"]
    roles = c.get_identity_pool_roles(IdentityPoolId=pool)
    assert roles["Roles"]["authenticated"] == iam.outputs["AuthRoleArn"]
    assert roles["RoleMappings"][f"{provider(iam)}:{iam.outputs['ClientId']}"]["Type"] == "Token"
    # Management calls must be signed.
    with pytest.raises(ClientError) as e:
        identity_client(iam).describe_identity_pool(IdentityPoolId=pool)
    assert e.value.response["Error"]["Code"] == "MissingAuthenticationTokenException"


def test_gatehouse_login_prints_identity_pool_credentials(iam):
    idp = iam.client()
    email = unique_email("cli")
    idp.admin_create_user(UserPoolId=iam.outputs["UserPoolId"], Username=email, MessageAction="SUPPRESS")
    idp.admin_set_user_password(UserPoolId=iam.outputs["UserPoolId"], Username=email, Password=PASSWORD, Permanent=True)
    base = [str(ROOT / "target" / "release" / "gatehouse"), "login", "--endpoint-url", iam.endpoint,
            "--user-pool-id", iam.outputs["UserPoolId"], "--client-id", iam.outputs["ClientId"],
            "--username", email, "--password", PASSWORD, "--state-dir", str(iam.state_dir)]
    out = subprocess.run(base + ["--identity-pool", iam.outputs["IdentityPoolId"]], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    env = dict(l.removeprefix("export ").split("=", 1) for l in out.stdout.splitlines() if l.startswith("export "))
    assert env["AWS_ACCESS_KEY_ID"].startswith("ASIA")
    creds = Credentials(env["AWS_ACCESS_KEY_ID"], env["AWS_SECRET_ACCESS_KEY"], env["AWS_SESSION_TOKEN"])
    status, seen = call(iam, creds, "GET", "/Prod/private")
    assert status == 200, seen
    assert f"# identity {seen['cognitoIdentityId']}, until " in out.stdout
    # With no id, the stack's only identity pool; this stack has two, so it names them.
    out = subprocess.run(base + ["--identity-pool"], capture_output=True, text=True)
    assert out.returncode != 0
    assert "the local stack has 2 identity pools: name one with --identity-pool <id>" in out.stderr
    assert iam.outputs["IdentityPoolId"] in out.stderr


def test_identities_are_kept_across_restarts(iam):
    # Last in the module: it restarts the stack.
    tokens = user(iam)
    first, _ = credentials(iam, {provider(iam): tokens["IdToken"]})
    saved = iam.state_dir / "identity-pools.json"
    assert saved.stat().st_mode & 0o777 == 0o600
    iam.stop()
    iam.start()
    assert credentials(iam, {provider(iam): tokens["IdToken"]})[0] == first
