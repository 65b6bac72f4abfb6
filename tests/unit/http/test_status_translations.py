"""The values the pages show by name (handoff reasons, message types, WhatsApp session statuses
and the monitoring page's pseudo-statuses such as ``UNREACHABLE (timeout)`` or
``SESSION_TAKEN``, dead-letter causes, audit actions, imports, alerts) each have a string in
both locales, taken from the enums themselves: a new value without one fails here, not in
front of an agent reading a raw ``voice_note`` or ``UNREACHABLE (circuit_open)``."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from wa_crm.domain.model.audit import AuditAction
from wa_crm.domain.model.breaker import BreakerState
from wa_crm.domain.model.conversation import ConversationStatus, HandoffReason
from wa_crm.domain.model.imports import ImportKind, ImportStatus
from wa_crm.domain.model.message import MessageType
from wa_crm.domain.usecases.inbox.first_response import SLA_BREACHED
from wa_crm.domain.usecases.monitoring.session_health import SESSION_TAKEN
from wa_crm.entrypoints.http.strings import I18N_DIR, STRINGS
from wa_crm.ports.whatsapp import GatewayErrorCode, SessionStatus

STRINGS_DIR = I18N_DIR.parents[1]  # entrypoints/http
SESSION_STATES = [s.value.lower() for s in SessionStatus] + [SESSION_TAKEN.lower(), "unreachable"]
NEEDED = {
    "reason_": [reason.value for reason in HandoffReason],
    "status_": [status.value for status in ConversationStatus],
    "msg_": [kind.value for kind in MessageType],
    "audit_": [action.value.replace(".", "_") for action in AuditAction],
    "import_status_": [status.value for status in ImportStatus],
    "import_kind_": [kind.value for kind in ImportKind],
    "circuit_": [state.value for state in BreakerState],
    "alert_": ["session_down", "dead_letter", "emergency", SLA_BREACHED],
    "alert_says_": ["session_down", "dead_letter", "emergency", SLA_BREACHED],
    "wa_status_": SESSION_STATES,
    "wa_says_": SESSION_STATES,
    # "UNREACHABLE (<code>)": what the session poll records when WAHA cannot be asked
    "wa_says_unreachable_": [code.value for code in GatewayErrorCode],
    "dl_error_": [code.value for code in GatewayErrorCode],
    # the wizard's connection test: WAHA's failures and its own findings
    "test_": [code.value for code in GatewayErrorCode]
    + ["not_waha", "waha_too_old", "working", "session_not_working", "not_configured"],
}


def audit_detail_keys() -> set[str]:
    """The keys routes add to their audit entries (``note_audit(request, messages=2)``), which
    the audit log shows by name; counts spread from a dict are the erasure's."""
    keys = {"conversations", "messages", "notes", "patients", "unanswered_questions"}
    for path in Path(STRINGS_DIR).rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "note_audit":
                keys |= {keyword.arg for keyword in node.keywords if keyword.arg}
    return keys


@pytest.mark.parametrize("locale", sorted(STRINGS))
def test_every_audit_detail_is_named(locale: str) -> None:
    keys = audit_detail_keys()
    assert {"message_ids", "fields", "media_files"} <= keys
    missing = sorted(
        f"audit_detail_{key}" for key in keys if f"audit_detail_{key}" not in STRINGS[locale]
    )
    assert missing == [], missing


@pytest.mark.parametrize("locale", sorted(STRINGS))
def test_every_status_the_pages_name_is_translated(locale: str) -> None:
    missing = [
        f"{prefix}{value}"
        for prefix, values in NEEDED.items()
        for value in values
        if f"{prefix}{value}" not in STRINGS[locale]
    ]
    assert missing == [], missing
