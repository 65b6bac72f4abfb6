"""What every KnowledgeBase adapter promises (memory, SQLite, PostgreSQL): documents kept per
association, Portuguese full-text search ranked by the shared scorer (so all adapters give the
same top passages), the hybrid rank with embeddings, the unanswered questions' counts, and
their deletion with a contact's conversations (erasure) or after the retention period."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from wa_crm.adapters.memory.knowledge import InMemoryKnowledgeBase
from wa_crm.domain.model.knowledge import (
    RELEVANT_SCORE,
    DocumentKind,
    KnowledgeDocument,
    Passage,
)
from wa_crm.domain.model.knowledge_text import MAX_QUESTION_TERMS, split_into_passages
from wa_crm.ports.knowledge import KnowledgeBase

ASSOCIATION = "assoc-a"
OTHER_ASSOCIATION = "assoc-b"
T0 = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)

CORPUS = {
    "entregas": (
        "Entregas",
        "# Entregas\n\nAs entregas do óleo são feitas às terças e quintas-feiras pelos "
        "Correios. O prazo é de até 5 dias úteis após a confirmação do pagamento.\n\n"
        "## Retirada na sede\nVocê também pode retirar seu pedido na sede, de segunda a "
        "sexta, das 9h às 17h.",
    ),
    "associar": (
        "Como se associar",
        "Para se associar à associação é preciso enviar receita médica, documento com foto "
        "e comprovante de residência. A análise do cadastro leva até 7 dias.",
    ),
    "anuidade": (
        "Anuidade",
        "A anuidade custa R$ 240,00 e pode ser paga em até 4 vezes no cartão ou no Pix. "
        "Associados de baixa renda podem pedir isenção da anuidade.",
    ),
    "receita": (
        "Receita médica",
        "A receita deve ser emitida por médico com CRM ativo, indicar o produto e a dosagem, "
        "e vale por 6 meses. Envie a receita digitalizada pelo WhatsApp.",
    ),
    "anvisa": (
        "Autorização da Anvisa",
        "Associados não precisam de autorização da Anvisa para importação: a associação "
        "produz o óleo com autorização judicial.",
    ),
    "horario": (
        "Horário de atendimento",
        "Nosso atendimento funciona de segunda a sexta, das 9h às 18h, e aos sábados das "
        "9h às 12h.",
    ),
    "dosagem": (
        "Qual dosagem devo usar?",
        "Não orientamos dosagem: siga sempre a prescrição do seu médico.",
    ),
    "eventos": (
        "Rodas de conversa",
        "Realizamos rodas de conversa mensais para pacientes e familiares na sede.",
    ),
}

QUESTIONS = {
    "Quando são as entregas?": "entregas",
    "qual o prazo de entrega do oleo?": "entregas",
    "como faço para me associar a associacao?": "associar",
    "Quanto custa a anuidade?": "anuidade",
    "a receita vale por quanto tempo?": "receita",
    "preciso de autorizacao da ANVISA?": "anvisa",
    "qual o horário de atendimento no sábado?": "horario",
    "posso retirar o pedido na sede?": "entregas",
    "vocês fazem rodas de conversa com familiares?": "eventos",
    "que dosagem eu uso?": "dosagem",
}
OFF_TOPIC = "qual a capital da França?"


def a_document(
    key: str,
    title: str,
    text: str,
    association_id: str = ASSOCIATION,
    kind: DocumentKind = DocumentKind.DOCUMENT,
    created_at: datetime = T0,
) -> KnowledgeDocument:
    return KnowledgeDocument(
        id=f"{association_id}-{key}",
        association_id=association_id,
        title=title,
        text=text,
        kind=kind,
        created_at=created_at,
        updated_at=created_at,
        filename=f"{key}.md",
    )


async def save_corpus(knowledge: KnowledgeBase) -> None:
    for number, (key, (title, text)) in enumerate(CORPUS.items()):
        kind = DocumentKind.FAQ if key == "dosagem" else DocumentKind.DOCUMENT
        document = a_document(key, title, text, kind=kind, created_at=T0 + timedelta(number))
        await knowledge.save(document, split_into_passages(text))


def summary(passages: list[Passage]) -> list[tuple[str, str, float]]:
    return [(passage.document_id, passage.text, passage.score) for passage in passages]


class KnowledgeBaseContract:
    """An adapter's test class provides ``knowledge``, on a store where the associations
    ``ASSOCIATION`` and ``OTHER_ASSOCIATION`` exist."""

    @pytest.fixture
    def knowledge(self) -> KnowledgeBase:
        raise NotImplementedError

    async def test_a_saved_document_is_listed_newest_first_and_got_by_id(
        self, knowledge: KnowledgeBase
    ) -> None:
        await save_corpus(knowledge)
        documents = await knowledge.documents(ASSOCIATION)
        assert [d.id for d in documents] == [f"{ASSOCIATION}-{k}" for k in reversed(CORPUS)]
        found = await knowledge.get(ASSOCIATION, f"{ASSOCIATION}-entregas")
        assert found is not None
        assert (found.title, found.text, found.kind, found.filename, found.chunks) == (
            "Entregas",
            CORPUS["entregas"][1],
            DocumentKind.DOCUMENT,
            "entregas.md",
            2,
        )
        assert found.created_at == T0
        faq = await knowledge.get(ASSOCIATION, f"{ASSOCIATION}-dosagem")
        assert faq is not None and faq.kind is DocumentKind.FAQ

    async def test_saving_a_document_again_replaces_its_text_and_passages(
        self, knowledge: KnowledgeBase
    ) -> None:
        await save_corpus(knowledge)
        text = "As entregas agora são feitas por motoboy, só às sextas."
        later = T0 + timedelta(days=30)
        replaced = a_document("entregas", "Entregas por motoboy", text)
        await knowledge.save(replace(replaced, created_at=later, updated_at=later), [text])
        found = await knowledge.get(ASSOCIATION, f"{ASSOCIATION}-entregas")
        assert found is not None
        assert (found.title, found.text, found.chunks) == ("Entregas por motoboy", text, 1)
        assert (found.created_at, found.updated_at) == (T0, later)
        assert len(await knowledge.documents(ASSOCIATION)) == len(CORPUS)
        assert [p.text for p in await knowledge.search(ASSOCIATION, "Correios", 3)] == []
        best = await knowledge.search(ASSOCIATION, "motoboy", 3)
        assert [(p.title, p.text) for p in best] == [("Entregas por motoboy", text)]

    async def test_a_removed_document_is_gone_with_its_passages(
        self, knowledge: KnowledgeBase
    ) -> None:
        await save_corpus(knowledge)
        assert await knowledge.remove(ASSOCIATION, f"{ASSOCIATION}-anuidade")
        assert not await knowledge.remove(ASSOCIATION, f"{ASSOCIATION}-anuidade")
        assert await knowledge.get(ASSOCIATION, f"{ASSOCIATION}-anuidade") is None
        assert await knowledge.search(ASSOCIATION, "anuidade", 3) == []

    async def test_associations_never_see_each_others_documents(
        self, knowledge: KnowledgeBase
    ) -> None:
        await save_corpus(knowledge)
        theirs = a_document("horario", "Horário", "Atendemos aos domingos.", OTHER_ASSOCIATION)
        await knowledge.save(theirs, ["Atendemos aos domingos."])
        assert [d.id for d in await knowledge.documents(OTHER_ASSOCIATION)] == [theirs.id]
        assert await knowledge.get(OTHER_ASSOCIATION, f"{ASSOCIATION}-horario") is None
        assert await knowledge.get(ASSOCIATION, theirs.id) is None
        assert not await knowledge.remove(OTHER_ASSOCIATION, f"{ASSOCIATION}-horario")
        assert await knowledge.get(ASSOCIATION, f"{ASSOCIATION}-horario") is not None
        assert await knowledge.search(ASSOCIATION, "domingos", 3) == []
        found = await knowledge.search(OTHER_ASSOCIATION, "atendimento sábado domingo", 3)
        assert [p.document_id for p in found] == [theirs.id]

    @pytest.mark.parametrize(
        ("question", "stored"),
        [
            ("associacao", "A associação atende em Campinas."),
            ("ASSOCIAÇÕES", "A associação atende em Campinas."),
            ("entregas", "A entrega é feita às terças."),
            ("remedio", "O remédio chega pelos Correios."),
        ],
    )
    async def test_search_ignores_accents_case_and_plurals(
        self, knowledge: KnowledgeBase, question: str, stored: str
    ) -> None:
        await knowledge.save(a_document("doc", "Informações", stored), [stored])
        found = await knowledge.search(ASSOCIATION, question, 3)
        assert [(p.text, p.score) for p in found] == [(stored, 1.0)]

    async def test_each_question_finds_its_document_first_and_a_relevant_score(
        self, knowledge: KnowledgeBase
    ) -> None:
        await save_corpus(knowledge)
        for question, key in QUESTIONS.items():
            best = await knowledge.search(ASSOCIATION, question, 3)
            assert best, question
            assert best[0].document_id == f"{ASSOCIATION}-{key}", question
            assert best[0].score >= RELEVANT_SCORE, (question, best[0].score)
            assert [p.score for p in best] == sorted((p.score for p in best), reverse=True)

    async def test_an_off_topic_question_finds_nothing_relevant(
        self, knowledge: KnowledgeBase
    ) -> None:
        await save_corpus(knowledge)
        assert await knowledge.search(ASSOCIATION, OFF_TOPIC, 3) == []
        partly = await knowledge.search(ASSOCIATION, "qual a cor da sede da associação?", 3)
        assert all(p.score < RELEVANT_SCORE for p in partly)
        assert await knowledge.search(ASSOCIATION, "o que é?", 3) == []

    async def test_the_top_three_are_the_same_as_the_memory_adapters(
        self, knowledge: KnowledgeBase
    ) -> None:
        reference = InMemoryKnowledgeBase()
        await save_corpus(reference)
        await save_corpus(knowledge)
        for question in [*QUESTIONS, OFF_TOPIC, "sede associação óleo"]:
            expected = summary(await reference.search(ASSOCIATION, question, 3))
            assert summary(await knowledge.search(ASSOCIATION, question, 3)) == expected

    async def test_with_embeddings_a_paraphrase_sharing_no_word_is_found(
        self, knowledge: KnowledgeBase
    ) -> None:
        texts = {
            "entregas": "As entregas são feitas às terças.",
            "anuidade": "A anuidade custa R$ 240.",
            "sem-vetor": "Quando chega meu pedido? Pelos Correios.",
        }
        vectors = {"entregas": [1.0, 0.0, 0.0], "anuidade": [0.0, 1.0, 0.0]}
        for key, text in texts.items():
            embeddings = [vectors[key]] if key in vectors else None
            await knowledge.save(a_document(key, key, text), [text], embeddings)
        question, embedding = "quando chega o remédio?", [0.9, 0.1, 0.0]
        hybrid = await knowledge.search(ASSOCIATION, question, 3, embedding)
        assert [p.document_id for p in hybrid] == [
            f"{ASSOCIATION}-entregas",  # cosine 0.99, no shared word
            f"{ASSOCIATION}-sem-vetor",  # shares "chega", has no embedding
            f"{ASSOCIATION}-anuidade",  # cosine 0.11
        ]
        assert hybrid[0].score == pytest.approx(0.9 / 0.82**0.5, abs=1e-6)
        assert hybrid[0].score >= RELEVANT_SCORE > hybrid[2].score
        text_only = await knowledge.search(ASSOCIATION, question, 3)
        assert [p.document_id for p in text_only] == [f"{ASSOCIATION}-sem-vetor"]
        no_words = await knowledge.search(ASSOCIATION, "o que é?", 3, [0.0, 1.0, 0.0])
        assert [(p.document_id, p.score) for p in no_words] == [(f"{ASSOCIATION}-anuidade", 1.0)]
        theirs = await knowledge.search(OTHER_ASSOCIATION, question, 3, embedding)
        assert theirs == []

    async def test_a_pasted_page_is_searched_by_its_first_terms(
        self, knowledge: KnowledgeBase
    ) -> None:
        await save_corpus(knowledge)
        filler = " ".join(f"palavra{n}" for n in range(MAX_QUESTION_TERMS))
        assert await knowledge.search(ASSOCIATION, f"{filler} anuidade", 3) == []
        found = await knowledge.search(ASSOCIATION, f"anuidade {filler}", 3)
        assert [p.document_id for p in found] == [f"{ASSOCIATION}-anuidade"]

    async def test_a_search_returns_at_most_its_limit(self, knowledge: KnowledgeBase) -> None:
        await save_corpus(knowledge)
        assert len(await knowledge.search(ASSOCIATION, "associação sede óleo receita", 2)) == 2
        assert await knowledge.search(ASSOCIATION, "entregas", 0) == []

    async def test_a_question_asked_again_is_counted_on_its_open_record(
        self, knowledge: KnowledgeBase
    ) -> None:
        first = await knowledge.record_unanswered(ASSOCIATION, "Vocês aceitam Pix?", "conv-1", T0)
        assert (first.times_asked, first.conversation_id) == (1, "conv-1")
        again = await knowledge.record_unanswered(
            ASSOCIATION, "  voces ACEITAM pix ", "conv-2", T0 + timedelta(hours=1)
        )
        assert again.id == first.id
        assert (again.times_asked, again.text) == (2, "Vocês aceitam Pix?")
        assert (again.first_asked_at, again.last_asked_at) == (T0, T0 + timedelta(hours=1))
        other = await knowledge.record_unanswered(
            ASSOCIATION, "Tem estacionamento?", None, T0 + timedelta(hours=2)
        )
        theirs = await knowledge.record_unanswered(
            OTHER_ASSOCIATION, "Vocês aceitam Pix?", None, T0
        )
        assert theirs.id != first.id and theirs.times_asked == 1
        listed = await knowledge.unanswered(ASSOCIATION, 10)
        assert [(q.id, q.times_asked) for q in listed] == [(first.id, 2), (other.id, 1)]
        assert [q.id for q in await knowledge.unanswered(ASSOCIATION, 1)] == [first.id]
        assert await knowledge.get_unanswered(ASSOCIATION, first.id) == again
        assert await knowledge.get_unanswered(OTHER_ASSOCIATION, first.id) is None

    async def test_equally_asked_questions_list_the_most_recent_first(
        self, knowledge: KnowledgeBase
    ) -> None:
        older = await knowledge.record_unanswered(ASSOCIATION, "Tem café?", None, T0)
        newer = await knowledge.record_unanswered(
            ASSOCIATION, "Tem wifi?", None, T0 + timedelta(minutes=1)
        )
        listed = await knowledge.unanswered(ASSOCIATION, 10)
        assert [q.id for q in listed] == [newer.id, older.id]

    async def test_an_answered_question_leaves_the_list_and_is_recorded_anew(
        self, knowledge: KnowledgeBase
    ) -> None:
        asked = await knowledge.record_unanswered(ASSOCIATION, "Aceitam Pix?", None, T0)
        assert not await knowledge.mark_answered(OTHER_ASSOCIATION, asked.id, "faq-1")
        assert await knowledge.mark_answered(ASSOCIATION, asked.id, "faq-1")
        assert not await knowledge.mark_answered(ASSOCIATION, asked.id, "faq-2")
        assert not await knowledge.mark_answered(ASSOCIATION, "no-such-question", "faq-1")
        assert await knowledge.unanswered(ASSOCIATION, 10) == []
        answered = await knowledge.get_unanswered(ASSOCIATION, asked.id)
        assert answered is not None and answered.answered_by == "faq-1"
        again = await knowledge.record_unanswered(
            ASSOCIATION, "aceitam pix", None, T0 + timedelta(days=1)
        )
        assert again.id != asked.id and again.times_asked == 1

    async def test_a_contacts_questions_are_listed_then_forgotten_with_their_conversations(
        self, knowledge: KnowledgeBase
    ) -> None:
        """Erasure (architecture.md section 11): the questions of the contact's conversations
        go, answered ones too; the FAQ an admin wrote stays; nobody else's question moves."""
        pix = await knowledge.record_unanswered(ASSOCIATION, "Aceitam Pix?", "conv-1", T0)
        later = T0 + timedelta(hours=1)
        cafe = await knowledge.record_unanswered(ASSOCIATION, "Tem café na sede?", "conv-2", later)
        theirs = await knowledge.record_unanswered(ASSOCIATION, "Tem wifi?", "conv-3", T0)
        tried = await knowledge.record_unanswered(ASSOCIATION, "Abrem sábado?", None, T0)
        elsewhere = await knowledge.record_unanswered(
            OTHER_ASSOCIATION, "Aceitam Pix?", "conv-1", T0
        )
        await knowledge.record_unanswered(ASSOCIATION, "aceitam pix", "conv-3", later)
        faq = a_document(
            "faq-cafe", "Tem café na sede?", "Sim, café e água.", kind=DocumentKind.FAQ
        )
        await knowledge.save(faq, [faq.text])
        assert await knowledge.mark_answered(ASSOCIATION, cafe.id, faq.id)

        listed = await knowledge.unanswered_of_conversations(ASSOCIATION, ["conv-1", "conv-2"])
        forgotten = await knowledge.forget_unanswered(ASSOCIATION, ["conv-1", "conv-2"])

        assert [(q.id, q.times_asked, q.answered_by) for q in listed] == [
            (pix.id, 2, None),
            (cafe.id, 1, faq.id),
        ]
        assert await knowledge.unanswered_of_conversations(ASSOCIATION, []) == []
        assert forgotten == 2
        assert await knowledge.get_unanswered(ASSOCIATION, pix.id) is None
        assert await knowledge.get_unanswered(ASSOCIATION, cafe.id) is None
        open_questions = await knowledge.unanswered(ASSOCIATION, 10)
        assert {q.id for q in open_questions} == {theirs.id, tried.id}
        assert await knowledge.unanswered(OTHER_ASSOCIATION, 10) == [elsewhere]
        assert await knowledge.get(ASSOCIATION, faq.id) is not None
        assert (await knowledge.search(ASSOCIATION, "café na sede", 1))[0].document_id == faq.id
        assert await knowledge.forget_unanswered(ASSOCIATION, ["conv-1", "conv-2"]) == 0
        assert await knowledge.forget_unanswered(ASSOCIATION, []) == 0

    async def test_a_purge_takes_at_most_its_limit_of_questions_first_asked_before_the_cutoff(
        self, knowledge: KnowledgeBase
    ) -> None:
        """Retention: oldest first, in batches. A question first asked before the cutoff goes
        even when asked again since: its text is the first asker's words."""
        cutoff = T0 + timedelta(days=10)
        tick = timedelta(microseconds=1)
        oldest = await knowledge.record_unanswered(ASSOCIATION, "Aceitam Pix?", "conv-1", T0)
        faq = a_document("faq-pix", "Aceitam Pix?", "Sim.", kind=DocumentKind.FAQ)
        await knowledge.save(faq, [faq.text])
        assert await knowledge.mark_answered(ASSOCIATION, oldest.id, faq.id)
        asked_again = await knowledge.record_unanswered(
            ASSOCIATION, "Abrem sábado?", None, T0 + timedelta(hours=12)
        )
        await knowledge.record_unanswered(ASSOCIATION, "abrem sabado", "conv-3", cutoff)
        older = await knowledge.record_unanswered(
            ASSOCIATION, "Tem café?", "conv-1", T0 + timedelta(days=1)
        )
        just_before = await knowledge.record_unanswered(
            ASSOCIATION, "Tem wifi?", "conv-2", cutoff - tick
        )
        recent = await knowledge.record_unanswered(
            ASSOCIATION, "Tem estacionamento?", "conv-4", cutoff
        )
        elsewhere = await knowledge.record_unanswered(OTHER_ASSOCIATION, "Tem café?", None, T0)

        assert await knowledge.purge_unanswered_before(ASSOCIATION, cutoff, 2) == 2
        assert await knowledge.get_unanswered(ASSOCIATION, oldest.id) is None
        assert await knowledge.get_unanswered(ASSOCIATION, asked_again.id) is None
        assert await knowledge.get_unanswered(ASSOCIATION, older.id) is not None
        assert await knowledge.purge_unanswered_before(ASSOCIATION, cutoff, 0) == 0
        assert await knowledge.purge_unanswered_before(ASSOCIATION, cutoff, 2) == 2
        assert await knowledge.get_unanswered(ASSOCIATION, just_before.id) is None
        assert await knowledge.purge_unanswered_before(ASSOCIATION, cutoff, 2) == 0

        left = await knowledge.unanswered(ASSOCIATION, 10)
        assert [q.id for q in left] == [recent.id]
        assert await knowledge.unanswered(OTHER_ASSOCIATION, 10) == [elsewhere]
        assert await knowledge.get(ASSOCIATION, faq.id) is not None
