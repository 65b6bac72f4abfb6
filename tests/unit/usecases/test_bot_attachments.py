"""The association's configured files go out as media when a message asks for them."""

from __future__ import annotations

import functools

from tests.support.live_events import publishing_to

from wa_crm.adapters.ai import RulesProvider
from wa_crm.adapters.events.memory import InMemoryEventBus
from wa_crm.adapters.memory import (
    InMemoryMediaStore,
    InMemoryStore,
    InMemoryUnitOfWork,
    InMemoryWhatsAppGateway,
)
from wa_crm.adapters.memory.knowledge import InMemoryKnowledgeBase
from wa_crm.adapters.system.metrics import Metrics
from wa_crm.domain.model.association import (
    Association,
    BotAttachment,
    BotSettings,
    WhatsAppSettings,
)
from wa_crm.domain.model.job_commands import BotTurn, Deliver
from wa_crm.domain.model.message import MessageType
from wa_crm.domain.model.people import ContactKind, Patient, PatientStatus
from wa_crm.domain.model.whatsapp_events import InboundMessage, IncomingEvent
from wa_crm.domain.usecases.bot.bot_turn import RunBotTurn
from wa_crm.domain.usecases.inbound.ingest import IngestWhatsAppEvent
from wa_crm.domain.usecases.monitoring.session_outages import SessionOutages
from wa_crm.domain.usecases.outbound.delivery import DeliverConversationMessages
from wa_crm.domain.usecases.outbound.gateway_health import GatewayBreakers
from wa_crm.domain.usecases.runtime.runner import JobRunner
from wa_crm.testing.clock import FakeClock, SequentialIds

CHAT = "5511999998888@c.us"
PRICE_LIST = BotAttachment(
    name="price-list",
    media_key="association/a/price-list.pdf",
    filename="tabela-de-precos.pdf",
    mimetype="application/pdf",
    keywords=("preço", "tabela"),
    caption="Nossa tabela de preços",
)


async def test_a_member_asking_for_prices_gets_the_price_list_document() -> None:
    clock, ids = FakeClock(), SequentialIds()
    bus, media, gateway = InMemoryEventBus(clock), InMemoryMediaStore(), InMemoryWhatsAppGateway()
    uow_factory = functools.partial(InMemoryUnitOfWork, InMemoryStore(), publishing_to(bus))
    await media.put(PRICE_LIST.media_key, b"%PDF-1.7 prices", PRICE_LIST.mimetype)
    bot = BotSettings(debounce_seconds=0, typing_seconds=0, attachments=(PRICE_LIST,))
    async with uow_factory() as uow:
        await uow.associations.add(
            Association(
                "a",
                "a",
                "A",
                clock.now(),
                whatsapp=WhatsAppSettings("http://waha", "k", "default", ""),
                bot=bot,
            )
        )
        await uow.patients.upsert(
            Patient("p1", "a", "Maria Silva", ("+5511999998888",), PatientStatus.ACTIVE)
        )
        await uow.commit()
    message = InboundMessage(
        "false_1", CHAT, False, MessageType.TEXT, "Qual o preço do óleo?", clock.now()
    )
    await IngestWhatsAppEvent(uow_factory, clock, ids)(IncomingEvent("a", "evt", message))
    breakers = GatewayBreakers(clock)
    handlers = {
        BotTurn: RunBotTurn(
            uow_factory, clock, ids, {"rules": RulesProvider()}, breakers, InMemoryKnowledgeBase()
        ),
        Deliver: DeliverConversationMessages(
            uow_factory,
            gateway,
            media,
            clock,
            breakers,
            Metrics(),
            SessionOutages(gateway, clock),
        ),
    }
    runner = JobRunner(uow_factory, clock, handlers, "w")
    while await runner.run_due():
        pass

    async with uow_factory() as uow:
        contact = await uow.contacts.find_by_chat_id("a", CHAT)
    assert contact is not None and contact.kind is ContactKind.MEMBER
    kinds = [(sent.kind, sent.text or sent.caption, sent.filename) for sent in gateway.messages()]
    assert kinds == [
        ("text", "Olá, Maria!", None),
        ("text", "Segue o arquivo solicitado.", None),
        ("file", "Nossa tabela de preços", "tabela-de-precos.pdf"),
    ]
    assert gateway.messages()[-1].data == b"%PDF-1.7 prices"
