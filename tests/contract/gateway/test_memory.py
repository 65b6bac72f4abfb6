"""The WhatsAppGateway contract against the in-memory fake, and the fake's own helpers."""

from __future__ import annotations

import pytest

from wa_crm.adapters.memory import InMemoryWhatsAppGateway
from wa_crm.ports.whatsapp import (
    Connection,
    GatewayError,
    GatewayErrorCode,
    SessionStatus,
    WebhookSubscription,
    WhatsAppGateway,
)

from .suite import ME, PATIENT, PHOTO, Fault, Sent, WhatsAppGatewayContract

BASE_URL = "http://waha.test"
FAULTS = {
    Fault.SERVER_ERROR: GatewayError(GatewayErrorCode.SERVER_ERROR, "WAHA answered 500"),
    Fault.RATE_LIMITED: GatewayError(GatewayErrorCode.RATE_LIMITED, "429", retry_after=2.0),
    Fault.REACH_OUT: GatewayError(GatewayErrorCode.REACH_OUT_LIMIT, "error 463"),
    Fault.TIMEOUT: GatewayError(GatewayErrorCode.TIMEOUT, "no answer in time"),
    Fault.REFUSE: GatewayError(GatewayErrorCode.UNREACHABLE, "connection reset"),
    Fault.WRONG_API_KEY: GatewayError(GatewayErrorCode.UNAUTHORIZED, "API key refused"),
    Fault.CLOSED_PORT: GatewayError(GatewayErrorCode.UNREACHABLE, "connection refused"),
}


class FakeDriver:
    """The contract's driver for the fake: its test-side helpers steer the world."""

    def __init__(self) -> None:
        self.fake = InMemoryWhatsAppGateway(phone=ME)
        self.gateway: WhatsAppGateway = self.fake
        self.fixes_ids = True
        self.connection = self.on("default")

    def on(self, session: str) -> Connection:
        return Connection(base_url=BASE_URL, api_key="key", session=session)

    async def sent(self, session: str) -> list[Sent]:
        return [
            Sent(
                kind=record.kind,
                chat_id=record.chat_id,
                id=record.id,
                text=record.text,
                caption=record.caption,
                filename=record.filename,
                reply_to=record.reply_to,
                typing=record.typing,
                message_id=record.message_id,
            )
            for record in self.fake.sent_in(session)
        ]

    async def webhooks(self, session: str) -> list[WebhookSubscription]:
        return list(self.fake.session(session).webhooks)

    async def add_session(self, session: str, webhooks: list[WebhookSubscription]) -> None:
        self.fake.add_session(session, webhooks=webhooks)

    async def link(self, session: str, phone: str) -> None:
        self.fake.link(session, phone)

    async def force_status(self, session: str, status: SessionStatus) -> None:
        self.fake.set_status(session, status)

    async def add_lid(self, lid: str, phone_chat_id: str) -> None:
        self.fake.add_lid(lid, phone_chat_id)

    async def add_media(self, data: bytes, mimetype: str, filename: str) -> str:
        url = f"{BASE_URL}/api/files/default/true_{PATIENT}_3EB0AB.{filename.rsplit('.')[-1]}"
        self.fake.add_media(url, data)
        return url

    async def induce(self, fault: Fault) -> tuple[WhatsAppGateway, Connection]:
        self.fake.fail_next(FAULTS[fault])
        return self.gateway, self.connection


class TestInMemoryWhatsAppGateway(WhatsAppGatewayContract):
    @pytest.fixture
    def driver(self) -> FakeDriver:
        return FakeDriver()

    # ---------------------------------------------------------------- the fake's own helpers

    async def test_fail_next_fails_once_and_changes_nothing(self) -> None:
        fake = InMemoryWhatsAppGateway()
        connection = Connection(BASE_URL, "key", "default")
        fake.fail_next(GatewayError(GatewayErrorCode.TIMEOUT, "slow"), on="send_text")

        await fake.send_seen(connection, PATIENT)
        with pytest.raises(GatewayError):
            await fake.send_text(connection, PATIENT, "lost")
        await fake.send_text(connection, PATIENT, "delivered")

        assert [record.kind for record in fake.sent] == ["seen", "text"]
        assert fake.texts(PATIENT) == ["delivered"]

    async def test_fail_always_targets_one_chat_until_cleared(self) -> None:
        fake = InMemoryWhatsAppGateway()
        connection = Connection(BASE_URL, "key", "default")
        limit = GatewayError(GatewayErrorCode.REACH_OUT_LIMIT, "463")
        fake.fail_always(limit, chat_id="5511000000000@c.us")

        for _ in range(2):
            with pytest.raises(GatewayError):
                await fake.send_image(connection, "5511000000000@c.us", PHOTO)
        await fake.send_text(connection, PATIENT, "fine")
        fake.clear_failures()
        await fake.send_text(connection, "5511000000000@c.us", "now fine")

        assert [record.chat_id for record in fake.messages()] == [
            PATIENT,
            "5511000000000@c.us",
        ]

    async def test_an_engine_without_ids(self) -> None:
        fake = InMemoryWhatsAppGateway(returns_ids=False)

        sent = await fake.send_text(Connection(BASE_URL, "key", "default"), PATIENT, "Olá!")

        assert sent.external_id is None
        assert fake.sent[0].id is not None  # the fake still knows which message it was

    async def test_files_are_kept_whole(self) -> None:
        fake = InMemoryWhatsAppGateway()

        await fake.send_image(Connection(BASE_URL, "key", "default"), PATIENT, PHOTO, "caption")

        record = fake.messages(PATIENT)[0]
        assert (record.mimetype, record.data, record.caption) == (
            PHOTO.mimetype,
            PHOTO.data,
            "caption",
        )

    async def test_no_base_url_is_unreachable(self) -> None:
        fake = InMemoryWhatsAppGateway()

        with pytest.raises(GatewayError) as caught:
            await fake.send_text(Connection("", "key", "default"), PATIENT, "Olá!")

        assert caught.value.code is GatewayErrorCode.UNREACHABLE
