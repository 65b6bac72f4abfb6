"""Plays WAHA against the app over HTTP and reads what the app stored, published and counted."""

from __future__ import annotations

import dataclasses
import secrets
from collections import Counter
from dataclasses import dataclass
from typing import Any

import httpx
from returns.result import Success
from sqlalchemy import select
from tests.support.waha_payloads import SECRET, SESSION, WAHA_URL, encode, headers_for

from wa_crm.adapters.sql import SqlUnitOfWork
from wa_crm.adapters.sql.tables import messages
from wa_crm.container import Container
from wa_crm.domain.model.association import Association, WhatsAppSettings
from wa_crm.domain.model.conversation import Conversation
from wa_crm.domain.model.jobs import Job
from wa_crm.domain.model.message import Author, Direction, Message, MessageStatus, MessageType
from wa_crm.domain.model.people import Contact
from wa_crm.domain.usecases.access.setup import NewAssociation
from wa_crm.ports.events import EventType, LiveEvent, PublishedEvent

WEBHOOK = "/api/webhooks/whatsapp"
_MARKER = {"test": "end of the events published so far"}


async def create_association(
    container: Container,
    slug: str = "amigos",
    *,
    base_url: str = WAHA_URL,
    session: str = SESSION,
    secret: str = SECRET,
) -> Association:
    command = NewAssociation(
        slug=slug,
        name=f"Associação {slug.title()}",
        whatsapp=WhatsAppSettings(
            base_url=base_url, api_key="waha-api-key", session=session, webhook_secret=secret
        ),
    )
    return (await container.create_association()(command)).unwrap()


@dataclass
class Waha:
    """Plays WAHA against the app and reads what the app stored, published and counted."""

    client: httpx.AsyncClient
    container: Container
    association: Association

    async def post(
        self, body: dict[str, Any] | bytes, *, secret: str | None = SECRET, **headers: str
    ) -> httpx.Response:
        raw = body if isinstance(body, bytes) else encode(body)
        headers = headers_for(raw, secret) | headers
        return await self.client.post(WEBHOOK, content=raw, headers=headers)

    async def deliver(self, body: dict[str, Any]) -> str:
        """Post a signed event that must be acknowledged; the outcome it reports."""
        response = await self.post(body)
        assert response.status_code == 200, response.text
        return str(response.json()["status"])

    # --- stored state ---------------------------------------------------------------------

    async def message(self, external_id: str) -> Message | None:
        async with self.container.uow_factory()() as uow:
            return await uow.messages.get_by_external_id(self.association.id, external_id)

    async def stored_external_ids(self) -> Counter[str | None]:
        """How many message rows the association has per WhatsApp id."""
        statement = select(messages.c.external_id).where(
            messages.c.association_id == self.association.id
        )
        async with self.container.engine().connect() as connection:
            rows = (await connection.execute(statement)).scalars().all()
        return Counter(rows)

    async def contact(self, chat_id: str) -> Contact | None:
        async with self.container.uow_factory()() as uow:
            return await uow.contacts.find_by_chat_id(self.association.id, chat_id)

    async def conversations(self, chat_id: str) -> list[Conversation]:
        """The contact's conversations, newest first."""
        contact = await self.contact(chat_id)
        assert contact is not None, f"no contact {chat_id}"
        async with self.container.uow_factory()() as uow:
            return list(await uow.conversations.list_for_contact(self.association.id, contact.id))

    async def conversation(self, chat_id: str) -> Conversation:
        """The contact's only conversation."""
        [conversation] = await self.conversations(chat_id)
        return conversation

    async def conversation_messages(self, conversation_id: str) -> list[Message]:
        async with self.container.uow_factory()() as uow:
            found = await uow.messages.list_for_conversation(
                self.association.id, conversation_id, before=None, limit=100
            )
        return list(found)

    async def job(self, key: str) -> Job | None:
        async with self.container.uow_factory()() as uow:
            return await uow.jobs.get_by_key(key)

    async def reload(self) -> Association:
        async with self.container.uow_factory()() as uow:
            association = await uow.associations.get(self.association.id)
        assert association is not None
        return association

    # --- changes made the way other parts of wa_crm make them ------------------------------

    async def set_bot(self, **changes: Any) -> None:
        async with self.container.uow_factory()() as uow:
            association = await uow.associations.get(self.association.id)
            assert association is not None
            bot = dataclasses.replace(association.bot, **changes)
            await uow.associations.update(dataclasses.replace(association, bot=bot))
            await uow.commit()

    async def resolve(self, chat_id: str) -> Conversation:
        conversation = await self.conversation(chat_id)
        assert isinstance(conversation.resolve(self.container.clock().now()), Success)
        async with self._set_up() as uow:
            await uow.conversations.update(conversation)
            await uow.commit()
        return conversation

    async def add_outbound(
        self, chat_id: str, body: str, status: MessageStatus, external_id: str | None = None
    ) -> Message:
        """Our own message, as the bot or an agent leaves it for the deliver job."""
        conversation = next(c for c in await self.conversations(chat_id) if c.is_open)
        message = Message(
            id=f"out-{secrets.token_hex(6)}",
            association_id=self.association.id,
            conversation_id=conversation.id,
            direction=Direction.OUT,
            author=Author.BOT,
            type=MessageType.TEXT,
            body=body,
            status=status,
            created_at=self.container.clock().now(),
            external_id=external_id,
        )
        async with self._set_up() as uow:
            await uow.messages.add(message)
            await uow.commit()
        return message

    def _set_up(self) -> SqlUnitOfWork:
        """A unit for the test's own writes: they are not facts of the application, so it
        publishes nothing (the events tests watch are the application's)."""
        return SqlUnitOfWork(self.container.engine(), self.container.cipher())

    async def import_patients(self, csv_text: str) -> None:
        report = (await self.container.import_patients()(self.association.slug, csv_text)).unwrap()
        assert report.errors == (), report.errors

    # --- side effects ---------------------------------------------------------------------

    def counted(self, event: str, outcome: str) -> float:
        registry = self.container.metrics().registry
        labels = {"event": event, "outcome": outcome}
        return registry.get_sample_value("wa_crm_webhook_events_total", labels) or 0.0

    async def published(self) -> list[PublishedEvent]:
        """Everything published for the association so far, read through a subscription.

        A marker event is published last, so reading stops there instead of waiting.
        """
        bus = self.container.event_bus()
        marker = await bus.publish(LiveEvent(EventType.ALERT, self.association.id, _MARKER))
        seen: list[PublishedEvent] = []
        stream = bus.subscribe(self.association.id, after_id="0")
        async for event in stream:
            if event.id == marker.id:
                break
            if event.data != _MARKER:
                seen.append(event)
        await stream.aclose()  # type: ignore[attr-defined]
        return seen

    async def published_types(self) -> list[str]:
        return [event.type for event in await self.published()]
