"""The knowledge base over HTTP, on SQLite and PostgreSQL: admins add documents as JSON or as a
DOCX file, agents search them, admins replace and remove them, try a question on the
assistant, and answer the questions the documents could not; roles, tenant isolation, 413 for
a file over the limit, 422 for bad input and unreadable files, and the audit rows written."""

from __future__ import annotations

import io
from dataclasses import dataclass

import docx
import httpx
import pytest
from dependency_injector import providers
from tests.support.webhook_driver import Waha, create_association

from wa_crm.adapters.ai import RulesProvider, ScriptedProvider
from wa_crm.container import Container, build_container
from wa_crm.domain.model.audit import AuditAction
from wa_crm.domain.usecases.access.setup import NewAgent
from wa_crm.ports.ai import AIProviderError, AIProviderErrorKind, BotAction, BotReply
from wa_crm.ports.queries import AuditQuery
from wa_crm.settings import Settings
from wa_crm.testing.clock import FakeClock

FILE_LIMIT = 64 * 1024
DELIVERY = (
    "A associação entrega os medicamentos às terças e quintas, pelos Correios, com código de "
    "rastreio enviado por WhatsApp."
)
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@pytest.fixture
def model() -> ScriptedProvider:
    return ScriptedProvider()


@pytest.fixture
def container(backend_url: str, clock: FakeClock, model: ScriptedProvider) -> Container:
    settings = Settings(
        database_url=backend_url,
        workers=0,
        secret_key="x" * 32,
        knowledge_file_max_bytes=FILE_LIMIT,
    )
    container = build_container(settings)
    container.clock.override(providers.Object(clock))
    container.ai_providers.override(providers.Object({"rules": RulesProvider(), "scripted": model}))
    return container


@dataclass
class Desk:
    client: httpx.AsyncClient
    container: Container
    waha: Waha
    admin: dict[str, str]
    agent: dict[str, str]
    outsider: dict[str, str]
    """An admin of another association."""

    def url(self, path: str, slug: str = "amigos") -> str:
        return f"/api/associations/{slug}/knowledge/{path}"

    async def add(self, title: str = "Entregas", text: str = DELIVERY) -> dict[str, object]:
        response = await self.client.post(
            self.url("documents"), json={"title": title, "text": text}, headers=self.admin
        )
        assert response.status_code == 201, response.text
        return dict(response.json())

    async def actions(self) -> list[AuditAction]:
        audit = self.container.queries().audit
        entries = await audit.entries(self.waha.association.id, AuditQuery(limit=100))
        return [entry.action for _, entry in reversed(entries)]


async def _token(container: Container, slug: str, email: str, role: str) -> dict[str, str]:
    await container.create_agent()(NewAgent(slug, email, email.split("@")[0], role, "pw-123456"))
    token = (await container.issue_api_token()(slug, email)).unwrap()
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
async def desk(client: httpx.AsyncClient, container: Container, waha: Waha) -> Desk:
    await create_association(container, "outra", session="outra")
    return Desk(
        client,
        container,
        waha,
        await _token(container, "amigos", "adm@a.org", "admin"),
        await _token(container, "amigos", "ana@a.org", "agent"),
        await _token(container, "outra", "adm@b.org", "admin"),
    )


def docx_file(*paragraphs: str) -> bytes:
    document = docx.Document()
    for paragraph in paragraphs:
        document.add_paragraph(paragraph)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


async def test_an_admins_text_is_listed_and_found_by_agents(desk: Desk) -> None:
    added = await desk.add(" Entregas ")

    assert (added["title"], added["kind"], added["chunks"]) == ("Entregas", "document", 1)
    listed = await desk.client.get(desk.url("documents"), headers=desk.admin)
    assert [item["id"] for item in listed.json()["items"]] == [added["id"]]
    found = await desk.client.get(
        desk.url("search"), params={"q": "Quando vocês entregam?", "limit": "3"}, headers=desk.agent
    )
    assert found.status_code == 200, found.text
    best = found.json()["items"][0]
    assert (best["document_id"], best["title"], best["text"]) == (added["id"], "Entregas", DELIVERY)
    assert 0 < best["score"] <= 1
    assert await desk.actions() == [AuditAction.KNOWLEDGE_DOCUMENT_ADDED]


async def test_a_docx_upload_is_read_and_titled_after_its_file(desk: Desk) -> None:
    content = docx_file("Entregas", DELIVERY)

    response = await desk.client.post(
        desk.url("documents"),
        files={"file": ("Regras de entrega.docx", content, DOCX)},
        headers=desk.admin,
    )

    assert response.status_code == 201, response.text
    assert response.json()["title"] == "Regras de entrega"
    found = await desk.client.get(desk.url("search"), params={"q": "rastreio"}, headers=desk.agent)
    assert found.json()["items"][0]["document_id"] == response.json()["id"]
    titled = await desk.client.post(
        desk.url("documents"),
        files={"file": ("x.docx", content, DOCX)},
        data={"title": "Entregas"},
        headers=desk.admin,
    )
    assert titled.json()["title"] == "Entregas"


async def test_a_document_is_replaced_then_removed(desk: Desk) -> None:
    added = await desk.add()
    url = desk.url(f"documents/{added['id']}")

    replaced = await desk.client.put(
        url,
        json={"title": "Mensalidade", "text": "A mensalidade vence no dia 10."},
        headers=desk.admin,
    )
    removed = await desk.client.delete(url, headers=desk.admin)
    again = await desk.client.delete(url, headers=desk.admin)

    assert replaced.status_code == 200, replaced.text
    assert (replaced.json()["id"], replaced.json()["title"]) == (added["id"], "Mensalidade")
    assert removed.json() == {"deleted": added["id"]}
    assert again.status_code == 404
    assert again.json()["error"]["code"] == "unknown_document"
    listed = await desk.client.get(desk.url("documents"), headers=desk.admin)
    assert listed.json()["items"] == []
    assert await desk.actions() == [
        AuditAction.KNOWLEDGE_DOCUMENT_ADDED,
        AuditAction.KNOWLEDGE_DOCUMENT_REPLACED,
        AuditAction.KNOWLEDGE_DOCUMENT_REMOVED,
    ]


async def test_agents_only_search_and_other_associations_see_nothing(desk: Desk) -> None:
    added = await desk.add()
    ours = f"documents/{added['id']}"
    body = {"title": "T", "text": "x"}

    for method, path, json in [
        ("GET", "documents", None),
        ("POST", "documents", body),
        ("PUT", ours, body),
        ("DELETE", ours, None),
        ("GET", "unanswered", None),
        ("POST", "try", {"question": "Entregam?"}),
    ]:
        by_agent = await desk.client.request(method, desk.url(path), json=json, headers=desk.agent)
        by_outsider = await desk.client.request(
            method, desk.url(path), json=json, headers=desk.outsider
        )
        assert by_agent.status_code == 403, (method, path)
        assert by_outsider.status_code == 404, (method, path)
    their_way = await desk.client.put(desk.url(ours, "outra"), json=body, headers=desk.outsider)
    assert their_way.json()["error"]["code"] == "unknown_document"
    searched = await desk.client.get(
        desk.url("search", "outra"), params={"q": "entregas"}, headers=desk.outsider
    )
    assert searched.json() == {"items": []}
    assert await desk.actions() == [AuditAction.KNOWLEDGE_DOCUMENT_ADDED]


@pytest.mark.parametrize(
    ("json", "says"),
    [
        ({"title": "", "text": DELIVERY}, "`title`"),
        ({"title": "x" * 201, "text": DELIVERY}, "`title`"),
        ({"title": "Entregas", "text": " "}, "`text`"),
        ({"title": "Entregas"}, "`text`"),
        ({"title": "Entregas", "text": 5}, "`text`"),
        ({"title": "Entregas", "text": DELIVERY, "kind": "faq"}, "unknown fields"),
    ],
)
async def test_bad_documents_are_422(desk: Desk, json: object, says: str) -> None:
    response = await desk.client.post(desk.url("documents"), json=json, headers=desk.admin)

    assert response.status_code == 422, response.text
    assert says in response.json()["error"]["message"]


async def test_a_text_over_200000_characters_is_422(desk: Desk) -> None:
    response = await desk.client.post(
        desk.url("documents"), json={"title": "T", "text": "a" * 200_001}, headers=desk.admin
    )

    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid_knowledge"


@pytest.mark.parametrize(
    "params", [{"q": ""}, {"q": "x" * 501}, {"q": "a", "limit": "0"}, {"q": "a", "limit": "21"}]
)
async def test_bad_searches_are_422(desk: Desk, params: dict[str, str]) -> None:
    response = await desk.client.get(desk.url("search"), params=params, headers=desk.agent)

    assert response.status_code == 422, response.text


async def test_an_unreadable_file_is_422_in_portuguese(desk: Desk) -> None:
    response = await desk.client.post(
        desk.url("documents"),
        files={"file": ("planilha.xlsx", b"PK\x03\x04 not a document", "application/zip")},
        headers=desk.admin,
    )

    assert response.status_code == 422, response.text
    assert response.json()["error"]["code"] == "unreadable_file"
    assert "Formato de arquivo não aceito" in response.json()["error"]["message"]
    assert await desk.actions() == []


async def test_a_file_over_the_limit_is_413(desk: Desk) -> None:
    response = await desk.client.post(
        desk.url("documents"),
        files={"file": ("grande.txt", b"a " * FILE_LIMIT, "text/plain")},
        headers=desk.admin,
    )

    assert response.status_code == 413
    assert response.json()["error"]["code"] == "body_too_large"


async def test_an_answered_question_becomes_an_faq_the_search_finds(desk: Desk) -> None:
    knowledge, now = desk.container.knowledge_base(), desk.container.clock().now()
    asked = await knowledge.record_unanswered(
        desk.waha.association.id, "Vocês atendem em Campinas?", None, now
    )
    await knowledge.record_unanswered(
        desk.waha.association.id, "vocês atendem em campinas", None, now
    )

    listed = await desk.client.get(desk.url("unanswered"), headers=desk.admin)
    empty = await desk.client.post(
        desk.url(f"unanswered/{asked.id}/answer"), json={"answer": ""}, headers=desk.admin
    )
    answered = await desk.client.post(
        desk.url(f"unanswered/{asked.id}/answer"),
        json={"answer": "Sim, entregamos em Campinas."},
        headers=desk.admin,
    )
    twice = await desk.client.post(
        desk.url(f"unanswered/{asked.id}/answer"), json={"answer": "Sim."}, headers=desk.admin
    )

    [item] = listed.json()["items"]
    assert (item["id"], item["text"], item["times_asked"]) == (
        asked.id,
        "Vocês atendem em Campinas?",
        2,
    )
    assert empty.status_code == 422
    assert answered.status_code == 201, answered.text
    assert (answered.json()["kind"], answered.json()["title"]) == (
        "faq",
        "Vocês atendem em Campinas?",
    )
    assert twice.status_code == 404
    assert (await desk.client.get(desk.url("unanswered"), headers=desk.admin)).json() == {
        "items": []
    }
    found = await desk.client.get(
        desk.url("search"), params={"q": "atendem em Campinas?"}, headers=desk.agent
    )
    assert found.json()["items"][0]["document_id"] == answered.json()["id"]
    assert await desk.actions() == [
        AuditAction.UNANSWERED_LISTED,
        AuditAction.UNANSWERED_ANSWERED,
        AuditAction.UNANSWERED_LISTED,
    ]


async def test_a_tried_question_shows_the_answer_its_source_and_the_passages(
    desk: Desk, model: ScriptedProvider
) -> None:
    await desk.waha.set_bot(provider="scripted")
    await desk.add()
    model.push(BotReply("Entregamos às terças e quintas.", sources=("Entregas",)))
    model.push(AIProviderError(AIProviderErrorKind.SERVER_ERROR, "down"))

    tried = await desk.client.post(
        desk.url("try"), json={"question": "Quando vocês entregam?"}, headers=desk.admin
    )
    failed = await desk.client.post(
        desk.url("try"), json={"question": "Quando vocês entregam?"}, headers=desk.admin
    )
    too_long = await desk.client.post(
        desk.url("try"), json={"question": "x" * 501}, headers=desk.admin
    )

    assert tried.status_code == 200, tried.text
    answer = tried.json()
    assert (answer["answer"], answer["action"], answer["sources"]) == (
        "Entregamos às terças e quintas.",
        BotAction.NONE.value,
        ["Entregas"],
    )
    assert answer["passages"][0]["title"] == "Entregas"
    assert model.requests[0].passages[0].text == DELIVERY
    assert failed.status_code == 503
    assert failed.json()["error"]["code"] == "ai_unavailable"
    assert too_long.status_code == 422
    assert await desk.actions() == [
        AuditAction.KNOWLEDGE_DOCUMENT_ADDED,
        AuditAction.QUESTION_TRIED,
    ]
