"""Cognito user pool Lambda triggers, end to end through boto3, wired both through the pool's
`LambdaConfig` and through SAM `Type: Cognito` function events, in Python and Node.js. Each
trigger logs the whole event it got (`TRIGGER_EVENT <json>`), and these tests pin:
the envelope (version, triggerSource, region, userPoolId, userName as the sub in an
email-as-username pool, callerContext, string-valued userAttributes); PreSignUp (validationData
and clientMetadata passed through, autoConfirmUser/autoVerifyEmail, a thrown error refusing the
sign-up as UserLambdaValidationException "PreSignUp failed with error <message>.", the
AdminCreateUser source); PostConfirmation after ConfirmSignUp and ConfirmForgotPassword;
CustomMessage (the placeholders {####} and {username} replaced in what the function returns);
PreAuthentication refusing a sign-in and PostAuthentication after one; PreTokenGeneration V1_0
(ID token claims and groups) and V2_0 (both tokens and the access token's scopes), on sign-in and
refresh; UserMigration on sign-in and on forgot-password, only for unknown users; a trigger
slower than Cognito's 5-second limit (UnexpectedLambdaException); and CUSTOM_AUTH with
Define/Create/VerifyAuthChallenge (right answer, wrong answers, failure after three)."""

import json
import re
import time
import uuid

import jwt
import pytest
from botocore.exceptions import ClientError

from conftest import ROOT, Stack, unique_email

STACK = ROOT / "tests" / "conformance" / "stacks" / "triggers" / "template.yaml"


@pytest.fixture(scope="module")
def t(tmp_path_factory):
    s = Stack(tmp_path_factory.mktemp("triggers"), template=STACK).start()
    yield s
    s.stop()


# `<Function> | TRIGGER_EVENT {...}` from Python; Node's console adds `<time>\t<requestId>\tINFO\t`.
EVENT_LINE = re.compile(r"^(\w+) \| (?:[^\t\n]*\t[^\t\n]*\tINFO\t)?TRIGGER_EVENT (\{.*\})$", re.M)


def trigger_events(stack, source, where=None):
    """[(function name, event)] of every logged event of `source` that `where` accepts, in order."""
    out = []
    for m in EVENT_LINE.finditer(stack.log()):
        event = json.loads(m.group(2))
        if event.get("triggerSource") == source and (where is None or where(event)):
            out.append((m.group(1), event))
    return out


def wait_event(stack, source, where=None, n=1, timeout=10):
    """The `n`th (1-based) such (function name, event), once it is in the log."""
    deadline = time.time() + timeout
    while len(found := trigger_events(stack, source, where)) < n:
        assert time.time() < deadline, f"no {n}th {source} event in the log:\n{stack.log()[-3000:]}"
        time.sleep(0.02)
    return found[n - 1]


def exactly(stack, source, where, n, settle=0.5):
    """Asserts that `n` such events are logged and, a moment later, still no more."""
    wait_event(stack, source, where, n)
    time.sleep(settle)
    found = trigger_events(stack, source, where)
    assert len(found) == n, found
    return found


def by_email(email):
    return lambda e: ((e.get("request") or {}).get("userAttributes") or {}).get("email") == email


def by_user(name):
    return lambda e: e.get("userName") == name


def error(excinfo):
    return excinfo.value.response["Error"]["Code"], excinfo.value.response["Error"]["Message"]


def claims(token):
    return jwt.decode(token, options={"verify_signature": False})


def email_at(tag, domain):
    return f"{unique_email(tag).split('@')[0]}@{domain}"


def sign_up(t, email, password="Passw0rd!", **kwargs):
    return t.client().sign_up(ClientId=t.outputs["ClientId"], Username=email, Password=password,
                              UserAttributes=[{"Name": "email", "Value": email}], **kwargs)


def sign_in(t, email, password="Passw0rd!", client="ClientId", **kwargs):
    return t.client().initiate_auth(ClientId=t.outputs[client], AuthFlow="USER_PASSWORD_AUTH",
                                    AuthParameters={"USERNAME": email, "PASSWORD": password}, **kwargs)


def auto_user(t, tag):
    """A user PreSignUp confirms at once (an @auto.example address): its email."""
    email = email_at(tag, "auto.example")
    assert sign_up(t, email)["UserConfirmed"] is True
    return email


def admin_user(t, pool, email, password="Passw0rd!"):
    """A confirmed user made by an admin, no message sent."""
    c = t.client()
    c.admin_create_user(UserPoolId=t.outputs[pool], Username=email, MessageAction="SUPPRESS",
                        UserAttributes=[{"Name": "email", "Value": email}, {"Name": "email_verified", "Value": "true"}])
    c.admin_set_user_password(UserPoolId=t.outputs[pool], Username=email, Password=password, Permanent=True)


def test_pre_sign_up_auto_confirms_and_receives_the_whole_event(t):
    c = t.client()
    email = email_at("auto", "auto.example")
    up = sign_up(t, email, ValidationData=[{"Name": "invite", "Value": "abc-123"}],
                 ClientMetadata={"source": "conformance"})
    assert up["UserConfirmed"] is True
    user = c.admin_get_user(UserPoolId=t.outputs["PoolId"], Username=email)
    assert user["UserStatus"] == "CONFIRMED"
    assert {a["Name"]: a["Value"] for a in user["UserAttributes"]}["email_verified"] == "true"
    assert all(m["to"] != email for m in t.outbox()), "an auto-confirmed user is sent no code"

    function, e = wait_event(t, "PreSignUp_SignUp", by_email(email))
    assert function == "PreSignUp", "wired by the function's Cognito event"
    assert e["version"] == "1"
    assert e["region"] == "us-east-1"
    assert e["userPoolId"] == t.outputs["PoolId"]
    assert e["userName"] == up["UserSub"] and str(uuid.UUID(e["userName"])) == e["userName"], \
        "email as username: userName is the sub"
    assert isinstance(e["callerContext"]["awsSdkVersion"], str)
    assert e["callerContext"]["clientId"] == t.outputs["ClientId"]
    attributes = e["request"]["userAttributes"]
    assert attributes["email"] == email
    assert all(isinstance(v, str) for v in attributes.values()), attributes
    assert e["request"]["validationData"] == {"invite": "abc-123"}
    assert e["request"]["clientMetadata"] == {"source": "conformance"}
    assert {"autoConfirmUser", "autoVerifyEmail", "autoVerifyPhone"} <= set(e["response"])


def test_a_pre_sign_up_that_throws_refuses_the_sign_up(t):
    c = t.client()
    email = email_at("blocked", "blocked.example")
    with pytest.raises(c.exceptions.UserLambdaValidationException) as e:
        sign_up(t, email)
    assert error(e) == ("UserLambdaValidationException", "PreSignUp failed with error Invalid email domain.")
    wait_event(t, "PreSignUp_SignUp", by_email(email))
    with pytest.raises(c.exceptions.UserNotFoundException):
        c.admin_get_user(UserPoolId=t.outputs["PoolId"], Username=email)


def test_admin_create_user_runs_pre_sign_up_and_its_custom_message(t):
    c = t.client()
    pool = t.outputs["PoolId"]
    email = unique_email("invited")
    c.admin_create_user(UserPoolId=pool, Username=email, DesiredDeliveryMediums=["EMAIL"],
                        UserAttributes=[{"Name": "email", "Value": email}],
                        ValidationData=[{"Name": "ticket", "Value": "42"}], ClientMetadata={"by": "admin"})
    function, e = wait_event(t, "PreSignUp_AdminCreateUser", by_email(email))
    assert function == "PreSignUp"
    assert e["userPoolId"] == pool
    assert e["request"]["validationData"] == {"ticket": "42"}
    assert e["request"]["clientMetadata"] == {"by": "admin"}

    _, m = wait_event(t, "CustomMessage_AdminCreateUser", by_email(email))
    assert m["request"]["codeParameter"] == "{####}"
    assert m["request"]["usernameParameter"] == "{username}"
    message = t.last_message(email)
    temporary = message["temporaryPassword"]
    assert message["body"] == f"User {email} password {temporary}", "both placeholders replaced"
    first = sign_in(t, email, temporary)
    assert first["ChallengeName"] == "NEW_PASSWORD_REQUIRED", "the password in the message is the temporary one"


def test_post_confirmation_after_confirm_sign_up_and_confirm_forgot_password(t):
    c = t.client()
    client = t.outputs["ClientId"]
    email = unique_email("confirm")
    up = sign_up(t, email)
    assert up["UserConfirmed"] is False
    code = t.last_message(email)["code"]
    c.confirm_sign_up(ClientId=client, Username=email, ConfirmationCode=code, ClientMetadata={"step": "confirm"})

    [(function, e)] = exactly(t, "PostConfirmation_ConfirmSignUp", by_email(email), 1)
    assert function == "PostConfirmation", "wired by the function's Cognito event"
    assert e["userName"] == up["UserSub"]
    assert e["request"]["userAttributes"]["cognito:user_status"] == "CONFIRMED"
    assert e["request"]["clientMetadata"] == {"step": "confirm"}

    c.forgot_password(ClientId=client, Username=email)
    message = t.last_message(email)
    assert message["subject"] == "Welcome CustomMessage_ForgotPassword"
    assert message["body"] == f"Hello {up['UserSub']}, your code is {message['code']}"
    c.confirm_forgot_password(ClientId=client, Username=email, ConfirmationCode=message["code"], Password="N3w-Passw0rd!")
    function, e = wait_event(t, "PostConfirmation_ConfirmForgotPassword", by_email(email))
    assert function == "PostConfirmation"
    assert e["userName"] == up["UserSub"]
    assert "AuthenticationResult" in sign_in(t, email, "N3w-Passw0rd!")


def test_custom_message_on_sign_up_replaces_the_code(t):
    email = unique_email("welcome")
    up = sign_up(t, email)
    message = t.last_message(email)
    function, e = wait_event(t, "CustomMessage_SignUp", by_email(email))
    assert function == "CustomMessage"
    assert e["userName"] == up["UserSub"]
    assert e["request"]["codeParameter"] == "{####}"
    assert e["request"]["linkParameter"] == "{##Click Here##}"
    assert e["request"].get("usernameParameter") is None
    assert message["subject"] == "Welcome CustomMessage_SignUp"
    assert message["code"] and message["body"] == f"Hello {up['UserSub']}, your code is {message['code']}"
    t.client().confirm_sign_up(ClientId=t.outputs["ClientId"], Username=email, ConfirmationCode=message["code"])


def test_pre_authentication_refuses_a_sign_in_and_post_authentication_follows_one(t):
    c = t.client()
    closed = auto_user(t, "nosignin")
    with pytest.raises(c.exceptions.UserLambdaValidationException) as e:
        sign_in(t, closed)
    assert error(e) == ("UserLambdaValidationException", "PreAuthentication failed with error Sign-in is closed.")

    email = auto_user(t, "signin")
    assert "AuthenticationResult" in sign_in(t, email, ClientMetadata={"app": "web"})
    [(function, pre)] = exactly(t, "PreAuthentication_Authentication", by_email(email), 1)
    assert function == "PreAuthentication"
    assert pre["request"]["validationData"] == {"app": "web"}, "InitiateAuth's ClientMetadata"
    [(function, post)] = exactly(t, "PostAuthentication_Authentication", by_email(email), 1)
    assert function == "PostAuthentication"
    assert isinstance(post["request"]["newDeviceUsed"], bool)
    assert post["callerContext"]["clientId"] == t.outputs["ClientId"]


def test_pre_token_generation_v1_overrides_the_id_token(t):
    c = t.client()
    email = auto_user(t, "tokens")
    tokens = sign_in(t, email)["AuthenticationResult"]
    idc, ac = claims(tokens["IdToken"]), claims(tokens["AccessToken"])
    assert idc["tier"] == "gold"
    assert idc["email"] == "overridden@example.com"
    assert "email_verified" not in idc
    assert idc["cognito:groups"] == ["vip"]
    assert "tier" not in ac, "V1_0 changes the ID token only"

    function, e = wait_event(t, "TokenGeneration_Authentication", by_email(email))
    assert function == "PreTokenV1"
    assert e["version"] == "1"
    groups = e["request"]["groupConfiguration"]
    assert isinstance(groups["groupsToOverride"], list) and isinstance(groups["iamRolesToOverride"], list)

    refreshed = c.initiate_auth(ClientId=t.outputs["ClientId"], AuthFlow="REFRESH_TOKEN_AUTH",
                                AuthParameters={"REFRESH_TOKEN": tokens["RefreshToken"]})["AuthenticationResult"]
    function, _ = wait_event(t, "TokenGeneration_RefreshTokens", by_email(email))
    assert function == "PreTokenV1"
    assert claims(refreshed["IdToken"])["tier"] == "gold"


def test_pre_token_generation_v2_overrides_both_tokens_and_the_scopes(t):
    email = unique_email("v2")
    admin_user(t, "PoolV2Id", email)
    tokens = sign_in(t, email, client="ClientV2Id")["AuthenticationResult"]
    function, e = wait_event(t, "TokenGeneration_Authentication", by_email(email))
    assert function == "PreTokenV2"
    assert e["version"] == "2"
    assert e["userPoolId"] == t.outputs["PoolV2Id"]
    assert isinstance(e["request"]["scopes"], list)
    assert "aws.cognito.signin.user.admin" in e["request"]["scopes"]

    idc, ac = claims(tokens["IdToken"]), claims(tokens["AccessToken"])
    assert idc["tier"] == "platinum" and "tenant" not in idc
    assert ac["tenant"] == "acme" and "tier" not in ac
    scopes = ac["scope"].split(" ")
    assert "orders/read" in scopes and "aws.cognito.signin.user.admin" in scopes


def test_user_migration_on_sign_in_only_for_an_unknown_user(t):
    c = t.client()
    legacy, password = "legacy@example.com", "Legacy-Passw0rd!"
    tokens = sign_in(t, legacy, password)["AuthenticationResult"]
    assert "IdToken" in tokens
    user = c.admin_get_user(UserPoolId=t.outputs["PoolId"], Username=legacy)
    attributes = {a["Name"]: a["Value"] for a in user["UserAttributes"]}
    assert user["UserStatus"] == "CONFIRMED"
    assert (attributes["name"], attributes["email"], attributes["email_verified"]) == ("Legacy User", legacy, "true")

    function, e = wait_event(t, "UserMigration_Authentication", by_user(legacy))
    assert function == "UserMigration"
    assert e["request"]["password"] == password
    assert e["userPoolId"] == t.outputs["PoolId"]
    assert e["callerContext"]["clientId"] == t.outputs["ClientId"]

    assert "AuthenticationResult" in sign_in(t, legacy, password), "the migrated user and password are kept"
    exactly(t, "UserMigration_Authentication", by_user(legacy), 1)

    stranger = unique_email("stranger")
    with pytest.raises(c.exceptions.UserLambdaValidationException) as e:
        sign_in(t, stranger, "Other-Passw0rd!")
    assert error(e) == ("UserLambdaValidationException", "UserMigration failed with error Bad credentials.")
    _, e = wait_event(t, "UserMigration_Authentication", by_user(stranger))
    assert e["request"]["password"] == "Other-Passw0rd!"


def test_user_migration_on_forgot_password(t):
    c = t.client()
    client = t.outputs["ClientId"]
    legacy = "legacy-reset@example.com"
    sent = c.forgot_password(ClientId=client, Username=legacy)
    assert sent["CodeDeliveryDetails"]["DeliveryMedium"] == "EMAIL"
    function, e = wait_event(t, "UserMigration_ForgotPassword", by_user(legacy))
    assert function == "UserMigration"
    assert e["request"].get("password") is None, "no password when migrating for a reset"
    code = t.last_message(legacy)["code"]
    assert code
    c.confirm_forgot_password(ClientId=client, Username=legacy, ConfirmationCode=code, Password="Reset-Passw0rd!")
    assert "AuthenticationResult" in sign_in(t, legacy, "Reset-Passw0rd!")
    attributes = {a["Name"]: a["Value"] for a in c.admin_get_user(UserPoolId=t.outputs["PoolId"], Username=legacy)["UserAttributes"]}
    assert attributes["name"] == "Legacy User"


def test_a_trigger_slower_than_five_seconds_fails_the_call(t):
    c = t.client()
    email = unique_email("slow")
    started = time.monotonic()
    with pytest.raises(c.exceptions.UnexpectedLambdaException) as e:
        c.sign_up(ClientId=t.outputs["SlowClientId"], Username=email, Password="Passw0rd!",
                  UserAttributes=[{"Name": "email", "Value": email}])
    elapsed = time.monotonic() - started
    assert error(e) == ("UnexpectedLambdaException",
                        "PreSignUp invocation failed due to error Socket timeout while invoking Lambda function.")
    assert 4.5 <= elapsed < 10, f"Cognito waits 5 s, not the function's 10 s Timeout: {elapsed:.1f}s"
    function, _ = wait_event(t, "PreSignUp_SignUp", by_email(email))
    assert function == "SlowPreSignUp"


def test_custom_auth_with_define_create_and_verify_challenge(t):
    c = t.client()
    client = t.outputs["ClientId"]
    email = unique_email("custom")
    admin_user(t, "PoolId", email)
    answer = email[::-1]

    def start():
        r = c.initiate_auth(ClientId=client, AuthFlow="CUSTOM_AUTH", AuthParameters={"USERNAME": email})
        assert r["ChallengeName"] == "CUSTOM_CHALLENGE"
        params = r["ChallengeParameters"]
        assert {k: v for k, v in params.items() if k != "USERNAME"} == {"question": "reverse your email"}
        assert r["Session"]
        return r

    def respond(previous, text):
        return c.respond_to_auth_challenge(
            ClientId=client, ChallengeName="CUSTOM_CHALLENGE", Session=previous["Session"],
            ChallengeResponses={"USERNAME": previous["ChallengeParameters"].get("USERNAME", email), "ANSWER": text})

    first = start()
    wrong = respond(first, "not-it")
    assert wrong["ChallengeName"] == "CUSTOM_CHALLENGE"
    assert wrong["Session"] and wrong["Session"] != first["Session"], "a new session for the next challenge"
    assert "AuthenticationResult" not in wrong
    right = respond(wrong, answer)
    assert "ChallengeName" not in right or not right["ChallengeName"]
    assert claims(right["AuthenticationResult"]["IdToken"])["token_use"] == "id"

    def session(e):
        return [{k: s.get(k) for k in ("challengeName", "challengeResult", "challengeMetadata")}
                for s in e["request"]["session"]]

    asked = {"challengeName": "CUSTOM_CHALLENGE", "challengeMetadata": "REVERSE"}
    defines = [wait_event(t, "DefineAuthChallenge_Authentication", by_email(email), n) for n in (1, 2, 3)]
    assert all(function == "DefineAuthChallenge" for function, _ in defines)
    assert [session(e) for _, e in defines] == [
        [],
        [{**asked, "challengeResult": False}],
        [{**asked, "challengeResult": False}, {**asked, "challengeResult": True}],
    ]
    function, created = wait_event(t, "CreateAuthChallenge_Authentication", by_email(email))
    assert function == "CreateAuthChallenge"
    assert created["request"]["challengeName"] == "CUSTOM_CHALLENGE"
    assert created["request"]["session"] == []
    function, verified = wait_event(t, "VerifyAuthChallengeResponse_Authentication", by_email(email))
    assert function == "VerifyAuthChallengeResponse"
    assert verified["request"]["challengeAnswer"] == "not-it"
    assert verified["request"]["privateChallengeParameters"] == {"answer": answer}

    # Three wrong answers in a row: DefineAuthChallenge fails the authentication.
    current = start()
    for _ in range(2):
        current = respond(current, "wrong")
        assert current["ChallengeName"] == "CUSTOM_CHALLENGE"
    with pytest.raises(c.exceptions.NotAuthorizedException) as e:
        respond(current, "wrong")
    assert error(e) == ("NotAuthorizedException", "Incorrect username or password.")
    _, last = wait_event(t, "DefineAuthChallenge_Authentication", by_email(email), 7)
    assert session(last) == [{**asked, "challengeResult": False}] * 3
