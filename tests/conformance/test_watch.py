"""`gatehouse up --watch`: a change to a function's source is served by the next request, with
no restart; users and tokens stay valid."""

import json
import shutil
import time

import pytest

from conftest import ROOT, Stack

TEMPLATE = """
Transform: AWS::Serverless-2016-10-31
Resources:
  Pool:
    Type: AWS::Cognito::UserPool
    Properties:
      UsernameAttributes: [email]
  Client:
    Type: AWS::Cognito::UserPoolClient
    Properties:
      UserPoolId: !Ref Pool
      ExplicitAuthFlows: [ALLOW_USER_PASSWORD_AUTH, ALLOW_REFRESH_TOKEN_AUTH]
  Api:
    Type: AWS::Serverless::Api
    Properties:
      StageName: dev
      Auth:
        DefaultAuthorizer: Cognito
        Authorizers:
          Cognito:
            UserPoolArn: !GetAtt Pool.Arn
  Hello:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: hello/
      Runtime: %s
      Handler: handler.handler
      Events:
        Get:
          Type: Api
          Properties:
            RestApiId: !Ref Api
            Path: /hello
            Method: get
Outputs:
  PoolId:
    Value: !Ref Pool
  ClientId:
    Value: !Ref Client
"""

HANDLER = """
def handler(event, context):
    return {"statusCode": 200, "body": "%s"}
"""

NODE_HANDLER = """
exports.handler = async () => ({ statusCode: 200, body: "%s" });
"""

# (runtime, handler file, its text): a provided.al2023 bootstrap (awslambdaric), our Python
# bootstrap, and a Node.js function with a package.json (run from a copy beside its packages).
RUNTIMES = [
    ("provided.al2023", "handler.py", HANDLER),
    ("python3.12", "handler.py", HANDLER),
    ("nodejs20.x", "handler.js", NODE_HANDLER),
]


@pytest.mark.parametrize("runtime,file,handler", RUNTIMES, ids=[r[0] for r in RUNTIMES])
def test_source_change_is_served_by_the_next_request_without_a_restart(tmp_path, runtime, file, handler):
    (tmp_path / "hello").mkdir()
    if runtime.startswith("provided"):
        shutil.copy(ROOT / "tests" / "conformance" / "stacks" / "python" / "bootstrap", tmp_path / "hello" / "bootstrap")
    if runtime.startswith("nodejs"):
        (tmp_path / "hello" / "package.json").write_text('{"name": "hello", "version": "1.0.0", "dependencies": {}}')
    HANDLER = handler  # noqa: N806
    (tmp_path / "hello" / file).write_text(HANDLER % "version one")
    (tmp_path / "template.yaml").write_text(TEMPLATE % runtime)
    s = Stack(tmp_path / "state", template=tmp_path / "template.yaml", extra_args=["--watch"]).start()
    try:
        c = s.client()
        pool, client = s.outputs["PoolId"], s.outputs["ClientId"]
        c.admin_create_user(UserPoolId=pool, Username="w@example.com", MessageAction="SUPPRESS", TemporaryPassword="Temp0rary!x")
        c.admin_set_user_password(UserPoolId=pool, Username="w@example.com", Password="Watch-Passw0rd", Permanent=True)
        token = c.initiate_auth(ClientId=client, AuthFlow="USER_PASSWORD_AUTH", AuthParameters={
            "USERNAME": "w@example.com", "PASSWORD": "Watch-Passw0rd"})["AuthenticationResult"]["IdToken"]
        auth = {"Authorization": token}
        assert s.http("GET", "/dev/hello", auth)[2] == b"version one"
        pid = s.instances()

        (tmp_path / "hello" / file).write_text(HANDLER % "version two")
        deadline = time.time() + 20
        while time.time() < deadline:
            status, _, body = s.http("GET", "/dev/hello", auth)
            assert status == 200, body
            if body == b"version two":
                break
            time.sleep(0.2)
        assert body == b"version two", "the change was not picked up"
        s.wait_log("Hello: reloaded")
        assert s.instances() != pid, "a new instance serves the new version"
        # The same user and token still work.
        assert s.http("GET", "/dev/hello", auth)[0] == 200
    finally:
        s.stop()
