"""Fetching inbound media from WAHA into our media store (the ``fetch_media`` job).

- WAHA deletes received files after 180 s by default, so the job is scheduled the moment the
  message is stored, and retried with backoff like any job.
- The file is kept under a key of ours; the message records size, type and checksum, and
  agents fetch it from us, never from WAHA.
- A file that cannot be had (too big, a type not allowed, WAHA lost it, a URL that is not one
  of the session's WAHA files, attempts exhausted) is marked on the message with the reason
  (a ``MediaProblem`` code, and the size of one too big when WAHA declared it), never silently
  dropped. The size limit holds while downloading, not after.
- A file too big, in a conversation the assistant is answering, is answered at once with the
  association's ``file_too_large_message`` (``refused_media``): the bot turn, which may already
  have run, cannot read a file that is not there.
- The message records the type the bytes prove when they prove one (``file_types``), else the
  declared one; either way only proven raster images, audio and video are shown inline.
- A contact's voice note, once stored, is queued for transcription in the same transaction
  (``voice_notes``); one whose file cannot be had is marked untranscribable at once.
"""

from __future__ import annotations

import dataclasses
import hashlib
from dataclasses import dataclass

from wa_crm.domain.model.association import Association
from wa_crm.domain.model.file_types import identify
from wa_crm.domain.model.job_commands import FetchMedia
from wa_crm.domain.model.jobs import Attempt
from wa_crm.domain.model.media_refusal import MediaProblem, media_error
from wa_crm.domain.model.message import UNTRANSCRIBABLE
from wa_crm.domain.usecases.inbound.contacts import connection_of
from wa_crm.domain.usecases.inbound.refused_media import tell_file_too_large
from wa_crm.domain.usecases.inbound.voice_notes import (
    queue_transcription,
    settle_transcript,
    will_transcribe,
)
from wa_crm.ports.media import MediaStore
from wa_crm.ports.system import Clock, IdGenerator
from wa_crm.ports.unit_of_work import UnitOfWorkFactory
from wa_crm.ports.whatsapp import GatewayError, GatewayErrorCode, WhatsAppGateway


def media_key(association_id: str, message_id: str) -> str:
    return f"{association_id}/inbound/{message_id}"


@dataclass(frozen=True)
class MediaLimits:
    max_bytes: int = 16 * 1024 * 1024
    allowed_types: tuple[str, ...] = ("image/", "audio/", "video/", "application/pdf", "text/")

    def refusal(self, mimetype: str, size: int) -> MediaProblem | None:
        if size > self.max_bytes:
            return MediaProblem.TOO_LARGE
        if not any(mimetype.startswith(allowed) for allowed in self.allowed_types):
            return MediaProblem.TYPE_NOT_ACCEPTED
        return None


@dataclass(frozen=True)
class FetchInboundMedia:
    uow_factory: UnitOfWorkFactory
    gateway: WhatsAppGateway
    media: MediaStore
    limits: MediaLimits
    clock: Clock
    ids: IdGenerator
    transcriber: bool = False
    """The deployment has a transcriber: voice notes may be queued for one."""

    async def __call__(self, command: FetchMedia, attempt: Attempt) -> None:
        association_id, message_id = command.association_id, command.message_id
        async with self.uow_factory() as uow:
            association = await uow.associations.get(association_id)
            message = await uow.messages.get(association_id, message_id)
        if association is None or message is None or message.media is None:
            return
        if message.media.stored or not message.media.url:
            return
        try:
            data = await self.gateway.download_media(
                connection_of(association), message.media.url, self.limits.max_bytes
            )
        except GatewayError as error:
            if error.retryable and not attempt.is_last:
                raise
            if error.code is GatewayErrorCode.TOO_LARGE:
                await self._record(
                    association,
                    message_id,
                    error=media_error(MediaProblem.TOO_LARGE),
                    size=error.size,
                )
            else:
                error_text = media_error(MediaProblem.NOT_FETCHED, str(error))
                await self._record(association, message_id, error=error_text)
            return
        mimetype = identify(data, message.media.mimetype) or message.media.mimetype
        refusal = self.limits.refusal(mimetype, len(data))
        if refusal is not None:
            await self._record(association, message_id, error=media_error(refusal), size=len(data))
            return
        key = media_key(association_id, message_id)
        await self.media.put(key, data, mimetype)
        checksum = hashlib.sha256(data).hexdigest()
        recorded = await self._record(
            association,
            message_id,
            url=key,
            mimetype=mimetype,
            size=len(data),
            checksum=checksum,
            stored=True,
        )
        if not recorded:  # purged or erased meanwhile: its file must not outlive it
            await self.media.delete(key)

    async def _record(self, association: Association, message_id: str, **changes: object) -> bool:
        """False when the message is gone."""
        async with self.uow_factory() as uow:
            message = await uow.messages.get(association.id, message_id)
            if message is None or message.media is None:
                return False
            media = dataclasses.replace(message.media, **changes)  # type: ignore[arg-type]
            message.store_media(media)
            transcribing = will_transcribe(association, message, self.transcriber)
            now = self.clock.now()
            if transcribing and not media.stored and message.transcript is None:
                await settle_transcript(uow, association, message, UNTRANSCRIBABLE, now)
            else:
                await uow.messages.update(message)
                if transcribing and media.stored:
                    await queue_transcription(uow, message, now)
            if media.error == MediaProblem.TOO_LARGE:
                await tell_file_too_large(
                    uow, self.ids, association, message, self.limits.max_bytes, now
                )
            await uow.commit()
        return True
