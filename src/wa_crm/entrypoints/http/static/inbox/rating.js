// Satisfaction: the contact's rating of a resolved conversation, as stars.
import { $, h, t } from "./wacrm.js";

/**
 * @param {number} rating 1 to 5
 * @param {boolean} compact one star and the figure (the list), else five stars (the header)
 * @param {HTMLElement} [el] the element to fill, a new <span> by default
 * @returns {HTMLElement}
 */
export function ratingNode(rating, compact, el = h("span")) {
  el.className = "rating";
  el.setAttribute("role", "img");
  el.setAttribute("aria-label", t("rating", { rating }));
  el.title = t("rating", { rating });
  el.replaceChildren(
    compact ? "★" : h("span", { class: "stars", text: "★".repeat(rating) + "☆".repeat(5 - rating) }),
    ` ${rating}/5`,
  );
  return el;
}

export function renderRating(conversation) {
  const box = $("conv-rating");
  box.hidden = conversation.status !== "resolved" || conversation.rating == null;
  if (!box.hidden) ratingNode(conversation.rating, false, box);
}
