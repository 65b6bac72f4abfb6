// The WhatsApp setup wizard: 1. the WAHA connection (tested with the unsaved values, then saved),
// 2. starting the session, 3. the QR code to link the phone (polled while WAHA shows one, and
// followed on the stream's session.status events), 4. the connected number, with a test message
// and a logout.
"use strict";

(() => {
  const { T, $, t, api, errorText, busy, showResult, toast, formatPhone, statusLabel, listen } =
    window.WaCrm;
  const STEPS = ["connection", "start", "scan", "connected"];
  const PANELS = {
    connection: "panel-start", start: "panel-start", scan: "panel-scan", connected: "panel-connected",
  };
  const WAITING = new Set(["STARTING", "SCAN_QR_CODE"]);
  const QR_POLL_MS = 2000;
  const TONES = { WORKING: "ok", STARTING: "warn", SCAN_QR_CODE: "warn", FAILED: "error" };
  const SAVED_SECRET = "••••••••";

  const state = { settings: null, status: null, phone: null, pushName: null, qrImage: null };
  let pollTimer = null;
  let lastPoll = 0;
  let shownStep = null;

  // --- where the wizard is -----------------------------------------------------------------------

  function configured() {
    return Boolean(state.settings?.base_url && state.settings?.session);
  }

  function currentStep() {
    if (!configured()) return "connection";
    if (state.status === "WORKING") return "connected";
    return WAITING.has(state.status) ? "scan" : "start";
  }

  function render() {
    const step = currentStep();
    const at = STEPS.indexOf(step);
    for (const li of document.querySelectorAll("#stepper li")) {
      const index = STEPS.indexOf(li.dataset.step);
      li.dataset.state = index < at ? "done" : index === at ? "current" : "todo";
      if (index === at) li.setAttribute("aria-current", "step");
      else li.removeAttribute("aria-current");
    }
    renderSessionPill();
    renderStart(step);
    $("panel-scan").hidden = PANELS[step] !== "panel-scan";
    $("panel-connected").hidden = PANELS[step] !== "panel-connected";
    $("connected-phone").textContent = formatPhone(state.phone) || "—";
    $("connected-name").textContent = state.pushName || "—";
    followQr(step === "scan");
    keepFocus(step);
  }

  /** A step's button that had the focus may be gone: the new step's heading takes it. */
  function keepFocus(step) {
    const moved = shownStep !== null && step !== shownStep;
    shownStep = step;
    if (moved && document.activeElement === document.body) {
      $(PANELS[step]).querySelector("h3").focus();
    }
  }

  function renderSessionPill() {
    const pill = $("session-pill");
    pill.textContent = configured() ? statusLabel(state.status) : T.wa_not_configured;
    pill.className = `pill pill-tone-${TONES[state.status] || "neutral"}`;
  }

  function renderStart(step) {
    $("panel-start").hidden = PANELS[step] !== "panel-start";
    const problem = { FAILED: T.session_failed, STOPPED: T.session_stopped }[state.status];
    $("start-text").textContent = step === "connection" ? T.start_needs_config : problem || T.start_lead;
    $("btn-start").disabled = step === "connection";
    $("btn-start").textContent = problem ? T.retry : T.start_session;
  }

  // --- step 1: the connection --------------------------------------------------------------------

  function fillForm() {
    const settings = state.settings;
    $("waha-url").value = settings.base_url || "";
    $("waha-session").value = settings.session || "";
    $("waha-key").value = "";
    $("webhook-secret").value = "";
    $("waha-key").placeholder = settings.api_key_set ? SAVED_SECRET : "";
    $("webhook-secret").placeholder = settings.webhook_secret_set ? SAVED_SECRET : "";
    $("waha-key-state").textContent = settings.api_key_set ? T.key_saved : T.key_missing;
    $("webhook-secret-state").textContent = settings.webhook_secret_set ? T.secret_saved : T.secret_hint;
    $("webhook-url").textContent = settings.webhook_url || "";
  }

  /** What the form holds; secrets only when typed (absent keeps the stored one). */
  function formValues(...secrets) {
    const values = { base_url: $("waha-url").value.trim(), session: $("waha-session").value.trim() };
    for (const [field, id] of secrets) {
      if ($(id).value) values[field] = $(id).value;
    }
    return values;
  }

  function hideFormResults() {
    $("test-result").hidden = true;
    $("save-result").hidden = true;
  }

  function testText(result) {
    const known = T[`test_${result.code}`];
    const values = {
      status: statusLabel(result.status), version: result.version, needed: result.needed_version,
    };
    return known ? t(`test_${result.code}`, values) : T.test_failed;
  }

  /** WAHA Core runs only the session named default: propose it, and say why. */
  function proposeDefaultSession() {
    $("waha-session").value = "default";
    return T.core_needs_default_session;
  }

  async function testConnection() {
    $("save-result").hidden = true;
    await busy($("btn-test"), T.testing, async () => {
      try {
        const result = await api("POST", "/whatsapp/test", formValues(["api_key", "waha-key"]));
        showResult("test-result", result.ok ? "ok" : "error", testText(result));
      } catch (error) {
        showResult("test-result", "error", formErrorText(error));
      }
    });
  }

  function formErrorText(error) {
    if (error.code === "core_needs_default_session") return proposeDefaultSession();
    if (error.status === 409) return T.save_conflict;
    if (error.status === 422) return t("save_invalid", { message: errorText(error) });
    return errorText(error);
  }

  async function save(event) {
    event.preventDefault();
    const values = formValues(["api_key", "waha-key"], ["webhook_secret", "webhook-secret"]);
    const missing = !values.base_url ? "waha-url" : !values.session ? "waha-session" : null;
    if (missing) {
      showResult("save-result", "error", T.save_missing);
      $(missing).focus();
      return;
    }
    await busy($("btn-save"), T.saving, async () => {
      try {
        state.settings = await api("PUT", "/whatsapp", values);
        fillForm();
        $("test-result").hidden = true; // it was about the values before
        showResult("save-result", "ok", T.saved);
        await loadStatus();
      } catch (error) {
        showResult("save-result", "error", formErrorText(error));
      }
    });
    render();
  }

  // --- steps 2 and 3: the session and its QR code ------------------------------------------------

  function sessionErrorText(error) {
    if (error.code === "not_configured") return T.start_needs_config;
    if (error.code === "core_needs_default_session") return proposeDefaultSession();
    return errorText(error);
  }

  function showSessionError(error) {
    const box = $("session-error");
    box.hidden = !error;
    box.textContent = error ? sessionErrorText(error) : "";
  }

  async function loadStatus() {
    try {
      const now = await api("GET", "/whatsapp/status");
      state.status = now.status;
      state.phone = now.phone;
      state.pushName = now.push_name;
    } catch (error) {
      showSessionError(error);
    }
  }

  async function setStatus(status, phone) {
    const linked = status === "WORKING" && state.status !== "WORKING";
    state.status = status;
    if (phone !== undefined) state.phone = phone;
    if (status !== "SCAN_QR_CODE") showQr(null);
    if (linked) await loadStatus(); // for the name the phone goes by
  }

  async function startSession() {
    showSessionError(null);
    hideFormResults();
    await busy($("btn-start"), T.starting, async () => {
      try {
        const started = await api("POST", "/whatsapp/session/start");
        await setStatus(started.status, started.phone);
      } catch (error) {
        showSessionError(error);
      }
    });
    render();
  }

  function showQr(image) {
    if (image === state.qrImage) return;
    state.qrImage = image;
    const img = $("qr-image");
    if (image && image.startsWith("data:image/")) img.src = image;
    img.hidden = !image;
    $("qr-waiting").hidden = Boolean(image);
  }

  /** Poll the QR code about every 2 s while WAHA waits for a scan. */
  function followQr(active) {
    if (!active) {
      clearTimeout(pollTimer);
      pollTimer = null;
    } else if (pollTimer === null) {
      pollTimer = setTimeout(pollQr, Math.max(0, lastPoll + QR_POLL_MS - Date.now()));
    }
  }

  async function pollQr() {
    lastPoll = Date.now();
    try {
      const qr = await api("GET", "/whatsapp/qr");
      await setStatus(qr.status, qr.phone);
      showQr(qr.image);
      showSessionError(null);
    } catch (error) {
      showSessionError(error);
    }
    pollTimer = null;
    render();
  }

  // --- step 4: connected -------------------------------------------------------------------------

  function testMessageError(error) {
    if (error.status === 422) return T.test_phone_invalid;
    if (error.code === "session_not_working") return T.test_not_working;
    return sessionErrorText(error);
  }

  async function sendTestMessage(event) {
    event.preventDefault();
    const phone = $("test-phone").value.trim();
    if (!phone) {
      showResult("test-message-result", "error", T.test_phone_missing);
      $("test-phone").focus();
      return;
    }
    const text = $("test-text").value.trim();
    await busy($("btn-send-test"), T.sending, async () => {
      try {
        const sent = await api("POST", "/whatsapp/test-message", text ? { phone, text } : { phone });
        showResult("test-message-result", "ok", t("test_sent", { to: sent.to }));
      } catch (error) {
        showResult("test-message-result", "error", testMessageError(error));
      }
    });
  }

  async function logoutSession() {
    if (!window.confirm(T.session_logout_confirm)) return;
    showSessionError(null);
    await busy($("btn-session-logout"), T.session_logging_out, async () => {
      try {
        const after = await api("POST", "/whatsapp/logout");
        await setStatus(after.status, null);
        state.pushName = null;
        toast(T.session_logged_out);
      } catch (error) {
        showSessionError(error);
      }
    });
    render();
  }

  // --- wiring ------------------------------------------------------------------------------------

  async function onSessionStatus(data) {
    if (!configured() || (data.session && data.session !== state.settings.session)) return;
    if (data.status === state.status) return;
    await setStatus(data.status);
    render();
  }

  async function start() {
    $("connection-form").addEventListener("submit", save);
    $("connection-form").addEventListener("input", hideFormResults);
    $("btn-test").addEventListener("click", testConnection);
    $("btn-start").addEventListener("click", startSession);
    $("test-message-form").addEventListener("submit", sendTestMessage);
    $("btn-session-logout").addEventListener("click", logoutSession);
    listen({ "session.status": onSessionStatus });
    try {
      state.settings = await api("GET", "/whatsapp");
      fillForm();
      if (configured()) await loadStatus();
    } catch (error) {
      showSessionError(error);
    }
    render();
  }

  start();
})();
