"""A contact's consent to hear from the association (architecture.md section 11): opting out and
back in by WhatsApp message, and the outbound policy that follows from it.

- A message that is only one of the association's opt-out keywords (any case, any accents,
  spaces, punctuation or emoji around it) records the opt-out with its time and source
  (``keyword:<keyword>``) and is answered with one confirmation. An opt-in keyword undoes it,
  with a confirmation of its own; from a contact who has not opted out it is an ordinary message.
- While a contact is opted out the bot stays silent, no bot or system message is queued for
  them, and an agent may only answer a message the contact sent after opting out. Messages
  queued before the opt-out are not delivered. The confirmations are the one exception: they
  answer what the contact asked.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from wa_crm.domain.model.association import Association, PrivacySettings
from wa_crm.domain.model.audit import AuditAction, AuditEntry
from wa_crm.domain.model.conversation import Conversation
from wa_crm.domain.model.errors import ContactOptedOut
from wa_crm.domain.model.message import Author, Direction, Message
from wa_crm.domain.model.people import Contact
from wa_crm.domain.model.text import normalized
from wa_crm.domain.usecases.outbound.outbound import Outgoing, queue_outbound
from wa_crm.ports.system import IdGenerator
from wa_crm.ports.unit_of_work import UnitOfWork

KEYWORD_SLACK = 32
"""Characters a keyword message may have beyond twice the keyword (every letter decomposed into
letter and accent): the spaces, punctuation and emoji around it."""
_EDGES = re.compile(r"^[\W_]+|[\W_]+$")
_HISTORY_PAGE = 50
_log = logging.getLogger("wa_crm.consent")


class ConsentChoice(StrEnum):
    OPT_OUT = "opt_out"
    OPT_IN = "opt_in"


@dataclass(frozen=True)
class ConsentRequest:
    choice: ConsentChoice
    keyword: str
    """As the association wrote it."""

    @property
    def source(self) -> str:
        return f"keyword:{self.keyword}"


def _bare(text: str) -> str:
    """Lowercase, without accents, without what surrounds the words, single spaces between."""
    return " ".join(_EDGES.sub("", normalized(text)).split())


def matching_keyword(text: str, keywords: Sequence[str]) -> str | None:
    """The keyword that is the whole of ``text``, compared case- and accent-insensitively and
    without the spaces and punctuation around it; None for any other text.

    Ingestion asks this of every message: a text too long to be a keyword is not normalized.
    """
    if not keywords or len(text) > 2 * max(map(len, keywords)) + KEYWORD_SLACK:
        return None
    said = _bare(text)
    return next((keyword for keyword in keywords if said and _bare(keyword) == said), None)


def consent_request(text: str, contact: Contact, privacy: PrivacySettings) -> ConsentRequest | None:
    """What the contact asks by this message, if anything."""
    if contact.opted_out:
        keyword = matching_keyword(text, privacy.opt_in_keywords)
        if keyword is not None:
            return ConsentRequest(ConsentChoice.OPT_IN, keyword)
    keyword = matching_keyword(text, privacy.opt_out_keywords)
    return None if keyword is None else ConsentRequest(ConsentChoice.OPT_OUT, keyword)


async def record_choice(
    uow: UnitOfWork,
    ids: IdGenerator,
    association: Association,
    conversation: Conversation,
    contact: Contact,
    request: ConsentRequest,
    now: datetime,
) -> None:
    """Record the contact's choice (on the contact and in the audit log) and confirm it to them;
    the caller has locked the conversation and commits. An opt-out keyword from a contact who
    opted out already is confirmed again and moves the time of the opt-out to this message."""
    privacy = association.privacy
    if request.choice is ConsentChoice.OPT_OUT:
        contact.opt_out(now, request.source)
        action, confirmation = AuditAction.CONTACT_OPTED_OUT, privacy.opt_out_confirmation
    else:
        contact.opt_in()
        action, confirmation = AuditAction.CONTACT_OPTED_IN, privacy.opt_in_confirmation
    await uow.contacts.update(contact)
    await uow.audit.add(
        AuditEntry(
            association_id=association.id,
            actor=f"contact:{contact.id}",
            action=action,
            target_type="contact",
            target_id=contact.id,
            at=now,
            details={"source": request.source, "conversation_id": conversation.id},
        )
    )
    _log.info(
        "contact consent changed",
        extra={"contact_id": contact.id, "choice": request.choice.value, "source": request.source},
    )
    if confirmation := confirmation.strip():
        answer = Outgoing(confirmation, Author.SYSTEM)
        await queue_outbound(uow, ids, conversation, answer, now)
    conversation.show_consent(contact.opted_out)
    await uow.conversations.update(conversation)


def consent_flag(contact: Contact) -> dict[str, Any]:
    """What a conversation's public shape tells of its contact's consent."""
    return {"contact_opted_out": contact.opted_out}


async def outbound_refusal(
    uow: UnitOfWork, conversation: Conversation, author: Author
) -> ContactOptedOut | None:
    """Why a message by ``author`` may not be queued for the conversation's contact now; None
    when it may. Checked in the transaction that would queue it."""
    contact = await uow.contacts.get(conversation.association_id, conversation.contact_id)
    if contact is None or contact.opted_out_at is None:
        return None
    if author is Author.AGENT and await _wrote_since(uow, conversation, contact.opted_out_at):
        return None
    return ContactOptedOut(
        "the contact opted out of messages; an agent may only answer a message the contact "
        "sends afterwards"
    )


def withheld(contact: Contact, message: Message) -> bool:
    """Whether delivery must not send ``message`` to its opted-out contact: anything queued
    before the opt-out, and after it anything but an agent's reply (which passed
    ``outbound_refusal``) and the confirmation (queued at the very time of the opt-out). The
    second part holds whatever code queued the message."""
    opted_out_at = contact.opted_out_at
    if opted_out_at is None:
        return False
    if message.created_at < opted_out_at:
        return True
    return message.author is not Author.AGENT and message.created_at != opted_out_at


async def _wrote_since(uow: UnitOfWork, conversation: Conversation, moment: datetime) -> bool:
    """Whether the contact sent a message in this conversation after ``moment``."""
    before = None
    while True:
        page = await uow.messages.list_for_conversation(
            conversation.association_id, conversation.id, before=before, limit=_HISTORY_PAGE
        )
        for message in page:  # newest first
            if message.created_at <= moment:
                return False
            if message.direction is Direction.IN:
                return True
        if len(page) < _HISTORY_PAGE:
            return False
        before = page[-1].created_at
