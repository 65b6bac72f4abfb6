// The contact sidebar: the contact, the patient and their orders when a member, earlier
// conversations, and for admins the contact's data export and erasure.
import { contactName, dateOnly, fieldLabel, formatPhone, numericDate, reais } from "./helpers.js";
import { earlierSection } from "./history.js";
import { privacySection } from "./privacy.js";
import { ADMIN, state, view } from "./state.js";
import { showError } from "./toasts.js";
import { $, T, api, h, t } from "./wacrm.js";

/**
 * Load and show the contact of the open conversation.
 * @param {string} contactId
 * @param {number} token the view.openToken it is for: a later conversation's sidebar wins
 */
export async function loadSidebar(contactId, token) {
  try {
    const detail = await api("GET", `/contacts/${encodeURIComponent(contactId)}`);
    if (token !== view.openToken) return;
    state.open.contactDetail = detail;
    renderSidebar(detail);
  } catch (error) {
    if (token === view.openToken) showError(error);
  }
}

function facts(entries) {
  const pairs = entries.filter(([, value]) => value !== null && value !== undefined && value !== "");
  if (!pairs.length) return null;
  return h("dl", { class: "facts" }, ...pairs.flatMap(([label, value]) => [
    h("dt", { text: label }),
    h("dd", { text: typeof value === "string" ? value : JSON.stringify(value) }),
  ]));
}

/** An order's status in the agent's words; one the translations lack as it is. */
function orderStatus(status) {
  const key = `order_status_${String(status).trim().toLowerCase().replace(/[ -]/g, "_")}`;
  return T[key] ?? status;
}

function renderSidebar(detail) {
  const { contact, patient } = detail;
  const sections = [];
  sections.push(h(
    "section",
    null,
    h("h2", { text: T.contact }),
    h("div", { class: "side-name", text: contactName(contact) }),
    h("div", { class: "side-line" },
      h("span", {
        class: `pill pill-${contact.kind === "member" ? "human" : "bot"}`,
        text: t(`kind_${contact.kind}`),
      }),
      h("span", { class: "muted", text: formatPhone(contact.phone) || contact.wa_chat_id || "" }),
      optOutBadge(contact)),
    facts(Object.entries(contact.fields || {}).map(([name, value]) => [fieldLabel(name), value])),
  ));
  if (patient) {
    sections.push(h(
      "section",
      null,
      h("h2", { text: T.patient }),
      h("div", { class: "side-name", text: patient.full_name }),
      facts([
        [T.patient_status, t(`patient_${patient.status}`)],
        [T.phone, (patient.phones || []).map(formatPhone).join(", ")],
        ...Object.entries(patient.profile || {}).map(([name, value]) => [fieldLabel(name), value]),
      ]),
    ));
    const orders = [...(patient.orders || [])].sort((a, b) => (a.date < b.date ? 1 : -1));
    sections.push(h(
      "section",
      null,
      h("h2", { text: T.orders }),
      orders.length
        ? h("ul", { class: "orders" }, ...orders.map((order) => h(
          "li",
          { class: "order" },
          h("div", { class: "order-top" },
            h("span", { text: order.id }),
            h("span", { class: "muted", text: numericDate.format(new Date(`${order.date}T12:00:00`)) })),
          h("div", { class: "order-items", text: order.items }),
          h("div", { class: "order-bottom" },
            h("span", { class: "order-status", text: orderStatus(order.status) }),
            h("span", { text: `${T.order_total} ${reais.format(Number(order.total))}` })),
        )))
        : h("p", { class: "muted", text: T.no_orders }),
    ));
  } else {
    sections.push(h("section", null, h("h2", { text: T.patient }),
      h("p", { class: "muted", text: T.not_a_member })));
  }
  sections.push(earlierSection(contact.id));
  if (ADMIN) sections.push(privacySection(contact));
  $("sidebar").replaceChildren(...sections);
}

function optOutBadge(contact) {
  if (!contact.opted_out_at) return null;
  const [how, what] = (contact.opt_out_source || "").split(/:(.*)/s);
  const source = how === "keyword" ? t("opt_out_by_keyword", { keyword: what })
    : how === "agent" ? T.opt_out_by_agent : "";
  return h("span", {
    class: "pill pill-opted-out",
    title: source || null,
    text: t("opted_out_since", { date: dateOnly.format(new Date(contact.opted_out_at)) }),
  });
}
