"""The WAHA API key travels as the ``X-Api-Key`` header, so it must be text a header can carry:
a key with other characters is refused when saved, instead of breaking every later call to WAHA
(a 500 that the OpenAPI fuzz test found)."""

from __future__ import annotations

import functools

from returns.result import Failure, Success

from wa_crm.adapters.memory import InMemoryStore, InMemoryUnitOfWork
from wa_crm.domain.model.association import Association, WhatsAppChanges
from wa_crm.domain.model.errors import InvalidInput
from wa_crm.domain.usecases.admin.whatsapp_settings import UpdateWhatsAppSettings
from wa_crm.testing.clock import FakeClock

A = "assoc-a"


async def _update(api_key: str) -> Association | InvalidInput:
    store = InMemoryStore()
    uow_factory = functools.partial(InMemoryUnitOfWork, store)
    async with uow_factory() as uow:
        await uow.associations.add(Association(A, "a", "A", FakeClock().now()))
        await uow.commit()
    result = await UpdateWhatsAppSettings(uow_factory)(A, WhatsAppChanges(api_key=api_key))
    match result:
        case Success(association):
            return association
        case Failure(error):
            assert isinstance(error, InvalidInput)
            return error
    raise AssertionError("unreachable")


async def test_a_printable_ascii_key_is_saved_trimmed() -> None:
    saved = await _update("  waha-key 123!  ")

    assert isinstance(saved, Association)
    assert saved.whatsapp.api_key == "waha-key 123!"


async def test_a_key_a_header_cannot_carry_is_refused() -> None:
    for key in ("chave-ç", "key\x00", "key\nX-Injected: 1", "ключ"):
        refused = await _update(key)

        assert isinstance(refused, InvalidInput), key
        assert "api_key" in refused.message
