"""Structured logging: JSON in production, readable lines for people, never a full phone number.

Standard-library log records (from the domain and libraries) go through the same processors.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import MutableMapping
from typing import Any

import structlog

from wa_crm.domain.model.correlation import correlation_id

# A phone number or chat id: ten or more digits in a row (optionally after +), or written for
# people from a + or ( with spaces, dots, dashes or parentheses between the digits
# ("+55 11 99999-8888", "(11) 99999-8888"). Dates and times do not start with + or (.
_PHONE = re.compile(r"\+?\d{6,}(\d{4})|[+(]\d(?:[\s().-]{0,2}\d){5,}[\s().-]{0,2}(\d{4})")
_SECRET_KEYS = {"password", "api_key", "token", "secret", "webhook_secret", "authorization"}


def mask_phone_numbers(text: str) -> str:
    return _PHONE.sub(lambda match: "***" + (match.group(1) or match.group(2)), text)


def _scrub(
    _logger: Any, _method: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    for key, value in list(event_dict.items()):
        if key.lower() in _SECRET_KEYS:
            event_dict[key] = "[redacted]"
        elif isinstance(value, str):
            event_dict[key] = mask_phone_numbers(value)
    return event_dict


def _correlate(
    _logger: Any, _method: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    current = correlation_id.get()
    if current and "correlation_id" not in event_dict:
        event_dict["correlation_id"] = current
    return event_dict


def configure_logging(log_format: str = "console", level: str = "INFO") -> None:
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.stdlib.ExtraAdder(),
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        _correlate,
        _scrub,
    ]
    renderer: Any = (
        structlog.processors.JSONRenderer()
        if log_format == "json"
        else structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty())
    )
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    handler = logging.StreamHandler()
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=shared,
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                structlog.processors.format_exc_info,
                _scrub,  # again: a formatted traceback may quote a phone number
                renderer,
            ],
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    logging.getLogger("uvicorn.access").setLevel(logging.WARNING)
