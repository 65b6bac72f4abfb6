// The settings pages' forms (assistant, assignment, privacy). Each .field[data-field] of the form
// is read and written by its data-kind; the page loads its settings from the API, and Save sends
// each endpoint only the fields that changed. A refused change (422) shows next to its field.
// Data reaches the page through form values and text nodes only.
const { T, $, t, h, api, errorText, busy, toast } = window.WaCrm;

/** Tell the form a custom control changed (native inputs do it themselves). */
export function changed(element) {
  element.dispatchEvent(new Event("input", { bubbles: true }));
}

/** A small button with a × drawn by CSS and a spoken label. */
export function removeButton(label, onClick) {
  const button = h("button", { type: "button", class: "kw-remove", "aria-label": label, title: label });
  button.addEventListener("click", onClick);
  return button;
}

function boolControl(field) {
  const input = field.querySelector("input[type=checkbox]");
  return { get: () => input.checked, set: (value) => { input.checked = Boolean(value); } };
}

function textControl(field) {
  const input = field.querySelector("textarea, input");
  return { get: () => input.value, set: (value) => { input.value = value ?? ""; } };
}

function choiceControl(field) {
  const select = field.querySelector("select");
  if (select) return { get: () => select.value, set: (value) => { select.value = value; } };
  const radios = [...field.querySelectorAll("input[type=radio]")];
  return {
    get: () => radios.find((radio) => radio.checked)?.value ?? null,
    set: (value) => radios.forEach((radio) => { radio.checked = radio.value === value; }),
  };
}

/** A number; "-or-null" kinds have a checkbox meaning null (never, no target, keep all). An
 * empty or unreadable box is sent as typed, for the server to refuse next to the field. */
function numberControl(field) {
  const input = field.querySelector("input[type=number]");
  const none = field.querySelector("[data-none-for]");
  let last = "";
  const sync = () => {
    if (!none) return;
    input.disabled = none.checked;
    if (!none.checked && input.value === "") input.value = last;
  };
  none?.addEventListener("change", () => {
    sync();
    if (!none.checked) input.focus();
  });
  return {
    get() {
      if (none?.checked) return null;
      const raw = input.value.trim();
      const number = Number(raw);
      if (raw !== "" && Number.isFinite(number)) return number;
      return none ? raw : null;
    },
    set(value) {
      if (none) none.checked = value === null;
      if (value !== null && value !== undefined) last = String(value);
      input.value = value ?? "";
      sync();
    },
  };
}

/** Keywords as removable chips, added by Enter or the Add button; no duplicates (any case). */
function listControl(field) {
  const list = field.querySelector("[data-chips]");
  const input = field.querySelector(".kw-add input");
  let items = [];
  const render = () => {
    list.replaceChildren(...items.map((item, index) =>
      h("li", { class: "kw-chip" }, h("span", { text: item }),
        removeButton(t("set_list_remove", { item }), () => {
          items.splice(index, 1);
          render();
          input.focus();
          changed(field);
        }))));
    if (!items.length) list.append(h("li", { class: "kw-empty muted", text: T.set_list_empty }));
  };
  const add = () => {
    const value = input.value.trim();
    input.value = "";
    if (!value || items.some((item) => item.toLowerCase() === value.toLowerCase())) return;
    items.push(value);
    render();
    changed(field);
  };
  input.addEventListener("keydown", (event) => {
    if (event.key !== "Enter") return;
    event.preventDefault();
    add();
  });
  field.querySelector("[data-chip-add]").addEventListener("click", add);
  return {
    get: () => [...items],
    set: (value) => { items = [...(value || [])]; render(); },
    flush: add,
  };
}

/** Checkboxes of a list's values; values the page does not show are kept, stored order too. */
function setControl(field) {
  const boxes = [...field.querySelectorAll("input[type=checkbox]")];
  let stored = [];
  return {
    get() {
      const shown = new Set(boxes.map((box) => box.value));
      const checked = new Set(boxes.filter((box) => box.checked).map((box) => box.value));
      const kept = stored.filter((value) => !shown.has(value) || checked.has(value));
      return [...kept, ...[...checked].filter((value) => !kept.includes(value))];
    },
    set(value) {
      stored = [...(value || [])];
      boxes.forEach((box) => { box.checked = stored.includes(box.value); });
    },
  };
}

const KINDS = {
  bool: boolControl,
  text: textControl,
  choice: choiceControl,
  int: numberControl,
  float: numberControl,
  "int-or-null": numberControl,
  list: listControl,
  set: setControl,
};

const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);

/**
 * Bind the page's form to its settings. ``sources``: the endpoints and the fields of each
 * (``[{path: "/bot", fields: ["enabled", …]}]``); ``custom``: controls for kinds of the page's
 * own (``{hours: (field) => ({get, set, normalize?})}``). Resolves once the settings are shown,
 * to null when they could not be loaded (the page says why).
 */
export async function settingsForm({ sources, custom = {} }) {
  const form = $("settings-form");
  const controls = {};
  const fields = {};
  for (const field of form.querySelectorAll(".field[data-field]")) {
    const name = field.dataset.field;
    const make = custom[field.dataset.kind] || KINDS[field.dataset.kind];
    controls[name] = make(field);
    fields[name] = field;
  }
  const saved = {};
  const normal = (name, value) => (controls[name].normalize ? controls[name].normalize(value) : value);

  const changes = (source) => {
    const found = {};
    for (const name of source.fields) {
      const now = controls[name].get();
      if (!same(normal(name, now), normal(name, saved[source.path][name]))) found[name] = now;
    }
    return found;
  };
  const pending = () => sources
    .map((source) => [source, changes(source)])
    .filter(([, found]) => Object.keys(found).length);

  const status = (text) => { $("settings-status").textContent = text; };
  const clearErrors = () => {
    $("settings-error").hidden = true;
    for (const field of Object.values(fields)) {
      field.classList.remove("has-error");
      field.querySelectorAll("[aria-invalid]").forEach((el) => el.removeAttribute("aria-invalid"));
      const slot = $(`${field.dataset.field}-error`);
      if (slot) slot.hidden = true;
    }
  };
  const fill = () => {
    for (const source of sources) {
      for (const name of source.fields) controls[name].set(saved[source.path][name]);
    }
  };

  /** A refusal shows next to the field the server names (``business_hours.timezone``: the
   * business hours), else above the Save button. */
  const refuse = (error) => {
    const named = error.status === 422 ? (error.field || "").split(".")[0] : "";
    const name = named in fields ? named : null;
    const box = $("settings-error");
    if (!name) {
      box.textContent = errorText(error);
      box.hidden = false;
      return;
    }
    const field = fields[name];
    const slot = $(`${name}-error`);
    slot.textContent = errorText(error);
    slot.hidden = false;
    field.classList.add("has-error");
    const input = field.querySelector("input:not([type=hidden]):not(:disabled), select, textarea");
    input?.setAttribute("aria-invalid", "true");
    box.textContent = T.set_check_form;
    box.hidden = false;
    field.scrollIntoView({ block: "center" });
    input?.focus({ preventScroll: true });
  };

  form.addEventListener("input", () => status(pending().length ? T.set_unsaved : ""));
  form.addEventListener("change", () => status(pending().length ? T.set_unsaved : ""));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    Object.values(controls).forEach((control) => control.flush?.());
    clearErrors();
    const work = pending();
    if (!work.length) {
      status(T.set_nothing_changed);
      return;
    }
    await busy($("settings-save"), T.saving, async () => {
      for (const [source, found] of work) {
        try {
          saved[source.path] = await api("PUT", source.path, found);
        } catch (error) {
          refuse(error);
          status("");
          return;
        }
      }
      fill();
      status(T.set_saved);
      toast(T.set_saved);
    });
  });

  try {
    for (const source of sources) saved[source.path] = await api("GET", source.path);
  } catch (error) {
    $("settings-loading").textContent = errorText(error);
    return null;
  }
  fill();
  $("settings-loading").hidden = true;
  form.hidden = false;
  return { controls, fields };
}
