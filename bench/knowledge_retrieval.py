"""Retrieval quality of the knowledge base on the demo association's documents, per database.

The demo documents (``wa_crm/entrypoints/demo_data/knowledge``) are stored as the demo seeds
them, through ``KnowledgeDocuments`` (full text only, no embedder), in the memory adapter and in
migrated SQLite and PostgreSQL databases. Each question of ``knowledge_questions.json`` (how
patients write: paraphrases, typos, missing accents, "vcs", "qnd", "bh") names the document
that answers it. Reported per database:

- recall@1: the best passage is from that document;
- recall@3: one of the three best passages is (the assistant is given the best passages);
- answered@1: the best passage is from it and scores at least ``RELEVANT_SCORE``, so the
  assistant would answer from it rather than hand over.

    python -m bench.knowledge_retrieval [--misses]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from bench.ingest_webhooks import postgres_database
from wa_crm.adapters.documents.reader import DocumentFileReader
from wa_crm.adapters.memory.knowledge import InMemoryKnowledgeBase
from wa_crm.adapters.sql import upgrade
from wa_crm.container import build_container, close_resources
from wa_crm.domain.model.knowledge import RELEVANT_SCORE
from wa_crm.domain.usecases.access.setup import NewAssociation
from wa_crm.domain.usecases.knowledge.documents import DocumentSource, KnowledgeDocuments
from wa_crm.entrypoints.demo_knowledge import demo_documents, seed_demo_knowledge
from wa_crm.ports.knowledge import KnowledgeBase
from wa_crm.settings import Settings
from wa_crm.testing.clock import FakeClock, SequentialIds

QUESTIONS = Path(__file__).with_name("knowledge_questions.json")
ASSOCIATION = "demo-association"
SLUG = "demo"


@dataclass(frozen=True)
class Question:
    text: str
    answer: str
    """The title of the document that answers it."""


@dataclass(frozen=True)
class Outcome:
    question: Question
    titles: Sequence[str]
    """The documents of the three best passages, best first."""
    best_score: float

    @property
    def first(self) -> bool:
        return bool(self.titles) and self.titles[0] == self.question.answer

    @property
    def in_three(self) -> bool:
        return self.question.answer in self.titles[:3]

    @property
    def answered(self) -> bool:
        return self.first and self.best_score >= RELEVANT_SCORE


@dataclass(frozen=True)
class Recall:
    database: str
    outcomes: Sequence[Outcome]

    def share(self, hit: str) -> float:
        hits = sum(bool(getattr(outcome, hit)) for outcome in self.outcomes)
        return hits / len(self.outcomes)


def questions() -> list[Question]:
    entries = json.loads(QUESTIONS.read_text("utf-8"))
    return [Question(entry["question"], entry["answer"]) for entry in entries]


async def ask(
    knowledge: KnowledgeBase, association_id: str, asked: Sequence[Question]
) -> list[Outcome]:
    outcomes = []
    for question in asked:
        passages = await knowledge.search(association_id, question.text, 3)
        best = passages[0].score if passages else 0.0
        outcomes.append(Outcome(question, [passage.title for passage in passages], best))
    return outcomes


async def memory_recall(asked: Sequence[Question]) -> Recall:
    """The in-memory adapter, filled through the admins' use case as the demo fills SQL."""
    knowledge = InMemoryKnowledgeBase()
    documents = KnowledgeDocuments(knowledge, DocumentFileReader(), FakeClock(), SequentialIds())
    for demo in demo_documents():
        (await documents.add(ASSOCIATION, DocumentSource(demo.title, demo.text))).unwrap()
    return Recall("memory", await ask(knowledge, ASSOCIATION, asked))


async def sql_recall(database: str, url: str, asked: Sequence[Question]) -> Recall:
    """A migrated database, seeded by the demo's own ``seed_demo_knowledge``."""
    await upgrade(url)
    container = build_container(Settings(database_url=url, workers=0, secret_key="b" * 32))
    try:
        association = (await container.create_association()(NewAssociation(SLUG, "Demo"))).unwrap()
        await seed_demo_knowledge(container, SLUG)
        outcomes = await ask(container.knowledge_base(), association.id, asked)
    finally:
        await close_resources(container)
    return Recall(database, outcomes)


def report(results: Sequence[Recall], show_misses: bool) -> list[str]:
    count = len(results[0].outcomes)
    lines = [
        "## Knowledge base retrieval (`python -m bench.knowledge_retrieval`)",
        "",
        f"{count} questions as patients write them (paraphrases, typos, no accents, abbreviations)",
        f"over the demo association's {len(demo_documents())} documents, full text only (no "
        "embedder). recall@k: the",
        "answering document holds one of the k best passages; answered@1: the best passage is",
        f"from it and scores at least RELEVANT_SCORE ({RELEVANT_SCORE}), so the assistant "
        "answers from it.",
        "",
        "| database | questions | recall@1 | recall@3 | answered@1 |",
        "|---|---|---|---|---|",
    ]
    for recall in results:
        lines.append(
            f"| {recall.database} | {count} | {recall.share('first'):.2f} | "
            f"{recall.share('in_three'):.2f} | {recall.share('answered'):.2f} |"
        )
    lines.append("")
    print("\n".join(lines))
    if show_misses:
        for recall in results:
            for outcome in recall.outcomes:
                if not outcome.first:
                    print(
                        f"{recall.database}: {outcome.question.text!r} wants "
                        f"{outcome.question.answer!r}, got {list(outcome.titles)} "
                        f"({outcome.best_score:.2f})"
                    )
    return lines


def main(argv: list[str] | None = None) -> list[str]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--misses", action="store_true", help="print every question missed @1")
    args = parser.parse_args(argv)
    asked = questions()
    results = [asyncio.run(memory_recall(asked))]
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite+aiosqlite:///{Path(folder) / 'knowledge.db'}"
        results.append(asyncio.run(sql_recall("SQLite", url, asked)))
    with postgres_database() as url:
        results.append(asyncio.run(sql_recall("PostgreSQL", url, asked)))
    return report(results, args.misses)


if __name__ == "__main__":
    main()
