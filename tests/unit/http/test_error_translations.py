"""Every error the service can answer is said in both locales: each ``error.code`` has an
``error_<code>`` string, each ``error.field`` the server can name a ``field_<name>`` string and
each ``error.reason`` a ``reason_<reason>`` string (the browser's ``errorText`` builds its
sentence from them, never from the English ``error.message``).

The codes, fields and reasons are collected from the code, not listed here: the domain's error
classes, the edge's refusals, and the literals the HTTP modules pass as a code (``error_response
(404, "no_media", …)``) or as a field (``field="text"``, ``text_field(body, "name")``,
``query_time(request, "from")``, ``*_FIELDS`` tuples…), plus the settings' own field names.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from wa_crm.adapters.sql.settings_json import ASSIGNMENT_SETTINGS, BOT_SETTINGS, PRIVACY_SETTINGS
from wa_crm.domain.model.errors import DomainError
from wa_crm.entrypoints.http import errors
from wa_crm.entrypoints.http.errors import REASONS, BadRequest, RefusedRequest
from wa_crm.entrypoints.http.strings import STRINGS
from wa_crm.entrypoints.http.validation import validation_reason

HTTP = Path(errors.__file__).parent
_CODE = re.compile(r"^[a-z][a-z_]*$")
# Helpers whose argument at this position is the name of a body field or query parameter.
_FIELD_ARGUMENT = {
    "text_field": 1,
    "query_time": 1,
    "query_day": 1,
    "moment": 1,
    "require_storable": 0,
}


def _subclasses(cls: type) -> Iterator[type]:
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def _trees() -> Iterator[ast.AST]:
    for path in sorted(HTTP.rglob("*.py")):
        yield ast.parse(path.read_text(encoding="utf-8"))


def _text(node: ast.AST) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _name(call: ast.Call) -> str:
    func = call.func
    return (
        func.id
        if isinstance(func, ast.Name)
        else func.attr
        if isinstance(func, ast.Attribute)
        else ""
    )


def error_codes() -> set[str]:
    """Every code an answer of the service can carry."""
    codes = {error.code for error in _subclasses(DomainError)} | {DomainError.code}
    codes |= {refusal.code for refusal in _subclasses(RefusedRequest)} | {RefusedRequest.code}
    codes |= set(errors.HTTP_CODES.values()) | {"http_error"}
    for tree in _trees():
        for node in ast.walk(tree):
            # error_response(404, "no_media", ...), refuse(429, "too_many_attempts", ...)
            if isinstance(node, ast.Call) and len(node.args) >= 2:
                status, code = node.args[0], _text(node.args[1])
                if (
                    isinstance(status, ast.Constant)
                    and isinstance(status.value, int)
                    and 400 <= status.value < 600
                    and code
                    and _CODE.match(code)
                ):
                    codes.add(code)
    return codes


def _field(name: str) -> str:
    """As ``json_input.require_storable`` names it: "file name" -> "file", "a.b" -> "a"."""
    return re.split(r"[. ]", name)[0]


def error_fields() -> set[str]:
    """Every field name the server can put in ``error.field``."""
    fields = set(BOT_SETTINGS.fields | ASSIGNMENT_SETTINGS.fields | PRIVACY_SETTINGS.fields)
    for tree in _trees():
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                for keyword in node.keywords:
                    if keyword.arg == "field" and (value := _text(keyword.value)):
                        fields.add(value)
                name = _name(node)
                position = _FIELD_ARGUMENT.get(name)
                if (
                    position is not None
                    and len(node.args) > position
                    and (value := _text(node.args[position]))
                ):
                    fields.add(_field(value))
                if name == "only_fields":
                    fields |= {value for arg in node.args[1:] if (value := _text(arg))}
            if isinstance(node, ast.Assign) and isinstance(node.value, ast.Tuple | ast.List):
                targets = [t.id for t in node.targets if isinstance(t, ast.Name)]
                if any(target.endswith("FIELDS") for target in targets):
                    fields |= {value for item in node.value.elts if (value := _text(item))}
    return fields


def test_the_collection_finds_what_it_should() -> None:
    """The scans see the codes and fields they were written for (a guard on the scanners)."""
    codes, fields = error_codes(), error_fields()
    assert {"invalid_input", "unknown_conversation", "no_media", "csrf", "not_found"} <= codes
    assert {"too_many_attempts", "method_not_allowed", "body_too_large", "invalid_phone"} <= codes
    assert {"text", "limit", "cursor", "from", "caption", "file", "greeting_lead"} <= fields


@pytest.mark.parametrize("locale", sorted(STRINGS))
def test_every_error_code_is_said_in_both_locales(locale: str) -> None:
    missing = sorted(code for code in error_codes() if f"error_{code}" not in STRINGS[locale])
    assert missing == [], f"add error_<code> to templates/i18n/errors.json: {missing}"


@pytest.mark.parametrize("locale", sorted(STRINGS))
def test_every_field_and_reason_the_server_names_is_said_in_both_locales(locale: str) -> None:
    strings = STRINGS[locale]
    missing = sorted(f"field_{name}" for name in error_fields() if f"field_{name}" not in strings)
    missing += sorted(f"reason_{reason}" for reason in REASONS if f"reason_{reason}" not in strings)
    assert missing == [], f"add them to templates/i18n/errors.json: {missing}"


def test_a_reason_sentence_names_only_the_params_the_server_gives() -> None:
    """``reason_too_long`` says {max}, ``reason_out_of_range`` {min} and {max}…: a placeholder
    the server never fills would show as is."""
    given = {
        "too_long": {"max"},
        "too_short": {"min"},
        "too_many": {"max"},
        "too_few": {"min"},
        "too_small": {"min"},
        "too_large": {"max"},
        "out_of_range": {"min", "max"},
    }
    for locale, strings in STRINGS.items():
        for reason in REASONS:
            named = set(re.findall(r"\{(\w+)\}", strings[f"reason_{reason}"]))
            assert named <= given.get(reason, set()), (locale, reason, named)


def test_pydantic_problems_become_reasons_with_their_limits() -> None:
    assert validation_reason("string_too_long", {"max_length": 32}) == ("too_long", {"max": 32})
    assert validation_reason("greater_than_equal", {"ge": 1}) == ("too_small", {"min": 1})
    assert validation_reason("less_than_equal", {"le": 1440}) == ("too_large", {"max": 1440})
    assert validation_reason("too_short", {"min_length": 1, "actual_length": 0}) == (
        "too_few",
        {"min": 1},
    )
    assert validation_reason("missing", {}) == ("required", None)
    assert validation_reason("literal_error", {"expected": "'a' or 'b'"}) == ("not_allowed", None)
    assert validation_reason("time_parsing", {"error": "bad"}) == ("invalid_format", None)


async def test_a_refusal_carries_its_field_reason_and_params_in_the_answer() -> None:
    from starlette.applications import Starlette
    from starlette.routing import Route

    async def refuse(request: object) -> None:
        raise BadRequest("`name` is too long", field="name", reason="too_long", params={"max": 32})

    async def plain(request: object) -> None:
        raise BadRequest("the body is not JSON")

    app = Starlette(
        routes=[Route("/refuse", refuse), Route("/plain", plain)],
        exception_handlers={RefusedRequest: errors.refused_request_handler},
    )
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        assert (await client.get("/refuse")).json() == {
            "error": {
                "code": "invalid_input",
                "message": "`name` is too long",
                "field": "name",
                "reason": "too_long",
                "params": {"max": 32},
            }
        }
        assert (await client.get("/plain")).json() == {
            "error": {"code": "invalid_input", "message": "the body is not JSON"}
        }
