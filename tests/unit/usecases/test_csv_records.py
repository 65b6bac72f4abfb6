"""CSV records read from streamed bytes: the same rows as ``csv`` in any chunking, and a resume
from any record's end gives exactly the records after it."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator

from hypothesis import given
from hypothesis import strategies as st

from wa_crm.domain.usecases.registry.csv_records import MAX_RECORD_BYTES, CsvRecord, csv_records

FIELD = st.text(alphabet=st.sampled_from('ab é,"\n\r;ção🙂'), max_size=8)
ROWS = st.lists(st.lists(FIELD, min_size=1, max_size=4), min_size=1, max_size=8)


async def chunks(data: bytes, size: int) -> AsyncIterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


async def read(data: bytes, size: int, offset: int = 0, lines: int = 0) -> list[CsvRecord]:
    return [record async for record in csv_records(chunks(data[offset:], size), offset, lines)]


def written(rows: list[list[str]]) -> bytes:
    text = io.StringIO()
    csv.writer(text).writerows(rows)
    return text.getvalue().encode()


@given(rows=ROWS, size=st.integers(1, 64))
async def test_records_are_the_rows_csv_reads_in_any_chunking(
    rows: list[list[str]], size: int
) -> None:
    data = written(rows)
    expected = list(csv.reader(io.StringIO(data.decode(), newline="")))

    records = await read(data, size)

    assert [list(record.values) for record in records] == expected
    assert records[-1].end == len(data)


@given(rows=ROWS, size=st.integers(1, 64), cut=st.integers(0, 7))
async def test_a_resume_from_a_record_end_reads_the_records_after_it(
    rows: list[list[str]], size: int, cut: int
) -> None:
    data = written(rows)
    records = await read(data, size)
    resumed_at = records[min(cut, len(records) - 1)]

    rest = await read(data, size, resumed_at.end, resumed_at.line)

    assert rest == records[records.index(resumed_at) + 1 :]


async def test_line_numbers_count_physical_lines_and_a_bom_is_not_a_value() -> None:
    data = '\ufeffid,note\r\n1,"two\nlines"\n\n2,x'.encode()

    records = await read(data, 5)

    assert [(r.values, r.line) for r in records] == [
        (("id", "note"), 1),
        (("1", "two\nlines"), 3),
        ((), 4),
        (("2", "x"), 5),
    ]
    assert records[2].blank


async def test_a_row_that_is_not_utf8_is_reported_and_reading_goes_on() -> None:
    records = await read(b"a\n\xff\xfe\nb\n", 2)

    assert [(r.values, r.problem) for r in records] == [
        (("a",), None),
        ((), "the row is not UTF-8 text"),
        (("b",), None),
    ]


async def test_a_quote_never_closed_ends_the_file_with_a_problem_not_a_huge_record() -> None:
    data = b'id\n"open' + b"x\n" * MAX_RECORD_BYTES

    records = await read(data, 4096)

    assert records[-1].problem == "a quoted field is never closed"
    assert len(records) == 2
