"""The association (tenant): its WhatsApp connection and its assistant's settings."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, time
from enum import StrEnum
from zoneinfo import ZoneInfo

from returns.result import Failure, Result, Success

from wa_crm.domain.model.errors import InvalidInput, InvalidSlug
from wa_crm.domain.model.satisfaction import SatisfactionSurvey
from wa_crm.domain.model.waha_server import server_key

_SLUG = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")


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

    def is_open(self, at: datetime) -> bool:
        local = at.astimezone(ZoneInfo(self.timezone))
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

    def may_answer(self, at: datetime) -> bool:
        """The bot speaks only when enabled and, if hours are set, within them."""
        return self.enabled and (self.business_hours is None or self.business_hours.is_open(at))


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


@dataclass(frozen=True)
class AssignmentSettings:
    """Automatic assignment of waiting (pending) conversations to online agents, round robin."""

    enabled: bool = False
    max_open_per_agent: int = 10
    """An agent is given no more once this many open conversations are assigned to them."""
    offline_reassign_minutes: int | None = 30
    """An agent offline this long has their open conversations put back in the queue; None
    never does."""


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
