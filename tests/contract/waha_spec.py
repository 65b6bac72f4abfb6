"""WAHA's OpenAPI spec (WAHA 2026.9.2, `waha/openapi.json` beside this file) as a test oracle.

    from tests.contract.waha_spec import assert_request_matches_spec, spec_operation

    assert_request_matches_spec(request)  # httpx.Request: method, templated path, query, body
    assert_status_in_spec("POST", "/api/sendText", 201)
    assert_response_matches_spec(response)  # httpx.Response: its request's operation + status
    spec_operation("GET", "/api/default/lids/123@lid")  # -> the operation dict, or None

Why not openapi-core: the spec is OpenAPI 3.1 but keeps 3.0 habits (`nullable: true`, boolean
`required` inside properties), which openapi-spec-validator rejects outright. So the schemas are
normalized (below) and validated with `jsonschema` (Draft 2020-12) and `referencing`, resolving
`$ref`s inside the spec document.

Normalizations, each a known quirk of WAHA's generated spec:
- `nullable: true` -> the schema also accepts `null`;
- boolean `required` inside a property schema is dropped;
- `type: object` with an `enum` of strings (the webhook `event` fields) -> `type: string`;
- `WebhookConfig.events[]` items are typed `object` but are event names -> `string`.
"""

from __future__ import annotations

import copy
import functools
import json
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import httpx
from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError, best_match
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

SPEC_FILE = Path(__file__).resolve().parent / "waha" / "openapi.json"
SPEC_URI = "urn:waha:openapi"
HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


@functools.cache
def load_spec() -> dict[str, Any]:
    """The spec exactly as shipped (parsed once)."""
    spec: dict[str, Any] = json.loads(SPEC_FILE.read_text(encoding="utf-8"))
    return spec


@functools.cache
def normalized_spec() -> dict[str, Any]:
    """The spec with the quirks listed in the module docstring fixed."""
    spec: dict[str, Any] = _normalize(copy.deepcopy(load_spec()))
    webhook = spec.get("components", {}).get("schemas", {}).get("WebhookConfig", {})
    events = webhook.get("properties", {}).get("events")
    if isinstance(events, dict) and isinstance(events.get("items"), dict):
        events["items"] = {"type": "string"}
    return spec


def _normalize(node: Any) -> Any:
    if isinstance(node, list):
        return [_normalize(item) for item in node]
    if not isinstance(node, dict):
        return node
    node = {key: _normalize(value) for key, value in node.items()}
    if isinstance(node.get("required"), bool):
        del node["required"]
    enum = node.get("enum")
    if (
        node.get("type") == "object"
        and isinstance(enum, list)
        and enum
        and all(isinstance(value, str) for value in enum)
    ):
        node["type"] = "string"
    if node.get("nullable") is True:
        del node["nullable"]
        kind = node.get("type")
        if isinstance(kind, str):
            node["type"] = [kind, "null"]
            if isinstance(node.get("enum"), list) and None not in node["enum"]:
                node["enum"] = [*node["enum"], None]
        elif isinstance(kind, list):
            node["type"] = [*kind, "null"] if "null" not in kind else kind
        else:
            node = {"anyOf": [node, {"type": "null"}]}
    return node


@functools.cache
def _registry() -> Registry[Any]:
    resource = Resource.from_contents(normalized_spec(), default_specification=DRAFT202012)
    registry: Registry[Any] = Registry().with_resource(SPEC_URI, resource)
    return registry


@functools.cache
def _validator(pointer: str) -> Draft202012Validator:
    return Draft202012Validator({"$ref": f"{SPEC_URI}#{pointer}"}, registry=_registry())


def _escape(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


# ------------------------------------------------------------------------------------- paths


@functools.cache
def _templates() -> list[tuple[str, re.Pattern[str], int]]:
    compiled = []
    for template in load_spec()["paths"]:
        parts = template.strip("/").split("/") if template != "/" else []
        regex = "".join(
            "/[^/]+" if part.startswith("{") and part.endswith("}") else "/" + re.escape(part)
            for part in parts
        )
        literals = sum(1 for part in parts if not part.startswith("{"))
        compiled.append((template, re.compile(f"^{regex or '/'}$"), literals))
    # the most literal segments first: /api/{session}/lids/count before /api/{session}/lids/{lid}
    compiled.sort(key=lambda item: -item[2])
    return compiled


def matching_templates(path: str) -> list[str]:
    """Spec paths that `path` (concrete or templated) matches, most specific first."""
    clean = "/" + path.strip("/") if path != "/" else "/"
    return [template for template, regex, _ in _templates() if regex.match(clean)]


def find_operation(method: str, path: str) -> tuple[str, dict[str, Any]] | None:
    """`(path template, operation)` for a method and a concrete path, or None."""
    verb = method.lower()
    for template in matching_templates(path):
        operation = load_spec()["paths"][template].get(verb)
        if isinstance(operation, dict):
            return template, operation
    return None


def spec_operation(method: str, path: str) -> dict[str, Any] | None:
    """The spec's operation object for a method and a concrete path, or None."""
    found = find_operation(method, path)
    return found[1] if found else None


def operations() -> Iterable[tuple[str, str, dict[str, Any]]]:
    """Every `(METHOD, template, operation)` in the spec."""
    for template, item in load_spec()["paths"].items():
        for verb in HTTP_METHODS:
            if isinstance(item.get(verb), dict):
                yield verb.upper(), template, item[verb]


# ------------------------------------------------------------------------------------ checks


def _format_errors(errors: list[ValidationError]) -> list[str]:
    lines = []
    for error in sorted(errors, key=lambda e: list(e.absolute_path))[:8]:
        detail = error.message
        if error.context:
            deepest = best_match(error.context)
            if deepest is not None:
                detail += f" (closest: {deepest.json_path}: {deepest.message})"
        lines.append(f"{error.json_path}: {detail}")
    return lines


def schema_errors(pointer: str, instance: Any) -> list[str]:
    """Validate `instance` against the schema at a JSON pointer into the (normalized) spec."""
    return _format_errors(list(_validator(pointer).iter_errors(instance)))


def component_errors(schema_name: str, instance: Any) -> list[str]:
    """Validate against `#/components/schemas/<schema_name>`."""
    return schema_errors(f"/components/schemas/{_escape(schema_name)}", instance)


def _parameters(template: str, verb: str) -> list[dict[str, Any]]:
    item = load_spec()["paths"][template]
    params = list(item.get("parameters", [])) + list(item[verb].get("parameters", []))
    return [p for p in params if isinstance(p, dict)]


def _body_bytes(request: httpx.Request) -> bytes:
    try:
        return request.content
    except httpx.RequestNotRead:
        return request.read()


def request_problems(
    request: httpx.Request, *, base_path: str = "", require_api_key: bool = False
) -> list[str]:
    """Everything about `request` that disagrees with the spec (empty list: it matches)."""
    method = request.method.upper()
    path = request.url.path
    if base_path and path.startswith(base_path.rstrip("/")):
        path = path[len(base_path.rstrip("/")) :] or "/"
    found = find_operation(method, path)
    if found is None:
        templates = matching_templates(path)
        if templates:
            allowed = sorted(
                verb.upper()
                for t in templates
                for verb in HTTP_METHODS
                if verb in load_spec()["paths"][t]
            )
            return [f"{method} is not an operation of {templates[0]} (spec allows {allowed})"]
        return [f"no path of WAHA's spec matches {path}"]
    template, operation = found
    verb = method.lower()
    problems: list[str] = []

    query = request.url.params
    for param in _parameters(template, verb):
        if param.get("in") != "query":
            continue
        name = param["name"]
        if name not in query:
            if param.get("required"):
                problems.append(f"missing required query parameter {name!r}")
            continue
        enum = (param.get("schema") or {}).get("enum")
        if enum and query[name] not in [str(v) for v in enum]:
            problems.append(f"query parameter {name}={query[name]!r} is not one of {enum}")

    if require_api_key and operation.get("security") and "x-api-key" not in request.headers:
        problems.append("missing X-Api-Key header")

    body = _body_bytes(request)
    request_body = operation.get("requestBody")
    if isinstance(request_body, dict):
        content = request_body.get("content", {})
        if not body.strip():
            if request_body.get("required"):
                problems.append("missing request body")
        else:
            media_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
            if media_type not in content:
                problems.append(f"content-type {media_type!r} is not one of {sorted(content)}")
            elif media_type == "application/json":
                try:
                    instance = json.loads(body)
                except ValueError as exc:
                    problems.append(f"body is not JSON: {exc}")
                else:
                    pointer = "/".join(
                        [
                            "",
                            "paths",
                            _escape(template),
                            verb,
                            "requestBody",
                            "content",
                            _escape(media_type),
                            "schema",
                        ]
                    )
                    problems.extend(f"body {line}" for line in schema_errors(pointer, instance))
    return problems


def assert_request_matches_spec(
    request: httpx.Request, *, base_path: str = "", require_api_key: bool = False
) -> None:
    """Raise AssertionError unless the request is an operation of WAHA's spec with a valid
    body and its required query parameters (`base_path`: a prefix of the WAHA base URL)."""
    problems = request_problems(request, base_path=base_path, require_api_key=require_api_key)
    if problems:
        listing = "".join(f"\n  - {problem}" for problem in problems)
        call = f"{request.method} {request.url.path}"
        raise AssertionError(f"{call} does not match WAHA's OpenAPI spec:{listing}")


def declared_statuses(method: str, path: str) -> list[str]:
    operation = spec_operation(method, path)
    return [] if operation is None else sorted(operation.get("responses", {}))


def assert_status_in_spec(method: str, path: str, status_code: int) -> None:
    """Raise AssertionError unless the spec declares this status (or `default`) for the call."""
    operation = spec_operation(method, path)
    if operation is None:
        raise AssertionError(f"{method.upper()} {path} is not an operation of WAHA's spec")
    declared = set(operation.get("responses", {}))
    if str(status_code) in declared or f"{str(status_code)[0]}XX" in declared:
        return
    if "default" in declared:
        return
    raise AssertionError(
        f"{method.upper()} {path} answered {status_code}; the spec declares {sorted(declared)}"
    )


def assert_response_matches_spec(response: httpx.Response) -> None:
    """Status check of a response against the operation of its request."""
    request = response.request
    assert_status_in_spec(request.method, request.url.path, response.status_code)
