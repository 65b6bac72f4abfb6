"""Health guardrails: what the assistant never answers itself (architecture.md section 4,
item 5).

A question about dosage, symptoms, side effects, diagnosis, interactions or changing a
treatment goes to a person (``medical_question``); an emergency gets the emergency numbers at
once and an urgent handoff. Both are told by phrases, matched on whole words in order, where
case, accents and punctuation do not matter ("Posso TOMAR junto com..." matches "posso tomar
junto com"). The association adds its own medical phrases (``BotSettings.medical_terms``); the
emergency list is fixed, so no setting can silence it. Every provider gets the same checks,
before any model is asked.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from enum import StrEnum

from wa_crm.domain.model.text import normalized

MEDICAL_TERMS: tuple[str, ...] = (
    "dosagem",
    "dosagens",
    "dose",
    "doses",
    "quantas gotas",
    "quantas gotinhas",
    "quanto devo tomar",
    "quanto eu tomo",
    "quanto tomar",
    "posologia",
    "efeito colateral",
    "efeitos colaterais",
    "reacao adversa",
    "sintoma",
    "sintomas",
    "diagnostico",
    "interacao",
    "interacoes",
    "posso tomar junto com",
    "tomar junto com",
    "misturar com",
    "parar de tomar",
    "trocar o remedio",
    "trocar de remedio",
    "trocar a medicacao",
    "aumentar a dose",
    "diminuir a dose",
    "tontura",
    "tonto",
    "tonta",
    "enjoo",
    "enjoada",
    "enjoado",
    "nausea",
    "vomito",
    "vomitando",
    "alergia",
    "gravida",
    "gravidez",
    "amamentando",
    "contraindicacao",
    "contraindicado",
)
"""Phrases of a medical question, as ``normalized`` writes them (no accents, lowercase)."""

EMERGENCY_TERMS: tuple[str, ...] = (
    "falta de ar",
    "nao consigo respirar",
    "sem conseguir respirar",
    "desmaio",
    "desmaiou",
    "desmaiei",
    "desmaiando",
    "convulsao",
    "convulsionando",
    "convulsionou",
    "dor no peito",
    "infarto",
    "infartando",
    "avc",
    "suicidio",
    "me matar",
    "quero morrer",
    "tirar minha vida",
    "tirar a minha vida",
    "acabar com a minha vida",
    "overdose",
    "intoxicacao",
    "envenenamento",
    "sangrando muito",
    "emergencia",
)
"""Phrases of an emergency, as ``normalized`` writes them."""


class Guardrail(StrEnum):
    MEDICAL = "medical"
    EMERGENCY = "emergency"


def _phrase(text: str) -> str:
    """``text`` as a run of words separated by single spaces, padded so a phrase matches whole
    words only."""
    return " " + " ".join(re.findall(r"[^\W_]+", normalized(text))) + " "


def mentions(text: str, phrases: Iterable[str]) -> bool:
    """Whether ``text`` holds one of ``phrases`` as whole words in order (case, accents and
    punctuation aside); a phrase with no words never matches."""
    said = _phrase(text)
    return any(len(wanted) > 2 and wanted in said for wanted in map(_phrase, phrases))


def guardrail_for(text: str, medical_terms: Iterable[str] = ()) -> Guardrail | None:
    """The guardrail ``text`` falls under, an emergency first; ``medical_terms`` are the
    association's, beside the built-in ones."""
    if mentions(text, EMERGENCY_TERMS):
        return Guardrail.EMERGENCY
    if mentions(text, (*MEDICAL_TERMS, *medical_terms)):
        return Guardrail.MEDICAL
    return None
