from __future__ import annotations

import random
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.support.hypothesis_profiles import examples

from wa_crm.domain.model.knowledge import RELEVANT_SCORE
from wa_crm.domain.model.knowledge_text import (
    MAX_PASSAGES,
    PASSAGE_CHARS,
    Candidate,
    answer_hints,
    question_key,
    question_terms,
    rank_passages,
    search_terms,
    split_into_passages,
)


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("associacao", "associação"),
        ("associações", "Associação"),
        ("ASSOCIACOES", "associação"),
        ("entregas", "entrega"),
        ("medicacao", "medicação"),
        ("inscrições", "inscricao"),
        ("doacoes", "doação"),
        ("Horários", "horario"),
    ],
)
def test_forms_of_a_word_give_one_term(one: str, other: str) -> None:
    assert search_terms(one) == search_terms(other)
    assert len(search_terms(one)) == 1


def test_stopwords_and_punctuation_are_dropped() -> None:
    assert search_terms("Qual é o horário de atendimento da associação?") == search_terms(
        "horário atendimento associação"
    )
    assert search_terms("o que é que você quer?") == ["quer"]


@pytest.mark.parametrize(
    ("written", "meant"),
    [
        ("qnd é a entrega em BH?", "quando é a entrega em Belo Horizonte?"),
        ("qto custa o frete pra SP", "quanto custa o frete para São Paulo"),
        ("posso mandar os docs pelo zap", "posso mandar os documentos pelo WhatsApp"),
        ("to sem o comprovante de pgto", "estou sem o comprovante de pagamento"),
    ],
)
def test_abbreviations_give_the_words_they_stand_for(written: str, meant: str) -> None:
    assert search_terms(written) == search_terms(meant)


def test_a_hyphenated_word_finds_its_parts_and_the_word_joined() -> None:
    assert set(search_terms("email")) < set(search_terms("mande um e-mail"))
    assert set(search_terms("online")) < set(search_terms("encontro on-line"))
    assert set(search_terms("terça")) < set(search_terms("terça-feira"))


def test_the_same_question_has_one_key_whatever_its_case_accents_or_punctuation() -> None:
    assert question_key("  Qual o HORÁRIO,   de entrega?? ") == question_key(
        "qual o horario de entrega"
    )
    assert question_key("qual o horário de entrega") != question_key("qual o horário")


accented_words = st.text(alphabet="abcçdeéêfghiíjlmnoóôõpqrstuúvxzãâáà", min_size=1, max_size=12)


@settings(max_examples=examples(100))
@given(st.lists(accented_words, min_size=1, max_size=8))
def test_terms_ignore_case_and_accents(words: list[str]) -> None:
    text = " ".join(words)
    plain = text.translate(str.maketrans("çéêíóôõúãâáà", "ceeiooouaaaa"))
    assert search_terms(text.upper()) == search_terms(plain)


def test_a_heading_starts_a_passage_and_stays_in_it() -> None:
    text = (
        "# Associação\n\nSomos uma associação de pacientes.\n\n"
        "## Entregas\nEntregamos às terças.\n\nE às quintas."
    )
    assert split_into_passages(text) == [
        "# Associação\n\nSomos uma associação de pacientes.",
        "## Entregas\nEntregamos às terças.\n\nE às quintas.",
    ]


def test_paragraphs_are_joined_up_to_the_passage_size() -> None:
    paragraph = "Uma frase de exemplo com algumas palavras. " * 4
    passages = split_into_passages("\n\n".join([paragraph.strip()] * 10))
    assert 1 < len(passages) < 10
    assert all(len(passage) <= PASSAGE_CHARS for passage in passages)


def test_a_long_paragraph_is_split_between_sentences() -> None:
    sentences = [f"Esta é a frase número {n} do parágrafo longo." for n in range(60)]
    passages = split_into_passages(" ".join(sentences))
    assert len(passages) > 1
    for passage in passages:
        assert passage.endswith("."), passage
        assert len(passage) <= PASSAGE_CHARS


def test_only_a_sentence_longer_than_a_passage_is_cut_between_words() -> None:
    sentence = " ".join(["palavra"] * 300)
    passages = split_into_passages(sentence)
    assert len(passages) > 1
    assert all(len(passage) <= PASSAGE_CHARS for passage in passages)
    assert " ".join(passages) == sentence


def test_empty_text_has_no_passages_and_a_huge_one_is_capped() -> None:
    assert split_into_passages(" \n\n \n") == []
    assert len(split_into_passages("\n\n".join(f"# {n}" for n in range(3000)))) == MAX_PASSAGES


sentence = st.builds(
    lambda words, end: " ".join(words) + end,
    st.lists(
        st.sampled_from(["entrega", "óleo", "receita", "a", "Anvisa", "x" * 90]),
        min_size=1,
        max_size=30,
    ),
    st.sampled_from([".", "!", "?"]),
)
block = st.one_of(
    st.lists(sentence, min_size=1, max_size=12).map(" ".join),
    sentence.map(lambda s: f"## {s}"),
)


@settings(max_examples=examples(100))
@given(st.lists(block, max_size=15))
def test_passages_cover_the_text_in_order(blocks: list[str]) -> None:
    text = "\n\n".join(blocks)
    passages = split_into_passages(text)
    assert all(passage.strip() for passage in passages)
    assert re.findall(r"\S+", " ".join(passages)) == re.findall(r"\S+", text)


CORPUS = {
    "entregas": "As entregas de medicamentos são feitas às terças e quintas, na sede.",
    "associar": "Para se associar à associação, traga receita médica e documento com foto.",
    "horario": "O horário de atendimento é de segunda a sexta, das 9h às 17h.",
    "anuidade": "A anuidade da associação custa R$ 120 e pode ser paga em 3 vezes.",
}


def candidates(corpus: dict[str, str]) -> list[Candidate]:
    return [
        Candidate(document_id=key, position=0, title=key, text=text, terms=search_terms(text))
        for key, text in corpus.items()
    ]


def best(question: str, limit: int = 3) -> list[tuple[str, float]]:
    ranked = rank_passages(search_terms(question), candidates(CORPUS), len(CORPUS), limit)
    return [(entry.candidate.document_id, entry.score) for entry in ranked]


def test_an_on_topic_question_is_relevant_and_an_off_topic_one_is_not() -> None:
    (top, score), *_ = best("Quando são as entregas?")
    assert top == "entregas" and score >= RELEVANT_SCORE
    (top, score), *_ = best("qual o horario de atendimento?")
    assert top == "horario" and score >= RELEVANT_SCORE
    assert best("qual a capital da França?") == []
    assert all(score < RELEVANT_SCORE for _, score in best("qual a cor da sede da associação?"))


def test_the_hybrid_rank_finds_a_paraphrase_sharing_no_word() -> None:
    embedded = [
        Candidate(
            "a", 0, "a", "Entregamos às terças.", search_terms("Entregamos às terças."), (1.0, 0.0)
        ),
        Candidate(
            "b", 0, "b", "Anuidade de R$ 120.", search_terms("Anuidade de R$ 120."), (0.0, 1.0)
        ),
    ]
    ranked = rank_passages(search_terms("quando chega o remédio"), embedded, 2, 3, (0.9, 0.1))
    assert [entry.candidate.document_id for entry in ranked] == ["a", "b"]
    assert ranked[0].score >= RELEVANT_SCORE > ranked[1].score


@settings(max_examples=examples(100))
@given(
    st.lists(
        st.sampled_from([*CORPUS.values(), "entregas", "receita receita"]),
        min_size=1,
        max_size=12,
    ),
    st.sampled_from(["entregas receita", "associação anuidade", "horário", "receita"]),
    st.randoms(use_true_random=False),
)
def test_scores_are_between_0_and_1_and_the_rank_ignores_candidate_order(
    texts: list[str], question: str, shuffler: random.Random
) -> None:
    pool = [
        Candidate(document_id=f"d{n % 3}", position=n, title="", text=t, terms=search_terms(t))
        for n, t in enumerate(texts)
    ]
    shuffled = list(pool)
    shuffler.shuffle(shuffled)
    terms = search_terms(question)
    ranked = rank_passages(terms, pool, len(pool), 5)
    assert ranked == rank_passages(terms, shuffled, len(pool), 5)
    assert all(0 <= entry.score <= 1 for entry in ranked)
    assert [entry.score for entry in ranked] == sorted(
        (entry.score for entry in ranked), reverse=True
    )


def _sections(title: str, *texts: str) -> list[Candidate]:
    return [
        Candidate("d", position, title, text, search_terms(f"{title} {text}"))
        for position, text in enumerate(texts)
    ]


def test_among_passages_holding_every_term_the_section_about_it_comes_first() -> None:
    candidates = _sections(
        "Como se associar",
        "A associação atende associados de todo o país, com documento e receita.",
        "## Documentos necessários\n\n- Receita médica.\n- RG e CPF.",
    )
    question = "quais documentos preciso pra me associar?"

    ranked = rank_passages(question_terms(question), candidates, 2, 2)

    assert ranked[0].score == ranked[1].score == 1.0
    assert ranked[0].candidate.position == 1


def test_a_when_question_prefers_the_passage_naming_days() -> None:
    candidates = _sections(
        "Calendário de entregas do óleo",
        "A associação entrega o óleo a cada região no seu dia fixo de entrega.",
        "## Rotas\n\n- BH: toda terça-feira.\n- São Paulo: toda quarta-feira.",
    )
    question = "quando é a entrega do óleo?"

    by_words = rank_passages(question_terms(question), candidates, 2, 2)
    by_kind = rank_passages(
        question_terms(question), candidates, 2, 2, hints=answer_hints(question)
    )

    assert by_words[0].candidate.position == 0
    assert by_kind[0].candidate.position == 1
    assert [s.score for s in by_kind] == [s.score for s in by_words]
