"""``/openapi.json`` describes every route fully (issue 14): request bodies, query parameters,
answers with their schemas, the error shape; every reference resolves and every schema is valid
JSON Schema, so client generators and fuzzers can use it. That the service keeps to it is
``tests/security/test_openapi_fuzz.py``."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from starlette.routing import Route

from wa_crm.entrypoints.http import create_app
from wa_crm.entrypoints.http.openapi import build, undescribed
from wa_crm.entrypoints.http.openapi_operations import OPERATIONS
from wa_crm.settings import Settings

ERROR_REF = "#/components/schemas/Error"


@pytest.fixture(scope="module")
def routes() -> list[Any]:
    return create_app(settings=Settings(database_url="sqlite+aiosqlite:////tmp/unused.db")).routes


@pytest.fixture(scope="module")
def document(routes: list[Any]) -> dict[str, Any]:
    return build(routes)


def _operations(document: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, methods in document["paths"].items():
        for method, operation in methods.items():
            yield method.upper(), path, operation


def test_every_route_is_described(routes: list[Any]) -> None:
    assert undescribed(routes) == []


def test_no_description_is_left_for_a_route_that_is_gone(routes: list[Any]) -> None:
    served = {
        (method, route.path)
        for route in routes
        if isinstance(route, Route)
        for method in route.methods or ()
    }
    assert sorted(set(OPERATIONS) - served) == []


# Actions whose path says it all: they take no body.
BODILESS_ACTIONS = {
    *("claim", "release", "resolve", "read", "retry"),
    *("start", "logout", "enable", "disable"),
    *("suggest-reply", "summary"),
}


def test_writes_declare_their_bodies(document: dict[str, Any]) -> None:
    missing = [
        f"{method} {path}"
        for method, path, operation in _operations(document)
        if method in {"POST", "PUT"}
        and "requestBody" not in operation
        and path.rsplit("/", 1)[-1] not in BODILESS_ACTIONS
    ]
    assert missing == []


def test_every_operation_declares_its_success_and_error_answers(document: dict[str, Any]) -> None:
    for method, path, operation in _operations(document):
        responses = operation["responses"]
        successes = [code for code in responses if code.startswith("2")]
        assert successes, f"{method} {path}"
        assert "4XX" in responses, f"{method} {path}"
        if path.startswith("/api/"):
            error = responses["4XX"]["content"]["application/json"]["schema"]
            assert error == {"$ref": ERROR_REF}, f"{method} {path}"


def test_operation_ids_are_unique(document: dict[str, Any]) -> None:
    ids = [operation["operationId"] for _, _, operation in _operations(document)]
    assert len(ids) == len(set(ids))


def _schemas(node: Any) -> Iterator[Any]:
    if isinstance(node, dict):
        if "schema" in node:
            yield node["schema"]
        for value in node.values():
            yield from _schemas(value)
    elif isinstance(node, list):
        for value in node:
            yield from _schemas(value)


def _refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        if isinstance(node.get("$ref"), str):
            yield node["$ref"]
        for value in node.values():
            yield from _refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _refs(value)


def test_every_schema_is_valid_and_every_reference_resolves(document: dict[str, Any]) -> None:
    components = document["components"]["schemas"]
    for schema in [*_schemas(document["paths"]), *components.values()]:
        Draft202012Validator.check_schema(schema)
    for target in _refs(document):
        assert target.removeprefix("#/components/schemas/") in components, target
