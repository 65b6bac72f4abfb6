"""``examples/downstream_tests``: a downstream project's tests, with the WAHA simulator as a
pytest fixture, pass when run as that project would run them."""

from __future__ import annotations

from pathlib import Path

from tests.examples.runner import EXAMPLES, RunExample


def test_the_downstream_projects_tests_pass(run_example: RunExample, tmp_path: Path) -> None:
    folder = EXAMPLES / "downstream_tests"
    basetemp = f"--basetemp={tmp_path / 'basetemp'}"

    completed = run_example("-m", "pytest", folder, "-q", basetemp)

    assert "2 passed" in completed.stdout
    assert not (folder / ".pytest_cache").exists()
