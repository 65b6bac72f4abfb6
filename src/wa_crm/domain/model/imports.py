"""Imports of the member registry (patients, orders) from an uploaded CSV file.

An import is a durable job that works through its file in short batches, so one association's
200k-row file never holds the database for minutes. Its progress is committed with each batch,
together with where in the file the next batch starts (``file_offset``, ``lines_read``): a
worker that dies resumes after the last committed row, and no row is imported twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

MAX_REPORTED_ERRORS = 100
"""Bad rows kept with their line and reason; the rest are only counted in ``bad_rows``."""


class ImportKind(StrEnum):
    PATIENTS = "patients"
    ORDERS = "orders"


class ImportStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


@dataclass(frozen=True)
class RowError:
    line: int
    reason: str


@dataclass(frozen=True)
class Batch:
    """What one batch did: rows read (imported or not), the bad ones, and where it stopped."""

    rows: int
    imported: int
    bad: tuple[RowError, ...]
    file_offset: int
    lines_read: int


@dataclass
class Import:
    id: str
    association_id: str
    kind: ImportKind
    file_key: str
    """Where the uploaded file waits in the media store until the import is over."""
    created_by: str
    created_at: datetime
    updated_at: datetime
    status: ImportStatus = ImportStatus.QUEUED
    rows_done: int = 0
    imported: int = 0
    bad_rows: int = 0
    errors: tuple[RowError, ...] = ()
    error: str | None = None
    """Why the whole import failed (a header without the required columns, a lost file)."""
    finished_at: datetime | None = None
    file_offset: int = 0
    """Bytes of the file read by committed batches: the next batch starts here (0: not begun)."""
    lines_read: int = 0
    """Physical lines read by committed batches, so bad rows keep their line numbers."""

    @property
    def finished(self) -> bool:
        return self.status in (ImportStatus.DONE, ImportStatus.FAILED)

    def record(self, batch: Batch, now: datetime) -> None:
        """Count a committed batch and move the resume point past it."""
        assert not self.finished, "a finished import takes no more batches"
        self.status = ImportStatus.RUNNING
        self.rows_done += batch.rows
        self.imported += batch.imported
        self.bad_rows += len(batch.bad)
        room = MAX_REPORTED_ERRORS - len(self.errors)
        self.errors += batch.bad[: max(room, 0)]
        self.file_offset, self.lines_read = batch.file_offset, batch.lines_read
        self.updated_at = now

    def finish(self, now: datetime) -> None:
        self.status, self.updated_at, self.finished_at = ImportStatus.DONE, now, now

    def fail(self, reason: str, now: datetime) -> None:
        self.status, self.error = ImportStatus.FAILED, reason
        self.updated_at = self.finished_at = now
