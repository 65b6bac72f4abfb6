"""The WhatsAppGateway contract: one abstract suite, subclassed once per adapter.

An adapter's test class provides a ``driver`` fixture (a ``GatewayDriver``): the gateway under
test, a connection to a WORKING session named ``default`` whose phone is ``ME``, and the means
to look at and steer the world behind it (what was sent, session webhooks, linking a phone,
forcing a status, lids, media, faults). The assertions are the same for every adapter.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Protocol

import pytest

from wa_crm.ports.whatsapp import (
    Connection,
    GatewayError,
    GatewayErrorCode,
    OutgoingFile,
    OwnMessage,
    SessionStatus,
    WebhookSubscription,
    WhatsAppGateway,
)

ME = "5511900000000@c.us"  # the phone of session `default`
PATIENT = "5511999998888@c.us"
OTHER_PATIENT = "5511977776666@c.us"
NEW_PHONE = "5511955554444@c.us"
PHOTO = OutgoingFile("image/jpeg", "photo.jpg", b"\xff\xd8\xff\xe0 not really a jpeg")
REPORT = OutgoingFile("application/pdf", "report.pdf", b"%PDF-1.4 not really a pdf")
# nothing listens on port 9: a simulator's deliveries fail at once, and never leave the machine
OUR_WEBHOOK = WebhookSubscription(
    url="http://127.0.0.1:9/api/webhooks/whatsapp",
    events=("message", "message.ack", "session.status"),
    hmac_key="webhook-secret",
)
THEIR_WEBHOOK = WebhookSubscription(
    url="http://127.0.0.1:9/other-integration", events=("message",), hmac_key=None
)


def message_id_of(chat_id: str) -> re.Pattern[str]:
    """WAHA's serialized id of our own message in a direct chat: `true_<chat>_<HEX>`."""
    return re.compile(rf"^true_{re.escape(chat_id)}_[0-9A-F]{{16,40}}$")


@dataclass(frozen=True)
class Sent:
    """One entry of what the world behind the gateway saw sent, in a common shape."""

    kind: str  # text | image | file | seen | typing | reaction
    chat_id: str
    id: str | None = None
    text: str | None = None
    caption: str | None = None
    filename: str | None = None
    reply_to: str | None = None
    typing: bool | None = None
    message_id: str | None = None  # the message a reaction (``text``) is on


class Fault(StrEnum):
    SERVER_ERROR = "500"
    RATE_LIMITED = "429"
    REACH_OUT = "463"
    TIMEOUT = "timeout"
    REFUSE = "refuse"  # the server drops the connection without answering
    WRONG_API_KEY = "wrong api key"
    CLOSED_PORT = "closed port"  # nothing listens where the connection points


class GatewayDriver(Protocol):
    gateway: WhatsAppGateway
    connection: Connection  # to session `default`: WORKING, phone ME
    fixes_ids: bool  # its engine hands out a message id before the send (WAHA: NOWEB, GOWS)

    def on(self, session: str) -> Connection:
        """The connection for another session of the same server."""
        ...

    async def sent(self, session: str) -> list[Sent]: ...

    async def webhooks(self, session: str) -> list[WebhookSubscription]:
        """The session's own webhooks (config.webhooks), in order."""
        ...

    async def add_session(self, session: str, webhooks: list[WebhookSubscription]) -> None:
        """Create a STOPPED, never linked session carrying these webhooks."""
        ...

    async def link(self, session: str, phone: str) -> None:
        """A phone scans the QR of a SCAN_QR_CODE session."""
        ...

    async def force_status(self, session: str, status: SessionStatus) -> None: ...

    async def add_lid(self, lid: str, phone_chat_id: str) -> None: ...

    async def add_media(self, data: bytes, mimetype: str, filename: str) -> str:
        """Make a received file available; returns the URL WAHA would put in `media.url`."""
        ...

    async def induce(self, fault: Fault) -> tuple[WhatsAppGateway, Connection]:
        """Arrange that the next send through the returned gateway and connection meets
        ``fault``."""
        ...


class WhatsAppGatewayContract:
    """The suite. Subclasses provide the ``driver`` fixture."""

    @pytest.fixture
    def driver(self) -> GatewayDriver:
        raise NotImplementedError("the adapter's test class provides a driver fixture")

    # ------------------------------------------------------------------ sending

    async def test_send_text_returns_the_whatsapp_id(self, driver: GatewayDriver) -> None:
        sent = await driver.gateway.send_text(driver.connection, PATIENT, "Olá!")

        assert sent.external_id is not None
        assert message_id_of(PATIENT).match(sent.external_id)
        assert await driver.sent("default") == [
            Sent("text", PATIENT, id=sent.external_id, text="Olá!")
        ]

    async def test_send_image_and_document_return_ids(self, driver: GatewayDriver) -> None:
        image = await driver.gateway.send_image(driver.connection, PATIENT, PHOTO, "a photo")
        document = await driver.gateway.send_document(driver.connection, PATIENT, REPORT)

        for sent in (image, document):
            assert sent.external_id is not None
            assert message_id_of(PATIENT).match(sent.external_id)
        assert image.external_id != document.external_id
        assert await driver.sent("default") == [
            Sent("image", PATIENT, id=image.external_id, caption="a photo", filename="photo.jpg"),
            Sent("file", PATIENT, id=document.external_id, filename="report.pdf"),
        ]

    async def test_own_messages_are_listed_newest_first(self, driver: GatewayDriver) -> None:
        gateway, connection = driver.gateway, driver.connection
        since = datetime.now(UTC) - timedelta(minutes=1)
        text = await gateway.send_text(connection, PATIENT, "primeira")
        image = await gateway.send_image(connection, PATIENT, PHOTO, "a photo")
        await gateway.send_text(connection, OTHER_PATIENT, "outra conversa")

        own = await gateway.own_messages(connection, PATIENT, since)

        assert own is not None and text.external_id and image.external_id
        assert list(own) == [
            OwnMessage(image.external_id, "a photo", has_media=True),
            OwnMessage(text.external_id, "primeira", has_media=False),
        ]

    async def test_a_text_keeps_the_id_fixed_before_it(self, driver: GatewayDriver) -> None:
        gateway, connection = driver.gateway, driver.connection
        fixed = await gateway.new_message_id(connection, PATIENT)
        if not driver.fixes_ids:
            assert fixed is None
            return
        assert fixed is not None and message_id_of(PATIENT).match(fixed)

        sent = await gateway.send_text(connection, PATIENT, "Olá!", message_id=fixed)

        assert sent.external_id == fixed
        assert await driver.sent("default") == [Sent("text", PATIENT, id=fixed, text="Olá!")]

    async def test_a_reaction_is_set_and_removed_on_a_message(self, driver: GatewayDriver) -> None:
        """WAHA's ``PUT /api/reaction``; "" removes (the spec transport checks the body)."""
        gateway, connection = driver.gateway, driver.connection
        sent = await gateway.send_text(connection, PATIENT, "Sua receita está pronta")
        assert sent.external_id is not None

        await gateway.react(connection, sent.external_id, "👍")
        await gateway.react(connection, sent.external_id, "")

        reactions = [entry for entry in await driver.sent("default") if entry.kind == "reaction"]
        assert reactions == [
            Sent("reaction", PATIENT, text="👍", message_id=sent.external_id),
            Sent("reaction", PATIENT, text="", message_id=sent.external_id),
        ]

    async def test_sends_are_recorded_in_order(self, driver: GatewayDriver) -> None:
        gateway, connection = driver.gateway, driver.connection
        first = await gateway.send_text(connection, PATIENT, "one")
        image = await gateway.send_image(connection, OTHER_PATIENT, PHOTO)
        reply = await gateway.send_text(connection, PATIENT, "two", reply_to=first.external_id)
        document = await gateway.send_document(connection, OTHER_PATIENT, REPORT, "the report")

        assert await driver.sent("default") == [
            Sent("text", PATIENT, id=first.external_id, text="one"),
            Sent("image", OTHER_PATIENT, id=image.external_id, filename="photo.jpg"),
            Sent("text", PATIENT, id=reply.external_id, text="two", reply_to=first.external_id),
            Sent(
                "file",
                OTHER_PATIENT,
                id=document.external_id,
                caption="the report",
                filename="report.pdf",
            ),
        ]
        assert len({first.external_id, image.external_id, reply.external_id}) == 3

    async def test_seen_and_typing(self, driver: GatewayDriver) -> None:
        gateway, connection = driver.gateway, driver.connection
        await gateway.send_seen(connection, PATIENT)
        await gateway.start_typing(connection, PATIENT)
        await gateway.stop_typing(connection, PATIENT)
        sent = await gateway.send_text(connection, PATIENT, "here I am")

        assert await driver.sent("default") == [
            Sent("seen", PATIENT),
            Sent("typing", PATIENT, typing=True),
            Sent("typing", PATIENT, typing=False),
            Sent("text", PATIENT, id=sent.external_id, text="here I am"),
        ]

    @pytest.mark.parametrize("status", [SessionStatus.STOPPED, SessionStatus.FAILED])
    async def test_a_session_that_is_not_working_cannot_send(
        self, driver: GatewayDriver, status: SessionStatus
    ) -> None:
        await driver.force_status("default", status)

        with pytest.raises(GatewayError) as caught:
            await driver.gateway.send_text(driver.connection, PATIENT, "hello?")

        assert caught.value.code is GatewayErrorCode.SESSION_NOT_READY
        assert caught.value.retryable
        assert await driver.sent("default") == []

    async def test_an_unknown_session_cannot_send(self, driver: GatewayDriver) -> None:
        with pytest.raises(GatewayError) as caught:
            await driver.gateway.send_text(driver.on("nobody"), PATIENT, "hello?")

        assert caught.value.code is GatewayErrorCode.SESSION_NOT_FOUND
        assert not caught.value.retryable

    # ------------------------------------------------------------------ sessions

    async def test_status_of_a_working_session(self, driver: GatewayDriver) -> None:
        info = await driver.gateway.session_status(driver.connection)

        assert info.name == "default"
        assert info.status is SessionStatus.WORKING
        assert info.phone == ME

    async def test_status_shows_the_sessions_webhooks_with_their_keys(
        self, driver: GatewayDriver
    ) -> None:
        """They tell whose session it is (``session_ownership``)."""
        await driver.add_session("clinic", [THEIR_WEBHOOK, OUR_WEBHOOK])

        info = await driver.gateway.session_status(driver.on("clinic"))

        assert info.webhooks == (THEIR_WEBHOOK, OUR_WEBHOOK)

    async def test_status_of_an_unknown_session(self, driver: GatewayDriver) -> None:
        with pytest.raises(GatewayError) as caught:
            await driver.gateway.session_status(driver.on("nobody"))

        assert caught.value.code is GatewayErrorCode.SESSION_NOT_FOUND
        assert not caught.value.retryable

    async def test_start_session_creates_it_with_our_webhook_then_links(
        self, driver: GatewayDriver
    ) -> None:
        gateway, clinic = driver.gateway, driver.on("clinic")

        started = await gateway.start_session(clinic, OUR_WEBHOOK)

        assert started.name == "clinic"
        assert started.status in (SessionStatus.STARTING, SessionStatus.SCAN_QR_CODE)
        assert await driver.webhooks("clinic") == [OUR_WEBHOOK]
        assert (await gateway.session_status(clinic)).status is SessionStatus.SCAN_QR_CODE
        qr = await gateway.qr_code(clinic)
        assert qr.value

        await driver.link("clinic", NEW_PHONE)

        info = await gateway.session_status(clinic)
        assert (info.status, info.phone) == (SessionStatus.WORKING, NEW_PHONE)
        again = await gateway.start_session(clinic, OUR_WEBHOOK)
        assert again.status is SessionStatus.WORKING
        assert await driver.webhooks("clinic") == [OUR_WEBHOOK]
        sent = await gateway.send_text(clinic, PATIENT, "linked")
        assert sent.external_id is not None

    async def test_start_session_keeps_other_webhooks_and_never_duplicates_ours(
        self, driver: GatewayDriver
    ) -> None:
        stale_ours = dataclasses.replace(OUR_WEBHOOK, events=("message",), hmac_key="old")
        await driver.add_session("clinic", [THEIR_WEBHOOK, stale_ours])
        clinic = driver.on("clinic")

        await driver.gateway.start_session(clinic, OUR_WEBHOOK)
        await driver.gateway.start_session(clinic, OUR_WEBHOOK)

        assert await driver.webhooks("clinic") == [THEIR_WEBHOOK, OUR_WEBHOOK]
        assert (await driver.gateway.session_status(clinic)).status is (SessionStatus.SCAN_QR_CODE)

    async def test_start_session_on_a_working_session_keeps_it_working(
        self, driver: GatewayDriver
    ) -> None:
        first = await driver.gateway.start_session(driver.connection, OUR_WEBHOOK)
        second = await driver.gateway.start_session(driver.connection, OUR_WEBHOOK)

        assert first.status is SessionStatus.WORKING
        assert (second.status, second.phone) == (SessionStatus.WORKING, ME)
        assert await driver.webhooks("default") == [OUR_WEBHOOK]

    async def test_a_failed_session_is_started_again(self, driver: GatewayDriver) -> None:
        await driver.force_status("default", SessionStatus.FAILED)

        await driver.gateway.start_session(driver.connection, OUR_WEBHOOK)

        info = await driver.gateway.session_status(driver.connection)
        assert (info.status, info.phone) == (SessionStatus.WORKING, ME)

    async def test_no_qr_unless_the_session_waits_for_a_scan(self, driver: GatewayDriver) -> None:
        with pytest.raises(GatewayError) as caught:
            await driver.gateway.qr_code(driver.connection)

        assert caught.value.code is GatewayErrorCode.SESSION_NOT_READY

    async def test_logout_unlinks_the_phone_and_waits_for_a_new_scan(
        self, driver: GatewayDriver
    ) -> None:
        await driver.gateway.logout_session(driver.connection)

        info = await driver.gateway.session_status(driver.connection)
        assert (info.status, info.phone) == (SessionStatus.SCAN_QR_CODE, None)
        assert (await driver.gateway.qr_code(driver.connection)).value
        with pytest.raises(GatewayError) as caught:
            await driver.gateway.send_text(driver.connection, PATIENT, "after logout")
        assert caught.value.code is GatewayErrorCode.SESSION_NOT_READY

    async def test_logout_of_an_unknown_session(self, driver: GatewayDriver) -> None:
        with pytest.raises(GatewayError) as caught:
            await driver.gateway.logout_session(driver.on("nobody"))

        assert caught.value.code is GatewayErrorCode.SESSION_NOT_FOUND

    async def test_server_version(self, driver: GatewayDriver) -> None:
        info = await driver.gateway.server_version(driver.connection)

        assert re.fullmatch(r"\d{4}\.\d+\.\d+", info.version)
        assert info.engine

    # ------------------------------------------------------------------ lids and media

    async def test_resolve_lid(self, driver: GatewayDriver) -> None:
        await driver.add_lid("123456789012345@lid", PATIENT)

        assert await driver.gateway.resolve_lid(driver.connection, "123456789012345@lid") == (
            PATIENT
        )
        assert await driver.gateway.resolve_lid(driver.connection, "999999999999999@lid") is None

    async def test_download_media(self, driver: GatewayDriver) -> None:
        data = b"\x89PNG\r\n\x1a\n an image a contact sent"
        url = await driver.add_media(data, "image/png", "photo.png")

        assert await driver.gateway.download_media(driver.connection, url, len(data)) == data

    async def test_media_over_the_limit_is_refused(self, driver: GatewayDriver) -> None:
        data = b"%PDF-1.7 a long exam report"
        url = await driver.add_media(data, "application/pdf", "exam.pdf")

        with pytest.raises(GatewayError) as caught:
            await driver.gateway.download_media(driver.connection, url, len(data) - 1)

        assert caught.value.code is GatewayErrorCode.TOO_LARGE
        assert not caught.value.retryable
        assert caught.value.size == len(data), "the size the server declared, for the inbox"

    @pytest.mark.parametrize("trick", ["/../../sessions/default", "?x-api-key=other", "/%2e%2e"])
    async def test_media_url_tricks_are_refused(self, driver: GatewayDriver, trick: str) -> None:
        photo = b"\xff\xd8\xff a photo"
        url = await driver.add_media(photo, "image/jpeg", "photo.jpeg")

        with pytest.raises(GatewayError) as caught:
            await driver.gateway.download_media(driver.connection, url + trick, 1024)

        assert caught.value.code is GatewayErrorCode.REJECTED
        assert await driver.gateway.download_media(driver.connection, url, 1024) == photo

    # ------------------------------------------------------------------ failures

    @pytest.mark.parametrize(
        ("fault", "code", "retryable"),
        [
            (Fault.SERVER_ERROR, GatewayErrorCode.SERVER_ERROR, True),
            (Fault.RATE_LIMITED, GatewayErrorCode.RATE_LIMITED, True),
            (Fault.REACH_OUT, GatewayErrorCode.REACH_OUT_LIMIT, False),
            (Fault.TIMEOUT, GatewayErrorCode.TIMEOUT, True),
            (Fault.REFUSE, GatewayErrorCode.UNREACHABLE, True),
            (Fault.WRONG_API_KEY, GatewayErrorCode.UNAUTHORIZED, False),
            (Fault.CLOSED_PORT, GatewayErrorCode.UNREACHABLE, True),
        ],
        ids=lambda value: str(value),
    )
    async def test_failures_are_classified(
        self, driver: GatewayDriver, fault: Fault, code: GatewayErrorCode, retryable: bool
    ) -> None:
        gateway, connection = await driver.induce(fault)

        with pytest.raises(GatewayError) as caught:
            await gateway.send_text(connection, PATIENT, "hello")

        assert caught.value.code is code
        assert caught.value.retryable is retryable
        if fault is Fault.RATE_LIMITED:
            assert caught.value.retry_after is not None
            assert caught.value.retry_after > 0
