// The sign-in page: posts the form as JSON to /login, shows errors in place, then opens the inbox.
// Every URL starts with boot.base, where the app is mounted ("" at the root).
"use strict";

(() => {
  const boot = JSON.parse(document.getElementById("boot").textContent);
  const T = boot.strings;
  const form = document.getElementById("login-form");
  const errorBox = document.getElementById("login-error");
  const submit = document.getElementById("login-submit");

  function showError(text) {
    errorBox.textContent = text;
    errorBox.hidden = false;
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const fields = Object.fromEntries(new FormData(form).entries());
    const association = String(fields.association || "").trim().toLowerCase();
    const email = String(fields.email || "").trim();
    const password = String(fields.password || "");
    if (!association || !email || !password) {
      showError(T.login_missing);
      form.querySelector(!association ? "#association" : !email ? "#email" : "#password").focus();
      return;
    }
    submit.disabled = true;
    submit.textContent = T.signing_in;
    errorBox.hidden = true;
    try {
      const response = await fetch(`${boot.base}/login`, {
        method: "POST",
        headers: { "Content-Type": "application/json", Accept: "application/json" },
        body: JSON.stringify({ association, email, password }),
        credentials: "same-origin",
      });
      if (response.ok) {
        const body = await response.json();
        const inbox = `${boot.base}/dashboard/${encodeURIComponent(body.association)}/inbox`;
        let target = boot.next && boot.next.startsWith(`${boot.base}/dashboard/${body.association}/`)
          ? boot.next : inbox;
        if (boot.lang && !target.includes("lang=")) {
          target += (target.includes("?") ? "&" : "?") + "lang=" + encodeURIComponent(boot.lang);
        }
        window.location.assign(target);
        return;
      }
      const code = (await response.json().catch(() => null))?.error?.code;
      showError(response.status === 429 ? T.login_throttled
        : response.status === 422 ? T.login_missing
          : code === "agent_disabled" ? T.login_disabled : T.login_invalid);
      document.getElementById("password").select();
    } catch {
      showError(T.network_error);
    }
    submit.disabled = false;
    submit.textContent = T.sign_in;
  });

  const first = form.querySelector("input:not([value]), input[value='']");
  (first || document.getElementById("email")).focus();
})();
