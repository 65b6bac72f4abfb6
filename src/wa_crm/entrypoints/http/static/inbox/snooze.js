// Snooze: put a conversation aside until a time (presets or a chosen one, at most 30 days), show
// it in the header, and tell the agent when it comes back.
import { act } from "./actions.js";
import { openConversation, openConversationData } from "./conversation.js";
import { contactName, icon } from "./helpers.js";
import { menu } from "./menus.js";
import { ME, state, withContact } from "./state.js";
import { toast } from "./toasts.js";
import { $, T, boot, t } from "./wacrm.js";

let snoozeMenu = null;
const MAX_SNOOZE_MS = 30 * 24 * 3600 * 1000;
export const snoozeFormat = new Intl.DateTimeFormat(boot.locale, {
  weekday: "short", day: "numeric", month: "short", hour: "2-digit", minute: "2-digit",
});
export const shortSnooze = new Intl.DateTimeFormat(boot.locale, {
  day: "numeric", month: "short", hour: "2-digit", minute: "2-digit",
});

/** The presets' times, in the agent's own time zone. */
function snoozePreset(name, now = new Date()) {
  const at = (days) => new Date(now.getFullYear(), now.getMonth(), now.getDate() + days, 9, 0);
  if (name === "hour") return new Date(now.getTime() + 3600 * 1000);
  if (name === "tomorrow") return at(1);
  return at((8 - now.getDay()) % 7 || 7); // next Monday
}

/** A date as a datetime-local input shows it (local time, to the minute). */
function localInput(date) {
  const pad = (n) => String(n).padStart(2, "0");
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`
    + `T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

function openSnoozeMenu() {
  const now = new Date();
  for (const el of document.querySelectorAll("#snooze-menu [data-when]")) {
    el.textContent = snoozeFormat.format(snoozePreset(el.dataset.when, now));
  }
  const input = $("snooze-at");
  input.min = localInput(new Date(now.getTime() + 60 * 1000));
  input.max = localInput(new Date(now.getTime() + MAX_SNOOZE_MS - 60 * 1000));
  input.value = input.value || localInput(snoozePreset("tomorrow", now));
  $("btn-unsnooze").hidden = !openConversationData()?.snoozed_until;
}

async function snoozeUntil(date) {
  snoozeMenu.close(true);
  const done = date ? t("snoozed_toast", { when: snoozeFormat.format(date) }) : T.unsnoozed_toast;
  await act("snooze", done, { until: date ? date.toISOString() : null });
}

function onSnoozeCustom(event) {
  event.preventDefault();
  const date = new Date($("snooze-at").value); // a datetime-local value is local time
  const ahead = date.getTime() - Date.now();
  if (!(ahead > 0 && ahead <= MAX_SNOOZE_MS)) {
    toast(T.snooze_invalid, { error: true });
    return;
  }
  snoozeUntil(date);
}

export function renderSnooze(conversation) {
  const mark = $("conv-snoozed");
  const until = conversation.snoozed_until ? new Date(conversation.snoozed_until) : null;
  mark.hidden = !until;
  if (until) mark.replaceChildren(icon("clock", 13), t("snoozed_until", { when: snoozeFormat.format(until) }));
  $("btn-snooze").hidden = conversation.status === "resolved";
}

/** A snoozed conversation came back: tell its assignee, or everyone when it has none. */
export async function backFromSnooze(data) {
  if (data.assignee_id && data.assignee_id !== ME) return;
  let conversation = state.conversations.get(data.conversation_id);
  if (!conversation?.contact) {
    try {
      conversation = await withContact(data.conversation_id);
    } catch {
      return;
    }
  }
  toast(t("snooze_ended_toast", { name: contactName(conversation.contact) }), {
    action: T.open, onAction: () => openConversation(data.conversation_id),
  });
}

export function wireSnoozeMenu() {
  snoozeMenu = menu($("btn-snooze"), $("snooze-menu"), openSnoozeMenu);
  $("snooze-menu").addEventListener("click", (event) => {
    const item = event.target.closest("[data-snooze]");
    if (item) snoozeUntil(snoozePreset(item.dataset.snooze));
  });
  $("btn-unsnooze").addEventListener("click", () => snoozeUntil(null));
  $("snooze-custom").addEventListener("submit", onSnoozeCustom);
}
