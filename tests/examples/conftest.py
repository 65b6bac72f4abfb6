from __future__ import annotations

from pathlib import Path

import pytest
from tests.examples.runner import RunExample, example_runner


@pytest.fixture
def run_example(tmp_path: Path) -> RunExample:
    """Runs an example in a subprocess (see ``runner.py``)."""
    return example_runner(tmp_path)
