"""Service settings, read from ``WA_CRM_*`` environment variables (architecture.md section 8).

``docs/settings.md`` is generated from this class; a test fails when it is out of date.
"""

from __future__ import annotations

import ipaddress
from typing import Literal

from pydantic import Field, SecretStr, field_validator, model_validator
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
    knowledge_file_max_bytes: int = Field(
        10 * 1024 * 1024,
        ge=1,
        description="Largest document (Markdown, text, PDF, DOCX) an admin adds to the knowledge "
        "base.",
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
        description="Comma-separated MIME types (or prefixes ending in /) accepted for media: "
        "a contact's file by the type its bytes prove, else the type it declared; an agent's "
        "upload must also be an image, audio, video, PDF or Office file by its bytes. Whatever "
        "is accepted, only raster images, audio and video are shown in the browser; anything "
        "else (SVG, text) is served as a download.",
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
    session_down_alert_seconds: float = Field(
        600.0,
        gt=0,
        description="A WhatsApp session that stays missing, stopped or starting this long raises "
        "the `session_down` alert, once; WAHA restarts a session in seconds after a config change "
        "or a logout. Messages wait for the session meanwhile and after, never dropped. FAILED, "
        "a QR to scan and a session taken by another association alert at once.",
    )
    session_recheck_seconds: float = Field(
        5.0,
        gt=0,
        description="While a session is down, how often each worker re-reads its status from "
        "WAHA before sending again.",
    )
    webhook_max_age_days: float = Field(
        7.0,
        gt=0,
        description="WAHA events sent longer ago than this are replays: acknowledged, counted "
        "(outcome `too_old`) and dropped. WAHA's own retries end within about a day.",
    )
    webhook_max_lead_seconds: float = Field(
        300.0,
        ge=0,
        description="WAHA events stamped further ahead of our clock than this are acknowledged, "
        "counted (outcome `ahead_of_clock`) and dropped.",
    )
    processed_events_keep_days: float = Field(
        8.0,
        gt=0,
        description="How long webhook event ids are remembered to drop WAHA's retries; at least "
        "`WA_CRM_WEBHOOK_MAX_AGE_DAYS`, so an event whose id is forgotten is refused as too old.",
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
    openai_embeddings_model: str = Field(
        "",
        description="Embeddings model on `WA_CRM_OPENAI_BASE_URL` (e.g. `text-embedding-3-small`) "
        "for the knowledge base's hybrid search; empty: full-text search alone.",
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
    transcriber_base_url: str | None = Field(
        None,
        description="OpenAI-compatible transcription server for voice notes (`POST "
        "/v1/audio/transcriptions`: https://api.openai.com, or a self-hosted Whisper such as "
        "faster-whisper-server, whisper.cpp's server or LocalAI). Unset: voice notes are not "
        "transcribed, and the assistant does what each association chose for them.",
    )
    transcriber_api_key: SecretStr | None = Field(
        None, description="Bearer key for the transcription server, if it needs one."
    )
    transcriber_model: str = Field(
        "whisper-1", description="Transcription model the server is asked for."
    )

    browser_session_hours: float = Field(
        12.0,
        gt=0,
        le=24 * 30,
        description="How long a browser login lasts (logout ends it sooner).",
    )
    login_cool_down_seconds: float = Field(
        60.0,
        gt=0,
        le=3600,
        description="How long an e-mail stays locked, from one address, after 5 failed logins; "
        "each failure while locked starts it again.",
    )
    trusted_proxies: str = Field(
        "",
        description="Comma-separated addresses or networks (CIDR) of the reverse proxies whose "
        "`X-Forwarded-For` names the client (login throttling); unset: the peer address is "
        "the client.",
    )
    max_event_streams_per_agent: int = Field(
        5, ge=1, le=100, description="Open event streams (SSE) one agent may hold; the next is 429."
    )
    password_hashing: Literal["rfc9106-low-memory", "cheapest-for-tests"] = Field(
        "rfc9106-low-memory",
        description="Test suites only: `cheapest-for-tests` makes argon2 hash passwords with its "
        "cheapest parameters, which protect nothing. Never set it in production; the default "
        "is argon2id's RFC 9106 low-memory profile.",
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

    @field_validator("trusted_proxies")
    @classmethod
    def _networks(cls, value: str) -> str:
        for part in filter(None, (item.strip() for item in value.split(","))):
            try:
                ipaddress.ip_network(part, strict=False)
            except ValueError as error:
                raise ValueError(f"{part!r} is not an address or network") from error
        return value

    @field_validator("secret_key")
    @classmethod
    def _long_enough(cls, key: SecretStr) -> SecretStr:
        if len(key.get_secret_value()) < 16:
            raise ValueError("secret_key must be at least 16 characters")
        return key

    @model_validator(mode="after")
    def _event_ids_outlive_the_window(self) -> Settings:
        if self.processed_events_keep_days < self.webhook_max_age_days:
            raise ValueError(
                "processed_events_keep_days must be at least webhook_max_age_days: a replayed "
                "event whose id is forgotten would otherwise be accepted again"
            )
        return self

    @property
    def uses_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")
