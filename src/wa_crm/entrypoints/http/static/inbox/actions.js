// The agent's actions on the open conversation (claim, release, resolve, assign, snooze, labels)
// and what their answer changes: the header, the list, the counts, the waiting alerts.
import { openConversationData, renderHeader } from "./conversation.js";
import { placeInList, refreshCounts } from "./list.js";
import { remember, state } from "./state.js";
import { dropToasts, showError, toast } from "./toasts.js";
import { $, T, api } from "./wacrm.js";

/** An action's answer: the conversation as it is now (without its contact). */
export function applyUpdate(data) {
  const updated = remember(data);
  noteStatus(updated);
  renderHeader();
  placeInList(updated);
  refreshCounts();
  return updated;
}

/**
 * POST an action on the open conversation, then toast ``doneText``.
 * @param {string} action the last segment of its path: "claim", "assign", "snooze", …
 * @param {string} doneText
 * @param {object} [body]
 */
export async function act(action, doneText, body) {
  const conversation = openConversationData();
  if (!conversation) return;
  try {
    const path = `/conversations/${encodeURIComponent(conversation.id)}/${action}`;
    applyUpdate(await api("POST", path, body));
    toast(doneText);
    if (action === "claim") $("composer-text").focus();
  } catch (error) {
    showError(error);
  }
}

/** A conversation that no longer waits for an agent: its alert may come again, its toasts go. */
export function noteStatus(conversation) {
  if (conversation.status !== "pending") {
    state.pending.delete(conversation.id);
    dropToasts(conversation.id);
  }
}

export function wireActions() {
  $("btn-claim").addEventListener("click", () => act("claim", T.claimed));
  $("btn-release").addEventListener("click", () => act("release", T.released));
  $("btn-resolve").addEventListener("click", () => act("resolve", T.resolved));
}
