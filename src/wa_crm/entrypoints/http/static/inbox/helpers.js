// Small helpers of the inbox: icons, date and number formats, names of contacts, debounce.
import { boot, T, t } from "./wacrm.js";

const ICONS = {
  clock: "M12 3a9 9 0 1 0 0 18 9 9 0 0 0 0-18zm0 4v5l3 2",
  document: "M14 3H7a2 2 0 0 0-2 2v14a2 2 0 0 0 2 2h10a2 2 0 0 0 2-2V8zm0 0v5h5M9 13h6M9 17h6",
  lock: "M7 11V8a5 5 0 0 1 10 0v3M6 11h12v10H6z",
};

export function icon(name, size = 14) {
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
export function ownUrl(url) {
  return typeof url === "string" && url.startsWith("/") && !url.startsWith("//") ? url : null;
}

export const timeFormat = new Intl.DateTimeFormat(boot.locale, { hour: "2-digit", minute: "2-digit" });
const shortDate = new Intl.DateTimeFormat(boot.locale, { day: "2-digit", month: "short" });
export const longDate = new Intl.DateTimeFormat(boot.locale, {
  weekday: "long", day: "numeric", month: "long", year: "numeric",
});
export const dateOnly = new Intl.DateTimeFormat(boot.locale, { dateStyle: "medium" });
// orders: the date as the assistant writes it (02/11/2026) and amounts in reais (R$ 559,80)
export const numericDate = new Intl.DateTimeFormat(boot.locale, {
  day: "2-digit", month: "2-digit", year: "numeric",
});
export const reais = new Intl.NumberFormat(boot.locale, { style: "currency", currency: "BRL" });

export function dayKey(date) {
  return `${date.getFullYear()}-${date.getMonth()}-${date.getDate()}`;
}

export function relativeDay(date) {
  const today = new Date();
  const yesterday = new Date(today.getFullYear(), today.getMonth(), today.getDate() - 1);
  if (dayKey(date) === dayKey(today)) return T.today;
  if (dayKey(date) === dayKey(yesterday)) return T.yesterday;
  return null;
}

const weekday = new Intl.DateTimeFormat(boot.locale, { weekday: "short" });
const otherYear = new Intl.DateTimeFormat(boot.locale, { dateStyle: "short" });

/** A list row's time: today the time, yesterday "Ontem", this week the weekday, else the date. */
export function listTime(iso) {
  if (!iso) return "";
  const date = new Date(iso);
  const day = relativeDay(date);
  if (day === T.today) return timeFormat.format(date);
  if (day) return day;
  const now = new Date();
  const weekAgo = new Date(now.getFullYear(), now.getMonth(), now.getDate() - 6);
  if (date >= weekAgo && date <= now) return weekday.format(date);
  return (date.getFullYear() === now.getFullYear() ? shortDate : otherYear).format(date);
}

// A file's size in the locale's format ("23 MB", "1,5 MB" in pt-BR, "800 kB", "12 B") and a
// field's name as people read it: the versions every page uses (api.js).
export { fieldLabel, formatBytes } from "./wacrm.js";

/** +5511999998888 -> +55 11 99999-8888 (Brazil); other numbers stay as they are. */
export function formatPhone(phone) {
  const found = /^\+55(\d{2})(\d{4,5})(\d{4})$/.exec(phone || "");
  return found ? `+55 ${found[1]} ${found[2]}-${found[3]}` : (phone || "");
}

export function isErased(contact) {
  return (contact?.wa_chat_id || "").startsWith("erased:");
}

/**
 * The name to show for a contact: theirs, else their phone number, else their chat id.
 * @param {import("./state.js").Contact | undefined} contact
 * @returns {string}
 */
export function contactName(contact) {
  if (!contact) return T.unknown_contact;
  if (isErased(contact)) return T.erased_contact;
  return contact.display_name || formatPhone(contact.phone)
    || (contact.wa_chat_id || "").split("@")[0] || T.unknown_contact;
}

export function initials(name) {
  const words = name.replace(/[^\p{L}\p{N} ]/gu, "").trim().split(/\s+/).filter(Boolean);
  if (!words.length) return "?";
  return (words[0][0] + (words.length > 1 ? words[words.length - 1][0] : "")).toUpperCase();
}

export function avatarColour(seed) {
  let hash = 0;
  for (const ch of seed) hash = (hash * 31 + ch.charCodeAt(0)) | 0;
  return `hsl(${Math.abs(hash) % 360} 32% 46%)`;
}

/**
 * When a conversation last moved: the list's order.
 * @param {import("./state.js").Conversation} conversation
 * @returns {string} an ISO time, or "" when unknown
 */
export function activity(conversation) {
  return conversation.last_message_at || conversation.created_at || "";
}

export function reasonLabel(reason) {
  return reason ? t(`reason_${reason}`) : "";
}

/**
 * ``fn`` once calls have paused for ``ms`` milliseconds, with the last call's arguments.
 * @template {unknown[]} A
 * @param {(...args: A) => unknown} fn
 * @param {number} ms
 * @returns {(...args: A) => void}
 */
export function debounce(fn, ms) {
  let timer = null;
  return (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), ms);
  };
}
