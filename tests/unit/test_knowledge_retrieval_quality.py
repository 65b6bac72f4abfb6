"""The demo association's documents answer questions as patients write them
(bench/knowledge_questions.json, the retrieval benchmark's set): the answering document holds
one of the three best passages for at least 9 questions in 10 on the in-memory adapter, which
ranks with the scorer every adapter shares. A quality test, not a timing one;
``python -m bench.knowledge_retrieval`` gives the figures on every database."""

from __future__ import annotations

from bench.knowledge_retrieval import memory_recall, questions

from wa_crm.domain.model.knowledge_text import question_key
from wa_crm.entrypoints.demo_knowledge import demo_documents


async def test_the_answering_document_is_among_the_three_best_passages() -> None:
    recall = await memory_recall(questions())

    missed = [outcome.question.text for outcome in recall.outcomes if not outcome.in_three]
    assert recall.share("in_three") >= 0.9, missed


def test_the_questions_are_many_answerable_and_none_copied_from_a_document() -> None:
    asked = questions()
    documents = demo_documents()
    titles = {document.title for document in documents}
    texts = [question_key(document.text) for document in documents]

    assert len(asked) >= 40
    assert {question.answer for question in asked} == titles
    assert not [
        question.text
        for question in asked
        if any(question_key(question.text) in text for text in texts)
    ]
