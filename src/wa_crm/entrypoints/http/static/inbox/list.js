// The conversation list: tabs, search and filters, pages of rows, the counts on the tabs, and
// the rows live events move, add or drop. Urgent conversations (an emergency) are loaded apart
// and pinned above the paged list until they are resolved.
import { openConversation } from "./conversation.js";
import {
  activity, avatarColour, contactName, debounce, formatPhone, initials, listTime, reasonLabel,
} from "./helpers.js";
import { moveInList } from "./keyboard.js";
import { rowTags } from "./labels.js";
import { ME, PAGE, TABS, eventMark, remember, state, toldSince } from "./state.js";
import { showError } from "./toasts.js";
import { $, T, api, h, t } from "./wacrm.js";

const BASE_TITLE = document.title;

const rows = new Map(); // conversation id -> <li>

function queryFor(extra) {
  const tab = TABS[state.tab];
  const params = new URLSearchParams({ limit: String(PAGE) });
  if (tab.status) params.set("status", tab.status);
  if (tab.assignee) params.set("assignee", tab.assignee);
  if (state.q) params.set("q", state.q);
  if (state.label) params.set("label", state.label);
  if (state.snoozed) params.set("snoozed", "true");
  for (const [key, value] of Object.entries(extra || {})) params.set(key, value);
  return params.toString();
}

function matchesView(conversation) {
  const tab = TABS[state.tab];
  if (tab.status && !tab.status.split(",").includes(conversation.status)) return false;
  if (tab.assignee === "me" && conversation.assignee_id !== ME) return false;
  if (tab.assignee === "none" && conversation.assignee_id) return false;
  if (state.label && !(conversation.labels || []).includes(state.label)) return false;
  if (Boolean(conversation.snoozed_until) !== state.snoozed) return false;
  if (state.q) {
    const needle = state.q.toLowerCase();
    const contact = conversation.contact || {};
    const hay = `${contact.display_name || ""} ${contact.phone || ""}`.toLowerCase();
    if (!hay.includes(needle)) return false;
  }
  return true;
}

function byActivity(a, b) {
  const left = activity(state.conversations.get(a));
  const right = activity(state.conversations.get(b));
  if (left !== right) return left < right ? 1 : -1;
  return a < b ? 1 : -1;
}

/**
 * A list page's conversations, except those an event told of since the read began (`mark`):
 * the event's state is the fresher one.
 * @param {import("./state.js").Conversation[]} items
 * @param {number} mark
 */
function rememberListed(items, mark) {
  const told = new Set(toldSince(mark));
  for (const item of items) if (!told.has(item.id)) remember(item);
}

/**
 * After a page is shown: the conversations an event told of since its read began are placed
 * by their state now (one may have come into the view, or left it, meanwhile).
 * @param {number} mark
 */
function placeToldSince(mark) {
  const told = toldSince(mark);
  for (const id of told) placeInList(state.conversations.get(id));
  if (told.length) refreshCounts();
}

let listToken = 0;
export async function loadList() {
  const token = ++listToken;
  const mark = eventMark();
  const [urgent, page] = await Promise.all([
    api("GET", `/conversations?${queryFor({ urgent: "true" })}`),
    api("GET", `/conversations?${queryFor({ urgent: "false" })}`),
  ]);
  if (token !== listToken) return;
  rememberListed(urgent.items, mark);
  rememberListed(page.items, mark);
  state.pinned = urgent.items.map((c) => c.id);
  state.list = page.items.map((c) => c.id);
  state.nextCursor = page.next_cursor;
  setCounts(page.counts);
  renderList();
  placeToldSince(mark);
}

async function loadMore() {
  if (!state.nextCursor) return;
  const token = listToken;
  const mark = eventMark();
  const page = await api(
    "GET", `/conversations?${queryFor({ urgent: "false", cursor: state.nextCursor })}`,
  );
  if (token !== listToken) return;
  rememberListed(page.items, mark);
  const shown = new Set(state.list);
  state.list.push(...page.items.map((c) => c.id).filter((id) => !shown.has(id)));
  state.nextCursor = page.next_cursor;
  renderList();
  placeToldSince(mark);
}

export const refreshCounts = debounce(async () => {
  try {
    setCounts((await api("GET", "/conversations?limit=1")).counts);
  } catch (error) {
    /* the next event tries again */
  }
}, 250);

function setCounts(counts) {
  state.counts = counts;
  const total = counts.bot + counts.pending + counts.human + counts.resolved;
  const values = { bot: counts.bot, pending: counts.pending, mine: counts.mine, all: total };
  for (const el of document.querySelectorAll("[data-count]")) {
    el.textContent = String(values[el.dataset.count] ?? "");
    el.classList.toggle("attention", el.dataset.count === "pending" && counts.pending > 0);
  }
  document.title = counts.pending > 0 ? `(${counts.pending}) ${BASE_TITLE}` : BASE_TITLE;
}

/**
 * A conversation's row, made again from its data; the same <li> each time, so focus stays.
 * @param {import("./state.js").Conversation} conversation
 * @returns {HTMLLIElement}
 */
export function renderRow(conversation) {
  let li = rows.get(conversation.id);
  if (!li) {
    li = h("li");
    rows.set(conversation.id, li);
  }
  const name = contactName(conversation.contact);
  const phone = formatPhone(conversation.contact?.phone);
  const unread = conversation.unread_count > 0;
  const isOpen = state.open?.id === conversation.id;
  const typing = state.typing.has(conversation.id);
  const detail = typing ? h("span", { class: "typing", text: T.typing })
    : h("span", {
      class: "conv-detail",
      text: conversation.status === "pending" && conversation.handoff_reason
        ? reasonLabel(conversation.handoff_reason)
        : (name !== phone ? phone : ""),
    });
  const avatar = h("span", { class: "avatar", "aria-hidden": "true", text: initials(name) });
  avatar.style.background = avatarColour(conversation.contact_id || conversation.id);
  const button = h(
    "button",
    {
      type: "button",
      class: `conv${unread ? " unread" : ""}${conversation.urgent ? " urgent" : ""}`,
      data: { id: conversation.id, status: conversation.status },
      "aria-current": isOpen ? "true" : null,
    },
    avatar,
    h(
      "span",
      { class: "conv-main" },
      h(
        "span",
        { class: "conv-top" },
        h("span", { class: "conv-name", text: name }),
        h("time", {
          class: "conv-time", datetime: activity(conversation), text: listTime(activity(conversation)),
        }),
      ),
      h(
        "span",
        { class: "conv-bottom" },
        conversation.urgent
          ? h("span", { class: "pill pill-urgent", title: T.urgent_title, text: T.urgent })
          : null,
        h("span", { class: `pill pill-${conversation.status}`, text: t(`status_${conversation.status}`) }),
        conversation.sla_breached
          ? h("span", { class: "pill pill-late", title: T.late_title, text: T.late })
          : null,
        detail,
        unread ? h("span", {
          class: "unread-badge",
          "aria-label": String(conversation.unread_count),
          text: conversation.unread_count > 99 ? "99+" : String(conversation.unread_count),
        }) : null,
      ),
      rowTags(conversation),
    ),
  );
  const hadFocus = li.contains(document.activeElement);
  li.replaceChildren(button);
  if (hadFocus) button.focus({ preventScroll: true });
  return li;
}

export function renderList() {
  const list = $("conversation-list");
  const focusedId = document.activeElement?.closest?.(".conv")?.dataset.id;
  const items = [...state.pinned, ...state.list].map((id) => renderRow(state.conversations.get(id)));
  const current = Array.from(list.children);
  if (current.length !== items.length || current.some((el, i) => el !== items[i])) {
    list.replaceChildren(...items);
    const again = focusedId && list.querySelector(`.conv[data-id="${CSS.escape(focusedId)}"]`);
    if (again) again.focus({ preventScroll: true });
  }
  const empty = $("list-empty");
  empty.hidden = items.length > 0;
  empty.textContent = state.q ? t("no_matches", { q: state.q }) : T.no_conversations;
  $("list-more").hidden = !state.nextCursor;
}

/** Apply a conversation snapshot from an event to the list: update, insert, move or drop. */
export function placeInList(conversation) {
  const pinned = state.pinned.includes(conversation.id);
  const belongs = matchesView(conversation);
  if (belongs && conversation.urgent) {
    state.list = state.list.filter((id) => id !== conversation.id);
    if (!pinned) state.pinned.unshift(conversation.id);
    renderList();
    return;
  }
  if (pinned) state.pinned = state.pinned.filter((id) => id !== conversation.id);
  const shown = state.list.includes(conversation.id);
  if (belongs) {
    if (!shown) {
      const last = state.conversations.get(state.list[state.list.length - 1]);
      // Past the loaded page it belongs to a later page: "load more" will bring it.
      if (state.nextCursor && last && activity(conversation) < activity(last)) return;
      state.list.push(conversation.id);
    }
    state.list.sort(byActivity);
  } else if (shown) {
    state.list = state.list.filter((id) => id !== conversation.id);
  }
  renderList();
}

/** Mark the current tab as selected: the only one of them reached with Tab. */
export function showSelectedTab() {
  for (const tab of document.querySelectorAll(".tab")) {
    tab.setAttribute("aria-selected", String(tab.dataset.tab === state.tab));
    tab.tabIndex = tab.dataset.tab === state.tab ? 0 : -1;
  }
}

function selectTab(name) {
  state.tab = name;
  localStorage.setItem("wa_crm.tab", name);
  showSelectedTab();
  loadList().catch(showError);
}

function setSnoozedFilter(on) {
  state.snoozed = on;
  $("filter-snoozed").setAttribute("aria-pressed", String(on));
  loadList().catch(showError);
}

export function wireList() {
  for (const tab of document.querySelectorAll(".tab")) {
    tab.addEventListener("click", () => selectTab(tab.dataset.tab));
    tab.addEventListener("keydown", (event) => {
      if (event.key !== "ArrowLeft" && event.key !== "ArrowRight") return;
      const tabs = Array.from(document.querySelectorAll(".tab"));
      const step = event.key === "ArrowRight" ? 1 : -1;
      const next = tabs[(tabs.indexOf(tab) + step + tabs.length) % tabs.length];
      next.focus();
      selectTab(next.dataset.tab);
    });
  }
  $("conversation-list").addEventListener("click", (event) => {
    const row = event.target.closest(".conv");
    if (row) openConversation(row.dataset.id);
  });
  $("list-more").addEventListener("click", () => loadMore().catch(showError));
  $("search").addEventListener("input", debounce(() => {
    state.q = $("search").value.trim();
    loadList().catch(showError);
  }, 250));
  $("search").addEventListener("keydown", (event) => {
    if (event.key === "Enter" || event.key === "ArrowDown") {
      event.preventDefault();
      moveInList(0);
    }
  });
  $("filter-snoozed").addEventListener("click", () => setSnoozedFilter(!state.snoozed));
}
