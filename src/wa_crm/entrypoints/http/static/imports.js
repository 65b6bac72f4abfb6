// The imports card of the monitoring page: the association's recent patient and order imports
// with rows read, imported and bad rows, and the first bad rows of each. While one is queued or
// running the card reloads every few seconds, so the admin watches a large file go through.
"use strict";

(() => {
  const { T, $, t, h, api, errorText, toast, formatTime } = window.WaCrm;
  const REFRESH_MS = 3000;
  const TONES = { queued: "neutral", running: "warn", done: "ok", failed: "error" };
  const numbers = new Intl.NumberFormat(window.WaCrm.boot.locale);
  let timer = null;

  function problems(item) {
    const lines = item.errors.map((e) => t("import_error_line", { line: e.line, reason: e.reason }));
    if (item.error) lines.unshift(item.error);
    if (!lines.length) return null;
    return h("details", {},
      h("summary", { text: T.import_first_errors }),
      h("ul", { class: "import-errors" }, lines.map((line) => h("li", { text: line }))));
  }

  function row(item) {
    return h("tr", { data: { id: item.id } },
      h("td", { class: "nowrap" }, h("time", { datetime: item.created_at, text: formatTime(item.created_at) })),
      h("td", { text: T[`import_kind_${item.kind}`] || item.kind }),
      h("td", {}, h("span", {
        class: `pill pill-tone-${TONES[item.status] || "neutral"}`,
        text: T[`import_status_${item.status}`] || item.status,
      })),
      h("td", { class: "num", text: numbers.format(item.rows_done) }),
      h("td", { class: "num", text: numbers.format(item.imported) }),
      h("td", { class: "num", text: numbers.format(item.bad_rows) }),
      h("td", { class: "clip" }, problems(item)));
  }

  async function load() {
    clearTimeout(timer);
    try {
      const page = await api("GET", "/imports?limit=10");
      $("imports").replaceChildren(...page.items.map(row));
      $("imports-table").hidden = page.items.length === 0;
      $("imports-empty").hidden = page.items.length > 0;
      if (page.items.some((item) => item.status === "queued" || item.status === "running")) {
        timer = setTimeout(load, REFRESH_MS);
      }
    } catch (error) {
      toast(errorText(error), { error: true });
    }
  }

  load();
})();
