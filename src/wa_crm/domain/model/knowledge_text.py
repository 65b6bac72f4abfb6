"""How the knowledge base reads text: the terms a question and a passage are compared by, how
a document is split into passages, and the one scorer every adapter ranks candidates with
(architecture.md section 4, item 3).

Terms are lowercase, unaccented Portuguese Snowball stems without stopwords, so "associacao",
"Associação" and "associações" are one term and "entregas" finds "entrega". Adapters may find
their candidates however their store does best (a dict, FTS5, a tsvector), but they all rank
them with ``rank_passages``, so memory, SQLite and PostgreSQL agree on the best passages.
"""

from __future__ import annotations

import math
import re
import unicodedata
from array import array
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from operator import mul

import snowballstemmer

from wa_crm.domain.model.knowledge import Passage

PASSAGE_CHARS = 700
"""A passage is paragraphs joined up to about this many characters."""

MAX_PASSAGES = 1000
"""A document is indexed up to this many passages (about 700 KB of prose); what a document
of a thousand tiny sections has beyond them is left out rather than slowing every search."""

MAX_QUESTION_TERMS = 64

_STEMMER = snowballstemmer.stemmer("portuguese")

_STOPWORD_TEXT = """
    a ao aos aquela aquelas aquele aqueles aquilo as ate com como contra da das de dela delas
    dele deles depois do dos e ela elas ele eles em entre era eram essa essas esse esses esta
    estas este estes estou eu foi for foram ha isso isto ja la lhe lhes mais mas me mesmo meu
    meus minha minhas muito na nas nem no nos nossa nossas nosso nossos num numa o os ou para
    pela pelas pelo pelos por pra pro qual quais qualquer quando que quem se sem ser seu seus so
    sua suas tambem te tem tenho ter teu tua um uma umas uns voce voces vc vcs vos
    e eh sao nao sim estar esta estao sobre ai aqui onde oi ola ok obrigado obrigada
    gostaria queria quero preciso saber favor poderia pode podem posso consigo
    faco faz fazer fazem fazemos devo deve vou vai ir fica existe existem temos teria
    alguem algum alguma alguns coisa tudo bem bom boa dia dias tarde noite entao tipo
    quanto quanta quantos quantas
"""
_STOPWORDS = frozenset(_STOPWORD_TEXT.split())
"""Portuguese function words, question words and courtesy, unaccented: they carry no topic."""

_NASAL_ENDINGS = (
    ("coes", "ção"),
    ("cao", "ção"),
    ("oes", "ão"),
    ("aes", "ão"),
    ("aos", "ão"),
    ("ao", "ão"),
)
"""Unaccented nasal endings put back to the singular "-ão" the Snowball stemmer knows, so a
word typed without accents, or in the plural, stems as the accented singular does."""

_ABBREVIATIONS = {
    "bh": "belo horizonte",
    "sp": "sao paulo",
    "rj": "rio de janeiro",
    "qnd": "quando",
    "qdo": "quando",
    "qndo": "quando",
    "qto": "quanto",
    "qtos": "quantos",
    "qts": "quantos",
    "q": "que",
    "pq": "porque",
    "tb": "tambem",
    "tbm": "tambem",
    "hj": "hoje",
    "td": "tudo",
    "tds": "todos",
    "msg": "mensagem",
    "msgs": "mensagens",
    "zap": "whatsapp",
    "wpp": "whatsapp",
    "whats": "whatsapp",
    "pgto": "pagamento",
    "pagto": "pagamento",
    "doc": "documento",
    "docs": "documentos",
    "info": "informacao",
    "tel": "telefone",
    "cel": "celular",
    "hr": "hora",
    "hrs": "horas",
    "mt": "muito",
    "mto": "muito",
    "dps": "depois",
    "agr": "agora",
    "oq": "o que",
    "n": "nao",
    "to": "estou",
}
"""How people write on WhatsApp, unaccented, put back as the words documents use ("bh" is
"belo horizonte", "qnd" is "quando"); expanded in documents and questions alike."""

_WORD = re.compile(r"[^\W_]+")
_COMPOUND = re.compile(r"[^\W_]+(?:-[^\W_]+)*")
_HEADING = re.compile(r"^#{1,6}\s")
_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+")


def unaccented(text: str) -> str:
    """Lowercase without accents."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def search_terms(text: str) -> list[str]:
    """The text's terms in order (repeats kept, stopwords dropped), abbreviations expanded; a
    hyphenated word gives its parts and the word joined, so "e-mail" finds "email" and
    "on-line" finds "online"."""
    return [
        _term(word)
        for compound in _COMPOUND.findall(unaccented(text))
        for word in _words_of(compound)
        if word not in _STOPWORDS
    ]


def _words_of(compound: str) -> list[str]:
    parts = compound.split("-")
    words = [*parts, "".join(parts)] if len(parts) > 1 else parts
    return [expanded for word in words for expanded in _ABBREVIATIONS.get(word, word).split()]


def question_terms(question: str) -> list[str]:
    """The distinct terms a question is searched by, sorted: its first ``MAX_QUESTION_TERMS``
    (a pasted page is still one bounded query)."""
    return sorted(list(dict.fromkeys(search_terms(question)))[:MAX_QUESTION_TERMS])


_ANSWER_HINTS = (
    # A question asking when, how much, where or how wants a passage naming days and hours,
    # amounts, places or steps; these words break ties among passages that hold all of the
    # question's terms, and never count in a score (they are not what the question is about).
    (
        re.compile(r"\b(?:quando|qnd|que dia|qual dia|que horas?|horario|when|what time)\b"),
        "dia semana horario data segunda terca quarta quinta sexta sabado domingo mes",
    ),
    (
        re.compile(r"\b(?:quanto|qto|quanta|valor|preco|custa|how much|price)\b"),
        "valor reais preco custo mensal pagamento",
    ),
    (re.compile(r"\b(?:onde|aonde|where)\b"), "endereco rua cidade local regiao"),
    (re.compile(r"\b(?:como|how)\b"), "passo etapa primeiro preencha envie"),
)


def answer_hints(question: str) -> list[str]:
    """Terms a passage answering this kind of question tends to hold (see ``_ANSWER_HINTS``)."""
    said = unaccented(question)
    return [
        term
        for pattern, hints in _ANSWER_HINTS
        if pattern.search(said)
        for term in dict.fromkeys(_term(word) for word in hints.split())
    ]


def question_key(text: str) -> str:
    """What makes two questions "the same": words without case, accents or punctuation."""
    return " ".join(_WORD.findall(unaccented(text)))


@lru_cache(maxsize=65_536)
def _term(word: str) -> str:
    """Cached: Snowball in pure Python costs some 80 µs a word, and a document repeats its
    words (a passage of 700 characters has about a hundred)."""
    if len(word) > 3:
        for ending, accented in _NASAL_ENDINGS:
            if word.endswith(ending):
                word = word[: -len(ending)] + accented
                break
    return unaccented(_STEMMER.stemWord(word))


def split_into_passages(text: str) -> list[str]:
    """The text in passages, in order: a Markdown heading starts one (and stays in it, for
    context); paragraphs are joined up to ``PASSAGE_CHARS``; a longer paragraph is split
    between sentences, and only a sentence longer than that is cut between words."""
    passages: list[str] = []
    current: list[str] = []
    for block in _blocks(text):
        if current and (
            _HEADING.match(block) or len("\n\n".join([*current, block])) > PASSAGE_CHARS
        ):
            passages.append("\n\n".join(current))
            current = []
        if len(block) <= PASSAGE_CHARS:
            current.append(block)
            continue
        pieces = _pieces_of(block)
        passages.extend(pieces[:-1])
        current = [pieces[-1]]
    if current:
        passages.append("\n\n".join(current))
    return passages[:MAX_PASSAGES]


def _blocks(text: str) -> list[str]:
    """Paragraphs (text between blank lines), a heading line always its own block's start."""
    blocks: list[str] = []
    for paragraph in re.split(r"\n\s*\n", text.replace("\r\n", "\n").replace("\r", "\n")):
        lines: list[str] = []
        for line in paragraph.split("\n"):
            if _HEADING.match(line.strip()) and lines:
                blocks.append("\n".join(lines).strip())
                lines = []
            lines.append(line)
        block = "\n".join(lines).strip()
        if block:
            blocks.append(block)
    return [block for block in blocks if block]


def _pieces_of(block: str) -> list[str]:
    """A long paragraph in pieces of whole sentences, each at most ``PASSAGE_CHARS``."""
    pieces: list[str] = []
    current = ""
    for sentence in _sentences(block):
        joined = f"{current} {sentence}" if current else sentence
        if len(joined) <= PASSAGE_CHARS:
            current = joined
            continue
        if current:
            pieces.append(current)
        current = sentence
    if current:
        pieces.append(current)
    return pieces


def _sentences(block: str) -> Iterable[str]:
    for sentence in _SENTENCE_END.split(block):
        yield from _cut_between_words(sentence.strip())


def _cut_between_words(sentence: str) -> list[str]:
    if len(sentence) <= PASSAGE_CHARS:
        return [sentence] if sentence else []
    cuts: list[str] = []
    current = ""
    for word in sentence.split():
        while len(word) > PASSAGE_CHARS:
            if current:
                cuts.append(current)
                current = ""
            cuts.append(word[:PASSAGE_CHARS])
            word = word[PASSAGE_CHARS:]
        joined = f"{current} {word}" if current else word
        if len(joined) <= PASSAGE_CHARS:
            current = joined
        else:
            cuts.append(current)
            current = word
    if current:
        cuts.append(current)
    return cuts


@dataclass(frozen=True)
class Candidate:
    """A stored passage that may answer the question; ``terms`` are its title's and text's."""

    document_id: str
    position: int
    title: str
    text: str
    terms: Sequence[str]
    embedding: Sequence[float] | None = None
    """``stored_embedding``: of unit length, so its cosine with the question's is a dot
    product divided by the question's length alone."""


@dataclass(frozen=True)
class Scored:
    candidate: Candidate
    score: float


_K1 = 1.2
_B = 0.75


def rank_passages(
    question_terms: Sequence[str],
    candidates: Sequence[Candidate],
    passage_count: int,
    limit: int,
    embedding: Sequence[float] | None = None,
    hints: Sequence[str] = (),
) -> list[Scored]:
    """The best ``limit`` candidates, best first, with their scores from 0 to 1.

    Full text: a score is the idf-weighted share of the question's distinct terms the passage
    holds, idf over the association's ``passage_count`` passages (document frequencies are the
    candidates': every passage holding a question's term must be among them). A passage holding
    the question's rare terms answers it; one that shares only a common word, or misses words
    no passage has ("capital", "França"), does not. Equal scores go by how many of the
    question's terms the document's title and the passage's own heading hold (the section
    about it), then by how many ``hints`` (``answer_hints``: days for "quando", amounts for
    "quanto") the passage holds, then BM25, then document id and position, so the order never
    depends on the candidates' order.

    Hybrid (``embedding`` given, candidates then include every passage with an embedding): the
    score is the better of the full-text score and the cosine similarity (below 0 counts as
    0), so a paraphrase sharing no word can still be found, and a passage both find is not
    ranked below either evidence alone; equal scores go by the full-text score, then as above.
    """
    wanted = list(dict.fromkeys(question_terms))
    if limit <= 0 or (not wanted and embedding is None):
        return []
    question_length = math.sqrt(sum(map(mul, embedding, embedding))) if embedding else 0.0
    looked_for, hinted = set(wanted), set(hints)
    ranked: list[tuple[float, float, int, int, float, Scored]] = []
    for candidate, (text_score, bm25) in zip(
        candidates, _text_scores(wanted, candidates, passage_count), strict=True
    ):
        similarity = 0.0
        if embedding is not None and question_length and candidate.embedding is not None:
            similarity = _similarity(embedding, question_length, candidate.embedding)
        score = round(min(max(text_score, similarity), 1.0), 6)
        if score > 0:
            on_topic = len(looked_for.intersection(_topic_terms(candidate)))
            hint_count = len(hinted.intersection(candidate.terms))
            ranked.append(
                (
                    score,
                    round(text_score, 6),
                    on_topic,
                    hint_count,
                    round(bm25, 9),
                    Scored(candidate, score),
                )
            )
    ranked.sort(
        key=lambda item: (
            -item[0],
            -item[1],
            -item[2],
            -item[3],
            -item[4],
            item[5].candidate.document_id,
            item[5].candidate.position,
        )
    )
    return [entry for *_, entry in ranked[:limit]]


def best_passages(
    question: str,
    candidates: Sequence[Candidate],
    passage_count: int,
    limit: int,
    embedding: Sequence[float] | None = None,
) -> list[Passage]:
    """What every adapter answers a search with: its candidates ranked (``rank_passages``) for
    the question, as passages."""
    ranked = rank_passages(
        question_terms(question),
        candidates,
        passage_count,
        limit,
        embedding,
        answer_hints(question),
    )
    return [
        Passage(
            document_id=entry.candidate.document_id,
            title=entry.candidate.title,
            text=entry.candidate.text,
            score=entry.score,
        )
        for entry in ranked
    ]


def _topic_terms(candidate: Candidate) -> list[str]:
    """The terms of the document's title and of the passage's heading, when it opens with one."""
    first_line = candidate.text.lstrip().split("\n", 1)[0]
    heading = first_line if _HEADING.match(first_line) else ""
    return search_terms(f"{candidate.title} {heading}")


def _text_scores(
    wanted: Sequence[str], candidates: Sequence[Candidate], passage_count: int
) -> list[tuple[float, float]]:
    """Each candidate's idf-weighted share of the question's terms, and its BM25; (0, 0) for
    a candidate holding none of them (one found by its embedding alone)."""
    looked_for = set(wanted)
    counts = [
        None if looked_for.isdisjoint(candidate.terms) else Counter(candidate.terms)
        for candidate in candidates
    ]
    matching = [held for held in counts if held is not None]
    total = max(passage_count, len(matching), 1)
    frequency = {term: sum(1 for held in matching if term in held) for term in wanted}
    idf = {
        term: math.log(1 + (total - frequency[term] + 0.5) / (frequency[term] + 0.5))
        for term in wanted
    }
    weight = sum(idf.values())
    average_length = sum(sum(held.values()) for held in matching) / max(len(matching), 1)
    scores: list[tuple[float, float]] = []
    for held in counts:
        if held is None:
            scores.append((0.0, 0.0))
            continue
        present = [term for term in wanted if term in held]
        length = sum(held.values()) / max(average_length, 1.0)
        bm25 = sum(
            idf[term] * held[term] * (_K1 + 1) / (held[term] + _K1 * (1 - _B + _B * length))
            for term in present
        )
        scores.append((sum(idf[term] for term in present) / weight, bm25))
    return scores


def _similarity(
    question: Sequence[float], question_length: float, passage: Sequence[float]
) -> float:
    """Cosine with a unit-length passage vector, below 0 as 0; 0 for another dimension."""
    if len(passage) != len(question):
        return 0.0
    dot: float = sum(map(mul, question, passage))
    return max(dot / question_length, 0.0)


def stored_embedding(vector: Sequence[float]) -> array[float]:
    """The vector as every adapter keeps it: of unit length, in single precision (what the SQL
    adapter stores, four bytes a value), so all of them rank with the same numbers."""
    norm = math.sqrt(sum(map(mul, vector, vector)))
    return array("f", [x / norm for x in vector] if norm else vector)
