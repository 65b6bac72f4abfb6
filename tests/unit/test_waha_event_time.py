"""When WAHA sent an event, as the replay window reads it from a webhook body."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from tests.support.waha_payloads import WaMessage, ack_event, message_event

from wa_crm.adapters.waha.payloads import WahaEnvelope
from wa_crm.adapters.waha.webhooks import event_time

EMITTED = datetime(2026, 3, 2, 13, 5, 7, 250000, tzinfo=UTC)
WRITTEN = datetime(2026, 2, 20, 8, 0, tzinfo=UTC)  # long before: delivered after an outage


def read(body: dict[str, Any]) -> datetime | None:
    return event_time(WahaEnvelope.model_validate(body))


def without(body: dict[str, Any], *, envelope: bool, payload: bool) -> dict[str, Any]:
    stripped = {k: v for k, v in body.items() if not (envelope and k == "timestamp")}
    stripped["payload"] = {
        k: v for k, v in body["payload"].items() if not (payload and k == "timestamp")
    }
    return stripped


def test_the_envelope_time_counts_not_the_messages_own() -> None:
    body = message_event(WaMessage(timestamp=int(WRITTEN.timestamp())))
    body["timestamp"] = int(EMITTED.timestamp() * 1000)

    assert read(body) == EMITTED


def test_without_an_envelope_time_the_message_time_counts() -> None:
    body = without(
        message_event(WaMessage(timestamp=int(WRITTEN.timestamp()))), envelope=True, payload=False
    )

    assert read(body) == WRITTEN


def test_an_event_that_names_no_time_has_none() -> None:
    ack = without(ack_event("false_x@c.us_AB", 3), envelope=True, payload=True)

    assert read(ack) is None


@pytest.mark.parametrize(
    ("stamp", "expected"),
    [
        (1e300, datetime.max.replace(tzinfo=UTC)),
        (-1e300, datetime.min.replace(tzinfo=UTC)),
        (float("inf"), datetime.max.replace(tzinfo=UTC)),
    ],
)
def test_a_time_beyond_what_a_datetime_holds_is_far_outside(
    stamp: float, expected: datetime
) -> None:
    body = message_event(WaMessage())
    body["timestamp"] = stamp

    assert read(body) == expected


@pytest.mark.parametrize("stamp", ["yesterday", True, float("nan")])
def test_a_stamp_that_is_not_a_time_is_no_time(stamp: object) -> None:
    body = without(message_event(WaMessage()), envelope=True, payload=True)
    body["payload"]["timestamp"] = stamp

    assert read(body) is None
