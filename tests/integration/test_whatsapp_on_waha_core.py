"""Issue 15, items 1, 2 and 5: an admin connects a number with the WAHA an operator really runs.

The whole service over HTTP, against a simulator playing WAHA Core (one session, `default`;
a config PUT restarts the session, starting a running one is a 422, as recorded in
shared/waha/recorded/): from empty settings to a linked number with Start pressed twice and
again after the webhook secret changed; a session not named `default`; a release older than
wa_crm supports.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.types import ASGIApp, Receive, Scope, Send
from tests.e2e.harness import API_KEY, running_service, running_unconfigured_service

from wa_crm.adapters.waha.gateway import OLDEST_SUPPORTED_VERSION
from wa_crm.domain.usecases.access.setup import NewAgent
from wa_crm.testing import SimulatorConfig, create_simulator_app, serve_app

CORE = SimulatorConfig(
    api_key=API_KEY, tier="CORE", default_session=False, ack_levels=(), restart_seconds=0.3
)
CORE_SENTENCE = (
    "WAHA Core runs one session, named default: use default, or WAHA Plus for several numbers "
    "on one server (or one Core server per association)."
)


@dataclass
class CountingWaha:
    """The simulator, counting the session writes WAHA receives."""

    app: ASGIApp
    calls: list[tuple[str, str]] = field(default_factory=list)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].startswith("/api/sessions"):
            self.calls.append((scope["method"], scope["path"]))
        await self.app(scope, receive, send)

    def count(self, method: str, suffix: str = "") -> int:
        return sum(1 for m, path in self.calls if m == method and path.endswith(suffix))


@dataclass
class Wizard:
    http: httpx.AsyncClient
    waha: CountingWaha
    waha_url: str

    async def call(self, method: str, path: str, json: Any = None) -> httpx.Response:
        return await self.http.request(method, f"/api/associations/e2e/{path}", json=json)

    async def session(self) -> dict[str, Any]:
        async with httpx.AsyncClient(base_url=self.waha_url, headers={"X-Api-Key": API_KEY}) as c:
            answer: dict[str, Any] = (await c.get("/api/sessions/default")).json()
            return answer

    async def scan(self) -> None:
        async with httpx.AsyncClient(base_url=self.waha_url) as client:
            assert (await client.post("/_sim/default/scan")).is_success


@asynccontextmanager
async def wizard_on(
    database_url: str, media_dir: Path, waha: SimulatorConfig
) -> AsyncIterator[Wizard]:
    counting = CountingWaha(create_simulator_app(waha))
    async with (
        running_unconfigured_service(database_url, media_dir) as service,
        serve_app(counting) as waha_url,
    ):
        container = service.container
        email = "admin@e2e.org"
        await container.create_agent()(NewAgent("e2e", email, "Admin", "admin", "admin-pass"))
        token = (await container.issue_api_token()("e2e", email)).unwrap()
        headers = {"Authorization": f"Bearer {token}"}
        async with httpx.AsyncClient(
            base_url=service.service_url, headers=headers, timeout=10
        ) as http:
            yield Wizard(http, counting, waha_url)


async def wait_for_status(wizard: Wizard, wanted: str) -> dict[str, Any]:
    for _ in range(200):
        status: dict[str, Any] = (await wizard.call("GET", "whatsapp/status")).json()
        if status["status"] == wanted:
            return status
        await asyncio.sleep(0.02)
    raise AssertionError(f"the session never became {wanted}")


async def test_from_empty_settings_to_a_linked_number_on_core_pressing_start_again(
    backend_url: str, tmp_path: Path
) -> None:
    async with wizard_on(backend_url, tmp_path / "media", CORE) as wizard:
        settings = {"base_url": wizard.waha_url, "session": "default", "api_key": API_KEY}
        assert (await wizard.call("PUT", "whatsapp", settings)).status_code == 200
        check = (await wizard.call("POST", "whatsapp/test")).json()
        assert (check["ok"], check["code"]) == (True, "session_not_found")

        for _ in range(2):  # the second press finds it waiting for a scan, and leaves it so
            started = await wizard.call("POST", "whatsapp/session/start")
            assert started.status_code == 200, started.text
            assert started.json()["status"] in ("STARTING", "SCAN_QR_CODE")
        await wizard.scan()
        again = await wizard.call("POST", "whatsapp/session/start")
        assert (again.status_code, again.json()["status"]) == (200, "WORKING")
        assert wizard.waha.count("PUT") == 0  # created with our webhook; nothing to rewrite

        rotated = {"webhook_secret": "rotated-secret-1234567890"}
        assert (await wizard.call("PUT", "whatsapp", rotated)).status_code == 200
        for _ in range(2):  # the second press comes while WAHA restarts the session
            after_rotation = await wizard.call("POST", "whatsapp/session/start")
            assert after_rotation.status_code == 200, after_rotation.text

        assert wizard.waha.count("PUT") == 1
        assert wizard.waha.count("POST", "/start") == 0  # never a start of a running session
        hooks = (await wizard.session())["config"]["webhooks"]
        assert [hook["hmac"]["key"] for hook in hooks] == [rotated["webhook_secret"]]
        status = await wait_for_status(wizard, "WORKING")
        assert status["phone"]


async def test_a_session_not_named_default_on_core_gets_one_sentence(
    backend_url: str, tmp_path: Path
) -> None:
    async with wizard_on(backend_url, tmp_path / "media", CORE) as wizard:
        settings = {"base_url": wizard.waha_url, "session": "amigos", "api_key": API_KEY}
        assert (await wizard.call("PUT", "whatsapp", settings)).status_code == 200

        for path in ("whatsapp/test", "whatsapp/session/start"):
            answer = await wizard.call("POST", path)
            assert answer.status_code == 409, (path, answer.text)
            assert answer.json() == {
                "error": {"code": "core_needs_default_session", "message": CORE_SENTENCE}
            }
        assert wizard.waha.count("PUT") == 0


@pytest.mark.parametrize("version", ["2024.10.8", "2023.1.1"])
async def test_the_connection_test_names_the_version_found_and_the_one_needed(
    sqlite_url: str, tmp_path: Path, version: str
) -> None:
    old = CORE.replace(version=version, default_session=True)
    async with wizard_on(sqlite_url, tmp_path / "media", old) as wizard:
        settings = {"base_url": wizard.waha_url, "session": "default", "api_key": API_KEY}

        check = (await wizard.call("POST", "whatsapp/test", settings)).json()

        assert (check["ok"], check["code"]) == (False, "waha_too_old")
        assert check["needed_version"] == OLDEST_SUPPORTED_VERSION == "2024.11.5"
        assert check["message"] == (
            f"WAHA {version} is older than 2024.11.5, the oldest release wa_crm works with: "
            "update WAHA."
        )


async def test_a_supported_release_passes_the_connection_test(
    sqlite_url: str, tmp_path: Path
) -> None:
    recent = CORE.replace(version=OLDEST_SUPPORTED_VERSION, default_session=True)
    async with wizard_on(sqlite_url, tmp_path / "media", recent) as wizard:
        settings = {"base_url": wizard.waha_url, "session": "default", "api_key": API_KEY}

        check = (await wizard.call("POST", "whatsapp/test", settings)).json()

        assert (check["ok"], check["code"], check["needed_version"]) == (True, "working", None)


async def test_marking_a_chat_read_names_the_contacts_messages(
    sqlite_url: str, tmp_path: Path
) -> None:
    """NOWEB and GOWS mark only the messages named (``messageIds``, WAHA's spec now); 2024.10.8's
    NOWEB refused a sendSeen naming none."""
    patient = "5511988887777@c.us"
    async with running_service(sqlite_url, tmp_path / "media") as service:
        first = await service.patient_writes(patient, "oi")
        second = await service.patient_writes(patient, "tudo bem?")
        idle = await service.http.post(f"{service.simulator_url}/_sim/wait-idle", json={})
        assert idle.json()["idle"]  # both webhooks were delivered, so both messages are stored
        conversation = await service.conversation_of(patient)
        token = (await service.container.issue_api_token()("e2e", "ana@e2e.org")).unwrap()
        read = await service.http.post(
            f"{service.service_url}/api/associations/e2e/conversations/{conversation.id}/read",
            headers={"Authorization": f"Bearer {token}"},
        )
        assert read.status_code == 200, read.text

        seen = [s for s in await service.sent(patient) if s["kind"] == "seen"]
        assert seen and set(seen[-1]["messageIds"]) >= {first, second}
