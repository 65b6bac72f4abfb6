// WhatsApp's light markup as the phone shows it, for messages, notes and the composer's preview:
// *bold*, _italic_, ~strike~, ```monospace``` (which may span lines), `inline code`, and http(s)
// links. Nodes are built with createElement and text nodes only: the text is never parsed as HTML.
//
// The rules are WhatsApp's, and those of domain/model/formatting.py, which writes this markup:
// - a marker opens where no letter or digit comes before it and text (not a space) after it,
//   and closes at its next occurrence when text (not a space) comes before it and no letter or
//   digit after it; otherwise it stays literal ("*a * b*", "2*3*4", "snake_case");
// - emphasis stays within a line, and markers of other kinds nest inside it ("*_both_*");
// - code shows its content as written; only http:// and https:// URLs become links, without
//   the punctuation that ends a sentence after them.

const EMPHASIS = { "*": "strong", "_": "em", "~": "s" };
const WORD = /[\p{L}\p{N}]/u;
const SPACE = /\s/u;
const CODE_BLOCK = /```([\s\S]*?\S[\s\S]*?)```/g;
const URL_AT = /^https?:\/\/[^\s<>]+/i;
const URL_TRAILING = ".,;:!?'\"*_~";

const isWord = (char) => char !== undefined && WORD.test(char);
const isSpace = (char) => char !== undefined && SPACE.test(char);

/**
 * The text as nodes to append to an element whose CSS keeps line breaks (pre-wrap).
 * @param {string} text
 * @returns {{ nodes: Node[], formatted: boolean }} ``formatted``: some markup was applied
 *   (emphasis or code; a link alone is not formatting)
 */
export function renderWhatsApp(text) {
  const out = { nodes: [], formatted: false };
  let last = 0;
  for (const match of String(text ?? "").matchAll(CODE_BLOCK)) {
    lines(text.slice(last, match.index), out);
    out.nodes.push(codeNode(match[1]));
    out.formatted = true;
    last = match.index + match[0].length;
  }
  lines(String(text ?? "").slice(last), out);
  return out;
}

/** @param {string} text @returns {Node[]} */
export function formatWhatsApp(text) {
  return renderWhatsApp(text).nodes;
}

/** A ```block```: one written across lines shows as a block, its fence's line breaks dropped. */
function codeNode(content) {
  const block = content.includes("\n");
  const code = document.createElement("code");
  code.className = block ? "wa-code wa-code-block" : "wa-code";
  code.textContent = block ? content.replace(/^[ \t]*\n/, "").replace(/\n[ \t]*$/, "") : content;
  return code;
}

function lines(text, out) {
  text.split("\n").forEach((line, index) => {
    if (index) out.nodes.push(document.createTextNode("\n"));
    inline(line, out.nodes, out);
  });
}

/** One line's nodes, appended to ``into``: the earliest markup wins, the rest is text. */
function inline(line, into, out) {
  let plain = 0;
  let i = 0;
  while (i < line.length) {
    const found = linkAt(line, i) || codeAt(line, i) || emphasisAt(line, i);
    if (!found) {
      i += 1;
      continue;
    }
    if (i > plain) into.push(document.createTextNode(line.slice(plain, i)));
    into.push(found.node);
    if (found.node.nodeName !== "A") out.formatted = true;
    i = plain = found.end;
  }
  if (plain < line.length) into.push(document.createTextNode(line.slice(plain)));
}

function linkAt(line, i) {
  const before = line[i - 1];
  if (isWord(before) || before === "/") return null;
  const found = URL_AT.exec(line.slice(i));
  if (!found) return null;
  let url = found[0];
  let opened = (url.match(/\(/g) || []).length;
  let closed = (url.match(/\)/g) || []).length;
  while (url && (URL_TRAILING.includes(url.at(-1)) || (url.at(-1) === ")" && closed > opened))) {
    if (url.at(-1) === ")") closed -= 1;
    url = url.slice(0, -1);
  }
  let parsed;
  try {
    parsed = new URL(url);
  } catch {
    return null;
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") return null;
  const a = document.createElement("a");
  a.href = parsed.href;
  a.target = "_blank";
  a.rel = "noopener noreferrer";
  a.textContent = url;
  return { node: a, end: i + url.length };
}

function codeAt(line, i) {
  if (line[i] !== "`" || line[i + 1] === "`" || isSpace(line[i + 1])) return null;
  const close = line.indexOf("`", i + 1);
  if (close < 0 || isSpace(line[close - 1]) || line[close + 1] === "`") return null;
  const code = document.createElement("code");
  code.className = "wa-code";
  code.textContent = line.slice(i + 1, close);
  return { node: code, end: close + 1 };
}

function emphasisAt(line, i) {
  const marker = line[i];
  const tag = EMPHASIS[marker];
  if (!tag || isWord(line[i - 1])) return null;
  const first = line[i + 1];
  if (first === undefined || first === marker || isSpace(first)) return null;
  const close = line.indexOf(marker, i + 1);
  if (close < 0 || isSpace(line[close - 1]) || isWord(line[close + 1])) return null;
  const el = document.createElement(tag);
  const children = [];
  inline(line.slice(i + 1, close), children, { formatted: false });
  el.append(...children);
  return { node: el, end: close + 1 };
}
