"""Python and Node.js functions as real processes, through the gateway and its Cognito
authorizer: dependencies from requirements.txt and package.json installed by gatehouse, a
Python layer, CommonJS and ES modules, an Express app through serverless-express, inline code,
a function that throws and one that times out, and a runtime this machine cannot run."""

import json
import pathlib
import time

import pytest

from conftest import ROOT, Stack, unique_email

STACK = ROOT / "tests" / "conformance" / "stacks" / "runtimes" / "template.yaml"


@pytest.fixture(scope="module")
def rt(tmp_path_factory):
    s = Stack(tmp_path_factory.mktemp("runtimes"), template=STACK).start()
    yield s
    s.stop()


@pytest.fixture(scope="module")
def token(rt):
    c = rt.client()
    pool_id = c.list_user_pools(MaxResults=10)["UserPools"][0]["Id"]
    client_id = c.list_user_pool_clients(UserPoolId=pool_id)["UserPoolClients"][0]["ClientId"]
    email = unique_email("rt")
    c.admin_create_user(UserPoolId=pool_id, Username=email, MessageAction="SUPPRESS")
    c.admin_set_user_password(UserPoolId=pool_id, Username=email, Password="Runtim3s!", Permanent=True)
    auth = c.initiate_auth(ClientId=client_id, AuthFlow="USER_PASSWORD_AUTH",
                           AuthParameters={"USERNAME": email, "PASSWORD": "Runtim3s!"})
    return email, auth["AuthenticationResult"]["IdToken"], pool_id


def get(stack, path, token=None):
    status, headers, body = stack.http("GET", "/rt" + path, {"Authorization": token} if token else {})
    return status, headers, body


def test_python_runs_with_its_requirements_and_its_layer(rt, token):
    status, _, body = get(rt, "/py")
    assert status == 200, body
    b = json.loads(body)
    assert b["six"] == "1.16.0", "six came from requirements.txt"
    assert b["layer"] == "hello from the layer, py"
    assert b["greeting"] == "hello" and b["pool"] == token[2]
    ctx = b["context"]
    assert ctx["function_name"] == "Python"
    assert ctx["memory_limit_in_mb"] == "128"
    assert ctx["invoked_function_arn"] == "arn:aws:lambda:us-east-1:123456789012:function:Python"
    assert ctx["log_group_name"] == "/aws/lambda/Python"
    assert len(ctx["aws_request_id"]) == 36 and 0 < ctx["remaining"] <= 10_000
    rt.wait_log(r"Python \| python handled /py")


def test_python_sees_the_cognito_claims_as_aws_sends_them(rt, token):
    email, id_token, _ = token
    assert get(rt, "/py/private")[0] == 401
    status, _, body = get(rt, "/py/private", id_token)
    assert status == 200, body
    claims = json.loads(body)["claims"]
    assert claims["email"] == email
    assert claims["email_verified"] == "true" and claims["token_use"] == "id"
    assert claims["exp"].endswith(time.strftime("%Y", time.gmtime())), claims["exp"]


def test_a_python_error_is_502_with_its_type_in_the_log_and_the_next_request_is_served(rt):
    status, _, body = get(rt, "/py/raise")
    assert (status, json.loads(body)) == (502, {"message": "Internal server error"})
    rt.wait_log(r"ValueError: raised on purpose")
    assert get(rt, "/py")[0] == 200


def test_a_python_function_past_its_timeout_is_504_and_the_next_request_is_served(rt):
    status, _, body = get(rt, "/slow")
    assert (status, json.loads(body)) == (504, {"message": "Endpoint request timed out"})
    assert get(rt, "/py")[0] == 200


def test_node_commonjs_async_handler_with_claims_and_context(rt, token):
    email, id_token, _ = token
    assert get(rt, "/cjs")[0] == 401
    status, _, body = get(rt, "/cjs", id_token)
    assert status == 200, body
    b = json.loads(body)
    assert b["module"] == "cjs" and b["claims"]["email"] == email
    ctx = b["context"]
    assert ctx["functionName"] == "NodeCjs" and ctx["memoryLimitInMB"] == "128"
    assert ctx["invokedFunctionArn"].endswith(":function:NodeCjs")
    assert len(ctx["awsRequestId"]) == 36 and 0 < ctx["remaining"] <= 10_000


def test_node_callback_handler_answers_once_the_event_loop_is_empty(rt):
    status, _, body = get(rt, "/cjs/callback")
    assert (status, json.loads(body)) == (200, {"style": "callback"})
    rt.wait_log(r"NodeCallback \| .*\tINFO\ttimer after the callback")


def test_node_es_module_and_its_errors(rt):
    status, _, body = get(rt, "/esm")
    assert (status, json.loads(body)) == (200, {"module": "esm", "greeting": "hello from an ES module"})
    rt.wait_log(r"NodeEsm \| \S+\t[0-9a-f-]{36}\tINFO\tesm handled /esm")
    status, _, _ = get(rt, "/esm/throw")
    assert status == 502
    rt.wait_log(r"TypeError: thrown on purpose")
    assert get(rt, "/esm")[0] == 200


def test_an_express_app_through_serverless_express(rt, token):
    email, id_token, _ = token
    status, _, body = get(rt, "/express/items/42?color=red")
    assert status == 200, body
    assert json.loads(body) == {"item": "42", "query": {"color": "red"}}
    assert get(rt, "/express/a/b")[0] == 401
    status, _, body = rt.http("POST", "/rt/express/a/b",
                              {"Authorization": id_token, "Content-Type": "application/json"}, b'{"n": 1}')
    assert status == 200, body
    assert json.loads(body) == {"method": "POST", "path": "/a/b", "body": {"n": 1}}


def test_inline_code_runs(rt):
    status, _, body = get(rt, "/inline")
    assert (status, json.loads(body)) == (200, {"inline": True, "greeting": "hello"})


def test_a_runtime_this_machine_cannot_run_is_listed_and_answers_502(rt):
    summary = "\n".join(rt.summary)
    assert "cannot run here" in summary and "Java" in summary and "java17" in summary
    status, _, _ = get(rt, "/java")
    assert status == 502
    rt.wait_log(r"Java: .*java17")


def test_code_that_is_not_here_says_where_it_is_and_answers_502(rt):
    line = lambda f: next(l for l in rt.summary if l.strip().startswith(f + " "))
    assert "its code is in S3 (s3://my-artifacts/app-1.zip) and cannot run locally" in line("InS3")
    assert "s3://my-artifacts/app-2.zip" in line("InS3Object")
    assert "its CodeUri folder" in line("NoFolder") and "not-built-yet" in line("NoFolder")
    for path in ("/s3", "/nofolder"):
        status, _, body = get(rt, path)
        assert (status, json.loads(body)) == (502, {"message": "Internal server error"})
    rt.wait_log(r"NoFolder: .*its CodeUri folder .*not-built-yet.* does not exist")


def test_a_second_start_installs_nothing(rt, tmp_path):
    # The module's stack installed six, express and serverless-express; the same state dir
    # started again finds them installed.
    rt.stop()
    deps = rt.state_dir / "deps"
    stamps = {p: p.stat().st_mtime_ns for p in deps.glob("*/.gatehouse-installed")}
    assert len(stamps) >= 2, stamps
    # With --env-vars in sam local's form too: a function's own entry wins over Parameters,
    # and only variables the template declares are set.
    env_vars = tmp_path / "env.json"
    env_vars.write_text(json.dumps({"Python": {"GREETING": "bonjour", "UNDECLARED": "x"},
                                    "Parameters": {"GREETING": "hola", "POOL_ID": "from-parameters"}}))
    again = Stack(rt.state_dir, template=STACK, extra_args=["--env-vars", str(env_vars)]).start()
    try:
        log = again.log()
        assert "dependencies installed" not in log, log
        assert {p: p.stat().st_mtime_ns for p in stamps} == stamps
        assert again.http("GET", "/rt/express/items/1")[0] == 200
        b = json.loads(again.http("GET", "/rt/py")[2])
        assert (b["greeting"], b["pool"]) == ("bonjour", "from-parameters")
        assert "UNDECLARED" not in b["environ"]
    finally:
        again.stop()
        rt.start()


COMPARE = ROOT / "tests" / "conformance" / "stacks" / "compare" / "template.yaml"
def invoke(stack, function, event):
    from conftest import lambda_signed
    data = json.dumps(event).encode()
    headers = lambda_signed(stack, function, data, {"Content-Type": "application/json"})
    status, headers, body = stack.http("POST", f"/2015-03-31/functions/{function}/invocations", headers, data)
    assert status == 200, body
    return headers.get("X-Amz-Function-Error"), json.loads(body)


def test_our_python_bootstrap_agrees_with_awslambdaric(tmp_path):
    s = Stack(tmp_path, template=COMPARE).start()
    try:
        event = {"n": 1, "nested": {"list": [1, "two", None]}, "text": "é"}
        _, ours = invoke(s, "Ours", event)
        _, ric = invoke(s, "Ric", event)
        assert ours["event"] == ric["event"] == event
        a, b = ours["context"], ric["context"]
        for differs in ("function_name", "invoked_function_arn", "log_group_name", "aws_request_id"):
            assert a.pop(differs) != b.pop(differs), differs
        # The log streams name different instances; their shape is the same.
        assert a.pop("log_stream_name").startswith("local/[$LATEST]")
        assert b.pop("log_stream_name").startswith("local/[$LATEST]")
        assert a == b, (a, b)
        assert a["memory_limit_in_mb"] == "256" and a["function_version"] == "$LATEST"

        error_ours, ours = invoke(s, "Ours", {"fail": True})
        error_ric, ric = invoke(s, "Ric", {"fail": True})
        assert error_ours == error_ric == "Unhandled"
        assert sorted(ours) == sorted(ric) == ["errorMessage", "errorType", "requestId", "stackTrace"]
        assert (ours["errorType"], ours["errorMessage"]) == (ric["errorType"], ric["errorMessage"]) \
            == ("ValueError", "failing on purpose")
        # The same frames: the handler's own, none of either bootstrap's.
        strip = lambda trace: [line.replace("/code/", "/").replace("/ric/", "/") for line in trace]  # noqa: E731
        assert strip(ours["stackTrace"]) == strip(ric["stackTrace"]), (ours["stackTrace"], ric["stackTrace"])
    finally:
        s.stop()
