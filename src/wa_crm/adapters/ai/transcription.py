"""``WhisperTranscriber``: the Transcriber port over the OpenAI-compatible transcription API.

``POST {base_url}/v1/audio/transcriptions`` with a multipart form (``file``, ``model``,
``language``, ``response_format=json``) answering ``{"text": "..."}``: OpenAI's own API, and
the self-hosted Whisper servers that copy it (faster-whisper-server, whisper.cpp's server,
LocalAI), so a deployment keeps voice notes on its own machines if it wants to
(architecture.md section 3).

Failures are ``TranscriptionError``s, retryable when a later attempt may succeed: a timeout, an
unreachable server, 408, 429 and 5xx. A refusal (401, a model the server lacks, an audio it
cannot decode) or an answer that is not a transcription is final. Messages name the server by
host and port only and never quote the API key, the audio or what the server heard.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import httpx

from wa_crm.adapters.ai.errors import error_for_response, error_for_transport
from wa_crm.ports.ai import AIProviderErrorKind
from wa_crm.ports.transcriber import TranscriptionError

_RETRYABLE = frozenset(
    {
        AIProviderErrorKind.TIMEOUT,
        AIProviderErrorKind.UNREACHABLE,
        AIProviderErrorKind.RATE_LIMITED,
        AIProviderErrorKind.SERVER_ERROR,
    }
)


class WhisperTranscriber:
    def __init__(
        self,
        base_url: str,
        api_key: str | None,
        model: str,
        *,
        timeout: float = 60.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        """``base_url`` with or without the trailing ``/v1``; ``api_key`` None sends no
        ``Authorization`` (a local server). A minute of audio takes a CPU Whisper some seconds,
        hence the generous read timeout; connecting must be quick."""
        root = base_url.strip().rstrip("/")
        self.url = (
            f"{root}/audio/transcriptions"
            if root.endswith("/v1")
            else f"{root}/v1/audio/transcriptions"
        )
        self.model = model
        self._api_key = api_key
        self._where = f"the transcription server at {_host(self.url) or 'an unusable URL'}"
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._client = httpx.AsyncClient(
            headers=headers,
            timeout=httpx.Timeout(timeout, connect=min(timeout, 5.0)),
            transport=transport,
            limits=httpx.Limits(max_connections=10, max_keepalive_connections=2),
        )

    async def aclose(self) -> None:
        await self._client.aclose()

    async def transcribe(
        self, audio: bytes, filename: str, mimetype: str, language: str = "pt"
    ) -> str:
        form = {"model": self.model, "language": language, "response_format": "json"}
        try:
            response = await self._client.post(
                self.url, data=form, files={"file": (filename, audio, mimetype)}
            )
        except (httpx.HTTPError, httpx.InvalidURL) as error:
            failure = error_for_transport(self._where, error)
            raise TranscriptionError(str(failure), retryable=True) from None
        if not response.is_success:
            failure = error_for_response(self._where, response, api_key=self._api_key)
            raise TranscriptionError(str(failure), retryable=failure.kind in _RETRYABLE)
        return self._text(response)

    def _text(self, response: httpx.Response) -> str:
        try:
            data: Any = response.json()
        except ValueError:
            raise self._bad_reply("a body that is not JSON") from None
        text = data.get("text") if isinstance(data, dict) else None
        if not isinstance(text, str):
            raise self._bad_reply('no "text": not a transcription')
        return " ".join(text.split())

    def _bad_reply(self, what: str) -> TranscriptionError:
        return TranscriptionError(f"{self._where} answered with {what}", retryable=False)


def _host(url: str) -> str | None:
    """Host and port only: a URL may carry credentials."""
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError:
        return None
    return f"{parts.hostname}:{port}" if port and parts.hostname else parts.hostname
