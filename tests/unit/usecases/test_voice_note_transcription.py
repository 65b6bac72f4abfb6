"""Voice notes on the memory adapters: the media fetch queues a transcription when the deployment
and the association want one, the job stores the transcript (or marks it untranscribable when it
fails for good, or when the file could not be had) and, in a conversation with the bot, queues
the turn that answers it."""

from __future__ import annotations

import dataclasses
import functools
from datetime import timedelta

import pytest

from wa_crm.adapters.memory import InMemoryMediaStore, InMemoryStore, InMemoryUnitOfWork
from wa_crm.adapters.memory.whatsapp import InMemoryWhatsAppGateway
from wa_crm.domain.model.association import (
    Association,
    BotSettings,
    Locale,
    WhatsAppSettings,
)
from wa_crm.domain.model.conversation import Channel, Conversation
from wa_crm.domain.model.events import MessageChanged
from wa_crm.domain.model.job_codec import new_job
from wa_crm.domain.model.job_commands import BotTurn, FetchMedia, TranscribeVoiceNote
from wa_crm.domain.model.jobs import Backoff, JobStatus, NewJob
from wa_crm.domain.model.message import (
    Author,
    Direction,
    Media,
    Message,
    MessageStatus,
    MessageType,
)
from wa_crm.domain.model.people import Contact
from wa_crm.domain.usecases.inbound.media import FetchInboundMedia, MediaLimits
from wa_crm.domain.usecases.inbound.voice_notes import (
    TranscribeVoiceNotes,
    audio_filename,
    awaiting_transcript,
    queue_transcription,
)
from wa_crm.domain.usecases.runtime.runner import JobRunner
from wa_crm.ports.transcriber import TranscriptionError
from wa_crm.testing.clock import FakeClock, SequentialIds

ASSOCIATION = "assoc-voice"
WAHA_FILE = "http://waha.test/api/files/default/voice.oga"
VOICE = b"OggS\x00\x02" + b"voice" * 20
SAID = "Qual o status do meu pedido?"
FAST = Backoff(base_seconds=1, max_seconds=1)


class ScriptedTranscriber:
    """Answers from a script (a text, or a TranscriptionError to raise), then ``SAID``."""

    def __init__(self, *script: str | TranscriptionError) -> None:
        self.script = list(script)
        self.calls: list[tuple[bytes, str, str, str]] = []

    async def transcribe(
        self, audio: bytes, filename: str, mimetype: str, language: str = "pt"
    ) -> str:
        self.calls.append((audio, filename, mimetype, language))
        answer = self.script.pop(0) if self.script else SAID
        if isinstance(answer, TranscriptionError):
            raise answer
        return answer


class World:
    def __init__(
        self,
        transcriber: ScriptedTranscriber | None,
        *,
        locale: Locale = Locale.PT_BR,
        transcribe_voice_notes: bool = True,
    ) -> None:
        self.clock = FakeClock()
        self.ids = SequentialIds()
        self.store = InMemoryStore()
        self.uow_factory = functools.partial(InMemoryUnitOfWork, self.store)
        self.media = InMemoryMediaStore()
        self.gateway = InMemoryWhatsAppGateway()
        self.gateway.media[WAHA_FILE] = VOICE
        self.transcriber = transcriber
        self.association = Association(
            ASSOCIATION,
            "voz",
            "Associação Voz",
            self.clock.now(),
            locale=locale,
            whatsapp=WhatsAppSettings("http://waha.test", "key"),
            bot=BotSettings(transcribe_voice_notes=transcribe_voice_notes, debounce_seconds=3),
        )
        fetch = FetchInboundMedia(
            self.uow_factory,
            self.gateway,
            self.media,
            MediaLimits(),
            self.clock,
            self.ids,
            transcriber=transcriber is not None,
        )
        transcribe = TranscribeVoiceNotes(
            self.uow_factory, self.media, transcriber, self.clock, self.ids
        )
        self.runner = JobRunner(
            self.uow_factory,
            self.clock,
            {FetchMedia: fetch, TranscribeVoiceNote: transcribe},
            "worker",
            backoff=FAST,
        )

    async def receive(
        self,
        kind: MessageType = MessageType.AUDIO,
        *,
        with_bot: bool = True,
        mimetype: str = "audio/ogg; codecs=opus",
    ) -> Message:
        """An inbound message with a file in a new conversation, its fetch queued."""
        conversation = Conversation.open(
            id="conv-1",
            association_id=ASSOCIATION,
            contact_id="contact-1",
            channel=Channel.WHATSAPP,
            session="default",
            at=self.clock.now(),
            bot_available=with_bot,
        )
        message = Message(
            "msg-1",
            ASSOCIATION,
            conversation.id,
            Direction.IN,
            Author.CONTACT,
            kind,
            "",
            MessageStatus.RECEIVED,
            self.clock.now(),
            media=Media(WAHA_FILE, mimetype, "voice.oga"),
        )
        contact = Contact("contact-1", ASSOCIATION, "5511988887777@c.us", self.clock.now())
        async with self.uow_factory() as uow:
            await uow.associations.add(self.association)
            await uow.contacts.add(contact)
            await uow.conversations.add(conversation)
            await uow.messages.add(message)
            await uow.jobs.schedule(_fetch_job(message), self.clock.now())
            await uow.commit()
        return message

    async def run(self) -> None:
        while await self.runner.run_due():
            pass

    async def message(self) -> Message:
        async with self.uow_factory() as uow:
            found = await uow.messages.get(ASSOCIATION, "msg-1")
        assert found is not None
        return found

    async def job(self, key: str) -> JobStatus | None:
        async with self.uow_factory() as uow:
            job = await uow.jobs.get_by_key(key)
        return None if job is None else job.status

    async def bot_turn_after(self) -> timedelta | None:
        async with self.uow_factory() as uow:
            job = await uow.jobs.get_by_key(f"{BotTurn.kind}:conv-1")
        return None if job is None else job.run_after - self.clock.now()


def _fetch_job(message: Message) -> NewJob:
    """As ingest queues it."""
    return new_job(
        FetchMedia(message.association_id, message.id),
        key=f"{FetchMedia.kind}:{message.id}",
        run_after=message.created_at,
    )


TRANSCRIPTION = f"{TranscribeVoiceNote.kind}:msg-1"


async def test_a_fetched_voice_note_is_transcribed_and_the_bot_turn_queued() -> None:
    transcriber = ScriptedTranscriber()
    world = World(transcriber)
    await world.receive()

    await world.run()

    message = await world.message()
    assert message.transcript == SAID
    assert message.media is not None and message.media.stored
    assert transcriber.calls == [(VOICE, "voice.oga", "audio/ogg", "pt")]
    assert await world.job(TRANSCRIPTION) is JobStatus.DONE
    assert await world.bot_turn_after() == timedelta(seconds=3)  # the association's debounce


async def test_the_transcript_change_is_a_fact_the_inbox_receives() -> None:
    world = World(ScriptedTranscriber())
    message = await world.receive()
    message.transcribe(SAID)

    (fact,) = message.collect_facts()

    assert isinstance(fact, MessageChanged)
    assert fact.message.transcript == SAID
    assert fact.message.snapshot()["transcript"] == SAID


async def test_english_associations_are_transcribed_in_english() -> None:
    transcriber = ScriptedTranscriber()
    world = World(transcriber, locale=Locale.EN)
    await world.receive()

    await world.run()

    assert [call[3] for call in transcriber.calls] == ["en"]


async def test_a_conversation_with_people_gets_the_transcript_and_no_bot_turn() -> None:
    world = World(ScriptedTranscriber())
    await world.receive(with_bot=False)

    await world.run()

    assert (await world.message()).transcript == SAID
    assert await world.bot_turn_after() is None


async def test_an_emergency_said_in_a_voice_note_to_people_gets_the_numbers_and_the_mark() -> None:
    world = World(ScriptedTranscriber("Socorro, minha mãe desmaiou e está com falta de ar"))
    await world.receive(with_bot=False)

    await world.run()

    async with world.uow_factory() as uow:
        conversation = await uow.conversations.get(ASSOCIATION, "conv-1")
        sent = await uow.messages.list_for_conversation(
            ASSOCIATION, "conv-1", before=None, limit=10
        )
    assert conversation is not None and conversation.urgent
    assert [m.body for m in sent if m.direction is Direction.OUT] == [
        world.association.bot.emergency_message
    ]


@pytest.mark.parametrize(
    ("transcriber", "switched_on", "kind", "mimetype"),
    [
        (None, True, MessageType.AUDIO, "audio/ogg"),
        (ScriptedTranscriber(), False, MessageType.AUDIO, "audio/ogg"),
        (ScriptedTranscriber(), True, MessageType.IMAGE, "image/jpeg"),
    ],
    ids=["no-transcriber", "association-said-no", "not-a-voice-note"],
)
async def test_nothing_is_transcribed_unless_both_want_it_for_a_voice_note(
    transcriber: ScriptedTranscriber | None,
    switched_on: bool,
    kind: MessageType,
    mimetype: str,
) -> None:
    world = World(transcriber, transcribe_voice_notes=switched_on)
    await world.receive(kind, mimetype=mimetype)

    await world.run()

    message = await world.message()
    assert message.media is not None and message.media.stored
    assert message.transcript is None
    assert await world.job(TRANSCRIPTION) is None
    assert await world.bot_turn_after() is None  # ingest's turn is the only one


async def test_a_retryable_failure_is_retried_with_backoff() -> None:
    transcriber = ScriptedTranscriber(TranscriptionError("503", retryable=True))
    world = World(transcriber)
    await world.receive()

    await world.run()
    assert (await world.message()).transcript is None
    assert await world.job(TRANSCRIPTION) is JobStatus.PENDING

    world.clock.advance(1)
    await world.run()

    assert (await world.message()).transcript == SAID
    assert len(transcriber.calls) == 2


async def test_giving_up_marks_it_untranscribable_and_still_queues_the_turn() -> None:
    transcriber = ScriptedTranscriber(
        *(TranscriptionError("timeout", retryable=True) for _ in range(10))
    )
    world = World(transcriber)
    await world.receive()

    for _ in range(6):  # the default max_attempts
        await world.run()
        world.clock.advance(1)

    assert len(transcriber.calls) == 6
    assert (await world.message()).transcript == ""
    assert await world.job(TRANSCRIPTION) is JobStatus.DONE
    assert await world.bot_turn_after() is not None


async def test_a_refusal_is_final_at_once() -> None:
    transcriber = ScriptedTranscriber(TranscriptionError("not audio", retryable=False))
    world = World(transcriber)
    await world.receive()

    await world.run()

    assert len(transcriber.calls) == 1
    assert (await world.message()).transcript == ""
    assert await world.bot_turn_after() is not None


async def test_a_voice_note_whose_file_is_lost_is_untranscribable_without_a_job() -> None:
    transcriber = ScriptedTranscriber()
    world = World(transcriber)
    del world.gateway.media[WAHA_FILE]  # WAHA deleted it
    await world.receive()

    await world.run()

    message = await world.message()
    assert message.media is not None and message.media.error is not None
    assert message.transcript == ""
    assert transcriber.calls == []
    assert await world.job(TRANSCRIPTION) is None
    assert await world.bot_turn_after() is not None


async def test_a_job_queued_before_the_transcriber_was_removed_settles_untranscribable() -> None:
    world = World(None)
    message = await world.receive()
    await world.run()
    async with world.uow_factory() as uow:
        await queue_transcription(uow, message, world.clock.now())
        await uow.commit()

    await world.run()

    assert (await world.message()).transcript == ""


async def test_a_settled_transcript_is_not_asked_for_again() -> None:
    transcriber = ScriptedTranscriber()
    world = World(transcriber)
    message = await world.receive()
    await world.run()
    async with world.uow_factory() as uow:
        await queue_transcription(uow, message, world.clock.now())
        await uow.commit()

    await world.run()

    assert len(transcriber.calls) == 1


@pytest.mark.parametrize(
    ("media", "name"),
    [
        (Media(None, "audio/ogg; codecs=opus"), "voice-note.ogg"),
        (Media(None, "audio/mp4"), "voice-note.m4a"),
        (Media(None, "audio/mpeg"), "voice-note.mp3"),
        (Media(None, "audio/x-unheard-of"), "voice-note.ogg"),
        (Media(None, "audio/mpeg", filename="recado.mp3"), "recado.mp3"),
    ],
)
def test_a_nameless_voice_note_is_named_after_its_format(media: Media, name: str) -> None:
    assert audio_filename(media) == name


def test_a_bot_turn_waits_only_for_a_transcript_that_will_come() -> None:
    world = World(ScriptedTranscriber())
    voice = Message(
        "m",
        ASSOCIATION,
        "c",
        Direction.IN,
        Author.CONTACT,
        MessageType.AUDIO,
        "",
        MessageStatus.RECEIVED,
        world.clock.now(),
        media=Media(WAHA_FILE, "audio/ogg"),
    )
    association = world.association

    assert awaiting_transcript(association, voice, transcriber=True)
    assert not awaiting_transcript(association, voice, transcriber=False)
    off = dataclasses.replace(
        association, bot=dataclasses.replace(association.bot, transcribe_voice_notes=False)
    )
    assert not awaiting_transcript(off, voice, transcriber=True)
    lost = dataclasses.replace(voice, media=Media(None, "audio/ogg", error="not fetched"))
    assert not awaiting_transcript(association, lost, transcriber=True)
    assert not awaiting_transcript(association, dataclasses.replace(voice, transcript=""), True)
    ours = dataclasses.replace(voice, direction=Direction.OUT, author=Author.AGENT)
    assert not awaiting_transcript(association, ours, transcriber=True)
    text = dataclasses.replace(voice, type=MessageType.TEXT, media=None)
    assert not awaiting_transcript(association, text, transcriber=True)
