// Shared by the pages (inbox, WhatsApp settings, monitoring): boot data and strings, building
// elements, the association's API with the session's CSRF token, its SSE stream, toasts and the
// sign-out button. Plain ES2020, no framework. Text from data only ever reaches the page through
// textContent or attributes (never innerHTML).
"use strict";

window.WaCrm = (() => {
  const boot = JSON.parse(document.getElementById("boot").textContent);
  const T = boot.strings;
  const CSRF = document.querySelector('meta[name="csrf-token"]').content;
  const SVG = "http://www.w3.org/2000/svg";

  const $ = (id) => document.getElementById(id);

  function t(key, vars) {
    let text = T[key] ?? key;
    for (const [name, value] of Object.entries(vars || {})) text = text.replace(`{${name}}`, value);
    return text;
  }

  function build(el, attrs, children) {
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (key === "class") el.setAttribute("class", value);
      else if (key === "text") el.textContent = value;
      else if (key === "data") Object.assign(el.dataset, value);
      else el.setAttribute(key, value === true ? "" : String(value));
    }
    for (const child of children.flat()) {
      if (child === null || child === undefined || child === false) continue;
      el.append(child instanceof Node ? child : String(child));
    }
    return el;
  }

  /** An HTML element; strings become text nodes, so data is never parsed as HTML. */
  const h = (tag, attrs, ...children) => build(document.createElement(tag), attrs, children);
  /** The same for SVG. */
  const s = (tag, attrs, ...children) => build(document.createElementNS(SVG, tag), attrs, children);

  /** A refused call: ``code`` is stable, ``message`` English (for developers, never shown);
   * ``field``, ``reason`` and ``params`` say what to correct (see errorText). */
  class ApiError extends Error {
    constructor(status, code, message, details) {
      super(message || code || `HTTP ${status}`);
      this.status = status;
      this.code = code;
      this.field = details?.field || null;
      this.reason = details?.reason || null;
      this.params = details?.params || {};
    }
  }

  /** ``body``: JSON data, or a FormData sent as multipart (the browser sets its boundary). */
  async function api(method, path, body) {
    const headers = { Accept: "application/json" };
    const form = body instanceof FormData;
    if (method !== "GET") headers["X-CSRF-Token"] = CSRF;
    if (body !== undefined && !form) headers["Content-Type"] = "application/json";
    const response = await fetch(boot.api + path, {
      method,
      headers,
      body: body === undefined || form ? body : JSON.stringify(body),
      credentials: "same-origin",
    });
    if (response.status === 401) {
      window.location.assign(boot.login_url);
      throw new ApiError(401, "unauthenticated", "");
    }
    const data = await response.json().catch(() => null);
    if (!response.ok) {
      const error = data?.error || {};
      throw new ApiError(response.status, error.code, error.message, error);
    }
    return data;
  }

  /** A field's name as people read it: its ``field_`` string, else the name made readable. */
  function fieldLabel(name) {
    const words = String(name).replace(/_/g, " ");
    return T[`field_${name}`] || words.charAt(0).toUpperCase() + words.slice(1);
  }

  /** What to tell a person about a failed call, in the page's language: the field and what is
   * wrong with it (``reason_`` strings, limits formatted), else the code's own sentence
   * (``error_<code>``), else one for its status. The server's English message is never shown. */
  function errorText(error) {
    if (!(error instanceof ApiError)) return T.network_error;
    const params = {};
    for (const [name, value] of Object.entries(error.params || {})) {
      params[name] = typeof value === "number" ? formatNumber(value) : formatParam(value);
    }
    const field = error.field ? fieldLabel(error.field) : null;
    const reasonKey = error.reason ? `reason_${error.reason}` : null;
    if (field && reasonKey && T[reasonKey]) {
      return t("error_field_reason", { field, reason: t(reasonKey, params) });
    }
    const own = T[`error_${error.code}`];
    if (field && (!own || error.code === "invalid_input")) return t("error_field_invalid", { field });
    if (own) return t(`error_${error.code}`, params);
    const status = error.status >= 500 ? "5xx" : T[`error_status_${error.status}`] ? error.status : "4xx";
    return T[`error_status_${status}`];
  }

  /** A limit the server gave as text: a day (2100-01-01) in the locale's format. */
  function formatParam(value) {
    return /^\d{4}-\d{2}-\d{2}$/.test(value) ? formatDate(`${value}T12:00:00`) : String(value);
  }

  /** Disable ``button`` and show ``text`` on it while ``work`` runs. */
  async function busy(button, text, work) {
    const label = button.textContent;
    button.disabled = true;
    button.textContent = text;
    try {
      return await work();
    } finally {
      button.disabled = false;
      button.textContent = label;
    }
  }

  /** Show a sentence in a result box: tone is ok, warn or error. */
  function showResult(id, tone, text) {
    const box = $(id);
    box.className = `result result-${tone}`;
    box.textContent = text;
    box.hidden = false;
  }

  function toast(text, { error } = {}) {
    const box = h("div", { class: `toast${error ? " toast-error" : ""}`, role: "status" },
      h("span", { text }));
    $("toasts").append(box);
    setTimeout(() => box.remove(), 6000);
  }

  // --- numbers, sizes, money, dates and durations in the page's locale (boot.locale) --------

  const dateTime = new Intl.DateTimeFormat(boot.locale, { dateStyle: "medium", timeStyle: "short" });
  const dateOnly = new Intl.DateTimeFormat(boot.locale, { dateStyle: "medium" });
  const number = new Intl.NumberFormat(boot.locale);
  const money = new Intl.NumberFormat(boot.locale, { style: "currency", currency: "BRL" });
  const SIZE_UNITS = ["byte", "kilobyte", "megabyte", "gigabyte"];

  function formatTime(iso) {
    return iso ? dateTime.format(new Date(iso)) : "";
  }

  /** An ISO time (or a Date) as day, month, year and time: "8 de dez. de 2026, 14:05". */
  const formatDateTime = formatTime;

  /** An ISO time, a Date, or a day ("2026-12-08", read as that day, not UTC midnight). */
  function formatDate(value) {
    if (!value) return "";
    const day = typeof value === "string" && /^\d{4}-\d{2}-\d{2}$/.test(value);
    return dateOnly.format(day ? new Date(`${value}T12:00:00`) : new Date(value));
  }

  function formatNumber(value, options) {
    return options ? new Intl.NumberFormat(boot.locale, options).format(value) : number.format(value);
  }

  /** Bytes as people read them: "16 MB", "1,5 MB" in pt-BR, "800 kB", "12 B"
   * (1 MB = 1024 × 1024 bytes). */
  function formatBytes(size) {
    if (size === null || size === undefined || size === "" || Number.isNaN(Number(size))) return "";
    let value = Number(size);
    let unit = 0;
    while (value >= 1024 && unit < SIZE_UNITS.length - 1) {
      value /= 1024;
      unit += 1;
    }
    if (!unit) return `${formatNumber(value)} B`;
    return new Intl.NumberFormat(boot.locale, {
      style: "unit", unit: SIZE_UNITS[unit], maximumFractionDigits: value < 10 ? 1 : 0,
    }).format(value);
  }

  /** An amount in reais, "R$ 1.234,56" (pt-BR) or "R$1,234.56" (English); text amounts too. */
  function formatMoney(amount) {
    const value = Number(amount);
    return amount === null || amount === undefined || amount === "" || Number.isNaN(value)
      ? "" : money.format(value);
  }

  /** Seconds as hours, minutes and seconds in words of the locale: "1 h 5 min", "45 s". */
  function formatDuration(seconds) {
    if (seconds === null || seconds === undefined || Number.isNaN(Number(seconds))) return "";
    const whole = Math.max(0, Math.round(Number(seconds)));
    const unit = (value, name) => new Intl.NumberFormat(boot.locale, {
      style: "unit", unit: name, unitDisplay: "short",
    }).format(value);
    const days = Math.floor(whole / 86400);
    const hours = Math.floor((whole % 86400) / 3600);
    const minutes = Math.floor((whole % 3600) / 60);
    const parts = days ? [unit(days, "day"), hours && unit(hours, "hour")]
      : hours ? [unit(hours, "hour"), minutes && unit(minutes, "minute")]
        : minutes ? [unit(minutes, "minute")] : [unit(whole % 60, "second")];
    return parts.filter(Boolean).join(" ");
  }

  /** +5511999998888 -> +55 11 99999-8888 (Brazil); other numbers get a + and stay as they are. */
  function formatPhone(phone) {
    const digits = (phone || "").replace(/@.*$/, "").replace(/\D/g, "");
    const found = /^55(\d{2})(\d{4,5})(\d{4})$/.exec(digits);
    if (found) return `+55 ${found[1]} ${found[2]}-${found[3]}`;
    return digits ? `+${digits}` : "";
  }

  /** A session status as a short label; "UNREACHABLE (timeout)" (what the poll records when
   * WAHA cannot be asked) is labelled by its first word. */
  function statusLabel(status) {
    if (!status) return T.wa_status_none;
    const word = status.split(" ")[0].toLowerCase();
    return T[`wa_status_${status.toLowerCase()}`] || T[`wa_status_${word}`] || status;
  }

  /** The status as a sentence saying what it means, for "UNREACHABLE (reason)" too. */
  function statusSentence(status) {
    if (!status) return T.wa_says_none;
    const unreachable = /^UNREACHABLE \((\w+)\)$/.exec(status);
    if (unreachable) {
      return T[`wa_says_unreachable_${unreachable[1]}`] || T.wa_says_unreachable;
    }
    return T[`wa_says_${status.toLowerCase()}`] || t("wa_says_other", { status });
  }

  /** The association's events: ``handlers`` maps an event type to a function of its data. */
  function listen(handlers) {
    let retryDelay = 1000;
    const connect = () => {
      const source = new EventSource(`${boot.api}/events`);
      source.addEventListener("open", () => {
        retryDelay = 1000;
        $("banner-reconnecting").hidden = true;
      });
      source.addEventListener("error", () => {
        $("banner-reconnecting").hidden = false;
        if (source.readyState !== EventSource.CLOSED) return; // the browser retries by itself
        source.close();
        setTimeout(connect, retryDelay);
        retryDelay = Math.min(retryDelay * 2, 30000);
      });
      for (const [type, handle] of Object.entries(handlers)) {
        source.addEventListener(type, (event) => {
          let envelope;
          try {
            envelope = JSON.parse(event.data);
          } catch {
            return; // not JSON: nothing to show
          }
          handle(envelope.data || {});
        });
      }
    };
    connect();
  }

  $("logout").addEventListener("click", async () => {
    try {
      await fetch(`${boot.base}/logout`, {
        method: "POST", headers: { "X-CSRF-Token": CSRF }, credentials: "same-origin",
      });
    } finally {
      window.location.assign(`${boot.base}/login`);
    }
  });

  return {
    boot, T, $, t, h, s, api, ApiError, errorText, fieldLabel, busy, showResult, toast, formatTime,
    formatDateTime, formatDate, formatNumber, formatBytes, formatMoney, formatDuration,
    formatPhone, statusLabel, statusSentence, listen,
  };
})();
