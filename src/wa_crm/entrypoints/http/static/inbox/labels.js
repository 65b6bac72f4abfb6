// Labels: the open conversation's chips (add, remove, filter the list by one), the list's label
// filter, and the tags under a row's name (snooze, rating, labels).
import { applyUpdate } from "./actions.js";
import { openConversationData } from "./conversation.js";
import { catalogHas, filterByLabel, knownLabels, labelChip } from "./filters.js";
import { icon } from "./helpers.js";
import { ratingNode } from "./rating.js";
import { shortSnooze, snoozeFormat } from "./snooze.js";
import { showError } from "./toasts.js";
import { $, api, h, t } from "./wacrm.js";

const MAX_LABELS = 10;

/** A label's chip in the colour an admin gave it in the catalog (GET labels), as on the rows. */
function chip(label, className, ...children) {
  const el = labelChip(label);
  el.className = `${className} label-chip`;
  el.dataset.label = label;
  el.replaceChildren(...children);
  return el;
}

export function renderLabels(conversation) {
  const labels = conversation.labels || [];
  $("conv-label-list").replaceChildren(...labels.map((label) => chip(
    label,
    "chip",
    h("button", {
      type: "button", class: "chip-text", title: t("label_filter_by", { label }), text: label,
      data: { filter: label },
    }),
    h("button", {
      type: "button", class: "chip-remove", title: t("label_remove", { label }),
      "aria-label": t("label_remove", { label }), text: "×", data: { remove: label },
    }),
  )));
  $("label-add").hidden = labels.length >= MAX_LABELS || !$("label-input").hidden;
  $("label-options").replaceChildren(...knownLabels()
    .filter((label) => !labels.includes(label))
    .map((label) => h("option", { value: label })));
}

async function saveLabels(labels) {
  const conversation = openConversationData();
  if (!conversation) return false;
  try {
    const path = `/conversations/${encodeURIComponent(conversation.id)}/labels`;
    applyUpdate(await api("PUT", path, { labels }));
    if (await catalogHas(labels)) {
      const shown = openConversationData();
      if (shown) renderLabels(shown);
    }
    return true;
  } catch (error) {
    showError(error);
    return false;
  }
}

function openLabelInput() {
  const input = $("label-input");
  $("label-add").hidden = true;
  input.hidden = false;
  input.value = "";
  input.focus();
}

export function closeLabelInput(refocus) {
  const input = $("label-input");
  if (input.hidden) return;
  input.hidden = true;
  input.value = "";
  $("label-add").hidden = (openConversationData()?.labels?.length ?? 0) >= MAX_LABELS;
  if (refocus) $("label-add").focus();
}

async function onLabelKey(event) {
  if (event.key === "Escape") {
    event.preventDefault();
    event.stopPropagation();
    closeLabelInput(true);
  } else if (event.key === "Enter" && !event.isComposing) {
    event.preventDefault();
    const label = event.target.value.trim();
    const labels = openConversationData()?.labels || [];
    if (label && await saveLabels([...labels, label])) closeLabelInput(true);
  }
}

function onLabelClick(event) {
  const button = event.target.closest("button");
  if (button?.dataset.filter) {
    filterByLabel(button.dataset.filter);
  } else if (button?.dataset.remove) {
    const labels = openConversationData()?.labels || [];
    saveLabels(labels.filter((label) => label !== button.dataset.remove));
  }
}

/** Under a row's name: its snooze, rating and labels, when it has any. */
export function rowTags(conversation) {
  const labels = conversation.labels || [];
  const until = conversation.snoozed_until ? new Date(conversation.snoozed_until) : null;
  const rated = conversation.status === "resolved" && conversation.rating != null;
  if (!labels.length && !until && !rated) return null;
  return h(
    "span",
    { class: "conv-tags" },
    until ? h("span", {
      class: "snoozed-mark", title: t("snoozed_until", { when: snoozeFormat.format(until) }),
    }, icon("clock", 12), shortSnooze.format(until)) : null,
    rated ? ratingNode(conversation.rating, true) : null,
    labels.map((label) => chip(label, "chip chip-static", label)),
  );
}

export function wireLabels() {
  $("conv-label-list").addEventListener("click", onLabelClick);
  $("label-add").addEventListener("click", openLabelInput);
  $("label-input").addEventListener("keydown", onLabelKey);
  $("label-input").addEventListener("blur", () => closeLabelInput(false));
}
