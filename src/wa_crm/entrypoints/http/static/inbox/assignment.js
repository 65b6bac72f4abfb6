// Assignment: the assignee button in the header (who, and whether they are online) and its menu
// of agents to hand the conversation to.
import { act } from "./actions.js";
import { openConversationData } from "./conversation.js";
import { menu } from "./menus.js";
import { ME, state } from "./state.js";
import { showError } from "./toasts.js";
import { $, T, api, boot, h, t } from "./wacrm.js";

let assignMenu = null;

async function loadAgents() {
  const { items } = await api("GET", "/agents");
  state.agents = new Map(items.map((agent) => [agent.id, agent]));
}

/** Names and who is online, for the assignee button: when the stream opens, then now and then. */
export async function refreshAgents() {
  try {
    await loadAgents();
    if (openConversationData()) renderAssignee(openConversationData());
  } catch {
    /* the next refresh tries again */
  }
}

function agentName(id) {
  const agent = state.agents.get(id);
  if (!agent) return T.agent_other;
  return id === ME ? t("agent_you", { name: agent.name }) : agent.name;
}

function onlineDot(agent) {
  return h("span", { class: `dot${agent?.online ? " dot-ok" : ""}`, "aria-hidden": "true" });
}

export function renderAssignee(conversation) {
  const button = $("btn-assign");
  const id = conversation.assignee_id;
  button.hidden = conversation.status === "resolved";
  button.replaceChildren(...(id
    ? [onlineDot(state.agents.get(id)), state.agents.get(id)?.name ?? T.agent_other]
    : [T.assign]));
  button.setAttribute("aria-label", id ? `${T.assignee}: ${agentName(id)}` : T.assign);
}

async function openAssignMenu() {
  const panel = $("assign-menu");
  panel.replaceChildren(h("p", { class: "popover-title", text: T.loading }));
  try {
    await loadAgents(); // who is online changes: ask each time
  } catch (error) {
    assignMenu.close(false);
    showError(error);
    return;
  }
  const current = openConversationData()?.assignee_id;
  const agents = [...state.agents.values()].sort((a, b) => Number(b.id === ME) - Number(a.id === ME)
    || a.name.localeCompare(b.name, boot.locale)); // you first
  panel.replaceChildren(
    h("p", { class: "popover-title", text: T.assign_to }),
    ...agents.map((agent) => h(
      "button",
      {
        type: "button", class: "menu-item", role: "menuitemradio", data: { agent: agent.id },
        "aria-checked": String(agent.id === current),
      },
      onlineDot(agent),
      h("span", { text: agentName(agent.id) }),
      h("span", { class: "menu-detail", text: agent.online ? T.agent_online : T.agent_offline }),
    )),
  );
  if (openConversationData()) renderAssignee(openConversationData());
}

async function assignTo(agentId) {
  assignMenu.close(true);
  if (openConversationData()?.assignee_id === agentId) return;
  await act("assign", t("assigned_toast", { name: agentName(agentId) }), { agent_id: agentId });
}

export function wireAssignMenu() {
  assignMenu = menu($("btn-assign"), $("assign-menu"), openAssignMenu);
  $("assign-menu").addEventListener("click", (event) => {
    const item = event.target.closest("[data-agent]");
    if (item) assignTo(item.dataset.agent);
  });
}
