// The knowledge base page (admins): add a document (a file, or a title and a text), the list of
// documents and FAQ entries with a delete button, "try a question" showing what the assistant
// would answer, from which document, and the passages found with their scores, and the
// questions the documents could not answer, each with a form to answer it (the answer becomes
// an FAQ entry). An ES module over window.WaCrm (api.js); data only reaches the page as text.

const { T, $, t, h, api, errorText, busy, toast, formatTime } = window.WaCrm;

const score = new Intl.NumberFormat(window.WaCrm.boot.locale, { maximumFractionDigits: 2 });

function showError(id, problem) {
  const box = $(id);
  box.textContent = problem ? errorText(problem) : "";
  box.hidden = !problem;
}

function documentItem(doc) {
  const remove = h("button", { type: "button", class: "small danger", text: T.kb_delete });
  remove.addEventListener("click", async () => {
    if (!window.confirm(t("kb_delete_confirm", { title: doc.title }))) return;
    try {
      await busy(remove, T.saving, () =>
        api("DELETE", `/knowledge/documents/${encodeURIComponent(doc.id)}`));
      toast(t("kb_deleted", { title: doc.title }));
      await renderDocuments();
    } catch (problem) {
      toast(errorText(problem), { error: true });
    }
  });
  const facts = [
    doc.chunks === 1 ? T.kb_passages_one : t("kb_passages", { count: doc.chunks }),
    t("kb_updated", { when: formatTime(doc.updated_at) }),
  ];
  return h("li", { class: "kb-item", data: { document: doc.id } },
    h("div", { class: "kb-item-text" },
      h("span", { class: "kb-item-title", text: doc.title }),
      h("span", { class: "kb-item-facts muted" },
        h("span", { class: "pill pill-tone-neutral", text: T[`kb_kind_${doc.kind}`] || doc.kind }),
        ` ${facts.join(" · ")}`)),
    remove);
}

async function renderDocuments() {
  try {
    const { items } = await api("GET", "/knowledge/documents");
    $("kb-documents").replaceChildren(...(items.length
      ? items.map(documentItem)
      : [h("li", { class: "muted kb-empty", text: T.kb_no_documents })]));
    showError("kb-documents-error", null);
  } catch (problem) {
    showError("kb-documents-error", problem);
  }
}

function questionItem(question) {
  const field = h("textarea", {
    rows: 2, maxlength: 200000, "aria-label": t("kb_answer_for", { question: question.text }),
  });
  const send = h("button", { type: "submit", class: "small primary", text: T.kb_answer_button });
  const form = h("form", { class: "kb-answer", novalidate: true },
    h("label", { class: "small-print muted", text: T.kb_answer_label }), field,
    h("div", { class: "form-actions" }, send));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!field.value.trim()) {
      field.focus();
      return;
    }
    try {
      await busy(send, T.saving, () => api("POST",
        `/knowledge/unanswered/${encodeURIComponent(question.id)}/answer`,
        { answer: field.value }));
      toast(T.kb_answered);
      await Promise.all([renderUnanswered(), renderDocuments()]);
    } catch (problem) {
      toast(errorText(problem), { error: true });
    }
  });
  const asked = t("kb_asked", {
    count: question.times_asked, when: formatTime(question.last_asked_at),
  });
  return h("li", { class: "kb-item kb-question", data: { question: question.id } },
    h("div", { class: "kb-item-text" },
      h("span", { class: "kb-item-title", text: question.text }),
      h("span", { class: "kb-item-facts muted", text: asked })),
    form);
}

async function renderUnanswered() {
  try {
    const { items } = await api("GET", "/knowledge/unanswered");
    $("kb-unanswered").replaceChildren(...(items.length
      ? items.map(questionItem)
      : [h("li", { class: "muted kb-empty", text: T.kb_no_unanswered })]));
  } catch (problem) {
    $("kb-unanswered").replaceChildren(h("li", { class: "form-error", text: errorText(problem) }));
  }
}

function showTried(tried) {
  const used = new Set(tried.sources);
  const parts = [
    h("h3", { text: T.kb_answer }),
    h("p", { class: "kb-answer-text", text: tried.answer || "—" }),
    h("p", { class: "kb-source" }, tried.sources.length
      ? t("kb_sources", { titles: tried.sources.join(", ") })
      : T.kb_no_source),
  ];
  if (tried.action === "handoff") {
    parts.push(h("p", { class: "result result-warn",
      text: t("kb_would_hand_off", { reason: T[`reason_${tried.reason}`] || tried.reason || "—" }) }));
  }
  parts.push(h("h3", { text: T.kb_passages_found }));
  parts.push(tried.passages.length
    ? h("ol", { class: "kb-passages" }, tried.passages.map((passage) =>
      h("li", { class: used.has(passage.title) ? "kb-passage kb-passage-used" : "kb-passage" },
        h("div", { class: "kb-passage-head" },
          h("span", { class: "kb-item-title", text: passage.title }),
          h("span", { class: "pill pill-tone-neutral",
            text: t("kb_score", { score: score.format(passage.score) }) })),
        h("p", { class: "kb-passage-text", text: passage.text }))))
    : h("p", { class: "muted", text: T.kb_no_passages }));
  $("kb-tried").replaceChildren(...parts);
  $("kb-tried").hidden = false;
}

$("kb-try").addEventListener("submit", async (event) => {
  event.preventDefault();
  const question = $("kb-question").value.trim();
  if (!question) {
    $("kb-question").focus();
    return;
  }
  try {
    const tried = await busy($("kb-try-button"), T.kb_trying,
      () => api("POST", "/knowledge/try", { question }));
    showTried(tried);
  } catch (problem) {
    $("kb-tried").replaceChildren(h("p", { class: "form-error", text: errorText(problem) }));
    $("kb-tried").hidden = false;
  }
});

$("kb-add").addEventListener("submit", async (event) => {
  event.preventDefault();
  const file = $("kb-file").files[0];
  const title = $("kb-doc-title").value.trim();
  const text = $("kb-text").value;
  let body;
  if (file) {
    body = new FormData();
    body.append("file", file);
    if (title) body.append("title", title);
  } else if (title && text.trim()) {
    body = { title, text };
  } else {
    showError("kb-add-error", null);
    $("kb-add-error").textContent = T.kb_need_file_or_text;
    $("kb-add-error").hidden = false;
    return;
  }
  try {
    const added = await busy($("kb-add-button"), T.kb_adding,
      () => api("POST", "/knowledge/documents", body));
    showError("kb-add-error", null);
    $("kb-add").reset();
    toast(t("kb_added", { title: added.title }));
    await renderDocuments();
  } catch (problem) {
    showError("kb-add-error", problem);
  }
});

renderDocuments();
renderUnanswered();
