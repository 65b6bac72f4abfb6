"""The ``Transcriber`` port: a voice note's audio in, its text out (architecture.md section 3)."""

from __future__ import annotations

from typing import Protocol


class TranscriptionError(Exception):
    """No transcript can be had now; ``retryable`` when a later attempt may succeed."""

    def __init__(self, message: str, *, retryable: bool) -> None:
        super().__init__(message)
        self.retryable = retryable


class Transcriber(Protocol):
    async def transcribe(
        self, audio: bytes, filename: str, mimetype: str, language: str = "pt"
    ) -> str:
        """The audio's text; raises TranscriptionError."""
        ...
