"""Fixtures of the persistence contract suites shared by every adapter's test classes."""

from __future__ import annotations

import pytest

from .base import PublishedFacts


@pytest.fixture
def published() -> PublishedFacts:
    """What the units of work under test published."""
    return PublishedFacts()
