"""Issue 15, item 4: refused webhooks are visible. Each 4xx answer to WAHA is logged with its
reason, event, session and WAHA version (never the body, never a phone number), once a minute
per reason and session with the count left out; counted in ``/metrics`` by reason; and shown
to the association's admins for the last hour (theirs, and the service's: bodies no association
could be found for). Over HTTP, on SQLite and PostgreSQL."""

from __future__ import annotations

import logging

import pytest
from tests.support.waha_payloads import WaMessage, message_event
from tests.support.webhook_driver import Waha

from wa_crm.domain.usecases.access.setup import NewAgent

ADMIN = "admin@amigos.org"
SAYS = "Oi, meu CPF é 123.456.789-00"


def refusal_lines(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "wa_crm.webhooks" and r.msg == "webhook refused"]


async def test_refusals_are_logged_once_a_minute_counted_and_shown(
    waha: Waha, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="wa_crm.webhooks")
    container = waha.container
    slug = waha.association.slug
    await container.create_agent()(NewAgent(slug, ADMIN, "Ada", "admin", "admin-password"))
    token = (await container.issue_api_token()(slug, ADMIN)).unwrap()
    event = message_event(WaMessage(body=SAYS))
    stranger = event | {"session": "someone-else"}

    answers = [
        *[await waha.post(event, secret="not-the-secret") for _ in range(3)],
        *[await waha.post(stranger) for _ in range(2)],
        await waha.post(b"{not json"),
    ]
    logged_in_the_first_minute = refusal_lines(caplog)
    container.clock().advance(61)
    late = await waha.post(event, secret="not-the-secret")
    metrics = (await waha.client.get("/metrics")).text
    shown = await waha.client.get(
        f"/api/associations/{slug}/webhooks/refused", headers={"Authorization": f"Bearer {token}"}
    )

    assert [a.status_code for a in answers] == [401, 401, 401, 404, 404, 400]
    assert late.status_code == 401
    lines = [
        (r.reason, r.event, r.session, r.waha_version, r.left_out_since_last)  # type: ignore[attr-defined]
        for r in refusal_lines(caplog)
    ]
    assert lines == [
        ("bad_signature", "message", "default", "2026.9.2", 0),
        ("unknown_session", "message", "someone-else", "2026.9.2", 0),
        ("malformed_json", None, None, None, 0),
        ("bad_signature", "message", "default", "2026.9.2", 2),
    ]
    assert len(logged_in_the_first_minute) == 3
    logged = caplog.text + "".join(str(r.__dict__) for r in caplog.records)
    assert SAYS not in logged and "5511988887777" not in logged
    assert 'wa_crm_webhooks_refused_total{reason="bad_signature"} 4.0' in metrics
    assert 'wa_crm_webhooks_refused_total{reason="unknown_session"} 2.0' in metrics
    assert shown.json() == {
        "association": {"total": 4, "by_reason": {"bad_signature": 4}},
        "service": {"total": 3, "by_reason": {"unknown_session": 2, "malformed_json": 1}},
    }


async def test_the_last_hour_only(waha: Waha) -> None:
    container = waha.container
    slug = waha.association.slug
    await container.create_agent()(NewAgent(slug, ADMIN, "Ada", "admin", "admin-password"))
    token = (await container.issue_api_token()(slug, ADMIN)).unwrap()
    await waha.post(message_event(WaMessage()), secret="not-the-secret")
    container.clock().advance(61 * 60)

    shown = await waha.client.get(
        f"/api/associations/{slug}/webhooks/refused", headers={"Authorization": f"Bearer {token}"}
    )

    assert shown.json()["association"] == {"total": 0, "by_reason": {}}
