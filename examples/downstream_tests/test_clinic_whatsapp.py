"""The clinic's WhatsApp assistant, tested end to end: a patient writes through the WAHA
simulator, and the test asserts on what the clinic's wa_crm sent back through WAHA."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from clinic import BOT

from wa_crm.domain.model.association import Association

if TYPE_CHECKING:
    from conftest import Phone

NEW_PATIENT = "5521988887777@c.us"
MARIA = "551199991234@c.us"  # the registry has +55 11 99999-1234: WhatsApp drops the 9 here


@pytest.mark.asyncio
async def test_a_new_patient_is_greeted_and_asked_for_their_name(
    clinic: Association, waha: Phone
) -> None:
    await waha.write(NEW_PATIENT, "Oi, boa tarde!", name="Lia")

    assert await waha.wait_for(NEW_PATIENT, 2) == [
        "Olá! Aqui é a Clínica Exemplo.",
        "Qual é o seu nome completo?",
    ]


@pytest.mark.asyncio
async def test_a_patient_asking_for_the_front_desk_is_handed_over(
    clinic: Association, waha: Phone
) -> None:
    await waha.write(MARIA, "Quero falar com a recepção, por favor")

    assert await waha.wait_for(MARIA, 1) == [BOT.transition_message]
