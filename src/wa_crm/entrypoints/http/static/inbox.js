// The inbox: conversation list, conversation and contact sidebar over the agent API, kept live by
// the association's SSE stream. Plain ES2020, no framework. Text from data only ever reaches the
// page through textContent or attributes (never innerHTML).
"use strict";

(() => {
  const boot = JSON.parse(document.getElementById("boot").textContent);
  const T = boot.strings;
  const API = boot.api;
  const ME = boot.agent.id;
  const CSRF = document.querySelector('meta[name="csrf-token"]').content;
  const BASE_TITLE = document.title;
  const PAGE = 50;
  const TYPING_IDLE_MS = 3000;
  const TYPING_REPEAT_MS = 8000;
  const CONTACT_TYPING_MS = 12000;
  // Queued shows a clock icon (⏱ needs an emoji font, which not every desktop has).
  const TICKS = { queued: "", sent: "✓", delivered: "✓✓", read: "✓✓", played: "✓✓", failed: "⚠" };
  const ICONS = {
    clock: "M12 3a9 9 0 1 0 0 18 9 9 0 0 0 0-18zm0 4v5l3 2",
    document: "M14 3H7a2 2 0 0 0-2 2v14a2 2 0 0 0 2 2h10a2 2 0 0 0 2-2V8zm0 0v5h5M9 13h6M9 17h6",
  };
  const TABS = {
    bot: { status: "bot" },
    pending: { status: "pending" },
    mine: { status: "human", assignee: "me" },
    all: {},
  };

  // --- small helpers ---------------------------------------------------------------------------

  const $ = (id) => document.getElementById(id);

  function t(key, vars) {
    let text = T[key] ?? key;
    for (const [name, value] of Object.entries(vars || {})) text = text.replace(`{${name}}`, value);
    return text;
  }

  /** Build an element; strings become text nodes, so data is never parsed as HTML. */
  function h(tag, attrs, ...children) {
    const el = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (key === "class") el.className = value;
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

  function icon(name, size = 14) {
    const svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("width", String(size));
    svg.setAttribute("height", String(size));
    svg.setAttribute("aria-hidden", "true");
    svg.classList.add("icon");
    const path = document.createElementNS("http://www.w3.org/2000/svg", "path");
    path.setAttribute("d", ICONS[name]);
    svg.append(path);
    return svg;
  }

  /** Only our own URLs go into src/href (media is served by us, never by WAHA). */
  function ownUrl(url) {
    return typeof url === "string" && url.startsWith("/") && !url.startsWith("//") ? url : null;
  }

  const timeFormat = new Intl.DateTimeFormat(boot.locale, { hour: "2-digit", minute: "2-digit" });
  const shortDate = new Intl.DateTimeFormat(boot.locale, { day: "2-digit", month: "short" });
  const longDate = new Intl.DateTimeFormat(boot.locale, {
    weekday: "long", day: "numeric", month: "long", year: "numeric",
  });
  const dateOnly = new Intl.DateTimeFormat(boot.locale, { dateStyle: "medium" });
  const money = new Intl.NumberFormat(boot.locale, { minimumFractionDigits: 2, maximumFractionDigits: 2 });

  function dayKey(date) {
    return `${date.getFullYear()}-${date.getMonth()}-${date.getDate()}`;
  }

  function relativeDay(date) {
    const today = new Date();
    const yesterday = new Date(today.getFullYear(), today.getMonth(), today.getDate() - 1);
    if (dayKey(date) === dayKey(today)) return T.today;
    if (dayKey(date) === dayKey(yesterday)) return T.yesterday;
    return null;
  }

  function listTime(iso) {
    if (!iso) return "";
    const date = new Date(iso);
    const day = relativeDay(date);
    if (day === T.today) return timeFormat.format(date);
    return day || shortDate.format(date);
  }

  function formatBytes(size) {
    if (!size && size !== 0) return "";
    if (size < 1024) return `${size} B`;
    if (size < 1024 * 1024) return `${Math.round(size / 1024)} KB`;
    return `${(size / 1024 / 1024).toFixed(1)} MB`;
  }

  /** +5511999998888 -> +55 11 99999-8888 (Brazil); other numbers stay as they are. */
  function formatPhone(phone) {
    const found = /^\+55(\d{2})(\d{4,5})(\d{4})$/.exec(phone || "");
    return found ? `+55 ${found[1]} ${found[2]}-${found[3]}` : (phone || "");
  }

  function contactName(contact) {
    if (!contact) return T.unknown_contact;
    return contact.display_name || formatPhone(contact.phone)
      || (contact.wa_chat_id || "").split("@")[0] || T.unknown_contact;
  }

  function initials(name) {
    const words = name.replace(/[^\p{L}\p{N} ]/gu, "").trim().split(/\s+/).filter(Boolean);
    if (!words.length) return "?";
    return (words[0][0] + (words.length > 1 ? words[words.length - 1][0] : "")).toUpperCase();
  }

  function avatarColour(seed) {
    let hash = 0;
    for (const ch of seed) hash = (hash * 31 + ch.charCodeAt(0)) | 0;
    return `hsl(${Math.abs(hash) % 360} 32% 46%)`;
  }

  function activity(conversation) {
    return conversation.last_message_at || conversation.created_at || "";
  }

  function reasonLabel(reason) {
    return reason ? t(`reason_${reason}`) : "";
  }

  function fieldLabel(name) {
    return T[`field_${name}`] || name.replace(/_/g, " ");
  }

  function debounce(fn, ms) {
    let timer = null;
    return (...args) => {
      clearTimeout(timer);
      timer = setTimeout(() => fn(...args), ms);
    };
  }

  // --- API ---------------------------------------------------------------------------------------

  class ApiError extends Error {
    constructor(status, code, message) {
      super(message || code || `HTTP ${status}`);
      this.status = status;
      this.code = code;
    }
  }

  async function api(method, path, body) {
    const headers = { Accept: "application/json" };
    let payload;
    if (method !== "GET") headers["X-CSRF-Token"] = CSRF;
    if (body instanceof FormData) payload = body;
    else if (body !== undefined) {
      headers["Content-Type"] = "application/json";
      payload = JSON.stringify(body);
    }
    const response = await fetch(API + path, {
      method, headers, body: payload, credentials: "same-origin",
    });
    if (response.status === 401) {
      window.location.assign(boot.login_url);
      throw new ApiError(401, "unauthenticated", "");
    }
    const data = await response.json().catch(() => null);
    if (!response.ok) {
      throw new ApiError(response.status, data?.error?.code, data?.error?.message);
    }
    return data;
  }

  // --- state -------------------------------------------------------------------------------------

  const state = {
    tab: TABS[localStorage.getItem("wa_crm.tab")] ? localStorage.getItem("wa_crm.tab") : "all",
    q: "",
    conversations: new Map(), // id -> conversation (with contact), everything seen
    list: [], // ids shown, in order
    nextCursor: null,
    counts: null,
    pending: new Set(), // conversations known to wait for an agent (notified once each)
    typing: new Map(), // conversation id -> timer of the contact's "typing…"
    agentTyping: new Map(),
    open: null, // {id, messages: Map, nextBefore, contact}
  };
  const rows = new Map(); // conversation id -> <li>
  const bubbles = new Map(); // message id -> {key, el}

  // --- conversation list -------------------------------------------------------------------------

  function queryFor(extra) {
    const tab = TABS[state.tab];
    const params = new URLSearchParams({ limit: String(PAGE) });
    if (tab.status) params.set("status", tab.status);
    if (tab.assignee) params.set("assignee", tab.assignee);
    if (state.q) params.set("q", state.q);
    for (const [key, value] of Object.entries(extra || {})) params.set(key, value);
    return params.toString();
  }

  function matchesView(conversation) {
    const tab = TABS[state.tab];
    if (tab.status && conversation.status !== tab.status) return false;
    if (tab.assignee === "me" && conversation.assignee_id !== ME) return false;
    if (state.q) {
      const needle = state.q.toLowerCase();
      const contact = conversation.contact || {};
      const hay = `${contact.display_name || ""} ${contact.phone || ""}`.toLowerCase();
      if (!hay.includes(needle)) return false;
    }
    return true;
  }

  function byActivity(a, b) {
    const left = activity(state.conversations.get(a));
    const right = activity(state.conversations.get(b));
    if (left !== right) return left < right ? 1 : -1;
    return a < b ? 1 : -1;
  }

  let listToken = 0;
  async function loadList() {
    const token = ++listToken;
    const page = await api("GET", `/conversations?${queryFor()}`);
    if (token !== listToken) return;
    for (const item of page.items) remember(item);
    state.list = page.items.map((c) => c.id);
    state.nextCursor = page.next_cursor;
    setCounts(page.counts);
    renderList();
  }

  async function loadMore() {
    if (!state.nextCursor) return;
    const token = listToken;
    const page = await api("GET", `/conversations?${queryFor({ cursor: state.nextCursor })}`);
    if (token !== listToken) return;
    for (const item of page.items) remember(item);
    const shown = new Set(state.list);
    state.list.push(...page.items.map((c) => c.id).filter((id) => !shown.has(id)));
    state.nextCursor = page.next_cursor;
    renderList();
  }

  const refreshCounts = debounce(async () => {
    try {
      setCounts((await api("GET", "/conversations?limit=1")).counts);
    } catch (error) {
      /* the next event tries again */
    }
  }, 250);

  function remember(conversation) {
    const known = state.conversations.get(conversation.id);
    const merged = { ...known, ...conversation };
    if (!conversation.contact && known?.contact) merged.contact = known.contact;
    state.conversations.set(conversation.id, merged);
    return merged;
  }

  /** Fetch a conversation for its contact; the events seen meanwhile stay the fresher state. */
  async function withContact(id) {
    const fetched = await api("GET", `/conversations/${encodeURIComponent(id)}`);
    return remember({ ...fetched, ...state.conversations.get(id), contact: fetched.contact });
  }

  function setCounts(counts) {
    state.counts = counts;
    const total = counts.bot + counts.pending + counts.human + counts.resolved;
    const values = { bot: counts.bot, pending: counts.pending, mine: counts.mine, all: total };
    for (const el of document.querySelectorAll("[data-count]")) {
      el.textContent = String(values[el.dataset.count] ?? "");
      el.classList.toggle("attention", el.dataset.count === "pending" && counts.pending > 0);
    }
    document.title = counts.pending > 0 ? `(${counts.pending}) ${BASE_TITLE}` : BASE_TITLE;
  }

  function renderRow(conversation) {
    let li = rows.get(conversation.id);
    if (!li) {
      li = h("li");
      rows.set(conversation.id, li);
    }
    const name = contactName(conversation.contact);
    const phone = formatPhone(conversation.contact?.phone);
    const unread = conversation.unread_count > 0;
    const isOpen = state.open?.id === conversation.id;
    const typing = state.typing.has(conversation.id);
    const detail = typing ? h("span", { class: "typing", text: T.typing })
      : h("span", {
        class: "conv-detail",
        text: conversation.status === "pending" && conversation.handoff_reason
          ? reasonLabel(conversation.handoff_reason)
          : (name !== phone ? phone : ""),
      });
    const avatar = h("span", { class: "avatar", "aria-hidden": "true", text: initials(name) });
    avatar.style.background = avatarColour(conversation.contact_id || conversation.id);
    const button = h(
      "button",
      {
        type: "button",
        class: `conv${unread ? " unread" : ""}`,
        data: { id: conversation.id, status: conversation.status },
        "aria-current": isOpen ? "true" : null,
      },
      avatar,
      h(
        "span",
        { class: "conv-main" },
        h(
          "span",
          { class: "conv-top" },
          h("span", { class: "conv-name", text: name }),
          h("time", {
            class: "conv-time", datetime: activity(conversation), text: listTime(activity(conversation)),
          }),
        ),
        h(
          "span",
          { class: "conv-bottom" },
          h("span", { class: `pill pill-${conversation.status}`, text: t(`status_${conversation.status}`) }),
          detail,
          unread ? h("span", {
            class: "unread-badge",
            "aria-label": String(conversation.unread_count),
            text: conversation.unread_count > 99 ? "99+" : String(conversation.unread_count),
          }) : null,
        ),
      ),
    );
    const hadFocus = li.contains(document.activeElement);
    li.replaceChildren(button);
    if (hadFocus) button.focus({ preventScroll: true });
    return li;
  }

  function renderList() {
    const list = $("conversation-list");
    const focusedId = document.activeElement?.closest?.(".conv")?.dataset.id;
    const items = state.list.map((id) => renderRow(state.conversations.get(id)));
    const current = Array.from(list.children);
    if (current.length !== items.length || current.some((el, i) => el !== items[i])) {
      list.replaceChildren(...items);
      const again = focusedId && list.querySelector(`.conv[data-id="${CSS.escape(focusedId)}"]`);
      if (again) again.focus({ preventScroll: true });
    }
    const empty = $("list-empty");
    empty.hidden = items.length > 0;
    empty.textContent = state.q ? t("no_matches", { q: state.q }) : T.no_conversations;
    $("list-more").hidden = !state.nextCursor;
  }

  /** Apply a conversation snapshot from an event to the list: update, insert, move or drop. */
  function placeInList(conversation) {
    const shown = state.list.includes(conversation.id);
    const belongs = matchesView(conversation);
    if (belongs) {
      if (!shown) {
        const last = state.conversations.get(state.list[state.list.length - 1]);
        // Past the loaded page it belongs to a later page: "load more" will bring it.
        if (state.nextCursor && last && activity(conversation) < activity(last)) return;
        state.list.push(conversation.id);
      }
      state.list.sort(byActivity);
    } else if (shown) {
      state.list = state.list.filter((id) => id !== conversation.id);
    }
    renderList();
  }

  function selectTab(name) {
    state.tab = name;
    localStorage.setItem("wa_crm.tab", name);
    for (const tab of document.querySelectorAll(".tab")) {
      tab.setAttribute("aria-selected", String(tab.dataset.tab === name));
      tab.tabIndex = tab.dataset.tab === name ? 0 : -1;
    }
    loadList().catch(showError);
  }

  // --- notifications -----------------------------------------------------------------------------

  let audio = null;
  let soundOn = localStorage.getItem("wa_crm.sound") !== "off";

  function unlockAudio() {
    // Browsers only let a page make sound after a gesture: prepare the context on the first one.
    if (audio || !window.AudioContext) return;
    try {
      audio = new AudioContext();
    } catch {
      audio = null;
    }
  }

  function beep() {
    if (!soundOn) return;
    try {
      audio = audio || new AudioContext();
      if (audio.state === "suspended") audio.resume();
      const start = audio.currentTime + 0.01;
      [660, 880].forEach((frequency, i) => {
        const osc = audio.createOscillator();
        const gain = audio.createGain();
        const at = start + i * 0.16;
        osc.type = "sine";
        osc.frequency.value = frequency;
        gain.gain.setValueAtTime(0.0001, at);
        gain.gain.exponentialRampToValueAtTime(0.18, at + 0.02);
        gain.gain.exponentialRampToValueAtTime(0.0001, at + 0.15);
        osc.connect(gain).connect(audio.destination);
        osc.start(at);
        osc.stop(at + 0.16);
      });
    } catch {
      /* no sound is better than a broken page */
    }
  }

  function renderSoundToggle() {
    const button = $("sound-toggle");
    button.textContent = soundOn ? T.sound_on : T.sound_off;
    button.setAttribute("aria-pressed", String(soundOn));
  }

  function offerNotifications() {
    if (!("Notification" in window) || Notification.permission !== "default") return;
    if (localStorage.getItem("wa_crm.notify") === "later") return;
    $("notify-ask").hidden = false;
  }

  function desktopNotification(conversation, summary) {
    if (!("Notification" in window) || Notification.permission !== "granted") return;
    if (document.visibilityState === "visible" && document.hasFocus()) return; // the toast is enough
    try {
      const note = new Notification(T.notify_title, {
        body: [t("notify_body", { name: contactName(conversation.contact) }), summary]
          .filter(Boolean).join("\n"),
        tag: `wa_crm-${conversation.id}`,
      });
      note.addEventListener("click", () => {
        window.focus();
        openConversation(conversation.id);
        note.close();
      });
    } catch {
      /* some browsers only notify from a service worker */
    }
  }

  /** A conversation now waits for an agent: notify once, until it stops waiting. */
  async function waiting(id, summary) {
    if (state.pending.has(id)) return;
    state.pending.add(id);
    let conversation = state.conversations.get(id);
    if (!conversation?.contact) {
      try {
        conversation = await withContact(id);
      } catch {
        conversation = conversation || { id };
      }
    }
    beep();
    desktopNotification(conversation, summary || conversation.handoff_note?.summary);
    if (state.pending.has(id)) {
      toast(t("handoff_toast", { name: contactName(conversation.contact) }), {
        action: T.open, onAction: () => openConversation(id), about: id,
      });
    }
  }

  /** A passing message; `about` ties it to a conversation, so it can go once handled. */
  function toast(text, { action, onAction, error, about } = {}) {
    const box = h("div", {
      class: `toast${error ? " toast-error" : ""}`,
      role: error ? "alert" : "status",
      data: about ? { about } : null,
    }, h("span", { text }));
    if (action) {
      const button = h("button", { type: "button", class: "small", text: action });
      button.addEventListener("click", () => { box.remove(); onAction(); });
      box.append(button);
    }
    const close = h("button", { type: "button", class: "small", "aria-label": T.dismiss, text: "✕" });
    close.addEventListener("click", () => box.remove());
    box.append(close);
    $("toasts").append(box);
    setTimeout(() => box.remove(), error ? 8000 : 6000);
  }

  function showError(error) {
    if (error instanceof ApiError && error.status === 401) return;
    const message = error instanceof ApiError ? error.message : T.network_error;
    toast(t("error", { message }), { error: true });
  }

  // --- the open conversation ---------------------------------------------------------------------

  let openToken = 0;
  async function openConversation(id) {
    if (state.open?.id === id) return;
    stopTyping();
    dropToasts(id);
    const token = ++openToken;
    state.open = { id, messages: new Map(), nextBefore: null, contactDetail: null };
    bubbles.clear();
    stuckToBottom = true;
    clearAttachment();
    $("composer-text").value = "";
    autosize();
    const params = new URLSearchParams(window.location.search);
    params.set("c", id);
    window.history.replaceState(null, "", `${window.location.pathname}?${params}`);
    $("conv-placeholder").hidden = true;
    $("conv-view").hidden = false;
    $("message-list").replaceChildren(h("p", { class: "muted", text: T.loading }));
    $("handoff-note").hidden = true;
    renderList();
    try {
      const [conversation, page] = await Promise.all([
        api("GET", `/conversations/${encodeURIComponent(id)}`),
        api("GET", `/conversations/${encodeURIComponent(id)}/messages?limit=${PAGE}`),
      ]);
      if (token !== openToken) return;
      remember(conversation);
      for (const message of page.items) state.open.messages.set(message.id, message);
      state.open.nextBefore = page.next_before;
      renderHeader();
      renderMessages(true);
      loadSidebar(conversation.contact_id, token);
      if (conversation.unread_count > 0) markRead();
    } catch (error) {
      if (token === openToken) showError(error);
    }
  }

  function openConversationData() {
    return state.open ? state.conversations.get(state.open.id) : null;
  }

  const markRead = debounce(async () => {
    const conversation = openConversationData();
    if (!conversation || conversation.unread_count === 0) return;
    try {
      remember(await api("POST", `/conversations/${encodeURIComponent(conversation.id)}/read`));
      renderList();
    } catch (error) {
      showError(error);
    }
  }, 300);

  function renderHeader() {
    const conversation = openConversationData();
    if (!conversation) return;
    const status = conversation.status;
    const mine = conversation.assignee_id === ME;
    $("conv-name").textContent = contactName(conversation.contact);
    const phone = formatPhone(conversation.contact?.phone);
    $("conv-phone").textContent = phone !== contactName(conversation.contact) ? phone : "";
    const pill = $("conv-status");
    pill.className = `pill pill-${status}`;
    pill.textContent = t(`status_${status}`);
    $("conv-state").textContent = status === "human"
      ? (mine ? T.state_mine : conversation.assignee_id ? T.state_other : T.state_unassigned)
      : t(`state_${status}`);
    $("btn-claim").hidden = !(status === "bot" || status === "pending"
      || (status === "human" && !conversation.assignee_id));
    $("btn-release").hidden = status !== "human";
    $("btn-resolve").hidden = status === "resolved";

    const note = conversation.handoff_note;
    $("handoff-note").hidden = !note || status === "resolved";
    if (note) {
      $("handoff-reason").textContent = reasonLabel(note.reason);
      $("handoff-summary").textContent = note.summary || "";
      $("handoff-summary").hidden = !note.summary;
      $("handoff-fields").replaceChildren(
        ...Object.entries(note.fields || {}).flatMap(([name, value]) => [
          h("dt", { text: fieldLabel(name) }),
          h("dd", { text: typeof value === "string" ? value : JSON.stringify(value) }),
        ]),
      );
    }

    const hint = $("composer-hint");
    const hints = { bot: T.hint_takeover, pending: T.hint_claim, resolved: T.hint_resolved };
    hint.textContent = hints[status] || (status === "human" && conversation.assignee_id && !mine
      ? T.hint_other : "");
    hint.hidden = !hint.textContent;
    const closed = status === "resolved";
    for (const id of ["composer-text", "send", "attach"]) $(id).disabled = closed;
    renderTyping();
  }

  function renderTyping() {
    const conversation = openConversationData();
    const label = $("conv-typing");
    if (!conversation) return;
    if (state.typing.has(conversation.id)) {
      label.textContent = T.typing;
      label.hidden = false;
    } else if (state.agentTyping.has(conversation.id)) {
      label.textContent = T.agent_typing;
      label.hidden = false;
    } else {
      label.hidden = true;
    }
  }

  function sortedMessages() {
    return Array.from(state.open.messages.values()).sort((a, b) => {
      if (a.created_at !== b.created_at) return a.created_at < b.created_at ? -1 : 1;
      return a.id < b.id ? -1 : 1;
    });
  }

  function authorLabel(message) {
    if (message.author === "agent") return message.agent_id === ME ? T.author_you : T.author_agent;
    if (message.author === "contact") return null;
    return t(`author_${message.author}`);
  }

  function mediaNode(message) {
    const media = message.media;
    if (!media) return null;
    const url = ownUrl(media.url);
    if (!url) {
      return h("div", { class: "media-pending", text: media.error ? T.media_failed : T.media_pending });
    }
    const mimetype = media.mimetype || "";
    const filename = media.filename || t(`msg_${message.type}`);
    if (message.type === "image" || message.type === "sticker" || mimetype.startsWith("image/")) {
      const img = h("img", { src: url, alt: filename, loading: "lazy" });
      img.addEventListener("load", () => { if (stuckToBottom) scrollToBottom(); });
      return h("a", { class: "msg-media", href: url, target: "_blank", rel: "noopener" }, img);
    }
    if (message.type === "audio" || mimetype.startsWith("audio/")) {
      return h("div", { class: "msg-media" }, h("audio", { src: url, controls: true, preload: "none" }));
    }
    if (message.type === "video" || mimetype.startsWith("video/")) {
      return h("div", { class: "msg-media" }, h("video", { src: url, controls: true, preload: "metadata" }));
    }
    return h(
      "a",
      { class: "doc", href: url, target: "_blank", rel: "noopener", download: media.filename || true },
      h("span", { class: "doc-icon" }, icon("document", 20)),
      h("span", { text: filename }),
      h("span", { class: "doc-size", text: formatBytes(media.size) }),
    );
  }

  function bubble(message) {
    const key = JSON.stringify([message.status, message.body, message.error, message.media?.url,
      message.media?.error, message.type]);
    const cached = bubbles.get(message.id);
    if (cached && cached.key === key) return cached.el;
    const out = message.direction === "out";
    const author = authorLabel(message);
    const body = message.body
      ? h("div", { class: "msg-body", text: message.body })
      : (!message.media ? h("div", { class: "msg-body msg-note", text: t(`msg_${message.type}`) }) : null);
    const created = new Date(message.created_at);
    const tick = out && message.status in TICKS
      ? h("span", {
        class: `tick tick-${message.status}`,
        title: t(`tick_${message.status}`),
        "aria-label": t(`tick_${message.status}`),
        role: "img",
      }, message.status === "queued" ? icon("clock", 12) : TICKS[message.status])
      : null;
    const el = h(
      "div",
      {
        class: `msg msg-${out ? "out" : "in"} msg-${message.author}`,
        data: { id: message.id, status: message.status, author: message.author },
      },
      author ? h("div", { class: "msg-author", text: author }) : null,
      mediaNode(message),
      body,
      message.status === "failed"
        ? h("div", {
          class: "msg-error",
          text: `⚠ ${T.tick_failed}${message.error ? `: ${message.error}` : ""}`,
        })
        : null,
      h("div", { class: "msg-meta" },
        h("time", {
          datetime: message.created_at, title: longDate.format(created), text: timeFormat.format(created),
        }),
        tick),
    );
    bubbles.set(message.id, { key, el });
    return el;
  }

  let stuckToBottom = true;
  function scrollToBottom() {
    const box = $("messages");
    box.scrollTop = box.scrollHeight;
  }

  function renderMessages(toBottom) {
    if (!state.open) return;
    const box = $("messages");
    const fromBottom = box.scrollHeight - box.scrollTop - box.clientHeight;
    const nodes = [];
    let lastDay = null;
    for (const message of sortedMessages()) {
      const date = new Date(message.created_at);
      if (dayKey(date) !== lastDay) {
        lastDay = dayKey(date);
        nodes.push(h("div", { class: "day", text: relativeDay(date) || dateOnly.format(date) }));
      }
      nodes.push(bubble(message));
    }
    $("message-list").replaceChildren(...nodes);
    $("load-older").hidden = !state.open.nextBefore;
    if (toBottom || stuckToBottom) scrollToBottom();
    else box.scrollTop = box.scrollHeight - box.clientHeight - fromBottom;
  }

  async function loadOlder() {
    const open = state.open;
    if (!open?.nextBefore) return;
    const button = $("load-older");
    button.disabled = true;
    try {
      const params = new URLSearchParams({ before: open.nextBefore, limit: String(PAGE) });
      const page = await api("GET", `/conversations/${encodeURIComponent(open.id)}/messages?${params}`);
      if (state.open !== open) return;
      for (const message of page.items) open.messages.set(message.id, message);
      open.nextBefore = page.next_before;
      stuckToBottom = false;
      renderMessages(false);
    } catch (error) {
      showError(error);
    } finally {
      button.disabled = false;
    }
  }

  // --- sidebar -----------------------------------------------------------------------------------

  async function loadSidebar(contactId, token) {
    try {
      const detail = await api("GET", `/contacts/${encodeURIComponent(contactId)}`);
      if (token !== openToken) return;
      state.open.contactDetail = detail;
      renderSidebar(detail);
    } catch (error) {
      if (token === openToken) showError(error);
    }
  }

  function facts(entries) {
    const pairs = entries.filter(([, value]) => value !== null && value !== undefined && value !== "");
    if (!pairs.length) return null;
    return h("dl", { class: "facts" }, ...pairs.flatMap(([label, value]) => [
      h("dt", { text: label }),
      h("dd", { text: typeof value === "string" ? value : JSON.stringify(value) }),
    ]));
  }

  function renderSidebar(detail) {
    const { contact, patient, conversations } = detail;
    const sections = [];
    sections.push(h(
      "section",
      null,
      h("h2", { text: T.contact }),
      h("div", { class: "side-name", text: contactName(contact) }),
      h("div", { class: "side-line" },
        h("span", {
          class: `pill pill-${contact.kind === "member" ? "human" : "bot"}`,
          text: t(`kind_${contact.kind}`),
        }),
        h("span", { class: "muted", text: formatPhone(contact.phone) || contact.wa_chat_id || "" })),
      facts(Object.entries(contact.fields || {}).map(([name, value]) => [fieldLabel(name), value])),
    ));
    if (patient) {
      sections.push(h(
        "section",
        null,
        h("h2", { text: T.patient }),
        h("div", { class: "side-name", text: patient.full_name }),
        facts([
          [T.patient_status, t(`patient_${patient.status}`)],
          [T.phone, (patient.phones || []).map(formatPhone).join(", ")],
          ...Object.entries(patient.profile || {}).map(([name, value]) => [fieldLabel(name), value]),
        ]),
      ));
      const orders = [...(patient.orders || [])].sort((a, b) => (a.date < b.date ? 1 : -1));
      sections.push(h(
        "section",
        null,
        h("h2", { text: T.orders }),
        orders.length
          ? h("ul", { class: "orders" }, ...orders.map((order) => h(
            "li",
            { class: "order" },
            h("div", { class: "order-top" },
              h("span", { text: order.id }),
              h("span", { class: "muted", text: dateOnly.format(new Date(`${order.date}T12:00:00`)) })),
            h("div", { class: "order-items", text: order.items }),
            h("div", { class: "order-bottom" },
              h("span", { text: order.status }),
              h("span", { text: `${T.order_total} ${money.format(Number(order.total))}` })),
          )))
          : h("p", { class: "muted", text: T.no_orders }),
      ));
    } else {
      sections.push(h("section", null, h("h2", { text: T.patient }),
        h("p", { class: "muted", text: T.not_a_member })));
    }
    if (conversations?.length > 1) {
      sections.push(h(
        "section",
        null,
        h("h2", { text: T.history }),
        h("ul", { class: "history" }, ...conversations.map((c) => h("li", {
          text: t("history_item", {
            date: dateOnly.format(new Date(c.created_at)),
            status: t(`status_${c.status}`),
          }),
        }))),
      ));
    }
    $("sidebar").replaceChildren(...sections);
  }

  // --- composer ----------------------------------------------------------------------------------

  let attachment = null;
  let typingSentAt = 0;
  let typingFor = null;
  let typingIdle = null;

  function autosize() {
    const box = $("composer-text");
    box.style.height = "auto";
    box.style.height = `${Math.min(box.scrollHeight + 2, 160)}px`;
  }

  function typingPost(id, state_) {
    api("POST", `/conversations/${encodeURIComponent(id)}/typing`, { state: state_ }).catch(() => {});
  }

  function agentTypes() {
    const conversation = openConversationData();
    if (!conversation || conversation.status === "resolved") return;
    if (!$("composer-text").value.trim()) {
      stopTyping();
      return;
    }
    const now = Date.now();
    if (typingFor !== conversation.id || now - typingSentAt > TYPING_REPEAT_MS) {
      typingFor = conversation.id;
      typingSentAt = now;
      typingPost(conversation.id, "start");
    }
    clearTimeout(typingIdle);
    typingIdle = setTimeout(stopTyping, TYPING_IDLE_MS);
  }

  function stopTyping() {
    clearTimeout(typingIdle);
    if (typingFor) typingPost(typingFor, "stop");
    typingFor = null;
    typingSentAt = 0;
  }

  function clearAttachment() {
    attachment = null;
    $("file-input").value = "";
    const preview = $("attachment-preview");
    if (preview.src) URL.revokeObjectURL(preview.src);
    preview.removeAttribute("src");
    preview.hidden = true;
    $("attachment").hidden = true;
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
    $("composer-text").focus();
  }

  let sending = false;
  async function send() {
    const conversation = openConversationData();
    const box = $("composer-text");
    const text = box.value.trim();
    if (!conversation || sending || (!text && !attachment)) return;
    sending = true;
    $("send").disabled = true;
    const path = `/conversations/${encodeURIComponent(conversation.id)}/messages`;
    try {
      let message;
      if (attachment) {
        const form = new FormData();
        form.append("file", attachment, attachment.name);
        if (text) form.append("caption", text);
        message = await api("POST", path, form);
      } else {
        message = await api("POST", path, { text });
      }
      stopTyping();
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
      $("send").disabled = openConversationData()?.status === "resolved";
    }
  }

  async function act(action, doneText) {
    const conversation = openConversationData();
    if (!conversation) return;
    try {
      const path = `/conversations/${encodeURIComponent(conversation.id)}/${action}`;
      const updated = remember(await api("POST", path));
      noteStatus(updated);
      renderHeader();
      placeInList(updated);
      refreshCounts();
      toast(doneText);
      if (action === "claim") $("composer-text").focus();
    } catch (error) {
      showError(error);
    }
  }

  // --- live events -------------------------------------------------------------------------------

  function noteStatus(conversation) {
    if (conversation.status !== "pending") {
      state.pending.delete(conversation.id);
      dropToasts(conversation.id);
    }
  }

  function dropToasts(id) {
    for (const box of document.querySelectorAll(".toast[data-about]")) {
      if (box.dataset.about === id) box.remove();
    }
  }

  async function onConversation(data, created) {
    let conversation = remember(data);
    noteStatus(conversation);
    if (!conversation.contact) {
      try {
        conversation = await withContact(data.id);
      } catch {
        return;
      }
    }
    if (conversation.status === "pending" && (created || data.handoff_reason)) {
      waiting(conversation.id, conversation.handoff_note?.summary);
    }
    placeInList(conversation);
    refreshCounts();
    if (state.open?.id === conversation.id) {
      const before = state.open.lastStatus;
      state.open.lastStatus = conversation.status;
      renderHeader();
      if (before && before !== conversation.status) {
        loadSidebar(conversation.contact_id, openToken);
      }
      if (conversation.unread_count > 0 && document.visibilityState === "visible") markRead();
    }
  }

  function onMessage(message) {
    if (message.author === "contact") stopContactTyping(message.conversation_id);
    if (state.open?.id !== message.conversation_id) return;
    const known = state.open.messages.get(message.id);
    if (known && known.created_at === message.created_at && known.status === message.status
      && known.body === message.body && known.media?.url === message.media?.url
      && known.error === message.error) return;
    state.open.messages.set(message.id, { ...known, ...message });
    renderMessages(false);
  }

  function stopContactTyping(id) {
    clearTimeout(state.typing.get(id));
    if (state.typing.delete(id)) {
      const conversation = state.conversations.get(id);
      if (conversation && state.list.includes(id)) renderRow(conversation);
      renderTyping();
    }
  }

  function onTyping(data) {
    const id = data.conversation_id;
    if (!id) return;
    if (data.who === "agent") {
      if (data.agent_id === ME) return;
      clearTimeout(state.agentTyping.get(id));
      if (data.state === "start") {
        state.agentTyping.set(id, setTimeout(() => {
          state.agentTyping.delete(id);
          renderTyping();
        }, CONTACT_TYPING_MS));
      } else {
        state.agentTyping.delete(id);
      }
      renderTyping();
      return;
    }
    if (data.state === "start") {
      clearTimeout(state.typing.get(id));
      state.typing.set(id, setTimeout(() => stopContactTyping(id), CONTACT_TYPING_MS));
      const conversation = state.conversations.get(id);
      if (conversation && state.list.includes(id)) renderRow(conversation);
      renderTyping();
    } else {
      stopContactTyping(id);
    }
  }

  function onAlert(data) {
    if (data.kind === "handoff" && data.conversation_id) {
      waiting(data.conversation_id, data.summary);
    } else if (data.kind === "dead_letter") {
      toast(T.dead_letter_toast, {
        error: true,
        ...(data.conversation_id
          ? { action: T.open, onAction: () => openConversation(data.conversation_id) }
          : {}),
      });
    } else if (data.kind === "session_down") {
      showSession(data.status);
    }
  }

  function showSession(status) {
    const banner = $("banner-session");
    banner.hidden = !status || status === "WORKING";
    banner.textContent = t("session_down", { status: status || "" });
  }

  const HANDLERS = {
    "conversation.created": (data) => onConversation(data, true),
    "conversation.updated": (data) => onConversation(data, false),
    "message.created": onMessage,
    "message.updated": onMessage,
    typing: onTyping,
    alert: onAlert,
    "session.status": (data) => showSession(data.status),
  };

  let source = null;
  let lastEventId = "";
  let lostAt = 0;
  let retryDelay = 1000;

  function connect() {
    const query = lastEventId ? `?last_event_id=${encodeURIComponent(lastEventId)}` : "";
    source = new EventSource(`${API}/events${query}`);
    source.addEventListener("open", () => {
      retryDelay = 1000;
      $("banner-reconnecting").hidden = true;
      if (lostAt) {
        lostAt = 0;
        resync();
      }
    });
    source.addEventListener("error", () => {
      lostAt = lostAt || Date.now();
      $("banner-reconnecting").hidden = false;
      if (source.readyState === EventSource.CLOSED) {
        // The browser gave up (e.g. an error status): check the session, then start over.
        source.close();
        setTimeout(async () => {
          try {
            await api("GET", "/conversations?limit=1");
          } catch {
            /* still down: try again below */
          }
          connect();
        }, retryDelay);
        retryDelay = Math.min(retryDelay * 2, 30000);
      }
    });
    for (const [type, handle] of Object.entries(HANDLERS)) {
      source.addEventListener(type, (event) => {
        if (event.lastEventId) lastEventId = event.lastEventId;
        let envelope;
        try {
          envelope = JSON.parse(event.data);
        } catch {
          return;
        }
        handle(envelope.data || {});
      });
    }
  }

  /** After a reconnection: the stream replays what it still holds; reload the rest anyway. */
  async function resync() {
    try {
      await loadList();
      const open = state.open;
      if (open) {
        const page = await api("GET", `/conversations/${encodeURIComponent(open.id)}/messages?limit=${PAGE}`);
        if (state.open === open) {
          for (const message of page.items) open.messages.set(message.id, message);
          renderMessages(false);
          remember(await api("GET", `/conversations/${encodeURIComponent(open.id)}`));
          renderHeader();
        }
      }
    } catch (error) {
      showError(error);
    }
  }

  // --- keyboard ----------------------------------------------------------------------------------

  function moveInList(step) {
    const buttons = Array.from(document.querySelectorAll("#conversation-list .conv"));
    if (!buttons.length) return;
    const focused = buttons.indexOf(document.activeElement);
    const current = focused >= 0 ? focused
      : buttons.findIndex((b) => b.getAttribute("aria-current") === "true");
    const next = current < 0 ? 0 : Math.max(0, Math.min(buttons.length - 1, current + step));
    buttons[next].focus();
    buttons[next].scrollIntoView({ block: "nearest" });
  }

  function onKey(event) {
    const target = event.target;
    const inField = target.closest?.("input, textarea, select, [contenteditable]");
    if (event.key === "Escape") {
      if (inField) {
        if (target.id === "composer-text") stopTyping();
        target.blur();
        const row = document.querySelector('#conversation-list .conv[aria-current="true"]')
          || document.querySelector("#conversation-list .conv");
        row?.focus();
        event.preventDefault();
      }
      return;
    }
    if (inField || event.ctrlKey || event.metaKey || event.altKey) return;
    const inList = target.closest?.("#conversation-list") || target === document.body;
    if (event.key === "/") {
      event.preventDefault();
      $("search").focus();
      $("search").select();
    } else if (event.key === "j" || (event.key === "ArrowDown" && inList)) {
      event.preventDefault();
      moveInList(1);
    } else if (event.key === "k" || (event.key === "ArrowUp" && inList)) {
      event.preventDefault();
      moveInList(-1);
    } else if (event.key === "r" && state.open && !$("composer-text").disabled) {
      event.preventDefault();
      $("composer-text").focus();
    } else if (event.key === "Enter" && target === document.body) {
      const first = document.querySelector("#conversation-list .conv");
      if (first) openConversation(first.dataset.id);
    }
  }

  // --- wiring ------------------------------------------------------------------------------------

  function wire() {
    document.addEventListener("keydown", onKey);
    document.addEventListener("pointerdown", unlockAudio, { once: true });
    document.addEventListener("keydown", unlockAudio, { once: true });

    for (const tab of document.querySelectorAll(".tab")) {
      tab.addEventListener("click", () => selectTab(tab.dataset.tab));
      tab.addEventListener("keydown", (event) => {
        if (event.key !== "ArrowLeft" && event.key !== "ArrowRight") return;
        const tabs = Array.from(document.querySelectorAll(".tab"));
        const step = event.key === "ArrowRight" ? 1 : -1;
        const next = tabs[(tabs.indexOf(tab) + step + tabs.length) % tabs.length];
        next.focus();
        selectTab(next.dataset.tab);
      });
    }
    $("conversation-list").addEventListener("click", (event) => {
      const row = event.target.closest(".conv");
      if (row) openConversation(row.dataset.id);
    });
    $("list-more").addEventListener("click", () => loadMore().catch(showError));
    $("search").addEventListener("input", debounce(() => {
      state.q = $("search").value.trim();
      loadList().catch(showError);
    }, 250));
    $("search").addEventListener("keydown", (event) => {
      if (event.key === "Enter" || event.key === "ArrowDown") {
        event.preventDefault();
        moveInList(0);
      }
    });

    $("load-older").addEventListener("click", loadOlder);
    $("messages").addEventListener("scroll", () => {
      const box = $("messages");
      stuckToBottom = box.scrollHeight - box.scrollTop - box.clientHeight < 60;
    });
    $("btn-claim").addEventListener("click", () => act("claim", T.claimed));
    $("btn-release").addEventListener("click", () => act("release", T.released));
    $("btn-resolve").addEventListener("click", () => act("resolve", T.resolved));

    const text = $("composer-text");
    $("composer").addEventListener("submit", (event) => {
      event.preventDefault();
      send();
    });
    text.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        send();
      }
    });
    text.addEventListener("input", () => {
      autosize();
      agentTypes();
    });
    text.addEventListener("blur", stopTyping);
    $("attach").addEventListener("click", () => $("file-input").click());
    $("file-input").addEventListener("change", () => chooseFile($("file-input").files[0]));
    $("attachment-remove").addEventListener("click", () => {
      clearAttachment();
      text.focus();
    });

    $("sound-toggle").addEventListener("click", () => {
      soundOn = !soundOn;
      localStorage.setItem("wa_crm.sound", soundOn ? "on" : "off");
      renderSoundToggle();
      if (soundOn) beep();
    });
    $("notify-enable").addEventListener("click", async () => {
      $("notify-ask").hidden = true;
      try {
        await Notification.requestPermission();
      } catch {
        /* older browsers: nothing to do */
      }
    });
    $("notify-later").addEventListener("click", () => {
      $("notify-ask").hidden = true;
      localStorage.setItem("wa_crm.notify", "later");
    });
    $("logout").addEventListener("click", async () => {
      try {
        await fetch("/logout", {
          method: "POST", headers: { "X-CSRF-Token": CSRF }, credentials: "same-origin",
        });
      } finally {
        window.location.assign("/login");
      }
    });
    document.addEventListener("visibilitychange", () => {
      if (document.visibilityState === "visible" && openConversationData()?.unread_count > 0) markRead();
    });
    window.addEventListener("beforeunload", stopTyping);
  }

  async function start() {
    wire();
    renderSoundToggle();
    offerNotifications();
    connect(); // first, so nothing happening while the lists load is missed
    for (const tab of document.querySelectorAll(".tab")) {
      tab.setAttribute("aria-selected", String(tab.dataset.tab === state.tab));
      tab.tabIndex = tab.dataset.tab === state.tab ? 0 : -1;
    }
    try {
      const [, waitingNow] = await Promise.all([
        loadList(),
        api("GET", "/conversations?status=pending&limit=100"),
      ]);
      for (const conversation of waitingNow.items) state.pending.add(conversation.id);
    } catch (error) {
      showError(error);
    }
    const wanted = new URLSearchParams(window.location.search).get("c");
    if (wanted) openConversation(wanted);
  }

  start();
})();
