"""Every logical id SAM generates resolves: for each template of the corpus, aws-sam-translator
(offline) translates it, and each resource in its output that the template does not define
(`MyApiProdStage`, `MyFunctionRole`, `MyFunctionGetPermissionProd`, `ServerlessHttpApi`, ...) is
named by a `Ref` in an output added to a copy of the template; gatehouse must start and resolve
every one of them.

The ids SAM derives from a hash of what it deploys cannot be known before `sam deploy` and are
left out, by their pattern: `<Api>Deployment<10 hex>` (a hash of the Python 2 repr of the API's
body), `<Fn>Version<10 hex>` (a hash of the uploaded code's S3 location) and a layer's
`<Layer><10 hex>` (a hash of its properties; `Ref <Layer>` resolves). Their referenceable
properties (`MyApi.Deployment`, `MyFunction.Version`) resolve."""

import json
import re
import shutil

import pytest

from conftest import CORPUS_ENV, Stack
from protection import _dates_as_strings, _load, translate, yaml_parse
from test_corpus import CORPUS, SAM_REFUSES, command_line, parameters_of, template_of

HASHED = re.compile(r".+(Deployment|Version)[0-9a-f]{10}")


def generated_ids(name, params, imports):
    template = template_of(name)
    cfn, _, _ = translate(template, params, imports)
    source = _load(template)
    layers = [rid for rid, r in source["Resources"].items()
              if r.get("Type") in ("AWS::Serverless::LayerVersion",)]
    return sorted(g for g in set(cfn["Resources"]) - set(source["Resources"])
                  if not HASHED.fullmatch(g)
                  and not any(re.fullmatch(re.escape(layer) + "[0-9a-f]{10}", g) for layer in layers))


@pytest.mark.parametrize("name", sorted(n for n in CORPUS if n not in SAM_REFUSES))
def test_every_id_sam_generates_resolves_in_gatehouse(name, tmp_path):
    args = CORPUS[name][0]
    params, imports = parameters_of(args)
    ids = generated_ids(name, params, imports)
    # A copy of the template's folder, the template as JSON with an output per generated id.
    folder = tmp_path / name
    shutil.copytree(template_of(name).parent, folder)
    # As written (LanguageExtensions loops too), short tags in their long form.
    doc = _dates_as_strings(yaml_parse(template_of(name).read_text()))
    outputs = doc.setdefault("Outputs", {})
    names = {}
    for i, g in enumerate(ids):
        names[f"GeneratedId{i}"] = g
        outputs[f"GeneratedId{i}"] = {"Value": {"Ref": g}}
    (folder / "generated-ids.json").write_text(json.dumps(doc))
    s = Stack(tmp_path / "state", template=folder / "generated-ids.json", extra_args=command_line(args, tmp_path),
              env=CORPUS_ENV).start()
    try:
        missing = sorted(g for k, g in names.items() if not s.outputs.get(k))
        assert not missing, f"{name}: SAM generates these, gatehouse does not resolve them: {missing}"
    finally:
        s.stop()
