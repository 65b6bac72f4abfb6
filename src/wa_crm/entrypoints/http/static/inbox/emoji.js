// The composer's emoji picker: a fixed set of common emoji in a few groups (no library, no
// font download: the system's emoji font draws them), opened from the composer row. Arrow keys
// move between emoji (up and down by a row of the grid as it is laid out), Enter or a click puts
// the emoji where the caret was, Escape closes and gives the text box its focus back.
import { $, T, h } from "./wacrm.js";

const GROUPS = [
  ["faces", ["😀", "😃", "😄", "😁", "😊", "🙂", "😉", "😍", "🥰", "😘", "😅", "😂", "🤗", "🤔",
    "😐", "😕", "🙁", "😢", "😭", "😮", "😴", "😷", "🤒", "🤕"]],
  ["gestures", ["👍", "👎", "👏", "🙏", "👋", "🤝", "👌", "✌️", "🤞", "💪", "👀", "🙌", "☝️",
    "✍️", "🫶", "🤲"]],
  ["hearts", ["❤️", "🧡", "💛", "💚", "💙", "💜", "🤍", "💖", "✅", "❌", "⚠️", "❗", "❓", "⭐",
    "✨", "🎉", "🔔", "💬"]],
  ["health", ["💊", "🩺", "🏥", "🚑", "🩹", "🌡️", "💉", "🧪", "🌿", "🍃", "📄", "📎", "📅",
    "⏰", "📞", "📦", "🚚", "🏠", "☀️", "🌙"]],
];

function buttons() {
  return Array.from($("emoji-picker").querySelectorAll("button.emoji"));
}

function setOpen(open) {
  const picker = $("emoji-picker");
  picker.hidden = !open;
  $("emoji-toggle").setAttribute("aria-expanded", String(open));
  if (open) buttons()[0]?.focus();
}

export function closeEmojiPicker() {
  if (!$("emoji-picker").hidden) setOpen(false);
}

/** The button in the same column of the row above or below (``step`` -1 or 1), as laid out. */
function verticalNeighbour(all, index, step) {
  const here = all[index].getBoundingClientRect();
  let best = null;
  for (let i = index + step; i >= 0 && i < all.length; i += step) {
    const box = all[i].getBoundingClientRect();
    if (Math.abs(box.top - here.top) < 2) continue; // same row
    if (best && Math.abs(box.top - best.top) >= 2) break; // past the next row
    const distance = Math.abs(box.left - here.left);
    if (!best || distance < best.distance) best = { i, top: box.top, distance };
  }
  return best ? best.i : index;
}

function onKey(event) {
  event.stopPropagation(); // the page's shortcuts (j, k, r, /) are not for the picker
  const all = buttons();
  const index = all.indexOf(document.activeElement);
  if (event.key === "Escape") {
    event.preventDefault();
    setOpen(false);
    $("composer-text").focus();
    return;
  }
  if (index < 0) return;
  const moves = {
    ArrowRight: () => Math.min(index + 1, all.length - 1),
    ArrowLeft: () => Math.max(index - 1, 0),
    ArrowDown: () => verticalNeighbour(all, index, 1),
    ArrowUp: () => verticalNeighbour(all, index, -1),
    Home: () => 0,
    End: () => all.length - 1,
  };
  if (!moves[event.key]) return;
  event.preventDefault();
  all[moves[event.key]()].focus();
}

/** Put ``emoji`` where the text box's caret (or selection) was, and the caret after it. */
export function insertAtCaret(box, emoji) {
  const start = box.selectionStart ?? box.value.length;
  const end = box.selectionEnd ?? start;
  box.setRangeText(emoji, start, end, "end");
  box.focus();
  box.dispatchEvent(new Event("input", { bubbles: true }));
}

/** @param {(emoji: string) => void} pick what a chosen emoji does (inserted in the composer) */
export function wireEmojiPicker(pick) {
  const picker = $("emoji-picker");
  picker.replaceChildren(...GROUPS.map(([name, emoji]) => h("div", {
    class: "emoji-group", role: "group", "aria-label": T[`emoji_group_${name}`],
  },
  h("p", { class: "emoji-group-name", text: T[`emoji_group_${name}`], "aria-hidden": "true" }),
  h("div", { class: "emoji-grid" }, ...emoji.map((char) => h("button", {
    type: "button", class: "emoji", text: char, tabindex: "-1",
  }))))));
  picker.addEventListener("click", (event) => {
    const button = event.target.closest("button.emoji");
    if (!button) return;
    setOpen(false);
    pick(button.textContent);
  });
  picker.addEventListener("keydown", onKey);
  picker.addEventListener("focusin", (event) => {
    // one tab stop: the focused emoji
    for (const button of buttons()) button.tabIndex = button === event.target ? 0 : -1;
  });
  $("emoji-toggle").addEventListener("click", () => setOpen(picker.hidden));
  document.addEventListener("pointerdown", (event) => {
    if (picker.hidden || picker.contains(event.target) || $("emoji-toggle").contains(event.target)) return;
    setOpen(false);
  });
}
