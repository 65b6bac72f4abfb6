// Toasts: passing messages in the corner, errors among them.
import { T, $, h, ApiError, errorText } from "./wacrm.js";

/** A passing message; `about` ties it to a conversation, so it can go once handled. */
export function toast(text, { action, onAction, error, about } = {}) {
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

/** Tell the agent a call failed; a lost session is the login page's business, not a toast. */
export function showError(error) {
  if (error instanceof ApiError && error.status === 401) return;
  toast(errorText(error), { error: true });
}

/** The toasts about a conversation go once it is handled. */
export function dropToasts(id) {
  for (const box of document.querySelectorAll(".toast[data-about]")) {
    if (box.dataset.about === id) box.remove();
  }
}
