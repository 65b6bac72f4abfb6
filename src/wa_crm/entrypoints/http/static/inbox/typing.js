// "Typing…" both ways: ours goes to the contact while the agent writes a reply (renewed, and
// stopped when idle); the contact's and other agents' show in the header and the list's row.
import { openConversationData } from "./conversation.js";
import { renderRow } from "./list.js";
import { ME, state, view } from "./state.js";
import { $, T, api } from "./wacrm.js";

const TYPING_IDLE_MS = 3000;
const TYPING_REPEAT_MS = 8000;
const CONTACT_TYPING_MS = 12000;

let typingSentAt = 0;
let typingFor = null;
let typingIdle = null;

function typingPost(id, state_) {
  api("POST", `/conversations/${encodeURIComponent(id)}/typing`, { state: state_ }).catch(() => {});
}

export function agentTypes() {
  const conversation = openConversationData();
  if (!conversation || conversation.status === "resolved" || view.composerMode === "note") return;
  if (!$("composer-text").value.trim()) {
    stopTyping();
    return;
  }
  const now = Date.now();
  if (typingFor !== conversation.id || now - typingSentAt > TYPING_REPEAT_MS) {
    typingFor = conversation.id;
    typingSentAt = now;
    typingPost(conversation.id, "start");
  }
  clearTimeout(typingIdle);
  typingIdle = setTimeout(stopTyping, TYPING_IDLE_MS);
}

export function stopTyping() {
  clearTimeout(typingIdle);
  if (typingFor) typingPost(typingFor, "stop");
  typingFor = null;
  typingSentAt = 0;
}

export function renderTyping() {
  const conversation = openConversationData();
  const label = $("conv-typing");
  if (!conversation) return;
  if (state.typing.has(conversation.id)) {
    label.textContent = T.typing;
    label.hidden = false;
  } else if (state.agentTyping.has(conversation.id)) {
    label.textContent = T.agent_typing;
    label.hidden = false;
  } else {
    label.hidden = true;
  }
}

export function stopContactTyping(id) {
  clearTimeout(state.typing.get(id));
  if (state.typing.delete(id)) {
    const conversation = state.conversations.get(id);
    if (conversation && (state.list.includes(id) || state.pinned.includes(id))) renderRow(conversation);
    renderTyping();
  }
}

/** A typing event of the stream: the contact's, or another agent's. */
export function onTyping(data) {
  const id = data.conversation_id;
  if (!id) return;
  if (data.who === "agent") {
    if (data.agent_id === ME) return;
    clearTimeout(state.agentTyping.get(id));
    if (data.state === "start") {
      state.agentTyping.set(id, setTimeout(() => {
        state.agentTyping.delete(id);
        renderTyping();
      }, CONTACT_TYPING_MS));
    } else {
      state.agentTyping.delete(id);
    }
    renderTyping();
    return;
  }
  if (data.state === "start") {
    clearTimeout(state.typing.get(id));
    state.typing.set(id, setTimeout(() => stopContactTyping(id), CONTACT_TYPING_MS));
    const conversation = state.conversations.get(id);
    if (conversation && (state.list.includes(id) || state.pinned.includes(id))) renderRow(conversation);
    renderTyping();
  } else {
    stopContactTyping(id);
  }
}
