// The agents' assistant, beside the composer's modes: "Suggest reply" puts a draft from the
// conversation and the knowledge base in the composer (the agent reads, edits and sends it; it
// is never sent by itself; the documents it came from show under the buttons until the text is
// sent or cleared), and "Summarize" saves a summary of the conversation as a private
// note. Offered only when the association's assistant is an AI model (boot.assist).
import { autosize, setComposerMode } from "./composer.js";
import { openConversationData } from "./conversation.js";
import { renderMessages } from "./messages.js";
import { state, view } from "./state.js";
import { showError, toast } from "./toasts.js";
import { $, ApiError, T, api, boot, t } from "./wacrm.js";

/** @type {HTMLButtonElement | null} the button whose request is running */
let running = null;

/** Show the buttons (or not) for the open conversation; the composer calls this as it renders. */
export function renderAssist(closed) {
  $("assist").hidden = !boot.assist;
  if (!$("composer-text").value.trim()) $("assist-sources").hidden = true; // sent or dropped
  $("assist-suggest").disabled = closed || running !== null;
  $("assist-summarize").disabled = running !== null;
}

function assistError(error) {
  const known = error instanceof ApiError && ["assist_unavailable", "ai_unavailable"].includes(error.code);
  if (known) toast(T[error.code], { error: true });
  else showError(error);
}

/** Run one request with its button busy (both buttons off meanwhile), then render again. */
async function busy(button, label, work) {
  const conversation = openConversationData();
  if (!conversation || running) return;
  const text = button.textContent;
  running = button;
  button.textContent = label;
  button.setAttribute("aria-busy", "true");
  renderAssist(conversation.status === "resolved");
  try {
    await work(`/conversations/${encodeURIComponent(conversation.id)}`);
  } catch (error) {
    assistError(error);
  } finally {
    running = null;
    button.textContent = text;
    button.removeAttribute("aria-busy");
    const open = openConversationData();
    renderAssist(!open || open.status === "resolved");
  }
}

async function suggest(path) {
  const draft = await api("POST", `${path}/suggest-reply`);
  if (!state.open || path !== `/conversations/${encodeURIComponent(state.open.id)}`) return;
  if (view.composerMode === "note") setComposerMode("reply");
  const box = $("composer-text");
  const typed = box.value.trim();
  box.value = typed ? `${typed}\n\n${draft.text}` : draft.text; // never over what the agent typed
  autosize();
  box.focus();
  box.setSelectionRange(box.value.length, box.value.length);
  const sources = $("assist-sources");
  sources.textContent = draft.sources.length ? t("assist_sources", { titles: draft.sources.join(", ") }) : "";
  sources.title = sources.textContent;
  sources.hidden = !sources.textContent;
}

async function summarize(path) {
  const note = await api("POST", `${path}/summary`);
  if (state.open?.id !== note.conversation_id) return; // the stream shows it when it is opened
  state.open.notes.set(note.id, note);
  renderMessages(true);
}

export function wireAssist() {
  const suggestButton = $("assist-suggest");
  const summarizeButton = $("assist-summarize");
  suggestButton.addEventListener("click", () => busy(suggestButton, T.assist_suggesting, suggest));
  summarizeButton.addEventListener("click", () => busy(summarizeButton, T.assist_summarizing, summarize));
  const box = $("composer-text");
  box.addEventListener("input", () => {
    if (!box.value.trim()) $("assist-sources").hidden = true;
  });
}
