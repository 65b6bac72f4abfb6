"""Greetings are answered by the assistant itself and never read as what the contact wants."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from wa_crm.domain.model.small_talk import (
    is_greeting,
    is_small_talk,
    salutation,
    thanks_in,
    without_greetings,
)

GREETINGS = [
    "oi",
    "olá",
    "ola",
    "oiii",
    "bom dia",
    "boa tarde",
    "boa noite",
    "tudo bem",
    "tudo bom",
    "e aí",
    "opa",
    "alô",
    "hello",
    "good morning",
    "e você",
    "beleza",
]
SEPARATORS = [" ", ", ", "! ", "? ", "... ", "\n", " 👋 ", " 🙂", "!!"]
QUESTIONS = [
    "Quando é a entrega do óleo?",
    "cadê meu pedido?",
    "Vocês atendem em BH?",
    "Você pode me ajudar?",
    "Qual o horário de atendimento?",
    "quero falar com alguém",
]


@pytest.mark.parametrize(
    "text",
    [
        "oi",
        "olá",
        "ola!",
        "bom dia",
        "boa tarde",
        "boa noite",
        "tudo bem?",
        "oi, tudo bem?",
        "👋",
        "🙂🙂",
        "Olá, boa tarde",
        "Oiii, tudo bem e você?",
        "BOM DIA!!!",
        "Boa noite 🌙",
    ],
)
def test_greetings_alone_are_small_talk(text: str) -> None:
    assert is_greeting(text)
    assert without_greetings(text) == ""


@pytest.mark.parametrize(
    "text",
    [
        "oito",
        "olá, quero saber da entrega",
        "bom dia, cadê meu pedido?",
        "ok",
        "sim",
        "Vocês atendem em BH?",
        "",
        "   ",
        "oi 2",
    ],
)
def test_anything_else_is_not_small_talk(text: str) -> None:
    assert not is_greeting(text)


def test_a_question_after_greetings_is_kept_as_written() -> None:
    assert without_greetings("Olá, boa tarde! Quando é a entrega do óleo?") == (
        "Quando é a entrega do óleo?"
    )
    assert without_greetings("Você pode me ajudar?") == "Você pode me ajudar?"


def _cased(text: str, upper: bool) -> str:
    return text.upper() if upper else text


@given(
    st.lists(
        st.tuples(st.sampled_from(GREETINGS), st.sampled_from(SEPARATORS), st.booleans()),
        min_size=1,
        max_size=5,
    )
)
def test_any_run_of_greetings_is_small_talk(parts: list[tuple[str, str, bool]]) -> None:
    text = "".join(_cased(greeting, upper) + separator for greeting, separator, upper in parts)
    assert is_greeting(text)


@given(
    st.lists(st.tuples(st.sampled_from(GREETINGS), st.sampled_from(SEPARATORS)), max_size=4),
    st.sampled_from(QUESTIONS),
)
def test_greetings_in_front_of_a_question_leave_the_question(
    parts: list[tuple[str, str]], question: str
) -> None:
    text = "".join(greeting + separator for greeting, separator in parts) + question
    assert not is_greeting(text)
    assert without_greetings(text) == question


@given(st.text(max_size=40))
def test_what_remains_is_the_end_of_the_text_and_has_no_greeting_left(text: str) -> None:
    rest = without_greetings(text)
    assert text.rstrip().endswith(rest)
    assert without_greetings(rest) == rest
    assert is_small_talk(text) == (bool(text.strip()) and rest == "")
    assert is_greeting(text) == (is_small_talk(text) and not thanks_in(text))


@pytest.mark.parametrize(
    "text", ["obrigada!", "Muito obrigado 🙏", "valeu 👍", "ok, obrigado, boa noite", "Entendi."]
)
def test_thanks_are_small_talk_but_not_greetings(text: str) -> None:
    assert is_small_talk(text) and thanks_in(text) and not is_greeting(text)
    assert without_greetings(text) == ""


def test_a_question_after_thanks_is_kept() -> None:
    assert without_greetings("Obrigado! E a entrega, quando é?") == "E a entrega, quando é?"
    assert not thanks_in("oknão") and not is_small_talk("oknão")


@pytest.mark.parametrize(
    ("greeting", "opening"),
    [
        ("Olá, Maria! Como podemos ajudar?", "Olá, Maria!"),
        ("Olá! Bem-vindo(a). Como podemos ajudar?", "Olá! Bem-vindo(a)."),
        ("Como vai? Em que posso ajudar?", ""),
        ("Bom dia, Maria.", "Bom dia, Maria."),
        ("Oi! Tudo bem? Aqui é a Associação.", "Oi! Aqui é a Associação."),
    ],
)
def test_the_salutation_is_the_greeting_without_its_questions(greeting: str, opening: str) -> None:
    assert salutation(greeting) == opening
