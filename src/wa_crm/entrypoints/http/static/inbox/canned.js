// Canned replies: typing "/word" in the composer offers the association's saved replies; the
// chosen one, its placeholders filled by the server, replaces "/word".
import { autosize } from "./composer.js";
import { openConversationData } from "./conversation.js";
import { debounce } from "./helpers.js";
import { scrollToBottom } from "./messages.js";
import { state, view } from "./state.js";
import { showError } from "./toasts.js";
import { agentTypes } from "./typing.js";
import { $, T, api, h, t } from "./wacrm.js";

const canned = { items: [], active: -1, token: 0 };

/** The "/word" just before the caret, typed at the start or after a space. */
function slashAtCaret() {
  const box = $("composer-text");
  const before = box.value.slice(0, box.selectionStart);
  const found = /(?:^|\s)\/([^\s/]*)$/.exec(before);
  return found ? { start: before.length - found[1].length - 1, end: before.length, query: found[1] } : null;
}

const searchCanned = debounce(async (query) => {
  const token = ++canned.token;
  try {
    const params = new URLSearchParams({ q: query, limit: "8" });
    const { items } = await api("GET", `/canned-replies?${params}`);
    const still = slashAtCaret();
    if (token !== canned.token || still?.query !== query || document.activeElement !== $("composer-text")) return;
    canned.items = items;
    canned.active = items.length ? 0 : -1;
    renderCanned(query);
  } catch (error) {
    if (token === canned.token) showError(error);
  }
}, 120);

export function onComposerSlash() {
  const slash = slashAtCaret();
  if (slash) searchCanned(slash.query);
  else closeCanned();
}

function renderCanned(query) {
  $("canned-menu").replaceChildren(
    h("div", { class: "canned-head", "aria-hidden": "true" },
      h("strong", { text: T.canned_replies }),
      h("span", { text: T.canned_hint })),
    ...(canned.items.length
      ? canned.items.map((item, index) => h(
        "div",
        { id: `canned-${index}`, class: "canned-item", role: "option", data: { index: String(index) } },
        h("span", { class: "canned-shortcut", text: `/${item.shortcut}` }),
        h("span", { class: item.title ? "canned-title" : "canned-text", text: item.title || item.text }),
        item.title ? h("span", { class: "canned-text", text: item.text }) : null,
      ))
      : [h("div", { class: "canned-empty", text: t("canned_none", { q: query }) })]),
  );
  $("canned-menu").hidden = false;
  highlightCanned();
  if (view.stuckToBottom) scrollToBottom(); // the menu took room from the conversation
}

function highlightCanned() {
  for (const item of document.querySelectorAll("#canned-menu .canned-item")) {
    const active = Number(item.dataset.index) === canned.active;
    item.setAttribute("aria-selected", String(active));
    if (active) item.scrollIntoView({ block: "nearest" });
  }
  const box = $("composer-text");
  if (canned.active >= 0) box.setAttribute("aria-activedescendant", `canned-${canned.active}`);
  else box.removeAttribute("aria-activedescendant");
}

export function closeCanned() {
  canned.token++;
  canned.items = [];
  canned.active = -1;
  $("canned-menu").hidden = true;
  $("composer-text").removeAttribute("aria-activedescendant");
}

/** The composer's keys while the menu is open; true when the menu took the key. */
export function cannedKey(event) {
  if ($("canned-menu").hidden || event.isComposing) return false;
  const count = canned.items.length;
  if (event.key === "Escape") {
    closeCanned();
  } else if ((event.key === "ArrowDown" || event.key === "ArrowUp") && count) {
    canned.active = (canned.active + (event.key === "ArrowDown" ? 1 : -1) + count) % count;
    highlightCanned();
  } else if ((event.key === "Enter" || event.key === "Tab") && count && !event.shiftKey) {
    chooseCanned(canned.active);
  } else {
    return false;
  }
  event.preventDefault();
  event.stopPropagation();
  return true;
}

/** Put the reply, placeholders filled, where "/word" was; the agent edits, then sends. */
async function chooseCanned(index) {
  const item = canned.items[index];
  const conversation = openConversationData();
  const slash = slashAtCaret();
  closeCanned();
  if (!item || !conversation || !slash) return;
  try {
    const path = `/canned-replies/${encodeURIComponent(item.id)}/render`;
    const { text } = await api("POST", path, { conversation_id: conversation.id });
    if (state.open?.id !== conversation.id) return;
    const box = $("composer-text");
    const typed = box.value.slice(slash.start, slash.end) === `/${slash.query}`;
    const [from, to] = typed ? [slash.start, slash.end] : [box.selectionStart, box.selectionEnd];
    box.value = box.value.slice(0, from) + text + box.value.slice(to);
    box.focus();
    box.setSelectionRange(from + text.length, from + text.length);
    autosize();
    agentTypes();
  } catch (error) {
    showError(error);
  }
}

export function wireCanned() {
  $("canned-menu").addEventListener("mousedown", (event) => event.preventDefault()); // keep the caret
  $("canned-menu").addEventListener("click", (event) => {
    const item = event.target.closest(".canned-item");
    if (item) chooseCanned(Number(item.dataset.index));
  });
}
