"""WAHA's API key check: `X-Api-Key` header, or the `x-api-key` query parameter."""

from __future__ import annotations

import hashlib
import hmac
import re

from .config import SimulatorConfig

PUBLIC_PATHS = ("/ping",)  # the only operation without `security` in WAHA's spec


def key_matches(configured: str, provided: str) -> bool:
    if configured.startswith("sha512:"):
        expected = configured[len("sha512:") :].strip().lower()
        actual = hashlib.sha512(provided.encode("utf-8")).hexdigest()
        return hmac.compare_digest(expected, actual)
    return hmac.compare_digest(configured.encode("utf-8"), provided.encode("utf-8"))


def requires_key(config: SimulatorConfig, path: str) -> bool:
    if config.api_key is None or path in PUBLIC_PATHS:
        return False
    if path == "/_sim" or path.startswith("/_sim/"):
        return False
    relative = path.lstrip("/")
    return not any(re.fullmatch(pattern, relative) for pattern in config.api_key_exclude_paths)


def is_authorized(
    config: SimulatorConfig, path: str, header: str | None, query: str | None
) -> bool:
    if not requires_key(config, path):
        return True
    assert config.api_key is not None
    provided = header if header is not None else query
    return provided is not None and key_matches(config.api_key, provided)
