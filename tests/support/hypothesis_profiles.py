"""Hypothesis profiles, chosen by the environment (``HYPOTHESIS_PROFILE`` names one outright):

- ``ci`` (``CI=true``): every property runs at least the examples it was written with.
- ``dev`` (elsewhere): a few examples each, for a loop of minutes; CI still runs them all.

A property that names its count wraps it in ``examples(...)`` so that ``dev`` can shorten it.
"""

from __future__ import annotations

import os

from hypothesis import settings

DEV_EXAMPLES = 10

settings.register_profile("ci", print_blob=True)
settings.register_profile("dev", max_examples=DEV_EXAMPLES)
PROFILE = os.environ.get("HYPOTHESIS_PROFILE") or (
    "ci" if os.environ.get("CI") == "true" else "dev"
)


def examples(written: int) -> int:
    """The examples a property runs: ``written`` under ``ci``, at most ``DEV_EXAMPLES`` under
    ``dev``."""
    return written if PROFILE == "ci" else min(written, DEV_EXAMPLES)
