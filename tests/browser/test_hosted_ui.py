"""The hosted UI in a real browser: headless Chromium (Debian's, through Selenium) signing in to
a single-page app that uses oidc-client-ts (index.html, app.js: the code flow with PKCE and a
nonce, the endpoints given as explicit metadata since the discovery document's issuer is AWS's
string) and calls the stack's REST API with the tokens it got, across origins
(`http://localhost:<port>` for the app, the Cognito endpoint and the API on 127.0.0.1).

Pinned: (a) a user an admin created signs in with the emailed temporary password, sets a new
one on the hosted page, and the app shows what `GET /me` (ID token) and `GET /orders` (access
token with `orders/read`) answered; signing in again skips the page (the session cookie), and
after signing out through `/logout` the page is shown again; (b) a new user signs up on the
hosted page with the emailed code and lands in the app signed in; (c) a wrong password shows
"Incorrect username or password." on the sign-in page. Each page is saved as a screenshot in
the test's tmp_path and in tests/browser/screenshots/ (git-ignored).

Needs /usr/bin/chromium and /usr/bin/chromedriver (`apt-get install chromium chromium-driver`;
.ci/run installs them): skipped without them, failed under CI. oidc-client-ts comes from this
folder's package-lock.json (`npm ci`, run here when node_modules is missing)."""

import json
import pathlib
import shutil
import subprocess
import sys
import time
import types

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "conformance"))
from conftest import Stack, unique_email  # noqa: E402
from chrome import SCREENSHOTS, WAIT, AppHandler, browser, chromium, serve_app, unavailable, wait  # noqa: E402,F401

HERE = pathlib.Path(__file__).resolve().parent
STACK = ROOT / "tests" / "conformance" / "stacks" / "hosted" / "template.yaml"
BUNDLE = HERE / "node_modules" / "oidc-client-ts" / "dist" / "browser" / "oidc-client-ts.min.js"
DOMAIN = "gatehouse-test"
SCOPE = "openid email profile orders/read"
PASSWORD = "Browser-Passw0rd!"


@pytest.fixture(scope="module")
def bundle():
    if not BUNDLE.exists():
        if shutil.which("npm") is None:
            unavailable("npm is missing, and tests/browser/node_modules with it (oidc-client-ts)")
        done = subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=HERE, capture_output=True,
                              text=True, timeout=300)
        assert done.returncode == 0, f"npm ci in tests/browser failed:\n{done.stdout}\n{done.stderr}"
    assert BUNDLE.exists(), f"{BUNDLE} is missing after npm ci"
    return BUNDLE


class SpaHandler(AppHandler):
    """This folder, plus the generated /config.js, and /callback answered with index.html."""

    aliases = {"/callback": "/index.html"}


@pytest.fixture(scope="module")
def app(chromium, bundle, tmp_path_factory):
    """The app served on a free loopback port, and the stack started with that port's URLs."""
    server = serve_app(HERE, SpaHandler, "spa")
    origin = f"http://localhost:{server.server_address[1]}"
    stack = Stack(tmp_path_factory.mktemp("hosted-ui"), template=STACK, extra_args=[
        "--parameter-overrides", f"CallbackUrl={origin}/callback", f"LogoutUrl={origin}/", f"SpaOrigin={origin}"])
    try:
        stack.start()
        pool = stack.outputs["PoolId"]
        region = pool.split("_", 1)[0]
        base = f"{stack.endpoint}/{DOMAIN}"
        config = {
            "clientId": stack.outputs["SpaClientId"],
            "redirectUri": f"{origin}/callback",
            "logoutUri": f"{origin}/",
            "scope": SCOPE,
            "apiUrl": stack.outputs["ApiUrl"],
            "metadata": {
                "issuer": f"https://cognito-idp.{region}.amazonaws.com/{pool}",
                "authorization_endpoint": f"{base}/oauth2/authorize",
                "token_endpoint": f"{base}/oauth2/token",
                "userinfo_endpoint": f"{base}/oauth2/userInfo",
                "end_session_endpoint": f"{base}/logout",
                "revocation_endpoint": f"{base}/oauth2/revoke",
                "jwks_uri": f"{stack.endpoint}/{pool}/.well-known/jwks.json",
            },
        }
        server.config_js = f"window.GATEHOUSE_CONFIG = {json.dumps(config)};\n".encode()
        yield types.SimpleNamespace(stack=stack, origin=origin, pool=pool, client_id=config["clientId"],
                                    login_url=f"{base}/login")
    finally:
        stack.stop()
        server.shutdown()
        server.server_close()


@pytest.fixture
def shot(browser, tmp_path, request):
    """shot(name): the page as it is now, as NN-name.png in tmp_path and in screenshots/."""
    SCREENSHOTS.mkdir(exist_ok=True)
    for old in SCREENSHOTS.glob(f"{request.node.name}-*"):
        old.unlink()
    count = [0]

    def take(name):
        count[0] += 1
        file = f"{count[0]:02d}-{name}.png"
        assert browser.save_screenshot(str(tmp_path / file))
        assert browser.save_screenshot(str(SCREENSHOTS / f"{request.node.name}-{file}"))

    return take


def element(driver, css):
    return wait(driver, lambda d: d.find_element(By.CSS_SELECTOR, css), f"waiting for {css}")


def type_into(driver, id_, value):
    field = driver.find_element(By.ID, id_)
    field.clear()
    field.send_keys(value)


def app_loaded(driver, app):
    """The app's page once it has done its work (callback, API calls); its own errors fail."""
    wait(driver, lambda d: d.current_url.startswith(app.origin + "/")
         and d.find_element(By.CSS_SELECTOR, "body[data-ready='true']"), "waiting for the app")
    error = driver.find_element(By.ID, "app-error").text
    assert not error, f"the app failed: {error}"


def click_away(driver, id_):
    """Clicks something that leaves the page, and waits until it has."""
    body = driver.find_element(By.TAG_NAME, "body")
    driver.find_element(By.ID, id_).click()
    wait(driver, expected_conditions.staleness_of(body), f"leaving the page after #{id_}")


def answer(driver, id_):
    """What the app shows for one API call: (status, JSON)."""
    out = driver.find_element(By.ID, id_)
    status, text = out.get_attribute("data-status"), out.text
    try:
        return int(status), json.loads(text)
    except ValueError:
        raise AssertionError(f"#{id_}: HTTP {status}: {text}") from None


def sign_in_page(driver, app):
    """From the app, Sign in, and the hosted sign-in page."""
    driver.get(app.origin + "/")
    app_loaded(driver, app)
    click_away(driver, "login")
    element(driver, "form#signin")
    assert driver.current_url.startswith(app.login_url + "?"), driver.current_url


def emailed_code(stack, email):
    deadline = time.monotonic() + WAIT
    while True:
        try:
            return stack.last_message(email)["code"]
        except (AssertionError, FileNotFoundError):
            assert time.monotonic() < deadline, f"no code for {email} in the outbox"
            time.sleep(0.05)


def test_an_invited_user_signs_in_sets_a_password_and_the_app_calls_the_api(app, browser, shot):
    email = unique_email("invited")
    app.stack.client().admin_create_user(UserPoolId=app.pool, Username=email, DesiredDeliveryMediums=["EMAIL"],
                                         UserAttributes=[{"Name": "email", "Value": email},
                                                         {"Name": "email_verified", "Value": "true"}])
    temporary = app.stack.last_message(email)["temporaryPassword"]

    browser.get(app.origin + "/")
    app_loaded(browser, app)
    assert browser.find_element(By.ID, "user").text == ""
    shot("app-signed-out")
    click_away(browser, "login")
    element(browser, "form#signin")
    assert browser.current_url.startswith(app.login_url + "?")
    assert browser.find_element(By.ID, "client-name").text == "Hosted SPA"
    shot("sign-in")

    type_into(browser, "username", email)
    type_into(browser, "password", temporary)
    click_away(browser, "signin-submit")
    element(browser, "form#new-password")
    shot("new-password")
    type_into(browser, "new_password", PASSWORD)
    click_away(browser, "new-password-submit")
    app_loaded(browser, app)
    shot("app-signed-in")

    assert browser.find_element(By.ID, "user").text == email
    assert browser.find_element(By.ID, "signins").text == "1"
    status, me = answer(browser, "me")
    assert status == 200, me
    assert (me["email"], me["token_use"], me["aud"]) == (email, "id", app.client_id)
    status, orders = answer(browser, "orders")
    assert status == 200, orders
    assert (orders["token_use"], orders["client_id"]) == ("access", app.client_id)
    assert "orders/read" in orders["scope"].split()

    # Signed in on the Cognito domain: Sign in again comes straight back, no page, no password.
    click_away(browser, "login")
    wait(browser, lambda d: d.current_url.startswith(app.origin + "/")
         and d.find_element(By.ID, "signins").text == "2"
         and d.find_element(By.CSS_SELECTOR, "body[data-ready='true']"), "signing in again without the page")
    app_loaded(browser, app)
    assert answer(browser, "me")[0] == 200
    shot("app-signed-in-again")

    # Sign out through /logout: back in the app, and the next sign-in shows the page again.
    click_away(browser, "logout")
    app_loaded(browser, app)
    assert browser.current_url == app.origin + "/"
    assert browser.find_element(By.ID, "user").text == ""
    shot("app-signed-out-again")
    click_away(browser, "login")
    element(browser, "form#signin")
    shot("sign-in-after-sign-out")


def test_a_new_user_signs_up_on_the_hosted_page_and_lands_in_the_app(app, browser, shot):
    email = unique_email("newcomer")
    sign_in_page(browser, app)
    shot("sign-in")
    click_away(browser, "signup-link")
    element(browser, "form#signup")
    shot("sign-up")
    type_into(browser, "username", email)
    type_into(browser, "password", PASSWORD)
    click_away(browser, "signup-submit")
    element(browser, "form#confirm")
    shot("confirm")
    type_into(browser, "code", emailed_code(app.stack, email))
    click_away(browser, "confirm-submit")
    app_loaded(browser, app)
    shot("app-signed-in")

    assert browser.find_element(By.ID, "user").text == email
    status, me = answer(browser, "me")
    assert status == 200, me
    assert (me["email"], me["email_verified"]) == (email, "true"), "claims reach the function as strings"
    assert answer(browser, "orders")[0] == 200


def test_a_wrong_password_is_shown_on_the_sign_in_page(app, browser, shot):
    email = unique_email("known")
    c = app.stack.client()
    c.admin_create_user(UserPoolId=app.pool, Username=email, MessageAction="SUPPRESS",
                        UserAttributes=[{"Name": "email", "Value": email}, {"Name": "email_verified", "Value": "true"}])
    c.admin_set_user_password(UserPoolId=app.pool, Username=email, Password=PASSWORD, Permanent=True)

    sign_in_page(browser, app)
    type_into(browser, "username", email)
    type_into(browser, "password", "Wrong-Passw0rd!")
    click_away(browser, "signin-submit")
    error = wait(browser, lambda d: d.find_element(By.ID, "error").text.strip(), "waiting for #error")
    assert error == "Incorrect username or password."
    assert browser.find_element(By.ID, "error").get_attribute("role") == "alert"
    assert browser.find_element(By.CSS_SELECTOR, "form#signin")
    assert browser.current_url.startswith(f"{app.stack.endpoint}/{DOMAIN}/")
    shot("wrong-password")
