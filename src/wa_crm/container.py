"""The composition root: the only module that knows which concrete adapter serves each port.

Nothing is built at import time. ``build_container(settings)`` returns a fresh container;
``await container.init_resources()`` opens the database engine and ``shutdown_resources()``
closes it. Tests override providers (``container.clock.override(...)``).
"""

from __future__ import annotations

import functools
import socket
from datetime import timedelta
from collections.abc import AsyncIterator
from dependency_injector import containers, providers
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from wa_crm.adapters.events.memory import InMemoryEventBus
from wa_crm.adapters.sql.engine import create_engine
from wa_crm.adapters.sql.migrate import ensure_schema_current
from wa_crm.adapters.sql.unit_of_work import SqlUnitOfWork
from wa_crm.adapters.system.alerts import LogAlertSink
from wa_crm.adapters.system.clock import SystemClock
from wa_crm.adapters.system.ids import TimeOrderedIdGenerator
from wa_crm.adapters.system.metrics import Metrics
from wa_crm.adapters.system.passwords import Argon2PasswordHasher
from wa_crm.adapters.system.secrets import FernetSecretCipher
from wa_crm.domain.model.jobs import Backoff
from wa_crm.domain.usecases.ingest import IngestWhatsAppEvent
from wa_crm.domain.usecases.jobs import JobHandler, JobRunner, RetryDeadJob
from wa_crm.domain.usecases.patients import ImportOrders, ImportPatients
from wa_crm.domain.usecases.setup import CreateAgent, CreateAssociation, IssueApiToken
from wa_crm.ports.system import SecretCipher
from wa_crm.ports.unit_of_work import UnitOfWork, UnitOfWorkFactory
from wa_crm.settings import Settings


async def _engine(url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(url)
    try:
        yield engine
    finally:
        await engine.dispose()


async def _ping(engine: AsyncEngine) -> None:
    async with engine.connect() as connection:
        await connection.execute(text("SELECT 1"))


def _sql_uow_factory(engine: AsyncEngine, cipher: SecretCipher) -> UnitOfWorkFactory:
    def new_unit_of_work() -> UnitOfWork:
        return SqlUnitOfWork(engine, cipher)

    return new_unit_of_work


def _job_handlers() -> dict[str, JobHandler]:
    """Handlers by job kind; each feature issue registers its own here."""
    return {}


def _lease(settings: Settings) -> timedelta:
    return timedelta(seconds=settings.job_lease_seconds)


def _worker_id() -> str:
    return f"{socket.gethostname()}:{id(object()):x}"


class Container(containers.DeclarativeContainer):
    settings: providers.Dependency[Settings] = providers.Dependency(instance_of=Settings)

    clock = providers.Singleton(SystemClock)
    ids = providers.Singleton(TimeOrderedIdGenerator)
    passwords = providers.Singleton(Argon2PasswordHasher)
    cipher = providers.Singleton(
        lambda settings: FernetSecretCipher(settings.secret_key.get_secret_value()), settings
    )
    alerts = providers.Singleton(LogAlertSink)

    engine = providers.Resource(_engine, url=settings.provided.database_url)
    uow_factory = providers.Singleton(_sql_uow_factory, engine=engine, cipher=cipher)
    database_ping = providers.Factory(functools.partial, _ping, engine)
    ensure_schema_current = providers.Factory(functools.partial, ensure_schema_current, engine)
    event_bus = providers.Singleton(InMemoryEventBus, clock=clock)
    metrics = providers.Singleton(Metrics)

    ingest_whatsapp_event = providers.Factory(
        IngestWhatsAppEvent, uow_factory=uow_factory, bus=event_bus, clock=clock, ids=ids
    )

    create_association = providers.Factory(
        CreateAssociation, uow_factory=uow_factory, clock=clock, ids=ids
    )
    create_agent = providers.Factory(
        CreateAgent, uow_factory=uow_factory, clock=clock, ids=ids, passwords=passwords
    )
    issue_api_token = providers.Factory(IssueApiToken, uow_factory=uow_factory, clock=clock)
    import_patients = providers.Factory(ImportPatients, uow_factory=uow_factory)
    import_orders = providers.Factory(ImportOrders, uow_factory=uow_factory)
    retry_dead_job = providers.Factory(RetryDeadJob, uow_factory=uow_factory, clock=clock)

    job_handlers = providers.Singleton(_job_handlers)
    job_runner = providers.Factory(
        JobRunner,
        uow_factory=uow_factory,
        clock=clock,
        handlers=job_handlers,
        worker_id=providers.Callable(_worker_id),
        lease=providers.Callable(_lease, settings),
        backoff=providers.Object(Backoff()),
    )


def build_container(settings: Settings | None = None) -> Container:
    return Container(settings=settings or Settings())
