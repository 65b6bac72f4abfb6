"""Pydantic's validation errors as the API's stable reasons (``errors.REASONS``): a problem's
``type`` says what is wrong, its ``ctx`` the limit that was passed (pydantic's own names:
``max_length``, ``ge``…, which become ``max``, ``min``)."""

from __future__ import annotations

from typing import Any

from wa_crm.entrypoints.http.errors import Params, Reason

_REASON_BY_TYPE: dict[str, Reason] = {
    "missing": "required",
    "string_too_long": "too_long",
    "string_too_short": "too_short",
    "too_long": "too_many",
    "too_short": "too_few",
    "greater_than": "too_small",
    "greater_than_equal": "too_small",
    "less_than": "too_large",
    "less_than_equal": "too_large",
    "literal_error": "not_allowed",
    "enum": "not_allowed",
    "extra_forbidden": "not_allowed",
    "string_type": "wrong_type",
    "int_type": "wrong_type",
    "int_parsing": "wrong_type",
    "int_from_float": "wrong_type",
    "float_type": "wrong_type",
    "float_parsing": "wrong_type",
    "bool_type": "wrong_type",
    "bool_parsing": "wrong_type",
    "list_type": "wrong_type",
    "dict_type": "wrong_type",
    "dataclass_type": "wrong_type",
    "model_type": "wrong_type",
    "none_required": "wrong_type",
}
_PARAM_BY_CTX = {
    "max_length": "max",
    "min_length": "min",
    "ge": "min",
    "gt": "min",
    "le": "max",
    "lt": "max",
}


def validation_reason(kind: str, ctx: dict[str, Any]) -> tuple[Reason, Params | None]:
    """The reason and its limits for one pydantic problem; a type not listed above (a date
    that does not parse, a custom validator's refusal) is ``invalid_format``."""
    reason = _REASON_BY_TYPE.get(kind, "invalid_format")
    params: Params = {
        _PARAM_BY_CTX[name]: value
        for name, value in ctx.items()
        if name in _PARAM_BY_CTX and isinstance(value, int | float) and not isinstance(value, bool)
    }
    return reason, params or None
