"""What a contact's message asks, for the rules assistant: an order's status, or a question.

Words are compared without case or accents. "entrega" alone is not about the contact's order
("quando é a entrega do óleo?" asks about the association's delivery days): it needs a
possessive ("minha entrega") or a tracking sense ("a entrega chegou?"). The order words proper
(pedido, encomenda, in the singular) are about the contact's order unless the message asks how
to place one ("como faço um pedido?"), which the association's documents answer; a plural or
"compra" needs the possessive or tracking sense too ("o frete dos pedidos" is about shipping).
"""

from __future__ import annotations

import re

from wa_crm.domain.model.text import normalized

_WORD = re.compile(r"[^\W_]+")

_TRACKING = frozenset({"rastreio", "rastrear", "rastreamento", "tracking", "track"})
_ORDER_NOUNS = frozenset({"pedido", "encomenda", "order"})
_DELIVERY_NOUNS = frozenset(
    {
        "pedidos", "encomendas", "orders", "compra", "compras", "entrega", "entregas",
        "delivery", "package", "parcel",
    }
)  # fmt: skip
_POSSESSIVES = frozenset({"meu", "minha", "meus", "minhas", "my"})
_WHERABOUTS = frozenset(
    {
        "cade", "chegou", "chega", "chegar", "chegando", "enviado", "enviada", "enviou",
        "enviaram", "despachado", "despachada", "postado", "postada", "saiu", "atrasado",
        "atrasada", "status", "situacao", "andamento", "where", "arrived", "arrive", "shipped",
        "sent", "late",
    }
)  # fmt: skip
_PLACING = frozenset(
    {"fazer", "faco", "faz", "realizar", "realizo", "efetuar", "place", "make", "novo", "nova"}
)
_QUESTION_OPENERS = frozenset(
    {
        "voces", "voce", "vcs", "vc", "como", "quando", "onde", "qual", "quais", "quanto",
        "quantos", "quantas", "quem", "pode", "podem", "posso", "poderia", "tem", "existe",
        "existem", "ha", "aceita", "aceitam", "porque", "por", "o", "que", "e", "da",
        "consigo", "what", "how", "when", "where",
        "which", "who", "why", "can", "could", "do", "does", "is", "are", "may",
    }
)  # fmt: skip
_NOT_OPENING_A_QUESTION = {"por": "que", "o": "que", "e": "possivel", "da": "para"}
"""Openers that ask only with the word after them ("por que", "o que", "é possível")."""


def _words(text: str) -> list[str]:
    return _WORD.findall(normalized(text))


def is_order_question(text: str) -> bool:
    """Whether the contact asks about their own order: "cadê meu pedido?", "quero rastrear
    minha encomenda", "minha entrega chegou?"; not "qual o calendário de entregas?"."""
    words = _words(text)
    present = set(words)
    if present & _TRACKING:
        return True
    owned = any(
        word in _ORDER_NOUNS | _DELIVERY_NOUNS and index > 0 and words[index - 1] in _POSSESSIVES
        for index, word in enumerate(words)
    )
    if owned:
        return True
    if present & _DELIVERY_NOUNS:
        return bool(present & _WHERABOUTS)
    if present & _ORDER_NOUNS:
        return bool(present & _WHERABOUTS) or not present & _PLACING
    return False


def is_question(text: str) -> bool:
    """Whether the message asks something: it ends with "?" or opens with a question word
    ("vocês entregam em Campinas", "como funciona a associação")."""
    stripped = text.strip()
    if stripped.endswith("?"):
        return True
    words = _words(stripped)
    if not words or words[0] not in _QUESTION_OPENERS:
        return False
    needed = _NOT_OPENING_A_QUESTION.get(words[0])
    return needed is None or (len(words) > 1 and words[1] == needed)
