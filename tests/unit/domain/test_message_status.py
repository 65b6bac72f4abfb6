from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st

from wa_crm.domain.model.message import (
    Author,
    Direction,
    Message,
    MessageStatus,
    MessageType,
    status_progress,
)

OUTBOUND = [status for status in MessageStatus if status is not MessageStatus.RECEIVED]


def outbound_message() -> Message:
    return Message(
        id="m1",
        association_id="a1",
        conversation_id="c1",
        direction=Direction.OUT,
        author=Author.AGENT,
        type=MessageType.TEXT,
        body="hi",
        status=MessageStatus.QUEUED,
        created_at=datetime(2026, 1, 1, tzinfo=UTC),
    )


@given(st.lists(st.sampled_from(OUTBOUND), max_size=30))
def test_status_never_goes_back(updates: list[MessageStatus]) -> None:
    message = outbound_message()
    for update in updates:
        before = status_progress(message.status)
        changed = message.advance(update)
        after = status_progress(message.status)
        assert before is not None and after is not None
        assert after >= before
        assert changed == (after > before)


def test_a_late_delivered_ack_after_read_changes_nothing() -> None:
    message = outbound_message()
    assert message.advance(MessageStatus.SENT)
    assert message.advance(MessageStatus.READ)
    assert not message.advance(MessageStatus.DELIVERED)
    assert message.status is MessageStatus.READ


def test_a_failure_never_undoes_a_send_but_an_ack_proves_delivery() -> None:
    message = outbound_message()
    assert message.advance(MessageStatus.FAILED, error="timeout")
    assert message.error == "timeout"
    assert message.advance(MessageStatus.DELIVERED)
    assert message.error is None
    assert not message.advance(MessageStatus.FAILED, error="late failure")


def test_only_failed_messages_are_requeued() -> None:
    message = outbound_message()
    assert not message.requeue()
    message.advance(MessageStatus.FAILED, error="boom")
    assert message.requeue()
    assert (message.status, message.error) == (MessageStatus.QUEUED, None)


def test_inbound_received_never_changes() -> None:
    message = outbound_message()
    message.status = MessageStatus.RECEIVED
    assert not any(message.advance(status) for status in MessageStatus)
