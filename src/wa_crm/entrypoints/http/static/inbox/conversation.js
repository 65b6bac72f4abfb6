// The open conversation: opening one (its messages, notes and contact at once), marking it
// read, and its header (who, status, the buttons its status allows, the handoff note).
import { renderAssignee } from "./assignment.js";
import { closeCanned } from "./canned.js";
import { autosize, clearAttachment, renderComposer, stopReplyTo } from "./composer.js";
import { contactName, debounce, fieldLabel, formatPhone, reasonLabel } from "./helpers.js";
import { renderReadOnly } from "./history.js";
import { closeLabelInput, renderLabels } from "./labels.js";
import { renderList } from "./list.js";
import { closeMenus } from "./menus.js";
import { renderMessages } from "./messages.js";
import { conversationShown } from "./panes.js";
import { renderRating } from "./rating.js";
import { loadSidebar } from "./sidebar.js";
import { renderSnooze } from "./snooze.js";
import { ME, PAGE, bubbles, noteNodes, remember, state, view } from "./state.js";
import { dropToasts, showError } from "./toasts.js";
import { renderTyping, stopTyping } from "./typing.js";
import { $, T, api, h, t } from "./wacrm.js";

/**
 * Show a conversation: on a phone the list gives way to it.
 * @param {string} id
 */
export async function openConversation(id) {
  conversationShown(id); // the address, and on a phone the pane
  if (state.open?.id === id) return;
  stopTyping();
  dropToasts(id);
  const token = ++view.openToken;
  state.open = { id, messages: new Map(), notes: new Map(), nextBefore: null, contactDetail: null };
  bubbles.clear();
  noteNodes.clear();
  closeMenus();
  closeCanned();
  closeLabelInput(false);
  view.composerMode = "reply";
  view.stuckToBottom = true;
  clearAttachment();
  stopReplyTo();
  $("composer-text").value = "";
  autosize();
  $("conv-placeholder").hidden = true;
  $("conv-view").hidden = false;
  $("message-list").replaceChildren(h("p", { class: "muted", text: T.loading }));
  $("handoff-note").hidden = true;
  renderList();
  try {
    const [conversation, page, notes] = await Promise.all([
      api("GET", `/conversations/${encodeURIComponent(id)}`),
      api("GET", `/conversations/${encodeURIComponent(id)}/messages?limit=${PAGE}`),
      api("GET", `/conversations/${encodeURIComponent(id)}/notes`),
    ]);
    if (token !== view.openToken) return;
    remember(conversation);
    for (const message of page.items) state.open.messages.set(message.id, message);
    for (const note of notes.items) state.open.notes.set(note.id, note);
    state.open.nextBefore = page.next_before;
    renderHeader();
    renderMessages(true);
    loadSidebar(conversation.contact_id, token);
    if (conversation.unread_count > 0) markRead();
  } catch (error) {
    if (token === view.openToken) showError(error);
  }
}

/** @returns {import("./state.js").Conversation | null | undefined} */
export function openConversationData() {
  return state.open ? state.conversations.get(state.open.id) : null;
}

export const markRead = debounce(async () => {
  const conversation = openConversationData();
  if (!conversation || conversation.unread_count === 0) return;
  try {
    remember(await api("POST", `/conversations/${encodeURIComponent(conversation.id)}/read`));
    renderList();
  } catch (error) {
    showError(error);
  }
}, 300);

export function renderHeader() {
  const conversation = openConversationData();
  if (!conversation) return;
  const status = conversation.status;
  const mine = conversation.assignee_id === ME;
  $("conv-name").textContent = contactName(conversation.contact);
  const phone = formatPhone(conversation.contact?.phone);
  $("conv-phone").textContent = phone !== contactName(conversation.contact) ? phone : "";
  const pill = $("conv-status");
  pill.className = `pill pill-${status}`;
  pill.textContent = t(`status_${status}`);
  $("conv-state").textContent = status === "human"
    ? (mine ? T.state_mine : conversation.assignee_id ? T.state_other : T.state_unassigned)
    : t(`state_${status}`);
  $("conv-state").title = $("conv-state").textContent; // it may be cut short
  $("btn-claim").hidden = !(status === "bot" || status === "pending"
    || (status === "human" && !conversation.assignee_id));
  $("btn-release").hidden = status !== "human";
  $("btn-resolve").hidden = status === "resolved";

  const note = conversation.handoff_note;
  $("handoff-note").hidden = !note || status === "resolved";
  if (note) {
    $("handoff-reason").textContent = reasonLabel(note.reason);
    $("handoff-summary").textContent = note.summary || "";
    $("handoff-summary").hidden = !note.summary;
    $("handoff-fields").replaceChildren(
      ...Object.entries(note.fields || {}).flatMap(([name, value]) => [
        h("dt", { text: fieldLabel(name) }),
        h("dd", { text: typeof value === "string" ? value : JSON.stringify(value) }),
      ]),
    );
  }

  renderLabels(conversation);
  renderSnooze(conversation);
  renderRating(conversation);
  renderAssignee(conversation);
  renderComposer();
  renderTyping();
  renderReadOnly(conversation);
}

export function wireConversation() {
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible" && openConversationData()?.unread_count > 0) markRead();
  });
}
