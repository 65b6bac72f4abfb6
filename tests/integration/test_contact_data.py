"""An admin exports and erases contacts' data over the API, on SQLite and PostgreSQL, against the
whole service and the WAHA simulator (``tests/e2e/harness``): real bot turns, media fetched from
WAHA and sent to it, patients imported from CSV.

- Maria, a member (patient p-1, with orders), writes, sends a photo; the bot greets her; the
  admin answers with a text and a PDF, and leaves a private note on her conversation.
- Lia, a lead, answers the bot's questions (collected fields, a handoff note).
- João, a member too, writes and sends a photo, and has a note too: nothing of his may leave
  with Maria's export, and nothing of his may go with the erasures.

After Maria's and Lia's erasure, every row of every table is dumped as text and searched for
their phone numbers, names and message texts, and the media folder for their files.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import dataclasses
import io
import json
import zipfile
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import inspect, text
from tests.e2e.harness import Service, running_service

from wa_crm.domain.model.association import BotSettings
from wa_crm.domain.model.knowledge import UnansweredQuestion
from wa_crm.domain.model.message import Message
from wa_crm.domain.model.statistics import Resolution, Statistics
from wa_crm.domain.usecases.access.setup import NewAgent
from wa_crm.domain.usecases.monitoring.statistics import StatisticsRequest

BOT = BotSettings(debounce_seconds=0.2, typing_seconds=0)
MARIA, LIA, JOAO = "5511999998888@c.us", "5511977776666@c.us", "558188887777@c.us"
PATIENTS = (
    "id,full_name,phone,status,city\n"
    "p-1,Maria Aparecida Quintanilha,+55 11 99999-8888,active,Campinas\n"
    "p-2,João Batista Wanderley,+55 81 8888-7777,active,Recife\n"
)
ORDERS = (
    "patient_id,order_id,date,items,total,status\n"
    "p-1,o-1001,2026-09-12,Oleo Quintanilha 3%,289.90,delivered\n"
    "p-2,o-2001,2026-10-01,Oleo Wanderley 5%,100.00,shipped\n"
)
MARIA_PHOTO = b"\xff\xd8\xff\xe0maria-receita" + bytes(range(256)) * 8
MARIA_PDF = b"%PDF-1.4 laudo da Maria " + bytes(range(256)) * 8
JOAO_PHOTO = b"\xff\xd8\xff\xe0joao-foto" + bytes(range(255, -1, -1)) * 8
# What nobody may find once Maria and Lia are erased: phones, names, what they wrote.
ERASED = (
    "999998888",
    "977776666",
    "Quintanilha",
    "Aparecida",
    "Lia Souza",
    "canabidiol azul",
    "receita rosa",
    "Recebemos sua receita",
    "Ararangua",
    "nota sobre a Maria",
)
# What stays: João's.
KEPT = ("88887777", "Wanderley", "girassol", "nota sobre o João")


@dataclass
class World:
    service: Service
    admin: dict[str, str]
    admin_id: str
    media_dir: Path

    @property
    def api(self) -> str:
        return f"{self.service.service_url}/api/associations/e2e"

    async def call(self, method: str, path: str, **kwargs: Any) -> Any:
        return await self.service.http.request(
            method, f"{self.api}{path}", headers=self.admin, **kwargs
        )

    async def contact_id(self, chat_id: str) -> str:
        contact = await self.service.contact_of(chat_id)
        return str(contact.id)

    async def messages_of(self, chat_id: str) -> list[Message]:
        container, association = self.service.container, self.service.association
        async with container.uow_factory()() as uow:
            contact = await uow.contacts.find_by_chat_id(association.id, chat_id)
            assert contact is not None
            conversations = await uow.conversations.list_for_contact(association.id, contact.id)
            return [
                message
                for conversation in conversations
                for message in await uow.messages.all_of_conversation(
                    association.id, conversation.id
                )
            ]

    async def questions_of(self, chat_id: str) -> list[UnansweredQuestion]:
        """What the knowledge base recorded from the contact's conversations as unanswered."""
        conversation = await self.service.conversation_of(chat_id)
        knowledge = self.service.container.knowledge_base()
        return await knowledge.unanswered_of_conversations(
            self.service.association.id, [conversation.id]
        )

    async def statistics(self) -> Statistics:
        today = self.service.container.clock().now().date()
        request = StatisticsRequest(self.service.association, today - timedelta(days=1), today)
        return (await self.service.container.compute_statistics()(request)).unwrap()


def without_reports(statistics: Statistics) -> Statistics:
    return dataclasses.replace(statistics, by_agent=(), resolution=Resolution())


async def eventually(check: Callable[[], Awaitable[bool]], what: str, within: float = 15) -> None:
    deadline = asyncio.get_running_loop().time() + within
    while not await check():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)


def photo(data: bytes, name: str) -> dict[str, str]:
    return {"mimetype": "image/jpeg", "filename": name, "data": base64.b64encode(data).decode()}


async def play(world: World) -> None:
    """The conversations of the module docstring, until every send and file has landed."""
    service = world.service
    simulator = f"{service.simulator_url}/_sim/default/inbound"

    async def writes(chat: str, text: str, push_name: str, media: Any = None) -> None:
        body = {"from": chat, "text": text, "push_name": push_name, "media": media}
        (await service.http.post(simulator, json=body)).raise_for_status()

    await writes(MARIA, "Oi, preciso da receita de canabidiol azul", "Maria Aparecida")
    await writes(JOAO, "Quero o oleo de girassol", "João Wanderley", photo(JOAO_PHOTO, "j.jpg"))
    await service.wait_for_texts(lambda texts: len(texts) >= 1, MARIA)
    await writes(MARIA, "segue a receita rosa", "Maria Aparecida", photo(MARIA_PHOTO, "r.jpg"))
    # The bot asks its lead questions one at a time; each answer waits for its question.
    questions = [question.question for question in BOT.lead_questions]
    answers = ("Oi, boa tarde", "Lia Souza", "Ararangua", "Quero saber como me associar")
    for answer, expected in zip(answers, [*questions, BOT.transition_message], strict=True):
        await writes(LIA, answer, "Lia Souza")
        await service.wait_for_texts(lambda texts, e=expected: e in texts, LIA)

    conversation = (await service.conversation_of(MARIA)).id
    sent = await world.call(
        "POST", f"/conversations/{conversation}/messages", json={"text": "Recebemos sua receita"}
    )
    assert sent.status_code == 201, sent.text
    files = {"file": ("laudo.pdf", MARIA_PDF, "application/pdf")}
    sent = await world.call("POST", f"/conversations/{conversation}/messages", files=files)
    assert sent.status_code == 201, sent.text

    async def settled() -> bool:
        kinds = [s["kind"] for s in await service.sent(MARIA)]
        stored = [
            m
            for chat in (MARIA, JOAO)
            for m in await world.messages_of(chat)
            if m.media is not None and m.media.stored
        ]
        return (
            "file" in kinds
            and "Recebemos sua receita" in await service.texts(MARIA)
            and (len(stored) == 3)
        )

    await eventually(settled, "the sends and the files")
    for chat, note in ((MARIA, "nota sobre a Maria"), (JOAO, "nota sobre o João")):
        conversation = (await service.conversation_of(chat)).id
        notes = service.container.notes()
        (await notes.add(service.association.id, conversation, world.admin_id, note)).unwrap()
    await service.http.post(f"{service.simulator_url}/_sim/wait-idle", json={"timeout": 5})


@pytest.fixture
async def world(backend_url: str, tmp_path: Path) -> AsyncIterator[World]:
    media_dir = tmp_path / "media"
    async with running_service(backend_url, media_dir, BOT, quick_sends=True) as service:
        container = service.container
        (await container.import_patients()("e2e", PATIENTS)).unwrap()
        (await container.import_orders()("e2e", ORDERS)).unwrap()
        admin = NewAgent("e2e", "ada@e2e.org", "Ada", "admin", "admin-password")
        ada = (await container.create_agent()(admin)).unwrap()
        token = (await container.issue_api_token()("e2e", "ada@e2e.org")).unwrap()
        world = World(service, {"Authorization": f"Bearer {token}"}, ada.id, media_dir)
        await play(world)
        yield world


def unzip(content: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


async def test_the_export_holds_every_item_of_the_contact_and_nothing_else(
    world: World,
) -> None:
    maria = await world.contact_id(MARIA)
    stored = await world.messages_of(MARIA)

    response = await world.call("GET", f"/contacts/{maria}/export")

    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/zip"
    assert response.headers["content-disposition"] == f'attachment; filename="contact-{maria}.zip"'
    files = unzip(response.content)
    contact = json.loads(files["contact.json"])
    assert (contact["id"], contact["phone"], contact["display_name"]) == (
        maria,
        "+5511999998888",
        "Maria Aparecida",
    )
    (patient,) = json.loads(files["patient.json"])
    assert (patient["id"], patient["full_name"], [o["id"] for o in patient["orders"]]) == (
        "p-1",
        "Maria Aparecida Quintanilha",
        ["o-1001"],
    )
    conversations = json.loads(files["conversations.json"])
    assert {c["id"] for c in conversations} == {m.conversation_id for m in stored}
    messages = json.loads(files["messages.json"])
    assert sorted(m["id"] for m in messages) == sorted(m.id for m in stored)
    assert {m["body"] for m in messages} == {m.body for m in stored}
    assert len(stored) >= 5  # two of hers, the bot's greeting, the admin's text and file
    with_files = {m["id"]: m["media"]["file"] for m in messages if m["media"]}
    assert sorted(files[path] for path in with_files.values()) == sorted([MARIA_PHOTO, MARIA_PDF])
    assert set(files) == {
        "contact.json",
        "patient.json",
        "conversations.json",
        "messages.json",
        "notes.json",
        "unanswered_questions.json",
        *with_files.values(),
    }
    assert [note["text"] for note in json.loads(files["notes.json"])] == ["nota sobre a Maria"]
    questions = json.loads(files["unanswered_questions.json"])
    assert [q["id"] for q in questions] == [q.id for q in await world.questions_of(MARIA)]
    everything = b"".join(files.values()).decode("utf-8", errors="replace")
    for other in (*KEPT, "João", "Lia Souza", "977776666"):
        assert other not in everything, other
    assert JOAO_PHOTO not in b"".join(files.values())


async def dump(world: World) -> str:
    """Every row of every table, as text; JSON values also without escapes."""
    engine = world.service.container.engine()
    cells: list[str] = []
    async with engine.connect() as connection:
        names = await connection.run_sync(lambda sync: inspect(sync).get_table_names())
        for name in names:
            for row in await connection.execute(text(f'SELECT * FROM "{name}"')):
                for cell in row:
                    cells.append(str(cell))
                    if isinstance(cell, str) and cell[:1] in '[{"':
                        with contextlib.suppress(ValueError):
                            cells.append(json.dumps(json.loads(cell), ensure_ascii=False))
    return "\n".join(cells)


async def test_after_an_erasure_nothing_of_the_contact_is_found(world: World) -> None:
    maria, lia = await world.contact_id(MARIA), await world.contact_id(LIA)
    marias_messages = len(await world.messages_of(MARIA))
    marias_questions = await world.questions_of(MARIA)
    statistics = await world.statistics()
    before = await dump(world)
    for found in (*ERASED, *KEPT):  # the search does find what is there
        assert found in before, found

    wrong = await world.call("POST", f"/contacts/{maria}/erase", json={"confirm_name": "Maria"})
    assert wrong.status_code == 422
    assert wrong.json()["error"]["code"] == "not_confirmed"
    assert len(await world.messages_of(MARIA)) == marias_messages
    unchanged = await dump(world)
    assert all(found in unchanged for found in ERASED)

    erased = await world.call(
        "POST", f"/contacts/{maria}/erase", json={"confirm_name": "  maria APARECIDA "}
    )
    assert erased.status_code == 200, erased.text
    assert erased.json() == {
        "contact_id": maria,
        "messages": marias_messages,
        "media_files": 2,
        "conversations": 1,
        "patients": 1,
        "notes": 1,
        "unanswered_questions": len(marias_questions),
    }
    erased_lead = await world.call(
        "POST", f"/contacts/{lia}/erase", json={"confirm_name": "LIA SOUZA"}
    )
    assert erased_lead.status_code == 200, erased_lead.text

    after = await dump(world)
    for gone in ERASED:
        assert gone not in after, gone
    for kept in KEPT:
        assert kept in after, kept
    files = [path.read_bytes() for path in world.media_dir.rglob("*") if path.is_file()]
    assert files == [JOAO_PHOTO]
    # The monitoring figures stay (rollups); the reports' per-agent figures count stored
    # messages, and the erasure resolves Maria's open conversation (architecture.md, Reports).
    assert without_reports(await world.statistics()) == without_reports(statistics)

    search = await world.call("GET", "/conversations", params={"q": "Aparecida"})
    assert search.json()["items"] == []
    sidebar = (await world.call("GET", f"/contacts/{maria}")).json()
    assert sidebar["contact"]["wa_chat_id"] == f"erased:{maria}"
    assert sidebar["patient"] is None
    assert [c["status"] for c in sidebar["conversations"]] == ["resolved"]
