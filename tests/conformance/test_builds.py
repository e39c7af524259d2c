"""Functions built as `sam build` builds them (aws-lambda-builders' workflows), before they
start: `BuildMethod: esbuild` with its BuildProperties (TypeScript to an ES module with a
bundled npm dependency and a source map; an ES module bundled to CommonJS by the default
format) and `BuildMethod: makefile` (`make build-<LogicalId>` in a copy of the sources, with
ARTIFACTS_DIR). The functions run from what the build made; a second start builds nothing
unless a source changed. The start-up summary names the builds, the transforms and the
generated ids the template refers to."""

import json
import re
import shutil

import pytest

from conftest import ROOT, Stack

STACK = ROOT / "tests" / "conformance" / "stacks" / "builds"


def summary_line(s, key):
    line = next((l for l in s.summary if l.strip().startswith(key)), None)
    assert line, "\n".join(s.summary)
    return line


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    folder = tmp_path_factory.mktemp("builds") / "app"
    shutil.copytree(STACK, folder)
    return folder


def test_each_build_method_runs_and_the_function_runs_what_it_made(app, tmp_path):
    state = tmp_path / "state"
    s = Stack(state, template=app / "template.yaml").start()
    try:
        built = summary_line(s, "built ")
        assert re.search(r"built +3 in [\d.]+ s: ", built), built
        for fn, method in [("TypeScriptFunction", "esbuild"), ("EsModuleFunction", "esbuild"),
                           ("MadeFunction", "makefile")]:
            assert re.search(rf"{fn} \({method}, [\d.]+ s\)", built), built
        assert summary_line(s, "transforms").split()[1:] == ["AWS::Serverless-2016-10-31"]
        assert "BuildsApibStage" in summary_line(s, "generated ids")
        assert s.outputs["StageName"] == "b"

        status, _, body = s.http("GET", "/b/ts")
        assert status == 200, body
        b = json.loads(body)
        # TypeScript transpiled, `ms` bundled from the installed package.json, an ES module
        # (import.meta) in app.mjs (OutExtension), as Format: esm makes it.
        assert b == {"path": "/ts", "twoDays": 172800000, "file": "app.mjs"}
        out = state / "build" / "TypeScriptFunction"
        assert sorted(p.name for p in out.iterdir()) == ["app.mjs", "app.mjs.map"]

        status, _, body = s.http("GET", "/b/esm")
        assert status == 200, body
        assert json.loads(body) == {"moduleKind": "cjs"}, "bundled to CommonJS, esbuild's default"

        status, _, body = s.http("GET", "/b/made")
        assert status == 200, body
        b = json.loads(body)
        assert b["made_in"] == "MadeFunction", "make ran in a scratch copy of the sources"
        assert b["files"] == ["app.py", "made.py"], "the function runs from ARTIFACTS_DIR alone"
        assert not (app / "py" / "made.py").exists()
    finally:
        s.stop()

    # Unchanged sources: nothing is built again.
    s = Stack(state, template=app / "template.yaml").start()
    try:
        built = summary_line(s, "built ")
        assert built.count("unchanged") == 3, built
        assert s.http("GET", "/b/ts")[0] == 200
    finally:
        s.stop()

    # One source changed: that function alone is built again, and runs the change.
    (app / "esm" / "handler.js").write_text(
        'export const handler = async () => ({statusCode: 201, body: "edited"});\n')
    s = Stack(state, template=app / "template.yaml").start()
    try:
        built = summary_line(s, "built ")
        assert re.search(r"EsModuleFunction \(esbuild, [\d.]+ s\)", built), built
        assert built.count("unchanged") == 2, built
        status, _, body = s.http("GET", "/b/esm")
        assert (status, body) == (201, b"edited")
    finally:
        s.stop()


def test_a_build_that_fails_stops_the_start_with_the_tools_message(tmp_path):
    folder = tmp_path / "app"
    shutil.copytree(STACK, folder)
    (folder / "ts" / "app.ts").write_text("export const handler = async ( => 1;\n")
    s = Stack(tmp_path / "state", template=folder / "template.yaml")
    with pytest.raises(Exception):
        s.start()
    log = s.log()
    assert "TypeScriptFunction: BuildMethod esbuild did not build" in log, log
    assert "app.ts" in log and "ERROR" in log, log
