"""``examples/sse_agent_client.py --demo``: the client prints the SSE events, answers both
patient messages through the API, and after a dropped connection resumes with Last-Event-ID,
getting what happened while it was away, each event once."""

from __future__ import annotations

import re

from tests.examples.runner import EXAMPLES, RunExample

EVENT = re.compile(r"^\[(\d+)\] ([a-z.]+): (.*)$")


def test_the_client_answers_and_resumes_after_a_reconnect(run_example: RunExample) -> None:
    out = run_example(EXAMPLES / "sse_agent_client.py", "--demo").stdout
    lines = out.splitlines()

    resumed = next(i for i, line in enumerate(lines) if "reconnecting with Last-Event-ID" in line)
    last_seen = int(lines[resumed].rsplit(" ", 1)[1])
    before = [EVENT.match(line) for line in lines[:resumed]]
    after = [EVENT.match(line) for line in lines[resumed:]]
    ids_before = [int(m.group(1)) for m in before if m]
    ids_after = [int(m.group(1)) for m in after if m]
    assert ids_before[-1] == last_seen
    assert ids_after[0] == last_seen + 1, "the stream resumes right after the last event seen"
    assert ids_after == sorted(set(ids_after)), "no event twice, in order"

    events_after = [(m.group(2), m.group(3)) for m in after if m]
    assert ("message.created", "agent (out): Olá, Maria! Sou a Ana, da equipe.") in events_after
    assert (
        "message.created",
        "contact (in): Obrigada! E quando chega a minha carteirinha?",
    ) in events_after, "the message written while the client was offline is replayed"
    assert lines[-1] == (
        "-- the patient's phone received: "
        "['Olá, Maria! Sou a Ana, da equipe.', 'Chega em até 15 dias.']"
    )
