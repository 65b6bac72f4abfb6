"""Simulator settings, read from WAHA's own environment variables.

`SimulatorConfig.from_env` follows WAHA's rules (see shared/waha/notes.md sections 2 and 5):
the global webhook exists only when both `WHATSAPP_HOOK_URL` and `WHATSAPP_HOOK_EVENTS` are set.
Building `SimulatorConfig(...)` directly is meant for tests, so there `hook_events` defaults to
`("*",)`: give a `hook_url` and every event is delivered to it.

Simulator-only knobs use the `WAHA_SIM_` prefix in the environment.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .releases import Release, release

ENGINES = ("WEBJS", "WPP", "NOWEB", "GOWS", "EMPTY")
"""`EMPTY` is simulator-only: WEBJS everywhere, except that sends answer 201 with an empty body
(as WEBJS 2025.6.5 did, WAHA issues #1083 and #1087)."""

RETRY_POLICIES = ("constant", "linear", "exponential")
WAHA_VERSION = "2026.9.2"
TIERS = ("CORE", "PLUS")
"""`CORE` runs only the session named `default` (WAHA's `src/core/manager.core.ts`); `PLUS`
runs any number of sessions, which is why it is the simulator's default."""


@dataclass(frozen=True)
class WebhookTarget:
    """One webhook destination, global (from env) or from a session's `config.webhooks[]`."""

    url: str
    events: tuple[str, ...]
    hmac_key: str | None = None
    retries_attempts: int = 15
    retries_delay_seconds: float = 2.0
    retries_policy: str | None = None
    custom_headers: tuple[tuple[str, str], ...] = ()

    def wants(self, event: str) -> bool:
        return "*" in self.events or event in self.events

    @classmethod
    def from_waha_config(cls, raw: Mapping[str, Any]) -> WebhookTarget | None:
        """Build from a WAHA `WebhookConfig` dict; None when it has no url."""
        url = raw.get("url")
        if not isinstance(url, str) or not url:
            return None
        events = tuple(str(e) for e in raw.get("events") or ())
        hmac_raw = raw.get("hmac")
        hmac_key = hmac_raw.get("key") if isinstance(hmac_raw, Mapping) else None
        retries = raw.get("retries") or {}
        headers = tuple(
            (str(h["name"]), str(h["value"]))
            for h in raw.get("customHeaders") or ()
            if isinstance(h, Mapping) and "name" in h and "value" in h
        )
        attempts = retries.get("attempts")
        delay = retries.get("delaySeconds")
        return cls(
            url=url,
            events=events,
            hmac_key=str(hmac_key) if hmac_key else None,
            retries_attempts=15 if attempts is None else int(attempts),
            retries_delay_seconds=2.0 if delay is None else float(delay),
            retries_policy=retries.get("policy"),
            custom_headers=headers,
        )


@dataclass(frozen=True)
class SimulatorConfig:
    # --- WAHA environment variables -------------------------------------------------------
    api_key: str | None = None
    """`WAHA_API_KEY` / `WHATSAPP_API_KEY`: plain, or `sha512:<hex>`. None: no key check."""
    api_key_exclude_paths: tuple[str, ...] = ()
    """`WHATSAPP_API_KEY_EXCLUDE_PATH`: regexes matched against the path without its `/`."""
    hook_url: str | None = None
    hook_events: tuple[str, ...] = ("*",)
    hook_hmac_key: str | None = None
    hook_retries_attempts: int = 15
    hook_retries_delay_seconds: float = 2.0
    hook_retries_policy: str | None = None
    hook_custom_headers: tuple[tuple[str, str], ...] = ()
    engine: str = "WEBJS"
    port: int = 3000
    base_url: str | None = None
    """`WAHA_BASE_URL`, used in `media.url`. None: the URL the request came in on."""
    files_lifetime_seconds: float = 180.0
    """`WHATSAPP_FILES_LIFETIME`; 0 keeps received files forever."""
    # --- simulator-only -------------------------------------------------------------------
    default_session: bool = True
    """A session named `default` exists at start, linked and WORKING."""
    me_id: str = "5511900000000@c.us"
    me_push_name: str = "Associação Demo"
    me_lid: str = "190000000000001@lid"
    ack_delay_seconds: float = 0.05
    """Delay before each automatic ack after a send (SERVER, then DEVICE, then READ)."""
    ack_levels: tuple[int, ...] = (1, 2, 3)
    """Acks emitted automatically after a send; () disables them (use `/_sim/{s}/ack`)."""
    start_delay_seconds: float = 0.0
    """Time spent in STARTING after a start; 0 moves on at once."""
    status_wait_seconds: float = 0.0
    """WAHA waits up to 5 s for the expected session status before answering 422."""
    restart_seconds: float = 0.0
    """How long a session is gone while it restarts after a config PUT, a logout or a restart:
    meanwhile its calls answer 404 "We didn't find a session", as real WAHA's did
    (shared/waha/recorded/exchanges.jsonl). 0 restarts at once."""
    webhook_timeout_seconds: float = 10.0
    fault_timeout_seconds: float = 30.0
    """How long the `timeout` fault holds a request (released early on disconnect)."""
    version: str = WAHA_VERSION
    """The release played: older ones lack what `releases.py` lists."""
    tier: str = "PLUS"
    worker_id: str = "waha-simulator"

    def __post_init__(self) -> None:
        if self.engine not in ENGINES:
            raise ValueError(f"unknown engine {self.engine!r}; expected one of {ENGINES}")
        if self.tier not in TIERS:
            raise ValueError(f"unknown tier {self.tier!r}; expected one of {TIERS}")
        release(self.version)  # refuses what is not a WAHA version

    @property
    def release(self) -> Release:
        return release(self.version)

    @property
    def wire_engine(self) -> str:
        """The engine name WAHA reports (EMPTY is WEBJS on the wire)."""
        return "WEBJS" if self.engine == "EMPTY" else self.engine

    def global_webhook(self) -> WebhookTarget | None:
        if not self.hook_url or not self.hook_events:
            return None
        return WebhookTarget(
            url=self.hook_url,
            events=self.hook_events,
            hmac_key=self.hook_hmac_key,
            retries_attempts=self.hook_retries_attempts,
            retries_delay_seconds=self.hook_retries_delay_seconds,
            retries_policy=self.hook_retries_policy,
            custom_headers=self.hook_custom_headers,
        )

    def replace(self, **changes: Any) -> SimulatorConfig:
        return dataclasses.replace(self, **changes)

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> SimulatorConfig:
        env = {k: v for k, v in environ.items() if v != ""}
        kwargs: dict[str, Any] = {}

        key = env.get("WAHA_API_KEY") or env.get("WHATSAPP_API_KEY")
        if _truthy(env.get("WAHA_NO_API_KEY")):
            key = None
        kwargs["api_key"] = key
        kwargs["api_key_exclude_paths"] = _split(env.get("WHATSAPP_API_KEY_EXCLUDE_PATH"), ",")

        kwargs["hook_url"] = env.get("WHATSAPP_HOOK_URL")
        kwargs["hook_events"] = _split(env.get("WHATSAPP_HOOK_EVENTS"), ",")
        kwargs["hook_hmac_key"] = env.get("WHATSAPP_HOOK_HMAC_KEY")
        if "WHATSAPP_HOOK_RETRIES_ATTEMPTS" in env:
            kwargs["hook_retries_attempts"] = int(env["WHATSAPP_HOOK_RETRIES_ATTEMPTS"])
        if "WHATSAPP_HOOK_RETRIES_DELAY_SECONDS" in env:
            kwargs["hook_retries_delay_seconds"] = float(env["WHATSAPP_HOOK_RETRIES_DELAY_SECONDS"])
        policy = env.get("WHATSAPP_HOOK_RETRIES_POLICY")
        if policy is not None and policy not in RETRY_POLICIES:
            raise ValueError(
                f"WHATSAPP_HOOK_RETRIES_POLICY={policy!r} is not one of {RETRY_POLICIES}"
            )
        kwargs["hook_retries_policy"] = policy
        kwargs["hook_custom_headers"] = tuple(
            (name.strip(), value.strip())
            for name, sep, value in (
                item.partition(":") for item in _split(env.get("WHATSAPP_HOOK_CUSTOM_HEADERS"), ";")
            )
            if sep
        )

        engine = env.get("WHATSAPP_DEFAULT_ENGINE", "WEBJS").upper()
        kwargs["engine"] = engine if engine in ENGINES else "WEBJS"  # WAHA falls back to WEBJS
        if "WHATSAPP_API_PORT" in env:
            kwargs["port"] = int(env["WHATSAPP_API_PORT"])
        kwargs["base_url"] = env.get("WAHA_BASE_URL")
        if "WHATSAPP_FILES_LIFETIME" in env:
            kwargs["files_lifetime_seconds"] = float(env["WHATSAPP_FILES_LIFETIME"])

        if "WAHA_SIM_DEFAULT_SESSION" in env:
            kwargs["default_session"] = _truthy(env["WAHA_SIM_DEFAULT_SESSION"])
        if "WAHA_SIM_ME" in env:
            kwargs["me_id"] = _chat_id(env["WAHA_SIM_ME"])
        if "WAHA_SIM_ME_NAME" in env:
            kwargs["me_push_name"] = env["WAHA_SIM_ME_NAME"]
        if "WAHA_SIM_ACK_DELAY_SECONDS" in env:
            kwargs["ack_delay_seconds"] = float(env["WAHA_SIM_ACK_DELAY_SECONDS"])
        if "WAHA_SIM_ACK_LEVELS" in env:
            kwargs["ack_levels"] = tuple(int(x) for x in _split(env["WAHA_SIM_ACK_LEVELS"], ","))
        if "WAHA_SIM_TIER" in env:
            kwargs["tier"] = env["WAHA_SIM_TIER"].upper()
        if "WAHA_SIM_VERSION" in env:
            kwargs["version"] = env["WAHA_SIM_VERSION"]
        if "WAHA_SIM_START_DELAY_SECONDS" in env:
            kwargs["start_delay_seconds"] = float(env["WAHA_SIM_START_DELAY_SECONDS"])
        if "WAHA_SIM_RESTART_SECONDS" in env:
            kwargs["restart_seconds"] = float(env["WAHA_SIM_RESTART_SECONDS"])
        return cls(**kwargs)


def _split(value: str | None, sep: str) -> tuple[str, ...]:
    if not value:
        return ()
    return tuple(part.strip() for part in value.split(sep) if part.strip())


def _truthy(value: str | None) -> bool:
    return (value or "").strip().lower() in {"1", "true", "yes", "on"}


def _chat_id(value: str) -> str:
    return value if "@" in value else "".join(ch for ch in value if ch.isdigit()) + "@c.us"


__all__ = ["ENGINES", "TIERS", "WAHA_VERSION", "SimulatorConfig", "WebhookTarget"]
