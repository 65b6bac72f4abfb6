"""Personal data masked for an external model and restored in what it answers
(architecture.md section 4): the bot turn and the agents' assistant (``inbox/assist``) share it.

The ``Masker`` replaces each value with a placeholder; the same masker restores the
placeholders the model echoes, so one masker serves one request and its reply.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

from wa_crm.domain.model.privacy import Masker
from wa_crm.ports.ai import BotReply


def mask_values(data: dict[str, Any], masker: Masker) -> dict[str, Any]:
    """``data`` with every string in it, however deep, masked."""
    return {key: _walk(value, masker.mask) for key, value in data.items()}


def unmask_reply(reply: BotReply, masker: Masker) -> BotReply:
    """The reply with the placeholders in its texts and collected fields restored."""
    return dataclasses.replace(
        reply,
        text=masker.unmask(reply.text),
        summary=masker.unmask(reply.summary),
        collected={key: _walk(value, masker.unmask) for key, value in reply.collected.items()},
    )


def _walk(value: Any, change: Callable[[str], str]) -> Any:
    if isinstance(value, str):
        return change(value)
    if isinstance(value, dict):
        return {key: _walk(item, change) for key, item in value.items()}
    if isinstance(value, list):
        return [_walk(item, change) for item in value]
    return value
