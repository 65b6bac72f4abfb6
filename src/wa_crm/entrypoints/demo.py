"""``wa-crm demo`` (what ``make run`` starts): the service, a WAHA simulator beside it, and a
seeded association, so that a newcomer can chat as a patient and watch it land in minutes.

Everything is local: SQLite, the in-process event bus, the simulator's phone page.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from importlib import resources

import uvicorn
from returns.result import Failure
from starlette.types import ASGIApp

from wa_crm.adapters.sql.migrate import upgrade
from wa_crm.adapters.waha.webhooks import SUBSCRIBED_EVENTS
from wa_crm.container import Container, build_container, close_resources
from wa_crm.domain.model.association import WhatsAppSettings
from wa_crm.domain.model.canned_reply import CannedReplyDraft
from wa_crm.domain.model.errors import AlreadyExists
from wa_crm.domain.usecases.access.setup import NewAgent, NewAssociation
from wa_crm.entrypoints.demo_knowledge import seed_demo_knowledge
from wa_crm.entrypoints.http.app import create_app
from wa_crm.settings import Settings
from wa_crm.testing import SimulatorConfig, create_simulator_app


@dataclass(frozen=True)
class DemoAccounts:
    slug: str = "demo"
    admin_email: str = "admin@demo.local"
    admin_password: str = "demo-password"
    waha_api_key: str = "demo-waha-key"
    webhook_secret: str = "demo-webhook-secret"


def _data(name: str) -> str:
    return resources.files("wa_crm.entrypoints").joinpath("demo_data", name).read_text("utf-8")


async def seed(container: Container, accounts: DemoAccounts, waha_url: str) -> None:
    """Create the demo association, its admin and its patients; a second run changes nothing."""
    association = await container.create_association()(
        NewAssociation(
            slug=accounts.slug,
            name="Associação Demo",
            whatsapp=WhatsAppSettings(
                base_url=waha_url,
                api_key=accounts.waha_api_key,
                session="default",
                webhook_secret=accounts.webhook_secret,
            ),
        )
    )
    if isinstance(association, Failure) and not isinstance(association.failure(), AlreadyExists):
        raise RuntimeError(association.failure().message)
    if isinstance(association, Failure):
        return
    await container.create_agent()(
        NewAgent(
            accounts.slug, accounts.admin_email, "Demo Admin", "admin", accounts.admin_password
        )
    )
    await container.import_patients()(accounts.slug, _data("patients.csv"))
    await container.import_orders()(accounts.slug, _data("orders.csv"))
    await _seed_inbox_tools(container, association.unwrap().id)


DEMO_LABELS = (("pedido", "#c2410c"), ("cadastro", "#0369a1"), ("medicação", "#6d28d9"))
DEMO_CANNED_REPLIES = (
    CannedReplyDraft(
        "ola", "Olá, {first_name}! Aqui é {agent_name}, da associação. Como posso ajudar?", "Olá"
    ),
    CannedReplyDraft(
        "entrega",
        "As entregas do óleo saem às terças e quintas. Assim que o seu pedido sair, avisamos "
        "por aqui.",
        "Dias de entrega",
    ),
    CannedReplyDraft(
        "docs",
        "Para o cadastro, envie: *RG ou CNH*, *CPF*, *comprovante de residência* e a "
        "*receita médica* dentro da validade.",
        "Documentos do cadastro",
    ),
)


async def _seed_inbox_tools(container: Container, association_id: str) -> None:
    """A few coloured labels and canned replies, so the inbox's "/" menu and label chips show
    something on the first run (admins manage them under Configurações)."""
    labels = container.label_catalog()
    for name, colour in DEMO_LABELS:
        (await labels.create(association_id, name, colour)).unwrap()
    replies = container.canned_replies()
    for draft in DEMO_CANNED_REPLIES:
        (await replies.create(association_id, draft)).unwrap()


def welcome(accounts: DemoAccounts, service_url: str, waha_url: str) -> str:
    """What the demo prints: where to sign in, where to play the patient, and what to try."""
    inbox = f"{service_url}/dashboard/{accounts.slug}/inbox"
    phone = f"{waha_url}/_sim/phone"
    lead = f"{phone}?phone=5511988887777&name=Lia"
    knowledge = f"{service_url}/dashboard/{accounts.slug}/knowledge"
    settings = f"{service_url}/dashboard/{accounts.slug}/settings"
    return "\n".join(
        [
            "",
            "wa_crm demo",
            f"  inbox (agents)    {inbox}",
            f"  sign in           association {accounts.slug}, "
            f"{accounts.admin_email} / {accounts.admin_password}",
            f"  chat as a patient {phone}  (Maria, a member with orders)",
            f"                    {lead}  (Lia, a new lead)",
            f"  service           {service_url}  (health: /readyz, metrics: /metrics)",
            f"  WAHA simulator    {waha_url}  (API key {accounts.waha_api_key})",
            "  members           +55 11 99999-8888 (Maria), +55 81 8888-7777 (João)",
            "",
            "  Try it: open the inbox and sign in; on the phone page write “Cadê meu pedido?”",
            "  (the assistant answers), then “atendente”: the conversation waits for you in",
            "  Pending. Claim it and reply: the reply lands on the phone page, and its ticks in",
            "  the inbox go ✓, ✓✓, then blue as the phone reads it.",
            "  Ask “quando é a entrega do óleo?”: the assistant answers from the association's",
            f"  documents and names its source ({knowledge}).",
            "  In a reply, type “/” for the canned replies; label a conversation; search the",
            "  list by name, phone or a word the patient wrote (“oleo” finds “óleo”).",
            f"  Settings: {settings}",
            "  (team, canned replies, labels, the assistant's texts and business hours,",
            "  assignment, privacy); reports by agent under Relatórios.",
            "  On a phone the inbox shows one pane at a time, and installs as an app.",
            "",
        ]
    )


def _server(app: ASGIApp, host: str, port: int) -> uvicorn.Server:
    return uvicorn.Server(uvicorn.Config(app, host=host, port=port, log_config=None))


async def run_demo(settings: Settings, simulator_port: int) -> None:
    accounts = DemoAccounts()
    waha_url = f"http://{settings.host}:{simulator_port}"
    service_url = f"http://{settings.host}:{settings.port}"  # both run here, whatever PUBLIC_URL
    await upgrade(settings.database_url)
    container = build_container(settings)
    try:
        await seed(container, accounts, waha_url)
        await seed_demo_knowledge(container, accounts.slug)
    finally:
        await close_resources(container)
    simulator = create_simulator_app(
        SimulatorConfig(
            api_key=accounts.waha_api_key,
            hook_url=f"{service_url}/api/webhooks/whatsapp",
            hook_events=SUBSCRIBED_EVENTS,
            hook_hmac_key=accounts.webhook_secret,
            port=simulator_port,
            ack_delay_seconds=0.7,
            tier="CORE",  # what most associations run: one session, named default
        )
    )
    servers = [
        _server(create_app(settings=settings), settings.host, settings.port),
        _server(simulator, settings.host, simulator_port),
    ]
    tasks = [asyncio.create_task(server.serve()) for server in servers]
    # The welcome comes last, once both listen, so it is not lost among start-up logs.
    while not all(server.started for server in servers):
        finished, _ = await asyncio.wait(tasks, timeout=0.05)
        if finished:  # a port already taken, say: no welcome
            break
    if all(server.started for server in servers):
        print(welcome(accounts, service_url, waha_url), flush=True)
    # When one stops (Ctrl+C, or a port already taken) the demo stops as a whole.
    await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    for server in servers:
        server.should_exit = True
    await asyncio.gather(*tasks, return_exceptions=True)
