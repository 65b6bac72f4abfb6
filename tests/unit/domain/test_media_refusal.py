"""Why a contact's file was not kept: stable codes (old free-form rows read too), sizes in the
association's language, and the assistant's sentence with the file's name."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from wa_crm.domain.model.association import BotSettings, Locale
from wa_crm.domain.model.media_refusal import (
    MAX_NAME_SHOWN,
    MediaProblem,
    format_size,
    media_error,
    problem_of,
    size_of,
    too_large_reply,
)
from wa_crm.domain.model.message import Media

MB = 1024 * 1024
LIMIT = 16 * MB


def test_codes_are_stored_with_an_optional_detail_and_read_back() -> None:
    assert media_error(MediaProblem.TOO_LARGE) == "too_large"
    stored = media_error(MediaProblem.NOT_FETCHED, "timeout: media took over 60 s")
    assert stored == "not_fetched: timeout: media took over 60 s"
    assert problem_of(stored) is MediaProblem.NOT_FETCHED
    assert problem_of("too_large") is MediaProblem.TOO_LARGE
    assert problem_of("type_not_accepted") is MediaProblem.TYPE_NOT_ACCEPTED
    assert problem_of(None) is None
    assert problem_of("") is None


def test_rows_written_before_the_codes_stay_readable() -> None:
    old_refusal = "file of 24117248 bytes is over the limit of 16777216"
    assert problem_of(old_refusal) is MediaProblem.TOO_LARGE
    assert size_of(None, old_refusal) == 24117248
    assert problem_of("file type application/zip is not accepted") is (
        MediaProblem.TYPE_NOT_ACCEPTED
    )
    gateway_said = "not fetched: too_large: media is over the limit of 16777216 bytes"
    assert problem_of(gateway_said) is MediaProblem.TOO_LARGE
    assert problem_of("not fetched: rejected: WAHA answered 404") is MediaProblem.NOT_FETCHED
    assert problem_of("not fetched") is MediaProblem.NOT_FETCHED
    assert problem_of("something nobody wrote down") is MediaProblem.NOT_FETCHED
    assert size_of(2048, "too_large") == 2048
    assert size_of(None, "too_large") is None


def test_the_message_snapshot_carries_the_code_for_the_inbox() -> None:
    media = Media(None, "application/pdf", "relatorio.pdf", error="too_large", size=23 * MB)
    snapshot = {"error_code": problem_of(media.error), "size": size_of(media.size, media.error)}
    assert snapshot == {"error_code": "too_large", "size": 23 * MB}


def test_sizes_read_as_people_write_them_in_each_language() -> None:
    assert format_size(23 * MB, Locale.PT_BR) == "23 MB"
    assert format_size(int(1.5 * MB), Locale.PT_BR) == "1,5 MB"
    assert format_size(int(1.5 * MB), Locale.EN) == "1.5 MB"
    assert format_size(16 * MB, Locale.EN) == "16 MB"
    assert format_size(800 * 1024, Locale.PT_BR) == "800 kB"
    assert format_size(12, Locale.PT_BR) == "12 B"
    assert format_size(MB, Locale.PT_BR) == "1 MB"


@given(st.integers(min_value=0, max_value=10**12))
def test_a_size_is_a_number_and_a_unit(size: int) -> None:
    number, unit = format_size(size, Locale.PT_BR).split(" ")
    assert unit in ("B", "kB", "MB")
    assert "." not in number and float(number.replace(",", ".")) >= 0


def test_the_assistant_names_the_file_and_both_sizes() -> None:
    template = BotSettings().file_too_large_message
    text = too_large_reply(template, "relatorio.pdf", 23 * MB, LIMIT, Locale.PT_BR)
    assert text == (
        "Não consegui abrir o arquivo relatorio.pdf (23 MB): ele é maior que o limite de 16 MB. "
        "Pode enviar um arquivo menor ou uma foto?"
    )


def test_a_nameless_file_of_unknown_size_leaves_no_gap() -> None:
    template = BotSettings().file_too_large_message
    text = too_large_reply(template, None, None, LIMIT, Locale.PT_BR)
    assert text.startswith("Não consegui abrir o arquivo (mais de 16 MB): ")
    english = too_large_reply("{filename} ({size}) is over {limit}.", None, None, LIMIT, Locale.EN)
    assert english == "(more than 16 MB) is over 16 MB."


def test_the_contacts_file_name_is_one_short_line() -> None:
    name = "laudo\n*urgente*\x00" + "x" * 200 + ".pdf"
    text = too_large_reply("[{filename}]", name, 17 * MB, LIMIT, Locale.PT_BR)
    shown = text[1:-1]
    assert "\n" not in shown and "\x00" not in shown
    assert len(shown) == MAX_NAME_SHOWN and shown.endswith("…")
