"""The Python triggers: each prints the whole event it got on one line, then answers."""

import json
import time


def log(event):
    print("TRIGGER_EVENT " + json.dumps(event), flush=True)


def response(event):
    """The event's response object (it may arrive as {} or with its keys set to null)."""
    if not isinstance(event.get("response"), dict):
        event["response"] = {}
    return event["response"]


def pre_sign_up(event, context):
    log(event)
    email = (event["request"].get("userAttributes") or {}).get("email", "")
    if email.endswith("@auto.example"):
        response(event).update(autoConfirmUser=True, autoVerifyEmail=True)
    elif email.endswith("@blocked.example"):
        raise Exception("Invalid email domain")
    return event


def slow_pre_sign_up(event, context):
    log(event)
    time.sleep(7)
    return event


def pre_authentication(event, context):
    log(event)
    email = (event["request"].get("userAttributes") or {}).get("email", "")
    if email.startswith("nosignin"):
        raise Exception("Sign-in is closed")
    return event


def pre_token_v1(event, context):
    log(event)
    response(event)["claimsOverrideDetails"] = {
        "claimsToAddOrOverride": {"tier": "gold", "email": "overridden@example.com"},
        "claimsToSuppress": ["email_verified"],
        "groupOverrideDetails": {"groupsToOverride": ["vip"]},
    }
    return event


def pre_token_v2(event, context):
    log(event)
    response(event)["claimsAndScopeOverrideDetails"] = {
        "idTokenGeneration": {"claimsToAddOrOverride": {"tier": "platinum"}, "claimsToSuppress": []},
        "accessTokenGeneration": {
            "claimsToAddOrOverride": {"tenant": "acme"},
            "scopesToAdd": ["orders/read"],
            "scopesToSuppress": [],
        },
    }
    return event


def custom_message(event, context):
    log(event)
    source, req = event["triggerSource"], event["request"]
    if source in ("CustomMessage_SignUp", "CustomMessage_ForgotPassword"):
        name = req.get("usernameParameter") or event["userName"]
        response(event).update(
            emailSubject="Welcome " + source,
            emailMessage="Hello " + name + ", your code is " + req["codeParameter"],
        )
    elif source == "CustomMessage_AdminCreateUser":
        response(event)["emailMessage"] = "User " + req["usernameParameter"] + " password " + req["codeParameter"]
    return event


def user_migration(event, context):
    log(event)
    source, user, req = event["triggerSource"], event["userName"], event["request"]
    attributes = {"email": user, "email_verified": "true", "name": "Legacy User"}
    if (source == "UserMigration_Authentication" and user == "legacy@example.com"
            and req.get("password") == "Legacy-Passw0rd!"):
        response(event).update(userAttributes=attributes, finalUserStatus="CONFIRMED", messageAction="SUPPRESS")
        return event
    if source == "UserMigration_ForgotPassword" and user == "legacy-reset@example.com":
        response(event).update(userAttributes=attributes, messageAction="SUPPRESS")
        return event
    raise Exception("Bad credentials")
