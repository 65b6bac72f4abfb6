"""Stored settings load even when they no longer validate: a field that fails gives way to its
default and text no answer can encode is replaced, so one bad value never makes an
association unreadable (``GET bot``, every webhook and API call load it)."""

from __future__ import annotations

import json

import pytest

from wa_crm.adapters.sql.settings_json import BOT_SETTINGS, PRIVACY_SETTINGS
from wa_crm.domain.model.association import BotSettings, PrivacySettings


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
