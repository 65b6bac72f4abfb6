"""Stored settings load even when they no longer validate: a field that fails gives way to its
default and text no answer can encode is replaced, so one bad value never makes an
association unreadable (``GET bot``, every webhook and API call load it)."""

from __future__ import annotations

import json
from datetime import date, time

import pytest

from wa_crm.adapters.sql.settings_json import BOT_SETTINGS, PRIVACY_SETTINGS
from wa_crm.domain.model.association import (
    BotSettings,
    BusinessHours,
    BusinessWindow,
    PrivacySettings,
)


def test_a_lone_surrogate_stored_by_an_older_release_loads_as_encodable_text() -> None:
    bot = BOT_SETTINGS.load({"system_prompt": "a\ud800b", "handoff_keywords": ["x\udfff"]})
    assert bot.system_prompt == "a?b" and bot.handoff_keywords == ("x?",)
    json.dumps(BOT_SETTINGS.dump(bot), ensure_ascii=False).encode("utf-8")


def test_a_field_that_no_longer_validates_takes_its_default(
    caplog: pytest.LogCaptureFixture,
) -> None:
    bot = BOT_SETTINGS.load({"max_bot_turns": "many", "objective": "leads"})
    assert bot.max_bot_turns == BotSettings().max_bot_turns and bot.objective == "leads"
    privacy = PRIVACY_SETTINGS.load({"opt_out_keywords": {"not": "a list"}, "retention_days": 30})
    assert privacy.opt_out_keywords == PrivacySettings().opt_out_keywords
    assert privacy.retention_days == 30
    assert "reset to defaults" in caplog.text


def test_business_hours_stored_before_holidays_load_without_any() -> None:
    stored = {
        "business_hours": {
            "timezone": "America/Sao_Paulo",
            "windows": [{"weekday": 0, "opens": "09:00:00", "closes": "18:00:00"}],
        }
    }
    hours = BOT_SETTINGS.load(stored).business_hours
    assert hours == BusinessHours("America/Sao_Paulo", (BusinessWindow(0, time(9), time(18)),))
    assert hours.holidays == ()


def test_holidays_go_out_and_come_back_as_iso_dates() -> None:
    hours = BusinessHours("UTC", (), (date(2026, 12, 25), date(2027, 1, 1)))
    dumped = BOT_SETTINGS.dump(BotSettings(business_hours=hours))
    assert dumped["business_hours"]["holidays"] == ["2026-12-25", "2027-01-01"]
    assert BOT_SETTINGS.load(json.loads(json.dumps(dumped))).business_hours == hours
