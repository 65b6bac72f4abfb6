"""The embedded rules assistant (adapters/ai/rules.py): orders, answers quoted from the
association's passages, the lead interview with the lead's own questions, attachments."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from wa_crm.adapters.ai.rules import RulesProvider
from wa_crm.adapters.ai.rules_intents import is_order_question, is_question
from wa_crm.domain.model.association import BotAttachment, LeadQuestion
from wa_crm.domain.model.knowledge import RELEVANT_SCORE, Passage
from wa_crm.ports.ai import NO_ANSWER, BotAction, BotReply, Speaker, TurnMessage, TurnRequest

ORDERS = [
    {
        "id": "o-1042",
        "date": "2026-11-02",
        "items": "Óleo CBD 3% 30ml x2",
        "total": "559.80",
        "status": "shipped",
    },
    {
        "id": "o-1001",
        "date": "2026-09-12",
        "items": "Óleo CBD 3% 30ml",
        "total": "289.90",
        "status": "delivered",
    },
]
MEMBER: dict[str, Any] = {"kind": "member", "first_name": "Maria", "orders": ORDERS}
DELIVERIES = Passage(
    "d-1",
    "Entregas e retirada",
    "## Entregas\n"
    "A associação entrega em Campinas e região às terças e quintas-feiras. "
    "O frete é grátis para pedidos acima de R$ 300. "
    "A retirada na sede é de segunda a sexta, das 9h às 17h. "
    "Pedidos feitos até quarta chegam na mesma semana.",
    0.8,
)
MEMBERSHIP = Passage(
    "d-2",
    "Como se associar",
    "# Associação\nPara se associar, envie a receita médica e um documento com foto.",
    0.5,
)
QUESTIONS = (
    LeadQuestion("name", "Qual é o seu nome?"),
    LeadQuestion("city", "Em qual cidade você mora?"),
)
PRICE_LIST = BotAttachment("tabela", "k1", "precos.pdf", "application/pdf", ("preço", "tabela"))


def turn(*texts: str, **fields: Any) -> TurnRequest:
    """A request whose history alternates contact, assistant, contact…, ending with the
    contact."""
    history = tuple(
        TurnMessage(Speaker.CONTACT if n % 2 == 0 else Speaker.ASSISTANT, text)
        for n, text in enumerate(texts)
    )
    fields.setdefault("contact", MEMBER)
    return TurnRequest("prompt", "objective", history, **fields)


async def reply(*texts: str, **fields: Any) -> BotReply:
    return await RulesProvider().reply(turn(*texts, **fields))


# ---------------------------------------------------------------------------------- orders


@pytest.mark.parametrize(
    "text",
    [
        "cadê meu pedido?",
        "Cade meu pedido",
        "meu pedido já foi enviado?",
        "quero rastrear minha encomenda",
        "minha entrega chegou?",
        "o pedido já saiu?",
        "qual o status da minha compra?",
        "tem código de rastreio?",
        "Where is my order?",
        "MEUS PEDIDOS",
        "a entrega já foi enviada?",
    ],
)
def test_order_questions(text: str) -> None:
    assert is_order_question(text)


@pytest.mark.parametrize(
    "text",
    [
        "quando é a entrega do óleo?",
        "qual o calendário de entregas?",
        "vocês fazem entrega em Campinas?",
        "como faço um pedido?",
        "quero fazer uma compra",
        "qual o valor do frete?",
        "qual o frete dos pedidos?",
        "o frete é grátis na compra?",
        "bom dia",
        "",
    ],
)
def test_not_order_questions(text: str) -> None:
    assert not is_order_question(text)


async def test_a_member_asking_about_the_order_gets_the_latest_in_pt_br() -> None:
    answer = await reply("cadê meu pedido?")

    assert answer == BotReply(
        "Seu último pedido (o-1042, de 02/11/2026) foi enviado. "
        "Itens: Óleo CBD 3% 30ml x2. Total: R$ 559,80."
    )


async def test_the_order_in_english() -> None:
    answer = await reply("where is my order?", locale="en")

    assert answer.text == (
        "Your latest order (o-1042, from 11/02/2026) was shipped. "
        "Items: Óleo CBD 3% 30ml x2. Total: R$559.80."
    )


async def test_an_unknown_status_and_odd_fields_are_shown_as_they_are() -> None:
    odd = {"id": "x-9", "date": "ontem", "items": "", "total": "muito", "status": "Em separação"}

    answer = await reply("meu pedido?", contact={"kind": "member", "orders": [odd]})

    assert (
        answer.text
        == "Seu último pedido (x-9, de ontem) está com a situação “Em separação”. Total: muito."
    )


async def test_a_member_without_orders_is_told_so() -> None:
    answer = await reply("meu pedido chegou?", contact={"kind": "member", "orders": []})

    assert answer == BotReply("Não encontrei pedidos no seu cadastro.")


async def test_an_order_question_wins_over_passages() -> None:
    answer = await reply("minha entrega chegou?", passages=(DELIVERIES,))

    assert answer.text.startswith("Seu último pedido (o-1042")
    assert answer.sources == ()


# ---------------------------------------------------------------------------------- passages


async def test_a_member_question_is_answered_by_quoting_the_best_passage() -> None:
    answer = await reply("quando é a entrega do óleo?", passages=(DELIVERIES, MEMBERSHIP))

    assert answer == BotReply(
        "A associação entrega em Campinas e região às terças e quintas-feiras.\n\n"
        "Fonte: Entregas e retirada",
        sources=("Entregas e retirada",),
    )


async def test_up_to_three_sentences_in_their_order_and_no_heading_marks() -> None:
    answer = await reply("e o frete dos pedidos e a retirada na sede?", passages=(DELIVERIES,))

    body, source = answer.text.split("\n\n")
    assert source == "Fonte: Entregas e retirada"
    assert "#" not in body
    assert body == (
        "O frete é grátis para pedidos acima de R$ 300. "
        "A retirada na sede é de segunda a sexta, das 9h às 17h. "
        "Pedidos feitos até quarta chegam na mesma semana."
    )


async def test_the_source_in_english() -> None:
    answer = await reply("how do I join?", passages=(MEMBERSHIP,), locale="en")

    assert answer.text == (
        "Para se associar, envie a receita médica e um documento com foto.\n\n"
        "Source: Como se associar"
    )


async def test_a_passage_of_only_a_heading_is_quoted_without_its_mark() -> None:
    passage = Passage("d-3", "Avisos", "## Sede fechada em dezembro", 0.9)

    answer = await reply("a sede abre em dezembro?", passages=(passage,))

    assert answer.text == "Sede fechada em dezembro\n\nFonte: Avisos"


async def test_lines_wrapped_mid_sentence_are_quoted_whole() -> None:
    wrapped = Passage(
        "d-4",
        "Retirada",
        "## Retirada na sede\n\nQuem preferir pode retirar o óleo na sede, de segunda a sexta,\n"
        "das 9h às 17h. Leve um documento com foto.\n\n- **Sábados**: só com agendamento\n"
        "  pelo WhatsApp.",
        0.9,
    )

    answer = await reply("posso retirar o óleo na sede no sábado?", passages=(wrapped,))

    assert answer.text == (
        "Quem preferir pode retirar o óleo na sede, de segunda a sexta, das 9h às 17h. "
        "**Sábados**: só com agendamento pelo WhatsApp.\n\nFonte: Retirada"
    )


async def test_a_when_question_quotes_the_section_that_lists_the_days() -> None:
    calendar = Passage(
        "d-6",
        "Calendário de entregas",
        "## Dias de entrega por região\n\n- **BH**: toda terça-feira, das 9h às 17h.\n"
        "- **São Paulo**: toda quarta-feira.\n- **Demais cidades**: pelos Correios.",
        1.0,
    )

    answer = await reply("quando é a entrega?", passages=(calendar,))

    assert answer.text == (
        "**BH**: toda terça-feira, das 9h às 17h. **São Paulo**: toda quarta-feira. "
        "**Demais cidades**: pelos Correios.\n\nFonte: Calendário de entregas"
    )


async def test_a_when_question_quotes_the_sentences_naming_days_and_hours() -> None:
    opening = Passage(
        "d-7",
        "Reuniões",
        "Os encontros servem para trocar experiências. A roda de conversa é todo último "
        "sábado do mês, das 14h às 16h. Traga um familiar.",
        1.0,
    )

    answer = await reply("quando tem encontro?", passages=(opening,))

    assert answer.text == (
        "A roda de conversa é todo último sábado do mês, das 14h às 16h.\n\nFonte: Reuniões"
    )


async def test_the_best_passage_is_the_highest_score() -> None:
    answer = await reply("como me associo?", passages=(MEMBERSHIP, DELIVERIES))

    assert answer.sources == ("Entregas e retirada",)


async def test_no_relevant_passage_hands_a_member_over_with_no_answer() -> None:
    weak = Passage("d-1", "Entregas", DELIVERIES.text, RELEVANT_SCORE - 0.01)

    answer = await reply("vocês aceitam pix?", passages=(weak,))

    assert answer == BotReply(
        "", action=BotAction.HANDOFF, reason=NO_ANSWER, summary="vocês aceitam pix?"
    )


async def test_a_passage_just_relevant_is_quoted() -> None:
    passage = Passage("d-1", "Entregas", DELIVERIES.text, RELEVANT_SCORE)

    answer = await reply("quando é a entrega?", passages=(passage,))

    assert answer.sources == ("Entregas",)


async def test_the_handoff_summary_is_the_whole_pending_question_on_one_line() -> None:
    history = (
        TurnMessage(Speaker.CONTACT, "oi"),
        TurnMessage(Speaker.CONTACT, "vocês aceitam\npix?"),
    )

    answer = await RulesProvider().reply(TurnRequest("p", "o", history, contact=MEMBER))

    assert answer.summary == "oi vocês aceitam pix?"


@given(st.floats(min_value=0, max_value=1), st.text(max_size=60))
async def test_a_member_always_gets_a_source_or_a_handoff(score: float, question: str) -> None:
    passage = Passage("d-1", "Entregas", DELIVERIES.text, score)

    answer = await reply(question, passages=(passage,))

    if is_order_question(question):
        assert answer.text.startswith("Seu último pedido")
    elif score >= RELEVANT_SCORE:
        assert answer.sources == ("Entregas",)
        assert answer.text.endswith("\n\nFonte: Entregas")
        assert answer.action is BotAction.NONE
    else:
        assert (answer.action, answer.reason) == (BotAction.HANDOFF, NO_ANSWER)
        assert answer.text == ""


# ---------------------------------------------------------------------------------- leads

LEAD: dict[str, Any] = {"kind": "lead", "collected": {}}


@pytest.mark.parametrize(
    "text",
    [
        "vocês entregam em Campinas",
        "Como funciona a associação",
        "quanto custa o óleo",
        "Tem óleo de 6%",
        "posso levar minha mãe",
        "É possível retirar na sede",
        "por que precisa de receita",
        "o que é CBD",
        "Ana?",
        "How do I join",
    ],
)
def test_questions(text: str) -> None:
    assert is_question(text)


@pytest.mark.parametrize(
    "text", ["Ana", "Campinas", "É para minha mãe", "O óleo de CBD", "Por favor", "quero saber"]
)
def test_not_questions(text: str) -> None:
    assert not is_question(text)


async def test_the_interview_asks_one_question_per_turn_and_collects_the_answers() -> None:
    first = await reply("Oi, quero saber do óleo", contact=LEAD, lead_questions=QUESTIONS)
    second = await reply("Oi", "Qual é o seu nome?", "Ana", contact=LEAD, lead_questions=QUESTIONS)
    last = await reply(
        "Oi",
        "Em qual cidade você mora?",
        "Campinas",
        contact={"kind": "lead", "collected": {"name": "Ana"}},
        lead_questions=QUESTIONS,
        completion_message="Obrigada! Uma pessoa da equipe vai falar com você.",
    )

    assert first == BotReply("Qual é o seu nome?")
    assert second == BotReply("Em qual cidade você mora?", collected={"name": "Ana"})
    assert last == BotReply(
        "Obrigada! Uma pessoa da equipe vai falar com você.",
        action=BotAction.OBJECTIVE_COMPLETE,
        reason="lead questions answered",
        summary="name: Ana / city: Campinas",
        collected={"city": "Campinas"},
    )


async def test_a_lead_question_is_answered_then_the_interview_goes_on() -> None:
    answer = await reply(
        "Oi",
        "Qual é o seu nome?",
        "Vocês entregam em Campinas?",
        contact=LEAD,
        lead_questions=QUESTIONS,
        passages=(DELIVERIES,),
    )

    assert answer == BotReply(
        "A associação entrega em Campinas e região às terças e quintas-feiras.\n\n"
        "Fonte: Entregas e retirada\n\n"
        "Qual é o seu nome?",
        sources=("Entregas e retirada",),
    )


async def test_a_lead_question_without_an_answer_is_noted_and_the_interview_goes_on() -> None:
    answer = await reply(
        "Oi",
        "Qual é o seu nome?",
        "vocês aceitam pix?",
        contact=LEAD,
        lead_questions=QUESTIONS,
    )

    assert answer == BotReply(
        "Vou anotar sua pergunta para a equipe.\n\nQual é o seu nome?",
        reason=NO_ANSWER,
        summary="vocês aceitam pix?",
    )


async def test_a_lead_question_noted_in_english() -> None:
    answer = await reply("can I pay by pix?", contact=LEAD, lead_questions=QUESTIONS, locale="en")

    assert answer.text == "I'll note your question for the team.\n\nQual é o seu nome?"


async def test_a_lead_asking_about_orders_is_not_answered_from_orders() -> None:
    answer = await reply(
        "cadê meu pedido?", contact={**LEAD, "orders": ORDERS}, lead_questions=QUESTIONS
    )

    assert "o-1042" not in answer.text
    assert answer.reason == NO_ANSWER
    assert answer.text.endswith("Qual é o seu nome?")


async def test_a_lead_question_after_the_interview_completes_it_with_the_answer() -> None:
    answer = await reply(
        "quando é a entrega?",
        contact={"kind": "lead", "collected": {"name": "Ana", "city": "Campinas"}},
        lead_questions=QUESTIONS,
        passages=(DELIVERIES,),
        completion_message="Obrigada!",
    )

    assert answer.action is BotAction.OBJECTIVE_COMPLETE
    assert answer.text.endswith("Fonte: Entregas e retirada\n\nObrigada!")
    assert answer.sources == ("Entregas e retirada",)


async def test_an_unanswered_lead_question_after_the_interview_is_handed_over() -> None:
    answer = await reply(
        "vocês aceitam pix?",
        contact={"kind": "lead", "collected": {"name": "Ana", "city": "Campinas"}},
        lead_questions=QUESTIONS,
    )

    assert answer == BotReply(
        "", action=BotAction.HANDOFF, reason=NO_ANSWER, summary="vocês aceitam pix?"
    )


@given(st.text(min_size=1, max_size=40))
async def test_a_lead_question_is_never_collected(text: str) -> None:
    answer = await reply("Oi", "Qual é o seu nome?", text, contact=LEAD, lead_questions=QUESTIONS)

    if is_question(text):
        assert answer.collected == {}
        assert answer.text.endswith("Qual é o seu nome?")
    elif text.strip():
        assert answer.collected == {"name": text.strip()}


# ---------------------------------------------------------------------------------- files


async def test_a_mentioned_attachment_is_sent() -> None:
    answer = await reply("me manda a tabela de preços", attachments=(PRICE_LIST,))

    assert answer == BotReply("Segue o arquivo solicitado.", attachments=("tabela",))


async def test_an_attachment_goes_with_an_answer_from_the_passages() -> None:
    answer = await reply(
        "qual o preço do frete dos pedidos?", attachments=(PRICE_LIST,), passages=(DELIVERIES,)
    )

    assert answer.attachments == ("tabela",)
    assert answer.sources == ("Entregas e retirada",)


async def test_a_lead_gets_attachments_with_the_interview() -> None:
    answer = await reply(
        "quero a tabela", contact=LEAD, lead_questions=QUESTIONS, attachments=(PRICE_LIST,)
    )

    assert answer == BotReply("Qual é o seu nome?", attachments=("tabela",))
