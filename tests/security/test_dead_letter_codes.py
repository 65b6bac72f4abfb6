"""Issue 14, low: a dead letter keeps WAHA's error code, never WAHA's free text (which may quote
anything, and which the monitoring page would show to every admin)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
from tests.e2e.harness import running_service

from wa_crm.domain.model.association import BotSettings
from wa_crm.domain.usecases.access.setup import NewAgent

PATIENT = "5511988887777@c.us"


async def test_a_message_whatsapp_refuses_is_kept_with_its_code_only(
    sqlite_url: str, tmp_path: Path
) -> None:
    bot = BotSettings(debounce_seconds=0.1, typing_seconds=0)
    async with running_service(sqlite_url, tmp_path / "media", bot) as service:
        container = service.container
        email = "ada@e2e.org"
        await container.create_agent()(NewAgent("e2e", email, "Ada", "admin", "admin-password"))
        token = (await container.issue_api_token()("e2e", email)).unwrap()
        faults = await service.http.post(
            f"{service.simulator_url}/_sim/faults", json={"mode": "463"}
        )
        faults.raise_for_status()

        await service.patient_writes(PATIENT, "Oi")

        async with httpx.AsyncClient(base_url=service.service_url) as http:
            headers = {"Authorization": f"Bearer {token}"}
            for _ in range(200):
                dead = await http.get("/api/associations/e2e/dead-letters", headers=headers)
                if dead.json()["items"]:
                    break
                await asyncio.sleep(0.05)

    assert [item["error"] for item in dead.json()["items"]] == ["reach_out_limit"]
    assert "463" not in dead.text and "WAHA answered" not in dead.text
