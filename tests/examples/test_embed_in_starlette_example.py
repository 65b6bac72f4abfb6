"""``examples/embed_in_starlette.py``: wa_crm mounted under ``/crm`` in a host Starlette app
answers beside the host's own route, over real HTTP, with the association and agent the host
created in code: its API, and its pages, redirects and scripts under the prefix."""

from __future__ import annotations

from pathlib import Path

from tests.examples.runner import EXAMPLES, RunExample


def test_the_host_and_wa_crm_under_its_prefix_answer_side_by_side(
    run_example: RunExample, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    data.mkdir()

    out = run_example(EXAMPLES / "embed_in_starlette.py", "--check", "--data-dir", data).stdout

    lines = out.splitlines()
    assert lines[0].startswith("created association clinic")
    assert lines[1] == "created admin admin@clinic.example"
    assert "GET /hello -> 200 {'app': 'host'" in out
    assert "GET /crm/healthz -> 200 {'status': 'ok'}" in out
    assert "GET /crm/api/associations/clinic/conversations -> 200 {'items': []" in out
    assert (
        "GET /crm/api/associations/clinic/bot -> 200 {'enabled': True, 'provider': 'rules'" in out
    )
    next_inbox = "next=%2Fcrm%2Fdashboard%2Fclinic%2Finbox"
    assert f"GET /crm/dashboard/clinic/inbox -> 303 /crm/login?{next_inbox}" in out
    assert "POST /crm/login -> 303 /crm/dashboard/clinic/inbox" in out
    assert "GET /crm/dashboard/clinic/inbox -> 200, scripts from /crm/static" in out
    assert (data / "wa_crm.db").is_file()
