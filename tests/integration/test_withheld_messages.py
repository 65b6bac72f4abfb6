"""Issue 15, item 6: a bot message not sent because a person took the conversation over (or
because the contact opted out) is no dead letter: not listed, not offered for a resend, not
counted as a delivery failure. On SQLite and PostgreSQL, over HTTP."""

from __future__ import annotations

import dataclasses

from tests.support.waha_payloads import CONTACT, WaMessage, message_event
from tests.support.webhook_driver import Waha

from wa_crm.domain.model.message import OPTED_OUT, SUPERSEDED, MessageStatus
from wa_crm.domain.usecases.access.setup import NewAgent

ADMIN = "admin@amigos.org"


async def test_withheld_messages_are_not_dead_letters_nor_failures(waha: Waha) -> None:
    container = waha.container
    slug = waha.association.slug
    await container.create_agent()(NewAgent(slug, ADMIN, "Ada", "admin", "admin-password"))
    token = (await container.issue_api_token()(slug, ADMIN)).unwrap()
    headers = {"Authorization": f"Bearer {token}"}
    await waha.deliver(message_event(WaMessage()))
    stored = {}
    for error in ("rejected", SUPERSEDED, OPTED_OUT):
        message = await waha.add_outbound(CONTACT, f"bot says ({error})", MessageStatus.QUEUED)
        failed = dataclasses.replace(message, status=MessageStatus.FAILED, error=error)
        async with container.uow_factory()() as uow:
            await uow.messages.update(failed)
            await uow.commit()
        stored[error] = failed
    api = f"/api/associations/{slug}"

    dead = await waha.client.get(f"{api}/dead-letters", headers=headers)
    resend = await waha.client.post(
        f"{api}/dead-letters/{stored[SUPERSEDED].id}/retry", headers=headers
    )
    stats = await waha.client.get(f"{api}/stats", headers=headers)

    assert [item["id"] for item in dead.json()["items"]] == [stored["rejected"].id]
    assert resend.status_code == 409, resend.text
    assert "withheld on purpose" in resend.json()["error"]["message"]
    assert stats.json()["delivery_failures"] == 1
