"""A fuzz driven by botocore's published cognito-idp model, over every operation the local pool
serves (the README's list). For each one, a valid request built against real resources, then,
one change at a time:
- each required member left out -> InvalidParameterException "... Member must not be null";
- each member given a JSON value of the wrong type -> SerializationException;
- each member's length, pattern, enum or range broken -> InvalidParameterException naming it;
and the valid request itself -> 200, its answer parsed by botocore's JSON parser and checked
against the output shape by botocore's validator, with no member the model lacks.
Requests go raw (botocore would refuse to send most of them). Every deviation is collected and
reported; there must be none. Bounded: a few thousand requests to one local server."""

import json
import re
import time
import urllib.request
import urllib.error

import botocore.session
import pyotp
import pytest
from botocore.parsers import create_parser
from botocore.validate import ParamValidator

from conftest import ROOT, unique_email

MODEL = botocore.session.get_session().get_service_model("cognito-idp")
SIGNED = "AWS4-HMAC-SHA256 Credential=local/20260101/us-east-1/cognito-idp/aws4_request, SignedHeaders=host, Signature=00"
PASSWORD = "Fuzz-Passw0rd!"


def served_operations():
    """The README's list of operations served (which a Rust test keeps equal to the table)."""
    text = (ROOT / "README.md").read_text()
    block = text.split("**Operations served:**", 1)[1].split("Any other operation", 1)[0]
    block = re.sub(r"\([^)]*\)", "", block)
    return sorted({w.strip(".,") for w in block.split() if re.fullmatch(r"[A-Z][A-Za-z]+[.,]?", w)})


class World:
    """Real resources to build valid requests from."""

    def __init__(self, stack):
        self.stack = stack
        self.n = 0
        self.c = stack.client()
        self.pool = self.c.create_user_pool(PoolName="fuzz", AutoVerifiedAttributes=["email"])["UserPool"]["Id"]
        self.client = self.new_client()
        self.mfa_pool = self.c.create_user_pool(PoolName="fuzz-mfa")["UserPool"]["Id"]
        self.c.set_user_pool_mfa_config(UserPoolId=self.mfa_pool, SoftwareTokenMfaConfiguration={"Enabled": True},
                                        MfaConfiguration="OPTIONAL")
        self.mfa_client = self.new_client(self.mfa_pool)
        self.group = self.new_group()

    def name(self, tag="u"):
        self.n += 1
        return f"{tag}{self.n}x{time.time_ns() % 1000000}"

    def new_client(self, pool=None):
        return self.c.create_user_pool_client(
            UserPoolId=pool or self.pool, ClientName="fuzz",
            ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_ADMIN_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH",
                               "ALLOW_USER_SRP_AUTH"])["UserPoolClient"]["ClientId"]

    def new_domain(self):
        """A fresh pool with a Cognito domain (a pool has one): (domain, pool)."""
        pool = self.c.create_user_pool(PoolName=self.name("p"))["UserPool"]["Id"]
        domain = self.name("d")
        self.c.create_user_pool_domain(Domain=domain, UserPoolId=pool)
        return domain, pool

    def new_resource_server(self):
        identifier = "https://" + self.name("rs")
        self.c.create_resource_server(UserPoolId=self.pool, Identifier=identifier, Name="fuzz",
                                      Scopes=[{"ScopeName": "read", "ScopeDescription": "read"}])
        return identifier

    def new_group(self):
        g = self.name("g")
        self.c.create_group(UserPoolId=self.pool, GroupName=g)
        return g

    def user(self, pool=None, confirmed=True):
        """A user with a verified email and a permanent password."""
        pool = pool or self.pool
        u = self.name()
        self.c.admin_create_user(UserPoolId=pool, Username=u, MessageAction="SUPPRESS",
                                 UserAttributes=[{"Name": "email", "Value": f"{u}@example.com"},
                                                 {"Name": "email_verified", "Value": "true"},
                                                 {"Name": "name", "Value": "Fuzz"}])
        if confirmed:
            self.c.admin_set_user_password(UserPoolId=pool, Username=u, Password=PASSWORD, Permanent=True)
        return u

    def unconfirmed(self):
        u = self.name()
        self.c.sign_up(ClientId=self.client, Username=u, Password=PASSWORD,
                       UserAttributes=[{"Name": "email", "Value": f"{u}@example.com"}])
        return u

    def tokens(self, pool=None, client=None):
        pool, client = pool or self.pool, client or self.client
        u = self.user(pool)
        r = self.c.initiate_auth(ClientId=client, AuthFlow="USER_PASSWORD_AUTH",
                                 AuthParameters={"USERNAME": u, "PASSWORD": PASSWORD})["AuthenticationResult"]
        return u, r

    def new_password_session(self, admin=False):
        u = self.name()
        self.c.admin_create_user(UserPoolId=self.pool, Username=u, TemporaryPassword="Temp-Passw0rd!",
                                 MessageAction="SUPPRESS")
        if admin:
            r = self.c.admin_initiate_auth(UserPoolId=self.pool, ClientId=self.client, AuthFlow="ADMIN_USER_PASSWORD_AUTH",
                                           AuthParameters={"USERNAME": u, "PASSWORD": "Temp-Passw0rd!"})
        else:
            r = self.c.initiate_auth(ClientId=self.client, AuthFlow="USER_PASSWORD_AUTH",
                                     AuthParameters={"USERNAME": u, "PASSWORD": "Temp-Passw0rd!"})
        return u, r["Session"]

    def code(self, username):
        return self.stack.last_message(f"{username}@example.com")["code"]

    def verified_mfa_user(self):
        u, t = self.tokens(self.mfa_pool, self.mfa_client)
        secret = self.c.associate_software_token(AccessToken=t["AccessToken"])["SecretCode"]
        self.c.verify_software_token(AccessToken=t["AccessToken"], UserCode=pyotp.TOTP(secret).now())
        return u, t


def requests(w):
    """A fresh valid request per operation (single-use things made anew each time)."""
    P, C = w.pool, w.client

    def confirm_sign_up():
        u = w.unconfirmed()
        return {"ClientId": C, "Username": u, "ConfirmationCode": w.code(u)}

    def confirm_forgot_password():
        u = w.user()
        w.c.forgot_password(ClientId=C, Username=u)
        return {"ClientId": C, "Username": u, "ConfirmationCode": w.code(u), "Password": "Fuzz-Passw0rd!2"}

    def respond(admin):
        def build():
            u, s = w.new_password_session(admin)
            r = {"ClientId": C, "ChallengeName": "NEW_PASSWORD_REQUIRED", "Session": s,
                 "ChallengeResponses": {"USERNAME": u, "NEW_PASSWORD": PASSWORD}}
            if admin:
                r["UserPoolId"] = P
            return r
        return build

    def verify_software_token():
        _, t = w.tokens(w.mfa_pool, w.mfa_client)
        secret = w.c.associate_software_token(AccessToken=t["AccessToken"])["SecretCode"]
        return {"AccessToken": t["AccessToken"], "UserCode": pyotp.TOTP(secret).now()}

    return {
        "InitiateAuth": lambda: {"AuthFlow": "USER_PASSWORD_AUTH", "ClientId": C,
                                 "AuthParameters": {"USERNAME": w.user(), "PASSWORD": PASSWORD}},
        "RespondToAuthChallenge": respond(False),
        "AdminInitiateAuth": lambda: {"UserPoolId": P, "ClientId": C, "AuthFlow": "ADMIN_USER_PASSWORD_AUTH",
                                      "AuthParameters": {"USERNAME": w.user(), "PASSWORD": PASSWORD}},
        "AdminRespondToAuthChallenge": respond(True),
        "SignUp": lambda: {"ClientId": C, "Username": w.name(), "Password": PASSWORD},
        "ConfirmSignUp": confirm_sign_up,
        "ResendConfirmationCode": lambda: {"ClientId": C, "Username": w.unconfirmed()},
        "ForgotPassword": lambda: {"ClientId": C, "Username": w.user()},
        "ConfirmForgotPassword": confirm_forgot_password,
        "ChangePassword": lambda: {"PreviousPassword": PASSWORD, "ProposedPassword": "Fuzz-Passw0rd!3",
                                   "AccessToken": w.tokens()[1]["AccessToken"]},
        "GetUser": lambda: {"AccessToken": w.tokens()[1]["AccessToken"]},
        "UpdateUserAttributes": lambda: {"UserAttributes": [{"Name": "name", "Value": "Changed"}],
                                         "AccessToken": w.tokens()[1]["AccessToken"]},
        "GlobalSignOut": lambda: {"AccessToken": w.tokens()[1]["AccessToken"]},
        "RevokeToken": lambda: {"Token": w.tokens()[1]["RefreshToken"], "ClientId": C},
        "AdminCreateUser": lambda: {"UserPoolId": P, "Username": w.name(), "MessageAction": "SUPPRESS"},
        "AdminSetUserPassword": lambda: {"UserPoolId": P, "Username": w.user(), "Password": PASSWORD, "Permanent": True},
        "AdminGetUser": lambda: {"UserPoolId": P, "Username": w.user()},
        "AdminDeleteUser": lambda: {"UserPoolId": P, "Username": w.user()},
        "AdminDisableUser": lambda: {"UserPoolId": P, "Username": w.user()},
        "AdminEnableUser": lambda: {"UserPoolId": P, "Username": w.user()},
        "AdminUpdateUserAttributes": lambda: {"UserPoolId": P, "Username": w.user(),
                                              "UserAttributes": [{"Name": "name", "Value": "Changed"}]},
        "AdminUserGlobalSignOut": lambda: {"UserPoolId": P, "Username": w.user()},
        "ListUsers": lambda: {"UserPoolId": P, "Limit": 5},
        "CreateUserPool": lambda: {"PoolName": w.name("p")},
        "DescribeUserPool": lambda: {"UserPoolId": P},
        "ListUserPools": lambda: {"MaxResults": 10},
        "DeleteUserPool": lambda: {"UserPoolId": w.c.create_user_pool(PoolName=w.name("p"))["UserPool"]["Id"]},
        "CreateUserPoolClient": lambda: {"UserPoolId": P, "ClientName": w.name("c")},
        "DescribeUserPoolClient": lambda: {"UserPoolId": P, "ClientId": C},
        "ListUserPoolClients": lambda: {"UserPoolId": P, "MaxResults": 10},
        "CreateGroup": lambda: {"UserPoolId": P, "GroupName": w.name("g"), "Precedence": 3},
        "GetGroup": lambda: {"GroupName": w.group, "UserPoolId": P},
        "UpdateGroup": lambda: {"GroupName": w.group, "UserPoolId": P, "Description": "d"},
        "DeleteGroup": lambda: {"GroupName": w.new_group(), "UserPoolId": P},
        "ListGroups": lambda: {"UserPoolId": P, "Limit": 10},
        "AdminAddUserToGroup": lambda: {"UserPoolId": P, "Username": w.user(), "GroupName": w.group},
        "AdminRemoveUserFromGroup": lambda: {"UserPoolId": P, "Username": w.user(), "GroupName": w.group},
        "AdminListGroupsForUser": lambda: {"Username": w.user(), "UserPoolId": P},
        "ListUsersInGroup": lambda: {"UserPoolId": P, "GroupName": w.group},
        "AddCustomAttributes": lambda: {"UserPoolId": w.c.create_user_pool(PoolName=w.name("p"))["UserPool"]["Id"],
                                        "CustomAttributes": [{"Name": "tier", "AttributeDataType": "String"}]},
        "SetUserPoolMfaConfig": lambda: {"UserPoolId": w.mfa_pool, "SoftwareTokenMfaConfiguration": {"Enabled": True},
                                         "MfaConfiguration": "OPTIONAL"},
        "GetUserPoolMfaConfig": lambda: {"UserPoolId": w.mfa_pool},
        "AssociateSoftwareToken": lambda: {"AccessToken": w.tokens(w.mfa_pool, w.mfa_client)[1]["AccessToken"]},
        "VerifySoftwareToken": verify_software_token,
        "SetUserMFAPreference": lambda: {"AccessToken": w.verified_mfa_user()[1]["AccessToken"],
                                         "SoftwareTokenMfaSettings": {"Enabled": True, "PreferredMfa": True}},
        "AdminSetUserMFAPreference": lambda: {"UserPoolId": w.mfa_pool, "Username": w.verified_mfa_user()[0],
                                              "SoftwareTokenMfaSettings": {"Enabled": False}},
        "AdminConfirmSignUp": lambda: {"UserPoolId": P, "Username": w.unconfirmed()},
        "AdminResetUserPassword": lambda: {"UserPoolId": P, "Username": w.user()},
        "AdminListUserAuthEvents": lambda: {"UserPoolId": P, "Username": w.user(), "MaxResults": 10},
        "AdminDeleteUserAttributes": lambda: {"UserPoolId": P, "Username": w.user(), "UserAttributeNames": ["name"]},
        "DeleteUserAttributes": lambda: {"UserAttributeNames": ["name"], "AccessToken": w.tokens()[1]["AccessToken"]},
        "UpdateUserPool": lambda: {"UserPoolId": w.c.create_user_pool(PoolName=w.name("p"))["UserPool"]["Id"]},
        "UpdateUserPoolClient": lambda: {"UserPoolId": P, "ClientId": w.new_client()},
        "DeleteUserPoolClient": lambda: {"UserPoolId": P, "ClientId": w.new_client()},
        "CreateUserPoolDomain": lambda: {"Domain": w.name("d"),
                                         "UserPoolId": w.c.create_user_pool(PoolName=w.name("p"))["UserPool"]["Id"]},
        "DescribeUserPoolDomain": lambda: {"Domain": w.new_domain()[0]},
        "DeleteUserPoolDomain": lambda: dict(zip(("Domain", "UserPoolId"), w.new_domain())),
        "CreateResourceServer": lambda: {"UserPoolId": P, "Identifier": "https://" + w.name("rs"), "Name": "fuzz",
                                         "Scopes": [{"ScopeName": "read", "ScopeDescription": "read"}]},
        "DescribeResourceServer": lambda: {"UserPoolId": P, "Identifier": w.new_resource_server()},
        "UpdateResourceServer": lambda: {"UserPoolId": P, "Identifier": w.new_resource_server(), "Name": "renamed"},
        "DeleteResourceServer": lambda: {"UserPoolId": P, "Identifier": w.new_resource_server()},
        "ListResourceServers": lambda: {"UserPoolId": P, "MaxResults": 10},
        "GetTokensFromRefreshToken": lambda: {"RefreshToken": w.tokens()[1]["RefreshToken"], "ClientId": C},
    }


def call(stack, op, body):
    data = json.dumps(body).encode()
    req = urllib.request.Request(stack.endpoint + "/", data=data, method="POST", headers={
        "Content-Type": "application/x-amz-json-1.1",
        "X-Amz-Target": f"AWSCognitoIdentityProviderService.{op}",
        "Authorization": SIGNED,
    })
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


# --- breaking a member ------------------------------------------------------------------------

def wrong_type(shape):
    """A JSON value `shape` cannot be read as."""
    return {"string": 12345, "blob": 12345, "integer": "twelve", "long": "twelve", "boolean": "yes",
            "timestamp": "yesterday", "structure": "a string", "list": "a string", "map": "a string",
            "double": "x", "float": "x"}[shape.type_name]


# Java's \p{...} classes, near enough to pick a string a pattern refuses.
JAVA_CLASSES = {r"\p{L}": "a-zA-Z\u00c0-\u024f", r"\p{M}": "\u0300-\u036f", r"\p{S}": "$+<=>^`|~",
                r"\p{N}": "0-9", r"\p{P}": r"!-/:-@\[-`{-~", r"\p{Z}": " \u00a0"}
BAD_STRINGS = ["has space", "tab\there", "bang!", "nounderscore", "\u0000", "UPPER", "a", "-", "x" * 3]


def pattern_breaker(pattern, min_len, max_len):
    py = pattern
    for k, v in JAVA_CLASSES.items():
        py = py.replace(k, v)
    try:
        rx = re.compile(py)
    except re.error:
        return None
    for s in BAD_STRINGS:
        if min_len <= len(s) <= max_len and not rx.fullmatch(s):
            return s
    return None


def breakers(shape):
    """(description, value) pairs that break a constraint of `shape`."""
    out = []
    m = shape.metadata
    t = shape.type_name
    if t == "string":
        if "enum" in m and m["enum"]:
            out.append(("enum", "NOT_" + "A_VALUE"))
        if m.get("max") is not None and m["max"] < 100000:
            out.append(("max length", "x" * (m["max"] + 1)))
        if m.get("min", 0) > 0:
            out.append(("min length", "x" * (m["min"] - 1)))
        if m.get("pattern") and "enum" not in m:
            s = pattern_breaker(m["pattern"], m.get("min", 0), m.get("max", 10 ** 6))
            if s is not None:
                out.append(("pattern", s))
    elif t in ("integer", "long"):
        if m.get("min") is not None:
            out.append(("min value", m["min"] - 1))
        if m.get("max") is not None:
            out.append(("max value", m["max"] + 1))
    elif t == "list":
        if m.get("min", 0) > 0:
            out.append(("min items", []))
        if m.get("max") is not None and m["max"] < 1000 and shape.member.type_name == "string":
            out.append(("max items", ["x"] * (m["max"] + 1)))
    return out


def camel(name):
    return name[0].lower() + name[1:]


def answer_deviations(op_model, raw):
    """What is wrong with a 200 answer: members the model lacks, or what botocore's validator
    refuses in what its parser read."""
    problems = []
    body = json.loads(raw or b"{}")
    shape = op_model.output_shape

    def extra(value, s, at):
        if s is None or not isinstance(value, dict) or s.type_name != "structure":
            if s is not None and s.type_name == "list" and isinstance(value, list):
                for i, v in enumerate(value):
                    extra(v, s.member, f"{at}[{i}]")
            return
        for k, v in value.items():
            if k not in s.members:
                problems.append(f"{at}.{k} is not in the model")
            else:
                extra(v, s.members[k], f"{at}.{k}")

    extra(body, shape, "answer")
    if shape is not None:
        parsed = create_parser("json").parse({"body": raw or b"{}", "headers": {}, "status_code": 200}, shape)
        parsed.pop("ResponseMetadata", None)
        report = ParamValidator().validate(parsed, shape)
        if report.has_errors():
            problems.append(report.generate_report())
    return problems


@pytest.fixture(scope="module")
def world(stack):
    return World(stack)


def test_every_served_operation_is_in_the_model_and_has_a_request_here(world):
    served = served_operations()
    assert len(served) >= 50, served
    assert set(served) <= set(MODEL.operation_names)
    assert set(served) == set(requests(world)), "every served operation is fuzzed"


def test_the_model_driven_fuzz_finds_no_deviation(stack, world):
    deviations = []
    build = requests(world)
    sent = 0
    for op in served_operations():
        op_model = MODEL.operation_model(op)
        shape = op_model.input_shape
        base = build[op]()
        status, raw = call(stack, op, base)
        sent += 1
        if status != 200:
            deviations.append(f"{op}: the valid request answered {status} {raw[:300]!r}")
        else:
            deviations += [f"{op}: {p}" for p in answer_deviations(op_model, raw)]

        for member in shape.required_members:
            body = build[op]()
            body.pop(member, None)
            status, raw = call(stack, op, body)
            sent += 1
            err = json.loads(raw or b"{}")
            want = f"Value null at '{camel(member)}' failed to satisfy constraint: Member must not be null"
            if status != 400 or err.get("__type") != "InvalidParameterException" or want not in err.get("message", ""):
                deviations.append(f"{op}: without {member}: {status} {err}")

        for member, mshape in shape.members.items():
            body = build[op]()
            body[member] = wrong_type(mshape)
            status, raw = call(stack, op, body)
            sent += 1
            err = json.loads(raw or b"{}")
            if status != 400 or err.get("__type") != "SerializationException":
                deviations.append(f"{op}: {member} of the wrong type: {status} {err}")

            for what, value in breakers(mshape):
                body = build[op]()
                body[member] = value
                status, raw = call(stack, op, body)
                sent += 1
                err = json.loads(raw or b"{}")
                if (status != 400 or err.get("__type") != "InvalidParameterException"
                        or f"at '{camel(member)}" not in err.get("message", "")):
                    deviations.append(f"{op}: {member} breaking its {what} ({value!r:.40}): {status} {err}")

    assert sent > 300
    assert deviations == [], f"{len(deviations)} deviations in {sent} requests:\n" + "\n".join(deviations)
