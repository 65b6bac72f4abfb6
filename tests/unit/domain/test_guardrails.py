"""Health guardrails: medical questions and emergencies are told by phrases, whatever the
case, accents or punctuation, and only on whole words."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from wa_crm.domain.model.guardrails import (
    EMERGENCY_TERMS,
    MEDICAL_TERMS,
    Guardrail,
    guardrail_for,
    mentions,
)

ACCENTED = {"a": "á", "e": "ê", "o": "ó", "i": "í", "u": "ú", "c": "ç"}
FILLER = ["meu", "filho", "hoje", "por favor", "o óleo", "da associação", "ontem", "agora"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Qual a dosagem do óleo?", Guardrail.MEDICAL),
        ("Quantas gotas eu tomo por dia?", Guardrail.MEDICAL),
        ("Posso tomar junto com Rivotril?", Guardrail.MEDICAL),
        ("Estou com tontura desde ontem", Guardrail.MEDICAL),
        ("Quero parar de tomar, pode?", Guardrail.MEDICAL),
        ("Tem efeito colateral?", Guardrail.MEDICAL),
        ("Meu filho está convulsionando!", Guardrail.EMERGENCY),
        ("NÃO CONSIGO RESPIRAR", Guardrail.EMERGENCY),
        ("ela desmaiou agora", Guardrail.EMERGENCY),
        ("estou com dor no peito", Guardrail.EMERGENCY),
        ("quero me matar", Guardrail.EMERGENCY),
        ("tomei a dose e agora estou com falta de ar", Guardrail.EMERGENCY),
        ("Quando é a entrega do óleo?", None),
        ("Cadê meu pedido?", None),
        ("vocês atendem em BH?", None),
        ("dosexyz", None),
        ("endosedimento", None),
    ],
)
def test_a_question_falls_under_its_guardrail(text: str, expected: Guardrail | None) -> None:
    assert guardrail_for(text) is expected


def test_the_association_adds_its_own_medical_phrases() -> None:
    assert guardrail_for("e a canabidiolemia?") is None
    assert guardrail_for("e a canabidiolemia?", ["Canabidiolemia"]) is Guardrail.MEDICAL
    assert guardrail_for("nada a ver", ["", "  "]) is None


def _disguised(phrase: str, upper: bool, accents: bool) -> str:
    text = "".join(ACCENTED.get(char, char) if accents else char for char in phrase)
    return text.upper() if upper else text


@given(
    st.sampled_from(MEDICAL_TERMS + EMERGENCY_TERMS),
    st.lists(st.sampled_from(FILLER), max_size=3),
    st.lists(st.sampled_from(FILLER), max_size=3),
    st.booleans(),
    st.booleans(),
    st.sampled_from([" ", ", ", "... ", "\n", "? "]),
)
def test_a_phrase_is_found_whatever_its_case_accents_and_company(
    term: str,
    before: list[str],
    after: list[str],
    upper: bool,
    accents: bool,
    separator: str,
) -> None:
    text = separator.join([*before, _disguised(term, upper, accents), *after]) + "?"
    assert mentions(text, [term])
    expected = Guardrail.EMERGENCY if term in EMERGENCY_TERMS else Guardrail.MEDICAL
    if expected is Guardrail.MEDICAL:
        assert guardrail_for(text) is not None
    else:
        assert guardrail_for(text) is Guardrail.EMERGENCY


@given(st.sampled_from(MEDICAL_TERMS + EMERGENCY_TERMS), st.sampled_from(["x", "zz", "ção"]))
def test_a_phrase_glued_to_other_letters_is_not_found(term: str, glue: str) -> None:
    assert not mentions(f"{glue}{term.replace(' ', '')}{glue}", [term])
