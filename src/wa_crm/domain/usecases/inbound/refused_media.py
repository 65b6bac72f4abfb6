"""The assistant tells a contact that a file they sent is too big to open.

- Only in a conversation the assistant is answering (``bot``, the bot on and within its hours)
  and to a contact who did not opt out; elsewhere the agents see the refusal in the inbox.
- Only while the file is what the contact is waiting on: when the contact also wrote something
  still unanswered (a question, an emergency), the bot turn reads it and answers or hands off
  as it would, and is not pre-empted by this message.
- The message is a queued bot message like any other (in order, withheld if a person takes
  the conversation before it goes out), in the association's words
  (``bot.file_too_large_message``) with the sizes in its language.
"""

from __future__ import annotations

from datetime import datetime

from wa_crm.domain.model.association import Association
from wa_crm.domain.model.formatting import split_message
from wa_crm.domain.model.media_refusal import too_large_reply
from wa_crm.domain.model.message import Author, Message
from wa_crm.domain.usecases.bot.contact_said import everything_said, new_inbound
from wa_crm.domain.usecases.outbound.outbound import Outgoing, queue_outbound
from wa_crm.domain.usecases.privacy.consent import outbound_refusal
from wa_crm.ports.system import IdGenerator
from wa_crm.ports.unit_of_work import UnitOfWork

HISTORY_LIMIT = 30


async def tell_file_too_large(
    uow: UnitOfWork,
    ids: IdGenerator,
    association: Association,
    message: Message,
    limit: int,
    now: datetime,
) -> bool:
    """Queue the assistant's answer to ``message`` (a file refused as too large) when it is
    the assistant's to give; True when queued. The caller commits."""
    bot = association.bot
    conversation = await uow.conversations.get(association.id, message.conversation_id)
    if conversation is None or not conversation.bot_may_speak or not bot.may_answer(now):
        return False
    if await outbound_refusal(uow, conversation, Author.BOT) is not None:
        return False
    history = await uow.messages.list_for_conversation(
        association.id, conversation.id, before=None, limit=HISTORY_LIMIT
    )
    unanswered = new_inbound(list(reversed(history)))
    if message.id not in {m.id for m in unanswered} or everything_said(unanswered).strip():
        return False
    media = message.media
    text = too_large_reply(
        bot.file_too_large_message,
        media.filename if media else None,
        media.size if media else None,
        limit,
        association.locale,
    )
    for chunk in split_message(text):  # the template may be at its limit before the name
        await queue_outbound(uow, ids, conversation, Outgoing(chunk, Author.BOT), now)
    await uow.conversations.update(conversation)
    return True
