// The team page (admins): add an agent or an admin (a typed first password, or one generated and
// shown once to copy), and for everyone of the association whether they are online and may sign
// in, their role (changed with a button), a password reset (typed or generated), disable and
// enable (not oneself), and their API tokens with a button to revoke each. Tokens are listed by
// name and id only: the token itself is shown once, when it is issued.
//
// Who is online is read again every ONLINE_REFRESH_MS while the page is visible: presence has no
// live event, and opening the event stream here would count the admin as present in the inbox.
"use strict";

(() => {
  const { boot, T, $, t, h, api, ApiError, errorText, busy, toast, formatTime } = window.WaCrm;
  const ONLINE_REFRESH_MS = 20000;

  /** A taken e-mail says so; other refusals read as everywhere (``errorText``). */
  function problem(error) {
    if (error instanceof ApiError && error.code === "already_exists") return T.team_email_taken;
    return errorText(error);
  }

  function showSecret(name, password) {
    $("team-secret-title").textContent = t("team_generated_title", { name });
    $("team-secret-value").textContent = password;
    $("team-secret").hidden = false;
    $("team-secret-copy").focus();
  }

  function hideSecret() {
    $("team-secret-value").textContent = "";
    $("team-secret").hidden = true;
  }

  async function copySecret() {
    const value = $("team-secret-value").textContent;
    try {
      await navigator.clipboard.writeText(value);
      toast(T.team_copied);
    } catch {
      const range = document.createRange(); // no clipboard (an insecure origin): select it
      range.selectNodeContents($("team-secret-value"));
      window.getSelection().removeAllRanges();
      window.getSelection().addRange(range);
    }
  }

  function tokenItem(agent, token) {
    const revoke = h("button", { type: "button", class: "small danger", text: T.token_revoke });
    revoke.addEventListener("click", async () => {
      if (!window.confirm(T.token_revoke_confirm)) return;
      try {
        await busy(revoke, T.saving, () =>
          api("DELETE", `/agents/${encodeURIComponent(agent.id)}/tokens/${encodeURIComponent(token.id)}`));
        toast(T.token_revoked);
        await render();
      } catch (error) {
        toast(errorText(error), { error: true });
      }
    });
    const facts = [
      t("token_created", { when: formatTime(token.created_at) }),
      token.expires_at ? t("token_expires", { when: formatTime(token.expires_at) })
        : T.token_never_expires,
      token.last_used_at ? t("token_last_used", { when: formatTime(token.last_used_at) })
        : T.token_never_used,
    ];
    return h("li", { class: "token", data: { token: token.id } },
      h("div", { class: "token-text" },
        h("span", { class: "token-name", text: token.name || T.token_unnamed }),
        h("span", { class: "token-facts muted", text: facts.join(" · ") })),
      revoke);
  }

  function accessButton(agent) {
    const disabling = !agent.disabled;
    const button = h("button", {
      type: "button",
      class: disabling ? "small danger" : "small",
      text: disabling ? T.team_disable : T.team_enable,
    });
    button.addEventListener("click", async () => {
      if (disabling && !window.confirm(t("team_disable_confirm", { name: agent.name }))) return;
      try {
        await busy(button, T.saving, () =>
          api("POST", `/agents/${encodeURIComponent(agent.id)}/${disabling ? "disable" : "enable"}`));
        toast(t(disabling ? "team_disabled_done" : "team_enabled_done", { name: agent.name }));
        await render();
      } catch (error) {
        toast(problem(error), { error: true });
      }
    });
    return button;
  }

  function roleButton(agent) {
    const promote = agent.role !== "admin";
    const button = h("button", {
      type: "button", class: "small", text: promote ? T.team_make_admin : T.team_make_agent,
    });
    button.addEventListener("click", async () => {
      try {
        await busy(button, T.saving, () => api("PUT", `/agents/${encodeURIComponent(agent.id)}`,
          { role: promote ? "admin" : "agent" }));
        toast(t(promote ? "team_now_admin" : "team_now_agent", { name: agent.name }));
        await render();
      } catch (error) {
        toast(problem(error), { error: true });
      }
    });
    return button;
  }

  /** The reset form under the member: generate (the default) or type a new password. */
  function resetForm(item, agent) {
    const id = `reset-${agent.id}`;
    const generate = h("input", { type: "radio", name: `${id}-mode`, value: "generate" });
    const type = h("input", { type: "radio", name: `${id}-mode`, value: "type" });
    generate.checked = true;
    const password = h("input", {
      id: `${id}-password`, type: "password", minlength: "8", maxlength: "1024",
      autocomplete: "new-password",
    });
    const field = h("div", { class: "field", hidden: true },
      h("label", { for: `${id}-password`, text: T.team_password }), password);
    const submit = h("button", { type: "submit", class: "small primary", text: T.team_reset_submit });
    const cancel = h("button", { type: "button", class: "small", text: T.cancel });
    const error = h("div", { class: "form-error", role: "alert", hidden: true });
    const form = h("form", { class: "team-reset", novalidate: true, "aria-label": t("team_reset_title", { name: agent.name }) },
      h("h3", { text: t("team_reset_title", { name: agent.name }) }),
      h("p", { class: "muted small-print", text: t("team_reset_hint", { name: agent.name }) }),
      h("div", { class: "inline-choices" },
        h("label", { class: "inline-choice" }, generate, " ", T.team_password_generate),
        h("label", { class: "inline-choice" }, type, " ", T.team_password_type)),
      field, error,
      h("div", { class: "form-actions" }, cancel, submit));
    for (const radio of [generate, type]) {
      radio.addEventListener("change", () => {
        field.hidden = !type.checked;
        if (type.checked) password.focus();
      });
    }
    cancel.addEventListener("click", () => form.remove());
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const body = type.checked ? { password: password.value } : { generate: true };
      try {
        const reset = await busy(submit, T.saving, () =>
          api("POST", `/agents/${encodeURIComponent(agent.id)}/password`, body));
        form.remove();
        toast(t("team_reset_done", { name: agent.name }));
        if (reset.generated_password) showSecret(agent.name, reset.generated_password);
      } catch (failure) {
        error.textContent = problem(failure);
        error.hidden = false;
      }
    });
    item.querySelector(".team-reset")?.remove();
    item.querySelector(".member-head").after(form);
    generate.focus();
  }

  function onlinePill(agent) {
    return h("span", {
      class: `pill online-pill ${agent.online ? "pill-tone-ok" : "pill-tone-neutral"}`,
      data: { online: String(Boolean(agent.online)) },
      text: agent.online ? T.agent_online : T.agent_offline,
    });
  }

  function member(agent, tokens) {
    const state = agent.disabled
      ? h("span", { class: "pill pill-tone-error", text: T.team_disabled })
      : h("span", { class: "pill pill-tone-ok", text: T.team_active });
    const self = agent.id === boot.agent.id;
    const item = h("li", { class: "card team-member", data: { agent: agent.id } });
    let actions;
    if (self) {
      actions = [h("span", { class: "muted small-print", text: T.team_you })];
    } else {
      const reset = h("button", { type: "button", class: "small", text: T.team_reset });
      reset.addEventListener("click", () => resetForm(item, agent));
      actions = [roleButton(agent), reset, accessButton(agent)];
    }
    item.append(
      h("div", { class: "member-head" },
        h("div", { class: "member-who" },
          h("span", { class: "member-name", text: agent.name }),
          h("span", { class: "member-email muted", text: agent.email || "" })),
        h("div", { class: "member-state" },
          h("span", { class: "pill pill-tone-neutral member-role",
            text: agent.role === "admin" ? T.team_role_admin : T.team_role_agent }),
          onlinePill(agent),
          state,
          ...actions)),
      h("h2", { class: "member-tokens-title", text: T.team_tokens }),
      tokens.length
        ? h("ul", { class: "tokens" }, tokens.map((token) => tokenItem(agent, token)))
        : h("p", { class: "muted", text: T.team_no_tokens }));
    return item;
  }

  async function render() {
    const error = $("team-error");
    try {
      const agents = (await api("GET", "/agents")).items;
      const tokens = await Promise.all(agents.map((agent) =>
        api("GET", `/agents/${encodeURIComponent(agent.id)}/tokens`).then((page) => page.items)));
      $("team").replaceChildren(...agents.map((agent, i) => member(agent, tokens[i])));
      error.hidden = true;
    } catch (problemFound) {
      error.textContent = errorText(problemFound);
      error.hidden = false;
    }
  }

  /** Only the online pills change: forms being filled in stay as they are. */
  async function refreshOnline() {
    if (document.hidden) return;
    try {
      for (const agent of (await api("GET", "/agents")).items) {
        const pill = document.querySelector(`.team-member[data-agent="${CSS.escape(agent.id)}"] .online-pill`);
        pill?.replaceWith(onlinePill(agent));
      }
    } catch {
      /* the next refresh tries again */
    }
  }

  const passwordField = $("team-add-password-field");
  for (const radio of document.querySelectorAll('input[name="password_mode"]')) {
    radio.addEventListener("change", () => {
      passwordField.hidden = radio.value !== "type" || !radio.checked;
      if (!passwordField.hidden) $("team-add-password").focus();
    });
  }

  $("team-add").addEventListener("submit", async (event) => {
    event.preventDefault();
    const error = $("team-add-error");
    const typed = document.querySelector('input[name="password_mode"]:checked').value === "type";
    const body = {
      name: $("team-add-name").value.trim(),
      email: $("team-add-email").value.trim(),
      role: $("team-add-role").value,
      ...(typed ? { password: $("team-add-password").value } : { generate: true }),
    };
    if (!body.email) {
      $("team-add-email").focus();
      return;
    }
    try {
      const created = await busy($("team-add-submit"), T.saving, () => api("POST", "/agents", body));
      error.hidden = true;
      $("team-add").reset();
      passwordField.hidden = true;
      toast(t("team_created", { name: created.name }));
      if (created.generated_password) showSecret(created.name, created.generated_password);
      await render();
    } catch (failure) {
      error.textContent = problem(failure);
      error.hidden = false;
    }
  });
  $("team-secret-copy").addEventListener("click", copySecret);
  $("team-secret-dismiss").addEventListener("click", hideSecret);

  render();
  setInterval(refreshOnline, ONLINE_REFRESH_MS);
  document.addEventListener("visibilitychange", refreshOnline);
})();
