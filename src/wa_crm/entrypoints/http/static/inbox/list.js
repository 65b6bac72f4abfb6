// The conversation list: tabs, pages of rows (who wrote last and what, when, unread messages,
// the assignee, labels, marks), their order, the counts on the tabs, and the rows live events
// move, add or drop. Urgent conversations (an emergency) are loaded apart and pinned above the
// paged list until they are resolved. The search and filters are filters.js's (kept in the
// address), picking rows for bulk actions is bulk.js's.
import { isPicked, picking, showPicked, togglePicked } from "./bulk.js";
import { openConversation } from "./conversation.js";
import {
  activity, avatarColour, contactName, debounce, formatPhone, initials, listTime, reasonLabel,
} from "./helpers.js";
import { filters, labelChip, listParams, matchesFilters, searchTerms } from "./filters.js";
import { endReadOnly } from "./history.js";
import { moveInList } from "./keyboard.js";
import { rowTags } from "./labels.js";
import { ME, PAGE, TABS, eventMark, remember, state, toldSince } from "./state.js";
import { showError } from "./toasts.js";
import { $, T, api, boot, h, t } from "./wacrm.js";

const BASE_TITLE = document.title;
const plural = new Intl.PluralRules(boot.locale);

const rows = new Map(); // conversation id -> <li>

/** ``key_one``/``key_other`` by the count (``key_none`` for 0, when there is one), ``{n}`` filled in. */
export function counted(key, n, vars) {
  const form = n === 0 && T[`${key}_none`] ? "none" : plural.select(n);
  return t(T[`${key}_${form}`] ? `${key}_${form}` : `${key}_other`, { n: String(n), ...vars });
}

/** The list's query, or null when the tab and the filters exclude each other. */
function queryFor(extra) {
  const params = listParams(TABS[state.tab]);
  if (!params) return null;
  params.set("limit", String(PAGE));
  if (state.snoozed) params.set("snoozed", "true");
  for (const [key, value] of Object.entries(extra || {})) params.set(key, value);
  return params.toString();
}

function matchesView(conversation) {
  const tab = TABS[state.tab];
  if (tab.status && !tab.status.split(",").includes(conversation.status)) return false;
  if (tab.assignee === "me" && conversation.assignee_id !== ME) return false;
  if (tab.assignee === "none" && conversation.assignee_id) return false;
  if (Boolean(conversation.snoozed_until) !== state.snoozed) return false;
  if (!matchesFilters(conversation)) return false;
  // What a search found is the server's to say (words in messages, a patient's name): an event
  // keeps a shown row up to date but brings no new one.
  if (filters.q) return state.list.includes(conversation.id) || state.pinned.includes(conversation.id);
  return true;
}

/** The list's order: newest activity first, or those waiting longest first (then newest). */
function byOrder(a, b) {
  const left = state.conversations.get(a);
  const right = state.conversations.get(b);
  if (filters.sort === "waiting") {
    const l = left.waiting_since || "";
    const r = right.waiting_since || "";
    if (l !== r) {
      if (!l || !r) return l ? -1 : 1;
      return l < r ? -1 : 1;
    }
  }
  const newer = activity(left);
  const older = activity(right);
  if (newer !== older) return newer < older ? 1 : -1;
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
  for (const item of items) {
    // The row's own data (the last message, a search's match) is the list's, never an event's.
    if (told.has(item.id)) remember({ id: item.id, last_message: item.last_message, match: item.match });
    else remember(item);
  }
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
let conflict = false; // the tab and the filters exclude each other: nothing to ask for
export async function loadList() {
  const token = ++listToken;
  const mark = eventMark();
  const urgentQuery = queryFor({ urgent: "true" });
  conflict = urgentQuery === null;
  if (conflict) {
    state.pinned = [];
    state.list = [];
    state.nextCursor = null;
    renderList();
    refreshCounts();
    return;
  }
  const [urgent, page] = await Promise.all([
    api("GET", `/conversations?${urgentQuery}`),
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
  const values = {
    bot: counts.bot, pending: counts.pending, mine: counts.mine, unassigned: counts.unassigned,
    all: total,
  };
  for (const el of document.querySelectorAll("[data-count]")) {
    el.textContent = String(values[el.dataset.count] ?? "");
    el.classList.toggle("attention", el.dataset.count === "pending" && counts.pending > 0);
  }
  document.title = counts.pending > 0 ? `(${counts.pending}) ${BASE_TITLE}` : BASE_TITLE;
}

const PREVIEW_CHARS = 120;
const MEDIA = new Set(["image", "document", "audio", "video", "sticker", "location", "contact"]);

/**
 * Who wrote a conversation's last message and what, as nodes: "Você: …", the agent's name, the
 * assistant, nothing for the contact; a file without a caption by its kind ("📎 Documento").
 * @param {{author: string, author_name?: string | null, agent_id?: string | null,
 *   type: string, preview: string} | null | undefined} last
 * @returns {Node[]}
 */
export function previewNodes(last) {
  if (!last) return [];
  // A row from the list names its agent; a message seen live carries the agent's id.
  const mine = Boolean(last.agent_id) && last.agent_id === ME;
  const by = last.author === "bot" ? T.preview_bot
    : last.author !== "agent" ? null
      : mine ? T.preview_you : last.author_name || T.author_agent;
  const kind = MEDIA.has(last.type) ? last.type : "other";
  const text = last.preview || (last.type === "text" ? "" : t(`preview_${kind}`));
  return [
    by ? h("span", { class: "conv-author", text: t("preview_by", { who: by }) }) : null,
    h("span", { class: "conv-text", text }),
  ].filter(Boolean);
}

/** Folded for comparing: lower case, without accents. */
function fold(text) {
  return text.normalize("NFD").replace(/\p{M}/gu, "").toLowerCase();
}

/**
 * A search's matching message with the words searched for in <mark>, built from text nodes.
 * A word is marked when it starts like one searched for ("entregas" marks "entrega").
 * @param {string} preview
 * @returns {Node[]}
 */
export function highlighted(preview) {
  const stems = searchTerms().map((term) => (term.length > 3 ? term.replace(/e?s$/, "") : term));
  const nodes = [];
  let plain = "";
  for (const [word] of preview.matchAll(/[\p{L}\p{N}]+|[^\p{L}\p{N}]+/gu)) {
    const folded = fold(word);
    if (/[\p{L}\p{N}]/u.test(word) && stems.some((stem) => folded.startsWith(stem))) {
      if (plain) nodes.push(plain);
      plain = "";
      nodes.push(h("mark", { text: word }));
    } else {
      plain += word;
    }
  }
  if (plain) nodes.push(plain);
  return nodes;
}

function assigneeMark(conversation) {
  const id = conversation.assignee_id;
  if (!id) return null;
  const agent = state.agents.get(id);
  const name = id === ME ? T.preview_you : agent?.name || T.agent_other;
  const mark = h("span", {
    class: "conv-assignee", title: t("row_assignee", { name }), text: initials(agent?.name || name),
  });
  mark.style.background = avatarColour(id);
  return mark;
}

function rowLine(conversation, name) {
  if (state.typing.has(conversation.id)) return [h("span", { class: "typing", text: T.typing })];
  if (filters.q && conversation.match?.preview) {
    return [h("span", { class: "conv-match", title: T.row_match }, ...highlighted(conversation.match.preview))];
  }
  if (conversation.last_message) return previewNodes(conversation.last_message);
  const phone = formatPhone(conversation.contact?.phone);
  return [h("span", { class: "conv-text", text: name !== phone ? phone : "" })];
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
  const unread = conversation.unread_count > 0;
  const choosing = picking();
  const picked = choosing && isPicked(conversation.id);
  const avatar = h("span", { class: "avatar", "aria-hidden": "true", text: initials(name) });
  avatar.style.background = avatarColour(conversation.contact_id || conversation.id);
  const when = activity(conversation);
  const button = h(
    "button",
    {
      type: "button",
      class: `conv${unread ? " unread" : ""}${conversation.urgent ? " urgent" : ""}${picked ? " picked" : ""}`,
      data: { id: conversation.id, status: conversation.status },
      "aria-current": !choosing && state.open?.id === conversation.id ? "true" : null,
      "aria-pressed": choosing ? String(picked) : null,
    },
    choosing ? h("span", { class: "conv-check", "aria-hidden": "true" }) : avatar,
    h(
      "span",
      { class: "conv-main" },
      h(
        "span",
        { class: "conv-top" },
        h("span", { class: "conv-name", text: name }),
        h("time", { class: "conv-time", datetime: when, text: listTime(when) }),
      ),
      h(
        "span",
        { class: "conv-line" },
        h("span", { class: "conv-preview" }, ...rowLine(conversation, name)),
        unread ? h("span", {
          class: "unread-badge",
          "aria-label": counted("row_unread", conversation.unread_count),
          text: conversation.unread_count > 99 ? "99+" : String(conversation.unread_count),
        }) : null,
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
        conversation.status === "pending" && conversation.handoff_reason
          ? h("span", { class: "conv-detail", text: reasonLabel(conversation.handoff_reason) })
          : null,
        // The snooze and the rating from labels.js; the labels, coloured from the catalog, here.
        rowTags({ ...conversation, labels: [] }),
        (conversation.labels || []).length
          ? h("span", { class: "conv-labels-row" }, ...conversation.labels.map(labelChip))
          : null,
        assigneeMark(conversation),
      ),
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
  empty.textContent = conflict ? T.filters_conflict
    : filters.q ? t("no_matches", { q: filters.q }) : T.no_conversations;
  $("list-more").hidden = !state.nextCursor;
  showPicked();
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
      const last = state.list[state.list.length - 1];
      // Past the loaded page it belongs to a later page: "load more" will bring it.
      if (state.nextCursor && last && byOrder(conversation.id, last) > 0) return;
      state.list.push(conversation.id);
    }
    state.list.sort(byOrder);
  } else if (shown) {
    state.list = state.list.filter((id) => id !== conversation.id);
  }
  renderList();
}

/** A message's text as the list API previews it: one line, at most 120 characters. */
function oneLine(text) {
  const line = text.replace(/\s+/g, " ").trim();
  return line.length <= PREVIEW_CHARS ? line : `${line.slice(0, PREVIEW_CHARS - 1).trimEnd()}…`;
}

/**
 * A message created or changed (the stream): the row of its conversation shows it when it is
 * the conversation's last one.
 * @param {import("./state.js").Message} message
 */
export function noteMessage(message) {
  const conversation = state.conversations.get(message.conversation_id);
  if (!conversation) return;
  const last = conversation.last_message;
  if (last && last.id !== message.id && last.at > message.created_at) return;
  const agent = message.agent_id ? state.agents.get(message.agent_id) : null;
  conversation.last_message = {
    id: message.id,
    author: message.author,
    agent_id: message.agent_id ?? null,
    author_name: agent?.name ?? null,
    type: message.type,
    preview: oneLine(message.body || ""),
    at: message.created_at,
  };
  if (rows.has(conversation.id)) renderRow(conversation);
}

/** Mark the current tab as selected: the only one of them reached with Tab. */
export function showSelectedTab() {
  for (const tab of document.querySelectorAll(".tab")) {
    tab.setAttribute("aria-selected", String(tab.dataset.tab === state.tab));
    tab.tabIndex = tab.dataset.tab === state.tab ? 0 : -1;
  }
}

export function selectTab(name) {
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
    if (!row) return;
    if (picking()) {
      togglePicked(row.dataset.id);
      renderRow(state.conversations.get(row.dataset.id));
    } else {
      endReadOnly();
      openConversation(row.dataset.id);
    }
  });
  $("list-more").addEventListener("click", () => loadMore().catch(showError));
  $("search").addEventListener("keydown", (event) => {
    if (event.key === "Enter" || event.key === "ArrowDown") {
      event.preventDefault();
      moveInList(0);
    }
  });
  $("filter-snoozed").addEventListener("click", () => setSnoozedFilter(!state.snoozed));
}
