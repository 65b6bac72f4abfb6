from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wa_crm.domain.model.formatting import MAX_MESSAGE_LENGTH, split_message, to_whatsapp

HANDLED_TAG = re.compile(
    r"</?(?:b|strong|i|em|s|del|strike|code|pre|a|br|p|div|li|ul|ol|h[1-6]|span|script|style)"
    r"(?:\s[^<>]*)?/?>",
    re.IGNORECASE,
)


# --- to_whatsapp: examples -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("**bold**", "*bold*"),
        ("__bold__", "*bold*"),
        ("*italic*", "_italic_"),
        ("_italic_", "_italic_"),
        ("~~gone~~", "~gone~"),
        ("***both***", "*_both_*"),
        ("**Nota:** leve o cartão", "*Nota:* leve o cartão"),
        ("a **b** c *d* e", "a *b* c _d_ e"),
        ("*a **b** c*", "_a *b* c_"),
        ("`code`", "```code```"),
        ("run `pip install x_y` now", "run ```pip install x_y``` now"),
        ("```x```", "```x```"),  # WhatsApp monospace already
        ("# Heading", "*Heading*"),
        ("## Sub heading ##\ntext", "*Sub heading*\ntext"),
        ("### **Bold** heading", "*Bold heading*"),
        ("[the site](https://example.com)", "the site (https://example.com)"),
        ("[https://x.com](https://x.com)", "https://x.com"),
        ("![logo](https://x.com/logo.png)", "logo (https://x.com/logo.png)"),
        ("<https://x.com/a_b_>", "https://x.com/a_b_"),
    ],
)
def test_markdown(text: str, expected: str) -> None:
    assert to_whatsapp(text) == expected


def test_fenced_code_is_kept_without_language_and_without_formatting() -> None:
    text = "Run:\n\n```python\nx = '**not bold**'  # _no_\n\n\n\ny = 1\n```\n\n**done**"
    assert to_whatsapp(text) == (
        "Run:\n\n```\nx = '**not bold**'  # _no_\n\n\n\ny = 1\n```\n\n*done*"
    )


def test_unclosed_fence_runs_to_the_end() -> None:
    assert to_whatsapp("```\n**x**") == "```\n**x**\n```"


@pytest.mark.parametrize(
    "text",
    [
        "snake_case_name and file_name.txt",
        "2*3*4 = 24",
        "5 * 3 = 15 and 2 ** 8",
        "Seu pedido #123 chegou. Tudo bem?",
        "#hashtag",
        "* item one\n* item two\n- item three",
        "a < b and c > d, <3",
        "Use the <nome do paciente> field",
        "AT&T and R&D",
        "price: R$ 10,00 ~ R$ 12,00",
        "Olá, Maria!\nSua consulta é amanhã às 10h.\n\nAtenciosamente,\nEquipe",
        "   leading and trailing   ",
    ],
)
def test_plain_text_is_only_trimmed(text: str) -> None:
    assert to_whatsapp(text) == text.strip()


@pytest.mark.parametrize(
    "url",
    [
        "https://example.com/a_b_c",
        "https://example.com/*star*/x",
        "https://example.com/~user/x~y",
        "http://example.com/path?q=a_b&r=__c__#frag_x",
        "https://en.wikipedia.org/wiki/Foo_(bar)",
        "www.example.com/some_path_",
    ],
)
def test_bare_urls_are_kept_intact(url: str) -> None:
    assert to_whatsapp(f"see {url} now") == f"see {url} now"
    assert to_whatsapp(f"**see {url}**") == f"*see {url}*"
    assert to_whatsapp(f"_{url}_.") == f"_{url}_."


def test_url_keeps_out_trailing_punctuation() -> None:
    assert (
        to_whatsapp("Go to https://x.com/a_b. Then *rest*")
        == "Go to https://x.com/a_b. Then _rest_"
    )
    assert to_whatsapp("(https://x.com/a_b)") == "(https://x.com/a_b)"


def test_blank_lines_collapse() -> None:
    assert to_whatsapp("a\n\n\n\nb\n \n\t\nc\n\nd\ne") == "a\n\nb\n\nc\n\nd\ne"


@pytest.mark.parametrize(
    ("html", "expected"),
    [
        ("<b>bold</b> <strong>strong</strong>", "*bold* *strong*"),
        ("<i>it</i> <em>em</em>", "_it_ _em_"),
        ("<s>s</s> <del>del</del> <strike>strike</strike>", "~s~ ~del~ ~strike~"),
        ("<code>x*y_z</code>", "```x*y_z```"),
        ("<pre><code>a = 1\n  b = **2**</code></pre>", "```\na = 1\n  b = **2**\n```"),
        ("<b> spaced </b>out", "*spaced* out"),
        ("<B>upper</B>", "*upper*"),
        ("line<br>two<br/>three<BR />four", "line\ntwo\nthree\nfour"),
        ("<p>one</p><p>two</p>", "one\n\ntwo"),
        ("<div>one</div><div>two</div>", "one\ntwo"),
        ("<ul>\n  <li>one</li>\n  <li>two</li>\n</ul>", "- one\n- two"),
        ("<ol><li>one</li><li><b>two</b></li></ol>", "- one\n- *two*"),
        ("<h2>Title</h2>text", "*Title*\n\ntext"),
        ('<a href="https://x.com/a_b">site</a>', "site (https://x.com/a_b)"),
        ("<a href='https://x.com'>https://x.com</a>", "https://x.com"),
        ("<a href='/relative'>page</a>", "page"),
        ("<a href='javascript:alert(1)'>click</a>", "click"),
        ("<a>no href</a>", "no href"),
        ("<script>alert('x')</script>hi<style>p { color: red }</style>", "hi"),
        ("Tom &amp; Jerry &lt;3 &#233;&eacute; &quot;q&quot;", 'Tom & Jerry <3 éé "q"'),
        ("<span style='x'>kept</span> <font>text</font>", "kept text"),
        ("<!-- comment -->visible", "visible"),
        ("<b>unclosed", "unclosed"),
        ("text</b>", "text"),
        ("<p>**markdown** inside</p>", "*markdown* inside"),
        ("<b>https://x.com/a_b</b>", "*https://x.com/a_b*"),
        ("<p>Hello <nome></p>", "Hello <nome>"),
        ("`<br>` is a tag", "```<br>``` is a tag"),
    ],
)
def test_html(html: str, expected: str) -> None:
    assert to_whatsapp(html) == expected


def test_html_document() -> None:
    html = """
    <html><head><style>body { font: 12px }</style></head>
    <body>
      <h1>Pedido confirmado</h1>
      <p>Olá, <b>Maria</b>!</p>
      <p>Seu pedido de <i>óleo</i> foi   enviado.</p>
      <ul>
        <li>Retire na sede</li>
        <li>Leve o <strong>documento</strong></li>
      </ul>
      <p>Dúvidas: <a href="https://assoc.org/ajuda_faq">ajuda</a></p>
    </body></html>
    """
    assert to_whatsapp(html) == (
        "*Pedido confirmado*\n\n"
        "Olá, *Maria*!\n\n"
        "Seu pedido de _óleo_ foi   enviado.\n\n"
        "- Retire na sede\n"
        "- Leve o *documento*\n\n"
        "Dúvidas: ajuda (https://assoc.org/ajuda_faq)"
    )


# --- to_whatsapp: properties -----------------------------------------------------------------

# No backticks: Markdown code spans show their content, HTML included, as written.
safe_text = st.text(
    alphabet=st.characters(
        codec="utf-8", exclude_characters="<>&`", exclude_categories=("Cs", "Co", "Cc")
    ),
    max_size=20,
)
INLINE_TAGS = ["b", "strong", "i", "em", "s", "del", "strike", "code", "span", "a"]
BLOCK_TAGS = ["p", "div", "li", "ul", "ol", "pre", "h1", "h3"]


def element(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    def render(tag: str, attrs: str, inner: list[str], closed: bool) -> str:
        return f"<{tag}{attrs}>{''.join(inner)}{f'</{tag}>' if closed else ''}"

    return st.builds(
        render,
        st.sampled_from(INLINE_TAGS + BLOCK_TAGS),
        st.sampled_from(["", ' href="https://x.com/a_b"', " class='c'"]),
        st.lists(children, max_size=3),
        st.booleans(),
    )


html_fragments = st.recursive(
    st.one_of(
        safe_text,
        st.sampled_from(["<br>", "<br/>", "&amp;", "&eacute;", "<script>x < y</script>"]),
        st.just("<style>p { color: red }</style>"),
    ),
    element,
    max_leaves=12,
)


@settings(deadline=None)
@given(st.lists(html_fragments, max_size=5).map("".join))
def test_no_handled_html_tag_is_left(html: str) -> None:
    out = to_whatsapp(html)
    assert not HANDLED_TAG.search(out)
    assert "color: red" not in out
    assert "x < y" not in out


url_chars = "abcdefghijklmnopqrstuvwxyz0123456789-_~*./=?&%#+"
urls = st.builds(
    lambda scheme, host, path, end: f"{scheme}{host}.com/{path}{end}",
    st.sampled_from(["https://", "http://", "https://www."]),
    st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=1, max_size=10),
    st.text(alphabet=url_chars, max_size=30),
    st.sampled_from("abcxyz0189/"),
)
url_contexts = st.sampled_from(
    [
        "{u}",
        "see {u} now",
        "**{u}**",
        "*{u}*",
        "_{u}_",
        "__{u}__",
        "~~{u}~~",
        "(see {u}).",
        "[link]({u})",
        "[**bold** link]({u}) and *more*",
        "# {u}",
        "<{u}>",
        '<a href="{u}">text</a>',
        "<b>{u}</b>",
        "<p>go: {u}</p>",
        "*a* {u} _b_ **c** {u}",
    ]
)


@settings(deadline=None)
@given(st.lists(st.tuples(url_contexts, urls), min_size=1, max_size=4))
def test_urls_are_kept_intact(parts: list[tuple[str, str]]) -> None:
    out = to_whatsapp("\n".join(context.format(u=url) for context, url in parts))
    for _, url in parts:
        assert url in out


plain_lines = st.text(
    alphabet=st.characters(
        codec="utf-8",
        exclude_characters="*_~`#<>&[]\n\r",
        exclude_categories=("Cs", "Co", "Cc", "Zl", "Zp"),
    ),
    max_size=40,
)


@given(st.lists(plain_lines, max_size=6), st.sampled_from(["\n", "\n\n"]))
def test_plain_text_comes_back_trimmed(lines: list[str], separator: str) -> None:
    text = separator.join(lines)
    if re.search(r"\n[^\S\n]*\n[^\S\n]*\n", text):
        return  # 2+ blank lines (whitespace-only lines count) are collapsed on purpose
    assert to_whatsapp(text) == text.strip()


# --- split_message: examples -----------------------------------------------------------------


def test_split_limit_must_be_positive() -> None:
    with pytest.raises(ValueError, match="limit"):
        split_message("text", 0)
    with pytest.raises(ValueError, match="limit"):
        split_message("text", -5)


@pytest.mark.parametrize("text", ["", "   ", "\n\n\t "])
def test_split_blank_is_empty(text: str) -> None:
    assert split_message(text) == []


def test_split_short_text_is_one_stripped_chunk() -> None:
    assert split_message("  hello  ") == ["hello"]
    assert split_message("x" * MAX_MESSAGE_LENGTH) == ["x" * MAX_MESSAGE_LENGTH]
    assert split_message("abcde", 5) == ["abcde"]


def test_split_prefers_paragraphs() -> None:
    text = "First line.\nSecond line.\n\nThird. Fourth line."
    assert split_message(text, 30) == ["First line.\nSecond line.", "Third. Fourth line."]


def test_split_prefers_lines_over_sentences() -> None:
    text = "One. Two. Three\nfour five six"
    assert split_message(text, 20) == ["One. Two. Three", "four five six"]


def test_split_prefers_sentences_over_words() -> None:
    text = "Hello there. This is a test! Is it? Yes it is."
    assert split_message(text, 20) == ["Hello there.", "This is a test!", "Is it? Yes it is."]


def test_split_sentence_may_end_with_a_quote() -> None:
    text = 'He said "hi." And then left us.'
    assert split_message(text, 17) == ['He said "hi."', "And then left us."]


def test_split_at_ideographic_full_stop() -> None:
    assert split_message("你好。世界。这是一个句子", 8) == ["你好。世界。", "这是一个句子"]


def test_split_falls_back_to_words_then_inside_words() -> None:
    assert split_message("alpha beta gamma delta", 11) == ["alpha beta", "gamma delta"]
    assert split_message("a" * 25, 10) == ["a" * 10, "a" * 10, "a" * 5]
    assert split_message("ab " + "c" * 12, 5) == ["ab", "ccccc", "ccccc", "cc"]


def test_split_limit_one() -> None:
    assert split_message("ab c", 1) == ["a", "b", "c"]


def test_split_default_limit_is_whatsapps() -> None:
    paragraph = " ".join(["palavra"] * 100) + "."
    chunks = split_message("\n\n".join([paragraph] * 30))
    assert all(len(chunk) <= 4096 for chunk in chunks)
    assert all(chunk.endswith(".") for chunk in chunks)  # every cut is at a paragraph break


# --- split_message: properties ---------------------------------------------------------------


def assert_words_kept(text: str, chunks: list[str], limit: int) -> None:
    """The chunks hold the text's words in order; only a word over the limit may be cut."""
    pieces = iter([word for chunk in chunks for word in chunk.split()])
    for word in text.split():
        if len(word) <= limit:
            assert next(pieces) == word
        else:
            rebuilt = ""
            while rebuilt != word:
                rebuilt += next(pieces)
                assert word.startswith(rebuilt)
    assert next(pieces, None) is None


def assert_valid_split(text: str, limit: int) -> None:
    chunks = split_message(text, limit)
    assert all(0 < len(chunk) <= limit for chunk in chunks)
    assert all(chunk == chunk.strip() for chunk in chunks)
    assert_words_kept(text, chunks, limit)


words = st.one_of(
    st.text(alphabet="abcdefghijklmnopqrstuvwxyzáéçã0123456789", min_size=1, max_size=12),
    st.text(alphabet="xyz", min_size=20, max_size=300),  # longer than small limits
    st.sampled_from(["你好。世界。", "(nota)", '"citação."', "...", "!", "https://x.com/a_b"]),
)
sentences = st.builds(
    lambda ws, end: " ".join(ws) + end,
    st.lists(words, min_size=1, max_size=15),
    st.sampled_from([".", "!", "?", "。", "", "...", '."']),
)
paragraphs = st.builds(
    lambda ss, seps: "".join(s + sep for s, sep in zip(ss, seps, strict=False)),
    st.lists(sentences, min_size=1, max_size=6),
    st.lists(st.sampled_from([" ", "\n", "  ", " \t"]), min_size=6, max_size=6),
)
texts = st.builds(
    lambda ps, sep: sep.join(ps),
    st.lists(paragraphs, min_size=1, max_size=5),
    st.sampled_from(["\n\n", "\n\n\n", "\n \n", "\r\n\r\n"]),
)


@settings(deadline=None)
@given(texts, st.integers(20, 200))
def test_split_chunks_fit_and_keep_every_word(text: str, limit: int) -> None:
    assert_valid_split(text, limit)


@settings(deadline=None)
@given(st.text(), st.integers(1, 30))
def test_split_any_text(text: str, limit: int) -> None:
    assert_valid_split(text, limit)
