"""`make bench` keeps working: bench/bench.py, run briefly (1 s per scenario, once), prints its
table and writes every figure the README reports. It asserts no timing: only that each scenario
ran and answered, and that the functions never ran more instances than their concurrency limit."""

import json
import os
import pathlib
import shutil
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
KEYS = ["baseline_rps", "open_rps", "auth_rps", "auth_p99_ms", "forged_rps", "initiate_auth_rps",
        "cold_start_ms", "gatehouse_rss_mb", "instance_rss_mb", "instances", "py_rps", "py_p99_ms",
        "node_rps", "node_p99_ms", "runtime_instances", "ceiling_open_rps", "ceiling_auth_rps",
        "open_of_ceiling", "auth_of_ceiling", "authz_cognito_rps", "sigv4_rps", "sigv4_of_cognito"]


def test_bench_runs_and_writes_every_figure(tmp_path):
    if not shutil.which("wrk"):
        if os.environ.get("CI"):
            pytest.fail("wrk is missing: .ci/run installs it")
        pytest.skip("wrk is not installed (apt-get install wrk)")
    subprocess.run(["cargo", "build", "--release", "-q", "-p", "gatehouse", "-p", "baseline", "-p", "functions"],
                   cwd=ROOT, check=True)
    out = tmp_path / "results.json"
    env = dict(os.environ, BENCH_SECONDS="1", BENCH_RUNS="1", BENCH_OUT=str(out), PEERS="")
    run = subprocess.run([sys.executable, str(ROOT / "bench" / "bench.py")], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stdout + run.stderr
    for row in ("baseline (bare hyper)", "GET /v1/open", "GET /v1 authenticated", "GET /v1 forged token (401)",
                "InitiateAuth repeated sign-in", "start to first 200", "GET through a Python function",
                "GET through a Node.js function", "function path ceiling", "AWS_IAM (SigV4)"):
        assert row in run.stdout, run.stdout
    # The authenticated and open runs answered 2xx throughout (bench.py warns otherwise).
    assert "answered non-2xx" not in run.stderr, run.stderr
    results = json.loads(out.read_text())
    for key in KEYS:
        assert results[key] > 0, (key, results)
    # The fractions are the figures over their ceilings, as printed.
    assert abs(results["open_of_ceiling"] - results["open_rps"] / results["ceiling_open_rps"]) < 0.01, results
    assert abs(results["sigv4_of_cognito"] - results["sigv4_rps"] / results["authz_cognito_rps"]) < 0.01, results
    # Two functions, each at most ReservedConcurrentExecutions (else 10) instances.
    assert results["instances"] <= 20, results
