"""A second `gatehouse up` on the same state dir keeps ids, users, passwords and keys."""

import jwt

from conftest import Stack


def test_restart_keeps_ids_users_passwords_and_keys(tmp_path):
    first = Stack(tmp_path).start()
    try:
        pool_id, client_id = first.outputs["CognitoID"], first.outputs["CognitoClientID"]
        c = first.client()
        temporary = first.last_message("test@example.com")["temporaryPassword"]
        challenge = c.initiate_auth(ClientId=client_id, AuthFlow="USER_PASSWORD_AUTH",
                                    AuthParameters={"USERNAME": "test@example.com", "PASSWORD": temporary})
        tokens = c.admin_respond_to_auth_challenge(
            UserPoolId=pool_id, ClientId=client_id, ChallengeName="NEW_PASSWORD_REQUIRED", Session=challenge["Session"],
            ChallengeResponses={"USERNAME": "test@example.com", "NEW_PASSWORD": "Testing1"})["AuthenticationResult"]
        invitations = len(first.outbox())
    finally:
        first.stop()

    second = Stack(tmp_path)
    second.port = first.port
    second.api_port = first.api_port
    second.start()
    try:
        assert second.outputs == first.outputs, "same pool and client ids"
        assert len(second.outbox()) == invitations, "the template user is not invited again"
        iss = f"https://cognito-idp.us-east-1.amazonaws.com/{pool_id}"
        key = jwt.PyJWKClient(f"{second.endpoint}/{pool_id}/.well-known/jwks.json").get_signing_key_from_jwt(tokens["IdToken"]).key
        claims = jwt.decode(tokens["IdToken"], key, algorithms=["RS256"], audience=client_id, issuer=iss)
        assert claims["email"] == "test@example.com"
        c = second.client()
        c.initiate_auth(ClientId=client_id, AuthFlow="USER_PASSWORD_AUTH",
                        AuthParameters={"USERNAME": "test@example.com", "PASSWORD": "Testing1"})
        refreshed = c.initiate_auth(ClientId=client_id, AuthFlow="REFRESH_TOKEN_AUTH",
                                    AuthParameters={"REFRESH_TOKEN": tokens["RefreshToken"]})
        assert "IdToken" in refreshed["AuthenticationResult"]
        assert c.get_user(AccessToken=tokens["AccessToken"])["Username"] == claims["sub"]
    finally:
        second.stop()


def test_second_up_on_a_busy_port_says_which_flag_to_pass(stack, tmp_path):
    import subprocess
    from conftest import BIN, ROOT
    out = subprocess.run([str(BIN), "up", "--state-dir", str(tmp_path), "--cognito-port", str(stack.port)],
                         capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert out.returncode == 1
    assert f"port {stack.port}" in out.stderr and "--cognito-port" in out.stderr
