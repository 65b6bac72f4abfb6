// The monitoring page: the WhatsApp session now (with what its status means) and its history,
// the webhooks refused in the last hour, alerts, the figures of a period in the association's
// time zone (messages per day drawn as an SVG bar chart, answered conversations, handoffs by
// reason, the median time to a first human response, delivery failures, the resolution time,
// satisfaction, conversations by label, each agent's figures), the dead letters to retry, and
// the audit log (filtered by agent, paged back with "load more", repeated reads grouped). Every
// table exports as CSV (reports.js). The session and the alerts follow the stream's
// session.status and alert events.
"use strict";

(() => {
  const { boot, T, $, t, h, s, api, errorText, fieldLabel, busy, toast, formatTime, formatPhone,
    statusLabel, statusSentence, listen } = window.WaCrm;
  const { duration, count, average, percent, csvButton } = window.WaCrmReports;
  const TONES = { WORKING: "ok", STARTING: "warn", SCAN_QR_CODE: "warn", FAILED: "error" };
  const CHART_HEIGHT = 240;
  const AUDIT_PAGE = 50;
  const dayLabel = new Intl.DateTimeFormat(boot.locale, { day: "numeric", month: "short" });
  const dayCell = new Intl.DateTimeFormat(boot.locale, { dateStyle: "short" });
  let days = [];
  let stats = null;
  let deadLetters = [];

  // --- formatting --------------------------------------------------------------------------------

  /** "2026-11-02" as that calendar day (not midnight UTC). */
  function calendarDay(text) {
    const [year, month, day] = text.split("-").map(Number);
    return new Date(year, month - 1, day);
  }

  function reasonLabel(reason) {
    return T[`reason_${reason}`] || reason.replace(/_/g, " ");
  }

  function inboxLink(conversationId) {
    return `${boot.base}/dashboard/${boot.slug}/inbox?c=${encodeURIComponent(conversationId)}`;
  }

  // --- figures and chart -------------------------------------------------------------------------

  function setFigure(id, value, detail) {
    $(`fig-${id}`).textContent = value;
    $(`fig-${id}-detail`).textContent = detail || "";
  }

  function renderFigures(stats) {
    const sum = (key) => stats.messages_by_day.reduce((total, day) => total + day[key], 0);
    const answered = stats.answered;
    const first = stats.first_response;
    setFigure("in", count(sum("inbound")));
    setFigure("out", count(sum("outbound")));
    setFigure("bot", count(answered.by_bot_only), T.conversations_unit);
    setFigure("humans", count(answered.by_humans), T.conversations_unit);
    setFigure("first-response", duration(first.median_seconds),
      t("first_response_detail", { answered: count(first.answered), waiting: count(first.waiting) }));
    setFigure("failures", count(stats.delivery_failures));
    $("figure-failures").classList.toggle("figure-alert", stats.delivery_failures > 0);
    const resolution = stats.resolution;
    setFigure("resolution", duration(resolution.median_seconds),
      t("fig_resolution_detail", { p90: duration(resolution.p90_seconds), n: count(resolution.resolved) }));
    setFigure("csat", average(stats.satisfaction.average),
      t("fig_csat_detail", { n: count(stats.satisfaction.ratings) }));
  }

  /** A round top for the y axis, in four steps of 1, 2 or 5 times a power of ten. */
  function axisTop(largest) {
    const raw = Math.max(1, largest) / 4;
    const power = 10 ** Math.floor(Math.log10(raw));
    const step = Math.max(1, [1, 2, 5, 10].map((m) => m * power).find((m) => m >= raw));
    return step * 4;
  }

  function drawChart() {
    const box = $("chart");
    const width = Math.max(320, box.clientWidth);
    const pad = { top: 10, right: 6, bottom: 26, left: 38 };
    const plotWidth = width - pad.left - pad.right;
    const plotHeight = CHART_HEIGHT - pad.top - pad.bottom;
    const top = axisTop(Math.max(0, ...days.map((d) => Math.max(d.inbound, d.outbound))));
    const y = (value) => pad.top + plotHeight - (value / top) * plotHeight;
    const slot = plotWidth / Math.max(1, days.length);
    const bar = Math.max(1, Math.min(16, slot * 0.36));
    const labelEvery = Math.ceil(days.length / Math.max(1, Math.floor(plotWidth / 64)));

    const grid = [0, 1, 2, 3, 4].map((i) => {
      const value = (top / 4) * i;
      return s("g", { class: "grid" },
        s("line", { x1: pad.left, x2: width - pad.right, y1: y(value), y2: y(value) }),
        s("text", { x: pad.left - 6, y: y(value) + 4, "text-anchor": "end", text: count(value) }));
    });
    const bars = days.map((day, i) => {
      const x = pad.left + slot * i + slot / 2;
      const label = dayLabel.format(calendarDay(day.day));
      const rect = (value, cls, left) => s("rect", {
        class: cls, x: left, width: bar, rx: Math.min(2, bar / 3),
        y: value ? Math.min(y(value), y(0) - 1) : y(0), height: value ? Math.max(1, y(0) - y(value)) : 0,
      });
      return s("g", { class: "day" },
        s("title", { text: t("chart_day", { day: label, in: count(day.inbound), out: count(day.outbound) }) }),
        s("rect", { class: "hit", x: x - slot / 2, y: pad.top, width: slot, height: plotHeight }),
        rect(day.inbound, "bar-in", x - bar - 0.5),
        rect(day.outbound, "bar-out", x + 0.5),
        i % labelEvery === 0
          ? s("text", { class: "axis", x, y: CHART_HEIGHT - 8, "text-anchor": "middle", text: label })
          : null);
    });
    const total = (key) => count(days.reduce((sum, day) => sum + day[key], 0));
    box.replaceChildren(s("svg", {
      width, height: CHART_HEIGHT, viewBox: `0 0 ${width} ${CHART_HEIGHT}`, role: "img",
      "aria-label": t("chart_label", { in: total("inbound"), out: total("outbound"), days: days.length }),
    }, grid, bars));
  }

  /** Entries of ``{name: count}``, largest first. */
  const largestFirst = (counts) => Object.entries(counts).sort((a, b) => b[1] - a[1]);

  function renderHandoffs(byReason) {
    const entries = largestFirst(byReason);
    const most = Math.max(1, ...entries.map(([, n]) => n));
    const total = entries.reduce((sum, [, n]) => sum + n, 0);
    $("handoffs").replaceChildren(...entries.map(([reason, n]) => {
      const fill = h("span", { class: "bar-fill" });
      fill.style.width = `${(n / most) * 100}%`;
      return h("tr", {},
        h("td", { text: reasonLabel(reason) }),
        h("td", { class: "bar-col" }, h("span", { class: "bar-track" }, fill)),
        h("td", { class: "num nowrap", text: `${count(n)} (${percent(n, total)})` }));
    }));
    $("handoffs-table").hidden = entries.length === 0;
    $("handoffs-empty").hidden = entries.length > 0;
  }

  function renderLabels(byLabel) {
    const entries = largestFirst(byLabel);
    const total = entries.reduce((sum, [, n]) => sum + n, 0);
    $("labels").replaceChildren(...entries.map(([label, n]) => h("tr", {},
      h("td", { class: "clip", text: label }),
      h("td", { class: "num", text: count(n) }),
      h("td", { class: "num", text: percent(n, total) }))));
    $("labels-table").hidden = entries.length === 0;
    $("labels-empty").hidden = entries.length > 0;
  }

  function csatText(agent) {
    if (!agent.csat_count) return "—";
    return t("csat_value", { average: average(agent.csat_average), n: count(agent.csat_count) });
  }

  function renderAgents(byAgent) {
    $("agents").replaceChildren(...byAgent.map((agent) => h("tr", { data: { agent: agent.agent_id } },
      h("th", { scope: "row", class: "agent-name", text: agent.name }),
      h("td", { class: "num", text: count(agent.handled) }),
      h("td", { class: "num nowrap", text: duration(agent.first_response_median_seconds) }),
      h("td", { class: "num nowrap", text: duration(agent.resolution_median_seconds) }),
      h("td", { class: "num nowrap", text: csatText(agent) }),
      h("td", { class: "num", text: count(agent.messages_sent) }))));
    $("agents-table").hidden = byAgent.length === 0;
    $("agents-empty").hidden = byAgent.length > 0;
  }

  async function loadStats(query) {
    $("period-error").hidden = true;
    try {
      stats = await api("GET", `/stats${query}`);
      $("period-from").value = stats.from;
      $("period-to").value = stats.to;
      days = stats.messages_by_day;
      renderFigures(stats);
      drawChart();
      $("period-zone").textContent = t("period_zone", { tz: stats.timezone });
      renderHandoffs(stats.handoffs_by_reason);
      renderLabels(stats.labels);
      renderAgents(stats.by_agent);
    } catch (error) {
      const box = $("period-error");
      box.textContent = error.status === 422 ? t("period_invalid", { message: errorText(error) })
        : errorText(error);
      box.hidden = false;
    }
  }

  // --- session, alerts, dead letters -------------------------------------------------------------

  async function loadSession() {
    const now = await api("GET", "/whatsapp/status");
    const pill = $("session-pill");
    pill.textContent = statusLabel(now.status);
    $("session-meaning").textContent = statusSentence(now.status);
    pill.className = `pill pill-tone-${TONES[now.status] || "neutral"}`;
    $("session-phone").textContent = formatPhone(now.phone) || "—";
    $("session-circuit").textContent = T[`circuit_${now.circuit}`] || now.circuit || "—";
    $("session-problem").hidden = !now.error;
    $("session-problem").textContent = now.error
      ? T[`wa_says_unreachable_${now.error.code}`] || T.wa_says_unreachable : "";
    $("session-history").replaceChildren(...now.history.map((entry) => h("li", {},
      h("span", { class: `dot dot-${TONES[entry.status] || "neutral"}`, "aria-hidden": "true" }),
      h("span", { class: "timeline-status", text: statusLabel(entry.status) }),
      h("time", { class: "muted", datetime: entry.at, text: formatTime(entry.at) }),
      h("span", { class: "timeline-meaning muted", text: statusSentence(entry.status) }))));
    $("session-history-empty").hidden = now.history.length > 0;
  }

  /** "Webhooks refused in the last hour", shown only when there were some. */
  async function loadRefusals() {
    const refused = await api("GET", "/webhooks/refused");
    const reasons = (counts) => Object.entries(counts.by_reason).sort((a, b) => b[1] - a[1])
      .map(([reason, n]) => h("li", {},
        h("span", { text: T[`refused_${reason}`] || t("refused_other", { reason }) }),
        h("span", { class: "num", text: count(n) })));
    const box = $("webhooks-refused");
    box.replaceChildren(...[["association", "refused_ours"], ["service", "refused_service"]]
      .filter(([scope]) => refused[scope].total > 0)
      .map(([scope, key]) => h("div", { class: "refusals" },
        h("p", { text: t(key, { n: count(refused[scope].total) }) }),
        h("ul", { class: "refusal-reasons" }, ...reasons(refused[scope])))));
    box.hidden = box.childElementCount === 0;
  }

  async function loadAlerts() {
    const alerts = await api("GET", "/alerts?limit=20");
    $("alerts").replaceChildren(...alerts.items.map((alert) => h("li", { class: `alert alert-${alert.kind}` },
      h("span", { class: "alert-kind", text: T[`alert_${alert.kind}`] || alert.kind }),
      h("span", { class: "alert-message", text: T[`alert_says_${alert.kind}`] || alert.message }),
      h("time", { class: "muted", datetime: alert.at, text: formatTime(alert.at) }))));
    $("alerts-empty").hidden = alerts.items.length > 0;
  }

  // A dead letter keeps a code (reach_out_limit, rejected, ...); older ones "code: WAHA's text".
  function deadLetterReason(error) {
    const code = (error || "").split(":")[0];
    return T[`dl_error_${code}`] || code;
  }

  function deadLetterRow(message) {
    const when = formatTime(message.created_at);
    const retry = h("button", {
      type: "button", class: "small", "aria-label": t("dl_retry_label", { when }), text: T.dl_retry,
    });
    retry.addEventListener("click", () => retryDeadLetter(message.id, retry));
    return h("tr", { data: { id: message.id } },
      h("td", { class: "nowrap" }, h("time", { datetime: message.created_at, text: when })),
      h("td", { class: "clip" }, h("a", { href: inboxLink(message.conversation_id), text: message.body || T[`msg_${message.type}`] || T.msg_other })),
      h("td", { class: "clip muted", text: deadLetterReason(message.error) }),
      h("td", { class: "num" }, retry));
  }

  async function loadDeadLetters() {
    const dead = await api("GET", "/dead-letters");
    deadLetters = dead.items;
    $("dead-letters").replaceChildren(...dead.items.map(deadLetterRow));
    $("dead-letters-table").hidden = dead.items.length === 0;
    $("dead-letters-empty").hidden = dead.items.length > 0;
  }

  async function retryDeadLetter(id, button) {
    await busy(button, T.dl_retrying, async () => {
      try {
        await api("POST", `/dead-letters/${encodeURIComponent(id)}/retry`);
        toast(T.dl_retried);
      } catch (error) {
        toast(errorText(error), { error: true });
      }
    });
    await quietly(loadDeadLetters);
  }

  // --- audit log ---------------------------------------------------------------------------------

  const audit = { actor: "", cursor: null, ticket: 0, items: [], open: new Set() };
  const GROUP_WINDOW_MS = 10 * 60 * 1000;

  function shortId(id) {
    return id.length > 8 ? `…${id.slice(-8)}` : id;
  }

  function actorName(item) {
    if (item.actor_name) return item.actor_name;
    if (item.actor === "system") return T.audit_system;
    if (item.actor.startsWith("contact:")) return T.audit_by_contact;
    return item.actor;
  }

  /** The contact's name where the admin may see it, else "Conversa …1a2b3c4d". */
  function targetText(item) {
    if (item.target_name) return item.target_name;
    const key = `audit_on_${item.target_type}`;
    return T[key] ? t(key, { id: shortId(item.target_id) })
      : `${item.target_type} ${shortId(item.target_id)}`;
  }

  function auditTarget(item) {
    const text = targetText(item);
    if (item.target_type === "conversation") {
      return h("a", { href: inboxLink(item.target_id), title: item.target_id, text });
    }
    return h("span", { title: item.target_type === "association" ? null : item.target_id, text });
  }

  /** {"fields": ["greeting_lead"], "message_ids": [...]} -> "Campos: Saudação para novos
   * contatos · Mensagens: 2", each key by its ``audit_detail_`` string. */
  function auditDetails(details) {
    return Object.entries(details || {}).map(([key, value]) => {
      const label = T[`audit_detail_${key}`] || fieldLabel(key);
      const shown = key.endsWith("_ids") && Array.isArray(value) ? count(value.length)
        : key === "fields" && Array.isArray(value) ? value.map(fieldLabel).join(", ")
          : Array.isArray(value) ? value.join(", ")
            : typeof value === "number" ? count(value) : String(value);
      return t("audit_detail", { label, value: shown });
    }).join(" · ");
  }

  function actionLabel(action) {
    return T[`audit_${action.replace(/\./g, "_")}`] || action;
  }

  /** Consecutive reads (newest first) of one actor, action and kind of target within ten
   * minutes of the group's newest, as groups; a write is always alone. */
  function auditGroups(items) {
    const groups = [];
    for (const item of items) {
      const last = groups[groups.length - 1];
      const first = last && last[0];
      if (first && item.read && first.read && item.actor === first.actor
        && item.action === first.action && item.target_type === first.target_type
        && new Date(first.at) - new Date(item.at) <= GROUP_WINDOW_MS) {
        last.push(item);
      } else {
        groups.push([item]);
      }
    }
    return groups;
  }

  function auditRow(item, nested) {
    return h("tr", { class: nested ? "audit-member" : null },
      h("td", { class: "nowrap" }, h("time", { datetime: item.at, text: formatTime(item.at) })),
      h("td", { class: "clip", text: actorName(item) }),
      h("td", { class: "clip", text: actionLabel(item.action) }),
      h("td", { class: "clip" }, auditTarget(item)),
      h("td", { class: "clip muted", text: auditDetails(item.details) }));
  }

  /** What a group's target cell says: its one target, or how many. */
  function groupTarget(group) {
    const targets = new Set(group.map((item) => item.target_id));
    if (targets.size === 1) return auditTarget(group[0]);
    const key = `audit_targets_${group[0].target_type}`;
    return h("span", { text: t(T[key] ? key : "audit_targets", { n: count(targets.size) }) });
  }

  /** One line for a group, "Listou conversas ×12" with its time range, and its entries (hidden
   * until the line is opened). The group's key is its newest entry's time and action, so that
   * an open group stays open when a page more arrives. */
  function groupRows(group) {
    const [newest] = group;
    const oldest = group[group.length - 1];
    const key = `${newest.at}|${newest.actor}|${newest.action}`;
    const open = audit.open.has(key);
    const members = group.map((item) => {
      const row = auditRow(item, true);
      row.hidden = !open;
      return row;
    });
    const toggle = h("button", {
      type: "button", class: "link audit-toggle", "aria-expanded": String(open),
      text: t("audit_group", { action: actionLabel(newest.action), n: count(group.length) }),
    });
    toggle.addEventListener("click", () => {
      const opening = toggle.getAttribute("aria-expanded") !== "true";
      toggle.setAttribute("aria-expanded", String(opening));
      for (const row of members) row.hidden = !opening;
      if (opening) audit.open.add(key);
      else audit.open.delete(key);
    });
    const range = t("audit_group_range", { from: formatTime(oldest.at), to: formatTime(newest.at) });
    const line = h("tr", { class: "audit-group" },
      h("td", { class: "nowrap" }, h("time", { datetime: newest.at, text: range })),
      h("td", { class: "clip", text: actorName(newest) }),
      h("td", { class: "clip" }, toggle),
      h("td", { class: "clip" }, groupTarget(group)),
      h("td", { class: "clip muted" }));
    return [line, ...members];
  }

  function renderAudit() {
    const rows = auditGroups(audit.items).flatMap((group) =>
      (group.length > 1 ? groupRows(group) : [auditRow(group[0], false)]));
    $("audit").replaceChildren(...rows);
    const empty = audit.items.length === 0;
    $("audit-table").hidden = empty;
    $("audit-empty").hidden = !empty;
  }

  /** The first page for the chosen agent, or (``more``) the next one; the groups are made
   * again over every page loaded, so a group that a page boundary cut is whole again. */
  async function loadAudit(more) {
    const ticket = more ? audit.ticket : ++audit.ticket;
    const query = new URLSearchParams({ limit: String(AUDIT_PAGE) });
    if (audit.actor) query.set("actor", audit.actor);
    if (more && audit.cursor) query.set("cursor", audit.cursor);
    const page = await api("GET", `/audit?${query}`);
    if (ticket !== audit.ticket) return; // another agent was chosen meanwhile
    audit.items = more ? [...audit.items, ...page.items] : page.items;
    audit.cursor = page.next_cursor;
    renderAudit();
    $("audit-more").hidden = !page.next_cursor;
  }

  // --- CSV of each table ---------------------------------------------------------------------------

  /** A period's table's file name: "atendentes-2026-03-01-2026-03-30". */
  const periodName = (name) => (stats ? `${name}-${stats.from}-${stats.to}` : name);
  const inSeconds = (key) => t("csv_seconds", { column: T[key] });

  const TABLES = {
    days: () => ({
      name: periodName(T.csv_name_days),
      header: [T.days_col_day, T.chart_in, T.chart_out],
      rows: days.map((day) => [dayCell.format(calendarDay(day.day)), day.inbound, day.outbound]),
    }),
    handoffs: () => ({
      name: periodName(T.csv_name_handoffs),
      header: [T.handoff_reason, T.handoff_count],
      rows: largestFirst(stats ? stats.handoffs_by_reason : {})
        .map(([reason, n]) => [reasonLabel(reason), n]),
    }),
    labels: () => ({
      name: periodName(T.csv_name_labels),
      header: [T.label_col_name, T.label_col_count],
      rows: largestFirst(stats ? stats.labels : {}),
    }),
    agents: () => ({
      name: periodName(T.csv_name_agents),
      header: [T.agent_col_name, T.agent_col_handled, inSeconds("agent_col_first_response"),
        inSeconds("agent_col_resolution"), T.agent_col_csat, T.csv_csat_count, T.agent_col_messages],
      rows: (stats ? stats.by_agent : []).map((agent) => [agent.name, agent.handled,
        agent.first_response_median_seconds, agent.resolution_median_seconds, agent.csat_average,
        agent.csat_count, agent.messages_sent]),
    }),
    "dead-letters": () => ({
      name: T.csv_name_dead_letters,
      header: [T.dl_when, T.dl_message, T.dl_error],
      rows: deadLetters.map((message) => [formatTime(message.created_at),
        message.body || T[`msg_${message.type}`] || T.msg_other, deadLetterReason(message.error)]),
    }),
    audit: () => ({
      name: T.csv_name_audit,
      header: [T.audit_when, T.audit_who, T.audit_action, T.audit_target, T.audit_details],
      rows: audit.items.map((item) => [formatTime(item.at), actorName(item),
        actionLabel(item.action), targetText(item), auditDetails(item.details)]),
    }),
  };

  function addCsvButtons() {
    for (const [slot, table] of Object.entries(TABLES)) {
      const title = $(slot === "days" ? "chart-title" : `${slot}-title`).textContent;
      $(`${slot}-csv`).append(csvButton(title, table));
    }
  }

  async function loadAgents() {
    const agents = await api("GET", "/agents");
    $("audit-actor").append(
      ...agents.items.map((agent) => h("option", { value: agent.id, text: agent.name })),
      h("option", { value: "system", text: T.audit_system }));
  }

  /** Run a loader; a failure shows as a toast (the rest of the page goes on). */
  async function quietly(load) {
    try {
      await load();
    } catch (error) {
      toast(errorText(error), { error: true });
    }
  }

  // --- wiring ------------------------------------------------------------------------------------

  function onAlert(data) {
    quietly(loadAlerts);
    if (data.kind === "dead_letter") quietly(loadDeadLetters);
  }

  function start() {
    $("period-form").addEventListener("submit", (event) => {
      event.preventDefault();
      const query = new URLSearchParams({ from: $("period-from").value, to: $("period-to").value });
      busy($("period-apply"), T.loading, () => loadStats(`?${query}`));
    });
    let resizeTimer = null;
    window.addEventListener("resize", () => {
      clearTimeout(resizeTimer);
      resizeTimer = setTimeout(drawChart, 150);
    });
    $("audit-actor").addEventListener("change", () => {
      audit.actor = $("audit-actor").value;
      quietly(() => loadAudit(false));
    });
    $("audit-more").addEventListener("click", () =>
      busy($("audit-more"), T.loading, () => quietly(() => loadAudit(true))));
    listen({ "session.status": () => quietly(loadSession), alert: onAlert });
    addCsvButtons();
    loadStats("");
    quietly(loadSession);
    quietly(loadAlerts);
    quietly(loadRefusals);
    setInterval(() => quietly(loadRefusals), 60000);
    quietly(loadDeadLetters);
    quietly(loadAgents);
    quietly(() => loadAudit(false));
  }

  start();
})();
