"""The composition root: the only module that knows which concrete adapter serves each port.

Nothing is built at import time. ``build_container(settings)`` returns a fresh container;
``close_resources(container)`` closes its connection pools. Tests override providers
(``container.clock.override(...)``).
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
from datetime import timedelta

from dependency_injector import containers, providers
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from wa_crm.adapters.ai import (
    AnthropicProvider,
    CircuitBreakerProvider,
    OpenAIProvider,
    RulesProvider,
)
from wa_crm.adapters.ai.embeddings import OpenAIEmbedder
from wa_crm.adapters.ai.transcription import WhisperTranscriber
from wa_crm.adapters.documents.reader import DocumentFileReader
from wa_crm.adapters.events.memory import InMemoryEventBus
from wa_crm.adapters.events.wire import LIVE_FACTS, PublishLiveEvent
from wa_crm.adapters.media.filesystem import FilesystemMediaStore
from wa_crm.adapters.sql.engine import create_engine, read_only_engine
from wa_crm.adapters.sql.knowledge_base import SqlKnowledgeBase
from wa_crm.adapters.sql.migrate import ensure_schema_current
from wa_crm.adapters.sql.queries import sql_queries
from wa_crm.adapters.sql.unit_of_work import SqlUnitOfWork
from wa_crm.adapters.system.alerts import LogAlertSink, WebhookAlertSink
from wa_crm.adapters.system.clock import SystemClock
from wa_crm.adapters.system.ids import TimeOrderedIdGenerator
from wa_crm.adapters.system.log_throttle import ThrottledLog
from wa_crm.adapters.system.metrics import Metrics
from wa_crm.adapters.system.passwords import Argon2PasswordHasher
from wa_crm.adapters.system.secrets import FernetSecretCipher
from wa_crm.adapters.waha.gateway import WahaGateway
from wa_crm.adapters.waha.webhooks import SUBSCRIBED_EVENTS
from wa_crm.domain.model.event_window import EventWindow
from wa_crm.domain.model.events import Fact
from wa_crm.domain.model.imports import ImportKind
from wa_crm.domain.model.job_commands import (
    AlertOperators,
    AssignmentCheck,
    AssignmentPass,
    BotTurn,
    CheckFirstResponse,
    CloseInactive,
    ConfirmSessionDown,
    Deliver,
    FetchMedia,
    ImportRows,
    PollSession,
    PruneEventIds,
    PruneSessions,
    PurgeExpired,
    ResolveLid,
    TranscribeVoiceNote,
    WakeConversation,
)
from wa_crm.domain.model.jobs import Backoff
from wa_crm.domain.usecases.access.auth import Authenticate
from wa_crm.domain.usecases.access.browser_sessions import (
    BrowserSessions,
    PruneExpiredSessions,
)
from wa_crm.domain.usecases.access.credentials import (
    AgentAccess,
    ApiTokens,
    ChangePassword,
    IssueApiToken,
    LocateAgent,
)
from wa_crm.domain.usecases.access.setup import CreateAgent, CreateAssociation
from wa_crm.domain.usecases.access.team import Team
from wa_crm.domain.usecases.admin.whatsapp_session import SendTestMessage, SessionControl
from wa_crm.domain.usecases.admin.whatsapp_settings import (
    CheckWhatsAppConnection,
    UpdateWhatsAppSettings,
)
from wa_crm.domain.usecases.bot.bot_settings import UpdateBotSettings
from wa_crm.domain.usecases.bot.bot_turn import RunBotTurn
from wa_crm.domain.usecases.inbound.contacts import ResolveLidContact
from wa_crm.domain.usecases.inbound.event_ids import PruneProcessedEvents
from wa_crm.domain.usecases.inbound.ingest import IngestWhatsAppEvent
from wa_crm.domain.usecases.inbound.media import FetchInboundMedia, MediaLimits
from wa_crm.domain.usecases.inbound.reactions import ReactToMessage
from wa_crm.domain.usecases.inbound.routing import SessionRouter
from wa_crm.domain.usecases.inbound.voice_notes import TranscribeVoiceNotes
from wa_crm.domain.usecases.inbox.agent_actions import AgentActions
from wa_crm.domain.usecases.inbox.assignment import (
    AssignWaiting,
    CheckAssignments,
    UpdateAssignmentSettings,
)
from wa_crm.domain.usecases.inbox.assist import AgentAssist
from wa_crm.domain.usecases.inbox.canned_replies import CannedReplies
from wa_crm.domain.usecases.inbox.first_response import CheckFirstResponses
from wa_crm.domain.usecases.inbox.inactivity import CloseInactiveConversations
from wa_crm.domain.usecases.inbox.label_catalog import LabelCatalog
from wa_crm.domain.usecases.inbox.notes import Notes
from wa_crm.domain.usecases.inbox.presence import ListAgents, PresenceTracker
from wa_crm.domain.usecases.inbox.snooze import WakeSnoozed
from wa_crm.domain.usecases.knowledge.documents import KnowledgeDocuments
from wa_crm.domain.usecases.knowledge.search import SearchKnowledge
from wa_crm.domain.usecases.knowledge.try_question import TryQuestion
from wa_crm.domain.usecases.knowledge.unanswered import UnansweredQuestions
from wa_crm.domain.usecases.monitoring.alerts import SendAlert
from wa_crm.domain.usecases.monitoring.audit import ReadAuditLog, RecordAudit
from wa_crm.domain.usecases.monitoring.session_health import (
    CheckSessionDown,
    PollSessionStatus,
)
from wa_crm.domain.usecases.monitoring.session_outages import SessionOutages
from wa_crm.domain.usecases.monitoring.statistics import ComputeStatistics
from wa_crm.domain.usecases.monitoring.webhook_refusals import WebhookRefusals
from wa_crm.domain.usecases.outbound.delivery import DeliverConversationMessages, RetryDeadLetter
from wa_crm.domain.usecases.outbound.gateway_health import GatewayBreakers
from wa_crm.domain.usecases.privacy.contact_data import EraseContactData, ExportContactData
from wa_crm.domain.usecases.privacy.privacy_settings import UpdatePrivacySettings
from wa_crm.domain.usecases.privacy.retention import (
    PurgeExpiredMessages,
)
from wa_crm.domain.usecases.registry.imports import (
    ImportInProcess,
    QueueImport,
    RunImport,
)
from wa_crm.domain.usecases.runtime.message_bus import FactHandler, MessageBus
from wa_crm.domain.usecases.runtime.periodic import StartPeriodicJobs
from wa_crm.domain.usecases.runtime.runner import JobRunner, RetryDeadJob
from wa_crm.ports.ai import AIProvider
from wa_crm.ports.events import EventBus, FactPublisher
from wa_crm.ports.knowledge import Embedder
from wa_crm.ports.system import AlertSink, Clock, SecretCipher
from wa_crm.ports.unit_of_work import UnitOfWork, UnitOfWorkFactory
from wa_crm.settings import Settings


def fact_handlers(bus: EventBus) -> dict[type[Fact], list[FactHandler]]:
    """What follows from each fact once its unit of work committed: the one table of them.

    Today every fact is told to the agents' pages; a side effect that must commit with the
    fact (an alert's job, an assignment pass) stays in the use case's unit of work instead.
    """
    publish_live = PublishLiveEvent(bus)
    return {fact_type: [publish_live] for fact_type in LIVE_FACTS}


def _sql_uow_factory(
    engine: AsyncEngine, cipher: SecretCipher, publish: FactPublisher
) -> UnitOfWorkFactory:
    def new_unit_of_work() -> UnitOfWork:
        return SqlUnitOfWork(engine, cipher, publish)

    return new_unit_of_work


def _ai_providers(settings: Settings, clock: Clock) -> dict[str, AIProvider]:
    """The providers an association's bot may name; external ones only when configured, each
    behind its own circuit breaker."""
    available: dict[str, AIProvider] = {"rules": RulesProvider()}
    if settings.openai_base_url:
        key = settings.openai_api_key.get_secret_value() if settings.openai_api_key else None
        openai = OpenAIProvider(
            settings.openai_base_url,
            key,
            settings.openai_model,
            use_tools=settings.openai_use_tools,
        )
        available["openai"] = CircuitBreakerProvider(openai, clock)
    if settings.anthropic_api_key:
        anthropic = AnthropicProvider(
            settings.anthropic_api_key.get_secret_value(),
            settings.anthropic_model,
            base_url=settings.anthropic_base_url,
        )
        available["anthropic"] = CircuitBreakerProvider(anthropic, clock)
    return available


def _embedder(settings: Settings) -> Embedder | None:
    """Vectors for the knowledge base's hybrid rank, from the OpenAI-compatible server, only
    when both it and an embeddings model are configured; else full-text search alone."""
    if not (settings.openai_base_url and settings.openai_embeddings_model):
        return None
    key = settings.openai_api_key.get_secret_value() if settings.openai_api_key else None
    return OpenAIEmbedder(settings.openai_base_url, key, settings.openai_embeddings_model)


def _transcriber(settings: Settings) -> WhisperTranscriber | None:
    """Voice notes to text, only when a transcription server is configured."""
    if not settings.transcriber_base_url:
        return None
    key = settings.transcriber_api_key
    return WhisperTranscriber(
        settings.transcriber_base_url,
        key.get_secret_value() if key else None,
        settings.transcriber_model,
    )


def _event_bus(settings: Settings, clock: Clock) -> EventBus:
    """Redis Streams when ``WA_CRM_REDIS_URL`` is set (several replicas share events), else the
    in-process bus."""
    if settings.redis_url:
        # Imported here: redis is an optional extra, needed only when it is configured.
        from wa_crm.adapters.events.redis import RedisEventBus

        return RedisEventBus.from_url(settings.redis_url, clock)
    return InMemoryEventBus(clock)


def _alert_sink(settings: Settings) -> AlertSink:
    if settings.alert_webhook_url:
        secret = settings.alert_webhook_secret
        return WebhookAlertSink(
            settings.alert_webhook_url, secret.get_secret_value() if secret else ""
        )
    return LogAlertSink()


def _media_limits(settings: Settings) -> MediaLimits:
    types = tuple(kind.strip() for kind in settings.media_types.split(",") if kind.strip())
    return MediaLimits(max_bytes=settings.media_max_bytes, allowed_types=types)


def _poll_every(settings: Settings) -> timedelta:
    return timedelta(seconds=settings.session_poll_seconds)


def _session_down_alert_after(settings: Settings) -> timedelta:
    return timedelta(seconds=settings.session_down_alert_seconds)


def _session_recheck_every(settings: Settings) -> timedelta:
    return timedelta(seconds=settings.session_recheck_seconds)


def _browser_session_lifetime(settings: Settings) -> timedelta:
    return timedelta(hours=settings.browser_session_hours)


def _event_window(settings: Settings) -> EventWindow:
    return EventWindow(
        max_age=timedelta(days=settings.webhook_max_age_days),
        max_lead=timedelta(seconds=settings.webhook_max_lead_seconds),
    )


def _event_ids_kept(settings: Settings) -> timedelta:
    return timedelta(days=settings.processed_events_keep_days)


def _lease(settings: Settings) -> timedelta:
    return timedelta(seconds=settings.job_lease_seconds)


def _password_hasher(settings: Settings) -> Argon2PasswordHasher:
    return Argon2PasswordHasher(cheapest=settings.password_hashing == "cheapest-for-tests")


def _worker_id() -> str:
    """Unique per job loop: host, process, and a random part for loops of one process."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"


class Container(containers.DeclarativeContainer):
    settings: providers.Dependency[Settings] = providers.Dependency(instance_of=Settings)

    clock = providers.Singleton(SystemClock)
    ids = providers.Singleton(TimeOrderedIdGenerator)
    passwords = providers.Singleton(_password_hasher, settings=settings)
    cipher = providers.Singleton(
        lambda settings: FernetSecretCipher(settings.secret_key.get_secret_value()), settings
    )
    alerts = providers.Singleton(_alert_sink, settings=settings)

    engine = providers.Singleton(create_engine, url=settings.provided.database_url)
    read_engine = providers.Singleton(read_only_engine, engine)
    queries = providers.Singleton(sql_queries, read_engine=read_engine)
    event_bus = providers.Singleton(_event_bus, settings=settings, clock=clock)
    message_bus = providers.Singleton(lambda bus: MessageBus(fact_handlers(bus)), event_bus)
    uow_factory = providers.Singleton(
        _sql_uow_factory, engine=engine, cipher=cipher, publish=message_bus
    )
    metrics = providers.Singleton(Metrics)

    session_router = providers.Singleton(SessionRouter, uow_factory=uow_factory, clock=clock)
    ingest_whatsapp_event = providers.Factory(
        IngestWhatsAppEvent,
        uow_factory=uow_factory,
        clock=clock,
        ids=ids,
        window=providers.Callable(_event_window, settings),
    )
    prune_processed_events = providers.Factory(
        PruneProcessedEvents,
        uow_factory=uow_factory,
        clock=clock,
        keep=providers.Callable(_event_ids_kept, settings),
    )

    create_association = providers.Factory(
        CreateAssociation, uow_factory=uow_factory, clock=clock, ids=ids
    )
    create_agent = providers.Factory(
        CreateAgent, uow_factory=uow_factory, clock=clock, ids=ids, passwords=passwords
    )
    locate_agent = providers.Factory(LocateAgent, uow_factory=uow_factory)
    api_tokens = providers.Factory(ApiTokens, uow_factory=uow_factory, clock=clock, ids=ids)
    issue_api_token = providers.Factory(IssueApiToken, locate=locate_agent, tokens=api_tokens)
    agent_access = providers.Factory(AgentAccess, uow_factory=uow_factory, clock=clock)
    team = providers.Factory(
        Team, uow_factory=uow_factory, clock=clock, ids=ids, passwords=passwords
    )
    change_password = providers.Factory(
        ChangePassword, uow_factory=uow_factory, passwords=passwords
    )
    browser_sessions = providers.Factory(
        BrowserSessions,
        uow_factory=uow_factory,
        clock=clock,
        lifetime=providers.Callable(_browser_session_lifetime, settings),
    )
    prune_sessions = providers.Factory(PruneExpiredSessions, uow_factory=uow_factory, clock=clock)
    retry_dead_job = providers.Factory(RetryDeadJob, uow_factory=uow_factory, clock=clock)

    gateway = providers.Singleton(WahaGateway)
    resolve_lid_contact = providers.Factory(
        ResolveLidContact, uow_factory=uow_factory, gateway=gateway, clock=clock
    )

    media_store = providers.Singleton(FilesystemMediaStore, root=settings.provided.media_dir)
    queue_import = providers.Factory(
        QueueImport, uow_factory=uow_factory, media=media_store, clock=clock, ids=ids
    )
    run_import = providers.Factory(
        RunImport, uow_factory=uow_factory, media=media_store, clock=clock
    )
    import_patients = providers.Factory(
        ImportInProcess,
        uow_factory=uow_factory,
        queue=queue_import,
        run=run_import,
        kind=ImportKind.PATIENTS,
    )
    import_orders = providers.Factory(
        ImportInProcess,
        uow_factory=uow_factory,
        queue=queue_import,
        run=run_import,
        kind=ImportKind.ORDERS,
    )
    ai_providers = providers.Singleton(_ai_providers, settings=settings, clock=clock)
    gateway_breakers = providers.Singleton(GatewayBreakers, clock=clock)
    session_outages = providers.Singleton(
        SessionOutages,
        gateway=gateway,
        clock=clock,
        recheck_every=providers.Callable(_session_recheck_every, settings),
    )
    deliver_messages = providers.Factory(
        DeliverConversationMessages,
        uow_factory=uow_factory,
        gateway=gateway,
        media=media_store,
        clock=clock,
        breakers=gateway_breakers,
        telemetry=metrics,
        outages=session_outages,
    )
    retry_dead_letter = providers.Factory(RetryDeadLetter, uow_factory=uow_factory, clock=clock)
    transcriber = providers.Singleton(_transcriber, settings=settings)
    fetch_media = providers.Factory(
        FetchInboundMedia,
        uow_factory=uow_factory,
        gateway=gateway,
        media=media_store,
        limits=providers.Callable(_media_limits, settings),
        clock=clock,
        ids=ids,
        transcriber=providers.Callable(lambda found: found is not None, transcriber),
    )
    transcribe_voice_note = providers.Factory(
        TranscribeVoiceNotes,
        uow_factory=uow_factory,
        media=media_store,
        transcriber=transcriber,
        clock=clock,
        ids=ids,
    )
    poll_session = providers.Factory(
        PollSessionStatus,
        uow_factory=uow_factory,
        gateway=gateway,
        clock=clock,
        every=providers.Callable(_poll_every, settings),
    )
    check_session_down = providers.Factory(
        CheckSessionDown,
        uow_factory=uow_factory,
        clock=clock,
        alert_after=providers.Callable(_session_down_alert_after, settings),
    )
    send_alert = providers.Factory(SendAlert, alerts=alerts)
    start_periodic_jobs = providers.Factory(StartPeriodicJobs, uow_factory=uow_factory, clock=clock)
    compute_statistics = providers.Factory(
        ComputeStatistics, statistics=queries.provided.statistics, clock=clock
    )
    update_whatsapp_settings = providers.Factory(UpdateWhatsAppSettings, uow_factory=uow_factory)
    check_whatsapp_connection = providers.Factory(
        CheckWhatsAppConnection, uow_factory=uow_factory, gateway=gateway
    )
    session_control = providers.Factory(
        SessionControl,
        uow_factory=uow_factory,
        monitoring=queries.provided.monitoring,
        gateway=gateway,
        breakers=gateway_breakers,
        clock=clock,
        public_url=settings.provided.public_url,
        events=providers.Object(SUBSCRIBED_EVENTS),
    )
    send_test_message = providers.Factory(SendTestMessage, uow_factory=uow_factory, gateway=gateway)
    update_bot_settings = providers.Factory(
        UpdateBotSettings,
        uow_factory=uow_factory,
        providers=providers.Callable(lambda available: frozenset(available), ai_providers),
    )
    webhook_refusals = providers.Factory(
        WebhookRefusals,
        uow_factory=uow_factory,
        monitoring=queries.provided.monitoring,
        clock=clock,
    )
    webhook_refusal_log = providers.Singleton(
        ThrottledLog, providers.Callable(logging.getLogger, "wa_crm.webhooks")
    )
    react_to_message = providers.Factory(
        ReactToMessage, uow_factory=uow_factory, gateway=gateway, clock=clock
    )
    agent_actions = providers.Factory(
        AgentActions,
        uow_factory=uow_factory,
        clock=clock,
        ids=ids,
        gateway=gateway,
        media=media_store,
        limits=providers.Callable(_media_limits, settings),
    )
    authenticate = providers.Factory(
        Authenticate, uow_factory=uow_factory, passwords=passwords, clock=clock
    )
    update_privacy_settings = providers.Factory(
        UpdatePrivacySettings, uow_factory=uow_factory, clock=clock
    )
    knowledge_base = providers.Singleton(SqlKnowledgeBase, engine=engine, read_engine=read_engine)
    purge_expired = providers.Factory(
        PurgeExpiredMessages,
        uow_factory=uow_factory,
        media=media_store,
        clock=clock,
        knowledge=knowledge_base,
    )
    export_contact_data = providers.Factory(
        ExportContactData, uow_factory=uow_factory, media=media_store, knowledge=knowledge_base
    )
    erase_contact_data = providers.Factory(
        EraseContactData,
        uow_factory=uow_factory,
        media=media_store,
        clock=clock,
        knowledge=knowledge_base,
    )
    canned_replies = providers.Factory(
        CannedReplies, uow_factory=uow_factory, inbox=queries.provided.inbox, clock=clock, ids=ids
    )
    notes = providers.Factory(Notes, uow_factory=uow_factory, clock=clock, ids=ids)
    label_catalog = providers.Factory(
        LabelCatalog, uow_factory=uow_factory, queries=queries.provided.labels, clock=clock
    )
    embedder = providers.Singleton(_embedder, settings=settings)
    document_reader = providers.Singleton(DocumentFileReader)
    knowledge_documents = providers.Factory(
        KnowledgeDocuments,
        knowledge=knowledge_base,
        reader=document_reader,
        clock=clock,
        ids=ids,
        embedder=embedder,
    )
    run_bot_turn = providers.Factory(
        RunBotTurn,
        uow_factory=uow_factory,
        clock=clock,
        ids=ids,
        providers=ai_providers,
        breakers=gateway_breakers,
        knowledge=knowledge_base,
        embedder=embedder,
        transcriber_available=providers.Callable(lambda found: found is not None, transcriber),
    )
    search_knowledge = providers.Factory(
        SearchKnowledge, knowledge=knowledge_base, embedder=embedder
    )
    agent_assist = providers.Factory(
        AgentAssist,
        uow_factory=uow_factory,
        providers=ai_providers,
        search=search_knowledge,
        notes=notes,
    )
    unanswered_questions = providers.Factory(
        UnansweredQuestions, knowledge=knowledge_base, documents=knowledge_documents
    )
    try_question = providers.Factory(
        TryQuestion, uow_factory=uow_factory, providers=ai_providers, search=search_knowledge
    )
    wake_snoozed = providers.Factory(WakeSnoozed, uow_factory=uow_factory, clock=clock)
    record_audit = providers.Factory(RecordAudit, uow_factory=uow_factory, clock=clock)
    read_audit_log = providers.Factory(ReadAuditLog, audit=queries.provided.audit)

    presence = providers.Singleton(PresenceTracker, uow_factory=uow_factory, clock=clock)
    list_agents = providers.Factory(ListAgents, uow_factory=uow_factory, clock=clock)
    assign_waiting = providers.Factory(AssignWaiting, uow_factory=uow_factory, clock=clock)
    check_assignments = providers.Factory(CheckAssignments, uow_factory=uow_factory, clock=clock)
    update_assignment_settings = providers.Factory(
        UpdateAssignmentSettings, uow_factory=uow_factory, clock=clock
    )
    close_inactive = providers.Factory(
        CloseInactiveConversations, uow_factory=uow_factory, clock=clock, ids=ids
    )
    check_first_responses = providers.Factory(
        CheckFirstResponses, uow_factory=uow_factory, clock=clock
    )

    job_handlers = providers.Dict(
        {
            ResolveLid: resolve_lid_contact,
            BotTurn: run_bot_turn,
            Deliver: deliver_messages,
            FetchMedia: fetch_media,
            TranscribeVoiceNote: transcribe_voice_note,
            ImportRows: run_import,
            PollSession: poll_session,
            ConfirmSessionDown: check_session_down,
            AlertOperators: send_alert,
            PurgeExpired: purge_expired,
            PruneEventIds: prune_processed_events,
            WakeConversation: wake_snoozed,
            AssignmentPass: assign_waiting,
            AssignmentCheck: check_assignments,
            PruneSessions: prune_sessions,
            CloseInactive: close_inactive,
            CheckFirstResponse: check_first_responses,
        }
    )
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


async def check_database(container: Container) -> None:
    """Raises when the database is unreachable or ``SchemaNotCurrent`` when not migrated."""
    await ensure_schema_current(container.engine())


async def ping_database(container: Container) -> None:
    async with container.engine().connect() as connection:
        await connection.execute(text("SELECT 1"))


async def close_resources(container: Container) -> None:
    """Close what the container opened: HTTP connection pools, then the database pool."""
    await container.gateway().aclose()
    close_bus = getattr(container.event_bus(), "aclose", None)
    if close_bus is not None:
        await close_bus()
    alerts = container.alerts()
    if isinstance(alerts, WebhookAlertSink):
        await alerts.aclose()
    embedder = container.embedder()
    if isinstance(embedder, OpenAIEmbedder):
        await embedder.aclose()
    for provider in container.ai_providers().values():
        if isinstance(provider, CircuitBreakerProvider):
            await provider.aclose()
    transcriber = container.transcriber()
    if transcriber is not None:
        await transcriber.aclose()
    await container.engine().dispose()
    await container.read_engine().dispose()
