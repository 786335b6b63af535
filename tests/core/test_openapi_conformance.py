"""The OpenAPI document describes the responses the API really sends.

Real responses of every operation, as every role, are validated against the document with
openapi-core: bodies (nullable fields included), content types (errors are
``application/problem+json``), status codes and headers (X-Pagination). Besides: a 405 names
the allowed methods, and a change (PATCH) that names no field is refused.
"""

from __future__ import annotations

import json
import re

import pytest
from openapi_core import Config, OpenAPI
from openapi_core.contrib.werkzeug import WerkzeugOpenAPIResponse
from openapi_core.testing import MockRequest

from qcrm.api.base import ApiBlueprint
from qcrm.extensions import db
from qcrm.models import Client
from qcrm.validation import text_error, text_pattern
from surveys.tokens import PUBLIC_FORM_KEY_PATTERN
from tests.conftest import PRINCIPALS, bearer
from tests.core.test_route_access import ROUTES, _url

API_ROUTES = [(e, r, m) for e, r, m in ROUTES if r.startswith("/api/v1/") and "openapi" not in r]
PATCH_ROUTES = [(e, r) for e, r, m in API_ROUTES if m == "PATCH"]


@pytest.fixture
def openapi(client) -> OpenAPI:
    # problem documents are JSON: openapi-core reads only application/json by itself
    config = Config(extra_media_type_deserializers={"application/problem+json": json.loads})
    return OpenAPI.from_dict(client.get("/api/v1/openapi.json").json, config=config)


def _reasons(error: BaseException) -> list[str]:
    found = [f"{type(error).__name__}: {str(error)[:150]}"]
    for schema_error in getattr(error, "schema_errors", ()):
        where = ".".join(str(p) for p in schema_error.absolute_path)
        found.append(f"{where}: {schema_error.message[:150]}")
    if error.__cause__ is not None:
        found.extend(_reasons(error.__cause__))
    return found


def _mismatch(openapi: OpenAPI, response) -> str | None:
    """None when the response fits the document, else why not."""
    response.get_data()  # buffered first: openapi-core would swap a file's stream for a copy
    try:
        # the request's method and path find the operation (its body is read already)
        request = MockRequest("http://localhost", response.request.method, response.request.path)
        openapi.validate_response(request, WerkzeugOpenAPIResponse(response))
    except Exception as error:  # openapi-core's several validation errors
        request = response.request
        return f"{request.method} {request.path} {response.status_code}: " + " | ".join(
            _reasons(error)
        )
    return None


def test_every_read_as_every_role_matches_the_document(app, client, world, openapi):
    mismatches = []
    for endpoint, _rule, method in API_ROUTES:
        if method != "GET":
            continue
        for principal in PRINCIPALS:
            with app.app_context():
                url, _refused = _url(app, endpoint, world, principal, "own")
            response = client.get(url, headers=bearer(world.tokens[principal]))
            mismatches.append(_mismatch(openapi, response))
            response.close()
    assert not [m for m in mismatches if m], "\n".join(m for m in mismatches if m)


def test_every_write_with_an_empty_body_answers_as_documented(app, client, world, openapi):
    """Refusals (422, 403, 404) and the successes of actions without a body alike."""
    mismatches = []
    for endpoint, _rule, method in API_ROUTES:
        if method == "GET":
            continue
        for principal in ("manager", "executive", "tester"):
            with app.app_context():
                url, _refused = _url(app, endpoint, world, principal, "own")
            response = client.open(
                url, method=method, json={}, headers=bearer(world.tokens[principal])
            )
            mismatches.append(_mismatch(openapi, response))
            response.close()
    assert not [m for m in mismatches if m], "\n".join(m for m in mismatches if m)


def test_errors_are_documented_as_problem_documents(client, world, openapi):
    document = client.get("/api/v1/openapi.json").json
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            if method == "parameters":
                continue
            assert "default" in operation["responses"], (path, method)
            for status, response in operation["responses"].items():
                if status == "default" or int(status) >= 400:
                    if "$ref" in response:
                        response = document["components"]["responses"][
                            response["$ref"].rsplit("/", 1)[-1]
                        ]
                    content = response["content"]
                    assert list(content) == ["application/problem+json"], (path, method, status)
    refused = client.post("/api/v1/clients", json={}, headers=bearer(world.tokens["manager"]))
    assert refused.status_code == 422
    assert refused.mimetype == "application/problem+json"
    assert _mismatch(openapi, refused) is None


def test_the_pagination_header_is_documented_as_the_json_text_it_is(client, world):
    document = client.get("/api/v1/openapi.json").json
    header = document["components"]["headers"]["PAGINATION"]
    assert header["schema"] == {"type": "string"}
    response = client.get("/api/v1/clients?page_size=1", headers=bearer(world.tokens["manager"]))
    metadata = json.loads(response.headers["X-Pagination"])
    assert metadata["total"] == 2
    assert metadata["next_page"] == 2


def test_a_wrong_method_answers_405_naming_the_allowed_ones(client, world):
    response = client.delete("/api/v1/clients", headers=bearer(world.tokens["manager"]))
    assert response.status_code == 405
    assert response.mimetype == "application/problem+json"
    assert set(re.split(r",\s*", response.headers["Allow"])) >= {"GET", "POST"}


@pytest.mark.parametrize(("endpoint", "rule"), PATCH_ROUTES, ids=[r for _e, r in PATCH_ROUTES])
@pytest.mark.parametrize("body", ["none", "empty object"])
def test_a_change_without_any_field_is_refused(app, client, world, endpoint, rule, body):
    with app.app_context():
        url, _refused = _url(app, endpoint, world, "admin", "own")
    headers = bearer(world.tokens["admin"])
    before = client.get(url, headers=headers).json
    response = client.patch(url, headers=headers, **({"json": {}} if body != "none" else {}))
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    assert response.json["errors"] == [
        {"field": "_schema", "message": "Send at least one field to change."}
    ]
    assert client.get(url, headers=headers).json == before


def test_a_change_body_is_documented_as_needing_a_field(client):
    document = client.get("/api/v1/openapi.json").json
    patches = [
        operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]
        for operations in document["paths"].values()
        for method, operation in operations.items()
        if method == "patch"
    ]
    assert patches
    for ref in patches:
        assert document["components"]["schemas"][ref.rsplit("/", 1)[-1]]["minProperties"] == 1


def test_a_change_naming_a_field_still_works(app, client, world):
    response = client.patch(
        f"/api/v1/clients/{world.client_a.id}",
        json={"name": "Stadtwerke Aue GmbH"},
        headers=bearer(world.tokens["manager"]),
    )
    assert response.status_code == 200
    with app.app_context():
        assert db.session.get(Client, world.client_a.id).name == "Stadtwerke Aue GmbH"


def test_every_api_resource_module_uses_the_api_blueprint(app):
    """Its parser refuses empty changes and its documented errors are problem documents."""
    resources = [
        blueprint
        for name, blueprint in app.blueprints.items()
        if (blueprint.url_prefix or "").startswith("/api/") and name != "api-docs"
    ]
    assert len(resources) > 10
    assert all(isinstance(blueprint, ApiBlueprint) for blueprint in resources), [
        blueprint.name for blueprint in resources if not isinstance(blueprint, ApiBlueprint)
    ]


def _full_match(pattern: str, text: str) -> bool:
    """JSON Schema's (ECMA) reading of ``^…$``: the whole text (Python's ``$`` would also
    match before a final line break)."""
    return re.fullmatch(pattern.removeprefix("^").removesuffix("$"), text) is not None


@pytest.mark.parametrize("multi_line", [False, True])
def test_the_declared_text_pattern_is_the_control_character_rule(multi_line):
    pattern = text_pattern(multi_line=multi_line)
    samples = [chr(code) for code in range(0x0, 0x2100)] + ["\ufffe", "😀", "\u202e", ""]
    disagree = [
        repr(text)
        for text in samples
        if _full_match(pattern, f"a{text}b")
        != (text_error(f"a{text}b", multi_line=multi_line) is None)
    ]
    assert not disagree


def test_single_line_input_strings_declare_that_they_refuse_control_characters(client):
    document = client.get("/api/v1/openapi.json").get_json()
    schemas = document["components"]["schemas"]
    single, multi = text_pattern(), text_pattern(multi_line=True)
    assert schemas["Client"]["properties"]["name"]["pattern"] == single
    assert schemas["Client"]["properties"]["notes"]["pattern"] == multi
    assert schemas["Survey"]["properties"]["title"]["pattern"] == single
    assert schemas["Survey"]["properties"]["introduction"]["pattern"] == multi
    assert "pattern" not in schemas["Problem"]["properties"]["detail"]  # an answer, not an input
    # a field with a stricter pattern of its own keeps it
    assert (
        schemas["PublicResponse"]["properties"]["key"]["pattern"] == PUBLIC_FORM_KEY_PATTERN.pattern
    )


def test_a_value_outside_the_declared_pattern_is_refused_and_one_inside_accepted(client, world):
    document = client.get("/api/v1/openapi.json").get_json()
    pattern = document["components"]["schemas"]["Client"]["properties"]["name"]["pattern"]
    headers = bearer(world.tokens["manager"])
    for name in ("Tab\there", "Line\nbreak", "Bell\x07"):
        assert not _full_match(pattern, name)
        refused = client.post(
            "/api/v1/clients", json={"name": name, "kind": "competitor"}, headers=headers
        )
        assert refused.status_code == 422, name
        assert [error["field"] for error in refused.get_json()["errors"]] == ["name"]
    accepted_name = "Müller & Söhne – ‮ 😀"
    assert _full_match(pattern, accepted_name)
    accepted = client.post(
        "/api/v1/clients", json={"name": accepted_name, "kind": "competitor"}, headers=headers
    )
    assert accepted.status_code == 201, accepted.get_json()
