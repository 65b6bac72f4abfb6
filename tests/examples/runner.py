"""Running the programs in ``examples/`` as their readers would: in a subprocess, with a time
limit, their temporary files under the test's ``tmp_path`` (``TMPDIR``), none of the caller's
``WA_CRM_*`` settings, and no bytecode written next to them."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"

RunExample = Callable[..., subprocess.CompletedProcess[str]]


def example_runner(tmp_path: Path) -> RunExample:
    """``run(*args, timeout=60)`` runs ``python *args`` in ``tmp_path``, asserts that it exits
    with 0 and leaves no temporary file behind, and returns what it printed."""
    scratch = tmp_path / "tmp"
    scratch.mkdir()

    def run(*args: str | Path, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("WA_CRM_")}
        env.update(TMPDIR=str(scratch), PYTHONDONTWRITEBYTECODE="1", PYTHONUNBUFFERED="1")
        completed = subprocess.run(
            [sys.executable, *map(str, args)],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        assert completed.returncode == 0, completed.stdout + completed.stderr
        assert list(scratch.iterdir()) == [], "the example left temporary files behind"
        return completed

    return run
