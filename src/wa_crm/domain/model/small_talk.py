"""Greetings and pleasantries, told apart from what the contact wants (architecture.md
section 4, item 5).

A turn whose messages are only greetings ("oi", "Olá, boa tarde", "tudo bem?", an emoji) or
thanks ("obrigada!", "valeu 👍", "ok, obrigado") is answered by the assistant itself, without a
model: a thank-you is not a question the documents fail to answer. Greetings and thanks in
front of a question are dropped from the question the knowledge base is searched with and from
the handoff note, so an agent never reads "Olá, boa tarde" as what the contact wants. Case,
accents, repeated letters ("oiii") and punctuation do not matter.
"""

from __future__ import annotations

import re
import unicodedata

_GREETING = (
    r"(?:o+i+e*|ola+|opa+|alo+|e ai|eai|ei|hey|hi|hello|"
    r"bom dia|boa tarde|boa noite|boas|good (?:morning|afternoon|evening)|"
    r"tudo (?:bem|bom|certo|joia|tranquilo)|td (?:bem|bom)|tranquilo|beleza|blz|"
    r"como vai(?: voce)?|como voce esta|how are you|"
    r"e (?:voce|vc)|pessoal|gente|galera|everyone)"
)
_THANKS = (
    r"(?:(?:muito )?obrigad[oa]s?|brigad[oa]|obg|valeu|vlw|agradeco|grat[oa]|"
    r"thanks|thank you|ok|okay|certo|entendi|perfeito|otimo|show|combinado)"
)
_LEADING_GREETINGS = re.compile(rf"[\W_]*(?:\b(?:{_GREETING}|{_THANKS})\b[\W_]*)*")
_A_THANK_YOU = re.compile(rf"\b{_THANKS}\b")


def _folded(text: str) -> tuple[str, list[int]]:
    """``text`` lowercased without accents, and for each of its characters the index of the
    original character it came from (so a match maps back to the text as written)."""
    folded: list[str] = []
    origin: list[int] = []
    for index, char in enumerate(text):
        for part in unicodedata.normalize("NFKD", char.casefold()):
            if not unicodedata.combining(part):
                folded.append(part)
                origin.append(index)
    return "".join(folded), origin


def _greeting_end(text: str) -> int:
    """Where ``text`` goes on after its leading greetings (and the punctuation, spaces and
    emojis around them)."""
    folded, origin = _folded(text)
    match = _LEADING_GREETINGS.match(folded)
    end = match.end() if match else 0
    return len(text) if end >= len(folded) else origin[end]


def is_small_talk(text: str) -> bool:
    """Only greetings, thanks, punctuation or emojis: nothing to answer but hello, or you're
    welcome."""
    return bool(text.strip()) and _greeting_end(text) >= len(text)


def is_greeting(text: str) -> bool:
    """Small talk without a thank-you: nothing to answer but hello."""
    return is_small_talk(text) and not thanks_in(text)


def thanks_in(text: str) -> bool:
    """Whether ``text`` thanks or acknowledges ("obrigado", "valeu", "ok")."""
    return _A_THANK_YOU.search(_folded(text)[0]) is not None


def without_greetings(text: str) -> str:
    """``text`` from its first word that is not a greeting or a thank-you; "" when it is only
    small talk."""
    return text[_greeting_end(text) :].strip()


_SENTENCE = re.compile(r"[^.!?]*[.!?]+|[^.!?]+$")


def salutation(greeting: str) -> str:
    """The greeting without its questions: what opens a reply that already answers ("Olá,
    Maria!" rather than "Olá, Maria! Como podemos ajudar?" followed by the answer)."""
    kept = [part.strip() for part in _SENTENCE.findall(greeting) if not part.strip().endswith("?")]
    return " ".join(part for part in kept if part)
