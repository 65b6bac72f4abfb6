"""A custom AI provider: your own assistant behind wa_crm's ``AIProvider`` port.

What it shows:

- ``FaqProvider`` implements the port (``wa_crm.ports.ai.AIProvider``): one ``async def
  reply(request: TurnRequest) -> BotReply``. It answers from a small FAQ and asks for a person
  (``BotAction.HANDOFF`` with a reason and a summary for the agent) when it has no answer.
  A provider that calls a service raises ``AIProviderError`` when it cannot answer: wa_crm
  then hands the conversation to the agents with ``ai_unavailable``; wrap such a provider in
  ``wa_crm.adapters.ai.CircuitBreakerProvider(provider, clock)`` as the built-in ones are.
- Registering it: the container's ``ai_providers`` provider holds the providers an
  association's bot may name (``rules``, plus ``openai`` and ``anthropic`` when configured).
  Override it with the built-in ones plus yours (``register_provider`` below); the bot turn,
  the admin API's ``PUT bot`` check of the name and the shut-down all use the override.
- Selecting it: an association's bot settings name it (``provider="faq"``), here with the
  ``update_bot_settings`` use case (what ``PUT /api/associations/{slug}/bot`` calls).
- Privacy: every provider but the built-in ``rules`` gets text with the personal data the
  association marks as sensitive masked (``[EMAIL_1]``, ``[PHONE_1]``, ...), and placeholders
  it echoes are restored before the patient sees the reply: ``FaqProvider`` confirms an
  e-mail address it was never shown.
- Then a patient writes through the WAHA simulator (real HTTP both ways: the simulator calls
  wa_crm's webhook, wa_crm's worker sends the reply to the simulator) and gets its answer.

Run it (SQLite in a temporary folder, the simulator on a free port; about two seconds):

    .venv/bin/python examples/custom_ai_provider.py
"""

from __future__ import annotations

import asyncio
import re
import tempfile
from pathlib import Path

import httpx
from dependency_injector import providers

from wa_crm.adapters.sql import upgrade
from wa_crm.adapters.waha.webhooks import SUBSCRIBED_EVENTS
from wa_crm.container import Container, build_container
from wa_crm.domain.model.association import BotSettings, WhatsAppSettings
from wa_crm.domain.usecases.access.setup import NewAssociation
from wa_crm.entrypoints.http import create_app
from wa_crm.ports.ai import BotAction, BotReply, Speaker, TurnRequest
from wa_crm.settings import Settings
from wa_crm.testing import SimulatorConfig, running_simulator, serve_app

PATIENT = "5511977776666@c.us"
WAHA_API_KEY = "example-waha-key"
WEBHOOK_SECRET = "example-webhook-secret"


class FaqProvider:
    """Answers frequent questions; anything else goes to a person."""

    ANSWERS = {
        "horário": "Atendemos de segunda a sexta, das 9h às 18h.",
        "endereço": "Estamos na Rua das Flores, 100, Centro.",
        "carteirinha": "A carteirinha chega pelo correio em até 15 dias após a filiação.",
    }

    def __init__(self) -> None:
        self.seen: list[str] = []  # what the provider was given, to show the masking

    async def reply(self, request: TurnRequest) -> BotReply:
        said = [m.text for m in request.history if m.speaker is Speaker.CONTACT]
        latest = said[-1] if said else ""
        self.seen.append(latest)
        answers = [text for word, text in self.ANSWERS.items() if word in latest.lower()]
        email = re.search(r"\[EMAIL_\d+\]", latest)  # masked: the provider never sees it
        if email:
            answers.append(f"Enviaremos a confirmação para {email.group(0)}.")
        if answers:
            return BotReply(" ".join(answers))
        return BotReply(
            "Vou pedir para alguém da equipe responder.",
            action=BotAction.HANDOFF,
            reason="not in the FAQ",
            summary=latest[:160],
        )


def register_provider(container: Container, name: str, provider: object) -> None:
    """Add ``provider`` under ``name`` to the providers associations may choose from."""
    built_in = container.ai_providers()  # rules (+ openai, anthropic when configured)
    container.ai_providers.override(providers.Object({**built_in, name: provider}))


async def main(data_dir: Path) -> list[str]:
    """Returns the texts the patient received."""
    settings = Settings(
        database_url=f"sqlite+aiosqlite:///{data_dir / 'wa_crm.db'}",
        media_dir=str(data_dir / "media"),
        secret_key="example-secret-key-change-me-0123456789",
        job_poll_seconds=0.02,  # snappy for a demo; the default is 0.5 s
    )
    await upgrade(settings.database_url)
    container = build_container(settings)
    faq = FaqProvider()
    register_provider(container, "faq", faq)

    async with serve_app(create_app(container)) as service_url:
        waha = SimulatorConfig(
            api_key=WAHA_API_KEY,
            hook_url=f"{service_url}/api/webhooks/whatsapp",
            hook_events=SUBSCRIBED_EVENTS,
            hook_hmac_key=WEBHOOK_SECRET,
        )
        async with running_simulator(waha) as waha_url, httpx.AsyncClient() as http:
            whatsapp = WhatsAppSettings(waha_url, WAHA_API_KEY, "default", WEBHOOK_SECRET)
            association = (
                await container.create_association()(
                    NewAssociation("clinic", "Clínica Exemplo", whatsapp=whatsapp)
                )
            ).unwrap()
            bot = BotSettings(
                provider="faq",
                greeting_lead="Olá! Aqui é o assistente da Clínica Exemplo.",
                debounce_seconds=0.2,
                typing_seconds=0,
            )
            (await container.update_bot_settings()(association.id, bot)).unwrap()

            text = "Qual o horário de vocês? Meu e-mail é maria@example.org"
            print(f"patient writes: {text}")
            inbound = {"from": PATIENT, "text": text, "push_name": "Maria"}
            (await http.post(f"{waha_url}/_sim/default/inbound", json=inbound)).raise_for_status()

            received = await wait_for_texts(http, waha_url, count=2)
            print(f"the provider saw: {faq.seen[-1]}")
            for line in received:
                print(f"patient receives: {line}")
            return received


async def wait_for_texts(http: httpx.AsyncClient, waha_url: str, count: int) -> list[str]:
    """What the simulator's phone received as text, once there are ``count`` messages."""
    for _ in range(400):
        sent = (await http.get(f"{waha_url}/_sim/default/sent")).json()
        texts = [s["text"] for s in sent if s["kind"] == "text" and s["chatId"] == PATIENT]
        if len(texts) >= count:
            return texts
        await asyncio.sleep(0.025)
    raise TimeoutError(f"the patient received only {texts!r}")


if __name__ == "__main__":
    with tempfile.TemporaryDirectory(prefix="wa_crm_provider_") as scratch:
        asyncio.run(main(Path(scratch)))
