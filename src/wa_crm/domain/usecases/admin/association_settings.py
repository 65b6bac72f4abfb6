"""Saving one of an association's settings objects (bot, privacy, assignment) for an admin,
once the settings have checked themselves (``validated()``)."""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable
from typing import Any

from returns.result import Failure, Result, Success

from wa_crm.domain.model.association import Association
from wa_crm.domain.model.errors import DomainError, InvalidInput, UnknownAssociation
from wa_crm.ports.unit_of_work import UnitOfWork, UnitOfWorkFactory

AfterSave = Callable[[UnitOfWork, Association], Awaitable[None]]
"""What else the change starts, in the same transaction, given the association before it."""


async def save_settings(
    uow_factory: UnitOfWorkFactory,
    association_id: str,
    field: str,
    checked: Result[Any, InvalidInput],
    after: AfterSave | None = None,
) -> Result[Association, DomainError]:
    """Store the checked settings as ``association.<field>``, or pass on their refusal."""
    match checked:
        case Failure(refusal):
            return Failure(refusal)
        case Success(settings):
            pass
    async with uow_factory() as uow:
        await uow.associations.lock(association_id)  # the row is read, then written whole
        association = await uow.associations.get(association_id)
        if association is None:
            return Failure(UnknownAssociation("no such association"))
        updated = dataclasses.replace(association, **{field: settings})
        await uow.associations.update(updated)
        if after is not None:
            await after(uow, association)
        await uow.commit()
    return Success(updated)
