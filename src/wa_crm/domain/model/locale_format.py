"""Money, dates and order statuses as a person reads them: pt-BR, or English for "en" locales.

The assistant's messages (architecture.md section 4, item 3) say them this way, and the inbox's
sidebar shows the same with the browser's ``Intl`` formats and the pages' translation files.
Amounts are the association's, in reais. Order statuses come from the registry import, which
keeps whatever the association's system exports: the usual English ones are translated, and
any other is shown as it is.
"""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal

CURRENCY_SYMBOL = "R$"

# status -> (pt-BR label, pt-BR verb, English label, English verb); the verb makes the sentence
# "foi enviado" / "está pendente"
_STATUSES: dict[str, tuple[str, str, str, str]] = {
    "pending": ("pendente", "está", "pending", "is"),
    "paid": ("pago", "foi", "paid", "was"),
    "processing": ("em preparação", "está", "being prepared", "is"),
    "ready": ("pronto para retirada", "está", "ready for pickup", "is"),
    "shipped": ("enviado", "foi", "shipped", "was"),
    "in_transit": ("em trânsito", "está", "in transit", "is"),
    "out_for_delivery": ("saiu para entrega", "já", "out for delivery", "is"),
    "delivered": ("entregue", "foi", "delivered", "was"),
    "cancelled": ("cancelado", "foi", "cancelled", "was"),
    "canceled": ("cancelado", "foi", "cancelled", "was"),
    "returned": ("devolvido", "foi", "returned", "was"),
    "refunded": ("reembolsado", "foi", "refunded", "was"),
}
ORDER_STATUSES = frozenset(_STATUSES)
"""The statuses with a translation (the inbox's translation files have one for each)."""


def is_english(locale: str) -> bool:
    return locale.strip().lower().startswith("en")


def format_money(amount: Decimal, locale: str) -> str:
    """``R$ 1.234,56`` (pt-BR) or ``R$1,234.56`` (English): two decimals, rounded half away
    from zero, thousands grouped, a minus sign before the symbol."""
    cents = amount.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    grouped = f"{abs(cents):,.2f}"
    sign = "-" if cents < 0 else ""
    if is_english(locale):
        return f"{sign}{CURRENCY_SYMBOL}{grouped}"
    swapped = grouped.replace(",", "_").replace(".", ",").replace("_", ".")
    return f"{sign}{CURRENCY_SYMBOL} {swapped}"


def format_date(day: date, locale: str) -> str:
    """``02/11/2026`` (pt-BR, day first) or ``11/02/2026`` (English, month first), as the
    browser's numeric date format of the locale."""
    if is_english(locale):
        return f"{day.month:02d}/{day.day:02d}/{day.year:04d}"
    return f"{day.day:02d}/{day.month:02d}/{day.year:04d}"


def order_status_label(status: str, locale: str) -> str:
    """The status in the locale's words ("enviado"); one without a translation as it is."""
    known = _STATUSES.get(_key(status))
    if known is None:
        return status.strip()
    return known[2] if is_english(locale) else known[0]


def order_status_phrase(status: str, locale: str) -> str:
    """The status as the end of a sentence about the order: "foi enviado", "está pendente";
    one without a translation quoted ("está com a situação «Em separação»")."""
    known = _STATUSES.get(_key(status))
    if known is None:
        if is_english(locale):
            return f"has the status “{status.strip()}”"
        return f"está com a situação “{status.strip()}”"
    return f"{known[3]} {known[2]}" if is_english(locale) else f"{known[1]} {known[0]}"


def _key(status: str) -> str:
    return status.strip().lower().replace(" ", "_").replace("-", "_")
