#!/usr/bin/env python3
"""Generate a compact Fn::GetAtt / Ref type table from the CloudFormation
resource provider schemas bundled with cfn-lint.

Python 3.11, stdlib + cfnlint only.  Offline: uses only the schemas shipped in
the cfn-lint wheel (cfnlint/data/schemas/{providers,resources}); it never calls
cfn-lint's schema updater.

The attribute set is exactly cfn-lint's own (cfnlint.schema.Schema.get_atts,
i.e. cfnlint/schema/_getatts.py), so a GetAtt this table accepts is one that
cfn-lint rule E1010 accepts, and vice versa.  Each attribute's JSON type is
taken from the schema node the attribute's pointer resolves to
(RefResolver.resolve_cfn_pointer, as E1010 does), with E1010's one override
(AWS::DocDB::DBCluster.Port -> string).

Attribute names: "A.B" for nested read-only properties.  A "*" is a wildcard:
  "Outputs.*"   (AWS::CloudFormation::Stack, AWS::Serverless::Application,
                 AWS::ServiceCatalog::CloudFormationProvisionedProduct)
  "*"           (AWS::CloudFormation::CustomResource / Custom::*: anything)
  "X.*.Y"       (a read-only property inside array items; cfn-lint accepts it
                 as a regex, CloudFormation documents none of these)

Output: getatt.txt, "#" header lines, then one line per type:
  "TYPE attr:kind attr=kind ..."  (a type with no GetAtt: "TYPE")

Run from the repository root: .venv/bin/python crates/sam/data/getatt.py --out crates/sam/data
--no-array-item-attrs (cfn-lint is pinned in tests/requirements.txt).

"attr=kind" in getatt.txt marks an attribute that is
not in readOnlyProperties: cfn-lint accepts it because the type is in its
_all_property_types list or its _exceptions map; its value is the resource's
own (input) property.

kinds: string | integer | number | boolean | list | object | json
  list   = JSON array
  json   = no single type (custom resources, oneOf of different types, {})
"""
from __future__ import annotations

import argparse
import collections
import gzip
import json
import os
import sys
from pathlib import Path

import cfnlint
from cfnlint.helpers import REGIONS, ensure_list
from cfnlint.schema import PROVIDER_SCHEMA_MANAGER
from cfnlint.schema.resolver import RefResolutionError
from cfnlint.version import __version__ as CFNLINT_VERSION

PREFERRED_REGION = "us-east-1"
KINDS = ("string", "integer", "number", "boolean", "list", "object", "json")


def display_name(key: str, pointer: str) -> str:
    """cfn-lint's AttributeDict keys are regexes; turn them into plain names
    with '*' as the only wildcard."""
    if key == ".*":
        return "*"
    if key.endswith("\\..*"):
        return key[: -len("\\..*")] + ".*"
    return key.replace("\\", "")


def is_read_only(pointer: str, ro: set[str]) -> bool:
    """True when the pointer, or an ancestor of it, is in readOnlyProperties."""
    parts = pointer.split("/")
    return any("/".join(parts[:i]) in ro for i in range(3, len(parts) + 1))


def kinds_of(schema: dict, resolver, depth: int = 0) -> set[str]:
    """Set of JSON kinds a (resolved) schema node can take."""
    if depth > 20 or not isinstance(schema, dict):
        return {"json"}
    if "$ref" in schema:
        try:
            _, schema = resolver.resolve(schema["$ref"])
        except RefResolutionError:
            return {"json"}
        return kinds_of(schema, resolver, depth + 1)
    out: set[str] = set()
    for t in ensure_list(schema["type"]) if schema.get("type") else []:
        out.add({"array": "list", "null": "json"}.get(t, t))
    if not out:
        for comb in ("oneOf", "anyOf", "allOf"):
            for sub in schema.get(comb, []):
                out |= kinds_of(sub, resolver, depth + 1)
        if out and "allOf" in schema and len(out) > 1:
            out = {"json"}
    if not out:
        if "properties" in schema or "patternProperties" in schema:
            out.add("object")
        elif "items" in schema:
            out.add("list")
        elif "enum" in schema:
            for v in schema["enum"]:
                out.add(
                    "boolean" if isinstance(v, bool)
                    else "integer" if isinstance(v, int)
                    else "number" if isinstance(v, float)
                    else "string" if isinstance(v, str)
                    else "json"
                )
        elif "const" in schema:
            out.add("string" if isinstance(schema["const"], str) else "json")
    return out or {"json"}


def kind_of(schema: dict, resolver) -> str:
    ks = kinds_of(schema, resolver)
    if ks == {"integer", "number"}:
        return "number"
    if len(ks) == 1:
        return next(iter(ks))
    return "json"


def item_kind(schema: dict, resolver) -> str | None:
    if "$ref" in schema:
        try:
            _, schema = resolver.resolve(schema["$ref"])
        except RefResolutionError:
            return None
    items = schema.get("items")
    if isinstance(items, dict):
        return kind_of(items, resolver)
    return None


def ref_class(names: list[str]) -> str:
    if not names:
        return "none"
    if len(names) > 1:
        return "composite"
    n = names[0].split("/")[-1]
    low = n.lower()
    if low.endswith("arn"):
        return "arn"
    if low.endswith("name"):
        return "name"
    if low.endswith("id") and not low.endswith("identifier"):
        return "id"
    if low.endswith("url"):
        return "url"
    if low.endswith("identifier"):
        return "identifier"
    return "other"


def all_types() -> dict[str, str]:
    """type -> region to read it from (us-east-1 when it is there)."""
    where: dict[str, str] = {}
    for region in [PREFERRED_REGION] + [r for r in REGIONS if r != PREFERRED_REGION]:
        for t in PROVIDER_SCHEMA_MANAGER.get_resource_types(region):
            where.setdefault(t, region)
    return where


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=os.path.dirname(os.path.abspath(__file__)))
    ap.add_argument(
        "--no-array-item-attrs",
        action="store_true",
        help="drop X.*.Y attributes (read-only props inside arrays)",
    )
    args = ap.parse_args()
    out = Path(args.out)

    data_dir = Path(cfnlint.__file__).parent / "data" / "schemas"
    try:
        schema_date = json.loads((data_dir / "version.json").read_text())["schema_date"]
    except Exception:
        schema_date = ""

    types: dict[str, dict[str, str]] = {}
    items: dict[str, dict[str, str]] = {}
    refs: dict[str, dict] = {}
    echo: dict[str, list[str]] = {}
    unresolved: list[str] = []
    not_us_east_1: list[str] = []

    for t, region in sorted(all_types().items()):
        if region != PREFERRED_REGION:
            not_us_east_1.append(t)
        schema = PROVIDER_SCHEMA_MANAGER.get_resource_schema(region, t)
        res = schema.resolver
        attrs: dict[str, str] = {}
        ro = set(schema.schema.get("readOnlyProperties", []) or [])
        for key, pointer in schema.get_atts.data.items():
            name = display_name(key, pointer)
            if args.no_array_item_attrs and "*" in pointer.split("/"):
                continue
            try:
                node = res.resolve_cfn_pointer(pointer)
            except RefResolutionError:
                unresolved.append(f"{t}.{name} ({pointer})")
                attrs[name] = "json"
                continue
            # cfn-lint E1010's single override: input integer, output string
            if t == "AWS::DocDB::DBCluster" and name == "Port":
                node = {"type": "string"}
            k = kind_of(node, res)
            attrs[name] = k
            if not pointer.startswith("/properties/CfnLint") and not is_read_only(
                pointer, ro
            ):
                echo.setdefault(t, []).append(name)
            if k == "list":
                ik = item_kind(node, res)
                if ik and ik != "string":
                    items.setdefault(t, {})[name] = ik
        types[t] = dict(sorted(attrs.items()))

        pids = schema.schema.get("primaryIdentifier", []) or []
        ids = [p.split("/", 2)[-1].replace("/", ".") for p in pids]
        ref_schema = schema.ref  # cfn-lint's own Ref schema (_ref.py)
        shape = ref_schema.get("format") if isinstance(ref_schema, dict) else None
        refs[t] = {
            "id": ids,
            "kind": ref_class(ids),
            "type": kind_of(ref_schema, res) if ref_schema else "none",
        }
        if shape:
            refs[t]["shape"] = shape

    lines = [
        f"# generated by crates/sam/data/getatt.py from cfn-lint {CFNLINT_VERSION}"
        f" (schemas {schema_date}); licence MIT-0",
        "# TYPE attr:kind ...   kinds: string integer number boolean list object json;"
        " '*' in a name is a wildcard;",
        "# attr=kind: not a readOnlyProperty (cfn-lint allows GetAtt of an input"
        " property for this type: the value is the resource's own property)",
    ]
    for t, attrs in types.items():
        e = set(echo.get(t, ()))
        lines.append(
            " ".join([t] + [f"{a}{'=' if a in e else ':'}{k}" for a, k in attrs.items()])
        )
    txt = "\n".join(lines) + "\n"
    (out / "getatt.txt").write_text(txt)
    return 0


if __name__ == "__main__":
    sys.exit(main())
