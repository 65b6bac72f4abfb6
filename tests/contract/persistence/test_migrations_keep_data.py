"""Upgrades keep data: for each migration, a database at the revision before it is filled with
rows of every table it has (written against that revision's reflected tables, not today's
``tables.py``), upgraded one step, and every row is still there with every value it had; then,
upgraded to head, the rows are read back through today's repositories, on SQLite and PostgreSQL.

0001 has no revision before it (it starts from an empty database), so its rows are the ones
0002's test fills and reads back.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import MetaData, Table, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from wa_crm.adapters.sql import SqlUnitOfWork, create_engine, upgrade
from wa_crm.adapters.sql.engine import read_only_engine
from wa_crm.adapters.sql.knowledge_base import SqlKnowledgeBase
from wa_crm.adapters.sql.migrate import MIGRATIONS, current_revision
from wa_crm.adapters.sql.queries import sql_queries
from wa_crm.adapters.sql.tables import SEARCH_OBJECTS, metadata
from wa_crm.domain.model.job_codec import command_of
from wa_crm.domain.model.job_commands import Deliver
from wa_crm.domain.model.waha_server import server_key
from wa_crm.ports.queries import AuditQuery, ConversationQuery, Queries
from wa_crm.ports.system import SecretCipher

from . import migration_rows as data

Snapshot = dict[str, dict[tuple[Any, ...], dict[str, Any]]]
"""Per table, each row's raw stored values by primary key."""


def _steps() -> list[tuple[str, str]]:
    """Each migration with the revision before it, oldest first, skipping 0001."""
    scripts = ScriptDirectory(str(MIGRATIONS))
    return [
        (script.down_revision, script.revision)
        for script in reversed(list(scripts.walk_revisions()))
        if isinstance(script.down_revision, str)
    ]


STEPS = _steps()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def blank_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'wa_crm.db'}"
    url: str = request.getfixturevalue("postgres_blank_url")
    return url


def test_every_table_has_rows_and_a_reader(cipher: SecretCipher) -> None:
    """A migration that adds a table adds its rows to ``migration_rows`` and a reader here."""
    assert set(data.rows(cipher)) == set(metadata.tables) == set(_READERS) | set(_KNOWLEDGE)


@pytest.mark.parametrize(("previous", "revision"), STEPS, ids=[step[1] for step in STEPS])
async def test_upgrading_keeps_every_row(
    blank_url: str, cipher: SecretCipher, previous: str, revision: str
) -> None:
    await upgrade(blank_url, previous)
    engine = create_engine(blank_url)
    try:
        async with engine.begin() as connection:
            written = await connection.run_sync(_fill, data.rows(cipher))
        before = await _snapshot(engine)
        await _upgrade(engine, blank_url, revision)
        after = await _snapshot(engine)
        _assert_kept(written, before, after)
        if revision == "0007":
            _assert_0007_filled_in(after)
        await _upgrade(engine, blank_url, "head")
        await _assert_readable(engine, cipher, written)
    finally:
        await engine.dispose()


async def test_0007_leaves_a_waha_session_held_under_two_spellings_to_the_oldest(
    blank_url: str, cipher: SecretCipher, caplog: pytest.LogCaptureFixture
) -> None:
    """Before 0007 two associations could hold one WAHA server and session by spelling its URL
    differently (the takeover issue 14 closes). The older keeps it; the newer is disconnected
    (base URL and phone cleared, its admins set it up again) and named in the log; nothing else
    changes."""
    rows = data.rows(cipher)
    rows["associations"][1] |= {
        "waha_base_url": data.WAHA_URL.replace("waha.example", "WAHA.Example"),
        "whatsapp_phone": "5511900000000",
    }
    await upgrade(blank_url, "0006")
    engine = create_engine(blank_url)
    try:
        async with engine.begin() as connection:
            written = await connection.run_sync(_fill, rows)
        before = await _snapshot(engine)
        await _upgrade(engine, blank_url, "0007")
        after = await _snapshot(engine)
    finally:
        await engine.dispose()
    newer, older = (data.NEWER_ASSOCIATION,), (data.ASSOCIATION,)
    cleared = {"waha_base_url": "", "whatsapp_phone": None}
    assert after["associations"][newer] == before["associations"][newer] | cleared | {
        "waha_server": ""
    }
    assert after["associations"][older]["waha_server"] == server_key(data.WAHA_URL)
    assert "'esperanca'" in caplog.text and "set it up again" in caplog.text
    del before["associations"][newer]
    _assert_kept({**written, "associations": 1}, before, after)


async def test_an_upgrade_that_leaves_a_dangling_foreign_key_on_sqlite_is_rolled_back(
    tmp_path: Path,
) -> None:
    """SQLite's foreign keys are not enforced while migrations rebuild tables, so they are all
    checked before the commit: a row pointing nowhere stops the upgrade and keeps the revision."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'wa_crm.db'}"
    await upgrade(url, "0001")
    unenforced = create_engine(url, enforce_foreign_keys=False)
    try:
        async with unenforced.begin() as connection:
            await connection.exec_driver_sql(
                "INSERT INTO agents (id, association_id, email, name, role, password_hash, "
                "created_at) VALUES ('agent-x', 'gone', 'x@y.org', 'X', 'agent', 'h', "
                "'2026-11-20 12:00:00.000000')"
            )
    finally:
        await unenforced.dispose()
    with pytest.raises(RuntimeError, match="foreign key points nowhere"):
        await upgrade(url, "0002")
    engine = create_engine(url)
    try:
        assert await current_revision(engine) == "0001"
    finally:
        await engine.dispose()


async def _upgrade(engine: AsyncEngine, url: str, revision: str) -> None:
    """Upgrade with no connection of ours open: PostgreSQL would refuse their cached statement
    plans once the schema changed, as any running service's would (upgrades run stopped)."""
    await engine.dispose()
    await upgrade(url, revision)


def _fill(connection: Connection, rows: Mapping[str, list[dict[str, Any]]]) -> dict[str, int]:
    """Insert each table's rows cut to the columns it has at this revision; how many each got."""
    schema = MetaData()
    schema.reflect(connection)
    written = {}
    search_objects = SEARCH_OBJECTS[connection.dialect.name]
    for table in schema.sorted_tables:
        if table.name == "alembic_version" or table.name in search_objects:
            continue  # the full-text index fills itself (migration 0010)
        present = [
            {name: _stored(value, connection) for name, value in row.items() if name in table.c}
            for row in rows[table.name]
        ]
        connection.execute(table.insert(), present)
        written[table.name] = len(present)
    return written


def _stored(value: Any, connection: Connection) -> Any:
    """A value as the code stores it: SQLite gets naive UTC times and money as a float."""
    if connection.dialect.name != "sqlite":
        return value
    if isinstance(value, datetime):
        return value.astimezone(UTC).replace(tzinfo=None)
    if isinstance(value, Decimal):
        return float(value)
    return value


async def _snapshot(engine: AsyncEngine) -> Snapshot:
    """Every row of every table as the database returns it (no column types applied)."""
    async with engine.connect() as connection:
        return await connection.run_sync(_read_raw)


def _read_raw(connection: Connection) -> Snapshot:
    schema = MetaData()
    schema.reflect(connection)
    snapshot: Snapshot = {}
    for table in schema.sorted_tables:
        rows = connection.execute(text(f'SELECT * FROM "{table.name}"')).mappings()
        snapshot[table.name] = {_key(table, row): dict(row) for row in rows}
    return snapshot


def _key(table: Table, row: Mapping[str, Any]) -> tuple[Any, ...]:
    return tuple(row[column.name] for column in table.primary_key.columns)


def _assert_kept(written: dict[str, int], before: Snapshot, after: Snapshot) -> None:
    for name, count in written.items():
        assert len(before[name]) == count, f"{name}: {count} rows written"
        for key, row in before[name].items():
            assert key in after[name], f"{name} lost row {key}"
            kept = after[name][key]
            changed = {column for column, value in row.items() if kept.get(column) != value}
            assert not changed, f"{name} row {key} changed {sorted(changed)}"


def _assert_0007_filled_in(after: Snapshot) -> None:
    """Beyond its columns' defaults, 0007 gives older tokens an id and associations a server."""
    tokens = after["api_tokens"]
    assert {row["id"] for row in tokens.values()} == {data.TOKEN_HASH[:16]}
    assert {row["name"] for row in tokens.values()} == {""}
    servers = {row["id"]: row["waha_server"] for row in after["associations"].values()}
    assert servers == {data.ASSOCIATION: server_key(data.WAHA_URL), data.NEWER_ASSOCIATION: ""}


async def _assert_readable(
    engine: AsyncEngine, cipher: SecretCipher, written: dict[str, int]
) -> None:
    """Today's repositories and queries read what the older revision stored, table by table."""
    read_engine = read_only_engine(engine)
    try:
        async with SqlUnitOfWork(engine, cipher) as uow:
            for table in written:
                if table not in _KNOWLEDGE:
                    await _READERS[table](uow, sql_queries(read_engine))
        knowledge = SqlKnowledgeBase(engine, read_engine)
        for table in written:
            if table in _KNOWLEDGE:
                await _KNOWLEDGE[table](knowledge)
    finally:
        await read_engine.dispose()


async def _association(uow: SqlUnitOfWork, queries: Queries) -> None:
    association = await uow.associations.get(data.ASSOCIATION)
    assert association is not None
    assert association.whatsapp.api_key == "waha-key"
    assert association.whatsapp.webhook_secret == "webhook-secret"
    assert association.whatsapp.phone == "5511987654321"
    assert association.bot.enabled is False
    newer = await uow.associations.get(data.NEWER_ASSOCIATION)
    assert newer is not None and newer.whatsapp.base_url == ""


async def _agent(uow: SqlUnitOfWork, queries: Queries) -> None:
    agent = await uow.agents.get(data.ASSOCIATION, data.AGENT)
    assert agent is not None and agent.email == "ana@amparo.org"


async def _api_token(uow: SqlUnitOfWork, queries: Queries) -> None:
    found = await uow.agents.find_by_token(data.TOKEN_HASH)
    assert found is not None and found[1].id == data.TOKEN_HASH[:16]


async def _browser_session(uow: SqlUnitOfWork, queries: Queries) -> None:
    session = await uow.agents.find_session("session-hash")
    assert session is not None and session.agent_id == data.AGENT


async def _patient(uow: SqlUnitOfWork, queries: Queries) -> None:
    patient = await uow.patients.get(data.ASSOCIATION, "patient-1")
    assert patient is not None
    assert patient.profile == {"diagnosis": "epilepsy"}
    assert patient.phones == ("5511987654321",)
    assert [order.total for order in patient.orders] == [Decimal("249.90")]


async def _contact(uow: SqlUnitOfWork, queries: Queries) -> None:
    contact = await uow.contacts.get(data.ASSOCIATION, data.CONTACT)
    assert contact is not None and contact.fields == {"city": "Campinas"}
    # The search columns: filled by 0013 for contacts and patients stored before it.
    for search in ("MARIA", "souza", "98765-4321"):
        assert await _found(queries, search) == [(data.CONVERSATION, None)], search


async def _found(queries: Queries, text: str) -> list[tuple[str, str | None]]:
    """What the inbox search finds, with the message it was found by."""
    query = ConversationQuery(text=text, snoozed=None)
    page = await queries.inbox.page(data.ASSOCIATION, query, data.AGENT)
    matches = page.matches
    return [
        (c.id, matches[c.id].message_id if c.id in matches else None) for c in page.conversations
    ]


async def _conversation(uow: SqlUnitOfWork, queries: Queries) -> None:
    conversation = await uow.conversations.get(data.ASSOCIATION, data.CONVERSATION)
    assert conversation is not None and conversation.assignee_id == data.AGENT
    assert conversation.handoff_note is not None


async def _messages(uow: SqlUnitOfWork, queries: Queries) -> None:
    incoming = await uow.messages.get(data.ASSOCIATION, data.MESSAGE_IN)
    assert incoming is not None and incoming.media is not None
    assert incoming.media.mimetype == "image/jpeg"
    outgoing = await uow.messages.get(data.ASSOCIATION, data.MESSAGE_OUT)
    assert outgoing is not None and outgoing.reply_to == data.MESSAGE_IN
    # What messages say: indexed by 0013 for messages stored before it.
    assert await _found(queries, "PRESCRIPTION") == [(data.CONVERSATION, data.MESSAGE_IN)]


async def _message_terms(uow: SqlUnitOfWork, queries: Queries) -> None:
    assert await _found(queries, "recebidos") == [(data.CONVERSATION, data.MESSAGE_OUT)]


async def _reaction(uow: SqlUnitOfWork, queries: Queries) -> None:
    reactions = await uow.messages.reactions_of(data.ASSOCIATION, [data.MESSAGE_OUT])
    assert [reaction.emoji for reaction in reactions[data.MESSAGE_OUT]] == ["🙏"]


async def _job(uow: SqlUnitOfWork, queries: Queries) -> None:
    job = await uow.jobs.get("job-1")
    assert job is not None
    assert command_of(job, [Deliver]) == Deliver(data.ASSOCIATION, data.CONVERSATION)


async def _processed_event(uow: SqlUnitOfWork, queries: Queries) -> None:
    assert not await uow.processed_events.remember(data.ASSOCIATION, "evt-1", data.T)


async def _pending_ack(uow: SqlUnitOfWork, queries: Queries) -> None:
    kept = await uow.pending_acks.take(data.ASSOCIATION, "true_5511987654321@c.us_CCC")
    assert kept is not None and kept.value == "delivered"


async def _send_slot(uow: SqlUnitOfWork, queries: Queries) -> None:
    key, interval = f"{data.ASSOCIATION}:5511987654321", timedelta(seconds=1)
    assert await uow.send_slots.reserve(key, data.T, interval) == data.T + timedelta(minutes=5)


async def _session_event(uow: SqlUnitOfWork, queries: Queries) -> None:
    history = await queries.monitoring.session_history(data.ASSOCIATION, 10)
    assert [change.status for change in history] == ["WORKING"]


async def _handoff(uow: SqlUnitOfWork, queries: Queries) -> None:
    by_reason = (await queries.statistics.period(data.ASSOCIATION, *_PERIOD)).handoffs_by_reason
    assert by_reason == {"keyword": 1}


async def _alert(uow: SqlUnitOfWork, queries: Queries) -> None:
    alerts = await queries.monitoring.recent_alerts(data.ASSOCIATION, 10)
    assert [alert.kind for alert in alerts] == ["session_down"]


async def _webhook_refusal(uow: SqlUnitOfWork, queries: Queries) -> None:
    refused = await queries.monitoring.refused_webhooks(data.ASSOCIATION, data.T)
    assert refused == {"bad_signature": 3}


async def _audit_entry(uow: SqlUnitOfWork, queries: Queries) -> None:
    entries = await queries.audit.entries(data.ASSOCIATION, AuditQuery())
    assert [entry.target_id for _, entry in entries] == [data.CONVERSATION]


async def _rollup(uow: SqlUnitOfWork, queries: Queries) -> None:
    hours = (await queries.statistics.period(data.ASSOCIATION, *_PERIOD)).hourly_messages
    rolled_up = data.T - timedelta(days=1)
    assert [(h.inbound, h.outbound) for h in hours if h.hour == rolled_up] == [(4, 3)]


async def _canned_reply(uow: SqlUnitOfWork, queries: Queries) -> None:
    reply = await uow.canned_replies.get(data.ASSOCIATION, "reply-1")
    assert reply is not None and reply.shortcut == "hours"


async def _note(uow: SqlUnitOfWork, queries: Queries) -> None:
    notes = await uow.notes.list_for_conversation(data.ASSOCIATION, data.CONVERSATION, 10)
    assert [note.text for note in notes] == ["Call back on Monday"]


async def _presence(uow: SqlUnitOfWork, queries: Queries) -> None:
    presence = await uow.assignment.presence(data.ASSOCIATION)
    assert [seen.agent_id for seen in presence] == [data.AGENT]


async def _import(uow: SqlUnitOfWork, queries: Queries) -> None:
    done = await uow.imports.get(data.ASSOCIATION, "import-1")
    assert done is not None and done.imported == 9


async def _label(uow: SqlUnitOfWork, queries: Queries) -> None:
    label = await uow.labels.get(data.ASSOCIATION, "urgent")
    assert label is not None and label.colour == "#d64545"
    assert [usage.name for usage in await queries.labels.catalog(data.ASSOCIATION)] == ["urgent"]


async def _knowledge_document(knowledge: SqlKnowledgeBase) -> None:
    document = await knowledge.get(data.ASSOCIATION, "doc-1")
    assert document is not None and document.chunks == 1


async def _knowledge_passage(knowledge: SqlKnowledgeBase) -> None:
    found = await knowledge.search(data.ASSOCIATION, "entrega", 3, [0.6, 0.8])
    assert [(passage.document_id, passage.score) for passage in found] == [("doc-1", 1.0)]


async def _unanswered_question(knowledge: SqlKnowledgeBase) -> None:
    asked = await knowledge.record_unanswered(data.ASSOCIATION, "aceitam PIX", None, data.T)
    assert (asked.id, asked.times_asked) == ("question-1", 3)


_KNOWLEDGE: dict[str, Callable[[SqlKnowledgeBase], Awaitable[None]]] = {
    "knowledge_documents": _knowledge_document,
    "knowledge_passages": _knowledge_passage,
    "knowledge_unanswered": _unanswered_question,
}
"""The knowledge base is its own port, outside the unit of work (ports/knowledge.py)."""

_PERIOD = (data.T - timedelta(days=2), data.T + timedelta(days=2))
_READERS: dict[str, Callable[[SqlUnitOfWork, Queries], Awaitable[None]]] = {
    "associations": _association,
    "agents": _agent,
    "api_tokens": _api_token,
    "browser_sessions": _browser_session,
    "patients": _patient,
    "patient_phones": _patient,
    "orders": _patient,
    "contacts": _contact,
    "conversations": _conversation,
    "messages": _messages,
    "message_terms": _message_terms,
    "message_reactions": _reaction,
    "jobs": _job,
    "processed_events": _processed_event,
    "pending_acks": _pending_ack,
    "send_slots": _send_slot,
    "session_events": _session_event,
    "handoffs": _handoff,
    "alerts": _alert,
    "webhook_refusals": _webhook_refusal,
    "audit_log": _audit_entry,
    "message_rollups": _rollup,
    "canned_replies": _canned_reply,
    "conversation_notes": _note,
    "agent_presence": _presence,
    "imports": _import,
    "labels": _label,
}
