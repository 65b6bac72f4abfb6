// The team page (admins): every agent of the association with whether they may sign in, a button
// to disable or enable them (not oneself), and their API tokens with a button to revoke each.
// Tokens are listed by name and id only: the token itself is shown once, when it is issued.
"use strict";

(() => {
  const { boot, T, $, t, h, api, errorText, busy, toast, formatTime } = window.WaCrm;

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
    if (agent.id === boot.agent.id) return h("span", { class: "muted small-print", text: T.team_you });
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
        toast(errorText(error), { error: true });
      }
    });
    return button;
  }

  function member(agent, tokens) {
    const state = agent.disabled
      ? h("span", { class: "pill pill-tone-error", text: T.team_disabled })
      : h("span", { class: "pill pill-tone-ok", text: T.team_active });
    return h("li", { class: "card team-member", data: { agent: agent.id } },
      h("div", { class: "member-head" },
        h("div", { class: "member-who" },
          h("span", { class: "member-name", text: agent.name }),
          h("span", { class: "member-email muted", text: agent.email || "" })),
        h("div", { class: "member-state" },
          h("span", { class: "pill pill-tone-neutral",
            text: agent.role === "admin" ? T.team_role_admin : T.team_role_agent }),
          state,
          accessButton(agent))),
      h("h2", { class: "member-tokens-title", text: T.team_tokens }),
      tokens.length
        ? h("ul", { class: "tokens" }, tokens.map((token) => tokenItem(agent, token)))
        : h("p", { class: "muted", text: T.team_no_tokens }));
  }

  async function render() {
    const error = $("team-error");
    try {
      const agents = (await api("GET", "/agents")).items;
      const tokens = await Promise.all(agents.map((agent) =>
        api("GET", `/agents/${encodeURIComponent(agent.id)}/tokens`).then((page) => page.items)));
      $("team").replaceChildren(...agents.map((agent, i) => member(agent, tokens[i])));
      error.hidden = true;
    } catch (problem) {
      error.textContent = errorText(problem);
      error.hidden = false;
    }
  }

  render();
})();
