#!/usr/bin/env python3
"""`make bench`: gatehouse measured beside a bare hyper hello-world in the same run.

The function-path figures are also measured against their ceiling in the same run: the same
release binary and instance count driven by the thinnest Runtime API (target/release/ceiling).

Each scenario is a bounded wrk run on loopback (wrk -t1 -c50, BENCH_SECONDS each, BENCH_RUNS
times, median reported). Prints a table with ratios to the baseline and writes
bench/results.json (or BENCH_OUT). PEERS=1 adds, in the same run, ministack (the same template deployed through
its CloudFormation API, the same release binaries as its functions) and moto's InitiateAuth.
"""

import base64
import io
import json
import os
import pathlib
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import zipfile

import boto3

ROOT = pathlib.Path(__file__).resolve().parents[1]
BIN = ROOT / "target" / "release" / "gatehouse"
BASELINE = ROOT / "target" / "release" / "baseline"
CEILING = ROOT / "target" / "release" / "ceiling"
FIXTURES = ROOT / "functions" / "tests" / "fixtures"
DDB = ROOT / "bench" / "dynamodb" / "template.yaml"
SECONDS = int(os.environ.get("BENCH_SECONDS", "10"))
RUNS = int(os.environ.get("BENCH_RUNS", "3"))
CONNS = 50
os.environ.update(AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench", AWS_DEFAULT_REGION="us-east-1")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def to_ms(text):
    m = re.fullmatch(r"([\d.]+)(us|ms|s)", text)
    value, unit = float(m.group(1)), m.group(2)
    return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value


def wrk_once(url, headers=(), script=None):
    cmd = ["wrk", "-t1", f"-c{CONNS}", f"-d{SECONDS}s", "--latency"]
    for h in headers:
        cmd += ["-H", h]
    if script:
        cmd += ["-s", script]
    out = subprocess.run(cmd + [url], capture_output=True, text=True, timeout=SECONDS + 60).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    lat = dict(re.findall(r"^\s+(50|99)%\s+(\S+)\s*$", out, re.M))
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {"rps": rps, "p50_ms": to_ms(lat["50"]), "p99_ms": to_ms(lat["99"]),
            "non2xx": int(non2xx.group(1)) if non2xx else 0}


def wrk(url, headers=(), script=None, expect_ok=True):
    runs = [wrk_once(url, headers, script) for _ in range(RUNS)]
    if expect_ok and any(r["non2xx"] for r in runs):
        print(f"  warning: {url} answered non-2xx during the run", file=sys.stderr)
    return {k: statistics.median(r[k] for r in runs) for k in ("rps", "p50_ms", "p99_ms")}


def ceiling(binary, event, instances):
    """The function path's limit: the same release binary, the same instance count, driven by the
    thinnest Runtime API (bench/baseline/src/bin/ceiling.rs): invocations/s."""
    out = subprocess.run([str(CEILING), str(ROOT / "target" / "release" / binary), str(FIXTURES / event),
                          str(instances), str(SECONDS)], capture_output=True, text=True, timeout=SECONDS + 60)
    m = re.search(r"invocations/s ([\d.]+)", out.stdout)
    if not m:
        raise SystemExit(f"ceiling {binary}: {out.stderr.strip() or 'no figure'}")
    return float(m.group(1))


def rss_mb(pid):
    try:
        text = pathlib.Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0.0
    return int(re.search(r"VmRSS:\s+(\d+) kB", text).group(1)) / 1024


def children(pid):
    kids = []
    for d in pathlib.Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                fields = (d / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid and fields[0] != "Z":
                kids.append(int(d.name))
    return kids


def instances(pid):
    """gatehouse's function instances (its children but the reaper)."""
    out = []
    for k in children(pid):
        try:
            if b"AWS_LAMBDA_RUNTIME_API=" in pathlib.Path(f"/proc/{k}/environ").read_bytes():
                out.append(k)
        except OSError:
            pass
    return out


def get(url, headers=None):
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers or {}), timeout=5) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code
    except OSError:
        return None


RUNTIMES = ROOT / "bench" / "runtimes" / "template.yaml"
AUTHZ = ROOT / "bench" / "authz" / "template.yaml"


class Up:
    def __init__(self, state, template=ROOT / "template.yaml", ready="/v1/open", extra=()):
        self.state, self.api_port, self.cog_port = state, free_port(), free_port()
        self.template, self.ready, self.extra = template, ready, list(extra)

    def start(self):
        self.t0 = time.perf_counter()
        self.out = tempfile.TemporaryFile("w+")
        self.proc = subprocess.Popen([str(BIN), "up", "--template", str(self.template), "--state-dir", str(self.state),
                                      "--api-port", str(self.api_port), "--cognito-port", str(self.cog_port),
                                      *self.extra], cwd=ROOT,
                                     stdout=self.out, stderr=subprocess.DEVNULL)
        while get(f"http://127.0.0.1:{self.api_port}{self.ready}") != 200:
            if self.proc.poll() is not None:
                raise SystemExit("gatehouse up exited while starting")
            time.sleep(0.002)
        self.ready_ms = (time.perf_counter() - self.t0) * 1000
        return self

    def summary(self):
        """What `gatehouse up` printed once it served."""
        self.out.seek(0)
        return self.out.read()

    def up_ms(self):
        """The start-up time the summary gives (`gatehouse is up (N ms)`)."""
        return float(re.search(r"gatehouse is up \((\d+) ms\)", self.summary()).group(1))

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(timeout=30)


def initiate_auth_script(client_id, users, path):
    bodies = [json.dumps({"AuthFlow": "USER_PASSWORD_AUTH", "ClientId": client_id,
                          "AuthParameters": {"USERNAME": u, "PASSWORD": p}}) for u, p in users]
    lua = ["bodies = {" + ",".join(json.dumps(b) for b in bodies) + "}", "n = 0",
           'wrk.method = "POST"',
           'wrk.headers["Content-Type"] = "application/x-amz-json-1.1"',
           'wrk.headers["X-Amz-Target"] = "AWSCognitoIdentityProviderService.InitiateAuth"',
           "request = function() n = n + 1; return wrk.format(nil, nil, nil, bodies[(n % #bodies) + 1]) end"]
    pathlib.Path(path).write_text("\n".join(lua) + "\n")
    return path


def first_sign_in_ms(endpoint, client_id, user, password):
    body = json.dumps({"AuthFlow": "USER_PASSWORD_AUTH", "ClientId": client_id,
                       "AuthParameters": {"USERNAME": user, "PASSWORD": password}}).encode()
    req = urllib.request.Request(endpoint + "/", data=body, headers={
        "Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": "AWSCognitoIdentityProviderService.InitiateAuth"})
    t = time.perf_counter()
    urllib.request.urlopen(req, timeout=10).read()
    return (time.perf_counter() - t) * 1000


def make_users(c, pool, names):
    """Confirmed users with a permanent password, as the bench signs them in."""
    users = [(name, "Bench-Passw0rd") for name in names]
    for u, p in users:
        c.admin_create_user(UserPoolId=pool, Username=u, MessageAction="SUPPRESS", TemporaryPassword="Temp0rary!x")
        c.admin_set_user_password(UserPoolId=pool, Username=u, Password=p, Permanent=True)
    return users


def id_token(c, client, user):
    return c.initiate_auth(ClientId=client, AuthFlow="USER_PASSWORD_AUTH",
                           AuthParameters={"USERNAME": user[0], "PASSWORD": user[1]})["AuthenticationResult"]["IdToken"]


def sigv4_headers(url, state):
    """A request to `url` signed with the local administrator's key (`gatehouse credentials`):
    wrk replays it, and each replay is verified in full (API Gateway, too, accepts a signature
    again within its five minutes)."""
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials
    out = subprocess.run([str(BIN), "credentials", "--state-dir", str(state)], capture_output=True,
                         text=True, check=True).stdout
    env = dict(l.removeprefix("export ").split("=", 1) for l in out.splitlines() if l.startswith("export "))
    r = AWSRequest(method="GET", url=url)
    SigV4Auth(Credentials(env["AWS_ACCESS_KEY_ID"], env["AWS_SECRET_ACCESS_KEY"]), "execute-api",
              "us-east-1").add_auth(r)
    return [f"{k}: {v}" for k, v in r.headers.items()]


def authz(tmp):
    """GET through a SigV4-verified route and through a Cognito-authorized one, the same
    function behind both: req/s of each and SigV4's as a fraction of Cognito's."""
    authz_state = tmp / "authz-state"
    Up(authz_state, AUTHZ, "/az/ready").start().stop()
    up = Up(authz_state, AUTHZ, "/az/ready").start()
    try:
        api = f"http://127.0.0.1:{up.api_port}/az"
        outputs = json.loads((authz_state / "outputs.json").read_text())
        c = boto3.client("cognito-idp", endpoint_url=f"http://127.0.0.1:{up.cog_port}")
        user = make_users(c, outputs["PoolId"], ["authz@example.com"])[0]
        token = id_token(c, outputs["ClientId"], user)
        rounds = {"cognito": [], "sigv4": []}
        signed = sigv4_headers(api + "/iam", authz_state)
        runs = {"cognito": lambda: wrk_once(api + "/cognito", headers=[f"Authorization: {token}"]),
                "sigv4": lambda: wrk_once(api + "/iam", headers=signed)}
        for i in range(RUNS):
            # Alternate which route goes first, so neither always runs on a warmer machine.
            for name in (["cognito", "sigv4"] if i % 2 == 0 else ["sigv4", "cognito"]):
                rounds[name].append(runs[name]())
        for name, runs in rounds.items():
            if any(r["non2xx"] for r in runs):
                print(f"  warning: GET /az/{name} answered non-2xx during the run", file=sys.stderr)
        med = {n: {k: statistics.median(r[k] for r in runs) for k in ("rps", "p50_ms", "p99_ms")}
               for n, runs in rounds.items()}
    finally:
        up.stop()
    return {"authz_cognito_rps": med["cognito"]["rps"], "authz_cognito_p99_ms": med["cognito"]["p99_ms"],
            "sigv4_rps": med["sigv4"]["rps"], "sigv4_p99_ms": med["sigv4"]["p99_ms"],
            # Each round runs the two routes back to back: the median of the rounds' ratios
            # is steadier than a ratio of medians when the machine's speed drifts.
            "sigv4_of_cognito": statistics.median(s["rps"] / c["rps"] for c, s in zip(rounds["cognito"], rounds["sigv4"]))}


def dynamodb(tmp):
    """A route whose Python function reads one item from the engine gatehouse starts itself,
    beside the engine's own GetItem rate (wrk straight to it: the route's limit, same run); the
    engine's start-up time; and what the runtimes' SDKs (cached) add to `gatehouse up`."""
    state = tmp / "ddb-state"
    Up(state, DDB, "/ddb/item").start().stop()  # installs the SDKs and the engine, if needed
    up = Up(state, DDB, "/ddb/item").start()
    try:
        if get(f"http://127.0.0.1:{up.api_port}/ddb/node") != 200:
            raise SystemExit("the Node.js DynamoDB bench function did not answer 200")
        engine_ms = float(re.search(r"started by gatehouse, ready in (\d+) ms", up.summary()).group(1))
        e = json.loads((state / "endpoints.json").read_text())["dynamodb"]
        table = json.loads((state / "endpoints.json").read_text())["tables"][0]["name"]
        body = json.dumps({"TableName": table, "Key": {"id": {"S": "bench"}}})
        script = tmp / "getitem.lua"
        script.write_text("\n".join([
            'wrk.method = "POST"',
            'wrk.headers["Content-Type"] = "application/x-amz-json-1.0"',
            'wrk.headers["X-Amz-Target"] = "DynamoDB_20120810.GetItem"',
            f'wrk.headers["Authorization"] = "AWS4-HMAC-SHA256 Credential=local/20260101/{e["region"]}/dynamodb/aws4_request, SignedHeaders=host, Signature=00"',
            f"wrk.body = {json.dumps(body)}"]) + "\n")
        rounds = {"route": [], "engine": []}
        for _ in range(RUNS):
            rounds["engine"].append(wrk_once(e["url"] + "/", script=str(script)))
            rounds["route"].append(wrk_once(f"http://127.0.0.1:{up.api_port}/ddb/item"))
        if any(r["non2xx"] for r in rounds["route"] + rounds["engine"]):
            print("  warning: the DynamoDB route or the engine answered non-2xx during the run", file=sys.stderr)
        med = {n: {k: statistics.median(r[k] for r in runs) for k in ("rps", "p50_ms", "p99_ms")} for n, runs in rounds.items()}
    finally:
        up.stop()
    # The same stack without the engine and without the runtimes' SDKs, then with the SDKs:
    # `gatehouse is up (N ms)` of each, alternated, medians.
    starts = {"sdk": [], "none": []}
    for i in range(2 * RUNS):
        name = "sdk" if i % 2 == 0 else "none"
        extra = ["--no-dynamodb"] + ([] if name == "sdk" else ["--no-runtime-sdk"])
        u = Up(state, DDB, "/ddb/ping", extra).start()
        starts[name].append(u.up_ms())
        u.stop()
    return {"ddb_route_rps": med["route"]["rps"], "ddb_route_p99_ms": med["route"]["p99_ms"],
            "ddb_engine_getitem_rps": med["engine"]["rps"],
            "ddb_route_of_engine": statistics.median(r["rps"] / e["rps"] for r, e in zip(rounds["route"], rounds["engine"])),
            "ddb_engine_start_ms": engine_ms,
            "up_ms_with_sdks": statistics.median(starts["sdk"]), "up_ms_without_sdks": statistics.median(starts["none"])}


def moto_initiate_auth(tmp):
    port = free_port()
    proc = subprocess.Popen([str(ROOT / ".venv" / "bin" / "moto_server"), "-p", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        url = f"http://127.0.0.1:{port}"
        while get(url + "/moto-api/") is None:
            time.sleep(0.1)
        c = boto3.client("cognito-idp", endpoint_url=url)
        pool = c.create_user_pool(PoolName="bench")["UserPool"]["Id"]
        client = c.create_user_pool_client(UserPoolId=pool, ClientName="b",
                                           ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH"])["UserPoolClient"]["ClientId"]
        users = make_users(c, pool, [f"u{i}" for i in range(5)])
        return wrk(url + "/", script=initiate_auth_script(client, users, str(tmp / "moto.lua")))["rps"]
    finally:
        proc.terminate()
        proc.wait(timeout=10)


MINISTACK_VENV = ROOT / ".venv-ministack"
MINISTACK_VERSION = re.search(r"==(\S+)", (ROOT / "bench" / "ministack-requirements.txt").read_text()).group(1)


def function_zip(binary):
    """A provided.al2023 deployment package: the release binary as an executable `bootstrap`."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        info = zipfile.ZipInfo("bootstrap")
        info.external_attr = 0o100755 << 16
        z.writestr(info, (ROOT / "target" / "release" / binary).read_bytes())
    return buf.getvalue()


def ministack(tmp):
    """ministack beside us: the same template deployed through its CloudFormation API (its SAM
    transform, its REST Cognito authorizer), the same release binaries run as its local Lambda
    executor's bootstraps, driven with the same wrk runs."""
    from cfnlint.decode import cfn_yaml

    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = dict(os.environ, GATEWAY_PORT=str(port), BIND_HOST="127.0.0.1", LAMBDA_EXECUTOR="local")
    t0 = time.perf_counter()
    proc = subprocess.Popen([str(MINISTACK_VENV / "bin" / "ministack")], env=env, cwd=tmp,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        while get(url + "/_ministack/health") is None:
            if proc.poll() is not None:
                raise SystemExit("ministack exited while starting")
            time.sleep(0.05)
        s3 = boto3.client("s3", endpoint_url=url)
        s3.create_bucket(Bucket="bench-code")
        template = cfn_yaml.loads((ROOT / "template.yaml").read_text())
        del template["Globals"]["Function"]["CodeUri"]
        # ministack (1.5.33) refuses AWS::Cognito::UserPoolUser ("Unrecognized resource types");
        # the bench creates its users through the API anyway.
        del template["Resources"]["UserPoolUser"]
        for logical, binary in (("OpenFunction", "open"), ("AuthenticatedFunction", "authenticated")):
            s3.put_object(Bucket="bench-code", Key=f"{binary}.zip", Body=function_zip(binary))
            template["Resources"][logical]["Properties"]["CodeUri"] = {"Bucket": "bench-code", "Key": f"{binary}.zip"}
        cfn = boto3.client("cloudformation", endpoint_url=url)
        cfn.create_stack(StackName="bench", TemplateBody=json.dumps(template), Capabilities=["CAPABILITY_IAM"],
                         Parameters=[{"ParameterKey": "Architecture", "ParameterValue": "x86_64"}])
        cfn.get_waiter("stack_create_complete").wait(StackName="bench", WaiterConfig={"Delay": 1, "MaxAttempts": 120})
        outputs = {o["OutputKey"]: o["OutputValue"] for o in cfn.describe_stacks(StackName="bench")["Stacks"][0]["Outputs"]}
        api_id = re.match(r"https://([^.]+)\.", outputs["ApiUrl"]).group(1)
        api = f"{url}/_aws/execute-api/{api_id}/v1"
        while get(api + "/open") != 200:
            if time.perf_counter() - t0 > 120:
                raise SystemExit("ministack's GET /v1/open never answered 200")
            time.sleep(0.01)
        ready_ms = (time.perf_counter() - t0) * 1000

        c = boto3.client("cognito-idp", endpoint_url=url)
        pool, client = outputs["CognitoID"], outputs["CognitoClientID"]
        users = make_users(c, pool, [f"bench{i}@example.com" for i in range(5)])
        token = id_token(c, client, users[0])
        if get(api, {"Authorization": token}) != 200 or get(api) != 401:
            raise SystemExit("ministack did not enforce the authorizer as expected")
        open_ = wrk(api + "/open")
        auth = wrk(api, headers=[f"Authorization: {token}"])
        rss = rss_mb(proc.pid)
        kids = descendants(proc.pid)
        functions_rss = sum(rss_mb(k) for k in kids)
        initiate = wrk(url + "/", script=initiate_auth_script(client, users, str(tmp / "ministack.lua")))
        return {"open": open_, "auth": auth, "initiate": initiate, "ready_ms": ready_ms,
                "rss_mb": rss, "functions_rss_mb": functions_rss, "processes": len(kids)}
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def code_zip(folder):
    """A deployment package of a folder's files."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for f in sorted(folder.rglob("*")):
            if f.is_file():
                z.write(f, f.relative_to(folder))
    return buf.getvalue()


def ministack_runtimes(tmp):
    """ministack's warm Python and Node.js workers with the bench's functions, deployed through
    its CloudFormation API, driven with the same wrk runs."""
    from cfnlint.decode import cfn_yaml

    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = dict(os.environ, GATEWAY_PORT=str(port), BIND_HOST="127.0.0.1", LAMBDA_EXECUTOR="local")
    proc = subprocess.Popen([str(MINISTACK_VENV / "bin" / "ministack")], env=env, cwd=tmp,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        while get(url + "/_ministack/health") is None:
            if proc.poll() is not None:
                raise SystemExit("ministack exited while starting")
            time.sleep(0.05)
        s3 = boto3.client("s3", endpoint_url=url)
        s3.create_bucket(Bucket="bench-rt")
        template = cfn_yaml.loads(RUNTIMES.read_text())
        for logical, folder in (("PyHello", "py"), ("NodeHello", "node")):
            s3.put_object(Bucket="bench-rt", Key=f"{folder}.zip", Body=code_zip(RUNTIMES.parent / folder))
            template["Resources"][logical]["Properties"]["CodeUri"] = {"Bucket": "bench-rt", "Key": f"{folder}.zip"}
        cfn = boto3.client("cloudformation", endpoint_url=url)
        cfn.create_stack(StackName="rt", TemplateBody=json.dumps(template), Capabilities=["CAPABILITY_IAM"])
        cfn.get_waiter("stack_create_complete").wait(StackName="rt", WaiterConfig={"Delay": 1, "MaxAttempts": 120})
        outputs = {o["OutputKey"]: o["OutputValue"] for o in cfn.describe_stacks(StackName="rt")["Stacks"][0]["Outputs"]}
        api_id = re.match(r"https://([^.]+)\.", outputs["ApiUrl"]).group(1)
        api = f"{url}/_aws/execute-api/{api_id}/rt"
        deadline = time.perf_counter() + 120
        while get(api + "/py") != 200 or get(api + "/node") != 200:
            if time.perf_counter() > deadline:
                raise SystemExit("ministack's Python or Node.js function never answered 200")
            time.sleep(0.05)
        return {"py": wrk(api + "/py"), "node": wrk(api + "/node")}
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def descendants(pid):
    out, todo = [], [pid]
    while todo:
        kids = children(todo.pop())
        out += kids
        todo += kids
    return out


def main():
    if not shutil.which("wrk"):
        raise SystemExit("wrk is missing: apt-get install wrk (make bench does)")
    tmp = pathlib.Path(tempfile.mkdtemp(prefix="gatehouse-bench-"))
    results = {}

    port = free_port()
    base = subprocess.Popen([str(BASELINE), str(port)])
    while get(f"http://127.0.0.1:{port}/") != 200:
        time.sleep(0.01)
    baseline = wrk(f"http://127.0.0.1:{port}/")
    base.terminate()
    base.wait()
    results["baseline_rps"] = baseline["rps"]

    # A first start builds (or checks) the functions and creates the pool; the measured start
    # reopens it with the functions already built.
    state = tmp / "state"
    Up(state).start().stop()
    up = Up(state).start()
    results["cold_start_ms"] = up.ready_ms
    api = f"http://127.0.0.1:{up.api_port}"
    cognito = f"http://127.0.0.1:{up.cog_port}"
    outputs = json.loads((state / "outputs.json").read_text())
    pool, client = outputs["CognitoID"], outputs["CognitoClientID"]
    c = boto3.client("cognito-idp", endpoint_url=cognito)
    users = make_users(c, pool, [f"bench{i}@example.com" for i in range(5)])
    results["first_sign_in_ms"] = first_sign_in_ms(cognito, client, *users[0])
    token = id_token(c, client, users[0])
    # A forged token: one bit of the signature flipped, so it is well-formed and only the RSA
    # check refuses it (the first time; the authorizer remembers refused signatures).
    signed, sig = token.rsplit(".", 1)
    raw = bytearray(base64.urlsafe_b64decode(sig + "=" * (-len(sig) % 4)))
    raw[100] ^= 1
    forged = signed + "." + base64.urlsafe_b64encode(bytes(raw)).decode().rstrip("=")

    # Each function-path figure beside its ceiling, the rounds interleaved so that both see the
    # same machine: ceiling, gatehouse, ceiling, gatehouse...
    instances_per_function = 10  # gatehouse's default concurrency, which the template keeps
    rounds = {"open": [], "auth": [], "ceiling_open": [], "ceiling_auth": []}
    for _ in range(RUNS):
        rounds["ceiling_open"].append(ceiling("open", "apigw-rest-open.json", instances_per_function))
        rounds["open"].append(wrk_once(f"{api}/v1/open"))
        rounds["ceiling_auth"].append(ceiling("authenticated", "apigw-rest-cognito-authorized.json",
                                              instances_per_function))
        rounds["auth"].append(wrk_once(f"{api}/v1", headers=[f"Authorization: {token}"]))
    for name in ("open", "auth"):
        if any(r["non2xx"] for r in rounds[name]):
            print(f"  warning: GET {name} answered non-2xx during the run", file=sys.stderr)
    open_, auth = ({k: statistics.median(r[k] for r in rounds[n]) for k in ("rps", "p50_ms", "p99_ms")}
                   for n in ("open", "auth"))
    ceiling_open, ceiling_auth = statistics.median(rounds["ceiling_open"]), statistics.median(rounds["ceiling_auth"])
    results.update(ceiling_open_rps=ceiling_open, ceiling_auth_rps=ceiling_auth,
                   open_of_ceiling=open_["rps"] / ceiling_open, auth_of_ceiling=auth["rps"] / ceiling_auth)
    results["gatehouse_rss_mb"] = rss_mb(up.proc.pid)
    kids = instances(up.proc.pid)
    results["instance_rss_mb"] = max((rss_mb(k) for k in kids), default=0.0)
    results["instances"] = len(kids)
    forged_run = wrk(f"{api}/v1", headers=[f"Authorization: {forged}"], expect_ok=False)
    initiate = wrk(cognito + "/", script=initiate_auth_script(client, users, str(tmp / "auth.lua")))
    up.stop()

    results.update(open_rps=open_["rps"], auth_rps=auth["rps"], auth_p99_ms=auth["p99_ms"],
                   forged_rps=forged_run["rps"], initiate_auth_rps=initiate["rps"])

    # SigV4 against Cognito: the same function behind each (bench/authz), rounds interleaved.
    results.update(authz(tmp))

    # Python and Node.js functions (our bootstraps, the machine's interpreters).
    rt_state = tmp / "rt-state"
    Up(rt_state, RUNTIMES, "/rt/py").start().stop()
    rt = Up(rt_state, RUNTIMES, "/rt/py").start()
    rt_api = f"http://127.0.0.1:{rt.api_port}/rt"
    if get(rt_api + "/node") != 200:
        raise SystemExit("the Node.js bench function did not answer 200")
    py = wrk(rt_api + "/py")
    node = wrk(rt_api + "/node")
    results["runtime_instances"] = len(instances(rt.proc.pid))
    rt.stop()
    results.update(py_rps=py["rps"], py_p99_ms=py["p99_ms"], node_rps=node["rps"], node_p99_ms=node["p99_ms"])
    results.update(dynamodb(tmp))
    peer = None
    if os.environ.get("PEERS") == "1":
        results["moto_initiate_auth_rps"] = moto_initiate_auth(tmp)
        peer = ministack(tmp)
        peer_rt = ministack_runtimes(tmp)
        results.update(ministack_py_rps=peer_rt["py"]["rps"], ministack_py_p99_ms=peer_rt["py"]["p99_ms"],
                       ministack_node_rps=peer_rt["node"]["rps"], ministack_node_p99_ms=peer_rt["node"]["p99_ms"])
        results.update(ministack_open_rps=peer["open"]["rps"], ministack_auth_rps=peer["auth"]["rps"],
                       ministack_auth_p99_ms=peer["auth"]["p99_ms"],
                       ministack_initiate_auth_rps=peer["initiate"]["rps"],
                       ministack_cold_start_ms=peer["ready_ms"], ministack_rss_mb=peer["rss_mb"],
                       ministack_functions_rss_mb=peer["functions_rss_mb"],
                       ministack_processes=peer["processes"])

    rows = [("baseline (bare hyper)", baseline), ("GET /v1/open", open_), ("GET /v1 authenticated", auth),
            ("GET /v1 forged token (401)", forged_run), ("InitiateAuth repeated sign-in", initiate),
            ("GET through a Python function", py), ("GET through a Node.js function", node)]
    print(f"\ngatehouse bench: wrk -t1 -c{CONNS} -d{SECONDS}s, median of {RUNS}, {os.cpu_count()} cores\n")
    print(f"{'scenario':<32} {'req/s':>10} {'p50 ms':>8} {'p99 ms':>8} {'vs baseline':>12}")
    for name, r in rows:
        print(f"{name:<32} {r['rps']:>10.0f} {r['p50_ms']:>8.2f} {r['p99_ms']:>8.2f} {r['rps'] / baseline['rps']:>11.1%}")
    print(f"\nfunction path ceiling (same release binary, {instances_per_function} instances, thinnest Runtime API, no client):")
    print(f"  open          {ceiling_open:>8.0f} invocations/s; GET /v1/open at {results['open_of_ceiling']:.1%} of it")
    print(f"  authenticated {ceiling_auth:>8.0f} invocations/s; GET /v1 authenticated at {results['auth_of_ceiling']:.1%} of it")
    print(f"\nauthorization, the same function behind each (bench/authz):")
    print(f"  Cognito authorizer {results['authz_cognito_rps']:>8.0f} req/s, p99 {results['authz_cognito_p99_ms']:.2f} ms")
    print(f"  AWS_IAM (SigV4)    {results['sigv4_rps']:>8.0f} req/s, p99 {results['sigv4_p99_ms']:.2f} ms; "
          f"SigV4 at {results['sigv4_of_cognito']:.1%} of the Cognito route")
    print(f"\nDynamoDB, the engine gatehouse starts (moto's server; bench/dynamodb):")
    print(f"  GET through a Python function, one GetItem {results['ddb_route_rps']:>8.0f} req/s, p99 {results['ddb_route_p99_ms']:.2f} ms; "
          f"at {results['ddb_route_of_engine']:.1%} of the engine's own GetItem rate ({results['ddb_engine_getitem_rps']:.0f}/s, wrk straight to it)")
    print(f"  engine start-up (process start to first answer): {results['ddb_engine_start_ms']:.0f} ms, while gatehouse prepares the functions")
    print(f"  gatehouse up with the runtimes' SDKs (cached) {results['up_ms_with_sdks']:.0f} ms, without {results['up_ms_without_sdks']:.0f} ms: "
          f"+{results['up_ms_with_sdks'] - results['up_ms_without_sdks']:.0f} ms")
    print(f"\nstart to first 200 (functions built): {results['cold_start_ms']:.0f} ms")
    print(f"first sign-in (password hash check):  {results['first_sign_in_ms']:.1f} ms")
    print(f"RSS under load: gatehouse {results['gatehouse_rss_mb']:.1f} MB, largest instance {results['instance_rss_mb']:.1f} MB, "
          f"{results['instances']} function processes")
    if peer:
        m = results["moto_initiate_auth_rps"]
        print(f"\npeers, same run: ministack {MINISTACK_VERSION} (same template and release binaries), moto (InitiateAuth only)\n")
        print(f"{'scenario':<32} {'gatehouse':>10} {'ministack':>10} {'moto':>8} {'gatehouse ahead by':>19}")
        # (name, ours, ministack's, moto's, higher is better)
        for name, ours, theirs, moto, higher in (
                ("GET /v1/open req/s", open_["rps"], peer["open"]["rps"], None, True),
                ("GET /v1 authenticated req/s", auth["rps"], peer["auth"]["rps"], None, True),
                ("GET /v1 authenticated p99 ms", auth["p99_ms"], peer["auth"]["p99_ms"], None, False),
                ("InitiateAuth req/s", initiate["rps"], peer["initiate"]["rps"], m, True),
                ("GET Python function req/s", py["rps"], peer_rt["py"]["rps"], None, True),
                ("GET Python function p99 ms", py["p99_ms"], peer_rt["py"]["p99_ms"], None, False),
                ("GET Node.js function req/s", node["rps"], peer_rt["node"]["rps"], None, True),
                ("GET Node.js function p99 ms", node["p99_ms"], peer_rt["node"]["p99_ms"], None, False),
                ("start to first 200 ms", results["cold_start_ms"], peer["ready_ms"], None, False),
                ("RSS MB (server)", results["gatehouse_rss_mb"], peer["rss_mb"], None, False)):
            ahead = ours / theirs if higher else theirs / ours
            print(f"{name:<32} {ours:>10.0f} {theirs:>10.0f} {'' if moto is None else f'{moto:.0f}':>8} {ahead:>18.1f}x")
        print(f"function processes under load: gatehouse {results['instances']}, ministack {peer['processes']} "
              f"({peer['functions_rss_mb']:.0f} MB)")
    out = pathlib.Path(os.environ.get("BENCH_OUT", ROOT / "bench" / "results.json")).resolve()
    out.write_text(json.dumps({k: round(v, 3) if isinstance(v, float) else v for k, v in results.items()}, indent=2) + "\n")
    print(f"\nwrote {out}")
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
