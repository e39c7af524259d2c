"""Authorizers with real function processes and real clients: Lambda TOKEN and REQUEST
authorizers of two public SAM examples (Node.js, run as written), and an HTTP API with a JWT
authorizer on the template's own user pool (a token from boto3's sign-in), a Lambda authorizer
with simple responses, payload 1.0, CORS and a named stage."""

import json
import re

import pytest

from conftest import ROOT, Stack, unique_email

CORPUS = ROOT / "tests" / "templates"
HTTPAPI = ROOT / "tests" / "conformance" / "stacks" / "httpapi" / "template.yaml"


@pytest.fixture(scope="module")
def token_app(tmp_path_factory):
    s = Stack(tmp_path_factory.mktemp("token"), template=CORPUS / "sam-api-lambda-token-auth" / "template.yaml").start()
    yield s
    s.stop()


@pytest.fixture(scope="module")
def request_app(tmp_path_factory):
    s = Stack(tmp_path_factory.mktemp("request"), template=CORPUS / "sam-api-lambda-request-auth" / "template.yaml").start()
    yield s
    s.stop()


@pytest.fixture(scope="module")
def http(tmp_path_factory):
    s = Stack(tmp_path_factory.mktemp("httpapi"), template=HTTPAPI).start()
    yield s
    s.stop()


@pytest.fixture(scope="module")
def tokens(http):
    c = http.client()
    pool_id = c.list_user_pools(MaxResults=10)["UserPools"][0]["Id"]
    client_id = c.list_user_pool_clients(UserPoolId=pool_id)["UserPoolClients"][0]["ClientId"]
    email = unique_email("http")
    c.admin_create_user(UserPoolId=pool_id, Username=email, MessageAction="SUPPRESS")
    c.admin_set_user_password(UserPoolId=pool_id, Username=email, Password="Http4pi!!", Permanent=True)
    result = c.initiate_auth(ClientId=client_id, AuthFlow="USER_PASSWORD_AUTH",
                             AuthParameters={"USERNAME": email, "PASSWORD": "Http4pi!!"})["AuthenticationResult"]
    return email, result["IdToken"], result["AccessToken"]


def test_a_token_authorizer_allows_denies_and_fails_as_api_gateway_answers(token_app):
    status, _, body = token_app.http("GET", "/Prod/users", {"Authorization": "allow"})
    assert status == 200, body
    event = json.loads(body)
    assert event["requestContext"]["authorizer"]["principalId"] == "user"
    assert event["requestContext"]["authorizer"]["numberKey"] == "123", "context values reach the backend as strings"
    assert event["requestContext"]["authorizer"]["booleanKey"] == "true"

    status, headers, body = token_app.http("GET", "/Prod/users", {"Authorization": "deny"})
    assert status == 403
    assert json.loads(body) == {"Message": "User is not authorized to access this resource with an explicit deny"}
    assert headers["x-amzn-ErrorType"] == "AccessDeniedException"

    status, headers, body = token_app.http("GET", "/Prod/users", {"Authorization": "something else"})
    assert (status, json.loads(body)) == (500, {"message": None})
    assert headers["x-amzn-ErrorType"] == "AuthorizerConfigurationException"

    status, _, body = token_app.http("GET", "/Prod/users")
    assert (status, json.loads(body)) == (401, {"message": "Unauthorized"})


def test_a_cached_policy_naming_one_method_refuses_another(token_app):
    # The example's policy names the method ARN it was asked about; API Gateway caches it for
    # the token (300 s by default) and evaluates it against the next request's ARN.
    assert token_app.http("GET", "/Prod/", {"Authorization": "Allow"})[0] == 200
    status, _, body = token_app.http("GET", "/Prod/users", {"Authorization": "Allow"})
    assert (status, json.loads(body)) == (403, {"Message": "User is not authorized to access this resource"})


def test_a_request_authorizer_reads_its_query_string(request_app):
    status, _, body = request_app.http("GET", "/Prod/users?auth=allow")
    assert status == 200, body
    assert json.loads(body)["requestContext"]["authorizer"]["stringKey"] == "stringval"
    assert request_app.http("GET", "/Prod/users?auth=deny")[0] == 403
    status, _, body = request_app.http("GET", "/Prod/users")
    assert (status, json.loads(body)) == (401, {"message": "Unauthorized"}), "no identity source: not invoked"


def test_the_jwt_authorizer_takes_the_local_pools_tokens(http, tokens):
    email, id_token, access_token = tokens
    status, headers, body = http.http("GET", "/me")
    assert (status, json.loads(body)) == (401, {"message": "Unauthorized"})
    assert "www-authenticate" in headers
    status, _, body = http.http("GET", "/me", {"Authorization": f"Bearer {id_token}"})
    assert status == 200, body
    event = json.loads(body)
    assert event["version"] == "2.0" and event["routeKey"] == "GET /me"
    claims = event["requestContext"]["authorizer"]["jwt"]["claims"]
    assert claims["email"] == email and claims["token_use"] == "id"
    assert claims["iss"].startswith("https://cognito-idp.us-east-1.amazonaws.com/")
    assert isinstance(claims["exp"], str)

    # A route with scopes wants an access token holding one: the ID token has none.
    status, _, body = http.http("GET", "/scoped", {"Authorization": id_token})
    assert (status, json.loads(body)) == (403, {"message": "Forbidden"})
    status, _, body = http.http("GET", "/scoped", {"Authorization": access_token})
    assert status == 200, body
    scopes = json.loads(body)["requestContext"]["authorizer"]["jwt"]["scopes"]
    assert "aws.cognito.signin.user.admin" in scopes
    # A valid access token holding none of the route's scopes: 403, the function not run.
    before = http.log().count("GET /orders ")
    status, _, body = http.http("GET", "/orders", {"Authorization": access_token})
    assert (status, json.loads(body)) == (403, {"message": "Forbidden"})
    log = http.wait_log(r"GET /orders 403 \d+ms")
    assert log.count("GET /orders ") == before + 1
    assert re.search(r"GET /orders 403 \d+ms - ", log), "no function ran"


def test_a_simple_lambda_authorizer_and_its_cache(http):
    assert http.http("GET", "/keyed/1")[0] == 401
    status, _, body = http.http("GET", "/keyed/1", {"X-Key": "wrong"})
    assert (status, json.loads(body)) == (403, {"message": "Forbidden"})
    status, _, body = http.http("GET", "/keyed/1", {"X-Key": "let-me-in"})
    assert status == 200, body
    first = json.loads(body)["requestContext"]["authorizer"]["lambda"]
    assert first["key"] == "let-me-in" and first["route"] == "GET /keyed/{id}"
    status, _, body = http.http("GET", "/keyed/2", {"X-Key": "let-me-in"})
    assert json.loads(body)["requestContext"]["authorizer"]["lambda"] == first, "the cached decision, not a new call"


def test_payload_1_0_cors_and_stages(http):
    status, _, body = http.http("GET", "/v1?a=1")
    event = json.loads(body)
    assert status == 200 and event["version"] == "1.0"
    assert event["multiValueQueryStringParameters"] == {"a": ["1"]}

    status, headers, _ = http.http("OPTIONS", "/me", {"Origin": "https://app.example.com",
                                                      "Access-Control-Request-Method": "GET"})
    assert status == 204, "the gateway answers the preflight, before the authorizer"
    assert headers["access-control-allow-origin"] == "https://app.example.com"
    assert headers["access-control-max-age"] == "300"

    status, _, body = http.http("GET", "/dev/hello")
    assert status == 200 and json.loads(body)["rawPath"] == "/dev/hello"
    status, _, body = http.http("GET", "/nothing/here")
    assert (status, json.loads(body)) == (404, {"message": "Not Found"})
    assert http.outputs["ApiUrl"] == f"{http.api}/"


# --- REST Lambda authorizers in Python and Node.js, every answer --------------------------------

LAMBDAAUTH = ROOT / "tests" / "conformance" / "stacks" / "lambdaauth" / "template.yaml"


@pytest.fixture(scope="module")
def la(tmp_path_factory):
    s = Stack(tmp_path_factory.mktemp("lambdaauth"), template=LAMBDAAUTH).start()
    yield s
    s.stop()


def unique(word):
    """A token no other test sends: decisions are cached per token."""
    return f"{word}-{unique_email('t').split('@')[0].lower()}"


def test_python_token_authorizer_answers(la):
    token = unique("allow")
    status, _, body = la.http("GET", "/la/items/7", {"X-Token": token})
    assert status == 200, body
    authorizer = json.loads(body)["requestContext"]["authorizer"]
    assert (authorizer["principalId"], authorizer["runtime"], authorizer["answer"], authorizer["ok"]) == \
        ("py-user", "python", "42", "true")

    status, _, body = la.http("GET", "/la/items/7", {"X-Token": unique("deny")})
    assert (status, json.loads(body)) == (403, {"Message": "User is not authorized to access this resource with an explicit deny"})
    status, _, body = la.http("GET", "/la/items/7", {"X-Token": unique("unauthorized")})
    assert (status, json.loads(body)) == (401, {"message": "Unauthorized"})
    for word in ("garbage", "error"):
        status, headers, body = la.http("GET", "/la/items/7", {"X-Token": unique(word)})
        assert (status, json.loads(body)) == (500, {"message": None}), word
        assert headers["x-amzn-ErrorType"] == "AuthorizerConfigurationException"


def test_missing_or_invalid_identity_is_401_without_invoking(la):
    before = la.log().count("token authorizer called")
    assert la.http("GET", "/la/items/7")[0] == 401
    assert la.http("GET", "/la/items/7", {"X-Token": ""})[0] == 401
    assert la.http("GET", "/la/items/7", {"X-Token": "NOT VALID"})[0] == 401, "ValidationExpression"
    marker = unique("allow")
    assert la.http("GET", "/la/items/7", {"X-Token": marker})[0] == 200
    log = la.wait_log(f"token authorizer called with {marker}")
    assert log.count("token authorizer called") == before + 1, "only the valid token reached the authorizer"


def test_a_decision_is_cached_per_token_and_a_new_token_asks_again(la):
    first, second = unique("allow"), unique("allow")
    for _ in range(3):
        assert la.http("GET", "/la/items/1", {"X-Token": first})[0] == 200
    assert la.http("GET", "/la/items/1", {"X-Token": second})[0] == 200
    log = la.wait_log(f"token authorizer called with {second}")
    assert log.count(f"token authorizer called with {first}") == 1


def test_wildcard_policies_cover_what_they_name(la):
    token = unique("wildget")
    assert la.http("GET", "/la/items/1", {"X-Token": token})[0] == 200
    assert la.http("GET", "/la/other", {"X-Token": token})[0] == 200, "the cached */GET/* policy covers another path"
    status, _, body = la.http("GET", "/la/items/1", {"X-Token": unique("wildpost")})
    assert (status, json.loads(body)) == (403, {"Message": "User is not authorized to access this resource"})


def test_node_request_authorizer_answers(la):
    status, _, body = la.http("GET", "/la/tenant?key=k1", {"X-Tenant": "acme"})
    assert status == 200, body
    authorizer = json.loads(body)["requestContext"]["authorizer"]
    assert (authorizer["principalId"], authorizer["tenant"], authorizer["resource"], authorizer["method"]) == \
        ("tenant-acme", "acme", "/tenant", "GET")
    assert la.http("GET", "/la/tenant?key=k1", {"X-Tenant": "blocked"})[0] == 403
    assert la.http("GET", "/la/tenant?key=k1", {"X-Tenant": "unauthorized"})[0] == 401
    assert la.http("GET", "/la/tenant?key=k1", {"X-Tenant": "broken"})[0] == 500
    assert la.http("GET", "/la/tenant", {"X-Tenant": "acme"})[0] == 401, "the query string source is missing"
    # ReauthorizeEvery 0: every request asks.
    la.http("GET", "/la/tenant?key=again", {"X-Tenant": "repeat"})
    la.http("GET", "/la/tenant?key=again", {"X-Tenant": "repeat"})
    log = la.wait_log(r"(request authorizer called for repeat with key again[\s\S]*){2}")
    assert "request authorizer called for acme with key undefined" not in log
