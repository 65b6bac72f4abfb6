"""Automatic assignment's rules: who is online, and which online agent gets the next conversation.

An agent is online while their inbox is open: its event stream reports them every few seconds
(``seen``), and says when it closes (``left``). A process that dies says nothing, so presence
also expires: an agent not seen for ``ONLINE_WINDOW`` is offline.

The next waiting conversation goes to the online agent with the fewest open conversations
(pending or human) below the association's limit; among equals, to the one whose last
assignment is the oldest (never assigned first), which makes equal agents take turns.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

ONLINE_WINDOW = timedelta(seconds=45)
"""Three keep-alive pings of the event stream: one lost ping does not make an agent offline."""


@dataclass(frozen=True)
class Presence:
    """What is known of one agent's availability; every time may be unknown (None)."""

    agent_id: str
    last_seen_at: datetime | None = None
    left_at: datetime | None = None
    """When their last open inbox closed; cleared when they are seen again."""
    last_assigned_at: datetime | None = None
    """When automatic assignment last gave them a conversation."""

    def is_online(self, now: datetime) -> bool:
        return (
            self.left_at is None
            and self.last_seen_at is not None
            and self.last_seen_at > now - ONLINE_WINDOW
        )

    def offline_for(self, period: timedelta, now: datetime) -> bool:
        """Offline for at least ``period``, counted from when they were last known to be there;
        an agent never seen has always been offline."""
        if self.is_online(now):
            return False
        last_there = self.left_at or self.last_seen_at
        return last_there is None or last_there <= now - period


_LONG_AGO = datetime.min.replace(tzinfo=UTC)


@dataclass
class _Slot:
    agent_id: str
    open_conversations: int


class Roster:
    """The online agents in turn order, with their open conversations; picks and counts.

    The order starts with the agents never assigned, then the least recently assigned (ties by
    id, so it is stable); an agent given a conversation moves to the end.
    """

    def __init__(
        self,
        online: list[Presence],
        open_conversations: dict[str, int],
        limit: int,
    ) -> None:
        def turn(presence: Presence) -> tuple[datetime, str]:
            return (presence.last_assigned_at or _LONG_AGO, presence.agent_id)

        self._slots = [
            _Slot(presence.agent_id, open_conversations.get(presence.agent_id, 0))
            for presence in sorted(online, key=turn)
        ]
        self._limit = limit

    @property
    def capacity(self) -> int:
        """How many more conversations the online agents may take together."""
        return sum(max(self._limit - slot.open_conversations, 0) for slot in self._slots)

    def load(self) -> dict[str, int]:
        return {slot.agent_id: slot.open_conversations for slot in self._slots}

    def pick(self) -> str | None:
        """The agent for the next conversation, or None when every online agent is full."""
        free = [slot for slot in self._slots if slot.open_conversations < self._limit]
        if not free:
            return None
        return min(free, key=lambda slot: slot.open_conversations).agent_id

    def assigned(self, agent_id: str) -> None:
        """``agent_id`` was given a conversation: one more open, and last in turn."""
        slot = next(slot for slot in self._slots if slot.agent_id == agent_id)
        slot.open_conversations += 1
        self._slots.remove(slot)
        self._slots.append(slot)
