"""A contact's file that cannot be kept, on the memory adapters: the message records a stable
code (and the size of a file too big), and in a conversation the assistant answers, the
contact is told at once, in the association's words, with the file's name and size; not when a
person has the conversation, the contact opted out, or wrote something the bot turn must read."""

from __future__ import annotations

import functools

import pytest

from wa_crm.adapters.memory import InMemoryMediaStore, InMemoryStore, InMemoryUnitOfWork
from wa_crm.adapters.memory.whatsapp import InMemoryWhatsAppGateway
from wa_crm.domain.model.association import Association, BotSettings, Locale, WhatsAppSettings
from wa_crm.domain.model.conversation import Channel, Conversation
from wa_crm.domain.model.job_commands import FetchMedia
from wa_crm.domain.model.jobs import Attempt
from wa_crm.domain.model.media_refusal import MediaProblem, problem_of
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
from wa_crm.testing.clock import FakeClock, SequentialIds

ASSOCIATION = "assoc-files"
WAHA_FILE = "http://waha.test/api/files/default/relatorio.pdf"
LIMIT = 1024 * 1024
BIG = b"%PDF-1.7 " + b"x" * (LIMIT + 512 * 1024)  # 1.5 MB
LAST = Attempt(number=5, max_attempts=5)


class World:
    def __init__(self, *, bot: BotSettings | None = None, locale: Locale = Locale.PT_BR) -> None:
        self.clock = FakeClock()
        self.store = InMemoryStore()
        self.uow_factory = functools.partial(InMemoryUnitOfWork, self.store)
        self.gateway = InMemoryWhatsAppGateway()
        self.association = Association(
            ASSOCIATION,
            "arquivos",
            "Associação Arquivos",
            self.clock.now(),
            locale=locale,
            whatsapp=WhatsAppSettings("http://waha.test", "key"),
            bot=bot or BotSettings(),
        )
        self.fetch = FetchInboundMedia(
            self.uow_factory,
            self.gateway,
            InMemoryMediaStore(),
            MediaLimits(max_bytes=LIMIT),
            self.clock,
            SequentialIds(),
        )

    async def receive(
        self,
        data: bytes | None = BIG,
        *,
        mimetype: str = "application/pdf",
        filename: str | None = "relatorio.pdf",
        caption: str = "",
        with_bot: bool = True,
        opted_out: bool = False,
        earlier: str = "",
    ) -> None:
        """A document in a new conversation; ``earlier``: a text the contact sent before it."""
        if data is not None:
            self.gateway.media[WAHA_FILE] = data
        now = self.clock.now()
        conversation = Conversation.open(
            id="conv-1",
            association_id=ASSOCIATION,
            contact_id="contact-1",
            channel=Channel.WHATSAPP,
            session="default",
            at=now,
            bot_available=with_bot,
        )
        contact = Contact("contact-1", ASSOCIATION, "5511988887777@c.us", now)
        if opted_out:
            contact.opt_out(now, "keyword:SAIR")
        messages = []
        if earlier:
            messages.append(self._inbound("msg-0", MessageType.TEXT, earlier, None))
        self.clock.advance(1)
        media = Media(WAHA_FILE, mimetype, filename)
        messages.append(self._inbound("msg-1", MessageType.DOCUMENT, caption, media))
        async with self.uow_factory() as uow:
            await uow.associations.add(self.association)
            await uow.contacts.add(contact)
            await uow.conversations.add(conversation)
            for message in messages:
                await uow.messages.add(message)
            await uow.commit()
        await self.fetch(FetchMedia(ASSOCIATION, "msg-1"), LAST)

    def _inbound(self, id_: str, kind: MessageType, body: str, media: Media | None) -> Message:
        return Message(
            id_,
            ASSOCIATION,
            "conv-1",
            Direction.IN,
            Author.CONTACT,
            kind,
            body,
            MessageStatus.RECEIVED,
            self.clock.now(),
            media=media,
        )

    async def media(self) -> Media:
        async with self.uow_factory() as uow:
            message = await uow.messages.get(ASSOCIATION, "msg-1")
        assert message is not None and message.media is not None
        return message.media

    async def bot_said(self) -> list[str]:
        async with self.uow_factory() as uow:
            messages = await uow.messages.list_for_conversation(
                ASSOCIATION, "conv-1", before=None, limit=50
            )
        return [m.body for m in reversed(messages) if m.author is Author.BOT]


async def test_a_file_too_big_is_marked_with_its_size_and_the_assistant_says_so() -> None:
    world = World()
    await world.receive()

    media = await world.media()
    assert (media.error, media.size, media.stored) == ("too_large", len(BIG), False)
    assert problem_of(media.error) is MediaProblem.TOO_LARGE
    assert await world.bot_said() == [
        "Não consegui abrir o arquivo relatorio.pdf (1,5 MB): ele é maior que o limite de 1 MB. "
        "Pode enviar um arquivo menor ou uma foto?"
    ]


async def test_the_association_words_and_language_are_used() -> None:
    bot = BotSettings(file_too_large_message="{filename} is {size}; the most is {limit}.")
    world = World(bot=bot, locale=Locale.EN)
    await world.receive(filename=None)

    assert await world.bot_said() == ["is 1.5 MB; the most is 1 MB."]


@pytest.mark.parametrize(
    "situation",
    [
        {"with_bot": False},  # a person has the conversation: the agents see it in the inbox
        {"opted_out": True},
        {"caption": "segue o laudo, quando chega o óleo?"},  # the bot turn reads the question
        {"earlier": "estou com falta de ar"},  # nor pre-empts an emergency said before
    ],
)
async def test_the_assistant_keeps_quiet_when_it_is_not_its_turn(
    situation: dict[str, object],
) -> None:
    world = World()
    await world.receive(**situation)  # type: ignore[arg-type]

    assert (await world.media()).error == "too_large"
    assert await world.bot_said() == []


async def test_nor_with_the_bot_turned_off() -> None:
    world = World(bot=BotSettings(enabled=False))
    await world.receive()

    assert await world.bot_said() == []


async def test_other_refusals_have_their_codes_and_the_assistant_leaves_them_to_its_turn() -> None:
    world = World()
    await world.receive(b"PK\x03\x04 a zip", mimetype="application/zip", filename="fotos.zip")
    media = await world.media()
    assert (media.error, media.size) == ("type_not_accepted", 10)
    assert await world.bot_said() == []

    lost = World()
    await lost.receive(None)  # WAHA no longer has it
    error = (await lost.media()).error
    assert error is not None and error.startswith("not_fetched: ")
    assert problem_of(error) is MediaProblem.NOT_FETCHED
    assert await lost.bot_said() == []
