"""The rules assistant's answers: the latest order's status, and quotes of the best passage.

An answer from the association's documents quotes them, never paraphrases: the sentences of the
best passage that share the most terms with the question (up to ``QUOTED_SENTENCES``, in their
order in the passage, Markdown heading marks left out), then the document's title as the
source (architecture.md section 4, item 3). A passage under ``RELEVANT_SCORE`` answers nothing.

A question that asks *when* or *how much* wants days and hours, or amounts: sentences that hold
one count as answering it, and up to ``LISTED_ANSWERS`` of them are quoted (a calendar is a list
of days, one per region). Without this, "quando é a entrega do óleo?" quoted the calendar's
introduction, which shares the question's words, rather than the days it asks for.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from wa_crm.domain.model.knowledge import RELEVANT_SCORE, Passage
from wa_crm.domain.model.knowledge_text import answer_hints, search_terms
from wa_crm.domain.model.locale_format import (
    format_date,
    format_money,
    is_english,
    order_status_phrase,
)

QUOTED_SENTENCES = 3
LISTED_ANSWERS = 6

_HEADING_MARK = re.compile(r"^\s*#{1,6}\s+")
_LIST_MARK = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+")
_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+")

_ASKS_WHEN = re.compile(
    r"\b(?:quando|qnd|que dia|qual dia|quais dias|que horas?|qual (?:o )?hor[aá]rio|"
    r"what time|when|which day)\b",
    re.IGNORECASE,
)
_ASKS_HOW_MUCH = re.compile(
    r"\b(?:quanto|qto|quanta|qual (?:o )?(?:valor|pre[cç]o)|how much|price|cost)\b",
    re.IGNORECASE,
)
_TIME = re.compile(
    r"\b(?:(?:segunda|ter[cç]a|quarta|quinta|sexta)s?(?:-feiras?)?|s[aá]bados?|domingos?|\d{1,2}h\d{0,2}|"
    r"\d{1,2}:\d{2}|\d{1,2}/\d{1,2}|janeiro|fevereiro|mar[cç]o|abril|maio|junho|julho|"
    r"agosto|setembro|outubro|novembro|dezembro|quinzenal\w*|mensal\w*|semanal\w*|"
    r"monday|tuesday|wednesday|thursday|friday|saturday|sunday|\d{1,2}\s?(?:am|pm))\b",
    re.IGNORECASE,
)
_AMOUNT = re.compile(r"R\$\s?\d|\b\d+(?:[.,]\d{2})\b|\breais\b|\bgr[aá]tis\b", re.IGNORECASE)


def order_status(contact: dict[str, Any], locale: str) -> str:
    """The latest order (the first of ``contact["orders"]``, newest first) in a sentence."""
    orders = contact.get("orders") or []
    english = is_english(locale)
    if not orders:
        return (
            "I found no orders on your record."
            if english
            else ("Não encontrei pedidos no seu cadastro.")
        )
    latest: dict[str, Any] = orders[0]
    when = _date(latest.get("date"), locale)
    phrase = order_status_phrase(str(latest.get("status", "")), locale)
    items = str(latest.get("items", "")).strip()
    total = _money(latest.get("total"), locale)
    if english:
        parts = [f"Your latest order ({latest.get('id')}, from {when}) {phrase}."]
        parts += [f"Items: {items}."] if items else []
        parts += [f"Total: {total}."] if total else []
    else:
        parts = [f"Seu último pedido ({latest.get('id')}, de {when}) {phrase}."]
        parts += [f"Itens: {items}."] if items else []
        parts += [f"Total: {total}."] if total else []
    return " ".join(parts)


def relevant_passage(passages: Sequence[Passage]) -> Passage | None:
    """The passage to answer from: the best, when relevant; among equal scores the first (the
    knowledge base orders them by the section about the question, then by the kind of answer
    it asks for)."""
    best = max(passages, key=lambda passage: passage.score, default=None)
    return best if best is not None and best.score >= RELEVANT_SCORE else None


def quote(question: str, passage: Passage, locale: str) -> str:
    """The sentences of ``passage`` that answer ``question``, then a blank line and the
    source: "Fonte: <title>" ("Source: <title>" in English).

    A section holding a list, whose heading names the question's subject ("Documentos
    necessários" for "quais documentos preciso?") or the kind of answer it asks for ("Passo a
    passo" for "como faço…?", ``answer_hints``), is the answer: quoted whole, up to
    ``LISTED_ANSWERS`` sentences or list items. Otherwise the sentences naming what a "when"
    or "how much" question asks for (those that also share the question's terms, when some
    do); otherwise the ones sharing most of the question's terms."""
    sentences = _sentences(passage.text)
    asked = set(search_terms(question))
    wanted = _wanted_kind(question)
    shared = [len(asked & set(search_terms(sentence))) for sentence in sentences]
    ranked = sorted(range(len(sentences)), key=lambda index: (-shared[index], index))
    heading = set(search_terms(_heading(passage.text)))
    if _holds_a_list(passage.text) and (asked | set(answer_hints(question))) & heading:
        chosen = list(range(min(LISTED_ANSWERS, len(sentences))))
    else:
        answering = [i for i, s in enumerate(sentences) if wanted and wanted.search(s)]
        on_subject = [index for index in answering if shared[index] > 0]
        chosen = (on_subject or answering)[:LISTED_ANSWERS] or [
            index for index in ranked[:QUOTED_SENTENCES] if shared[index] > 0
        ]
    if not chosen:  # found by meaning (embeddings) rather than words: its opening
        chosen = list(range(min(QUOTED_SENTENCES, len(sentences))))
    quoted = " ".join(sentences[index] for index in sorted(chosen))
    label = "Source" if is_english(locale) else "Fonte"
    return f"{quoted}\n\n{label}: {passage.title}"


def _holds_a_list(text: str) -> bool:
    return sum(1 for line in text.splitlines() if _LIST_MARK.match(line)) >= 2


def _heading(text: str) -> str:
    first_line = text.lstrip().split("\n", 1)[0]
    return _HEADING_MARK.sub("", first_line) if _HEADING_MARK.match(first_line) else ""


def _wanted_kind(question: str) -> re.Pattern[str] | None:
    """What a sentence must name to answer ``question``: days and hours, amounts, or None."""
    if _ASKS_WHEN.search(question):
        return _TIME
    if _ASKS_HOW_MUCH.search(question):
        return _AMOUNT
    return None


def _sentences(text: str) -> list[str]:
    """The passage's sentences without Markdown marks; its headings only when it has nothing
    else (a heading is context for the search, not an answer)."""
    body: list[str] = []
    headings: list[str] = []
    for line, heading in _lines(text):
        found = headings if heading else body
        found += [part.strip() for part in _SENTENCE_END.split(line) if part.strip()]
    return body or headings


def _lines(text: str) -> list[tuple[str, bool]]:
    """Headings, list items and paragraphs, each on one line (Markdown files are often wrapped
    mid-sentence), with whether it is a heading."""
    lines: list[tuple[str, bool]] = []
    joining = False
    for raw in text.splitlines():
        if not raw.strip():
            joining = False
        elif _HEADING_MARK.match(raw):
            lines.append((_HEADING_MARK.sub("", raw).strip(), True))
            joining = False
        elif _LIST_MARK.match(raw) or not joining:
            lines.append((_LIST_MARK.sub("", raw).strip(), False))
            joining = True
        else:
            lines[-1] = (f"{lines[-1][0]} {raw.strip()}", False)
    return lines


def _date(value: object, locale: str) -> str:
    try:
        return format_date(date.fromisoformat(str(value)), locale)
    except ValueError:
        return str(value)


def _money(value: object, locale: str) -> str:
    if value is None or str(value).strip() == "":
        return ""
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        return str(value)
    return format_money(amount, locale) if amount.is_finite() else str(value)
