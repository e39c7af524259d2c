"""What the browser tests share: Debian's headless Chromium through Selenium (a fresh profile
per test, a screenshot and the page's HTML on failure), waiting for a condition, the rule
that a missing tool skips on a developer's machine and fails under CI, and the static app
server (a folder plus the generated /config.js)."""

import functools
import http.server
import os
import pathlib
import threading

import pytest
from selenium import webdriver
from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException, TimeoutException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.support.ui import WebDriverWait

HERE = pathlib.Path(__file__).resolve().parent
SCREENSHOTS = HERE / "screenshots"
CHROMIUM = pathlib.Path("/usr/bin/chromium")
CHROMEDRIVER = pathlib.Path("/usr/bin/chromedriver")
WAIT = 10  # seconds for any one step
POLL = 0.1
CHROME_FLAGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--no-first-run", "--window-size=1280,1000"]


def unavailable(reason):
    """Skips on a developer's machine without the tool; fails under CI, where it must be there."""
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (CI is set, so this is a failure, not a skip)")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def chromium():
    for tool in (CHROMIUM, CHROMEDRIVER):
        if not tool.exists():
            unavailable(f"{tool} is missing: apt-get install chromium chromium-driver")


@pytest.fixture
def browser(chromium, tmp_path, request):
    """A fresh headless Chromium (its own profile, so no cookie from another test); on a
    failure, a last screenshot and the page's HTML go beside the others."""
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in CHROME_FLAGS + [f"--user-data-dir={tmp_path / 'profile'}"]:
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(executable_path=str(CHROMEDRIVER)), options=options)
    driver.set_page_load_timeout(WAIT)
    failed_before = request.session.testsfailed
    yield driver
    try:
        if request.session.testsfailed > failed_before:
            SCREENSHOTS.mkdir(exist_ok=True)
            for folder, prefix in ((tmp_path, ""), (SCREENSHOTS, f"{request.node.name}-")):
                driver.save_screenshot(str(folder / f"{prefix}failure.png"))
                (folder / f"{prefix}failure.html").write_text(f"<!-- {driver.current_url} -->\n{driver.page_source}")
    finally:
        driver.quit()


def wait(driver, condition, what):
    try:
        return WebDriverWait(driver, WAIT, poll_frequency=POLL,
                             ignored_exceptions=(NoSuchElementException, StaleElementReferenceException)).until(condition)
    except TimeoutException:
        raise AssertionError(f"{what}: not within {WAIT} s; at {driver.current_url}:\n{driver.page_source[:3000]}") from None


class AppHandler(http.server.SimpleHTTPRequestHandler):
    """A folder, plus the server's generated /config.js; `aliases` maps other paths to files."""

    aliases = {}

    def do_GET(self):
        path, _, _ = self.path.partition("?")
        if path == "/config.js":
            body = self.server.config_js
            self.send_response(200)
            self.send_header("Content-Type", "text/javascript; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(body)
            return
        if path in self.aliases:
            self.path = self.aliases[path]
        super().do_GET()

    def log_message(self, format, *args):
        pass


def serve_app(directory, handler=AppHandler, name="app"):
    """`directory` served on a free loopback port in a thread; set `server.config_js` to the
    page's configuration. Shut it down with `server.shutdown()` and `server.server_close()`."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(handler, directory=str(directory)))
    server.daemon_threads = True
    server.config_js = b"window.GATEHOUSE_CONFIG = null;\n"
    threading.Thread(target=server.serve_forever, name=name, daemon=True).start()
    return server
