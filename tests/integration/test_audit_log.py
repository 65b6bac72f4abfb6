"""The audit log over real HTTP, with the whole service and the WAHA simulator (design
section 11).

- The route table: every route under ``/api/associations/`` that reads or changes a
  conversation, a contact or a setting has an audit action; the few that do not are named here,
  and all of them are reads. No route but a GET mentions the audit log.
- Per audited route: as an admin, a 4xx answer writes nothing, and a valid call writes exactly
  one entry, by that admin, with the right action and target, and no personal data.
- ``GET audit``: newest first with agent names, filters by time and actor, cursor pagination.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from dependency_injector import providers
from starlette.routing import Route
from tests.e2e.harness import Service, running_service

from wa_crm.adapters.ai import ScriptedProvider
from wa_crm.domain.model.association import BotSettings
from wa_crm.domain.model.audit import SYSTEM_ACTOR, AuditAction, AuditEntry
from wa_crm.domain.model.canned_reply import CannedReplyDraft
from wa_crm.domain.model.imports import ImportKind
from wa_crm.domain.model.message import Author, Direction, Message, MessageStatus, MessageType
from wa_crm.domain.usecases.access.credentials import NewToken
from wa_crm.domain.usecases.access.setup import NewAgent
from wa_crm.domain.usecases.inbox.agent_actions import AgentRequest, OutgoingFileUpload
from wa_crm.domain.usecases.knowledge.documents import DocumentSource
from wa_crm.domain.usecases.registry.imports import NewImport
from wa_crm.entrypoints.http import create_app
from wa_crm.entrypoints.http.pages import STRINGS
from wa_crm.ports.ai import BotReply
from wa_crm.ports.queries import AuditQuery
from wa_crm.settings import Settings

PREFIX = "/api/associations/{slug}/"
MARIA = "5511999998888@c.us"
MARIA_SAYS = "Oi, preciso da minha receita"
DEAD_TEXT = "Seu pedido saiu para entrega"

# Reads that show nobody's data: the settings, figures, canned replies and the log itself.
NOT_AUDITED = {
    ("GET", "whatsapp"),
    ("GET", "whatsapp/qr"),
    ("GET", "whatsapp/status"),
    ("GET", "bot"),
    ("GET", "assignment"),
    ("GET", "privacy"),
    ("GET", "canned-replies"),
    ("GET", "labels"),
    ("GET", "knowledge/search"),
    ("GET", "knowledge/documents"),
    ("GET", "stats"),
    ("GET", "alerts"),
    ("GET", "webhooks/refused"),
    ("GET", "agents"),
    ("GET", "agents/{id}/tokens"),
    ("GET", "audit"),
}


def association_routes() -> list[tuple[str, str, Any]]:
    """(method, path after the association's prefix, endpoint) of every association route."""
    app = create_app(settings=Settings(database_url="sqlite+aiosqlite:////tmp/unused.db"))
    return [
        (method, route.path.removeprefix(PREFIX), route.endpoint)
        for route in app.routes
        if isinstance(route, Route) and route.path.startswith(PREFIX)
        for method in sorted((route.methods or set()) - {"HEAD"})
    ]


def audited_routes() -> list[tuple[str, str]]:
    return [
        (method, path)
        for method, path, endpoint in association_routes()
        if getattr(endpoint, "audit_action", None) is not None
    ]


def test_every_route_that_reads_or_changes_data_is_audited() -> None:
    unaudited = {
        (method, path)
        for method, path, endpoint in association_routes()
        if getattr(endpoint, "audit_action", None) is None
    }
    assert unaudited == NOT_AUDITED
    assert {method for method, _ in NOT_AUDITED} == {"GET"}


def test_no_route_changes_or_deletes_audit_entries() -> None:
    app = create_app(settings=Settings(database_url="sqlite+aiosqlite:////tmp/unused.db"))
    writes = [
        (route.path, route.methods)
        for route in app.routes
        if isinstance(route, Route) and "audit" in route.path
        if (route.methods or set()) - {"GET", "HEAD"}
    ]
    assert writes == []


def test_the_monitoring_page_names_every_action_in_both_languages() -> None:
    for strings in STRINGS.values():
        missing = [a for a in AuditAction if f"audit_{a.value.replace('.', '_')}" not in strings]
        assert missing == []


# --- the world ----------------------------------------------------------------------------------


@dataclass
class World:
    service: Service
    admin_id: str
    tokens: dict[str, str]
    ids: dict[str, str] = field(default_factory=dict)
    """conversation, contact, message (with a stored file), dead_letter, canned_reply,
    association, import (queued, never run)."""

    def url(self, path: str) -> str:
        return f"{self.service.service_url}/api/associations/e2e/{path}"

    def headers(self, who: str | None) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}"} if who else {}

    async def log(self) -> list[AuditEntry]:
        audit = self.service.container.queries().audit
        found = await audit.entries(self.ids["association"], AuditQuery(limit=1000))
        return [entry for _, entry in found]

    def request(self, who: str) -> AgentRequest:
        return AgentRequest(self.ids["association"], self.ids["conversation"], self.agent_id(who))

    def agent_id(self, who: str) -> str:
        return self.admin_id if who == "admin" else self.service.agent_id


async def _conversation_started(service: Service) -> str:
    await service.patient_writes(MARIA, MARIA_SAYS, push_name="Maria Souza")
    for _ in range(200):
        async with service.container.uow_factory()() as uow:
            contact = await uow.contacts.find_by_chat_id(service.association.id, MARIA)
        if contact is not None:
            return str((await service.conversation_of(MARIA)).id)
        await asyncio.sleep(0.05)
    raise AssertionError("the patient's message never arrived")


async def _one_row() -> AsyncIterator[bytes]:
    yield b"id,full_name,phone,status\np1,Maria Souza,+5511999998888,active\n"


async def _dead_letter(world: World) -> str:
    container = world.service.container
    message = Message(
        id=container.ids().new_id(),
        association_id=world.ids["association"],
        conversation_id=world.ids["conversation"],
        direction=Direction.OUT,
        author=Author.AGENT,
        agent_id=world.service.agent_id,
        type=MessageType.TEXT,
        body=DEAD_TEXT,
        status=MessageStatus.FAILED,
        created_at=datetime.now(UTC),
        error="rejected",
    )
    async with container.uow_factory()() as uow:
        await uow.messages.add(message)
        await uow.commit()
    return message.id


@pytest.fixture
async def world(sqlite_url: str, tmp_path: Path) -> AsyncIterator[World]:
    """Ada (admin) and Ana (agent) of e2e; Maria wrote, Ana sent her a file, and one message
    of Ana's could not be delivered; a canned reply."""
    bot = BotSettings(enabled=False)
    async with running_service(sqlite_url, tmp_path / "media", bot) as service:
        container = service.container
        admin = (
            await container.create_agent()(
                NewAgent("e2e", "ada@e2e.org", "Ada", "admin", "admin-password")
            )
        ).unwrap()
        tokens = {
            who: (await container.issue_api_token()("e2e", email)).unwrap()
            for who, email in (("admin", "ada@e2e.org"), ("agent", "ana@e2e.org"))
        }
        world = World(service, admin.id, tokens)
        world.ids["association"] = service.association.id
        world.ids["conversation"] = await _conversation_started(service)
        contact = await service.contact_of(MARIA)
        world.ids["contact"] = contact.id
        upload = OutgoingFileUpload(b"%PDF-1.4 receita", "receita.pdf", "application/pdf")
        sent = await container.agent_actions().send_file(world.request("agent"), upload)
        world.ids["message"] = sent.unwrap().id
        world.ids["dead_letter"] = await _dead_letter(world)
        draft = CannedReplyDraft("hello", "Olá, {first_name}!", "Greeting")
        reply = await container.canned_replies().create(service.association.id, draft)
        world.ids["canned_reply"] = reply.unwrap().id
        upload = NewImport(service.association.id, ImportKind.PATIENTS, admin.id, _one_row())
        world.ids["import"] = (await container.queue_import()(upload)).unwrap().id
        world.ids["agent"] = service.agent_id
        issued = await container.api_tokens().issue(
            service.association.id, service.agent_id, NewToken("spare")
        )
        world.ids["token"] = issued.unwrap().details.id
        known = DocumentSource("Entregas", "Entregamos às terças e quintas.")
        added = await container.knowledge_documents().add(service.association.id, known)
        world.ids["knowledge_document"] = added.unwrap().id
        asked = await container.knowledge_base().record_unanswered(
            service.association.id, "Vocês atendem em Campinas?", None, datetime.now(UTC)
        )
        world.ids["unanswered_question"] = asked.id
        yield world


# --- every audited route ------------------------------------------------------------------------


@dataclass(frozen=True)
class Call:
    path: str
    """Relative to the association's API; ``{id}`` is the target's id."""
    json: Any = None
    content: bytes | None = None
    params: dict[str, str] = field(default_factory=dict)
    who: str | None = "admin"
    target_id: str | None = None
    """An id to put in the path instead of the target's; in it and in ``json``, ``{admin}``,
    ``{message}``, ``{conversation}``, ``{tomorrow}`` and ``{token}`` (one of Ana's API tokens)
    are replaced, and in the path as well."""


Prepare = Callable[[World], Awaitable[Any]]


async def _nothing(world: World) -> None:
    return None


async def _with_a_model(world: World) -> None:
    """The association's assistant becomes a model that answers once."""
    container = world.service.container
    model = ScriptedProvider([BotReply(text="Resumo: pediu a receita.")])
    container.ai_providers.override(providers.Object({**container.ai_providers(), "gpt": model}))
    async with container.uow_factory()() as uow:
        association = await uow.associations.get(world.ids["association"])
        assert association is not None
        bot = dataclasses.replace(association.bot, provider="gpt")
        await uow.associations.update(dataclasses.replace(association, bot=bot))
        await uow.commit()


async def _release(world: World) -> None:
    (await world.service.container.agent_actions().release(world.request("agent"))).unwrap()


async def _until_sent(world: World) -> None:
    """A reaction needs the message's WhatsApp id: wait for its delivery."""
    for _ in range(200):
        async with world.service.container.uow_factory()() as uow:
            message = await uow.messages.get(world.ids["association"], world.ids["message"])
        if message is not None and message.external_id:
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the file Ana sent was never delivered")


async def _a_label(world: World) -> None:
    catalog = world.service.container.label_catalog()
    (await catalog.create(world.ids["association"], "urgente", None)).unwrap()


@dataclass(frozen=True)
class Scenario:
    action: AuditAction
    target: str
    """The target's kind in ``World.ids``; a dead letter is a message."""
    invalid: Call
    valid: Call
    prepare: Prepare = _nothing
    """Runs between the invalid and the valid call (not through the API)."""
    details: dict[str, Any] = field(default_factory=dict)
    """Expected among the entry's details."""


def _conversation(action: AuditAction, path: str) -> Scenario:
    """A conversation route without a body: 404 for a conversation that does not exist."""
    return Scenario(
        action, "conversation", Call(path, target_id="no-such-conversation"), Call(path)
    )


SCENARIOS: dict[tuple[str, str], Scenario] = {
    ("GET", "conversations"): Scenario(
        AuditAction.CONVERSATION_LISTED,
        "association",
        Call("conversations", params={"status": "nope"}),
        Call("conversations"),
    ),
    ("GET", "conversations/{id}"): _conversation(
        AuditAction.CONVERSATION_VIEWED, "conversations/{id}"
    ),
    ("GET", "conversations/{id}/messages"): Scenario(
        AuditAction.MESSAGES_LISTED,
        "conversation",
        Call("conversations/{id}/messages", params={"before": "yesterday"}),
        Call("conversations/{id}/messages"),
        details={"messages": 3},
    ),
    ("POST", "conversations/{id}/messages"): Scenario(
        AuditAction.MESSAGE_SENT,
        "conversation",
        Call("conversations/{id}/messages", json={"text": 5}),
        Call("conversations/{id}/messages", json={"text": "Olá, Maria"}),
    ),
    ("POST", "conversations/{id}/messages/{message_id}/reaction"): Scenario(
        AuditAction.MESSAGE_REACTED,
        "conversation",
        Call("conversations/{id}/messages/{message}/reaction", json={"emoji": "hello"}),
        Call("conversations/{id}/messages/{message}/reaction", json={"emoji": "👍"}),
        prepare=_until_sent,
    ),
    ("POST", "conversations/{id}/claim"): Scenario(
        AuditAction.CONVERSATION_CLAIMED,
        "conversation",
        Call("conversations/{id}/claim"),  # Ana holds it: 409
        Call("conversations/{id}/claim"),
        prepare=_release,
    ),
    ("POST", "conversations/{id}/release"): _conversation(
        AuditAction.CONVERSATION_RELEASED, "conversations/{id}/release"
    ),
    ("POST", "conversations/{id}/resolve"): _conversation(
        AuditAction.CONVERSATION_RESOLVED, "conversations/{id}/resolve"
    ),
    ("POST", "conversations/{id}/assign"): Scenario(
        AuditAction.CONVERSATION_ASSIGNED,
        "conversation",
        Call("conversations/{id}/assign", json={"agent_id": "nobody"}),
        Call("conversations/{id}/assign", json={"agent_id": "{admin}"}),
    ),
    ("POST", "conversations/{id}/typing"): Scenario(
        AuditAction.CONVERSATION_TYPING,
        "conversation",
        Call("conversations/{id}/typing", json={"state": "dancing"}),
        Call("conversations/{id}/typing", json={"state": "start"}),
    ),
    ("POST", "conversations/{id}/read"): _conversation(
        AuditAction.CONVERSATION_READ, "conversations/{id}/read"
    ),
    ("GET", "contacts/{id}"): Scenario(
        AuditAction.CONTACT_VIEWED,
        "contact",
        Call("contacts/{id}", target_id="no-such-contact"),
        Call("contacts/{id}"),
    ),
    ("GET", "contacts/{id}/conversations"): Scenario(
        AuditAction.CONVERSATION_LISTED,
        "contact",
        Call("contacts/{id}/conversations", target_id="no-such-contact"),
        Call("contacts/{id}/conversations", params={"limit": "5"}),
    ),
    ("GET", "media/{id}"): Scenario(
        AuditAction.MEDIA_VIEWED,
        "message",
        Call("media/{id}", target_id="no-such-message"),
        Call("media/{id}"),
    ),
    ("GET", "events"): Scenario(
        AuditAction.EVENTS_SUBSCRIBED,
        "association",
        Call("events", who=None),
        Call("events"),
    ),
    ("GET", "dead-letters"): Scenario(
        AuditAction.DEAD_LETTERS_LISTED,
        "association",
        Call("dead-letters", params={"limit": "0"}),
        Call("dead-letters"),
    ),
    ("POST", "dead-letters/{id}/retry"): Scenario(
        AuditAction.DEAD_LETTER_RETRIED,
        "dead_letter",
        Call("dead-letters/{id}/retry", target_id="{message}"),  # not a dead letter: 409
        Call("dead-letters/{id}/retry"),
    ),
    ("POST", "patients/import"): Scenario(
        AuditAction.PATIENTS_IMPORTED,
        "association",
        Call("patients/import", content=b"\xff\xfe not utf-8"),
        Call(
            "patients/import",
            content=b"id,full_name,phone,status\np1,Maria Souza,+5511999998888,active\n",
        ),
    ),
    ("POST", "orders/import"): Scenario(
        AuditAction.ORDERS_IMPORTED,
        "association",
        Call("orders/import", content=b"patient_id,order_id\n"),
        Call(
            "orders/import",
            content=b"patient_id,order_id,date,items,total,status\np1,o1,2026-01-02,Oleo,10,ok\n",
        ),
    ),
    ("GET", "imports"): Scenario(
        AuditAction.IMPORTS_LISTED,
        "association",
        Call("imports", params={"limit": "0"}),
        Call("imports"),
    ),
    ("GET", "imports/{id}"): Scenario(
        AuditAction.IMPORT_VIEWED,
        "import",
        Call("imports/{id}", target_id="no-such-import"),
        Call("imports/{id}"),
    ),
    ("PUT", "whatsapp"): Scenario(
        AuditAction.SETTINGS_CHANGED,
        "association",
        Call("whatsapp", json={"session": "no spaces"}),
        Call("whatsapp", json={"messages_per_second": 3}),
        details={"settings": "whatsapp", "fields": ["messages_per_second"]},
    ),
    ("POST", "whatsapp/test"): Scenario(
        AuditAction.CONNECTION_TESTED,
        "association",
        Call("whatsapp/test", json={"nope": 1}),
        Call("whatsapp/test", json={}),
    ),
    ("POST", "whatsapp/session/start"): Scenario(
        AuditAction.SESSION_CHANGED,
        "association",
        Call("whatsapp/session/start", who="agent"),
        Call("whatsapp/session/start"),
        details={"command": "start"},
    ),
    ("POST", "whatsapp/logout"): Scenario(
        AuditAction.SESSION_CHANGED,
        "association",
        Call("whatsapp/logout", who="agent"),
        Call("whatsapp/logout"),
        details={"command": "logout"},
    ),
    ("POST", "whatsapp/test-message"): Scenario(
        AuditAction.TEST_MESSAGE_SENT,
        "association",
        Call("whatsapp/test-message", json={"phone": "12"}),
        Call("whatsapp/test-message", json={"phone": "+55 11 98888-7777", "text": "Teste"}),
    ),
    ("PUT", "bot"): Scenario(
        AuditAction.SETTINGS_CHANGED,
        "association",
        Call("bot", json={"max_bot_turns": 0}),
        Call("bot", json={"max_bot_turns": 5}),
        details={"settings": "bot", "fields": ["max_bot_turns"]},
    ),
    ("PUT", "assignment"): Scenario(
        AuditAction.SETTINGS_CHANGED,
        "association",
        Call("assignment", json={"nope": 1}),
        Call("assignment", json={"max_open_per_agent": 5}),
        details={"settings": "assignment", "fields": ["max_open_per_agent"]},
    ),
    ("PUT", "privacy"): Scenario(
        AuditAction.SETTINGS_CHANGED,
        "association",
        Call("privacy", json={"retention_days": 0}),
        Call("privacy", json={"retention_days": 30}),
        details={"settings": "privacy", "fields": ["retention_days"]},
    ),
    ("GET", "contacts/{id}/export"): Scenario(
        AuditAction.CONTACT_EXPORTED,
        "contact",
        Call("contacts/{id}/export", target_id="no-such-contact"),
        Call("contacts/{id}/export"),
        details={"conversations": 1, "messages": 3, "media_files": 1},
    ),
    ("POST", "contacts/{id}/erase"): Scenario(
        AuditAction.CONTACT_ERASED,
        "contact",
        Call("contacts/{id}/erase", json={"confirm_name": "Someone Else"}),
        Call("contacts/{id}/erase", json={"confirm_name": "maria souza "}),
        details={"messages": 3, "conversations": 1},
    ),
    ("POST", "canned-replies"): Scenario(
        AuditAction.CANNED_REPLY_CREATED,
        "association",
        Call("canned-replies", json={"text": "no shortcut"}),
        Call("canned-replies", json={"shortcut": "bye", "text": "Até logo!"}),
    ),
    ("PUT", "canned-replies/{id}"): Scenario(
        AuditAction.CANNED_REPLY_UPDATED,
        "canned_reply",
        Call("canned-replies/{id}", json={"nope": "x"}),
        Call("canned-replies/{id}", json={"title": "Saudação"}),
    ),
    ("DELETE", "canned-replies/{id}"): Scenario(
        AuditAction.CANNED_REPLY_DELETED,
        "canned_reply",
        Call("canned-replies/{id}", target_id="no-such-reply"),
        Call("canned-replies/{id}"),
    ),
    ("POST", "canned-replies/{id}/render"): Scenario(
        AuditAction.CANNED_REPLY_RENDERED,
        "canned_reply",
        Call("canned-replies/{id}/render", json={"conversation_id": ""}),
        Call("canned-replies/{id}/render", json={"conversation_id": "{conversation}"}),
    ),
    ("POST", "knowledge/documents"): Scenario(
        AuditAction.KNOWLEDGE_DOCUMENT_ADDED,
        "association",
        Call("knowledge/documents", json={"title": "", "text": "Sem título"}),
        Call("knowledge/documents", json={"title": "Taxas", "text": "A taxa é de R$ 10."}),
    ),
    ("PUT", "knowledge/documents/{id}"): Scenario(
        AuditAction.KNOWLEDGE_DOCUMENT_REPLACED,
        "knowledge_document",
        Call("knowledge/documents/{id}", json={"title": "Entregas", "text": ""}),
        Call("knowledge/documents/{id}", json={"title": "Entregas", "text": "Às terças."}),
    ),
    ("DELETE", "knowledge/documents/{id}"): Scenario(
        AuditAction.KNOWLEDGE_DOCUMENT_REMOVED,
        "knowledge_document",
        Call("knowledge/documents/{id}", target_id="no-such-document"),
        Call("knowledge/documents/{id}"),
    ),
    ("GET", "knowledge/unanswered"): Scenario(
        AuditAction.UNANSWERED_LISTED,
        "association",
        Call("knowledge/unanswered", who="agent"),
        Call("knowledge/unanswered"),
    ),
    ("POST", "knowledge/unanswered/{id}/answer"): Scenario(
        AuditAction.UNANSWERED_ANSWERED,
        "unanswered_question",
        Call("knowledge/unanswered/{id}/answer", json={"answer": ""}),
        Call("knowledge/unanswered/{id}/answer", json={"answer": "Sim, atendemos."}),
    ),
    ("POST", "knowledge/try"): Scenario(
        AuditAction.QUESTION_TRIED,
        "association",
        Call("knowledge/try", json={"question": ""}),
        Call("knowledge/try", json={"question": "Quando vocês entregam?"}),
    ),
    ("POST", "agents/{id}/tokens"): Scenario(
        AuditAction.TOKEN_ISSUED,
        "agent",
        Call("agents/{id}/tokens", json={"expires_in_days": 0}),
        Call("agents/{id}/tokens", json={"name": "ci", "expires_in_days": 30}),
    ),
    ("DELETE", "agents/{id}/tokens/{token_id}"): Scenario(
        AuditAction.TOKEN_REVOKED,
        "agent",
        Call("agents/{id}/tokens/no-such-token"),
        Call("agents/{id}/tokens/{token}"),
    ),
    ("POST", "labels"): Scenario(
        AuditAction.LABEL_CREATED,
        "association",
        Call("labels", json={"name": "no!"}),
        Call("labels", json={"name": "urgente", "colour": "#b91c1c"}),
        details={"label": "urgente"},
    ),
    ("PUT", "labels/{name}"): Scenario(
        AuditAction.LABEL_UPDATED,
        "association",
        Call("labels/urgente", json={"colour": "red"}),
        Call("labels/urgente", json={"name": "muito urgente"}),
        prepare=_a_label,
        details={"label": "muito urgente", "renamed": 1},
    ),
    ("DELETE", "labels/{name}"): Scenario(
        AuditAction.LABEL_DELETED,
        "association",
        Call("labels/urgente"),
        Call("labels/urgente"),
        prepare=_a_label,
        details={"label": "urgente", "conversations": 0},
    ),
    ("POST", "agents"): Scenario(
        AuditAction.AGENT_CREATED,
        "association",
        Call("agents", json={"email": "not-an-address"}),
        Call("agents", json={"email": "bia@e2e.org", "role": "agent"}),
    ),
    ("PUT", "agents/{id}"): Scenario(
        AuditAction.AGENT_UPDATED,
        "agent",
        Call("agents/{id}", json={"role": "boss"}),
        Call("agents/{id}", json={"role": "agent"}),
        details={"role": "agent"},
    ),
    ("POST", "agents/{id}/password"): Scenario(
        AuditAction.AGENT_PASSWORD_RESET,
        "agent",
        Call("agents/{id}/password", json={"password": "short"}),
        Call("agents/{id}/password", json={"generate": True}),
    ),
    ("POST", "agents/{id}/disable"): Scenario(
        AuditAction.AGENT_DISABLED,
        "agent",
        Call("agents/{id}/disable", who="agent"),
        Call("agents/{id}/disable"),
    ),
    ("POST", "agents/{id}/enable"): Scenario(
        AuditAction.AGENT_ENABLED,
        "agent",
        Call("agents/{id}/enable", who="agent"),
        Call("agents/{id}/enable"),
    ),
    ("POST", "me/password"): Scenario(
        AuditAction.PASSWORD_CHANGED,
        "association",
        Call("me/password", json={"current_password": "wrong", "new_password": "long-enough"}),
        Call(
            "me/password",
            json={"current_password": "admin-password", "new_password": "a-new-password"},
        ),
    ),
    ("GET", "conversations/{id}/notes"): _conversation(
        AuditAction.NOTES_LISTED, "conversations/{id}/notes"
    ),
    ("POST", "conversations/{id}/notes"): Scenario(
        AuditAction.NOTE_ADDED,
        "conversation",
        Call("conversations/{id}/notes", json={"text": 5}),
        Call("conversations/{id}/notes", json={"text": "Ligar amanhã"}),
    ),
    ("POST", "conversations/{id}/suggest-reply"): Scenario(
        AuditAction.REPLY_SUGGESTED,
        "conversation",
        Call("conversations/{id}/suggest-reply"),  # the assistant is not a model: 409
        Call("conversations/{id}/suggest-reply"),
        prepare=_with_a_model,
        details={"sources": 0},
    ),
    ("POST", "conversations/{id}/summary"): Scenario(
        AuditAction.CONVERSATION_SUMMARIZED,
        "conversation",
        Call("conversations/{id}/summary"),  # the assistant is not a model: 409
        Call("conversations/{id}/summary"),
        prepare=_with_a_model,
    ),
    ("PUT", "conversations/{id}/labels"): Scenario(
        AuditAction.CONVERSATION_LABELLED,
        "conversation",
        Call("conversations/{id}/labels", json={"labels": "urgent"}),
        Call("conversations/{id}/labels", json={"labels": ["urgent"]}),
        details={"labels": 1},
    ),
    ("POST", "conversations/{id}/snooze"): Scenario(
        AuditAction.CONVERSATION_SNOOZED,
        "conversation",
        Call("conversations/{id}/snooze", json={}),
        Call("conversations/{id}/snooze", json={"until": "{tomorrow}"}),
    ),
}


def _resolve(text: str, world: World) -> str:
    tomorrow = datetime.now(UTC) + timedelta(days=1)
    return (
        text.replace("{admin}", world.admin_id)
        .replace("{message}", world.ids["message"])
        .replace("{conversation}", world.ids["conversation"])
        .replace("{tomorrow}", tomorrow.isoformat())
        .replace("{token}", world.ids["token"])
    )


async def _call(world: World, method: str, call: Call, target_id: str) -> httpx.Response:
    path = _resolve(call.path, world).replace("{id}", _resolve(call.target_id or target_id, world))
    body = json.loads(_resolve(json.dumps(call.json), world)) if call.json is not None else None
    request = world.service.http.build_request(
        method,
        world.url(path),
        json=body,
        content=call.content,
        params=call.params,
        headers={**world.headers(call.who), "Content-Type": "text/csv"}
        if call.content is not None
        else world.headers(call.who),
    )
    response = await world.service.http.send(request, stream=True)  # the events never end
    if method != "GET" or response.status_code >= 400:
        await response.aread()  # for the message of a failed assertion
    await response.aclose()
    return response


@pytest.mark.parametrize(("method", "path"), audited_routes())
async def test_an_audited_route_writes_one_entry_per_success(
    world: World, method: str, path: str
) -> None:
    scenario = SCENARIOS.get((method, path))
    assert scenario is not None, f"add a scenario for {method} {path}"
    target_id = world.ids[scenario.target]
    before = await world.log()

    refused = await _call(world, method, scenario.invalid, target_id)
    assert 400 <= refused.status_code < 500
    assert await world.log() == before, "a 4xx answer wrote to the audit log"

    await scenario.prepare(world)
    started = datetime.now(UTC)
    answered = await _call(world, method, scenario.valid, target_id)
    assert 200 <= answered.status_code < 300, answered.text
    after = await world.log()

    assert len(after) == len(before) + 1
    entry = after[0]
    assert entry.action is scenario.action
    target_type = "message" if scenario.target == "dead_letter" else scenario.target
    assert (entry.target_type, entry.target_id) == (target_type, target_id)
    assert (entry.actor, entry.association_id) == (world.admin_id, world.ids["association"])
    assert started - timedelta(seconds=1) <= entry.at <= datetime.now(UTC)
    assert scenario.details.items() <= entry.details.items()
    recorded = json.dumps(entry.details)
    for personal in ("99999", "Maria", MARIA_SAYS, DEAD_TEXT, "98888", "receita"):
        assert personal not in recorded


async def test_the_list_and_a_sent_message_name_what_they_touched(world: World) -> None:
    admin = world.headers("admin")
    await world.service.http.get(world.url("conversations"), headers=admin)
    sent = await world.service.http.post(
        world.url(f"conversations/{world.ids['conversation']}/messages"),
        json={"text": "Olá"},
        headers=admin,
    )

    message, listed = (await world.log())[:2]
    assert listed.details == {"conversation_ids": [world.ids["conversation"]]}
    assert message.details == {"message_id": sent.json()["id"]}


# --- reading the log ----------------------------------------------------------------------------


async def test_admins_read_who_did_what_with_agent_names(world: World) -> None:
    conversation = world.ids["conversation"]
    await world.service.http.get(
        world.url(f"conversations/{conversation}"), headers=world.headers("agent")
    )
    await world.service.http.post(
        world.url(f"conversations/{conversation}/resolve"), headers=world.headers("admin")
    )

    response = await world.service.http.get(
        world.url("audit"), params={"limit": "2"}, headers=world.headers("admin")
    )

    assert response.status_code == 200
    body = response.json()
    resolved, viewed = body["items"]
    assert resolved["actor"] == world.admin_id and resolved["actor_name"] == "Ada"
    assert resolved["action"] == "conversation.resolved"
    assert (resolved["target_type"], resolved["target_id"]) == ("conversation", conversation)
    assert viewed["actor_name"] == "Ana" and viewed["action"] == "conversation.viewed"
    assert datetime.fromisoformat(viewed["at"]) <= datetime.fromisoformat(resolved["at"])
    assert body["next_cursor"]
    again = await world.service.http.get(
        world.url("audit"), params={"limit": "2"}, headers=world.headers("admin")
    )
    assert again.json()["items"] == body["items"], "reading the log wrote to it"
    agents = await world.service.http.get(world.url("agents"), headers=world.headers("admin"))
    assert {(a["name"], a["role"]) for a in agents.json()["items"]} == {
        ("Ada", "admin"),
        ("Ana", "agent"),
    }


DAY = datetime(2020, 5, 4, 12, tzinfo=UTC)


async def _old_entries(world: World) -> list[AuditEntry]:
    """Ten entries an hour apart on a day long ago: Ana, Ada and the system in turn."""
    actors = [world.service.agent_id, world.admin_id, SYSTEM_ACTOR]
    entries = [
        AuditEntry(
            world.ids["association"],
            actors[n % 3],
            AuditAction.CONTACT_VIEWED,
            "contact",
            f"contact-{n}",
            DAY + timedelta(hours=n),
        )
        for n in range(10)
    ]
    async with world.service.container.uow_factory()() as uow:
        for entry in entries:
            await uow.audit.add(entry)
        await uow.commit()
    return entries


async def _pages(world: World, **params: str) -> list[list[dict[str, Any]]]:
    pages, cursor = [], None
    while True:
        query = {**params, **({"cursor": cursor} if cursor else {})}
        response = await world.service.http.get(
            world.url("audit"), params=query, headers=world.headers("admin")
        )
        assert response.status_code == 200, response.text
        pages.append(response.json()["items"])
        cursor = response.json()["next_cursor"]
        if cursor is None:
            return pages


async def test_the_log_filters_by_period_and_actor_and_pages_back(world: World) -> None:
    await _old_entries(world)
    period = {"from": (DAY + timedelta(hours=1)).isoformat(), "to": "2020-05-04T20:00:00+00:00"}

    pages = await _pages(world, limit="3", **period)
    by_ana = await _pages(world, actor=world.service.agent_id, **period)
    system = await _pages(world, actor="system", limit="2", **period)

    in_period = [f"contact-{n}" for n in range(7, 0, -1)]
    assert [len(page) for page in pages] == [3, 3, 1]
    assert [item["target_id"] for page in pages for item in page] == in_period
    assert [item["target_id"] for page in by_ana for item in page] == ["contact-6", "contact-3"]
    assert [item["actor_name"] for page in by_ana for item in page] == ["Ana", "Ana"]
    assert [(item["actor"], item["actor_name"]) for page in system for item in page] == [
        ("system", None),
        ("system", None),
    ]
    assert pages[0][0] == {
        "actor": world.admin_id,
        "actor_name": "Ada",
        "action": "contact.viewed",
        "read": True,
        "target_type": "contact",
        "target_id": "contact-7",
        "target_name": None,  # no such contact
        "at": "2020-05-04T19:00:00+00:00",
        "details": {},
    }


@pytest.mark.parametrize(
    "query",
    [
        {"from": "yesterday"},
        {"to": "2020-05-04T12:00:00"},
        {"cursor": "abc"},
        {"limit": "0"},
    ],
)
async def test_bad_audit_queries_are_422(world: World, query: dict[str, str]) -> None:
    response = await world.service.http.get(
        world.url("audit"), params=query, headers=world.headers("admin")
    )
    assert response.status_code == 422
