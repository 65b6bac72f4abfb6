"""The downstream project's own code: how the Clínica Exemplo sets wa_crm up.

A project that deploys wa_crm for an association keeps its configuration in code like this
(its bot's texts, its patients) and tests it against the WAHA simulator: see ``conftest.py``
and ``test_clinic_whatsapp.py`` beside this file.
"""

from __future__ import annotations

from wa_crm.container import Container
from wa_crm.domain.model.association import Association, BotSettings, LeadQuestion, WhatsAppSettings
from wa_crm.domain.usecases.access.setup import NewAssociation

SLUG = "clinica-exemplo"

BOT = BotSettings(
    greeting_member="Olá, {first_name}! Aqui é a Clínica Exemplo. Em que posso ajudar?",
    greeting_lead="Olá! Aqui é a Clínica Exemplo.",
    lead_questions=(
        LeadQuestion("name", "Qual é o seu nome completo?"),
        LeadQuestion("city", "De qual cidade você fala?"),
    ),
    handoff_keywords=("atendente", "recepção"),
    transition_message="Um momento: vou chamar a recepção.",
)

PATIENTS = "id,full_name,phone,status\np-1,Maria Souza,+55 11 99999-1234,active\n"


async def set_up_clinic(
    container: Container, whatsapp: WhatsAppSettings, bot: BotSettings = BOT
) -> Association:
    """Create the clinic's association with its assistant and its patient registry."""
    association = (
        await container.create_association()(
            NewAssociation(SLUG, "Clínica Exemplo", whatsapp=whatsapp)
        )
    ).unwrap()
    association = (await container.update_bot_settings()(association.id, bot)).unwrap()
    (await container.import_patients()(SLUG, PATIENTS)).unwrap()
    return association
