"""An independent oracle of how each route of a SAM template is protected.

It reads only the CloudFormation that SAM's own translator (aws-sam-translator, run offline)
makes of the template, never anything of gatehouse's; gatehouse prints its own table in the same
row format and a test compares the two.

    python tests/conformance/protection.py <template> [Name=Value ...] [--import-values FILE.json]

prints the rows as a JSON list, one a line, sorted. A row: {"api": logical id, as
"<NestedStackId>/<ApiId>" in a nested stack; "kind": "rest"|"http"; "stage": name, None when no
stage deploys the API; "method": "GET"|...|"ANY"; "path": "/items/{id}"|"$default"; "auth":
"NONE"|"AWS_IAM"|"COGNITO_USER_POOLS"|"CUSTOM"|"JWT"; "authorizer": name|None; "scopes": sorted;
"api_key": bool}. Values it cannot resolve (intrinsics in a stage name, path part, authorizer
name) are "?". Before translating it does what `sam deploy` and CloudFormation would: local
CodeUri/ContentUri/DefinitionUri/Location become S3 URLs (a Function without code gets its folder),
a local `AWS::Include` is inlined, `Fn::ImportValue` takes the value given for the export.

What SAM does that may surprise (read in samtranslator 1.115.0):
- A DefaultAuthorizer (REST, HTTP) and REST `Auth.ApiKeyRequired` also apply to a DefinitionBody's
  own methods, but only those with an `x-amazon-apigateway-integration` (base_editor.py
  method_definition_has_integration, via swagger.py iter_on_all_methods_for_path and open_api.py
  set_path_default_authorizer); an explicit `security: []` does not opt out, the default replaces
  it (swagger.py set_path_default_authorizer; open_api.py `if existing_security: continue`).
- REST Cors adds an OPTIONS method (mock integration) to every path lacking one before Auth runs
  (api_generator.py _construct_rest_api: _add_cors, then _add_auth), so preflights get the
  DefaultAuthorizer unless AddDefaultAuthorizerToCorsPreflight is false, and the API key unless
  AddApiKeyRequiredToCorsPreflight is false (both default true: api_generator.py AuthProperties;
  swagger.py set_path_default_apikey_required).
- AWS_IAM is a scheme "AWS_IAM" with `x-amazon-apigateway-authtype: awsSigv4` (swagger.py
  add_awsiam_security_definition; apigatewayv2.py generate_openapi); the API key is a separate
  requirement `{"api_key": []}` naming `{type: apiKey, name: x-api-key, in: header}` (swagger.py
  add_apikey_security_definition, set_path_default_apikey_required). An event's `Authorizer: NONE`
  / `ApiKeyRequired: false` become markers "NONE" / "api_key_false" that are removed again.
- Without OpenApiVersion SAM's Deployment has `StageName: Stage`, an extra stage "Stage" on AWS
  (api_generator.py _construct_deployment). We list the stages of AWS::ApiGateway::Stage
  resources, and Deployment StageNames only for an API that has no Stage resource; routes are
  repeated per stage.
- HTTP: the "$default" stage resource is <Api>ApiGatewayDefaultStage (http_api_generator.py
  _construct_stage); with FailOnWarnings the path "$default" becomes "/$default"
  (_update_default_path). Both mean the $default route.
Not modelled: Fn::If in a DefinitionBody's paths, resource Conditions, WebSocket APIs, the routes
of Serverless Application Repository apps (SAM would fetch their template).
"""

import datetime
import json
import logging
import os
import pathlib
import re
import sys

os.environ["AWS_DEFAULT_REGION"] = "us-east-1"
logging.getLogger("samtranslator").setLevel(logging.ERROR)  # feature-toggle and metrics chatter

from samtranslator.translator.transform import transform  # noqa: E402
from samtranslator.yaml_helper import yaml_parse  # noqa: E402

BUCKET = "gatehouse-oracle"
URI_KEYS = ("CodeUri", "ContentUri", "DefinitionUri")
REST_METHODS = {"get", "put", "post", "delete", "options", "head", "patch"}
ANY = "x-amazon-apigateway-any-method"


class AnyPolicy(dict):
    """Managed policy map that knows every name (role_constructor.py calls .get and tests truth)."""
    def get(self, name, default=None):
        return f"arn:aws:iam::aws:policy/{name}"
    __missing__ = get
    def __bool__(self):
        return True


class Loader:
    load = AnyPolicy


# ---------------------------------------------------------------- what `sam deploy` does first

def _dates_as_strings(node):
    """PyYAML reads `Version: 2012-10-17` as a date; CloudFormation (and `sam`) keep the string."""
    if isinstance(node, dict):
        return {k: _dates_as_strings(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_dates_as_strings(v) for v in node]
    return node.isoformat() if isinstance(node, datetime.date) else node


def _load(path):
    sam = _dates_as_strings(yaml_parse(pathlib.Path(path).read_text()))
    transforms = sam.get("Transform")
    transforms = transforms if isinstance(transforms, list) else [transforms]
    if LANGUAGE_EXTENSIONS in transforms:
        sam = _language_extensions(path)
        sam["Transform"] = [t for t in transforms if t != LANGUAGE_EXTENSIONS]
    return sam


LANGUAGE_EXTENSIONS = "AWS::LanguageExtensions"


def _language_extensions(path):
    """The template with AWS::LanguageExtensions applied by cfn-lint's implementation of it (the
    translator does not apply it; CloudFormation does, before SAM). cfn-lint substitutes a loop's
    `${Id}` only inside `Fn::Sub` (a plain string keeps it); CloudFormation's documentation says
    every instance is replaced, which is what gatehouse does: the routes do not depend on it."""
    from cfnlint.decode import decode
    from cfnlint.template import Template
    from cfnlint.template.transforms._language_extensions import language_extension

    parsed, errors = decode(str(path))
    assert not errors, errors
    problems, out = language_extension(Template(str(path), parsed, regions=["us-east-1"]))
    assert out is not None and not problems, problems
    return _dates_as_strings(json.loads(json.dumps(out, default=str)))


def _is_local(value):
    return isinstance(value, str) and not re.match(r"^(s3|https?)://", value)


def _inline_includes(node, base):
    """Replace `Fn::Transform: {Name: AWS::Include, Parameters: {Location: <local>}}` by the file."""
    if isinstance(node, list):
        return [_inline_includes(v, base) for v in node]
    if not isinstance(node, dict):
        return node
    t = node.get("Fn::Transform")
    if isinstance(t, dict) and t.get("Name") == "AWS::Include":
        loc = (t.get("Parameters") or {}).get("Location")
        if _is_local(loc):
            included = _inline_includes(_load(base / loc), (base / loc).parent)
            rest = _inline_includes({k: v for k, v in node.items() if k != "Fn::Transform"}, base)
            return {**rest, **included} if rest else included
    return {k: _inline_includes(v, base) for k, v in node.items()}


def _sub(value, values):
    """A string, or Ref/Fn::Sub of parameters, resolved; else None."""
    if isinstance(value, (str, int, float)):  # as CloudFormation passes them: true, not True
        return str(value).lower() if isinstance(value, bool) else str(value)
    if isinstance(value, dict) and len(value) == 1:
        (fn, arg), = value.items()
        if fn == "Ref" and isinstance(arg, str):
            return values.get(arg)
        if fn == "Fn::Sub" and isinstance(arg, str):
            names = re.findall(r"\$\{([^}!]+)\}", arg)
            if all(n in values for n in names):
                return re.sub(r"\$\{([^}!]+)\}", lambda m: str(values[m.group(1)]), arg)
    return None


def _import_values(node, values, imports):
    if isinstance(node, list):
        return [_import_values(v, values, imports) for v in node]
    if not isinstance(node, dict):
        return node
    if set(node) == {"Fn::ImportValue"}:
        name = _sub(node["Fn::ImportValue"], values)
        if name in imports:
            return imports[name]
    return {k: _import_values(v, values, imports) for k, v in node.items()}


def _resolve(value, values):
    v = _sub(value, values)
    return "?" if v is None else v


def _prepare(template_path, parameters, imports):
    """The parsed template ready for the translator, its parameter values, and its nested stacks."""
    base = template_path.parent
    sam = _inline_includes(_load(template_path), base)
    values = {k: v for k, p in (sam.get("Parameters") or {}).items()
              if isinstance(p, dict) and (v := _sub(p.get("Default"), {})) is not None}
    values.update(parameters, **{"AWS::Region": "us-east-1", "AWS::AccountId": "123456789012", "AWS::Partition": "aws",
                                 "AWS::URLSuffix": "amazonaws.com", "AWS::StackName": template_path.parent.name})
    sam = _import_values(sam, values, imports)
    sections = [p for p in (sam.get("Globals") or {}).values() if isinstance(p, dict)]
    code = {"CodeUri", "InlineCode", "ImageUri"}
    global_fn = (sam.get("Globals") or {}).get("Function") or {}
    nested = []
    for rid, res in (sam.get("Resources") or {}).items():
        props = res.get("Properties") if isinstance(res, dict) else None
        if not isinstance(props, dict):
            continue
        if res.get("Type", "").startswith("AWS::Serverless::"):
            sections.append(props)
        if (res.get("Type") == "AWS::Serverless::Function" and not code & (set(props) | set(global_fn))
                and props.get("PackageType", global_fn.get("PackageType")) != "Image"):
            props["CodeUri"] = "."  # `sam package` uploads the template's folder
        key = {"AWS::Serverless::Application": "Location",
               "AWS::CloudFormation::Stack": "TemplateURL"}.get(res.get("Type"))
        if key and _is_local(props.get(key)):
            nested.append((rid, base / props[key], props.get("Parameters") or {}))
            props[key] = f"https://{BUCKET}.s3.amazonaws.com/{props[key]}"
        elif key == "Location" and isinstance(props.get(key), dict):
            # A Serverless Application Repository app: SAM would fetch its template (boto3).
            props[key] = f"https://{BUCKET}.s3.amazonaws.com/serverless-repo-app.yaml"
    for props in sections:
        for key in URI_KEYS:
            if _is_local(props.get(key)):
                props[key] = f"s3://{BUCKET}{(base / props[key]).resolve()}"  # key: the path sans "/"
    return sam, values, nested


# ---------------------------------------------------------------- reading the CloudFormation

def _classify(scheme, kind):
    """AWS_IAM, COGNITO_USER_POOLS, CUSTOM, JWT or API_KEY for a security scheme; else None."""
    if not isinstance(scheme, dict):
        return None
    authtype = str(scheme.get("x-amazon-apigateway-authtype", "")).lower()
    authorizer = scheme.get("x-amazon-apigateway-authorizer")
    aztype = str(authorizer.get("type", "")).lower() if isinstance(authorizer, dict) else ""
    if authtype == "awssigv4":
        return "AWS_IAM"
    if kind == "http":
        return {"jwt": "JWT", "request": "CUSTOM"}.get(aztype)
    if "cognito_user_pools" in (authtype, aztype):
        return "COGNITO_USER_POOLS"
    if authtype == "custom" or aztype in ("token", "request"):
        return "CUSTOM"
    if (scheme.get("type") == "apiKey" and not authtype and not authorizer
            and str(scheme.get("name", "")).lower() == "x-api-key" and scheme.get("in") == "header"):
        return "API_KEY"
    return None


def _protection(requirements, schemes, kind, values):
    """(auth, authorizer, scopes, api_key) of a security requirement list.

    The first scheme that is an authorizer decides the auth (SAM puts it in the first requirement
    object); an api_key scheme in any requirement object makes the key required."""
    auth, name, scopes, api_key = "NONE", None, [], False
    for req in requirements if isinstance(requirements, list) else []:
        for sname, sscopes in (req.items() if isinstance(req, dict) else []):
            c = _classify(schemes.get(sname), kind)
            if c == "API_KEY":
                api_key = True
            elif c and auth == "NONE":
                auth, name = c, (None if c == "AWS_IAM" else sname)
                if c in ("COGNITO_USER_POOLS", "JWT") and isinstance(sscopes, list):
                    scopes = sorted(_resolve(s, values) for s in sscopes)
    return auth, name, scopes, api_key


def _body_routes(body, kind, values):
    """(method, path, auth, authorizer, scopes, api_key) of each method of a swagger/OpenAPI body."""
    schemes = dict(body.get("securityDefinitions") or {})
    schemes.update((body.get("components") or {}).get("securitySchemes") or {})
    out = []
    for path, item in (body.get("paths") or {}).items():
        if not isinstance(item, dict):
            continue
        default = kind == "http" and path in ("$default", "/$default")
        if not default and path != "/":
            path = path.rstrip("/")
        for m, op in item.items():
            if m != ANY and m.lower() not in REST_METHODS or not isinstance(op, dict):
                continue  # parameters, summary, servers, other x- keys (and Fn::If, not modelled)
            method = "ANY" if m == ANY or default else m.upper()
            reqs = op["security"] if "security" in op else body.get("security")
            out.append((method, "$default" if default else path, *_protection(reqs, schemes, kind, values)))
    return out


def _ref(value):
    return value["Ref"] if isinstance(value, dict) and isinstance(value.get("Ref"), str) else None


def _getatt(value):
    g = value.get("Fn::GetAtt") if isinstance(value, dict) else None
    if isinstance(g, str):
        g = g.split(".", 1)
    return g if isinstance(g, list) and len(g) == 2 else None


def _stages(resources, api, kind, values):
    def named(rtype, api_key):
        return [r["Properties"].get("StageName") for r in resources.values() if r["Type"] == rtype
                and "StageName" in r["Properties"] and _ref(r["Properties"].get(api_key)) == api]
    if kind == "rest":
        stages = named("AWS::ApiGateway::Stage", "RestApiId") or named("AWS::ApiGateway::Deployment", "RestApiId")
    else:
        stages = named("AWS::ApiGatewayV2::Stage", "ApiId")
        if not stages and resources[api]["Properties"].get("Target") is not None:
            stages = ["$default"]  # quick create: CloudFormation makes the $default stage itself
    return sorted({_resolve(s, values) for s in stages}) or [None]


def _authorizer_name(resources, authorizer_id, values):
    rid = _ref(authorizer_id)
    if rid in resources:
        return _resolve(resources[rid]["Properties"].get("Name"), values)
    return None if authorizer_id is None else "?"


def _rest_path(resources, resource_id, values, seen=()):
    att = _getatt(resource_id)
    if att and att[1] == "RootResourceId":
        return "/"
    rid = _ref(resource_id)
    if rid not in resources or rid in seen or resources[rid]["Type"] != "AWS::ApiGateway::Resource":
        return "?"
    props = resources[rid]["Properties"]
    parent = _rest_path(resources, props.get("ParentId"), values, (*seen, rid))
    return parent.rstrip("/") + "/" + _resolve(props.get("PathPart"), values)


def _raw_rest(resources, props, values):
    """(api, method, path, auth, authorizer, scopes, api_key) of an AWS::ApiGateway::Method."""
    auth = _resolve(props.get("AuthorizationType", "NONE"), values).upper()
    name = _authorizer_name(resources, props.get("AuthorizerId"), values) if auth in ("CUSTOM", "COGNITO_USER_POOLS") else None
    scopes = props.get("AuthorizationScopes") if auth == "COGNITO_USER_POOLS" else None
    scopes = sorted(_resolve(s, values) for s in scopes) if isinstance(scopes, list) else []
    return (_ref(props.get("RestApiId")) or "?", _resolve(props.get("HttpMethod"), values).upper(),
            _rest_path(resources, props.get("ResourceId"), values),
            auth, name, scopes, str(props.get("ApiKeyRequired")).lower() == "true")


def _route_key(key):
    """(method, path) of an HTTP API route key: "GET /items/{id}" or "$default"."""
    method, path = ("ANY", "$default") if key == "$default" else (key.split(" ", 1) + ["?"])[:2]
    return method.upper(), path if path in ("/", "$default") else path.rstrip("/")


def _raw_http(resources, props, values):
    """(api, method, path, auth, authorizer, scopes, api_key) of an AWS::ApiGatewayV2::Route."""
    method, path = _route_key(_resolve(props.get("RouteKey"), values))
    auth = _resolve(props.get("AuthorizationType", "NONE"), values).upper()
    name = _authorizer_name(resources, props.get("AuthorizerId"), values) if auth in ("CUSTOM", "JWT") else None
    scopes = props.get("AuthorizationScopes") if auth == "JWT" else None
    scopes = sorted(_resolve(s, values) for s in scopes) if isinstance(scopes, list) else []
    return (_ref(props.get("ApiId")) or "?", method, path, auth, name, scopes, False)


def _body_of(props, key):
    body = props.get("Body")
    if isinstance(body, dict):
        return body
    loc = props.get(key)  # BodyS3Location we pointed at a local DefinitionUri file
    if isinstance(loc, dict) and loc.get("Bucket") == BUCKET and isinstance(loc.get("Key"), str):
        return _load("/" + loc["Key"])
    return None


def _routes(cfn, values):
    resources = {k: {"Type": r.get("Type", ""), "Properties": r.get("Properties") or {}}
                 for k, r in (cfn.get("Resources") or {}).items() if isinstance(r, dict)}
    found = []  # (api, kind, method, path, auth, authorizer, scopes, api_key)
    for rid, r in resources.items():
        t, props = r["Type"], r["Properties"]
        if t == "AWS::ApiGateway::RestApi" and (body := _body_of(props, "BodyS3Location")):
            found += [(rid, "rest", *row) for row in _body_routes(body, "rest", values)]
        elif t == "AWS::ApiGatewayV2::Api" and props.get("ProtocolType", "HTTP") == "HTTP":
            if body := _body_of(props, "BodyS3Location"):
                found += [(rid, "http", *row) for row in _body_routes(body, "http", values)]
            elif props.get("Target") is not None:
                method, path = _route_key(_resolve(props.get("RouteKey", "$default"), values))
                found.append((rid, "http", method, path, "NONE", None, [], False))  # quick create
        elif t == "AWS::ApiGateway::Method":
            api, *row = _raw_rest(resources, props, values)
            found.append((api, "rest", *row))
        elif t == "AWS::ApiGatewayV2::Route":
            api, *row = _raw_http(resources, props, values)
            found.append((api, "http", *row))
    rows = []
    for api, kind, method, path, auth, name, scopes, api_key in found:
        stages = _stages(resources, api, kind, values) if api in resources else [None]
        for stage in stages:
            rows.append({"api": api, "kind": kind, "stage": stage, "method": method, "path": path,
                         "auth": auth, "authorizer": name, "scopes": scopes, "api_key": api_key})
    return rows


# ---------------------------------------------------------------- the oracle

def translate(template_path, parameters, imports=None):
    """SAM's CloudFormation for the template, its parameter values and its local nested stacks."""
    sam, values, nested = _prepare(pathlib.Path(template_path), dict(parameters), imports or {})
    return transform(sam, dict(parameters), Loader()), values, nested


def _written_out(node, values):
    """A policy document with its Fn::Sub (SAM's `["execute-api:/${__Stage__}/GET/x",
    {"__Stage__": "Prod"}]`, or of parameters) and Refs resolved; what cannot be stays as is."""
    if isinstance(node, list):
        return [_written_out(v, values) for v in node]
    if not isinstance(node, dict):
        return node
    if set(node) == {"Fn::Sub"} and isinstance(node["Fn::Sub"], list) and len(node["Fn::Sub"]) == 2:
        text, local = node["Fn::Sub"]
        v = _sub({"Fn::Sub": text}, {**values, **{k: _sub(x, values) for k, x in local.items()}})
        return node if v is None else v
    if len(node) == 1 and next(iter(node)) in ("Ref", "Fn::Sub"):
        v = _sub(node, values)
        return node if v is None else v
    return {k: _written_out(v, values) for k, v in node.items()}


def resource_policies(template_path, parameters, imports=None):
    """{REST API logical id: its resource policy} in SAM's translation: the body's
    `x-amazon-apigateway-policy`, or the RestApi's `Policy` (which wins)."""
    cfn, values, _ = translate(template_path, parameters, imports)
    out = {}
    for rid, r in (cfn.get("Resources") or {}).items():
        if not isinstance(r, dict) or r.get("Type") != "AWS::ApiGateway::RestApi":
            continue
        props = r.get("Properties") or {}
        doc = props.get("Policy") or (_body_of(props, "BodyS3Location") or {}).get("x-amazon-apigateway-policy")
        if isinstance(doc, str):
            doc = json.loads(doc)
        if doc:
            out[rid] = _written_out(doc, values)
    return out


def normal_policy(doc):
    """A policy document compared as a set of statements, each with its lists as sets."""
    st = doc.get("Statement")
    st = st if isinstance(st, list) else [st]
    def norm(v):
        if isinstance(v, dict):
            return {k: norm(x) for k, x in sorted(v.items())}
        if isinstance(v, list):
            return sorted((norm(x) for x in v), key=json.dumps)
        return v
    return sorted((norm(x) for x in st), key=json.dumps)


def same_policy(ours, theirs):
    """Whether gatehouse's policy is SAM's: equal as sets of statements, or (where SAM's keeps an
    intrinsic this oracle cannot resolve, such as a role's `Fn::GetAtt Arn`) equal statement by
    statement in order, such an intrinsic matching any string of ours."""
    if normal_policy(ours) == normal_policy(theirs):
        return True

    def walk(a, b):
        if isinstance(b, dict) and len(b) == 1 and next(iter(b)) in ("Ref", "Fn::GetAtt", "Fn::Sub", "Fn::Join"):
            return isinstance(a, str)
        if isinstance(b, dict):
            return isinstance(a, dict) and a.keys() == b.keys() and all(walk(a[k], b[k]) for k in b)
        if isinstance(b, list):
            return isinstance(a, list) and len(a) == len(b) and all(map(walk, a, b))
        return a == b

    return walk(ours, theirs)


def _sort_key(row):
    return (row["api"], row["kind"], str(row["stage"]), row["path"], row["method"])


def expected_routes(template_path: pathlib.Path, parameters: dict[str, str],
                    imports: dict[str, str] | None = None) -> list[dict]:
    """Every route of the template and its local nested stacks, sorted; `imports` maps export
    names to values for Fn::ImportValue (as `--import-values`)."""
    cfn, values, nested = translate(template_path, parameters, imports)
    rows = _routes(cfn, values)
    for rid, path, passed in nested:
        child = _load(path).get("Parameters") or {}
        params = {}
        for name, decl in child.items():
            v = _sub(passed[name], values) if name in passed else None  # a string or a parameter
            if v is not None:
                params[name] = v
            elif not (isinstance(decl, dict) and "Default" in decl):
                params[name] = "placeholder"
        for row in expected_routes(path, params, imports):
            rows.append({**row, "api": f"{rid}/{row['api']}"})
    return sorted(rows, key=_sort_key)


def main(argv=None):
    args = list(sys.argv[1:] if argv is None else argv)
    imports = {}
    if "--import-values" in args:
        i = args.index("--import-values")
        imports = json.loads(pathlib.Path(args[i + 1]).read_text())
        del args[i:i + 2]
    if not args:
        sys.exit("usage: protection.py <template> [Name=Value ...] [--import-values FILE.json]")
    params = dict(a.split("=", 1) for a in args[1:])
    rows = expected_routes(pathlib.Path(args[0]), params, imports)
    print("[\n" + ",\n".join(json.dumps(r) for r in rows) + "\n]" if rows else "[]")


if __name__ == "__main__":
    main()
