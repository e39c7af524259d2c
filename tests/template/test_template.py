"""Offline checks of template.yaml: cfn-lint and the SAM translation to CloudFormation.

A real deploy needs an AWS account, which CI does not have; these checks are what can be
verified here: the template lints clean and SAM turns it into the resources AWS would create.
"""

import json
import os
import pathlib
import subprocess
import sys

import pytest
from samtranslator.translator.transform import transform
from samtranslator.yaml_helper import yaml_parse

ROOT = pathlib.Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "template.yaml"


class NoManagedPolicies:
    """SAM asks for AWS managed policy ARNs by name; offline there are none to look up."""

    def load(self):
        return {"AWSLambdaBasicExecutionRole": "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"}


@pytest.fixture(scope="module")
def cfn():
    sam = yaml_parse(TEMPLATE.read_text())
    # `sam deploy` uploads each function's built code and puts its S3 address in CodeUri before
    # the transform runs; do the same so the translator sees what it sees on AWS.
    assert sam["Globals"]["Function"]["CodeUri"] == "functions/"
    sam["Globals"]["Function"]["CodeUri"] = "s3://gatehouse-artifacts/functions.zip"
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    return transform(sam, {}, NoManagedPolicies())


def of_type(cfn, kind):
    return {k: v for k, v in cfn["Resources"].items() if v["Type"] == kind}


def test_cfn_lint_reports_no_errors():
    # Exit code 2 means errors; warnings (4) and infos (8) are reported but do not fail.
    run = subprocess.run(
        [sys.executable, "-m", "cfnlint", str(TEMPLATE)], capture_output=True, text=True
    )
    assert run.returncode & 2 == 0, run.stdout + run.stderr


def test_user_pool_client_and_first_user_are_created(cfn):
    pools = of_type(cfn, "AWS::Cognito::UserPool")
    assert list(pools) == ["UserPool"]
    props = pools["UserPool"]["Properties"]
    assert props["UserPoolName"] == "TestingUsers"
    assert props["UsernameAttributes"] == ["email"]
    assert props["AutoVerifiedAttributes"] == ["email"]
    assert props["Policies"]["PasswordPolicy"] == {
        "MinimumLength": 6,
        "RequireUppercase": True,
        "RequireLowercase": True,
        "RequireNumbers": False,
        "RequireSymbols": False,
    }
    clients = of_type(cfn, "AWS::Cognito::UserPoolClient")
    assert list(clients) == ["UserPoolTokenClient"]
    client = clients["UserPoolTokenClient"]["Properties"]
    assert client["GenerateSecret"] is False
    assert sorted(client["ExplicitAuthFlows"]) == [
        "ALLOW_REFRESH_TOKEN_AUTH",
        "ALLOW_USER_PASSWORD_AUTH",
        "ALLOW_USER_SRP_AUTH",
    ]
    users = of_type(cfn, "AWS::Cognito::UserPoolUser")
    assert list(users) == ["UserPoolUser"]
    assert users["UserPoolUser"]["Properties"]["Username"] == {"Ref": "YourEmail"}
    assert users["UserPoolUser"]["Properties"]["DesiredDeliveryMediums"] == ["EMAIL"]


def method(cfn, path, verb):
    (api,) = of_type(cfn, "AWS::ApiGateway::RestApi").values()
    return api["Properties"]["Body"]["paths"][path][verb]


def test_rest_api_protects_root_with_the_cognito_authorizer(cfn):
    (api,) = of_type(cfn, "AWS::ApiGateway::RestApi").values()
    schemes = api["Properties"]["Body"]["securityDefinitions"]
    assert schemes["CognitoAuthorizer"]["x-amazon-apigateway-authtype"] == "cognito_user_pools"
    assert schemes["CognitoAuthorizer"]["x-amazon-apigateway-authorizer"]["providerARNs"] == [
        {"Fn::GetAtt": ["UserPool", "Arn"]}
    ]
    assert method(cfn, "/", "get")["security"] == [{"CognitoAuthorizer": []}]


def test_open_route_has_no_authorizer(cfn):
    assert "security" not in method(cfn, "/open", "get")


def test_cors_preflight_is_generated_for_each_path(cfn):
    for path in ("/", "/open"):
        options = method(cfn, path, "options")
        headers = options["x-amazon-apigateway-integration"]["responses"]["default"][
            "responseParameters"
        ]
        assert headers["method.response.header.Access-Control-Allow-Origin"] == "'*'"


def test_stage_is_the_version_parameter(cfn):
    (stage,) = of_type(cfn, "AWS::ApiGateway::Stage").values()
    assert stage["Properties"]["StageName"] == {"Ref": "Version"}


def test_two_functions_on_provided_al2023(cfn):
    fns = of_type(cfn, "AWS::Lambda::Function")
    assert sorted(fns) == ["AuthenticatedFunction", "OpenFunction"]
    for fn in fns.values():
        assert fn["Properties"]["Runtime"] == "provided.al2023"
        assert fn["Properties"]["Handler"] == "bootstrap"
        assert fn["Properties"]["Architectures"] == [{"Ref": "Architecture"}]


def test_outputs_keep_the_seed_names(cfn):
    assert sorted(cfn["Outputs"]) == ["ApiUrl", "CognitoClientID", "CognitoID"]


def test_translation_is_json_serializable(cfn):
    # What `sam deploy` uploads is this document as JSON.
    json.dumps(cfn)
