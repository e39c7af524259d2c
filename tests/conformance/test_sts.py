"""Where credentials come from (stacks/sts): every function runs with a session of its execution
role, as on Lambda, and boto3 and the v3 JS SDK in functions reach the local STS with no
configuration; STS answers boto3 from outside as AWS does (the caller, AssumeRole with the
trust policy checked, session tags for ABAC, AWS's error codes and texts)."""

import json
import pathlib
import re

import pytest
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

from conftest import ROOT, Stack, sts_client

HERE = ROOT / "tests" / "conformance"
ACCOUNT = "123456789012"


@pytest.fixture(scope="module")
def iam(tmp_path_factory):
    # Named `iam` for conftest's `admin` fixture: the stack whose administrator signs.
    s = Stack(tmp_path_factory.mktemp("sts"), template=HERE / "stacks" / "sts" / "template.yaml").start()
    yield s
    s.stop()


def get(stack, path):
    status, _, body = stack.http("GET", path)
    return status, json.loads(body)


@pytest.mark.parametrize("path,function", [("/Prod/python", "WhoAmIPython"), ("/Prod/node", "WhoAmINode")])
def test_a_function_is_its_roles_session_named_after_it(iam, path, function):
    status, me = get(iam, path)
    assert status == 200, me
    # SAM generates <Function>Role, named by CloudFormation `<stack>-<Function>Role-<12>`.
    prefix = f"arn:aws:sts::{ACCOUNT}:assumed-role/gatehouse-{function}Role-"
    assert me["Arn"].startswith(prefix) and me["Arn"].endswith(f"/{me['FunctionName']}"), me
    assert me["UserId"].startswith("AROA") and me["UserId"].endswith(f":{me['FunctionName']}")
    assert me["Account"] == ACCOUNT


def test_a_session_tag_decides_an_iam_route_whose_policy_conditions_on_it(iam):
    status, out = get(iam, "/Prod/assume?team=blue")
    assert status == 200, out
    assert out["assumed"].endswith(":assumed-role/" + out["assumed"].split("/")[1] + "/team-blue")
    assert out["status"] == 200, out
    identity = out["body"]
    assert identity["userArn"] == out["assumed"]
    assert identity["caller"].endswith(":team-blue")

    status, out = get(iam, "/Prod/assume?team=red")
    assert status == 200, out
    assert out["status"] == 403
    assert out["body"]["Message"].startswith(f"User: {out['assumed']} is not authorized to perform: execute-api:Invoke")


def test_a_function_whose_role_may_not_assume_the_role_is_refused(iam):
    status, out = get(iam, "/Prod/unprivileged")
    assert status == 403, out
    assert out["code"] == "AccessDenied"
    assert out["message"].endswith(f"is not authorized to perform: sts:AssumeRole on resource: {iam.outputs['TeamRoleArn']}")
    assert ":assumed-role/gatehouse-UnprivilegedRole-" in out["message"]


def test_a_function_whose_role_does_not_trust_lambda_has_no_credentials_at_all(iam):
    # conftest gives gatehouse AWS_ACCESS_KEY_ID=local: it must not reach the function.
    status, env = get(iam, "/Prod/uncredentialed")
    assert status == 200, env
    for var in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        assert var not in env, env
    assert env["AWS_SHARED_CREDENTIALS_FILE"] == env["AWS_CONFIG_FILE"] == "/dev/null"
    assert "does not trust lambda.amazonaws.com" in iam.log()


def test_a_function_invokes_others_through_boto3s_lambda_client(iam):
    status, out = get(iam, "/Prod/invoke")
    assert status == 200, out
    assert out["status"] == 200 and out["answered"]["doubled"] == 2
    assert out["queued"] == 202
    assert out["thrown"] == "Unhandled"
    assert (out["error"]["errorType"], out["error"]["errorMessage"]) == ("ValueError", "no")
    # A function its policies do not name: refused as Lambda refuses it, before it runs.
    f = out["forbidden"]
    assert (f["status"], f["code"]) == (403, "AccessDeniedException"), f
    assert re.fullmatch(
        rf"User: arn:aws:sts::{ACCOUNT}:assumed-role/[\w+=,.@-]*CallerRole[\w+=,.@-]*/[\w+=,.@-]+ "
        rf"is not authorized to perform: lambda:InvokeFunction on resource: arn:aws:lambda:us-east-1:{ACCOUNT}:function:Tagged "
        "because no identity-based policy allows the lambda:InvokeFunction action", f["message"]), f


def test_the_invoke_api_decides_lambda_invoke_function_with_the_callers_policies(iam, admin):
    """From outside: the administrator may invoke; an unknown key may not; a role session
    whose policies do not allow lambda:InvokeFunction may not."""
    import boto3
    import botocore.exceptions

    def lam(access_key, secret, token=None):
        return boto3.client("lambda", endpoint_url=iam.api, region_name="us-east-1", aws_access_key_id=access_key,
                            aws_secret_access_key=secret, aws_session_token=token)
    out = lam(admin.access_key, admin.secret_key).invoke(FunctionName="Callee", Payload=b'{"n": 4}')
    assert json.loads(out["Payload"].read()) == {"doubled": 8, "by": "Callee"}
    with pytest.raises(botocore.exceptions.ClientError) as e:
        lam("AKIAUNKNOWNUNKNOWN12", "x" * 40).invoke(FunctionName="Callee", Payload=b"{}")
    assert e.value.response["Error"]["Code"] == "UnrecognizedClientException"
    role = sts_client(iam, admin).assume_role(RoleArn=iam.outputs["TeamRoleArn"], RoleSessionName="tester")["Credentials"]
    with pytest.raises(botocore.exceptions.ClientError) as e:
        lam(role["AccessKeyId"], role["SecretAccessKey"], role["SessionToken"]).invoke(FunctionName="Callee", Payload=b"{}")
    assert e.value.response["Error"]["Code"] == "AccessDeniedException"
    assert "because no identity-based policy allows the lambda:InvokeFunction action" in e.value.response["Error"]["Message"]


def test_boto3_from_outside_gets_the_caller_and_a_role_session(iam, admin):
    c = sts_client(iam, admin)
    me = c.get_caller_identity()
    assert me["Arn"] == f"arn:aws:iam::{ACCOUNT}:user/gatehouse-admin"
    role = iam.outputs["TeamRoleArn"]
    out = c.assume_role(RoleArn=role, RoleSessionName="tester", DurationSeconds=900,
                        Tags=[{"Key": "team", "Value": "blue"}])
    assert out["AssumedRoleUser"]["Arn"] == f"arn:aws:sts::{ACCOUNT}:assumed-role/{role.split('/')[-1]}/tester"
    creds = out["Credentials"]
    assert creds["AccessKeyId"].startswith("ASIA") and len(creds["SecretAccessKey"]) == 40
    session = sts_client(iam, Credentials(creds["AccessKeyId"], creds["SecretAccessKey"], creds["SessionToken"]))
    assert session.get_caller_identity()["Arn"] == out["AssumedRoleUser"]["Arn"]


def test_sts_refuses_as_aws_does(iam, admin):
    c = sts_client(iam, admin)
    with pytest.raises(ClientError) as e:
        c.assume_role(RoleArn=iam.outputs["LambdaOnlyArn"], RoleSessionName="me")
    err = e.value.response
    assert (err["ResponseMetadata"]["HTTPStatusCode"], err["Error"]["Code"]) == (403, "AccessDenied")
    assert err["Error"]["Message"] == (f"User: arn:aws:iam::{ACCOUNT}:user/gatehouse-admin is not authorized to perform: "
                                       f"sts:AssumeRole on resource: {iam.outputs['LambdaOnlyArn']}")
    with pytest.raises(ClientError) as e:
        c.assume_role(RoleArn=iam.outputs["TeamRoleArn"], RoleSessionName="me", DurationSeconds=7200)
    assert e.value.response["Error"]["Code"] == "ValidationError"
    assert e.value.response["Error"]["Message"] == "The requested DurationSeconds exceeds the MaxSessionDuration set for this role."
    forged = sts_client(iam, Credentials("AKIANOBODY0000000000", "x" * 40))
    with pytest.raises(ClientError) as e:
        forged.get_caller_identity()
    assert (e.value.response["ResponseMetadata"]["HTTPStatusCode"], e.value.response["Error"]["Code"]) == (403, "InvalidClientTokenId")
    assert e.value.response["Error"]["Message"] == "The security token included in the request is invalid."


def test_sam_policy_templates_that_grant_what_is_decided_locally_are_the_ones_expanded():
    """SAM policy templates are expanded into the generated roles only where they grant an action
    decided locally (execute-api:Invoke, sts:AssumeRole, sts:TagSession, lambda:InvokeFunction):
    that refuses nothing AWS allows only while LambdaInvokePolicy is the one such template, with
    the document crates/sam/src/roles.rs writes. Checked against aws-sam-translator's own
    policy_templates.json."""
    import fnmatch
    import samtranslator

    path = pathlib.Path(samtranslator.__file__).parent / "policy_templates_data" / "policy_templates.json"
    templates = json.loads(path.read_text())["Templates"]
    assert len(templates) > 50
    granted = []
    for name, t in templates.items():
        for st in t["Definition"]["Statement"]:
            actions = st.get("Action", [])
            for a in [actions] if isinstance(actions, str) else actions:
                for local in ("execute-api:Invoke", "sts:AssumeRole", "sts:TagSession", "lambda:InvokeFunction"):
                    if isinstance(a, str) and fnmatch.fnmatch(local.lower(), a.lower()):
                        granted.append((name, a))
            assert "NotAction" not in st, name
    assert granted == [("LambdaInvokePolicy", "lambda:InvokeFunction")]
    # Its document, as roles.rs expands it: one statement, that action, on the function's ARN
    # with a trailing `*`.
    (st,) = templates["LambdaInvokePolicy"]["Definition"]["Statement"]
    assert (st["Effect"], st["Action"]) == ("Allow", ["lambda:InvokeFunction"])
    assert st["Resource"] == {"Fn::Sub": ["arn:${AWS::Partition}:lambda:${AWS::Region}:${AWS::AccountId}:function:${functionName}*",
                                          {"functionName": {"Ref": "FunctionName"}}]}
    assert list(templates["LambdaInvokePolicy"]["Parameters"]) == ["FunctionName"]
