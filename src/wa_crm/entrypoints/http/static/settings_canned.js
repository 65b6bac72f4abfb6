// The canned replies page (admins): the replies agents insert with "/" in the composer, searched
// as the "/" menu searches them; create, edit and delete (after a question). The editor shows a
// live preview: the placeholders the server knows (boot.placeholders) filled for a sample contact
// and the signed-in admin, so what a patient will read is seen before it is saved. Text reaches
// the page as text only.
"use strict";

(() => {
  const { boot, T, $, t, h, api, ApiError, errorText, busy, toast } = window.WaCrm;
  const PLACEHOLDER = /\{([^{}\s]+)\}/g;
  const sample = { first_name: T.cr_sample_first_name, agent_name: boot.agent.name };
  let editing = null; // the reply being edited, or null for a new one
  let searchToken = 0;

  function problem(error) {
    if (error instanceof ApiError && error.code === "already_exists") return T.cr_exists;
    return errorText(error);
  }

  function preview() {
    const text = $("canned-text").value;
    const unknown = new Set();
    const filled = text.replace(PLACEHOLDER, (whole, name) => {
      if (name in sample) return sample[name];
      unknown.add(whole);
      return whole;
    });
    $("canned-preview").textContent = filled.trim() ? filled : T.cr_preview_empty;
    $("canned-preview").classList.toggle("muted", !filled.trim());
    const warning = $("canned-preview-warning");
    warning.hidden = unknown.size === 0;
    warning.textContent = unknown.size
      ? t("cr_unknown_placeholder", { placeholder: [...unknown][0] }) : "";
  }

  function insertPlaceholder(name) {
    const box = $("canned-text");
    const token = `{${name}}`;
    const { selectionStart: start, selectionEnd: end, value } = box;
    box.value = value.slice(0, start) + token + value.slice(end);
    box.focus();
    box.setSelectionRange(start + token.length, start + token.length);
    preview();
  }

  function openEditor(reply) {
    editing = reply;
    $("canned-editor-title").textContent = reply
      ? t("cr_edit_title", { shortcut: reply.shortcut }) : T.cr_new_title;
    $("canned-shortcut").value = reply?.shortcut ?? "";
    $("canned-title").value = reply?.title ?? "";
    $("canned-text").value = reply?.text ?? "";
    $("canned-error").hidden = true;
    $("canned-editor").hidden = false;
    preview();
    $("canned-shortcut").focus();
  }

  function closeEditor() {
    editing = null;
    $("canned-editor").hidden = true;
    $("canned-new").focus();
  }

  async function remove(reply, button) {
    if (!window.confirm(t("cr_delete_confirm", { shortcut: reply.shortcut }))) return;
    try {
      await busy(button, T.saving, () =>
        api("DELETE", `/canned-replies/${encodeURIComponent(reply.id)}`));
      if (editing?.id === reply.id) closeEditor();
      toast(t("cr_deleted", { shortcut: reply.shortcut }));
      await render();
    } catch (error) {
      toast(problem(error), { error: true });
    }
  }

  function item(reply) {
    const edit = h("button", { type: "button", class: "small", text: T.cr_edit });
    const del = h("button", { type: "button", class: "small danger", text: T.cr_delete });
    edit.addEventListener("click", () => openEditor(reply));
    del.addEventListener("click", () => remove(reply, del));
    return h("li", { class: "catalog-item canned-row", data: { reply: reply.id } },
      h("div", { class: "catalog-main canned-main" },
        h("span", { class: "canned-row-shortcut", text: `/${reply.shortcut}` }),
        reply.title ? h("span", { class: "canned-row-title", text: reply.title }) : null,
        h("span", { class: "canned-row-text muted", text: reply.text })),
      h("div", { class: "catalog-actions" }, edit, del));
  }

  async function render() {
    const token = ++searchToken;
    const query = $("canned-search").value.trim();
    const error = $("canned-list-error");
    try {
      const params = new URLSearchParams({ q: query, limit: "100" });
      const { items } = await api("GET", `/canned-replies?${params}`);
      if (token !== searchToken) return;
      $("canned-list").replaceChildren(...items.map(item));
      const empty = $("canned-empty");
      empty.hidden = items.length > 0;
      empty.textContent = query ? t("cr_none_found", { q: query }) : T.cr_empty;
      error.hidden = true;
    } catch (failure) {
      error.textContent = errorText(failure);
      error.hidden = false;
    }
  }

  $("canned-placeholders").replaceChildren(...boot.placeholders.map((name) => {
    const button = h("button", {
      type: "button", class: "small placeholder-button", title: T[`cr_placeholder_${name}`] || name,
    }, h("code", { text: `{${name}}` }), " ", T[`cr_placeholder_${name}`] || "");
    button.addEventListener("click", () => insertPlaceholder(name));
    return button;
  }));
  $("canned-preview-hint").textContent = t("cr_preview_hint", { sample: sample.first_name });
  $("canned-text").addEventListener("input", preview);
  $("canned-new").addEventListener("click", () => openEditor(null));
  $("canned-cancel").addEventListener("click", closeEditor);
  $("canned-editor").addEventListener("keydown", (event) => {
    if (event.key === "Escape") closeEditor();
  });
  let searchTimer = 0;
  $("canned-search").addEventListener("input", () => {
    clearTimeout(searchTimer);
    searchTimer = setTimeout(render, 150);
  });
  $("canned-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const body = {
      shortcut: $("canned-shortcut").value.trim().toLowerCase(),
      title: $("canned-title").value.trim(),
      text: $("canned-text").value,
    };
    const error = $("canned-error");
    try {
      const saved = await busy($("canned-save"), T.saving, () => (editing
        ? api("PUT", `/canned-replies/${encodeURIComponent(editing.id)}`, body)
        : api("POST", "/canned-replies", body)));
      toast(t("cr_saved", { shortcut: saved.shortcut }));
      closeEditor();
      await render();
    } catch (failure) {
      error.textContent = problem(failure);
      error.hidden = false;
    }
  });

  render();
})();
