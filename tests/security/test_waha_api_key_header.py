"""An admin saving a WAHA API key with characters an HTTP header cannot carry (found by the
OpenAPI fuzz test, issue 14): the key was stored, and from then on every call to WAHA (the
connection test, session start, QR, every send) crashed with a 500 while building the
``X-Api-Key`` header. Now the key is refused with a 422 and nothing is stored."""

from __future__ import annotations

from pathlib import Path

import httpx
from tests.e2e.harness import running_service

from wa_crm.domain.usecases.access.setup import NewAgent


async def test_a_key_a_header_cannot_carry_is_refused_and_waha_stays_reachable(
    sqlite_url: str, tmp_path: Path
) -> None:
    async with running_service(sqlite_url, tmp_path / "media") as service:
        admin = NewAgent("e2e", "admin@e2e.org", "Admin", "admin", "admin-password")
        (await service.container.create_agent()(admin)).unwrap()
        token = (await service.container.issue_api_token()("e2e", "admin@e2e.org")).unwrap()
        async with httpx.AsyncClient(
            base_url=f"{service.service_url}/api/associations/e2e",
            headers={"Authorization": f"Bearer {token}"},
        ) as api:
            refused = await api.put("whatsapp", json={"api_key": "chave-secreta-ç"})
            tried = await api.post("whatsapp/test", json={"api_key": "ключ"})
            check = await api.post("whatsapp/test")

    assert refused.status_code == 422
    assert refused.json()["error"]["code"] == "invalid_input"
    assert tried.status_code == 422
    assert check.status_code == 200
    assert check.json()["ok"] is True
