// The reports' tools for the monitoring page: figures in the page's locale (counts, durations,
// averages, percentages) and CSV files built in the browser from the data the page shows.
//
// A CSV is UTF-8 with a byte order mark (so that Excel reads accents right), separated by ";" in
// pt-BR (where "," is the decimal mark) and "," in English, numbers written for the locale. A
// cell that a spreadsheet would take for a formula (= + - @, a tab or a carriage return first) is
// prefixed with "'" so that it stays text.
"use strict";

window.WaCrmReports = (() => {
  const { boot, t, h } = window.WaCrm;
  const UNITS = [[86400, "dur_d"], [3600, "dur_h"], [60, "dur_min"], [1, "dur_s"]];
  const SEPARATOR = boot.locale.startsWith("pt") ? ";" : ",";
  const integers = new Intl.NumberFormat(boot.locale);
  const decimals = new Intl.NumberFormat(boot.locale, { maximumFractionDigits: 1 });
  const percents = new Intl.NumberFormat(boot.locale, { style: "percent", maximumFractionDigits: 0 });

  /** 3900 -> "1 h 5 min", 120 -> "2 min": the two largest units from the first that is not zero. */
  function duration(seconds) {
    if (seconds === null || seconds === undefined) return "—";
    let rest = Math.round(seconds);
    const parts = [];
    for (const [size, key] of UNITS) {
      const count = Math.floor(rest / size);
      rest -= count * size;
      if (count > 0 || parts.length) parts.push([count, key]);
    }
    const shown = parts.slice(0, 2).filter(([count]) => count > 0);
    return shown.length ? shown.map(([n, key]) => t(key, { n })).join(" ") : t("dur_s", { n: 0 });
  }

  const count = (value) => integers.format(value);
  const average = (value) => (value === null || value === undefined ? "—" : decimals.format(value));
  const percent = (part, whole) => percents.format(whole ? part / whole : 0);

  /** A number as the locale writes it in a CSV cell; none stays empty. */
  function csvNumber(value) {
    if (value === null || value === undefined) return "";
    return Number.isInteger(value) ? count(value) : decimals.format(value);
  }

  function csvCell(value) {
    let text = typeof value === "number" ? csvNumber(value) : String(value ?? "");
    if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
    if (text.includes(SEPARATOR) || /["\r\n]/.test(text)) text = `"${text.replace(/"/g, '""')}"`;
    return text;
  }

  /** The file's text: the header row, then one line per row, lines ended by CRLF. */
  function csvText(header, rows) {
    return [header, ...rows].map((row) => row.map(csvCell).join(SEPARATOR)).join("\r\n") + "\r\n";
  }

  /** Download ``rows`` under ``header`` as ``<slug>-<name>.csv``. */
  function download(name, header, rows) {
    const blob = new Blob(["\uFEFF", csvText(header, rows)], { type: "text/csv;charset=utf-8" });
    const url = URL.createObjectURL(blob);
    const link = h("a", { href: url, download: `${boot.slug}-${name}.csv`, hidden: true });
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  }

  /** A "Exportar CSV" button for the table ``title`` names; ``table()`` gives
   * ``{name, header, rows}`` when clicked, from what the page holds then. */
  function csvButton(title, table) {
    const button = h("button", {
      type: "button", class: "small csv-button", text: t("csv_export"),
      "aria-label": t("csv_export_label", { table: title }),
    });
    button.addEventListener("click", () => {
      const { name, header, rows } = table();
      download(name, header, rows);
    });
    return button;
  }

  return { duration, count, average, percent, csvText, csvButton, download };
})();
