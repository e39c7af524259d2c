"""A real `gatehouse up` for the conformance tests, and helpers to talk to it.

The binary is the release build (`make test` builds it); GATEHOUSE_BIN overrides the path.
Each stack gets its own state dir and free ports on 127.0.0.1.
"""

import json
import os
import pathlib
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request

import boto3
import pytest

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


class Stack:
    """One running `gatehouse up`."""

    def __init__(self, state_dir, template=ROOT / "template.yaml", extra_args=()):
        self.state_dir = pathlib.Path(state_dir)
        self.template = template
        self.extra_args = list(extra_args)
        self.port = free_port()
        self.proc = None

    @property
    def endpoint(self):
        return f"http://127.0.0.1:{self.port}"

    def start(self):
        assert BIN.exists(), f"{BIN} is missing: run `cargo build --release -p gatehouse` (make test does)"
        self.proc = subprocess.Popen(
            [str(BIN), "up", "--template", str(self.template), "--state-dir", str(self.state_dir),
             "--cognito-port", str(self.port), *self.extra_args],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT,
        )
        deadline = time.time() + 60
        for line in self.proc.stdout:
            if line.startswith("gatehouse is up"):
                break
            if time.time() > deadline:
                break
        else:
            raise AssertionError(f"gatehouse up exited: {self.proc.stderr.read()}")
        self.outputs = json.loads((self.state_dir / "outputs.json").read_text())
        return self

    def stop(self):
        """SIGTERM, and the process must exit cleanly."""
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            code = self.proc.wait(timeout=20)
            assert code == 0, f"gatehouse up exited {code} on SIGTERM: {self.proc.stderr.read()}"

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
