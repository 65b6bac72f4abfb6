// A contact's other conversations, in the sidebar (when, status, the last message), and the
// read-only view of one: no composer and no actions, a banner saying so with the way back to the
// conversation the agent was in. The header's "Conversa anterior" (the contact wrote again after
// a resolve) opens the one before in the same way.
import { openConversation, openConversationData } from "./conversation.js";
import { dateOnly } from "./helpers.js";
import { previewNodes } from "./list.js";
import { state, view } from "./state.js";
import { showError } from "./toasts.js";
import { $, T, api, h, t } from "./wacrm.js";

const PAGE = 20;

/** @type {{id: string, backTo: string | null} | null} the conversation shown read-only */
let readOnly = null;

/**
 * The sidebar's section of the contact's other conversations, filled when they arrive.
 * @param {string} contactId
 * @returns {HTMLElement}
 */
export function earlierSection(contactId) {
  const list = h("ul", { class: "earlier" }, h("li", { class: "muted", text: T.loading }));
  const more = h("button", { type: "button", class: "ghost small", text: T.earlier_more, hidden: true });
  const section = h("section", { class: "earlier-section" }, h("h2", { text: T.earlier_title }), list, more);
  const token = view.openToken;
  let cursor = null;
  const load = async () => {
    const query = new URLSearchParams({ limit: String(PAGE), ...(cursor ? { cursor } : {}) });
    try {
      const page = await api("GET", `/contacts/${encodeURIComponent(contactId)}/conversations?${query}`);
      if (token !== view.openToken) return;
      if (!cursor) list.replaceChildren();
      const current = readOnly?.backTo ?? state.open?.id;
      list.append(...page.items.filter((c) => c.id !== current).map(item));
      if (!list.children.length) list.append(h("li", { class: "muted", text: T.earlier_none }));
      cursor = page.next_cursor;
      more.hidden = !cursor;
    } catch (error) {
      if (token !== view.openToken) return;
      list.replaceChildren();
      showError(error);
    }
  };
  more.addEventListener("click", load);
  list.addEventListener("click", (event) => {
    const button = event.target.closest("[data-id]");
    if (button) openReadOnly(button.dataset.id);
  });
  load();
  return section;
}

function item(conversation) {
  const date = dateOnly.format(new Date(conversation.created_at));
  const last = conversation.last_message;
  return h("li", null, h(
    "button",
    {
      type: "button", class: "earlier-item", data: { id: conversation.id },
      title: t("earlier_open", { date }), "aria-current": readOnly?.id === conversation.id ? "true" : null,
    },
    h("span", { class: "earlier-top" },
      h("span", { class: "earlier-date", text: date }),
      h("span", { class: `pill pill-${conversation.status}`, text: t(`status_${conversation.status}`) })),
    h("span", { class: "earlier-preview" },
      ...(last ? previewNodes(last) : [h("span", { class: "muted", text: T.earlier_empty })])),
  ));
}

/**
 * Open a conversation read-only, remembering the one to go back to.
 * @param {string} id
 */
export async function openReadOnly(id) {
  const current = readOnly?.backTo ?? state.open?.id ?? null;
  readOnly = current === id ? null : { id, backTo: current };
  const opening = openConversation(id); // it shows the conversation at once, then loads it
  show(state.conversations.get(id));
  await opening;
}

/** Leave the read-only view (a row of the list was picked). */
export function endReadOnly() {
  if (!readOnly) return;
  readOnly = null;
  show(openConversationData());
}

/**
 * Called with the header: the banner and the hidden controls of a read-only conversation, and the
 * link to the previous one. Another conversation opened ends the read-only view.
 * @param {import("./state.js").Conversation} conversation
 */
export function renderReadOnly(conversation) {
  if (readOnly && readOnly.id !== conversation.id) readOnly = null;
  show(conversation);
}

function show(conversation) {
  const on = Boolean(readOnly);
  $("conv-view").classList.toggle("read-only", on);
  const box = banner();
  box.hidden = !on;
  if (on) {
    const closed = conversation?.resolved_at;
    const date = dateOnly.format(new Date(closed || conversation?.created_at || Date.now()));
    $("readonly-text").textContent = t(closed ? "readonly_resolved" : "readonly_open", { date });
    $("readonly-back").hidden = !readOnly.backTo;
  }
  previousLink().hidden = on || !conversation?.previous_conversation_id;
}

function banner() {
  let box = $("readonly-banner");
  if (!box) {
    box = h(
      "div",
      { id: "readonly-banner", class: "readonly-banner", role: "status", hidden: true },
      h("span", { id: "readonly-text" }),
      h("button", { id: "readonly-back", type: "button", class: "small", text: T.readonly_back }),
    );
    $("messages").before(box);
    $("readonly-back").addEventListener("click", () => {
      if (readOnly?.backTo) openConversation(readOnly.backTo);
    });
  }
  return box;
}

function previousLink() {
  let link = $("conv-previous");
  if (!link) {
    link = h("button", { id: "conv-previous", type: "button", class: "link-button", text: T.previous_link, hidden: true });
    document.querySelector("#conv-view .conv-sub").append(link);
    link.addEventListener("click", () => {
      const previous = openConversationData()?.previous_conversation_id;
      if (previous) openReadOnly(previous);
    });
  }
  return link;
}
