"""The documented setup, played in process: the compose file's settings and WAHA variables, the
commands of docs/connecting-whatsapp.md, then the admin's first steps.

The operator's ``.env`` is the example filled with secrets; the wa_crm processes get the
environment the compose file gives the ``api`` container (with SQLite and no Redis standing in
for the services); WAHA is the simulator, configured by the compose file's WAHA variables.
"""

from __future__ import annotations

import asyncio
import dataclasses
import re
import shlex
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager
from dependency_injector import providers
from tests.deploy.deployment import (
    DOCS,
    compose_for,
    effective_environment,
    environment_of,
    filled_env,
)
from tests.support.waha_payloads import WaMessage, message_event

from wa_crm.adapters.waha.gateway import WahaGateway
from wa_crm.container import Container
from wa_crm.entrypoints.cli import main
from wa_crm.entrypoints.http.app import create_app
from wa_crm.settings import Settings
from wa_crm.testing import SimulatorConfig, create_simulator_app
from wa_crm.testing.waha_simulator.webhooks import encode_body, webhook_headers

GUIDE = DOCS / "connecting-whatsapp.md"
FENCE = re.compile(r"```(?:sh|bash|shell)?\n(.*?)```", re.S)
VARIABLE = re.compile(
    r"\$(?:\{(?P<braced>[A-Za-z_][A-Za-z0-9_]*)\}|(?P<bare>[A-Za-z_][A-Za-z0-9_]*))"
)


def documented_commands(text: str, container_env: dict[str, str]) -> list[list[str]]:
    """The ``wa-crm`` commands of the guide's shell blocks, as the container's shell runs them
    (``sh -c '...'`` unwrapped, ``$VARIABLES`` expanded from the container's environment)."""
    commands = []
    for block in FENCE.findall(text):
        for line in block.replace("\\\n", " ").splitlines():
            words = shlex.split(line, comments=True)
            if "wa-crm" not in " ".join(words):
                continue
            if "sh" in words and "-c" in words:
                script = words[words.index("-c") + 1]
                script = VARIABLE.sub(lambda m: container_env[m["braced"] or m["bare"]], script)
                words = shlex.split(script)
            commands.append(words[words.index("wa-crm") + 1 :])
    return commands


def run_cli(argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    try:
        main(argv)
    except SystemExit as exit_:
        _, err = capsys.readouterr()
        raise AssertionError(f"wa-crm {shlex.join(argv)} failed ({exit_.code}): {err}") from None
    out, err = capsys.readouterr()
    assert err == "", err
    return out


def option(argv: list[str], name: str) -> str:
    return argv[argv.index(name) + 1]


@pytest.fixture
def operator_env() -> dict[str, str]:
    return filled_env()


@pytest.fixture
def container_env(
    operator_env: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> dict[str, str]:
    """The ``api`` container's environment, made the process's, with local stand-ins for
    PostgreSQL (a SQLite file), Redis (none: one process here) and the media volume."""
    environment = effective_environment("api", operator_env)
    environment["WA_CRM_DATABASE_URL"] = f"sqlite+aiosqlite:///{tmp_path}/wa_crm.db"
    environment.pop("WA_CRM_REDIS_URL")
    environment["WA_CRM_MEDIA_DIR"] = str(tmp_path / "media")
    for field in Settings.model_fields:
        monkeypatch.delenv(f"WA_CRM_{field.upper()}", raising=False)
    for name, value in environment.items():
        if name.startswith("WA_CRM_") or name in operator_env:
            monkeypatch.setenv(name, value)
    return environment


def test_the_guides_commands_give_an_association_that_works_with_the_composed_waha(
    operator_env: dict[str, str],
    container_env: dict[str, str],
    capsys: pytest.CaptureFixture[str],
) -> None:
    services = compose_for(operator_env)["services"]
    run_cli(services["migrate"]["command"][1:], capsys)

    commands = documented_commands(GUIDE.read_text(encoding="utf-8"), container_env)
    creates = [argv for argv in commands if argv[:2] == ["association", "create"]]
    admins = [argv for argv in commands if argv[:2] == ["agent", "create"]]
    assert creates and admins, "the guide must show how to create the association and its admin"
    for argv in commands:
        run_cli(argv, capsys)

    association_argv, admin_argv = creates[0], admins[0]
    slug = association_argv[2]
    waha_url = option(association_argv, "--waha-url")
    assert waha_url == f"http://waha:{services['waha']['expose'][0]}", "the composed WAHA"

    waha_env = environment_of(services["waha"])
    asyncio.run(
        first_steps_of_the_admin(
            settings=Settings(),
            waha=SimulatorConfig.from_env(waha_env),
            slug=slug,
            session=option(association_argv, "--session"),
            admin={
                "association": admin_argv[2],
                "email": admin_argv[3],
                "password": option(admin_argv, "--password"),
            },
            operator_env=operator_env,
        )
    )


async def first_steps_of_the_admin(
    *,
    settings: Settings,
    waha: SimulatorConfig,
    slug: str,
    session: str,
    admin: dict[str, str],
    operator_env: dict[str, str],
) -> None:
    app = create_app(settings=settings)
    container: Container = app.state.container
    # WAHA's API, without its global webhook (whose target, the api service, is not here), and
    # like a freshly composed WAHA without a session until the admin starts one
    simulator = create_simulator_app(waha.replace(hook_url=None, default_session=False))
    gateway = WahaGateway(transport=httpx.ASGITransport(app=simulator))
    container.gateway.override(providers.Object(gateway))
    try:
        async with (
            LifespanManager(simulator),
            LifespanManager(app),
            httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app), base_url=settings.public_url
            ) as browser,
        ):
            await log_in_and_test_the_connection(browser, slug, admin)
            await deliver_a_message_through_the_global_webhook(browser, container, waha, slug)
            await refuse_a_message_signed_with_another_key(browser, waha, session, operator_env)
    finally:
        await gateway.aclose()


async def log_in_and_test_the_connection(
    browser: httpx.AsyncClient, slug: str, admin: dict[str, str]
) -> None:
    login = await browser.post("/login", json=admin)
    assert login.status_code == 200, login.text
    csrf = login.json()["csrf"]

    page = await browser.get(f"/dashboard/{slug}/settings/whatsapp")
    assert page.status_code == 200

    test = await browser.post(
        f"/api/associations/{slug}/whatsapp/test", headers={"X-CSRF-Token": csrf}
    )
    assert test.status_code == 200, test.text
    # the stored address and key reach WAHA; the session is created at "Start session"
    assert (test.json()["ok"], test.json()["code"]) == (True, "session_not_found"), test.json()

    wrong_key = await browser.post(
        f"/api/associations/{slug}/whatsapp/test",
        json={"api_key": "not-the-key"},
        headers={"X-CSRF-Token": csrf},
    )
    assert (wrong_key.json()["ok"], wrong_key.json()["code"]) == (False, "unauthorized")


def global_webhook_request(
    waha: SimulatorConfig, session: str, hmac_key: str | None = None
) -> tuple[str, bytes, dict[str, str]]:
    """What WAHA's global webhook posts for a message, signed as WAHA signs it."""
    target = waha.global_webhook()
    assert target is not None
    if hmac_key is not None:
        target = dataclasses.replace(target, hmac_key=hmac_key)
    envelope: dict[str, Any] = message_event(
        WaMessage(body="Olá"),
        engine=waha.wire_engine,
        event="message.any",
        session=session,
        emitted_at=datetime.now(UTC),
    )
    body = encode_body(envelope)
    headers = webhook_headers(
        envelope=envelope, body=body, target=target, request_id="req-1", version=waha.version
    )
    return target.url, body, headers


async def deliver_a_message_through_the_global_webhook(
    browser: httpx.AsyncClient, container: Container, waha: SimulatorConfig, slug: str
) -> None:
    async with container.uow_factory()() as uow:
        association = await uow.associations.get_by_slug(slug)
    assert association is not None
    url, body, headers = global_webhook_request(waha, association.whatsapp.session)

    response = await browser.post(url, content=body, headers=headers)

    assert response.status_code == 200, response.text
    assert response.json()["status"] == "stored"


async def refuse_a_message_signed_with_another_key(
    browser: httpx.AsyncClient, waha: SimulatorConfig, session: str, operator_env: dict[str, str]
) -> None:
    other_key = "not-" + operator_env["WAHA_HOOK_HMAC_KEY"]
    url, body, headers = global_webhook_request(waha, session, hmac_key=other_key)

    response = await browser.post(url, content=body, headers=headers)

    assert response.status_code == 401
