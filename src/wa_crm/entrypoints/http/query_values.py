"""The one parser of times, days, page sizes and numeric cursors that callers send, with bounds.

Python and the databases disagree on the edges: ``0001-01-01T00:00:00+14:00`` parses but cannot
be converted to UTC, ``9999-12-31`` parses but has no next day, and a cursor of 30 digits
overflows PostgreSQL's BIGINT. Values are kept within ranges every layer handles, so a wrong
one is a 422 that says what is accepted.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

from starlette.requests import Request

from wa_crm.entrypoints.http.errors import BadRequest

EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(2100, 1, 1, tzinfo=UTC)
MAX_PAGE = 100
MAX_CURSOR = 2**63 - 1  # BIGINT
_WHOLE_NUMBER = re.compile(r"[0-9]{1,19}")  # ASCII digits only: "²".isdigit() is True


def moment(raw: object, name: str) -> datetime:
    """An ISO 8601 time with a time zone, from 1970 up to 2100."""
    try:
        parsed = datetime.fromisoformat(raw) if isinstance(raw, str) else None
    except ValueError:
        parsed = None
    if parsed is None or parsed.tzinfo is None:
        raise BadRequest(
            f"`{name}` must be an ISO 8601 time with a time zone",
            field=name,
            reason="invalid_format",
        )
    try:
        in_range = EARLIEST <= parsed <= LATEST
    except OverflowError:  # the offset moves it past year 1 or 9999
        in_range = False
    if not in_range:
        raise _out_of_range(name)
    return parsed


def _out_of_range(name: str) -> BadRequest:
    return BadRequest(
        f"`{name}` must be between {EARLIEST:%Y-%m-%d} and {LATEST:%Y-%m-%d}",
        field=name,
        reason="out_of_range",
        params={"min": f"{EARLIEST:%Y-%m-%d}", "max": f"{LATEST:%Y-%m-%d}"},
    )


def query_time(request: Request, name: str) -> datetime | None:
    """The query parameter ``name`` as a :func:`moment`, if given."""
    raw = request.query_params.get(name)
    return moment(raw, name) if raw else None


def query_day(request: Request, name: str) -> date | None:
    """The query parameter ``name`` as a date like 2026-01-31, from 1970 up to 2099."""
    raw = request.query_params.get(name)
    if not raw:
        return None
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        raise BadRequest(
            f"`{name}` must be a date like 2026-01-31", field=name, reason="invalid_format"
        ) from None
    if not EARLIEST.date() <= day < LATEST.date():
        raise _out_of_range(name)
    return day


def page_limit(request: Request, default: int = 50) -> int:
    raw = request.query_params.get("limit", str(default))
    if not _WHOLE_NUMBER.fullmatch(raw) or not 1 <= int(raw) <= MAX_PAGE:
        raise BadRequest(
            f"limit must be a whole number from 1 to {MAX_PAGE}",
            field="limit",
            reason="out_of_range",
            params={"min": 1, "max": MAX_PAGE},
        )
    return int(raw)


def numeric_cursor(request: Request) -> int | None:
    """The ``cursor`` query parameter of pages keyed by a row number, if given."""
    raw = request.query_params.get("cursor") or None
    if raw is None:
        return None
    if not _WHOLE_NUMBER.fullmatch(raw) or not 1 <= int(raw) <= MAX_CURSOR:
        raise BadRequest(
            "cursor is not one this API gave out", field="cursor", reason="invalid_format"
        )
    return int(raw)
