"""The ``wa-crm`` command line: how operators and scripts set wa_crm up and run it.

Every failure prints one line naming the bad value to stderr and exits non-zero (2 for bad
input, 1 for a refused operation); stdout carries only the requested output.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, NoReturn, TypeVar

from pydantic import ValidationError
from returns.result import Failure, Result

from wa_crm.adapters.sql.migrate import SchemaNotCurrent, upgrade
from wa_crm.container import Container, build_container, check_database, close_resources
from wa_crm.domain.model.association import WhatsAppSettings
from wa_crm.domain.model.errors import DomainError, InvalidInput
from wa_crm.domain.model.people import Agent
from wa_crm.domain.usecases.access.credentials import NewToken
from wa_crm.domain.usecases.access.setup import NewAgent, NewAssociation
from wa_crm.domain.usecases.registry.imports import ImportReport
from wa_crm.settings import Settings


class CliError(Exception):
    def __init__(self, message: str, exit_code: int = 1) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def _fail(message: str, exit_code: int) -> NoReturn:
    print(f"wa-crm: error: {message}", file=sys.stderr)
    raise SystemExit(exit_code)


def load_settings(**overrides: Any) -> Settings:
    try:
        return Settings(**{key: value for key, value in overrides.items() if value is not None})
    except ValidationError as error:
        problems = "; ".join(
            f"WA_CRM_{'_'.join(str(part) for part in issue['loc']).upper()}: {issue['msg']}"
            for issue in error.errors()
        )
        _fail(f"invalid setting: {problems}", 2)


Value = TypeVar("Value")


def _unwrap(result: Result[Value, DomainError]) -> Value:
    match result:
        case Failure(error):
            raise CliError(error.message, 2 if isinstance(error, InvalidInput) else 1)
    return result.unwrap()


async def _with_container(action: Callable[[Container], Awaitable[Value]]) -> Value:
    container = build_container(load_settings())
    try:
        try:
            await check_database(container)
        except SchemaNotCurrent as error:
            raise CliError(str(error)) from error
        except OSError as error:
            raise CliError(f"the database is unreachable: {error}") from error
        return await action(container)
    finally:
        await close_resources(container)


def _read_csv(path: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8-sig")
    except OSError as error:
        raise CliError(f"cannot read {path}: {error.strerror}", 2) from error
    except UnicodeDecodeError as error:
        raise CliError(f"{path} is not UTF-8 text", 2) from error


def _print_report(report: ImportReport, what: str) -> None:
    print(f"imported {report.imported} {what}")
    for error in report.errors:
        print(f"line {error.line}: {error.reason}", file=sys.stderr)
    if report.bad_rows:
        print(f"{report.bad_rows} row(s) skipped", file=sys.stderr)


async def db_upgrade(args: argparse.Namespace) -> None:
    await upgrade(load_settings().database_url)
    print("database is up to date")


async def association_create(args: argparse.Namespace) -> None:
    command = NewAssociation(
        slug=args.slug,
        name=args.name,
        locale=args.locale,
        whatsapp=WhatsAppSettings(
            base_url=args.waha_url.rstrip("/"),
            api_key=args.waha_api_key,
            session=args.session,
            webhook_secret=args.webhook_secret,
        ),
    )
    association = await _with_container(lambda c: c.create_association()(command))
    print(_unwrap(association).id)


async def agent_create(args: argparse.Namespace) -> None:
    command = NewAgent(args.slug, args.email, args.name, args.role, args.password)
    agent = await _with_container(lambda c: c.create_agent()(command))
    print(_unwrap(agent).id)


async def agent_token(args: argparse.Namespace) -> None:
    command = NewToken(name=args.name, expires_in_days=args.expires_in_days)
    token = await _with_container(lambda c: c.issue_api_token()(args.slug, args.email, command))
    print(_unwrap(token))


async def _on_agent(
    args: argparse.Namespace,
    action: Callable[[Container, Agent], Awaitable[Result[Value, DomainError]]],
) -> Value:
    """Run ``action`` on the agent the arguments name (association slug and e-mail)."""

    async def run(container: Container) -> Result[Value, DomainError]:
        agent = _unwrap(await container.locate_agent()(args.slug, args.email))
        return await action(container, agent)

    return _unwrap(await _with_container(run))


def _when(moment: datetime | None, otherwise: str) -> str:
    return moment.isoformat(timespec="seconds") if moment else otherwise


async def agent_tokens(args: argparse.Namespace) -> None:
    tokens = await _on_agent(
        args, lambda c, agent: c.api_tokens().list(agent.association_id, agent.id)
    )
    print("id\tname\tcreated\texpires\tlast used")
    for token in tokens:
        times = (
            _when(token.created_at, "-"),
            _when(token.expires_at, "never"),
            _when(token.last_used_at, "never"),
        )
        print("\t".join((token.id, token.name or "-", *times)))


async def agent_revoke(args: argparse.Namespace) -> None:
    revoked = await _on_agent(
        args, lambda c, agent: c.api_tokens().revoke(agent.association_id, agent.id, args.token)
    )
    print(f"revoked {revoked} token(s)")


async def agent_disable(args: argparse.Namespace) -> None:
    await _on_agent(args, lambda c, agent: c.agent_access().disable(agent.association_id, agent.id))
    print(f"disabled {args.email}; their browser sessions ended and their tokens stopped working")


async def agent_enable(args: argparse.Namespace) -> None:
    await _on_agent(args, lambda c, agent: c.agent_access().enable(agent.association_id, agent.id))
    print(f"enabled {args.email}")


async def patients_import(args: argparse.Namespace) -> None:
    text = _read_csv(args.file)
    report = await _with_container(lambda c: c.import_patients()(args.slug, text))
    _print_report(_unwrap(report), "patient(s)")


async def orders_import(args: argparse.Namespace) -> None:
    text = _read_csv(args.file)
    report = await _with_container(lambda c: c.import_orders()(args.slug, text))
    _print_report(_unwrap(report), "order(s)")


async def serve(args: argparse.Namespace) -> None:
    import uvicorn

    from wa_crm.entrypoints.http.app import create_app
    from wa_crm.entrypoints.logs import configure_logging

    settings = load_settings(host=args.host, port=args.port)
    configure_logging(settings.log_format, settings.log_level)
    app = create_app(settings=settings)
    # proxy_headers off: the app alone decides whose X-Forwarded-For to believe
    # (WA_CRM_TRUSTED_PROXIES), not uvicorn's FORWARDED_ALLOW_IPS as well.
    config = uvicorn.Config(
        app, host=settings.host, port=settings.port, log_config=None, proxy_headers=False
    )
    server = uvicorn.Server(config)
    await server.serve()
    if not server.started:
        raise CliError("the service did not start; see the log above")


async def worker(args: argparse.Namespace) -> None:
    from wa_crm.entrypoints.logs import configure_logging
    from wa_crm.entrypoints.worker import run_worker_process

    settings = load_settings()
    configure_logging(settings.log_format, settings.log_level)
    await run_worker_process(build_container(settings))


async def simulator(args: argparse.Namespace) -> None:
    import uvicorn

    from wa_crm.entrypoints.logs import configure_logging
    from wa_crm.testing import SimulatorConfig, create_simulator_app

    configure_logging()
    config = SimulatorConfig.from_env(os.environ)
    if args.port:
        config = config.replace(port=args.port)
    if args.tier:
        config = config.replace(tier=args.tier.upper())
    if args.waha_version:
        config = config.replace(version=args.waha_version)
    app = create_simulator_app(config)
    server = uvicorn.Server(uvicorn.Config(app, host=args.host, port=config.port, log_config=None))
    await server.serve()


async def demo(args: argparse.Namespace) -> None:
    from wa_crm.entrypoints.demo import run_demo
    from wa_crm.entrypoints.logs import configure_logging

    settings = load_settings(host=args.host, port=args.port)
    configure_logging(settings.log_format, settings.log_level)
    await run_demo(settings, args.simulator_port)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="wa-crm", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)

    db = commands.add_parser("db", help="database schema").add_subparsers(dest="db", required=True)
    db.add_parser("upgrade", help="apply all migrations").set_defaults(run=db_upgrade)

    association = commands.add_parser("association", help="associations (tenants)")
    association_commands = association.add_subparsers(dest="association", required=True)
    create = association_commands.add_parser("create", help="create an association")
    create.add_argument("slug")
    create.add_argument("--name", required=True)
    create.add_argument("--locale", default="pt-BR", choices=["pt-BR", "en"])
    create.add_argument("--waha-url", default="", help="WAHA base URL, e.g. http://waha:3000")
    create.add_argument("--waha-api-key", default="")
    create.add_argument("--session", default="default", help="WAHA session name")
    create.add_argument("--webhook-secret", default="", help="HMAC key WAHA signs webhooks with")
    create.set_defaults(run=association_create)

    agent = commands.add_parser("agent", help="agents of an association")
    agent_commands = agent.add_subparsers(dest="agent", required=True)
    agent_new = agent_commands.add_parser("create", help="create an agent")
    agent_new.add_argument("slug")
    agent_new.add_argument("email")
    agent_new.add_argument("--name", default="")
    agent_new.add_argument("--role", default="agent", choices=["agent", "admin"])
    agent_new.add_argument("--password", required=True)
    agent_new.set_defaults(run=agent_create)
    token = agent_commands.add_parser("token", help="print a new API bearer token")
    token.add_argument("slug")
    token.add_argument("email")
    token.add_argument("--name", default="", help="what the token is for, shown in lists")
    token.add_argument(
        "--expires-in-days", type=int, help="days until it stops working (default: never)"
    )
    token.set_defaults(run=agent_token)
    tokens = agent_commands.add_parser("tokens", help="list the agent's API tokens")
    revoke = agent_commands.add_parser("revoke", help="revoke the agent's API tokens")
    revoke.add_argument("--token", help="the id of the one token to revoke (default: all)")
    disable = agent_commands.add_parser(
        "disable", help="withdraw the agent's access (login, tokens, browser sessions)"
    )
    enable = agent_commands.add_parser("enable", help="give a disabled agent its access back")
    for by_email, runner in (
        (tokens, agent_tokens),
        (revoke, agent_revoke),
        (disable, agent_disable),
        (enable, agent_enable),
    ):
        by_email.add_argument("slug")
        by_email.add_argument("email")
        by_email.set_defaults(run=runner)

    for noun, runner in (("patients", patients_import), ("orders", orders_import)):
        group = commands.add_parser(noun, help=f"{noun} of an association")
        group_commands = group.add_subparsers(dest=noun, required=True)
        importer = group_commands.add_parser("import", help=f"import {noun} from a CSV file")
        importer.add_argument("slug")
        importer.add_argument("file")
        importer.set_defaults(run=runner)

    serve_parser = commands.add_parser("serve", help="run the HTTP service")
    serve_parser.add_argument("--host")
    serve_parser.add_argument("--port", type=int)
    serve_parser.set_defaults(run=serve)
    commands.add_parser("worker", help="run job workers").set_defaults(run=worker)

    simulator_parser = commands.add_parser(
        "simulator", help="run the WAHA simulator (configured by WAHA's environment variables)"
    )
    simulator_parser.add_argument("--host", default="127.0.0.1")
    simulator_parser.add_argument("--port", type=int, help="default: WHATSAPP_API_PORT or 3000")
    simulator_parser.add_argument(
        "--tier",
        choices=("core", "plus"),
        help="WAHA Core runs only the session 'default'; Plus any number (default: plus)",
    )
    simulator_parser.add_argument(
        "--version",
        dest="waha_version",
        metavar="VERSION",
        help="the WAHA release to behave as, e.g. 2024.10.8 (default: 2026.9.2)",
    )
    simulator_parser.set_defaults(run=simulator)

    demo_parser = commands.add_parser("demo", help="service + WAHA simulator + seeded association")
    demo_parser.add_argument("--host")
    demo_parser.add_argument("--port", type=int)
    demo_parser.add_argument("--simulator-port", type=int, default=3000)
    demo_parser.set_defaults(run=demo)
    return parser


def main(argv: Sequence[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    try:
        asyncio.run(args.run(args))
    except CliError as error:
        _fail(str(error), error.exit_code)
    except KeyboardInterrupt:
        raise SystemExit(130) from None


if __name__ == "__main__":
    main()
