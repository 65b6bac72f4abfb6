// The labels page (admins): the association's label catalog with each label's colour and how
// many conversations carry it; create, rename (onto an existing name: merge, after a question),
// recolour from the palette (radio buttons: arrow keys move between colours) and delete (the
// question says how many conversations lose the label). Names reach the page as text only.
"use strict";

(() => {
  const { T, $, t, h, api, ApiError, errorText, busy, toast } = window.WaCrm;
  const count = new Intl.NumberFormat(window.WaCrm.boot.locale);
  let palette = [];
  let labels = [];
  let pickers = 0;

  function conversations(n) {
    if (n === 0) return T.labels_count_0;
    if (n === 1) return T.labels_count_1;
    return t("labels_count_n", { count: count.format(n) });
  }

  function problem(error) {
    if (error instanceof ApiError && error.code === "already_exists") return T.labels_exists;
    return errorText(error);
  }

  /** Radio buttons, one per colour of the palette, named for people (their labels are read). */
  function paletteChoices(fieldset, chosen, onChange) {
    const name = `palette-${++pickers}`;
    const choices = palette.map((entry) => {
      const input = h("input", {
        type: "radio", name, value: entry.colour, class: "visually-hidden",
        "aria-label": T[`colour_${entry.name}`] || entry.name,
      });
      input.checked = entry.colour === chosen;
      if (onChange) input.addEventListener("change", () => onChange(entry.colour));
      const swatch = h("span", { class: "swatch", "aria-hidden": "true" });
      swatch.style.setProperty("--swatch", entry.colour);
      return h("label", { class: "palette-choice", title: T[`colour_${entry.name}`] || entry.name },
        input, swatch);
    });
    fieldset.append(...choices);
    return fieldset;
  }

  function chosenColour(fieldset) {
    return fieldset.querySelector("input:checked")?.value;
  }

  function chip(label) {
    const el = h("span", { class: "chip chip-static label-chip catalog-chip", text: label.name });
    el.style.setProperty("--label", label.colour);
    return el;
  }

  async function change(label, body, button) {
    try {
      const saved = await busy(button, T.saving, () =>
        api("PUT", `/labels/${encodeURIComponent(label.name)}`, body));
      toast(t("labels_saved", { name: saved.name }));
      await render();
      return true;
    } catch (error) {
      toast(problem(error), { error: true });
      return false;
    }
  }

  function renameForm(row, label) {
    const input = h("input", {
      type: "text", maxlength: "32", value: label.name,
      "aria-label": t("labels_rename_label", { name: label.name }),
    });
    const save = h("button", { type: "submit", class: "small primary", text: T.save });
    const cancel = h("button", { type: "button", class: "small", text: T.cancel });
    const form = h("form", { class: "catalog-inline", novalidate: true }, input, save, cancel);
    cancel.addEventListener("click", () => render());
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const name = input.value.trim().replace(/\s+/g, " ").toLowerCase();
      if (!name || name === label.name) return render();
      if (labels.some((other) => other.name === name)
        && !window.confirm(t("labels_merge_confirm", { name }))) return undefined;
      return change(label, { name }, save);
    });
    row.querySelector(".catalog-edit").replaceChildren(form);
    input.focus();
    input.select();
    return undefined;
  }

  function colourPicker(row, label) {
    const fieldset = h("fieldset", { class: "palette palette-inline" },
      h("legend", { class: "visually-hidden", text: t("labels_colour_of", { name: label.name }) }));
    paletteChoices(fieldset, label.colour);
    const save = h("button", { type: "button", class: "small primary", text: T.save });
    const cancel = h("button", { type: "button", class: "small", text: T.cancel });
    save.addEventListener("click", () => change(label, { colour: chosenColour(fieldset) }, save));
    cancel.addEventListener("click", () => render());
    fieldset.addEventListener("keydown", (event) => {
      if (event.key === "Enter") {
        event.preventDefault();
        save.click();
      } else if (event.key === "Escape") {
        render();
      }
    });
    row.querySelector(".catalog-edit").replaceChildren(
      h("div", { class: "catalog-inline" }, fieldset, save, cancel));
    (fieldset.querySelector("input:checked") || fieldset.querySelector("input"))?.focus();
  }

  async function remove(label, button) {
    const key = label.conversations === 0 ? "labels_delete_confirm_0"
      : label.conversations === 1 ? "labels_delete_confirm_1" : "labels_delete_confirm_n";
    const question = t(key, { name: label.name, count: count.format(label.conversations) });
    if (!window.confirm(question)) return;
    try {
      await busy(button, T.saving, () => api("DELETE", `/labels/${encodeURIComponent(label.name)}`));
      toast(t("labels_deleted", { name: label.name }));
      await render();
    } catch (error) {
      toast(problem(error), { error: true });
    }
  }

  function row(label) {
    const rename = h("button", { type: "button", class: "small", text: T.labels_rename });
    const colour = h("button", { type: "button", class: "small", text: T.labels_change_colour });
    const del = h("button", { type: "button", class: "small danger", text: T.labels_delete });
    const item = h("li", { class: "catalog-item label-row", data: { label: label.name } },
      h("div", { class: "catalog-main" },
        chip(label),
        h("span", { class: "catalog-count muted", text: conversations(label.conversations) })),
      h("div", { class: "catalog-actions" }, rename, colour, del),
      h("div", { class: "catalog-edit" }));
    rename.addEventListener("click", () => renameForm(item, label));
    colour.addEventListener("click", () => colourPicker(item, label));
    del.addEventListener("click", () => remove(label, del));
    return item;
  }

  async function render() {
    const error = $("labels-error");
    try {
      const catalog = await api("GET", "/labels");
      const first = !palette.length;
      palette = catalog.palette;
      labels = catalog.items;
      if (first) paletteChoices($("label-new-colour"), catalog.default_colour);
      $("labels").replaceChildren(...labels.map(row));
      $("labels-empty").hidden = labels.length > 0;
      error.hidden = true;
    } catch (failure) {
      error.textContent = errorText(failure);
      error.hidden = false;
    }
  }

  $("label-new").addEventListener("submit", async (event) => {
    event.preventDefault();
    const error = $("label-new-error");
    const name = $("label-new-name").value.trim();
    if (!name) {
      $("label-new-name").focus();
      return;
    }
    try {
      const created = await busy($("label-new-submit"), T.saving, () =>
        api("POST", "/labels", { name, colour: chosenColour($("label-new-colour")) }));
      error.hidden = true;
      $("label-new-name").value = "";
      toast(t("labels_created", { name: created.name }));
      await render();
    } catch (failure) {
      error.textContent = problem(failure);
      error.hidden = false;
    }
  });

  render();
})();
