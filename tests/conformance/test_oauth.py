"""The hosted UI and the OAuth 2.0 endpoints of a pool with a domain (stacks/hosted), used as a
web app and its users use them: Authlib's OAuth2Session (PKCE S256) for the protocol, the
hosted pages' HTML forms posted with `requests` (no browser: tests/browser/ drives one), and
PyJWT against the pool's JWKS for the tokens. Everything is served on the Cognito endpoint under
`/<domain>/` (`/gatehouse-test/oauth2/authorize`, `/gatehouse-test/login`, ...).

Pinned: `/oauth2/authorize` sends the user to `/login` with the same query, and an unknown
client or an unregistered redirect URI to `/error?error=redirect_mismatch` (a 400 page); the
sign-in page (the client's name, "Incorrect username or password.", the sign-up and
forgot-password links), the first sign-in's new-password page with the policy's error, the TOTP
step, sign-up with the emailed code, forgot password; the code grant (state kept, PKCE verifier
checked, the code good once, ID token `nonce`, access token `scope` with the granted scopes and
`version` 2), refresh, the implicit grant (tokens in the fragment, no refresh token), client
credentials (Basic and body, custom scopes only, no `username`; refused to a public client);
the REST API's Cognito authorizer on those tokens (`AuthorizationScopes`); userInfo (only for a
token holding `openid`); revoke (then refreshing is `invalid_grant`); the session cookie (a
later authorize skips the page) and logout (to a registered LogoutURL, else redirect_mismatch);
the discovery document's endpoints and AWS's issuer."""

import base64
import json
import time
from html.parser import HTMLParser
from urllib.parse import parse_qs, urlencode, urljoin, urlsplit

import jwt
import pyotp
import pytest
import requests
from authlib.common.security import generate_token
from authlib.integrations.requests_client import OAuth2Session, OAuthError

from conftest import ROOT, Stack, unique_email

STACK = ROOT / "tests" / "conformance" / "stacks" / "hosted" / "template.yaml"
DOMAIN = "gatehouse-test"
CALLBACK = "http://localhost:3999/callback"
LOGOUT = "http://localhost:3999/"
SCOPE = "openid email profile orders/read"
GRANTED = {"openid", "email", "profile", "orders/read"}
PASSWORD = "Hosted-Passw0rd!"
REDIRECTS = (301, 302, 303, 307, 308)


@pytest.fixture(scope="module")
def h(tmp_path_factory):
    s = Stack(tmp_path_factory.mktemp("hosted"), template=STACK).start()
    yield s
    s.stop()


def url(h, path):
    """An endpoint of the pool's domain: `url(h, "oauth2/token")`."""
    return f"{h.endpoint}/{DOMAIN}/{path}"


def issuer(h):
    return f"https://cognito-idp.us-east-1.amazonaws.com/{h.outputs['PoolId']}"


def make_user(h, email=None, password=PASSWORD):
    """A confirmed user with a verified email and a permanent password: the email."""
    email = email or unique_email("hosted")
    c, pool = h.client(), h.outputs["PoolId"]
    c.admin_create_user(UserPoolId=pool, Username=email, MessageAction="SUPPRESS",
                        UserAttributes=[{"Name": "email", "Value": email},
                                        {"Name": "email_verified", "Value": "true"}])
    c.admin_set_user_password(UserPoolId=pool, Username=email, Password=password, Permanent=True)
    return email


def spa(h, **kwargs):
    """The public SPA client as an Authlib session (PKCE S256, client_id in the body)."""
    kwargs.setdefault("scope", SCOPE)
    return OAuth2Session(h.outputs["SpaClientId"], redirect_uri=CALLBACK, code_challenge_method="S256",
                         token_endpoint_auth_method="none", revocation_endpoint_auth_method="none", **kwargs)


def captured(session, hook):
    """The raw responses Authlib sees at `hook` (access_token_response, refresh_token_response)."""
    seen = []

    def keep(resp):
        seen.append(resp)
        return resp

    session.register_compliance_hook(hook, keep)
    return seen


def verify(h, token, audience=None):
    """The claims of a token signed by one of the pool's keys (its local JWKS), with AWS's issuer."""
    jwks = jwt.PyJWKClient(f"{h.endpoint}/{h.outputs['PoolId']}/.well-known/jwks.json")
    key = jwks.get_signing_key_from_jwt(token).key
    return jwt.decode(token, key, algorithms=["RS256"], issuer=issuer(h), audience=audience,
                      options={"verify_aud": audience is not None})


# --- the hosted pages, as plain HTML -----------------------------------------------------------

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


class Form:
    def __init__(self, page, attrs, controls):
        action = attrs.get("action")
        self.action = urljoin(page.url, action) if action else page.url
        self.method = (attrs.get("method") or "get").upper()
        self.names = {a["name"] for _, a in controls if a.get("name")}
        # What a browser sends untouched: hidden and prefilled inputs, checked boxes, and the
        # name of the first submit button if it has one (the one pressed).
        self.fields, pressed = {}, False
        for tag, a in controls:
            name = a.get("name")
            kind = (a.get("type") or ("submit" if tag == "button" else "text")).lower()
            if tag == "button" or kind in ("submit", "image", "reset", "button"):
                if kind == "submit" and not pressed:
                    pressed = True
                    if name:
                        self.fields[name] = a.get("value", "")
                continue
            if not name or kind == "file" or tag in ("select", "textarea"):
                continue
            if kind in ("checkbox", "radio") and "checked" not in a:
                continue
            self.fields[name] = a.get("value", "")


class Page(HTMLParser):
    """A hosted page: its elements by id (tag, attributes, text) and its forms by id."""

    def __init__(self, response):
        super().__init__(convert_charrefs=True)
        self.url, self.status, self.headers = response.url, response.status_code, response.headers
        self.html = response.text
        self.elements, self._forms, self._open, self._form = {}, {}, [], None
        self.feed(self.html)
        self.close()
        while self._open:
            self._done(self._open.pop())

    def handle_starttag(self, tag, attrs):
        attrs = {k: (v if v is not None else "") for k, v in attrs}
        if tag == "form":
            self._form = (attrs, [])
            if "id" in attrs:
                self._forms[attrs["id"]] = self._form
        elif tag in ("input", "button", "select", "textarea") and self._form is not None:
            self._form[1].append((tag, attrs))
        if tag in VOID:
            if "id" in attrs:
                self.elements[attrs["id"]] = (tag, attrs, "")
        else:
            self._open.append((tag, attrs, []))

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        if tag in VOID:
            return
        for i in range(len(self._open) - 1, -1, -1):
            if self._open[i][0] == tag:
                while len(self._open) > i:
                    self._done(self._open.pop())
                return

    def handle_data(self, data):
        for _, _, text in self._open:
            text.append(data)

    def _done(self, element):
        tag, attrs, text = element
        if "id" in attrs:
            self.elements[attrs["id"]] = (tag, attrs, " ".join("".join(text).split()))

    def has(self, id_):
        return id_ in self.elements

    def text(self, id_):
        assert id_ in self.elements, f"no #{id_} on {self.url} ({self.status}):\n{self.html[:3000]}"
        return self.elements[id_][2]

    def attrs(self, id_):
        assert id_ in self.elements, f"no #{id_} on {self.url} ({self.status}):\n{self.html[:3000]}"
        return self.elements[id_][1]

    def form(self, id_):
        assert id_ in self._forms, f"no form#{id_} on {self.url} ({self.status}):\n{self.html[:3000]}"
        attrs, controls = self._forms[id_]
        return Form(self, attrs, controls)


def walk(h, browser, method, target, **kwargs):
    """One request, then its redirects while they stay on the Cognito endpoint. A redirect
    elsewhere (the app's callback or logout URL, where nothing listens) is returned unfollowed."""
    r = browser.request(method, target, allow_redirects=False, timeout=30, **kwargs)
    for _ in range(10):
        if r.status_code not in REDIRECTS:
            return r
        nxt = urljoin(r.url, r.headers["Location"])
        if not nxt.startswith(h.endpoint + "/"):
            return r
        r = browser.get(nxt, allow_redirects=False, timeout=30)
    raise AssertionError(f"more than 10 redirects from {target}")


def location(r):
    assert r.status_code in REDIRECTS, f"{r.status_code} from {r.url}, not a redirect:\n{r.text[:3000]}"
    return urljoin(r.url, r.headers["Location"])


def submit(h, browser, form, **values):
    """Posts a form as a browser would, with `values` typed into the named fields."""
    missing = set(values) - form.names
    assert not missing, f"the form has no field {sorted(missing)} (it has {sorted(form.names)})"
    data = {**form.fields, **values}
    if form.method == "POST":
        return walk(h, browser, "POST", form.action, data=data)
    return walk(h, browser, "GET", form.action, params=data)


def page(r):
    assert r.status_code not in REDIRECTS, f"a redirect to {r.headers.get('Location')}, not a page"
    return Page(r)


def sign_in(h, browser, authorize_url, email, password=PASSWORD):
    """authorize -> the sign-in page -> its form: the redirect's Location (the app's callback)."""
    r = walk(h, browser, "GET", authorize_url)
    if r.status_code in REDIRECTS:
        return location(r)  # the session cookie skipped the page
    r = submit(h, browser, page(r).form("signin"), username=email, password=password)
    if r.status_code not in REDIRECTS:
        p = Page(r)
        raise AssertionError(f"the sign-in did not redirect: {p.elements.get('error', p.html[:2000])}")
    return location(r)


def code_flow(h, email, browser=None, nonce=None):
    """A code grant with PKCE, end to end: (tokens, the Authlib session, the callback URL, the
    code verifier)."""
    client = spa(h)
    verifier = generate_token(48)
    authorize_url, state = client.create_authorization_url(url(h, "oauth2/authorize"), code_verifier=verifier,
                                                           nonce=nonce)
    callback = sign_in(h, browser or requests.Session(), authorize_url, email)
    tokens = client.fetch_token(url(h, "oauth2/token"), authorization_response=callback, state=state,
                                code_verifier=verifier)
    return tokens, client, callback, verifier


def api(h, method, path, token):
    status, _, body = h.http(method, path, {"Authorization": token})
    return status, json.loads(body or b"null")


# --- the tests -----------------------------------------------------------------------------------

def test_the_code_grant_with_pkce_end_to_end(h):
    email = make_user(h)
    client = spa(h)
    seen = captured(client, "access_token_response")
    verifier, nonce = generate_token(48), generate_token(24)
    authorize_url, state = client.create_authorization_url(url(h, "oauth2/authorize"), code_verifier=verifier,
                                                           nonce=nonce)
    query = parse_qs(urlsplit(authorize_url).query)
    assert query["code_challenge_method"] == ["S256"] and query["code_challenge"]

    browser = requests.Session()
    r = browser.get(authorize_url, allow_redirects=False, timeout=30)
    assert r.status_code == 302, r.text
    login = location(r)
    assert login.startswith(f"{h.endpoint}/{DOMAIN}/login?")
    assert parse_qs(urlsplit(login).query) == query, "the sign-in page gets the same query"

    p = page(walk(h, browser, "GET", login))
    assert p.status == 200
    assert p.headers["Content-Type"].startswith("text/html")
    assert p.text("client-name") == "Hosted SPA"
    assert p.has("signup-link") and p.has("forgot-link")
    assert p.attrs("password")["type"] == "password" and p.attrs("username")["name"] == "username"
    form = p.form("signin")
    assert form.method == "POST"

    r = submit(h, browser, form, username=email, password=PASSWORD)
    assert r.status_code == 302
    callback = location(r)
    assert callback.startswith(CALLBACK + "?")
    params = parse_qs(urlsplit(callback).query)
    assert params["state"] == [state] and params["code"][0]

    tokens = client.fetch_token(url(h, "oauth2/token"), authorization_response=callback, state=state,
                                code_verifier=verifier)
    assert seen[0].status_code == 200
    assert seen[0].headers["Content-Type"].startswith("application/json")
    assert {"access_token", "id_token", "refresh_token"} <= set(tokens)
    assert (tokens["token_type"], tokens["expires_in"]) == ("Bearer", 3600)

    spa_id = h.outputs["SpaClientId"]
    idc = verify(h, tokens["id_token"], audience=spa_id)
    assert (idc["token_use"], idc["nonce"], idc["email"]) == ("id", nonce, email)
    ac = verify(h, tokens["access_token"])
    assert (ac["token_use"], ac["client_id"], ac["version"]) == ("access", spa_id, 2)
    assert set(ac["scope"].split()) == GRANTED, "the scopes asked for that the client allows"
    assert ac["sub"] == idc["sub"] and "username" in ac

    # The REST API's Cognito authorizer: the ID token where no scope is set, the access token
    # where its scope is one of the method's, refused where it is not.
    status, body = api(h, "GET", "/v/me", tokens["id_token"])
    assert (status, body["email"]) == (200, email)
    status, body = api(h, "GET", "/v/orders", tokens["access_token"])
    assert status == 200 and "orders/read" in body["scope"].split()
    assert api(h, "POST", "/v/orders", tokens["access_token"]) == (401, {"message": "Unauthorized"})
    assert api(h, "GET", "/v/orders", tokens["id_token"])[0] == 401, "an ID token has no scope"


def test_a_wrong_code_verifier_is_invalid_grant(h):
    email = make_user(h)
    client = spa(h)
    authorize_url, state = client.create_authorization_url(url(h, "oauth2/authorize"), code_verifier=generate_token(48))
    callback = sign_in(h, requests.Session(), authorize_url, email)
    with pytest.raises(OAuthError) as e:
        client.fetch_token(url(h, "oauth2/token"), authorization_response=callback, state=state,
                           code_verifier=generate_token(48))
    assert e.value.error == "invalid_grant"


def test_a_code_is_good_once(h):
    email = make_user(h)
    tokens, client, callback, verifier = code_flow(h, email)
    assert tokens["access_token"]
    code = parse_qs(urlsplit(callback).query)["code"][0]
    with pytest.raises(OAuthError) as e:
        client.fetch_token(url(h, "oauth2/token"), authorization_response=callback, code_verifier=verifier)
    assert e.value.error == "invalid_grant"
    # As the wire shows it: 400 and JSON.
    r = requests.post(url(h, "oauth2/token"), timeout=30, data={
        "grant_type": "authorization_code", "client_id": h.outputs["SpaClientId"], "code": code,
        "redirect_uri": CALLBACK, "code_verifier": verifier})
    assert r.status_code == 400
    assert r.headers["Content-Type"].startswith("application/json")
    assert r.json()["error"] == "invalid_grant"


def test_refresh_through_the_token_endpoint(h):
    email = make_user(h)
    tokens = code_flow(h, email)[0]
    client = spa(h, scope=None)
    seen = captured(client, "refresh_token_response")
    refreshed = client.refresh_token(url(h, "oauth2/token"), refresh_token=tokens["refresh_token"])
    raw = seen[0].json()
    assert seen[0].status_code == 200
    assert {"access_token", "id_token"} <= set(raw) and "refresh_token" not in raw, "no rotation"
    assert (raw["token_type"], raw["expires_in"]) == ("Bearer", 3600)
    ac = verify(h, refreshed["access_token"])
    assert ac["version"] == 2 and set(ac["scope"].split()) == GRANTED
    assert verify(h, refreshed["id_token"], audience=h.outputs["SpaClientId"])["email"] == email


def test_the_implicit_grant_answers_in_the_fragment(h):
    email = make_user(h)
    client = spa(h)
    nonce = generate_token(24)
    authorize_url, state = client.create_authorization_url(url(h, "oauth2/authorize"), response_type="token",
                                                           nonce=nonce)
    callback = sign_in(h, requests.Session(), authorize_url, email)
    parts = urlsplit(callback)
    assert callback.startswith(CALLBACK + "#") and not parts.query
    fragment = parse_qs(parts.fragment)
    assert fragment["token_type"] == ["Bearer"] and fragment["expires_in"] == ["3600"]
    assert fragment["state"] == [state]
    assert "refresh_token" not in fragment and "code" not in fragment
    token = client.token_from_fragment(callback, state)
    idc = verify(h, token["id_token"], audience=h.outputs["SpaClientId"])
    assert (idc["nonce"], idc["email"]) == (nonce, email)
    ac = verify(h, token["access_token"])
    assert ac["version"] == 2 and set(ac["scope"].split()) == GRANTED


@pytest.mark.parametrize("auth_method", ["client_secret_basic", "client_secret_post"])
def test_client_credentials_give_a_token_with_custom_scopes_only(h, auth_method):
    machine, secret = h.outputs["MachineClientId"], h.outputs["MachineClientSecret"]
    client = OAuth2Session(machine, secret, token_endpoint_auth_method=auth_method, scope="orders/read")
    sent = []
    client.register_compliance_hook("access_token_response", lambda r: sent.append(r.request) or r)
    token = client.fetch_token(url(h, "oauth2/token"), grant_type="client_credentials")
    request = sent[0]
    if auth_method == "client_secret_basic":
        assert request.headers["Authorization"] == "Basic " + base64.b64encode(f"{machine}:{secret}".encode()).decode()
        assert "client_secret" not in request.body
    else:
        assert "Authorization" not in request.headers and "client_secret=" in request.body
    assert set(token) >= {"access_token", "token_type", "expires_in"}
    assert "refresh_token" not in token and "id_token" not in token
    assert (token["token_type"], token["expires_in"]) == ("Bearer", 3600)
    claims = verify(h, token["access_token"])
    assert claims["scope"] == "orders/read"
    assert (claims["sub"], claims["client_id"], claims["token_use"], claims["version"]) == (machine, machine, "access", 2)
    assert "username" not in claims and "cognito:groups" not in claims

    # Without a scope: every custom scope the client allows.
    bare = OAuth2Session(machine, secret, token_endpoint_auth_method=auth_method)
    assert verify(h, bare.fetch_token(url(h, "oauth2/token"), grant_type="client_credentials")["access_token"])["scope"] == "orders/read"

    # A wrong secret is invalid_client.
    wrong = OAuth2Session(machine, "not-the-secret", token_endpoint_auth_method=auth_method, scope="orders/read")
    with pytest.raises(OAuthError) as e:
        wrong.fetch_token(url(h, "oauth2/token"), grant_type="client_credentials")
    assert e.value.error == "invalid_client"


def test_a_client_credentials_token_at_the_rest_api(h):
    machine = h.outputs["MachineClientId"]
    client = OAuth2Session(machine, h.outputs["MachineClientSecret"], scope="orders/read")
    access = client.fetch_token(url(h, "oauth2/token"), grant_type="client_credentials")["access_token"]
    status, body = api(h, "GET", "/v/orders", access)
    assert status == 200, body
    assert (body["client_id"], body["scope"], body["token_use"]) == (machine, "orders/read", "access")
    assert "username" not in body
    assert api(h, "POST", "/v/orders", access) == (401, {"message": "Unauthorized"}), "orders/write is not held"
    assert api(h, "GET", "/v/me", access)[0] == 401, "no scopes on the method: an ID token is wanted"


def test_client_credentials_are_refused_to_the_public_client(h):
    client = OAuth2Session(h.outputs["SpaClientId"], token_endpoint_auth_method="none", scope="orders/read")
    with pytest.raises(OAuthError) as e:
        client.fetch_token(url(h, "oauth2/token"), grant_type="client_credentials")
    assert e.value.error in ("unauthorized_client", "invalid_client")


def test_userinfo_needs_an_access_token_with_openid(h):
    email = make_user(h)
    tokens = code_flow(h, email)[0]
    r = requests.get(url(h, "oauth2/userInfo"), headers={"Authorization": f"Bearer {tokens['access_token']}"}, timeout=30)
    assert r.status_code == 200, r.text
    assert r.headers["Content-Type"].startswith("application/json")
    info = r.json()
    idc, ac = verify(h, tokens["id_token"], audience=h.outputs["SpaClientId"]), verify(h, tokens["access_token"])
    assert (info["sub"], info["username"], info["email"]) == (idc["sub"], ac["username"], email)
    assert info["email_verified"] == "true", "a string, as AWS writes it"

    # An access token from InitiateAuth holds only aws.cognito.signin.user.admin.
    plain = h.client().initiate_auth(ClientId=h.outputs["SpaClientId"], AuthFlow="USER_PASSWORD_AUTH",
                                     AuthParameters={"USERNAME": email, "PASSWORD": PASSWORD})
    r = requests.get(url(h, "oauth2/userInfo"), timeout=30,
                     headers={"Authorization": f"Bearer {plain['AuthenticationResult']['AccessToken']}"})
    assert r.status_code in (400, 401), r.text
    assert "error=" in r.headers.get("WWW-Authenticate", "")

    # A token that is no token, and none at all.
    for headers in ({"Authorization": "Bearer not.a.token"}, {}):
        r = requests.get(url(h, "oauth2/userInfo"), headers=headers, timeout=30)
        assert r.status_code in (400, 401) and "error=" in r.headers.get("WWW-Authenticate", ""), headers


def test_a_revoked_refresh_token_no_longer_refreshes(h):
    email = make_user(h)
    tokens = code_flow(h, email)[0]
    client = spa(h, scope=None)
    r = client.revoke_token(url(h, "oauth2/revoke"), token=tokens["refresh_token"])
    assert (r.status_code, r.content) == (200, b"")
    with pytest.raises(OAuthError) as e:
        client.refresh_token(url(h, "oauth2/token"), refresh_token=tokens["refresh_token"])
    assert e.value.error == "invalid_grant"
    # The access tokens issued from it go too; revoking again is still 200.
    r = requests.get(url(h, "oauth2/userInfo"), headers={"Authorization": f"Bearer {tokens['access_token']}"}, timeout=30)
    assert r.status_code == 401 and "invalid_token" in r.headers.get("WWW-Authenticate", "")
    assert client.revoke_token(url(h, "oauth2/revoke"), token=tokens["refresh_token"]).status_code == 200

    # Not a refresh token; no token; bad client credentials.
    access = h.client().initiate_auth(ClientId=h.outputs["SpaClientId"], AuthFlow="USER_PASSWORD_AUTH",
                                      AuthParameters={"USERNAME": email, "PASSWORD": PASSWORD})["AuthenticationResult"]["AccessToken"]
    r = requests.post(url(h, "oauth2/revoke"), data={"token": access, "client_id": h.outputs["SpaClientId"]}, timeout=30)
    assert (r.status_code, r.json()["error"]) == (400, "unsupported_token_type")
    r = requests.post(url(h, "oauth2/revoke"), data={"client_id": h.outputs["SpaClientId"]}, timeout=30)
    assert (r.status_code, r.json()["error"]) == (400, "invalid_request")
    r = requests.post(url(h, "oauth2/revoke"), data={"token": tokens["refresh_token"]}, timeout=30,
                      auth=(h.outputs["MachineClientId"], "not-the-secret"))
    assert (r.status_code, r.json()["error"]) == (401, "invalid_client")


def test_the_session_cookie_and_logout(h):
    email = make_user(h)
    browser = requests.Session()
    code_flow(h, email, browser=browser)

    # Signed in on the domain: the next authorize for the client goes straight back with a code.
    client = spa(h)
    verifier = generate_token(48)
    authorize_url, state = client.create_authorization_url(url(h, "oauth2/authorize"), code_verifier=verifier)
    r = walk(h, browser, "GET", authorize_url)
    callback = location(r)
    assert callback.startswith(CALLBACK + "?") and parse_qs(urlsplit(callback).query)["state"] == [state]
    client.fetch_token(url(h, "oauth2/token"), authorization_response=callback, state=state, code_verifier=verifier)

    query = {"client_id": h.outputs["SpaClientId"]}
    r = browser.get(url(h, "logout") + "?" + urlencode({**query, "logout_uri": LOGOUT}), allow_redirects=False, timeout=30)
    assert (r.status_code, location(r)) == (302, LOGOUT)
    p = page(walk(h, browser, "GET", authorize_url))
    assert p.status == 200 and p.form("signin"), "signed out: the sign-in page again"

    r = browser.get(url(h, "logout") + "?" + urlencode({**query, "logout_uri": "http://localhost:3999/elsewhere"}),
                    allow_redirects=False, timeout=30)
    assert_redirect_mismatch(h, browser, r, h.outputs["SpaClientId"])


def assert_redirect_mismatch(h, browser, r, client_id):
    target = location(r)
    assert r.status_code == 302
    parts = urlsplit(target)
    assert target.startswith(h.endpoint + "/") and parts.path == f"/{DOMAIN}/error", target
    query = parse_qs(parts.query)
    assert query["error"] == ["redirect_mismatch"] and query["client_id"] == [client_id]
    shown = browser.get(target, allow_redirects=False, timeout=30)
    assert shown.status_code == 400
    assert shown.headers["Content-Type"].startswith("text/html")


@pytest.mark.parametrize("change", ["redirect_uri", "extended_redirect_uri", "client_id"])
def test_an_unknown_client_or_redirect_uri_is_redirect_mismatch(h, change):
    query = {"response_type": "code", "client_id": h.outputs["SpaClientId"], "redirect_uri": CALLBACK,
             "scope": "openid", "state": "s1"}
    if change == "redirect_uri":
        query["redirect_uri"] = "http://localhost:4000/callback"
    elif change == "extended_redirect_uri":
        query["redirect_uri"] = CALLBACK + "/more"
    else:
        query["client_id"] = "1example23456789abcdefghij"
    browser = requests.Session()
    r = browser.get(url(h, "oauth2/authorize") + "?" + urlencode(query), allow_redirects=False, timeout=30)
    assert_redirect_mismatch(h, browser, r, query["client_id"])


def test_authorize_errors_with_a_good_client_go_back_to_the_app(h):
    base = {"client_id": h.outputs["SpaClientId"], "redirect_uri": CALLBACK, "state": "s2"}
    for query in ({**base}, {**base, "response_type": "code", "code_challenge": "x" * 43, "code_challenge_method": "plain"}):
        r = requests.get(url(h, "oauth2/authorize") + "?" + urlencode(query), allow_redirects=False, timeout=30)
        back = location(r)
        assert back.startswith(CALLBACK + "?"), back
        assert parse_qs(urlsplit(back).query)["error"] == ["invalid_request"]


def test_the_sign_in_page_says_a_wrong_password_is_wrong(h):
    email = make_user(h)
    client = spa(h)
    authorize_url, _ = client.create_authorization_url(url(h, "oauth2/authorize"), code_verifier=generate_token(48))
    browser = requests.Session()
    r = submit(h, browser, page(walk(h, browser, "GET", authorize_url)).form("signin"),
               username=email, password="Wrong-Passw0rd!")
    p = page(r)
    assert p.text("error") == "Incorrect username or password."
    assert p.attrs("error")["role"] == "alert"
    assert p.form("signin"), "the form is shown again"


def test_a_first_sign_in_sets_a_new_password_on_the_hosted_page(h):
    email = unique_email("invited")
    pool = h.outputs["PoolId"]
    h.client().admin_create_user(UserPoolId=pool, Username=email, DesiredDeliveryMediums=["EMAIL"],
                                 UserAttributes=[{"Name": "email", "Value": email},
                                                 {"Name": "email_verified", "Value": "true"}])
    temporary = h.last_message(email)["temporaryPassword"]
    client = spa(h)
    verifier = generate_token(48)
    authorize_url, state = client.create_authorization_url(url(h, "oauth2/authorize"), code_verifier=verifier)
    browser = requests.Session()
    r = submit(h, browser, page(walk(h, browser, "GET", authorize_url)).form("signin"),
               username=email, password=temporary)
    p = page(r)
    assert p.attrs("new_password")["type"] == "password"
    assert p.has("new-password-submit")
    p = page(submit(h, browser, p.form("new-password"), new_password="short"))
    assert "Password did not conform with policy" in p.text("error")
    r = submit(h, browser, p.form("new-password"), new_password=PASSWORD)
    callback = location(r)
    assert callback.startswith(CALLBACK + "?")
    tokens = client.fetch_token(url(h, "oauth2/token"), authorization_response=callback, state=state,
                                code_verifier=verifier)
    assert verify(h, tokens["id_token"], audience=h.outputs["SpaClientId"])["email"] == email
    assert h.client().admin_get_user(UserPoolId=pool, Username=email)["UserStatus"] == "CONFIRMED"


def test_sign_up_on_the_hosted_page_with_the_emailed_code(h):
    email = unique_email("signup")
    client = spa(h)
    verifier = generate_token(48)
    authorize_url, state = client.create_authorization_url(url(h, "oauth2/authorize"), code_verifier=verifier)
    browser = requests.Session()
    login = page(walk(h, browser, "GET", authorize_url))
    signup_url = urljoin(login.url, login.attrs("signup-link")["href"])
    assert urlsplit(signup_url).path == f"/{DOMAIN}/signup"
    assert parse_qs(urlsplit(signup_url).query)["client_id"] == [h.outputs["SpaClientId"]]
    p = page(walk(h, browser, "GET", signup_url))
    p = page(submit(h, browser, p.form("signup"), username=email, password=PASSWORD))
    assert p.has("confirm-submit")
    r = submit(h, browser, p.form("confirm"), code=h.last_message(email)["code"])
    callback = location(r)
    assert callback.startswith(CALLBACK + "?") and parse_qs(urlsplit(callback).query)["state"] == [state]
    tokens = client.fetch_token(url(h, "oauth2/token"), authorization_response=callback, state=state,
                                code_verifier=verifier)
    idc = verify(h, tokens["id_token"], audience=h.outputs["SpaClientId"])
    assert (idc["email"], idc["email_verified"]) == (email, True)


def test_forgot_password_on_the_hosted_pages(h):
    email = make_user(h)
    client = spa(h)
    authorize_url, _ = client.create_authorization_url(url(h, "oauth2/authorize"), code_verifier=generate_token(48))
    browser = requests.Session()
    login = page(walk(h, browser, "GET", authorize_url))
    p = page(walk(h, browser, "GET", urljoin(login.url, login.attrs("forgot-link")["href"])))
    assert urlsplit(p.url).path == f"/{DOMAIN}/forgotPassword"
    p = page(submit(h, browser, p.form("forgot"), username=email))
    assert p.has("reset-submit")
    p = page(submit(h, browser, p.form("reset"), code=h.last_message(email)["code"], password="Reset-Passw0rd!"))
    assert p.text("message"), "a word that the password changed"
    callback = location(submit(h, browser, p.form("signin"), username=email, password="Reset-Passw0rd!"))
    assert callback.startswith(CALLBACK + "?") and parse_qs(urlsplit(callback).query)["code"]


def test_a_user_with_totp_gets_the_code_step(h):
    c, pool = h.client(), h.outputs["PoolId"]
    c.set_user_pool_mfa_config(UserPoolId=pool, SoftwareTokenMfaConfiguration={"Enabled": True},
                               MfaConfiguration="OPTIONAL")
    email = make_user(h)
    access = c.initiate_auth(ClientId=h.outputs["SpaClientId"], AuthFlow="USER_PASSWORD_AUTH",
                             AuthParameters={"USERNAME": email, "PASSWORD": PASSWORD})["AuthenticationResult"]["AccessToken"]
    totp = pyotp.TOTP(c.associate_software_token(AccessToken=access)["SecretCode"])
    assert c.verify_software_token(AccessToken=access, UserCode=totp.now())["Status"] == "SUCCESS"
    c.set_user_mfa_preference(AccessToken=access, SoftwareTokenMfaSettings={"Enabled": True, "PreferredMfa": True})

    client = spa(h)
    verifier = generate_token(48)
    authorize_url, state = client.create_authorization_url(url(h, "oauth2/authorize"), code_verifier=verifier)
    browser = requests.Session()
    r = submit(h, browser, page(walk(h, browser, "GET", authorize_url)).form("signin"), username=email, password=PASSWORD)
    p = page(r)
    assert p.has("code") and p.has("mfa-submit")
    # The next step's code: one step of skew is accepted, and it is not the one just used.
    r = submit(h, browser, p.form("mfa"), code=totp.at(int(time.time()), counter_offset=1))
    callback = location(r)
    tokens = client.fetch_token(url(h, "oauth2/token"), authorization_response=callback, state=state,
                                code_verifier=verifier)
    assert verify(h, tokens["id_token"], audience=h.outputs["SpaClientId"])["email"] == email


def test_the_discovery_document_lists_the_local_endpoints(h):
    pool = h.outputs["PoolId"]
    r = requests.get(f"{h.endpoint}/{pool}/.well-known/openid-configuration", timeout=30)
    assert r.status_code == 200
    doc = r.json()
    assert doc["issuer"] == issuer(h), "AWS's issuer string, not the local URL"
    assert doc["authorization_endpoint"] == url(h, "oauth2/authorize")
    assert doc["token_endpoint"] == url(h, "oauth2/token")
    assert doc["userinfo_endpoint"] == url(h, "oauth2/userInfo")
    assert doc["end_session_endpoint"] == url(h, "logout")
    assert doc["revocation_endpoint"] == url(h, "oauth2/revoke")
    assert doc["jwks_uri"] == f"{h.endpoint}/{pool}/.well-known/jwks.json"
    assert set(doc["response_types_supported"]) == {"code", "token"}
    assert {"client_secret_basic", "client_secret_post"} <= set(doc["token_endpoint_auth_methods_supported"])

    # An OAuth client configured from the document (its endpoints given explicitly, since the
    # issuer is not where the document was found) gets a token.
    machine = OAuth2Session(h.outputs["MachineClientId"], h.outputs["MachineClientSecret"],
                            token_endpoint=doc["token_endpoint"], scope="orders/read")
    assert machine.fetch_token(grant_type="client_credentials")["access_token"]

    # The outputs, and the pool id as a prefix too.
    assert h.outputs["Domain"] == DOMAIN
    described = h.client().describe_user_pool_client(UserPoolId=pool, ClientId=h.outputs["MachineClientId"])
    assert h.outputs["MachineClientSecret"] == described["UserPoolClient"]["ClientSecret"]
    assert h.outputs["ApiUrl"] == f"{h.api}/v"
    query = urlencode({"response_type": "code", "client_id": h.outputs["SpaClientId"], "redirect_uri": CALLBACK,
                       "scope": "openid", "state": "s3"})
    r = requests.get(f"{h.endpoint}/{pool}/oauth2/authorize?{query}", allow_redirects=False, timeout=30)
    assert r.status_code == 302
    login = urlsplit(location(r))
    assert login.path.endswith("/login") and parse_qs(login.query) == parse_qs(query)
