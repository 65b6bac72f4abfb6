"""``make bench``: run every benchmark and write docs/benchmarks.md with the machine it ran on."""

from __future__ import annotations

import os
import platform
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from bench import (
    bot_turns,
    delivery_backlog,
    ingest_webhooks,
    knowledge_retrieval,
    sse_clients,
    stats_inbox,
)

REPORT = Path(__file__).resolve().parents[1] / "docs" / "benchmarks.md"


def machine() -> list[str]:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor() or "unknown",
    )
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False
    ).stdout.strip()
    return [
        "# Benchmarks",
        "",
        "Written by `make bench` (`python -m bench`); every figure sits next to the ceiling",
        "measured in the same run on the same machine.",
        "",
        f"- date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, commit {commit or 'unknown'}",
        f"- machine: {cpu}, {os.cpu_count()} cores, Python {platform.python_version()}",
        "",
    ]


def main() -> None:
    lines = machine()
    lines += ingest_webhooks.main([])
    lines += bot_turns.main([])
    lines += sse_clients.main([])
    lines += delivery_backlog.main([])
    lines += stats_inbox.main([])
    lines += knowledge_retrieval.main([])
    REPORT.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"wrote {REPORT}", file=sys.stderr)


if __name__ == "__main__":
    main()
