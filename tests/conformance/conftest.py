"""A real `gatehouse up` for the conformance tests, and helpers to talk to it.

The binary is the release build (`make test` builds it); GATEHOUSE_BIN overrides the path.
Each stack gets its own state dir and free ports on 127.0.0.1.
"""

import json
import os
import pathlib
import re
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request

import boto3
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

ROOT = pathlib.Path(__file__).resolve().parents[2]
BIN = pathlib.Path(os.environ.get("GATEHOUSE_BIN", ROOT / "target" / "release" / "gatehouse"))

# Clients sign admin calls; the local pool accepts any credentials.
os.environ.setdefault("AWS_ACCESS_KEY_ID", "local")
os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "local")
os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
os.environ.pop("AWS_PROFILE", None)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


#: What a corpus template's `gatehouse up` runs with: its Rust packages build into one target
#: dir under the project's target/, not beside the public sources (or their copies), and once
#: for every test that starts them.
CORPUS_ENV = {"CARGO_TARGET_DIR": str(ROOT / "target" / "corpus")}


class Stack:
    """One running `gatehouse up`."""

    def __init__(self, state_dir, template=ROOT / "template.yaml", extra_args=(), env=None):
        self.state_dir = pathlib.Path(state_dir)
        self.env = dict(env or {})
        self.template = template
        self.extra_args = list(extra_args)
        self.port = free_port()
        self.api_port = free_port()
        self.proc = None

    @property
    def endpoint(self):
        return f"http://127.0.0.1:{self.port}"

    @property
    def api(self):
        return f"http://127.0.0.1:{self.api_port}"

    def log(self):
        return (self.state_dir / "gatehouse.log").read_text()

    def wait_log(self, pattern, timeout=5):
        """The log once `pattern` (a regex) appears in it: gatehouse writes its log lines out a
        few milliseconds after it logs them, several at a time."""
        deadline = time.time() + timeout
        while not re.search(pattern, text := self.log()):
            assert time.time() < deadline, f"{pattern!r} not in the log:\n{text[-2000:]}"
            time.sleep(0.01)
        return text

    def start(self):
        assert BIN.exists(), f"{BIN} is missing: run `cargo build --release -p gatehouse` (make test does)"
        self.state_dir.mkdir(parents=True, exist_ok=True)
        env = dict(os.environ)
        # Python bootstraps find the venv's interpreter (with awslambdaric) first.
        env["PATH"] = str(ROOT / ".venv" / "bin") + os.pathsep + env["PATH"]
        env.update(self.env)
        # The log lives in the state dir, private like everything there.
        log = os.fdopen(os.open(self.state_dir / "gatehouse.log", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w")
        self.proc = subprocess.Popen(
            [str(BIN), "up", *(["--template", str(self.template)] if self.template else []),
             "--state-dir", str(self.state_dir),
             "--cognito-port", str(self.port), "--api-port", str(self.api_port), *self.extra_args],
            stdout=subprocess.PIPE, stderr=log,
            text=True, cwd=ROOT, env=env,
        )
        # The first start builds the functions (release): allow for a cold cargo build.
        self.summary = []
        for line in self.proc.stdout:
            if line.startswith("gatehouse is up") or self.summary:
                if not line.strip():
                    break
                self.summary.append(line.rstrip("\n"))
        else:
            raise AssertionError(f"gatehouse up exited: {self.log()}")
        self.outputs = json.loads((self.state_dir / "outputs.json").read_text())
        return self

    def stop(self):
        """SIGTERM, and the process must exit cleanly."""
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            code = self.proc.wait(timeout=20)
            assert code == 0, f"gatehouse up exited {code} on SIGTERM: {self.log()}"

    def children(self):
        """Pids of the processes gatehouse started (function instances), from /proc."""
        pids = []
        for d in pathlib.Path("/proc").iterdir():
            if d.name.isdigit():
                try:
                    stat = (d / "stat").read_text()
                except OSError:
                    continue
                fields = stat.rsplit(")", 1)[1].split()
                if int(fields[1]) == self.proc.pid and fields[0] != "Z":
                    pids.append(int(d.name))
        return pids

    def instances(self):
        """Pids of the function instances among the children (the reaper is a child too)."""
        out = []
        for pid in self.children():
            try:
                env = pathlib.Path(f"/proc/{pid}/environ").read_bytes()
            except OSError:
                continue
            if b"AWS_LAMBDA_RUNTIME_API=" in env:
                out.append(pid)
        return out

    def http(self, method, path, headers=None, body=None):
        """A request to the API: (status, headers, body bytes)."""
        req = urllib.request.Request(self.api + path, data=body, headers=headers or {}, method=method)
        try:
            with urllib.request.urlopen(req, timeout=60) as resp:
                return resp.status, resp.headers, resp.read()
        except urllib.error.HTTPError as e:
            return e.code, e.headers, e.read()

    def client(self):
        return boto3.client("cognito-idp", endpoint_url=self.endpoint)

    def outbox(self):
        path = self.state_dir / "outbox.jsonl"
        return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]

    def last_message(self, to):
        for m in reversed(self.outbox()):
            if m["to"] == to:
                return m
        raise AssertionError(f"no message to {to} in the outbox")

    def raw(self, op, body, headers=None, signed=False, content_type="application/x-amz-json-1.1", data=None):
        """POST / by hand: for requests a real SDK would refuse to send."""
        h = {"Content-Type": content_type}
        if op is not None:
            h["X-Amz-Target"] = f"AWSCognitoIdentityProviderService.{op}"
        if signed:
            h["Authorization"] = "AWS4-HMAC-SHA256 Credential=local/20260101/us-east-1/cognito-idp/aws4_request, SignedHeaders=host, Signature=00"
        h.update(headers or {})
        payload = data if data is not None else json.dumps(body).encode()
        req = urllib.request.Request(self.endpoint + "/", data=payload, headers=h, method="POST")
        try:
            with urllib.request.urlopen(req, timeout=30) as resp:
                return resp.status, json.loads(resp.read() or b"{}"), resp.headers
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read() or b"{}"), e.headers


@pytest.fixture(scope="session")
def stack(tmp_path_factory):
    s = Stack(tmp_path_factory.mktemp("state")).start()
    yield s
    s.stop()


@pytest.fixture(scope="session")
def ids(stack):
    return stack.outputs["CognitoID"], stack.outputs["CognitoClientID"]


_counter = [0]


def unique_email(tag="user"):
    _counter[0] += 1
    return f"{tag}-{os.getpid()}-{_counter[0]}-{time.time_ns() % 100000}@example.com"


@pytest.fixture
def confirmed_user(stack, ids):
    """A signed-up, confirmed user: (email, password)."""
    pool_id, client_id = ids
    c = stack.client()
    email, password = unique_email(), "Passw0rd"
    c.sign_up(ClientId=client_id, Username=email, Password=password,
              UserAttributes=[{"Name": "email", "Value": email}])
    code = stack.last_message(email)["code"]
    c.confirm_sign_up(ClientId=client_id, Username=email, ConfirmationCode=code)
    return email, password


class Moto:
    """moto's server (from PyPI, in the test venv): a real DynamoDB-compatible endpoint."""

    def __init__(self):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc = subprocess.Popen([str(ROOT / ".venv" / "bin" / "moto_server"), "-H", "127.0.0.1", "-p", str(self.port)],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.time() + 30
        while True:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    break
            except OSError:
                assert self.proc.poll() is None, "moto_server exited"
                assert time.time() < deadline, "moto_server did not listen within 30 s"
                time.sleep(0.1)

    def dynamodb(self):
        return boto3.client("dynamodb", endpoint_url=self.url)

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=10)


@pytest.fixture(scope="module")
def moto():
    m = Moto()
    yield m
    m.stop()


@pytest.fixture(scope="module")
def admin(iam):
    """The local administrator's key pair of the module's `iam` stack, as `gatehouse credentials`
    prints it."""
    return admin_of(iam)


def lambda_signed(stack, function, body, headers=None):
    """The headers of a call of the stack's Lambda Invoke API for `function`, signed (service
    lambda) with the stack's administrator key pair, as boto3 signs it."""
    url = f"{stack.api}/2015-03-31/functions/{function}/invocations"
    r = AWSRequest(method="POST", url=url, data=body, headers=headers or {})
    SigV4Auth(admin_of(stack), "lambda", "us-east-1").add_auth(r)
    return dict(r.headers)


def admin_of(stack):
    """The local administrator's key pair of `stack`, as `gatehouse credentials` prints it."""
    out = subprocess.run([str(ROOT / "target" / "release" / "gatehouse"), "credentials", "--state-dir",
                          str(stack.state_dir)], capture_output=True, text=True, check=True).stdout
    env = dict(l.removeprefix("export ").split("=", 1) for l in out.splitlines() if l.startswith("export "))
    assert env["AWS_ACCESS_KEY_ID"].startswith("AKIA") and len(env["AWS_SECRET_ACCESS_KEY"]) == 40
    assert "[gatehouse]" in out
    return Credentials(env["AWS_ACCESS_KEY_ID"], env["AWS_SECRET_ACCESS_KEY"])


def sts_client(stack, creds):
    """boto3's STS client for the stack's endpoint, signing with `creds` (botocore
    Credentials, a session token included when they have one)."""
    return boto3.client("sts", endpoint_url=stack.endpoint, region_name="us-east-1",
                        aws_access_key_id=creds.access_key, aws_secret_access_key=creds.secret_key,
                        aws_session_token=getattr(creds, "token", None))


def signed(creds, method, url, body=b"", headers=None):
    """The headers botocore's SigV4Auth adds for execute-api in us-east-1."""
    r = AWSRequest(method=method, url=url, data=body, headers=headers or {})
    SigV4Auth(creds, "execute-api", "us-east-1").add_auth(r)
    return dict(r.headers)


def npm_ci(folder, marker):
    """A test folder's node_modules from its package-lock.json (`npm ci`, once: when
    node_modules/<marker> is missing)."""
    folder = pathlib.Path(folder)
    if (folder / "node_modules" / marker).exists():
        return
    if shutil.which("npm") is None:
        pytest.fail(f"npm is missing: {folder.name} needs {marker} from npm")
    done = subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=folder, capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == 0, f"npm ci in {folder} failed:\n{done.stdout}\n{done.stderr}"
