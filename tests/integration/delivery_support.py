"""Helpers for the delivery reliability tests (issue 5): the WAHA simulator on a real port with a
recorder of every WAHA request it receives, an association whose session it serves, a backlog
of queued messages across many chats, fast job runners, and the checks on what was sent.

    async with recording_simulator() as waha:
        association = await create_association(container, waha.url, messages_per_second=50)
        chats = await open_chats(container, association, 8)
        queued = await queue_backlog(container, association, chats, per_chat=5)
        async with running(fast_runner(container)):
            await waha.wait_for_texts(len(queued))
        assert_delivered_in_order(queued, await waha.sent_texts())
"""

from __future__ import annotations

import asyncio
import dataclasses
import os
import signal
import sys
import time
from collections import Counter, defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, TextIO

import httpx
from sqlalchemy import func, select
from starlette.types import ASGIApp, Receive, Scope, Send

from wa_crm.adapters.sql.tables import messages
from wa_crm.container import Container
from wa_crm.domain.model.association import Association, BotSettings, WhatsAppSettings
from wa_crm.domain.model.conversation import Channel, Conversation
from wa_crm.domain.model.jobs import Backoff
from wa_crm.domain.model.message import Author
from wa_crm.domain.model.people import Contact
from wa_crm.domain.usecases.access.setup import NewAssociation
from wa_crm.domain.usecases.outbound.outbound import Outgoing, queue_outbound
from wa_crm.domain.usecases.runtime.runner import JobRunner
from wa_crm.testing import SimulatorConfig, WahaSimulator, create_simulator_app, serve_app

API_KEY = "delivery-waha-key"
SECRET = "delivery-webhook-secret"
SECRET_KEY = "delivery-secret-key-0123456789"
SESSION = "default"
FAST_BACKOFF = Backoff(base_seconds=0.05, max_seconds=0.5)
WA_CRM = Path(sys.executable).parent / "wa-crm"
REPOSITORY = Path(__file__).resolve().parents[2]


# --- the simulator ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Request:
    at: float  # time.monotonic()
    method: str
    path: str
    fault: str | None  # the fault mode active when the request arrived

    @property
    def is_send(self) -> bool:
        return self.method == "POST" and self.path.startswith("/api/send")

    @property
    def is_delivery(self) -> bool:
        """A send, or what a delivery asks before one: a message id fixed beforehand, or the
        chat's messages (a retry looks there for a send that may have gone)."""
        reads = self.path.endswith("/new-message-id") or self.path.endswith("/messages")
        return self.is_send or (self.method == "GET" and reads)


class RequestRecorder:
    """ASGI middleware in front of the simulator: notes every WAHA request that reaches it."""

    def __init__(self, app: ASGIApp, simulator: WahaSimulator) -> None:
        self.app, self.simulator = app, simulator
        self.requests: list[Request] = []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not scope["path"].startswith("/_sim"):
            fault = self.simulator.faults.active()
            self.requests.append(Request(time.monotonic(), scope["method"], scope["path"], fault))
        await self.app(scope, receive, send)

    def sends(self, since: float = 0.0, until: float = float("inf")) -> list[Request]:
        return [r for r in self.requests if r.is_send and since <= r.at < until]

    def deliveries(self, since: float = 0.0, until: float = float("inf")) -> list[Request]:
        return [r for r in self.requests if r.is_delivery and since <= r.at < until]


@dataclass
class Waha:
    url: str
    simulator: WahaSimulator
    recorder: RequestRecorder
    http: httpx.AsyncClient

    async def fault(self, mode: str, seconds: float | None = None) -> None:
        body: dict[str, Any] = {"mode": mode}
        if seconds is not None:
            body["seconds"] = seconds
        (await self.http.post("/_sim/faults", json=body)).raise_for_status()

    async def sent(self, kind: str = "text") -> list[dict[str, Any]]:
        response = await self.http.get(f"/_sim/{SESSION}/sent")
        response.raise_for_status()
        return [record for record in response.json() if record["kind"] == kind]

    async def sent_texts(self) -> list[dict[str, Any]]:
        return await self.sent("text")

    async def wait_for_texts(
        self, count: int, within: float = 30.0, every: float = 0.05
    ) -> list[dict[str, Any]]:
        """Until the simulator holds ``count`` distinct texts (duplicates do not count). Listing
        thousands of sends takes the simulator's event loop a while: look seldom then."""
        deadline = time.monotonic() + within
        while True:
            sent = await self.sent_texts()
            if len({record["text"] for record in sent}) >= count:
                return sent
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out: {len(sent)} of {count} texts sent")
            await asyncio.sleep(every)


@asynccontextmanager
async def recording_simulator(config: SimulatorConfig | None = None) -> AsyncIterator[Waha]:
    """The WAHA simulator (API key ``API_KEY``, session ``default`` WORKING) on a free port."""
    settings = config or SimulatorConfig(api_key=API_KEY, ack_levels=())
    app = create_simulator_app(settings)
    simulator: WahaSimulator = app.state.simulator
    recorder = RequestRecorder(app, simulator)

    async def release_held_requests() -> None:
        simulator.closing.set()

    async with (
        serve_app(recorder, before_exit=release_held_requests) as url,
        httpx.AsyncClient(base_url=url, timeout=10) as http,
    ):
        yield Waha(url, simulator, recorder, http)


# --- the association, its chats and their backlog ---------------------------------------------


@dataclass(frozen=True)
class Chat:
    number: int
    chat_id: str
    conversation_id: str


async def create_association(
    container: Container,
    waha_url: str,
    *,
    messages_per_second: float,
    chat_gap_seconds: float,
    slug: str = "entrega",
) -> Association:
    created = await container.create_association()(
        NewAssociation(slug, "Associação Entrega", whatsapp=WhatsAppSettings(waha_url, API_KEY))
    )
    association = dataclasses.replace(
        created.unwrap(),
        bot=BotSettings(enabled=False, typing_seconds=0),
        whatsapp=WhatsAppSettings(
            waha_url,
            API_KEY,
            SESSION,
            SECRET,
            messages_per_second=messages_per_second,
            chat_gap_seconds=chat_gap_seconds,
        ),
    )
    async with container.uow_factory()() as uow:
        await uow.associations.update(association)
        await uow.commit()
    return association


def chat_id_of(number: int) -> str:
    return f"55119{number:08d}@c.us"


async def open_chats(container: Container, association: Association, count: int) -> list[Chat]:
    """``count`` contacts, each with an open conversation waiting for agents."""
    ids, now = container.ids(), container.clock().now()
    chats = []
    async with container.uow_factory()() as uow:
        for number in range(count):
            contact = Contact(ids.new_id(), association.id, chat_id_of(number), now)
            await uow.contacts.add(contact)
            conversation = Conversation.open(
                id=ids.new_id(),
                association_id=association.id,
                contact_id=contact.id,
                channel=Channel.WHATSAPP,
                session=SESSION,
                at=now,
                bot_available=False,
            )
            await uow.conversations.add(conversation)
            chats.append(Chat(number, contact.wa_chat_id, conversation.id))
        await uow.commit()
    return chats


def text_of(chat: Chat, sequence: int) -> str:
    return f"chat {chat.number:05d} message {sequence:04d}"


async def queue_backlog(
    container: Container, association: Association, chats: list[Chat], per_chat: int
) -> list[str]:
    """Agents' replies, ``per_chat`` to each chat, queued round-robin as they would arrive;
    returns their texts in the order they were queued."""
    ids, clock = container.ids(), container.clock()
    queued = []
    async with container.uow_factory()() as uow:
        conversations = {}
        for chat in chats:
            conversation = await uow.conversations.get(association.id, chat.conversation_id)
            assert conversation is not None
            conversations[chat.conversation_id] = conversation
        for sequence in range(per_chat):
            for chat in chats:
                text = text_of(chat, sequence)
                outgoing = Outgoing(text, Author.AGENT)
                conversation = conversations[chat.conversation_id]
                await queue_outbound(uow, ids, conversation, outgoing, clock.now())
                queued.append(text)
        for conversation in conversations.values():
            await uow.conversations.update(conversation)
        await uow.commit()
    return queued


async def status_counts(container: Container) -> dict[str, int]:
    """Outbound messages by status, straight from the database."""
    query = select(messages.c.status, func.count()).group_by(messages.c.status)
    async with container.engine().connect() as connection:
        rows = (await connection.execute(query)).all()
    return {str(status): int(count) for status, count in rows}


# --- running jobs -----------------------------------------------------------------------------


def fast_runner(container: Container, worker_id: str = "test-worker") -> JobRunner:
    """A runner with the container's handlers and a backoff of tens of milliseconds."""
    return JobRunner(
        container.uow_factory(),
        container.clock(),
        container.job_handlers(),
        worker_id,
        backoff=FAST_BACKOFF,
    )


@asynccontextmanager
async def running(runner: JobRunner, poll_seconds: float = 0.02) -> AsyncIterator[None]:
    stop = asyncio.Event()
    task = asyncio.create_task(runner.run_until(stop, poll_seconds))
    try:
        yield
    finally:
        stop.set()
        await asyncio.wait_for(task, 30)


async def eventually(
    check: Callable[[], Awaitable[bool]], within: float = 10.0, what: str = "condition"
) -> None:
    deadline = time.monotonic() + within
    while not await check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.02)


# --- worker processes (``wa-crm worker``) -----------------------------------------------------


@dataclass
class WorkerProcess:
    """``wa-crm worker`` in a subprocess; its stderr goes to a file shown when a test fails."""

    database_url: str
    media_dir: Path
    log: Path
    loops: int = 1
    lease_seconds: float = 300.0
    process: asyncio.subprocess.Process | None = None
    _log_file: TextIO | None = field(default=None, repr=False)

    async def start(self) -> None:
        env = {
            **os.environ,
            "WA_CRM_DATABASE_URL": self.database_url,
            "WA_CRM_SECRET_KEY": SECRET_KEY,
            "WA_CRM_MEDIA_DIR": str(self.media_dir),
            "WA_CRM_WORKERS": str(self.loops),
            "WA_CRM_JOB_POLL_SECONDS": "0.02",
            "WA_CRM_JOB_LEASE_SECONDS": str(self.lease_seconds),
            "WA_CRM_LOG_LEVEL": "WARNING",
        }
        self._log_file = self.log.open("a")
        self.process = await asyncio.create_subprocess_exec(
            str(WA_CRM),
            "worker",
            env=env,
            cwd=REPOSITORY,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=self._log_file,
            stderr=self._log_file,
        )

    async def kill(self) -> None:
        """SIGKILL: no clean-up of any kind, as when a machine dies."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        await self.process.wait()
        self._close_log()

    async def stop(self) -> None:
        """SIGINT, as a person or a supervisor stops it; SIGKILL if it does not stop in time."""
        process = self.process
        if process is None or process.returncode is not None:
            self._close_log()
            return
        process.send_signal(signal.SIGINT)
        try:
            await asyncio.wait_for(process.wait(), 10)
        except TimeoutError:
            with suppress(ProcessLookupError):
                process.kill()
            await process.wait()
        self._close_log()

    def _close_log(self) -> None:
        if self._log_file is not None:
            self._log_file.close()
            self._log_file = None


# --- checks -----------------------------------------------------------------------------------


def duplicates(sent: list[dict[str, Any]]) -> dict[str, int]:
    """Texts the simulator received more than once, with how many times."""
    counts = Counter(record["text"] for record in sent)
    return {text: count for text, count in counts.items() if count > 1}


def assert_delivered_in_order(queued: list[str], sent: list[dict[str, Any]]) -> None:
    """Every queued text reached WAHA, nothing else did, and each chat got its texts in the
    order they were queued (a repeated text, sent again after a crash, may reappear)."""
    texts = [record["text"] for record in sent]
    lost = set(queued) - set(texts)
    assert not lost, f"{len(lost)} messages lost, e.g. {sorted(lost)[:3]}"
    assert set(texts) <= set(queued), "the simulator received texts nobody queued"
    expected: defaultdict[str, list[str]] = defaultdict(list)
    for text in queued:
        expected[text.split(" message ")[0]].append(text)
    received: defaultdict[str, list[str]] = defaultdict(list)
    for record in sent:
        chat_texts = received[record["text"].split(" message ")[0]]
        if not chat_texts or chat_texts[-1] != record["text"]:  # a resend follows its first
            chat_texts.append(record["text"])
    for chat, texts_of_chat in expected.items():
        assert received[chat] == texts_of_chat, f"{chat} got its messages out of order"


def sent_at(record: dict[str, Any]) -> float:
    """The simulator's ``at`` (ISO 8601, milliseconds) as epoch seconds."""
    return datetime.fromisoformat(record["at"].replace("Z", "+00:00")).timestamp()


def busiest_window(times: list[float], seconds: float = 1.0) -> int:
    """The most sends in any window of ``seconds`` (``[t, t + seconds)``, t a send's time)."""
    ordered, most, start = sorted(times), 0, 0
    for end, at in enumerate(ordered):
        while at - ordered[start] >= seconds:
            start += 1
        most = max(most, end - start + 1)
    return most


def shortest_chat_gap(sent: list[dict[str, Any]]) -> float:
    """The shortest time between two sends to the same chat."""
    by_chat: defaultdict[str, list[float]] = defaultdict(list)
    for record in sent:
        by_chat[record["chatId"]].append(sent_at(record))
    gaps = [
        later - earlier
        for times in by_chat.values()
        for earlier, later in zip(sorted(times), sorted(times)[1:], strict=False)
    ]
    return min(gaps) if gaps else float("inf")
