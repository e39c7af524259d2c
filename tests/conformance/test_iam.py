"""Routes AWS protects are protected locally, the way AWS protects them (stacks/iam): AWS_IAM
routes take requests signed by three signers we did not write (botocore's SigV4Auth and
SigV4QueryAuth, the JS SDK's @smithy/signature-v4, curl's --aws-sigv4) and refuse each tampered
element, an old date, an unknown key and the unsigned request with API Gateway's status,
x-amzn-ErrorType and text; API keys are checked against the template's usage plan, its quota
answers 429; a Lambda authorizer runs before an integration that is not emulated; a security
scheme gatehouse does not serve refuses rather than opens."""

import calendar
import json
import shutil
import subprocess
import time

import pytest
from botocore.auth import SigV4Auth, SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from conftest import ROOT, Stack, signed

HERE = ROOT / "tests" / "conformance"
KEY = "local-test-key-0123456789abcdef"
OTHER_KEY = "authorizer-key-0123456789abcdef"
SESSION = "FwoGZXIvYXdzEXAMPLEsessiontoken"


@pytest.fixture(scope="module")
def iam(tmp_path_factory):
    s = Stack(tmp_path_factory.mktemp("iam"), template=HERE / "stacks" / "iam" / "template.yaml",
              extra_args=["--access-key", "test:test", "--access-key", f"ASIATEMP:tempsecret:{SESSION}"]).start()
    yield s
    s.stop()


def answer(s, method, path, headers=None, body=None):
    status, h, text = s.http(method, path, headers, body)
    return status, h.get("x-amzn-ErrorType"), json.loads(text) if text else None


def test_an_unsigned_request_to_an_iam_route_is_missing_its_token(iam):
    assert answer(iam, "POST", "/iam/who", body=b"{}") == (
        403, "MissingAuthenticationTokenException", {"message": "Missing Authentication Token"})


def test_a_bearer_token_on_an_iam_route_names_the_missing_signature_parts(iam):
    status, kind, body = answer(iam, "POST", "/iam/who", {"Authorization": "Bearer x"}, b"{}")
    assert (status, kind) == (403, "IncompleteSignatureException")
    assert body["message"].startswith("Authorization header requires 'Credential' parameter.")
    assert body["message"].endswith("Authorization=Bearer x")


def test_botocore_signed_request_reaches_the_function_with_the_callers_identity(iam, admin):
    url = iam.api + "/iam/who?b=x%20y&a=1"
    status, _, body = answer(iam, "POST", "/iam/who?b=x%20y&a=1", signed(admin, "POST", url, b'{"n":1}'), b'{"n":1}')
    assert status == 200, body
    ident = body["identity"]
    assert ident["accessKey"] == admin.access_key
    assert ident["accountId"] == "123456789012"
    assert ident["userArn"] == "arn:aws:iam::123456789012:user/gatehouse-admin"
    assert ident["caller"] == ident["user"] and ident["caller"].startswith("AIDA")
    assert body["body"] == '{"n":1}'


@pytest.mark.parametrize("element", ["method", "path", "query", "header", "body", "key", "date"])
def test_each_tampered_element_is_refused(iam, admin, element):
    url = iam.api + "/iam/who?a=1"
    headers = signed(admin, "POST", url, b"{}", {"X-Tenant": "t1"})
    headers["X-Amz-SignedHeaders-Check"] = "unsigned headers may change"
    method, path, body = "POST", "/iam/who?a=1", b"{}"
    if element == "method":
        method = "PUT"
    elif element == "path":
        path = "/iam/who/?a=1"
    elif element == "query":
        path = "/iam/who?a=2"
    elif element == "header":
        headers["X-Tenant"] = "t2"
    elif element == "body":
        body = b'{"x":1}'
    elif element == "key":
        headers = signed(Credentials(admin.access_key, "not-the-secret"), "POST", url, b"{}")
    elif element == "date":
        # One second later, well inside the skew: the signed date no longer matches.
        t = time.strptime(headers["X-Amz-Date"], "%Y%m%dT%H%M%SZ")
        headers["X-Amz-Date"] = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(calendar.timegm(t) + 1))
    status, kind, answer_body = answer(iam, method, path, headers, body)
    if element in ("method", "path"):
        # Another method or path is another route: none here, or the route refuses.
        assert status == 403, answer_body
        return
    assert (status, kind) == (403, "InvalidSignatureException"), answer_body
    assert answer_body["message"].startswith(
        "The request signature we calculated does not match the signature you provided.")
    assert "The Canonical String for this request should have been" in answer_body["message"]


def test_an_old_signature_expires_after_five_minutes(iam, admin):
    r = AWSRequest(method="POST", url=iam.api + "/iam/who", data=b"")
    auth = SigV4Auth(admin, "execute-api", "us-east-1")
    old = time.gmtime(time.time() - 600)
    r.context["timestamp"] = time.strftime("%Y%m%dT%H%M%SZ", old)
    auth._modify_request_before_signing(r)
    canonical = auth.canonical_request(r)
    sts = auth.string_to_sign(r, canonical)
    signature = auth.signature(sts, r)
    auth._inject_signature_to_request(r, signature)
    status, kind, body = answer(iam, "POST", "/iam/who", dict(r.headers), b"")
    assert (status, kind) == (403, "InvalidSignatureException"), body
    assert body["message"].startswith(f"Signature expired: {r.context['timestamp']} is now earlier than ")
    assert body["message"].endswith(" - 5 min.)")


def test_an_unknown_key_is_an_invalid_security_token(iam):
    headers = signed(Credentials("AKIANOTAKEYOFOURS00", "x" * 40), "POST", iam.api + "/iam/who")
    assert answer(iam, "POST", "/iam/who", headers, b"") == (
        403, "UnrecognizedClientException", {"message": "The security token included in the request is invalid."})


def test_temporary_credentials_need_their_session_token(iam):
    url = iam.api + "/iam/who"
    ok = signed(Credentials("ASIATEMP", "tempsecret", SESSION), "POST", url)
    status, _, body = answer(iam, "POST", "/iam/who", ok, b"")
    assert status == 200, body
    assert body["identity"]["accessKey"] == "ASIATEMP"
    refused = (403, "UnrecognizedClientException",
               {"message": "The security token included in the request is invalid."})
    # A token that is not the key's, the key's token left out, and a token changed after signing.
    assert answer(iam, "POST", "/iam/who", signed(Credentials("ASIATEMP", "tempsecret", SESSION + "x"), "POST", url),
                  b"") == refused
    assert answer(iam, "POST", "/iam/who", signed(Credentials("ASIATEMP", "tempsecret"), "POST", url), b"") == refused
    tampered = dict(ok, **{"X-Amz-Security-Token": SESSION[:-1] + "Y"})
    assert answer(iam, "POST", "/iam/who", tampered, b"") == refused


def test_an_access_key_given_on_the_command_line_signs_too(iam):
    headers = signed(Credentials("test", "test"), "POST", iam.api + "/iam/who")
    assert answer(iam, "POST", "/iam/who", headers, b"")[0] == 200


def test_a_presigned_url_works_and_its_signature_covers_the_query(iam, admin):
    r = AWSRequest(method="GET", url=iam.api + "/body/signed?x=1")
    SigV4QueryAuth(admin, "execute-api", "us-east-1", expires=60).add_auth(r)
    path = r.url.removeprefix(iam.api)
    assert answer(iam, "GET", path)[0] == 200
    assert answer(iam, "GET", path.replace("x=1", "x=2"))[:2] == (403, "InvalidSignatureException")


def js_sign(payload):
    if shutil.which("node") is None or shutil.which("npm") is None:
        pytest.fail("node and npm are needed for the JS SDK's signer")
    d = HERE / "sigv4js"
    if not (d / "node_modules" / "@smithy" / "signature-v4").exists():
        done = subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=d, capture_output=True, text=True,
                              timeout=300)
        assert done.returncode == 0, done.stderr
    out = subprocess.run(["node", str(d / "sign.mjs")], input=json.dumps(payload), capture_output=True,
                         text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def test_the_js_sdk_signer_is_accepted_in_the_header_and_presigned(iam, admin):
    base = {"key": admin.access_key, "secret": admin.secret_key, "region": "us-east-1"}
    h = js_sign({**base, "url": iam.api + "/iam/who?q=a%2Fb", "method": "POST", "body": '{"js":true}',
                 "headers": {"content-type": "application/json"}})["headers"]
    status, _, body = answer(iam, "POST", "/iam/who?q=a%2Fb", h, b'{"js":true}')
    assert status == 200, body
    assert body["identity"]["accessKey"] == admin.access_key
    url = js_sign({**base, "url": iam.api + "/body/signed", "method": "GET", "presign": True})["url"]
    assert answer(iam, "GET", url.removeprefix(iam.api))[0] == 200


def test_curl_aws_sigv4_is_accepted(iam, admin):
    out = subprocess.run(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "--aws-sigv4",
                          "aws:amz:us-east-1:execute-api", "-u", f"{admin.access_key}:{admin.secret_key}",
                          "-X", "POST", "-d", "curl", iam.api + "/iam/who"], capture_output=True, text=True)
    assert out.stdout == "200"


def test_an_open_opt_out_of_the_iam_default_stays_open(iam):
    assert answer(iam, "GET", "/iam/open")[0] == 200


def test_an_http_api_iam_route_refuses_unsigned_and_gives_the_iam_authorizer_context(iam, admin):
    assert answer(iam, "GET", "/who") == (403, None, {"message": "Forbidden"})
    status, _, body = answer(iam, "GET", "/who", signed(admin, "GET", iam.api + "/who"))
    assert status == 200, body
    assert body["authorizer"]["iam"]["accessKey"] == admin.access_key
    assert body["authorizer"]["iam"]["userArn"] == "arn:aws:iam::123456789012:user/gatehouse-admin"


def test_api_keys_are_required_checked_and_counted_against_the_quota(iam):
    assert answer(iam, "GET", "/keyed/item") == (403, "ForbiddenException", {"message": "Forbidden"})
    assert answer(iam, "GET", "/keyed/item", {"x-api-key": "not-a-key-of-this-stack"})[0] == 403
    status, _, body = answer(iam, "GET", "/keyed/item", {"x-api-key": KEY})
    assert status == 200, body
    assert body["identity"]["apiKey"] == KEY and body["identity"]["apiKeyId"]
    # The plan's quota is 3 a day: two more pass, the next is over it.
    assert answer(iam, "GET", "/keyed/item", {"x-api-key": KEY})[0] == 200
    assert answer(iam, "GET", "/keyed/item", {"x-api-key": KEY})[0] == 200
    assert answer(iam, "GET", "/keyed/item", {"x-api-key": KEY}) == (
        429, "LimitExceededException", {"message": "Limit Exceeded"})
    # An event's ApiKeyRequired: false opts its method out.
    assert answer(iam, "GET", "/keyed/free")[0] == 200


def test_sams_usage_plans_generate_a_key_per_api_or_one_shared(iam):
    # Auth.UsagePlan: the keys SAM generates have no Value; gatehouse makes one on first start,
    # keeps it in api-keys.json and logs it.
    kept = json.loads((iam.state_dir / "api-keys.json").read_text())
    own, shared = kept["PlanApiApiKey"], kept["ServerlessApiKey"]
    assert len(own) == 40 and own != shared
    assert f": {own}" in iam.log() and f": {shared}" in iam.log()
    assert answer(iam, "GET", "/plan/item")[:2] == (403, "ForbiddenException")
    # PER_API: the key is of this API's plan only, whose quota is 2 a day.
    assert answer(iam, "GET", "/shareda/item", {"x-api-key": own})[0] == 403
    assert answer(iam, "GET", "/plan/item", {"x-api-key": own})[0] == 200
    assert answer(iam, "GET", "/plan/item", {"x-api-key": own})[0] == 200
    assert answer(iam, "GET", "/plan/item", {"x-api-key": own})[0] == 429
    # SHARED: one plan and one key for both APIs.
    assert answer(iam, "GET", "/plan/item", {"x-api-key": shared})[0] == 403
    for stage in ("shareda", "sharedb"):
        status, _, body = answer(iam, "GET", f"/{stage}/item", {"x-api-key": shared})
        assert status == 200, body
        assert body["identity"]["apiKey"] == shared


def test_a_keyed_apis_cors_preflight_needs_the_key_unless_sam_is_told_otherwise(iam):
    pre = {"Origin": "http://localhost:5173", "Access-Control-Request-Method": "GET"}
    # A browser's preflight carries no key: refused, as SAM's OPTIONS methods require one.
    assert answer(iam, "OPTIONS", "/shareda/item", pre)[:2] == (403, "ForbiddenException")
    shared = json.loads((iam.state_dir / "api-keys.json").read_text())["ServerlessApiKey"]
    status, headers, _ = iam.http("OPTIONS", "/shareda/item", {**pre, "x-api-key": shared})
    assert status == 200 and headers.get("Access-Control-Allow-Origin") == "*"
    # AddApiKeyRequiredToCorsPreflight: false leaves the preflight open.
    status, headers, _ = iam.http("OPTIONS", "/sharedb/item", pre)
    assert status == 200 and headers.get("Access-Control-Allow-Origin") == "*"


def test_an_api_reading_keys_from_its_authorizer_takes_the_usage_identifier_key(iam):
    # ApiKeySourceType AUTHORIZER: the x-api-key header is not read; the key is the
    # authorizer's usageIdentifierKey, checked against the usage plan like a header's.
    assert answer(iam, "GET", "/authkey/item", {"X-Token": "allow", "x-api-key": KEY})[:2] == (
        403, "ForbiddenException")
    assert answer(iam, "GET", "/authkey/item", {"X-Token": "allow-key:not-a-key"})[0] == 403
    status, _, body = answer(iam, "GET", "/authkey/item", {"X-Token": f"allow-key:{OTHER_KEY}"})
    assert status == 200, body
    assert body["identity"]["apiKey"] == OTHER_KEY
    assert answer(iam, "GET", "/authkey/item")[0] == 401


def test_the_authorizer_runs_before_an_integration_that_is_not_emulated(iam):
    # BodyApi customises UNAUTHORIZED (x-amazon-apigateway-gateway-responses).
    assert answer(iam, "GET", "/body/outside") == (
        401, "UnauthorizedException", {"error": "Unauthorized", "type": "UNAUTHORIZED"})
    assert answer(iam, "GET", "/body/outside", {"X-Token": "allow"})[0] == 500


def test_gateway_responses_rewrite_the_gateway_answers_of_their_api_only(iam):
    # SAM's GatewayResponses DEFAULT_4XX: CORS headers on a 403 of the IAM stage.
    status, h, body = iam.http("POST", "/iam/who", None, b"{}")
    assert status == 403 and json.loads(body) == {"message": "Missing Authentication Token"}
    assert h.get("Access-Control-Allow-Origin") == "*"
    assert h.get("Access-Control-Expose-Headers") == "x-amzn-requestid"
    # ... and on a 401 of an API whose DEFAULT_4XX has the header (its authorizer's answer).
    status, h, body = iam.http("GET", "/authkey/item")
    assert status == 401 and json.loads(body) == {"message": "Unauthorized"}
    assert h.get("Access-Control-Allow-Origin") == "*"
    # ... not on the function's own answer, nor on another API's 403.
    assert "Access-Control-Allow-Origin" not in iam.http("GET", "/iam/open")[1]
    assert "Access-Control-Allow-Origin" not in iam.http("GET", "/keyed/free", {"x-api-key": "x"})[1]
    status, h, _ = iam.http("GET", "/keyed/item")
    assert status == 403 and "Access-Control-Allow-Origin" not in h
    # The OpenAPI body's UNAUTHORIZED: a static header and one taken from the request.
    status, h, _ = iam.http("GET", "/body/outside", {"X-Trace": "t-7"})
    assert status == 401 and h.get("WWW-Authenticate") == "Token" and h.get("X-Trace") == "t-7"
    # An AWS::ApiGateway::GatewayResponse resource for ACCESS_DENIED, with its status.
    assert answer(iam, "GET", "/body/outside", {"X-Token": "deny"}) == (
        404, "AccessDeniedException",
        {"denied": "User is not authorized to access this resource with an explicit deny"})


def test_a_security_scheme_that_is_not_served_refuses_rather_than_opens(iam):
    assert answer(iam, "GET", "/body/strange") == (
        500, "InternalServerErrorException", {"message": "Internal server error"})
    assert "security scheme Oauth" in iam.log()
    rows = {(r[0], r[1]): r[-1] for r in (l.split() for l in iam.summary) if len(r) >= 3 and r[0] in ("GET", "POST")}
    assert rows[("GET", "/body/strange")] == "refused"
    assert rows[("POST", "/iam/who")] == "iam"
    assert rows[("GET", "/keyed/item")] == "api-key"
