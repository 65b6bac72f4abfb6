// The open conversation's messages: a bubble per message (media, ticks, quote, reactions), day
// separators, notes in between, and older pages on demand; it follows new ones at the bottom.
import { startReplyTo } from "./composer.js";
import {
  dateOnly, dayKey, formatBytes, icon, longDate, ownUrl, relativeDay, timeFormat,
} from "./helpers.js";
import { onMessage } from "./live.js";
import { actionsNode, quoteNode, reactionsNode } from "./message_extras.js";
import { noteNode, timeline } from "./notes.js";
import { ME, PAGE, bubbles, state, view } from "./state.js";
import { showError } from "./toasts.js";
import { $, T, api, boot, h, t } from "./wacrm.js";
import { formatWhatsApp } from "./whatsapp_format.js";

// Queued shows a clock icon (⏱ needs an emoji font, which not every desktop has).
const TICKS = { queued: "", sent: "✓", delivered: "✓✓", read: "✓✓", played: "✓✓", failed: "⚠" };

export function sortedMessages() {
  return Array.from(state.open.messages.values()).sort((a, b) => {
    if (a.created_at !== b.created_at) return a.created_at < b.created_at ? -1 : 1;
    return a.id < b.id ? -1 : 1;
  });
}

function authorLabel(message) {
  if (message.author === "agent") return message.agent_id === ME ? T.author_you : T.author_agent;
  if (message.author === "contact") return null;
  return t(`author_${message.author}`);
}

const RASTER_IMAGES = ["image/png", "image/jpeg", "image/gif", "image/webp"];

/** Why the contact's file is not here, in the agent's language, with its name and size. */
function refusedNode(message) {
  const media = message.media;
  const name = media.filename || t(`msg_${message.type}`);
  const code = media.error_code || "not_fetched";
  let text;
  if (code === "too_large") {
    const size = media.size
      ? formatBytes(media.size)
      : t("media_size_over", { limit: formatBytes(boot.media_max_bytes) });
    text = t("media_too_large", { name, size });
  } else {
    text = t(code === "type_not_accepted" ? "media_type_refused" : "media_not_fetched", { name });
  }
  return h("div", { class: "media-refused", data: { problem: code } },
    h("span", { class: "doc-icon" }, icon("document", 20)),
    h("span", { class: "media-refused-text", text }));
}

function mediaNode(message) {
  const media = message.media;
  if (!media) return null;
  if (media.error) return refusedNode(message);
  const url = ownUrl(media.url);
  if (!url) return h("div", { class: "media-pending", text: T.media_pending });
  const mimetype = (media.mimetype || "").split(";")[0].trim().toLowerCase();
  const filename = media.filename || t(`msg_${message.type}`);
  // The server shows only these inline (by their bytes); an SVG or other file is a download.
  if (RASTER_IMAGES.includes(mimetype)) {
    const img = h("img", { src: url, alt: filename, loading: "lazy" });
    img.addEventListener("load", () => { if (view.stuckToBottom) scrollToBottom(); });
    return h("a", { class: "msg-media", href: url, target: "_blank", rel: "noopener" }, img);
  }
  if (message.type === "audio" || mimetype.startsWith("audio/")) {
    return h("div", { class: "msg-media" }, h("audio", { src: url, controls: true, preload: "none" }));
  }
  if (message.type === "video" || mimetype.startsWith("video/")) {
    return h("div", { class: "msg-media" }, h("video", { src: url, controls: true, preload: "metadata" }));
  }
  return h(
    "a",
    { class: "doc", href: url, target: "_blank", rel: "noopener", download: media.filename || true },
    h("span", { class: "doc-icon" }, icon("document", 20)),
    h("span", { text: filename }),
    h("span", { class: "doc-size", text: formatBytes(media.size) }),
  );
}

// A voice note's text under its player: null until transcribed, "" when it could not be.
function transcriptNode(message) {
  if (typeof message.transcript !== "string") return null;
  if (!message.transcript) {
    return h("div", { class: "msg-transcript msg-transcript-failed", text: T.transcript_failed });
  }
  return h("div", { class: "msg-transcript" },
    h("span", { class: "msg-transcript-label", text: T.transcript_label }),
    ` ${message.transcript}`);
}

/**
 * A message's bubble, made again only when what it shows changed.
 * @param {import("./state.js").Message} message
 * @returns {HTMLElement}
 */
function bubble(message) {
  const key = JSON.stringify([message.status, message.body, message.error, message.media?.url,
    message.media?.error, message.type, message.external_id, message.quoted_body,
    message.reactions, message.transcript]);
  const cached = bubbles.get(message.id);
  if (cached && cached.key === key) return cached.el;
  const out = message.direction === "out";
  const author = authorLabel(message);
  const body = message.body
    ? h("div", { class: "msg-body" }, ...formatWhatsApp(message.body))
    : (!message.media ? h("div", { class: "msg-body msg-note", text: t(`msg_${message.type}`) }) : null);
  const created = new Date(message.created_at);
  const tick = out && message.status in TICKS
    ? h("span", {
      class: `tick tick-${message.status}`,
      title: t(`tick_${message.status}`),
      "aria-label": t(`tick_${message.status}`),
      role: "img",
    }, message.status === "queued" ? icon("clock", 12) : TICKS[message.status])
    : null;
  const el = h(
    "div",
    {
      class: `msg msg-${out ? "out" : "in"} msg-${message.author}`,
      data: { id: message.id, status: message.status, author: message.author },
    },
    author ? h("div", { class: "msg-author", text: author }) : null,
    quoteNode(message),
    mediaNode(message),
    transcriptNode(message),
    body,
    message.status === "failed"
      ? h("div", {
        class: "msg-error",
        text: `⚠ ${T.tick_failed}${message.error ? `: ${T[`dl_error_${message.error}`] || message.error}` : ""}`,
      })
      : null,
    h("div", { class: "msg-meta" },
      h("time", {
        datetime: message.created_at, title: longDate.format(created), text: timeFormat.format(created),
      }),
      tick),
    reactionsNode(message),
    actionsNode(message, message.conversation_id, {
      onReacted: onMessage, onReply: startReplyTo, onError: showError,
    }),
  );
  bubbles.set(message.id, { key, el });
  return el;
}

export function scrollToBottom() {
  const box = $("messages");
  box.scrollTop = box.scrollHeight;
}

/**
 * Show the open conversation's messages and notes, by day.
 * @param {boolean} toBottom scroll to the newest; otherwise keep the view where it was
 */
export function renderMessages(toBottom) {
  if (!state.open) return;
  const box = $("messages");
  const fromBottom = box.scrollHeight - box.scrollTop - box.clientHeight;
  const nodes = [];
  let lastDay = null;
  for (const { message, note } of timeline()) {
    const date = new Date((message || note).created_at);
    if (dayKey(date) !== lastDay) {
      lastDay = dayKey(date);
      nodes.push(h("div", { class: "day", text: relativeDay(date) || dateOnly.format(date) }));
    }
    nodes.push(message ? bubble(message) : noteNode(note));
  }
  $("message-list").replaceChildren(...nodes);
  $("load-older").hidden = !state.open.nextBefore;
  if (toBottom || view.stuckToBottom) scrollToBottom();
  else box.scrollTop = box.scrollHeight - box.clientHeight - fromBottom;
}

async function loadOlder() {
  const open = state.open;
  if (!open?.nextBefore) return;
  const button = $("load-older");
  button.disabled = true;
  try {
    const params = new URLSearchParams({ before: open.nextBefore, limit: String(PAGE) });
    const page = await api("GET", `/conversations/${encodeURIComponent(open.id)}/messages?${params}`);
    if (state.open !== open) return;
    for (const message of page.items) open.messages.set(message.id, message);
    open.nextBefore = page.next_before;
    view.stuckToBottom = false;
    renderMessages(false);
  } catch (error) {
    showError(error);
  } finally {
    button.disabled = false;
  }
}

export function wireMessages() {
  $("load-older").addEventListener("click", loadOlder);
  $("messages").addEventListener("scroll", () => {
    const box = $("messages");
    view.stuckToBottom = box.scrollHeight - box.scrollTop - box.clientHeight < 60;
  });
}
