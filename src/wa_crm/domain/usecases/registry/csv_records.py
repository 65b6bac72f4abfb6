"""CSV records read from a file's bytes as they stream in, each with the byte offset it ends at.

The ``csv`` module wants the whole text or a file object; an import reads its file in chunks from
the media store and must know where each record ends, so that a resumed import starts right
after its last committed row. Records are cut at newlines outside quotes (Excel's dialect doubles
a quote inside a field, so a record is complete once it holds an even number of quotes), then
each record is parsed by ``csv``. Newline bytes never occur inside a UTF-8 character, so the
cutting works on bytes and offsets stay exact.
"""

from __future__ import annotations

import csv
from collections.abc import AsyncGenerator, AsyncIterable
from dataclasses import dataclass

MAX_RECORD_BYTES = 64 * 1024
"""A record longer than this is a quote left open: the rest of the file would be one field."""


@dataclass(frozen=True)
class CsvRecord:
    values: tuple[str, ...]
    problem: str | None
    """Why the record could not be read (not UTF-8, malformed quoting); ``values`` is empty."""
    line: int
    """The record's last physical line, counted from 1 (what ``csv.reader.line_num`` says)."""
    end: int
    """The byte offset just past the record: where the next one starts."""

    @property
    def blank(self) -> bool:
        return self.problem is None and not any(value.strip() for value in self.values)


def _parse(raw: bytes, starts_file: bool, line: int, end: int) -> CsvRecord:
    try:
        text = raw.decode("utf-8-sig" if starts_file else "utf-8")
    except UnicodeDecodeError:
        return CsvRecord((), "the row is not UTF-8 text", line, end)
    try:
        values = next(csv.reader([text]), [])
    except csv.Error as error:
        return CsvRecord((), f"the row is not valid CSV: {error}", line, end)
    return CsvRecord(tuple(values), None, line, end)


async def csv_records(
    chunks: AsyncIterable[bytes], offset: int = 0, lines_before: int = 0
) -> AsyncGenerator[CsvRecord, None]:
    """The records of a file whose bytes from ``offset`` on arrive as ``chunks``;
    ``lines_before`` is how many physical lines precede ``offset``."""
    record: list[bytes] = []
    record_start = record_size = quotes = 0
    position, line, pending = offset, lines_before, b""
    async for chunk in chunks:
        data, start = pending + chunk, 0
        while (newline := data.find(b"\n", start)) >= 0:
            piece, start = data[start : newline + 1], newline + 1
            if not record:
                record_start = position
            record.append(piece)
            position, line = position + len(piece), line + 1
            record_size, quotes = record_size + len(piece), quotes + piece.count(b'"')
            if quotes % 2 == 0:
                yield _parse(b"".join(record), record_start == 0, line, position)
                record, record_size, quotes = [], 0, 0
            elif record_size > MAX_RECORD_BYTES:
                yield CsvRecord((), "a quoted field is never closed", line, position)
                return
        pending = data[start:]
        if record_size + len(pending) > MAX_RECORD_BYTES:
            yield CsvRecord((), f"a row is longer than {MAX_RECORD_BYTES} bytes", line, position)
            return
    if pending or record:
        if not record:
            record_start = position
        record.append(pending)
        position, line = position + len(pending), line + bool(pending)
        yield _parse(b"".join(record), record_start == 0, line, position)
