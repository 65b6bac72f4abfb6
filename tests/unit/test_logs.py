"""Logs never carry a full phone number or a secret, tracebacks included."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator

import pytest
import structlog

from wa_crm.entrypoints.logs import configure_logging, mask_phone_numbers


@pytest.fixture
def logging_restored() -> Iterator[None]:
    """``configure_logging`` points the root logger at this test's captured stderr, which is
    closed after it: later tests (in any order, on any xdist worker) must log where they did."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
    structlog.reset_defaults()


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("from 5511988887777@c.us", "from ***7777@c.us"),
        ("to +5511988887777", "to ***7777"),
        ("to +55 11 98888-7777 now", "to ***7777 now"),
        ("call (11) 98888-7777", "call ***7777"),
        ("+1 (415) 555.0134", "***0134"),
    ],
)
def test_phone_numbers_keep_only_their_last_four_digits(text: str, masked: str) -> None:
    assert mask_phone_numbers(text) == masked


@pytest.mark.parametrize(
    "text",
    ["2026-11-26 17:45:01", "took 1234 ms", "id 01a218e3-2362-76c5", "order 12345", "v2025.1.0"],
)
def test_dates_ids_and_short_numbers_are_left_alone(text: str) -> None:
    assert mask_phone_numbers(text) == text


@pytest.mark.usefixtures("logging_restored")
def test_a_traceback_quoting_a_phone_number_is_masked(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("json")
    try:
        raise ValueError("no contact for 5511988887777@c.us or +55 11 97777-6666")
    except ValueError:
        logging.getLogger("wa_crm.test").exception("lookup failed", extra={"api_key": "k-123"})

    [line] = capsys.readouterr().err.strip().splitlines()
    record = json.loads(line)
    assert "988887777" not in line and "97777-6666" not in line
    assert "***7777@c.us" in record["exception"] and "***6666" in record["exception"]
    assert record["api_key"] == "[redacted]"
