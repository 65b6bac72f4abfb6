"""Registry imports as a durable job, on the memory adapters: short batches with progress, a
killed run resumed without importing a row twice, slices that hand the worker back."""

from __future__ import annotations

import functools
from collections.abc import AsyncIterator
from datetime import datetime, timedelta

import pytest
from returns.result import Failure, Success

from wa_crm.adapters.memory import InMemoryMediaStore, InMemoryStore, InMemoryUnitOfWork
from wa_crm.domain.model.association import Association
from wa_crm.domain.model.errors import InvalidInput
from wa_crm.domain.model.imports import MAX_REPORTED_ERRORS, Import, ImportKind, ImportStatus
from wa_crm.domain.model.job_commands import ImportRows
from wa_crm.domain.usecases.registry.imports import NewImport, QueueImport, RunImport
from wa_crm.domain.usecases.runtime.runner import JobRunner
from wa_crm.ports.unit_of_work import UnitOfWork
from wa_crm.testing.clock import FakeClock, SequentialIds

A = "assoc-a"
HEADER = "id,full_name,phone,status\n"


def patients_csv(count: int, bad_every: int = 0) -> bytes:
    rows = [
        f"p{n},Patient {n},{'' if bad_every and n % bad_every == 0 else f'+55119{n:08d}'},active"
        for n in range(1, count + 1)
    ]
    return (HEADER + "\n".join(rows) + "\n").encode()


async def in_pieces(data: bytes, size: int = 37) -> AsyncIterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


class TickingClock(FakeClock):
    """Every reading moves time on by ``step``: the import's time bounds come into play."""

    def __init__(self, step: float) -> None:
        super().__init__()
        self.step = step

    def now(self) -> datetime:
        return self.advance(self.step)


class WorkerKilled(Exception):
    pass


class World:
    def __init__(self, clock: FakeClock | None = None, batch_rows: int = 3) -> None:
        self.clock = clock or FakeClock()
        self.store = InMemoryStore()
        self.uow_factory = functools.partial(InMemoryUnitOfWork, self.store)
        self.media = InMemoryMediaStore()
        self.queue = QueueImport(self.uow_factory, self.media, self.clock, SequentialIds("imp"))
        self.run = RunImport(self.uow_factory, self.media, self.clock, batch_rows=batch_rows)

    async def association(self) -> None:
        async with self.uow_factory() as uow:
            await uow.associations.add(Association(A, "a", "A", self.clock.now()))
            await uow.commit()

    async def queued(self, data: bytes, kind: ImportKind = ImportKind.PATIENTS) -> Import:
        result = await self.queue(NewImport(A, kind, "admin-1", in_pieces(data)))
        assert isinstance(result, Success), result
        return result.unwrap()

    async def current(self, queued: Import) -> Import:
        async with self.uow_factory() as uow:
            found = await uow.imports.get(A, queued.id)
        assert found is not None
        return found

    async def patient_ids(self) -> set[str]:
        return {key[1] for key in self.store.tables.patients}


@pytest.fixture
async def world() -> World:
    world = World()
    await world.association()
    return world


async def test_an_upload_is_stored_and_queued_as_a_job(world: World) -> None:
    queued = await world.queued(patients_csv(4))

    assert queued.status is ImportStatus.QUEUED
    assert await world.media.get(queued.file_key) == patients_csv(4)
    async with world.uow_factory() as uow:
        job = await uow.jobs.get_by_key(f"{ImportRows.kind}:{queued.id}")
    assert job is not None and job.payload == {"import_id": queued.id}


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        (b"id,full_name\np1,Ana\n", "CSV header lacks column(s): phone, status"),
        (b"", "CSV header lacks column(s): id, full_name, phone, status"),
        (b"\xff\xfe not utf-8\n", "the CSV file is not UTF-8 text"),
    ],
)
async def test_a_file_without_a_usable_header_is_refused_at_once(
    world: World, data: bytes, problem: str
) -> None:
    result = await world.queue(NewImport(A, ImportKind.PATIENTS, "admin-1", in_pieces(data)))

    assert result == Failure(InvalidInput(problem))
    assert world.media.files == {}
    assert world.store.tables.imports == {}


async def test_batches_import_every_row_report_bad_ones_and_drop_the_file(world: World) -> None:
    queued = await world.queued(patients_csv(10, bad_every=4))

    assert await world.run.run(A, queued.id) is True

    done = await world.current(queued)
    assert (done.status, done.rows_done, done.imported, done.bad_rows) == (
        ImportStatus.DONE,
        10,
        8,
        2,
    )
    assert [(e.line, e.reason) for e in done.errors] == [
        (5, "phone is empty"),
        (9, "phone is empty"),
    ]
    assert done.finished_at is not None
    assert await world.patient_ids() == {f"p{n}" for n in range(1, 11)} - {"p4", "p8"}
    assert world.media.files == {}


async def test_each_batch_commits_its_rows_with_the_progress(world: World) -> None:
    queued = await world.queued(patients_csv(7))
    progress: list[tuple[int, int]] = []

    class Watching(InMemoryUnitOfWork):
        async def commit(self) -> None:
            await super().commit()
            found = self._store.tables.imports.get(queued.id)
            if found is not None:
                progress.append((found.rows_done, len(world.store.tables.patients)))

    run = RunImport(functools.partial(Watching, world.store), world.media, world.clock, 3)
    await run.run(A, queued.id)

    assert progress == [(3, 3), (6, 6), (7, 7)]


async def test_a_killed_run_resumes_after_its_last_batch_without_importing_twice(
    world: World,
) -> None:
    queued = await world.queued(patients_csv(11, bad_every=5))
    commits = 0

    class DiesOnThirdCommit(InMemoryUnitOfWork):
        async def commit(self) -> None:
            nonlocal commits
            commits += 1
            if commits == 3:
                raise WorkerKilled  # mid-batch: the batch's rows and progress are lost together
            await super().commit()

    units = functools.partial(DiesOnThirdCommit, world.store)
    killed = RunImport(units, world.media, world.clock, batch_rows=3)
    with pytest.raises(WorkerKilled):
        await killed.run(A, queued.id)
    halfway = await world.current(queued)
    assert (halfway.status, halfway.rows_done) == (ImportStatus.RUNNING, 6)

    await world.run.run(A, queued.id)

    done = await world.current(queued)
    assert (done.status, done.rows_done, done.imported, done.bad_rows) == (
        ImportStatus.DONE,
        11,
        9,
        2,
    )
    assert [e.line for e in done.errors] == [6, 11]


async def test_two_runs_of_one_import_take_turns_and_count_each_row_once(world: World) -> None:
    queued = await world.queued(patients_csv(20, bad_every=7))
    other = RunImport(world.uow_factory, world.media, world.clock, batch_rows=4)

    class Interleaved(InMemoryUnitOfWork):
        async def commit(self) -> None:
            await super().commit()
            await other.run(A, queued.id)  # another worker moves the import on meanwhile

    first_commit_only = {"done": False}

    def units() -> UnitOfWork:
        if first_commit_only["done"]:
            return InMemoryUnitOfWork(world.store)
        first_commit_only["done"] = True
        return Interleaved(world.store)

    await RunImport(units, world.media, world.clock, batch_rows=3).run(A, queued.id)

    done = await world.current(queued)
    assert (done.rows_done, done.imported, done.bad_rows) == (20, 18, 2)
    assert [e.line for e in done.errors] == [8, 15]


async def test_only_the_first_bad_rows_are_kept_the_rest_are_counted() -> None:
    world = World(batch_rows=500)
    await world.association()
    queued = await world.queued(patients_csv(300, bad_every=2))

    await world.run.run(A, queued.id)

    done = await world.current(queued)
    assert done.bad_rows == 150
    assert len(done.errors) == MAX_REPORTED_ERRORS
    assert done.errors[-1].line == 201


async def test_a_batch_stops_when_its_time_is_up() -> None:
    world = World(clock=TickingClock(step=0.1), batch_rows=500)
    await world.association()
    queued = await world.queued(patients_csv(40))
    sizes: list[int] = []

    class Counting(InMemoryUnitOfWork):
        async def commit(self) -> None:
            before = len(world.store.tables.patients)
            await super().commit()
            sizes.append(len(world.store.tables.patients) - before)

    run = RunImport(
        functools.partial(Counting, world.store),
        world.media,
        world.clock,
        batch_rows=500,
        batch_time=timedelta(seconds=1),
    )
    await run.run(A, queued.id)

    assert sum(sizes) == 40
    assert max(sizes) <= 10


async def test_a_long_import_gives_its_worker_back_between_slices() -> None:
    world = World(clock=TickingClock(step=0.1))
    await world.association()
    queued = await world.queued(patients_csv(30))
    run = RunImport(
        world.uow_factory, world.media, world.clock, batch_rows=2, slice_time=timedelta(seconds=1)
    )
    runner = JobRunner(world.uow_factory, world.clock, {ImportRows: run}, "worker")

    claims = 0
    while (await world.current(queued)).status is not ImportStatus.DONE:
        claims += await runner.run_due()
        assert claims < 50

    assert claims > 1
    assert (await world.current(queued)).imported == 30


async def test_orders_find_the_patients_of_earlier_batches(world: World) -> None:
    patients = await world.queued(patients_csv(3))
    await world.run.run(A, patients.id)
    orders = (
        "patient_id,order_id,date,items,total,status\n"
        "p1,o1,2026-01-02,Óleo,10.50,delivered\n"
        "p3,o2,2026-01-03,Óleo,20,delivered\n"
        "p9,o3,2026-01-04,Óleo,5,delivered\n"
    ).encode()
    queued = await world.queued(orders, ImportKind.ORDERS)

    await world.run.run(A, queued.id)

    done = await world.current(queued)
    assert (done.imported, [(e.line, e.reason) for e in done.errors]) == (
        2,
        [(4, "no patient 'p9'")],
    )


async def test_an_import_whose_file_is_lost_fails_with_the_reason(world: World) -> None:
    queued = await world.queued(patients_csv(3))
    await world.media.delete(queued.file_key)

    await world.run.run(A, queued.id)

    failed = await world.current(queued)
    assert (failed.status, failed.error) == (ImportStatus.FAILED, "the uploaded file is gone")
