"""Money, dates and order statuses in pt-BR and English (domain/model/locale_format.py)."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from wa_crm.domain.model.locale_format import (
    ORDER_STATUSES,
    format_date,
    format_money,
    order_status_label,
    order_status_phrase,
)
from wa_crm.entrypoints.http.strings import STRINGS

PT_MONEY = re.compile(r"^-?R\$ \d{1,3}(\.\d{3})*,\d{2}$")
EN_MONEY = re.compile(r"^-?R\$\d{1,3}(,\d{3})*\.\d{2}$")
amounts = st.decimals(
    min_value=Decimal("-10000000"), max_value=Decimal("10000000"), places=4, allow_nan=False
)


@pytest.mark.parametrize(
    ("amount", "pt", "en"),
    [
        ("559.80", "R$ 559,80", "R$559.80"),
        ("0", "R$ 0,00", "R$0.00"),
        ("1234.5", "R$ 1.234,50", "R$1,234.50"),
        ("1234567.891", "R$ 1.234.567,89", "R$1,234,567.89"),
        ("0.005", "R$ 0,01", "R$0.01"),
        ("-42.10", "-R$ 42,10", "-R$42.10"),
        ("-0.001", "R$ 0,00", "R$0.00"),
    ],
)
def test_money(amount: str, pt: str, en: str) -> None:
    assert format_money(Decimal(amount), "pt-BR") == pt
    assert format_money(Decimal(amount), "en") == en


@given(amounts)
def test_money_groups_thousands_with_two_decimals_and_keeps_the_value(amount: Decimal) -> None:
    pt = format_money(amount, "pt-BR")
    en = format_money(amount, "en")

    assert PT_MONEY.match(pt), pt
    assert EN_MONEY.match(en), en
    rounded = amount.quantize(Decimal("0.01"))
    read_back = Decimal(pt.replace("R$ ", "").replace(".", "").replace(",", "."))
    assert abs(read_back - amount) <= Decimal("0.005")
    assert abs(read_back - rounded) <= Decimal("0.01")
    assert pt.startswith("-") == (read_back < 0)
    assert en.replace("R$", "").replace(",", "") == pt.replace("R$ ", "").replace(".", "").replace(
        ",", "."
    )


def test_dates() -> None:
    assert format_date(date(2026, 11, 2), "pt-BR") == "02/11/2026"
    assert format_date(date(2026, 11, 2), "en") == "11/02/2026"
    assert format_date(date(2026, 1, 31), "en-US") == "01/31/2026"


@given(st.dates(min_value=date(1900, 1, 1)))
def test_a_pt_br_date_reads_back(day: date) -> None:
    dd, mm, yyyy = format_date(day, "pt-BR").split("/")

    assert date(int(yyyy), int(mm), int(dd)) == day


@pytest.mark.parametrize(
    ("status", "pt", "en"),
    [
        ("shipped", "enviado", "shipped"),
        ("delivered", "entregue", "delivered"),
        ("Delivered", "entregue", "delivered"),
        ("pending", "pendente", "pending"),
        ("canceled", "cancelado", "cancelled"),
        ("out-for-delivery", "saiu para entrega", "out for delivery"),
        ("Em separação", "Em separação", "Em separação"),
        ("  aguardando  ", "aguardando", "aguardando"),
    ],
)
def test_status_labels(status: str, pt: str, en: str) -> None:
    assert order_status_label(status, "pt-BR") == pt
    assert order_status_label(status, "en") == en


def test_every_known_status_has_a_label_of_its_own() -> None:
    for status in ORDER_STATUSES:
        assert order_status_label(status, "pt-BR") != status
        assert order_status_phrase(status, "pt-BR").endswith(order_status_label(status, "pt-BR"))


def test_status_phrases() -> None:
    assert order_status_phrase("shipped", "pt-BR") == "foi enviado"
    assert order_status_phrase("pending", "pt-BR") == "está pendente"
    assert order_status_phrase("shipped", "en") == "was shipped"
    assert order_status_phrase("Em separação", "pt-BR") == "está com a situação “Em separação”"


def test_the_inbox_translations_say_the_statuses_as_the_assistant_does() -> None:
    strings = STRINGS

    for status in ORDER_STATUSES:
        for locale in ("pt-BR", "en"):
            assert strings[locale][f"order_status_{status}"] == order_status_label(status, locale)
