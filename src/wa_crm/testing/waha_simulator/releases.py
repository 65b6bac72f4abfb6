"""What a WAHA release can do, by its version (`year.month.build`, e.g. `2024.10.8`).

The simulator plays two releases we have evidence for: 2026.9.2, whose OpenAPI spec we hold, and
2024.10.8, which was run and recorded (shared/waha/recorded/README.md). A release is told apart
only where wa_crm relies on the difference:

- webhooks carry the envelope's `id` and `timestamp`, the `X-Webhook-*` headers and the HMAC
  signature since 2024.11.5 (the changelog's first release with HMAC in Core; 2024.10.8 sends
  none of them);
- `message.edited` is known from 2026.7.2, the oldest spec we compared that lists it (2024.10.8
  refuses a config naming it; when it appeared in between is not documented);
- `environment.worker` since 2026.1.4 (changelog);
- `GET /api/{session}/lids/...` and `sendSeen` without a message id on NOWEB only after the
  recorded release.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_VERSION = re.compile(r"^(\d{4})\.(\d{1,2})\.(\d{1,3})$")

RECORDED = (2024, 10, 8)
SIGNED_WEBHOOKS_SINCE = (2024, 11, 5)
MESSAGE_EDITED_SINCE = (2026, 7, 2)
WORKER_ID_SINCE = (2026, 1, 4)

# The webhook events of WAHA's spec (2026.9.2), `*` for all; older releases know fewer.
EVENTS = (
    "*",
    "session.status",
    "message",
    "message.reaction",
    "message.any",
    "message.ack",
    "message.ack.group",
    "message.waiting",
    "message.revoked",
    "message.edited",
    "state.change",
    "group.join",
    "group.leave",
    "group.v2.join",
    "group.v2.leave",
    "group.v2.update",
    "group.v2.participants",
    "group.v2.participants.join-request",
    "presence.update",
    "poll.vote",
    "poll.vote.failed",
    "chat.archive",
    "call.received",
    "call.accepted",
    "call.rejected",
    "label.upsert",
    "label.deleted",
    "label.chat.added",
    "label.chat.deleted",
    "event.response",
    "event.response.failed",
    "engine.event",
)


@dataclass(frozen=True)
class Release:
    number: tuple[int, int, int]

    @property
    def signs_webhooks(self) -> bool:
        """Envelope `id`/`timestamp`, `X-Webhook-*` headers and `X-Webhook-Hmac`."""
        return self.number >= SIGNED_WEBHOOKS_SINCE

    @property
    def has_lids(self) -> bool:
        return self.number > RECORDED

    @property
    def seen_needs_message_id(self) -> bool:
        """NOWEB's `sendSeen` needs the id of the message read (recorded README)."""
        return self.number <= RECORDED

    @property
    def has_worker_id(self) -> bool:
        return self.number >= WORKER_ID_SINCE

    @property
    def events(self) -> tuple[str, ...]:
        if self.number >= MESSAGE_EDITED_SINCE:
            return EVENTS
        return tuple(event for event in EVENTS if event != "message.edited")


def release(version: str) -> Release:
    match = _VERSION.fullmatch(version)
    if match is None:
        raise ValueError(f"{version!r} is not a WAHA version (year.month.build, e.g. 2026.9.2)")
    year, month, build = (int(part) for part in match.groups())
    return Release((year, month, build))
