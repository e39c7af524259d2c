"""REST request validation as API Gateway does it (aws-behaviour-3-apigw.md §1), through a
running stack: SAM `RequestModel`/`RequestParameters` and an OpenAPI 3 body's
`x-amazon-apigateway-request-validators`. Required parameters are checked first (present and
not blank; one message naming every missing one, headers before path before query string),
then the body against its JSON Schema draft 4 model; a valid request reaches the function,
an invalid one never does. The body table: ≥ 30 bodies against the `Order` model, each a rule
of draft 4 (required, type, enum, pattern, min/max, uniqueItems, nested objects,
additionalProperties) or API Gateway's reading of the body (empty, not JSON)."""

import json

import pytest

from conftest import ROOT, Stack

STACK = ROOT / "tests" / "conformance" / "stacks" / "validation" / "template.yaml"

OK = {"x-customer": "c-1", "Content-Type": "application/json"}

GOOD = {"item": "tea", "quantity": 2}

# (body, valid?, the rule)
BODIES = [
    (GOOD, True, "the required properties"),
    ({"item": "tea", "quantity": 2, "express": True}, True, "a boolean"),
    ({"item": "tea", "quantity": 1}, True, "minimum is inclusive"),
    ({"item": "tea", "quantity": 100}, True, "maximum is inclusive"),
    ({"item": "t" * 20, "quantity": 2}, True, "maxLength is inclusive"),
    ({"item": "tea", "quantity": 2, "size": "M"}, True, "an enum member"),
    ({"item": "tea", "quantity": 2, "code": "ABC-12"}, True, "pattern matches"),
    ({"item": "tea", "quantity": 2, "tags": ["a", "b"]}, True, "unique items"),
    ({"item": "tea", "quantity": 2, "note": None}, True, "a type list with null"),
    ({"item": "tea", "quantity": 2, "note": "x"}, True, "a type list with string"),
    ({"item": "tea", "quantity": 2, "address": {"city": "Oslo"}}, True, "a nested required property"),
    ({"item": "tea", "quantity": 2, "address": {"city": "Oslo", "zip": "01234"}}, True, "a nested pattern"),
    ({"item": "tea", "quantity": 2, "extra": 1}, True, "additional properties allowed at the top"),
    ({"item": "tea"}, False, "a required property missing"),
    ({"quantity": 2}, False, "the other required property missing"),
    ({}, False, "an empty object"),
    ([], False, "an array, not an object"),
    ("tea", False, "a string, not an object"),
    (3, False, "a number, not an object"),
    (None, False, "null, not an object"),
    ({"item": 5, "quantity": 2}, False, "type string"),
    ({"item": "tea", "quantity": "2"}, False, "type integer, a string given"),
    ({"item": "tea", "quantity": 2.5}, False, "type integer, a fraction given"),
    ({"item": "tea", "quantity": 0}, False, "below minimum"),
    ({"item": "tea", "quantity": 101}, False, "above maximum"),
    ({"item": "", "quantity": 2}, False, "minLength"),
    ({"item": "t" * 21, "quantity": 2}, False, "maxLength"),
    ({"item": "tea", "quantity": 2, "size": "XL"}, False, "not an enum member"),
    ({"item": "tea", "quantity": 2, "code": "abc-12"}, False, "pattern fails"),
    ({"item": "tea", "quantity": 2, "tags": ["a", "a"]}, False, "uniqueItems"),
    ({"item": "tea", "quantity": 2, "tags": [1]}, False, "items type"),
    ({"item": "tea", "quantity": 2, "express": "yes"}, False, "type boolean"),
    ({"item": "tea", "quantity": 2, "note": 1}, False, "a type list"),
    ({"item": "tea", "quantity": 2, "address": {}}, False, "a nested required property missing"),
    ({"item": "tea", "quantity": 2, "address": {"city": "Oslo", "zip": "1234"}}, False, "a nested pattern"),
    ({"item": "tea", "quantity": 2, "address": {"city": "Oslo", "street": "x"}}, False,
     "additionalProperties false, nested"),
]


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    s = Stack(tmp_path_factory.mktemp("validation"), template=STACK).start()
    yield s
    s.stop()


def post(stack, body, headers=OK, query="?channel=web", raw=None):
    data = raw if raw is not None else json.dumps(body).encode()
    return stack.http("POST", "/v/orders" + query, headers, data)


@pytest.mark.parametrize("body,valid,rule", BODIES, ids=[b[2] for b in BODIES])
def test_a_body_is_checked_against_its_draft_4_model(stack, body, valid, rule):
    status, headers, answer = post(stack, body)
    if valid:
        assert status == 200, (rule, answer)
        assert json.loads(json.loads(answer)["body"]) == body, "the function got the body as sent"
    else:
        assert (status, json.loads(answer)) == (400, {"message": "Invalid request body"}), rule
        assert headers["x-amzn-errortype"] == "BadRequestException"


def test_an_empty_body_or_one_that_is_not_json_is_invalid(stack):
    for raw in [b"", b"   ", b"{not json", b"item=tea"]:
        status, _, answer = post(stack, None, raw=raw)
        assert (status, json.loads(answer)) == (400, {"message": "Invalid request body"}), raw


def test_missing_parameters_are_named_in_one_message_before_the_body_is_looked_at(stack):
    # Both missing, and the body invalid too: the parameters' message (with the API's
    # BAD_REQUEST_PARAMETERS gateway response: 422 and its template).
    status, _, answer = post(stack, {}, headers={"Content-Type": "application/json"}, query="")
    assert (status, json.loads(answer)) == (422, {"refused": "Missing required request parameters: [x-customer, channel]"})
    # Blank counts as missing; the optional `coupon` is never required.
    status, _, answer = post(stack, GOOD, headers={"x-customer": " ", "Content-Type": "application/json"},
                             query="?channel=")
    assert json.loads(answer) == {"refused": "Missing required request parameters: [x-customer, channel]"}
    # Header names are case-insensitive.
    status, _, _ = post(stack, GOOD, headers={"X-Customer": "c", "Content-Type": "application/json"})
    assert status == 200


def test_without_validate_flags_nothing_is_validated_as_sam_writes_no_validator(stack):
    status, _, _ = stack.http("POST", "/v/open", {"Content-Type": "application/json"}, b"[]")
    assert status == 200


def test_an_openapi_validator_with_models_that_refer_to_each_other(stack):
    put = lambda body, headers: stack.http("PUT", "/o/pets/7", headers, json.dumps(body).encode())  # noqa: E731
    owner = {"x-owner": "ann", "Content-Type": "application/json"}
    assert put({"name": "Rex", "kind": "dog"}, owner)[0] == 200
    status, _, answer = put({"name": "Rex", "kind": "cow"}, owner)
    assert (status, json.loads(answer)) == (400, {"message": "Invalid request body"}), "Kind's enum through $ref"
    status, _, answer = put({"name": "Rex", "kind": "dog"}, {"Content-Type": "application/json"})
    assert (status, json.loads(answer)) == (400, {"message": "Missing required request parameters: [x-owner]"})
    # The operation's own validator (parameters only) overrides the document's.
    status, _, answer = stack.http("GET", "/o/pets/7?fields=name", {}, None)
    assert status == 200, answer
    status, _, answer = stack.http("GET", "/o/pets/7", {}, None)
    assert (status, json.loads(answer)) == (400, {"message": "Missing required request parameters: [fields]"})
