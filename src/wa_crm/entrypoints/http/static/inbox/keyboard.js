// The page's keys: / to search, j and k (or the arrows in the list) to move, Enter to open, r
// to reply, Escape to leave a field for the list.
import { setComposerMode } from "./composer.js";
import { openConversation } from "./conversation.js";
import { state } from "./state.js";
import { stopTyping } from "./typing.js";
import { $ } from "./wacrm.js";

/** Focus the row ``step`` rows from the focused (or open) one; 0 focuses it, or the first. */
export function moveInList(step) {
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

export function wireKeyboard() {
  document.addEventListener("keydown", onKey);
}
