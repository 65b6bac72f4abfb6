"""The association's settings check themselves when an admin changes them (``validated()``,
``changed()``), naming every problem in one ``InvalidInput``; building one checks nothing, so
settings stored by an older release still load."""

from __future__ import annotations

from datetime import time

from returns.result import Failure, Success

from wa_crm.domain.model.association import (
    AssignmentSettings,
    BotSettings,
    BusinessHours,
    BusinessWindow,
    LeadQuestion,
    PrivacySettings,
    WhatsAppChanges,
    WhatsAppSettings,
)
from wa_crm.domain.model.errors import InvalidInput

PROVIDERS = frozenset({"rules", "openai"})


def test_the_default_settings_pass() -> None:
    assert BotSettings().validated(PROVIDERS) == Success(BotSettings())
    assert PrivacySettings().validated() == Success(PrivacySettings())
    assert AssignmentSettings().validated() == Success(AssignmentSettings())
    assert WhatsAppSettings().changed(WhatsAppChanges()) == Success(WhatsAppSettings())


def test_every_problem_is_named_once_in_the_order_found() -> None:
    window = BusinessWindow(7, time(18), time(8))
    bot = BotSettings(
        provider="skynet",
        max_bot_turns=0,
        business_hours=BusinessHours("UTC", (window, window)),
    )
    assert bot.validated(PROVIDERS) == Failure(
        InvalidInput(
            "provider must be one of openai, rules; max_bot_turns must be from 1 to 100; "
            "business_hours weekdays go from 0 (Monday) to 6 (Sunday); "
            "business_hours windows must open before they close",
            field="provider",
        )
    )


def test_privacy_and_assignment_name_their_bounds() -> None:
    privacy = PrivacySettings(opt_in_keywords=(), retention_days=0)
    assert privacy.validated() == Failure(
        InvalidInput(
            "opt_in_keywords need at least one keyword, and no empty one; "
            "retention_days must be from 1 to 3650, or null to keep all",
            field="opt_in_keywords",
        )
    )
    assignment = AssignmentSettings(max_open_per_agent=501, offline_reassign_minutes=0)
    assert assignment.validated() == Failure(
        InvalidInput(
            "max_open_per_agent must be from 1 to 500; "
            "offline_reassign_minutes must be from 1 to 10080, or null (never)",
            field="max_open_per_agent",
        )
    )


def test_a_stored_rate_out_of_bounds_does_not_block_other_changes() -> None:
    stored = WhatsAppSettings(messages_per_second=500.0, phone="+5511988887777")
    changed = stored.changed(WhatsAppChanges(chat_gap_seconds=2.0))
    assert changed == Success(
        WhatsAppSettings(messages_per_second=500.0, chat_gap_seconds=2.0, phone="+5511988887777")
    )
    refused = stored.changed(WhatsAppChanges(messages_per_second=51.0))
    assert refused == Failure(InvalidInput("messages_per_second must be above 0 and at most 50"))


def test_the_first_broken_whatsapp_rule_is_named_and_a_new_session_forgets_the_phone() -> None:
    stored = WhatsAppSettings(base_url="http://waha:3000", phone="+5511988887777")
    refused = stored.changed(WhatsAppChanges(session="two words", api_key="chave\u00e7"))
    assert refused == Failure(
        InvalidInput("session must be 1-64 letters, digits, '-' or '_' (a WAHA session name)")
    )
    moved = stored.changed(WhatsAppChanges(base_url=" http://waha:3000/ ", session=" other "))
    assert moved == Success(WhatsAppSettings(base_url="http://waha:3000", session="other"))


def test_conversations_end_and_wait_within_bounds() -> None:
    for hours in (0.5, 721.0):
        assert BotSettings(inactivity_close_hours=hours).validated(PROVIDERS) == Failure(
            InvalidInput(
                "inactivity_close_hours must be from 1 to 720", field="inactivity_close_hours"
            )
        )
    assert BotSettings(closing_message="x" * 4097).validated(PROVIDERS) == Failure(
        InvalidInput("closing_message is at most 4096 characters", field="closing_message")
    )
    for minutes in (0, 1441):
        assert AssignmentSettings(first_response_minutes=minutes).validated() == Failure(
            InvalidInput(
                "first_response_minutes must be from 1 to 1440, or null (no target)",
                field="first_response_minutes",
            )
        )
    for fine in (1, 1440, None):
        settings = AssignmentSettings(first_response_minutes=fine)
        assert settings.validated() == Success(settings)


def test_a_refusal_names_the_field_of_its_first_problem() -> None:
    """The browser marks that field and says what is wrong with it."""
    match AssignmentSettings(max_open_per_agent=0).validated():
        case Failure(InvalidInput(field=field)):
            assert field == "max_open_per_agent"
        case other:
            raise AssertionError(other)
    hours = BusinessHours("Mars/Olympus", ())
    match BotSettings(business_hours=hours).validated({"rules"}):
        case Failure(InvalidInput(field=field)):
            assert field == "business_hours"
        case other:
            raise AssertionError(other)
    match BotSettings(lead_questions=(LeadQuestion("city", " "),)).validated({"rules"}):
        case Failure(InvalidInput(field=field)):
            assert field is None  # "every lead question needs its text" names no field first
        case other:
            raise AssertionError(other)
