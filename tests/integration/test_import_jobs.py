"""Registry imports as jobs, for real: an admin follows an upload's progress over HTTP until it is
done (and no other association sees it), and a ``wa-crm worker`` killed with SIGKILL in the middle
of an import leaves the rest to the next worker, which imports no row twice."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from tests.e2e.harness import Service, running_service
from tests.integration.delivery_support import SECRET_KEY, WorkerProcess

from wa_crm.adapters.sql.tables import patients
from wa_crm.container import Container, build_container, close_resources
from wa_crm.domain.model.imports import Import, ImportKind, ImportStatus
from wa_crm.domain.usecases.access.setup import NewAgent, NewAssociation
from wa_crm.domain.usecases.registry.imports import NewImport
from wa_crm.settings import Settings


def patients_csv(rows: int, bad_every: int) -> bytes:
    """Every ``bad_every``-th patient has no name."""
    lines = [
        f"p{n},{'' if n % bad_every == 0 else f'Paciente {n}'},+55 11 9{n:08d},active"
        for n in range(1, rows + 1)
    ]
    return ("id,full_name,phone,status\n" + "\n".join(lines) + "\n").encode()


async def in_pieces(data: bytes) -> AsyncIterator[bytes]:
    for start in range(0, len(data), 64 * 1024):
        yield data[start : start + 64 * 1024]


def stored_files(media: Path) -> list[Path]:
    return [path for path in media.rglob("*") if path.is_file()] if media.exists() else []


# --- progress over HTTP -------------------------------------------------------------------------


async def admin_of(service: Service, slug: str) -> dict[str, str]:
    container = service.container
    new = NewAgent(slug, f"admin@{slug}.org", "Admin", "admin", "admin-password")
    (await container.create_agent()(new)).unwrap()
    token = (await container.issue_api_token()(slug, f"admin@{slug}.org")).unwrap()
    return {"Authorization": f"Bearer {token}"}


async def follow(service: Service, location: str, headers: dict[str, str]) -> list[dict[str, Any]]:
    """Every answer of the import's progress route until it is over."""
    seen: list[dict[str, Any]] = []
    deadline = time.monotonic() + 60
    while not seen or seen[-1]["status"] not in ("done", "failed"):
        assert time.monotonic() < deadline, seen[-1]
        response = await service.http.get(f"{service.service_url}{location}", headers=headers)
        assert response.status_code == 200, response.text
        seen.append(response.json())
        await asyncio.sleep(0.05)
    return seen


async def test_an_admin_follows_an_import_until_it_is_done(sqlite_url: str, tmp_path: Path) -> None:
    async with running_service(sqlite_url, tmp_path / "media") as service:
        admin = await admin_of(service, "e2e")
        (await service.container.create_association()(NewAssociation("bee", "B"))).unwrap()
        other_admin = await admin_of(service, "bee")
        api = f"{service.service_url}/api/associations/e2e"

        queued = await service.http.post(
            f"{api}/patients/import",
            content=patients_csv(1_500, bad_every=500),
            headers={**admin, "Content-Type": "text/csv"},
        )
        assert queued.status_code == 202, queued.text
        location = queued.headers["Location"]
        assert location == f"/api/associations/e2e/imports/{queued.json()['id']}"
        seen = await follow(service, location, admin)

        rows_done = [answer["rows_done"] for answer in seen]
        assert rows_done == sorted(rows_done)
        done = seen[-1]
        counts = ("kind", "status", "rows_done", "imported", "bad_rows")
        assert {key: done[key] for key in counts} == {
            "kind": "patients",
            "status": "done",
            "rows_done": 1_500,
            "imported": 1_497,
            "bad_rows": 3,
        }
        assert done["errors"] == [
            {"line": line, "reason": "full_name is empty"} for line in (501, 1001, 1501)
        ]
        assert stored_files(tmp_path / "media") == []

        orders = b"patient_id,order_id,date,items,total,status\np7,o1,2026-01-02,Oleo,10,ok\n"
        queued_orders = await service.http.post(
            f"{api}/orders/import", content=orders, headers={**admin, "Content-Type": "text/csv"}
        )
        orders_done = await follow(service, queued_orders.headers["Location"], admin)
        assert orders_done[-1]["imported"] == 1
        listing = (await service.http.get(f"{api}/imports", headers=admin)).json()
        assert [item["kind"] for item in listing["items"]] == ["orders", "patients"]

        elsewhere = f"{service.service_url}/api/associations/bee/imports"
        assert (await service.http.get(f"{api}/imports", headers=other_admin)).status_code == 404
        mine = await service.http.get(f"{elsewhere}/{done['id']}", headers=other_admin)
        assert mine.status_code == 404
        assert (await service.http.get(elsewhere, headers=other_admin)).json() == {"items": []}


async def test_a_file_without_the_required_columns_is_refused_at_once(
    sqlite_url: str, tmp_path: Path
) -> None:
    async with running_service(sqlite_url, tmp_path / "media") as service:
        admin = await admin_of(service, "e2e")

        refused = await service.http.post(
            f"{service.service_url}/api/associations/e2e/orders/import",
            content=b"id,full_name,phone,status\np1,Ana,+5511999998888,active\n",
            headers={**admin, "Content-Type": "text/csv"},
        )

        assert refused.status_code == 422
        assert refused.json()["error"] == {
            "code": "invalid_input",
            "message": "CSV header lacks column(s): patient_id, order_id, date, items, total",
        }
        assert stored_files(tmp_path / "media") == []


# --- a worker killed mid-import -----------------------------------------------------------------


@pytest.fixture
async def container(backend_url: str, tmp_path: Path) -> AsyncIterator[Container]:
    settings = Settings(
        database_url=backend_url,
        workers=0,
        secret_key=SECRET_KEY,
        media_dir=str(tmp_path / "media"),
    )
    built = build_container(settings)
    yield built
    await close_resources(built)


async def current(container: Container, association_id: str, import_id: str) -> Import:
    async with container.uow_factory()() as uow:
        found = await uow.imports.get(association_id, import_id)
    assert found is not None
    return found


async def wait_for(
    container: Container, queued: Import, done: Any, within: float, worker: WorkerProcess
) -> Import:
    deadline = time.monotonic() + within
    while not done(found := await current(container, queued.association_id, queued.id)):
        if time.monotonic() > deadline:
            raise AssertionError(f"{found}; worker log:\n{worker.log.read_text()[-3000:]}")
        await asyncio.sleep(0.05)
    return found


@pytest.mark.slow
async def test_an_import_killed_mid_way_is_finished_by_the_next_worker_without_repeats(
    container: Container, backend_url: str, tmp_path: Path
) -> None:
    # enough rows that no worker finishes between two looks at the progress (a look every
    # 50 ms): the kill must land mid-import. A batch holds at most 500 rows and is followed by a
    # 25 ms pause, so 16 batches take 0.4 s in pauses alone, however fast the worker is.
    rows, bad_every = 8_000, 250
    association = (await container.create_association()(NewAssociation("amigos", "A"))).unwrap()
    upload = NewImport(
        association.id, ImportKind.PATIENTS, "admin-1", in_pieces(patients_csv(rows, bad_every))
    )
    queued = (await container.queue_import()(upload)).unwrap()

    def worker() -> WorkerProcess:
        return WorkerProcess(
            backend_url, tmp_path / "media", tmp_path / "worker.log", lease_seconds=2
        )

    doomed = worker()
    await doomed.start()
    try:
        await wait_for(container, queued, lambda found: found.rows_done > 0, 60, doomed)
    finally:
        await doomed.kill()
    at_kill = await current(container, association.id, queued.id)
    assert at_kill.status is ImportStatus.RUNNING and at_kill.rows_done < rows

    survivor = worker()
    await survivor.start()
    try:
        done = await wait_for(container, queued, lambda found: found.finished, 180, survivor)
        for _ in range(100):  # the file goes just after the last batch commits
            if not stored_files(tmp_path / "media"):
                break
            await asyncio.sleep(0.05)
    finally:
        await survivor.stop()

    print(f"killed after {at_kill.rows_done} of {rows} rows")
    bad = rows // bad_every
    assert (done.status, done.rows_done, done.imported, done.bad_rows) == (
        ImportStatus.DONE,
        rows,
        rows - bad,
        bad,
    )
    assert [error.line for error in done.errors] == [n * bad_every + 1 for n in range(1, bad + 1)]
    async with container.engine().connect() as connection:
        count = select(func.count()).select_from(patients)
        assert (await connection.execute(count)).scalar_one() == rows - bad
    assert stored_files(tmp_path / "media") == []
