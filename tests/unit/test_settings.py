from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from wa_crm.settings import Settings
from wa_crm.settings_reference import render

REFERENCE = Path(__file__).resolve().parents[2] / "docs" / "settings.md"


def test_the_settings_reference_is_up_to_date() -> None:
    assert REFERENCE.read_text(encoding="utf-8") == render(), (
        "docs/settings.md is stale: python -m wa_crm.settings_reference > docs/settings.md"
    )


def test_defaults_are_the_embedded_ones(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in Settings.model_fields:
        monkeypatch.delenv(f"WA_CRM_{name.upper()}", raising=False)
    settings = Settings()
    assert settings.database_url.startswith("sqlite+aiosqlite:///")
    assert settings.redis_url is None and settings.uses_sqlite


@pytest.mark.parametrize(
    ("variable", "value", "named"),
    [
        ("WA_CRM_DATABASE_URL", "mysql://u:secret@db/x", "database_url"),
        ("WA_CRM_WORKERS", "-1", "workers"),
        ("WA_CRM_SECRET_KEY", "short", "secret_key"),
        ("WA_CRM_LOG_FORMAT", "xml", "log_format"),
    ],
)
def test_bad_values_are_refused_by_name(monkeypatch, variable: str, value: str, named: str) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(ValidationError) as refused:
        Settings()
    assert named in str(refused.value)


def test_event_ids_are_kept_at_least_as_long_as_events_are_accepted() -> None:
    """Otherwise a replay inside the window, its id already forgotten, would count again."""
    with pytest.raises(ValidationError) as refused:
        Settings(webhook_max_age_days=10, processed_events_keep_days=9)
    assert "processed_events_keep_days" in str(refused.value)
    assert Settings(webhook_max_age_days=10, processed_events_keep_days=10)
