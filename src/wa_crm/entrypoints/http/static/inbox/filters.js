// The list's search, filters (status, assignee, label, period) and order, kept in the address
// (?q=&status=&assignee=&label=&since=&until=&sort=) so that a reload, back and forward restore
// them and a link can be shared. The "Filtros" panel sets them; the chips under the search undo
// them one by one, "Limpar tudo" all at once. `until` in the address is the last day shown (what
// a person reads); the API's `until` is exclusive, the day after.
import { refreshAgents } from "./assignment.js";
import { debounce } from "./helpers.js";
import { loadList, renderList, selectTab } from "./list.js";
import { ME, TABS, state } from "./state.js";
import { showError } from "./toasts.js";
import { $, T, api, boot, h, t } from "./wacrm.js";

const STATUSES = ["bot", "pending", "human", "resolved"];
const SORTS = ["newest", "waiting"];
const PERIODS = { today: 0, "7d": 6, "30d": 29 }; // days before today the period starts
const DAY = /^\d{4}-\d{2}-\d{2}$/;
const MAX_Q = 200;
const MAX_LABEL = 32;

/** What the list shows; "" is no filter. */
export const filters = {
  q: "", status: "", assignee: "", label: "", since: "", until: "", sort: "newest",
};
const KEYS = /** @type {(keyof typeof filters)[]} */ (Object.keys(filters));

/** @type {Map<string, string>} the labels catalog: name -> colour */
const catalog = new Map();

const chipDate = new Intl.DateTimeFormat(boot.locale, { day: "numeric", month: "short" });

// --- values -------------------------------------------------------------------------------------

/** A value from the address, or "" when it is not one the list knows (the address is anyone's). */
function checked(key, value) {
  const text = (value || "").trim();
  if (key === "q") return text.slice(0, MAX_Q);
  if (key === "status") return STATUSES.includes(text) ? text : "";
  if (key === "assignee") return /^[\w-]{1,64}$/.test(text) ? text : "";
  if (key === "label") return text.length <= MAX_LABEL ? text : "";
  if (key === "since" || key === "until") return DAY.test(text) && !Number.isNaN(localDay(text).getTime()) ? text : "";
  return SORTS.includes(text) ? text : "newest";
}

/** "2026-12-07" as that day's local midnight. */
function localDay(text) {
  const [year, month, day] = text.split("-").map(Number);
  return new Date(year, month - 1, day);
}

function dayText(date) {
  const pad = (n) => String(n).padStart(2, "0");
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
}

/** The day after "2026-12-07": the exclusive end of a period that ends on it. */
function dayAfter(text) {
  return dayText(new Date(localDay(text).getTime() + 36 * 3600 * 1000)); // 36 h: DST-proof
}

function daysFromToday(days) {
  const now = new Date();
  return dayText(new Date(now.getFullYear(), now.getMonth(), now.getDate() + days));
}

/** The period's preset ("today", "7d", "30d"), "custom" for other dates, "" for none. */
function period() {
  if (!filters.since && !filters.until) return "";
  if (!filters.until) {
    for (const [name, back] of Object.entries(PERIODS)) {
      if (filters.since === daysFromToday(-back)) return name;
    }
  }
  return "custom";
}

/** The words searched for, folded (lower case, no accents), for marking them in a match. */
export function searchTerms() {
  return filters.q.normalize("NFD").replace(/\p{M}/gu, "").toLowerCase()
    .split(/[^\p{L}\p{N}]+/u).filter((word) => word.length > 1);
}

const assigneeKey = (value) => (value === ME ? "me" : value);

/**
 * The list query's filters within a tab, or null when the tab and the filters exclude each other
 * (the Mine tab and another agent's conversations).
 * @param {{status?: string, assignee?: string}} tab
 * @returns {URLSearchParams | null}
 */
export function listParams(tab) {
  const params = new URLSearchParams();
  let statuses = tab.status ? tab.status.split(",") : null;
  if (filters.status) statuses = (statuses || STATUSES).filter((s) => s === filters.status);
  if (statuses && !statuses.length) return null;
  if (statuses) params.set("status", statuses.join(","));
  const wanted = filters.assignee ? assigneeKey(filters.assignee) : "";
  if (tab.assignee && wanted && wanted !== tab.assignee) return null;
  if (wanted || tab.assignee) params.set("assignee", wanted || tab.assignee);
  if (filters.q) params.set("q", filters.q);
  if (filters.label) params.set("label", filters.label);
  if (filters.since) params.set("since", filters.since);
  if (filters.until) params.set("until", dayAfter(filters.until));
  if (filters.sort !== "newest") params.set("sort", filters.sort);
  return params;
}

/**
 * Whether a conversation an event told of passes the filters (the search aside: list.js's).
 * @param {import("./state.js").Conversation} conversation
 */
export function matchesFilters(conversation) {
  if (filters.status && conversation.status !== filters.status) return false;
  if (filters.assignee) {
    const wanted = assigneeKey(filters.assignee);
    if (wanted === "none" ? conversation.assignee_id : conversation.assignee_id !== (wanted === "me" ? ME : wanted)) {
      return false;
    }
  }
  if (filters.label && !(conversation.labels || []).includes(filters.label)) return false;
  const when = new Date(conversation.last_message_at || conversation.created_at);
  if (filters.since && when < localDay(filters.since)) return false;
  if (filters.until && when >= localDay(dayAfter(filters.until))) return false;
  return true;
}

// --- the address --------------------------------------------------------------------------------

function fromAddress() {
  const params = new URLSearchParams(window.location.search);
  for (const key of KEYS) filters[key] = checked(key, params.get(key));
}

/** Write the filters into the address; ``push``: a step back and forward go through. */
function toAddress(push) {
  const params = new URLSearchParams(window.location.search);
  for (const key of KEYS) {
    if (filters[key] && !(key === "sort" && filters[key] === "newest")) params.set(key, filters[key]);
    else params.delete(key);
  }
  const query = params.toString();
  const url = `${window.location.pathname}${query ? `?${query}` : ""}`;
  if (url === `${window.location.pathname}${window.location.search}`) return;
  if (push) window.history.pushState(window.history.state, "", url);
  else window.history.replaceState(window.history.state, "", url);
}

// --- the labels catalog -------------------------------------------------------------------------

async function loadCatalog() {
  try {
    const { items } = await api("GET", "/labels");
    catalog.clear();
    for (const label of items) catalog.set(label.name, label.colour);
  } catch {
    /* no catalog: neutral chips, and the labels seen on conversations */
  }
}

/**
 * Labels an agent types join the catalog on the server (in its default colour): read the catalog
 * again when one of these is not in it yet. True when it was read again.
 * @param {string[]} labels
 */
export async function catalogHas(labels) {
  if (labels.every((label) => catalog.has(label))) return false;
  await loadCatalog();
  return true;
}

/** A label's chip on a row, in its catalog colour (a neutral one when it has none). */
export function labelChip(label) {
  const chip = h("span", { class: "chip chip-static label-chip", text: label });
  const colour = catalog.get(label);
  if (colour && /^#[0-9a-f]{6}$/i.test(colour)) chip.style.setProperty("--label", colour);
  return chip;
}

/** Every label known: the catalog's and those seen on conversations. */
export function knownLabels() {
  const known = new Set(catalog.keys());
  for (const conversation of state.conversations.values()) {
    for (const label of conversation.labels || []) known.add(label);
  }
  return [...known].sort((a, b) => a.localeCompare(b, boot.locale));
}

// --- the controls -------------------------------------------------------------------------------

function option(value, text, selected) {
  return h("option", { value, selected: selected || null, text });
}

function agentName(id) {
  if (id === ME || id === "me") return T.filter_me;
  if (id === "none") return T.filter_nobody;
  return state.agents.get(id)?.name || T.agent_other;
}

function fillOptions() {
  const agents = [...state.agents.values()].filter((agent) => agent.id !== ME)
    .sort((a, b) => a.name.localeCompare(b.name, boot.locale));
  const assignee = assigneeKey(filters.assignee);
  const ids = new Set(["", "me", "none", ...agents.map((agent) => agent.id)]);
  $("filter-assignee").replaceChildren(
    option("", T.filter_any, !assignee),
    option("me", T.filter_me, assignee === "me"),
    option("none", T.filter_nobody, assignee === "none"),
    ...agents.map((agent) => option(agent.id, agent.name, assignee === agent.id)),
    ...(ids.has(assignee) ? [] : [option(assignee, T.agent_other, true)]),
  );
  const labels = knownLabels();
  if (filters.label && !labels.includes(filters.label)) labels.push(filters.label);
  $("filter-label").replaceChildren(
    option("", T.filter_any, !filters.label),
    ...labels.map((label) => option(label, label, label === filters.label)),
  );
}

/** The controls show the filters (after a load, back or forward). */
function showFilters() {
  if (document.activeElement !== $("search")) $("search").value = filters.q;
  $("filter-status").value = filters.status;
  $("sort").value = filters.sort;
  fillOptions();
  const which = period();
  $("filter-period").value = which;
  $("filter-dates").hidden = which !== "custom";
  $("filter-since").value = filters.since;
  $("filter-until").value = filters.until;
  renderChips();
}

function periodText() {
  const which = period();
  if (which !== "custom") return T[`filter_period_${which}`];
  const from = filters.since ? chipDate.format(localDay(filters.since)) : "";
  const to = filters.until ? chipDate.format(localDay(filters.until)) : "";
  if (from && to) return t("filter_period_range", { from, to });
  return from ? t("filter_period_since", { from }) : t("filter_period_until", { to });
}

/** The active filters as chips, each with its own way out. */
function renderChips() {
  const active = [
    filters.status && ["status", `${T.filter_status}: ${t(`status_${filters.status}`)}`],
    filters.assignee && ["assignee", `${T.filter_assignee}: ${agentName(filters.assignee)}`],
    filters.label && ["label", `${T.filter_label}: ${filters.label}`],
    period() && ["period", periodText()],
  ].filter(Boolean);
  $("active-filter-chips").replaceChildren(...active.map(([key, text]) => h(
    "span",
    { class: "filter-chip", data: { filter: key } },
    h("span", { class: "filter-chip-text", text }),
    h("button", {
      type: "button", class: "filter-chip-remove", text: "×", data: { remove: key },
      title: t("filter_remove", { filter: text }), "aria-label": t("filter_remove", { filter: text }),
    }),
  )));
  $("active-filters").hidden = active.length === 0;
  $("filters-count").textContent = active.length ? String(active.length) : "";
  $("filters-toggle").classList.toggle("active", active.length > 0);
}

/** After a change: the address, the chips, and the list (on the All tab when the tab excludes it). */
function changed(push) {
  toAddress(push);
  renderChips();
  if (!listParams(TABS[state.tab])) selectTab("all");
  else loadList().catch(showError);
}

function set(values, push = true) {
  Object.assign(filters, values);
  changed(push);
}

/** Show the conversations with this label (a label chip in the conversation's header). */
export function filterByLabel(label) {
  set({ label: checked("label", label) });
  fillOptions();
}

function clearAll() {
  set({ q: "", status: "", assignee: "", label: "", since: "", until: "" });
  showFilters();
}

function setPeriod(which) {
  $("filter-dates").hidden = which !== "custom";
  if (which === "custom") {
    $("filter-since").focus();
    return;
  }
  set(which ? { since: daysFromToday(-PERIODS[which]), until: "" } : { since: "", until: "" });
}

function openPanel(open) {
  const panel = $("filters-panel");
  panel.hidden = !open;
  $("filters-toggle").setAttribute("aria-expanded", String(open));
  if (open) {
    fillOptions();
    $("filter-status").focus();
  }
}

/** Read the address now; the agents and the labels catalog (for the options, the assignees'
 * initials and the labels' colours) arrive later. */
export function startFilters() {
  fromAddress();
  showFilters();
  if (!listParams(TABS[state.tab])) state.tab = "all";
  Promise.all([loadCatalog(), refreshAgents()]).then(() => {
    showFilters();
    renderList();
  });
}

export function wireFilters() {
  $("search").addEventListener("input", debounce(() => {
    const q = checked("q", $("search").value);
    if (q !== filters.q) set({ q }, false);
  }, 250));
  $("sort").addEventListener("change", () => set({ sort: checked("sort", $("sort").value) }));
  $("filter-status").addEventListener("change", () => set({ status: checked("status", $("filter-status").value) }));
  $("filter-assignee").addEventListener("change", () => {
    set({ assignee: checked("assignee", $("filter-assignee").value) });
  });
  $("filter-label").addEventListener("change", () => set({ label: checked("label", $("filter-label").value) }));
  $("filter-period").addEventListener("change", () => setPeriod($("filter-period").value));
  for (const id of ["filter-since", "filter-until"]) {
    $(id).addEventListener("change", () => set({
      since: checked("since", $("filter-since").value), until: checked("until", $("filter-until").value),
    }));
  }
  $("filters-toggle").addEventListener("click", () => openPanel($("filters-panel").hidden));
  $("filters-close").addEventListener("click", () => {
    openPanel(false);
    $("filters-toggle").focus();
  });
  // Escape (wherever the focus is) or a click outside closes the panel.
  const panelOpen = () => !$("filters-panel").hidden;
  $("filters-panel").addEventListener("keydown", (event) => {
    if (event.key !== "Escape") return;
    event.preventDefault();
    event.stopPropagation(); // the page's Escape would leave for the list
    openPanel(false);
    $("filters-toggle").focus();
  });
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && panelOpen()) openPanel(false);
  });
  document.addEventListener("pointerdown", (event) => {
    if (panelOpen() && !event.target.closest("#filters-panel, #filters-toggle")) openPanel(false);
  }, true);
  $("filters-clear").addEventListener("click", clearAll);
  $("filters-panel-clear").addEventListener("click", clearAll);
  $("active-filter-chips").addEventListener("click", (event) => {
    const key = event.target.closest("[data-remove]")?.dataset.remove;
    if (!key) return;
    set(key === "period" ? { since: "", until: "" } : { [key]: "" });
    showFilters();
    $("search").focus();
  });
  window.addEventListener("popstate", () => {
    const before = JSON.stringify(filters);
    fromAddress();
    if (JSON.stringify(filters) === before) return; // another part's step (a pane, a conversation)
    showFilters();
    if (!listParams(TABS[state.tab])) selectTab("all");
    else loadList().catch(showError);
  });
}
