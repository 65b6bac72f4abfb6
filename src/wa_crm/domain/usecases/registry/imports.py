"""Importing the member registry from an uploaded CSV file, as a durable job (``import_rows``).

- The upload streams into the media store; its header is checked as it arrives, so a file without
  the required columns (or not UTF-8) is refused at once and nothing is queued.
- The job works through the file in batches of at most ``batch_rows`` rows and ``batch_time``,
  one short transaction each, that stores the rows together with the import's progress and
  resume point: a worker killed mid-import resumes after the last committed batch, and no row is
  imported twice. Two runs of one import take turns on its locked row.
- Between batches the job pauses for ``batch_pause``: on SQLite every other connection waits for
  the one write lock by polling (its busy handler sleeps and retries), so a job that took the
  lock again the moment it committed would starve them, another process's request included.
- After ``slice_time`` the job hands its worker back and is queued again at once, so the other
  jobs of every association (bot turns, deliveries) keep running during a long import.
- Bad rows are counted and the first 100 kept with their line and reason; the file is deleted
  from the media store once the import is done or failed.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterable, AsyncIterator
from contextlib import aclosing
from dataclasses import dataclass
from datetime import datetime, timedelta

from returns.result import Failure, Result, Success

from wa_crm.domain.model.errors import InvalidInput, UnknownAssociation
from wa_crm.domain.model.imports import Batch, Import, ImportKind, ImportStatus, RowError
from wa_crm.domain.model.job_codec import new_job
from wa_crm.domain.model.job_commands import ImportRows
from wa_crm.domain.model.jobs import Attempt, NewJob
from wa_crm.domain.usecases.registry.csv_records import MAX_RECORD_BYTES, CsvRecord, csv_records
from wa_crm.domain.usecases.registry.patients import REGISTRY_FILES
from wa_crm.ports.media import MediaStore
from wa_crm.ports.system import Clock, IdGenerator
from wa_crm.ports.unit_of_work import UnitOfWorkFactory

CSV_TYPE = "text/csv"


def import_file_key(association_id: str, import_id: str) -> str:
    return f"{association_id}/imports/{import_id}"


def _header_problem(kind: ImportKind, header: CsvRecord | None) -> str | None:
    if header is not None and header.problem is not None:
        return "the CSV file is not UTF-8 text"
    names = {value.strip() for value in header.values} if header else set()
    missing = [name for name in REGISTRY_FILES[kind].columns if name not in names]
    return f"CSV header lacks column(s): {', '.join(missing)}" if missing else None


def _fields(header: CsvRecord, record: CsvRecord) -> dict[str, str]:
    """The row by column name, like ``csv.DictReader``: missing values are empty, values past
    the header are dropped, and everything is stripped."""
    values = record.values
    return {
        name.strip(): (values[i] if i < len(values) else "").strip()
        for i, name in enumerate(header.values)
        if name.strip()
    }


async def _first_record(data: bytes) -> CsvRecord | None:
    async def whole() -> AsyncIterator[bytes]:
        yield data

    return await anext(csv_records(whole()), None)


async def _replayed(head: bytes, rest: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
    yield head
    async for chunk in rest:
        yield chunk


@dataclass(frozen=True)
class NewImport:
    association_id: str
    kind: ImportKind
    created_by: str
    """The admin's agent id, or ``cli``."""
    chunks: AsyncIterable[bytes]


@dataclass(frozen=True)
class QueueImport:
    uow_factory: UnitOfWorkFactory
    media: MediaStore
    clock: Clock
    ids: IdGenerator

    async def __call__(self, new: NewImport) -> Result[Import, InvalidInput]:
        chunks = aiter(new.chunks)
        head = b""
        async for chunk in chunks:  # until the header is whole (more bytes follow it) or too long
            head += chunk
            header = await _first_record(head)
            if (header and header.end < len(head)) or len(head) > MAX_RECORD_BYTES:
                break
        problem = _header_problem(new.kind, await _first_record(head))
        if problem is not None:
            return Failure(InvalidInput(problem))
        import_id = self.ids.new_id()
        file_key = import_file_key(new.association_id, import_id)
        await self.media.put_stream(file_key, _replayed(head, chunks), CSV_TYPE)
        now = self.clock.now()
        queued = Import(import_id, new.association_id, new.kind, file_key, new.created_by, now, now)
        async with self.uow_factory() as uow:
            await uow.imports.add(queued)
            await uow.jobs.schedule(_job(new.association_id, import_id, now), now)
            await uow.commit()
        return Success(queued)


def _job(association_id: str, import_id: str, run_after: datetime) -> NewJob:
    return new_job(
        ImportRows(association_id, import_id),
        key=f"{ImportRows.kind}:{import_id}",
        run_after=run_after,
    )


def _resume_point(current: Import, header: CsvRecord) -> tuple[int, int]:
    """Where the next batch starts: past the committed batches, or past the header."""
    if current.file_offset:
        return current.file_offset, current.lines_read
    return header.end, header.line


async def _header(stream: AsyncIterator[bytes]) -> CsvRecord | None:
    async with aclosing(csv_records(stream)) as records:
        return await anext(records, None)


@dataclass(frozen=True)
class RunImport:
    uow_factory: UnitOfWorkFactory
    media: MediaStore
    clock: Clock
    batch_rows: int = 500
    batch_time: timedelta = timedelta(milliseconds=250)
    batch_pause: timedelta = timedelta(milliseconds=25)
    slice_time: timedelta = timedelta(seconds=2)

    async def __call__(self, command: ImportRows, attempt: Attempt) -> None:
        association_id, import_id = command.association_id, command.import_id
        try:
            over = await self.run(association_id, import_id, self.clock.now() + self.slice_time)
        except Exception:
            if attempt.is_last:
                await self._end(association_id, import_id, "the import stopped on repeated errors")
            raise
        if not over:
            async with self.uow_factory() as uow:
                now = self.clock.now()
                await uow.jobs.schedule(_job(association_id, import_id, now), now)
                await uow.commit()

    async def run(self, association_id: str, import_id: str, until: datetime | None = None) -> bool:
        """Work through the import until it is over (True) or ``until`` has passed (False)."""
        while True:
            async with self.uow_factory() as uow:
                current = await uow.imports.get(association_id, import_id)
            if current is None:
                return True
            if current.finished:
                await self.media.delete(current.file_key)
                return True
            stopped_at = await self._run_from(current, until)
            if stopped_at is not None:
                return stopped_at
            # Another run moved the import on meanwhile: continue from where it stopped.

    async def _run_from(self, start: Import, until: datetime | None) -> bool | None:
        """Batches from ``start``'s resume point; None when another run moved it meanwhile."""
        gone = "the uploaded file is gone"
        header_stream = await self.media.stream(start.file_key)
        header = await _header(header_stream) if header_stream else None
        if header is None:
            return await self._end(start.association_id, start.id, gone)
        problem = _header_problem(start.kind, header)
        if problem is not None:
            return await self._end(start.association_id, start.id, problem)
        offset, lines = _resume_point(start, header)
        stream = await self.media.stream(start.file_key, offset)
        if stream is None:
            return await self._end(start.association_id, start.id, gone)
        async with aclosing(csv_records(stream, offset, lines)) as records:
            return await self._batches(start, header, records, until)

    async def _batches(
        self,
        start: Import,
        header: CsvRecord,
        records: AsyncIterator[CsvRecord],
        until: datetime | None,
    ) -> bool | None:
        resume_point = _resume_point(start, header)
        pending: list[CsvRecord] = []
        exhausted = False
        while True:
            while not exhausted and len(pending) < self.batch_rows:
                record = await anext(records, None)
                if record is None:
                    exhausted = True
                else:
                    pending.append(record)
            stored = await self._batch(start, header, pending, exhausted, resume_point)
            if stored is None:
                return None
            if stored:
                resume_point = pending[stored - 1].end, pending[stored - 1].line
            pending = pending[stored:]
            if exhausted and not pending:
                await self.media.delete(start.file_key)
                return True
            if until is not None and self.clock.now() >= until:
                return False
            await asyncio.sleep(self.batch_pause.total_seconds())

    async def _batch(
        self,
        start: Import,
        header: CsvRecord,
        pending: list[CsvRecord],
        exhausted: bool,
        resume_point: tuple[int, int],
    ) -> int | None:
        """Store rows from ``pending`` in one transaction, until ``batch_time`` is up; how many
        records it used, or None when the import's resume point is no longer ``resume_point``
        (another run moved it, or it is over)."""
        store = REGISTRY_FILES[start.kind].store
        async with self.uow_factory() as uow:
            current = await uow.imports.get(start.association_id, start.id)
            if current is None or current.finished:
                return None
            if _resume_point(current, header) != resume_point:
                return None
            deadline = self.clock.now() + self.batch_time
            used = rows = imported = 0
            bad: list[RowError] = []
            for record in pending:
                used += 1
                if not record.blank:
                    rows += 1
                    refusal = record.problem or await store(
                        uow, start.association_id, _fields(header, record)
                    )
                    if refusal is None:
                        imported += 1
                    else:
                        bad.append(RowError(record.line, refusal))
                if self.clock.now() >= deadline:
                    break
            end, line = (pending[used - 1].end, pending[used - 1].line) if used else resume_point
            now = self.clock.now()
            current.record(Batch(rows, imported, tuple(bad), end, line), now)
            if exhausted and used == len(pending):
                current.finish(now)
            await uow.imports.update(current)
            await uow.commit()
        return used

    async def _end(self, association_id: str, import_id: str, reason: str) -> bool:
        """Fail the import for ``reason`` and drop its file."""
        async with self.uow_factory() as uow:
            current = await uow.imports.get(association_id, import_id)
            if current is not None and not current.finished:
                current.fail(reason, self.clock.now())
                await uow.imports.update(current)
                await uow.commit()
        if current is not None:
            await self.media.delete(current.file_key)
        return True


@dataclass(frozen=True)
class ImportReport:
    imported: int
    bad_rows: int
    errors: tuple[RowError, ...]
    """The first bad rows, with their line and reason."""


def _pieces(data: bytes, size: int = 64 * 1024) -> AsyncIterator[bytes]:
    async def pieces() -> AsyncIterator[bytes]:
        for start in range(0, len(data), size):
            yield data[start : start + size]

    return pieces()


@dataclass(frozen=True)
class ImportInProcess:
    """An import run here and now, for the CLI and set-up scripts: queued like an upload, then
    worked through to the end in the batches a worker uses."""

    uow_factory: UnitOfWorkFactory
    queue: QueueImport
    run: RunImport
    kind: ImportKind

    async def __call__(
        self, association_slug: str, csv: str | bytes
    ) -> Result[ImportReport, InvalidInput | UnknownAssociation]:
        async with self.uow_factory() as uow:
            association = await uow.associations.get_by_slug(association_slug)
        if association is None:
            return Failure(UnknownAssociation(f"no association {association_slug!r}"))
        data = csv.encode() if isinstance(csv, str) else csv
        match await self.queue(NewImport(association.id, self.kind, "cli", _pieces(data))):
            case Failure(problem):
                return Failure(problem)
            case Success(queued):
                pass
        await self.run.run(association.id, queued.id)
        async with self.uow_factory() as uow:
            final = await uow.imports.get(association.id, queued.id)
        assert final is not None, "an import is never deleted"
        if final.status is ImportStatus.FAILED:
            return Failure(InvalidInput(final.error or "the import failed"))
        return Success(ImportReport(final.imported, final.bad_rows, final.errors))
