// A contact's data, for admins (in the sidebar): download it, or erase it after typing the
// contact's name, and then show the open conversation without what was erased.
import { openConversationData, renderHeader } from "./conversation.js";
import { isErased } from "./helpers.js";
import { placeInList, renderList } from "./list.js";
import { renderMessages } from "./messages.js";
import { loadSidebar } from "./sidebar.js";
import { API, bubbles, state, view, withContact } from "./state.js";
import { toast } from "./toasts.js";
import { T, api, errorText, h, t } from "./wacrm.js";

export function privacySection(contact) {
  const path = `/contacts/${encodeURIComponent(contact.id)}`;
  if (isErased(contact)) {
    return h("section", null, h("h2", { text: T.privacy }),
      h("p", { class: "muted", text: T.erased_note }));
  }
  const erase = h("button", {
    id: "contact-erase", class: "danger small", type: "button", text: T.erase_data,
  });
  erase.addEventListener("click", () => openErasure(contact));
  return h(
    "section",
    null,
    h("h2", { text: T.privacy }),
    h("div", { class: "side-actions" },
      h("a", {
        id: "contact-export", class: "button-link small", href: `${API}${path}/export`, download: "",
      }, T.export_data),
      erase),
    h("p", { class: "muted side-hint", text: T.export_hint }),
  );
}

/** What the server compares the typed confirmation with (contact_data.erasure_name). */
function erasureName(contact) {
  return (contact.display_name || "").trim() || contact.phone || contact.wa_chat_id;
}

const sameName = (a, b) => a.normalize("NFC").trim().toLowerCase()
  === b.normalize("NFC").trim().toLowerCase();

function openErasure(contact) {
  const name = erasureName(contact);
  const input = h("input", {
    id: "erase-confirm", type: "text", autocomplete: "off", spellcheck: "false",
    "aria-describedby": "erase-explain",
  });
  const problem = h("p", { id: "erase-error", class: "form-error", role: "alert", hidden: true });
  const confirm = h("button", {
    id: "erase-submit", class: "danger", type: "submit", disabled: true, text: T.erase_confirm,
  });
  const cancel = h("button", { type: "button", text: T.cancel });
  const dialog = h(
    "dialog",
    { id: "erase-dialog", class: "dialog", "aria-labelledby": "erase-title" },
    h("form", { method: "dialog" },
      h("h2", { id: "erase-title", text: T.erase_title }),
      h("p", { id: "erase-explain", text: T.erase_explain }),
      h("label", { for: "erase-confirm", text: t("erase_type_name", { name }) }),
      input,
      problem,
      h("div", { class: "dialog-actions" }, cancel, confirm)),
  );
  input.addEventListener("input", () => {
    confirm.disabled = !sameName(input.value, name);
    problem.hidden = true;
  });
  cancel.addEventListener("click", () => dialog.close());
  dialog.addEventListener("close", () => dialog.remove());
  dialog.querySelector("form").addEventListener("submit", async (event) => {
    event.preventDefault();
    confirm.disabled = true;
    try {
      const erased = await api("POST", `/contacts/${encodeURIComponent(contact.id)}/erase`, {
        confirm_name: input.value,
      });
      dialog.close();
      toast(t("erased_toast", { messages: erased.messages }));
      await afterErasure(contact.id);
    } catch (error) {
      problem.textContent = errorText(error);
      problem.hidden = false;
      confirm.disabled = false;
    }
  });
  document.body.append(dialog);
  dialog.showModal();
  input.focus();
}

/** The open conversation's messages are gone and its contact is anonymous: show it so. */
async function afterErasure(contactId) {
  const open = openConversationData();
  if (!open || open.contact_id !== contactId) return;
  state.open.messages.clear();
  state.open.nextBefore = null;
  bubbles.clear();
  const token = view.openToken;
  const conversation = await withContact(open.id);
  if (token !== view.openToken) return;
  placeInList(conversation);
  renderList();
  renderHeader();
  renderMessages(true);
  loadSidebar(contactId, token);
}
