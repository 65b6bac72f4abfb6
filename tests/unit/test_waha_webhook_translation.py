"""WAHA webhook bodies of every engine translated into ingestion events, and their signature."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from tests.support.waha_payloads import (
    CONTACT,
    CONTACT_NAME,
    ENGINES,
    ME,
    ME_NAME,
    MediaFile,
    WaMessage,
    ack_event,
    document,
    edited_event,
    envelope,
    image,
    message_event,
    presence_event,
    reaction_event,
    revoked_event,
    session_status_event,
    sign,
    voice,
)

from wa_crm.adapters.waha.payloads import WahaEnvelope
from wa_crm.adapters.waha.webhooks import (
    InvalidPayload,
    UnsupportedEvent,
    signature_matches,
    translate,
)
from wa_crm.domain.model.message import Media, MessageStatus, MessageType
from wa_crm.domain.model.whatsapp_events import (
    ContactPresence,
    DeliveryAck,
    InboundMessage,
    MessageEdited,
    MessageReacted,
    MessageRevoked,
    SessionStatusReport,
    WhatsAppEvent,
)
from wa_crm.testing.clock import T0

RECEIVED_AT = datetime(2026, 3, 2, 13, 0, 5, tzinfo=UTC)


def read(body: dict[str, Any]) -> WhatsAppEvent:
    return translate(WahaEnvelope.model_validate(body), RECEIVED_AT)


def read_message(body: dict[str, Any]) -> InboundMessage:
    event = read(body)
    assert isinstance(event, InboundMessage)
    return event


# --- messages ---------------------------------------------------------------------------------


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("event", ["message", "message.any"])
def test_an_inbound_text_reads_the_same_from_every_engine(engine: str, event: str) -> None:
    message = WaMessage(body="Oi, tudo bem?", reply_to="false_5511988887777@c.us_AAAA")

    assert read(message_event(message, engine=engine, event=event)) == InboundMessage(
        external_id=message.id,
        chat_id=CONTACT,
        from_me=False,
        type=MessageType.TEXT,
        body="Oi, tudo bem?",
        timestamp=T0,
        sent_through_api=False,
        push_name=CONTACT_NAME,
        media=None,
        reply_to="false_5511988887777@c.us_AAAA",
        quote_candidates=(
            "false_5511988887777@c.us_AAAA",
            "true_5511988887777@c.us_AAAA",
            "AAAA",
        ),
    )


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("source", ["app", "api"])
def test_our_own_message_names_the_contact_chat_and_not_our_name(engine: str, source: str) -> None:
    """NOWEB omits ``to``: the chat is then ``from``. Our push name is not the contact's."""
    message = WaMessage(from_me=True, source=source, push_name=ME_NAME, body="Bom dia!")

    event = read_message(message_event(message, engine=engine, event="message.any"))

    assert (event.chat_id, event.from_me, event.external_id) == (CONTACT, True, message.id)
    assert event.sent_through_api is (source == "api")
    assert event.push_name == ""


def test_a_message_without_any_chat_id_is_invalid() -> None:
    payload = WaMessage().payload("NOWEB")
    del payload["from"]
    with pytest.raises(InvalidPayload, match="chat id"):
        read(envelope("message", payload, engine="NOWEB"))


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize(
    ("media", "kind"),
    [
        (image(), MessageType.IMAGE),
        (image("image/webp"), MessageType.STICKER),
        (document("exame.pdf"), MessageType.DOCUMENT),
        (voice(), MessageType.AUDIO),
        (MediaFile("video/mp4", "mp4", None, "video"), MessageType.VIDEO),
    ],
)
def test_media_messages_keep_type_url_mimetype_and_caption(
    engine: str, media: MediaFile, kind: MessageType
) -> None:
    message = WaMessage(body="segue o arquivo", media=media)
    expected = message.media_json()
    assert expected is not None

    event = read_message(message_event(message, engine=engine))

    assert event.type is kind
    assert event.body == "segue o arquivo"
    assert event.media == Media(
        url=expected["url"], mimetype=media.mimetype, filename=media.filename
    )


@pytest.mark.parametrize("engine", ENGINES)
def test_media_that_waha_did_not_download_is_an_other_without_media(engine: str) -> None:
    message = WaMessage(body="", media=MediaFile("image/jpeg", "jpeg", downloaded=False))

    event = read_message(message_event(message, engine=engine))

    assert (event.type, event.media) == (MessageType.OTHER, None)


def test_location_and_contact_cards_have_their_types() -> None:
    payload = WaMessage(body="").payload("GOWS")
    payload["location"] = {"latitude": -23.55, "longitude": -46.63, "description": None}
    assert read_message(envelope("message", payload)).type is MessageType.LOCATION
    assert read_message(envelope("message", payload)).body == "-23.55,-46.63"
    payload["location"] = None
    payload["vCards"] = ["BEGIN:VCARD\nFN:Dr. Ana\nEND:VCARD"]
    assert read_message(envelope("message", payload)).type is MessageType.CONTACT


@pytest.mark.parametrize(
    ("timestamp", "expected"),
    [
        (int(T0.timestamp()), T0),
        (int(T0.timestamp()) * 1000, T0),  # milliseconds
        (None, RECEIVED_AT),
        (0, RECEIVED_AT),
        (1e300, RECEIVED_AT),
        (-1e300, RECEIVED_AT),
        (float("inf"), RECEIVED_AT),
        (float("nan"), RECEIVED_AT),
        (10**15, RECEIVED_AT),  # past year 9999 even read as milliseconds
    ],
)
def test_the_message_time_is_whatsapps_or_else_the_receipt_time(
    timestamp: float | None, expected: datetime
) -> None:
    payload = WaMessage().payload("WEBJS")
    payload["timestamp"] = timestamp

    assert read_message(envelope("message", payload)).timestamp == expected


@pytest.mark.parametrize("engine", ENGINES)
def test_group_messages_name_the_group_as_chat(engine: str) -> None:
    message = WaMessage(chat_id="120363041234567890@g.us", participant=CONTACT)

    assert read_message(message_event(message, engine=engine)).chat_id.endswith("@g.us")


# --- acks, revokes, edits ---------------------------------------------------------------------


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize(
    ("ack", "status"),
    [
        (-1, MessageStatus.FAILED),
        (1, MessageStatus.SENT),
        (2, MessageStatus.DELIVERED),
        (3, MessageStatus.READ),
        (4, MessageStatus.PLAYED),
    ],
)
def test_acks_map_to_delivery_statuses(engine: str, ack: int, status: MessageStatus) -> None:
    message_id = f"true_{CONTACT}_3EB0AAAABBBBCCCCDDDD"

    assert read(ack_event(message_id, ack, engine=engine)) == DeliveryAck(message_id, status)


def test_a_pending_ack_changes_nothing() -> None:
    with pytest.raises(UnsupportedEvent):
        read(ack_event(f"true_{CONTACT}_3EB0AAAABBBBCCCCDDDD", 0))


@pytest.mark.parametrize("engine", ENGINES)
def test_a_revoke_names_the_original_by_every_id_it_may_be_stored_under(engine: str) -> None:
    original = WaMessage()

    event = read(revoked_event(original, engine=engine))

    assert isinstance(event, MessageRevoked)
    assert original.id in event.candidates


@pytest.mark.parametrize("engine", ENGINES)
def test_a_revoke_of_our_own_message_names_it_too(engine: str) -> None:
    original = WaMessage(from_me=True, body="mensagem errada")

    event = read(revoked_event(original, engine=engine))

    assert isinstance(event, MessageRevoked)
    assert original.id in event.candidates


def test_a_revoke_that_names_no_message_is_invalid() -> None:
    with pytest.raises(InvalidPayload):
        read(envelope("message.revoked", {"after": None, "before": None}))


@pytest.mark.parametrize("engine", ENGINES)
def test_an_edit_names_the_original_and_carries_the_new_text(engine: str) -> None:
    original = WaMessage(body="consulta às 10h")

    event = read(edited_event(original, "consulta às 11h", engine=engine))

    assert isinstance(event, MessageEdited)
    assert original.id in event.candidates
    assert event.body == "consulta às 11h"


# --- presence, session, other events ----------------------------------------------------------


@pytest.mark.parametrize(
    ("state", "typing"),
    [("typing", True), ("recording", True), ("paused", False), ("online", False)],
)
def test_presence_tells_whether_the_contact_is_typing(state: str, typing: bool) -> None:
    assert read(presence_event(CONTACT, state)) == ContactPresence(CONTACT, typing)


@pytest.mark.parametrize("engine", ENGINES)
def test_a_working_session_reports_its_phone_and_when(engine: str) -> None:
    def emitted(body: dict[str, Any]) -> datetime:
        return datetime.fromtimestamp(body["timestamp"] / 1000, UTC)

    working = session_status_event("WORKING", engine=engine)
    scanning = session_status_event("SCAN_QR_CODE", engine=engine, me=None)
    failed = session_status_event("FAILED", engine=engine)

    assert read(working) == SessionStatusReport("WORKING", ME, emitted(working))
    assert read(scanning) == SessionStatusReport("SCAN_QR_CODE", None, emitted(scanning))
    assert read(failed) == SessionStatusReport("FAILED", None, emitted(failed))


@pytest.mark.parametrize("engine", ENGINES)
def test_a_reaction_names_the_message_as_either_side_sees_it(engine: str) -> None:
    """The contact reacts to our message, which they received: ``false_…`` on their side."""
    theirs = f"false_{CONTACT}_3EB0AAAABBBBCCCCDDDD"

    reacted = read(reaction_event(theirs, "❤️", engine=engine))
    removed = read(reaction_event(theirs, "", engine=engine, from_me=True))

    assert reacted == MessageReacted(
        (theirs, f"true_{CONTACT}_3EB0AAAABBBBCCCCDDDD", "3EB0AAAABBBBCCCCDDDD"), "❤️", False, T0
    )
    assert isinstance(removed, MessageReacted) and (removed.emoji, removed.from_me) == ("", True)


@pytest.mark.parametrize(
    "body",
    [
        envelope("group.v2.join", {"group": {"id": "120363041234567890@g.us"}}),
        envelope("call.received", {"id": "call-1", "from": CONTACT}),
        envelope("message.waiting", {}),
    ],
    ids=["group", "call", "waiting"],
)
def test_events_wa_crm_does_not_act_on_are_unsupported(body: dict[str, Any]) -> None:
    with pytest.raises(UnsupportedEvent):
        read(body)


@pytest.mark.parametrize(
    ("event", "payload"),
    [
        ("message", {"from": CONTACT, "body": "sem id"}),
        ("message", {"id": "", "from": CONTACT}),
        ("message", {"id": "x", "from": 5511988887777}),
        ("message.any", {"id": "x", "from": CONTACT, "fromMe": "talvez"}),
        ("message.ack", {"id": "true_x_y"}),
        ("message.ack", {"id": "true_x_y", "ack": "lido"}),
        ("message.edited", {"body": "sem id"}),
        ("presence.update", {"presences": []}),
        ("presence.update", {"id": CONTACT, "presences": [{"participant": CONTACT}]}),
        ("session.status", {"name": "default"}),
    ],
)
def test_payloads_without_their_events_shape_are_invalid(
    event: str, payload: dict[str, Any]
) -> None:
    with pytest.raises(InvalidPayload):
        read(envelope(event, payload))


# --- signature --------------------------------------------------------------------------------


def test_the_signature_is_wahas_hmac_sha512_of_the_raw_body() -> None:
    """The test vector of WAHA's docs (shared/waha/notes.md section 5)."""
    body = b'{"event":"message","session":"default","engine":"WEBJS"}'
    expected = (
        "208f8a55dde9e05519e898b10b89bf0d0b3b0fdf11fdbf09b6b90476301b98d8"
        "097c462b2b17a6ce93b6b47a136cf2e78a33a63f6752c2c1631777076153fa89"
    )
    assert sign(body, "my-secret-key") == expected
    assert signature_matches(body, "my-secret-key", expected)
    assert signature_matches(body, "my-secret-key", expected.upper())


@pytest.mark.parametrize(
    "signature",
    [None, "", "abc", sign(b"{}", "my-secret-key"), sign(b"{}", "other"), "é" * 128, "💥"],
)
def test_a_missing_or_wrong_signature_does_not_match(signature: str | None) -> None:
    assert not signature_matches(b'{"a":1}', "my-secret-key", signature)
