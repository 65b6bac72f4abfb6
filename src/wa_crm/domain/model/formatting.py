"""Text for WhatsApp: its own light markup, in messages of at most 4,096 characters.

WhatsApp renders ``*bold*``, ``_italic_``, ``~strike~`` and ````` ```monospace``` `````, and shows
HTML and Markdown literally, so what the AI or an editor wrote is translated before sending.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from html.parser import HTMLParser

MAX_MESSAGE_LENGTH = 4096


class _Marks:
    """Private-use characters absent from the text that stand for markup until the end.

    Emphasis is rewritten in several passes; holding each result in a marker that no later pass
    matches keeps ``**x**`` → ``*x*`` from then being read as Markdown italic, and placeholders
    keep code and URLs out of every pass.
    """

    def __init__(self, text: str) -> None:
        used = set(text) | set(html.unescape(text))
        free = (char for char in map(chr, range(0xE000, 0xF900)) if char not in used)
        self.bold, self.italic, self.strike, opener, closer = (next(free) for _ in range(5))
        self._kept: list[str] = []
        self._placeholder = re.compile(f"{opener}([0-9]+){closer}")
        self._opener, self._closer = opener, closer
        self._emphasis = str.maketrans({self.bold: "*", self.italic: "_", self.strike: "~"})
        self._no_emphasis = str.maketrans(dict.fromkeys((self.bold, self.italic, self.strike)))

    def keep(self, literal: str) -> str:
        """A placeholder for text that must reach the output as it is."""
        self._kept.append(self._placeholder.sub(self._expand, literal))
        return f"{self._opener}{len(self._kept) - 1}{self._closer}"

    def plain(self, text: str) -> str:
        """The text without emphasis markers (code shows its content literally)."""
        return text.translate(self._no_emphasis)

    def render(self, text: str) -> str:
        return self._placeholder.sub(self._expand, text).translate(self._emphasis)

    def _expand(self, match: re.Match[str]) -> str:
        return self._kept[int(match[1])]


# ---------------------------------------------------------------------------------------------
# HTML

_HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
# Blocks followed by a blank line, as a browser leaves a margin after them.
_PARAGRAPHS = _HEADINGS | {"p", "ul", "ol", "pre", "blockquote", "table"}
_BLOCKS = _PARAGRAPHS | {
    "div", "li", "tr", "hr", "section", "article", "header", "footer", "dl", "dt", "dd",
}  # fmt: skip
_SKIPPED = frozenset({"script", "style"})
_FRAMED = _HEADINGS | {"a", "code", "pre", "b", "strong", "i", "em", "s", "del", "strike"}
# Only real HTML elements are markup; anything else ("<nome do paciente>") stays as text.
_KNOWN_TAGS = _BLOCKS | _SKIPPED | _FRAMED | {
    "html", "head", "body", "title", "meta", "link", "br", "span", "font", "u", "ins", "mark",
    "small", "big", "sub", "sup", "tt", "kbd", "samp", "var", "cite", "q", "abbr", "dfn",
    "label", "img", "figure", "figcaption", "main", "nav", "aside", "center", "thead", "tbody",
    "tfoot", "th", "td", "caption", "col", "colgroup", "wbr", "details", "summary",
}  # fmt: skip
_HTML_HINT = re.compile(
    rf"</?(?:{'|'.join(sorted(_KNOWN_TAGS))})(?=[\s/>])[^<>]*>"
    r"|&(?:#[0-9]+|#[xX][0-9a-fA-F]+|[a-zA-Z][a-zA-Z0-9]*);|<!--",
    re.IGNORECASE,
)
_HTML_LINE_EDGES = re.compile(r"[ \t]*\n[ \t]*")


@dataclass
class _Frame:
    """An open element whose content is rendered when it closes."""

    tag: str
    href: str | None
    parts: list[str] = field(default_factory=list)


class _HtmlToMarkup(HTMLParser):
    """HTML to text with markers; whitespace follows the browser only as far as it is safe.

    Text between tags keeps its line breaks, since HTML here is often mixed with plain lines.
    """

    def __init__(self, marks: _Marks) -> None:
        super().__init__(convert_charrefs=True)
        self._marks = marks
        self._frames = [_Frame("", None)]
        self._skipping = 0
        self._tail = ""  # the last characters emitted, to place line breaks and spaces

    def convert(self, text: str) -> str:
        self.feed(text)
        self.close()
        while len(self._frames) > 1:  # unclosed elements keep their content, unformatted
            self._emit("".join(self._frames.pop().parts))
        return "".join(self._frames[0].parts)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in _KNOWN_TAGS:
            self._emit(self.get_starttag_text() or "")
        elif tag in _SKIPPED:
            self._skipping += 1
        elif not self._skipping:
            if tag in _BLOCKS:
                self._break(1)
            if tag == "br":
                self._emit("\n")
            elif tag == "li":
                self._emit("- ")
            if tag in _FRAMED:
                self._frames.append(_Frame(tag, dict(attrs).get("href")))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in _KNOWN_TAGS:
            self._emit(self.get_starttag_text() or "")
        else:
            self.handle_starttag(tag, attrs)
            self.handle_endtag(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag not in _KNOWN_TAGS:
            self._emit(f"</{tag}>")
        elif tag in _SKIPPED:
            self._skipping = max(0, self._skipping - 1)
        elif not self._skipping:
            if any(frame.tag == tag for frame in self._frames[1:]):
                while (frame := self._frames.pop()).tag != tag:
                    self._emit("".join(frame.parts))
                self._emit(self._render(frame))
            if tag in _BLOCKS:
                self._break(2 if tag in _PARAGRAPHS else 1)
            elif tag in ("td", "th"):
                self.handle_data(" ")

    def handle_data(self, data: str) -> None:
        if self._skipping:
            return
        if any(frame.tag == "pre" for frame in self._frames):
            self._emit(data)
            return
        if not self._tail or self._tail.endswith("\n"):
            data = data.lstrip()
        elif self._tail.endswith(" "):
            data = data.lstrip(" \t")
        if data.isspace():  # whitespace between tags is one space, like in a browser
            data = " "
        self._emit(_HTML_LINE_EDGES.sub("\n", data))

    def _render(self, frame: _Frame) -> str:
        content = "".join(frame.parts)
        marks = self._marks
        match frame.tag:
            case "pre":
                code = marks.plain(content).strip("\n")
                return marks.keep(_code_block(code)) if code.strip() else ""
            case "code" if any(outer.tag == "pre" for outer in self._frames):
                return content
            case "code":
                return _wrap(content, lambda core: marks.keep(f"```{marks.plain(core)}```"))
            case "a":
                return self._link(content, frame.href)
            case "b" | "strong":
                mark = marks.bold
            case "i" | "em":
                mark = marks.italic
            case "s" | "del" | "strike":
                mark = marks.strike
            case _:  # headings
                mark = marks.bold
                content = content.replace(mark, "")
        return _wrap(content, lambda core: f"{mark}{core}{mark}")

    def _link(self, text: str, href: str | None) -> str:
        """``text (url)``; a relative or script link means nothing in a chat and is dropped."""
        href = (href or "").strip()
        if not _URL.fullmatch(href):
            return text
        if self._marks.plain(text).strip() in ("", href):
            return self._marks.keep(href)
        return f"{text} ({self._marks.keep(href)})"

    def _emit(self, text: str) -> None:
        self._frames[-1].parts.append(text)
        self._tail = (self._tail + text)[-2:]

    def _break(self, newlines: int) -> None:
        """End the current line, leaving ``newlines`` line breaks (2: a blank line)."""
        if self._tail:
            missing = newlines - (len(self._tail) - len(self._tail.rstrip("\n")))
            self._emit("\n" * max(0, missing))


def _wrap(content: str, format_core: Callable[[str], str]) -> str:
    """Format the content without its surrounding whitespace, which WhatsApp markers reject."""
    core = content.strip()
    if not core:
        return content
    lead = content[: len(content) - len(content.lstrip())]
    trail = content[len(content.rstrip()) :]
    return f"{lead}{format_core(core)}{trail}"


# ---------------------------------------------------------------------------------------------
# Markdown

# Not preceded by a letter, digit or '/', but maybe by emphasis ("_https://..._").
_URL = re.compile(r"(?<![^\W_])(?<!/)(?:https?://|www\.)[^\s<>\ue000-\uf8ff]+", re.IGNORECASE)
_URL_TRAILING = ".,;:!?'\"*_~"
_FENCE = re.compile(
    r"^[ \t]*(?P<fence>`{3,}|~{3,})[^\n`]*\n(?P<body>.*?)(?:^[ \t]*(?P=fence)[ \t]*$|\Z)",
    re.MULTILINE | re.DOTALL,
)
_INLINE_CODE = re.compile(
    r"(?<!`)(?P<ticks>`+) ?(?P<code>[^`\s](?:[^\n]*?[^`\s])?) ?(?P=ticks)(?!`)"
)
_LINK = re.compile(
    r"!?\[(?P<text>[^\]\n]*)\]\(\s*<?(?P<url>[^\s()<>]*(?:\([^\s()<>]*\)[^\s()<>]*)*)>?"
    r"(?:\s+\"[^\"\n]*\")?\s*\)"
)
_AUTOLINK = re.compile(r"<(?P<url>https?://[^\s<>]+)>", re.IGNORECASE)
_HEADING = re.compile(r"^[ \t]{0,3}#{1,6}[ \t]+(?P<title>.+?)(?:[ \t]+#+)?[ \t]*$", re.MULTILINE)
_BLANK_LINES = re.compile(r"\n(?:[ \t]*\n){2,}")


def _emphasis(delimiter: str, word_bound: bool) -> re.Pattern[str]:
    """``delimiter``-wrapped text on one line, with no space just inside the delimiters.

    With ``word_bound`` (``_``, single ``*``) letters may not touch the outside, so that
    ``snake_case_name`` and ``2*3*4`` stay; ``**`` and ``~~`` may (``**Nota:**texto``). The text
    ends at the next delimiter, which keeps matching linear on lines full of stray markers.
    """
    char = re.escape(delimiter[0])
    outside = r"\w" if word_bound else char
    wrapped = re.escape(delimiter)
    inner = rf"(?P<inner>(?:(?!{wrapped}).)+?)"
    return re.compile(
        rf"(?<!{outside}){wrapped}(?![\s{char}]){inner}(?<![\s{char}]){wrapped}(?!{outside})"
    )


def to_whatsapp(text: str) -> str:
    """HTML and Markdown as WhatsApp markup; plain text comes back only trimmed.

    Apply it once: in its output, WhatsApp's ``*bold*`` would read as Markdown italic.
    """
    marks = _Marks(text)
    # Code first, so that HTML or Markdown shown inside code stays as written.
    text = _FENCE.sub(lambda m: marks.keep(_code_block(m["body"].removesuffix("\n"))), text)
    text = _INLINE_CODE.sub(lambda m: marks.keep(f"```{m['code']}```"), text)
    if _HTML_HINT.search(text):
        text = _HtmlToMarkup(marks).convert(text)
    text = _LINK.sub(lambda m: _markdown_link(marks, m["text"], m["url"]), text)
    text = _AUTOLINK.sub(lambda m: marks.keep(m["url"]), text)
    text = _URL.sub(lambda m: _keep_url(marks, m[0]), text)
    bold, italic, strike = marks.bold, marks.italic, marks.strike
    for pattern, before, after in (
        (_emphasis("***", False), bold + italic, italic + bold),
        (_emphasis("___", True), bold + italic, italic + bold),
        (_emphasis("**", False), bold, bold),
        (_emphasis("__", True), bold, bold),
        (_emphasis("~~", False), strike, strike),
        (_emphasis("*", True), italic, italic),
        (_emphasis("_", True), italic, italic),
    ):
        text = pattern.sub(f"{before}\\g<inner>{after}", text)
    text = _HEADING.sub(lambda m: f"{bold}{m['title'].replace(bold, '')}{bold}", text)
    text = _BLANK_LINES.sub("\n\n", text)
    return marks.render(text).strip()


def _code_block(code: str) -> str:
    """WhatsApp's monospace block; a language name after the fence would show as text."""
    return f"```\n{code}\n```"


def _markdown_link(marks: _Marks, text: str, url: str) -> str:
    if not url:
        return text
    if text.strip() in ("", url):
        return marks.keep(url)
    return f"{text} ({marks.keep(url)})"


def _keep_url(marks: _Marks, candidate: str) -> str:
    """Protect a bare URL, leaving out trailing punctuation and emphasis that close a sentence."""
    opened, closed = candidate.count("("), candidate.count(")")
    end = len(candidate)
    while end and (
        candidate[end - 1] in _URL_TRAILING or (candidate[end - 1] == ")" and closed > opened)
    ):
        closed -= candidate[end - 1] == ")"
        end -= 1
    return marks.keep(candidate[:end]) + candidate[end:]


# ---------------------------------------------------------------------------------------------
# Splitting

# Where a chunk may end, best first, each as (pattern, cut after the match rather than before).
# The last one, and the hard cut after it, are inside a word: they are reached only when no
# whitespace is in reach, that is when the first word is longer than the limit.
_BREAKS: tuple[tuple[re.Pattern[str], bool], ...] = (
    (re.compile(r"\n[ \t\r]*\n"), False),  # paragraph
    (re.compile(r"\n"), False),  # line
    # ". ", "! ", "? ", an ellipsis, the ideographic and full-width ends, maybe closing a quote
    (re.compile(r"[.!?\u2026\u3002\uff01\uff1f]['\")\]\u201d\u2019]*(?=\s)"), True),
    (re.compile(r"\s"), False),  # word
    (re.compile(r"[\u3002\uff01\uff1f]"), True),  # sentence in scripts without spaces
)


def split_message(text: str, limit: int = MAX_MESSAGE_LENGTH) -> list[str]:
    """Non-empty stripped chunks of at most ``limit`` characters, cut at the best boundary."""
    if limit < 1:
        raise ValueError(f"limit must be at least 1, not {limit}")
    chunks: list[str] = []
    rest = text.strip()
    while len(rest) > limit:
        cut = _cut(rest, limit)
        chunks.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    if rest:
        chunks.append(rest)
    return chunks


def _cut(text: str, limit: int) -> int:
    """The last cut in (0, limit] at the best kind of boundary; ``text`` starts with no space."""
    for pattern, after in _BREAKS:
        cuts = [m.end() if after else m.start() for m in pattern.finditer(text, 0, limit + 1)]
        if usable := [cut for cut in cuts if 0 < cut <= limit]:
            return usable[-1]
    return limit
