"""The demo association's documents (``demo_data/knowledge/*.md``) and their seeding, so that
``make run`` shows the assistant answering from them (architecture.md section 4, item 3).

A document's title is its first Markdown heading, its text the rest. Seeding goes through the
admins' use case (``KnowledgeDocuments``), so the demo's documents are split and embedded as an
admin's are; a title the association already has is left alone, so a second ``make run`` adds
nothing. The retrieval benchmark and its quality test read the same documents.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources

from returns.result import Failure

from wa_crm.container import Container
from wa_crm.domain.usecases.knowledge.documents import DocumentSource


@dataclass(frozen=True)
class DemoDocument:
    title: str
    text: str


def demo_documents() -> list[DemoDocument]:
    """Every demo document, in file-name order."""
    folder = resources.files("wa_crm.entrypoints").joinpath("demo_data", "knowledge")
    files = sorted(
        (entry for entry in folder.iterdir() if entry.name.endswith(".md")),
        key=lambda entry: entry.name,
    )
    return [_document(entry.read_text("utf-8")) for entry in files]


def _document(markdown: str) -> DemoDocument:
    heading, _, rest = markdown.strip().partition("\n")
    if not heading.startswith("# "):
        raise ValueError(f"a demo document starts with its title heading, not {heading!r}")
    return DemoDocument(heading.removeprefix("# ").strip(), rest.strip())


async def seed_demo_knowledge(container: Container, slug: str) -> int:
    """Add the demo documents the association ``slug`` does not have yet (by title); how many
    were added."""
    async with container.uow_factory()() as uow:
        association = await uow.associations.get_by_slug(slug)
    if association is None:
        raise RuntimeError(f"no association {slug!r} to seed documents into")
    documents = container.knowledge_documents()
    present = {document.title for document in await documents.listed(association.id)}
    added = 0
    for demo in demo_documents():
        if demo.title in present:
            continue
        result = await documents.add(association.id, DocumentSource(demo.title, demo.text))
        if isinstance(result, Failure):
            raise RuntimeError(result.failure().message)
        added += 1
    return added
