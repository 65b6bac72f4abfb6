"""The association (tenant): its WhatsApp connection and its assistant's settings.

Each settings object states its own rules: ``validated()`` (``changed()`` for the WhatsApp
connection) returns it or an ``InvalidInput`` naming what is wrong. Constructing one checks
nothing, on purpose: settings stored by an older release load as they are (the lenient codec in
``adapters/sql/settings_json``), and the rules apply when an admin changes them.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date, datetime, time
from enum import StrEnum
from typing import TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from returns.result import Failure, Result, Success

from wa_crm.domain.model.errors import InvalidInput, InvalidSlug
from wa_crm.domain.model.satisfaction import SatisfactionSurvey
from wa_crm.domain.model.settings_limits import (
    ASSISTANT_SAYS_WHY,
    MAX_BOT_TURNS,
    MAX_CHAT_GAP_SECONDS,
    MAX_DEBOUNCE_SECONDS,
    MAX_FIRST_RESPONSE_MINUTES,
    MAX_INACTIVITY_CLOSE_HOURS,
    MAX_MESSAGES_PER_SECOND,
    MAX_OFFLINE_MINUTES,
    MAX_OPEN_PER_AGENT,
    MAX_RETENTION_DAYS,
    MAX_TYPING_SECONDS,
    bot_size_problems,
    privacy_size_problems,
)
from wa_crm.domain.model.waha_server import WahaServer, server_key

_SLUG = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")
_SESSION_NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_HEADER_TEXT = re.compile(r"^[\x20-\x7e]*$")  # the API key travels as the X-Api-Key header

Settings = TypeVar("Settings")


class Locale(StrEnum):
    PT_BR = "pt-BR"
    EN = "en"


def validate_slug(slug: str) -> Result[str, InvalidSlug]:
    """A slug is the association's dashboard subdomain, so it follows DNS label rules."""
    if _SLUG.fullmatch(slug):
        return Success(slug)
    return Failure(
        InvalidSlug(
            f"slug {slug!r} must be 1-63 lowercase letters, digits or inner hyphens "
            "(it becomes a subdomain)"
        )
    )


def _refused_or(settings: Settings, problems: list[str]) -> Result[Settings, InvalidInput]:
    """The settings, or one ``InvalidInput`` naming every problem once, in the order found.
    Problems start with the field they are about when there is one ("max_bot_turns must…",
    "business_hours.timezone…"): the first one's is the error's ``field``."""
    if problems:
        first = re.match(r"[a-z_]+", problems[0])
        named = first.group(0) if first else None
        about = named if named in getattr(settings, "__dataclass_fields__", {}) else None
        return Failure(InvalidInput("; ".join(dict.fromkeys(problems)), field=about))
    return Success(settings)


def valid_base_url(raw: str) -> Result[str, InvalidInput]:
    """The URL as typed (without the trailing slash), when it names a ``WahaServer``."""
    url = raw.strip().rstrip("/")
    if not url:
        return Success("")
    return WahaServer.parse(url).map(lambda _: url)


@dataclass(frozen=True)
class WhatsAppChanges:
    """Fields an admin sends; None keeps the stored value."""

    base_url: str | None = None
    session: str | None = None
    api_key: str | None = None
    webhook_secret: str | None = None
    messages_per_second: float | None = None
    chat_gap_seconds: float | None = None


@dataclass(frozen=True)
class WhatsAppSettings:
    """How wa_crm reaches the association's WAHA session; secrets are stored encrypted."""

    base_url: str = ""
    api_key: str = ""
    session: str = "default"
    webhook_secret: str = ""
    phone: str | None = None
    messages_per_second: float = 2.0
    """At most this many sends per second through the session (protects the number)."""
    chat_gap_seconds: float = 1.0
    """At least this long between two sends to the same chat."""

    @property
    def configured(self) -> bool:
        return bool(self.base_url and self.session)

    @property
    def server_key(self) -> str:
        """The WAHA server's identity (``WahaServer.key``): one association per server and
        session compares these, never the URLs as typed."""
        return server_key(self.base_url)

    def shares_session_with(self, other: WhatsAppSettings) -> bool:
        return bool(self.base_url) and (self.server_key, self.session) == (
            other.server_key,
            other.session,
        )

    def changed(self, changes: WhatsAppChanges) -> Result[WhatsAppSettings, InvalidInput]:
        """These settings with an admin's changes, or the first rule the result breaks. The
        session name and the API key are checked even when unchanged, the rates only when
        changed; moving to another server or session forgets the linked phone."""
        base_url = self.base_url
        if changes.base_url is not None:
            match valid_base_url(changes.base_url):
                case Failure(error):
                    return Failure(error)
                case Success(url):
                    base_url = url
        session = self.session if changes.session is None else changes.session.strip()
        if not _SESSION_NAME.fullmatch(session):
            return Failure(
                InvalidInput(
                    "session must be 1-64 letters, digits, '-' or '_' (a WAHA session name)"
                )
            )
        rate = self.messages_per_second
        if changes.messages_per_second is not None:
            rate = changes.messages_per_second
            if not 0 < rate <= MAX_MESSAGES_PER_SECOND:
                return Failure(
                    InvalidInput(
                        "messages_per_second must be above 0 and at most "
                        f"{MAX_MESSAGES_PER_SECOND:g}"
                    )
                )
        gap = self.chat_gap_seconds
        if changes.chat_gap_seconds is not None:
            gap = changes.chat_gap_seconds
            if not 0 <= gap <= MAX_CHAT_GAP_SECONDS:
                return Failure(
                    InvalidInput(f"chat_gap_seconds must be from 0 to {MAX_CHAT_GAP_SECONDS:g}")
                )
        api_key = self.api_key if changes.api_key is None else changes.api_key.strip()
        if not _HEADER_TEXT.fullmatch(api_key):
            return Failure(
                InvalidInput("api_key must be printable ASCII (WAHA's X-Api-Key header)")
            )
        moved = (base_url, session) != (self.base_url, self.session)
        return Success(
            WhatsAppSettings(
                base_url=base_url,
                api_key=api_key,
                session=session,
                webhook_secret=self.webhook_secret
                if changes.webhook_secret is None
                else changes.webhook_secret.strip(),
                phone=None if moved else self.phone,
                messages_per_second=rate,
                chat_gap_seconds=gap,
            )
        )


@dataclass(frozen=True)
class BusinessWindow:
    """Opening hours for one weekday (0 = Monday) in the association's time zone."""

    weekday: int
    opens: time
    closes: time


@dataclass(frozen=True)
class BusinessHours:
    timezone: str
    windows: tuple[BusinessWindow, ...]
    holidays: tuple[date, ...] = ()
    """Dates closed all day, whatever the windows say, in the business hours' time zone."""

    def is_open(self, at: datetime) -> bool:
        local = at.astimezone(ZoneInfo(self.timezone))
        if local.date() in self.holidays:
            return False
        return any(
            window.weekday == local.weekday() and window.opens <= local.time() < window.closes
            for window in self.windows
        )


@dataclass(frozen=True)
class LeadQuestion:
    """One thing the assistant asks a lead; the answer is stored on the contact as ``field``."""

    field: str
    question: str


@dataclass(frozen=True)
class BotAttachment:
    """A file the assistant sends when a message mentions one of its keywords (a price list)."""

    name: str
    media_key: str
    filename: str
    mimetype: str
    keywords: tuple[str, ...]
    caption: str = ""


class UnansweredAction(StrEnum):
    """What the assistant does when the association's documents hold no answer."""

    HANDOFF = "handoff"
    """Tell the contact the team will answer and hand off with reason ``no_answer``."""
    NOTE = "note"
    """Tell the contact the team will answer, record the question, keep the conversation."""


class UntranscribedVoiceNotes(StrEnum):
    """What the assistant does with a voice note it cannot read (no transcriber)."""

    ASK_TO_WRITE = "ask_to_write"
    HANDOFF = "handoff"


DEFAULT_LEAD_QUESTIONS = (
    LeadQuestion("name", "Para começar, qual é o seu nome?"),
    LeadQuestion("city", "Em qual cidade você mora?"),
    LeadQuestion("interest", "Conte em poucas palavras como a associação pode ajudar você."),
)


@dataclass(frozen=True)
class BotSettings:
    enabled: bool = True
    provider: str = "rules"
    model: str = ""
    system_prompt: str = ""
    objective: str = ""
    handoff_keywords: tuple[str, ...] = ("atendente", "humano", "agent", "human")
    greeting_member: str = "Olá, {first_name}! Como podemos ajudar?"
    greeting_lead: str = "Olá! Bem-vindo(a). Como podemos ajudar?"
    transition_message: str = (
        "Vou transferir você para um de nossos atendentes. Aguarde um instante."
    )
    lead_questions: tuple[LeadQuestion, ...] = DEFAULT_LEAD_QUESTIONS
    objective_complete_message: str = "Obrigado! Já anotei tudo."
    attachments: tuple[BotAttachment, ...] = ()
    sensitive_data: tuple[str, ...] = ("document", "email", "phone", "address")
    """Kinds of personal data masked before text leaves for an external AI provider."""
    debounce_seconds: float = 3.0
    typing_seconds: float = 1.0
    """Typing indicator shown before a bot message, at most this long (0 turns it off)."""
    max_bot_turns: int = 10
    business_hours: BusinessHours | None = None
    satisfaction_survey: SatisfactionSurvey = field(default_factory=SatisfactionSurvey)
    """Asked when an agent resolves a conversation (see ``satisfaction``)."""
    medical_terms: tuple[str, ...] = ()
    """Words or phrases that make a question medical, added to the built-in pt-BR list
    (``guardrails``): such questions go to a person with reason ``medical_question``."""
    medical_message: str = (
        "Essa pergunta precisa ser respondida por uma pessoa da nossa equipe. "
        "Já pedi para alguém falar com você."
    )
    emergency_message: str = (
        "Se for uma emergência, ligue agora para o SAMU: 192. "
        "Se precisar conversar com alguém, o CVV atende 24 horas pelo 188. "
        "Já avisei nossa equipe."
    )
    unanswered_action: UnansweredAction = UnansweredAction.HANDOFF
    no_answer_message: str = (
        "Não encontrei essa informação nos nossos documentos. "
        "Vou perguntar à equipe e retornamos em breve."
    )
    transcribe_voice_notes: bool = True
    """Voice notes are transcribed when the deployment has a transcriber."""
    untranscribed_voice_notes: UntranscribedVoiceNotes = UntranscribedVoiceNotes.ASK_TO_WRITE
    voice_note_message: str = "Ainda não consigo ouvir áudios por aqui. Pode escrever sua mensagem?"
    file_too_large_message: str = (
        "Não consegui abrir o arquivo {filename} ({size}): ele é maior que o limite de {limit}. "
        "Pode enviar um arquivo menor ou uma foto?"
    )
    """Said when a file the contact sent is over the size limit; ``{filename}``, ``{size}``
    and ``{limit}`` are filled in (sizes in the association's language)."""
    inactivity_close_hours: float = 24.0
    """A bot conversation with no message from the contact this long is resolved."""
    closing_message: str = (
        "Como não tivemos mais notícias, estamos encerrando esta conversa. "
        "Se precisar, é só escrever de novo."
    )

    def may_answer(self, at: datetime) -> bool:
        """The bot speaks only when enabled and, if hours are set, within them."""
        return self.enabled and (self.business_hours is None or self.business_hours.is_open(at))

    def validated(self, providers: Collection[str]) -> Result[BotSettings, InvalidInput]:
        """These settings, or every rule they break; ``providers``: the AI providers this
        deployment offers."""
        return _refused_or(self, self._problems(providers))

    def _problems(self, providers: Collection[str]) -> list[str]:
        problems = bot_size_problems(self)
        if self.provider not in providers:
            problems.append(f"provider must be one of {', '.join(sorted(providers))}")
        if not 1 <= self.max_bot_turns <= MAX_BOT_TURNS:
            problems.append(f"max_bot_turns must be from 1 to {MAX_BOT_TURNS}")
        if not 0 <= self.debounce_seconds <= MAX_DEBOUNCE_SECONDS:
            problems.append(f"debounce_seconds must be from 0 to {MAX_DEBOUNCE_SECONDS:g}")
        if not 0 <= self.typing_seconds <= MAX_TYPING_SECONDS:
            problems.append(f"typing_seconds must be from 0 to {MAX_TYPING_SECONDS:g}")
        if not 1 <= self.inactivity_close_hours <= MAX_INACTIVITY_CLOSE_HOURS:
            problems.append(
                f"inactivity_close_hours must be from 1 to {MAX_INACTIVITY_CLOSE_HOURS:g}"
            )
        if any(not keyword.strip() for keyword in self.handoff_keywords):
            problems.append("handoff_keywords must not contain empty keywords")
        if any(not term.strip() for term in self.medical_terms):
            problems.append("medical_terms must not contain empty terms")
        problems += [
            f"{name} must not be empty"
            for name in ASSISTANT_SAYS_WHY
            if not str(getattr(self, name)).strip()
        ]
        fields = [question.field.strip() for question in self.lead_questions]
        if any(not name for name in fields) or len(set(fields)) != len(fields):
            problems.append("lead_questions need distinct, non-empty fields")
        if any(not question.question.strip() for question in self.lead_questions):
            problems.append("every lead question needs its text")
        problems += self.satisfaction_survey.problems()
        hours = self.business_hours
        if hours is not None:
            try:
                ZoneInfo(hours.timezone)
            except (ZoneInfoNotFoundError, ValueError):
                problems.append(
                    f"business_hours.timezone {hours.timezone[:64]!r} is not an IANA zone"
                )
            for window in hours.windows:
                if not 0 <= window.weekday <= 6:
                    problems.append("business_hours weekdays go from 0 (Monday) to 6 (Sunday)")
                if window.opens >= window.closes:
                    problems.append("business_hours windows must open before they close")
        return problems


@dataclass(frozen=True)
class PrivacySettings:
    """What the association's patients may ask, and how long their messages are kept."""

    opt_out_keywords: tuple[str, ...] = ("SAIR", "PARAR", "STOP")
    """A message that is only one of these (any case, any accents) opts the contact out."""
    opt_in_keywords: tuple[str, ...] = ("VOLTAR", "START")
    opt_out_confirmation: str = (
        "Pronto, você não receberá mais mensagens nossas. Se quiser voltar, envie VOLTAR."
    )
    opt_in_confirmation: str = "Que bom ter você de volta! Como podemos ajudar?"
    retention_days: int | None = None
    """Messages and media older than this are purged daily; None keeps them."""

    def validated(self) -> Result[PrivacySettings, InvalidInput]:
        """These settings, or every rule they break."""
        problems = privacy_size_problems(self)
        for name in ("opt_out_keywords", "opt_in_keywords"):
            keywords = getattr(self, name)
            if not keywords or any(not keyword.strip() for keyword in keywords):
                problems.append(f"{name} need at least one keyword, and no empty one")
        days = self.retention_days
        if days is not None and not 1 <= days <= MAX_RETENTION_DAYS:
            problems.append(
                f"retention_days must be from 1 to {MAX_RETENTION_DAYS}, or null to keep all"
            )
        return _refused_or(self, problems)


@dataclass(frozen=True)
class AssignmentSettings:
    """Automatic assignment of waiting (pending) conversations to online agents, round robin."""

    enabled: bool = False
    max_open_per_agent: int = 10
    """An agent is given no more once this many open conversations are assigned to them."""
    offline_reassign_minutes: int | None = 30
    """An agent offline this long has their open conversations put back in the queue; None
    never does."""
    first_response_minutes: int | None = 30
    """A conversation waiting for agents this long (counted within the business hours) with no
    agent's answer is marked late and raises an ``sla_breached`` alert; None never does."""

    def validated(self) -> Result[AssignmentSettings, InvalidInput]:
        """These settings, or every rule they break."""
        problems = []
        if not 1 <= self.max_open_per_agent <= MAX_OPEN_PER_AGENT:
            problems.append(f"max_open_per_agent must be from 1 to {MAX_OPEN_PER_AGENT}")
        minutes = self.offline_reassign_minutes
        if minutes is not None and not 1 <= minutes <= MAX_OFFLINE_MINUTES:
            problems.append(
                f"offline_reassign_minutes must be from 1 to {MAX_OFFLINE_MINUTES}, or null (never)"
            )
        target = self.first_response_minutes
        if target is not None and not 1 <= target <= MAX_FIRST_RESPONSE_MINUTES:
            problems.append(
                f"first_response_minutes must be from 1 to {MAX_FIRST_RESPONSE_MINUTES}, "
                "or null (no target)"
            )
        return _refused_or(self, problems)


@dataclass(frozen=True)
class Association:
    id: str
    slug: str
    name: str
    created_at: datetime
    locale: Locale = Locale.PT_BR
    whatsapp: WhatsAppSettings = field(default_factory=WhatsAppSettings)
    bot: BotSettings = field(default_factory=BotSettings)
    privacy: PrivacySettings = field(default_factory=PrivacySettings)
    assignment: AssignmentSettings = field(default_factory=AssignmentSettings)

    @staticmethod
    def create(
        *,
        id: str,
        slug: str,
        name: str,
        created_at: datetime,
        locale: str = Locale.PT_BR,
        whatsapp: WhatsAppSettings | None = None,
    ) -> Result[Association, InvalidInput]:
        if not name.strip():
            return Failure(InvalidInput("association name must not be empty"))
        if locale not in {member.value for member in Locale}:
            return Failure(InvalidInput(f"locale {locale!r} is not one of pt-BR, en"))
        return validate_slug(slug).map(
            lambda valid: Association(
                id=id,
                slug=valid,
                name=name.strip(),
                created_at=created_at,
                locale=Locale(locale),
                whatsapp=whatsapp or WhatsAppSettings(),
            )
        )
