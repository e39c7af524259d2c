"""The other calls apps make, through boto3: AdminConfirmSignUp, AdminResetUserPassword (the
password stops working until the reset is confirmed), AdminDeleteUserAttributes and
DeleteUserAttributes, UpdateUserPool (what it leaves out goes to its default; groups and
schema stay), UpdateUserPoolClient, DeleteUserPoolClient, GetTokensFromRefreshToken,
AdminListUserAuthEvents."""

import pytest

from conftest import unique_email

PASSWORD = "M0re-Passw0rd!"


@pytest.fixture(scope="module")
def pool(stack):
    c = stack.client()
    p = c.create_user_pool(PoolName="more", UsernameAttributes=["email"], AutoVerifiedAttributes=["email"],
                           Schema=[{"Name": "tier", "AttributeDataType": "String"}])["UserPool"]["Id"]
    client = c.create_user_pool_client(UserPoolId=p, ClientName="more",
                                       ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"])
    return c, p, client["UserPoolClient"]["ClientId"]


def confirmed(c, p, email):
    c.admin_create_user(UserPoolId=p, Username=email, MessageAction="SUPPRESS",
                        UserAttributes=[{"Name": "email_verified", "Value": "true"}, {"Name": "name", "Value": "N"},
                                        {"Name": "custom:tier", "Value": "gold"}])
    c.admin_set_user_password(UserPoolId=p, Username=email, Password=PASSWORD, Permanent=True)


def sign_in(c, client_id, email, password=PASSWORD):
    return c.initiate_auth(ClientId=client_id, AuthFlow="USER_PASSWORD_AUTH",
                           AuthParameters={"USERNAME": email, "PASSWORD": password})


def test_admin_confirm_sign_up_and_reset_password(stack, pool):
    c, p, client_id = pool
    email = unique_email("confirm")
    c.sign_up(ClientId=client_id, Username=email, Password=PASSWORD)
    c.admin_confirm_sign_up(UserPoolId=p, Username=email)
    assert c.admin_get_user(UserPoolId=p, Username=email)["UserStatus"] == "CONFIRMED"
    with pytest.raises(c.exceptions.NotAuthorizedException, match="Current status is CONFIRMED"):
        c.admin_confirm_sign_up(UserPoolId=p, Username=email)

    email = unique_email("reset")
    confirmed(c, p, email)
    c.admin_reset_user_password(UserPoolId=p, Username=email)
    assert c.admin_get_user(UserPoolId=p, Username=email)["UserStatus"] == "RESET_REQUIRED"
    with pytest.raises(c.exceptions.PasswordResetRequiredException):
        sign_in(c, client_id, email)
    code = stack.last_message(email)["code"]
    c.confirm_forgot_password(ClientId=client_id, Username=email, ConfirmationCode=code, Password="N3w-Passw0rd!")
    assert "AuthenticationResult" in sign_in(c, client_id, email, "N3w-Passw0rd!")
    assert c.admin_list_user_auth_events(UserPoolId=p, Username=email)["AuthEvents"] == []


def test_deleting_attributes(pool):
    c, p, client_id = pool
    email = unique_email("attrs")
    confirmed(c, p, email)
    c.admin_delete_user_attributes(UserPoolId=p, Username=email, UserAttributeNames=["name"])
    access = sign_in(c, client_id, email)["AuthenticationResult"]["AccessToken"]
    c.delete_user_attributes(AccessToken=access, UserAttributeNames=["custom:tier"])
    names = {a["Name"] for a in c.get_user(AccessToken=access)["UserAttributes"]}
    assert "name" not in names and "custom:tier" not in names and "email" in names
    with pytest.raises(c.exceptions.InvalidParameterException):
        c.delete_user_attributes(AccessToken=access, UserAttributeNames=["custom:nope"])


def test_update_user_pool_and_clients(pool):
    c, p, client_id = pool
    c.create_group(UserPoolId=p, GroupName="kept")
    c.update_user_pool(UserPoolId=p, Policies={"PasswordPolicy": {"MinimumLength": 12}},
                       AutoVerifiedAttributes=["email"])
    described = c.describe_user_pool(UserPoolId=p)["UserPool"]
    assert described["Policies"]["PasswordPolicy"]["MinimumLength"] == 12
    assert described["Name"] == "more"
    assert "custom:tier" in {a["Name"] for a in described["SchemaAttributes"]}
    assert c.get_group(UserPoolId=p, GroupName="kept")["Group"]["GroupName"] == "kept"
    with pytest.raises(c.exceptions.InvalidPasswordException):
        c.sign_up(ClientId=client_id, Username=unique_email("short"), Password="Sh0rt-Pw!")

    other = c.create_user_pool_client(UserPoolId=p, ClientName="other",
                                      ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH"])["UserPoolClient"]["ClientId"]
    updated = c.update_user_pool_client(UserPoolId=p, ClientId=other, ClientName="renamed",
                                        ExplicitAuthFlows=["ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"])["UserPoolClient"]
    assert (updated["ClientName"], sorted(updated["ExplicitAuthFlows"])) == ("renamed", ["ALLOW_REFRESH_TOKEN_AUTH", "ALLOW_USER_SRP_AUTH"])
    email = unique_email("flows")
    confirmed(c, p, email)
    c.admin_set_user_password(UserPoolId=p, Username=email, Password="L0nger-Passw0rd!", Permanent=True)
    with pytest.raises(c.exceptions.InvalidParameterException, match="USER_PASSWORD_AUTH flow not enabled"):
        sign_in(c, other, email, "L0nger-Passw0rd!")
    c.delete_user_pool_client(UserPoolId=p, ClientId=other)
    with pytest.raises(c.exceptions.ResourceNotFoundException):
        c.describe_user_pool_client(UserPoolId=p, ClientId=other)


def test_get_tokens_from_refresh_token(pool):
    c, p, client_id = pool
    email = unique_email("refresh")
    confirmed(c, p, email)
    c.admin_set_user_password(UserPoolId=p, Username=email, Password="L0nger-Passw0rd!", Permanent=True)
    first = sign_in(c, client_id, email, "L0nger-Passw0rd!")["AuthenticationResult"]
    again = c.get_tokens_from_refresh_token(RefreshToken=first["RefreshToken"], ClientId=client_id)["AuthenticationResult"]
    assert again["IdToken"] != first["IdToken"] and again["AccessToken"]
    with pytest.raises(c.exceptions.NotAuthorizedException):
        c.get_tokens_from_refresh_token(RefreshToken="not-a-token", ClientId=client_id)
