"""Service settings, read from ``WA_CRM_*`` environment variables (design section 8).

``docs/settings.md`` is generated from this class; a test fails when it is out of date.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEV_SECRET_KEY = "wa-crm-development-secret-change-me"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="WA_CRM_", extra="ignore")

    database_url: str = Field(
        "sqlite+aiosqlite:///./wa_crm.db",
        description="SQLAlchemy async URL: sqlite+aiosqlite:///path or "
        "postgresql+asyncpg://user:password@host/db.",
    )
    redis_url: str | None = Field(
        None, description="Redis URL for the event bus across replicas; unset: in-process bus."
    )
    secret_key: SecretStr = Field(
        SecretStr(DEV_SECRET_KEY),
        description="Signs session cookies and encrypts stored WAHA API keys and webhook "
        "secrets. Set a long random value in production; changing it makes stored secrets "
        "unreadable.",
    )
    public_url: str = Field(
        "http://127.0.0.1:8000", description="The address WAHA calls back (webhook URL base)."
    )
    host: str = Field("127.0.0.1", description="Address `wa-crm serve` listens on.")
    port: int = Field(8000, ge=1, le=65535, description="Port `wa-crm serve` listens on.")
    log_format: Literal["console", "json"] = Field(
        "console", description="`json` for production log collectors, `console` for people."
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        "INFO", description="Lowest level that is logged."
    )
    workers: int = Field(
        1,
        ge=0,
        le=64,
        description="In-process job workers started by `serve`; 0 for an API-only replica "
        "(run `wa-crm worker` elsewhere). SQLite supports one.",
    )
    job_lease_seconds: float = Field(
        300.0, gt=0, description="How long a worker holds a job before others may take it over."
    )
    job_poll_seconds: float = Field(
        0.5, gt=0, description="How often an idle worker looks for due jobs."
    )
    media_dir: str = Field(
        "./var/media", description="Folder of the filesystem media store (received and sent files)."
    )
    media_max_bytes: int = Field(
        16 * 1024 * 1024, ge=1, description="Largest media file fetched from WAHA or uploaded."
    )
    import_max_bytes: int = Field(
        50 * 1024 * 1024, ge=1, description="Largest patient or orders CSV file an admin uploads."
    )
    request_body_max_bytes: int = Field(
        1024 * 1024, ge=1, description="Largest JSON or form request body (routes without files)."
    )
    request_body_timeout_seconds: float = Field(
        10.0,
        gt=0,
        description="A request body with no new bytes for this long is refused with 408.",
    )
    media_types: str = Field(
        "image/,audio/,video/,application/pdf,text/",
        description="Comma-separated MIME types (or prefixes ending in /) accepted for media.",
    )
    alert_webhook_url: str | None = Field(
        None,
        description="Operators' URL that receives alerts (session down, dead letters) as signed "
        "JSON; unset: alerts are logged only.",
    )
    alert_webhook_secret: SecretStr | None = Field(
        None, description="HMAC-SHA512 key for `X-Webhook-Hmac` on alert webhooks."
    )
    session_poll_seconds: float = Field(
        60.0, gt=0, description="How often each association's WAHA session status is polled."
    )
    openai_base_url: str | None = Field(
        None,
        description="OpenAI-compatible server for associations whose bot provider is `openai` "
        "(https://api.openai.com, or an Ollama or vLLM address). Unset: that provider is off.",
    )
    openai_api_key: SecretStr | None = Field(None, description="Bearer key for `openai`.")
    openai_model: str = Field(
        "gpt-4o-mini", description="Model for `openai` when the association names none."
    )
    openai_use_tools: bool = Field(
        True, description="Offer the model tool calls; false asks for JSON replies instead."
    )
    anthropic_api_key: SecretStr | None = Field(
        None, description="API key for associations whose bot provider is `anthropic`."
    )
    anthropic_model: str = Field(
        "claude-haiku-4-5", description="Model for `anthropic` when the association names none."
    )
    anthropic_base_url: str = Field(
        "https://api.anthropic.com", description="Anthropic Messages API address."
    )

    @field_validator("database_url")
    @classmethod
    def _known_driver(cls, url: str) -> str:
        if not url.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
            raise ValueError(
                f"database_url {url.split('@')[-1]!r} must start with sqlite+aiosqlite:// or "
                "postgresql+asyncpg://"
            )
        return url

    @field_validator("secret_key")
    @classmethod
    def _long_enough(cls, key: SecretStr) -> SecretStr:
        if len(key.get_secret_value()) < 16:
            raise ValueError("secret_key must be at least 16 characters")
        return key

    @property
    def uses_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")
