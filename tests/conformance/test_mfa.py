"""TOTP MFA through boto3, with codes from pyotp (RFC 6238): TOTP calls refused until the pool
enables software tokens; AssociateSoftwareToken and VerifySoftwareToken with an access token,
SetUserMFAPreference, then a sign-in answers SOFTWARE_TOKEN_MFA, a wrong code is
CodeMismatchException (and the session still takes the right one), a code is good once; with MFA
required, a user without a token goes through MFA_SETUP with the session."""

import time

import pyotp
import pytest

from conftest import unique_email

PASSWORD = "Mf4-Passw0rd!"


@pytest.fixture(scope="module")
def pool(stack):
    c = stack.client()
    p = c.create_user_pool(PoolName="mfa", UsernameAttributes=["email"])["UserPool"]["Id"]
    client = c.create_user_pool_client(UserPoolId=p, ClientName="mfa",
                                       ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"])
    return c, p, client["UserPoolClient"]["ClientId"]


def user(c, pool_id):
    email = unique_email("mfa")
    c.admin_create_user(UserPoolId=pool_id, Username=email, MessageAction="SUPPRESS")
    c.admin_set_user_password(UserPoolId=pool_id, Username=email, Password=PASSWORD, Permanent=True)
    return email


def sign_in(c, client_id, email):
    return c.initiate_auth(ClientId=client_id, AuthFlow="USER_PASSWORD_AUTH",
                           AuthParameters={"USERNAME": email, "PASSWORD": PASSWORD})


def next_code(totp, after=None):
    """A code of a step the server has not seen (a code is good once)."""
    while True:
        code = totp.now()
        if code != after:
            return code
        time.sleep(1)


def test_totp_through_boto3(pool):
    c, pool_id, client_id = pool
    email = user(c, pool_id)
    access = sign_in(c, client_id, email)["AuthenticationResult"]["AccessToken"]
    with pytest.raises(c.exceptions.SoftwareTokenMFANotFoundException,
                       match="Software Token MFA has not been enabled by the userPool"):
        c.associate_software_token(AccessToken=access)

    config = c.set_user_pool_mfa_config(UserPoolId=pool_id, SoftwareTokenMfaConfiguration={"Enabled": True},
                                        MfaConfiguration="OPTIONAL")
    assert (config["MfaConfiguration"], config["SoftwareTokenMfaConfiguration"]) == ("OPTIONAL", {"Enabled": True})
    assert c.get_user_pool_mfa_config(UserPoolId=pool_id)["MfaConfiguration"] == "OPTIONAL"
    assert c.describe_user_pool(UserPoolId=pool_id)["UserPool"]["MfaConfiguration"] == "OPTIONAL"

    secret = c.associate_software_token(AccessToken=access)["SecretCode"]
    assert len(secret) >= 16 and set(secret) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
    totp = pyotp.TOTP(secret)
    with pytest.raises(c.exceptions.EnableSoftwareTokenMFAException):
        c.verify_software_token(AccessToken=access, UserCode="000000" if totp.now() != "000000" else "111111")
    used = next_code(totp)
    assert c.verify_software_token(AccessToken=access, UserCode=used, FriendlyDeviceName="phone")["Status"] == "SUCCESS"

    # Verified but not enabled: OPTIONAL lets the user in without it.
    assert "AuthenticationResult" in sign_in(c, client_id, email)
    c.set_user_mfa_preference(AccessToken=access, SoftwareTokenMfaSettings={"Enabled": True, "PreferredMfa": True})
    got = c.admin_get_user(UserPoolId=pool_id, Username=email)
    assert (got["UserMFASettingList"], got["PreferredMfaSetting"]) == (["SOFTWARE_TOKEN_MFA"], "SOFTWARE_TOKEN_MFA")

    challenge = sign_in(c, client_id, email)
    assert challenge["ChallengeName"] == "SOFTWARE_TOKEN_MFA" and "AuthenticationResult" not in challenge
    wrong = "000000" if totp.now() != "000000" else "111111"
    with pytest.raises(c.exceptions.CodeMismatchException, match="Invalid code received for user"):
        c.respond_to_auth_challenge(ClientId=client_id, ChallengeName="SOFTWARE_TOKEN_MFA", Session=challenge["Session"],
                                    ChallengeResponses={"USERNAME": email, "SOFTWARE_TOKEN_MFA_CODE": wrong})
    code = next_code(totp, after=used)
    tokens = c.respond_to_auth_challenge(ClientId=client_id, ChallengeName="SOFTWARE_TOKEN_MFA",
                                         Session=challenge["Session"],
                                         ChallengeResponses={"USERNAME": email, "SOFTWARE_TOKEN_MFA_CODE": code})
    assert "IdToken" in tokens["AuthenticationResult"]

    # The same code again, in a new sign-in: refused.
    again = sign_in(c, client_id, email)
    with pytest.raises(c.exceptions.ClientError) as e:
        c.respond_to_auth_challenge(ClientId=client_id, ChallengeName="SOFTWARE_TOKEN_MFA", Session=again["Session"],
                                    ChallengeResponses={"USERNAME": email, "SOFTWARE_TOKEN_MFA_CODE": code})
    assert "already been used" in e.value.response["Error"]["Message"]

    # Without it, the admin may turn it off again.
    c.admin_set_user_mfa_preference(UserPoolId=pool_id, Username=email,
                                    SoftwareTokenMfaSettings={"Enabled": False, "PreferredMfa": False})
    assert "AuthenticationResult" in sign_in(c, client_id, email)


def test_required_mfa_sets_up_a_token_with_the_session(pool):
    c, _, _ = pool
    pool_id = c.create_user_pool(PoolName="mfa-on", UsernameAttributes=["email"])["UserPool"]["Id"]
    client_id = c.create_user_pool_client(UserPoolId=pool_id, ClientName="mfa-on",
                                          ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH"])["UserPoolClient"]["ClientId"]
    c.set_user_pool_mfa_config(UserPoolId=pool_id, SoftwareTokenMfaConfiguration={"Enabled": True}, MfaConfiguration="ON")
    email = user(c, pool_id)
    setup = sign_in(c, client_id, email)
    assert setup["ChallengeName"] == "MFA_SETUP"
    assert setup["ChallengeParameters"]["MFAS_CAN_SETUP"] == '["SOFTWARE_TOKEN_MFA"]'
    associated = c.associate_software_token(Session=setup["Session"])
    totp = pyotp.TOTP(associated["SecretCode"])
    used = next_code(totp)
    verified = c.verify_software_token(Session=associated["Session"], UserCode=used)
    assert verified["Status"] == "SUCCESS"
    tokens = c.respond_to_auth_challenge(ClientId=client_id, ChallengeName="MFA_SETUP", Session=verified["Session"],
                                         ChallengeResponses={"USERNAME": email})
    assert "IdToken" in tokens["AuthenticationResult"]
    # From now on the sign-in asks for a code.
    assert sign_in(c, client_id, email)["ChallengeName"] == "SOFTWARE_TOKEN_MFA"
