"""The query of `GET /api/{session}/chats/{chatId}/messages` (`ChatsController_getChatMessages`
in WAHA's spec): paging, the `fromMe` and timestamp filters and the sort order we rely on.
`downloadMedia`, `merge` and `filter.ack` are accepted and not applied."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from . import errors
from .payloads import MessageFacts

DEFAULT_LIMIT = 10  # the spec's default for `limit`


@dataclass(frozen=True)
class ChatQuery:
    limit: int = DEFAULT_LIMIT
    offset: int = 0
    from_me: bool | None = None
    since: float | None = None  # `filter.timestamp.gte`, seconds, inclusive
    until: float | None = None  # `filter.timestamp.lte`, seconds, inclusive
    newest_first: bool = True

    def selects(self, facts: MessageFacts) -> bool:
        return (
            (self.from_me is None or facts.from_me is self.from_me)
            and (self.since is None or facts.timestamp >= self.since)
            and (self.until is None or facts.timestamp <= self.until)
        )

    @classmethod
    def from_params(cls, params: Mapping[str, str]) -> ChatQuery:
        """Nest's validation wording for a value it cannot read (400)."""
        sort_order = params.get("sortOrder", "desc")
        if sort_order not in ("desc", "asc"):
            raise errors.bad_request(["sortOrder must be one of the following values: desc, asc"])
        return cls(
            limit=_count(params, "limit", DEFAULT_LIMIT),
            offset=_count(params, "offset", 0),
            from_me=_boolean(params, "filter.fromMe"),
            since=_number(params, "filter.timestamp.gte"),
            until=_number(params, "filter.timestamp.lte"),
            newest_first=sort_order == "desc",
        )


def _count(params: Mapping[str, str], name: str, default: int) -> int:
    """A count such as ``limit``: the whole part of the number given, else ``default``."""
    number = _number(params, name)
    return default if number is None else int(number)


def _number(params: Mapping[str, str], name: str) -> float | None:
    raw = params.get(name)
    if raw is None:
        return None
    try:
        return float(raw)
    except ValueError:
        raise errors.bad_request([f"{name} must be a number"]) from None


def _boolean(params: Mapping[str, str], name: str) -> bool | None:
    raw = params.get(name)
    if raw is None:
        return None
    if raw not in ("true", "false"):
        raise errors.bad_request([f"{name} must be a boolean value"])
    return raw == "true"
