"""Passwords are hashed with argon2id's real parameters unless a test suite asks for the
cheapest ones (``WA_CRM_PASSWORD_HASHING``, set by tests/conftest.py), never by default."""

from __future__ import annotations

import pytest

from wa_crm.adapters.system.passwords import Argon2PasswordHasher
from wa_crm.container import build_container
from wa_crm.settings import Settings

REAL_PARAMETERS = "$argon2id$v=19$m=65536,t=3,p=4$"


async def test_the_service_hashes_with_the_real_parameters_by_default(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("WA_CRM_PASSWORD_HASHING", raising=False)
    container = build_container(Settings())
    assert (await container.passwords().hash("correct horse")).startswith(REAL_PARAMETERS)


async def test_tests_hash_cheaply_and_the_real_hasher_still_verifies_it() -> None:
    container = build_container(Settings(password_hashing="cheapest-for-tests"))
    cheap = await container.passwords().hash("correct horse")
    assert cheap.startswith("$argon2id$v=19$m=8,t=1,p=1$")
    assert await Argon2PasswordHasher().verify(cheap, "correct horse")
    assert not await Argon2PasswordHasher().verify(cheap, "wrong horse")


def test_the_test_suite_runs_with_cheap_hashes() -> None:
    assert Settings().password_hashing == "cheapest-for-tests"
