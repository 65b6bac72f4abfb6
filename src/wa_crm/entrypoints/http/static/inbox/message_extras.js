// What a message bubble carries besides its text: the message it quotes, its reactions (an emoji
// under the bubble, the contact's and ours), and the two actions on it: react (a small picker)
// and reply (the composer then quotes it). messages.js builds the bubble; composer.js quotes.
import { T, api, h, t } from "./wacrm.js";

const PICKS = ["👍", "❤️", "😂", "😮", "😢", "🙏"];

/** The quoted message above the text, or null. */
export function quoteNode(message) {
  if (!message.reply_to) return null;
  return h("blockquote", { class: "msg-quote" },
    h("span", { class: "msg-quote-label", text: T.quote_label }),
    h("span", { class: "msg-quote-body", text: message.quoted_body || T.quote_unavailable }));
}

/** The reactions under the bubble (the contact's first), or null. */
export function reactionsNode(message) {
  const reactions = (message.reactions || []).filter((r) => r.emoji);
  if (!reactions.length) return null;
  return h("div", { class: "msg-reactions" }, ...reactions.map((r) => h("span", {
    class: `reaction${r.from_me ? " reaction-ours" : ""}`,
    title: r.from_me ? T.reaction_ours : T.reaction_theirs,
    "aria-label": t(r.from_me ? "reaction_ours_label" : "reaction_theirs_label", { emoji: r.emoji }),
    text: r.emoji,
  })));
}

/** "React" and "Reply" for a message on WhatsApp; ``onReply(message)`` quotes it. */
export function actionsNode(message, conversationId, { onReacted, onReply, onError }) {
  if (!message.external_id) return null;
  const ours = (message.reactions || []).find((r) => r.from_me)?.emoji || "";
  const picker = h("div", { class: "reaction-picker", role: "group", "aria-label": T.react }, ...[
    ...PICKS.map((emoji) => h("button", {
      type: "button", class: `pick${emoji === ours ? " picked" : ""}`, text: emoji,
      "aria-pressed": String(emoji === ours), "aria-label": t("react_with", { emoji }),
    })),
    ours ? h("button", { type: "button", class: "pick pick-remove", text: "✕", "aria-label": T.reaction_remove })
      : null,
  ]);
  picker.hidden = true;
  picker.addEventListener("click", async (event) => {
    const button = event.target.closest("button");
    if (!button) return;
    const emoji = button.classList.contains("pick-remove") ? ""
      : (button.textContent === ours ? "" : button.textContent);
    picker.hidden = true;
    try {
      const path = `/conversations/${encodeURIComponent(conversationId)}/messages/`
        + `${encodeURIComponent(message.id)}/reaction`;
      onReacted(await api("POST", path, { emoji }));
    } catch (error) {
      onError(error);
    }
  });
  const react = h("button", {
    type: "button", class: "msg-action msg-react", title: T.react, "aria-label": T.react,
    "aria-expanded": "false", text: "☺",
  });
  react.addEventListener("click", () => {
    picker.hidden = !picker.hidden;
    react.setAttribute("aria-expanded", String(!picker.hidden));
    if (!picker.hidden) picker.querySelector("button")?.focus();
  });
  const reply = h("button", {
    type: "button", class: "msg-action msg-reply", title: T.reply_to, "aria-label": T.reply_to,
    text: "↩",
  });
  reply.addEventListener("click", () => onReply(message));
  return h("div", { class: "msg-actions" }, react, reply, picker);
}
