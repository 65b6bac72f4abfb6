// The inbox: conversation list, conversation and contact sidebar over the agent API, kept live by
// the association's SSE stream. Plain ES2020, no framework. Text from data only ever reaches the
// page through textContent or attributes (never innerHTML).
"use strict";

(() => {
  const { boot, T, $, t, h, api, ApiError } = window.WaCrm; // api.js
  const extras = window.WaCrmMessageExtras; // message_extras.js
  const API = boot.api;
  const ME = boot.agent.id;
  const ADMIN = boot.agent.role === "admin";
  const BASE_TITLE = document.title;
  const PAGE = 50;
  const TYPING_IDLE_MS = 3000;
  const TYPING_REPEAT_MS = 8000;
  const CONTACT_TYPING_MS = 12000;
  const MAX_LABELS = 10;
  const AGENTS_REFRESH_MS = 60000;
  // Queued shows a clock icon (⏱ needs an emoji font, which not every desktop has).
  const TICKS = { queued: "", sent: "✓", delivered: "✓✓", read: "✓✓", played: "✓✓", failed: "⚠" };
  const ICONS = {
    clock: "M12 3a9 9 0 1 0 0 18 9 9 0 0 0 0-18zm0 4v5l3 2",
    document: "M14 3H7a2 2 0 0 0-2 2v14a2 2 0 0 0 2 2h10a2 2 0 0 0 2-2V8zm0 0v5h5M9 13h6M9 17h6",
    lock: "M7 11V8a5 5 0 0 1 10 0v3M6 11h12v10H6z",
  };
  // Mine and Unassigned: what an agent holds or could take (pending includes what automatic
  // assignment routed to someone, as the "mine" count does).
  const TABS = {
    bot: { status: "bot" },
    pending: { status: "pending" },
    mine: { status: "pending,human", assignee: "me" },
    unassigned: { status: "pending,human", assignee: "none" },
    all: {},
  };

  // --- small helpers ---------------------------------------------------------------------------

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

  function isErased(contact) {
    return (contact?.wa_chat_id || "").startsWith("erased:");
  }

  function contactName(contact) {
    if (!contact) return T.unknown_contact;
    if (isErased(contact)) return T.erased_contact;
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

  // --- state -------------------------------------------------------------------------------------

  const state = {
    tab: TABS[localStorage.getItem("wa_crm.tab")] ? localStorage.getItem("wa_crm.tab") : "all",
    q: "",
    label: null, // the list shows only the conversations with this label
    snoozed: false, // the list shows the snoozed conversations instead of the others
    agents: new Map(), // id -> {id, name, role, online}
    conversations: new Map(), // id -> conversation (with contact), everything seen
    list: [], // ids shown, in order
    nextCursor: null,
    counts: null,
    pending: new Set(), // conversations known to wait for an agent (notified once each)
    typing: new Map(), // conversation id -> timer of the contact's "typing…"
    agentTyping: new Map(),
    open: null, // {id, messages: Map, notes: Map, nextBefore, contactDetail}
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
    if (state.label) params.set("label", state.label);
    if (state.snoozed) params.set("snoozed", "true");
    for (const [key, value] of Object.entries(extra || {})) params.set(key, value);
    return params.toString();
  }

  function matchesView(conversation) {
    const tab = TABS[state.tab];
    if (tab.status && !tab.status.split(",").includes(conversation.status)) return false;
    if (tab.assignee === "me" && conversation.assignee_id !== ME) return false;
    if (tab.assignee === "none" && conversation.assignee_id) return false;
    if (state.label && !(conversation.labels || []).includes(state.label)) return false;
    if (Boolean(conversation.snoozed_until) !== state.snoozed) return false;
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
        rowTags(conversation),
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
    document.querySelector(".layout").classList.add("conversation-open"); // phones: one pane
    if (state.open?.id === id) return;
    stopTyping();
    dropToasts(id);
    const token = ++openToken;
    state.open = { id, messages: new Map(), notes: new Map(), nextBefore: null, contactDetail: null };
    bubbles.clear();
    noteNodes.clear();
    closeMenus();
    closeCanned();
    closeLabelInput(false);
    composerMode = "reply";
    stuckToBottom = true;
    clearAttachment();
    stopReplyTo();
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
      const [conversation, page, notes] = await Promise.all([
        api("GET", `/conversations/${encodeURIComponent(id)}`),
        api("GET", `/conversations/${encodeURIComponent(id)}/messages?limit=${PAGE}`),
        api("GET", `/conversations/${encodeURIComponent(id)}/notes`),
      ]);
      if (token !== openToken) return;
      remember(conversation);
      for (const message of page.items) state.open.messages.set(message.id, message);
      for (const note of notes.items) state.open.notes.set(note.id, note);
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
    $("conv-state").title = $("conv-state").textContent; // it may be cut short
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

    renderLabels(conversation);
    renderSnooze(conversation);
    renderRating(conversation);
    renderAssignee(conversation);
    renderComposer();
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

  const RASTER_IMAGES = ["image/png", "image/jpeg", "image/gif", "image/webp"];

  function mediaNode(message) {
    const media = message.media;
    if (!media) return null;
    const url = ownUrl(media.url);
    if (!url) {
      return h("div", { class: "media-pending", text: media.error ? T.media_failed : T.media_pending });
    }
    const mimetype = (media.mimetype || "").split(";")[0].trim().toLowerCase();
    const filename = media.filename || t(`msg_${message.type}`);
    // The server shows only these inline (by their bytes); an SVG or other file is a download.
    if (RASTER_IMAGES.includes(mimetype)) {
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
      message.media?.error, message.type, message.external_id, message.quoted_body,
      message.reactions]);
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
      extras.quoteNode(message),
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
      extras.reactionsNode(message),
      extras.actionsNode(message, message.conversation_id, {
        onReacted: onMessage, onReply: startReplyTo, onError: showError,
      }),
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
    for (const { message, note } of timeline()) {
      const date = new Date((message || note).created_at);
      if (dayKey(date) !== lastDay) {
        lastDay = dayKey(date);
        nodes.push(h("div", { class: "day", text: relativeDay(date) || dateOnly.format(date) }));
      }
      nodes.push(message ? bubble(message) : noteNode(note));
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
        h("span", { class: "muted", text: formatPhone(contact.phone) || contact.wa_chat_id || "" }),
        optOutBadge(contact)),
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
    if (ADMIN) sections.push(privacySection(contact));
    $("sidebar").replaceChildren(...sections);
  }

  function optOutBadge(contact) {
    if (!contact.opted_out_at) return null;
    const [how, what] = (contact.opt_out_source || "").split(/:(.*)/s);
    const source = how === "keyword" ? t("opt_out_by_keyword", { keyword: what })
      : how === "agent" ? T.opt_out_by_agent : "";
    return h("span", {
      class: "pill pill-opted-out",
      title: source || null,
      text: t("opted_out_since", { date: dateOnly.format(new Date(contact.opted_out_at)) }),
    });
  }

  // --- export and erasure (admins) ---------------------------------------------------------------

  function privacySection(contact) {
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
        problem.textContent = error instanceof ApiError ? error.message : T.network_error;
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
    const token = openToken;
    const conversation = await withContact(open.id);
    if (token !== openToken) return;
    placeInList(conversation);
    renderList();
    renderHeader();
    renderMessages(true);
    loadSidebar(contactId, token);
  }

  // --- menus under a button (assignee, snooze) ---------------------------------------------------

  const menus = [];

  /** A panel under its button: Escape, a second click or a click elsewhere closes it. */
  function menu(button, panel, onOpen) {
    const items = () => Array.from(panel.querySelectorAll(".menu-item")).filter((el) => !el.hidden);
    function outside(event) {
      if (!panel.contains(event.target) && !button.contains(event.target)) close(false);
    }
    function close(refocus) {
      if (panel.hidden) return;
      panel.hidden = true;
      button.setAttribute("aria-expanded", "false");
      document.removeEventListener("pointerdown", outside, true);
      if (refocus) button.focus();
    }
    button.addEventListener("click", async () => {
      if (!panel.hidden) {
        close(false);
        return;
      }
      for (const other of menus) other.close(false);
      panel.hidden = false;
      button.setAttribute("aria-expanded", "true");
      document.addEventListener("pointerdown", outside, true);
      await onOpen();
      if (!panel.hidden) items()[0]?.focus();
    });
    panel.addEventListener("keydown", (event) => {
      if (event.key === "Escape") {
        event.preventDefault();
        event.stopPropagation(); // the page's Escape would leave the conversation
        close(true);
      } else if ((event.key === "ArrowDown" || event.key === "ArrowUp")
        && event.target.classList.contains("menu-item")) {
        event.preventDefault();
        event.stopPropagation();
        const all = items();
        const step = event.key === "ArrowDown" ? 1 : -1;
        all[(all.indexOf(event.target) + step + all.length) % all.length].focus();
      }
    });
    const handle = { close };
    menus.push(handle);
    return handle;
  }

  function closeMenus() {
    for (const open of menus) open.close(false);
  }

  // --- labels ------------------------------------------------------------------------------------

  function labelHue(label) {
    let hash = 0;
    for (const ch of label) hash = (hash * 31 + ch.codePointAt(0)) | 0;
    return String(Math.abs(hash) % 360);
  }

  /** A label's chip; each label keeps its colour everywhere. */
  function chip(label, className, ...children) {
    const el = h("span", { class: className, data: { label } }, ...children);
    el.style.setProperty("--hue", labelHue(label));
    return el;
  }

  function renderLabels(conversation) {
    const labels = conversation.labels || [];
    $("conv-label-list").replaceChildren(...labels.map((label) => chip(
      label,
      "chip",
      h("button", {
        type: "button", class: "chip-text", title: t("label_filter_by", { label }), text: label,
        data: { filter: label },
      }),
      h("button", {
        type: "button", class: "chip-remove", title: t("label_remove", { label }),
        "aria-label": t("label_remove", { label }), text: "×", data: { remove: label },
      }),
    )));
    $("label-add").hidden = labels.length >= MAX_LABELS || !$("label-input").hidden;
    const known = new Set();
    for (const seen of state.conversations.values()) for (const label of seen.labels || []) known.add(label);
    $("label-options").replaceChildren(...[...known].sort()
      .filter((label) => !labels.includes(label))
      .map((label) => h("option", { value: label })));
  }

  async function saveLabels(labels) {
    const conversation = openConversationData();
    if (!conversation) return false;
    try {
      const path = `/conversations/${encodeURIComponent(conversation.id)}/labels`;
      applyUpdate(await api("PUT", path, { labels }));
      return true;
    } catch (error) {
      showError(error);
      return false;
    }
  }

  function openLabelInput() {
    const input = $("label-input");
    $("label-add").hidden = true;
    input.hidden = false;
    input.value = "";
    input.focus();
  }

  function closeLabelInput(refocus) {
    const input = $("label-input");
    if (input.hidden) return;
    input.hidden = true;
    input.value = "";
    $("label-add").hidden = (openConversationData()?.labels?.length ?? 0) >= MAX_LABELS;
    if (refocus) $("label-add").focus();
  }

  async function onLabelKey(event) {
    if (event.key === "Escape") {
      event.preventDefault();
      event.stopPropagation();
      closeLabelInput(true);
    } else if (event.key === "Enter" && !event.isComposing) {
      event.preventDefault();
      const label = event.target.value.trim();
      const labels = openConversationData()?.labels || [];
      if (label && await saveLabels([...labels, label])) closeLabelInput(true);
    }
  }

  function onLabelClick(event) {
    const button = event.target.closest("button");
    if (button?.dataset.filter) {
      setLabelFilter(button.dataset.filter);
    } else if (button?.dataset.remove) {
      const labels = openConversationData()?.labels || [];
      saveLabels(labels.filter((label) => label !== button.dataset.remove));
    }
  }

  function setLabelFilter(label) {
    state.label = label;
    $("label-filter").hidden = !label;
    const shown = $("label-filter-chip");
    shown.textContent = label || "";
    if (label) shown.style.setProperty("--hue", labelHue(label));
    loadList().catch(showError);
  }

  function setSnoozedFilter(on) {
    state.snoozed = on;
    $("filter-snoozed").setAttribute("aria-pressed", String(on));
    loadList().catch(showError);
  }

  /** Under a row's name: its snooze, rating and labels, when it has any. */
  function rowTags(conversation) {
    const labels = conversation.labels || [];
    const until = conversation.snoozed_until ? new Date(conversation.snoozed_until) : null;
    const rated = conversation.status === "resolved" && conversation.rating != null;
    if (!labels.length && !until && !rated) return null;
    return h(
      "span",
      { class: "conv-tags" },
      until ? h("span", {
        class: "snoozed-mark", title: t("snoozed_until", { when: snoozeFormat.format(until) }),
      }, icon("clock", 12), shortSnooze.format(until)) : null,
      rated ? ratingNode(conversation.rating, true) : null,
      labels.map((label) => chip(label, "chip chip-static", label)),
    );
  }

  // --- satisfaction ------------------------------------------------------------------------------

  function ratingNode(rating, compact, el = h("span")) {
    el.className = "rating";
    el.setAttribute("role", "img");
    el.setAttribute("aria-label", t("rating", { rating }));
    el.title = t("rating", { rating });
    el.replaceChildren(
      compact ? "★" : h("span", { class: "stars", text: "★".repeat(rating) + "☆".repeat(5 - rating) }),
      ` ${rating}/5`,
    );
    return el;
  }

  function renderRating(conversation) {
    const box = $("conv-rating");
    box.hidden = conversation.status !== "resolved" || conversation.rating == null;
    if (!box.hidden) ratingNode(conversation.rating, false, box);
  }

  // --- assignment --------------------------------------------------------------------------------

  let assignMenu = null;

  async function loadAgents() {
    const { items } = await api("GET", "/agents");
    state.agents = new Map(items.map((agent) => [agent.id, agent]));
  }

  /** Names and who is online, for the assignee button: when the stream opens, then now and then. */
  async function refreshAgents() {
    try {
      await loadAgents();
      if (openConversationData()) renderAssignee(openConversationData());
    } catch {
      /* the next refresh tries again */
    }
  }

  function agentName(id) {
    const agent = state.agents.get(id);
    if (!agent) return T.agent_other;
    return id === ME ? t("agent_you", { name: agent.name }) : agent.name;
  }

  function onlineDot(agent) {
    return h("span", { class: `dot${agent?.online ? " dot-ok" : ""}`, "aria-hidden": "true" });
  }

  function renderAssignee(conversation) {
    const button = $("btn-assign");
    const id = conversation.assignee_id;
    button.hidden = conversation.status === "resolved";
    button.replaceChildren(...(id
      ? [onlineDot(state.agents.get(id)), state.agents.get(id)?.name ?? T.agent_other]
      : [T.assign]));
    button.setAttribute("aria-label", id ? `${T.assignee}: ${agentName(id)}` : T.assign);
  }

  async function openAssignMenu() {
    const panel = $("assign-menu");
    panel.replaceChildren(h("p", { class: "popover-title", text: T.loading }));
    try {
      await loadAgents(); // who is online changes: ask each time
    } catch (error) {
      assignMenu.close(false);
      showError(error);
      return;
    }
    const current = openConversationData()?.assignee_id;
    const agents = [...state.agents.values()].sort((a, b) => Number(b.id === ME) - Number(a.id === ME)
      || a.name.localeCompare(b.name, boot.locale)); // you first
    panel.replaceChildren(
      h("p", { class: "popover-title", text: T.assign_to }),
      ...agents.map((agent) => h(
        "button",
        {
          type: "button", class: "menu-item", role: "menuitemradio", data: { agent: agent.id },
          "aria-checked": String(agent.id === current),
        },
        onlineDot(agent),
        h("span", { text: agentName(agent.id) }),
        h("span", { class: "menu-detail", text: agent.online ? T.agent_online : T.agent_offline }),
      )),
    );
    if (openConversationData()) renderAssignee(openConversationData());
  }

  async function assignTo(agentId) {
    assignMenu.close(true);
    if (openConversationData()?.assignee_id === agentId) return;
    await act("assign", t("assigned_toast", { name: agentName(agentId) }), { agent_id: agentId });
  }

  // --- snooze ------------------------------------------------------------------------------------

  let snoozeMenu = null;
  const MAX_SNOOZE_MS = 30 * 24 * 3600 * 1000;
  const snoozeFormat = new Intl.DateTimeFormat(boot.locale, {
    weekday: "short", day: "numeric", month: "short", hour: "2-digit", minute: "2-digit",
  });
  const shortSnooze = new Intl.DateTimeFormat(boot.locale, {
    day: "numeric", month: "short", hour: "2-digit", minute: "2-digit",
  });

  /** The presets' times, in the agent's own time zone. */
  function snoozePreset(name, now = new Date()) {
    const at = (days) => new Date(now.getFullYear(), now.getMonth(), now.getDate() + days, 9, 0);
    if (name === "hour") return new Date(now.getTime() + 3600 * 1000);
    if (name === "tomorrow") return at(1);
    return at((8 - now.getDay()) % 7 || 7); // next Monday
  }

  /** A date as a datetime-local input shows it (local time, to the minute). */
  function localInput(date) {
    const pad = (n) => String(n).padStart(2, "0");
    return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`
      + `T${pad(date.getHours())}:${pad(date.getMinutes())}`;
  }

  function openSnoozeMenu() {
    const now = new Date();
    for (const el of document.querySelectorAll("#snooze-menu [data-when]")) {
      el.textContent = snoozeFormat.format(snoozePreset(el.dataset.when, now));
    }
    const input = $("snooze-at");
    input.min = localInput(new Date(now.getTime() + 60 * 1000));
    input.max = localInput(new Date(now.getTime() + MAX_SNOOZE_MS - 60 * 1000));
    input.value = input.value || localInput(snoozePreset("tomorrow", now));
    $("btn-unsnooze").hidden = !openConversationData()?.snoozed_until;
  }

  async function snoozeUntil(date) {
    snoozeMenu.close(true);
    const done = date ? t("snoozed_toast", { when: snoozeFormat.format(date) }) : T.unsnoozed_toast;
    await act("snooze", done, { until: date ? date.toISOString() : null });
  }

  function onSnoozeCustom(event) {
    event.preventDefault();
    const date = new Date($("snooze-at").value); // a datetime-local value is local time
    const ahead = date.getTime() - Date.now();
    if (!(ahead > 0 && ahead <= MAX_SNOOZE_MS)) {
      toast(T.snooze_invalid, { error: true });
      return;
    }
    snoozeUntil(date);
  }

  function renderSnooze(conversation) {
    const mark = $("conv-snoozed");
    const until = conversation.snoozed_until ? new Date(conversation.snoozed_until) : null;
    mark.hidden = !until;
    if (until) mark.replaceChildren(icon("clock", 13), t("snoozed_until", { when: snoozeFormat.format(until) }));
    $("btn-snooze").hidden = conversation.status === "resolved";
  }

  /** A snoozed conversation came back: tell its assignee, or everyone when it has none. */
  async function backFromSnooze(data) {
    if (data.assignee_id && data.assignee_id !== ME) return;
    let conversation = state.conversations.get(data.conversation_id);
    if (!conversation?.contact) {
      try {
        conversation = await withContact(data.conversation_id);
      } catch {
        return;
      }
    }
    toast(t("snooze_ended_toast", { name: contactName(conversation.contact) }), {
      action: T.open, onAction: () => openConversation(data.conversation_id),
    });
  }

  // --- private notes -----------------------------------------------------------------------------

  const noteNodes = new Map(); // note id -> element (notes do not change)

  function noteNode(note) {
    let el = noteNodes.get(note.id);
    if (el) return el;
    const created = new Date(note.created_at);
    el = h(
      "div",
      { class: "note", data: { noteId: note.id } },
      h("div", { class: "note-head" },
        icon("lock", 13),
        h("span", { text: T.note_private }),
        h("span", {
          class: "note-author",
          text: note.agent_id === ME ? T.author_you : (note.agent_name || T.agent_other),
        })),
      h("div", { class: "note-body", text: note.text }),
      h("div", { class: "msg-meta" }, h("time", {
        datetime: note.created_at, title: longDate.format(created), text: timeFormat.format(created),
      })),
    );
    noteNodes.set(note.id, el);
    return el;
  }

  /** Messages and notes in time order; notes older than the loaded messages wait for them. */
  function timeline() {
    const messages = sortedMessages();
    const oldest = state.open.nextBefore && messages.length ? Date.parse(messages[0].created_at) : -Infinity;
    const notes = Array.from(state.open.notes.values())
      .map((note) => ({ note, at: Date.parse(note.created_at) }))
      .filter(({ at }) => at >= oldest)
      .sort((a, b) => a.at - b.at);
    const items = [];
    let next = 0;
    for (const message of messages) {
      const at = Date.parse(message.created_at);
      while (next < notes.length && notes[next].at < at) items.push({ note: notes[next++].note });
      items.push({ message });
    }
    while (next < notes.length) items.push({ note: notes[next++].note });
    return items;
  }

  function onNote(note) {
    if (state.open?.id !== note.conversation_id || state.open.notes.has(note.id)) return;
    state.open.notes.set(note.id, note);
    renderMessages(false);
  }

  async function addNote(conversation, text) {
    const path = `/conversations/${encodeURIComponent(conversation.id)}/notes`;
    const note = await api("POST", path, { text });
    $("composer-text").value = "";
    autosize();
    if (state.open?.id === note.conversation_id) {
      state.open.notes.set(note.id, note);
      renderMessages(true);
    }
  }

  // --- canned replies ----------------------------------------------------------------------------

  const canned = { items: [], active: -1, token: 0 };

  /** The "/word" just before the caret, typed at the start or after a space. */
  function slashAtCaret() {
    const box = $("composer-text");
    const before = box.value.slice(0, box.selectionStart);
    const found = /(?:^|\s)\/([^\s/]*)$/.exec(before);
    return found ? { start: before.length - found[1].length - 1, end: before.length, query: found[1] } : null;
  }

  const searchCanned = debounce(async (query) => {
    const token = ++canned.token;
    try {
      const params = new URLSearchParams({ q: query, limit: "8" });
      const { items } = await api("GET", `/canned-replies?${params}`);
      const still = slashAtCaret();
      if (token !== canned.token || still?.query !== query || document.activeElement !== $("composer-text")) return;
      canned.items = items;
      canned.active = items.length ? 0 : -1;
      renderCanned(query);
    } catch (error) {
      if (token === canned.token) showError(error);
    }
  }, 120);

  function onComposerSlash() {
    const slash = slashAtCaret();
    if (slash) searchCanned(slash.query);
    else closeCanned();
  }

  function renderCanned(query) {
    $("canned-menu").replaceChildren(
      h("div", { class: "canned-head", "aria-hidden": "true" },
        h("strong", { text: T.canned_replies }),
        h("span", { text: T.canned_hint })),
      ...(canned.items.length
        ? canned.items.map((item, index) => h(
          "div",
          { id: `canned-${index}`, class: "canned-item", role: "option", data: { index: String(index) } },
          h("span", { class: "canned-shortcut", text: `/${item.shortcut}` }),
          h("span", { class: item.title ? "canned-title" : "canned-text", text: item.title || item.text }),
          item.title ? h("span", { class: "canned-text", text: item.text }) : null,
        ))
        : [h("div", { class: "canned-empty", text: t("canned_none", { q: query }) })]),
    );
    $("canned-menu").hidden = false;
    highlightCanned();
    if (stuckToBottom) scrollToBottom(); // the menu took room from the conversation
  }

  function highlightCanned() {
    for (const item of document.querySelectorAll("#canned-menu .canned-item")) {
      const active = Number(item.dataset.index) === canned.active;
      item.setAttribute("aria-selected", String(active));
      if (active) item.scrollIntoView({ block: "nearest" });
    }
    const box = $("composer-text");
    if (canned.active >= 0) box.setAttribute("aria-activedescendant", `canned-${canned.active}`);
    else box.removeAttribute("aria-activedescendant");
  }

  function closeCanned() {
    canned.token++;
    canned.items = [];
    canned.active = -1;
    $("canned-menu").hidden = true;
    $("composer-text").removeAttribute("aria-activedescendant");
  }

  /** The composer's keys while the menu is open; true when the menu took the key. */
  function cannedKey(event) {
    if ($("canned-menu").hidden || event.isComposing) return false;
    const count = canned.items.length;
    if (event.key === "Escape") {
      closeCanned();
    } else if ((event.key === "ArrowDown" || event.key === "ArrowUp") && count) {
      canned.active = (canned.active + (event.key === "ArrowDown" ? 1 : -1) + count) % count;
      highlightCanned();
    } else if ((event.key === "Enter" || event.key === "Tab") && count && !event.shiftKey) {
      chooseCanned(canned.active);
    } else {
      return false;
    }
    event.preventDefault();
    event.stopPropagation();
    return true;
  }

  /** Put the reply, placeholders filled, where "/word" was; the agent edits, then sends. */
  async function chooseCanned(index) {
    const item = canned.items[index];
    const conversation = openConversationData();
    const slash = slashAtCaret();
    closeCanned();
    if (!item || !conversation || !slash) return;
    try {
      const path = `/canned-replies/${encodeURIComponent(item.id)}/render`;
      const { text } = await api("POST", path, { conversation_id: conversation.id });
      if (state.open?.id !== conversation.id) return;
      const box = $("composer-text");
      const typed = box.value.slice(slash.start, slash.end) === `/${slash.query}`;
      const [from, to] = typed ? [slash.start, slash.end] : [box.selectionStart, box.selectionEnd];
      box.value = box.value.slice(0, from) + text + box.value.slice(to);
      box.focus();
      box.setSelectionRange(from + text.length, from + text.length);
      autosize();
      agentTypes();
    } catch (error) {
      showError(error);
    }
  }

  // --- quoting: the composer's reply quotes a message until sent or cancelled --------------------

  let replyingTo = null;

  function startReplyTo(message) {
    replyingTo = message;
    if (composerMode === "note") setComposerMode("reply");
    $("reply-bar-text").textContent = message.body || t(`msg_${message.type}`);
    $("reply-bar").hidden = false;
    $("composer-text").focus();
  }

  function stopReplyTo() {
    replyingTo = null;
    $("reply-bar").hidden = true;
  }

  // --- composer modes: a reply to the contact, or a private note ---------------------------------

  let composerMode = "reply";

  function setComposerMode(mode) {
    if (mode === "note") {
      stopTyping(); // a note is never announced to the contact
      clearAttachment();
    }
    composerMode = mode;
    renderComposer();
  }

  function renderComposer() {
    const conversation = openConversationData();
    if (!conversation) return;
    const note = composerMode === "note";
    const status = conversation.status;
    const closed = !note && status === "resolved";
    const box = $("composer-text");
    $("composer").classList.toggle("note-mode", note);
    $("mode-reply").setAttribute("aria-checked", String(!note));
    $("mode-note").setAttribute("aria-checked", String(note));
    box.placeholder = note ? T.note_placeholder : T.composer_placeholder;
    box.setAttribute("aria-label", note ? T.note_label : T.composer_label);
    box.disabled = closed;
    $("send").textContent = note ? T.add_note : T.send;
    $("send").disabled = closed || sending;
    $("attach").disabled = closed || note;
    const hints = { bot: T.hint_takeover, pending: T.hint_claim, resolved: T.hint_resolved };
    const other = status === "human" && conversation.assignee_id && conversation.assignee_id !== ME;
    const hint = $("composer-hint");
    hint.textContent = note ? T.hint_note : hints[status] || (other ? T.hint_other : "");
    hint.hidden = !hint.textContent;
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
    if (!conversation || conversation.status === "resolved" || composerMode === "note") return;
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
    closeCanned();
    const path = `/conversations/${encodeURIComponent(conversation.id)}/messages`;
    try {
      let message;
      if (composerMode === "note") {
        await addNote(conversation, text);
        return;
      }
      if (attachment) {
        const form = new FormData();
        form.append("file", attachment, attachment.name);
        if (text) form.append("caption", text);
        message = await api("POST", path, form);
      } else {
        message = await api("POST", path, replyingTo ? { text, reply_to: replyingTo.id } : { text });
      }
      stopTyping();
      stopReplyTo();
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
      renderComposer();
    }
  }

  /** An action's answer: the conversation as it is now (without its contact). */
  function applyUpdate(data) {
    const updated = remember(data);
    noteStatus(updated);
    renderHeader();
    placeInList(updated);
    refreshCounts();
    return updated;
  }

  async function act(action, doneText, body) {
    const conversation = openConversationData();
    if (!conversation) return;
    try {
      const path = `/conversations/${encodeURIComponent(conversation.id)}/${action}`;
      applyUpdate(await api("POST", path, body));
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
    // Only a reaction's update carries the reactions: others keep those already known.
    if (known && known.created_at === message.created_at && known.status === message.status
      && known.body === message.body && known.media?.url === message.media?.url
      && known.error === message.error && known.external_id === message.external_id
      && (!message.reactions
        || JSON.stringify(known.reactions) === JSON.stringify(message.reactions))) return;
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
    } else if (data.kind === "snooze_ended" && data.conversation_id) {
      backFromSnooze(data);
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
    "note.created": onNote,
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
      refreshAgents(); // this agent is online from now on
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
        const [page, notes] = await Promise.all([
          api("GET", `/conversations/${encodeURIComponent(open.id)}/messages?limit=${PAGE}`),
          api("GET", `/conversations/${encodeURIComponent(open.id)}/notes`),
        ]);
        if (state.open === open) {
          for (const message of page.items) open.messages.set(message.id, message);
          for (const note of notes.items) open.notes.set(note.id, note);
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
      setComposerMode("reply");
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

    $("filter-snoozed").addEventListener("click", () => setSnoozedFilter(!state.snoozed));
    $("label-filter-clear").addEventListener("click", () => setLabelFilter(null));
    $("conv-label-list").addEventListener("click", onLabelClick);
    $("label-add").addEventListener("click", openLabelInput);
    $("label-input").addEventListener("keydown", onLabelKey);
    $("label-input").addEventListener("blur", () => closeLabelInput(false));
    assignMenu = menu($("btn-assign"), $("assign-menu"), openAssignMenu);
    $("assign-menu").addEventListener("click", (event) => {
      const item = event.target.closest("[data-agent]");
      if (item) assignTo(item.dataset.agent);
    });
    snoozeMenu = menu($("btn-snooze"), $("snooze-menu"), openSnoozeMenu);
    $("snooze-menu").addEventListener("click", (event) => {
      const item = event.target.closest("[data-snooze]");
      if (item) snoozeUntil(snoozePreset(item.dataset.snooze));
    });
    $("btn-unsnooze").addEventListener("click", () => snoozeUntil(null));
    $("snooze-custom").addEventListener("submit", onSnoozeCustom);

    const text = $("composer-text");
    $("composer").addEventListener("submit", (event) => {
      event.preventDefault();
      send();
    });
    text.addEventListener("keydown", (event) => {
      if (cannedKey(event)) return;
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        send();
      }
    });
    text.addEventListener("input", () => {
      autosize();
      agentTypes();
      onComposerSlash();
    });
    text.addEventListener("blur", () => {
      stopTyping();
      closeCanned();
    });
    $("canned-menu").addEventListener("mousedown", (event) => event.preventDefault()); // keep the caret
    $("canned-menu").addEventListener("click", (event) => {
      const item = event.target.closest(".canned-item");
      if (item) chooseCanned(Number(item.dataset.index));
    });
    for (const [id, mode] of [["mode-reply", "reply"], ["mode-note", "note"]]) {
      $(id).addEventListener("click", () => {
        setComposerMode(mode);
        text.focus();
      });
    }
    $("attach").addEventListener("click", () => $("file-input").click());
    $("file-input").addEventListener("change", () => chooseFile($("file-input").files[0]));
    $("attachment-remove").addEventListener("click", () => {
      clearAttachment();
      text.focus();
    });
    $("conv-back").addEventListener("click", () => {
      document.querySelector(".layout").classList.remove("conversation-open");
    });
    $("reply-cancel").addEventListener("click", () => {
      stopReplyTo();
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
    setInterval(refreshAgents, AGENTS_REFRESH_MS);
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
