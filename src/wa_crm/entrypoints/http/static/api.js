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

  class ApiError extends Error {
    constructor(status, code, message) {
      super(message || code || `HTTP ${status}`);
      this.status = status;
      this.code = code;
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
    if (!response.ok) throw new ApiError(response.status, data?.error?.code, data?.error?.message);
    return data;
  }

  /** What to tell a person about a failed call. */
  function errorText(error) {
    return error instanceof ApiError ? t("error", { message: error.message }) : T.network_error;
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

  const dateTime = new Intl.DateTimeFormat(boot.locale, { dateStyle: "medium", timeStyle: "short" });

  function formatTime(iso) {
    return iso ? dateTime.format(new Date(iso)) : "";
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
    boot, T, $, t, h, s, api, ApiError, errorText, busy, showResult, toast, formatTime,
    formatPhone, statusLabel, statusSentence, listen,
  };
})();
