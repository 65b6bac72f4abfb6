// The assistant's settings page (admins): provider and model, objective, the texts it sends
// (with a live preview for a sample contact and each text's default), handoff rules, voice notes,
// and business hours: time zone, opening windows per weekday and holidays.
import { changed, removeButton, settingsForm } from "./form.js";

const { boot, T, $, t, h, formatBytes } = window.WaCrm;

const DEFAULT_ZONE = "America/Sao_Paulo";
const WEEKDAYS = [0, 1, 2, 3, 4, 5, 6]; // 0 = Monday, as the API counts
const dayName = (() => {
  const format = new Intl.DateTimeFormat(boot.locale, { weekday: "long", timeZone: "UTC" });
  // 1 January 2024 was a Monday.
  return (weekday) => format.format(new Date(Date.UTC(2024, 0, 1 + weekday)));
})();
const holidayFormat = new Intl.DateTimeFormat(boot.locale, {
  weekday: "short", day: "numeric", month: "long", year: "numeric", timeZone: "UTC",
});
const formatHoliday = (iso) => holidayFormat.format(new Date(`${iso}T00:00:00Z`));

/** "09:00" (a time input) and "09:00:00" (the API) name the same time. */
const hms = (value) => (value.length === 5 ? `${value}:00` : value);
const hm = (value) => (value.endsWith(":00") && value.length === 8 ? value.slice(0, 5) : value);

function normalizeHours(hours) {
  if (!hours) return null;
  const windows = hours.windows
    .map((w) => ({ weekday: w.weekday, opens: hms(w.opens), closes: hms(w.closes) }))
    .sort((a, b) => a.weekday - b.weekday || a.opens.localeCompare(b.opens)
      || a.closes.localeCompare(b.closes));
  return {
    timezone: hours.timezone,
    windows,
    holidays: [...new Set(hours.holidays || [])].sort(),
  };
}

/** Business hours: null when the assistant answers at any time. */
function hoursControl(field) {
  const on = $("f-hours-on");
  const zone = $("f-timezone");
  let week = WEEKDAYS.map(() => []);
  let holidays = [];

  const timeInput = (window, key, label, onEdit) => {
    const input = h("input", { type: "time", step: 60, value: hm(window[key]), "aria-label": label });
    input.addEventListener("input", () => {
      window[key] = input.value;
      onEdit();
    });
    return input;
  };

  const renderWeek = () => {
    $("week-rows").replaceChildren(...WEEKDAYS.map((weekday) => {
      const day = dayName(weekday);
      const items = week[weekday].map((window, index) => {
        const remove = removeButton("", () => {
          week[weekday].splice(index, 1);
          renderWeek();
          $(`add-window-${weekday}`).focus();
          changed(field);
        });
        const label = () => remove.setAttribute("aria-label",
          t("bot_window_remove", { from: hm(window.opens), to: hm(window.closes), day }));
        label();
        return h("li", { class: "window" },
          timeInput(window, "opens", t("bot_window_opens", { day }), label),
          h("span", { class: "muted", text: T.bot_window_to }),
          timeInput(window, "closes", t("bot_window_closes", { day }), label),
          remove);
      });
      const add = h("button", {
        id: `add-window-${weekday}`, type: "button", class: "small",
        "aria-label": t("bot_window_add_label", { day }), text: T.bot_window_add,
      });
      add.addEventListener("click", () => {
        const last = week[weekday].at(-1);
        week[weekday].push(last ? { opens: last.closes, closes: "23:59" } : { opens: "09:00", closes: "18:00" });
        renderWeek();
        $("week-rows").querySelector(`tr[data-weekday="${weekday}"] li:last-child input`).focus();
        changed(field);
      });
      return h("tr", { data: { weekday } },
        h("th", { scope: "row", text: day }),
        h("td", {}, h("div", { class: "day-windows" },
          items.length ? h("ul", { class: "windows" }, items)
            : h("span", { class: "muted closed", text: T.bot_closed }),
          add)));
    }));
  };

  const renderHolidays = () => {
    $("holiday-list").replaceChildren(...holidays.map((iso) => {
      const date = formatHoliday(iso);
      return h("li", { class: "kw-chip", data: { date: iso } },
        h("time", { datetime: iso, text: date }),
        removeButton(t("bot_holiday_remove", { date }), () => {
          holidays = holidays.filter((other) => other !== iso);
          renderHolidays();
          $("holiday-new").focus();
          changed(field);
        }));
    }));
    if (!holidays.length) {
      $("holiday-list").append(h("li", { class: "kw-empty muted", text: T.bot_holidays_none }));
    }
  };

  const addHoliday = () => {
    const input = $("holiday-new");
    const slot = $("business_hours-error");
    if (!input.value) {
      slot.textContent = T.bot_holiday_pick;
      slot.hidden = false;
      input.focus();
      return;
    }
    slot.hidden = true;
    holidays = [...new Set([...holidays, input.value])].sort();
    input.value = "";
    renderHolidays();
    changed(field);
  };
  $("holiday-add").addEventListener("click", addHoliday);
  $("holiday-new").addEventListener("keydown", (event) => {
    if (event.key !== "Enter") return;
    event.preventDefault();
    addHoliday();
  });
  const showPanel = () => { $("hours-panel").hidden = !on.checked; };
  on.addEventListener("change", showPanel);

  return {
    normalize: normalizeHours,
    get() {
      if (!on.checked) return null;
      return normalizeHours({
        timezone: zone.value.trim(),
        windows: WEEKDAYS.flatMap((weekday) => week[weekday].map((window) =>
          ({ weekday, opens: window.opens, closes: window.closes }))),
        holidays,
      });
    },
    set(value) {
      on.checked = value !== null && value !== undefined;
      // Off, the panel keeps a usual week ready for when it is switched on.
      const hours = normalizeHours(value) || {
        timezone: DEFAULT_ZONE,
        windows: [0, 1, 2, 3, 4].map((weekday) => ({ weekday, opens: "09:00:00", closes: "18:00:00" })),
        holidays: [],
      };
      zone.value = hours.timezone;
      week = WEEKDAYS.map((weekday) => hours.windows
        .filter((window) => window.weekday === weekday)
        .map((window) => ({ opens: hm(window.opens), closes: hm(window.closes) })));
      holidays = [...hours.holidays];
      renderWeek();
      renderHolidays();
      showPanel();
    },
  };
}

/** The providers this deployment offers, and the stored one even when it no longer does (the
 * page shows the truth; the server refuses it on the next save that sends it). */
function providerControl(field) {
  const select = field.querySelector("select");
  const option = (name) => h("option", { value: name, text: T[`bot_provider_${name}`] || name });
  select.replaceChildren(...boot.providers.map(({ name }) => option(name)));
  return {
    get: () => select.value,
    set(value) {
      if (![...select.options].some((known) => known.value === value)) select.append(option(value));
      select.value = value;
    },
  };
}

function followProvider() {
  const select = $("f-provider");
  const chosen = boot.providers.find(({ name }) => name === select.value);
  const rules = select.value === "rules";
  document.querySelectorAll("[data-ai-only]").forEach((el) => { el.hidden = rules; });
  $("f-model").placeholder = chosen?.default_model
    ? t("bot_model_default", { model: chosen.default_model }) : "";
}

/** The placeholders the assistant fills in each text (the others are sent as written). */
const PLACEHOLDERS = {
  greeting_member: ["first_name"],
  file_too_large_message: ["filename", "size", "limit"],
};

/** The focused text as the sample contact receives it. */
function preview(textarea) {
  const label = document.querySelector(`label[for="${textarea.id}"]`).textContent;
  const sample = {
    first_name: T.bot_sample_first_name,
    filename: T.bot_sample_filename,
    size: formatBytes(18 * 1024 * 1024),
    limit: formatBytes(16 * 1024 * 1024),
  };
  let text = textarea.value;
  for (const name of PLACEHOLDERS[textarea.name] || []) text = text.replaceAll(`{${name}}`, sample[name]);
  $("bot-preview-caption").textContent = t("bot_preview_hint", { field: label, name: T.bot_sample_name });
  const bubble = $("bot-preview-bubble");
  bubble.textContent = text.trim() ? text : T.bot_preview_empty;
  bubble.classList.toggle("preview-empty", !text.trim());
}

const MESSAGE_FIELDS = [
  "greeting_member", "greeting_lead", "transition_message", "objective_complete_message",
  "closing_message", "no_answer_message", "medical_message", "emergency_message",
  "voice_note_message", "file_too_large_message",
];

async function main() {
  const page = await settingsForm({
    sources: [{
      path: "/bot",
      fields: [
        "enabled", "provider", "model", "objective", "system_prompt", ...MESSAGE_FIELDS,
        "handoff_keywords", "medical_terms", "max_bot_turns", "unanswered_action",
        "inactivity_close_hours", "transcribe_voice_notes", "untranscribed_voice_notes",
        "business_hours",
      ],
    }],
    custom: { hours: hoursControl, provider: providerControl },
  });
  if (!page) return;
  $("f-provider").addEventListener("change", followProvider);
  followProvider();

  let shown = $("f-greeting_member");
  preview(shown);
  document.querySelectorAll("textarea[data-message]").forEach((textarea) => {
    textarea.addEventListener("focus", () => { shown = textarea; preview(textarea); });
    textarea.addEventListener("input", () => { if (textarea === shown) preview(textarea); });
  });
  document.querySelectorAll("[data-restore]").forEach((button) => {
    button.addEventListener("click", () => {
      const textarea = $(`f-${button.dataset.restore}`);
      textarea.value = boot.defaults[button.dataset.restore];
      textarea.focus();
      changed(textarea);
    });
  });
}

main();
