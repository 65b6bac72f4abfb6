"""What a bot turn decides before anything is written (architecture.md section 4, item 5).

Before any model, in order of precedence:

1. An emergency (``guardrails``) gets the emergency numbers at once and an urgent handoff, even
   with the bot turned off, outside business hours or with WhatsApp down (the message waits in
   line and agents are alerted).
2. The bot turned off, outside business hours, a handoff keyword: handoff.
3. A medical question: the association's ``medical_message`` and a handoff.
4. Media the assistant cannot read: handoff; a voice note it cannot hear: ask the contact to
   write, or hand off, as the association chose.
5. WhatsApp down: handoff (people answer when it is back).
6. Only greetings or thanks: the assistant greets (or asks how it can help, or says you're
   welcome), without a model, and the turn does not count toward the association's maximum; a
   lead's interview goes on with its next question.
7. The maximum of bot turns reached: handoff.

Then the provider answers, and its reply is read: ``emergency`` and ``medical_question`` as
above; ``no_answer`` records the question and says ``no_answer_message`` (handing off unless the
association only takes note); other handoffs and ``objective_complete`` as before.

A decision that hands off after the assistant already said why (``announced``) gets no
transition message, and no greeting opens a turn that hands off: one turn never says two
contradictory things.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from wa_crm.domain.model.association import (
    BotSettings,
    Locale,
    UnansweredAction,
    UntranscribedVoiceNotes,
)
from wa_crm.domain.model.conversation import Conversation, HandoffReason
from wa_crm.domain.model.guardrails import Guardrail, guardrail_for
from wa_crm.domain.model.message import Message
from wa_crm.domain.model.small_talk import is_small_talk, thanks_in, without_greetings
from wa_crm.domain.model.text import words
from wa_crm.domain.usecases.bot.contact_said import (
    everything_said,
    question_in,
    said,
    unheard,
    unreadable,
)
from wa_crm.ports.ai import MEDICAL_QUESTION, NO_ANSWER, BotAction, BotReply

HOW_CAN_I_HELP = {Locale.PT_BR: "Em que posso ajudar?", Locale.EN: "How can I help?"}
"""The answer to greetings once the association's greeting was said."""
YOU_ARE_WELCOME = {
    Locale.PT_BR: "Por nada! Se precisar de algo, é só escrever.",
    Locale.EN: "You're welcome! If you need anything, just write.",
}
"""The answer to thanks ("obrigada!", "valeu", "ok")."""


@dataclass(frozen=True)
class TurnDecision:
    reply: BotReply | None = None
    """What the assistant says (the provider's reply, or one of the association's texts)."""
    handoff: HandoffReason | None = None
    summary: str = ""
    """For a handoff: what the contact wants."""
    announced: bool = False
    """The reply already tells the contact why a person takes over: no transition message."""
    small_talk: bool = False
    """Greetings only: answered without a model, not counted as a bot turn."""
    replaced_by_greeting: bool = False
    """On the bot's first turn the association's greeting says it all: the reply is left out."""
    urgent: bool = False
    """An emergency: the conversation goes first in the inbox and agents are alerted."""
    unanswered: str = ""
    """A question the documents could not answer, to record for the admins."""


def _said_keyword(messages: Sequence[Message], keywords: Sequence[str]) -> bool:
    said_words = set().union(*(words(said(m)) for m in messages)) if messages else set()
    return any(words(keyword) and words(keyword) <= said_words for keyword in keywords)


def emergency(bot: BotSettings, summary: str) -> TurnDecision:
    return TurnDecision(
        reply=BotReply(bot.emergency_message),
        handoff=HandoffReason.EMERGENCY,
        summary=summary,
        announced=True,
        urgent=True,
    )


def medical(bot: BotSettings, summary: str) -> TurnDecision:
    return TurnDecision(
        reply=BotReply(bot.medical_message),
        handoff=HandoffReason.MEDICAL_QUESTION,
        summary=summary,
        announced=True,
    )


def _voice_note(bot: BotSettings, summary: str) -> TurnDecision:
    if bot.untranscribed_voice_notes is UntranscribedVoiceNotes.HANDOFF:
        return TurnDecision(handoff=HandoffReason.VOICE_NOTE, summary=summary)
    return TurnDecision(reply=BotReply(bot.voice_note_message))


def before_the_model(
    bot: BotSettings,
    locale: Locale,
    conversation: Conversation,
    unanswered: Sequence[Message],
    now: datetime,
    delivery_down: bool,
    next_lead_question: str | None = None,
) -> TurnDecision | None:
    """The decision the rules make without a model, in the module's order; None: ask it."""
    summary = question_in(unanswered)
    guardrail = guardrail_for(everything_said(unanswered), bot.medical_terms)
    if guardrail is Guardrail.EMERGENCY:
        return emergency(bot, summary)
    if not bot.enabled:
        return TurnDecision(handoff=HandoffReason.BOT_DISABLED, summary=summary)
    if not bot.may_answer(now):
        return TurnDecision(handoff=HandoffReason.OUTSIDE_BUSINESS_HOURS, summary=summary)
    if _said_keyword(unanswered, bot.handoff_keywords):
        return TurnDecision(handoff=HandoffReason.KEYWORD, summary=summary)
    if guardrail is Guardrail.MEDICAL:
        return medical(bot, summary)
    if any(unreadable(m) for m in unanswered):
        return TurnDecision(handoff=HandoffReason.UNSUPPORTED_MEDIA, summary=summary)
    if any(unheard(m) for m in unanswered):
        return _voice_note(bot, summary)
    if delivery_down:
        return TurnDecision(handoff=HandoffReason.DELIVERY_UNAVAILABLE, summary=summary)
    if all(is_small_talk(said(m)) for m in unanswered):
        if next_lead_question:
            return TurnDecision(reply=BotReply(next_lead_question), small_talk=True)
        thanked = any(thanks_in(said(m)) for m in unanswered)
        answer = (YOU_ARE_WELCOME if thanked else HOW_CAN_I_HELP)[locale]
        return TurnDecision(reply=BotReply(answer), small_talk=True, replaced_by_greeting=True)
    if conversation.bot_turns >= bot.max_bot_turns:
        return TurnDecision(handoff=HandoffReason.MAX_TURNS, summary=summary)
    return None


def reading(bot: BotSettings, reply: BotReply, question: str) -> TurnDecision:
    """What the provider's reply means for the conversation."""
    summary = without_greetings(reply.summary) or question
    handing_off = reply.action is BotAction.HANDOFF
    if handing_off and reply.reason == HandoffReason.EMERGENCY.value:
        return emergency(bot, summary)
    if handing_off and reply.reason == MEDICAL_QUESTION:
        return medical(bot, summary)
    if reply.reason == NO_ANSWER and handing_off:
        said_so = BotReply(bot.no_answer_message)
        if bot.unanswered_action is UnansweredAction.NOTE:
            return TurnDecision(reply=said_so, unanswered=question)
        return TurnDecision(
            reply=said_so,
            handoff=HandoffReason.NO_ANSWER,
            summary=summary,
            announced=True,
            unanswered=question,
        )
    unanswered = question if reply.reason == NO_ANSWER else ""
    if reply.action is BotAction.NONE:
        return TurnDecision(reply=reply, unanswered=unanswered)
    reason = (
        HandoffReason.OBJECTIVE_COMPLETE
        if reply.action is BotAction.OBJECTIVE_COMPLETE
        else HandoffReason.AI_REQUEST
    )
    return TurnDecision(reply=reply, handoff=reason, summary=summary, unanswered=unanswered)
