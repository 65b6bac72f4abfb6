"""The admin API against the WAHA simulator over real HTTP: settings, connection test, the QR
flow to WORKING, the webhook WAHA is given, test message, logout, bot settings, statistics."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import create_async_engine

from wa_crm.adapters.sql.tables import associations
from wa_crm.container import Container, build_container
from wa_crm.domain.usecases.access.setup import NewAgent, NewAssociation
from wa_crm.entrypoints.http import create_app
from wa_crm.settings import Settings
from wa_crm.testing import SimulatorConfig, free_port, running_simulator, serve_app

WAHA_KEY = "admin-test-waha-key"
PATIENT = "5511988887777@c.us"
WEBHOOK_PATH = "/api/webhooks/whatsapp"


@dataclass
class World:
    container: Container
    service_url: str
    simulator_url: str
    http: httpx.AsyncClient
    admin: dict[str, str]
    agent: dict[str, str]

    def api(self, path: str, slug: str = "clinic") -> str:
        return f"{self.service_url}/api/associations/{slug}/{path}"

    async def sim(self, method: str, path: str, **kwargs: Any) -> Any:
        response = await self.http.request(method, f"{self.simulator_url}{path}", **kwargs)
        response.raise_for_status()
        return response.json()

    async def waha_session(self, name: str) -> dict[str, Any]:
        response = await self.http.get(
            f"{self.simulator_url}/api/sessions/{name}", headers={"X-Api-Key": WAHA_KEY}
        )
        response.raise_for_status()
        return dict(response.json())

    async def configure(self, **fields: Any) -> httpx.Response:
        return await self.http.put(self.api("whatsapp"), json=fields, headers=self.admin)

    async def check(self, **fields: Any) -> dict[str, Any]:
        response = await self.http.post(self.api("whatsapp/test"), json=fields, headers=self.admin)
        assert response.status_code == 200, response.text
        return dict(response.json())


@pytest.fixture
async def world(backend_url: str, tmp_path: Any) -> AsyncIterator[World]:
    port = free_port()
    service_url = f"http://127.0.0.1:{port}"
    settings = Settings(
        database_url=backend_url,
        workers=1,
        job_poll_seconds=0.02,
        secret_key="admin-test-secret-key-0123",
        public_url=service_url,
        media_dir=str(tmp_path / "media"),
        session_down_alert_seconds=0.5,
    )
    container = build_container(settings)
    simulator = SimulatorConfig(
        api_key=WAHA_KEY, default_session=False, hook_retries_delay_seconds=0.05
    )
    async with (
        serve_app(create_app(container), port=port),
        running_simulator(simulator) as simulator_url,
        httpx.AsyncClient(timeout=10) as http,
    ):
        (await container.create_association()(NewAssociation("clinic", "Clínica"))).unwrap()
        (await container.create_association()(NewAssociation("other", "Outra"))).unwrap()
        for email, role in (("admin@clinic.org", "admin"), ("ana@clinic.org", "agent")):
            await container.create_agent()(NewAgent("clinic", email, "X", role, "password-123"))
        await container.create_agent()(
            NewAgent("other", "admin@other.org", "Y", "admin", "password-123")
        )
        tokens = [
            (await container.issue_api_token()("clinic", email)).unwrap()
            for email in ("admin@clinic.org", "ana@clinic.org")
        ]
        yield World(
            container,
            service_url,
            simulator_url,
            http,
            {"Authorization": f"Bearer {tokens[0]}"},
            {"Authorization": f"Bearer {tokens[1]}"},
        )


async def test_from_empty_settings_to_a_linked_number(world: World) -> None:
    empty = (await world.http.get(world.api("whatsapp"), headers=world.admin)).json()
    assert empty["base_url"] == "" and not empty["api_key_set"]
    assert empty["webhook_url"] == world.service_url + WEBHOOK_PATH

    saved = await world.configure(base_url=world.simulator_url + "/", api_key=WAHA_KEY)
    assert saved.status_code == 200, saved.text
    assert saved.json()["base_url"] == world.simulator_url
    assert saved.json()["api_key_set"] is True
    assert WAHA_KEY not in saved.text
    check = await world.check()
    assert (check["ok"], check["code"]) == (True, "session_not_found")
    assert check["version"]

    started = await world.http.post(world.api("whatsapp/session/start"), headers=world.admin)
    assert started.status_code == 200, started.text
    assert started.json()["webhook_url"] == world.service_url + WEBHOOK_PATH
    qr = (await world.http.get(world.api("whatsapp/qr"), headers=world.admin)).json()
    assert qr["status"] == "SCAN_QR_CODE"
    assert qr["qr"] and qr["image"].startswith("data:image/png;base64,")
    png = await world.http.get(world.api("whatsapp/qr?format=png"), headers=world.admin)
    assert png.headers["content-type"] == "image/png"
    assert png.content.startswith(b"\x89PNG") and png.content == base64.b64decode(
        qr["image"].removeprefix("data:image/png;base64,")
    )

    await world.sim("POST", "/_sim/default/scan", json={"phone": "5511955554444"})

    linked = (await world.http.get(world.api("whatsapp/qr"), headers=world.admin)).json()
    no_png = await world.http.get(world.api("whatsapp/qr?format=png"), headers=world.admin)
    assert no_png.status_code == 409 and no_png.json()["error"]["code"] == "no_qr"
    assert (linked["status"], linked["qr"], linked["image"]) == ("WORKING", None, None)
    assert linked["phone"] == "5511955554444@c.us"
    status = (await world.http.get(world.api("whatsapp/status"), headers=world.admin)).json()
    assert status["status"] == "WORKING" and status["circuit"] == "closed"
    assert [change["status"] for change in status["history"]][:2] == ["WORKING", "SCAN_QR_CODE"]
    assert (await world.check())["code"] == "working"
    settings = (await world.http.get(world.api("whatsapp"), headers=world.admin)).json()
    assert settings["phone"] == "5511955554444@c.us"
    assert settings["webhook_secret_set"] is True


async def test_the_session_gets_our_webhook_signed_with_the_stored_key(world: World) -> None:
    await world.configure(base_url=world.simulator_url, api_key=WAHA_KEY, webhook_secret="s3cr3t")
    await world.http.post(world.api("whatsapp/session/start"), headers=world.admin)
    await world.sim("POST", "/_sim/default/scan", json={})

    hooks = (await world.waha_session("default"))["config"]["webhooks"]
    assert [hook["url"] for hook in hooks] == [world.service_url + WEBHOOK_PATH]
    assert hooks[0]["hmac"] == {"key": "s3cr3t"}
    assert "message.any" in hooks[0]["events"] and "session.status" in hooks[0]["events"]

    await world.sim("POST", "/_sim/default/inbound", json={"from": PATIENT, "text": "Oi"})
    await world.sim("POST", "/_sim/wait-idle", json={"timeout": 5})
    deliveries = await world.sim("GET", "/_sim/webhooks")
    assert deliveries and all(d["status_code"] == 200 for d in deliveries), deliveries
    listed = await world.http.get(world.api("conversations"), headers=world.admin)
    assert len(listed.json()["items"]) == 1


async def test_a_generated_webhook_secret_is_the_one_waha_signs_with(world: World) -> None:
    await world.configure(base_url=world.simulator_url, api_key=WAHA_KEY)
    await world.http.post(world.api("whatsapp/session/start"), headers=world.admin)

    hooks = (await world.waha_session("default"))["config"]["webhooks"]
    async with world.container.uow_factory()() as uow:
        stored = await uow.associations.get_by_slug("clinic")
    assert stored is not None and len(stored.whatsapp.webhook_secret) >= 32
    assert hooks[0]["hmac"] == {"key": stored.whatsapp.webhook_secret}


async def test_secrets_are_encrypted_at_rest_and_never_returned(
    world: World, backend_url: str
) -> None:
    await world.configure(base_url=world.simulator_url, api_key=WAHA_KEY, webhook_secret="s3cr3t")

    shown = await world.http.get(world.api("whatsapp"), headers=world.admin)
    assert WAHA_KEY not in shown.text and "s3cr3t" not in shown.text
    engine = create_async_engine(backend_url)
    try:
        async with engine.connect() as connection:
            row = (
                await connection.execute(
                    select(associations.c.waha_api_key, associations.c.webhook_secret).where(
                        associations.c.slug == "clinic"
                    )
                )
            ).one()
    finally:
        await engine.dispose()
    assert WAHA_KEY not in row.waha_api_key and "s3cr3t" not in row.webhook_secret


@pytest.mark.parametrize(
    ("fields", "code", "words"),
    [
        ({"base_url": "http://127.0.0.1:9"}, "unreachable", "Nothing answers"),
        ({"api_key": "wrong-key"}, "unauthorized", "refused the API key"),
        ({"session": "nobody"}, "session_not_found", "does not exist yet"),
    ],
    ids=["wrong address", "wrong key", "unknown session"],
)
async def test_each_connection_failure_has_its_own_message(
    world: World, fields: dict[str, str], code: str, words: str
) -> None:
    await world.configure(base_url=world.simulator_url, api_key=WAHA_KEY)

    check = await world.check(**fields)

    assert check["code"] == code
    assert words in check["message"]
    assert check["ok"] is (code == "session_not_found")


async def test_an_address_that_is_not_waha(world: World) -> None:
    check = await world.check(base_url=world.service_url, api_key=WAHA_KEY)

    assert (check["ok"], check["code"]) == (False, "not_waha")


async def test_a_stopped_session(world: World) -> None:
    await world.configure(base_url=world.simulator_url, api_key=WAHA_KEY)
    await world.http.post(world.api("whatsapp/session/start"), headers=world.admin)
    await world.sim("POST", "/_sim/default/scan", json={})
    await world.sim("POST", "/_sim/wait-idle", json={"timeout": 5})  # WORKING reached us
    await world.http.post(
        f"{world.simulator_url}/api/sessions/default/stop", headers={"X-Api-Key": WAHA_KEY}
    )
    await world.sim("POST", "/_sim/wait-idle", json={"timeout": 5})

    check = await world.check()
    status = (await world.http.get(world.api("whatsapp/status"), headers=world.admin)).json()

    assert (check["ok"], check["code"], check["status"]) == (True, "session_not_working", "STOPPED")
    assert "STOPPED" in check["message"]
    assert status["status"] == "STOPPED"
    # a stop may be a restart: the alert comes once it has lasted WA_CRM_SESSION_DOWN_ALERT_SECONDS
    for _ in range(100):
        alerts = (await world.http.get(world.api("alerts"), headers=world.admin)).json()["items"]
        if alerts:
            break
        await asyncio.sleep(0.05)
    assert alerts[0]["kind"] == "session_down" and "STOPPED" in alerts[0]["message"]


async def test_test_message_and_logout(world: World) -> None:
    await world.configure(base_url=world.simulator_url, api_key=WAHA_KEY)
    early = await world.http.post(
        world.api("whatsapp/test-message"), json={"phone": "+55 11 98888-7777"}, headers=world.admin
    )
    assert early.status_code == 502  # no session on WAHA yet
    await world.http.post(world.api("whatsapp/session/start"), headers=world.admin)
    not_linked = await world.http.post(
        world.api("whatsapp/test-message"), json={"phone": "+55 11 98888-7777"}, headers=world.admin
    )
    assert not_linked.status_code == 409
    assert not_linked.json()["error"]["code"] == "session_not_working"
    await world.sim("POST", "/_sim/default/scan", json={})

    sent = await world.http.post(
        world.api("whatsapp/test-message"),
        json={"phone": "+55 11 98888-7777", "text": "Teste"},
        headers=world.admin,
    )
    bad = await world.http.post(
        world.api("whatsapp/test-message"), json={"phone": "12"}, headers=world.admin
    )

    assert sent.status_code == 201, sent.text
    assert sent.json()["external_id"] and "98888" not in sent.json()["to"]
    received = await world.sim("GET", "/_sim/default/sent")
    assert [(s["chatId"], s["text"]) for s in received] == [(PATIENT, "Teste")]
    assert bad.status_code == 422
    logged_out = await world.http.post(world.api("whatsapp/logout"), headers=world.admin)
    assert logged_out.status_code == 200
    assert logged_out.json()["status"] in ("STARTING", "SCAN_QR_CODE")
    qr = (await world.http.get(world.api("whatsapp/qr"), headers=world.admin)).json()
    assert qr["status"] == "SCAN_QR_CODE" and qr["phone"] is None


async def test_waha_down_is_a_502_not_a_500(world: World) -> None:
    await world.configure(base_url="http://127.0.0.1:9", api_key=WAHA_KEY)

    for path in ("whatsapp/session/start", "whatsapp/logout"):
        response = await world.http.post(world.api(path), headers=world.admin)
        assert response.status_code == 502, path
        assert response.json()["error"]["code"] == "waha_error"
    qr = await world.http.get(world.api("whatsapp/qr"), headers=world.admin)
    status = await world.http.get(world.api("whatsapp/status"), headers=world.admin)
    assert qr.status_code == 502
    assert status.status_code == 200 and status.json()["error"]["code"] == "unreachable"


async def test_session_commands_need_settings_first(world: World) -> None:
    for method, path in (("POST", "whatsapp/session/start"), ("GET", "whatsapp/qr")):
        response = await world.http.request(method, world.api(path), headers=world.admin)
        assert response.status_code == 409
        assert response.json()["error"]["code"] == "not_configured"
    assert (await world.check())["code"] == "not_configured"


@pytest.mark.parametrize(
    ("fields", "words"),
    [
        ({"base_url": "ftp://waha"}, "base_url"),
        ({"base_url": "http://user:pw@waha"}, "credentials"),
        ({"session": "no spaces"}, "session"),
        ({"messages_per_second": 0}, "messages_per_second"),
        ({"chat_gap_seconds": "1"}, "chat_gap_seconds"),
        ({"api_key": 5}, "api_key"),
        ({"colour": "blue"}, "unknown fields: colour"),
    ],
)
async def test_bad_settings_are_422(world: World, fields: dict[str, Any], words: str) -> None:
    response = await world.configure(**fields)

    assert response.status_code == 422
    assert words in response.json()["error"]["message"]


async def test_a_session_name_is_unique_per_waha_server(world: World) -> None:
    await world.configure(base_url=world.simulator_url, session="shared")
    other = await world.container.issue_api_token()("other", "admin@other.org")
    response = await world.http.put(
        world.api("whatsapp", "other"),
        json={"base_url": world.simulator_url, "session": "shared"},
        headers={"Authorization": f"Bearer {other.unwrap()}"},
    )
    elsewhere = await world.http.put(
        world.api("whatsapp", "other"),
        json={"base_url": "http://other-waha:3000", "session": "shared"},
        headers={"Authorization": f"Bearer {other.unwrap()}"},
    )

    assert response.status_code == 409
    assert elsewhere.status_code == 200


async def test_bot_settings_round_trip_and_validation(world: World) -> None:
    bot = (await world.http.get(world.api("bot"), headers=world.admin)).json()
    assert bot["provider"] == "rules" and bot["business_hours"] is None

    hours = {
        "timezone": "America/Sao_Paulo",
        "windows": [{"weekday": 0, "opens": "08:00:00", "closes": "18:00:00"}],
    }
    changed = await world.http.put(
        world.api("bot"),
        json={"greeting_lead": "Olá!", "business_hours": hours, "max_bot_turns": 4},
        headers=world.admin,
    )
    assert changed.status_code == 200, changed.text
    again = (await world.http.get(world.api("bot"), headers=world.admin)).json()
    assert again["greeting_lead"] == "Olá!" and again["max_bot_turns"] == 4
    assert again["business_hours"] == {**hours, "holidays": []}  # none unless given
    assert again["transition_message"] == bot["transition_message"]

    for body, words in (
        ({"provider": "skynet"}, "provider must be one of"),
        ({"business_hours": {**hours, "timezone": "Mars/Base"}}, "not an IANA zone"),
        ({"business_hours": {**hours, "holidays": ["2026-02-30"]}}, "business_hours"),
        ({"business_hours": {**hours, "holidays": ["2026-12-25"] * 101}}, "100 holidays"),
        ({"max_bot_turns": "many"}, "max_bot_turns"),
        ({"lead_questions": [{"field": "", "question": "?"}]}, "lead_questions"),
        ({"mood": "cheerful"}, "unknown fields: mood"),
        ({"medical_terms": ["dose", " "]}, "medical_terms must not contain empty terms"),
        ({"medical_terms": ["x" * 65]}, "each of medical_terms is at most 64 characters"),
        ({"medical_terms": "dose"}, "medical_terms"),
        ({"emergency_message": " "}, "emergency_message must not be empty"),
        ({"no_answer_message": "x" * 5000}, "no_answer_message is at most"),
        ({"unanswered_action": "shout"}, "unanswered_action"),
        ({"untranscribed_voice_notes": "ignore"}, "untranscribed_voice_notes"),
    ):
        refused = await world.http.put(world.api("bot"), json=body, headers=world.admin)
        assert refused.status_code == 422, body
        assert words in refused.json()["error"]["message"]


@pytest.mark.parametrize(
    ("query", "words"),
    [
        ("from=2026-13-01", "`from` must be a date"),
        ("from=2026-02-01&to=2026-01-01", "must not be after"),
        ("from=2024-01-01&to=2026-01-01", "at most 366 days"),
        ("tz=Mars/Base", "not an IANA zone"),
    ],
)
async def test_bad_statistics_periods_are_422(world: World, query: str, words: str) -> None:
    response = await world.http.get(world.api(f"stats?{query}"), headers=world.admin)

    assert response.status_code == 422
    assert words in response.json()["error"]["message"]


async def test_statistics_count_what_happened(world: World) -> None:
    await world.configure(base_url=world.simulator_url, api_key=WAHA_KEY)
    await world.http.post(world.api("whatsapp/session/start"), headers=world.admin)
    await world.sim("POST", "/_sim/default/scan", json={})
    await world.http.put(world.api("bot"), json={"debounce_seconds": 0}, headers=world.admin)
    await world.sim("POST", "/_sim/default/inbound", json={"from": PATIENT, "text": "atendente"})
    for _ in range(200):
        stats = (await world.http.get(world.api("stats?tz=UTC"), headers=world.admin)).json()
        if stats["handoffs_by_reason"] and stats["messages_by_day"][-1]["outbound"]:
            break  # the handoff and the bot's transition message, which may commit after it
        await asyncio.sleep(0.05)

    assert stats["timezone"] == "UTC" and len(stats["messages_by_day"]) == 30
    today = stats["messages_by_day"][-1]
    assert today["inbound"] == 1 and today["outbound"] >= 1
    assert stats["handoffs_by_reason"] == {"keyword": 1}
    assert stats["first_response"] == {"answered": 0, "waiting": 1, "median_seconds": None}


async def test_two_associations_share_one_waha_server_with_their_own_sessions(
    world: World,
) -> None:
    other = {
        "Authorization": "Bearer "
        + (await world.container.issue_api_token()("other", "admin@other.org")).unwrap()
    }
    for slug, headers, session in (("clinic", world.admin, "clinic"), ("other", other, "other")):
        saved = await world.http.put(
            world.api("whatsapp", slug),
            json={"base_url": world.simulator_url, "api_key": WAHA_KEY, "session": session},
            headers=headers,
        )
        assert saved.status_code == 200, saved.text
        await world.http.post(world.api("whatsapp/session/start", slug), headers=headers)
        await world.sim("POST", f"/_sim/{session}/scan", json={"phone": f"55119{len(slug)}0000000"})

    await world.sim(
        "POST", "/_sim/clinic/inbound", json={"from": PATIENT, "text": "para a clínica"}
    )
    await world.sim("POST", "/_sim/other/inbound", json={"from": PATIENT, "text": "para a outra"})
    await world.sim("POST", "/_sim/wait-idle", json={"timeout": 5})

    for slug, headers in (("clinic", world.admin), ("other", other)):
        items = (await world.http.get(world.api("conversations", slug), headers=headers)).json()
        assert len(items["items"]) == 1, slug
        messages = await world.http.get(
            world.api(f"conversations/{items['items'][0]['id']}/messages", slug), headers=headers
        )
        texts = [m["body"] for m in messages.json()["items"] if m["direction"] == "in"]
        assert texts == ["para a clínica" if slug == "clinic" else "para a outra"]
