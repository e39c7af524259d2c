"""The corpus: real public SAM templates that other people wrote (tests/templates/, each with
its source, commit and licence in SOURCE.md), started as written. Only what `sam deploy` would
ask for is given: `--parameter-overrides` for parameters without a default, `--import-values`
for exports of other stacks. Dependencies are installed by gatehouse itself, and the tables are
on the DynamoDB engine it starts itself.

For each template: the route table gatehouse serves, then the status an unauthenticated request
to each route gets, as API Gateway gives it: 401 from a Cognito, JWT or Lambda authorizer that
has no token or identity (without invoking anything), 403 for what no route takes, and for an
open route whatever the function answers. Where the function's answer depends on what the test
does not set up (an item it would have to write first, a service outside the stack), the test
pins that the request reached the function rather than a status."""

import json
import re
import subprocess

import pytest

from conftest import CORPUS_ENV, ROOT, Stack
from protection import expected_routes, resource_policies, same_policy

TEMPLATES = ROOT / "tests" / "templates"

#: An open route whose function runs: the status is its own.
FN = "reaches the function"

IMPORTS = {
    "serverless-api-cognito-UserPool": "us-east-1_Example1",
    "serverless-api-cognito-UserPoolClient": "exampleclient",
    "serverless-api-cognito-UserPoolAdminGroupName": "apiAdmins",
}

# name -> (extra args, has tables, [(method, path, authorizer, unauthenticated status)], log lines)
CORPUS = {
    "sam-api-cognito-auth": (
        [], False,
        [
            ("GET", "/Prod", "-", 502),
            ("GET", "/Prod/users", "-", 502),
            ("POST", "/Prod/users", "MyCognitoAuthorizer", 401),
            ("GET", "/Prod/users/{userId}", "-", 502),
            ("PUT", "/Prod/users/{userId}", "MyCognitoAuthorizer", 401),
            ("DELETE", "/Prod/users/{userId}", "MyCognitoAuthorizer", 401),
            ("ANY", "/Prod/{proxy+}", "-", 502),
        ],
        # The app keeps its package.json above CodeUri (its README has you run `npm install
        # --prefix ./src` by hand); `sam build` would not install it either, so on AWS the
        # function fails its init the same way.
        ["Cannot find module 'aws-serverless-express'"],
    ),
    "sam-api-lambda-request-auth": (
        [], False,
        [("GET", "/Prod", "MyLambdaRequestAuthorizer", 401),
         ("GET", "/Prod/users", "MyLambdaRequestAuthorizer", 401)],
        [],
    ),
    "sam-api-lambda-token-auth": (
        [], False,
        [("GET", "/Prod", "MyLambdaTokenAuthorizer", 401),
         ("GET", "/Prod/users", "MyLambdaTokenAuthorizer", 401)],
        [],
    ),
    "sp-apigw-lambda-token-authorizer-raw": (
        [], False,
        [("GET", "/Prod", "LambdaAuthorizerToken", 401)],
        [],
    ),
    "sp-cognito-restapi-raw": (
        ["--parameter-overrides",
         "CognitoUserPoolArn=arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_EXAMPLE11"], False,
        [("GET", "/Prod", "CognitoAuthorizer", 401)],
        [],
    ),
    "sp-amplify-cognito-apigw-python": (
        ["--parameter-overrides", "AmplifyFrontendRepository=https://github.com/example/frontend",
         "OauthToken=dummy"], False,
        [("GET", "/dev/lambdaExample", "MyCognitoAuthorizer", 401)],
        [],
    ),
    "lambda-refarch-webapp-todo": (
        ["--parameter-overrides", "Repository=https://github.com/aws-samples/lambda-refarch-webapp",
         "OauthToken=dummy-token"], True,
        [
            ("GET", "/prod/item", "CognitoAuthorizer", 401),
            ("POST", "/prod/item", "CognitoAuthorizer", 401),
            ("GET", "/prod/item/{id}", "CognitoAuthorizer", 401),
            ("PUT", "/prod/item/{id}", "CognitoAuthorizer", 401),
            ("DELETE", "/prod/item/{id}", "CognitoAuthorizer", 401),
            ("POST", "/prod/item/{id}/done", "CognitoAuthorizer", 401),
        ],
        [],
    ),
    "ss-rest-api-python-openapi": (
        ["--import-values", IMPORTS], True,
        [
            # ApiKeyRequired on the API: the authorizer answers first (401), then the key.
            (m, f"/Prod{p}", "LambdaAuthorizer+api-key", 401) for m, p in [
                ("GET", "/locations"), ("PUT", "/locations"),
                ("GET", "/locations/{locationid}"), ("DELETE", "/locations/{locationid}"),
                ("GET", "/locations/{locationid}/resources"), ("PUT", "/locations/{locationid}/resources"),
                ("GET", "/locations/{locationid}/resources/{resourceid}"),
                ("DELETE", "/locations/{locationid}/resources/{resourceid}"),
                ("GET", "/locations/{locationid}/resources/{resourceid}/bookings"),
                ("GET", "/users/{userid}/bookings"), ("PUT", "/users/{userid}/bookings"),
                ("GET", "/users/{userid}/bookings/{bookingid}"),
                ("DELETE", "/users/{userid}/bookings/{bookingid}"),
            ]
        ],
        [],
    ),
    "ss-http-api-javascript-lambda-auth": (
        ["--import-values", IMPORTS], True,
        [
            (m, p, "LambdaAuthorizer", 401) for m, p in [
                ("GET", "/locations"), ("PUT", "/locations"),
                ("GET", "/locations/{locationid}"), ("DELETE", "/locations/{locationid}"),
                ("GET", "/locations/{locationid}/resources"), ("PUT", "/locations/{locationid}/resources"),
                ("GET", "/locations/{locationid}/resources/{resourceid}"),
                ("DELETE", "/locations/{locationid}/resources/{resourceid}"),
                ("GET", "/locations/{locationid}/resources/{resourceid}/bookings"),
                ("GET", "/users/{userid}/bookings"), ("PUT", "/users/{userid}/bookings"),
                ("GET", "/users/{userid}/bookings/{bookingid}"),
                ("DELETE", "/users/{userid}/bookings/{bookingid}"),
            ]
        ],
        [],
    ),
    "sessions-http-api-jwt": (
        ["--parameter-overrides", "UserPoolId=us-east-1_EXAMPLE11", "Audience=1example23456789abcdefghij"], False,
        [
            ("GET", "/", "-", 200),
            ("GET", "/simple", "GeneralAuth", 401),
            ("GET", "/admin", "GeneralAuth", 401),
            ("GET", "/su", "GeneralAuth", 401),
            ("GET", "/both", "GeneralAuth", 401),
            ("ANY", "$default", "-", 200),
        ],
        [],
    ),
    "sp-cognito-httpapi-nested": (
        [], False,
        [("GET", "/", "OAuth2Authorizer", 401)],
        [],
    ),
    "sp-sam-webapp-cognito": (
        [], True,
        [("POST", "/api", "OAuth2Authorizer", 401)],
        ['the key "Name" is given twice in one mapping (lines 25 and 29)'],
    ),
    "sp-serverless-multi-tenant-api": (
        [], True,
        [("GET", "/Prod/{id}", "MyLambdaRequestAuthorizer+api-key", 401),
         ("POST", "/Prod", "MyLambdaRequestAuthorizer+api-key", 401)],
        [],
    ),
    # Auth.ApiKeyRequired from Globals, with SAM-generated usage plans (PER_API, SHARED) whose
    # keys are made on first start: a request without one is refused (403).
    "sam-usage-plan": (
        [], False,
        [("GET", "/Prod/path/one", "api-key", 403),
         ("GET", "/Prod/path/two", "api-key", 403)],
        ["API key MyApiOneApiKey", "API key ServerlessApiKey"],
    ),
    # The upstream example's inline handler does not parse (`=> throw`), so the function fails
    # its init and the gateway answers 502. Its GatewayResponses key `DEFAULT_4xx` is not one of
    # API Gateway's (upper-case) types: listed as not applied.
    "sam-api-gateway-responses": (
        [], False,
        [("GET", "/Prod/error", "-", 502)],
        ["Runtime.UserCodeSyntaxError",
         "MyApi: gateway response DEFAULT_4xx is not a type API Gateway has (types are upper case: DEFAULT_4XX): it is not applied"],
    ),
    # A Lambda TOKEN authorizer on a custom header in front of an `http` integration the local
    # gateway does not emulate: the authorizer still answers first.
    "sp-apigw-lambda-authorizer-custom-header": (
        [], False,
        [("GET", "/Prod", "MyLambdaTokenAuthorizer", 401)],
        [],
    ),
    # DefaultAuthorizer: AWS_IAM on a SAM API: an unsigned request is missing its token.
    "sp-apigw-iam": (
        [], False,
        [("GET", "/Prod", "iam", 403)],
        [],
    ),
    # An OpenAPI body (AWS::Include) whose every operation requires an awsSigv4 scheme, before
    # DynamoDB integrations the local gateway does not emulate, under a resource policy.
    "sp-appsync-apigateway-dynamodb-sam": (
        [], True,
        [(m, p, "iam+policy", 403) for m, p in [
            ("GET", "/v1/restaurants"), ("POST", "/v1/restaurants"),
            ("GET", "/v1/restaurants/{restaurantid}"), ("PUT", "/v1/restaurants/{restaurantid}"),
            ("DELETE", "/v1/restaurants/{restaurantid}"),
        ]],
        [],
    ),
    # An HttpApi's DefaultAuthorizer (Lambda REQUEST) on every path of its DefinitionBody, one of
    # them an SQS integration.
    "ss-queue-based-ingestion-python": (
        ["--import-values", {"queue-based-ingestion-cognito-UserPool": "us-east-1_Example1",
                             "queue-based-ingestion-cognito-UserPoolClient": "exampleclient"}], True,
        [("GET", "/job-status/{job-id}", "LambdaAuthorizer", 401),
         ("POST", "/submit-job-request", "LambdaAuthorizer", 401)],
        [],
    ),
    # Functions with no manifest, on the SDK their runtime ships: aws-sdk v2 (nodejs12.x),
    # boto3 (python3.12, permissions from Connectors), the v3 clients (nodejs22.x, CodeUri one file).
    "sam-api-backend-node12": (
        [], True,
        [(m, "/Prod/resource/{resourceId}", "-", FN) for m in ("GET", "PUT", "DELETE")],
        [],
    ),
    "samapp-python312-web-conn": (
        [], True,
        [("GET", "/Prod", "-", 200), ("POST", "/Prod", "-", FN), ("GET", "/Prod/{id}", "-", FN)],
        [],
    ),
    "sp-cloudfront-apigw-rest-lambda-dynamodb-node22": (
        [], True,
        [("POST", "/dev/submit", "-", FN)],
        [],
    ),
    "sam-nested-stack-shopping-cart": (
        [], True,
        [
            ("GET", "/Prod/cart", "-", 200),
            ("POST", "/Prod/cart", "-", FN),
            ("PUT", "/Prod/cart/{product_id}", "-", FN),
            ("GET", "/Prod/cart/{product_id}/total", "-", FN),
            ("POST", "/Prod/cart/checkout", "CognitoAuthorizer", 401),
            ("POST", "/Prod/cart/migrate", "CognitoAuthorizer", 401),
            ("GET", "/Prod/product", "-", 200),
            ("GET", "/Prod/product/{product_id}", "-", 200),
        ],
        [],
    ),
    # AWS::LanguageExtensions: a Fn::ForEach of three functions, each with its Api event and
    # its own CodeUri folder (`endpoints/${Endpoint}/`), served as the loop writes them out.
    "samcli-foreach-start-api": (
        [], False,
        [("GET", "/Prod/users", "-", 200), ("GET", "/Prod/products", "-", 200),
         ("GET", "/Prod/orders", "-", 200)],
        [],
    ),
    # Two nested Fn::ForEach loops: four functions (devUsersFunction ... prodOrdersFunction), no
    # routes.
    "samcli-foreach-nested": ([], False, [], []),
    # `DependsOn`/`!Ref UsagePlanAPIProdStage` (the stage SAM generates for StageName Prod) and
    # the same id in an output's Fn::Sub; API keys required on both methods.
    "sp-apigw-usage-plans": (
        [], False,
        [("GET", "/Prod/plantest", "api-key", 403), ("POST", "/Prod/plantest", "api-key", 403)],
        [],
    ),
    # A Rust package with a single bin (`[[bin]] handler`) and no BuildProperties.Binary: built
    # as cargo-lambda picks it. The HTTP API sets X-Forwarded-For to the caller's address.
    "sp-cloudfront-failover-apigw-http-api-lambda-rust": (
        [], False,
        [("GET", "/api", "-", 200), ("GET", "/api/{proxy+}", "-", 200)],
        [],
    ),
    # TypeScript bundled by esbuild as an ES module (.mjs), its npm dependencies (the v3
    # DynamoDB client) bundled; an SQS event, no routes (test below invokes it).
    "sp-sqs-lambda-ddb-sam-ts": ([], True, [], []),
    # A function and its layer each built by `make build-<LogicalId>` (pip inside the Makefile);
    # no routes (test below invokes it).
    "samcli-makefile-function-layer": ([], False, [], []),
    # A private REST API whose resource policy allows only its VPC endpoint; outputs split the
    # endpoint's `DnsEntries` (a list on AWS) with Fn::Select/Fn::Split.
    "sp-apigw-private-cdn-private-ca": (
        ["--parameter-overrides", "VpcIdParameter=vpc-0123456789abcdef0",
         "VpcEndpointSubnetIdsParameter=subnet-0123456789abcdef0,subnet-0fedcba9876543210",
         "ApiVPCESecurityGroup=sg-0123456789abcdef0"], False,
        [("GET", "/prod/mypath", "policy", 403)],
        [],
    ),
}


# Templates today's aws-sam-translator refuses, with its message: an older SAM deployed them.
# gatehouse serves them (it does not yet refuse what SAM would); the oracle's refusal is pinned.
SAM_REFUSES = {
    # `- DynamoDBReadPolicy:` with `TableName:` at the same indentation: one map of two keys.
    "sam-api-backend-node12": "Policy at index 0 in the 'Policies' property is not valid",
}


def template_of(name):
    d = TEMPLATES / name
    return next(p for p in (d / "template.yaml", d / "template.yml") if p.exists())


def test_the_corpus_is_at_least_ten_templates_each_with_its_source_and_licence():
    names = sorted(p.name for p in TEMPLATES.iterdir() if p.is_dir())
    assert names == sorted(CORPUS), "every template in tests/templates has its expectations here"
    assert len(names) >= 10
    for n in names:
        source = (TEMPLATES / n / "SOURCE.md").read_text()
        assert re.search(r"Repository: https://github\.com/\S+", source), n
        assert re.search(r"[Cc]ommit", source) and re.search(r"Licence: (MIT-0|Apache-2\.0|MIT)", source), n


def route_table(summary):
    """(method, path, authorizer) rows of the start-up summary's route table."""
    rows, on = [], False
    for line in summary:
        if line.strip() == "routes:":
            on = True
            continue
        if on and not line.startswith("    "):
            break
        if on:
            f = line.split()
            rows.append((f[0], f[1], f[-1]))
    return rows


def parameters_of(args):
    """The `--parameter-overrides` and `--import-values` a corpus entry passes, as the oracle
    takes them."""
    params, imports, take = {}, None, False
    for a in args:
        if isinstance(a, dict):
            imports = a
        elif a.startswith("--"):
            take = a == "--parameter-overrides"
        elif take:
            k, _, v = a.partition("=")
            params[k] = v
    return params, imports


def command_line(args, tmp_path):
    """A corpus entry's arguments for `gatehouse up`: `--import-values` as a file in tmp_path."""
    extra = []
    for a in args:
        if isinstance(a, dict):
            f = tmp_path / "imports.json"
            f.write_text(json.dumps(a))
            extra.append(str(f))
        else:
            extra.append(a)
    return extra


KEYS = ("api", "kind", "stage", "method", "path")


def protection_differences(ours, theirs):
    """Route by route, how gatehouse protects it against how SAM's translation does: the
    authorization type, the authorizer, the scopes and the API key requirement. OPTIONS
    methods SAM generates for CORS are answered by gatehouse's preflight (no route of its own):
    compared only where gatehouse lists one."""
    fields = ("auth", "authorizer", "scopes", "api_key")
    mine = {tuple(r[k] for k in KEYS): r for r in ours}
    out = []
    for r in theirs:
        key = tuple(r[k] for k in KEYS)
        got = mine.pop(key, None)
        if got is None:
            if r["method"] != "OPTIONS":
                out.append(f"{key}: SAM has it, gatehouse does not serve it")
            continue
        want = tuple(r[f] for f in fields)
        have = tuple(got[f] for f in fields)
        if want != have:
            out.append(f"{key}: SAM {dict(zip(fields, want))}, gatehouse {dict(zip(fields, have))}")
    out += [f"{k}: gatehouse serves it, SAM's translation has no such route" for k in mine]
    return out


def request_path(path):
    if path == "$default":
        return "/no/route/takes/this"
    return re.sub(r"\{[^}]+\}", "1", path.replace("{proxy+}", "a/b"))


@pytest.mark.parametrize("name", sorted(CORPUS))
def test_a_real_template_starts_as_written_and_answers_as_api_gateway(name, tmp_path, request):
    args, needs_tables, routes, log_lines = CORPUS[name]
    extra = command_line(args, tmp_path)
    s = Stack(tmp_path / "state", template=template_of(name), extra_args=extra, env=CORPUS_ENV).start()
    try:
        served = route_table(s.summary)
        assert sorted(served) == sorted((m, p, a) for m, p, a, _ in routes), "\n".join(s.summary)
        # An independent oracle: SAM's own translation of the same template, route by route.
        params, imports = parameters_of(args)
        ours = json.loads((s.state_dir / "routes.json").read_text())
        if name in SAM_REFUSES:
            with pytest.raises(Exception, match=re.escape(SAM_REFUSES[name])):
                expected_routes(template_of(name), params, imports)
            theirs = ours
        else:
            theirs = expected_routes(template_of(name), params, imports)
        differences = protection_differences(ours, theirs)
        assert not differences, "\n".join(differences)
        # And each REST API's resource policy, statement for statement.
        our_policies = {r["api"]: r["resource_policy"] for r in ours if r.get("resource_policy") and "/" not in r["api"]}
        their_policies = {} if name in SAM_REFUSES else resource_policies(template_of(name), params, imports)
        assert sorted(our_policies) == sorted(their_policies)
        for api, theirs_doc in their_policies.items():
            assert same_policy(our_policies[api], theirs_doc), f"{api}: {our_policies[api]} != {theirs_doc}"
        if needs_tables:
            assert any(l.startswith("  DynamoDB tables on") for l in s.summary), "\n".join(s.summary)
        for method, path, auth, want in routes:
            call = "GET" if method == "ANY" else method
            body = b"{}" if call in ("POST", "PUT") else None
            status, headers, answer = s.http(call, request_path(path), {"Content-Type": "application/json"}, body)
            where = f"{name}: {method} {path} -> {status} {answer[:200]!r}"
            if want == FN:
                assert status not in (401, 403), where
                s.wait_log(rf"{call} {re.escape(request_path(path))} {status} \d+ms \S+Function")
            else:
                assert status == want, where
            if want == 401:
                assert json.loads(answer) == {"message": "Unauthorized"}, where
        log = s.log()
        for line in log_lines:
            assert line in log, f"{line!r} not in the log of {name}"
    finally:
        s.stop()


def test_an_es_module_authorizer_built_by_esbuild_decides(tmp_path):
    """sp-apigw-lambda-authorizer-custom-header's authorizer is an ES module with no
    package.json, built with `BuildMethod: esbuild` (default format cjs): bundled as `sam build`
    bundles it, it runs and its policy decides."""
    s = Stack(tmp_path / "state", template=template_of("sp-apigw-lambda-authorizer-custom-header"),
              env=CORPUS_ENV).start()
    try:
        assert re.search(r"AuthorizerFunction \(esbuild, [\d.]+ s\)", "\n".join(s.summary)), "\n".join(s.summary)
        status, _, body = s.http("GET", "/Prod", {"AuthorizationToken": "deny"})
        assert status == 403, body
        assert json.loads(body) == {"Message": "User is not authorized to access this resource with an explicit deny"}
        status, _, body = s.http("GET", "/Prod", {"AuthorizationToken": "unauthorized"})
        assert (status, json.loads(body)) == (401, {"message": "Unauthorized"})
        status, _, body = s.http("GET", "/Prod", {"AuthorizationToken": "allow"})
        assert status not in (401, 403), body
        s.wait_log(r"AuthorizerFunction")
    finally:
        s.stop()


def invoke(s, function, event, tmp_path):
    """`gatehouse invoke FUNCTION --event FILE` against the running stack: the function's answer."""
    f = tmp_path / "event.json"
    f.write_text(json.dumps(event))
    done = subprocess.run([str(ROOT / "target" / "release" / "gatehouse"), "invoke", function, "--event", str(f),
                           "--state-dir", str(s.state_dir)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_a_function_and_its_layer_built_by_their_makefiles_run_together(tmp_path):
    """samcli-makefile-function-layer: each Makefile pip-installs into ARTIFACTS_DIR (the
    layer under python/) and writes a file into its working directory, a copy of the sources."""
    name = "samcli-makefile-function-layer"
    s = Stack(tmp_path / "state", template=template_of(name), env=CORPUS_ENV).start()
    try:
        built = next(l for l in s.summary if l.strip().startswith("built "))
        assert "HelloWorldLayer (makefile" in built and "HelloWorldFunction (makefile" in built, built
        answer = invoke(s, "HelloWorldFunction", {}, tmp_path)
        assert answer["statusCode"] == 200, answer
        assert json.loads(answer["body"]) == {
            "message": "function requests version: 2.23.0, layer six version: 1.16.0"}
        for folder in ("makefile_function_create_new_file", "makefile_layer_create_new_file"):
            assert not list((TEMPLATES / name / folder).glob("file-created-from-makefile-*")), \
                "make ran in a copy, the sources are as they were"
    finally:
        s.stop()


def test_an_esbuild_es_module_writes_what_sqs_sends_it_to_its_table(tmp_path):
    """sp-sqs-lambda-ddb-sam-ts: app.ts bundled by esbuild (Format esm, OutExtension .mjs,
    MainFields module,main) with the DynamoDB client it imports; an SQS batch as Lambda sends
    it (AWS's documented sample record) lands in the SimpleTable."""
    name = "sp-sqs-lambda-ddb-sam-ts"
    s = Stack(tmp_path / "state", template=template_of(name), env=CORPUS_ENV).start()
    try:
        assert (s.state_dir / "build" / "IngressProcessingFunction" / "app.mjs").is_file()
        record = {
            "messageId": "059f36b4-87a3-44ab-83d2-661975830a7d",
            "receiptHandle": "AQEBwJnKyrHigUMZj6rYigCgxlaS3SLy0a...",
            "body": json.dumps({"id": "order-1", "amount": 3}),
            "attributes": {"ApproximateReceiveCount": "1", "SentTimestamp": "1545082649183",
                           "SenderId": "AIDAIENQZJOLO23YVJ4VO", "ApproximateFirstReceiveTimestamp": "1545082649185"},
            "messageAttributes": {}, "md5OfBody": "e4e68fb7bd0e697a0ae8f1bb342846b3",
            "eventSource": "aws:sqs", "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:IngressQueue",
            "awsRegion": "us-east-1",
        }
        answer = invoke(s, "IngressProcessingFunction", {"Records": [record]}, tmp_path)
        assert answer == {"batchItemFailures": []}, answer
        table = s.outputs["TableName"]
        done = subprocess.run([str(ROOT / "target" / "release" / "gatehouse"), "tables", "scan", table,
                               "--state-dir", str(s.state_dir)], capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        items = [json.loads(l) for l in done.stdout.splitlines() if l.strip()]
        assert [(i["id"], i["amount"]) for i in items] == [("order-1", 3)], items
        assert items[0]["timestamps"]["sqs"] == "2018-12-17T21:37:29.183Z"
    finally:
        s.stop()
