"""boto3 end to end: sign-up, confirmation code from the outbox, sign-in, refresh, get-user,
global sign-out, and the revoked refresh token refused."""

import base64
import concurrent.futures
import hashlib
import hmac
import json
import time

import pytest
from botocore.exceptions import ClientError

from conftest import unique_email


def error(excinfo):
    return excinfo.value.response["Error"]["Code"], excinfo.value.response["Error"]["Message"]


def test_sign_up_confirm_sign_in_refresh_get_user_sign_out(stack, ids):
    _, client_id = ids
    c = stack.client()
    email = unique_email("flow")
    up = c.sign_up(ClientId=client_id, Username=email, Password="Passw0rd",
                   UserAttributes=[{"Name": "email", "Value": email}])
    assert up["UserConfirmed"] is False
    assert up["CodeDeliveryDetails"]["DeliveryMedium"] == "EMAIL"

    with pytest.raises(ClientError) as e:
        c.initiate_auth(ClientId=client_id, AuthFlow="USER_PASSWORD_AUTH",
                        AuthParameters={"USERNAME": email, "PASSWORD": "Passw0rd"})
    assert error(e) == ("UserNotConfirmedException", "User is not confirmed.")

    code = stack.last_message(email)["code"]
    with pytest.raises(ClientError) as e:
        c.confirm_sign_up(ClientId=client_id, Username=email, ConfirmationCode="000000" if code != "000000" else "111111")
    assert error(e) == ("CodeMismatchException", "Invalid verification code provided, please try again.")
    c.confirm_sign_up(ClientId=client_id, Username=email, ConfirmationCode=code)

    auth = c.initiate_auth(ClientId=client_id, AuthFlow="USER_PASSWORD_AUTH",
                           AuthParameters={"USERNAME": email, "PASSWORD": "Passw0rd"})["AuthenticationResult"]
    assert auth["TokenType"] == "Bearer" and auth["ExpiresIn"] == 3600
    assert {"AccessToken", "IdToken", "RefreshToken"} <= set(auth)

    refreshed = c.initiate_auth(ClientId=client_id, AuthFlow="REFRESH_TOKEN_AUTH",
                                AuthParameters={"REFRESH_TOKEN": auth["RefreshToken"]})["AuthenticationResult"]
    assert "RefreshToken" not in refreshed, "refresh returns no new refresh token"

    me = c.get_user(AccessToken=refreshed["AccessToken"])
    attrs = {a["Name"]: a["Value"] for a in me["UserAttributes"]}
    assert attrs["email"] == email and attrs["email_verified"] == "true"
    assert me["Username"] == attrs["sub"], "email as username: the stored username is the sub"

    c.global_sign_out(AccessToken=refreshed["AccessToken"])
    with pytest.raises(ClientError) as e:
        c.initiate_auth(ClientId=client_id, AuthFlow="REFRESH_TOKEN_AUTH",
                        AuthParameters={"REFRESH_TOKEN": auth["RefreshToken"]})
    assert error(e) == ("NotAuthorizedException", "Refresh Token has been revoked")
    with pytest.raises(ClientError) as e:
        c.get_user(AccessToken=refreshed["AccessToken"])
    assert error(e) == ("NotAuthorizedException", "Access Token has been revoked")


def test_forgot_password_then_confirm_with_the_code(stack, ids, confirmed_user):
    _, client_id = ids
    c = stack.client()
    email, _ = confirmed_user
    c.forgot_password(ClientId=client_id, Username=email)
    code = stack.last_message(email)["code"]
    c.confirm_forgot_password(ClientId=client_id, Username=email, ConfirmationCode=code, Password="N3wPassword")
    with pytest.raises(ClientError) as e:
        c.confirm_forgot_password(ClientId=client_id, Username=email, ConfirmationCode=code, Password="Other1Pass")
    assert error(e) == ("ExpiredCodeException", "Invalid code provided, please request a code again.")
    c.initiate_auth(ClientId=client_id, AuthFlow="USER_PASSWORD_AUTH",
                    AuthParameters={"USERNAME": email, "PASSWORD": "N3wPassword"})


def test_change_password_and_update_attributes(stack, ids, confirmed_user):
    _, client_id = ids
    c = stack.client()
    email, password = confirmed_user
    tokens = c.initiate_auth(ClientId=client_id, AuthFlow="USER_PASSWORD_AUTH",
                             AuthParameters={"USERNAME": email, "PASSWORD": password})["AuthenticationResult"]
    with pytest.raises(ClientError) as e:
        c.change_password(AccessToken=tokens["AccessToken"], PreviousPassword="nope", ProposedPassword="Changed1x")
    assert error(e) == ("NotAuthorizedException", "Incorrect username or password.")
    c.change_password(AccessToken=tokens["AccessToken"], PreviousPassword=password, ProposedPassword="Changed1x")
    c.update_user_attributes(AccessToken=tokens["AccessToken"], UserAttributes=[{"Name": "name", "Value": "Ada"}])
    attrs = {a["Name"]: a["Value"] for a in c.get_user(AccessToken=tokens["AccessToken"])["UserAttributes"]}
    assert attrs["name"] == "Ada"
    c.initiate_auth(ClientId=client_id, AuthFlow="USER_PASSWORD_AUTH",
                    AuthParameters={"USERNAME": email, "PASSWORD": "Changed1x"})
    # The old password was checked (and remembered) at the first sign-in: it must not still work.
    with pytest.raises(ClientError) as e:
        c.initiate_auth(ClientId=client_id, AuthFlow="USER_PASSWORD_AUTH",
                        AuthParameters={"USERNAME": email, "PASSWORD": password})
    assert error(e) == ("NotAuthorizedException", "Incorrect username or password.")


def test_revoke_token_refuses_later_refresh(stack, ids, confirmed_user):
    _, client_id = ids
    c = stack.client()
    email, password = confirmed_user
    tokens = c.initiate_auth(ClientId=client_id, AuthFlow="USER_PASSWORD_AUTH",
                             AuthParameters={"USERNAME": email, "PASSWORD": password})["AuthenticationResult"]
    c.revoke_token(Token=tokens["RefreshToken"], ClientId=client_id)
    with pytest.raises(ClientError) as e:
        c.initiate_auth(ClientId=client_id, AuthFlow="REFRESH_TOKEN_AUTH",
                        AuthParameters={"REFRESH_TOKEN": tokens["RefreshToken"]})
    assert error(e) == ("NotAuthorizedException", "Refresh Token has been revoked")


def test_lockout_after_five_wrong_passwords(stack, ids, confirmed_user):
    _, client_id = ids
    c = stack.client()
    email, _ = confirmed_user
    messages = []
    for _ in range(6):
        with pytest.raises(ClientError) as e:
            c.initiate_auth(ClientId=client_id, AuthFlow="USER_PASSWORD_AUTH",
                            AuthParameters={"USERNAME": email, "PASSWORD": "Wrong1xx"})
        messages.append(error(e))
    assert messages[:5] == [("NotAuthorizedException", "Incorrect username or password.")] * 5
    assert messages[5] == ("NotAuthorizedException", "Password attempts exceeded")


def test_concurrent_sign_ups_of_one_name_have_exactly_one_winner(stack, ids):
    _, client_id = ids
    email = unique_email("race")

    def attempt(_):
        try:
            stack.client().sign_up(ClientId=client_id, Username=email, Password="Passw0rd",
                                   UserAttributes=[{"Name": "email", "Value": email}])
            return "ok"
        except ClientError as e:
            return e.response["Error"]["Code"]

    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        results = list(pool.map(attempt, range(8)))
    assert results.count("ok") == 1, results
    assert results.count("UsernameExistsException") == 7, results


def test_admin_user_lifecycle(stack, ids):
    pool_id, client_id = ids
    c = stack.client()
    email = unique_email("admin")
    user = c.admin_create_user(UserPoolId=pool_id, Username=email, TemporaryPassword="TempPass1",
                               MessageAction="SUPPRESS")["User"]
    assert user["UserStatus"] == "FORCE_CHANGE_PASSWORD"
    assert all(m["to"] != email for m in stack.outbox()), "SUPPRESS sends nothing"

    first = c.initiate_auth(ClientId=client_id, AuthFlow="USER_PASSWORD_AUTH",
                            AuthParameters={"USERNAME": email, "PASSWORD": "TempPass1"})
    assert first["ChallengeName"] == "NEW_PASSWORD_REQUIRED"
    assert json.loads(first["ChallengeParameters"]["userAttributes"])["email"] == email
    assert first["ChallengeParameters"]["requiredAttributes"] == "[]"

    with pytest.raises(ClientError) as e:
        c.respond_to_auth_challenge(ClientId=client_id, ChallengeName="NEW_PASSWORD_REQUIRED", Session=first["Session"],
                                    ChallengeResponses={"USERNAME": email, "NEW_PASSWORD": "short"})
    assert error(e) == ("InvalidPasswordException", "Password did not conform with policy: Password not long enough")
    done = c.respond_to_auth_challenge(ClientId=client_id, ChallengeName="NEW_PASSWORD_REQUIRED", Session=first["Session"],
                                       ChallengeResponses={"USERNAME": email, "NEW_PASSWORD": "Permanent1"})
    assert "IdToken" in done["AuthenticationResult"]
    with pytest.raises(ClientError) as e:
        c.respond_to_auth_challenge(ClientId=client_id, ChallengeName="NEW_PASSWORD_REQUIRED", Session=first["Session"],
                                    ChallengeResponses={"USERNAME": email, "NEW_PASSWORD": "Permanent2"})
    assert error(e) == ("NotAuthorizedException", "Invalid session for the user, session is expired.")

    got = c.admin_get_user(UserPoolId=pool_id, Username=email)
    assert got["UserStatus"] == "CONFIRMED" and got["Enabled"] is True
    listed = c.list_users(UserPoolId=pool_id, Filter=f'email = "{email}"')["Users"]
    assert [u["Username"] for u in listed] == [got["Username"]]

    c.admin_disable_user(UserPoolId=pool_id, Username=email)
    with pytest.raises(ClientError) as e:
        c.initiate_auth(ClientId=client_id, AuthFlow="USER_PASSWORD_AUTH",
                        AuthParameters={"USERNAME": email, "PASSWORD": "Permanent1"})
    assert error(e) == ("NotAuthorizedException", "User is disabled.")
    c.admin_enable_user(UserPoolId=pool_id, Username=email)
    c.admin_set_user_password(UserPoolId=pool_id, Username=email, Password="Another1", Permanent=True)
    c.admin_update_user_attributes(UserPoolId=pool_id, Username=email, UserAttributes=[{"Name": "given_name", "Value": "Grace"}])
    c.admin_user_global_sign_out(UserPoolId=pool_id, Username=email)
    c.admin_delete_user(UserPoolId=pool_id, Username=email)
    with pytest.raises(ClientError) as e:
        c.admin_get_user(UserPoolId=pool_id, Username=email)
    assert error(e) == ("UserNotFoundException", "User does not exist.")


def test_pool_and_client_management(stack):
    c = stack.client()
    pool = c.create_user_pool(PoolName="Scratch", Policies={"PasswordPolicy": {"MinimumLength": 10}})["UserPool"]
    assert pool["Id"].startswith("us-east-1_") and len(pool["Id"].split("_")[1]) == 9
    assert pool["Arn"].endswith(f":userpool/{pool['Id']}")
    assert c.describe_user_pool(UserPoolId=pool["Id"])["UserPool"]["Policies"]["PasswordPolicy"]["MinimumLength"] == 10
    assert pool["Id"] in [p["Id"] for p in c.list_user_pools(MaxResults=60)["UserPools"]]
    client = c.create_user_pool_client(UserPoolId=pool["Id"], ClientName="app", GenerateSecret=True,
                                       ExplicitAuthFlows=["ALLOW_ADMIN_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"])["UserPoolClient"]
    assert len(client["ClientId"]) == 26 and client["ClientId"].islower()
    assert client["ClientSecret"]
    described = c.describe_user_pool_client(UserPoolId=pool["Id"], ClientId=client["ClientId"])["UserPoolClient"]
    assert described["ClientName"] == "app"
    assert [x["ClientId"] for x in c.list_user_pool_clients(UserPoolId=pool["Id"])["UserPoolClients"]] == [client["ClientId"]]

    c.admin_create_user(UserPoolId=pool["Id"], Username="ada", TemporaryPassword="Temp1234!x", MessageAction="SUPPRESS")
    c.admin_set_user_password(UserPoolId=pool["Id"], Username="ada", Password="Perm1234!x", Permanent=True)
    secret_hash = base64.b64encode(hmac.new(client["ClientSecret"].encode(), ("ada" + client["ClientId"]).encode(), hashlib.sha256).digest()).decode()
    ok = c.admin_initiate_auth(UserPoolId=pool["Id"], ClientId=client["ClientId"], AuthFlow="ADMIN_USER_PASSWORD_AUTH",
                               AuthParameters={"USERNAME": "ada", "PASSWORD": "Perm1234!x", "SECRET_HASH": secret_hash})
    assert "AccessToken" in ok["AuthenticationResult"]
    with pytest.raises(ClientError) as e:
        c.admin_initiate_auth(UserPoolId=pool["Id"], ClientId=client["ClientId"], AuthFlow="ADMIN_USER_PASSWORD_AUTH",
                              AuthParameters={"USERNAME": "ada", "PASSWORD": "Perm1234!x"})
    assert error(e) == ("NotAuthorizedException", f"Unable to verify secret hash for client {client['ClientId']}")

    c.delete_user_pool(UserPoolId=pool["Id"])
    with pytest.raises(ClientError) as e:
        c.describe_user_pool(UserPoolId=pool["Id"])
    assert error(e) == ("ResourceNotFoundException", f"User pool {pool['Id']} does not exist.")


def test_temporary_password_expires(stack):
    c = stack.client()
    pool = c.create_user_pool(PoolName="Expiring", Policies={"PasswordPolicy": {
        "MinimumLength": 8, "TemporaryPasswordValidityDays": 0}})["UserPool"]
    client = c.create_user_pool_client(UserPoolId=pool["Id"], ClientName="c",
                                       ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH"])["UserPoolClient"]
    c.admin_create_user(UserPoolId=pool["Id"], Username="bob", TemporaryPassword="Temp1234!", MessageAction="SUPPRESS")
    time.sleep(1.1)
    with pytest.raises(ClientError) as e:
        c.initiate_auth(ClientId=client["ClientId"], AuthFlow="USER_PASSWORD_AUTH",
                        AuthParameters={"USERNAME": "bob", "PASSWORD": "Temp1234!"})
    assert error(e) == ("NotAuthorizedException", "Temporary password has expired and must be reset by an administrator.")
