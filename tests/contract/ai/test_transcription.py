"""The Transcriber contract against ``WhisperTranscriber`` over real HTTP, with the fake
OpenAI-compatible server's ``/v1/audio/transcriptions`` on the other side: the multipart form
it sends, the text it returns, and which failures a later attempt may cure."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

import httpx
import pytest

from wa_crm.adapters.ai.transcription import WhisperTranscriber
from wa_crm.ports.transcriber import TranscriptionError
from wa_crm.testing import serve_app
from wa_crm.testing.fake_ai_servers import (
    Delay,
    FakeAIServer,
    HttpError,
    RawBody,
    RawJson,
    Text,
    create_fake_openai_app,
)

from .suite import API_KEY, TIMEOUT, closed_port_url, quick_transport

VOICE = b"OggS\x00\x02voice-note-asking-for-the-order"
SAID = "Oi, qual é o status do meu pedido?"
PATH = "/v1/audio/transcriptions"


@pytest.fixture
async def served() -> AsyncIterator[tuple[str, FakeAIServer]]:
    app = create_fake_openai_app(api_key=API_KEY)
    fake: FakeAIServer = app.state.fake
    fake.transcripts[VOICE] = f"  {SAID}\n"
    async with serve_app(app) as url:
        yield url, fake


def _transcriber(url: str, *, api_key: str | None = API_KEY) -> WhisperTranscriber:
    return WhisperTranscriber(
        url, api_key, "whisper-1", timeout=TIMEOUT, transport=quick_transport()
    )


async def test_the_voice_note_comes_back_as_its_text(served: tuple[str, FakeAIServer]) -> None:
    url, fake = served
    transcriber = _transcriber(url)

    text = await transcriber.transcribe(VOICE, "voice.ogg", "audio/ogg; codecs=opus", "pt")

    assert text == SAID  # the server's spacing and line break trimmed
    (request,) = fake.requests
    assert request.path == PATH
    assert request.headers["authorization"] == f"Bearer {API_KEY}"
    assert request.body == {
        "model": "whisper-1",
        "language": "pt",
        "response_format": "json",
        "file": {
            "filename": "voice.ogg",
            "content_type": "audio/ogg; codecs=opus",
            "size": len(VOICE),
        },
    }
    await transcriber.aclose()


async def test_the_language_and_a_base_url_ending_in_v1_are_honoured(
    served: tuple[str, FakeAIServer],
) -> None:
    url, fake = served
    transcriber = _transcriber(f"{url}/v1/")

    assert await transcriber.transcribe(VOICE, "a.ogg", "audio/ogg", "en") == SAID
    assert fake.requests[-1].path == PATH
    assert fake.requests[-1].body["language"] == "en"
    await transcriber.aclose()


async def test_a_server_without_a_key_gets_no_authorization() -> None:
    app = create_fake_openai_app()
    app.state.fake.transcripts[VOICE] = SAID
    async with serve_app(app) as url:
        transcriber = _transcriber(url, api_key=None)
        assert await transcriber.transcribe(VOICE, "a.ogg", "audio/ogg") == SAID
    assert "authorization" not in app.state.fake.requests[-1].headers
    await transcriber.aclose()


@pytest.mark.parametrize(
    "answer",
    [HttpError(429), HttpError(500), HttpError(503), HttpError(408), Delay(5)],
    ids=["rate-limited", "server-error", "overloaded", "request-timeout", "too-slow"],
)
async def test_what_a_later_attempt_may_cure_is_retryable(
    served: tuple[str, FakeAIServer], answer: HttpError | Delay
) -> None:
    url, fake = served
    fake.push_transcription(answer)
    transcriber = _transcriber(url)

    with pytest.raises(TranscriptionError) as raised:
        await transcriber.transcribe(VOICE, "a.ogg", "audio/ogg")

    assert raised.value.retryable is True
    fake.release()
    assert await transcriber.transcribe(VOICE, "a.ogg", "audio/ogg") == SAID  # then it works
    await transcriber.aclose()


async def test_an_unreachable_server_is_retryable() -> None:
    transcriber = _transcriber(closed_port_url())

    with pytest.raises(TranscriptionError) as raised:
        await transcriber.transcribe(VOICE, "a.ogg", "audio/ogg")

    assert raised.value.retryable is True
    assert "unreachable" in str(raised.value)
    await transcriber.aclose()


@pytest.mark.parametrize(
    ("answer", "audio", "said"),
    [
        (None, b"not audio at all", "corrupted or unsupported"),
        (HttpError(404, "The model `whisper-1` does not exist"), VOICE, "404"),
        (RawBody("<html>proxy</html>", content_type="text/html"), VOICE, "not JSON"),
        (RawJson({"transcript": SAID}), VOICE, 'no "text"'),
    ],
    ids=["not-audio", "unknown-model", "not-json", "not-a-transcription"],
)
async def test_a_refusal_or_a_reply_that_is_no_transcription_is_final(
    served: tuple[str, FakeAIServer],
    answer: HttpError | RawBody | RawJson | None,
    audio: bytes,
    said: str,
) -> None:
    url, fake = served
    if answer is not None:
        fake.push_transcription(answer)
    transcriber = _transcriber(url)

    with pytest.raises(TranscriptionError) as raised:
        await transcriber.transcribe(audio, "a.ogg", "audio/ogg")

    assert raised.value.retryable is False
    assert said in str(raised.value)
    assert SAID not in str(raised.value)
    await transcriber.aclose()


async def test_a_refused_key_is_final_and_never_quoted(
    served: tuple[str, FakeAIServer], caplog: pytest.LogCaptureFixture
) -> None:
    url, _ = served
    wrong = "sk-wrong-key-that-must-not-leak-0123456789"
    transcriber = _transcriber(url, api_key=wrong)

    with caplog.at_level(logging.DEBUG), pytest.raises(TranscriptionError) as raised:
        await transcriber.transcribe(VOICE, "a.ogg", "audio/ogg")

    assert raised.value.retryable is False
    assert "401" in str(raised.value)
    assert wrong not in str(raised.value)
    assert wrong not in caplog.text
    await transcriber.aclose()


async def test_a_scripted_text_overrides_the_table(served: tuple[str, FakeAIServer]) -> None:
    url, fake = served
    fake.push_transcription(Text("outra coisa"))
    transcriber = _transcriber(url)

    assert await transcriber.transcribe(VOICE, "a.ogg", "audio/ogg") == "outra coisa"
    assert await transcriber.transcribe(VOICE, "a.ogg", "audio/ogg") == SAID
    await transcriber.aclose()


async def test_the_fake_refuses_what_the_real_api_refuses(
    served: tuple[str, FakeAIServer],
) -> None:
    url, fake = served
    headers = {"authorization": f"Bearer {API_KEY}"}
    audio = {"file": ("a.ogg", VOICE, "audio/ogg")}
    async with httpx.AsyncClient(base_url=url, headers=headers) as client:
        no_file = await client.post(PATH, files={"model": (None, "whisper-1")})
        no_model = await client.post(PATH, files=audio)
        not_a_form = await client.post(PATH, json={"model": "whisper-1"})
        bad_language = await client.post(
            PATH, data={"model": "whisper-1", "language": "Português"}, files=audio
        )
        as_text = await client.post(
            PATH, data={"model": "whisper-1", "response_format": "text"}, files=audio
        )

    assert no_file.status_code == 400
    assert "file" in no_file.json()["error"]["message"]
    assert no_model.status_code == 400
    assert "model" in no_model.json()["error"]["message"]
    assert not_a_form.status_code == 400
    assert "multipart/form-data" in not_a_form.json()["error"]["message"]
    assert bad_language.status_code == 400
    assert bad_language.json()["error"]["param"] == "language"
    assert as_text.status_code == 200
    assert as_text.text == fake.transcripts[VOICE]
    assert [request.status for request in fake.requests] == [400, 400, 400, 400, 200]
