"""Malformed and refused requests: each gets Cognito's error name (and message where known),
HTTP 400, the error headers, and the server keeps serving."""

import pytest

LONG_ENOUGH_SESSION = "x" * 40

# (case, operation, body, signed, __type, message or None). {client} and {pool} are filled in.
CASES = [
    ("unknown operation", "Nope", {}, False, "UnknownOperationException", None),
    ("real but unsupported operation", "AdminLinkProviderForUser", {}, True, "UnknownOperationException", None),
    ("missing ClientId", "InitiateAuth", {"AuthFlow": "USER_PASSWORD_AUTH"}, False, "InvalidParameterException",
     "1 validation error detected: Value null at 'clientId' failed to satisfy constraint: Member must not be null"),
    ("missing AuthFlow and ClientId", "InitiateAuth", {}, False, "InvalidParameterException", None),
    ("AuthFlow outside its enum", "InitiateAuth", {"AuthFlow": "MAGIC", "ClientId": "{client}"}, False,
     "InvalidParameterException", None),
    ("ClientId of the wrong type", "InitiateAuth", {"AuthFlow": "USER_PASSWORD_AUTH", "ClientId": 42}, False,
     "SerializationException", None),
    ("ClientId an object", "InitiateAuth", {"AuthFlow": "USER_PASSWORD_AUTH", "ClientId": {"a": 1}}, False,
     "SerializationException", "Start of structure or map found where not expected."),
    ("AuthParameters a list", "InitiateAuth", {"AuthFlow": "USER_PASSWORD_AUTH", "ClientId": "{client}", "AuthParameters": []},
     False, "SerializationException", None),
    ("unknown client", "InitiateAuth", {"AuthFlow": "USER_PASSWORD_AUTH", "ClientId": "nosuchclient00000000000000",
     "AuthParameters": {"USERNAME": "a", "PASSWORD": "b"}}, False, "ResourceNotFoundException",
     "User pool client nosuchclient00000000000000 does not exist."),
    ("unknown pool", "DescribeUserPool", {"UserPoolId": "us-east-1_NoSuchPoo"}, True, "ResourceNotFoundException",
     "User pool us-east-1_NoSuchPoo does not exist."),
    ("pool id outside its pattern", "DescribeUserPool", {"UserPoolId": "bad"}, True, "InvalidParameterException",
     "1 validation error detected: Value 'bad' at 'userPoolId' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w-]+_[0-9a-zA-Z]+"),
    ("admin call without SigV4", "AdminGetUser", {"UserPoolId": "{pool}", "Username": "x"}, False,
     "MissingAuthenticationTokenException", "Missing Authentication Token"),
    ("missing USERNAME parameter", "InitiateAuth", {"AuthFlow": "USER_PASSWORD_AUTH", "ClientId": "{client}",
     "AuthParameters": {"PASSWORD": "x"}}, False, "InvalidParameterException", "Missing required parameter USERNAME"),
    ("unknown user", "InitiateAuth", {"AuthFlow": "USER_PASSWORD_AUTH", "ClientId": "{client}",
     "AuthParameters": {"USERNAME": "nobody@example.com", "PASSWORD": "Whatever1"}}, False,
     "UserNotFoundException", "User does not exist."),
    ("unknown session", "RespondToAuthChallenge", {"ClientId": "{client}", "ChallengeName": "NEW_PASSWORD_REQUIRED",
     "Session": LONG_ENOUGH_SESSION, "ChallengeResponses": {"USERNAME": "a", "NEW_PASSWORD": "Abcdef1"}}, False,
     "NotAuthorizedException", "Invalid session for the user, session is expired."),
    ("session too short", "RespondToAuthChallenge", {"ClientId": "{client}", "ChallengeName": "NEW_PASSWORD_REQUIRED",
     "Session": "abc", "ChallengeResponses": {"USERNAME": "a", "NEW_PASSWORD": "Abcdef1"}}, False,
     "InvalidParameterException", None),
    ("garbage access token", "GetUser", {"AccessToken": "not-a-token"}, False, "NotAuthorizedException", "Invalid Access Token"),
    ("forged access token", "GetUser", {"AccessToken": "eyJhbGciOiJub25lIn0.eyJpc3MiOiJ4In0."}, False,
     "NotAuthorizedException", "Invalid Access Token"),
    ("garbage refresh token", "InitiateAuth", {"AuthFlow": "REFRESH_TOKEN_AUTH", "ClientId": "{client}",
     "AuthParameters": {"REFRESH_TOKEN": "abc.def"}}, False, "NotAuthorizedException", "Invalid Refresh Token"),
    ("confirm an unknown user", "ConfirmSignUp", {"ClientId": "{client}", "Username": "ghost@example.com",
     "ConfirmationCode": "123456"}, False, "UserNotFoundException", "User does not exist."),
    ("weak password at sign-up", "SignUp", {"ClientId": "{client}", "Username": "weak@example.com", "Password": "abc"},
     False, "InvalidPasswordException", "Password did not conform with policy: Password not long enough"),
    ("username that is not an email", "SignUp", {"ClientId": "{client}", "Username": "notanemail", "Password": "Abcdef1"},
     False, "InvalidParameterException", "Username should be an email."),
    ("admin flow not enabled", "AdminInitiateAuth", {"UserPoolId": "{pool}", "ClientId": "{client}",
     "AuthFlow": "ADMIN_USER_PASSWORD_AUTH", "AuthParameters": {"USERNAME": "a", "PASSWORD": "b"}}, True,
     "InvalidParameterException", "Auth flow not enabled for this client"),
    ("bad ListUsers filter", "ListUsers", {"UserPoolId": "{pool}", "Filter": "email ~ x"}, True,
     "InvalidParameterException", "Error while parsing filter."),
    ("ListUsers limit too high", "ListUsers", {"UserPoolId": "{pool}", "Limit": 61}, True, "InvalidParameterException", None),
    ("ListUserPools without MaxResults", "ListUserPools", {}, True, "InvalidParameterException",
     "1 validation error detected: Value null at 'maxResults' failed to satisfy constraint: Member must not be null"),
    ("attribute not in the schema", "SignUp", {"ClientId": "{client}", "Username": "schema@example.com",
     "Password": "Abcdef1", "UserAttributes": [{"Name": "shoe_size", "Value": "9"}]}, False, "InvalidParameterException", None),
    ("custom auth without a trigger", "InitiateAuth", {"AuthFlow": "CUSTOM_AUTH", "ClientId": "{client}"}, False,
     "InvalidParameterException", "Custom auth lambda trigger is not configured for the user pool."),
    ("body is a JSON list", "InitiateAuth", [], False, "SerializationException", None),
    ("challenge we never issue", "RespondToAuthChallenge", {"ClientId": "{client}", "ChallengeName": "SMS_MFA"}, False,
     "InvalidParameterException", None),
]


def fill(value, pool, client):
    if isinstance(value, str):
        return value.replace("{pool}", pool).replace("{client}", client)
    if isinstance(value, dict):
        return {k: fill(v, pool, client) for k, v in value.items()}
    if isinstance(value, list):
        return [fill(v, pool, client) for v in value]
    return value


def assert_error(status, body, headers, kind, message=None):
    assert status == 400, (status, body)
    assert body["__type"] == kind, body
    if message is not None:
        assert body["message"] == message, body
    assert headers["x-amzn-ErrorType"].split(":")[0] == kind
    assert headers["Content-Type"] == "application/x-amz-json-1.1"
    assert headers.get("x-amzn-RequestId")


@pytest.mark.parametrize("case,op,body,signed,kind,message", CASES, ids=[c[0] for c in CASES])
def test_bad_request_gets_cognitos_error(stack, ids, case, op, body, signed, kind, message):
    pool_id, client_id = ids
    status, out, headers = stack.raw(op, fill(body, pool_id, client_id), signed=signed)
    assert_error(status, out, headers, kind, message)


def test_body_that_is_not_json(stack):
    status, out, headers = stack.raw("InitiateAuth", None, data=b"{not json")
    assert_error(status, out, headers, "SerializationException")


def test_body_over_one_megabyte(stack):
    status, out, headers = stack.raw("SignUp", None, data=b'{"x":"' + b"a" * (1 << 20) + b'"}')
    assert_error(status, out, headers, "SerializationException")


def test_missing_target_header(stack):
    status, out, headers = stack.raw(None, {})
    assert_error(status, out, headers, "UnknownOperationException")


def test_wrong_content_type(stack, ids):
    status, out, headers = stack.raw("InitiateAuth", {"AuthFlow": "USER_PASSWORD_AUTH", "ClientId": ids[1]},
                                     content_type="text/plain")
    assert_error(status, out, headers, "UnknownOperationException")


def test_duplicate_sign_up_and_replayed_confirmation(stack, ids, confirmed_user):
    pool_id, client_id = ids
    email, _ = confirmed_user
    status, out, headers = stack.raw("SignUp", {"ClientId": client_id, "Username": email, "Password": "Abcdef1"})
    assert_error(status, out, headers, "UsernameExistsException", "An account with the given email already exists.")
    status, out, headers = stack.raw("ConfirmSignUp", {"ClientId": client_id, "Username": email, "ConfirmationCode": "123456"})
    assert_error(status, out, headers, "NotAuthorizedException", "User cannot be confirmed. Current status is CONFIRMED")
    status, out, headers = stack.raw("AdminCreateUser", {"UserPoolId": pool_id, "Username": email}, signed=True)
    assert_error(status, out, headers, "UsernameExistsException")


def test_id_token_is_not_an_access_token(stack, ids, confirmed_user):
    _, client_id = ids
    email, password = confirmed_user
    auth = stack.client().initiate_auth(ClientId=client_id, AuthFlow="USER_PASSWORD_AUTH",
                                        AuthParameters={"USERNAME": email, "PASSWORD": password})["AuthenticationResult"]
    status, out, headers = stack.raw("GetUser", {"AccessToken": auth["IdToken"]})
    assert_error(status, out, headers, "NotAuthorizedException", "Invalid Access Token")


def test_server_still_serves_after_bad_input(stack, ids):
    # Every page, since other modules sharing this stack (the model fuzz) create pools too.
    seen, body = [], {"MaxResults": 60}
    while True:
        status, out, _ = stack.raw("ListUserPools", body, signed=True)
        assert status == 200, out
        seen += [p["Id"] for p in out["UserPools"]]
        if "NextToken" not in out:
            break
        body["NextToken"] = out["NextToken"]
    assert ids[0] in seen
