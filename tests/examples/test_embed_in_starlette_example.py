"""``examples/embed_in_starlette.py``: wa_crm mounted in a host Starlette app answers beside the
host's own route, over real HTTP, with the association and agent the host created in code."""

from __future__ import annotations

from pathlib import Path

from tests.examples.runner import EXAMPLES, RunExample


def test_the_host_and_wa_crm_answer_side_by_side(run_example: RunExample, tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()

    out = run_example(EXAMPLES / "embed_in_starlette.py", "--check", "--data-dir", data).stdout

    lines = out.splitlines()
    assert lines[0].startswith("created association clinic")
    assert lines[1] == "created admin admin@clinic.example"
    assert "GET /hello -> 200 {'app': 'host'" in out
    assert "GET /healthz -> 200 {'status': 'ok'}" in out
    assert "GET /api/associations/clinic/conversations -> 200 {'items': []" in out
    assert "GET /api/associations/clinic/bot -> 200 {'enabled': True, 'provider': 'rules'" in out
    assert "GET /login -> 200 text/html" in out
    assert (data / "wa_crm.db").is_file()
