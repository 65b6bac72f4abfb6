"""The knowledge base's use cases: documents from a text or a file (split, embedded when an
embedder is configured, kept when it fails), bounds with clear errors, the unanswered questions
answered as FAQ entries, and a question tried on the association's assistant."""

from __future__ import annotations

import functools
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from returns.pipeline import is_successful
from tests.support.live_events import publishing_to

from wa_crm.adapters.ai import ScriptedProvider
from wa_crm.adapters.events.memory import InMemoryEventBus
from wa_crm.adapters.memory import InMemoryStore, InMemoryUnitOfWork
from wa_crm.adapters.memory.knowledge import InMemoryKnowledgeBase
from wa_crm.domain.model.association import Association, BotSettings, Locale
from wa_crm.domain.model.errors import (
    AIUnavailable,
    InvalidKnowledge,
    UnknownDocument,
    UnknownQuestion,
    UnreadableFile,
)
from wa_crm.domain.model.knowledge import RELEVANT_SCORE, DocumentKind
from wa_crm.domain.model.knowledge_text import split_into_passages
from wa_crm.domain.usecases.knowledge.documents import (
    DocumentSource,
    KnowledgeDocuments,
    UploadedFile,
    title_from_filename,
)
from wa_crm.domain.usecases.knowledge.limits import MAX_TITLE, title_of
from wa_crm.domain.usecases.knowledge.search import SearchKnowledge
from wa_crm.domain.usecases.knowledge.try_question import TryQuestion
from wa_crm.domain.usecases.knowledge.unanswered import UnansweredQuestions
from wa_crm.ports.ai import AIProviderError, AIProviderErrorKind, BotAction, BotReply, Speaker
from wa_crm.ports.knowledge import UnreadableDocument
from wa_crm.testing.clock import FakeClock, SequentialIds

DELIVERY = (
    "# Entregas\n\nA associação entrega os medicamentos às terças e quintas, "
    "pelos Correios, com código de rastreio enviado por WhatsApp."
)
DUES = "A mensalidade da associação vence no dia 10 de cada mês e pode ser paga por Pix."


@dataclass
class FileReader:
    """Reads ``.txt`` files as UTF-8 and refuses anything else with ``refusal``."""

    refusal: str = "unsupported_type"

    def text_of(self, filename: str, content_type: str, content: bytes) -> str:
        if not filename.endswith(".txt"):
            raise UnreadableDocument(f"refused {filename}", self.refusal)
        return content.decode()


@dataclass
class RecordingEmbedder:
    fails: bool = False
    calls: list[list[str]] = field(default_factory=list)

    async def embed(self, texts: Sequence[str]) -> list[list[float]]:
        self.calls.append(list(texts))
        if self.fails:
            raise AIProviderError(AIProviderErrorKind.TIMEOUT, "slow")
        return [[float(len(text)), 1.0] for text in texts]


@dataclass
class World:
    knowledge: InMemoryKnowledgeBase
    documents: KnowledgeDocuments
    model: ScriptedProvider
    try_question: TryQuestion
    unanswered: UnansweredQuestions
    clock: FakeClock


async def world(
    embedder: RecordingEmbedder | None = None,
    provider: str = "openai",
    locale: Locale = Locale.PT_BR,
    reader: FileReader | None = None,
) -> World:
    clock, ids, knowledge = FakeClock(), SequentialIds(), InMemoryKnowledgeBase()
    store = InMemoryStore()
    uow_factory = functools.partial(
        InMemoryUnitOfWork, store, publishing_to(InMemoryEventBus(clock))
    )
    bot = BotSettings(provider=provider, system_prompt="Você atende a associação.")
    async with uow_factory() as uow:
        await uow.associations.add(Association("a", "a", "A", clock.now(), locale, bot=bot))
        await uow.commit()
    documents = KnowledgeDocuments(knowledge, reader or FileReader(), clock, ids, embedder)
    model = ScriptedProvider()
    search = SearchKnowledge(knowledge, embedder)
    return World(
        knowledge,
        documents,
        model,
        TryQuestion(uow_factory, {provider: model}, search),
        UnansweredQuestions(knowledge, documents),
        clock,
    )


async def test_a_text_is_split_into_passages_and_found_by_a_question() -> None:
    w = await world()

    added = (await w.documents.add("a", DocumentSource(" Entregas ", DELIVERY))).unwrap()

    assert (added.title, added.kind, added.chunks) == (
        "Entregas",
        DocumentKind.DOCUMENT,
        len(split_into_passages(DELIVERY)),
    )
    assert [d.id for d in await w.documents.listed("a")] == [added.id]
    found = (await SearchKnowledge(w.knowledge)("a", "quando vocês entregam?", 3)).unwrap()
    assert found[0].document_id == added.id
    assert await w.documents.listed("b") == []  # another association sees nothing


async def test_a_file_is_read_and_titled_after_its_name() -> None:
    w = await world()
    upload = UploadedFile("docs/Regras de entrega.txt", "text/plain", DELIVERY.encode())

    added = (await w.documents.add("a", DocumentSource(file=upload))).unwrap()

    assert (added.title, added.text, added.filename) == (
        "Regras de entrega",
        DELIVERY,
        "docs/Regras de entrega.txt",
    )


@pytest.mark.parametrize(
    ("code", "locale", "says"),
    [
        ("unsupported_type", Locale.PT_BR, "Formato de arquivo não aceito"),
        ("encrypted", Locale.PT_BR, "protegido por senha"),
        ("damaged", Locale.PT_BR, "corrompido"),
        ("no_text", Locale.EN, "no text we can read"),
        ("something_new", Locale.PT_BR, "Não conseguimos ler o arquivo"),
    ],
)
async def test_an_unreadable_file_says_why_in_the_associations_language(
    code: str, locale: Locale, says: str
) -> None:
    w = await world(reader=FileReader(refusal=code))
    upload = UploadedFile("estatuto.pdf", "application/pdf", b"%PDF-1.4")

    result = await w.documents.add("a", DocumentSource(file=upload), locale)

    assert isinstance(result.failure(), UnreadableFile)
    assert says in result.failure().message
    assert await w.documents.listed("a") == []


async def test_passages_are_embedded_when_an_embedder_is_configured() -> None:
    embedder = RecordingEmbedder()
    w = await world(embedder)

    added = (await w.documents.add("a", DocumentSource("Mensalidade", DUES))).unwrap()
    await SearchKnowledge(w.knowledge, embedder)("a", "mensalidade", 2)

    assert embedder.calls == [split_into_passages(DUES), ["mensalidade"]]
    assert added.chunks == 1


async def test_a_question_reaches_the_embedder_with_personal_data_masked() -> None:
    embedder = RecordingEmbedder()
    w = await world(embedder)

    await SearchKnowledge(w.knowledge, embedder)("a", "Meu CPF 123.456.789-09 está ativo?", 2)

    assert embedder.calls == [["Meu CPF [CPF_1] está ativo?"]]


async def test_an_embedder_that_fails_loses_no_document(caplog: pytest.LogCaptureFixture) -> None:
    w = await world(RecordingEmbedder(fails=True))

    with caplog.at_level(logging.WARNING, "wa_crm.knowledge"):
        added = (await w.documents.add("a", DocumentSource("Mensalidade", DUES))).unwrap()
        found = await SearchKnowledge(w.knowledge, RecordingEmbedder(fails=True))(
            "a", "Quando vence a mensalidade?", 2
        )

    assert await w.knowledge.get("a", added.id) == added
    assert found.unwrap()[0].document_id == added.id
    assert "full-text search only" in caplog.text
    assert DUES not in caplog.text


async def test_replacing_keeps_the_id_kind_and_creation_time() -> None:
    w = await world()
    added = (await w.documents.add("a", DocumentSource("Entregas", DELIVERY))).unwrap()
    w.clock.advance(60)

    changed = (await w.documents.replace("a", added.id, DocumentSource("Taxas", DUES))).unwrap()

    kept = (changed.id, changed.kind, changed.created_at)
    assert kept == (added.id, added.kind, added.created_at)
    assert (changed.title, changed.text, changed.updated_at) == ("Taxas", DUES, w.clock.now())
    assert await w.knowledge.get("a", added.id) == changed
    unknown = await w.documents.replace("b", added.id, DocumentSource("Taxas", DUES))
    assert isinstance(unknown.failure(), UnknownDocument)


async def test_removing_a_document_that_is_not_there_is_unknown() -> None:
    w = await world()
    added = (await w.documents.add("a", DocumentSource("Entregas", DELIVERY))).unwrap()

    assert isinstance((await w.documents.remove("b", added.id)).failure(), UnknownDocument)
    assert is_successful(await w.documents.remove("a", added.id))
    assert isinstance((await w.documents.remove("a", added.id)).failure(), UnknownDocument)


@pytest.mark.parametrize(
    "source",
    [
        DocumentSource("", DUES),
        DocumentSource("x" * 201, DUES),
        DocumentSource("Taxas", "   "),
        DocumentSource("Taxas", "x" * 200_001),
    ],
)
async def test_titles_and_texts_out_of_bounds_are_refused(source: DocumentSource) -> None:
    w = await world()

    result = await w.documents.add("a", source)

    assert isinstance(result.failure(), InvalidKnowledge)
    assert await w.documents.listed("a") == []


@settings(max_examples=50)
@given(st.text(max_size=260))
def test_a_title_is_accepted_exactly_when_it_has_1_to_200_characters(title: str) -> None:
    accepted = is_successful(title_of(title))

    assert accepted == (1 <= len(title.strip()) <= MAX_TITLE)


@pytest.mark.parametrize(
    ("filename", "title"),
    [("Estatuto.pdf", "Estatuto"), ("C:\\docs\\a.b.docx", "a.b"), (".md", ".md"), ("FAQ", "FAQ")],
)
def test_a_files_title_is_its_name_without_folders_or_extension(filename: str, title: str) -> None:
    assert title_from_filename(filename) == title


@pytest.mark.parametrize(("question", "limit"), [("", 3), ("x" * 501, 3), ("frete", 0), ("a", 21)])
async def test_searches_out_of_bounds_are_refused(question: str, limit: int) -> None:
    w = await world()

    result = await SearchKnowledge(w.knowledge)("a", question, limit)

    assert isinstance(result.failure(), InvalidKnowledge)


async def test_an_answered_question_becomes_an_faq_and_leaves_the_list() -> None:
    w = await world()
    asked = await w.knowledge.record_unanswered(
        "a", "Vocês atendem em Campinas?", "c1", w.clock.now()
    )

    faq = (await w.unanswered.answer("a", asked.id, " Sim, entregamos em Campinas. ")).unwrap()

    assert (faq.kind, faq.title, faq.text) == (
        DocumentKind.FAQ,
        "Vocês atendem em Campinas?",
        "Sim, entregamos em Campinas.",
    )
    assert await w.unanswered.listed("a") == []
    assert [d.id for d in await w.documents.listed("a")] == [faq.id]
    found = await w.knowledge.search("a", "atendem em Campinas?", 1)
    assert found[0].document_id == faq.id
    again = await w.unanswered.answer("a", asked.id, "Sim.")
    assert isinstance(again.failure(), UnknownQuestion)
    assert len(await w.documents.listed("a")) == 1


async def test_an_answer_must_have_text_and_a_question_of_its_association() -> None:
    w = await world()
    asked = await w.knowledge.record_unanswered("a", "Tem estacionamento?", None, w.clock.now())

    empty = await w.unanswered.answer("a", asked.id, "  ")
    elsewhere = await w.unanswered.answer("b", asked.id, "Sim.")

    assert isinstance(empty.failure(), InvalidKnowledge)
    assert isinstance(elsewhere.failure(), UnknownQuestion)
    assert [q.id for q in await w.unanswered.listed("a")] == [asked.id]


async def test_a_tried_question_is_answered_from_the_relevant_passages_only() -> None:
    w = await world()
    await w.documents.add("a", DocumentSource("Entregas", DELIVERY))
    await w.documents.add("a", DocumentSource("Mensalidade", DUES))
    w.model.push(
        BotReply("Entregamos às terças e quintas.", sources=("Entregas", "Outro documento"))
    )

    tried = (await w.try_question("a", "Quando vocês entregam os medicamentos?")).unwrap()

    request = w.model.requests[0]
    assert [(m.speaker, m.text) for m in request.history] == [
        (Speaker.CONTACT, "Quando vocês entregam os medicamentos?")
    ]
    assert request.passages and all(p.score >= RELEVANT_SCORE for p in request.passages)
    assert request.passages[0].title == "Entregas"
    assert (tried.text, tried.action, tried.sources) == (
        "Entregamos às terças e quintas.",
        BotAction.NONE,
        ("Entregas",),
    )
    assert tried.passages[0].title == "Entregas"
    assert request.system_prompt == "Você atende a associação."


async def test_a_tried_question_is_masked_for_an_external_model() -> None:
    w = await world()
    w.model.push(BotReply("Recebemos o CPF [CPF_1].", BotAction.HANDOFF, reason="no_answer"))

    tried = (await w.try_question("a", "Meu CPF é 123.456.789-09, está ok?")).unwrap()

    assert "123.456.789-09" not in w.model.requests[0].history[0].text
    assert (tried.text, tried.action, tried.reason) == (
        "Recebemos o CPF 123.456.789-09.",
        BotAction.HANDOFF,
        "no_answer",
    )


async def test_a_model_that_fails_a_tried_question_is_unavailable() -> None:
    w = await world(locale=Locale.EN)
    w.model.push(AIProviderError(AIProviderErrorKind.SERVER_ERROR, "boom"))

    result = await w.try_question("a", "Do you deliver?")

    assert isinstance(result.failure(), AIUnavailable)
    assert result.failure().message.startswith("The assistant did not answer")
    assert isinstance((await w.try_question("a", "")).failure(), InvalidKnowledge)
