"""Groups through boto3 (create, get, list with pages, update, members in and out, delete, and
the errors AWS gives), in tokens (`cognito:groups` by precedence in the ID and access tokens,
`cognito:roles` and `cognito:preferred_role` in the ID token), from a template
(UserPoolGroup, UserPoolUserToGroupAttachment), and as the authorizers hand them to a function
(a REST Cognito authorizer joins them with commas, an HTTP API JWT authorizer writes `[a b]`)."""

import json

import jwt
import pytest

from conftest import ROOT, Stack, unique_email

STACK = ROOT / "tests" / "conformance" / "stacks" / "groups" / "template.yaml"


@pytest.fixture(scope="module")
def g(tmp_path_factory):
    s = Stack(tmp_path_factory.mktemp("groups"), template=STACK).start()
    yield s
    s.stop()


def claims(token):
    return jwt.decode(token, options={"verify_signature": False})


def sign_in(stack, username, password="Gr0ups-Passw0rd"):
    c = stack.client()
    pool, client = stack.outputs["PoolId"], stack.outputs["ClientId"]
    c.admin_set_user_password(UserPoolId=pool, Username=username, Password=password, Permanent=True)
    return c.initiate_auth(ClientId=client, AuthFlow="USER_PASSWORD_AUTH",
                           AuthParameters={"USERNAME": username, "PASSWORD": password})["AuthenticationResult"]


def test_groups_through_boto3_with_aws_errors(g):
    c = g.client()
    pool = g.outputs["PoolId"]
    made = c.create_group(UserPoolId=pool, GroupName="readers", Description="read only", Precedence=10)["Group"]
    assert (made["GroupName"], made["UserPoolId"], made["Precedence"], made["Description"]) == \
        ("readers", pool, 10, "read only")
    with pytest.raises(c.exceptions.GroupExistsException, match="A group with the name readers already exists."):
        c.create_group(UserPoolId=pool, GroupName="readers")
    assert c.get_group(UserPoolId=pool, GroupName="readers")["Group"]["Description"] == "read only"
    with pytest.raises(c.exceptions.ResourceNotFoundException, match="Group not found."):
        c.get_group(UserPoolId=pool, GroupName="nobody")

    updated = c.update_group(UserPoolId=pool, GroupName="readers", Precedence=3)["Group"]
    assert (updated["Precedence"], updated["Description"]) == (3, "read only"), "what is not given is kept"

    names = []
    kwargs = {"UserPoolId": pool, "Limit": 2}
    while True:
        page = c.list_groups(**kwargs)
        assert len(page["Groups"]) <= 2
        names += [x["GroupName"] for x in page["Groups"]]
        if "NextToken" not in page:
            break
        kwargs["NextToken"] = page["NextToken"]
    assert sorted(names) == ["admins", "readers", "staff"]

    email = unique_email("reader")
    c.admin_create_user(UserPoolId=pool, Username=email, MessageAction="SUPPRESS")
    c.admin_add_user_to_group(UserPoolId=pool, Username=email, GroupName="readers")
    c.admin_add_user_to_group(UserPoolId=pool, Username=email, GroupName="readers")  # idempotent
    assert [x["GroupName"] for x in c.admin_list_groups_for_user(UserPoolId=pool, Username=email)["Groups"]] == ["readers"]
    members = c.list_users_in_group(UserPoolId=pool, GroupName="readers")["Users"]
    assert [m["Attributes"] for m in members][0][0]["Name"] == "sub"
    assert len(members) == 1
    with pytest.raises(c.exceptions.UserNotFoundException):
        c.admin_add_user_to_group(UserPoolId=pool, Username="ghost@example.com", GroupName="readers")
    with pytest.raises(c.exceptions.ResourceNotFoundException, match="Group not found."):
        c.admin_add_user_to_group(UserPoolId=pool, Username=email, GroupName="nobody")

    c.admin_remove_user_from_group(UserPoolId=pool, Username=email, GroupName="readers")
    assert c.list_users_in_group(UserPoolId=pool, GroupName="readers")["Users"] == []
    c.admin_add_user_to_group(UserPoolId=pool, Username=email, GroupName="readers")
    c.delete_group(UserPoolId=pool, GroupName="readers")
    assert c.admin_list_groups_for_user(UserPoolId=pool, Username=email)["Groups"] == [], \
        "deleting a group takes its members out"
    with pytest.raises(c.exceptions.ResourceNotFoundException):
        c.delete_group(UserPoolId=pool, GroupName="readers")


def test_the_templates_groups_and_members_are_in_the_tokens(g):
    c = g.client()
    pool = g.outputs["PoolId"]
    assert g.outputs["AdminsGroup"] == "admins"
    assert sorted(x["GroupName"] for x in c.admin_list_groups_for_user(UserPoolId=pool, Username="boss@example.com")["Groups"]) == ["admins", "staff"]
    tokens = sign_in(g, "boss@example.com")
    idc, ac = claims(tokens["IdToken"]), claims(tokens["AccessToken"])
    assert idc["cognito:groups"] == ["admins", "staff"], "by precedence"
    assert ac["cognito:groups"] == ["admins", "staff"]
    assert idc["cognito:roles"] == ["arn:aws:iam::123456789012:role/admins", "arn:aws:iam::123456789012:role/staff"]
    assert idc["cognito:preferred_role"] == "arn:aws:iam::123456789012:role/admins"
    assert "cognito:roles" not in ac

    # A user in no group has no such claims; one added later has it from the next refresh.
    email = unique_email("plain")
    c.admin_create_user(UserPoolId=pool, Username=email, MessageAction="SUPPRESS")
    tokens = sign_in(g, email)
    assert "cognito:groups" not in claims(tokens["IdToken"])
    c.admin_add_user_to_group(UserPoolId=pool, Username=email, GroupName="staff")
    refreshed = c.initiate_auth(ClientId=g.outputs["ClientId"], AuthFlow="REFRESH_TOKEN_AUTH",
                                AuthParameters={"REFRESH_TOKEN": tokens["RefreshToken"]})["AuthenticationResult"]
    assert claims(refreshed["IdToken"])["cognito:groups"] == ["staff"]
    assert "cognito:preferred_role" in claims(refreshed["IdToken"])


def test_a_second_start_keeps_groups_made_through_the_api(g, tmp_path):
    c = g.client()
    pool = g.outputs["PoolId"]
    c.create_group(UserPoolId=pool, GroupName="kept")
    g.stop()
    try:
        again = Stack(g.state_dir, template=STACK).start()
        try:
            names = {x["GroupName"] for x in again.client().list_groups(UserPoolId=pool)["Groups"]}
            assert {"kept", "admins", "staff"} <= names
        finally:
            again.stop()
    finally:
        g.start()


def test_functions_see_the_groups_as_the_authorizers_pass_them(g):
    tokens = sign_in(g, "boss@example.com")
    status, _, body = g.http("GET", "/g/claims", {"Authorization": tokens["IdToken"]})
    assert status == 200, body
    assert json.loads(body)["cognito:groups"] == "admins,staff"
    status, _, body = g.http("GET", "/h/claims", {"Authorization": f"Bearer {tokens['IdToken']}"})
    assert status == 200, body
    assert json.loads(body)["cognito:groups"] == "[admins staff]"
