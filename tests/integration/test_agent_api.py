"""The agent API over HTTP: authentication, tenancy on every route, the inbox operations."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx
import pytest
from asgi_lifespan import LifespanManager
from starlette.routing import Route
from tests.support.waha_payloads import WaMessage, encode, headers_for, message_event

from wa_crm.container import build_container
from wa_crm.domain.model.association import WhatsAppSettings
from wa_crm.domain.usecases.access.setup import NewAgent, NewAssociation
from wa_crm.entrypoints.http import create_app
from wa_crm.settings import Settings

SECRET = "api-test-secret"


@dataclass
class Tenant:
    slug: str
    admin_token: str
    agent_token: str
    agent_id: str


@dataclass
class Api:
    client: httpx.AsyncClient
    app: object
    alpha: Tenant
    beta: Tenant

    def bearer(self, token: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {token}"}

    async def patient_writes(self, text: str, chat: str = "5511988887777@c.us") -> None:
        now = datetime.now(UTC)  # the service runs on the real clock
        body = WaMessage(chat_id=chat, body=text)
        raw = encode(message_event(body, session="alpha-session", emitted_at=now))
        response = await self.client.post(
            "/api/webhooks/whatsapp", content=raw, headers=headers_for(raw, SECRET)
        )
        assert response.status_code == 200, response.text


@pytest.fixture
async def api(sqlite_url: str, tmp_path) -> AsyncIterator[Api]:  # type: ignore[no-untyped-def]
    settings = Settings(
        database_url=sqlite_url,
        workers=0,
        secret_key="api-secret-key-0123456789",
        media_dir=str(tmp_path / "media"),
    )
    container = build_container(settings)
    app = create_app(container)
    async with LifespanManager(app):
        tenants = {}
        for slug in ("alpha", "beta"):
            whatsapp = WhatsAppSettings("http://waha.invalid", "k", f"{slug}-session", SECRET)
            (
                await container.create_association()(NewAssociation(slug, slug, whatsapp=whatsapp))
            ).unwrap()
            await container.create_agent()(
                NewAgent(slug, f"admin@{slug}.org", "Admin", "admin", "admin-password")
            )
            agent = (
                await container.create_agent()(
                    NewAgent(slug, f"ana@{slug}.org", "Ana", "agent", "agent-password")
                )
            ).unwrap()
            admin_token = (await container.issue_api_token()(slug, f"admin@{slug}.org")).unwrap()
            agent_token = (await container.issue_api_token()(slug, f"ana@{slug}.org")).unwrap()
            tenants[slug] = Tenant(slug, admin_token, agent_token, agent.id)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            yield Api(client, app, tenants["alpha"], tenants["beta"])


def agent_routes() -> list[tuple[str, str]]:
    app = create_app(settings=Settings(database_url="sqlite+aiosqlite:////tmp/unused.db"))
    found = []
    for route in app.routes:
        if isinstance(route, Route) and route.path.startswith("/api/associations/"):
            for method in sorted((route.methods or set()) - {"HEAD"}):
                found.append((method, route.path))
    return found


def concrete(path: str, slug: str) -> str:
    return re.sub(r"{id}", "some-id", path.replace("{slug}", slug))


@pytest.mark.parametrize(("method", "path"), agent_routes())
async def test_every_agent_route_needs_credentials(api: Api, method: str, path: str) -> None:
    response = await api.client.request(method, concrete(path, "alpha"))
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthenticated"


@pytest.mark.parametrize(("method", "path"), agent_routes())
async def test_another_associations_agent_gets_404_on_every_route(
    api: Api, method: str, path: str
) -> None:
    response = await api.client.request(
        method, concrete(path, "alpha"), headers=api.bearer(api.beta.admin_token), json={}
    )
    assert response.status_code == 404


def test_the_openapi_document_covers_every_route() -> None:
    app = create_app(settings=Settings(database_url="sqlite+aiosqlite:////tmp/unused.db"))
    from wa_crm.entrypoints.http.openapi import build

    document = build(app.routes)
    for route in app.routes:
        if isinstance(route, Route):
            for method in (route.methods or set()) - {"HEAD"}:
                assert method.lower() in document["paths"][route.path], route.path


def admin_routes() -> list[tuple[str, str]]:
    app = create_app(settings=Settings(database_url="sqlite+aiosqlite:////tmp/unused.db"))
    return [
        (method, route.path)
        for route in app.routes
        if isinstance(route, Route) and getattr(route.endpoint, "requires_admin", False)
        for method in sorted((route.methods or set()) - {"HEAD"})
    ]


def test_the_admin_routes_of_design_section_7_are_admin_only() -> None:
    paths = {path.removeprefix("/api/associations/{slug}/") for _, path in admin_routes()}

    assert {
        "whatsapp",
        "whatsapp/test",
        "whatsapp/session/start",
        "whatsapp/qr",
        "whatsapp/status",
        "whatsapp/logout",
        "stats",
        "dead-letters",
        "dead-letters/{id}/retry",
        "bot",
        "patients/import",
    } <= paths


@pytest.mark.parametrize(("method", "path"), admin_routes())
async def test_plain_agents_get_403_on_every_admin_route(api: Api, method: str, path: str) -> None:
    response = await api.client.request(
        method, concrete(path, "alpha"), headers=api.bearer(api.alpha.agent_token), json={}
    )

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "forbidden"


async def test_admins_pass_the_admin_check(api: Api) -> None:
    admin = api.bearer(api.alpha.admin_token)
    assert (await api.client.get("/api/associations/alpha/dead-letters", headers=admin)).json() == {
        "items": []
    }


async def test_login_sets_a_cookie_and_cookie_writes_need_the_csrf_token(api: Api) -> None:
    await api.patient_writes("Oi")
    wrong = await api.client.post(
        "/login", json={"association": "alpha", "email": "ana@alpha.org", "password": "nope"}
    )
    assert wrong.status_code == 401 and "set-cookie" not in wrong.headers
    right = await api.client.post(
        "/login",
        json={"association": "alpha", "email": "ANA@alpha.org", "password": "agent-password"},
    )
    assert right.status_code == 200
    cookie = right.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie
    csrf = right.json()["csrf"]
    listing = await api.client.get("/api/associations/alpha/conversations")
    conversation = listing.json()["items"][0]["id"]
    claim = f"/api/associations/alpha/conversations/{conversation}/claim"
    assert (await api.client.post(claim)).status_code == 403
    claimed = await api.client.post(claim, headers={"X-CSRF-Token": csrf})
    assert claimed.status_code == 200 and claimed.json()["status"] == "human"
    assert (await api.client.get("/api/associations/beta/conversations")).status_code == 404
    await api.client.post("/logout")
    assert (await api.client.get("/api/associations/alpha/conversations")).status_code == 401


async def test_logins_are_rate_limited(api: Api) -> None:
    for _ in range(5):
        response = await api.client.post(
            "/login", json={"association": "alpha", "email": "ana@alpha.org", "password": "x"}
        )
        assert response.status_code == 401
    blocked = await api.client.post(
        "/login",
        json={"association": "alpha", "email": "ana@alpha.org", "password": "agent-password"},
    )
    assert blocked.status_code == 429


async def test_the_inbox_flow(api: Api) -> None:
    headers = api.bearer(api.alpha.agent_token)
    base = "/api/associations/alpha"
    for number in range(3):
        await api.patient_writes(f"Olá {number}", chat=f"551198888777{number}@c.us")
    page = (await api.client.get(f"{base}/conversations?limit=2", headers=headers)).json()
    assert len(page["items"]) == 2 and page["next_cursor"]
    assert page["counts"]["bot"] == 3
    rest = (
        await api.client.get(
            f"{base}/conversations?limit=2&cursor={page['next_cursor']}", headers=headers
        )
    ).json()
    assert len(rest["items"]) == 1 and rest["next_cursor"] is None
    conversation = page["items"][0]
    assert conversation["contact"]["phone"].startswith("+55")
    url = f"{base}/conversations/{conversation['id']}"

    sent = await api.client.post(f"{url}/messages", json={"text": "Oi, sou a Ana"}, headers=headers)
    assert sent.status_code == 201 and sent.json()["status"] == "queued"
    detail = (await api.client.get(url, headers=headers)).json()
    assert detail["status"] == "human" and detail["assignee_id"] == api.alpha.agent_id
    messages = (await api.client.get(f"{url}/messages", headers=headers)).json()["items"]
    assert [m["body"] for m in messages][:2] == ["Oi, sou a Ana", "Olá 2"]

    upload = await api.client.post(
        f"{url}/messages",
        headers=headers,
        files={"file": ("foto.jpg", b"\xff\xd8\xff jpeg", "image/jpeg")},
        data={"caption": "veja"},
    )
    assert upload.status_code == 201 and upload.json()["type"] == "image"
    media = await api.client.get(upload.json()["media"]["url"], headers=headers)
    assert media.status_code == 200 and media.content == b"\xff\xd8\xff jpeg"
    other = await api.client.get(
        upload.json()["media"]["url"].replace("alpha", "beta"),
        headers=api.bearer(api.beta.agent_token),
    )
    assert other.status_code == 404

    assert (await api.client.post(f"{url}/release", headers=headers)).json()["status"] == "bot"
    assert (await api.client.post(f"{url}/resolve", headers=headers)).json()["status"] == "resolved"
    again = await api.client.post(f"{url}/claim", headers=headers)
    assert again.status_code == 409 and again.json()["error"]["code"] == "invalid_transition"

    contact = (
        await api.client.get(f"{base}/contacts/{conversation['contact']['id']}", headers=headers)
    ).json()
    assert (
        contact["contact"]["id"] == conversation["contact"]["id"]
        and len(contact["conversations"]) == 1
    )


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("limit=0", "invalid_input"),
        ("limit=abc", "invalid_input"),
        ("status=open", "invalid_input"),
        ("cursor=%%%", "invalid_input"),
        ("channel=sms", "invalid_input"),
    ],
)
async def test_bad_list_parameters_are_422(api: Api, query: str, code: str) -> None:
    response = await api.client.get(
        f"/api/associations/alpha/conversations?{query}", headers=api.bearer(api.alpha.agent_token)
    )
    assert response.status_code == 422 and response.json()["error"]["code"] == code


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"[]",
        b'{"text": 5}',
        b'{"text": ""}',
        ("x" * 5000).join(['{"text": "', '"}']).encode(),
    ],
)
async def test_bad_messages_are_4xx_never_500(api: Api, body: bytes) -> None:
    await api.patient_writes("Oi")
    headers = api.bearer(api.alpha.agent_token)
    listing = (
        await api.client.get("/api/associations/alpha/conversations", headers=headers)
    ).json()
    url = f"/api/associations/alpha/conversations/{listing['items'][0]['id']}/messages"
    response = await api.client.post(
        url, content=body, headers={**headers, "Content-Type": "application/json"}
    )
    assert 400 <= response.status_code < 500


async def test_admins_import_patients_and_contacts_become_members(api: Api) -> None:
    await api.patient_writes("Oi", chat="5511988887777@c.us")
    csv = (
        "id,full_name,phone,status,city\n"
        "p1,Lia Souza,+55 11 98888-7777,active,Recife\n"
        "p2,,+55 11 97777-6666,active,\n"
    )
    url = "/api/associations/alpha/patients/import"
    refused = await api.client.post(
        url, content=csv, headers={**api.bearer(api.alpha.agent_token), "Content-Type": "text/csv"}
    )
    assert refused.status_code == 403
    admin = api.bearer(api.alpha.admin_token)
    queued = await api.client.post(url, content=csv, headers={**admin, "Content-Type": "text/csv"})
    assert queued.status_code == 202, queued.text
    assert queued.json()["status"] == "queued"
    await api.app.state.container.job_runner().run_due()  # the worker's turn
    progress = (await api.client.get(queued.headers["Location"], headers=admin)).json()
    assert {key: progress[key] for key in ("status", "rows_done", "imported", "bad_rows")} == {
        "status": "done",
        "rows_done": 2,
        "imported": 1,
        "bad_rows": 1,
    }
    assert progress["errors"] == [{"line": 3, "reason": "full_name is empty"}]
    headers = api.bearer(api.alpha.agent_token)
    listing = (
        await api.client.get("/api/associations/alpha/conversations", headers=headers)
    ).json()
    assert listing["items"][0]["contact"]["kind"] == "member"
    wrong = await api.client.post(
        url, content=b"\xff\xfe", headers={**api.bearer(api.alpha.admin_token)}
    )
    assert wrong.status_code == 422
