"""Queuing outbound messages: a ``queued`` message row plus the conversation's deliver job, in
the caller's transaction, so that a message once accepted is never lost.

One deliver job per conversation (key ``deliver:<conversation id>``) sends its queued messages
oldest first, which keeps them in order per chat whatever the number of workers.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from wa_crm.domain.model.conversation import Conversation
from wa_crm.domain.model.job_codec import new_job
from wa_crm.domain.model.job_commands import Deliver
from wa_crm.domain.model.jobs import NewJob
from wa_crm.domain.model.message import (
    Author,
    Direction,
    Media,
    Message,
    MessageStatus,
    MessageType,
)
from wa_crm.ports.system import IdGenerator
from wa_crm.ports.unit_of_work import UnitOfWork


def deliver_job(association_id: str, conversation_id: str, at: datetime) -> NewJob:
    """The conversation's one ``deliver`` job: scheduling it again moves it to ``at``."""
    return new_job(
        Deliver(association_id, conversation_id),
        key=f"{Deliver.kind}:{conversation_id}",
        run_after=at,
    )


@dataclass(frozen=True)
class Outgoing:
    body: str
    author: Author
    type: MessageType = MessageType.TEXT
    media: Media | None = None
    agent_id: str | None = None
    reply_to: str | None = None
    """The WhatsApp id of the message this one quotes."""
    quoted_body: str | None = None


async def queue_outbound(
    uow: UnitOfWork,
    ids: IdGenerator,
    conversation: Conversation,
    outgoing: Outgoing,
    now: datetime,
) -> Message:
    """Store the message as ``queued`` and schedule delivery."""
    message = Message(
        id=ids.new_id(),
        association_id=conversation.association_id,
        conversation_id=conversation.id,
        direction=Direction.OUT,
        author=outgoing.author,
        agent_id=outgoing.agent_id,
        type=outgoing.type,
        body=outgoing.body,
        media=outgoing.media,
        reply_to=outgoing.reply_to,
        quoted_body=outgoing.quoted_body,
        status=MessageStatus.QUEUED,
        created_at=now,
    )
    await uow.messages.add(message)
    conversation.record_outbound(message.id, now, outgoing.author)
    if outgoing.author is Author.AGENT:
        conversation.answered_by_agent()
        await uow.handoffs.mark_answered(conversation.id, now)
    await uow.jobs.schedule(deliver_job(conversation.association_id, conversation.id, now), now)
    return message
