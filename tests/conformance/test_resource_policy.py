"""REST API resource policies (stacks/policy), as API Gateway evaluates them: the policy
gatehouse reads from each template construct (SAM's Auth.ResourcePolicy on an API and on an
event, an OpenAPI body's x-amazon-apigateway-policy) is the one SAM's own translator writes
(aws-sam-translator, offline), statement for statement; then, from 127.0.0.1, each way the
policy decides by the method's authorization (agw/apigateway-authorization-flow): an open method
needs an explicit Allow, a Deny refuses before a Lambda authorizer runs, a Cognito caller needs an
Allow once its token is verified, and an IAM caller is judged by its own policies and the API's
together. Refusals are 403 AccessDeniedException with the caller `anonymous` (the account masked
as AWS masks it) or the signer's ARN, and ` with an explicit deny` when a Deny matched."""

import json
import pathlib

import pytest
from conftest import ROOT, Stack, signed
from protection import normal_policy, resource_policies

TEMPLATE = ROOT / "tests" / "conformance" / "stacks" / "policy" / "template.yaml"


@pytest.fixture(scope="module")
def iam(tmp_path_factory):
    s = Stack(tmp_path_factory.mktemp("policy"), template=TEMPLATE).start()
    yield s
    s.stop()


def answer(s, path, headers=None):
    status, h, text = s.http("GET", path, headers)
    return status, h.get("x-amzn-ErrorType"), json.loads(text)


def denial(s, path, user="anonymous", explicit=True, headers=None):
    """API Gateway's refusal of `user` on GET `path`: 403, AccessDeniedException, its text."""
    status, kind, body = answer(s, path, headers or {"X-Token": "allow"})
    assert (status, kind) == (403, "AccessDeniedException"), body
    stage_path = path.lstrip("/").split("/", 1)
    assert body["Message"].startswith(f"User: {user} is not authorized to perform: execute-api:Invoke on resource: "
                                      f"arn:aws:execute-api:us-east-1:")
    account = "********9012" if user == "anonymous" else "123456789012"
    assert f":{account}:" in body["Message"], body
    assert body["Message"].endswith(f"/{stage_path[0]}/GET/{stage_path[1]}" + (" with an explicit deny" if explicit else "")), body


def test_each_resource_policy_is_the_one_sams_translator_writes(iam):
    theirs = resource_policies(TEMPLATE, {})
    rows = json.loads((iam.state_dir / "routes.json").read_text())
    ours = {r["api"]: r["resource_policy"] for r in rows if r["resource_policy"]}
    assert sorted(ours) == sorted(theirs) == ["AccountApi", "AllowedApi", "BlockedApi", "BodyApi", "CognitoApi",
                                              "EventApi", "LambdaApi"]
    for api in theirs:
        assert normal_policy(ours[api]) == normal_policy(theirs[api]), api


def test_the_route_table_marks_methods_under_a_resource_policy(iam):
    table = "\n".join(iam.summary)
    assert "/allowed/open" in table and "auth: policy" in table, table
    assert "auth: Token+policy" in table and "auth: iam+policy" in table, table


def test_a_denied_address_is_refused_with_an_explicit_deny(iam):
    denial(iam, "/blocked/open")


def test_an_allowed_address_reaches_the_function_and_a_custom_deny_still_refuses(iam):
    status, _, body = answer(iam, "/allowed/open")
    assert status == 200 and body["path"] == "/open"
    denial(iam, "/allowed/secret")


def test_an_unsigned_caller_is_no_principal_of_the_account(iam):
    denial(iam, "/account/open", explicit=False)


def test_a_policy_on_one_event_covers_its_path_and_leaves_the_others_unallowed(iam):
    denial(iam, "/event/items/7")
    # The API has a policy now, and nothing in it allows /open: an implicit deny.
    denial(iam, "/event/open", explicit=False)


def test_the_body_policy_allows_all_but_the_denied_path(iam):
    assert answer(iam, "/body/ok")[0] == 200
    denial(iam, "/body/denied")


def test_a_deny_refuses_before_the_lambda_authorizer_runs(iam):
    denial(iam, "/lambda/item")
    iam.wait_log(r"GET /lambda/item 403")
    for pid in iam.instances():
        env = pathlib.Path(f"/proc/{pid}/environ").read_bytes()
        assert b"_HANDLER=app.token" not in env, "the authorizer ran"


def test_a_cognito_caller_is_authenticated_first_then_needs_an_allow(iam):
    assert answer(iam, "/cognito/item") == (401, "UnauthorizedException", {"message": "Unauthorized"})
    c = iam.client()
    pool = next(p for p in c.list_user_pools(MaxResults=60)["UserPools"] if p["Name"] == "policy-users")
    client = c.list_user_pool_clients(UserPoolId=pool["Id"])["UserPoolClients"][0]
    c.admin_create_user(UserPoolId=pool["Id"], Username="pat", MessageAction="SUPPRESS")
    c.admin_set_user_password(UserPoolId=pool["Id"], Username="pat", Password="Passw0rd!long", Permanent=True)
    token = c.admin_initiate_auth(UserPoolId=pool["Id"], ClientId=client["ClientId"], AuthFlow="ADMIN_USER_PASSWORD_AUTH",
                                  AuthParameters={"USERNAME": "pat", "PASSWORD": "Passw0rd!long"}
                                  )["AuthenticationResult"]["IdToken"]
    status, kind, body = answer(iam, "/cognito/item", {"Authorization": token})
    assert (status, kind) == (403, "AccessDeniedException"), body
    assert body["Message"].endswith("/cognito/GET/item with an explicit deny")


def test_an_iam_caller_is_judged_by_its_policies_and_the_apis_together(iam, admin):
    # The administrator's own policy allows everything; the account's principals are allowed.
    status, _, body = answer(iam, "/account/signed", signed(admin, "GET", iam.api + "/account/signed"))
    assert status == 200 and body["identity"]["userArn"].endswith(":user/gatehouse-admin"), body
    # The API's Deny wins over the administrator's Allow.
    denial(iam, "/blocked/signed", user="arn:aws:iam::123456789012:user/gatehouse-admin",
           headers=signed(admin, "GET", iam.api + "/blocked/signed"))
