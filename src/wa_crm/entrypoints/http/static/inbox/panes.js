// Which panes show. The layout's data-pane names the deepest one the agent has gone to (list,
// conversation, contact) and app.css shows what fits each size: a desktop all three; a laptop
// or tablet the list and the conversation, with the contact as a drawer over them; a phone one
// pane at a time.
//
// Going deeper adds a history entry (list -> conversation on a phone, conversation -> contact
// wherever the contact is not beside it), so the browser's back button goes back a pane, as the
// page's own back and close controls do. Entries carry { pane, c, pushed }; the address keeps
// ?c=<conversation id> as before.
import { state } from "./state.js";
import { $ } from "./wacrm.js";

const PHONE = window.matchMedia("(max-width: 767.98px)");
const DRAWER = window.matchMedia("(min-width: 768px) and (max-width: 1199.98px)");
const THREE_PANES = () => !PHONE.matches && !DRAWER.matches;

/** @type {(id: string) => void} */
let reopen = () => {};
let restoring = false; // while a history entry is being shown, showing it changes no history

const layout = () => document.querySelector(".layout");

/** @returns {"list" | "conversation" | "contact"} */
export function currentPane() {
  return /** @type {any} */ (layout().dataset.pane) || "list";
}

function show(pane) {
  const leaving = currentPane();
  layout().dataset.pane = pane;
  $("btn-contact").setAttribute("aria-expanded", String(pane === "contact"));
  if (pane === "contact" && leaving !== "contact") {
    (PHONE.matches ? $("contact-back") : $("contact-close")).focus();
  } else if (leaving === "contact" && pane !== "contact" && !THREE_PANES()) {
    $("btn-contact").focus();
  }
}

function address(id) {
  const params = new URLSearchParams(window.location.search);
  if (id) params.set("c", id);
  else params.delete("c");
  const query = params.toString();
  return `${window.location.pathname}${query ? `?${query}` : ""}`;
}

/**
 * A conversation is being opened: its id goes into the address, and on a phone it takes the
 * list's place with an entry of its own (back returns to the list).
 * @param {string} id
 */
export function conversationShown(id) {
  if (restoring) return;
  const entry = window.history.state;
  if (entry?.c === id && entry.pane !== "list") { // a reload: this entry is already the one
    show(entry.pane);
    return;
  }
  const next = { pane: "conversation", c: id, pushed: false };
  if (PHONE.matches && currentPane() === "list") {
    if (entry?.pane !== "list") window.history.replaceState({ pane: "list" }, "", address(null));
    window.history.pushState({ ...next, pushed: true }, "", address(id));
  } else {
    window.history.replaceState(next, "", address(id));
  }
  show("conversation");
}

/** The contact of the open conversation: a pane on a phone, a drawer on a laptop. */
export function showContact() {
  if (!state.open || currentPane() === "contact") return;
  window.history.pushState({ pane: "contact", c: state.open.id, pushed: true }, "", address(state.open.id));
  show("contact");
}

/** Back from the contact to its conversation. */
export function closeContact() {
  if (currentPane() !== "contact") return;
  const entry = window.history.state;
  if (entry?.pane === "contact" && entry.pushed) {
    window.history.back();
    return;
  }
  window.history.replaceState({ pane: "conversation", c: state.open?.id, pushed: false }, "", address(state.open?.id));
  show("conversation");
}

/** Back from the conversation to the list (a phone's back control). */
export function backToList() {
  const entry = window.history.state;
  if (entry?.pane === "conversation" && entry.pushed) {
    window.history.back();
    return;
  }
  window.history.replaceState({ pane: "list" }, "", address(null));
  show("list");
}

function onHistory(event) {
  const entry = event.state;
  const pane = entry?.pane || "list";
  restoring = true;
  try {
    if (entry?.c && entry.c !== state.open?.id) reopen(entry.c);
  } finally {
    restoring = false;
  }
  show(pane);
  if (pane === "list") {
    document.querySelector('#conversation-list .conv[aria-current="true"]')?.focus();
  }
}

/**
 * @param {(id: string) => void} open opens a conversation (conversation.js's openConversation,
 *   passed in so the two modules do not import each other)
 */
export function wirePanes(open) {
  reopen = open;
  window.addEventListener("popstate", onHistory);
  $("conv-back").addEventListener("click", backToList);
  $("btn-contact").addEventListener("click", showContact);
  $("contact-back").addEventListener("click", closeContact);
  $("contact-close").addEventListener("click", closeContact);
  $("contact-backdrop").addEventListener("click", closeContact);
  document.addEventListener("keydown", (event) => {
    if (event.key !== "Escape" || currentPane() !== "contact" || !DRAWER.matches) return;
    if (event.target.closest?.("dialog")) return; // a dialog over the drawer closes first
    event.preventDefault();
    closeContact();
  });
}
