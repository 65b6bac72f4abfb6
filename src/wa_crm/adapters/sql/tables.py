"""The schema as SQLAlchemy Core tables; ``migrations/versions`` must create exactly this.

All ids are text. JSON columns hold value objects (settings, profile, handoff note, media) that
are read whole and never queried inside.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Date,
    Float,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    column,
    false,
    or_,
    text,
)

from wa_crm.adapters.sql.types import Money, UtcDateTime
from wa_crm.domain.model.message import WITHHELD_REASONS

metadata = MetaData(
    naming_convention={
        "pk": "pk_%(table_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    }
)

# Nullable JSON columns store SQL NULL for None, not the JSON literal null.
NullableJSON = JSON(none_as_null=True)

# Outbound messages that could not be sent; a query that repeats this condition word for word
# can use the partial index made with it.
FAILED_OUTBOUND = text("direction = 'out' AND status = 'failed'")
# Of those, the dead letters: not the messages withheld on purpose (``WITHHELD_REASONS``). A
# query adds this to ``FAILED_OUTBOUND`` and still reads the partial index.
NOT_WITHHELD = or_(column("error").is_(None), column("error").not_in(sorted(WITHHELD_REASONS)))
LABELLED = text("labels IS NOT NULL")
RATED = text("rated_at IS NOT NULL")
SNOOZED = text("snoozed_until IS NOT NULL")
# Urgent conversations (an emergency) are few and pinned atop the inbox list; the list's query
# repeats this condition word for word so both databases read the partial index.
URGENT = text("urgent = true")
WAITING = text("waiting_since IS NOT NULL")

associations = Table(
    "associations",
    metadata,
    Column("id", String, primary_key=True),
    Column("slug", String, nullable=False, unique=True),
    Column("name", String, nullable=False),
    Column("locale", String, nullable=False),
    Column("waha_base_url", String, nullable=False),
    Column("waha_api_key", Text, nullable=False),  # encrypted
    Column("waha_session", String, nullable=False),
    # WahaServer.key of waha_base_url: one association per server and session compares these
    Column("waha_server", String, nullable=False, server_default=""),
    Column("webhook_secret", Text, nullable=False),  # encrypted
    Column("whatsapp_phone", String),
    Column("whatsapp_rate_per_second", Float, nullable=False, server_default=text("2.0")),
    Column("whatsapp_chat_gap_seconds", Float, nullable=False, server_default=text("1.0")),
    Column("bot_settings", JSON, nullable=False),
    Column("privacy_settings", JSON, nullable=False, server_default=text("'{}'")),
    Column("assignment_settings", JSON, nullable=False, server_default=text("'{}'")),
    Column("created_at", UtcDateTime, nullable=False),
    # Unconfigured associations all share server "" and session "default".
    Index(
        "uq_associations_waha_server_session",
        "waha_server",
        "waha_session",
        unique=True,
        sqlite_where=text("waha_server <> ''"),
        postgresql_where=text("waha_server <> ''"),
    ),
)

agents = Table(
    "agents",
    metadata,
    Column("id", String, primary_key=True),
    Column("association_id", String, ForeignKey("associations.id"), nullable=False),
    Column("email", String, nullable=False),  # lowercased
    Column("name", String, nullable=False),
    Column("role", String, nullable=False),
    Column("password_hash", Text, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("disabled_at", UtcDateTime),  # a disabled agent can neither log in nor use a token
    UniqueConstraint("association_id", "email"),
)

# Bearer tokens, stored as digests; ``id`` is what lists show and revocation names.
api_tokens = Table(
    "api_tokens",
    metadata,
    Column("token_hash", String, primary_key=True),
    Column("id", String, nullable=False, unique=True),
    Column("agent_id", String, ForeignKey("agents.id"), nullable=False),
    Column("name", String, nullable=False, server_default=""),
    Column("created_at", UtcDateTime, nullable=False),
    Column("expires_at", UtcDateTime),  # NULL: until revoked
    Column("last_used_at", UtcDateTime),
    Index("ix_api_tokens_agent_id", "agent_id"),
)

# Browser sessions live here, not only in the cookie, so logout, a password change and disabling
# the agent end them. The cookie carries a random session id; only its digest is stored.
browser_sessions = Table(
    "browser_sessions",
    metadata,
    Column("id_hash", String, primary_key=True),
    Column("association_id", String, ForeignKey("associations.id"), nullable=False),
    Column("agent_id", String, ForeignKey("agents.id"), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("expires_at", UtcDateTime, nullable=False),
    Index("ix_browser_sessions_agent_id", "agent_id"),
    Index("ix_browser_sessions_expires_at", "expires_at"),
)

patients = Table(
    "patients",
    metadata,
    Column("association_id", String, primary_key=True),
    Column("id", String, primary_key=True),
    Column("full_name", String, nullable=False),
    Column("status", String, nullable=False),
    Column("profile", JSON, nullable=False),
    # inbox_search.name_key(full_name): the inbox search finds a contact by their patient's name
    Column("search_name", String, nullable=False, server_default=""),
)

patient_phones = Table(
    "patient_phones",
    metadata,
    Column("association_id", String, primary_key=True),
    Column("patient_id", String, primary_key=True),
    Column("phone", String, primary_key=True),
    Column("position", Integer, nullable=False),  # keeps the order of Patient.phones
    ForeignKeyConstraint(
        ["association_id", "patient_id"],
        ["patients.association_id", "patients.id"],
        ondelete="CASCADE",
    ),
    Index("ix_patient_phones_association_id_phone", "association_id", "phone"),
)

orders = Table(
    "orders",
    metadata,
    Column("association_id", String, primary_key=True),
    Column("id", String, primary_key=True),
    Column("patient_id", String, nullable=False),
    Column("date", Date, nullable=False),
    Column("items", Text, nullable=False),
    Column("total", Money, nullable=False),
    Column("status", String, nullable=False),
    Index("ix_orders_association_id_patient_id", "association_id", "patient_id"),
)

contacts = Table(
    "contacts",
    metadata,
    Column("id", String, primary_key=True),
    Column("association_id", String, nullable=False),
    Column("wa_chat_id", String, nullable=False),
    Column("phone", String),
    Column("lid", String),
    Column("display_name", String, nullable=False),
    Column("kind", String, nullable=False),
    Column("patient_id", String),
    Column("fields", JSON, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("opted_out_at", UtcDateTime),
    Column("opt_out_source", String),
    # What the inbox search compares (``inbox_search``): name_key(display_name) and
    # phone_key(phone), kept by the mapper. Read with LIKE '%…%' within one association: no
    # index serves that, the association's contacts are scanned (issue 19 measures it).
    Column("search_name", String, nullable=False, server_default=""),
    Column("search_phone", String, nullable=False, server_default=""),
    UniqueConstraint("association_id", "wa_chat_id"),
    Index("ix_contacts_association_id_phone", "association_id", "phone"),
    Index("ix_contacts_association_id_lid", "association_id", "lid"),
)

conversations = Table(
    "conversations",
    metadata,
    Column("id", String, primary_key=True),
    Column("association_id", String, nullable=False),
    Column("contact_id", String, nullable=False),
    Column("channel", String, nullable=False),
    Column("session", String, nullable=False),
    Column("status", String, nullable=False),
    Column("assignee_id", String),
    Column("handoff_reason", String),
    Column("handoff_note", NullableJSON),
    Column("bot_turns", Integer, nullable=False),
    Column("last_message_id", String),
    Column("last_message_at", UtcDateTime),
    Column("unread_count", Integer, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("resolved_at", UtcDateTime),
    Column("updated_at", UtcDateTime, nullable=False),
    Column("labels", NullableJSON),  # NULL when there are none, as the partial index expects
    Column("rating", Integer),
    Column("rating_requested_at", UtcDateTime),
    Column("rated_at", UtcDateTime),
    Column("snoozed_until", UtcDateTime),
    Column("urgent", Boolean, nullable=False, server_default=false()),
    Column("sla_breached_at", UtcDateTime),
    # The contact's conversation before this one, when it was resolved (labels carried forward).
    Column("previous_conversation_id", String),
    # Since when the contact waits for an answer (Conversation.waiting_since).
    Column("waiting_since", UtcDateTime),
    # The inbox list (``queries/inbox``), newest activity first, with a status filter and
    # without: ``id`` breaks ties as the list does, so a page is read in index order and stops
    # after ``limit`` rows, whatever the table's size. The first also serves counts per status.
    Index(
        "ix_conversations_association_id_status_last_message_at_id",
        "association_id",
        "status",
        "last_message_at",
        "id",
    ),
    Index(
        "ix_conversations_association_id_last_message_at_id",
        "association_id",
        "last_message_at",
        "id",
    ),
    Index("ix_conversations_contact_id", "contact_id"),
    # Statistics per label and of ratings, and the list of snoozed conversations, read only the
    # few rows these partial indexes hold.
    Index(
        "ix_conversations_labelled",
        "association_id",
        "created_at",
        sqlite_where=LABELLED,
        postgresql_where=LABELLED,
    ),
    Index(
        "ix_conversations_rated",
        "association_id",
        "rated_at",
        "rating",
        sqlite_where=RATED,
        postgresql_where=RATED,
    ),
    Index(
        "ix_conversations_urgent",
        "association_id",
        "last_message_at",
        "id",
        sqlite_where=URGENT,
        postgresql_where=URGENT,
    ),
    Index(
        "ix_conversations_snoozed",
        "association_id",
        "snoozed_until",
        sqlite_where=SNOOZED,
        postgresql_where=SNOOZED,
    ),
    # The inbox list sorted by waiting longest: the waiting conversations in index order (the
    # others follow by the activity indexes above). A query repeats WAITING word for word.
    Index(
        "ix_conversations_waiting",
        "association_id",
        "waiting_since",
        "id",
        sqlite_where=WAITING,
        postgresql_where=WAITING,
    ),
    # At most one open conversation per contact and channel, decided by the database.
    Index(
        "uq_conversations_open_contact_channel",
        "contact_id",
        "channel",
        unique=True,
        sqlite_where=text("status <> 'resolved'"),
        postgresql_where=text("status <> 'resolved'"),
    ),
)

messages = Table(
    "messages",
    metadata,
    Column("id", String, primary_key=True),
    Column("association_id", String, nullable=False),
    Column("conversation_id", String, nullable=False),
    Column("external_id", String),  # NULL while an outbound message is queued
    Column("direction", String, nullable=False),
    Column("author", String, nullable=False),
    Column("agent_id", String),
    Column("type", String, nullable=False),
    Column("body", Text, nullable=False),
    Column("media", NullableJSON),
    Column("reply_to", String),
    Column("quoted_body", Text),  # the text of the message ``reply_to`` names, as quoted
    Column("status", String, nullable=False),
    Column("error", Text),
    Column("created_at", UtcDateTime, nullable=False),
    # when an outbound message's first send began: from then on it may be on WhatsApp
    Column("send_started_at", UtcDateTime),
    Column("transcript", Text),  # a voice note's text, once transcribed
    UniqueConstraint("association_id", "external_id"),
    Index("ix_messages_conversation_id_created_at", "conversation_id", "created_at"),
    # The monitoring aggregates (``queries/statistics``) read one association's messages
    # of a period: every column they use is in these indexes, so they scan only a range of one
    # (index-only; on PostgreSQL once vacuumed) and never the rows with their bodies. Failed
    # sends are few and counted from their own partial index, whose condition the count repeats.
    Index(
        "ix_messages_statistics",
        "association_id",
        "created_at",
        "direction",
        "author",
        "conversation_id",
    ),
    Index(
        "ix_messages_failed_association_id_created_at",
        "association_id",
        "created_at",
        "error",  # so that withheld messages are left out from the index alone
        sqlite_where=FAILED_OUTBOUND,
        postgresql_where=FAILED_OUTBOUND,
    ),
)

# The inbox search's index of what messages say (``inbox_search.message_terms``, space-separated),
# one row per message that says something, written with the message and when its text or
# transcript changes, deleted with it (the foreign key's cascade: retention, erasure). The
# full-text index over ``terms`` lives outside this metadata (``MESSAGE_FTS``/``SEARCH_OBJECTS``).
message_terms = Table(
    "message_terms",
    metadata,
    # An integer key, in the order messages are stored: SQLite's full-text table finds its rows
    # by this rowid, and a search reads the latest matches first by it.
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column(
        "message_id",
        String,
        ForeignKey("messages.id", ondelete="CASCADE"),
        nullable=False,
        unique=True,
    ),
    Column("association_id", String, nullable=False),
    Column("conversation_id", String, nullable=False),
    Column("terms", Text, nullable=False),
    Index("ix_message_terms_conversation_id", "conversation_id"),
)

# The last reaction of each side of the chat to a message (WhatsApp keeps one per person, and
# the association's number is one person however many agents use it). Deleted with the message.
message_reactions = Table(
    "message_reactions",
    metadata,
    Column("message_id", String, ForeignKey("messages.id", ondelete="CASCADE"), primary_key=True),
    Column("from_me", Boolean, primary_key=True),
    Column("association_id", String, nullable=False),
    Column("emoji", String, nullable=False),  # "" once removed, so an older event cannot undo it
    Column("reacted_at", UtcDateTime, nullable=False),
)

# What the statistics keep of deleted messages (``repositories/message_deletion``): counts per
# UTC hour and conversation, read together with ``messages``. The key is also the statistics'
# index: one association's hours of a period are one range of it.
message_rollups = Table(
    "message_rollups",
    metadata,
    Column("association_id", String, primary_key=True),
    Column("hour", UtcDateTime, primary_key=True),
    Column("conversation_id", String, primary_key=True),
    Column("inbound", Integer, nullable=False),
    Column("outbound", Integer, nullable=False),
    Column("bot", Integer, nullable=False),
    Column("agent", Integer, nullable=False),
    Column("failed", Integer, nullable=False),
)

jobs = Table(
    "jobs",
    metadata,
    Column("id", String, primary_key=True),
    Column("kind", String, nullable=False),
    Column("key", String, nullable=False, unique=True),
    Column("association_id", String),
    Column("payload", JSON, nullable=False),
    Column("status", String, nullable=False),
    Column("run_after", UtcDateTime, nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("max_attempts", Integer, nullable=False),
    Column("version", Integer, nullable=False),
    Column("last_error", Text),
    Column("locked_by", String),
    Column("locked_until", UtcDateTime),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Index("ix_jobs_status_run_after", "status", "run_after"),
)

# The next free send time per rate-limit key (a session, or a chat); see SendSlotRepository.
send_slots = Table(
    "send_slots",
    metadata,
    Column("key", String, primary_key=True),
    Column("next_at", UtcDateTime, nullable=False),
)

session_events = Table(
    "session_events",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("association_id", String, ForeignKey("associations.id"), nullable=False),
    Column("status", String, nullable=False),
    Column("at", UtcDateTime, nullable=False),
    Index("ix_session_events_association_id_at", "association_id", "at"),
)

# One row per handoff to the agents; ``answered_at`` is the first agent message after it.
handoffs = Table(
    "handoffs",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("association_id", String, nullable=False),
    Column("conversation_id", String, nullable=False),
    Column("reason", String, nullable=False),
    Column("at", UtcDateTime, nullable=False),
    Column("answered_at", UtcDateTime),
    # Statistics read one association's handoffs of a period from this index alone.
    Index("ix_handoffs_statistics", "association_id", "at", "answered_at", "reason"),
    Index(
        "ix_handoffs_unanswered_conversation_id",
        "conversation_id",
        sqlite_where=text("answered_at IS NULL"),
        postgresql_where=text("answered_at IS NULL"),
    ),
)

alerts = Table(
    "alerts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("association_id", String, ForeignKey("associations.id"), nullable=False),
    Column("kind", String, nullable=False),
    Column("message", Text, nullable=False),
    Column("at", UtcDateTime, nullable=False),
    Index("ix_alerts_association_id_at", "association_id", "at"),
)

# Refused webhooks counted per minute, reason and scope: an association's id when the body was
# routed to one (a bad signature), "" for the service (an unknown session, a body that is not a
# WAHA event). One row per minute and reason however many refusals, kept a day: cheap to write
# under a flood, and enough to say how many in the last hour.
webhook_refusals = Table(
    "webhook_refusals",
    metadata,
    Column("scope", String, primary_key=True),
    Column("minute", UtcDateTime, primary_key=True),
    Column("reason", String, primary_key=True),
    Column("count", Integer, nullable=False),
)

# Append-only: no statement of wa_crm updates or deletes these rows (see domain/model/audit.py).
audit_log = Table(
    "audit_log",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("association_id", String, ForeignKey("associations.id"), nullable=False),
    Column("actor", String, nullable=False),
    Column("action", String, nullable=False),
    Column("target_type", String, nullable=False),
    Column("target_id", String, nullable=False),
    Column("at", UtcDateTime, nullable=False),
    Column("details", JSON, nullable=False),
    Index("ix_audit_log_association_id_at", "association_id", "at"),
    Index("ix_audit_log_association_id_id", "association_id", "id"),  # pages, newest first
)

canned_replies = Table(
    "canned_replies",
    metadata,
    Column("id", String, primary_key=True),
    Column("association_id", String, ForeignKey("associations.id"), nullable=False),
    Column("shortcut", String, nullable=False),
    Column("title", String, nullable=False),
    Column("text", Text, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    UniqueConstraint("association_id", "shortcut"),
)

# The association's label catalog: what admins name and colour. Conversations keep their labels
# names (``conversations.labels``); renaming or deleting one here rewrites them.
labels = Table(
    "labels",
    metadata,
    Column("association_id", String, ForeignKey("associations.id"), primary_key=True),
    Column("name", String, primary_key=True),
    Column("colour", String, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
)

# Private notes of agents on a conversation: never messages, so never queued for WhatsApp.
conversation_notes = Table(
    "conversation_notes",
    metadata,
    Column("id", String, primary_key=True),
    Column("association_id", String, nullable=False),
    Column("conversation_id", String, nullable=False),
    Column("agent_id", String, nullable=False),
    Column("text", Text, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Index("ix_conversation_notes_conversation_id_created_at", "conversation_id", "created_at"),
)

# Automatic assignment: whether an agent's inbox is open (shared by every process through these
# times), and when they were last given a conversation (their turn in the round robin).
agent_presence = Table(
    "agent_presence",
    metadata,
    Column("association_id", String, ForeignKey("associations.id"), primary_key=True),
    Column("agent_id", String, ForeignKey("agents.id"), primary_key=True),
    Column("last_seen_at", UtcDateTime),
    Column("left_at", UtcDateTime),
    Column("last_assigned_at", UtcDateTime),
)

processed_events = Table(
    "processed_events",
    metadata,
    Column("association_id", String, primary_key=True),
    Column("event_id", String, primary_key=True),
    Column("processed_at", UtcDateTime, nullable=False),
    Index("ix_processed_events_processed_at", "processed_at"),  # pruned past WAHA's retries
)

# Acks that came before our send's WhatsApp id was stored, applied when it is (issue 15);
# pruned with the processed event ids.
pending_acks = Table(
    "pending_acks",
    metadata,
    Column("association_id", String, primary_key=True),
    Column("external_id", String, primary_key=True),
    Column("status", String, nullable=False),
    Column("received_at", UtcDateTime, nullable=False),
    Index("ix_pending_acks_received_at", "received_at"),
)

# A patient or order CSV import: the uploaded file waits in the media store and is imported in
# batches by a durable job, which keeps its progress here for the admin to watch.
imports = Table(
    "imports",
    metadata,
    Column("id", String, primary_key=True),
    Column("association_id", String, ForeignKey("associations.id"), nullable=False),
    Column("kind", String, nullable=False),  # patients | orders
    Column("status", String, nullable=False),  # queued | running | done | failed
    Column("file_key", String, nullable=False),
    Column("rows_done", Integer, nullable=False),
    Column("imported", Integer, nullable=False),
    Column("bad_rows", Integer, nullable=False),
    Column("errors", JSON, nullable=False),  # the first bad rows: [{"line", "reason"}]
    Column("error", Text),  # why the whole import failed, if it did
    Column("created_by", String, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Column("finished_at", UtcDateTime),
    # Where the next batch starts: bytes and physical lines of the file read so far.
    Column("file_offset", BigInteger, nullable=False),
    Column("lines_read", Integer, nullable=False),
    Index("ix_imports_association_id_created_at", "association_id", "created_at"),
)

# The knowledge base (architecture.md section 4, item 3): an association's documents, their
# passages with the search terms (``knowledge_text.search_terms``, space-separated) and optional
# embeddings, and the questions no passage answered. Full-text indexes of the passages' terms
# live outside this metadata (``KNOWLEDGE_SEARCH_OBJECTS``).
knowledge_documents = Table(
    "knowledge_documents",
    metadata,
    Column("id", String, primary_key=True),
    Column("association_id", String, ForeignKey("associations.id"), nullable=False),
    Column("title", String, nullable=False),
    Column("kind", String, nullable=False),  # document | faq
    Column("text", Text, nullable=False),
    Column("filename", String),
    Column("chunks", Integer, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Index("ix_knowledge_documents_association_id_created_at", "association_id", "created_at"),
)

knowledge_passages = Table(
    "knowledge_passages",
    metadata,
    # An integer key: SQLite's full-text table finds its passages by this rowid.
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column(
        "document_id",
        String,
        ForeignKey("knowledge_documents.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("association_id", String, nullable=False),
    Column("position", Integer, nullable=False),
    Column("text", Text, nullable=False),
    Column("terms", Text, nullable=False),
    # When the association has an embeddings model: knowledge_text.stored_embedding as
    # little-endian float32 (JSON took 0.2 ms a vector to parse, most of a hybrid search).
    Column("embedding", LargeBinary),
    UniqueConstraint("document_id", "position"),
    Index("ix_knowledge_passages_association_id", "association_id"),
)

KNOWLEDGE_OPEN_QUESTION = text("answered_by IS NULL")
knowledge_unanswered = Table(
    "knowledge_unanswered",
    metadata,
    Column("id", String, primary_key=True),
    Column("association_id", String, ForeignKey("associations.id"), nullable=False),
    Column("question_key", String, nullable=False),  # knowledge_text.question_key
    Column("text", Text, nullable=False),
    Column("conversation_id", String),
    Column("first_asked_at", UtcDateTime, nullable=False),
    Column("last_asked_at", UtcDateTime, nullable=False),
    Column("times_asked", Integer, nullable=False),
    Column("answered_by", String),  # the FAQ document that answered it
    # One open record per question: asked again, it is counted (an upsert on this index).
    Index(
        "ix_knowledge_unanswered_open_question",
        "association_id",
        "question_key",
        unique=True,
        sqlite_where=KNOWLEDGE_OPEN_QUESTION,
        postgresql_where=KNOWLEDGE_OPEN_QUESTION,
    ),
)

KNOWLEDGE_FTS = "knowledge_passages_fts"
KNOWLEDGE_TSVECTOR = "search_vector"
KNOWLEDGE_SEARCH_OBJECTS = {
    "sqlite": frozenset(
        {
            KNOWLEDGE_FTS,
            *(f"{KNOWLEDGE_FTS}_{shadow}" for shadow in ("data", "idx", "docsize", "config")),
        }
    ),
    "postgresql": frozenset({KNOWLEDGE_TSVECTOR, f"ix_knowledge_passages_{KNOWLEDGE_TSVECTOR}"}),
}
"""What migration 0010 makes outside this metadata, per dialect: SQLite's FTS5 table over the
passages' terms (and the shadow tables FTS5 keeps), PostgreSQL's generated tsvector column of
``knowledge_passages`` and its GIN index."""

MESSAGE_FTS = "message_terms_fts"
MESSAGE_TSVECTOR = "search_vector"
_FTS_SHADOWS = ("data", "idx", "docsize", "config")
SEARCH_OBJECTS = {
    "sqlite": KNOWLEDGE_SEARCH_OBJECTS["sqlite"]
    | {MESSAGE_FTS, *(f"{MESSAGE_FTS}_{shadow}" for shadow in _FTS_SHADOWS)},
    "postgresql": KNOWLEDGE_SEARCH_OBJECTS["postgresql"]
    | {MESSAGE_TSVECTOR, f"ix_message_terms_{MESSAGE_TSVECTOR}"},
}
"""Every full-text object the migrations make outside this metadata: the knowledge base's
(0010) and the same for ``message_terms`` (0013). Schema comparisons leave out exactly these
names."""
