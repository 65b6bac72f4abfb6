from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from wa_crm.domain.model.privacy import Masker


@st.composite
def cpf(draw: st.DrawFn) -> str:
    d = draw(st.text("0123456789", min_size=11, max_size=11))
    return f"{d[:3]}.{d[3:6]}.{d[6:9]}-{d[9:]}" if draw(st.booleans()) else d


@st.composite
def email(draw: st.DrawFn) -> str:
    user = draw(st.from_regex(r"[a-z][a-z0-9._]{0,10}[a-z0-9]", fullmatch=True))
    host = draw(st.from_regex(r"[a-z]{2,10}", fullmatch=True))
    return f"{user}@{host}.{draw(st.sampled_from(['com', 'com.br', 'org']))}"


@st.composite
def phone(draw: st.DrawFn) -> str:
    area = draw(st.integers(11, 99))
    number = draw(st.integers(10_000_000, 99_999_999))
    form = draw(st.sampled_from(["+55 {a} 9{n4}-{n_4}", "({a}) 9{n4}-{n_4}", "55{a}9{n}"]))
    n = str(number)
    return form.format(a=area, n=n, n4=n[:4], n_4=n[4:])


words = st.lists(
    st.sampled_from(["olá", "quero", "saber", "do", "pedido", "obrigado", "R$", "10,50", "ok"]),
    max_size=6,
).map(" ".join)


@given(st.lists(st.tuples(words, st.one_of(cpf(), email(), phone())), min_size=1, max_size=5))
def test_masked_text_keeps_no_personal_data_and_unmasks_exactly(parts) -> None:
    text = " ".join(f"{prose} {secret}" for prose, secret in parts)
    masker = Masker()
    masked = masker.mask(text)
    for _, secret in parts:
        assert secret not in masked
    assert masker.unmask(masked) == text


def test_the_same_value_keeps_its_placeholder_and_echoes_are_restored() -> None:
    masker = Masker()
    first = masker.mask("Meu e-mail é ana@example.org e meu CPF 123.456.789-09")
    second = masker.mask("Repetindo: ana@example.org")
    assert first == "Meu e-mail é [EMAIL_1] e meu CPF [CPF_1]"
    assert second == "Repetindo: [EMAIL_1]"
    reply = "Perfeito, enviarei o boleto para [EMAIL_1] (CPF [CPF_1])."
    assert masker.unmask(reply) == (
        "Perfeito, enviarei o boleto para ana@example.org (CPF 123.456.789-09)."
    )


def test_addresses_and_documents_are_masked_but_dates_and_prices_are_not() -> None:
    masker = Masker()
    text = (
        "Moro na Rua das Flores, 123 e comprei em 2026-11-02 por R$ 559,80 às 10:30; "
        "CNPJ 12.345.678/0001-90, telefone (81) 3333-4444"
    )
    masked = masker.mask(text)
    assert "Flores" not in masked and "12.345.678" not in masked and "3333-4444" not in masked
    assert "2026-11-02" in masked and "559,80" in masked and "10:30" in masked


def test_only_the_chosen_kinds_are_masked() -> None:
    masker = Masker(kinds=frozenset({"email"}))
    assert masker.mask("ana@example.org, (11) 99999-8888") == "[EMAIL_1], (11) 99999-8888"


def test_unknown_placeholders_are_left_alone() -> None:
    assert Masker().unmask("[EMAIL_9] and [CPF_2]") == "[EMAIL_9] and [CPF_2]"
