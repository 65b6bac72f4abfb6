"""Contacts (who writes), patients (the association's member registry) and agents."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any


class ContactKind(StrEnum):
    MEMBER = "member"
    LEAD = "lead"


class PatientStatus(StrEnum):
    ACTIVE = "active"
    INACTIVE = "inactive"
    PENDING = "pending"


class AgentRole(StrEnum):
    AGENT = "agent"
    ADMIN = "admin"


@dataclass(frozen=True)
class Order:
    id: str
    date: date
    items: str
    total: Decimal
    status: str


@dataclass(frozen=True)
class Patient:
    """A member of the association; ``phones`` are canonical E.164 strings."""

    id: str
    association_id: str
    full_name: str
    phones: tuple[str, ...]
    status: PatientStatus
    profile: dict[str, str] = field(default_factory=dict)
    orders: tuple[Order, ...] = ()

    @property
    def is_active(self) -> bool:
        return self.status is PatientStatus.ACTIVE

    @property
    def first_name(self) -> str:
        return self.full_name.split(maxsplit=1)[0] if self.full_name.strip() else ""


@dataclass
class Contact:
    """Someone who wrote to the association; ``phone`` stays None for an unresolved lid."""

    id: str
    association_id: str
    wa_chat_id: str
    created_at: datetime
    phone: str | None = None
    lid: str | None = None
    display_name: str = ""
    kind: ContactKind = ContactKind.LEAD
    patient_id: str | None = None
    fields: dict[str, Any] = field(default_factory=dict)
    opted_out_at: datetime | None = None
    """Set while the contact does not want messages from the association."""
    opt_out_source: str | None = None
    """How: ``keyword:<word>`` (a WhatsApp message) or ``agent:<id>``."""

    @property
    def opted_out(self) -> bool:
        return self.opted_out_at is not None

    def opt_out(self, at: datetime, source: str) -> None:
        self.opted_out_at, self.opt_out_source = at, source

    def opt_in(self) -> None:
        self.opted_out_at, self.opt_out_source = None, None

    def match_patient(self, patient: Patient | None) -> None:
        """A contact is a member only while an active patient owns its number."""
        if patient is not None and patient.is_active:
            self.kind, self.patient_id = ContactKind.MEMBER, patient.id
        else:
            self.kind, self.patient_id = ContactKind.LEAD, None


@dataclass(frozen=True)
class Agent:
    id: str
    association_id: str
    email: str
    name: str
    role: AgentRole
    password_hash: str
    created_at: datetime
    disabled_at: datetime | None = None
    """Set while the agent may neither log in nor use a token (an admin withdrew access)."""

    @property
    def is_admin(self) -> bool:
        return self.role is AgentRole.ADMIN

    @property
    def is_disabled(self) -> bool:
        return self.disabled_at is not None

    def disabled(self, at: datetime) -> Agent:
        """The agent without access from ``at``; disabling twice keeps the first time."""
        return self if self.disabled_at is not None else replace(self, disabled_at=at)

    def enabled(self) -> Agent:
        return replace(self, disabled_at=None)

    def with_password_hash(self, password_hash: str) -> Agent:
        return replace(self, password_hash=password_hash)
