"""``examples/custom_ai_provider.py``: a provider registered under a name the association's bot
selects answers a patient who writes through the WAHA simulator, and sees masked text only."""

from __future__ import annotations

from tests.examples.runner import EXAMPLES, RunExample


def test_the_patient_gets_the_custom_providers_answer(run_example: RunExample) -> None:
    out = run_example(EXAMPLES / "custom_ai_provider.py").stdout

    seen = next(line for line in out.splitlines() if line.startswith("the provider saw: "))
    assert "[EMAIL_1]" in seen and "maria@example.org" not in seen
    received = [
        line.removeprefix("patient receives: ")
        for line in out.splitlines()
        if line.startswith("patient receives: ")
    ]
    assert received == [
        "Olá! Aqui é o assistente da Clínica Exemplo.",
        "Atendemos de segunda a sexta, das 9h às 18h. "
        "Enviaremos a confirmação para maria@example.org.",
    ]
