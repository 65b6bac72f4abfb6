"""Hypothesis: a message that is only an opt-out or opt-in keyword matches it whatever its case,
accents, and the spaces, punctuation or emoji around it; any other text, a keyword inside a
longer message included, matches nothing; a long message is not even normalized."""

from __future__ import annotations

import string
import unicodedata
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from wa_crm.domain.model.association import PrivacySettings
from wa_crm.domain.model.people import Contact
from wa_crm.domain.usecases.privacy import consent
from wa_crm.domain.usecases.privacy.consent import ConsentChoice, consent_request, matching_keyword

DEFAULTS = PrivacySettings()
ACCENTS = (
    "\u0300\u0301\u0302\u0303\u0308\u0327"  # grave, acute, circumflex, tilde, diaeresis, cedilla
)
AROUND = " \t\n.,;:!?¡¿…-—_'\"()*«»🙏👋😊\u200b\u00a0"


@st.composite
def spelled(draw: st.DrawFn, word: str) -> str:
    """``word`` in any case, with at most one accent per letter, composed or not."""
    letters = []
    for letter in word:
        letter = letter.upper() if draw(st.booleans()) else letter.lower()
        if letter.isalpha() and draw(st.booleans()):
            letter += draw(st.sampled_from(ACCENTS))
        letters.append(letter)
    text = "".join(letters)
    return unicodedata.normalize("NFC", text) if draw(st.booleans()) else text


base_words = st.sampled_from([*DEFAULTS.opt_out_keywords, *DEFAULTS.opt_in_keywords]) | st.text(
    string.ascii_letters, min_size=1, max_size=12
)
around = st.text(AROUND, max_size=16)


def letters_of(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(char for char in decomposed if char.isalnum())


@given(st.data(), base_words, around, around)
def test_a_keyword_matches_whatever_its_case_accents_and_surroundings(
    data: st.DataObject, word: str, before: str, after: str
) -> None:
    configured = data.draw(spelled(word), label="configured keyword")
    text = before + data.draw(spelled(word), label="typed keyword") + after
    assert matching_keyword(text, ("outra coisa", configured)) == configured


@given(st.data(), base_words, st.text(string.ascii_letters + "áéç", min_size=1, max_size=20))
def test_a_keyword_inside_a_longer_message_does_not_match(
    data: st.DataObject, word: str, other: str
) -> None:
    typed = data.draw(spelled(word))
    separator = data.draw(st.text(AROUND, min_size=1, max_size=3).filter(str.strip) | st.just(" "))
    text = data.draw(st.sampled_from([typed + separator + other, other + separator + typed]))
    assert matching_keyword(text, (word,)) is None


@given(st.text(max_size=60), st.sampled_from([DEFAULTS.opt_out_keywords, ("Não quero",)]))
def test_any_other_text_matches_nothing(text: str, keywords: tuple[str, ...]) -> None:
    matched = matching_keyword(text, keywords)
    assert matched is None or letters_of(text) == letters_of(matched)


def test_a_message_too_long_to_be_a_keyword_is_not_normalized(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def fail(text: str) -> str:
        raise AssertionError("normalized a long message")

    monkeypatch.setattr(consent, "normalized", fail)
    longest = 2 * len("PARAR") + consent.KEYWORD_SLACK
    assert matching_keyword("x" * (longest + 1), DEFAULTS.opt_out_keywords) is None
    with pytest.raises(AssertionError):
        matching_keyword("x" * longest, DEFAULTS.opt_out_keywords)


def test_no_keywords_match_nothing() -> None:
    assert matching_keyword("sair", ()) is None
    assert matching_keyword("!!!", ("?",)) is None


def test_opt_in_is_asked_only_by_a_contact_who_opted_out() -> None:
    contact = Contact("k", "a", "5511988887777@c.us", datetime(2026, 1, 1, tzinfo=UTC))
    assert consent_request("Voltar!", contact, DEFAULTS) is None
    request = consent_request(" sair ", contact, DEFAULTS)
    assert request is not None
    assert (request.choice, request.source) == (ConsentChoice.OPT_OUT, "keyword:SAIR")

    contact.opt_out(datetime(2026, 1, 2, tzinfo=UTC), request.source)
    again = consent_request("PARAR", contact, DEFAULTS)
    assert again is not None and again.choice is ConsentChoice.OPT_OUT
    back = consent_request("vóltar", contact, DEFAULTS)
    assert back is not None and (back.choice, back.keyword) == (ConsentChoice.OPT_IN, "VOLTAR")
    assert consent_request("quero voltar", contact, DEFAULTS) is None
