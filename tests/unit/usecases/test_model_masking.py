"""What an external model answers comes back with the personal data restored and nothing else
changed: sources, attachments and action survive the unmasking."""

from __future__ import annotations

from wa_crm.domain.model.privacy import Masker
from wa_crm.domain.usecases.bot.masking import mask_values, unmask_reply
from wa_crm.ports.ai import BotAction, BotReply


def test_values_are_masked_however_deep_and_the_reply_restored_whole() -> None:
    masker = Masker()
    context = mask_values(
        {"name": "Ana", "profile": {"cpf": "123.456.789-09", "mails": ["ana@example.com"]}},
        masker,
    )
    assert context == {"name": "Ana", "profile": {"cpf": "[CPF_1]", "mails": ["[EMAIL_1]"]}}
    reply = BotReply(
        text="CPF [CPF_1]",
        action=BotAction.HANDOFF,
        reason="r",
        summary="e-mail [EMAIL_1]",
        collected={"doc": "[CPF_1]", "n": 2},
        attachments=("tabela",),
        sources=("Estatuto",),
    )

    restored = unmask_reply(reply, masker)

    assert restored == BotReply(
        text="CPF 123.456.789-09",
        action=BotAction.HANDOFF,
        reason="r",
        summary="e-mail ana@example.com",
        collected={"doc": "123.456.789-09", "n": 2},
        attachments=("tabela",),
        sources=("Estatuto",),
    )
