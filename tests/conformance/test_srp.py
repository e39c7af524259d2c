"""SRP (USER_SRP_AUTH / PASSWORD_VERIFIER) with pycognito, an independent client."""

import pytest
from botocore.exceptions import ClientError
from pycognito.aws_srp import AWSSRP


def srp(stack, ids, username, password):
    pool_id, client_id = ids
    return AWSSRP(username=username, password=password, pool_id=pool_id, client_id=client_id,
                  client=stack.client()).authenticate_user()


def test_right_password_gives_tokens(stack, ids, confirmed_user):
    email, password = confirmed_user
    result = srp(stack, ids, email, password)["AuthenticationResult"]
    assert {"AccessToken", "IdToken", "RefreshToken"} <= set(result)


def test_wrong_password_is_not_authorized(stack, ids, confirmed_user):
    email, _ = confirmed_user
    with pytest.raises(ClientError) as e:
        srp(stack, ids, email, "Wrong1Password")
    assert e.value.response["Error"]["Code"] == "NotAuthorizedException"
    assert e.value.response["Error"]["Message"] == "Incorrect username or password."


def test_challenge_parameters_match_cognito(stack, ids, confirmed_user):
    _, client_id = ids
    email, password = confirmed_user
    helper = AWSSRP(username=email, password=password, pool_id=ids[0], client_id=client_id, client=stack.client())
    resp = stack.client().initiate_auth(ClientId=client_id, AuthFlow="USER_SRP_AUTH",
                                        AuthParameters=helper.get_auth_params())
    assert resp["ChallengeName"] == "PASSWORD_VERIFIER"
    assert set(resp["ChallengeParameters"]) == {"SALT", "SRP_B", "SECRET_BLOCK", "USERNAME", "USER_ID_FOR_SRP"}
    assert "Session" not in resp


def test_replayed_secret_block_is_refused(stack, ids, confirmed_user):
    _, client_id = ids
    email, password = confirmed_user
    c = stack.client()
    helper = AWSSRP(username=email, password=password, pool_id=ids[0], client_id=client_id, client=c)
    init = c.initiate_auth(ClientId=client_id, AuthFlow="USER_SRP_AUTH", AuthParameters=helper.get_auth_params())
    answer = helper.process_challenge(init["ChallengeParameters"], helper.get_auth_params())
    c.respond_to_auth_challenge(ClientId=client_id, ChallengeName="PASSWORD_VERIFIER", ChallengeResponses=answer)
    with pytest.raises(ClientError) as e:
        c.respond_to_auth_challenge(ClientId=client_id, ChallengeName="PASSWORD_VERIFIER", ChallengeResponses=answer)
    assert e.value.response["Error"]["Code"] == "NotAuthorizedException"


def test_zero_padded_timestamp_is_refused(stack, ids, confirmed_user):
    _, client_id = ids
    email, password = confirmed_user
    c = stack.client()
    helper = AWSSRP(username=email, password=password, pool_id=ids[0], client_id=client_id, client=c)
    init = c.initiate_auth(ClientId=client_id, AuthFlow="USER_SRP_AUTH", AuthParameters=helper.get_auth_params())
    # Sign with a day padded to two digits, as a buggy client would.
    import datetime
    real = helper.get_cognito_formatted_timestamp
    helper.get_cognito_formatted_timestamp = lambda _dt: datetime.datetime(2026, 1, 5, 10, 0, 0).strftime("%a %b %d %H:%M:%S UTC %Y")
    try:
        answer = helper.process_challenge(init["ChallengeParameters"], helper.get_auth_params())
    finally:
        helper.get_cognito_formatted_timestamp = real
    assert " 05 " in answer["TIMESTAMP"]
    with pytest.raises(ClientError) as e:
        c.respond_to_auth_challenge(ClientId=client_id, ChallengeName="PASSWORD_VERIFIER", ChallengeResponses=answer)
    assert e.value.response["Error"]["Message"] == "Incorrect username or password."
