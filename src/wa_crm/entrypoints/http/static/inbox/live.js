// Live events: the association's SSE stream (from the last event seen, after a reconnection,
// then a reload of what may have been missed) and a handler per event type.
import { noteStatus } from "./actions.js";
import { refreshAgents } from "./assignment.js";
import { markRead, openConversation, renderHeader } from "./conversation.js";
import { loadList, noteMessage, placeInList, refreshCounts } from "./list.js";
import { renderMessages } from "./messages.js";
import { onNote } from "./notes.js";
import { waiting } from "./notifications.js";
import { loadSidebar } from "./sidebar.js";
import { backFromSnooze } from "./snooze.js";
import { API, PAGE, remember, state, toldByEvent, view, withContact } from "./state.js";
import { showError, toast } from "./toasts.js";
import { onTyping, stopContactTyping } from "./typing.js";
import { $, T, api, t } from "./wacrm.js";

async function onConversation(data, created) {
  toldByEvent(data.id);
  let conversation = remember(data);
  noteStatus(conversation);
  if (!conversation.contact) {
    try {
      conversation = await withContact(data.id);
    } catch {
      return;
    }
  }
  if (conversation.status === "pending" && (created || data.handoff_reason)) {
    waiting(conversation.id, conversation.handoff_note?.summary);
  }
  placeInList(conversation);
  refreshCounts();
  if (state.open?.id === conversation.id) {
    const before = state.open.lastStatus;
    state.open.lastStatus = conversation.status;
    renderHeader();
    if (before && before !== conversation.status) {
      loadSidebar(conversation.contact_id, view.openToken);
    }
    if (conversation.unread_count > 0 && document.visibilityState === "visible") markRead();
  }
}

/**
 * A message created or updated (by the stream, or a reaction's answer): show what changed.
 * @param {import("./state.js").Message} message
 */
export function onMessage(message) {
  if (message.author === "contact") stopContactTyping(message.conversation_id);
  noteMessage(message);
  if (state.open?.id !== message.conversation_id) return;
  const known = state.open.messages.get(message.id);
  // Only a reaction's update carries the reactions: others keep those already known.
  if (known && known.created_at === message.created_at && known.status === message.status
    && known.body === message.body && known.media?.url === message.media?.url
    && known.error === message.error && known.external_id === message.external_id
    && known.media?.error === message.media?.error && known.transcript === message.transcript
    && (!message.reactions
      || JSON.stringify(known.reactions) === JSON.stringify(message.reactions))) return;
  state.open.messages.set(message.id, { ...known, ...message });
  renderMessages(false);
}

function onAlert(data) {
  if (data.kind === "handoff" && data.conversation_id) {
    waiting(data.conversation_id, data.summary);
  } else if (data.kind === "dead_letter") {
    toast(T.dead_letter_toast, {
      error: true,
      ...(data.conversation_id
        ? { action: T.open, onAction: () => openConversation(data.conversation_id) }
        : {}),
    });
  } else if (data.kind === "sla_breached" && data.conversation_id) {
    toast(T.sla_breached_toast, {
      action: T.open,
      onAction: () => openConversation(data.conversation_id),
    });
  } else if (data.kind === "emergency" && data.conversation_id) {
    toast(T.emergency_toast, {
      error: true,
      action: T.open,
      onAction: () => openConversation(data.conversation_id),
    });
  } else if (data.kind === "session_down") {
    showSession(data.status);
  } else if (data.kind === "snooze_ended" && data.conversation_id) {
    backFromSnooze(data);
  }
}

function showSession(status) {
  const banner = $("banner-session");
  banner.hidden = !status || status === "WORKING";
  banner.textContent = t("session_down", { status: status || "" });
}

const HANDLERS = {
  "conversation.created": (data) => onConversation(data, true),
  "conversation.updated": (data) => onConversation(data, false),
  "message.created": onMessage,
  "message.updated": onMessage,
  "note.created": onNote,
  typing: onTyping,
  alert: onAlert,
  "session.status": (data) => showSession(data.status),
};

let source = null;
let lastEventId = "";
let lostAt = 0;
let retryDelay = 1000;
let firstOpen = null;

/**
 * Open the stream. The promise settles when it first opens, or after `patienceMs` whatever
 * happens: the server subscribes before the stream opens, so lists read after that miss nothing.
 * @param {number} patienceMs
 * @returns {Promise<void>}
 */
export function connectFirst(patienceMs) {
  const opened = new Promise((resolve) => {
    firstOpen = resolve;
    setTimeout(resolve, patienceMs);
  });
  connect();
  return opened;
}

function connect() {
  const query = lastEventId ? `?last_event_id=${encodeURIComponent(lastEventId)}` : "";
  source = new EventSource(`${API}/events${query}`);
  source.addEventListener("open", () => {
    retryDelay = 1000;
    $("banner-reconnecting").hidden = true;
    if (firstOpen) {
      firstOpen();
      firstOpen = null;
    }
    refreshAgents(); // this agent is online from now on
    if (lostAt) {
      lostAt = 0;
      resync();
    }
  });
  source.addEventListener("error", () => {
    lostAt = lostAt || Date.now();
    $("banner-reconnecting").hidden = false;
    if (source.readyState === EventSource.CLOSED) {
      // The browser gave up (e.g. an error status): check the session, then start over.
      source.close();
      setTimeout(async () => {
        try {
          await api("GET", "/conversations?limit=1");
        } catch {
          /* still down: try again below */
        }
        connect();
      }, retryDelay);
      retryDelay = Math.min(retryDelay * 2, 30000);
    }
  });
  for (const [type, handle] of Object.entries(HANDLERS)) {
    source.addEventListener(type, (event) => {
      if (event.lastEventId) lastEventId = event.lastEventId;
      let envelope;
      try {
        envelope = JSON.parse(event.data);
      } catch {
        return;
      }
      handle(envelope.data || {});
    });
  }
}

/** After a reconnection: the stream replays what it still holds; reload the rest anyway. */
async function resync() {
  try {
    await loadList();
    const open = state.open;
    if (open) {
      const [page, notes] = await Promise.all([
        api("GET", `/conversations/${encodeURIComponent(open.id)}/messages?limit=${PAGE}`),
        api("GET", `/conversations/${encodeURIComponent(open.id)}/notes`),
      ]);
      if (state.open === open) {
        for (const message of page.items) open.messages.set(message.id, message);
        for (const note of notes.items) open.notes.set(note.id, note);
        renderMessages(false);
        remember(await api("GET", `/conversations/${encodeURIComponent(open.id)}`));
        renderHeader();
      }
    }
  } catch (error) {
    showError(error);
  }
}
