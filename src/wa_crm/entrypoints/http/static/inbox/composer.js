// The composer: a reply to the contact (text, or a file with a caption, perhaps quoting a
// message) or a private note, sent with Enter or the button (disabled while there is nothing to
// send). A reply with WhatsApp formatting shows a preview of how it will look; the emoji picker
// inserts at the caret.
import { renderAssist } from "./assist.js";
import { cannedKey, closeCanned, onComposerSlash } from "./canned.js";
import { openConversationData } from "./conversation.js";
import { closeEmojiPicker, insertAtCaret, wireEmojiPicker } from "./emoji.js";
import { formatBytes } from "./helpers.js";
import { renderMessages } from "./messages.js";
import { addNote } from "./notes.js";
import { ME, state, view } from "./state.js";
import { showError, toast } from "./toasts.js";
import { agentTypes, stopTyping } from "./typing.js";
import { $, T, api, boot, t } from "./wacrm.js";
import { renderWhatsApp } from "./whatsapp_format.js";

/** @type {import("./state.js").Message | null} the message the reply quotes */
let replyingTo = null;
/** @type {File | null} */
let attachment = null;
let sending = false;

// --- quoting: the composer's reply quotes a message until sent or cancelled --------------------

export function startReplyTo(message) {
  replyingTo = message;
  if (view.composerMode === "note") setComposerMode("reply");
  $("reply-bar-text").textContent = message.body || t(`msg_${message.type}`);
  $("reply-bar").hidden = false;
  $("composer-text").focus();
}

export function stopReplyTo() {
  replyingTo = null;
  $("reply-bar").hidden = true;
}

// --- composer modes: a reply to the contact, or a private note ---------------------------------

/** @param {"reply" | "note"} mode */
export function setComposerMode(mode) {
  if (mode === "note") {
    stopTyping(); // a note is never announced to the contact
    clearAttachment();
  }
  view.composerMode = mode;
  renderComposer();
}

export function renderComposer() {
  const conversation = openConversationData();
  if (!conversation) return;
  const note = view.composerMode === "note";
  const status = conversation.status;
  const closed = !note && status === "resolved";
  const box = $("composer-text");
  $("composer").classList.toggle("note-mode", note);
  $("mode-reply").setAttribute("aria-checked", String(!note));
  $("mode-note").setAttribute("aria-checked", String(note));
  box.placeholder = note ? T.note_placeholder : T.composer_placeholder;
  box.setAttribute("aria-label", note ? T.note_label : T.composer_label);
  box.disabled = closed;
  $("send").textContent = note ? T.add_note : T.send;
  $("attach").disabled = closed || note;
  $("emoji-toggle").disabled = closed;
  if (closed) closeEmojiPicker();
  refreshText();
  renderAssist(status === "resolved");
  const hints = { bot: T.hint_takeover, pending: T.hint_claim, resolved: T.hint_resolved };
  const other = status === "human" && conversation.assignee_id && conversation.assignee_id !== ME;
  const hint = $("composer-hint");
  hint.textContent = note ? T.hint_note : hints[status] || (other ? T.hint_other : "");
  hint.hidden = !hint.textContent;
}

// --- the text, the attachment, sending ---------------------------------------------------------

/** Fit the box to its text, and refresh what the text decides (Send, the preview): every
 * module that changes the text calls this. */
export function autosize() {
  const box = $("composer-text");
  box.style.height = "auto";
  box.style.height = `${Math.min(box.scrollHeight + 2, 160)}px`;
  refreshText();
}

/** Send only with something to send; the preview only for a reply with formatting. */
function refreshText() {
  const box = $("composer-text");
  const text = box.value;
  $("send").disabled = box.disabled || sending || (!text.trim() && !attachment);
  const preview = $("composer-preview");
  const shown = view.composerMode !== "note" && !box.disabled && text.trim() ? renderWhatsApp(text) : null;
  preview.hidden = !shown?.formatted;
  $("composer-preview-body").replaceChildren(...(shown?.formatted ? shown.nodes : []));
}

export function clearAttachment() {
  attachment = null;
  $("file-input").value = "";
  const preview = $("attachment-preview");
  if (preview.src) URL.revokeObjectURL(preview.src);
  preview.removeAttribute("src");
  preview.hidden = true;
  $("attachment").hidden = true;
  refreshText();
}

function chooseFile(file) {
  if (!file) return;
  const type = file.type || "application/octet-stream";
  if (!/^(image\/|application\/pdf|text\/|audio\/|video\/)/.test(type)) {
    toast(T.file_type_refused, { error: true });
    clearAttachment();
    return;
  }
  if (file.size > boot.media_max_bytes) {
    toast(t("file_too_big", { size: formatBytes(boot.media_max_bytes) }), { error: true });
    clearAttachment();
    return;
  }
  attachment = file;
  $("attachment-name").textContent = `${file.name} · ${formatBytes(file.size)}`;
  const preview = $("attachment-preview");
  if (type.startsWith("image/")) {
    preview.src = URL.createObjectURL(file);
    preview.hidden = false;
  }
  $("attachment").hidden = false;
  refreshText();
  $("composer-text").focus();
}

async function send() {
  const conversation = openConversationData();
  const box = $("composer-text");
  const text = box.value.trim();
  if (!conversation || sending || (!text && !attachment)) return;
  sending = true;
  $("send").disabled = true;
  closeCanned();
  const path = `/conversations/${encodeURIComponent(conversation.id)}/messages`;
  try {
    let message;
    if (view.composerMode === "note") {
      await addNote(conversation, text);
      return;
    }
    if (attachment) {
      const form = new FormData();
      form.append("file", attachment, attachment.name);
      if (text) form.append("caption", text);
      message = await api("POST", path, form);
    } else {
      message = await api("POST", path, replyingTo ? { text, reply_to: replyingTo.id } : { text });
    }
    stopTyping();
    stopReplyTo();
    box.value = "";
    autosize();
    clearAttachment();
    if (state.open?.id === message.conversation_id) {
      state.open.messages.set(message.id, message);
      renderMessages(true);
    }
  } catch (error) {
    showError(error);
  } finally {
    sending = false;
    renderComposer();
  }
}

export function wireComposer() {
  const text = $("composer-text");
  $("composer").addEventListener("submit", (event) => {
    event.preventDefault();
    send();
  });
  text.addEventListener("keydown", (event) => {
    if (cannedKey(event)) return;
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      send();
    }
  });
  text.addEventListener("input", () => {
    autosize();
    agentTypes();
    onComposerSlash();
  });
  text.addEventListener("blur", () => {
    stopTyping();
    closeCanned();
  });
  for (const [id, mode] of [["mode-reply", "reply"], ["mode-note", "note"]]) {
    $(id).addEventListener("click", () => {
      setComposerMode(mode);
      text.focus();
    });
  }
  $("attach").addEventListener("click", () => $("file-input").click());
  $("file-input").addEventListener("change", () => chooseFile($("file-input").files[0]));
  $("attachment-remove").addEventListener("click", () => {
    clearAttachment();
    text.focus();
  });
  $("reply-cancel").addEventListener("click", () => {
    stopReplyTo();
    text.focus();
  });
  wireEmojiPicker((emoji) => insertAtCaret(text, emoji));
  window.addEventListener("beforeunload", stopTyping);
}
