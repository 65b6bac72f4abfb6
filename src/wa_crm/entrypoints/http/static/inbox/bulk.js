// Bulk actions: "Selecionar" turns the rows into toggles (a click or Space picks one), and a bar
// resolves, assigns or labels the picked conversations one by one through each one's own
// endpoint, showing "3 de 5…", then a summary naming those that failed (they stay picked, to
// try again). Escape or "Cancelar" leaves the mode.
import { applyUpdate } from "./actions.js";
import { refreshAgents } from "./assignment.js";
import { contactName } from "./helpers.js";
import { knownLabels } from "./filters.js";
import { counted, loadList, refreshCounts, renderList } from "./list.js";
import { menu } from "./menus.js";
import { ME, state } from "./state.js";
import { showError, toast } from "./toasts.js";
import { $, ApiError, T, api, boot, errorText, h, t } from "./wacrm.js";

const MAX_NAMES = 3;
const picked = new Set();
let on = false;
let running = false;
let assignMenu = null;
let labelMenu = null;

/** Whether the rows are toggles now. */
export const picking = () => on;

/** @param {string} id */
export const isPicked = (id) => picked.has(id);

/** @param {string} id */
export function togglePicked(id) {
  if (running) return;
  if (!picked.delete(id)) picked.add(id);
  showPicked();
}

function shownIds() {
  return [...state.pinned, ...state.list];
}

function setMode(value) {
  on = value;
  picked.clear();
  $("select-mode").setAttribute("aria-pressed", String(on));
  $("bulk-bar").hidden = !on;
  $("bulk-status").textContent = "";
  renderList();
  if (on) document.querySelector("#conversation-list .conv")?.focus();
  else $("select-mode").focus();
}

/** The bar: how many are picked (of those still listed), and what can be done now. */
export function showPicked() {
  if (!on) return;
  const shown = new Set(shownIds());
  for (const id of picked) if (!shown.has(id)) picked.delete(id); // left the list meanwhile
  $("bulk-count").textContent = counted("bulk_count", picked.size);
  for (const button of $("bulk-bar").querySelectorAll(".bulk-action")) {
    button.disabled = running || picked.size === 0;
  }
  $("bulk-select-all").disabled = running;
}

/**
 * Run ``call`` for each picked conversation, in the list's order, one at a time.
 * @param {(conversation: import("./state.js").Conversation) => Promise<object | null>} call
 *   the conversation as it is after, or null when nothing needed doing
 */
async function run(call) {
  const ids = shownIds().filter((id) => picked.has(id));
  const failed = [];
  running = true;
  showPicked();
  const status = $("bulk-status");
  for (const [done, id] of ids.entries()) {
    status.textContent = t("bulk_progress", { done: String(done + 1), total: String(ids.length) });
    try {
      const after = await call(state.conversations.get(id));
      if (after) applyUpdate(after);
      picked.delete(id);
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) throw error;
      failed.push({ id, error });
    }
  }
  running = false;
  const names = failed.slice(0, MAX_NAMES)
    .map(({ id }) => contactName(state.conversations.get(id)?.contact)).join(", ");
  const summary = failed.length < ids.length ? [counted("bulk_done", ids.length - failed.length)] : [];
  if (failed.length) {
    summary.push(t("bulk_failed", {
      names: failed.length > MAX_NAMES ? `${names}…` : names, reason: errorText(failed[0].error),
    }));
  }
  status.textContent = summary.join(" ");
  toast(summary.join(" "), { error: failed.length > 0 });
  refreshCounts();
  await loadList();
  if (!failed.length) setMode(false);
  else showPicked();
}

function path(conversation, action) {
  return `/conversations/${encodeURIComponent(conversation.id)}/${action}`;
}

function resolveAll() {
  return run((conversation) => api("POST", path(conversation, "resolve")));
}

function assignAll(agentId) {
  assignMenu.close(false);
  return run((conversation) => (conversation.assignee_id === agentId ? null
    : api("POST", path(conversation, "assign"), { agent_id: agentId })));
}

function labelAll(label) {
  labelMenu.close(false);
  return run((conversation) => {
    const labels = conversation.labels || [];
    return labels.includes(label) ? null : api("PUT", path(conversation, "labels"), { labels: [...labels, label] });
  });
}

async function openAssignMenu() {
  const panel = $("bulk-assign-menu");
  panel.replaceChildren(h("p", { class: "popover-title", text: T.loading }));
  await refreshAgents();
  const agents = [...state.agents.values()].sort((a, b) => Number(b.id === ME) - Number(a.id === ME)
    || a.name.localeCompare(b.name, boot.locale));
  panel.replaceChildren(
    h("p", { class: "popover-title", text: T.assign_to }),
    ...agents.map((agent) => h("button", {
      type: "button", class: "menu-item", role: "menuitem", data: { agent: agent.id },
      text: agent.id === ME ? t("agent_you", { name: agent.name }) : agent.name,
    })),
  );
}

function openLabelMenu() {
  $("bulk-label-options").replaceChildren(...knownLabels().map((label) => h("option", { value: label })));
  $("bulk-label-input").value = "";
  $("bulk-label-input").focus();
}

export function wireBulk() {
  $("select-mode").addEventListener("click", () => setMode(!on));
  $("bulk-cancel").addEventListener("click", () => setMode(false));
  $("bulk-select-all").addEventListener("click", () => {
    for (const id of shownIds()) picked.add(id);
    renderList();
  });
  $("bulk-resolve").addEventListener("click", () => resolveAll().catch(showError));
  assignMenu = menu($("bulk-assign"), $("bulk-assign-menu"), openAssignMenu);
  $("bulk-assign-menu").addEventListener("click", (event) => {
    const item = event.target.closest("[data-agent]");
    if (item) assignAll(item.dataset.agent).catch(showError);
  });
  labelMenu = menu($("bulk-label"), $("bulk-label-menu"), openLabelMenu);
  $("bulk-label-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const label = $("bulk-label-input").value.trim();
    if (label) labelAll(label).catch(showError);
  });
  $("conversation-list").addEventListener("keydown", (event) => {
    if (on && event.key === "Escape") {
      event.preventDefault();
      setMode(false);
    }
  });
}
