"""Voice notes turned into text (the ``transcribe_voice_note`` job), for the assistant and the
agents (architecture.md sections 3 and 4).

- The media fetch queues the job in the transaction that records the stored file, when the
  deployment has a transcriber and the association's ``bot.transcribe_voice_notes`` is on.
- The job reads the file from our media store and asks the transcriber, in the association's
  language. The transcript is stored on the message, whose change reaches the inbox live.
- A retryable failure is retried with the runner's backoff; a final one, or a file that could
  not be fetched, stores ``UNTRANSCRIBABLE``: the contact is never left waiting for a text that
  will not come.
- Either way, in a conversation the bot answers, a bot turn is queued (under the same key as
  ingest's, so the two make one turn) to answer what the voice note said, or to say it could
  not be heard.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from wa_crm.domain.model.association import Association, Locale
from wa_crm.domain.model.job_codec import new_job
from wa_crm.domain.model.job_commands import BotTurn, TranscribeVoiceNote
from wa_crm.domain.model.jobs import Attempt
from wa_crm.domain.model.message import (
    UNTRANSCRIBABLE,
    Direction,
    Media,
    Message,
    MessageType,
)
from wa_crm.domain.usecases.bot.emergency import emergency_without_the_bot
from wa_crm.ports.media import MediaStore
from wa_crm.ports.system import Clock, IdGenerator
from wa_crm.ports.transcriber import Transcriber, TranscriptionError
from wa_crm.ports.unit_of_work import UnitOfWork, UnitOfWorkFactory

_log = logging.getLogger("wa_crm.voice_notes")


def will_transcribe(association: Association, message: Message, transcriber: bool) -> bool:
    """Whether this message is a contact's voice note the deployment (``transcriber``: it has
    one) and the association want in text."""
    return (
        transcriber
        and association.bot.transcribe_voice_notes
        and message.direction is Direction.IN
        and message.type is MessageType.AUDIO
    )


def awaiting_transcript(association: Association, message: Message, transcriber: bool) -> bool:
    """A voice note whose transcript is still to come: a bot turn that finds one waits, since
    settling it queues the turn again. One without a file to fetch never gets a transcript, so
    is not waited for."""
    media = message.media
    fetchable = media is not None and media.error is None and bool(media.url)
    return (
        will_transcribe(association, message, transcriber)
        and message.transcript is None
        and fetchable
    )


async def queue_transcription(uow: UnitOfWork, message: Message, now: datetime) -> None:
    await uow.jobs.schedule(
        new_job(
            TranscribeVoiceNote(message.association_id, message.id),
            key=f"{TranscribeVoiceNote.kind}:{message.id}",
            run_after=now,
        ),
        now,
    )


async def settle_transcript(
    uow: UnitOfWork, association: Association, message: Message, transcript: str, now: datetime
) -> None:
    """Store what the voice note said (or ``UNTRANSCRIBABLE``) and, when the bot answers the
    conversation, queue its turn. The caller commits."""
    message.transcribe(transcript)
    await uow.messages.update(message)
    conversation = await uow.conversations.get(association.id, message.conversation_id)
    if conversation is None or not conversation.bot_may_speak:
        return
    debounce = timedelta(seconds=association.bot.debounce_seconds)
    await uow.jobs.schedule(
        new_job(
            BotTurn(association.id, conversation.id),
            key=f"{BotTurn.kind}:{conversation.id}",
            run_after=now + debounce,
        ),
        now,
    )


_EXTENSIONS = {
    "audio/ogg": "ogg",
    "audio/mpeg": "mp3",
    "audio/mp4": "m4a",
    "audio/aac": "m4a",
    "audio/wav": "wav",
    "audio/webm": "webm",
    "audio/flac": "flac",
}


def audio_filename(media: Media) -> str:
    """The file's name, or one whose extension says its format: WhatsApp's voice notes have no
    name, and transcription servers tell the format by the extension."""
    if media.filename:
        return media.filename
    base = media.mimetype.split(";", 1)[0].strip().lower()
    return f"voice-note.{_EXTENSIONS.get(base, 'ogg')}"


def transcription_language(association: Association) -> str:
    """The ISO-639-1 code transcription servers take."""
    return "en" if association.locale is Locale.EN else "pt"


@dataclass(frozen=True)
class TranscribeVoiceNotes:
    """The ``transcribe_voice_note`` job's handler. ``transcriber`` None: the deployment lost
    its transcriber while jobs were queued, so they settle as untranscribable.

    A transcript reporting an emergency in a conversation the bot does not answer gets what a
    written one gets there (``emergency_without_the_bot``); the bot turn reads it otherwise."""

    uow_factory: UnitOfWorkFactory
    media: MediaStore
    transcriber: Transcriber | None
    clock: Clock
    ids: IdGenerator

    async def __call__(self, command: TranscribeVoiceNote, attempt: Attempt) -> None:
        async with self.uow_factory() as uow:
            association = await uow.associations.get(command.association_id)
            message = await uow.messages.get(command.association_id, command.message_id)
        if association is None or message is None or message.transcript is not None:
            return  # erased, purged, or already settled by an earlier run
        media = message.media
        audio = await self.media.get(media.url) if media and media.stored and media.url else None
        transcript = UNTRANSCRIBABLE
        if audio is not None and media is not None and self.transcriber is not None:
            try:
                transcript = await self.transcriber.transcribe(
                    audio,
                    audio_filename(media),
                    media.mimetype,
                    transcription_language(association),
                )
            except TranscriptionError as error:
                if error.retryable and not attempt.is_last:
                    raise
                _log.warning(
                    "voice note not transcribed",
                    extra={"message_id": message.id, "reason": str(error)},
                )
        await self._settle(association, command.message_id, transcript)

    async def _settle(self, association: Association, message_id: str, transcript: str) -> None:
        """On the message read again: the media fetch or an agent may have changed it."""
        async with self.uow_factory() as uow:
            message = await uow.messages.get(association.id, message_id)
            if message is None or message.transcript is not None:
                return
            now = self.clock.now()
            await settle_transcript(uow, association, message, transcript, now)
            conversation = await uow.conversations.get(association.id, message.conversation_id)
            contact = (
                await uow.contacts.get(association.id, conversation.contact_id)
                if conversation is not None
                else None
            )
            if conversation is not None and contact is not None:
                await emergency_without_the_bot(
                    uow,
                    self.ids,
                    association,
                    conversation,
                    transcript,
                    now,
                    contact_opted_out=contact.opted_out,
                )
            await uow.commit()
