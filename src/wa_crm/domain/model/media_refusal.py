"""Why a contact's file was not kept, as a stable code, and what the assistant tells them.

``Media.error`` holds the code, then, after ``": "``, a detail for whoever reads the logs
(``not_fetched: timeout: ...``); the inbox shows the code in the agent's language with the
file's name and size. Rows written before the codes hold an English sentence ("file of N bytes
is over the limit of M", "not fetched: ..."): ``problem_of`` and ``size_of`` read those too.
"""

from __future__ import annotations

import re
from enum import StrEnum

from wa_crm.domain.model.association import Locale


class MediaProblem(StrEnum):
    TOO_LARGE = "too_large"
    """Over the deployment's size limit (``MediaLimits.max_bytes``)."""
    TYPE_NOT_ACCEPTED = "type_not_accepted"
    """A type the deployment does not keep (``MediaLimits.allowed_types``)."""
    NOT_FETCHED = "not_fetched"
    """WAHA did not give the file (lost it, refused, did not answer in time)."""


_CODES = frozenset(problem.value for problem in MediaProblem)
_LEGACY_SIZE = re.compile(r"^file of ([0-9]+) bytes is over the limit")
_LEGACY = (
    (re.compile(r"^file of [0-9]+ bytes is over the limit"), MediaProblem.TOO_LARGE),
    (re.compile(r"^file type .* is not accepted$"), MediaProblem.TYPE_NOT_ACCEPTED),
    (re.compile(r"^not fetched: too_large\b"), MediaProblem.TOO_LARGE),
)


def media_error(problem: MediaProblem, detail: str = "") -> str:
    """What ``Media.error`` stores."""
    return f"{problem.value}: {detail}" if detail else problem.value


def problem_of(error: str | None) -> MediaProblem | None:
    """The reason in a ``Media.error``; None when nothing went wrong."""
    if not error:
        return None
    code = error.split(":", 1)[0].strip()
    if code in _CODES:
        return MediaProblem(code)
    for pattern, problem in _LEGACY:
        if pattern.search(error):
            return problem
    return MediaProblem.NOT_FETCHED


def size_of(size: int | None, error: str | None) -> int | None:
    """A file's size in bytes when known: ``Media.size``, or an old refusal's figure."""
    if size is not None:
        return size
    legacy = _LEGACY_SIZE.search(error or "")
    return int(legacy[1]) if legacy else None


_KIB, _MIB = 1024, 1024 * 1024


def format_size(size: int, locale: Locale) -> str:
    """``23 MB``, ``1,5 MB`` (pt-BR) or ``1.5 MB`` (English), ``800 kB``, ``12 B``: binary
    units as the inbox shows them (one decimal under 10, none above)."""
    if size < _KIB:
        return f"{size} B"
    value, unit = (size / _MIB, "MB") if size >= _MIB else (size / _KIB, "kB")
    shown = f"{value:.1f}" if value < 10 else f"{value:.0f}"
    shown = shown.removesuffix(".0")
    if locale is Locale.PT_BR:
        shown = shown.replace(".", ",")
    return f"{shown} {unit}"


_UNSAFE_IN_NAME = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]+")
MAX_NAME_SHOWN = 80


def too_large_reply(
    template: str, filename: str | None, size: int | None, limit: int, locale: Locale
) -> str:
    """The association's ``file_too_large_message`` with ``{filename}``, ``{size}`` and
    ``{limit}`` filled in; a file without a name leaves no gap, one of unknown size is "more
    than" the limit. The name is the contact's own text, shown back to them on one line and
    cut short."""
    name = _UNSAFE_IN_NAME.sub(" ", filename or "").strip()
    if len(name) > MAX_NAME_SHOWN:
        name = name[: MAX_NAME_SHOWN - 1] + "…"
    limit_text = format_size(limit, locale)
    if size is not None:
        size_text = format_size(size, locale)
    else:
        size_text = f"more than {limit_text}" if locale is Locale.EN else f"mais de {limit_text}"
    text = (
        template.replace("{filename}", name)
        .replace("{size}", size_text)
        .replace("{limit}", limit_text)
    )
    return re.sub(r"[ \t]{2,}", " ", text).strip()
