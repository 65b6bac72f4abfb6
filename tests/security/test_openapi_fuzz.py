"""Schemathesis against the running service's own ``/openapi.json`` (issue 14, low items).

A client generator or a fuzzer trusts the document: every route must declare its request body
and its answers, and the service must keep to them. Here Schemathesis reads the document over
real HTTP, generates requests for every operation (valid ones, and invalid ones), and checks
each answer: no 5xx, a documented status and content type, and a body that matches its
declared schema. The agent API runs as an admin of one association, with
its paths pointing at real records (a conversation with a patient's messages, a stored file, a
canned reply, ...), so handlers get past their 404s; the public routes run without credentials.
The event stream is left out: it never ends, so no answer could be checked.

Examples per operation are few and derandomized, so the run is repeatable and stays well under a
minute on two cores; the aim is every route's contract, not deep search.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from tests.e2e.harness import SESSION, Service, running_service

from wa_crm.domain.usecases.access.setup import NewAgent

SLUG = "e2e"
PATIENT = "5511988887777@c.us"
PNG_BASE64 = (  # a 1x1 picture
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg"
    "=="
)
PATIENTS_CSV = "id,full_name,phone,status\np-1,Maria Silva,+55 11 99999-8888,active\n"
EXAMPLES = {GenerationMode.POSITIVE: 6, GenerationMode.NEGATIVE: 3}
# The service runs in this process (its event loop in the test's thread, Schemathesis in another)
# and draws from `random` (retry jitter), which Hypothesis takes for a strategy doing so.
RANDOM_IN_ANOTHER_THREAD = pytest.mark.filterwarnings(
    "ignore:Do not use the `random` module inside strategies"
)
CHECKS = [
    schemathesis.checks.not_a_server_error,
    schemathesis.checks.status_code_conformance,
    schemathesis.checks.content_type_conformance,
    schemathesis.checks.response_schema_conformance,
]


async def _admin_token(service: Service) -> str:
    admin = NewAgent(SLUG, "admin@e2e.org", "Admin", "admin", "admin-password")
    (await service.container.create_agent()(admin)).unwrap()
    token: str = (await service.container.issue_api_token()(SLUG, "admin@e2e.org")).unwrap()
    return token


async def _stored_picture(service: Service, conversation_id: str) -> str:
    """The id of the patient's picture message once the media job has stored the file."""
    for _ in range(200):
        async with service.container.uow_factory()() as uow:
            messages = await uow.messages.list_for_conversation(
                service.association.id, conversation_id, before=None, limit=10
            )
        stored = [m.id for m in messages if m.media is not None and m.media.stored]
        if stored:
            return stored[0]
        await asyncio.sleep(0.05)
    raise AssertionError("the picture never reached the media store")


async def _records(service: Service, bearer: dict[str, str]) -> dict[str, str]:
    """Real ids for the ``{id}`` of each kind of path (the path before ``/{id}``): a
    conversation whose patient sent text and a picture (stored, so ``media/{id}`` serves it), a
    canned reply, an import, an agent who is not the admin the fuzzer runs as (so disabling it
    leaves the run logged in), a knowledge document and an unanswered question."""
    await service.patient_writes(PATIENT, "Oi")
    await service.wait_for_texts(bool, PATIENT)  # the assistant's greeting
    picture = {"mimetype": "image/png", "filename": "foto.png", "data": PNG_BASE64}
    inbound = {"from": PATIENT, "text": "", "media": picture}
    sent = await service.http.post(f"{service.simulator_url}/_sim/{SESSION}/inbound", json=inbound)
    sent.raise_for_status()
    conversation = await service.conversation_of(PATIENT)
    api = f"{service.service_url}/api/associations/{SLUG}"
    reply = await service.http.post(
        f"{api}/canned-replies", json={"shortcut": "ola", "text": "Olá!"}, headers=bearer
    )
    queued = await service.http.post(
        f"{api}/patients/import",
        content=PATIENTS_CSV,
        headers={**bearer, "Content-Type": "text/csv"},
    )
    document = await service.http.post(
        f"{api}/knowledge/documents",
        json={"title": "Entregas", "text": "Entregamos às terças e quintas."},
        headers=bearer,
    )
    question = await service.container.knowledge_base().record_unanswered(
        service.association.id, "Vocês atendem em Campinas?", None, datetime.now(UTC)
    )
    picture_id = await _stored_picture(service, conversation.id)
    return {
        "conversations": conversation.id,
        "contacts": conversation.contact_id,
        "media": picture_id,
        "dead-letters": picture_id,
        "canned-replies": reply.json()["id"],
        "imports": queued.json()["id"],
        "agents": service.agent_id,
        "knowledge/documents": document.json()["id"],
        "knowledge/unanswered": question.id,
    }


def _path_parameters(path: str, records: dict[str, str]) -> dict[str, str]:
    pinned = {"slug": SLUG} if "{slug}" in path else {}
    if "{id}" in path:
        kind = path.removeprefix("/api/associations/{slug}/").split("/{id}")[0]
        pinned["id"] = records[kind]  # a path this test does not know yet: add its record
    return pinned


def _describe(failure: BaseException) -> str:
    """The failure, with what each failure of a group says (Hypothesis groups flaky ones)."""
    if isinstance(failure, BaseExceptionGroup):
        return f"{failure}: " + "; ".join(_describe(inner) for inner in failure.exceptions)
    return str(failure)


def _fuzz(
    base_url: str, headers: dict[str, str], private: bool, records: dict[str, str]
) -> list[str]:
    """Run every operation of one side (the agent API, or the public routes); return what failed,
    one line per operation and generation mode."""
    schema = schemathesis.openapi.from_url(f"{base_url}/openapi.json")
    failures: list[str] = []
    with requests.Session() as http:
        for found in schema.get_all_operations():
            operation = found.ok()
            if operation.path.startswith("/api/associations/") != private:
                continue
            if operation.path.endswith("/events"):
                continue  # an endless stream: a request never ends (tests/integration/test_sse*)
            pinned = _path_parameters(operation.path, records)
            for mode, examples in EXAMPLES.items():
                strategy = operation.as_strategy(mode, path_parameters=pinned)

                @settings(
                    max_examples=examples,
                    derandomize=True,
                    deadline=None,
                    database=None,
                    phases=[Phase.explicit, Phase.generate],
                    suppress_health_check=list(HealthCheck),
                )
                @given(case=strategy)
                def run(case: Any) -> None:
                    case.call_and_validate(
                        base_url=base_url,
                        session=http,
                        headers=headers,
                        checks=CHECKS,
                        allow_redirects=False,
                        timeout=10,
                    )

                try:
                    run()
                except Unsatisfiable:
                    pass  # nothing to get wrong: no parameters, no body
                except (Exception, BaseExceptionGroup) as failure:
                    failures.append(f"{operation.label} [{mode.value}]: {_describe(failure)}")
    return failures


@pytest.mark.slow
@RANDOM_IN_ANOTHER_THREAD
async def test_the_agent_api_keeps_to_its_openapi_document(sqlite_url: str, tmp_path: Path) -> None:
    async with running_service(sqlite_url, tmp_path / "media") as service:
        bearer = {"Authorization": f"Bearer {await _admin_token(service)}"}
        records = await _records(service, bearer)
        failures = await asyncio.to_thread(_fuzz, service.service_url, bearer, True, records)
    assert not failures, "\n\n".join(failures)


@RANDOM_IN_ANOTHER_THREAD
async def test_the_public_routes_keep_to_the_openapi_document(
    sqlite_url: str, tmp_path: Path
) -> None:
    async with running_service(sqlite_url, tmp_path / "media") as service:
        failures = await asyncio.to_thread(_fuzz, service.service_url, {}, False, {})
    assert not failures, "\n\n".join(failures)
