// Private notes: the agents' notes on a conversation, never sent to the contact, shown among
// its messages in time order.
import { autosize } from "./composer.js";
import { icon, longDate, timeFormat } from "./helpers.js";
import { renderMessages, sortedMessages } from "./messages.js";
import { ME, noteNodes, state } from "./state.js";
import { $, T, api, h } from "./wacrm.js";
import { formatWhatsApp } from "./whatsapp_format.js";

export function noteNode(note) {
  let el = noteNodes.get(note.id);
  if (el) return el;
  const created = new Date(note.created_at);
  el = h(
    "div",
    { class: "note", data: { noteId: note.id } },
    h("div", { class: "note-head" },
      icon("lock", 13),
      h("span", { text: T.note_private }),
      h("span", {
        class: "note-author",
        text: note.agent_id === ME ? T.author_you : (note.agent_name || T.agent_other),
      })),
    h("div", { class: "note-body" }, ...formatWhatsApp(note.text)),
    h("div", { class: "msg-meta" }, h("time", {
      datetime: note.created_at, title: longDate.format(created), text: timeFormat.format(created),
    })),
  );
  noteNodes.set(note.id, el);
  return el;
}

/** Messages and notes in time order; notes older than the loaded messages wait for them. */
export function timeline() {
  const messages = sortedMessages();
  const oldest = state.open.nextBefore && messages.length ? Date.parse(messages[0].created_at) : -Infinity;
  const notes = Array.from(state.open.notes.values())
    .map((note) => ({ note, at: Date.parse(note.created_at) }))
    .filter(({ at }) => at >= oldest)
    .sort((a, b) => a.at - b.at);
  const items = [];
  let next = 0;
  for (const message of messages) {
    const at = Date.parse(message.created_at);
    while (next < notes.length && notes[next].at < at) items.push({ note: notes[next++].note });
    items.push({ message });
  }
  while (next < notes.length) items.push({ note: notes[next++].note });
  return items;
}

export function onNote(note) {
  if (state.open?.id !== note.conversation_id || state.open.notes.has(note.id)) return;
  state.open.notes.set(note.id, note);
  renderMessages(false);
}

export async function addNote(conversation, text) {
  const path = `/conversations/${encodeURIComponent(conversation.id)}/notes`;
  const note = await api("POST", path, { text });
  $("composer-text").value = "";
  autosize();
  if (state.open?.id === note.conversation_id) {
    state.open.notes.set(note.id, note);
    renderMessages(true);
  }
}
